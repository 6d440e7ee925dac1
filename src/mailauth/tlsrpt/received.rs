//! Reading a TLS report that another sender mailed us (RFC 8460 4.4 and 5.3): the JSON in the
//! message's `application/tlsrpt+gzip` (or `+json`) part, summed per policy.

use std::io::Read;

use flate2::read::GzDecoder;
use message::Parsed;
use serde_json::Value;

/// Largest report read, in octets after decompression (a gzip bomb stops there).
pub const MAX_REPORT: u64 = 16 << 20;

/// A received report, as far as an operator needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedReport {
    /// Who sent it (`organization-name`).
    pub organization: String,
    /// Its `report-id`.
    pub report_id: String,
    /// `start-datetime` of its period, as written.
    pub start: String,
    /// `end-datetime` of its period, as written.
    pub end: String,
    /// One entry per policy it reports on.
    pub policies: Vec<ReceivedPolicy>,
}

/// What a report says about the sessions under one of our policies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedPolicy {
    /// `policy-domain`.
    pub domain: String,
    /// `policy-type`: `sts`, `tlsa` or `no-policy-found`.
    pub policy_type: String,
    /// Sessions that went well.
    pub successful: u64,
    /// Sessions that failed.
    pub failed: u64,
    /// Failed sessions by `result-type`, summed, in the order first seen.
    pub failures: Vec<(String, u64)>,
}

/// The report JSON a report message carries: its `application/tlsrpt+gzip` part decompressed,
/// or its `application/tlsrpt+json` part; `None` when it has neither or the data is broken.
pub fn report_json(message: &Parsed<'_>) -> Option<Vec<u8>> {
    for visit in message.parts() {
        let part = visit.part;
        if part.media_type != "application" {
            continue;
        }
        let body = message.decoded(part);
        match part.subtype.as_str() {
            "tlsrpt+gzip" => {
                let mut json = Vec::new();
                GzDecoder::new(&body[..]).take(MAX_REPORT).read_to_end(&mut json).ok()?;
                return Some(json);
            }
            "tlsrpt+json" => return Some(body.into_owned()),
            _ => {}
        }
    }
    None
}

/// Reads a report's JSON; missing counts read as 0, a report without policies is refused.
pub fn parse_report(json: &[u8]) -> Result<ReceivedReport, String> {
    let value: Value = serde_json::from_slice(json).map_err(|e| format!("not a JSON report: {e}"))?;
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let policies: Vec<ReceivedPolicy> = value["policies"]
        .as_array()
        .ok_or("the report has no policies")?
        .iter()
        .map(|entry| {
            let mut failures: Vec<(String, u64)> = Vec::new();
            for detail in entry["failure-details"].as_array().into_iter().flatten() {
                let kind = text(&detail["result-type"]);
                let count = detail["failed-session-count"].as_u64().unwrap_or(0);
                match failures.iter_mut().find(|(k, _)| *k == kind) {
                    Some((_, n)) => *n = n.saturating_add(count),
                    None => failures.push((kind, count)),
                }
            }
            ReceivedPolicy {
                domain: text(&entry["policy"]["policy-domain"]),
                policy_type: text(&entry["policy"]["policy-type"]),
                successful: entry["summary"]["total-successful-session-count"].as_u64().unwrap_or(0),
                failed: entry["summary"]["total-failure-session-count"].as_u64().unwrap_or(0),
                failures,
            }
        })
        .collect();
    if policies.is_empty() {
        return Err("the report has no policies".into());
    }
    Ok(ReceivedReport {
        organization: text(&value["organization-name"]),
        report_id: text(&value["report-id"]),
        start: text(&value["date-range"]["start-datetime"]),
        end: text(&value["date-range"]["end-datetime"]),
        policies,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report_mail::{self, ReportMail};

    /// The example of RFC 8460 4.5 (with one failure detail).
    const RFC_EXAMPLE: &str = r#"{
      "organization-name": "Company-X",
      "date-range": {"start-datetime": "2016-04-01T00:00:00Z", "end-datetime": "2016-04-01T23:59:59Z"},
      "contact-info": "sts-reporting@company-x.example",
      "report-id": "5065427c-23d3-47ca-b6e0-946ea0e8c4be",
      "policies": [{
        "policy": {"policy-type": "sts", "policy-string": ["version: STSv1", "mode: testing", "mx: *.mail.company-y.example", "max_age: 86400"],
                   "policy-domain": "company-y.example", "mx-host": ["*.mail.company-y.example"]},
        "summary": {"total-successful-session-count": 5326, "total-failure-session-count": 303},
        "failure-details": [
          {"result-type": "certificate-expired", "sending-mta-ip": "2001:db8:abcd:0012::1",
           "receiving-mx-hostname": "mx1.mail.company-y.example", "failed-session-count": 100},
          {"result-type": "starttls-not-supported", "sending-mta-ip": "2001:db8:abcd:0013::1",
           "receiving-mx-hostname": "mx2.mail.company-y.example", "receiving-ip": "203.0.113.56",
           "failed-session-count": 200},
          {"result-type": "certificate-expired", "sending-mta-ip": "2001:db8:abcd:0012::2",
           "receiving-mx-hostname": "mx3.mail.company-y.example", "failed-session-count": 3}
        ]
      }]
    }"#;

    #[test]
    fn the_rfc_example_mailed_gzipped_reads_back_summed_per_policy() {
        let to = ["tlsrpt@company-y.example".to_string()];
        let mail = ReportMail {
            from: "noreply@company-x.example",
            to: &to,
            submitter: "company-x.example",
            report_id: "5065427c",
            domain: "company-y.example",
            end: 1_459_555_199,
            extra_headers: "TLS-Report-Domain: company-y.example\r\n",
            multipart: "multipart/report; report-type=\"tlsrpt\"",
            text: "A report.",
            attachment_type: "application/tlsrpt+gzip",
            file_name: "x.json.gz",
        };
        let raw = report_mail::message(&mail, &report_mail::gzip(RFC_EXAMPLE.as_bytes()));
        let json = report_json(&Parsed::new(&raw)).expect("the attachment is found");
        let report = parse_report(&json).unwrap();
        assert_eq!((report.organization.as_str(), report.start.as_str()), ("Company-X", "2016-04-01T00:00:00Z"));
        let policy = &report.policies[0];
        assert_eq!((policy.domain.as_str(), policy.policy_type.as_str()), ("company-y.example", "sts"));
        assert_eq!((policy.successful, policy.failed), (5326, 303));
        assert_eq!(policy.failures, vec![("certificate-expired".into(), 103), ("starttls-not-supported".into(), 200)]);
    }

    #[test]
    fn messages_without_a_report_and_broken_reports_give_none() {
        assert_eq!(report_json(&Parsed::new(b"Subject: hi\r\n\r\nno report\r\n")), None);
        assert!(parse_report(b"{\"policies\": []}").is_err());
        assert!(parse_report(b"not json").is_err());
        let broken = b"Content-Type: application/tlsrpt+gzip\r\nContent-Transfer-Encoding: base64\r\n\r\nAAAA\r\n";
        assert_eq!(report_json(&Parsed::new(broken)), None, "not gzip");
    }
}

//! SMTP TLS reporting (RFC 8460): the `_smtp._tls` TXT record that says where a domain wants
//! its reports, what a sender counts about the TLS of its sessions, and the JSON report; the
//! reports others send us are read by [`received`].

pub mod received;

use std::fmt;

use serde_json::{Value, json};

/// Where a domain's reports go (`rua=`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportUri {
    /// By mail, to this address.
    Mailto(String),
    /// By HTTPS POST, to this URL.
    Https(String),
}

/// The report addresses of a domain from its `_smtp._tls.<domain>` TXT records: `None` unless
/// exactly one record starts with `v=TLSRPTv1` and it names at least one usable `rua` URI
/// (RFC 8460 3).
pub fn report_uris<S: AsRef<str>>(records: &[S]) -> Option<Vec<ReportUri>> {
    let mut reporting = records.iter().map(AsRef::as_ref).filter(|r| {
        r.strip_prefix("v=TLSRPTv1").is_some_and(|rest| rest.trim_start().starts_with(';') || rest.trim().is_empty())
    });
    let record = reporting.next()?;
    if reporting.next().is_some() {
        return None;
    }
    let mut uris = Vec::new();
    for field in record.split(';').map(str::trim) {
        let Some(value) = field.strip_prefix("rua=") else { continue };
        for uri in value.split(',').map(str::trim) {
            if let Some(address) =
                uri.strip_prefix("mailto:").filter(|a| a.contains('@') && !a.contains(['<', '>', ' ']))
            {
                // `mailto:` URIs may escape characters (RFC 6068); addresses rarely need it.
                uris.push(ReportUri::Mailto(address.replace("%40", "@")));
            } else if uri.starts_with("https://") && !uri.contains(char::is_whitespace) {
                uris.push(ReportUri::Https(uri.to_string()));
            }
        }
    }
    (!uris.is_empty()).then_some(uris)
}

/// Why a session failed, as RFC 8460 4.3 names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ResultType {
    /// The receiver did not offer STARTTLS.
    StarttlsNotSupported,
    /// The certificate is not valid for the MX host's name.
    CertificateHostMismatch,
    /// The certificate has expired.
    CertificateExpired,
    /// The certificate does not chain to a trusted CA.
    CertificateNotTrusted,
    /// Anything else that made the session fail the policy (an MX the policy does not name).
    ValidationFailure,
    /// The policy could not be fetched.
    StsPolicyFetchError,
    /// The policy did not parse.
    StsPolicyInvalid,
    /// The policy server's certificate did not verify.
    StsWebpkiInvalid,
    /// DANE: the certificate matched none of the MX host's TLSA records.
    TlsaInvalid,
    /// DANE: the TLSA records did not validate (a bogus or failed DNSSEC answer).
    DnssecInvalid,
}

impl ResultType {
    /// Every type, for parsing.
    const ALL: [ResultType; 10] = [
        ResultType::StarttlsNotSupported,
        ResultType::CertificateHostMismatch,
        ResultType::CertificateExpired,
        ResultType::CertificateNotTrusted,
        ResultType::ValidationFailure,
        ResultType::StsPolicyFetchError,
        ResultType::StsPolicyInvalid,
        ResultType::StsWebpkiInvalid,
        ResultType::TlsaInvalid,
        ResultType::DnssecInvalid,
    ];

    /// The name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            ResultType::StarttlsNotSupported => "starttls-not-supported",
            ResultType::CertificateHostMismatch => "certificate-host-mismatch",
            ResultType::CertificateExpired => "certificate-expired",
            ResultType::CertificateNotTrusted => "certificate-not-trusted",
            ResultType::ValidationFailure => "validation-failure",
            ResultType::StsPolicyFetchError => "sts-policy-fetch-error",
            ResultType::StsPolicyInvalid => "sts-policy-invalid",
            ResultType::StsWebpkiInvalid => "sts-webpki-invalid",
            ResultType::TlsaInvalid => "tlsa-invalid",
            ResultType::DnssecInvalid => "dnssec-invalid",
        }
    }

    /// The type a report names `name`.
    pub fn parse(name: &str) -> Option<ResultType> {
        ResultType::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

impl fmt::Display for ResultType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What one counter counts: sessions to one policy domain in one period with one outcome.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ReportRow {
    /// Start of the report period (Unix seconds).
    pub period: u64,
    /// The domain whose policy applied.
    pub policy_domain: String,
    /// `None` for a successful session, else why it failed.
    pub result: Option<ResultType>,
    /// Our address, for a failure.
    pub sending_ip: String,
    /// The MX host, for a failure.
    pub receiving_mx: String,
    /// Its address, for a failure.
    pub receiving_ip: String,
}

/// The policy a report is about, as RFC 8460 4.4 writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportedPolicy {
    /// `sts` (MTA-STS), `tlsa` (DANE) or `no-policy-found`.
    pub policy_type: &'static str,
    /// The policy's lines.
    pub policy_string: Vec<String>,
    /// Its MX patterns.
    pub mx_host: Vec<String>,
}

/// Who reports, and about what period.
#[derive(Debug, Clone)]
pub struct Reporter<'a> {
    /// Our host name (the organization and the submitter).
    pub org_name: &'a str,
    /// Where to write about the report (an address).
    pub contact: &'a str,
    /// A unique id for this report.
    pub report_id: &'a str,
    /// Start of the period (Unix seconds).
    pub begin: u64,
    /// End of the period (Unix seconds).
    pub end: u64,
}

/// The JSON report (RFC 8460 4.4) for `domain` under `policy`, of the counted `rows`.
pub fn json_report(
    reporter: &Reporter<'_>,
    domain: &str,
    policy: &ReportedPolicy,
    rows: &[(ReportRow, u64)],
) -> String {
    let successful: u64 = rows.iter().filter(|(r, _)| r.result.is_none()).map(|(_, n)| n).sum();
    let failed: u64 = rows.iter().filter(|(r, _)| r.result.is_some()).map(|(_, n)| n).sum();
    let details: Vec<Value> = rows
        .iter()
        .filter_map(|(row, count)| {
            let result = row.result?;
            Some(json!({
                "result-type": result.as_str(),
                "sending-mta-ip": row.sending_ip,
                "receiving-mx-hostname": row.receiving_mx,
                "receiving-ip": row.receiving_ip,
                "failed-session-count": count,
            }))
        })
        .collect();
    let report = json!({
        "organization-name": reporter.org_name,
        "date-range": {
            "start-datetime": datetime(reporter.begin),
            "end-datetime": datetime(reporter.end.saturating_sub(1)),
        },
        "contact-info": reporter.contact,
        "report-id": reporter.report_id,
        "policies": [{
            "policy": {
                "policy-type": policy.policy_type,
                "policy-string": policy.policy_string,
                "policy-domain": domain,
                "mx-host": policy.mx_host,
            },
            "summary": {
                "total-successful-session-count": successful,
                "total-failure-session-count": failed,
            },
            "failure-details": details,
        }],
    });
    report.to_string()
}

/// The attachment's file name (RFC 8460 5.3): `submitter!policy-domain!begin!end!id.json.gz`.
pub fn file_name(reporter: &Reporter<'_>, domain: &str) -> String {
    format!("{}!{domain}!{}!{}!{}.json.gz", reporter.org_name, reporter.begin, reporter.end, reporter.report_id)
}

/// Unix seconds as an RFC 3339 UTC date-time.
fn datetime(secs: u64) -> String {
    let days = secs / 86_400;
    let rest = secs % 86_400;
    let (year, month, day) = civil_from_days(days as i64);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rest / 3600, rest % 3600 / 60, rest % 60)
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_gives_its_mailto_and_https_uris() {
        let uris = report_uris(&["v=TLSRPTv1; rua=mailto:reports@example.com,https://reporting.example.com/v1/tlsrpt"]);
        assert_eq!(
            uris.unwrap(),
            vec![
                ReportUri::Mailto("reports@example.com".into()),
                ReportUri::Https("https://reporting.example.com/v1/tlsrpt".into())
            ]
        );
        assert_eq!(report_uris(&["v=TLSRPTv1;rua=mailto:a@b.example", "v=spf1 -all"]).unwrap().len(), 1);
        assert_eq!(report_uris(&["v=TLSRPTv1; rua=mailto:a@b.example", "v=TLSRPTv1; rua=mailto:c@d.example"]), None);
        assert_eq!(report_uris(&["v=TLSRPTv1; rua=http://plain.example/"]), None, "only https");
        assert_eq!(report_uris(&["v=TLSRPTv10; rua=mailto:a@b.example"]), None);
        assert_eq!(report_uris::<&str>(&[]), None);
    }

    #[test]
    fn the_report_counts_successes_and_failures_in_the_rfc_shape() {
        let reporter = Reporter {
            org_name: "mx.sender.example",
            contact: "tlsrpt@sender.example",
            report_id: "R1",
            begin: 1_480_550_400,
            end: 1_480_636_800,
        };
        let policy = ReportedPolicy {
            policy_type: "sts",
            policy_string: vec!["version: STSv1".into(), "mode: enforce".into()],
            mx_host: vec!["*.mail.example".into()],
        };
        let row = |result, n| {
            let row = ReportRow {
                period: 1_480_550_400,
                policy_domain: "company-y.example".into(),
                result,
                sending_ip: "192.0.2.1".into(),
                receiving_mx: "mx1.mail.example".into(),
                receiving_ip: "198.51.100.7".into(),
            };
            (row, n)
        };
        let rows = [
            row(None, 5326),
            row(Some(ResultType::CertificateExpired), 100),
            row(Some(ResultType::StarttlsNotSupported), 3),
        ];
        let text = json_report(&reporter, "company-y.example", &policy, &rows);
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["date-range"]["start-datetime"], "2016-12-01T00:00:00Z");
        assert_eq!(value["date-range"]["end-datetime"], "2016-12-01T23:59:59Z");
        let reported = &value["policies"][0];
        assert_eq!(reported["policy"]["policy-domain"], "company-y.example");
        assert_eq!(reported["summary"]["total-successful-session-count"], 5326);
        assert_eq!(reported["summary"]["total-failure-session-count"], 103);
        assert_eq!(reported["failure-details"][0]["result-type"], "certificate-expired");
        assert_eq!(reported["failure-details"][0]["failed-session-count"], 100);
        assert_eq!(
            file_name(&reporter, "company-y.example"),
            "mx.sender.example!company-y.example!1480550400!1480636800!R1.json.gz"
        );
        for t in ResultType::ALL {
            assert_eq!(ResultType::parse(t.as_str()), Some(t));
        }
    }
}

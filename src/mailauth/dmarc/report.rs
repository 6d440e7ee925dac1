//! The DMARC aggregate report (RFC 7489 section 7.2 and appendix C): the XML document and the
//! message that carries it, gzipped, to the addresses in the domain's `rua=`.

use std::fmt::Write as _;

use super::record::{Alignment, Record};
use crate::report_mail::{self, ReportMail};

/// What one counter counts: messages from one source, with one outcome, in one period.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ReportRow {
    /// Start of the report period (Unix seconds).
    pub period: u64,
    /// The domain whose DMARC record applied.
    pub policy_domain: String,
    /// The sending server's address.
    pub source_ip: String,
    /// The `From:` domain.
    pub header_from: String,
    /// What the policy made of the message: `none`, `quarantine` or `reject`.
    pub disposition: String,
    /// `pass` when DKIM passed aligned, else `fail`.
    pub dkim_aligned: String,
    /// `pass` when SPF passed aligned, else `fail`.
    pub spf_aligned: String,
    /// `d=` of the first DKIM signature, if any.
    pub dkim_domain: String,
    /// Its result.
    pub dkim_result: String,
    /// The domain SPF checked.
    pub spf_domain: String,
    /// SPF's result.
    pub spf_result: String,
}

/// Who reports, and about what period.
#[derive(Debug, Clone)]
pub struct Reporter<'a> {
    /// Our host name (`org_name`, and the submitter in the subject).
    pub org_name: &'a str,
    /// The report's sender address.
    pub email: &'a str,
    /// A unique id for this report.
    pub report_id: &'a str,
    /// Start of the period (Unix seconds).
    pub begin: u64,
    /// End of the period (Unix seconds).
    pub end: u64,
}

/// The XML report for `domain` with its published `record` and the counted `rows`.
pub fn xml(reporter: &Reporter<'_>, domain: &str, record: &Record, rows: &[(ReportRow, u64)]) -> String {
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feedback>\n");
    x.push_str("  <report_metadata>\n");
    let _ = writeln!(x, "    <org_name>{}</org_name>", escape(reporter.org_name));
    let _ = writeln!(x, "    <email>{}</email>", escape(reporter.email));
    let _ = writeln!(x, "    <report_id>{}</report_id>", escape(reporter.report_id));
    let _ = writeln!(x, "    <date_range><begin>{}</begin><end>{}</end></date_range>", reporter.begin, reporter.end);
    x.push_str("  </report_metadata>\n  <policy_published>\n");
    let _ = writeln!(x, "    <domain>{}</domain>", escape(domain));
    let mode = |a: Alignment| if a == Alignment::Strict { "s" } else { "r" };
    let _ = writeln!(x, "    <adkim>{}</adkim>", mode(record.dkim_alignment));
    let _ = writeln!(x, "    <aspf>{}</aspf>", mode(record.spf_alignment));
    let _ = writeln!(x, "    <p>{}</p>", record.policy);
    let _ = writeln!(x, "    <sp>{}</sp>", record.policy_for(true));
    let _ = writeln!(x, "    <pct>{}</pct>", record.percent);
    x.push_str("  </policy_published>\n");
    for (row, count) in rows {
        x.push_str("  <record>\n    <row>\n");
        let _ = writeln!(x, "      <source_ip>{}</source_ip>", escape(&row.source_ip));
        let _ = writeln!(x, "      <count>{count}</count>");
        let _ = writeln!(
            x,
            "      <policy_evaluated><disposition>{}</disposition><dkim>{}</dkim><spf>{}</spf></policy_evaluated>",
            escape(&row.disposition),
            escape(&row.dkim_aligned),
            escape(&row.spf_aligned)
        );
        x.push_str("    </row>\n");
        let _ = writeln!(x, "    <identifiers><header_from>{}</header_from></identifiers>", escape(&row.header_from));
        x.push_str("    <auth_results>\n");
        if !row.dkim_domain.is_empty() {
            let _ = writeln!(
                x,
                "      <dkim><domain>{}</domain><result>{}</result></dkim>",
                escape(&row.dkim_domain),
                escape(&row.dkim_result)
            );
        }
        let _ = writeln!(
            x,
            "      <spf><domain>{}</domain><result>{}</result></spf>",
            escape(&row.spf_domain),
            escape(&row.spf_result)
        );
        x.push_str("    </auth_results>\n  </record>\n");
    }
    x.push_str("</feedback>\n");
    x
}

/// The report message to `to`: a short text part and the XML, gzipped, as an attachment named
/// as section 7.2.1.1 asks (`receiver!policy-domain!begin!end.xml.gz`).
pub fn message(reporter: &Reporter<'_>, domain: &str, to: &[String], xml: &str) -> Vec<u8> {
    let name = format!("{}!{domain}!{}!{}.xml.gz", reporter.org_name, reporter.begin, reporter.end);
    let text = format!("DMARC aggregate report for {domain} from {}.", reporter.org_name);
    let mail = ReportMail {
        from: reporter.email,
        to,
        submitter: reporter.org_name,
        report_id: reporter.report_id,
        domain,
        end: reporter.end,
        extra_headers: "",
        multipart: "multipart/mixed",
        text: &text,
        attachment_type: "application/gzip",
        file_name: &name,
    };
    report_mail::message(&mail, &report_mail::gzip(xml.as_bytes()))
}

/// Text with the five XML specials escaped.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&apos;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use std::io::Read;

    fn rows() -> Vec<(ReportRow, u64)> {
        let row = ReportRow {
            period: 0,
            policy_domain: "example.com".into(),
            source_ip: "192.0.2.1".into(),
            header_from: "example.com".into(),
            disposition: "reject".into(),
            dkim_aligned: "fail".into(),
            spf_aligned: "fail".into(),
            dkim_domain: String::new(),
            dkim_result: String::new(),
            spf_domain: "evil<x>.example".into(),
            spf_result: "fail".into(),
        };
        vec![(row, 7)]
    }

    #[test]
    fn the_report_carries_policy_and_rows() {
        let record = Record::parse("v=DMARC1; p=reject; pct=50; adkim=s; rua=mailto:r@example.com").unwrap();
        let reporter = Reporter {
            org_name: "mx.example.org",
            email: "dmarc@mx.example.org",
            report_id: "r1",
            begin: 0,
            end: 86_400,
        };
        let x = xml(&reporter, "example.com", &record, &rows());
        assert!(
            x.contains("<domain>example.com</domain>\n    <adkim>s</adkim>\n    <aspf>r</aspf>\n    <p>reject</p>")
        );
        assert!(x.contains("<pct>50</pct>"));
        assert!(x.contains("<source_ip>192.0.2.1</source_ip>\n      <count>7</count>"));
        assert!(x.contains("<disposition>reject</disposition><dkim>fail</dkim><spf>fail</spf>"));
        assert!(x.contains("<spf><domain>evil&lt;x&gt;.example</domain><result>fail</result></spf>"));
        assert!(!x.contains("<dkim><domain>"), "no DKIM signature, no dkim result");

        let m = message(&reporter, "example.com", &["r@example.com".into()], &x);
        let text = String::from_utf8(m).unwrap();
        assert!(text.contains("Subject: Report Domain: example.com Submitter: mx.example.org Report-ID: <r1>\r\n"));
        assert!(text.contains("filename=\"mx.example.org!example.com!0!86400.xml.gz\""));
        let body: String =
            text.split("\r\n\r\n").nth(4).unwrap().lines().take_while(|l| !l.starts_with("--")).collect();
        let mut xml_back = String::new();
        flate2::read::GzDecoder::new(&STANDARD.decode(body).unwrap()[..]).read_to_string(&mut xml_back).unwrap();
        assert_eq!(xml_back, x);
    }
}

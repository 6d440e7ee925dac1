//! The message that carries an aggregate report (DMARC's, RFC 7489 7.2.1.1; TLS reporting's,
//! RFC 8460 5.3): a short text part and the report, gzipped, as a base64 attachment.

use std::fmt::Write as _;
use std::io::Write as _;
use std::time::{Duration, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use flate2::Compression;
use flate2::write::GzEncoder;

use message::date::rfc5322;

/// What one report message says, besides the report.
#[derive(Debug, Clone)]
pub struct ReportMail<'a> {
    /// The sender address.
    pub from: &'a str,
    /// The recipients.
    pub to: &'a [String],
    /// Our host name: the submitter, and the domain of the Message-ID.
    pub submitter: &'a str,
    /// The report's id, unique for the submitter.
    pub report_id: &'a str,
    /// The domain the report is about.
    pub domain: &'a str,
    /// End of the reported period (Unix seconds): the Date.
    pub end: u64,
    /// Header fields of this kind of report, each ending in CRLF.
    pub extra_headers: &'a str,
    /// The multipart type with its parameters but without the boundary.
    pub multipart: &'a str,
    /// The text part.
    pub text: &'a str,
    /// The attachment's media type.
    pub attachment_type: &'a str,
    /// The attachment's file name.
    pub file_name: &'a str,
}

/// `content` gzipped.
pub fn gzip(content: &[u8]) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    // Writing into a Vec cannot fail.
    gz.write_all(content).expect("gzip into memory");
    gz.finish().expect("gzip into memory")
}

/// The message carrying `report` (gzipped already) as described by `mail`.
pub fn message(mail: &ReportMail<'_>, gzipped: &[u8]) -> Vec<u8> {
    let boundary = format!("report-{}", mail.report_id);
    let date = rfc5322(UNIX_EPOCH + Duration::from_secs(mail.end));
    let to = mail.to.iter().map(|a| format!("<{a}>")).collect::<Vec<_>>().join(", ");
    let mut m = String::new();
    let _ = write!(m, "From: <{}>\r\nTo: {to}\r\n", mail.from);
    let _ = write!(
        m,
        "Subject: Report Domain: {} Submitter: {} Report-ID: <{}>\r\n",
        mail.domain, mail.submitter, mail.report_id
    );
    let _ = write!(m, "Date: {date}\r\nMessage-ID: <{}@{}>\r\n{}", mail.report_id, mail.submitter, mail.extra_headers);
    m.push_str("Auto-Submitted: auto-generated\r\nMIME-Version: 1.0\r\n");
    let _ = write!(m, "Content-Type: {}; boundary=\"{boundary}\"\r\n\r\n", mail.multipart);
    let _ = write!(m, "--{boundary}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n{}\r\n\r\n", mail.text);
    let (kind, name) = (mail.attachment_type, mail.file_name);
    let _ = write!(
        m,
        "--{boundary}\r\nContent-Type: {kind}; name=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\
         Content-Disposition: attachment; filename=\"{name}\"\r\n\r\n"
    );
    for line in STANDARD.encode(gzipped).as_bytes().chunks(76) {
        m.push_str(&String::from_utf8_lossy(line));
        m.push_str("\r\n");
    }
    let _ = write!(m, "--{boundary}--\r\n");
    m.into_bytes()
}

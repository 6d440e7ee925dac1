//! Feedback reports (RFC 5965, the Abuse Reporting Format) that mailbox providers send when a
//! user marks a message as spam: a `multipart/report; report-type=feedback-report` with a
//! human-readable part, a `message/feedback-report` part of fields, and the message itself
//! (`message/rfc822`) or its header (`text/rfc822-headers`).

use message::Parsed;
use message::headers::{self, header_block, unfold};

/// Longest field value kept.
const MAX_VALUE: usize = 998;
/// Most `Original-Rcpt-To` fields kept.
const MAX_RECIPIENTS: usize = 100;

/// What a feedback report says, as far as a sender acts on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedbackReport {
    /// `Feedback-Type`, lower case: `abuse`, `fraud`, `virus`, `not-spam`, `other`, ...
    pub feedback_type: String,
    /// `User-Agent`: who made the report.
    pub user_agent: Option<String>,
    /// `Original-Mail-From`.
    pub original_mail_from: Option<String>,
    /// `Original-Rcpt-To` fields (who complained, when the reporter says).
    pub original_rcpt_to: Vec<String>,
    /// The header of the message the report is about, as returned (possibly redacted).
    pub original_header: Vec<u8>,
}

impl FeedbackReport {
    /// Whether the recipient did not want the message (`abuse`, `fraud`, `virus`), rather
    /// than some other kind of feedback.
    pub fn is_complaint(&self) -> bool {
        matches!(self.feedback_type.as_str(), "abuse" | "fraud" | "virus")
    }
}

/// The feedback report in `message`: its `message/feedback-report` part (which must name a
/// `Feedback-Type`) and the returned message's header; `None` when it is no such report.
pub fn parse(message: &Parsed<'_>) -> Option<FeedbackReport> {
    let mut report: Option<FeedbackReport> = None;
    let mut original = None;
    for visit in message.parts() {
        let part = visit.part;
        match (part.media_type.as_str(), part.subtype.as_str()) {
            ("message", "feedback-report") if report.is_none() => report = fields(&message.decoded(part)),
            ("message", "rfc822" | "global") | ("text", "rfc822-headers") if original.is_none() => {
                let body = message.decoded(part);
                original = Some(header_block(&body).to_vec());
            }
            ("application", "octet-stream") if original.is_none() => {
                original = message.encapsulated(part).map(|m| header_block(&m).to_vec());
            }
            _ => {}
        }
    }
    let mut report = report?;
    report.original_header = original.unwrap_or_default();
    Some(report)
}

/// The report's fields (RFC 5965 section 3.1); `None` without a `Feedback-Type`.
fn fields(body: &[u8]) -> Option<FeedbackReport> {
    let mut report = FeedbackReport {
        feedback_type: String::new(),
        user_agent: None,
        original_mail_from: None,
        original_rcpt_to: Vec::new(),
        original_header: Vec::new(),
    };
    for field in headers::fields(body) {
        let value = || {
            let text = String::from_utf8_lossy(&unfold(field.value)).trim().to_string();
            text.chars().take(MAX_VALUE).collect::<String>()
        };
        if field.is("feedback-type") && report.feedback_type.is_empty() {
            report.feedback_type = value().to_ascii_lowercase();
        } else if field.is("user-agent") && report.user_agent.is_none() {
            report.user_agent = Some(value());
        } else if field.is("original-mail-from") && report.original_mail_from.is_none() {
            report.original_mail_from = Some(angle_free(&value()));
        } else if field.is("original-rcpt-to") && report.original_rcpt_to.len() < MAX_RECIPIENTS {
            report.original_rcpt_to.push(angle_free(&value()));
        }
    }
    (!report.feedback_type.is_empty()).then_some(report)
}

/// An address without the angle brackets around it.
fn angle_free(value: &str) -> String {
    value.trim().trim_start_matches('<').trim_end_matches('>').trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 5965 appendix B.2, with its line breaks as CRLF.
    const RFC_EXAMPLE: &str = "From: <abusedesk@example.com>\r\n\
        Date: Thu, 8 Mar 2005 17:40:36 EDT\r\n\
        Subject: FW: Earn money\r\n\
        To: <abuse@example.net>\r\n\
        MIME-Version: 1.0\r\n\
        Content-Type: multipart/report; report-type=feedback-report;\r\n\
        \tboundary=\"part1_13d.2e68ed54_boundary\"\r\n\
        \r\n\
        --part1_13d.2e68ed54_boundary\r\n\
        Content-Type: text/plain; charset=\"US-ASCII\"\r\n\
        Content-Transfer-Encoding: 7bit\r\n\
        \r\n\
        This is an email abuse report for an email message received from IP\r\n\
        192.0.2.1 on Thu, 8 Mar 2005 14:00:00 EDT.\r\n\
        For more information about this format please see\r\n\
        http://www.mipassoc.org/arf/.\r\n\
        \r\n\
        --part1_13d.2e68ed54_boundary\r\n\
        Content-Type: message/feedback-report\r\n\
        \r\n\
        Feedback-Type: abuse\r\n\
        User-Agent: SomeGenerator/1.0\r\n\
        Version: 1\r\n\
        Original-Mail-From: <somespammer@example.net>\r\n\
        Original-Rcpt-To: <user@example.com>\r\n\
        Arrival-Date: Thu, 8 Mar 2005 14:00:00 EDT\r\n\
        Reporting-MTA: dns; mail.example.com\r\n\
        Source-IP: 192.0.2.1\r\n\
        Authentication-Results: mail.example.com;\r\n\
        \x20              spf=fail smtp.mail=somespammer@example.com\r\n\
        Reported-Domain: example.net\r\n\
        Reported-Uri: http://example.net/earn_money.html\r\n\
        Reported-Uri: mailto:user@example.com\r\n\
        Removal-Recipient: user@example.com\r\n\
        \r\n\
        --part1_13d.2e68ed54_boundary\r\n\
        Content-Type: message/rfc822\r\n\
        Content-Disposition: inline\r\n\
        \r\n\
        From: <somespammer@example.net>\r\n\
        Received: from mailserver.example.net (mailserver.example.net\r\n\
        \x20       [192.0.2.1]) by example.com with ESMTP id M63d4137594e46;\r\n\
        \x20       Thu, 08 Mar 2005 14:00:00 -0400\r\n\
        To: <Undisclosed Recipients>\r\n\
        Subject: Earn money\r\n\
        MIME-Version: 1.0\r\n\
        Content-type: text/plain\r\n\
        Message-ID: 8787KJKJ3K4J3K4J3K4J3.mail@example.net\r\n\
        Date: Thu, 02 Sep 2004 12:31:03 -0500\r\n\
        \r\n\
        Spam Spam Spam\r\n\
        Spam Spam Spam\r\n\
        --part1_13d.2e68ed54_boundary--\r\n";

    #[test]
    fn the_rfc_example_report() {
        let report = parse(&Parsed::new(RFC_EXAMPLE.as_bytes())).expect("a report");
        assert_eq!(report.feedback_type, "abuse");
        assert!(report.is_complaint());
        assert_eq!(report.user_agent.as_deref(), Some("SomeGenerator/1.0"));
        assert_eq!(report.original_mail_from.as_deref(), Some("somespammer@example.net"));
        assert_eq!(report.original_rcpt_to, ["user@example.com"]);
        let header = String::from_utf8(report.original_header).unwrap();
        assert!(header.starts_with("From: <somespammer@example.net>\r\n") && header.contains("Subject: Earn money"));
        assert!(!header.contains("Spam Spam"), "the header only");
    }

    #[test]
    fn headers_only_and_other_feedback_types() {
        let text = RFC_EXAMPLE
            .replace("Content-Type: message/rfc822\r\n", "Content-Type: text/rfc822-headers\r\n")
            .replace("Feedback-Type: abuse", "Feedback-Type: Not-Spam");
        let report = parse(&Parsed::new(text.as_bytes())).expect("a report");
        assert_eq!(report.feedback_type, "not-spam");
        assert!(!report.is_complaint());
        assert!(String::from_utf8_lossy(&report.original_header).contains("Message-ID: 8787"));
    }

    #[test]
    fn mail_that_is_no_report() {
        assert_eq!(parse(&Parsed::new(b"Subject: hi\r\n\r\nFeedback-Type: abuse\r\n")), None, "a plain message");
        let no_type = RFC_EXAMPLE.replace("Feedback-Type: abuse\r\n", "");
        assert_eq!(parse(&Parsed::new(no_type.as_bytes())), None, "no Feedback-Type");
        assert_eq!(parse(&Parsed::new(b"")), None);
    }
}

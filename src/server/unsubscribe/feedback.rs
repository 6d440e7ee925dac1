//! What mail to the unsubscribe and feedback addresses does: a mail to the mailto address
//! names its token in the subject; a feedback report (ARF) returns the header of a message we
//! sent, whose `List-Unsubscribe:` carries the token. Either suppresses that recipient for that
//! sender domain. Tokens are checked, so nobody suppresses others by sending such mail.

use mailauth::arf;
use message::Parsed;
use message::headers::{first, unfold};
use store::journal::{JournalOp, SuppressionOp};

use super::{Unsubscribe, Via, unsubscription};
use crate::events::Event;

/// What one such mail asks for: the op and event to commit, or why nothing is done.
pub type Outcome = Result<(JournalOp, Event), String>;

impl Unsubscribe {
    /// A mail to the mailto address: the token after `unsubscribe` in its subject.
    pub fn mailed_request(&self, message: &Parsed<'_>) -> Outcome {
        let subject = message.header_text("subject").unwrap_or_default();
        let token = subject.split_whitespace().find_map(|w| self.verify(w)).ok_or("no valid token in the subject")?;
        Ok(unsubscription(&token.0, &token.1, Via::Mail))
    }

    /// A mail to a feedback address: a complaint (RFC 5965) about a message with our token.
    pub fn complaint(&self, message: &Parsed<'_>) -> Outcome {
        let report = arf::parse(message).ok_or("not a feedback report (RFC 5965)")?;
        if !report.is_complaint() {
            return Err(format!("feedback of type {:?}, not a complaint", report.feedback_type));
        }
        let field = first(&report.original_header, "list-unsubscribe").ok_or("the reported message has no token")?;
        let value = String::from_utf8_lossy(&unfold(field.value)).into_owned();
        let (domain, recipient) = tokens_in(&value).find_map(|t| self.verify(t)).ok_or("no valid token")?;
        let reporter = report.user_agent.clone().unwrap_or_else(|| "an unnamed reporter".into());
        let reason = format!("complained about the mail of {domain} ({} report by {reporter})", report.feedback_type);
        let op = SuppressionOp::AddFor { domain: domain.clone(), address: recipient.clone(), reason };
        let event = Event::Complaint { domain, address: recipient, feedback_type: report.feedback_type, reporter };
        Ok((JournalOp::Suppression(op), event))
    }
}

/// The candidate tokens in a `List-Unsubscribe:` value: after `/unsubscribe/` and after
/// `unsubscribe%20`.
fn tokens_in(value: &str) -> impl Iterator<Item = &str> {
    ["/unsubscribe/", "unsubscribe%20"].into_iter().flat_map(move |marker| {
        value.match_indices(marker).map(move |(at, _)| {
            let rest = &value[at + marker.len()..];
            let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || "-_.".contains(c))).unwrap_or(rest.len());
            &rest[..end]
        })
    })
}

#[cfg(test)]
mod tests {
    use super::tokens_in;

    #[test]
    fn tokens_after_either_marker() {
        let value = "<https://mx.example/unsubscribe/abc.DEF_1-2>, <mailto:u@mx.example?subject=unsubscribe%20xyz.987>";
        assert_eq!(tokens_in(value).collect::<Vec<_>>(), ["abc.DEF_1-2", "xyz.987"]);
        assert_eq!(tokens_in("<mailto:list@example.org>").count(), 0);
    }
}

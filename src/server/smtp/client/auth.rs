//! AUTH at a relay host (RFC 4954): PLAIN when offered, else LOGIN.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use smtp_proto::reply_reader::ServerReply;

/// A SASL mechanism the client can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mechanism {
    /// RFC 4616: one message with authorization id, user and password.
    Plain,
    /// The older two-step LOGIN exchange.
    Login,
}

/// The mechanism to use, from the `AUTH` line of an EHLO reply.
pub fn choose(ehlo: &ServerReply) -> Option<Mechanism> {
    let offered: Vec<String> = ehlo
        .lines
        .iter()
        .skip(1)
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            words.next().filter(|k| k.eq_ignore_ascii_case("AUTH")).map(|_| words.map(str::to_ascii_uppercase))
        })
        .flatten()
        .collect();
    if offered.iter().any(|m| m == "PLAIN") {
        Some(Mechanism::Plain)
    } else if offered.iter().any(|m| m == "LOGIN") {
        Some(Mechanism::Login)
    } else {
        None
    }
}

/// The `AUTH PLAIN` command with its initial response.
pub fn plain_command(user: &str, password: &str) -> String {
    format!("AUTH PLAIN {}", STANDARD.encode(format!("\0{user}\0{password}")))
}

/// A LOGIN step's answer: base64 of `text`.
pub fn login_step(text: &str) -> String {
    STANDARD.encode(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ehlo(lines: &[&str]) -> ServerReply {
        ServerReply { code: 250, lines: lines.iter().map(|l| l.to_string()).collect() }
    }

    #[test]
    fn plain_is_preferred_and_login_is_the_fallback() {
        assert_eq!(choose(&ehlo(&["mx", "PIPELINING", "AUTH LOGIN PLAIN"])), Some(Mechanism::Plain));
        assert_eq!(choose(&ehlo(&["mx", "auth login"])), Some(Mechanism::Login));
        assert_eq!(choose(&ehlo(&["mx", "AUTH CRAM-MD5"])), None);
        assert_eq!(choose(&ehlo(&["AUTH PLAIN"])), None, "the first line is the greeting, not an extension");
    }

    #[test]
    fn plain_carries_user_and_password_after_nul_bytes() {
        assert_eq!(plain_command("u", "p"), "AUTH PLAIN AHUAcA==");
    }
}

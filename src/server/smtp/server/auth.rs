//! AUTH (RFC 4954) with the PLAIN and LOGIN mechanisms, behind TLS unless configured otherwise,
//! with the brute-force defence of [`crate::auth::throttle`].

use crate::auth::login::{self, LoginOutcome};
use crate::auth::throttle::Verdict;
use sasl::{self, Credentials, Mechanism, SaslError};
use smtp_proto::{Reply, Status};

use super::replies;
use super::session::{Flow, Session};

/// Longest line of a SASL exchange (RFC 4954 section 4).
const MAX_SASL_LINE: usize = 12_288;

impl Session {
    /// Whether this listener takes logins at all.
    pub(super) fn auth_enabled(&self) -> bool {
        self.role.requires_auth() || self.ctx.config.smtp.auth
    }

    /// Whether EHLO advertises AUTH now (enabled here, and TLS is active or not required).
    pub(super) fn auth_offered(&self) -> bool {
        self.auth_enabled() && (self.tls.is_some() || self.ctx.config.auth.allow_plaintext_auth)
    }

    /// AUTH mechanism [initial-response].
    pub(super) async fn auth(&mut self, mechanism: &str, initial: Option<String>) -> Flow {
        if !self.auth_enabled() {
            self.error(Reply::new(502, Status(5, 5, 1), "AUTH is not available on this port"));
            return Flow::Continue;
        }
        if !self.auth_offered() {
            self.error(Reply::new(538, Status(5, 7, 11), "Encryption required: use STARTTLS first"));
            return Flow::Continue;
        }
        if self.hello.is_none() {
            self.error(replies::bad_sequence("Send EHLO first"));
            return Flow::Continue;
        }
        if self.user.is_some() {
            self.error(replies::bad_sequence("Already authenticated"));
            return Flow::Continue;
        }
        if self.transaction.is_some() {
            self.error(replies::bad_sequence("AUTH is not allowed during a mail transaction"));
            return Flow::Continue;
        }
        if self.ctx.logins.throttle.check_ip(self.peer.ip()) == Verdict::Refuse {
            self.reply(too_many_failures());
            return Flow::Close;
        }
        let Some(mechanism) = Mechanism::parse(mechanism) else {
            self.error(Reply::new(504, Status(5, 5, 4), "Unrecognized authentication mechanism"));
            return Flow::Continue;
        };
        let credentials = match self.exchange(mechanism, initial).await {
            Ok(Some(credentials)) => credentials,
            Ok(None) => return Flow::Close,
            Err(e) => {
                let reply = match e {
                    SaslError::Cancelled => Reply::new(501, Status(5, 0, 0), "Authentication cancelled"),
                    SaslError::BadBase64 => Reply::new(501, Status(5, 5, 2), "Invalid base64 data"),
                    SaslError::Malformed(why) => Reply::new(501, Status(5, 5, 2), format!("Malformed response: {why}")),
                };
                self.error(reply);
                return Flow::Continue;
            }
        };
        self.check_credentials(credentials).await
    }

    /// Runs the mechanism's challenges; `Ok(None)` when the connection ended meanwhile.
    async fn exchange(
        &mut self,
        mechanism: Mechanism,
        initial: Option<String>,
    ) -> Result<Option<Credentials>, SaslError> {
        match mechanism {
            Mechanism::Plain => {
                let Some(message) = self.response(initial, "").await else { return Ok(None) };
                sasl::parse_plain(&message?).map(Some)
            }
            Mechanism::Login => {
                let Some(user) = self.response(initial, "Username:").await else { return Ok(None) };
                let username = sasl::parse_login_field(&user?)?;
                let Some(password) = self.response(None, "Password:").await else { return Ok(None) };
                let password = sasl::parse_login_field(&password?)?;
                Ok(Some(Credentials { username, password }))
            }
        }
    }

    /// The client's next SASL message: the initial response if there was one, else the answer
    /// to a `334` challenge.
    async fn response(&mut self, initial: Option<String>, challenge: &str) -> Option<Result<Vec<u8>, SaslError>> {
        if let Some(initial) = initial {
            return Some(sasl::decode_line(initial.as_bytes()));
        }
        self.reply(Reply::plain(334, sasl::encode(challenge.as_bytes())));
        let line = self.read_line(MAX_SASL_LINE).await?;
        Some(sasl::decode_line(&line))
    }

    /// Checks the credentials (see [`login::authenticate`]) and answers.
    async fn check_credentials(&mut self, credentials: Credentials) -> Flow {
        // Send the 334 exchange's last reply before a possible throttle delay.
        let _ = self.flush().await;
        let outcome = login::authenticate("smtp", &self.ctx.store, &self.ctx.logins, self.peer.ip(), credentials).await;
        match outcome {
            LoginOutcome::Success(address) => {
                self.user = Some(address);
                self.reply(Reply::new(235, Status(2, 7, 0), "Authentication successful"));
            }
            LoginOutcome::Invalid => {
                self.error(Reply::new(535, Status(5, 7, 8), "Authentication credentials invalid"));
            }
            LoginOutcome::Blocked => {
                self.reply(too_many_failures());
                return Flow::Close;
            }
            LoginOutcome::Unavailable => {
                self.reply(Reply::new(454, Status(4, 7, 0), "Temporary authentication failure"));
            }
        }
        Flow::Continue
    }
}

/// The answer to an address that failed too often.
fn too_many_failures() -> Reply {
    Reply::new(421, Status(4, 7, 0), "Too many failed logins from your address, try again later")
}

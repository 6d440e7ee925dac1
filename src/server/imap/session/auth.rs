//! CAPABILITY, STARTTLS, LOGIN, AUTHENTICATE PLAIN (with SASL-IR) and ENABLE.

use std::time::Duration;

use super::{Done, Session, State};
use crate::auth::login::{self, LoginOutcome};
use sasl::{self, Credentials, Mechanism};

/// What every state offers.
const BASE: &str = "IMAP4rev1 IMAP4rev2 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UNSELECT CHILDREN";
/// What a logged-in session offers besides.
const AFTER_LOGIN: &str = "UIDPLUS MOVE LIST-EXTENDED LIST-STATUS SPECIAL-USE CONDSTORE ESEARCH STATUS=SIZE BINARY COMPRESS=DEFLATE \
                           QRESYNC MULTIAPPEND CATENATE SORT SORT=DISPLAY ESORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES WITHIN PREVIEW OBJECTID QUOTA QUOTA=RES-STORAGE SEARCHRES SAVEDATE UTF8=ACCEPT";

impl Session {
    /// Whether passwords may be sent now (TLS, or allowed in clear text).
    fn login_allowed(&self) -> bool {
        self.conn.stream().is_tls() || self.ctx.config.auth.allow_plaintext_auth
    }

    /// The capability list for the session's state.
    pub(super) fn capabilities(&self, state: &State) -> String {
        let mut caps = BASE.to_string();
        if !matches!(state, State::NotAuthenticated) {
            caps.push(' ');
            caps.push_str(AFTER_LOGIN);
            // RFC 7889: the largest APPEND taken, so that clients do not upload one to have it refused.
            caps.push_str(&format!(" APPENDLIMIT={}", self.ctx.config.limits.max_message_size.get()));
            return caps;
        }
        if !self.conn.stream().is_tls() {
            caps.push_str(" STARTTLS");
        }
        if self.login_allowed() {
            caps.push_str(" AUTH=PLAIN");
        } else {
            caps.push_str(" LOGINDISABLED");
        }
        caps
    }

    pub(super) async fn starttls(&mut self, tag: &str) -> Done {
        if self.conn.stream().is_tls() {
            self.errors += 1;
            return Done::bad("TLS is active already");
        }
        self.conn.send(format!("{tag} OK Begin TLS negotiation now\r\n").as_bytes());
        if self.conn.flush(self.timeout).await.is_err() {
            return Done::Close;
        }
        // Anything pipelined behind STARTTLS was sent in clear text: never execute it.
        self.conn.discard_input();
        if self.handshake().await { Done::Answered } else { Done::Close }
    }

    /// COMPRESS (RFC 4978): the OK goes out as it is, everything after it both ways deflated.
    pub(super) async fn compress(&mut self, tag: &str, mechanism: &str) -> Done {
        if !mechanism.eq_ignore_ascii_case("DEFLATE") {
            self.errors += 1;
            return Done::bad("Unknown compression mechanism");
        }
        if self.conn.stream().is_deflated() {
            return Done::no("[COMPRESSIONACTIVE] DEFLATE is active already");
        }
        self.conn.send(format!("{tag} OK DEFLATE active\r\n").as_bytes());
        if self.conn.flush(self.timeout).await.is_err() {
            return Done::Close;
        }
        // What the client sent after the command is compressed already.
        let pending = self.conn.input.split();
        self.conn.stream_mut().start_deflate(&pending);
        Done::Answered
    }

    /// LOGIN, from the not-authenticated `state`.
    pub(super) async fn login(&mut self, state: &mut State, user: String, password: String) -> Done {
        if !self.login_allowed() {
            return Done::no("[PRIVACYREQUIRED] Use STARTTLS before logging in");
        }
        self.log_in(state, Credentials { username: user, password }).await
    }

    /// AUTHENTICATE, from the not-authenticated `state`.
    pub(super) async fn authenticate(&mut self, state: &mut State, mechanism: &str, initial: Option<String>) -> Done {
        if Mechanism::parse(mechanism) != Some(Mechanism::Plain) {
            return Done::no("Unsupported authentication mechanism");
        }
        if !self.login_allowed() {
            return Done::no("[PRIVACYREQUIRED] Use STARTTLS before logging in");
        }
        let response = match initial {
            Some(initial) => initial.into_bytes(),
            None => {
                self.conn.send(b"+ \r\n");
                match self.read_line().await {
                    Some(Some(line)) => line,
                    Some(None) => return Done::bad("Line too long"),
                    None => return Done::Close,
                }
            }
        };
        if response == b"*" {
            return Done::bad("Authentication cancelled");
        }
        match sasl::decode_line(&response).and_then(|m| sasl::parse_plain(&m)) {
            Ok(credentials) => self.log_in(state, credentials).await,
            Err(e) => Done::bad(format!("[AUTHENTICATIONFAILED] {e}")),
        }
    }

    /// Checks the credentials; the session is authenticated after when they are right.
    async fn log_in(&mut self, state: &mut State, credentials: Credentials) -> Done {
        let _ = self.conn.flush(self.timeout).await;
        match login::authenticate("imap", &self.ctx.store, &self.ctx.logins, self.peer.ip(), credentials).await {
            LoginOutcome::Success(account) => {
                *state = State::Authenticated(account);
                // RFC 9051 5.4: at least 30 minutes once authenticated.
                let idle = self.ctx.config.limits.mailbox_idle_timeout_secs.get().max(1800);
                self.timeout = Duration::from_secs(idle);
                Done::ok(format!("[CAPABILITY {}] Logged in", self.capabilities(state)))
            }
            LoginOutcome::Invalid => {
                self.errors += 1;
                Done::no("[AUTHENTICATIONFAILED] Authentication failed")
            }
            LoginOutcome::Blocked => {
                self.conn.send(b"* BYE [UNAVAILABLE] Too many failed logins from your address, try again later\r\n");
                Done::Close
            }
            LoginOutcome::Unavailable => Done::no("[UNAVAILABLE] Temporary authentication failure"),
        }
    }

    pub(super) fn enable(&mut self, names: Vec<String>) -> Done {
        let mut enabled = Vec::new();
        for name in names {
            match name.as_str() {
                "CONDSTORE" => self.condstore = true,
                // RFC 7162 3.2.3: QRESYNC implies CONDSTORE.
                "QRESYNC" => (self.condstore, self.qresync) = (true, true),
                "IMAP4REV2" => (self.rev2, self.utf8_names) = (true, true),
                "UTF8=ACCEPT" => self.utf8_names = true,
                _ => continue,
            }
            enabled.push(if name == "IMAP4REV2" { "IMAP4rev2".to_string() } else { name });
        }
        let line = match enabled.is_empty() {
            true => "ENABLED".to_string(),
            false => format!("ENABLED {}", enabled.join(" ")),
        };
        self.untagged(&line);
        Done::ok("ENABLE completed")
    }
}

//! One POP3 session: AUTHORIZATION (CAPA, STLS, USER/PASS, AUTH PLAIN), then TRANSACTION on a
//! snapshot of INBOX, then UPDATE at QUIT, where the messages marked with DELE are expunged in
//! one durable write. A connection that ends any other way deletes nothing.

use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use bytes::BytesMut;

use super::Services;
use super::maildrop::{MAILBOX, Maildrop, MaildropLock, Message};
use super::retr::{self, Stuffer};
use crate::auth::login::{self, LoginOutcome};
use crate::net::connection::OUTPUT_HIGH_WATER;
use crate::net::{Connection, Line, ReadError};
use crate::tls::ServerStream;
use pop3_proto::command::{Command, CommandError};
use sasl::{self, Credentials, Mechanism};
use store::journal::JournalOp;

/// Longest line of a SASL exchange (RFC 5034 allows long initial responses).
const MAX_SASL_LINE: usize = 12_288;

/// A logged-in session's maildrop and its lock.
struct Transaction {
    maildrop: Maildrop,
    _lock: MaildropLock,
}

/// What the loop does after a command.
#[derive(PartialEq, Eq)]
enum Flow {
    Continue,
    Close,
}

/// A POP3 session over one connection.
pub struct Session {
    conn: Connection<ServerStream>,
    ctx: Rc<Services>,
    peer: SocketAddr,
    /// The name given with USER, waiting for PASS.
    user: Option<String>,
    /// Set once logged in.
    transaction: Option<Transaction>,
    errors: usize,
}

impl Session {
    /// A session for a connection from `peer`.
    pub fn new(conn: Connection<ServerStream>, ctx: Rc<Services>, peer: SocketAddr) -> Session {
        Session { conn, ctx, peer, user: None, transaction: None, errors: 0 }
    }

    /// Runs the session to its end; `implicit_tls` starts with a handshake (POP3S).
    pub async fn run(mut self, implicit_tls: bool) {
        if implicit_tls && !self.handshake().await {
            return;
        }
        let greeting = format!("{} POP3 ringmail ready", self.ctx.config.hostname);
        self.ok(&greeting);
        self.serve().await;
        let _ = self.conn.flush(self.timeout()).await;
    }

    async fn serve(&mut self) {
        let max_line = self.ctx.config.limits.max_line_length.get();
        loop {
            if self.conn.shutting_down() {
                self.err("[SYS/TEMP] Server shutting down");
                return;
            }
            match self.conn.take_line(max_line) {
                Line::Complete(line) => {
                    if self.handle(&line).await == Flow::Close {
                        return;
                    }
                }
                Line::TooLong => self.error("Line too long"),
                Line::Incomplete => {
                    if self.conn.flush(self.timeout()).await.is_err() {
                        return;
                    }
                    match self.conn.read_more(self.timeout()).await {
                        Ok(_) => {}
                        Err(ReadError::Shutdown) => return self.err("[SYS/TEMP] Server shutting down"),
                        Err(ReadError::TimedOut) => return self.err("Idle for too long, closing connection"),
                        Err(ReadError::Closed | ReadError::Io(_)) => return,
                    }
                }
            }
            if self.errors >= self.ctx.config.limits.max_errors.get() {
                self.err("Too many errors, closing connection");
                return;
            }
            if self.conn.pending_output() > OUTPUT_HIGH_WATER && self.conn.flush(self.timeout()).await.is_err() {
                return;
            }
        }
    }

    async fn handle(&mut self, line: &[u8]) -> Flow {
        let command = match Command::parse(line) {
            Ok(command) => command,
            Err(CommandError::Unknown) => {
                self.error("Unknown command");
                return Flow::Continue;
            }
            Err(CommandError::Syntax(usage)) => {
                self.error(&format!("Syntax: {usage}"));
                return Flow::Continue;
            }
        };
        match command {
            Command::Capa => self.capa(),
            Command::Quit => return self.quit().await,
            Command::Noop if self.transaction.is_some() => self.ok(""),
            Command::Stls => return self.stls().await,
            Command::User(name) => self.user(name),
            Command::Pass(password) => return self.pass(password).await,
            Command::Auth { mechanism, initial } => return self.auth(mechanism, initial).await,
            _ if self.transaction.is_none() => self.error("Log in first"),
            Command::Stat => self.stat(),
            Command::List(n) => self.list(n),
            Command::Uidl(n) => self.uidl(n),
            Command::Retr(n) => return self.retr(n, None).await,
            Command::Top(n, lines) => return self.retr(n, Some(lines)).await,
            Command::Dele(n) => self.dele(n),
            Command::Rset => {
                self.maildrop().reset();
                self.ok("");
            }
            Command::Noop => unreachable!("handled above"),
        }
        Flow::Continue
    }

    // --- AUTHORIZATION -------------------------------------------------------------------

    /// Whether passwords may be sent now (TLS, or allowed in clear text).
    fn login_allowed(&self) -> bool {
        self.conn.stream().is_tls() || self.ctx.config.auth.allow_plaintext_auth
    }

    fn capa(&mut self) {
        let mut caps = vec!["TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING"];
        if self.transaction.is_none() {
            if self.login_allowed() {
                caps.extend(["USER", "SASL PLAIN"]);
            }
            if !self.conn.stream().is_tls() {
                caps.push("STLS");
            }
        }
        caps.push("IMPLEMENTATION ringmail");
        self.ok("Capability list follows");
        for cap in caps {
            self.conn.send(cap.as_bytes());
            self.conn.send(b"\r\n");
        }
        self.conn.send(b".\r\n");
    }

    async fn stls(&mut self) -> Flow {
        if self.conn.stream().is_tls() || self.transaction.is_some() {
            self.error("STLS is not possible now");
            return Flow::Continue;
        }
        self.ok("Begin TLS negotiation");
        if self.conn.flush(self.timeout()).await.is_err() {
            return Flow::Close;
        }
        // Anything pipelined behind STLS was sent in clear text: never execute it.
        self.conn.discard_input();
        self.user = None;
        if self.handshake().await { Flow::Continue } else { Flow::Close }
    }

    async fn handshake(&mut self) -> bool {
        let timeout = Duration::from_secs(self.ctx.config.limits.command_timeout_secs.get());
        match self.conn.stream_mut().start_tls_within(self.ctx.tls.acceptor(), timeout).await {
            Ok(()) => true,
            Err(e) => {
                tracing::debug!(peer = %self.peer, "POP3 TLS handshake failed: {e}");
                false
            }
        }
    }

    fn user(&mut self, name: String) {
        if self.transaction.is_some() {
            return self.error("Already logged in");
        }
        if !self.login_allowed() {
            return self.error("[AUTH] Plaintext authentication disallowed on non-secure connections: use STLS");
        }
        self.user = Some(name);
        self.ok("Send PASS");
    }

    async fn pass(&mut self, password: String) -> Flow {
        if self.transaction.is_some() {
            self.error("Already logged in");
            return Flow::Continue;
        }
        let Some(username) = self.user.take() else {
            self.error("Send USER first");
            return Flow::Continue;
        };
        self.login(Credentials { username, password }).await
    }

    async fn auth(&mut self, mechanism: Option<String>, initial: Option<String>) -> Flow {
        if self.transaction.is_some() {
            self.error("Already logged in");
            return Flow::Continue;
        }
        let Some(mechanism) = mechanism else {
            self.ok("Mechanisms follow");
            self.conn.send(b"PLAIN\r\n.\r\n");
            return Flow::Continue;
        };
        if Mechanism::parse(&mechanism) != Some(Mechanism::Plain) {
            self.error("Unsupported authentication mechanism");
            return Flow::Continue;
        }
        if !self.login_allowed() {
            self.error("[AUTH] Plaintext authentication disallowed on non-secure connections: use STLS");
            return Flow::Continue;
        }
        let response = match initial {
            Some(initial) => initial.into_bytes(),
            None => {
                self.conn.send(b"+ \r\n");
                match self.read_line(MAX_SASL_LINE).await {
                    Some(line) => line.to_vec(),
                    None => return Flow::Close,
                }
            }
        };
        match sasl::decode_line(&response).and_then(|m| sasl::parse_plain(&m)) {
            Ok(credentials) => self.login(credentials).await,
            Err(e) => {
                self.error(&format!("[AUTH] {e}"));
                Flow::Continue
            }
        }
    }

    /// Checks credentials, then locks and loads the maildrop.
    async fn login(&mut self, credentials: Credentials) -> Flow {
        let _ = self.conn.flush(self.timeout()).await;
        let outcome = login::authenticate("pop3", &self.ctx.store, &self.ctx.logins, self.peer.ip(), credentials).await;
        let account = match outcome {
            LoginOutcome::Success(account) => account,
            LoginOutcome::Invalid => {
                self.error("[AUTH] Authentication failed");
                return Flow::Continue;
            }
            LoginOutcome::Blocked => {
                self.err("[SYS/TEMP] Too many failed logins from your address, try again later");
                return Flow::Close;
            }
            LoginOutcome::Unavailable => {
                self.err("[SYS/TEMP] Temporary authentication failure");
                return Flow::Continue;
            }
        };
        let Some(lock) = self.ctx.maildrop_locks.try_lock(&account) else {
            self.err("[IN-USE] Mailbox is in use by another POP3 session");
            return Flow::Continue;
        };
        let store = self.ctx.store.clone();
        let loading = account.clone();
        match glommio::executor().spawn_blocking(move || Maildrop::load(&store, &loading)).await {
            Ok(maildrop) => {
                let (count, size) = totals(&maildrop);
                self.ok(&format!("Logged in, {count} messages ({size} octets)"));
                self.transaction = Some(Transaction { maildrop, _lock: lock });
            }
            Err(e) => {
                tracing::warn!(%account, "loading the maildrop failed: {e}");
                self.err("[SYS/TEMP] Cannot open the mailbox now");
            }
        }
        Flow::Continue
    }

    // --- TRANSACTION ---------------------------------------------------------------------

    fn maildrop(&mut self) -> &mut Maildrop {
        &mut self.transaction.as_mut().expect("only called in TRANSACTION").maildrop
    }

    fn stat(&mut self) {
        let (count, size) = totals(self.maildrop());
        self.ok(&format!("{count} {size}"));
    }

    fn list(&mut self, n: Option<u32>) {
        self.listing(n, |m| m.size.to_string());
    }

    fn uidl(&mut self, n: Option<u32>) {
        let validity = self.maildrop().uid_validity;
        self.listing(n, move |m| format!("{validity}.{}", m.uid));
    }

    /// LIST and UIDL: one line for message `n`, or a multi-line list of all live messages.
    fn listing(&mut self, n: Option<u32>, value: impl Fn(&Message) -> String) {
        let maildrop = &self.transaction.as_ref().expect("only called in TRANSACTION").maildrop;
        let mut out = BytesMut::new();
        match n {
            Some(n) => match maildrop.get(n) {
                Some(m) => out.extend_from_slice(format!("+OK {n} {}\r\n", value(m)).as_bytes()),
                None => return self.error("No such message"),
            },
            None => {
                let (count, size) = totals(maildrop);
                out.extend_from_slice(format!("+OK {count} messages ({size} octets)\r\n").as_bytes());
                for (n, m) in maildrop.live() {
                    out.extend_from_slice(format!("{n} {}\r\n", value(m)).as_bytes());
                }
                out.extend_from_slice(b".\r\n");
            }
        }
        self.conn.send(&out);
    }

    /// RETR, or TOP when `top` gives the number of body lines. The message is stuffed and
    /// sent a piece at a time, each write awaiting the client, so a slow reader holds the one
    /// message and a bounded output buffer.
    async fn retr(&mut self, n: u32, top: Option<u32>) -> Flow {
        let Some(message) = self.maildrop().get(n).cloned() else {
            self.error("No such message");
            return Flow::Continue;
        };
        let store = self.ctx.store.clone();
        let body = match glommio::executor().spawn_blocking(move || store.blob(message.id)).await {
            Ok(Some(body)) => body,
            Ok(None) => {
                self.err("[SYS/PERM] That message was deleted by another session");
                return Flow::Continue;
            }
            Err(e) => {
                tracing::warn!("reading message {} failed: {e}", message.id);
                self.err("[SYS/TEMP] Cannot read the message now");
                return Flow::Continue;
            }
        };
        let text = match top {
            None => {
                self.ok(&format!("{} octets", message.size));
                &body[..]
            }
            Some(lines) => {
                self.ok("");
                &body[..retr::top_end(&body, lines)]
            }
        };
        let mut stuffer = Stuffer::default();
        for piece in text.chunks(retr::PIECE) {
            stuffer.write(self.conn.output(), piece);
            if self.conn.drain_above_high_water(self.timeout()).await.is_err() {
                return Flow::Close;
            }
        }
        stuffer.finish(self.conn.output());
        Flow::Continue
    }

    fn dele(&mut self, n: u32) {
        if self.maildrop().delete(n) {
            self.ok(&format!("Message {n} deleted"));
        } else {
            self.error("No such message");
        }
    }

    // --- UPDATE --------------------------------------------------------------------------

    /// QUIT: in TRANSACTION, expunge what was marked, durably, before answering.
    async fn quit(&mut self) -> Flow {
        let Some(transaction) = self.transaction.take() else {
            self.ok("Bye");
            return Flow::Close;
        };
        let uids = transaction.maildrop.deleted_uids();
        if uids.is_empty() {
            self.ok("Bye");
            return Flow::Close;
        }
        let op = JournalOp::Expunge { account: transaction.maildrop.account.clone(), mailbox: MAILBOX.into(), uids };
        match self.ctx.journal.submit(op).await {
            Ok(_) => {
                let count = transaction.maildrop.deleted_uids().len();
                self.ok(&format!("Bye, {count} messages deleted"));
            }
            Err(e) => {
                tracing::warn!("POP3 expunge failed: {e}");
                self.err("[SYS/TEMP] Could not delete the messages; nothing was removed");
            }
        }
        Flow::Close
    }

    // --- I/O helpers ---------------------------------------------------------------------

    /// Flushes, then reads the next line of a SASL exchange; `None` when the client left.
    async fn read_line(&mut self, max: usize) -> Option<BytesMut> {
        loop {
            match self.conn.take_line(max) {
                Line::Complete(line) => return Some(line),
                Line::TooLong => return None,
                Line::Incomplete => {
                    self.conn.flush(self.timeout()).await.ok()?;
                    self.conn.read_more(self.timeout()).await.ok()?;
                }
            }
        }
    }

    fn ok(&mut self, text: &str) {
        let line = if text.is_empty() { "+OK\r\n".to_string() } else { format!("+OK {text}\r\n") };
        self.conn.send(line.as_bytes());
    }

    fn err(&mut self, text: &str) {
        self.conn.send(format!("-ERR {text}\r\n").as_bytes());
    }

    /// An error the client caused; too many end the session.
    fn error(&mut self, text: &str) {
        self.errors += 1;
        self.err(text);
    }

    fn timeout(&self) -> Duration {
        Duration::from_secs(self.ctx.config.limits.mailbox_idle_timeout_secs.get())
    }
}

/// Messages not marked deleted, and their octets.
fn totals(maildrop: &Maildrop) -> (usize, u64) {
    maildrop.live().fold((0, 0), |(count, size), (_, m)| (count + 1, size + m.size))
}

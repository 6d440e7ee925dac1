//! One IMAP session: reads commands (with their literals), runs them in the state the session
//! is in (not authenticated, authenticated, selected), and reports other sessions' changes to
//! the selected mailbox where IMAP allows.
//!
//! | file | commands |
//! |---|---|
//! | `auth.rs` | CAPABILITY, STARTTLS, LOGIN, AUTHENTICATE, ENABLE, ID |
//! | `mailboxes.rs` | CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, LIST, LSUB, STATUS, NAMESPACE |
//! | `select.rs` | SELECT, EXAMINE, CLOSE, UNSELECT, EXPUNGE, UID EXPUNGE, IDLE |
//! | `messages.rs` | APPEND, STORE, COPY, MOVE |
//! | `fetch.rs` | FETCH |
//! | `search.rs` | SEARCH |
//! | `summaries.rs` | cached ENVELOPE, BODYSTRUCTURE and search fields for both |

mod auth;
mod fetch;
mod mailboxes;
mod messages;
mod search;
mod select;
mod summaries;

use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use bytes::{Buf, BufMut};

use super::command::{self, Command, LineEnd, Tagged};
use super::view::View;
use crate::net::connection::OUTPUT_HIGH_WATER;
use crate::net::{Connection, Line, ReadError};
use crate::runtime::ShardContext;
use crate::store::StoreError;
use crate::tls::ServerStream;

/// Longest command line (clients send long UID sets; Dovecot allows 64 KiB too).
const MAX_LINE: usize = 64 * 1024;
/// Largest literal in commands other than APPEND (passwords, search strings, names).
const MAX_LITERAL: u64 = 64 * 1024;
/// Timeout before login (RFC 9051 5.4 asks for at least 30 minutes only once authenticated).
const PRE_AUTH_TIMEOUT: Duration = Duration::from_secs(120);

/// How a command ended: the tagged response's status and text.
pub(super) enum Done {
    /// `OK`.
    Ok(String),
    /// `NO`.
    No(String),
    /// `BAD`.
    Bad(String),
    /// The tagged response was written already (STARTTLS answers before its handshake).
    Answered,
    /// The session ends (after LOGOUT's or a fatal error's `BYE`).
    Close,
}

impl Done {
    fn ok(text: impl Into<String>) -> Done {
        Done::Ok(text.into())
    }
    fn no(text: impl Into<String>) -> Done {
        Done::No(text.into())
    }
    fn bad(text: impl Into<String>) -> Done {
        Done::Bad(text.into())
    }
}

/// A store failure as a `NO` answer.
fn store_failure(e: StoreError) -> Done {
    match e {
        StoreError::NotFound(what) => Done::no(format!("[NONEXISTENT] {what} does not exist")),
        StoreError::Exists(what) => Done::no(format!("[ALREADYEXISTS] {what} exists already")),
        StoreError::Refused(why) => Done::no(format!("[CANNOT] {why}")),
        e => {
            tracing::warn!("IMAP store failure: {e}");
            Done::no("[SERVERBUG] The store failed; try again")
        }
    }
}

/// A whole command as read, or why there is none.
enum Read {
    Command(Vec<u8>),
    /// Already answered (line too long, literal refused); read the next one.
    Skipped,
    /// The connection is over.
    Closed,
}

/// An IMAP session over one connection.
pub struct Session {
    conn: Connection<ServerStream>,
    ctx: Rc<ShardContext>,
    peer: SocketAddr,
    /// The logged-in account.
    account: Option<String>,
    /// The selected mailbox.
    view: Option<View>,
    /// CONDSTORE is on (RFC 7162 3.1: enabled by ENABLE or by any CONDSTORE command).
    condstore: bool,
    /// The client enabled IMAP4rev2.
    rev2: bool,
    errors: usize,
}

impl Session {
    /// A session for a connection from `peer`.
    pub fn new(conn: Connection<ServerStream>, ctx: Rc<ShardContext>, peer: SocketAddr) -> Session {
        Session { conn, ctx, peer, account: None, view: None, condstore: false, rev2: false, errors: 0 }
    }

    /// Runs the session to its end; `implicit_tls` starts with a handshake (IMAPS).
    pub async fn run(mut self, implicit_tls: bool) {
        if implicit_tls && !self.handshake().await {
            return;
        }
        let greeting = format!("* OK [CAPABILITY {}] {} IMAP ringmail ready\r\n", self.capabilities(), self.hostname());
        self.conn.send(greeting.as_bytes());
        self.serve().await;
        let _ = self.conn.flush(Duration::from_secs(10)).await;
    }

    async fn serve(&mut self) {
        loop {
            if self.conn.shutting_down() {
                self.conn.send(b"* BYE [UNAVAILABLE] Server shutting down\r\n");
                return;
            }
            let bytes = match self.read_command().await {
                Read::Command(bytes) => bytes,
                Read::Skipped => continue,
                Read::Closed => return,
            };
            let done = match command::parse(&bytes) {
                Ok(Tagged { tag, command }) => {
                    let done = self.run_command(&tag, command).await;
                    (Some(tag), done)
                }
                Err(e) => {
                    self.errors += 1;
                    (e.tag.clone(), Done::bad(e.message))
                }
            };
            if !self.finish(done) {
                return;
            }
            if self.errors >= self.ctx.config.limits.max_errors.get() {
                self.conn.send(b"* BYE Too many errors, closing connection\r\n");
                return;
            }
            if self.conn.pending_output() > OUTPUT_HIGH_WATER && self.conn.flush(self.timeout()).await.is_err() {
                return;
            }
        }
    }

    /// Writes the tagged response; false when the session ends.
    fn finish(&mut self, (tag, done): (Option<String>, Done)) -> bool {
        let tag = tag.unwrap_or_else(|| "*".into());
        let (status, text) = match done {
            Done::Ok(text) => ("OK", text),
            Done::No(text) => ("NO", text),
            Done::Bad(text) => ("BAD", text),
            Done::Answered => return true,
            Done::Close => return false,
        };
        self.conn.send(format!("{tag} {status} {text}\r\n").as_bytes());
        true
    }

    async fn run_command(&mut self, tag: &str, command: Command) -> Done {
        // Commands valid in any state.
        match command {
            Command::Capability => {
                let caps = format!("* CAPABILITY {}\r\n", self.capabilities());
                self.conn.send(caps.as_bytes());
                return self.updated(Done::ok("CAPABILITY completed"), true);
            }
            Command::Noop => return self.updated(Done::ok("NOOP completed"), true),
            Command::Logout => {
                self.conn.send(b"* BYE Logging out\r\n");
                self.conn.send(format!("{tag} OK LOGOUT completed\r\n").as_bytes());
                return Done::Close;
            }
            Command::Id(_) => {
                self.conn.send(b"* ID (\"name\" \"ringmail\" \"version\" \"");
                self.conn.send(env!("CARGO_PKG_VERSION").as_bytes());
                self.conn.send(b"\")\r\n");
                return Done::ok("ID completed");
            }
            _ => {}
        }
        if self.account.is_none() {
            return match command {
                Command::StartTls => self.starttls(tag).await,
                Command::Login { user, password } => self.login(user, password).await,
                Command::Authenticate { mechanism, initial } => self.authenticate(&mechanism, initial).await,
                _ => {
                    self.errors += 1;
                    Done::bad("Log in first")
                }
            };
        }
        let selected_only = matches!(
            command,
            Command::Check
                | Command::Close
                | Command::Unselect
                | Command::Expunge
                | Command::UidExpunge(_)
                | Command::Search { .. }
                | Command::Fetch { .. }
                | Command::Store { .. }
                | Command::Copy { .. }
                | Command::Move { .. }
                | Command::Idle
        );
        if selected_only && self.view.is_none() {
            self.errors += 1;
            return Done::bad("Select a mailbox first");
        }
        // Tell the client of new mail before it acts on the mailbox, so that a search or fetch
        // covers it; expunges only where message numbers cannot be misread.
        if self.view.is_some() && matches!(self.updated(Done::Answered, !uses_numbers(&command)), Done::Close) {
            return Done::Close;
        }
        match command {
            Command::StartTls | Command::Login { .. } | Command::Authenticate { .. } => {
                self.errors += 1;
                Done::bad("Already logged in")
            }
            Command::Enable(names) => self.enable(names),
            Command::Select { mailbox, condstore } => self.select(mailbox, condstore, false).await,
            Command::Examine { mailbox, condstore } => self.select(mailbox, condstore, true).await,
            Command::Create { mailbox } => self.create(mailbox).await,
            Command::Delete { mailbox } => self.delete(mailbox).await,
            Command::Rename { from, to } => self.rename(from, to).await,
            Command::Subscribe { mailbox } => self.subscribe(mailbox, true).await,
            Command::Unsubscribe { mailbox } => self.subscribe(mailbox, false).await,
            Command::List { reference, patterns, select, returns } => {
                self.list(&reference, &patterns, select, returns).await
            }
            Command::Lsub { reference, pattern } => self.lsub(&reference, &pattern).await,
            Command::Namespace => {
                self.conn.send(b"* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n");
                Done::ok("NAMESPACE completed")
            }
            Command::Status { mailbox, items } => self.status(&mailbox, &items).await,
            Command::Append { mailbox, flags, date, message } => self.append(mailbox, &flags, date, message).await,
            Command::Check => self.updated(Done::ok("CHECK completed"), true),
            Command::Close => self.close(true).await,
            Command::Unselect => self.close(false).await,
            Command::Expunge => self.expunge(None).await,
            Command::UidExpunge(set) => self.expunge(Some(set)).await,
            Command::Idle => self.idle(tag).await,
            Command::Search { uid, charset, key, returns } => self.search(tag, uid, charset, key, returns).await,
            Command::Fetch { uid, set, attributes, changed_since } => {
                self.fetch(uid, &set, attributes, changed_since).await
            }
            Command::Store { uid, set, action, silent, flags, unchanged_since } => {
                self.store(uid, &set, action, silent, &flags, unchanged_since).await
            }
            Command::Copy { uid, set, mailbox } => self.copy(uid, &set, mailbox, false).await,
            Command::Move { uid, set, mailbox } => self.copy(uid, &set, mailbox, true).await,
            Command::Capability | Command::Noop | Command::Logout | Command::Id(_) => unreachable!("handled above"),
        }
    }

    /// Reports changes to the selected mailbox before the tagged response; EXPUNGE only when
    /// `expunges` (not after FETCH, STORE or SEARCH by message number).
    fn updated(&mut self, done: Done, expunges: bool) -> Done {
        let Some(view) = self.view.as_mut() else { return done };
        if view.drain() {
            let entries = self.ctx.store.mail_entries_of(self.account.as_deref().unwrap_or_default(), view.id);
            match entries {
                Ok(entries) => view.resync(entries),
                Err(e) => tracing::warn!("IMAP resync failed: {e}"),
            }
        }
        if view.gone {
            self.conn.send(b"* BYE [NONEXISTENT] The selected mailbox was deleted or renamed\r\n");
            self.view = None;
            return Done::Close;
        }
        view.report(self.conn.output(), expunges, self.condstore);
        done
    }

    /// Reads one whole command: its line, and every literal it announces with the lines
    /// after them. Literals are refused before they are read when over the limit.
    async fn read_command(&mut self) -> Read {
        let mut command = Vec::new();
        loop {
            let Some(line) = self.read_line().await else { return Read::Closed };
            let Some(line) = line else {
                self.errors += 1;
                self.conn.send(b"* BAD Line too long\r\n");
                return Read::Skipped;
            };
            command.extend_from_slice(&line);
            command.extend_from_slice(b"\r\n");
            let LineEnd::Literal { length, synchronizing } = command::line_end(&line) else {
                return Read::Command(command);
            };
            let limit = if is_append(&command) { self.ctx.config.limits.max_message_size.get() } else { MAX_LITERAL };
            if length > limit || command.len() as u64 + length > limit + MAX_LITERAL {
                self.errors += 1;
                let tag = command.split(|&b| b == b' ').next().map(String::from_utf8_lossy).unwrap_or_default();
                if !synchronizing {
                    // RFC 7888 4: the octets are on their way; the connection cannot recover.
                    self.conn.send(b"* BYE [TOOBIG] Literal too big\r\n");
                    return Read::Closed;
                }
                self.conn.send(format!("{tag} NO [TOOBIG] Literal of {length} octets is too big\r\n").as_bytes());
                return Read::Skipped;
            }
            if synchronizing {
                self.conn.send(b"+ Ready for literal data\r\n");
            }
            if !self.read_exactly(&mut command, length as usize).await {
                return Read::Closed;
            }
        }
    }

    /// The next line; `Some(None)` when it was too long, `None` when the connection ended.
    async fn read_line(&mut self) -> Option<Option<Vec<u8>>> {
        let max = self.ctx.config.limits.max_line_length.get().max(MAX_LINE);
        loop {
            match self.conn.take_line(max) {
                Line::Complete(line) => return Some(Some(line.to_vec())),
                Line::TooLong => return Some(None),
                Line::Incomplete => self.wait_for_input().await.then_some(())?,
            }
        }
    }

    /// Appends the next `length` octets of input to `out`.
    async fn read_exactly(&mut self, out: &mut Vec<u8>, mut length: usize) -> bool {
        out.reserve(length.min(16 << 20));
        loop {
            let take = length.min(self.conn.input.len());
            out.extend_from_slice(&self.conn.input[..take]);
            self.conn.input.advance(take);
            length -= take;
            if length == 0 {
                return true;
            }
            if !self.wait_for_input().await {
                return false;
            }
        }
    }

    /// Flushes output and waits for more input; false when the session must end.
    async fn wait_for_input(&mut self) -> bool {
        if self.conn.flush(self.timeout()).await.is_err() {
            return false;
        }
        match self.conn.read_more(self.timeout()).await {
            Ok(_) => true,
            Err(ReadError::Shutdown) => {
                self.conn.send(b"* BYE [UNAVAILABLE] Server shutting down\r\n");
                false
            }
            Err(ReadError::TimedOut) => {
                self.conn.send(b"* BYE Autologout; idle for too long\r\n");
                false
            }
            Err(ReadError::Closed | ReadError::Io(_)) => false,
        }
    }

    async fn handshake(&mut self) -> bool {
        let timeout = Duration::from_secs(self.ctx.config.limits.command_timeout_secs.get());
        match self.conn.stream_mut().start_tls_within(self.ctx.tls.acceptor(), timeout).await {
            Ok(()) => true,
            Err(e) => {
                tracing::debug!(peer = %self.peer, "IMAP TLS handshake failed: {e}");
                false
            }
        }
    }

    fn hostname(&self) -> String {
        self.ctx.config.hostname.to_string()
    }

    /// The logged-in account.
    fn account(&self) -> &str {
        self.account.as_deref().expect("only called once logged in")
    }

    /// The inactivity timeout: short before login, 30 minutes or more after (RFC 9051 5.4).
    fn timeout(&self) -> Duration {
        match self.account {
            Some(_) => Duration::from_secs(self.ctx.config.limits.mailbox_idle_timeout_secs.get().max(1800)),
            None => PRE_AUTH_TIMEOUT,
        }
    }

    /// Runs `read` on a blocking thread (RocksDB reads that may touch the disk).
    async fn blocking<T: Send + 'static>(
        &self,
        read: impl FnOnce(crate::store::Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let store = self.ctx.store.clone();
        glommio::executor().spawn_blocking(move || read(store)).await
    }

    /// Appends untagged text to the output.
    fn untagged(&mut self, text: &str) {
        let out = self.conn.output();
        out.put_slice(b"* ");
        out.put_slice(text.as_bytes());
        out.put_slice(b"\r\n");
    }
}

/// Whether the command names messages by number (so no EXPUNGE may precede it).
fn uses_numbers(command: &Command) -> bool {
    match command {
        Command::Fetch { uid, .. }
        | Command::Store { uid, .. }
        | Command::Search { uid, .. }
        | Command::Copy { uid, .. }
        | Command::Move { uid, .. } => !uid,
        _ => false,
    }
}

/// Whether the command being read is an APPEND (whose literal may be a whole message).
fn is_append(command: &[u8]) -> bool {
    let mut words = command.splitn(3, |&b| b == b' ');
    let _tag = words.next();
    words.next().is_some_and(|name| name.eq_ignore_ascii_case(b"APPEND"))
}

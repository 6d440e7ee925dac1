//! One IMAP session: reads commands (with their literals), runs them in the state the session
//! is in (not authenticated, authenticated, selected: [`State`]), and reports other sessions'
//! changes to the selected mailbox where IMAP allows.
//!
//! The dispatcher matches on the state and hands each handler what its state holds: the account
//! to the commands of the authenticated state, the [`Selected`] mailbox to those of the selected
//! state. Handlers that enter a state (LOGIN, AUTHENTICATE, SELECT, EXAMINE) are given the state
//! to replace; CLOSE and UNSELECT leave it in the dispatcher.
//!
//! | file | commands |
//! |---|---|
//! | `auth.rs` | CAPABILITY, STARTTLS, LOGIN, AUTHENTICATE, ENABLE, ID |
//! | `mailboxes.rs` | CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, LIST, LSUB, STATUS, NAMESPACE |
//! | `select.rs` | SELECT, EXAMINE, CLOSE, UNSELECT, EXPUNGE, UID EXPUNGE, IDLE |
//! | `messages.rs` | APPEND, STORE, COPY, MOVE |
//! | `fetch.rs` | FETCH |
//! | `search.rs` | SEARCH |
//! | `sort.rs` | SORT, THREAD |
//! | `quota.rs` | GETQUOTA, GETQUOTAROOT, SETQUOTA, and the quota checks of APPEND and COPY |
//! | `summaries.rs` | cached ENVELOPE, BODYSTRUCTURE and search fields for both |

mod auth;
mod catenate;
mod fetch;
mod mailboxes;
mod messages;
mod qresync;
mod quota;
mod search;
mod select;
mod sort;
mod summaries;
mod utf8_names;

use std::mem;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use bytes::{Buf, BufMut};

use super::Services;
use super::view::View;
use crate::net::connection::OUTPUT_HIGH_WATER;
use crate::net::{Connection, Line, ReadError, Reservation};
use crate::tls::ServerStream;
use imap_proto::command::{self, Command, LineEnd, Tagged};
use store::StoreError;

/// Longest command line (clients send long UID sets; Dovecot allows 64 KiB too).
const MAX_LINE: usize = 64 * 1024;
/// Most messages' worth of octets (the message size limit each) one MULTIAPPEND may carry.
pub(super) const MAX_APPEND_MESSAGES: u64 = 4;
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

/// The session's state (RFC 9051 3); LOGOUT ends the session instead of entering a state.
enum State {
    /// Before LOGIN or AUTHENTICATE.
    NotAuthenticated,
    /// Logged in as the account, no mailbox selected.
    Authenticated(String),
    /// Logged in, with a mailbox selected (boxed: the view is large, the other states small).
    Selected(Box<Selected>),
}

impl State {
    /// Leaves the selected state for the authenticated one; false when no mailbox was selected.
    fn unselect(&mut self) -> bool {
        let State::Selected(selected) = self else { return false };
        *self = State::Authenticated(mem::take(&mut selected.account));
        true
    }
}

/// The selected state: the account and its selected mailbox.
struct Selected {
    /// The logged-in account.
    account: String,
    /// The mailbox as the client knows it (read-only after EXAMINE).
    view: View,
}

/// An IMAP session over one connection.
pub struct Session {
    conn: Connection<ServerStream>,
    ctx: Rc<Services>,
    peer: SocketAddr,
    /// The inactivity timeout: short before login, 30 minutes or more after (RFC 9051 5.4).
    timeout: Duration,
    /// CONDSTORE is on (RFC 7162 3.1: enabled by ENABLE or by any CONDSTORE command).
    condstore: bool,
    /// The client enabled QRESYNC (RFC 7162 3.2.3): expunges are reported as VANISHED.
    qresync: bool,
    /// The client enabled IMAP4rev2.
    rev2: bool,
    /// The client sends and reads mailbox names in UTF-8 (IMAP4rev2 or UTF8=ACCEPT).
    utf8_names: bool,
    errors: usize,
    /// The APPEND literals of the command being read, held against `[limits] message_memory`
    /// until the command is done.
    literals: Reservation,
}

impl Session {
    /// A session for a connection from `peer`.
    pub fn new(conn: Connection<ServerStream>, ctx: Rc<Services>, peer: SocketAddr) -> Session {
        let literals = ctx.message_memory.reservation();
        Session {
            conn,
            ctx,
            peer,
            timeout: PRE_AUTH_TIMEOUT,
            condstore: false,
            qresync: false,
            rev2: false,
            utf8_names: false,
            errors: 0,
            literals,
        }
    }

    /// Runs the session to its end; `implicit_tls` starts with a handshake (IMAPS).
    pub async fn run(mut self, implicit_tls: bool) {
        if implicit_tls && !self.handshake().await {
            return;
        }
        let mut state = State::NotAuthenticated;
        let greeting =
            format!("* OK [CAPABILITY {}] {} IMAP ringmail ready\r\n", self.capabilities(&state), self.hostname());
        self.conn.send(greeting.as_bytes());
        self.serve(&mut state).await;
        let _ = self.conn.flush(Duration::from_secs(10)).await;
    }

    async fn serve(&mut self, state: &mut State) {
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
                    let done = self.run_command(state, &tag, command).await;
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
            if self.conn.pending_output() > OUTPUT_HIGH_WATER && self.conn.flush(self.timeout).await.is_err() {
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

    /// Runs one command: those of any state, else those of the session's `state`, with what
    /// that state holds; SELECT and EXAMINE (from either logged-in state), CLOSE and UNSELECT
    /// change the state here, LOGIN and AUTHENTICATE in their handlers.
    async fn run_command(&mut self, state: &mut State, tag: &str, mut command: Command) -> Done {
        self.stored_names(&mut command);
        // Commands valid in any state.
        match command {
            Command::Capability => {
                let caps = format!("* CAPABILITY {}\r\n", self.capabilities(state));
                self.conn.send(caps.as_bytes());
                return self.report(state, Done::ok("CAPABILITY completed"));
            }
            Command::Noop => return self.report(state, Done::ok("NOOP completed")),
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
        // CATENATE's relative URLs name the selected mailbox.
        let selected_name = match &*state {
            State::Selected(selected) if matches!(command, Command::Append { .. }) => Some(selected.view.name.clone()),
            _ => None,
        };
        let account = match state {
            State::NotAuthenticated => {
                return match command {
                    Command::StartTls => self.starttls(tag).await,
                    Command::Login { user, password } => self.login(state, user, password).await,
                    Command::Authenticate { mechanism, initial } => self.authenticate(state, &mechanism, initial).await,
                    _ => {
                        self.errors += 1;
                        Done::bad("Log in first")
                    }
                };
            }
            _ if matches!(command, Command::Compress { .. }) => {
                let Command::Compress { mechanism } = command else { unreachable!() };
                return self.compress(tag, &mechanism).await;
            }
            State::Authenticated(account) => &*account,
            State::Selected(selected) => {
                // Tell the client of new mail before it acts on the mailbox, so that a search or
                // fetch covers it; expunges only where message numbers cannot be misread.
                if let Done::Close = self.updated(selected, Done::Answered, !uses_numbers(&command)) {
                    return Done::Close;
                }
                if let Command::Close | Command::Unselect = command {
                    let done = self.close(selected, matches!(command, Command::Close)).await;
                    state.unselect();
                    return done;
                }
                command = match self.run_selected(selected, tag, command).await {
                    Ok(done) => return done,
                    Err(command) => command,
                };
                &selected.account
            }
        };
        let (mailbox, params, read_only) = match command {
            Command::Select { mailbox, params } => (mailbox, params, false),
            Command::Examine { mailbox, params } => (mailbox, params, true),
            command => {
                let reports = reports_changes(&command);
                return match self.run_authenticated(account, selected_name.as_deref(), command).await {
                    Ok(done @ Done::Ok(_)) if reports => self.report(state, done),
                    Ok(done) => done,
                    Err(command) => {
                        self.errors += 1;
                        match command {
                            Command::StartTls | Command::Login { .. } | Command::Authenticate { .. } => {
                                Done::bad("Already logged in")
                            }
                            _ => Done::bad("Select a mailbox first"),
                        }
                    }
                };
            }
        };
        let account = account.clone();
        self.select(state, account, mailbox, params, read_only).await
    }

    /// Runs a command of the authenticated state (valid in the selected state too) as
    /// `account`, SELECT and EXAMINE aside; hands back any other.
    async fn run_authenticated(
        &mut self,
        account: &str,
        selected: Option<&str>,
        command: Command,
    ) -> Result<Done, Command> {
        Ok(match command {
            Command::Enable(names) => self.enable(names),
            Command::Create { mailbox } => self.create(account, mailbox).await,
            Command::Delete { mailbox } => self.delete(account, mailbox).await,
            Command::Rename { from, to } => self.rename(account, from, to).await,
            Command::Subscribe { mailbox } => self.subscribe(account, mailbox, true).await,
            Command::Unsubscribe { mailbox } => self.subscribe(account, mailbox, false).await,
            Command::List { reference, patterns, select, returns } => {
                self.list(account, &reference, &patterns, select, returns).await
            }
            Command::Lsub { reference, pattern } => self.lsub(account, &reference, &pattern).await,
            Command::Namespace => {
                self.conn.send(b"* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n");
                Done::ok("NAMESPACE completed")
            }
            Command::Status { mailbox, items } => self.status(account, &mailbox, &items).await,
            Command::GetQuota { root } => self.get_quota(account, &root).await,
            Command::GetQuotaRoot { mailbox } => self.get_quota_root(account, &mailbox).await,
            Command::SetQuota { .. } => Done::no("[NOPERM] Quotas are set by the administrator"),
            Command::Append { mailbox, messages } => self.append(account, selected, mailbox, messages).await,
            command => return Err(command),
        })
    }

    /// Runs a command of the selected state on `selected`, CLOSE and UNSELECT aside; hands
    /// back any other.
    async fn run_selected(&mut self, selected: &mut Selected, tag: &str, command: Command) -> Result<Done, Command> {
        Ok(match command {
            Command::Check => self.updated(selected, Done::ok("CHECK completed"), true),
            Command::Expunge => self.expunge(selected, None).await,
            Command::UidExpunge(set) => self.expunge(selected, Some(set)).await,
            Command::Idle => self.idle(selected, tag).await,
            Command::Search { uid, charset, key, returns } => {
                self.search(selected, tag, uid, charset, key, returns).await
            }
            Command::Sort { uid, criteria, charset, key, returns } => {
                self.sort(selected, tag, uid, (&criteria, &charset), key, returns).await
            }
            Command::Thread { uid, algorithm, charset, key } => {
                self.thread(selected, uid, algorithm, &charset, key).await
            }
            Command::Fetch { uid, set, attributes, changed_since, vanished } => {
                self.fetch(selected, uid, &set, attributes, (changed_since, vanished)).await
            }
            Command::Store { uid, set, action, silent, flags, unchanged_since } => {
                self.store(selected, uid, &set, action, silent, &flags, unchanged_since).await
            }
            Command::Copy { uid, set, mailbox } => self.copy(selected, uid, &set, mailbox, false).await,
            Command::Move { uid, set, mailbox } => self.copy(selected, uid, &set, mailbox, true).await,
            command => return Err(command),
        })
    }

    /// Reports changes to the selected mailbox, if there is one, as [`Session::updated`] does.
    fn report(&mut self, state: &mut State, done: Done) -> Done {
        match state {
            State::Selected(selected) => self.updated(selected, done, true),
            State::NotAuthenticated | State::Authenticated(_) => done,
        }
    }

    /// Reports changes to the selected mailbox before the tagged response; EXPUNGE only when
    /// `expunges` (not after FETCH, STORE or SEARCH by message number).
    fn updated(&mut self, selected: &mut Selected, done: Done, expunges: bool) -> Done {
        let view = &mut selected.view;
        if view.drain() {
            match self.ctx.store.mail_entries_of(&selected.account, view.id) {
                Ok(entries) => view.resync(entries),
                Err(e) => tracing::warn!("IMAP resync failed: {e}"),
            }
        }
        if view.gone {
            self.conn.send(b"* BYE [NONEXISTENT] The selected mailbox was deleted or renamed\r\n");
            return Done::Close;
        }
        view.vanished = self.qresync;
        view.report(self.conn.output(), expunges, self.condstore);
        done
    }

    /// Reads one whole command: its line, and every literal it announces with the lines
    /// after them. Literals are refused before they are read when over the limit, and APPEND
    /// literals when `[limits] message_memory` cannot hold them.
    async fn read_command(&mut self) -> Read {
        // The last command's APPEND literals are stored or dropped: their octets go back.
        self.literals = self.ctx.message_memory.reservation();
        let mut command = Vec::new();
        let mut literals = 0;
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
            let append = is_append(&command);
            let limit = if append { self.ctx.config.limits.max_message_size.get() } else { MAX_LITERAL };
            // A MULTIAPPEND (RFC 3502) holds several messages, each up to the limit.
            let total = if append { limit.saturating_mul(MAX_APPEND_MESSAGES) } else { limit };
            if length > limit || command.len() as u64 + length > total + MAX_LITERAL {
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
            literals += 1;
            if append && literals > imap_proto::command::MAX_APPEND_PARTS {
                self.errors += 1;
                let tag = command.split(|&b| b == b' ').next().map(String::from_utf8_lossy).unwrap_or_default();
                if !synchronizing {
                    self.conn.send(b"* BYE [LIMIT] Too many messages in one APPEND\r\n");
                    return Read::Closed;
                }
                self.conn.send(format!("{tag} NO [LIMIT] Too many messages in one APPEND\r\n").as_bytes());
                return Read::Skipped;
            }
            if append && !self.literals.reserve_to(self.literals.held() + length as usize + line.len()) {
                // Every session together already holds `[limits] message_memory` of messages.
                let tag = command.split(|&b| b == b' ').next().map(String::from_utf8_lossy).unwrap_or_default();
                if !synchronizing {
                    self.conn.send(b"* BYE [UNAVAILABLE] Insufficient system resources\r\n");
                    return Read::Closed;
                }
                let text = format!("{tag} NO [UNAVAILABLE] Insufficient system resources, try again later\r\n");
                self.conn.send(text.as_bytes());
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
        if self.conn.flush(self.timeout).await.is_err() {
            return false;
        }
        match self.conn.read_more(self.timeout).await {
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

    /// Runs `read` on a blocking thread (RocksDB reads that may touch the disk).
    async fn blocking<T: Send + 'static>(
        &self,
        read: impl FnOnce(store::Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let store = self.ctx.store.clone();
        glommio::executor().spawn_blocking(move || read(store)).await
    }

    /// A CONDSTORE enabling command (RFC 7162 3.1) on the selected mailbox: from now on
    /// FETCH responses carry MODSEQ; the first one also reports the mailbox's highest
    /// mod-sequence, which its SELECT did not.
    fn enable_condstore(&mut self, view: &crate::imap::view::View) {
        if !self.condstore {
            self.condstore = true;
            self.untagged(&format!("OK [HIGHESTMODSEQ {}] Highest", view.highest_modseq));
        }
    }

    /// Appends untagged text to the output.
    fn untagged(&mut self, text: &str) {
        let out = self.conn.output();
        out.put_slice(b"* ");
        out.put_slice(text.as_bytes());
        out.put_slice(b"\r\n");
    }
}

/// Whether the command, one of the authenticated state, reports the selected mailbox's changes
/// when it succeeds.
fn reports_changes(command: &Command) -> bool {
    matches!(
        command,
        Command::Create { .. }
            | Command::Delete { .. }
            | Command::Rename { .. }
            | Command::Subscribe { .. }
            | Command::Unsubscribe { .. }
            | Command::Status { .. }
            | Command::Append { .. }
    )
}

/// Whether the command names messages by number (so no EXPUNGE may precede it).
fn uses_numbers(command: &Command) -> bool {
    match command {
        Command::Fetch { uid, .. }
        | Command::Store { uid, .. }
        | Command::Search { uid, .. }
        | Command::Sort { uid, .. }
        | Command::Thread { uid, .. }
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

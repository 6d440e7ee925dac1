//! One SMTP session: read a command, dispatch it to its handler, answer; repeat.

use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use super::checks::SpfCheck;
use super::delivered::SuccessWanted;
use super::listener::Role;
use super::parts::ReceivedParts;
use super::replies;
use super::services::Services;
use crate::config::RelayNetwork;
use crate::net::connection::OUTPUT_HIGH_WATER;
use crate::net::{Connection, Line, ReadError, Reservation};
use crate::tls::{ServerStream, TlsInfo};
use mailauth::dkim::StreamingBodyHashes;
use smtp_proto::{Command, MailParams, Mailbox, MessageBody, Reply, Status};
use store::journal::RemoteRecipient;

/// What the loop does after a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Flow {
    /// Read the next command.
    Continue,
    /// Send what is buffered and close.
    Close,
}

/// The client's greeting.
pub(super) struct Hello {
    /// Name the client gave.
    pub name: String,
    /// EHLO (true) or HELO (false).
    pub extended: bool,
}

/// The mail transaction between MAIL and the end of DATA/BDAT LAST (or RSET).
pub(super) struct Transaction {
    /// Reverse path; `None` for `<>`.
    pub from: Option<Mailbox>,
    /// MAIL parameters.
    pub params: MailParams,
    /// Accepted recipients as the client wrote them.
    pub recipients: Vec<Mailbox>,
    /// Local accounts that get the message (distinct, lower-case).
    pub local: Vec<String>,
    /// Remote recipients to queue, with their DSN parameters (distinct addresses).
    pub remote: Vec<RemoteRecipient>,
    /// The unsubscribe and feedback addresses among the recipients: the message is read,
    /// not stored, for them.
    pub reports: Vec<String>,
    /// Local recipients whose delivery is to be reported (`NOTIFY=SUCCESS`).
    pub success_wanted: Vec<SuccessWanted>,
    /// SPF of MAIL FROM, for mail from other servers.
    pub spf: Option<SpfCheck>,
    /// Content received so far by BDAT, if BDAT was used.
    pub chunks: Option<Chunks>,
    /// Content already in the store, for a message larger than `[limits] message_part_size`.
    pub parts: Option<ReceivedParts>,
    /// The octets of the server's message memory this transaction's content holds; released
    /// when the transaction ends, however it ends.
    pub memory: Reservation,
}

/// BDAT content received so far.
#[derive(Default)]
pub(super) struct Chunks {
    /// The message so far.
    pub body: MessageBody,
    /// Octets received, including any past the limit.
    pub received: u64,
    /// DKIM body hashes computed as the chunks arrive, for mail that is checked.
    pub hashes: Option<StreamingBodyHashes>,
    /// The content outgrew the server's message memory: the rest is discarded and every
    /// chunk from then on is answered `452 4.3.1`.
    pub over_budget: bool,
}

/// An SMTP session over one connection.
pub struct Session {
    pub(super) conn: Connection<ServerStream>,
    pub(super) ctx: Rc<Services>,
    pub(super) peer: SocketAddr,
    pub(super) role: Role,
    /// What TLS was negotiated, once it is active.
    pub(super) tls: Option<TlsInfo>,
    /// The account that logged in with AUTH.
    pub(super) user: Option<String>,
    pub(super) hello: Option<Hello>,
    pub(super) transaction: Option<Transaction>,
    errors: usize,
}

impl Session {
    /// A session in `role` for a connection from `peer`.
    pub fn new(conn: Connection<ServerStream>, ctx: Rc<Services>, peer: SocketAddr, role: Role) -> Session {
        Session { conn, ctx, peer, role, tls: None, user: None, hello: None, transaction: None, errors: 0 }
    }

    /// Whether the client is in `relay_networks` (our own hosts).
    pub(super) fn client_in_relay_networks(&self) -> bool {
        let ip = self.peer.ip();
        let config = &self.ctx.config;
        config.relay_networks.iter().any(|net| net.contains(&ip))
            || config.relay_network.iter().any(|r| r.network.contains(&ip))
    }

    /// The `[[relay_network]]` entry that restricts this client's sender domains: the most
    /// specific network it is in, when that is such an entry rather than one of `relay_networks`.
    pub(super) fn relay_restriction(&self) -> Option<&RelayNetwork> {
        let ip = self.peer.ip();
        let config = &self.ctx.config;
        let open = config.relay_networks.iter().filter(|net| net.contains(&ip)).map(|net| net.prefix_len()).max();
        let restricted = config.relay_network.iter().filter(|r| r.network.contains(&ip));
        let entry = restricted.max_by_key(|r| r.network.prefix_len())?;
        (open.is_none_or(|open| entry.network.prefix_len() > open) && self.user.is_none()).then_some(entry)
    }

    /// Runs the session to its end and closes the connection.
    pub async fn run(mut self) {
        if self.role.implicit_tls() && !self.handshake().await {
            return;
        }
        if let Some(refusal) = self.connect_refusal().await {
            self.reply(refusal);
            let _ = self.conn.flush(self.command_timeout()).await;
            return;
        }
        let greeting = format!("{} ESMTP ringmail", self.ctx.config.hostname);
        self.reply(Reply::plain(220, greeting));
        self.serve().await;
        let _ = self.conn.flush(self.command_timeout()).await;
    }

    async fn serve(&mut self) {
        let max_line = self.ctx.config.limits.max_line_length.get();
        let max_errors = self.ctx.config.limits.max_errors.get();
        loop {
            if self.transaction.is_none() && self.conn.shutting_down() {
                self.reply(replies::shutting_down());
                return;
            }
            match self.conn.take_line(max_line) {
                Line::Complete(line) => {
                    if self.handle(&line).await == Flow::Close {
                        return;
                    }
                }
                Line::TooLong => self.error(replies::line_too_long()),
                Line::Incomplete => {
                    if self.flush().await.is_err() {
                        return;
                    }
                    if let Err(e) = self.conn.read_more(self.command_timeout()).await {
                        self.end_on_read_error(e);
                        return;
                    }
                }
            }
            if self.errors >= max_errors {
                self.reply(replies::too_many_errors());
                return;
            }
            if self.conn.pending_output() > OUTPUT_HIGH_WATER && self.flush().await.is_err() {
                return;
            }
        }
    }

    async fn handle(&mut self, line: &[u8]) -> Flow {
        let command = match Command::parse(line) {
            Ok(command) => command,
            Err(e) => {
                self.error(replies::for_command_error(&e));
                return Flow::Continue;
            }
        };
        if self.pipelined_without_permission(&command) {
            self.error(replies::improper_pipelining());
            return Flow::Continue;
        }
        match command {
            Command::Ehlo(name) => self.hello(name, true),
            Command::Helo(name) => self.hello(name, false),
            Command::Mail { from, params } => self.mail(from, params).await,
            Command::Rcpt { to, params } => self.rcpt(to, params),
            Command::Data => return self.data().await,
            Command::Bdat { size, last } => return self.bdat(size, last).await,
            Command::Rset => {
                self.transaction = None;
                self.reply(replies::ok());
            }
            Command::Noop => self.reply(replies::ok()),
            Command::Vrfy => self.reply(Reply::new(252, Status(2, 5, 0), "Cannot VRFY user, but will accept message")),
            Command::Help => self.reply(Reply::new(214, Status(2, 0, 0), "See RFC 5321; ringmail speaks ESMTP")),
            Command::Quit => {
                self.reply(replies::bye());
                return Flow::Close;
            }
            Command::StartTls => return self.starttls().await,
            Command::Auth { mechanism, initial } => return self.auth(&mechanism, initial).await,
        }
        Flow::Continue
    }

    /// RFC 2920: only a client that was offered PIPELINING (after EHLO) may send transaction
    /// commands without waiting for each reply.
    fn pipelined_without_permission(&self, command: &Command) -> bool {
        let offered = self.hello.as_ref().is_some_and(|h| h.extended);
        let in_transaction = matches!(command, Command::Mail { .. } | Command::Rcpt { .. } | Command::Data);
        !offered && in_transaction && !self.conn.input.is_empty()
    }

    /// Flushes, then reads the next line for a multi-line exchange (AUTH). `None` when the
    /// client went away or timed out (the farewell is queued), or sent an overlong line.
    pub(super) async fn read_line(&mut self, max: usize) -> Option<bytes::BytesMut> {
        loop {
            match self.conn.take_line(max) {
                Line::Complete(line) => return Some(line),
                Line::TooLong => {
                    self.error(replies::line_too_long());
                    return None;
                }
                Line::Incomplete => {
                    self.flush().await.ok()?;
                    if let Err(e) = self.conn.read_more(self.command_timeout()).await {
                        self.end_on_read_error(e);
                        return None;
                    }
                }
            }
        }
    }

    /// Queues a reply.
    pub(super) fn reply(&mut self, reply: Reply) {
        reply.write_to(self.conn.output());
    }

    /// Queues a reply to a client error and counts it.
    pub(super) fn error(&mut self, reply: Reply) {
        self.errors += 1;
        self.reply(reply);
    }

    /// Sends buffered replies.
    pub(super) async fn flush(&mut self) -> std::io::Result<()> {
        let timeout = self.command_timeout();
        self.conn.flush(timeout).await
    }

    /// Queues the farewell for a read that ended the session.
    pub(super) fn end_on_read_error(&mut self, error: ReadError) {
        match error {
            ReadError::TimedOut => self.reply(replies::timeout()),
            ReadError::Shutdown => self.reply(replies::shutting_down()),
            ReadError::Closed | ReadError::Io(_) => {}
        }
    }

    pub(super) fn command_timeout(&self) -> Duration {
        Duration::from_secs(self.ctx.config.limits.command_timeout_secs.get())
    }

    pub(super) fn data_timeout(&self) -> Duration {
        Duration::from_secs(self.ctx.config.limits.data_timeout_secs.get())
    }
}

/// The reply when the server's message memory (`[limits] message_memory`) is spent.
pub(super) fn insufficient_resources() -> Reply {
    Reply::new(452, Status(4, 3, 1), "Insufficient system resources, try again later")
}

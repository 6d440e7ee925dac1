//! The SMTP client for outbound delivery (RFC 5321): one transaction with one server, with
//! STARTTLS as the route's policy asks, AUTH at relay hosts, PIPELINING, CHUNKING, SIZE,
//! 8BITMIME (8-bit mail re-encoded for a server without it), SMTPUTF8 and DSN, and an outcome
//! for every recipient.

mod auth;
mod commands;
pub mod tcp;

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use futures_lite::future::or;
use futures_rustls::TlsConnector;
use mailauth::tlsrpt::ResultType;
use rustls::pki_types::ServerName;

use crate::config::outbound::TlsPolicy;
use crate::net::{Connection, Line, Shutdown};
use crate::tls::client::Connectors;
use crate::tls::dane::DaneHost;
use crate::tls::{ClientStream, TlsInfo};
use commands::{mail_command, rcpt_command};
use message::dot_stuffing::write_terminated;
use message::seven_bit;
use smtp_proto::RcptParams;
use smtp_proto::dsn::Ret;
use smtp_proto::reply_reader::ReplyReader;
pub use smtp_proto::reply_reader::ServerReply;

/// Longest reply line we read.
const MAX_REPLY_LINE: usize = 4096;

/// What to send.
#[derive(Debug, Clone, Copy)]
pub struct Envelope<'a> {
    /// Reverse path; empty for the null sender.
    pub sender: &'a str,
    /// Forward paths, all for this server, with their DSN parameters.
    pub recipients: &'a [Recipient],
    /// The message, CRLF line endings, not dot-stuffed.
    pub message: &'a [u8],
    /// `RET` to pass on to a server that offers DSN.
    pub ret: Option<Ret>,
    /// `ENVID` to pass on to a server that offers DSN.
    pub envid: Option<&'a str>,
    /// The message came in with SMTPUTF8.
    pub smtputf8: bool,
}

/// One forward path.
#[derive(Debug, Clone)]
pub struct Recipient {
    /// The address.
    pub address: String,
    /// `NOTIFY` and `ORCPT`, passed on to a server that offers DSN.
    pub dsn: RcptParams,
}

/// How long to wait (RFC 5321 section 4.5.3.2 gives the minimums).
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// For the TCP connection.
    pub connect: Duration,
    /// For each reply to a command.
    pub command: Duration,
    /// For sending the message and its final reply.
    pub data: Duration,
}

/// What happened to one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecipientOutcome {
    /// The server took responsibility for it.
    Delivered(ServerReply),
    /// A 5xx: do not retry.
    Failed(ServerReply),
    /// A 4xx or a failure on the way: retry later.
    Deferred(String),
}

/// The result of a transaction that got as far as the recipients.
#[derive(Debug)]
pub struct Transaction {
    /// One outcome per recipient, in the envelope's order.
    pub outcomes: Vec<RecipientOutcome>,
    /// The TLS the session used, if any.
    pub tls: Option<TlsInfo>,
    /// The server offered DSN, so it reports delivery itself.
    pub dsn: bool,
}

/// What follows the envelope.
enum Next {
    /// No recipient was accepted: nothing to send.
    Nothing,
    /// The server's reply to DATA.
    Data(ServerReply),
    /// Send the message with BDAT (CHUNKING, RFC 3030).
    Bdat,
}

/// Why no recipient got an individual outcome.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// Connection trouble or a 4xx before RCPT: try another host or later.
    #[error("{0}")]
    Temporary(String),
    /// A 5xx to MAIL (or to every step before RCPT): the message cannot go this way.
    #[error("{0}")]
    Permanent(ServerReply),
    /// A session taken from the pool did not answer its RSET: the server went away while it
    /// was idle, before it heard anything of this message. Send it on a fresh session.
    #[error("{0}")]
    Stale(String),
    /// The TLS the policy requires could not be had (temporary, like [`SessionError::Temporary`]):
    /// why, as TLS reports (RFC 8460) name it, and the text.
    #[error("{1}")]
    Tls(ResultType, String),
}

/// An open SMTP session with one server, ready for a transaction; it can carry several
/// messages one after the other.
pub struct Session {
    client: Client,
    ehlo: ServerReply,
    /// The TLS the session uses, if any.
    pub tls: Option<TlsInfo>,
    /// Transactions completed on it.
    pub messages: usize,
    /// When it last finished a transaction.
    pub idle_since: Instant,
    /// Taken from the pool: the next transaction starts with RSET, to learn whether the server
    /// is still there.
    probe: bool,
}

/// Where and how to connect.
#[derive(Debug, Clone, Copy)]
pub struct Peer<'a> {
    /// The server's address.
    pub addr: SocketAddr,
    /// Its host name (the MX or relay host), for TLS.
    pub host: &'a str,
    /// The name to say in EHLO.
    pub helo: &'a str,
    /// Local address to connect from, if the route's pool picked one.
    pub source: Option<IpAddr>,
    /// Whether to use STARTTLS.
    pub tls: TlsPolicy,
    /// DANE: the server must offer STARTTLS and its certificate must match these records
    /// (whatever `tls` says).
    pub dane: Option<&'a DaneHost>,
    /// User and password for AUTH, sent only over TLS.
    pub login: Option<(&'a str, &'a str)>,
}

/// Connects to the peer, reads the greeting, says EHLO, starts TLS as the policy says and
/// logs in when asked to.
pub async fn connect(
    peer: &Peer<'_>,
    timeouts: Timeouts,
    connectors: &Connectors,
    shutdown: Shutdown,
) -> Result<Session, SessionError> {
    let addr = peer.addr;
    let tcp = tcp::connect(addr, peer.source, timeouts.connect)
        .await
        .map_err(|e| SessionError::Temporary(format!("{addr}: {e}")))?;
    let mut client = Client { conn: Connection::new(ClientStream::Plain(tcp), shutdown), timeouts, addr };
    match client.open(peer, connectors).await {
        Ok(ehlo) => {
            let tls = client.conn.stream().tls_info();
            Ok(Session { client, ehlo, tls, messages: 0, idle_since: Instant::now(), probe: false })
        }
        Err(e) => {
            client.quit().await;
            Err(e)
        }
    }
}

impl Session {
    /// Sends one message. Afterwards the session is ready for the next one only if this
    /// returned `Ok`; otherwise close it.
    pub async fn send(&mut self, envelope: &Envelope<'_>) -> Result<Transaction, SessionError> {
        let probe = std::mem::take(&mut self.probe);
        let result = self.client.transaction(&self.ehlo, envelope, probe).await;
        self.messages += 1;
        self.idle_since = Instant::now();
        let dsn = self.ehlo.has_extension("DSN");
        result.map(|outcomes| Transaction { outcomes, tls: self.tls.clone(), dsn })
    }

    /// Marks a session taken from the pool: its next transaction begins with RSET, in the
    /// same write as the envelope when the server offers PIPELINING (RFC 2920 lets RSET
    /// start a group), so that checking the server is still there costs no round trip. No
    /// answer to it gives [`SessionError::Stale`].
    pub fn reuse(&mut self) {
        self.probe = true;
    }

    /// Says QUIT and closes.
    pub async fn quit(mut self) {
        self.client.quit().await;
    }
}

struct Client {
    conn: Connection<ClientStream>,
    timeouts: Timeouts,
    addr: SocketAddr,
}

impl Client {
    /// Greeting, EHLO, STARTTLS with a second EHLO, and AUTH; returns the last EHLO reply.
    async fn open(&mut self, peer: &Peer<'_>, connectors: &Connectors) -> Result<ServerReply, SessionError> {
        let command = self.timeouts.command;
        let greeting = self.read(command).await?;
        self.expect_positive(greeting, "greeting")?;
        let mut ehlo = self.hello(peer.helo).await?;
        let required = peer.tls.requires_tls() || peer.dane.is_some();
        if (peer.tls != TlsPolicy::None || peer.dane.is_some()) && ehlo.has_extension("STARTTLS") {
            let dane_connector;
            let connector = match peer.dane {
                Some(host) => {
                    dane_connector = connectors.for_dane(host);
                    &dane_connector
                }
                None => connectors.for_policy(peer.tls).map_err(|e| self.temporary(e))?,
            };
            let ready = self.command("STARTTLS", command).await?;
            if ready.code == 220 {
                self.start_tls(peer.host, connector, peer.dane.is_some()).await?;
                ehlo = self.hello(peer.helo).await?;
            } else if required {
                let text = format!("TLS is required, but STARTTLS was answered with {ready}");
                return Err(self.tls_failure(ResultType::StarttlsNotSupported, text));
            }
        }
        let encrypted = self.conn.stream().tls_info().is_some();
        if required && !encrypted {
            let text = "TLS is required, but the server does not offer STARTTLS".to_string();
            return Err(self.tls_failure(ResultType::StarttlsNotSupported, text));
        }
        if let Some((user, password)) = peer.login {
            if !encrypted {
                return Err(self.temporary("not sending the password: the session is not encrypted".into()));
            }
            self.login(&ehlo, user, password).await?;
        }
        Ok(ehlo)
    }

    /// The TLS handshake after the server's `220` to STARTTLS; `dane` when the certificate is
    /// checked against TLSA records.
    async fn start_tls(&mut self, host: &str, connector: &TlsConnector, dane: bool) -> Result<(), SessionError> {
        let name =
            ServerName::try_from(host.to_string()).unwrap_or_else(|_| ServerName::IpAddress(self.addr.ip().into()));
        // Anything the server sent before the handshake is not to be trusted.
        self.conn.discard_input();
        let handshake = self.conn.stream_mut().start_tls(connector, name);
        let limit = self.timeouts.command;
        let expire = async {
            glommio::timer::sleep(limit).await;
            Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "timed out"))
        };
        or(handshake, expire)
            .await
            .map_err(|e| self.tls_failure(handshake_failure(&e, dane), format!("TLS handshake failed: {e}")))
    }

    /// AUTH PLAIN (or LOGIN) as `user`. A refused login is temporary: the mail waits in the
    /// queue until the administrator fixes the password.
    async fn login(&mut self, ehlo: &ServerReply, user: &str, password: &str) -> Result<(), SessionError> {
        let command = self.timeouts.command;
        let reply = match auth::choose(ehlo) {
            Some(auth::Mechanism::Plain) => self.command(&auth::plain_command(user, password), command).await?,
            Some(auth::Mechanism::Login) => {
                let mut reply = self.command("AUTH LOGIN", command).await?;
                for step in [user, password] {
                    if reply.code != 334 {
                        break;
                    }
                    reply = self.command(&auth::login_step(step), command).await?;
                }
                reply
            }
            None => return Err(self.temporary("the server offers no AUTH PLAIN or LOGIN".into())),
        };
        if reply.code == 235 { Ok(()) } else { Err(self.temporary(format!("login as {user} failed: {reply}"))) }
    }

    fn temporary(&self, text: String) -> SessionError {
        SessionError::Temporary(format!("{}: {text}", self.addr))
    }

    fn tls_failure(&self, kind: ResultType, text: String) -> SessionError {
        SessionError::Tls(kind, format!("{}: {text}", self.addr))
    }

    /// RSET when `probe`, MAIL, RCPT for each recipient, then DATA or BDAT: one outcome per
    /// recipient.
    async fn transaction(
        &mut self,
        ehlo: &ServerReply,
        envelope: &Envelope<'_>,
        probe: bool,
    ) -> Result<Vec<RecipientOutcome>, SessionError> {
        let command = self.timeouts.command;
        let downgraded;
        let envelope = match envelope.message.is_ascii() || ehlo.has_extension("8BITMIME") {
            true => envelope,
            false => match seven_bit::to_seven_bit(envelope.message) {
                Some(message) => {
                    downgraded = message;
                    &Envelope { message: &downgraded, ..*envelope }
                }
                None => {
                    let text = "5.6.3 the message has 8-bit content that cannot be made 7-bit, and the server \
                                does not offer 8BITMIME";
                    return Err(SessionError::Permanent(ServerReply { code: 554, lines: vec![text.into()] }));
                }
            },
        };
        let mail = mail_command(ehlo, envelope)?;
        let chunking = ehlo.has_extension("CHUNKING");
        let (mut outcomes, next) = if ehlo.has_extension("PIPELINING") {
            self.envelope_pipelined(&mail, ehlo, envelope, chunking, probe).await?
        } else {
            if probe {
                let reset = self.command("RSET", command).await;
                self.probed(reset)?;
            }
            self.envelope_in_turn(&mail, ehlo, envelope, chunking).await?
        };
        let final_reply = match next {
            Next::Nothing => {
                // No recipient was accepted: leave the server ready for another transaction.
                let reset = self.command("RSET", command).await?;
                self.expect_positive(reset, "RSET")?;
                return Ok(outcomes);
            }
            Next::Bdat => {
                self.conn.send(format!("BDAT {} LAST\r\n", envelope.message.len()).as_bytes());
                self.conn.send(envelope.message);
                self.flush(self.timeouts.data).await?;
                self.read(self.timeouts.data).await?
            }
            Next::Data(data) if data.code == 354 => {
                write_terminated(self.conn.output(), envelope.message);
                self.flush(self.timeouts.data).await?;
                self.read(self.timeouts.data).await?
            }
            // A 2xx or 3xx other than 354 would leave the message unsent: never "delivered".
            Next::Data(data) if data.code < 400 => {
                return Err(SessionError::Temporary(format!("{} answered DATA with {data}", self.addr)));
            }
            Next::Data(data) => data,
        };
        // The recipients RCPT accepted share the fate of the message.
        for outcome in &mut outcomes {
            if matches!(outcome, RecipientOutcome::Delivered(_)) {
                *outcome = classify(final_reply.clone());
            }
        }
        Ok(outcomes)
    }

    /// MAIL, then each RCPT waiting for its reply, then DATA if a recipient was accepted (or
    /// nothing more when the message goes by BDAT).
    async fn envelope_in_turn(
        &mut self,
        mail: &str,
        ehlo: &ServerReply,
        envelope: &Envelope<'_>,
        chunking: bool,
    ) -> Result<(Vec<RecipientOutcome>, Next), SessionError> {
        let command = self.timeouts.command;
        let reply = self.command(mail, command).await?;
        self.expect_positive(reply, "MAIL")?;
        let mut outcomes = Vec::with_capacity(envelope.recipients.len());
        for rcpt in envelope.recipients {
            let reply = self.command(&rcpt_command(ehlo, rcpt), command).await?;
            outcomes.push(classify(reply));
        }
        if !outcomes.iter().any(|o| matches!(o, RecipientOutcome::Delivered(_))) {
            return Ok((outcomes, Next::Nothing));
        }
        if chunking {
            return Ok((outcomes, Next::Bdat));
        }
        let data = self.command("DATA", command).await?;
        Ok((outcomes, Next::Data(data)))
    }

    /// RFC 2920: RSET (when `probe`), MAIL, every RCPT and DATA (unless the message goes by
    /// BDAT) in one write, then their replies in order. A DATA that a server wrongly accepts
    /// without recipients gets an empty message ended at once.
    async fn envelope_pipelined(
        &mut self,
        mail: &str,
        ehlo: &ServerReply,
        envelope: &Envelope<'_>,
        chunking: bool,
        probe: bool,
    ) -> Result<(Vec<RecipientOutcome>, Next), SessionError> {
        let command = self.timeouts.command;
        if probe {
            self.conn.send(b"RSET\r\n");
        }
        self.conn.send(mail.as_bytes());
        self.conn.send(b"\r\n");
        for rcpt in envelope.recipients {
            self.conn.send(rcpt_command(ehlo, rcpt).as_bytes());
            self.conn.send(b"\r\n");
        }
        if !chunking {
            self.conn.send(b"DATA\r\n");
        }
        let flushed = self.flush(command).await;
        if probe {
            // Nothing of this message counts until the server has answered the RSET.
            let reset = match flushed {
                Ok(()) => self.read(command).await,
                Err(e) => Err(e),
            };
            self.probed(reset)?;
        } else {
            flushed?;
        }
        let mail_reply = self.read(command).await?;
        let mut outcomes = Vec::with_capacity(envelope.recipients.len());
        for _ in envelope.recipients {
            outcomes.push(classify(self.read(command).await?));
        }
        let accepted = outcomes.iter().any(|o| matches!(o, RecipientOutcome::Delivered(_)));
        let next = if chunking {
            if accepted { Next::Bdat } else { Next::Nothing }
        } else {
            let data = self.read(command).await?;
            if data.code == 354 && (!mail_reply.is_positive() || !accepted) {
                self.conn.send(b".\r\n");
                self.flush(command).await?;
                self.read(self.timeouts.data).await?;
            }
            if accepted { Next::Data(data) } else { Next::Nothing }
        };
        self.expect_positive(mail_reply, "MAIL")?;
        Ok((outcomes, next))
    }

    /// EHLO, or HELO when the server does not know EHLO.
    async fn hello(&mut self, helo: &str) -> Result<ServerReply, SessionError> {
        let reply = self.command(&format!("EHLO {helo}"), self.timeouts.command).await?;
        if reply.is_positive() {
            return Ok(reply);
        }
        let reply = self.command(&format!("HELO {helo}"), self.timeouts.command).await?;
        self.expect_positive(reply, "HELO")
    }

    async fn quit(&mut self) {
        if self.command("QUIT", Duration::from_secs(5)).await.is_err() {
            tracing::debug!(addr = %self.addr, "no answer to QUIT");
        }
    }

    /// The RSET that starts a reused session's transaction: anything but a 2xx means the
    /// session is stale.
    fn probed(&self, reset: Result<ServerReply, SessionError>) -> Result<(), SessionError> {
        match reset {
            Ok(reply) if reply.is_positive() => Ok(()),
            Ok(reply) => Err(SessionError::Stale(format!("{} answered RSET with {reply}", self.addr))),
            Err(e) => Err(SessionError::Stale(e.to_string())),
        }
    }

    fn expect_positive(&self, reply: ServerReply, step: &str) -> Result<ServerReply, SessionError> {
        match reply {
            r if r.is_positive() => Ok(r),
            r if r.is_permanent() && step == "MAIL" => Err(SessionError::Permanent(r)),
            r => Err(SessionError::Temporary(format!("{} answered {step} with {r}", self.addr))),
        }
    }

    async fn command(&mut self, line: &str, timeout: Duration) -> Result<ServerReply, SessionError> {
        self.conn.send(line.as_bytes());
        self.conn.send(b"\r\n");
        self.flush(timeout).await?;
        self.read(timeout).await
    }

    async fn flush(&mut self, timeout: Duration) -> Result<(), SessionError> {
        self.conn.flush(timeout).await.map_err(|e| SessionError::Temporary(format!("{}: {e}", self.addr)))
    }

    /// Reads one reply; the whole reply must arrive within `timeout`, however it is split.
    async fn read(&mut self, timeout: Duration) -> Result<ServerReply, SessionError> {
        let deadline = Instant::now() + timeout;
        let mut reader = ReplyReader::default();
        loop {
            match self.conn.take_line(MAX_REPLY_LINE) {
                Line::Complete(line) => match reader.line(&line) {
                    Ok(Some(reply)) => return Ok(reply),
                    Ok(None) => {}
                    Err(e) => return Err(SessionError::Temporary(format!("{}: {e}", self.addr))),
                },
                Line::TooLong => return Err(SessionError::Temporary(format!("{}: reply line too long", self.addr))),
                Line::Incomplete => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    self.conn
                        .read_more(left)
                        .await
                        .map_err(|e| SessionError::Temporary(format!("{}: {e}", self.addr)))?;
                }
            }
        }
    }
}

/// A reply to RCPT or to the end of DATA, as a recipient outcome.
fn classify(reply: ServerReply) -> RecipientOutcome {
    if reply.is_positive() {
        RecipientOutcome::Delivered(reply)
    } else if reply.is_permanent() {
        RecipientOutcome::Failed(reply)
    } else {
        RecipientOutcome::Deferred(reply.to_string())
    }
}

/// How a failed handshake counts in TLS reports: what rustls found wrong with the certificate
/// (under DANE: that it matched no TLSA record).
fn handshake_failure(e: &std::io::Error, dane: bool) -> ResultType {
    use rustls::CertificateError as Cert;
    match e.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
        Some(rustls::Error::InvalidCertificate(_)) if dane => ResultType::TlsaInvalid,
        Some(rustls::Error::InvalidCertificate(cert)) => match cert {
            Cert::NotValidForName | Cert::NotValidForNameContext { .. } => ResultType::CertificateHostMismatch,
            Cert::Expired | Cert::ExpiredContext { .. } => ResultType::CertificateExpired,
            Cert::UnknownIssuer | Cert::BadSignature => ResultType::CertificateNotTrusted,
            _ => ResultType::ValidationFailure,
        },
        _ => ResultType::ValidationFailure,
    }
}

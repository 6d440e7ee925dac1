//! The admin socket's requests: what `ringmail` commands ask of the server, as the one JSON
//! line the CLI writes to `data_dir/admin.sock` (or hands to the store itself when no server
//! runs). Plain data and a parser with no I/O, so the socket's input can be fuzzed.
//!
//! The `clap` feature derives the subcommands and value names the CLI reads them with.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

use serde::{Deserialize, Serialize};

/// Longest request line the server reads (its newline included).
pub const MAX_REQUEST: u64 = 1 << 20;

/// Why a request line was refused.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// Longer than [`MAX_REQUEST`].
    #[error("admin request longer than {MAX_REQUEST} bytes")]
    TooLong,
    /// Not one JSON [`Request`] (the text says where and why).
    #[error("{0}")]
    Json(#[from] serde_json::Error),
}

/// Reads one request line (the trailing newline, if any, is ignored).
pub fn parse_request(line: &[u8]) -> Result<Request, RequestError> {
    if line.len() as u64 > MAX_REQUEST {
        return Err(RequestError::TooLong);
    }
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    Ok(serde_json::from_slice(line)?)
}

/// Writes a request as the line [`parse_request`] reads, newline included.
pub fn request_line(request: &Request) -> Vec<u8> {
    let mut line = serde_json::to_vec(request).expect("a request always serializes");
    line.push(b'\n');
    line
}

/// One administrative request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    /// Add a local domain.
    DomainAdd {
        /// The domain name.
        domain: String,
        /// Where its `postmaster@` and `abuse@` go (default: the server's postmaster).
        #[serde(default)]
        postmaster: Option<String>,
    },
    /// Remove a local domain.
    DomainDel {
        /// The domain name.
        domain: String,
    },
    /// List local domains.
    DomainList,
    /// Create an account.
    UserAdd {
        /// The account address.
        address: String,
        /// The new password in clear text (hashed before storage).
        password: String,
        /// May submit mail with any envelope sender.
        #[serde(default)]
        send_as_anyone: bool,
    },
    /// Delete an account and its mail.
    UserDel {
        /// The account address.
        address: String,
    },
    /// List accounts.
    UserList,
    /// Let an account send as another address or domain, or as anyone.
    UserGrant {
        /// The account address.
        address: String,
        /// What it may send as.
        grant: Grant,
    },
    /// Take such a permission back.
    UserRevoke {
        /// The account address.
        address: String,
        /// What it may no longer send as.
        grant: Grant,
    },
    /// Show an account's storage quota and usage, or set it (`none` removes it).
    UserQuota {
        /// The account address.
        address: String,
        /// The new limit: octets with an optional `K`, `M`, `G` or `T` suffix (1024-based), or
        /// `none`; `None` only shows it.
        limit: Option<String>,
    },
    /// Change an account's password.
    UserPasswd {
        /// The account address.
        address: String,
        /// The new password in clear text (hashed before storage).
        password: String,
    },
    /// Add targets to an alias (`@domain` for a catch-all).
    AliasAdd {
        /// The alias address, or `@domain` for a catch-all.
        alias: String,
        /// Where mail for the alias goes.
        targets: Vec<String>,
    },
    /// Delete an alias.
    AliasDel {
        /// The alias address, or `@domain` for a catch-all.
        alias: String,
    },
    /// List aliases.
    AliasList,
    /// List the messages of a mailbox.
    MailList {
        /// The account address.
        address: String,
        /// The mailbox name, e.g. `INBOX`.
        mailbox: String,
    },
    /// Print one stored message.
    MailCat {
        /// The account address.
        address: String,
        /// The mailbox name, e.g. `INBOX`.
        mailbox: String,
        /// The message UID within the mailbox.
        uid: u32,
    },
    /// List suppressed recipients.
    SuppressionList,
    /// List the TLS reports other senders mailed us, those about `domain` only if given.
    TlsReports {
        /// A policy domain.
        #[serde(default)]
        domain: Option<String>,
    },
    /// Suppress a recipient by hand.
    SuppressionAdd {
        /// The recipient address.
        address: String,
        /// Why.
        reason: String,
    },
    /// Lift a suppression.
    SuppressionDel {
        /// The recipient address.
        address: String,
        /// Only the suppression for this sender domain.
        #[serde(default)]
        domain: Option<String>,
    },
    /// Add an entry to the allow or block list.
    AccessAdd {
        /// Which list.
        list: List,
        /// A network, domain or address.
        entry: String,
    },
    /// Remove an entry from the allow or block list.
    AccessDel {
        /// Which list.
        list: List,
        /// The entry.
        entry: String,
    },
    /// Show the allow or block list.
    AccessList {
        /// Which list.
        list: List,
    },
    /// Train or test the spam filter.
    Spam {
        /// What to do.
        request: SpamRequest,
    },
    /// Manage DKIM signing keys.
    Dkim {
        /// What to do.
        request: DkimRequest,
    },
    /// Work on the outbound queue.
    Queue {
        /// What to do.
        request: QueueRequest,
    },
    /// The traffic-shaping rules.
    Shaping {
        /// What to do.
        request: ShapingRequest,
    },
    /// Each sending domain's delivered recipients, complaints and complaint rate.
    Senders {
        /// Over how many hours, up to now (at most a week).
        hours: u32,
    },
    /// The source-address pools and their IP warm-up.
    Pool {
        /// What to do.
        request: PoolRequest,
    },
    /// Make an HTTP API token; the answer shows it, once.
    ApiTokenAdd {
        /// Its name.
        name: String,
        /// `inject`, `read`, `metrics` or `admin`.
        scope: String,
        /// The account whose addresses injected mail may use as author.
        #[serde(default)]
        user: Option<String>,
        /// Domains whose addresses injected mail may use as author.
        #[serde(default)]
        domains: Vec<String>,
    },
    /// The API tokens (names, scopes and bindings; never the tokens).
    ApiTokenList,
    /// Delete an API token.
    ApiTokenDel {
        /// Its name.
        name: String,
    },
}

/// What an account may send as, besides its own addresses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grant {
    /// One address (`user@domain`) or every address of a domain (`@domain`).
    Address(String),
    /// Any address at all.
    Anyone,
}

/// A queue request; also the `ringmail queue ...` subcommands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::Subcommand))]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum QueueRequest {
    /// List queued recipients in due order.
    List {
        /// Most entries to list.
        #[cfg_attr(feature = "clap", arg(long, default_value_t = 1000))]
        limit: usize,
        /// Only recipients in this domain.
        #[cfg_attr(feature = "clap", arg(long))]
        domain: Option<String>,
    },
    /// Per destination domain: recipients, deferred ones, age of the oldest, last error.
    Summary,
    /// One queued message: its headers and recipients.
    Show {
        /// The message id (first column of `queue list`).
        id: String,
    },
    /// Try again now.
    Retry {
        /// A message id.
        id: Option<String>,
        /// Every recipient in this domain.
        #[cfg_attr(feature = "clap", arg(long))]
        domain: Option<String>,
    },
    /// Remove from the queue without telling the sender.
    Delete {
        /// A message id.
        id: Option<String>,
        /// Every recipient in this domain.
        #[cfg_attr(feature = "clap", arg(long))]
        domain: Option<String>,
    },
    /// Give up and return messages to their senders with a delivery report.
    Bounce {
        /// A message id.
        id: Option<String>,
        /// Every recipient in this domain.
        #[cfg_attr(feature = "clap", arg(long))]
        domain: Option<String>,
    },
    /// Hold back delivery to a recipient domain or a site (as `queue summary` names it); its
    /// mail stays queued.
    Suspend {
        /// The domain or site.
        destination: String,
        /// Why (shown in the queue and the deferral events).
        #[cfg_attr(feature = "clap", arg(long, default_value = "suspended by the postmaster"))]
        reason: String,
        /// Lift it by itself after this many seconds.
        #[cfg_attr(feature = "clap", arg(long = "for"))]
        for_secs: Option<u64>,
    },
    /// Let delivery to a suspended destination go on, at once.
    Resume {
        /// The domain or site.
        destination: String,
    },
    /// The suspended destinations.
    Suspended,
    /// Hand queued mail to another node (to drain this one): each recipient leaves this queue
    /// only once that node has answered `250`; a refusal there keeps it here. Waits until
    /// nothing that matches is left, or `--wait` seconds.
    Transfer {
        /// The other node's SMTP service, `host:port` (it must let this node relay:
        /// `relay_networks`).
        #[cfg_attr(feature = "clap", arg(long))]
        to: String,
        /// Only mail for this recipient domain.
        #[cfg_attr(feature = "clap", arg(long))]
        domain: Option<String>,
        /// Give up after this many seconds (what is left stays queued here).
        #[cfg_attr(feature = "clap", arg(long = "wait", default_value_t = 600))]
        wait_secs: u64,
    },
}

/// A traffic-shaping request; also the `ringmail shaping ...` subcommands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::Subcommand))]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum ShapingRequest {
    /// The rules in use (shipped and from `[delivery] shaping`), then the actions in force:
    /// which site, what, until when, and the reply that caused it.
    List,
}

/// A pool request; also the `ringmail pool ...` subcommands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::Subcommand))]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum PoolRequest {
    /// Each warming address: its pool, schedule, day, today's allowance per site and what it
    /// sent to each site today.
    Status,
    /// Put an address on a day of its pool's warm-up schedule from today (1: the first day;
    /// past the schedule's end: no limit), for an address warmer or colder than its progress.
    Warmup {
        /// The source address.
        address: String,
        /// The day of the schedule.
        #[cfg_attr(feature = "clap", arg(long))]
        day: u32,
    },
}

/// A DKIM key request; also the `ringmail dkim ...` subcommands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::Subcommand))]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum DkimRequest {
    /// Make a signing key for a domain and print the TXT record to publish.
    Generate {
        /// The signing domain (`d=`), e.g. `example.org`: mail whose From is in it is signed.
        domain: String,
        /// The selector (`s=`): the record goes at `SELECTOR._domainkey.DOMAIN`.
        #[cfg_attr(feature = "clap", arg(long))]
        selector: String,
        /// `ed25519` (RFC 8463) or `rsa` (2048 bits, what every receiver checks).
        #[cfg_attr(feature = "clap", arg(long, default_value = "rsa"))]
        algorithm: String,
    },
    /// Every key with its DNS record.
    List,
    /// Stop signing with a key (after its record has been withdrawn or replaced).
    Del {
        /// The signing domain.
        domain: String,
        /// The selector.
        #[cfg_attr(feature = "clap", arg(long))]
        selector: String,
    },
}

/// A spam filter request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum SpamRequest {
    /// Learn messages (their token hashes) as spam or ham.
    Train {
        /// Spam (true) or ham.
        spam: bool,
        /// Teach one account's filter as well as everyone's.
        account: Option<String>,
        /// Each message's tokens.
        messages: Vec<Vec<u64>>,
    },
    /// Score messages: (name, base64 of the raw message).
    Test {
        /// The messages.
        messages: Vec<(String, String)>,
    },
    /// Messages learned so far.
    Stats,
}

/// Which list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "snake_case")]
pub enum List {
    /// Trusted: never refused by the blocklists.
    Allow,
    /// Refused.
    Block,
}

impl List {
    /// The list's name.
    pub fn as_str(self) -> &'static str {
        match self {
            List::Allow => "allow",
            List::Block => "block",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_keep_the_wire_format() {
        let cases = [
            (
                r#"{"op":"domain_add","domain":"example.org"}"#,
                Request::DomainAdd { domain: "example.org".into(), postmaster: None },
            ),
            (
                r#"{"op":"user_add","address":"a@example.org","password":"pw"}"#,
                Request::UserAdd { address: "a@example.org".into(), password: "pw".into(), send_as_anyone: false },
            ),
            (r#"{"op":"access_list","list":"block"}"#, Request::AccessList { list: List::Block }),
            (
                r#"{"op":"queue","request":{"action":"list","limit":5,"domain":null}}"#,
                Request::Queue { request: QueueRequest::List { limit: 5, domain: None } },
            ),
            (r#"{"op":"dkim","request":{"action":"list"}}"#, Request::Dkim { request: DkimRequest::List }),
            (r#"{"op":"spam","request":{"action":"stats"}}"#, Request::Spam { request: SpamRequest::Stats }),
        ];
        for (line, request) in cases {
            assert_eq!(parse_request(line.as_bytes()).unwrap(), request, "{line}");
            assert_eq!(parse_request(&request_line(&request)).unwrap(), request);
            assert!(request_line(&request).ends_with(b"}\n"));
        }
    }

    #[test]
    fn refuses_what_is_not_one_request() {
        for line in [&b""[..], b"{}", b"{\"op\":\"nothing\"}", b"{\"op\":\"domain_add\"}", b"\xff", b"[1]"] {
            assert!(matches!(parse_request(line), Err(RequestError::Json(_))), "{line:?}");
        }
        let long = [b"{\"op\":\"domain_add\",\"domain\":\"".as_slice(), &[b'a'; MAX_REQUEST as usize], b"\"}"].concat();
        assert!(matches!(parse_request(&long), Err(RequestError::TooLong)));
    }
}

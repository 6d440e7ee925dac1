//! Configuration: one TOML file, every key optional with a sane default.
//!
//! [`Config::default`] is the embedded default that `ringmail serve` runs without a file;
//! `defaults.toml` is the same configuration written out with a comment on every key, and a
//! unit test keeps the two equal. Values are checked while deserializing, so an error always
//! names the key and the file line.

mod bulk;
mod cluster;
mod filtering;
mod http;
mod load;
pub mod outbound;
mod types;
mod webhook;

use std::net::SocketAddr;
use std::num::{NonZeroU64, NonZeroUsize};
use std::path::PathBuf;

use ipnet::IpNet;
use serde::Deserialize;

pub use bulk::{BulkSender, FeedbackConfig, UnsubscribeConfig};
pub use cluster::ClusterConfig;
pub use filtering::{AmbiguousAuthor, AntivirusConfig, DnsblConfig, MailAuthConfig, SpamConfig, SpfFailPolicy};
pub use http::HttpConfig;
pub use load::ConfigError;
pub use types::Hostname;
pub use webhook::{EventKind, Webhook, WebhookUrl};

/// The annotated default configuration printed by `ringmail config defaults`.
pub const DEFAULTS_TOML: &str = include_str!("defaults.toml");

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Name this server uses in greetings, `Received:` headers and as a local mail domain.
    pub hostname: Hostname,
    /// Directory holding the RocksDB store and the admin socket.
    pub data_dir: PathBuf,
    /// Executor shards, one pinned per CPU; 0 means one per online CPU.
    pub shards: usize,
    /// Locked io_uring buffer memory per shard, in KiB.
    pub io_memory_kib: NonZeroUsize,
    /// Client networks allowed to relay to non-local domains without authentication.
    pub relay_networks: Vec<IpNet>,
    /// `[[relay_network]]`: client networks allowed to relay for some sender domains only.
    pub relay_network: Vec<RelayNetwork>,
    /// The port-25 SMTP listener.
    pub smtp: SmtpConfig,
    /// The submission listener (STARTTLS, AUTH required; port 587 in production).
    pub submission: ListenConfig,
    /// The implicit-TLS submission listener (AUTH required; port 465 in production).
    pub submissions: ListenConfig,
    /// POP3 with STLS (port 110 in production).
    pub pop3: ListenConfig,
    /// POP3 over implicit TLS (port 995 in production).
    pub pop3s: ListenConfig,
    /// IMAP with STARTTLS (port 143 in production), and what every IMAP session shares.
    pub imap: ImapConfig,
    /// IMAP over implicit TLS (port 993 in production).
    pub imaps: ListenConfig,
    /// Certificates.
    pub tls: TlsConfig,
    /// Logins and their brute-force defence.
    pub auth: AuthConfig,
    /// The DNS resolver.
    pub dns: DnsConfig,
    /// Outbound delivery.
    pub delivery: DeliveryConfig,
    /// `[[route]]`: relay hosts, TLS policy and AUTH per recipient domain.
    pub route: Vec<outbound::Route>,
    /// `[[pool]]`: local source addresses for outbound connections.
    pub pool: Vec<outbound::Pool>,
    /// `[[warmup]]`: IP warm-up schedules that pools follow.
    pub warmup: Vec<outbound::WarmupSchedule>,
    /// SPF, DKIM and DMARC checks of received mail.
    pub mailauth: MailAuthConfig,
    /// DNS blocklists for client addresses.
    pub dnsbl: DnsblConfig,
    /// Virus scanning of received mail.
    pub antivirus: AntivirusConfig,
    /// The spam filter.
    pub spam: SpamConfig,
    /// The JSON event log.
    pub events: EventsConfig,
    /// `[[webhook]]`: HTTP endpoints the event log is POSTed to.
    pub webhook: Vec<Webhook>,
    /// The HTTP API, the dashboard and the metrics.
    pub http: HttpConfig,
    /// Several nodes sharing limits and lists through Redis.
    pub cluster: ClusterConfig,
    /// `[[bulk_sender]]`: sender domains whose mail carries one-click unsubscribe links.
    pub bulk_sender: Vec<BulkSender>,
    /// The one-click unsubscribe links (RFC 8058).
    pub unsubscribe: UnsubscribeConfig,
    /// Complaint feedback loops (RFC 5965 reports).
    pub feedback: FeedbackConfig,
    /// Protocol limits.
    pub limits: Limits,
}

/// `[[relay_network]]`: clients that may relay without logging in, as `relay_networks`, but
/// only for mail whose envelope sender, `From:` and `Sender:` are in their own domains.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelayNetwork {
    /// The client network.
    pub network: IpNet,
    /// The domains (subdomains included) whose addresses its mail may use.
    pub sender_domains: Vec<String>,
}

impl RelayNetwork {
    /// Whether `domain` is one of the sender domains or a subdomain of one.
    pub fn allows(&self, domain: &str) -> bool {
        domain_within(&self.sender_domains, domain)
    }
}

/// Whether `domain` is one of `domains` or a subdomain of one (any case, trailing dots
/// ignored).
pub fn domain_within(domains: &[String], domain: &str) -> bool {
    let domain = domain.trim_end_matches('.');
    domains.iter().any(|allowed| {
        let allowed = allowed.trim_end_matches('.');
        domain.eq_ignore_ascii_case(allowed)
            || domain.len() > allowed.len()
                && domain.as_bytes()[domain.len() - allowed.len() - 1] == b'.'
                && domain.as_bytes()[domain.len() - allowed.len()..].eq_ignore_ascii_case(allowed.as_bytes())
    })
}

/// `[smtp]`: inbound SMTP.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpConfig {
    /// Addresses to listen on; each shard binds each with SO_REUSEPORT.
    pub listen: Vec<SocketAddr>,
    /// Whether clients may log in (AUTH) on this listener too.
    pub auth: bool,
}

/// `[submission]` and `[submissions]`: where a listener binds.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListenConfig {
    /// Addresses to listen on; empty turns the listener off.
    pub listen: Vec<SocketAddr>,
}

/// `[imap]`: the STARTTLS listener, and the message summaries every IMAP session shares.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImapConfig {
    /// Addresses to listen on; empty turns the listener off.
    pub listen: Vec<SocketAddr>,
    /// Memory for cached message summaries (ENVELOPE, BODYSTRUCTURE, search fields), in MiB.
    pub summary_cache_mib: u64,
    /// Seconds the body of an expunged message stays readable for the sessions (IMAP, POP3)
    /// that have not been told of the expunge yet (RFC 2180 4.1.1).
    pub keep_expunged_secs: u64,
    /// Days the UIDs of expunged messages are remembered for QRESYNC clients (RFC 7162); a
    /// client away longer is told of every UID the mailbox does not hold.
    pub keep_vanished_days: u64,
}

impl Default for ImapConfig {
    fn default() -> ImapConfig {
        ImapConfig {
            listen: vec!["127.0.0.1:2143".parse().unwrap()],
            summary_cache_mib: 64,
            keep_expunged_secs: 300,
            keep_vanished_days: 90,
        }
    }
}

/// `[tls]`: the certificate for `hostname` and per-domain certificates chosen by SNI.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM certificate chain; empty means a self-signed certificate made at first start.
    pub cert: PathBuf,
    /// PEM private key for `cert`.
    pub key: PathBuf,
    /// Certificates for other names, chosen by the name the client asks for (SNI).
    pub sni: Vec<SniCertificate>,
}

/// One `[[tls.sni]]` entry.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SniCertificate {
    /// The host name clients ask for, e.g. `mail.example.org`.
    pub name: Hostname,
    /// PEM certificate chain.
    pub cert: PathBuf,
    /// PEM private key.
    pub key: PathBuf,
}

/// `[dns]`: the stub resolver.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DnsConfig {
    /// Recursive nameservers as `ip:port`; empty means those in `/etc/resolv.conf`.
    pub nameservers: Vec<SocketAddr>,
    /// Milliseconds to wait for one answer before asking the next nameserver.
    pub timeout_ms: NonZeroU64,
    /// Rounds over all nameservers before a lookup fails for now.
    pub attempts: NonZeroUsize,
    /// Answers each shard keeps cached at most (0: no cache).
    pub cache_entries: usize,
    /// The nameservers validate DNSSEC and the path to them is trusted (loopback): their AD
    /// bit is believed, which turns on DANE for outbound TLS (Postfix's
    /// `smtp_dns_support_level = dnssec`).
    pub dnssec: bool,
}

impl Default for DnsConfig {
    fn default() -> DnsConfig {
        DnsConfig {
            nameservers: Vec::new(),
            timeout_ms: NonZeroU64::new(2000).unwrap(),
            attempts: NonZeroUsize::new(2).unwrap(),
            cache_entries: 10_000,
            dnssec: false,
        }
    }
}

/// `[events]`: the JSON-lines event log.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EventsConfig {
    /// The log file; empty turns the log off. Relative paths are under `data_dir`.
    pub file: PathBuf,
    /// Size in MiB at which the file is rotated.
    pub max_size_mib: NonZeroU64,
    /// Rotated files kept (`events.log.1` is the newest).
    pub keep: usize,
    /// Events kept in the store after every webhook has sent them (the newest ones).
    pub retain: u64,
    /// Most events kept in the store for webhooks that have not sent them; past it the oldest
    /// are deleted (logged and counted).
    pub max_backlog: NonZeroU64,
}

impl Default for EventsConfig {
    fn default() -> EventsConfig {
        EventsConfig {
            file: PathBuf::from("events.log"),
            max_size_mib: NonZeroU64::new(100).unwrap(),
            keep: 5,
            retain: 100_000,
            max_backlog: NonZeroU64::new(1_000_000).unwrap(),
        }
    }
}

/// `[delivery]`: outbound delivery of queued mail.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeliveryConfig {
    /// Port of the remote MX hosts (25; tests point it at servers on high ports).
    pub port: u16,
    /// Waits before the 1st, 2nd, ... retry; the last repeats.
    pub retry_schedule_secs: Vec<u64>,
    /// Age after which a message that still cannot be delivered is returned to its sender.
    pub max_age_secs: NonZeroU64,
    /// Seconds to wait for a TCP connection to an MX host.
    pub connect_timeout_secs: NonZeroU64,
    /// Seconds to wait for each reply to a command.
    pub command_timeout_secs: NonZeroU64,
    /// Seconds to wait while sending the message and for its final reply.
    pub data_timeout_secs: NonZeroU64,
    /// Deliveries each shard runs at once.
    pub max_concurrent: NonZeroUsize,
    /// Milliseconds between reads of the queue for recipients coming due (new mail starts at once).
    pub poll_interval_ms: NonZeroU64,
    /// Connections open to one destination domain at once (its deliveries run on one shard).
    pub max_connections_per_destination: NonZeroUsize,
    /// Message rate to one destination domain (`N/s`, `N/min`, `N/h`); 0 is unlimited.
    pub max_rate_per_destination: outbound::Rate,
    /// Limits for particular domains, or for the sites whose mail exchangers are under a domain.
    pub destination: Vec<outbound::DestinationOverride>,
    /// Messages one SMTP connection carries before it is closed.
    pub max_messages_per_connection: NonZeroUsize,
    /// Seconds an open connection waits for the next message before it is closed.
    pub connection_idle_secs: NonZeroU64,
    /// Seconds a recipient may wait in the queue before its sender is told of the delay; 0 = never.
    pub delay_warning_secs: u64,
    /// What happens to mail for a suppressed address.
    pub suppressed: SuppressedRecipients,
    /// PEM file of CAs trusted for `tls = "verify"` routes and MTA-STS, besides the system's;
    /// empty: none.
    pub tls_ca_file: PathBuf,
    /// Domains that share their mail exchangers (a site) also share the destination limits.
    pub sites: bool,
    /// Follow the MTA-STS policies (RFC 8461) of destination domains.
    pub mta_sts: bool,
    /// Port of the HTTPS servers that serve MTA-STS policies (443; tests use their own).
    pub mta_sts_port: u16,
    /// Seconds a policy fetch may take.
    pub mta_sts_timeout_secs: NonZeroU64,
    /// Seconds each TLS report (RFC 8460) covers; 0: no reports.
    pub tls_report_interval_secs: u64,
    /// A TOML file of traffic-shaping rules added to (or replacing) the shipped ones; empty:
    /// the shipped ones alone.
    pub shaping: PathBuf,
    /// Use the shaping rules shipped with ringmail (Gmail, Yahoo, Microsoft, ...).
    pub shaping_defaults: bool,
}

/// What `[delivery] suppressed` does with mail for an address on the suppression list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SuppressedRecipients {
    /// Refuse the recipient at RCPT (`550 5.1.1`).
    #[default]
    Refuse,
    /// Accept it and return a bounce report to the sender at once.
    Bounce,
}

impl Default for DeliveryConfig {
    fn default() -> DeliveryConfig {
        let nz64 = |n| NonZeroU64::new(n).unwrap();
        DeliveryConfig {
            port: 25,
            retry_schedule_secs: vec![60, 300, 900, 1800, 3600, 7200],
            max_age_secs: nz64(5 * 86_400),
            connect_timeout_secs: nz64(30),
            command_timeout_secs: nz64(300),
            data_timeout_secs: nz64(600),
            max_concurrent: NonZeroUsize::new(100).unwrap(),
            poll_interval_ms: nz64(1000),
            max_connections_per_destination: NonZeroUsize::new(20).unwrap(),
            max_rate_per_destination: outbound::Rate::default(),
            destination: Vec::new(),
            max_messages_per_connection: NonZeroUsize::new(100).unwrap(),
            connection_idle_secs: nz64(5),
            delay_warning_secs: 4 * 3600,
            suppressed: SuppressedRecipients::Refuse,
            tls_ca_file: PathBuf::new(),
            sites: true,
            mta_sts: true,
            mta_sts_port: 443,
            mta_sts_timeout_secs: nz64(30),
            tls_report_interval_secs: 86_400,
            shaping: PathBuf::new(),
            shaping_defaults: true,
        }
    }
}

/// `[auth]`: logins and the brute-force defence.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// Offer and accept AUTH on connections without TLS (passwords in clear text).
    pub allow_plaintext_auth: bool,
    /// Failed logins are remembered this many seconds.
    pub failure_window_secs: NonZeroU64,
    /// Failures from one IP address after which each further attempt is delayed.
    pub ip_failures_before_delay: NonZeroUsize,
    /// Failures from one IP address after which it is refused until the window passes.
    pub ip_failures_before_block: NonZeroUsize,
    /// Failures for one account, from anywhere, after which attempts on it are delayed.
    pub account_failures_before_delay: NonZeroUsize,
    /// Seconds a delayed attempt waits before it is answered.
    pub delay_secs: u64,
    /// Seconds a successful login is remembered, so reconnecting clients skip argon2id; 0 = off.
    pub login_cache_secs: u64,
}

/// `[limits]`: bounds on what one client may do.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest message accepted, in octets (advertised as SIZE).
    pub max_message_size: NonZeroU64,
    /// Recipients per transaction; more get `452 4.5.3`.
    pub max_recipients: NonZeroUsize,
    /// Concurrent connections for the whole server.
    pub max_connections: NonZeroUsize,
    /// Concurrent connections from one client IP address.
    pub max_connections_per_ip: NonZeroUsize,
    /// Longest command line in octets, CRLF included; longer lines get `500 5.5.2`.
    pub max_line_length: NonZeroUsize,
    /// Errors a client may cause before it is disconnected with `421`.
    pub max_errors: NonZeroUsize,
    /// Seconds to wait for a command before closing with `421`.
    pub command_timeout_secs: NonZeroU64,
    /// Seconds to wait for each read of message data.
    pub data_timeout_secs: NonZeroU64,
    /// Seconds a mailbox client (POP3) may stay idle before it is disconnected.
    pub mailbox_idle_timeout_secs: NonZeroU64,
    /// Octets of incoming messages (DATA, BDAT, APPEND literals) that all sessions on all shards
    /// together may hold in memory; past it, MAIL and the data that does not fit get `452 4.3.1`
    /// (an APPEND, `NO [UNAVAILABLE]`).
    pub message_memory: NonZeroU64,
    /// Incoming SMTP messages larger than this many octets go to the store in parts of about
    /// this size while they arrive, so a session holds one part, not the whole message.
    pub message_part_size: NonZeroU64,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            hostname: Hostname::default(),
            data_dir: PathBuf::from("ringmail-data"),
            shards: 0,
            io_memory_kib: NonZeroUsize::new(512).unwrap(),
            relay_networks: vec!["127.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()],
            relay_network: Vec::new(),
            smtp: SmtpConfig::default(),
            submission: ListenConfig { listen: vec!["127.0.0.1:2587".parse().unwrap()] },
            submissions: ListenConfig { listen: vec!["127.0.0.1:2465".parse().unwrap()] },
            pop3: ListenConfig { listen: vec!["127.0.0.1:2110".parse().unwrap()] },
            pop3s: ListenConfig { listen: vec!["127.0.0.1:2995".parse().unwrap()] },
            imap: ImapConfig::default(),
            imaps: ListenConfig { listen: vec!["127.0.0.1:2993".parse().unwrap()] },
            tls: TlsConfig::default(),
            auth: AuthConfig::default(),
            dns: DnsConfig::default(),
            delivery: DeliveryConfig::default(),
            route: Vec::new(),
            pool: Vec::new(),
            warmup: Vec::new(),
            mailauth: MailAuthConfig::default(),
            dnsbl: DnsblConfig::default(),
            antivirus: AntivirusConfig::default(),
            spam: SpamConfig::default(),
            events: EventsConfig::default(),
            webhook: Vec::new(),
            http: HttpConfig::default(),
            cluster: ClusterConfig::default(),
            bulk_sender: Vec::new(),
            unsubscribe: UnsubscribeConfig::default(),
            feedback: FeedbackConfig::default(),
            limits: Limits::default(),
        }
    }
}

impl Default for SmtpConfig {
    fn default() -> SmtpConfig {
        SmtpConfig { listen: vec!["127.0.0.1:2525".parse().unwrap()], auth: false }
    }
}

impl Default for AuthConfig {
    fn default() -> AuthConfig {
        AuthConfig {
            allow_plaintext_auth: false,
            failure_window_secs: NonZeroU64::new(900).unwrap(),
            ip_failures_before_delay: NonZeroUsize::new(3).unwrap(),
            ip_failures_before_block: NonZeroUsize::new(10).unwrap(),
            account_failures_before_delay: NonZeroUsize::new(5).unwrap(),
            delay_secs: 3,
            login_cache_secs: 300,
        }
    }
}

impl Default for Limits {
    fn default() -> Limits {
        let nz = |n| NonZeroUsize::new(n).unwrap();
        let nz64 = |n| NonZeroU64::new(n).unwrap();
        Limits {
            max_message_size: nz64(25 * 1024 * 1024),
            max_recipients: nz(100),
            max_connections: nz(10_000),
            max_connections_per_ip: nz(100),
            max_line_length: nz(1000),
            max_errors: nz(20),
            command_timeout_secs: nz64(300),
            data_timeout_secs: nz64(600),
            mailbox_idle_timeout_secs: nz64(1800),
            message_memory: nz64(128 * 1024 * 1024),
            message_part_size: nz64(1024 * 1024),
        }
    }
}

impl Config {
    /// Number of shards to start: `shards`, or the online CPU count when it is 0.
    pub fn shard_count(&self) -> usize {
        match self.shards {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
    }

    /// Path of the admin socket inside `data_dir`.
    pub fn admin_socket(&self) -> PathBuf {
        self.data_dir.join("admin.sock")
    }

    /// Folder inside `data_dir` for the self-signed certificate.
    pub fn tls_dir(&self) -> PathBuf {
        self.data_dir.join("tls")
    }

    /// Path of the RocksDB store inside `data_dir`.
    pub fn store_dir(&self) -> PathBuf {
        self.data_dir.join("store")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotated_defaults_equal_the_embedded_default() {
        let parsed = Config::from_toml(DEFAULTS_TOML, "defaults.toml").unwrap();
        assert_eq!(parsed, Config::default());
    }

    #[test]
    fn every_key_of_the_defaults_is_commented() {
        let mut previous = "";
        for line in DEFAULTS_TOML.lines() {
            let is_key = !line.starts_with('#') && !line.starts_with('[') && line.contains(" = ");
            if is_key {
                assert!(previous.starts_with('#'), "no comment above `{line}`");
            }
            previous = line;
        }
    }

    #[test]
    fn errors_name_the_key_and_line() {
        let err = Config::from_toml("hostname = \"mx.example\"\n\n[limits]\nmax_recipients = 0\n", "f.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("f.toml") && err.contains("line 4") && err.contains("max_recipients"), "{err}");

        let err = Config::from_toml("[smtp]\nlisen = []\n", "f.toml").unwrap_err().to_string();
        assert!(err.contains("line 2") && err.contains("lisen"), "{err}");

        let err = Config::from_toml("hostname = \"bad host\"\n", "f.toml").unwrap_err().to_string();
        assert!(err.contains("line 1") && err.contains("hostname"), "{err}");
    }

    #[test]
    fn a_destination_entry_names_a_domain_or_mail_exchangers() {
        let text = "[[delivery.destination]]\ndomain = \"Example.NET\"\nmax_connections = 5\n\
                    [[delivery.destination]]\nmx = \"google.com\"\nmax_rate = \"10/s\"\n";
        let config = Config::from_toml(text, "f.toml").unwrap();
        let targets: Vec<_> = config.delivery.destination.iter().map(|d| d.target.clone()).collect();
        assert_eq!(
            targets,
            [
                outbound::DestinationTarget::Domain("example.net".to_string().try_into().unwrap()),
                outbound::DestinationTarget::Mx("google.com".to_string().try_into().unwrap()),
            ]
        );
        for wrong in ["domain = \"a.example\"\nmx = \"b.example\"\n", "max_connections = 5\n"] {
            let err = Config::from_toml(&format!("[[delivery.destination]]\n{wrong}"), "f.toml").unwrap_err();
            assert!(err.to_string().contains("either `domain` or `mx`"), "{err}");
        }
    }
}

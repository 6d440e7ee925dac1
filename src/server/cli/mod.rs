//! The `ringmail` command line.

mod dns;
mod spam;

use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};

use crate::admin::dkim::DkimRequest;
use crate::admin::queue::QueueRequest;
use crate::admin::{self, AdminContext, Request};
use crate::config::{Config, DEFAULTS_TOML};
use crate::events::EventLog;
use crate::filter::access::List;
use crate::queue::suspensions::Suspensions;
use admin_proto::{Grant, PoolRequest, ShapingRequest};
use store::{Journal, Store};

/// ringmail: a shard-per-core mail server.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    /// Configuration file (default: the embedded default, see `config defaults`).
    #[arg(long, short, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server until SIGTERM/SIGINT.
    Serve,
    /// Check or print configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Manage local domains.
    #[command(subcommand)]
    Domain(DomainCommand),
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage aliases (`@domain` is a catch-all).
    #[command(subcommand)]
    Alias(AliasCommand),
    /// Read stored mail.
    #[command(subcommand)]
    Mail(MailCommand),
    /// Inspect and manage the outbound queue.
    #[command(subcommand)]
    Queue(QueueRequest),
    /// Traffic shaping: the rules on remote replies and what they hold now.
    #[command(subcommand)]
    Shaping(ShapingRequest),
    /// Source-address pools: their IP warm-up.
    #[command(subcommand)]
    Pool(PoolRequest),
    /// Each sending domain's deliveries, complaints and complaint rate (Gmail wants it under 0.3%).
    Senders {
        /// Over the last HOURS hours (at most 192).
        #[arg(long, default_value_t = 24)]
        hours: u32,
    },
    /// Bearer tokens of the HTTP API.
    #[command(subcommand)]
    ApiToken(ApiTokenCommand),
    /// DKIM signing keys for outbound mail.
    #[command(subcommand)]
    Dkim(DkimRequest),
    /// Clients and senders that are never refused by the DNS blocklists.
    #[command(subcommand)]
    Allow(AccessCommand),
    /// Clients (networks, refused at connect) and senders (domains, addresses, refused at MAIL).
    #[command(subcommand)]
    Block(AccessCommand),
    /// Recipients that hard-bounced and are refused at RCPT.
    #[command(subcommand)]
    Suppression(SuppressionCommand),
    /// The TLS reports (RFC 8460) other senders mailed to `[mailauth] tls_report_addresses`.
    TlsReports {
        /// Only those about this policy domain.
        #[arg(long)]
        domain: Option<String>,
    },
    /// Train and test the spam filter.
    #[command(subcommand)]
    Spam(spam::SpamCommand),
    /// Ask ringmail's DNS resolver (the configured nameservers).
    #[command(subcommand)]
    Dns(DnsCommand),
    /// The nodes sharing `[cluster] redis`.
    #[command(subcommand)]
    Cluster(ClusterCommand),
}

/// `ringmail cluster ...`.
#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    /// The nodes seen alive, their leases and queues, and the leases held at each site.
    Status,
}

/// `ringmail api-token ...`
#[derive(Debug, Subcommand)]
pub enum ApiTokenCommand {
    /// Make a token and print it (it is stored only as a hash: this is the one time it shows).
    Add {
        /// A name for it (what `list` shows, what `del` takes).
        name: String,
        /// `inject` (POST /api/v1/messages), `read` (GET, metrics), `metrics`, or `admin`.
        #[arg(long, default_value = "read")]
        scope: String,
        /// Injected mail may use this account's addresses as its author (as if it had logged in).
        #[arg(long)]
        user: Option<String>,
        /// Injected mail may use the addresses of this domain (repeatable) as its author.
        #[arg(long = "domain")]
        domains: Vec<String>,
    },
    /// Names, scopes and bindings of the tokens.
    List,
    /// Delete a token.
    Del {
        /// Its name.
        name: String,
    },
}

/// `ringmail suppression ...`
#[derive(Debug, Subcommand)]
pub enum SuppressionCommand {
    /// Address, since when, and the bounce that caused it; then those suppressed for one
    /// sender domain (unsubscribed, complained) with `for=DOMAIN`.
    List,
    /// Suppress an address by hand.
    Add {
        /// The recipient address.
        address: String,
        /// Why (shown in the RCPT refusal).
        #[arg(long, default_value = "suppressed by the postmaster")]
        reason: String,
    },
    /// Let mail go to an address again.
    Del {
        /// The recipient address.
        address: String,
        /// Only the suppression for this sender domain (an unsubscription or a complaint).
        #[arg(long)]
        domain: Option<String>,
    },
}

/// `ringmail allow ...` and `ringmail block ...`
#[derive(Debug, Subcommand)]
pub enum AccessCommand {
    /// Add a network (`192.0.2.0/24`, an address), a domain (with its subdomains) or an address.
    Add {
        /// The entry.
        entry: String,
    },
    /// Remove an entry.
    Del {
        /// The entry, as `list` shows it.
        entry: String,
    },
    /// Show the entries.
    List,
}

/// `ringmail dns ...`
#[derive(Debug, Subcommand)]
pub enum DnsCommand {
    /// Look a name up; for MX also print the order delivery would try.
    Lookup {
        /// The name, e.g. `example.org`.
        name: String,
        /// The record type: MX, A, AAAA, TXT, PTR, TLSA, CNAME, ...
        #[arg(long = "type", short = 't', default_value = "MX")]
        record_type: String,
    },
}

/// `ringmail config ...`
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the file given with --config.
    Check,
    /// Print the full default configuration with a comment on every key.
    Defaults,
}

/// `ringmail domain ...`
#[derive(Debug, Subcommand)]
pub enum DomainCommand {
    /// Add a local domain.
    Add {
        /// The domain name, e.g. `example.org`.
        domain: String,
        /// Where its postmaster@ and abuse@ mail goes (default: postmaster@ the server's
        /// hostname).
        #[arg(long)]
        postmaster: Option<String>,
    },
    /// Remove a local domain without accounts.
    Del {
        /// The domain name, e.g. `example.org`.
        domain: String,
    },
    /// List local domains.
    List,
}

/// `ringmail user ...`
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account (with INBOX, Sent, Drafts, Junk, Trash, Archive).
    Add {
        /// The account address, e.g. `alice@example.org`.
        address: String,
        /// Read the password from standard input (first line).
        #[arg(long, required = true)]
        password_stdin: bool,
        /// Allow any envelope sender when this account submits mail (default: only its own
        /// address and aliases that lead to it).
        #[arg(long)]
        send_as_anyone: bool,
    },
    /// Delete an account and all its mail.
    Del {
        /// The account address, e.g. `alice@example.org`.
        address: String,
    },
    /// List accounts.
    List,
    /// Let an account put another address in From (or Sender), or any address.
    Grant {
        /// The account address, e.g. `alice@example.org`.
        address: String,
        /// The address (`boss@example.org`) or domain (`@example.org`) it may send as.
        #[arg(long, required_unless_present = "send_as_anyone", conflicts_with = "send_as_anyone")]
        send_as: Option<String>,
        /// Let it send as any address (a mailing-list robot, an application).
        #[arg(long)]
        send_as_anyone: bool,
    },
    /// Take back what `user grant` gave.
    Revoke {
        /// The account address, e.g. `alice@example.org`.
        address: String,
        /// The address or domain it may no longer send as.
        #[arg(long, required_unless_present = "send_as_anyone", conflicts_with = "send_as_anyone")]
        send_as: Option<String>,
        /// Take back sending as any address.
        #[arg(long)]
        send_as_anyone: bool,
    },
    /// Show an account's storage quota and what its mail takes, or set it: octets with an
    /// optional K, M, G or T suffix (1024-based), or `none` for no limit. Over it, mail for the
    /// account is refused at RCPT (`552 5.2.2`) and IMAP APPEND and COPY answer `NO [OVERQUOTA]`.
    Quota {
        /// The account address, e.g. `alice@example.org`.
        address: String,
        /// The new limit, e.g. `500M`; leave out to show the current one.
        limit: Option<String>,
    },
    /// Change a password.
    Passwd {
        /// The account address, e.g. `alice@example.org`.
        address: String,
        /// Read the password from standard input (first line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

/// `ringmail alias ...`
#[derive(Debug, Subcommand)]
pub enum AliasCommand {
    /// Send mail for ALIAS to each TARGET (accounts, aliases or remote addresses).
    Add {
        /// The alias address, or `@domain` for a catch-all.
        alias: String,
        /// Accounts, aliases or remote addresses that receive the mail.
        #[arg(required = true)]
        targets: Vec<String>,
    },
    /// Delete an alias.
    Del {
        /// The alias address, or `@domain` for a catch-all.
        alias: String,
    },
    /// List aliases.
    List,
}

/// `ringmail mail ...`
#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// One line per message: UID, size, date, subject.
    List {
        /// The account address, e.g. `alice@example.org`.
        address: String,
        /// The mailbox to read.
        #[arg(long, default_value = "INBOX")]
        mailbox: String,
    },
    /// Print one raw stored message.
    Cat {
        /// The account address, e.g. `alice@example.org`.
        address: String,
        /// The message UID (first column of `mail list`).
        uid: u32,
        /// The mailbox to read.
        #[arg(long, default_value = "INBOX")]
        mailbox: String,
    },
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::load(cli.config.as_deref())?;
    let request = match cli.command {
        Command::Serve => return crate::runtime::serve(config),
        Command::Config(ConfigCommand::Defaults) => {
            print!("{DEFAULTS_TOML}");
            return Ok(());
        }
        Command::Cluster(ClusterCommand::Status) => {
            anyhow::ensure!(config.cluster.enabled(), "no [cluster] redis is configured: this node is alone");
            print!("{}", crate::cluster::status(&config.cluster)?);
            return Ok(());
        }
        Command::Config(ConfigCommand::Check) => {
            let name = cli.config.map_or("the embedded default".into(), |p| p.display().to_string());
            println!("{name}: OK ({} shards, SMTP on {:?})", config.shard_count(), config.smtp.listen);
            return Ok(());
        }
        Command::Domain(c) => match c {
            DomainCommand::Add { domain, postmaster } => Request::DomainAdd { domain, postmaster },
            DomainCommand::Del { domain } => Request::DomainDel { domain },
            DomainCommand::List => Request::DomainList,
        },
        Command::User(c) => match c {
            UserCommand::Add { address, send_as_anyone, .. } => {
                Request::UserAdd { address, password: read_password()?, send_as_anyone }
            }
            UserCommand::Del { address } => Request::UserDel { address },
            UserCommand::List => Request::UserList,
            UserCommand::Quota { address, limit } => Request::UserQuota { address, limit },
            UserCommand::Passwd { address, .. } => Request::UserPasswd { address, password: read_password()? },
            UserCommand::Grant { address, send_as, .. } => Request::UserGrant { address, grant: grant(send_as) },
            UserCommand::Revoke { address, send_as, .. } => Request::UserRevoke { address, grant: grant(send_as) },
        },
        Command::Alias(c) => match c {
            AliasCommand::Add { alias, targets } => Request::AliasAdd { alias, targets },
            AliasCommand::Del { alias } => Request::AliasDel { alias },
            AliasCommand::List => Request::AliasList,
        },
        Command::Mail(c) => match c {
            MailCommand::List { address, mailbox } => Request::MailList { address, mailbox },
            MailCommand::Cat { address, uid, mailbox } => Request::MailCat { address, mailbox, uid },
        },
        Command::Queue(request) => Request::Queue { request },
        Command::Shaping(request) => Request::Shaping { request },
        Command::Pool(request) => Request::Pool { request },
        Command::Senders { hours } => Request::Senders { hours },
        Command::ApiToken(c) => match c {
            ApiTokenCommand::Add { name, scope, user, domains } => Request::ApiTokenAdd { name, scope, user, domains },
            ApiTokenCommand::List => Request::ApiTokenList,
            ApiTokenCommand::Del { name } => Request::ApiTokenDel { name },
        },
        Command::Dkim(request) => Request::Dkim { request },
        Command::Allow(c) => access_request(List::Allow, c),
        Command::Block(c) => access_request(List::Block, c),
        Command::TlsReports { domain } => Request::TlsReports { domain },
        Command::Suppression(c) => match c {
            SuppressionCommand::List => Request::SuppressionList,
            SuppressionCommand::Add { address, reason } => Request::SuppressionAdd { address, reason },
            SuppressionCommand::Del { address, domain } => Request::SuppressionDel { address, domain },
        },
        Command::Dns(DnsCommand::Lookup { name, record_type }) => return dns::lookup(&config, name, &record_type),
        Command::Spam(command) => {
            let mut admin = Admin::new(config);
            let output = spam::run(command, &mut |request| admin.run(request))?;
            std::io::stdout().write_all(&output)?;
            return Ok(());
        }
    };
    let output = run_admin(config, request)?;
    std::io::stdout().write_all(&output)?;
    Ok(())
}

/// Sends the request to the running server, or executes it on the store directly.
fn run_admin(config: Config, request: Request) -> anyhow::Result<Vec<u8>> {
    Admin::new(config).run(request)
}

/// Where admin requests go: the running server's socket, or, when no server answers, the
/// store opened here once for every request of the command.
struct Admin {
    config: Config,
    local: Option<(Journal, AdminContext)>,
}

impl Admin {
    fn new(config: Config) -> Admin {
        Admin { config, local: None }
    }

    fn run(&mut self, request: Request) -> anyhow::Result<Vec<u8>> {
        if self.local.is_none() {
            if let Some(answer) = admin::socket::call(&self.config.admin_socket(), &request)? {
                return Ok(answer?);
            }
            self.local = Some(open_local(self.config.clone())?);
        }
        let (_, ctx) = self.local.as_ref().expect("opened above");
        Ok(admin::execute(ctx, request)?)
    }
}

impl Drop for Admin {
    fn drop(&mut self) {
        if let Some((journal, _)) = self.local.take() {
            journal.stop();
        }
    }
}

/// Opens the store for admin requests when no server is running.
fn open_local(config: Config) -> anyhow::Result<(Journal, AdminContext)> {
    std::fs::create_dir_all(&config.data_dir).with_context(|| format!("creating {}", config.data_dir.display()))?;
    let store = Store::open(&config.store_dir()).with_context(|| {
        format!(
            "opening the store in {}: if ringmail is running, its admin socket {} did not answer",
            config.store_dir().display(),
            config.admin_socket().display()
        )
    })?;
    let journal = Journal::start(store.clone());
    let suspensions = Suspensions::load(&store)?;
    let events = EventLog::default();
    let ctx = AdminContext {
        config: Arc::new(config),
        store,
        journal: journal.handle(),
        suspensions,
        shaping: None,
        warmup: None,
        transfers: None,
        events,
        cluster: None,
    };
    Ok((journal, ctx))
}

/// The admin request for `ringmail allow|block ...`.
fn access_request(list: List, command: AccessCommand) -> Request {
    match command {
        AccessCommand::Add { entry } => Request::AccessAdd { list, entry },
        AccessCommand::Del { entry } => Request::AccessDel { list, entry },
        AccessCommand::List => Request::AccessList { list },
    }
}

/// The first line of standard input, without its line ending.
fn read_password() -> anyhow::Result<String> {
    let mut input = String::new();
    std::io::stdin().take(4096).read_to_string(&mut input)?;
    let password = input.lines().next().unwrap_or_default().to_string();
    if password.is_empty() {
        bail!("no password on standard input");
    }
    Ok(password)
}

/// What `--send-as X` or `--send-as-anyone` (no `--send-as`) names.
fn grant(send_as: Option<String>) -> Grant {
    send_as.map_or(Grant::Anyone, Grant::Address)
}

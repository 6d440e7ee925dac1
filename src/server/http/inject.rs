//! `POST /api/v1/messages`: a message injected over HTTP takes the path of one submitted over
//! SMTP by a logged-in user: the envelope sender and the author must be the token's to use,
//! the spam check of logged-in senders applies, mail leaving the server is DKIM-signed, and
//! the answer comes once the message is on disk, exactly as SMTP's `250`.
//!
//! The body names the envelope sender (`from`), the `recipients` (addresses, or objects with
//! an `email` and its `substitutions`), and either `content` (the raw RFC 5322 message) or a
//! message to build (`message`: `from` (or `header_from`), `to`, `subject`, `text`, `html`, `headers`,
//! `attachments`; its fields may also stand at the top level). A built message is made once
//! per recipient (its own `To:`, its `{{name}}` substitutions) unless it names its `to` and
//! no recipient has substitutions; raw content is stored once for every recipient.

use std::collections::BTreeMap;

use base64::Engine as _;
use bytes::Bytes;
use hyper::StatusCode;
use serde::{Deserialize, Serialize};

use super::Services;
use super::respond::{ApiError, HttpResponse, ok};
use super::routes::{Call, Caller};
use crate::config::domain_within;
use crate::events::Event;
use crate::filter::clamd;
use crate::metrics::Scanner;
use crate::routing::{RouteError, Router};
use crate::smtp::server::{self as smtp, Claimant, Received};
use message::compose::{self, Attachment, Draft};
use message::{Parsed, headers};
use smtp_proto::Mailbox;
use store::MessageId;
use store::journal::{Committed, Delivery, JournalOp, RemoteRecipient};
use store::records::QueueOptions;

/// The request body.
#[derive(Debug, Deserialize)]
struct Injection {
    /// The envelope sender (MAIL FROM).
    from: String,
    recipients: Vec<RecipientSpec>,
    /// The raw message.
    content: Option<String>,
    /// A message to build.
    message: Option<Built>,
    /// Substitutions every recipient gets (its own override them).
    #[serde(default)]
    substitutions: BTreeMap<String, String>,
    /// Bulk mail: one-click unsubscribe links (RFC 8058) for the sender's domain, as for a
    /// `[[bulk_sender]]`.
    #[serde(default)]
    bulk: bool,
    /// The fields of a built message, at the top level.
    #[serde(flatten)]
    top: Built,
    /// Any other field: refused (serde's `deny_unknown_fields` does not see through
    /// `flatten`), so that a misspelt field is an error, not silently dropped.
    #[serde(flatten)]
    unknown: BTreeMap<String, serde_json::Value>,
}

/// A recipient: an address, or an address with substitutions of its own.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RecipientSpec {
    Address(String),
    Detailed {
        email: String,
        #[serde(default)]
        substitutions: BTreeMap<String, String>,
    },
}

/// A message to build.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Built {
    /// The `From:` field (default: the envelope sender); `from` in a nested `message`.
    #[serde(default, alias = "from")]
    header_from: Option<String>,
    #[serde(default)]
    to: Option<Vec<String>>,
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    html: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    attachments: Vec<AttachmentSpec>,
}

impl Built {
    fn is_empty(&self) -> bool {
        let Built { header_from, to, subject, text, html, headers, attachments } = self;
        header_from.is_none()
            && to.is_none()
            && subject.is_none()
            && text.is_none()
            && html.is_none()
            && headers.is_empty()
            && attachments.is_empty()
    }
}

/// An attachment, its content in base64.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AttachmentSpec {
    filename: String,
    #[serde(default = "octet_stream")]
    content_type: String,
    data: String,
}

fn octet_stream() -> String {
    "application/octet-stream".into()
}

/// What became of one recipient.
#[derive(Debug, Serialize)]
struct RecipientStatus {
    email: String,
    /// `queued` (for another server), `delivered` (to a local mailbox), `suppressed` or
    /// `refused`.
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

/// The answer.
#[derive(Debug, Serialize)]
struct Injected {
    /// The id of the (first) message stored.
    id: Option<String>,
    /// Every message stored.
    messages: Vec<String>,
    accepted: usize,
    rejected: usize,
    recipients: Vec<RecipientStatus>,
}

/// A recipient that passed the routing, with its substitutions.
struct Routed {
    address: String,
    local: Vec<String>,
    remote: Vec<String>,
    substitutions: BTreeMap<String, String>,
}

/// What a request costs in memory besides its body, in multiples of it: the parsed JSON, the
/// message built or taken from it, and the blob the journal writes.
const STORE_COPIES: usize = 3;

/// `503`: the server's message memory is spent.
fn busy() -> ApiError {
    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "the server holds as many messages as it may; try again later")
}

/// Handles one injection.
pub async fn inject(services: &Services, caller: &Caller, call: Call) -> Result<HttpResponse, ApiError> {
    let ctx = &services.smtp;
    let mut memory = ctx.message_memory.reservation();
    let body: Injection = call.json_reserving(ctx.config.http.max_body(), &mut memory).await?;
    if let Some(field) = body.unknown.keys().next() {
        return Err(ApiError::field(field, format!("unknown field `{field}`")));
    }
    let claimant = claimant(caller)?;
    let sender = envelope_sender(services, claimant, &body.from)?;
    let max = ctx.config.http.max_recipients.get().min(ctx.config.limits.max_recipients.get() as u64) as usize;
    if body.recipients.is_empty() {
        return Err(ApiError::field("recipients", "name at least one recipient"));
    }
    if body.recipients.len() > max {
        return Err(ApiError::field("recipients", format!("at most {max} recipients per request")));
    }
    let built = match (body.content.is_some(), body.message, body.top.is_empty()) {
        (true, None, true) => None,
        (false, Some(message), true) => Some(message),
        (false, None, false) => Some(body.top),
        (false, None, true) => return Err(ApiError::field("content", "give `content` or a message to build")),
        _ => return Err(ApiError::field("content", "give either `content` or a message to build, not both")),
    };
    let (mut routed, mut statuses) = route_recipients(services, body.recipients)?;
    // A bulk sender's mail: configured, or flagged so; its recipients that unsubscribed are
    // left out.
    let bulk = ctx.unsubscribe.bulk_domain(&sender.to_string()).map(str::to_string);
    let bulk = bulk.or_else(|| body.bulk.then(|| sender.domain.to_ascii_lowercase()));
    if let Some(domain) = &bulk {
        let mut kept = Vec::with_capacity(routed.len());
        for r in routed {
            match ctx.store.sender_suppression(domain, &r.address).map_err(ApiError::internal)? {
                Some(s) if !r.remote.is_empty() => statuses.push(RecipientStatus {
                    email: r.address.clone(),
                    status: "suppressed",
                    id: None,
                    reason: Some(s.reason),
                }),
                _ => kept.push(r),
            }
        }
        routed = kept;
    }
    // Held while the message is built and stored: what the request made besides its body.
    if !memory.reserve_to(memory.held().saturating_mul(STORE_COPIES)) {
        return Err(busy());
    }
    // A bulk sender's mail gets its own unsubscribe link per recipient, so one message each.
    let groups: Vec<Vec<&Routed>> = match &built {
        _ if bulk.is_some() => routed.iter().map(|r| vec![r]).collect(),
        Some(built) if built.to.is_none() || routed.iter().any(|r| !r.substitutions.is_empty()) => {
            routed.iter().map(|r| vec![r]).collect()
        }
        _ if routed.is_empty() => Vec::new(),
        _ => vec![routed.iter().collect()],
    };
    let mut messages = Vec::new();
    // One message at a time is built, checked and stored: a thousand recipients of a large
    // message never hold a thousand copies.
    for group in groups {
        let stored = match (&body.content, &built) {
            (Some(content), _) => {
                store_message(
                    services,
                    caller,
                    (claimant, bulk.as_deref()),
                    &sender,
                    content.as_bytes().to_vec(),
                    &group,
                )
                .await
            }
            (None, Some(built)) => match build(services, &sender, built, &body.substitutions, &group) {
                Ok(content) => {
                    store_message(services, caller, (claimant, bulk.as_deref()), &sender, content, &group).await
                }
                Err(e) => Err(e),
            },
            (None, None) => unreachable!("checked above"),
        };
        match stored {
            Ok(id) => {
                for r in &group {
                    let status = if r.remote.is_empty() { "delivered" } else { "queued" };
                    statuses.push(RecipientStatus {
                        email: r.address.clone(),
                        status,
                        id: Some(id.to_string()),
                        reason: None,
                    });
                }
                messages.push(id.to_string());
            }
            // Nothing stored yet: the request as a whole failed, and may be sent again.
            Err(e) if messages.is_empty() => return Err(e),
            // Some messages are stored already: the others are reported, not the request, so
            // that a retry does not send the stored ones twice.
            Err(e) => statuses.extend(group.iter().map(|r| RecipientStatus {
                email: r.address.clone(),
                status: "refused",
                id: None,
                reason: Some(e.message.clone()),
            })),
        }
    }
    let accepted = statuses.iter().filter(|s| s.id.is_some()).count();
    let rejected = statuses.len() - accepted;
    ok(&Injected { id: messages.first().cloned(), messages, accepted, rejected, recipients: statuses })
}

/// Who the token lets injected mail claim as its author.
fn claimant(caller: &Caller) -> Result<Claimant<'_>, ApiError> {
    match (&caller.token.user, caller.token.domains.is_empty()) {
        (Some(user), _) => Ok(Claimant::User(user)),
        (None, false) => Ok(Claimant::Domains(&caller.token.domains)),
        (None, true) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!("token {} may not inject: it is bound to no --user and no --domain", caller.name),
        )),
    }
}

/// The envelope sender, when the token may use it (as MAIL FROM for a logged-in user).
fn envelope_sender(services: &Services, claimant: Claimant<'_>, from: &str) -> Result<Mailbox, ApiError> {
    let sender = Mailbox::parse(from.trim()).map_err(|e| ApiError::field("from", format!("not an address: {e}")))?;
    let ctx = &services.smtp;
    let allowed = match claimant {
        Claimant::User(user) => Router::new(&ctx.store, ctx.config.hostname.as_str())
            .may_send_as(user, Some(&sender))
            .map_err(ApiError::internal)?,
        Claimant::Domains(domains) => domain_within(domains, &sender.domain),
    };
    if !allowed {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!("<{sender}>: sender address not owned by this token"),
        ));
    }
    Ok(sender)
}

/// Routes every recipient; those refused or suppressed get their status at once.
fn route_recipients(
    services: &Services,
    specs: Vec<RecipientSpec>,
) -> Result<(Vec<Routed>, Vec<RecipientStatus>), ApiError> {
    let ctx = &services.smtp;
    let router = Router::new(&ctx.store, ctx.config.hostname.as_str());
    let (mut routed, mut statuses) = (Vec::new(), Vec::new());
    for (n, spec) in specs.into_iter().enumerate() {
        let (email, own) = match spec {
            RecipientSpec::Address(email) => (email, BTreeMap::new()),
            RecipientSpec::Detailed { email, substitutions } => (email, substitutions),
        };
        let email = email.trim().to_string();
        let refused =
            |status, reason: String| RecipientStatus { email: email.clone(), status, id: None, reason: Some(reason) };
        let mailbox = match Mailbox::parse(&email) {
            Ok(mailbox) => mailbox,
            Err(e) => return Err(ApiError::field(&format!("recipients[{n}]"), format!("not an address: {e}"))),
        };
        match router.resolve(&mailbox, true) {
            Ok(found) => routed.push(Routed {
                address: mailbox.to_string(),
                local: found.local,
                remote: found.remote,
                substitutions: own,
            }),
            Err(RouteError::Suppressed(reason)) => statuses.push(refused("suppressed", reason)),
            Err(RouteError::Store(e)) => return Err(ApiError::internal(e)),
            Err(e) => statuses.push(refused("refused", e.to_string())),
        }
    }
    Ok((routed, statuses))
}

/// The message built for `group`: its `To:` (the message's `to`, else the one recipient) and
/// the recipient's substitutions over the request's.
fn build(
    services: &Services,
    sender: &Mailbox,
    built: &Built,
    defaults: &BTreeMap<String, String>,
    group: &[&Routed],
) -> Result<Vec<u8>, ApiError> {
    let attachments = built
        .attachments
        .iter()
        .enumerate()
        .map(|(n, a)| {
            let data = base64::engine::general_purpose::STANDARD
                .decode(a.data.trim())
                .map_err(|e| ApiError::field(&format!("attachments[{n}].data"), format!("not base64: {e}")))?;
            Ok(Attachment { filename: a.filename.clone(), content_type: a.content_type.clone(), data })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let headers: Vec<(String, String)> = built.headers.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let from = built.header_from.clone().unwrap_or_else(|| sender.to_string());
    let ctx = &services.smtp;
    let limit = usize::try_from(ctx.config.limits.max_message_size.get()).unwrap_or(usize::MAX);
    let own = &group[0].substitutions;
    let lookup = |name: &str| own.get(name).or_else(|| defaults.get(name)).map(String::as_str);
    let fill = |field: &str, text: &Option<String>, html| match text {
        None => Ok(None),
        Some(t) => compose::substitute_within(t, lookup, html, limit).map(Some).ok_or_else(|| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("`{field}` with its substitutions is over {limit} octets"),
            )
        }),
    };
    let to = match &built.to {
        Some(to) => to.clone(),
        None => vec![group[0].address.clone()],
    };
    let (subject, text, html) =
        (fill("subject", &built.subject, false)?, fill("text", &built.text, false)?, fill("html", &built.html, true)?);
    let draft = Draft {
        from: &from,
        to: &to,
        subject: subject.as_deref().unwrap_or(""),
        text: text.as_deref(),
        html: html.as_deref(),
        headers: &headers,
        attachments: &attachments,
    };
    let message_id = format!("{}.{}@{}", ctx.ids.next_id(), group.len(), ctx.config.hostname.as_str());
    compose::compose(&draft, &message_id, store::unix_now()).map_err(|e| ApiError::field("message", e.to_string()))
}

/// Checks, signs and stores one message for `recipients` (with the unsubscribe fields of the
/// bulk sender domain, if any); its id once it is on disk.
async fn store_message(
    services: &Services,
    caller: &Caller,
    (claimant, bulk): (Claimant<'_>, Option<&str>),
    sender: &Mailbox,
    content: Vec<u8>,
    recipients: &[&Routed],
) -> Result<MessageId, ApiError> {
    let ctx = &services.smtp;
    let limit = ctx.config.limits.max_message_size.get();
    if content.len() as u64 > limit {
        return Err(ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, format!("the message is over {limit} octets")));
    }
    let content = compose::crlf(&content);
    let (mut local, mut remote): (Vec<String>, Vec<RemoteRecipient>) = (Vec::new(), Vec::new());
    for r in recipients {
        for account in &r.local {
            if !local.contains(account) {
                local.push(account.clone());
            }
        }
        for address in &r.remote {
            if !remote.iter().any(|known| known.address == *address) {
                remote.push(RemoteRecipient::plain(address.clone()));
            }
        }
    }
    // Mail that leaves is signed, so it is made 7-bit first (RFC 6376 section 5.3).
    let content = match remote.is_empty() || content.is_ascii() {
        true => content,
        false => message::seven_bit::to_seven_bit(&content).unwrap_or(content),
    };
    let content = match (bulk, &remote[..]) {
        (Some(domain), [recipient])
            if headers::first(headers::header_block(&content), "list-unsubscribe").is_none() =>
        {
            [ctx.unsubscribe.header_fields(domain, &recipient.address).as_bytes(), &content].concat()
        }
        _ => content,
    };
    let parsed = Parsed::new(&content);
    // A 4xx reply is a temporary failure the client should retry.
    let refused = |reply: smtp_proto::Reply, status| match reply.code {
        400..500 => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, reply.text.to_string()),
        _ => ApiError::new(status, reply.text.to_string()),
    };
    if let Some(reply) = smtp::author_refusal(ctx, claimant, &parsed) {
        return Err(refused(reply, StatusCode::FORBIDDEN));
    }
    let id = ctx.ids.next_id();
    if let Some(database) = &ctx.antivirus
        && let Some(name) = crate::metrics::virus_verdict(Scanner::Signatures, antivirus::scan(database, &parsed))
    {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, format!("infected with {name}")));
    }
    if let Some(reply) = clamd::refusal(&ctx.config.antivirus, id, &content).await {
        return Err(refused(reply, StatusCode::UNPROCESSABLE_ENTITY));
    }
    let who = claimant_name(caller);
    if let Some(reply) = smtp::outbound_spam_refusal(ctx, &parsed, &who).await {
        return Err(refused(reply, StatusCode::UNPROCESSABLE_ENTITY));
    }
    let signatures = match remote.is_empty() {
        true => Vec::new(),
        false => smtp::dkim_signatures(ctx, &parsed),
    };
    if !local.is_empty() && !matches!(parsed.raw.first(), Some(b' ' | b'\t')) {
        ctx.imap_summaries.summarize(id, parsed.raw, &parsed.root);
    }
    let protocol = if ctx.config.http.tls { "HTTPS" } else { "HTTP" };
    let received = Received {
        helo: &caller.name,
        peer: caller.peer.ip(),
        hostname: ctx.config.hostname.as_str(),
        protocol,
        tls: None,
        id,
        single_recipient: None,
    }
    .to_header(std::time::SystemTime::now());
    let size = content.len();
    let mut message: Vec<Bytes> = signatures.into_iter().map(Bytes::from).collect();
    message.push(received);
    message.push(Bytes::from(content));
    let delivery = Delivery {
        id,
        local_prefix: smtp::return_path(Some(sender)),
        message,
        staged: None,
        sender: sender.to_string(),
        local,
        dmarc: Vec::new(),
        junk: false,
        remote,
        options: QueueOptions { ret: None, envid: None, smtputf8: sender.is_utf8() },
        copies: Vec::new(),
    };
    let reception = Event::Reception {
        id: id.to_string(),
        peer: caller.peer.ip(),
        user: Some(who),
        tls: None,
        sender: sender.to_string(),
        recipients: recipients.iter().map(|r| r.address.clone()).collect(),
        size,
    };
    match ctx.events.commit(&ctx.journal, JournalOp::Deliver(delivery), vec![reception]).await {
        Ok(Committed::Delivered(_)) => {}
        Ok(other) => unreachable!("journal answered a delivery with {other:?}"),
        Err(e) => {
            return Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, format!("storing the message failed: {e}")));
        }
    }
    tracing::debug!(%id, token = %caller.name, size, "message injected over HTTP");
    crate::metrics::received("http");
    Ok(id)
}

/// How the event log and the log name the sender of injected mail.
fn claimant_name(caller: &Caller) -> String {
    match &caller.token.user {
        Some(user) => user.clone(),
        None => format!("token:{}", caller.name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_parse_in_both_shapes() {
        let raw: Injection = serde_json::from_str(
            r#"{"from":"a@x.example","recipients":["b@y.example",{"email":"c@y.example","substitutions":{"n":"C"}}],"content":"Subject: s\r\n\r\nhi"}"#,
        )
        .unwrap();
        assert!(raw.content.is_some() && raw.top.is_empty() && raw.recipients.len() == 2);
        let top: Injection = serde_json::from_str(
            r#"{"from":"a@x.example","recipients":["b@y.example"],"subject":"Hi {{n}}","text":"t"}"#,
        )
        .unwrap();
        assert!(!top.top.is_empty() && top.message.is_none());
        let nested: Injection = serde_json::from_str(
            r#"{"from":"a@x.example","recipients":["b@y.example"],"message":{"from":"A <a@x.example>","text":"t"}}"#,
        )
        .unwrap();
        assert_eq!(nested.message.unwrap().header_from.as_deref(), Some("A <a@x.example>"));
        let typo = r#"{"from":"a@x.example","recipients":["b@y.example"],"content":"x","subjet":"s"}"#;
        let typo: Injection = serde_json::from_str(typo).unwrap();
        assert_eq!(typo.unknown.keys().collect::<Vec<_>>(), ["subjet"], "kept apart, to be refused");
        assert!(typo.top.is_empty());
        let nested = r#"{"from":"a@x.example","recipients":["b@y.example"],"message":{"text":"t","sender":"x"}}"#;
        assert!(serde_json::from_str::<Injection>(nested).is_err(), "unknown fields of a message are refused");
        let error = serde_json::from_str::<Injection>(r#"{"recipients":[]}"#).unwrap_err();
        assert_eq!(ApiError::json(&error).field.as_deref(), Some("from"));
    }
}

//! DATA and BDAT (RFC 5321 section 4.1.1.4, RFC 3030): receiving the content and storing it.

use std::borrow::Cow;
use std::time::{Duration, Instant, SystemTime};

use super::checks::Checked;
use super::parts::ReceivedParts;
use super::replies;
use super::session::{Chunks, Flow, Session, Transaction, insufficient_resources};
use super::spam::SpamOutcome;
use super::trace::{Received, return_path};
use crate::events::Event;
use crate::filter::clamd;
use crate::metrics::Scanner;
use crate::net::Reservation;
use ::message::Parsed;
use bytes::{Buf, Bytes, BytesMut};
use mailauth::dkim::{BodyHashes, StreamingBodyHashes};
use mailauth::results::without_forged;
use smtp_proto::dsn::Ret;
use smtp_proto::{DataReader, DataStep, MessageBody, Reply, Status};
use store::MessageId;
use store::journal::{Committed, Delivery, JournalOp};
use store::records::QueueOptions;

impl Session {
    /// DATA: answers 354, reads to `<CRLF>.<CRLF>`, stores the message.
    pub(super) async fn data(&mut self) -> Flow {
        let refusal = match &self.transaction {
            None => Some(replies::bad_sequence("Need MAIL command")),
            Some(t) if t.recipients.is_empty() => Some(Reply::new(554, Status(5, 5, 1), "No valid recipients")),
            Some(t) if t.chunks.is_some() => Some(replies::bad_sequence("DATA cannot follow BDAT")),
            Some(_) => None,
        };
        if let Some(reply) = refusal {
            self.error(reply);
            return Flow::Continue;
        }
        self.reply(Reply::plain(354, "End data with <CR><LF>.<CR><LF>"));
        let mut reader = DataReader::new(self.max_message_size());
        // Mail that is checked has its DKIM body hashes computed as it arrives.
        let mut hashes = self.checks_mail().then(StreamingBodyHashes::new);
        let mut hashed = 0;
        let mut budget = Budget::Within;
        loop {
            let step = match budget {
                Budget::Realigning => match feed_to_last_crlf(&mut reader, &mut self.conn.input) {
                    Some(DataStep::NeedMore) => {
                        // At a line start now, where a fresh reader is in step with the stream:
                        // it keeps nothing and only looks for the end.
                        reader = DataReader::new(0);
                        self.transaction.as_mut().expect("checked above").memory.release();
                        budget = Budget::Discarding;
                        DataStep::NeedMore
                    }
                    Some(step) => step,
                    None => reader.feed(&mut self.conn.input),
                },
                Budget::Within | Budget::Discarding => reader.feed(&mut self.conn.input),
            };
            if budget == Budget::Within {
                let memory = &mut self.transaction.as_mut().expect("checked above").memory;
                if memory.reserve_to(reader.body().size) {
                    if let Some(hashes) = &mut hashes {
                        let segments = &reader.body().segments;
                        segments[hashed.min(segments.len())..].iter().for_each(|s| hashes.update(s));
                        hashed = segments.len();
                    }
                    if reader.body().size >= self.part_size() {
                        hashed = 0;
                        if !self.write_part(reader.take_body()).await {
                            hashes = None;
                            budget = Budget::Realigning;
                        }
                    }
                } else {
                    tracing::info!(peer = %self.peer, "message memory spent: discarding the message, answering 452");
                    hashes = None;
                    budget = Budget::Realigning;
                }
            }
            if step != DataStep::NeedMore {
                break;
            }
            if self.flush().await.is_err() {
                return Flow::Close;
            }
            if let Err(e) = self.conn.read_more(self.data_timeout()).await {
                self.end_on_read_error(e);
                return Flow::Close;
            }
        }
        let transaction = self.transaction.take().expect("checked above");
        if reader.bare_line_endings() > 0 {
            tracing::debug!(peer = %self.peer, count = reader.bare_line_endings(), "bare line endings rewritten to CRLF");
        }
        let reply = match reader.finish() {
            _ if budget != Budget::Within => insufficient_resources(),
            Ok(body) => self.store(transaction, body, hashes.and_then(StreamingBodyHashes::finish)).await,
            Err(e) => replies::for_data_error(e),
        };
        self.reply(reply);
        Flow::Continue
    }

    /// BDAT: reads exactly `size` octets (also when refusing, so the stream stays in sync),
    /// and stores the message after the LAST chunk.
    pub(super) async fn bdat(&mut self, size: u64, last: bool) -> Flow {
        let refusal = match &self.transaction {
            None => Some(replies::bad_sequence("Need MAIL command")),
            Some(t) if t.recipients.is_empty() => Some(Reply::new(554, Status(5, 5, 1), "No valid recipients")),
            Some(_) => None,
        };
        let limit = self.max_message_size() as u64;
        let checks = self.checks_mail();
        let part_size = self.part_size();
        let mut part = None;
        let mut remaining = size;
        while remaining > 0 {
            if self.conn.input.is_empty() {
                if self.flush().await.is_err() {
                    return Flow::Close;
                }
                if let Err(e) = self.conn.read_more(self.data_timeout()).await {
                    self.end_on_read_error(e);
                    return Flow::Close;
                }
            }
            let take = remaining.min(self.conn.input.len() as u64) as usize;
            match self.transaction.as_mut().filter(|_| refusal.is_none()) {
                Some(t) => {
                    let chunks = t.chunks.get_or_insert_with(|| Chunks {
                        hashes: checks.then(StreamingBodyHashes::new),
                        ..Chunks::default()
                    });
                    chunks.received += take as u64;
                    let segment = self.conn.input.split_to(take).freeze();
                    let kept = chunks.received <= limit && !chunks.over_budget;
                    if kept && t.memory.reserve_to(chunks.body.size + segment.len()) {
                        if let Some(hashes) = &mut chunks.hashes {
                            hashes.update(&segment);
                        }
                        chunks.body.push(segment);
                        if chunks.body.size >= part_size {
                            part = Some(std::mem::take(&mut chunks.body));
                        }
                    } else {
                        if kept {
                            tracing::info!(peer = %self.peer, "message memory spent: discarding BDAT chunks, answering 452");
                            chunks.over_budget = true;
                            chunks.hashes = None;
                        }
                        chunks.body = MessageBody::default();
                        t.memory.release();
                    }
                }
                None => self.conn.input.advance(take),
            }
            if let Some(body) = part.take()
                && !self.write_part(body).await
                && let Some(chunks) = self.transaction.as_mut().and_then(|t| t.chunks.as_mut())
            {
                chunks.over_budget = true;
                chunks.hashes = None;
            }
            remaining -= take as u64;
        }
        if let Some(reply) = refusal {
            self.error(reply);
            return Flow::Continue;
        }
        let over_budget = self.transaction.as_ref().and_then(|t| t.chunks.as_ref()).is_some_and(|c| c.over_budget);
        if !last {
            // RFC 3030 2: a chunk answered 4xx fails the transaction; the chunks the client
            // pipelined after it are discarded, and LAST ends it.
            let reply = match over_budget {
                true => insufficient_resources(),
                false => Reply::new(250, Status(2, 0, 0), format!("{size} octets received")),
            };
            self.reply(reply);
            return Flow::Continue;
        }
        let mut transaction = self.transaction.take().expect("checked above");
        let chunks = transaction.chunks.take().unwrap_or_default();
        let reply = if chunks.received > limit {
            replies::too_large()
        } else if chunks.over_budget {
            insufficient_resources()
        } else {
            self.store(transaction, chunks.body, chunks.hashes.and_then(StreamingBodyHashes::finish)).await
        };
        self.reply(reply);
        Flow::Continue
    }

    /// Checks the message (mail from other servers) or signs it (mail we send), adds trace
    /// headers and commits it; the reply says whether it is safe on disk.
    async fn store(
        &mut self,
        mut transaction: Transaction,
        mut body: MessageBody,
        hashes: Option<BodyHashes>,
    ) -> Reply {
        if !transaction.reports.is_empty() {
            match (&transaction.parts, contiguous(&body.segments)) {
                (None, content) => {
                    if let Some(reply) = self.take_reports(&transaction, &content).await {
                        return reply;
                    }
                }
                (Some(_), _) => tracing::info!(peer = %self.peer, "a report too large to read: ignored"),
            }
        }
        let mut parts = transaction.parts.take().filter(ReceivedParts::any);
        let id = parts.as_ref().map_or_else(|| self.ctx.ids.next_id(), |p| p.id);
        let signs = self.signs_mail(&transaction);
        let checks = self.judges_mail();
        let filters = self.ctx.antivirus.is_some() || self.ctx.spam_model.is_some();
        let authorship = self.checks_authorship();
        let reads = signs || checks || filters || authorship;
        let size = body.size + parts.as_ref().map_or(0, |p| p.size);
        let copies = match (&parts, reads) {
            (None, _) => STORE_COPIES,
            (Some(_), true) => STORE_COPIES - 1,
            (Some(_), false) => 0,
        };
        if !reserve_for_storing(&mut transaction.memory, size, copies).await {
            return insufficient_resources();
        }
        // What arrived after the last part: stored as the message's last part, unless the
        // checks below change the content.
        let tail = parts.is_some().then(|| body.segments.clone());
        if let Some(parts) = parts.as_ref().filter(|_| reads) {
            // The checks read the whole message: what is in the store, then the rest.
            let mut whole = match parts.read_back().await {
                Ok(whole) => whole,
                Err(e) => {
                    tracing::error!(%id, "reading back the parts of a message failed: {e}");
                    return replies::storage_failure();
                }
            };
            body.segments.iter().for_each(|s| whole.extend_from_slice(s));
            body.segments = vec![Bytes::from(whole)];
        }
        body.size = size;
        let mut rewritten = false;
        if body.segments.len() > 1 && reads {
            // Scanning, checking, filtering and signing all read the message in one piece:
            // join it once.
            body.segments = vec![Bytes::from(body.segments.concat())];
        }
        // The content changes first, so that everything below reads the bytes that are stored.
        if checks {
            let forged = without_forged(&contiguous(&body.segments), self.ctx.config.hostname.as_str());
            if let Some(clean) = forged {
                tracing::info!(%id, peer = %self.peer, "removed Authentication-Results claiming to be ours");
                body.segments = vec![Bytes::from(clean)];
                rewritten = true;
            }
        }
        // A bulk sender's mail to several remote recipients: the first gets this copy, each of
        // the others one of its own (what it was before the fields went in front).
        let mut bulk = None;
        if signs {
            rewritten |= Self::seven_bit_before_signing(&mut body);
            let plain = match &body.segments[..] {
                [one] => one.clone(),
                many => Bytes::from(many.concat()),
            };
            if let Some(domain) = self.unsubscribe_domain(&transaction, &plain)
                && self.bulk_copies_fit(&transaction, plain.len())
            {
                let fields = self.ctx.unsubscribe.header_fields(&domain, &transaction.remote[0].address);
                body.size += fields.len();
                body.segments = vec![Bytes::from([fields.as_bytes(), &plain].concat())];
                rewritten = true;
                bulk = Some((domain, plain));
            }
        }
        let content = reads.then(|| contiguous(&body.segments));
        // Parsed once: the author checks, the virus scan, DMARC, the spam filter and signing
        // all read it.
        let parsed = content.as_deref().map(Parsed::new);
        if let Some(parsed) = parsed.as_ref().filter(|_| authorship)
            && let Some(refusal) = self.authorship_refusal(parsed)
        {
            tracing::info!(%id, peer = %self.peer, user = ?self.user, "message refused: {refusal}");
            return refusal;
        }
        if let (Some(database), Some(parsed)) = (&self.ctx.antivirus, &parsed)
            && let Some(name) = crate::metrics::virus_verdict(Scanner::Signatures, antivirus::scan(database, parsed))
        {
            tracing::info!(%id, peer = %self.peer, virus = name, "infected message refused");
            return Reply::new(554, Status(5, 7, 1), format!("Message refused: infected with {name}"));
        }
        if let Some(refusal) = clamd::refusal(&self.ctx.config.antivirus, id, &contiguous(&body.segments)).await {
            return refusal;
        }
        let mut checked = match &parsed {
            Some(parsed) if checks => self.check_message(transaction.spf.as_ref(), parsed, hashes).await,
            _ => None,
        };
        if let Some(refusal) = checked.as_mut().and_then(|c| c.refusal.take()) {
            tracing::info!(%id, peer = %self.peer, "message refused: {refusal}");
            self.count_refused(checked.as_mut()).await;
            return refusal;
        }
        let spam = match &parsed {
            Some(parsed) => self.spam_outcome(parsed, checked.as_ref(), &transaction.local).await,
            None => SpamOutcome::Skipped,
        };
        let (spam_headers, spam_junk) = match spam {
            SpamOutcome::Refused(reply) => {
                self.count_refused(checked.as_mut()).await;
                return reply;
            }
            SpamOutcome::Scored { headers, junk } => (Some(headers), junk),
            SpamOutcome::Skipped => (None, false),
        };
        let forwarded = !transaction.remote.is_empty();
        let signatures = match (&parsed, &checked) {
            (Some(parsed), _) if signs => self.dkim_signatures(parsed),
            (Some(parsed), Some(Checked { header, arc: Some(chain), .. })) if forwarded => {
                self.arc_seal(parsed.raw, header, *chain).into_iter().collect()
            }
            _ => Vec::new(),
        };
        if let Some(parsed) = &parsed
            && !transaction.local.is_empty()
            && !matches!(parsed.raw.first(), Some(b' ' | b'\t'))
        {
            // What IMAP clients fetch of whole mailboxes, from this parse: the fields we put
            // in front change no ENVELOPE or BODYSTRUCTURE (a message that starts with folding
            // white space would fold into them, so it is left to IMAP to parse).
            self.ctx.imap_summaries.summarize(id, parsed.raw, &parsed.root);
        }
        let tls_report = self.tls_report_in(&transaction.recipients, parsed.as_ref());
        let mut message = Vec::with_capacity(body.segments.len() + signatures.len() + 2);
        let signed = signatures.len();
        message.extend(signatures.into_iter().map(Bytes::from));
        message.push(self.received_header(&transaction, id));
        if let Some(checked) = &mut checked {
            message.push(Bytes::from(std::mem::take(&mut checked.header)));
        }
        message.extend(spam_headers.map(Bytes::from));
        let copies = match bulk {
            Some((domain, plain)) => self.bulk_copies(&mut transaction, &domain, &plain, &message[signed..]),
            None => Vec::new(),
        };
        // A message the checks changed is stored whole; its parts go when `parts` is dropped.
        let staged = match (&parts, tail) {
            (Some(parts), Some(tail)) if !rewritten => {
                let staged = parts.staged(message.len());
                message.extend(tail);
                Some(staged)
            }
            _ => {
                message.extend(body.segments);
                None
            }
        };
        let sender = transaction.from.as_ref().map(ToString::to_string).unwrap_or_default();
        let mut params = transaction.params.clone();
        let reported = match (transaction.success_wanted.is_empty(), &parts, staged) {
            (true, _, _) => Vec::new(),
            (false, Some(parts), Some(staged)) => {
                // The message is mostly in the store: the report returns its header fields,
                // which are in its first part.
                params.ret = Some(Ret::Headers);
                let mut head = message[..staged.after_segments].to_vec();
                head.extend(parts.read_first().await.ok().map(Bytes::from));
                head
            }
            (false, _, _) => message.clone(),
        };
        let delivery = Delivery {
            id,
            local_prefix: return_path(transaction.from.as_ref()),
            message,
            staged,
            sender: sender.clone(),
            local: transaction.local,
            dmarc: checked.as_mut().and_then(|c| c.report.take()).into_iter().collect(),
            junk: checked.is_some_and(|c| c.junk) || spam_junk,
            remote: transaction.remote,
            options: QueueOptions {
                ret: transaction.params.ret,
                envid: transaction.params.envid.clone(),
                smtputf8: transaction.params.smtputf8,
            },
            copies,
        };
        let reception = Event::Reception {
            id: id.to_string(),
            peer: self.peer.ip(),
            user: self.user.clone(),
            tls: self.tls.as_ref().map(|t| format!("{} {}", t.version, t.cipher)),
            sender: sender.clone(),
            recipients: transaction.recipients.iter().map(ToString::to_string).collect(),
            size: body.size,
        };
        match self.ctx.events.commit(&self.ctx.journal, JournalOp::Deliver(delivery), vec![reception]).await {
            Ok(Committed::Delivered(_)) => {
                if let Some(parts) = parts.as_mut().filter(|_| staged.is_some()) {
                    parts.stored();
                }
                tracing::debug!(%id, peer = %self.peer, size = body.size, "message stored");
                self.report_delivered(&sender, &reported, &params, &transaction.success_wanted).await;
                if let Some(report) = tls_report {
                    self.keep_tls_report(report).await;
                }
                crate::metrics::received_smtp(self.role);
                Reply::new(250, Status(2, 0, 0), format!("OK: queued as {id}"))
            }
            Ok(other) => unreachable!("journal answered a delivery with {other:?}"),
            Err(e) => {
                tracing::error!(%id, "storing message failed: {e}");
                replies::storage_failure()
            }
        }
    }

    /// The `Received:` header of this transaction (RFC 5321 section 4.4, RFC 3848 protocol).
    fn received_header(&self, transaction: &Transaction, id: MessageId) -> Bytes {
        let hello = self.hello.as_ref().map_or("unknown", |h| h.name.as_str());
        let extended = self.hello.as_ref().is_some_and(|h| h.extended);
        let base = match (extended, transaction.params.smtputf8) {
            (_, true) => "UTF8SMTP",
            (true, false) => "ESMTP",
            (false, false) => "SMTP",
        };
        // RFC 3848: S for TLS, A for an authenticated client (only defined after ESMTP/UTF8SMTP).
        let mut protocol = base.to_string();
        if extended {
            protocol.push_str(match (self.tls.is_some(), self.user.is_some()) {
                (true, true) => "SA",
                (true, false) => "S",
                (false, true) => "A",
                (false, false) => "",
            });
        }
        Received {
            helo: hello,
            peer: self.peer.ip(),
            hostname: self.ctx.config.hostname.as_str(),
            protocol: &protocol,
            tls: self.tls.as_ref(),
            id,
            single_recipient: (transaction.recipients.len() == 1).then(|| &transaction.recipients[0]),
        }
        .to_header(SystemTime::now())
    }

    /// Octets of an incoming message held before they go to the store as a part.
    fn part_size(&self) -> usize {
        usize::try_from(self.ctx.config.limits.message_part_size.get()).unwrap_or(usize::MAX)
    }

    /// Writes `body` to the store as the next part of the message being received; false, with
    /// the failure logged, when the store cannot take it (the message is then refused `452`).
    async fn write_part(&mut self, body: MessageBody) -> bool {
        let (store, ids) = (self.ctx.store.clone(), &self.ctx.ids);
        let transaction = self.transaction.as_mut().expect("a transaction receives content");
        let parts = transaction.parts.get_or_insert_with(|| ReceivedParts::new(store, ids.next_id()));
        let written = parts.write(body).await;
        // Whatever happened, the session holds none of it now.
        transaction.memory.release();
        match written {
            Ok(()) => true,
            Err(e) => {
                tracing::error!(peer = %self.peer, "writing part of an incoming message failed: {e}");
                false
            }
        }
    }

    fn max_message_size(&self) -> usize {
        usize::try_from(self.ctx.config.limits.max_message_size.get()).unwrap_or(usize::MAX)
    }
}

/// What a message costs in memory while it is stored, in multiples of its size: the content,
/// the one piece it is joined into to be checked, and the blob the journal writes. A message
/// that went to the store in parts costs one copy less when it is read back to be checked
/// (the journal writes only its last part), and none more when nothing reads it.
const STORE_COPIES: usize = 3;
/// How long a received message waits for the message memory to cover its storing.
const STORE_WAIT: Duration = Duration::from_secs(10);

/// Grows `memory` to what storing a message of `size` octets costs (`copies` times its size,
/// at most the whole budget; with no copies, what `memory` holds already), waiting up to
/// [`STORE_WAIT`] for other deliveries to give theirs back; false when it could not.
async fn reserve_for_storing(memory: &mut Reservation, size: usize, copies: usize) -> bool {
    if copies == 0 {
        return true;
    }
    let total = size.saturating_mul(copies).min(memory.budget().limit()).max(size);
    let deadline = Instant::now() + STORE_WAIT;
    while !memory.reserve_to(total) {
        // A message larger than the whole budget would wait for nothing.
        if total > memory.budget().limit() || Instant::now() >= deadline {
            return false;
        }
        glommio::timer::sleep(Duration::from_millis(20)).await;
    }
    true
}

/// Where a DATA transfer stands against the server's message memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Budget {
    /// Everything received is reserved and kept.
    Within,
    /// A reservation failed: the reader is fed up to a line end, where it can be replaced.
    Realigning,
    /// Nothing is kept any more; the transfer is read to its end marker for `452`.
    Discarding,
}

/// Feeds `reader` the input up to and including its last CRLF, leaving what follows (and
/// whatever the reader did not take) in `input`; None, feeding nothing, when `input` holds no
/// CRLF. A reader that answers `NeedMore` to input ending with a CRLF stands at the start of a
/// line, as a fresh [`DataReader`] does, so the two read the rest of the stream alike.
fn feed_to_last_crlf(reader: &mut DataReader, input: &mut BytesMut) -> Option<DataStep> {
    let end = memchr::memmem::rfind(&input[..], b"\r\n")? + 2;
    let mut head = input.split_to(end);
    let step = reader.feed(&mut head);
    head.unsplit(std::mem::take(input));
    *input = head;
    Some(step)
}

/// The received content in one piece (a copy only when it arrived in several segments).
fn contiguous(segments: &[Bytes]) -> Cow<'_, [u8]> {
    match segments {
        [one] => Cow::Borrowed(&one[..]),
        _ => Cow::Owned(segments.concat()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads `wire` as DATA with the reader replaced mid-stream the way a session does when
    /// the message memory is spent after `cut` octets; returns what is left after the end.
    fn discard_after(wire: &[u8], cut: usize) -> Option<Vec<u8>> {
        let mut reader = DataReader::new(1 << 20);
        let mut input = BytesMut::from(&wire[..cut]);
        if reader.feed(&mut input) == DataStep::Done {
            return Some([&input[..], &wire[cut..]].concat());
        }
        let mut realigned = false;
        for (at, &byte) in wire.iter().enumerate().skip(cut) {
            input.extend_from_slice(&[byte]);
            let step = match realigned {
                false => match feed_to_last_crlf(&mut reader, &mut input) {
                    Some(DataStep::NeedMore) => {
                        reader = DataReader::new(0);
                        realigned = true;
                        DataStep::NeedMore
                    }
                    Some(step) => step,
                    None => reader.feed(&mut input),
                },
                true => reader.feed(&mut input),
            };
            if step == DataStep::Done {
                return Some([&input[..], &wire[at + 1..]].concat());
            }
        }
        None
    }

    /// Wherever the switch to discarding happens, the message ends where it really ends: no
    /// dot line inside it (stuffed, after a bare LF or CR) is taken for the end marker.
    #[test]
    fn discarding_mid_data_stays_in_step_with_the_stream() {
        let bodies: &[&[u8]] = &[
            b"Subject: a\r\n\r\nline\r\n",
            b"x\r\n..\r\n...stuffed\r\n",
            b"bare lf\n.\r\nafter\r\n",
            b"bare cr\r.\r\nafter\r\n",
            b"mid.\r\n.line\r\n\r\n",
            b"no crlf for a while then \r\n",
        ];
        for body in bodies {
            let wire = [*body, b".\r\nQUIT\r\n"].concat();
            for cut in 0..wire.len() {
                assert_eq!(discard_after(&wire, cut).as_deref(), Some(&b"QUIT\r\n"[..]), "{body:?} cut at {cut}");
            }
        }
    }
}

//! Every RocksDB key layout in one place. Integers are big-endian so that byte order is numeric
//! order and range scans come out sorted; `\0` separates a name from what follows (addresses,
//! domains and mailbox names cannot contain NUL).
//!
//! | column family | key | value |
//! |---|---|---|
//! | `domain`  | domain | empty |
//! | `account` | address | [`Account`](super::records::Account) |
//! | `alias`   | address, or `@domain` for a catch-all | [`Alias`](super::records::Alias) |
//! | `mailbox` | address `\0` mailbox name | [`MailboxMeta`](super::records::MailboxMeta) |
//! | `subscription` | address `\0` mailbox name | empty |
//! | `mail`    | address `\0` mailbox id (u32) uid (u32) | [`MailEntry`](super::records::MailEntry) |
//! | `blob`    | message id (u128) | raw message |
//! | `blob`    | message id (u128) part number (u32), for a message stored in parts | that part of the raw message |
//! | `parts`   | message id (u128) of a message stored in parts | [`Parts`](super::records::Parts) |
//! | `mta_sts` | lower-case domain | [`MtaStsPolicy`](super::records::MtaStsPolicy) |
//! | `refs`    | message id (u128) | i64 little-endian, summed by a merge operator |
//! | `queue`   | due (u64 secs) message id (u128) recipient | [`QueueEntry`](super::records::QueueEntry) |
//! | `suppression` | lower-case recipient address | [`Suppression`](super::records::Suppression) |
//! | `warmup` | `s\0` address, or `u\0` address `\0` day (u64 BE) site | [`WarmupState`](super::records::WarmupState), or a message count (i64 LE, merge-added) |
//! | `sender_stats` | hour (u64, secs / 3,600) lower-case sender domain `\0` `d` (delivered) or `c` (complaint) | count (i64 LE, merge-added) |
//! | `sender_suppression` | lower-case sender domain `\0` lower-case recipient | [`Suppression`](super::records::Suppression) |
//! | `dkim_key` | lower-case domain `\0` selector | [`DkimKey`](super::records::DkimKey) |
//! | `access`  | list (`allow` or `block`) `\0` entry (network, domain or address) | time added (u64 secs) |
//! | `bayes`   | scope (`""` or an address) `\0` token (u64), or scope `\0T` for totals | spam, ham (i32 LE each, merge-added) |
//! | `dmarc_report` | period (u64 secs), then policy domain, source IP, From domain, disposition, DKIM aligned, SPF aligned, DKIM domain, DKIM result, SPF domain, SPF result, `\0`-separated | count (i64 LE, merge-added) |
//! | `tls_report` | period (u64 secs), then policy domain, result type (empty: success), sending IP, MX host, MX IP, `\0`-separated | count (i64 LE, merge-added) |
//! | `tls_report_in` | arrival (u64 secs), then the report id | [`ReceivedTlsReport`](super::records::ReceivedTlsReport) |
//! | `events`  | sequence number (u64) | the event as one JSON object (UTF-8) |
//! | `event_cursor` | reader's name | sequence number of the last event it has (u64) |
//! | `expunged` | when the last reference went (u64 secs) message id (u128) | empty |
//! | `quota`   | address | storage limit in octets (u64 LE) |
//! | `vanished` | address `\0` mailbox id (u32) modseq (u64) | [`Vanished`](super::records::Vanished) |
//! | `vanished` | address `\0` mailbox id (u32) 0 (u64) | the mailbox's floor: newest modseq swept (u64) |
//!
//! Records are encoded as `records.rs` says: a version byte of their type, then postcard.

mod counters;
mod directory;
mod events;
mod mail;
mod queue;
mod sender_stats;
mod warmup;

pub use counters::{bayes_token, bayes_totals, dmarc_report, dmarc_row, received_tls_report, tls_report, tls_row};
pub use directory::{
    access, access_entry, access_list, account, alias, dkim_domain, dkim_key, dkim_key_parts, domain, name_of,
};
pub use events::{event, event_cursor, event_seq};
pub use mail::{
    account_prefix, expunged, mail, mail_prefix, mailbox, mailbox_name, message, message_part, modseq_of_vanished_key,
    subscription, uid_of_mail_key, vanished,
};
pub use queue::{
    queue, queue_due, queue_from, queue_message_id, sender_suppression, sender_suppression_parts, suppression,
};
pub use sender_stats::{SenderCount, sender_stat, sender_stat_hour, sender_stat_parts};
pub use warmup::{warmup_state, warmup_state_address, warmup_use, warmup_use_parts, warmup_use_prefix};

/// Separates a name from what follows.
const SEP: u8 = 0;

/// The first key after every key that starts with `prefix` (for range deletes and scans).
pub fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return end;
        }
    }
    vec![u8::MAX; prefix.len() + 1]
}

/// `name \0 rest`: the keys of one name sort together, before those of any longer name.
fn joined(name: &[u8], rest: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(name.len() + 1 + rest.len());
    k.extend_from_slice(name);
    k.push(SEP);
    k.extend_from_slice(rest);
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_carries_over_full_bytes() {
        assert_eq!(prefix_end(&[1, 2]), vec![1, 3]);
        assert_eq!(prefix_end(&[1, 255]), vec![2]);
        assert_eq!(prefix_end(&[255, 255]), vec![255; 3]);
    }
}

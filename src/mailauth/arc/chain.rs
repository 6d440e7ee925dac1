//! Collecting a message's ARC sets (RFC 8617 section 5.2, steps 1 to 3): every ARC header field
//! parsed, grouped by instance, and checked to form sets 1..N with exactly one field of each
//! kind per instance.
//!
//! Besides the chain, the collection tells the sealer what it needs even of a broken chain: the
//! highest instance any field names and whether the latest seal says `cv=fail`.

use std::collections::BTreeMap;

use super::aar::ArcAuthenticationResults;
use super::ams::ArcMessageSignature;
use super::instance::MAX_INSTANCE;
use super::seal::{ArcSeal, ChainStatus};
use super::{AAR_NAME, AMS_NAME, AS_NAME};
use crate::dkim::headers::Field;
use crate::dkim::tags::TagList;

/// ARC header fields parsed per message; a message with more cannot hold a valid chain (50 sets
/// of three), and parsing them all would only cost us.
pub(crate) const MAX_FIELDS: usize = 3 * MAX_INSTANCE as usize;

/// The most bytes of ARC header fields a message may hold: a seal signs every set before it, so
/// validating a chain hashes up to 50 times this. Real sets are a few kilobytes.
pub(crate) const MAX_BYTES: usize = 512 * 1024;

/// A header field and what it parsed to.
#[derive(Debug)]
pub(crate) struct Parsed<'f, 'a, T> {
    /// The field as it is in the message.
    pub field: &'f Field<'a>,
    /// Its value, parsed.
    pub value: T,
}

/// One ARC set: the three fields of one instance.
#[derive(Debug)]
pub(crate) struct ArcSet<'f, 'a> {
    /// The ARC-Authentication-Results.
    pub aar: Parsed<'f, 'a, ArcAuthenticationResults>,
    /// The ARC-Message-Signature.
    pub ams: Parsed<'f, 'a, ArcMessageSignature>,
    /// The ARC-Seal.
    pub seal: Parsed<'f, 'a, ArcSeal>,
}

/// The ARC fields of a message.
#[derive(Debug)]
pub(crate) struct Chain<'f, 'a> {
    /// Whether the message has any ARC header field.
    pub present: bool,
    /// The highest instance any ARC field names, read leniently (a field that fails to parse
    /// for another reason still counts); 0 when none can be read.
    pub highest: u64,
    /// A seal at the highest instance says `cv=fail`: the chain was already marked broken.
    pub latest_fails: bool,
    /// The sets from instance 1 up, or why the fields do not form a chain.
    pub sets: Result<Vec<ArcSet<'f, 'a>>, String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Aar,
    Ams,
    Seal,
}

impl Kind {
    fn of(field: &Field<'_>) -> Option<Kind> {
        if field.is(AAR_NAME) {
            Some(Kind::Aar)
        } else if field.is(AMS_NAME) {
            Some(Kind::Ams)
        } else if field.is(AS_NAME) {
            Some(Kind::Seal)
        } else {
            None
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Aar => AAR_NAME,
            Kind::Ams => AMS_NAME,
            Kind::Seal => AS_NAME,
        }
    }
}

/// The instance a field names, read as leniently as possible; `None` when it cannot be read.
fn lenient_instance(kind: Kind, value: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(value).ok()?;
    let digits = match kind {
        Kind::Aar => {
            let rest = text.trim_start().strip_prefix('i')?.trim_start().strip_prefix('=')?.trim_start();
            &rest[..rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len())]
        }
        Kind::Ams | Kind::Seal => TagList::parse(text).ok()?.value("i")?,
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Saturate: a huge instance is still the highest.
    Some(digits.parse().unwrap_or(u64::MAX))
}

/// Whether a seal field says `cv=fail`, read leniently.
fn says_fail(value: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(value) else { return false };
    TagList::parse(text).ok().and_then(|tags| tags.value("cv").and_then(ChainStatus::parse)) == Some(ChainStatus::Fail)
}

/// The three fields of one instance while they are collected.
struct Slot<'f, 'a> {
    aar: Vec<Parsed<'f, 'a, ArcAuthenticationResults>>,
    ams: Vec<Parsed<'f, 'a, ArcMessageSignature>>,
    seal: Vec<Parsed<'f, 'a, ArcSeal>>,
}

/// Collects the ARC sets among `fields` (a message's header fields, top to bottom).
pub(crate) fn collect<'f, 'a>(fields: &'f [Field<'a>]) -> Chain<'f, 'a> {
    let arc: Vec<(Kind, &'f Field<'a>)> = fields.iter().filter_map(|f| Kind::of(f).map(|k| (k, f))).collect();
    let instances: Vec<Option<u64>> = arc.iter().map(|(kind, f)| lenient_instance(*kind, f.value())).collect();
    let highest = instances.iter().flatten().copied().max().unwrap_or(0);
    let latest_fails = arc
        .iter()
        .zip(&instances)
        .any(|((kind, f), i)| *kind == Kind::Seal && *i == Some(highest) && highest > 0 && says_fail(f.value()));
    let bytes: usize = arc.iter().map(|(_, f)| f.raw.len()).sum();
    let sets = if arc.len() > MAX_FIELDS {
        Err(format!("{} ARC header fields, more than {MAX_FIELDS}", arc.len()))
    } else if bytes > MAX_BYTES {
        Err(format!("{bytes} bytes of ARC header fields, more than {MAX_BYTES}"))
    } else {
        group(&arc)
    };
    Chain { present: !arc.is_empty(), highest, latest_fails, sets }
}

/// Parses each field and groups them into sets, checking the structure of step 3.
fn group<'f, 'a>(arc: &[(Kind, &'f Field<'a>)]) -> Result<Vec<ArcSet<'f, 'a>>, String> {
    let mut slots: BTreeMap<u32, Slot<'f, 'a>> = BTreeMap::new();
    for &(kind, field) in arc {
        let failed = |e: super::ArcHeaderError| format!("{}: {e}", kind.name());
        match kind {
            Kind::Aar => {
                let value = ArcAuthenticationResults::parse_bytes(field.value()).map_err(failed)?;
                entry(&mut slots, value.instance).aar.push(Parsed { field, value });
            }
            Kind::Ams => {
                let value = ArcMessageSignature::parse_bytes(field.value()).map_err(failed)?;
                entry(&mut slots, value.instance).ams.push(Parsed { field, value });
            }
            Kind::Seal => {
                let value = ArcSeal::parse_bytes(field.value()).map_err(failed)?;
                entry(&mut slots, value.instance).seal.push(Parsed { field, value });
            }
        }
    }
    let mut sets = Vec::with_capacity(slots.len());
    for (expected, (instance, slot)) in (1u32..).zip(slots) {
        if instance != expected {
            return Err(format!("no ARC set with i={expected}"));
        }
        let aar = one(slot.aar, Kind::Aar, instance)?;
        let ams = one(slot.ams, Kind::Ams, instance)?;
        let seal = one(slot.seal, Kind::Seal, instance)?;
        sets.push(ArcSet { aar, ams, seal });
    }
    Ok(sets)
}

fn entry<'s, 'f, 'a>(slots: &'s mut BTreeMap<u32, Slot<'f, 'a>>, instance: u32) -> &'s mut Slot<'f, 'a> {
    slots.entry(instance).or_insert_with(|| Slot { aar: Vec::new(), ams: Vec::new(), seal: Vec::new() })
}

/// The one field of a kind in a set.
fn one<T>(mut found: Vec<T>, kind: Kind, instance: u32) -> Result<T, String> {
    match found.len() {
        1 => found.pop().ok_or_else(|| format!("no {} with i={instance}", kind.name())),
        0 => Err(format!("no {} with i={instance}", kind.name())),
        n => Err(format!("{n} {} fields with i={instance}", kind.name())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dkim::headers::split;

    const AS1: &str = "ARC-Seal: i=1; a=rsa-sha256; cv=none; d=example.org; s=s; b=AAAA\r\n";
    const AMS1: &str = "ARC-Message-Signature: i=1; a=rsa-sha256; d=example.org; s=s; h=from; bh=AAAA; b=AAAA\r\n";
    const AAR1: &str = "ARC-Authentication-Results: i=1; mx.example.org; spf=pass\r\n";

    fn chain_of(header: &str) -> (bool, u64, bool, Result<usize, String>) {
        let message = format!("{header}From: a@example.org\r\n\r\nbody\r\n");
        let (fields, _) = split(message.as_bytes());
        let chain = collect(&fields);
        (chain.present, chain.highest, chain.latest_fails, chain.sets.map(|s| s.len()))
    }

    fn set(i: u32, cv: &str) -> String {
        [AS1.replace("cv=none", &format!("cv={cv}")), AMS1.to_owned(), AAR1.to_owned()]
            .concat()
            .replace("i=1;", &format!("i={i};"))
    }

    #[test]
    fn collects_sets_in_order() {
        assert_eq!(chain_of(""), (false, 0, false, Ok(0)));
        assert_eq!(chain_of(&set(1, "none")), (true, 1, false, Ok(1)));
        // Sets may come in any order; fields of a set too.
        let two = format!("{AAR1}{}{AMS1}{AS1}", set(2, "pass"));
        assert_eq!(chain_of(&two), (true, 2, false, Ok(2)));
        assert_eq!(chain_of(&format!("{}{}", set(2, "fail"), set(1, "none"))), (true, 2, true, Ok(2)));
    }

    #[test]
    fn reports_structural_faults() {
        let (_, highest, _, sets) = chain_of(&set(2, "pass"));
        assert_eq!((highest, sets), (2, Err("no ARC set with i=1".into())));
        let (.., sets) = chain_of(&format!("{}{AS1}", set(1, "none")));
        assert_eq!(sets, Err("2 ARC-Seal fields with i=1".into()));
        let (.., sets) = chain_of(&format!("{AS1}{AAR1}"));
        assert_eq!(sets, Err("no ARC-Message-Signature with i=1".into()));
        let (present, highest, _, sets) = chain_of("ARC-Seal: i=7; garbage\r\n");
        assert_eq!((present, highest), (true, 0));
        assert!(sets.unwrap_err().starts_with("ARC-Seal: syntax error"));
        let (_, highest, latest_fails, sets) = chain_of(&format!("ARC-Seal: i=3; cv=fail; a=x\r\n{}", set(1, "none")));
        assert_eq!((highest, latest_fails), (3, true));
        assert!(sets.is_err());
        let (_, highest, ..) = chain_of("ARC-Authentication-Results: i=99999999999999999999999; x\r\n");
        assert_eq!(highest, u64::MAX);
    }

    #[test]
    fn too_large_fields_are_not_parsed() {
        let header = format!("ARC-Authentication-Results: i=1; mx; x={}\r\n", "y".repeat(MAX_BYTES));
        let (.., sets) = chain_of(&header);
        assert_eq!(sets, Err(format!("{} bytes of ARC header fields, more than {MAX_BYTES}", header.len() - 2)));
    }

    #[test]
    fn too_many_fields_are_not_parsed() {
        let header = AAR1.repeat(MAX_FIELDS + 1);
        let (_, highest, _, sets) = chain_of(&header);
        assert_eq!(highest, 1);
        assert_eq!(sets, Err(format!("{} ARC header fields, more than {MAX_FIELDS}", MAX_FIELDS + 1)));
    }
}

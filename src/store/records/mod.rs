//! Values stored in RocksDB: postcard behind a one-byte format version of their own type.
//!
//! Every record type implements [`Record`] with its `VERSION`. Changing a field of one means
//! bumping its version and teaching [`Record::upgrade`] to read the bytes the old version
//! wrote, because those stay on disk. Each type has a test that decodes hard-coded bytes of
//! each earlier version (its "goldens", see `golden` below), so a field change without a
//! version bump and an upgrade path fails the tests. Version 1 is what every type was first
//! written as.

mod directory;
mod dkim;
mod mailbox;
mod mta_sts;
mod operator;
mod parts;
mod queue;
mod tls_report;
mod vanished;
mod warmup;

pub use directory::{Account, Alias};
pub use dkim::DkimKey;
pub use mailbox::{MailEntry, MailboxMeta, flags};
pub use mta_sts::MtaStsPolicy;
pub use operator::{ApiToken, Suspension};
pub use parts::Parts;
pub use queue::{QueueEntry, QueueOptions, Suppression};
pub use tls_report::{ReceivedTlsPolicy, ReceivedTlsReport};
pub use vanished::Vanished;
pub use warmup::WarmupState;

use serde::{Serialize, de::DeserializeOwned};

use super::StoreError;

/// A value stored under a key, in one column family, with a format version of its own.
pub trait Record: Serialize + DeserializeOwned {
    /// The format version this build writes, first in the record's bytes; bump it whenever a
    /// field changes.
    const VERSION: u8;

    /// Decodes the postcard bytes of a record written by an earlier `version` of this type.
    /// A type still at its first version has none to decode.
    fn upgrade(version: u8, _body: &[u8]) -> Result<Self, StoreError> {
        Err(unknown_version(version))
    }
}

/// Encodes a record behind its type's version.
pub fn encode<T: Record>(value: &T) -> Vec<u8> {
    let mut out = vec![T::VERSION];
    // Serializing plain structs into a Vec cannot fail.
    out.extend(postcard::to_stdvec(value).expect("record serialization"));
    out
}

/// Decodes a record written by [`encode`] with this build's version of `T` or an earlier one.
pub fn decode<T: Record>(bytes: &[u8]) -> Result<T, StoreError> {
    match bytes.split_first() {
        Some((&version, body)) if version == T::VERSION => postcard_body(body),
        Some((&version, body)) if version < T::VERSION => T::upgrade(version, body),
        Some((&version, _)) => Err(unknown_version(version)),
        None => Err(StoreError::Corrupt("empty record".into())),
    }
}

/// Decodes the postcard bytes after the version.
fn postcard_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, StoreError> {
    postcard::from_bytes(body).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn unknown_version(version: u8) -> StoreError {
    StoreError::Corrupt(format!("unknown record version {version}"))
}

/// The check behind every record type's golden test.
#[cfg(test)]
pub(crate) mod golden {
    use std::fmt::Debug;

    use super::{Record, decode, encode};

    /// `golden` (bytes some version of `T` wrote, kept forever) decodes to `value`; and when
    /// it is of the current version, `value` encodes to exactly those bytes, so a field change
    /// that forgets to bump the version fails here.
    pub(crate) fn check<T: Record + PartialEq + Debug>(golden: &[u8], value: &T) {
        assert_eq!(&decode::<T>(golden).expect("golden bytes decode"), value);
        if golden[0] == T::VERSION {
            assert_eq!(encode(value), golden, "the encoding changed: bump VERSION, keep a decoder for these bytes");
        }
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    /// How a record type moves on: version 2 of this one added `note`, and reads version 1.
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Example {
        count: u32,
        note: String,
    }

    impl Record for Example {
        const VERSION: u8 = 2;

        fn upgrade(version: u8, body: &[u8]) -> Result<Self, StoreError> {
            #[derive(Deserialize)]
            struct V1 {
                count: u32,
            }
            match version {
                1 => postcard_body::<V1>(body).map(|v1| Example { count: v1.count, note: String::new() }),
                _ => Err(unknown_version(version)),
            }
        }
    }

    #[test]
    fn an_upgraded_type_reads_its_old_versions_and_writes_its_new_one() {
        golden::check(b"\x01\x05", &Example { count: 5, note: String::new() });
        golden::check(b"\x02\x05\x02hi", &Example { count: 5, note: "hi".into() });
        assert!(matches!(decode::<Example>(b"\x00\x05"), Err(StoreError::Corrupt(_))));
    }

    #[test]
    fn round_trip_and_version_check() {
        let meta = MailboxMeta {
            uid_next: 3,
            highest_modseq: 9,
            messages: 2,
            keywords: vec!["$Junk".into()],
            ..MailboxMeta::new(1, 7)
        };
        let bytes = encode(&meta);
        assert_eq!(decode::<MailboxMeta>(&bytes).unwrap(), meta);
        for version in [0, 9] {
            let mut other = bytes.clone();
            other[0] = version;
            assert!(matches!(decode::<MailboxMeta>(&other), Err(StoreError::Corrupt(_))), "version {version}");
        }
        assert!(decode::<MailboxMeta>(&bytes[..3]).is_err());
        assert!(decode::<MailboxMeta>(&[]).is_err());
    }
}

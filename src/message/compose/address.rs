//! Address fields as written: what the crate's own address parser reads in the value given
//! (refused when it had anything to repair), written back canonically, `Name <local@domain>`
//! with a non-ASCII display name as encoded words, and read once more to check that the
//! parser (and so the server's author check) finds the same mailbox in what is written.

use super::header::encoded_words;
use super::{ComposeError, atext, dot_atom};
use crate::mime::address::{Address, parse_checked};

/// Longest encoded word in a display name: short enough to share a line with the field name.
const NAME_WORD: usize = 60;

/// `value`, which must be exactly one mailbox, written for the field `field`.
pub(super) fn mailbox(field: &str, value: &str) -> Result<String, ComposeError> {
    let addresses = read(field, value)?;
    let [address] = addresses.as_slice() else {
        return Err(error(field, value, "is not one mailbox".to_string()));
    };
    write(field, value, address)
}

/// `value`, a comma-separated list of mailboxes (no groups), written for the field `field`.
pub(super) fn mailbox_list(field: &str, value: &str) -> Result<String, ComposeError> {
    let addresses = read(field, value)?;
    if addresses.is_empty() {
        return Err(error(field, value, "holds no mailbox".to_string()));
    }
    let written = addresses.iter().map(|a| write(field, value, a)).collect::<Result<Vec<_>, _>>()?;
    Ok(written.join(", "))
}

/// The addresses of `value`, which must hold no line break and need no repair.
fn read(field: &str, value: &str) -> Result<Vec<Address>, ComposeError> {
    if value.contains(['\r', '\n']) {
        return Err(ComposeError::LineBreak(field.to_string()));
    }
    let (addresses, repairs) = parse_checked(value.as_bytes());
    match repairs.first() {
        Some(repair) => Err(error(field, value, format!("is not RFC 5322 as written: {}", repair.describe()))),
        None => Ok(addresses),
    }
}

/// `address` written canonically, checked to read back as the same mailbox.
fn write(field: &str, value: &str, address: &Address) -> Result<String, ComposeError> {
    let (Some(local), Some(host)) = (&address.mailbox, &address.host) else {
        return Err(error(field, value, "holds an entry that is not local@domain (or a group)".to_string()));
    };
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    let spec = match dot_atom_utf8(local) {
        true => format!("{}@{}", text(local), text(host)),
        false => format!("\"{}\"@{}", text(local), text(host)),
    };
    let written = match address.name.as_deref().filter(|n| !n.is_empty()) {
        Some(name) => format!("{} <{spec}>", phrase(&text(name))),
        None => spec,
    };
    let (again, repairs) = parse_checked(written.as_bytes());
    let same = matches!(again.as_slice(), [a] if a.mailbox.as_ref() == Some(local) && a.host.as_ref() == Some(host));
    match same && repairs.is_empty() {
        true => Ok(written),
        false => Err(error(field, value, "has an address that cannot be written back as it was read".to_string())),
    }
}

/// A display name as an RFC 5322 phrase: as it is when it is atoms, quoted when it is other
/// printable ASCII, else encoded words.
fn phrase(name: &str) -> String {
    let atoms = name.split(' ').all(|atom| !atom.is_empty() && atom.bytes().all(atext));
    if atoms {
        return name.to_string();
    }
    if name.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""));
    }
    encoded_words(name, NAME_WORD, NAME_WORD).join(" ")
}

/// Whether a local part is a dot-atom, UTF-8 (RFC 6532) allowed in its atoms.
fn dot_atom_utf8(local: &[u8]) -> bool {
    let ascii: Vec<u8> = local.iter().map(|&b| if b >= 0x80 { b'a' } else { b }).collect();
    dot_atom(&ascii)
}

/// The error for the field `field` given as `value`.
fn error(field: &str, value: &str, reason: String) -> ComposeError {
    ComposeError::Address { field: field.to_string(), value: value.to_string(), reason }
}

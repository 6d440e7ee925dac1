//! Virus scanning on the SMTP hot path: the raw message, then every MIME part of its
//! [`Parsed`] tree decoded (base64, quoted-printable; attached messages too, those sent encoded
//! included), is checked against the signatures of `signatures.rs`.
//!
//! | file | what |
//! |---|---|
//! | `signatures.rs` | ClamAV `.hdb`/`.hsb`/`.ndb` (fixed strings) and EICAR; matching |
//! | `archive.rs` | zip members decompressed and scanned, with limits against zip bombs |
//! | `clamd.rs` | the optional second opinion of clamd (INSTREAM) |

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod archive;
pub mod signatures;

use message::Parsed;
use message::parsed::Content;

pub use signatures::Database;

/// Parts looked at in one message at most (attached messages included).
const MAX_PARTS: usize = 1000;
/// How deep attached messages sent encoded are decoded and followed (each level costs a
/// decoding of what it holds).
const MAX_ENCODED_DEPTH: usize = 3;

/// The name of the first signature the message matches, in its raw form or any decoded part.
pub fn scan<'d>(database: &'d Database, message: &Parsed<'_>) -> Option<&'d str> {
    if let Some(name) = database.scan(message.raw) {
        return Some(name);
    }
    let mut budget = Budget { parts: MAX_PARTS, archives: archive::Budget::default() };
    scan_parts(database, message, &mut budget, 0)
}

/// What may still be looked at for one message.
struct Budget {
    parts: usize,
    archives: archive::Budget,
}

/// Scans the decoded leaf parts of `message` (an attached one `encoded` levels down when it
/// was sent encoded), and zip archives among them.
fn scan_parts<'d>(
    database: &'d Database,
    message: &Parsed<'_>,
    budget: &mut Budget,
    encoded: usize,
) -> Option<&'d str> {
    for visit in message.parts() {
        if budget.parts == 0 {
            return None;
        }
        budget.parts -= 1;
        if matches!(visit.content, Content::Multipart | Content::Message) {
            continue;
        }
        let contents = message.decoded(visit.part);
        if let Some(name) = database.scan(&contents) {
            return Some(name);
        }
        if archive::is_zip(&contents)
            && let Some(name) = archive::scan(database, &contents, &mut budget.archives)
        {
            return Some(name);
        }
        if encoded < MAX_ENCODED_DEPTH
            && let Some(inner) = message.encapsulated(visit.part)
            && let Some(name) = scan_parts(database, &Parsed::new(&inner), budget, encoded + 1)
        {
            return Some(name);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;

    const EICAR: &str = r"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

    fn scan_raw<'d>(database: &'d Database, raw: &[u8]) -> Option<&'d str> {
        scan(database, &Parsed::new(raw))
    }

    fn with_attachment(encoding: &str, body: &str) -> Vec<u8> {
        format!(
            "From: a@example.org\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
             --b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n\
             --b\r\nContent-Type: application/octet-stream; name=eicar.com\r\nContent-Transfer-Encoding: {encoding}\r\n\r\n\
             {body}\r\n--b--\r\n"
        )
        .into_bytes()
    }

    #[test]
    fn eicar_is_found_however_it_is_encoded() {
        let db = Database::load(&[] as &[&str]).unwrap();
        let b64 = STANDARD.encode(EICAR);
        assert_eq!(scan_raw(&db, &with_attachment("base64", &b64)), Some("Eicar-Test-Signature"));
        let qp = EICAR.replace('$', "=24");
        assert!(!qp.contains(EICAR));
        assert_eq!(scan_raw(&db, &with_attachment("quoted-printable", &qp)), Some("Eicar-Test-Signature"));
        let inner = String::from_utf8(with_attachment("base64", &b64)).unwrap();
        let nested = format!(
            "From: b@example.org\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=o\r\n\r\n\
             --o\r\nContent-Type: message/rfc822\r\n\r\n{inner}\r\n--o--\r\n"
        );
        assert_eq!(scan_raw(&db, nested.as_bytes()), Some("Eicar-Test-Signature"), "inside a forwarded message");
        let encoded = format!(
            "From: b@example.org\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=o\r\n\r\n\
             --o\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--o--\r\n",
            STANDARD.encode(&inner)
        );
        assert_eq!(scan_raw(&db, encoded.as_bytes()), Some("Eicar-Test-Signature"), "inside an encoded forward");
        assert_eq!(scan_raw(&db, &with_attachment("base64", &STANDARD.encode("harmless"))), None);
        assert_eq!(scan_raw(&db, b"broken\r\nContent-Type: multipart/mixed; boundary=\r\n\r\n--"), None, "no panic");
    }

    #[test]
    fn zip_members_are_scanned() {
        use std::io::Write;
        let db = Database::load(&[] as &[&str]).unwrap();
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        zip.start_file("eicar.com", zip::write::SimpleFileOptions::default()).unwrap();
        zip.write_all(EICAR.as_bytes()).unwrap();
        let zip = zip.finish().unwrap().into_inner();
        assert_eq!(scan_raw(&db, &with_attachment("base64", &STANDARD.encode(&zip))), Some("Eicar-Test-Signature"));
    }

    #[test]
    fn the_part_budget_ends_the_scan() {
        let db = Database::load(&[] as &[&str]).unwrap();
        let b64 = STANDARD.encode(EICAR);
        let mut raw = String::from("Content-Type: multipart/mixed; boundary=b\r\n\r\n");
        for _ in 0..MAX_PARTS {
            raw.push_str("--b\r\n\r\nfiller\r\n");
        }
        raw.push_str(&format!("--b\r\nContent-Transfer-Encoding: base64\r\n\r\n{b64}\r\n--b--\r\n"));
        assert_eq!(scan_raw(&db, raw.as_bytes()), None, "beyond the budget");
        let raw = raw.replacen("--b\r\n\r\nfiller\r\n", "", 2);
        assert_eq!(scan_raw(&db, raw.as_bytes()), Some("Eicar-Test-Signature"), "within it");
    }
}

//! Virus scanning on the SMTP hot path: every MIME part of a message is decoded (base64,
//! quoted-printable; nested messages too) with `mail-parser`, and each decoded part, and the
//! raw message, is checked against the signatures of `signatures.rs`.
//!
//! | file | what |
//! |---|---|
//! | `signatures.rs` | ClamAV `.hdb`/`.hsb`/`.ndb` (fixed strings) and EICAR; matching |
//! | `archive.rs` | zip members decompressed and scanned, with limits against zip bombs |
//! | `clamd.rs` | the optional second opinion of clamd (INSTREAM) |

pub mod archive;
pub mod clamd;
pub mod signatures;

use mail_parser::{Message, MessageParser, PartType};

pub use signatures::Database;

/// Parts looked at in one message at most (nested messages included).
const MAX_PARTS: usize = 1000;

/// The name of the first signature the message matches, in its raw form or any decoded part.
pub fn scan<'d>(database: &'d Database, message: &[u8]) -> Option<&'d str> {
    if let Some(name) = database.scan(message) {
        return Some(name);
    }
    let parsed = MessageParser::default().parse(message)?;
    let mut budget = MAX_PARTS;
    scan_parts(database, &parsed, &mut budget, &mut archive::Budget::default())
}

fn scan_parts<'d>(
    database: &'d Database,
    message: &Message<'_>,
    budget: &mut usize,
    archives: &mut archive::Budget,
) -> Option<&'d str> {
    for part in &message.parts {
        if *budget == 0 {
            return None;
        }
        *budget -= 1;
        match &part.body {
            PartType::Message(nested) => {
                if let Some(name) = scan_parts(database, nested, budget, archives) {
                    return Some(name);
                }
            }
            PartType::Multipart(_) => {}
            _ => {
                let contents = part.contents();
                if let Some(name) = database.scan(contents) {
                    return Some(name);
                }
                if archive::is_zip(contents)
                    && let Some(name) = archive::scan(database, contents, archives)
                {
                    return Some(name);
                }
            }
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
        assert_eq!(scan(&db, &with_attachment("base64", &b64)), Some("Eicar-Test-Signature"));
        let qp = EICAR.replace('$', "=24");
        assert!(!qp.contains(EICAR));
        assert_eq!(scan(&db, &with_attachment("quoted-printable", &qp)), Some("Eicar-Test-Signature"));
        let inner = String::from_utf8(with_attachment("base64", &b64)).unwrap();
        let nested = format!(
            "From: b@example.org\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=o\r\n\r\n\
             --o\r\nContent-Type: message/rfc822\r\n\r\n{inner}\r\n--o--\r\n"
        );
        assert_eq!(scan(&db, nested.as_bytes()), Some("Eicar-Test-Signature"), "inside a forwarded message");
        assert_eq!(scan(&db, &with_attachment("base64", &STANDARD.encode("harmless"))), None);
        assert_eq!(scan(&db, b"broken\r\nContent-Type: multipart/mixed; boundary=\r\n\r\n--"), None, "no panic");
    }
}

//! Zip archives in attachments: every member is decompressed (stored or deflated) and scanned
//! like a part, zips inside zips too, within limits that defuse zip bombs. Encrypted members
//! and other compression methods are left to clamd.

use std::io::{Cursor, Read};

use super::Database;

/// Members looked at per message.
const MAX_MEMBERS: usize = 1000;
/// Decompressed octets per message.
const MAX_TOTAL: u64 = 64 << 20;
/// Archives inside archives.
const MAX_DEPTH: usize = 3;

/// What may still be decompressed for one message.
pub struct Budget {
    members: usize,
    octets: u64,
}

impl Default for Budget {
    fn default() -> Budget {
        Budget { members: MAX_MEMBERS, octets: MAX_TOTAL }
    }
}

/// Whether `data` starts like a zip archive.
pub fn is_zip(data: &[u8]) -> bool {
    data.starts_with(b"PK\x03\x04")
}

/// The first signature a member of the zip archive `data` matches.
pub fn scan<'d>(database: &'d Database, data: &[u8], budget: &mut Budget) -> Option<&'d str> {
    scan_at(database, data, budget, 1)
}

fn scan_at<'d>(database: &'d Database, data: &[u8], budget: &mut Budget, depth: usize) -> Option<&'d str> {
    let mut archive = zip::ZipArchive::new(Cursor::new(data)).ok()?;
    for i in 0..archive.len() {
        if budget.members == 0 || budget.octets == 0 {
            return None;
        }
        budget.members -= 1;
        let Ok(member) = archive.by_index(i) else { continue };
        if member.is_dir() || member.encrypted() {
            continue;
        }
        let mut contents = Vec::with_capacity(member.size().min(budget.octets) as usize);
        if member.take(budget.octets).read_to_end(&mut contents).is_err() {
            continue;
        }
        budget.octets -= contents.len() as u64;
        if let Some(name) = database.scan(&contents) {
            return Some(name);
        }
        if depth < MAX_DEPTH
            && is_zip(&contents)
            && let Some(name) = scan_at(database, &contents, budget, depth + 1)
        {
            return Some(name);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    const EICAR: &[u8] = br"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

    fn zip_of(name: &str, contents: &[u8], method: zip::CompressionMethod) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default().compression_method(method);
        writer.start_file(name, options).unwrap();
        writer.write_all(contents).unwrap();
        writer.finish().unwrap().into_inner()
    }

    #[test]
    fn eicar_in_a_zip_in_a_zip_is_found_and_clean_archives_pass() {
        let db = Database::load(&[] as &[&str]).unwrap();
        // Padding makes the compressor code the member (a short one would be stored as is).
        let padded = [EICAR, &[b' '; 4096][..]].concat();
        let inner = zip_of("eicar.com", &padded, zip::CompressionMethod::Deflated);
        assert!(db.scan(&inner).is_none(), "deflated, the raw archive does not show it");
        assert_eq!(scan(&db, &inner, &mut Budget::default()), Some("Eicar-Test-Signature"));
        let outer = zip_of("inner.zip", &inner, zip::CompressionMethod::Stored);
        assert_eq!(scan(&db, &outer, &mut Budget::default()), Some("Eicar-Test-Signature"));
        let clean = zip_of("readme.txt", b"hello", zip::CompressionMethod::Deflated);
        assert_eq!(scan(&db, &clean, &mut Budget::default()), None);
        assert_eq!(scan(&db, b"PK\x03\x04 truncated", &mut Budget::default()), None);
    }

    #[test]
    fn a_zip_bomb_stops_at_the_budget() {
        let db = Database::load(&[] as &[&str]).unwrap();
        let mut big = vec![0u8; 8 << 20];
        big.extend_from_slice(EICAR);
        let bomb = zip_of("zeros.bin", &big, zip::CompressionMethod::Deflated);
        assert!(bomb.len() < 64 * 1024);
        let mut budget = Budget { members: 10, octets: 1 << 20 };
        assert_eq!(scan(&db, &bomb, &mut budget), None, "the signature lies beyond what may be inflated");
        assert_eq!(scan(&db, &bomb, &mut Budget::default()), Some("Eicar-Test-Signature"));
    }
}

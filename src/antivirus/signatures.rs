//! Virus signatures in ClamAV's database formats: `.hdb` (MD5 of a whole file), `.hsb` (SHA-256
//! of a whole file) and the fixed-string subset of `.ndb` (hex body patterns without wildcards),
//! plus the EICAR test signature built in. Patterns are matched in one pass with an
//! Aho-Corasick automaton.

use std::collections::HashMap;
use std::path::Path;

use aho_corasick::AhoCorasick;

/// The EICAR anti-virus test file's signature string (eicar.org): every scanner must find it.
const EICAR: &[u8] = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

/// Patterns shorter than this would match ordinary mail; `.ndb` lines with them are skipped.
const MIN_PATTERN: usize = 8;

/// A loaded signature database.
pub struct Database {
    md5: HashMap<(u64, [u8; 16]), String>,
    sha256: HashMap<(u64, [u8; 32]), String>,
    /// Hashes whose size is given as `*` (any size).
    md5_any: HashMap<[u8; 16], String>,
    sha256_any: HashMap<[u8; 32], String>,
    names: Vec<String>,
    matcher: AhoCorasick,
    /// Lines that were read and those skipped (unsupported forms), for the log.
    pub loaded: usize,
    /// Lines in a form this scanner does not support (wildcards, offsets, other targets).
    pub skipped: usize,
}

impl Database {
    /// The built-in signatures and those in `files` (by extension: `.hdb`, `.hsb`, `.ndb`).
    pub fn load(files: &[impl AsRef<Path>]) -> Result<Database, String> {
        let mut sources = Vec::with_capacity(files.len());
        for file in files {
            let path = file.as_ref();
            let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let kind = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
            sources.push((path.display().to_string(), kind, text));
        }
        Database::parse(&sources)
    }

    /// The built-in signatures and those in `sources`: (name for errors, file type, text).
    pub fn parse(sources: &[(String, String, String)]) -> Result<Database, String> {
        let mut builder = Builder::default();
        builder.patterns.push(("Eicar-Test-Signature".into(), EICAR.to_vec()));
        for (name, kind, text) in sources {
            for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
                let ok = match kind.as_str() {
                    "hdb" | "hsb" => builder.hash_line(line),
                    "ndb" => builder.body_line(line),
                    other => return Err(format!("{name}: unknown signature file type `.{other}`")),
                };
                if ok { builder.loaded += 1 } else { builder.skipped += 1 }
            }
        }
        builder.build()
    }

    /// The name of the first signature `data` (one decoded file or part) matches.
    pub fn scan(&self, data: &[u8]) -> Option<&str> {
        let size = data.len() as u64;
        if !self.md5.is_empty() || !self.md5_any.is_empty() {
            let digest: [u8; 16] = md5::compute(data).0;
            if let Some(name) = self.md5.get(&(size, digest)).or_else(|| self.md5_any.get(&digest)) {
                return Some(name);
            }
        }
        if !self.sha256.is_empty() || !self.sha256_any.is_empty() {
            let digest: [u8; 32] = ring::digest::digest(&ring::digest::SHA256, data).as_ref().try_into().ok()?;
            if let Some(name) = self.sha256.get(&(size, digest)).or_else(|| self.sha256_any.get(&digest)) {
                return Some(name);
            }
        }
        self.matcher.find(data).map(|m| self.names[m.pattern().as_usize()].as_str())
    }
}

#[derive(Default)]
struct Builder {
    md5: HashMap<(u64, [u8; 16]), String>,
    sha256: HashMap<(u64, [u8; 32]), String>,
    md5_any: HashMap<[u8; 16], String>,
    sha256_any: HashMap<[u8; 32], String>,
    patterns: Vec<(String, Vec<u8>)>,
    loaded: usize,
    skipped: usize,
}

impl Builder {
    /// `hash:size:name` (size `*` for any); MD5 or SHA-256 by length.
    fn hash_line(&mut self, line: &str) -> bool {
        let mut fields = line.splitn(3, ':');
        let (Some(hash), Some(size), Some(name)) = (fields.next(), fields.next(), fields.next()) else { return false };
        let name = name.split(':').next().unwrap_or(name).to_string();
        let size = if size == "*" { None } else { size.parse::<u64>().ok().map(Some).unwrap_or(None) };
        let Some(bytes) = hex(hash) else { return false };
        match (bytes.len(), size) {
            (16, Some(size)) => self.md5.insert((size, bytes.try_into().expect("16 bytes")), name),
            (16, None) => self.md5_any.insert(bytes.try_into().expect("16 bytes"), name),
            (32, Some(size)) => self.sha256.insert((size, bytes.try_into().expect("32 bytes")), name),
            (32, None) => self.sha256_any.insert(bytes.try_into().expect("32 bytes"), name),
            _ => return false,
        };
        true
    }

    /// `name:target:offset:hexsig`: only target 0 (any file), offset `*` and plain hex.
    fn body_line(&mut self, line: &str) -> bool {
        let fields: Vec<&str> = line.split(':').collect();
        let [name, target, offset, signature, ..] = fields.as_slice() else { return false };
        if *target != "0" || *offset != "*" {
            return false;
        }
        match hex(signature) {
            Some(bytes) if bytes.len() >= MIN_PATTERN => {
                self.patterns.push((name.to_string(), bytes));
                true
            }
            _ => false,
        }
    }

    fn build(self) -> Result<Database, String> {
        let (names, patterns): (Vec<String>, Vec<Vec<u8>>) = self.patterns.into_iter().unzip();
        let matcher = AhoCorasick::new(&patterns).map_err(|e| format!("building the pattern matcher: {e}"))?;
        Ok(Database {
            md5: self.md5,
            sha256: self.sha256,
            md5_any: self.md5_any,
            sha256_any: self.sha256_any,
            names,
            matcher,
            loaded: self.loaded,
            skipped: self.skipped,
        })
    }
}

/// Plain hex (even length, no wildcards) as bytes.
fn hex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_patterns_and_the_built_in_eicar() {
        let dir = tempfile::tempdir().unwrap();
        let sample = b"this is not really malware, just a test sample";
        let md5 = format!("{:x}", md5::compute(sample));
        std::fs::write(
            dir.path().join("t.hdb"),
            format!("# comment\n{md5}:{}:Test.Sample.MD5\nzz:1:Bad\n", sample.len()),
        )
        .unwrap();
        let sha = ring::digest::digest(&ring::digest::SHA256, b"another sample");
        let sha: String = sha.as_ref().iter().map(|b| format!("{b:02x}")).collect();
        std::fs::write(dir.path().join("t.hsb"), format!("{sha}:*:Test.Sample.SHA256\n")).unwrap();
        std::fs::write(
            dir.path().join("t.ndb"),
            "Test.Pattern:0:*:6576696c2d7061747465726e\nTest.Wildcard:0:*:6576??696c2d\nTest.Short:0:*:6576\nTest.Pe:1:*:6576696c2d7061747465726e\n",
        )
        .unwrap();
        let files = ["t.hdb", "t.hsb", "t.ndb"].map(|f| dir.path().join(f));
        let db = Database::load(&files).unwrap();
        assert_eq!((db.loaded, db.skipped), (3, 4));
        assert_eq!(db.scan(sample), Some("Test.Sample.MD5"));
        assert_eq!(db.scan(b"another sample"), Some("Test.Sample.SHA256"));
        assert_eq!(db.scan(b"some evil-pattern in the middle"), Some("Test.Pattern"));
        assert_eq!(db.scan(&[b"prefix ".as_slice(), EICAR, b"\r\n"].concat()), Some("Eicar-Test-Signature"));
        assert_eq!(db.scan(b"an ordinary message"), None);
        assert!(Database::load(&[dir.path().join("t.txt")]).is_err());
    }
}

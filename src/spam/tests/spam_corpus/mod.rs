//! The packed SpamAssassin 2002 corpus (`tests/data/spam/`), shared by the accuracy test, the
//! default-model builder and the benchmark.

use std::io::Read;

use spam::split_mbox;

/// The corpus file, relative to the workspace root.
pub const PATH: &str = "tests/data/spam/spamassassin-2002.mbox.gz";

/// The corpus messages by class, in corpus order.
pub struct Corpus {
    /// Ham messages.
    pub ham: Vec<Vec<u8>>,
    /// Spam messages.
    pub spam: Vec<Vec<u8>>,
}

/// Reads and unpacks the corpus.
pub fn load() -> Corpus {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().find(|d| d.join(PATH).exists());
    let path = root.expect("corpus under an ancestor of the crate").join(PATH);
    let packed = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut mbox = Vec::new();
    flate2::read::GzDecoder::new(&packed[..]).read_to_end(&mut mbox).expect("corpus gzip");
    let mut corpus = Corpus { ham: Vec::new(), spam: Vec::new() };
    for entry in split_mbox(&mbox) {
        if entry.separator.starts_with(b"From spam@") {
            corpus.spam.push(entry.message);
        } else if entry.separator.starts_with(b"From ham@") {
            corpus.ham.push(entry.message);
        }
    }
    corpus
}

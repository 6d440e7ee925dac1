//! Parse failures: the public error the session answers with `BAD`, and the internal result.

/// Why a command could not be parsed; `tag` is `None` when not even a tag could be read (the
/// session answers `* BAD`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    /// The command's tag, when one was read.
    pub tag: Option<String>,
    /// A short description for the `BAD` response text.
    pub message: String,
}

/// What the grammar functions return: a static reason on failure.
pub(super) type Result<T> = std::result::Result<T, &'static str>;

//! Configuration value types that validate themselves while deserializing.

use std::fmt;

use serde::Deserialize;

/// A DNS host name such as `mx.example.com` (letters, digits, hyphens, dots).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Hostname(String);

impl Hostname {
    /// The name as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Hostname {
    fn default() -> Hostname {
        Hostname("localhost".into())
    }
}

impl TryFrom<String> for Hostname {
    type Error = String;

    fn try_from(name: String) -> Result<Hostname, String> {
        let valid = !name.is_empty()
            && name.len() <= 253
            && name.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
        if valid {
            Ok(Hostname(name.to_ascii_lowercase()))
        } else {
            Err(format!("hostname: `{name}` is not a valid host name"))
        }
    }
}

impl fmt::Display for Hostname {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

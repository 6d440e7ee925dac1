//! Reading a configuration file.

use std::path::Path;

use super::Config;

/// A configuration that could not be loaded; the text names the file, line and key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// File that failed.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML or a key or value is wrong.
    #[error("{path}: {message}")]
    Invalid {
        /// File that failed.
        path: String,
        /// toml's message: line, column, the offending key and what was expected.
        message: String,
    },
}

impl Config {
    /// Loads `path`, or returns the embedded default when `path` is `None`.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let Some(path) = path else { return Ok(Config::default()) };
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: name.clone(), source })?;
        Config::from_toml(&text, &name)
    }

    /// Parses configuration text; `name` is used in error messages.
    pub fn from_toml(text: &str, name: &str) -> Result<Config, ConfigError> {
        let invalid = |message: String| ConfigError::Invalid { path: name.to_string(), message };
        let config: Config = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        super::outbound::check(&config.route, &config.pool, &config.warmup).map_err(invalid)?;
        super::webhook::check(&config.webhook).map_err(invalid)?;
        Ok(config)
    }
}

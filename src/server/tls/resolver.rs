//! Which certificate a handshake gets: the one whose name the client asked for (SNI), else the
//! one for `hostname`. All of them can be reloaded from disk while the server runs.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use super::certs;
use crate::config::Config;

/// Where each certificate comes from.
#[derive(Debug, Clone)]
struct Source {
    cert: PathBuf,
    key: PathBuf,
}

/// The loaded certificates.
struct Loaded {
    default: Arc<CertifiedKey>,
    by_name: HashMap<String, Arc<CertifiedKey>>,
}

/// Certificates by name, swapped as a whole on reload.
pub struct CertificateStore {
    default_source: Source,
    sni_sources: Vec<(String, Source)>,
    loaded: RwLock<Arc<Loaded>>,
}

impl CertificateStore {
    /// Loads the configured certificates; makes a self-signed one when `[tls] cert` is empty.
    pub fn load(config: &Config) -> anyhow::Result<CertificateStore> {
        let default_source = if config.tls.cert.as_os_str().is_empty() {
            let (cert, key) = certs::self_signed(&config.tls_dir(), config.hostname.as_str())?;
            Source { cert, key }
        } else {
            Source { cert: config.tls.cert.clone(), key: config.tls.key.clone() }
        };
        let sni_sources: Vec<(String, Source)> = config
            .tls
            .sni
            .iter()
            .map(|s| (s.name.as_str().to_string(), Source { cert: s.cert.clone(), key: s.key.clone() }))
            .collect();
        let loaded = RwLock::new(Arc::new(read_all(&default_source, &sni_sources)?));
        Ok(CertificateStore { default_source, sni_sources, loaded })
    }

    /// Reads every certificate again; on any error the old ones stay in use.
    pub fn reload(&self) -> anyhow::Result<()> {
        let loaded = read_all(&self.default_source, &self.sni_sources)?;
        *self.loaded.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(loaded);
        Ok(())
    }

    fn current(&self) -> Arc<Loaded> {
        Arc::clone(&self.loaded.read().unwrap_or_else(|e| e.into_inner()))
    }
}

/// Reads the certificate for `hostname` and those for SNI names.
fn read_all(default: &Source, sni: &[(String, Source)]) -> anyhow::Result<Loaded> {
    let default = Arc::new(certs::load(&default.cert, &default.key)?);
    let mut by_name = HashMap::new();
    for (name, source) in sni {
        by_name.insert(name.clone(), Arc::new(certs::load(&source.cert, &source.key)?));
    }
    Ok(Loaded { default, by_name })
}

impl fmt::Debug for CertificateStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertificateStore")
            .field("default", &self.default_source.cert)
            .field("sni", &self.sni_sources.iter().map(|(n, _)| n).collect::<Vec<_>>())
            .finish()
    }
}

impl ResolvesServerCert for CertificateStore {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let loaded = self.current();
        let by_sni = hello.server_name().and_then(|name| loaded.by_name.get(&name.to_ascii_lowercase()));
        Some(Arc::clone(by_sni.unwrap_or(&loaded.default)))
    }
}

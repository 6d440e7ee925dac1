//! Certificates from PEM files, and the self-signed certificate made when none is configured.

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// Reads a PEM certificate chain and its private key.
pub fn load(cert: &Path, key: &Path) -> anyhow::Result<CertifiedKey> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .with_context(|| format!("reading certificate {}", cert.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("parsing certificate {}", cert.display()))?;
    if chain.is_empty() {
        return Err(anyhow!("{}: no certificate in the file", cert.display()));
    }
    let key_der =
        PrivateKeyDer::from_pem_file(key).with_context(|| format!("reading private key {}", key.display()))?;
    let signing_key = rustls::crypto::ring::sign::any_supported_type(&key_der)
        .with_context(|| format!("{}: unsupported private key", key.display()))?;
    let certified = CertifiedKey::new(chain, signing_key);
    certified.keys_match().with_context(|| format!("{} does not belong to {}", key.display(), cert.display()))?;
    Ok(certified)
}

/// The paths of the self-signed certificate for `hostname` in `dir`, made on first use.
pub fn self_signed(dir: &Path, hostname: &str) -> anyhow::Result<(PathBuf, PathBuf)> {
    let cert = dir.join("self-signed.crt");
    let key = dir.join("self-signed.key");
    if cert.exists() && key.exists() {
        return Ok((cert, key));
    }
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let made =
        rcgen::generate_simple_self_signed(vec![hostname.to_string()]).context("making a self-signed certificate")?;
    write_private(&key, made.key_pair.serialize_pem().as_bytes())?;
    fs::write(&cert, made.cert.pem()).with_context(|| format!("writing {}", cert.display()))?;
    tracing::warn!(
        cert = %cert.display(),
        "no [tls] certificate configured: made a self-signed one for {hostname}; clients will not trust it"
    );
    Ok((cert, key))
}

/// Writes a file only its owner can read.
fn write_private(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    file.write_all(contents)?;
    file.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_signed_is_made_once_and_loads() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = self_signed(dir.path(), "mx.example.test").unwrap();
        let first = fs::read(&cert).unwrap();
        let (cert2, _) = self_signed(dir.path(), "mx.example.test").unwrap();
        assert_eq!(fs::read(cert2).unwrap(), first, "kept, not made again");
        let mode = fs::metadata(&key).unwrap().permissions();
        assert_eq!(std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777, 0o600);
        let loaded = load(&cert, &key).unwrap();
        assert_eq!(loaded.cert.len(), 1);
    }

    #[test]
    fn mismatched_or_missing_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let (cert_a, _) = self_signed(&dir.path().join("a"), "a.test").unwrap();
        let (_, key_b) = self_signed(&dir.path().join("b"), "b.test").unwrap();
        let err = load(&cert_a, &key_b).unwrap_err().to_string();
        assert!(err.contains("does not belong"), "{err}");
        let err = load(&dir.path().join("none.pem"), &key_b).unwrap_err().to_string();
        assert!(err.contains("none.pem"), "{err}");
    }
}

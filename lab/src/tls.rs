//! `--tls`: HTTPS with a self-signed certificate. Its PEM is written to a file whose path the
//! ready line gives as `ca_cert`, so clients can trust it.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{CertificateParams, DnType, KeyPair, SanType};
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

/// Failures setting up TLS.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot generate the TLS certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("cannot build the TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
    #[error("TLS private key: {0}")]
    Key(String),
    #[error("cannot write the TLS certificate to {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The server side of `--tls`.
pub struct LabTls {
    pub acceptor: TlsAcceptor,
    /// The certificate's PEM file (the ready line's `ca_cert`).
    pub ca_cert: PathBuf,
}

/// Makes a self-signed certificate for `localhost`, the loopback addresses and `ip`, writes it
/// to `<dir>/ca.pem` and builds the acceptor (HTTP/2 and HTTP/1.1 via ALPN).
pub fn setup(dir: &Path, ip: IpAddr) -> Result<LabTls, TlsError> {
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    let mut params = CertificateParams::new(vec!["localhost".to_owned()])?;
    params
        .distinguished_name
        .push(DnType::CommonName, "autopilot-lab");
    for address in [
        IpAddr::from([127, 0, 0, 1]),
        IpAddr::from(std::net::Ipv6Addr::LOCALHOST),
        ip,
    ] {
        if !params
            .subject_alt_names
            .contains(&SanType::IpAddress(address))
        {
            params.subject_alt_names.push(SanType::IpAddress(address));
        }
    }
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2050, 1, 1);
    let cert = params.self_signed(&key)?;
    let path = dir.join("ca.pem");
    std::fs::create_dir_all(dir).map_err(|source| TlsError::Write {
        path: path.clone(),
        source,
    })?;
    std::fs::write(&path, cert.pem()).map_err(|source| TlsError::Write {
        path: path.clone(),
        source,
    })?;
    let key_der =
        PrivateKeyDer::try_from(key.serialize_der()).map_err(|e| TlsError::Key(e.to_string()))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(vec![CertificateDer::from(cert.der().to_vec())], key_der)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(LabTls {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        ca_cert: path,
    })
}

//! AutoMTLS: a fresh server certificate per process, and a client verifier
//! that accepts exactly the certificate Terraform put in PLUGIN_CLIENT_CERT.
//!
//! rustls's WebPKI verifier refuses Terraform's certificate (it is a CA used
//! as an end entity), and the ring provider lacks P-521, so this uses
//! aws-lc-rs and compares the presented certificate byte for byte.

use std::sync::Arc;

use rcgen::{
    CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{
    DigitallySignedStruct, DistinguishedName as TlsName, Error as TlsError, ServerConfig,
    SignatureScheme,
};

#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error("PLUGIN_CLIENT_CERT is not a PEM certificate: {0}")]
    ClientCert(String),
    #[error("cannot create the server certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("cannot configure TLS: {0}")]
    Rustls(#[from] TlsError),
}

/// The server's certificate (DER, for the handshake line) and TLS config.
pub struct AutoMtls {
    pub server_cert_der: Vec<u8>,
    pub config: Arc<ServerConfig>,
}

pub(super) fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// Builds the TLS configuration for a client certificate in PEM form.
pub fn auto_mtls(client_cert_pem: &str) -> Result<AutoMtls, TlsSetupError> {
    let client_cert = CertificateDer::from_pem_slice(client_cert_pem.as_bytes())
        .map_err(|e| TlsSetupError::ClientCert(e.to_string()))?;

    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384)?;
    let mut params = CertificateParams::new(vec!["localhost".to_string()])?;
    let mut name = DistinguishedName::new();
    name.push(DnType::OrganizationName, "HashiCorp");
    name.push(DnType::CommonName, "localhost");
    params.distinguished_name = name;
    params.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
        KeyUsagePurpose::KeyAgreement,
        KeyUsagePurpose::KeyCertSign,
    ];
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2050, 1, 1);
    let cert = params.self_signed(&key)?;
    let server_cert_der = cert.der().to_vec();
    let key_der = PrivateKeyDer::try_from(key.serialize_der())
        .map_err(|e| TlsSetupError::ClientCert(e.to_string()))?;

    let crypto = provider();
    let verifier = Arc::new(PinnedClientCert {
        expected: client_cert.into_owned(),
        algorithms: crypto.signature_verification_algorithms,
    });
    let mut config = ServerConfig::builder_with_provider(crypto)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![CertificateDer::from(server_cert_der.clone())], key_der)?;
    // grpc-go >= 1.67 refuses TLS servers that do not negotiate h2.
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(AutoMtls {
        server_cert_der,
        config: Arc::new(config),
    })
}

/// Accepts exactly one client certificate and checks the handshake
/// signatures made with its key.
#[derive(Debug)]
struct PinnedClientCert {
    expected: CertificateDer<'static>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for PinnedClientCert {
    fn root_hint_subjects(&self) -> &[TlsName] {
        &[]
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, TlsError> {
        if end_entity.as_ref() == self.expected.as_ref() {
            Ok(ClientCertVerified::assertion())
        } else {
            tracing::warn!("refused a plugin client whose certificate is not PLUGIN_CLIENT_CERT");
            Err(TlsError::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

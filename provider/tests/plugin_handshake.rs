//! The plugin binary as go-plugin sees it: the magic cookie, the handshake
//! line, and AutoMTLS that accepts only the PLUGIN_CLIENT_CERT certificate.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use base64::Engine;
use rcgen::{CertificateParams, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;

const COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// A certificate like the one Terraform makes: self-signed P-521, CA:TRUE.
fn terraform_like_client_cert() -> (String, CertificateDer<'static>, PrivateKeyDer<'static>) {
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).expect("key");
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).expect("params");
    params.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let cert = params.self_signed(&key).expect("cert");
    let key_der = PrivateKeyDer::try_from(key.serialize_der()).expect("key der");
    (cert.pem(), cert.der().clone(), key_der)
}

struct Plugin {
    child: Child,
    socket: String,
    server_cert: Vec<u8>,
}

impl Drop for Plugin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_plugin(client_cert_pem: &str) -> Plugin {
    let mut child = Command::new(env!("CARGO_BIN_EXE_terraform-provider-autopilot"))
        .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_CLIENT_CERT", client_cert_pem)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the provider");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("handshake line");
    let fields: Vec<&str> = line.trim_end().split('|').collect();
    assert_eq!(fields.len(), 6, "handshake line {line:?}");
    assert_eq!(&fields[..3], ["1", "6", "unix"]);
    assert_eq!(fields[4], "grpc");
    assert!(
        !fields[5].contains('='),
        "the certificate is unpadded base64"
    );
    let server_cert = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(fields[5])
        .expect("base64 DER");
    Plugin {
        child,
        socket: fields[3].to_string(),
        server_cert,
    }
}

/// Connects with `client` credentials, sends the HTTP/2 preface and returns
/// what the server answers (its SETTINGS frame) or the error.
async fn talk(
    plugin: &Plugin,
    cert: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
) -> Result<Vec<u8>, String> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = Arc::new(PinnedServer {
        expected: plugin.server_cert.clone(),
        algorithms: provider.signature_verification_algorithms,
    });
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_client_auth_cert(vec![cert], key)
        .map_err(|e| e.to_string())?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let stream = UnixStream::connect(&plugin.socket)
        .await
        .map_err(|e| e.to_string())?;
    let name = ServerName::try_from("localhost").map_err(|e| e.to_string())?;
    let mut tls = connector
        .connect(name, stream)
        .await
        .map_err(|e| e.to_string())?;
    assert_eq!(
        tls.get_ref().1.alpn_protocol(),
        Some(&b"h2"[..]),
        "ALPN h2 is negotiated"
    );
    tls.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
        .await
        .map_err(|e| e.to_string())?;
    let mut buf = vec![0u8; 64];
    let n = tls.read(&mut buf).await.map_err(|e| e.to_string())?;
    if n == 0 {
        return Err("connection closed".into());
    }
    buf.truncate(n);
    Ok(buf)
}

/// Go trusts a self-signed leaf that is in its root pool; this does the same
/// by comparing the server certificate with the one in the handshake line.
#[derive(Debug)]
struct PinnedServer {
    expected: Vec<u8>,
    algorithms: rustls::crypto::WebPkiSupportedAlgorithms,
}

impl rustls::client::danger::ServerCertVerifier for PinnedServer {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.expected.as_slice() {
            Ok(rustls::client::danger::ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(
                "unexpected server certificate".into(),
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[tokio::test]
async fn the_pinned_client_certificate_is_served() {
    let (pem, cert, key) = terraform_like_client_cert();
    let plugin = start_plugin(&pem);
    let answer = talk(&plugin, cert, key)
        .await
        .expect("the right certificate is accepted");
    // An HTTP/2 frame header whose type byte (offset 3) is SETTINGS (4).
    assert_eq!(answer.get(3), Some(&4u8), "server answered {answer:?}");
}

#[tokio::test]
async fn a_different_client_certificate_is_refused() {
    let (pem, _, _) = terraform_like_client_cert();
    let (_, other_cert, other_key) = terraform_like_client_cert();
    let plugin = start_plugin(&pem);
    let result = talk(&plugin, other_cert, other_key).await;
    assert!(
        result.is_err(),
        "a stranger's certificate must be refused, got {result:?}"
    );
}

#[tokio::test]
async fn a_refused_client_does_not_stop_the_plugin() {
    let (pem, cert, key) = terraform_like_client_cert();
    let (_, other_cert, other_key) = terraform_like_client_cert();
    let plugin = start_plugin(&pem);
    assert!(talk(&plugin, other_cert, other_key).await.is_err());
    let answer = talk(&plugin, cert, key)
        .await
        .expect("the rightful client still gets through");
    assert_eq!(answer.get(3), Some(&4u8));
}

#[test]
fn without_the_magic_cookie_it_explains_and_exits_1() {
    let output = Command::new(env!("CARGO_BIN_EXE_terraform-provider-autopilot"))
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .output()
        .expect("run the provider");
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty(), "nothing on stdout");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("plugin for Terraform"), "stderr: {stderr}");
}

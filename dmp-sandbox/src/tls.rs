//! TLS like the DMP's (docs/dmp-interface.md §5): TLS 1.2 only, ECDHE-RSA with AES-GCM or
//! ChaCha20-Poly1305, a client certificate required and chained to the client roots (an
//! expired or untrusted one fails the handshake). The ring provider only.

use std::sync::Arc;

use rustls::crypto::ring as provider;
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::config::ServerTls;
use crate::error::SandboxError;

/// The server configuration of `tls`.
pub(crate) fn server_config(tls: &ServerTls) -> Result<Arc<ServerConfig>, SandboxError> {
    let fail = |what: &str, e: &dyn std::fmt::Display| SandboxError::Tls(format!("{what}: {e}"));
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&tls.cert_chain_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| fail("server certificate chain (PEM)", &e))?;
    if chain.is_empty() {
        return Err(SandboxError::Tls(
            "the server certificate chain holds no CERTIFICATE block".into(),
        ));
    }
    let key = PrivateKeyDer::from_pem_slice(&tls.key_pem)
        .map_err(|e| fail("server private key (PEM)", &e))?;
    let mut roots = RootCertStore::empty();
    for pem in &tls.client_roots_pem {
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| fail("client root (PEM)", &e))?;
            roots
                .add(cert)
                .map_err(|e| fail("client root certificate", &e))?;
        }
    }
    if roots.is_empty() {
        return Err(SandboxError::Tls(
            "no client root: give at least one certificate client chains must end at".into(),
        ));
    }
    let mut p = provider::default_provider();
    p.cipher_suites = vec![
        provider::cipher_suite::TLS13_AES_128_GCM_SHA256, // unused: TLS 1.3 is off
        provider::cipher_suite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        provider::cipher_suite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        provider::cipher_suite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ];
    p.cipher_suites
        .retain(|s| s.version() == &rustls::version::TLS12);
    let provider = Arc::new(p);
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| fail("client verifier", &e))?;
    let config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS12])
        .map_err(|e| fail("protocol versions", &e))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(|e| fail("server certificate and key", &e))?;
    Ok(Arc::new(config))
}

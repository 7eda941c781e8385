//! TLS as the DMP asks it (dmp-interface.md §5): TLS 1.2 only, ECDHE-RSA with AES-GCM or
//! ChaCha20-Poly1305, mutual authentication, server roots given by the user. rustls with the
//! ring provider, the project's one crypto stack.
//!
//! Of the four ANS-approved suites, rustls offers three:
//! `TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`, `TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384` and
//! `TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256`. `TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384` is
//! not implemented by rustls (no CBC suite at all, by design): a DMP front end that only
//! offered it would be refused.

use std::cell::Cell;
use std::io::{Read, Write};
use std::sync::Arc;

use dmp_core::crypto::{Certificate, SigningIdentity};
use rustls::crypto::{ring, CryptoProvider};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned, SupportedCipherSuite};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, Transport,
    TransportAdapter,
};

use crate::error::TransportError;

/// The DMP suites rustls implements, in our order of preference.
pub const DMP_CIPHER_SUITES: [SupportedCipherSuite; 3] = [
    ring::cipher_suite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    ring::cipher_suite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    ring::cipher_suite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
];

/// The ring provider restricted to [`DMP_CIPHER_SUITES`] (so to TLS 1.2).
pub fn dmp_provider() -> CryptoProvider {
    CryptoProvider {
        cipher_suites: DMP_CIPHER_SUITES.to_vec(),
        ..ring::default_provider()
    }
}

/// The client configuration for the DMP: TLS 1.2 only, the three suites, only `roots`
/// trusted, `identity` (its whole chain) presented to the server.
pub fn client_config(
    identity: &SigningIdentity,
    roots: &[Certificate],
) -> Result<ClientConfig, TransportError> {
    let mut store = RootCertStore::empty();
    for root in roots {
        store
            .add(CertificateDer::from(root.der().to_vec()))
            .map_err(|e| {
                TransportError::settings(
                    "transport.server_roots",
                    format!(
                        "the certificate {} cannot be a trust anchor: {e}",
                        root.subject_rfc2253()
                    ),
                )
            })?;
    }
    let chain = identity
        .certificate_chain()
        .iter()
        .map(|c| CertificateDer::from(c.der().to_vec()))
        .collect();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        identity.private_key_pkcs8().to_vec(),
    ));
    ClientConfig::builder_with_provider(Arc::new(dmp_provider()))
        .with_protocol_versions(&[&rustls::version::TLS12])
        .map_err(|e| TransportError::settings("transport", format!("TLS set-up: {e}")))?
        .with_root_certificates(store)
        .with_client_auth_cert(chain, key)
        .map_err(|e| {
            TransportError::settings(
                "transport.client_certificate",
                format!("the TLS client key cannot be used: {e}"),
            )
        })
}

thread_local! {
    /// Whether any byte of the current request went on a TLS connection of this thread
    /// (ureq runs a request on the calling thread). Reset by [`begin_exchange`].
    static SENT: Cell<bool> = const { Cell::new(false) };
    /// The TLS suite of the last connection opened on this thread.
    static LAST_SUITE: Cell<Option<rustls::CipherSuite>> = const { Cell::new(None) };
}

/// Marks the start of an exchange on this thread.
pub(crate) fn begin_exchange() {
    SENT.with(|s| s.set(false));
}

/// Whether the current exchange wrote anything to the server (after a successful TLS
/// handshake, on a new or a reused connection).
pub(crate) fn request_written() -> bool {
    SENT.with(Cell::get)
}

/// The suite negotiated by the last TLS handshake on this thread (for diagnostics and tests).
pub fn last_negotiated_suite() -> Option<rustls::CipherSuite> {
    LAST_SUITE.with(Cell::get)
}

/// Wraps the connection of the connector chain in TLS with our [`ClientConfig`] (ureq's own
/// rustls connector builds its own config and would accept TLS 1.3 and other roots).
#[derive(Debug)]
pub(crate) struct DmpTlsConnector {
    pub(crate) config: Arc<ClientConfig>,
}

/// An error of the TLS handshake (so before any byte of the request).
#[derive(Debug, thiserror::Error)]
#[error("TLS handshake with {host} failed: {message}")]
pub(crate) struct HandshakeError {
    pub(crate) host: String,
    pub(crate) message: String,
}

impl<In: Transport> Connector<In> for DmpTlsConnector {
    type Out = Either<In, DmpTlsTransport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        let Some(transport) = chained else {
            return Ok(None);
        };
        if !details.needs_tls() || transport.is_tls() {
            return Ok(Some(Either::A(transport)));
        }
        let host = details
            .uri
            .host()
            .unwrap_or_default()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let fail = |message: String| {
            ureq::Error::Other(Box::new(HandshakeError {
                host: host.clone(),
                message,
            }))
        };
        let name = ServerName::try_from(host.clone())
            .map_err(|_| fail("not a valid DNS name or IP address".to_owned()))?;
        let mut conn =
            ClientConnection::new(self.config.clone(), name).map_err(|e| fail(e.to_string()))?;
        let mut sock = TransportAdapter::new(transport.boxed(), details.current_time.clone());
        sock.set_timeout(details.timeout);
        while conn.is_handshaking() {
            conn.complete_io(&mut sock).map_err(|e| match e.kind() {
                std::io::ErrorKind::TimedOut => ureq::Error::Timeout(ureq::Timeout::Connect),
                _ => fail(e.to_string()),
            })?;
        }
        LAST_SUITE.with(|s| s.set(conn.negotiated_cipher_suite().map(|s| s.suite())));
        let buffers = LazyBuffers::new(
            details.config.input_buffer_size(),
            details.config.output_buffer_size(),
        );
        Ok(Some(Either::B(DmpTlsTransport {
            buffers,
            stream: StreamOwned { conn, sock },
        })))
    }
}

/// A TLS connection as a ureq transport; records that the request was written.
pub(crate) struct DmpTlsTransport {
    buffers: LazyBuffers,
    stream: StreamOwned<ClientConnection, TransportAdapter>,
}

impl std::fmt::Debug for DmpTlsTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DmpTlsTransport").finish()
    }
}

impl Transport for DmpTlsTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        SENT.with(|s| s.set(true));
        self.stream.get_mut().set_timeout(timeout);
        let output = self.buffers.output().get(..amount).unwrap_or_default();
        self.stream.write_all(output)?;
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let input = self.buffers.input_append_buf();
        let amount = self.stream.read(input)?;
        self.buffers.input_appended(amount);
        Ok(amount > 0)
    }

    fn is_open(&mut self) -> bool {
        self.stream.get_mut().get_mut().is_open()
    }

    fn is_tls(&self) -> bool {
        true
    }
}

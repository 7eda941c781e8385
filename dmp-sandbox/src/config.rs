//! How a sandbox is started: addresses, data directory, TLS material, test fault hooks.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use crate::error::SandboxError;

/// Largest request body read (the DMP's 50 MiB of documents plus the envelope); a larger
/// one is refused with HTTP 413 before it is read.
pub const MAX_REQUEST_BYTES: usize = 64 << 20;

/// The TLS material of the server: its certificate chain and key, and the roots client
/// certificates must chain to (PEM).
#[derive(Clone)]
pub struct ServerTls {
    /// Server certificate then its CAs (PEM).
    pub cert_chain_pem: Vec<u8>,
    /// The server's private key (PEM, PKCS#8 or PKCS#1).
    pub key_pem: Vec<u8>,
    /// Each trusted client root (PEM, one or more certificates per entry).
    pub client_roots_pem: Vec<Vec<u8>>,
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTls")
            .field("cert_chain_pem", &self.cert_chain_pem.len())
            .field("key_pem", &"(secret)")
            .field("client_roots_pem", &self.client_roots_pem.len())
            .finish()
    }
}

impl ServerTls {
    /// The shipped test PKI (`examples/pki/`, every key public): server `CN=localhost`
    /// under `sandbox-root.pem`; client roots `root.pem` (establishment certificates),
    /// `sandbox-root.pem` (card authentication) and `usecases-root.pem` (the structures and
    /// the card of the use-case scenarios, `make-usecases-pki.sh`).
    pub fn test_pki() -> ServerTls {
        ServerTls {
            cert_chain_pem: include_bytes!("../../examples/pki/sandbox-server-chain.pem").to_vec(),
            key_pem: include_bytes!("../../examples/pki/sandbox-server-key.pem").to_vec(),
            client_roots_pem: vec![
                include_bytes!("../../examples/pki/root.pem").to_vec(),
                include_bytes!("../../examples/pki/sandbox-root.pem").to_vec(),
                include_bytes!("../../examples/pki/usecases-root.pem").to_vec(),
            ],
        }
    }

    /// Reads the material from PEM files (the CLI's `--tls-cert`, `--tls-key`,
    /// `--client-root`). Errors name the file.
    pub fn from_files(
        cert_chain: &Path,
        key: &Path,
        client_roots: &[PathBuf],
    ) -> Result<ServerTls, SandboxError> {
        let read = |p: &Path| {
            std::fs::read(p)
                .map_err(|e| SandboxError::Tls(format!("cannot read {}: {e}", p.display())))
        };
        Ok(ServerTls {
            cert_chain_pem: read(cert_chain)?,
            key_pem: read(key)?,
            client_roots_pem: client_roots
                .iter()
                .map(|p| read(p))
                .collect::<Result<_, _>>()?,
        })
    }
}

/// Test hooks that make the sandbox fail on purpose, for the client's fault tests. Each
/// applies to TD2.1 submissions (`DropAfterStore`, `AbortAfterStore`) or to any answer
/// (`DropMidResponse`), `count` times, then the sandbox behaves normally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Commit the submission, then close the connection without answering.
    DropAfterStore {
        /// How many submissions are answered so.
        count: u32,
    },
    /// Commit the submission, then abort the whole process (`std::process::abort`): for a
    /// test that runs `dmp sandbox serve` as a child process and restarts it.
    AbortAfterStore,
    /// Write the status line, the headers and half the body, then close the connection.
    DropMidResponse {
        /// How many answers are cut so.
        count: u32,
    },
}

/// Everything a sandbox needs to start.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// The HTTPS address (port 0: any free port, see [`crate::Sandbox::base_url`]).
    pub listen: SocketAddr,
    /// The plain-HTTP address of the HTML page (loopback only), if any.
    pub ui: Option<SocketAddr>,
    /// Where `sandbox.sqlite` lives (created if missing; kept across restarts).
    pub data_dir: PathBuf,
    /// Seed data directory read at the first start of an empty store (`None`: the
    /// embedded `examples/data/sandbox/`).
    pub seed_dir: Option<PathBuf>,
    /// Whether to seed an empty store at all.
    pub seed: bool,
    /// Whether the seed's hospital documents (`documents.json`) are stored too, besides the
    /// usagers (off for a test that counts what it feeds itself).
    pub seed_documents: bool,
    /// TLS material.
    pub tls: ServerTls,
    /// A test fault hook.
    pub fault: Option<Fault>,
    /// Largest request body accepted.
    pub max_request_bytes: usize,
}

impl SandboxConfig {
    /// The embedded default: HTTPS on `127.0.0.1:0`, no UI, the shipped test PKI, the
    /// embedded seed data (usagers and hospital documents).
    pub fn embedded(data_dir: PathBuf) -> SandboxConfig {
        SandboxConfig {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            ui: None,
            data_dir,
            seed_dir: None,
            seed: true,
            seed_documents: true,
            tls: ServerTls::test_pki(),
            fault: None,
            max_request_bytes: MAX_REQUEST_BYTES,
        }
    }
}

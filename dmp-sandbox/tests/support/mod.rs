//! A minimal HTTPS test client (rustls over std TcpStream, HTTP/1.1 POST, Content-Length or
//! close) and the request builders of the core, with the test PKI and sample actors.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, Utc};
use dmp_core::actor::ActorProfile;
use dmp_core::crypto::{CheckedSigner, SignatureAlgorithm, SigningIdentity, UsagePolicy};
use dmp_core::feed::{FeedContext, FeedRequest, IdGenerator};
use dmp_core::soap::mtom::HttpRequest;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};

pub fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

pub const PASSWORD: &str = "dmp-test";

pub fn identity(p12: &str) -> SigningIdentity {
    let bytes = std::fs::read(repo(&format!("examples/pki/{p12}"))).unwrap();
    SigningIdentity::from_pkcs12(&bytes, PASSWORD).unwrap()
}

pub fn now() -> DateTime<FixedOffset> {
    Utc::now().fixed_offset()
}

pub fn signer(p12: &str) -> CheckedSigner {
    identity(p12)
        .with_algorithm(SignatureAlgorithm::RsaSha1)
        .unwrap()
        .signer_at(Utc::now(), UsagePolicy::DmpSignature)
        .unwrap()
}

pub fn actor(name: &str) -> ActorProfile {
    let text = std::fs::read_to_string(repo(&format!("examples/data/actors/{name}.json"))).unwrap();
    ActorProfile::from_json(&text).unwrap()
}

/// The TD2.1 request of the DLU sample with id seed `seed` (same seed, same uniqueIds).
pub fn feed_request(seed: u64, tamper: impl FnOnce(&mut FeedRequest)) -> HttpRequest {
    let dir = repo("examples/data/feed");
    let mut request =
        FeedRequest::from_json(&std::fs::read_to_string(dir.join("dlu.json")).unwrap()).unwrap();
    request
        .resolve(|p| std::fs::read(dir.join(p)).map_err(|e| e.to_string()))
        .unwrap();
    tamper(&mut request);
    build_feed(&request, seed)
}

/// A TD2.1 request built by the core, signed with the establishment's seal.
pub fn build_feed(request: &FeedRequest, seed: u64) -> HttpRequest {
    let signer = signer("org-sign.p12");
    let mut ctx = FeedContext {
        now: now(),
        ids: IdGenerator::from_seed(seed),
        signer: &signer,
        rights: None,
    };
    dmp_core::feed::build(request, &mut ctx).unwrap().http
}

/// A consultation request built by the core for `actor`.
pub fn consult(request: &dmp_core::consult::ConsultRequest, seed: u64) -> HttpRequest {
    consult_built(request, seed).http
}

/// A consultation built by the core, with its envelope and body apart.
pub fn consult_built(
    request: &dmp_core::consult::ConsultRequest,
    seed: u64,
) -> dmp_core::consult::BuiltConsult {
    let signer = if request.actor.mode == dmp_core::actor::AuthMode::Directe {
        signer("cps-sign.p12")
    } else {
        signer("org-sign.p12")
    };
    let mut ctx = FeedContext {
        now: now(),
        ids: IdGenerator::from_seed(seed),
        signer: &signer,
        rights: None,
    };
    dmp_core::consult::build(request, &mut ctx).unwrap()
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    /// The answer as the core's readers take it (headers + body).
    pub fn message(&self) -> Vec<u8> {
        let mut m = format!("Content-Type: {}\r\n\r\n", self.content_type).into_bytes();
        m.extend_from_slice(&self.body);
        m
    }
}

fn client_config(p12: &str) -> Arc<rustls::ClientConfig> {
    let id = identity(p12);
    let chain: Vec<CertificateDer<'static>> = id
        .certificate_chain()
        .iter()
        .map(|c| CertificateDer::from(c.der().to_vec()))
        .collect();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(id.private_key_pkcs8().to_vec()));
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(repo("examples/pki/sandbox-root.pem")).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Arc::new(
        rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS12])
            .unwrap()
            .with_root_certificates(roots)
            .with_client_auth_cert(chain, key)
            .unwrap(),
    )
}

/// POSTs `request` to the sandbox over mutual TLS with the client certificate `p12`.
pub fn post(base_url: &str, p12: &str, request: &HttpRequest) -> std::io::Result<Answer> {
    post_raw(
        base_url,
        p12,
        &request.path,
        request.header("Content-Type").unwrap_or(""),
        &request.body,
    )
}

pub fn post_raw(
    base_url: &str,
    p12: &str,
    path: &str,
    content_type: &str,
    body: &[u8],
) -> std::io::Result<Answer> {
    let addr = base_url.trim_start_matches("https://");
    let tcp = TcpStream::connect(addr)?;
    tcp.set_read_timeout(Some(Duration::from_secs(30)))?;
    tcp.set_write_timeout(Some(Duration::from_secs(30)))?;
    let conn = rustls::ClientConnection::new(
        client_config(p12),
        ServerName::try_from("localhost").unwrap(),
    )
    .map_err(std::io::Error::other)?;
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    tls.write_all(head.as_bytes())?;
    tls.write_all(body)?;
    tls.flush()?;
    let mut raw = Vec::new();
    match tls.read_to_end(&mut raw) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !raw.is_empty() => {}
        Err(e) => return Err(e),
    }
    parse_http(&raw)
}

/// A plain HTTP GET (the HTML page).
pub fn get(url: &str) -> std::io::Result<Answer> {
    let rest = url.trim_start_matches("http://");
    let (addr, path) = rest.split_once('/').unwrap_or((rest, ""));
    let mut tcp = TcpStream::connect(addr)?;
    tcp.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        tcp,
        "GET /{path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    tcp.read_to_end(&mut raw)?;
    parse_http(&raw)
}

fn parse_http(raw: &[u8]) -> std::io::Result<Answer> {
    let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_owned());
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| bad("no end of headers"))?;
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("no status"))?;
    let mut content_type = String::new();
    let mut length = None;
    for l in lines {
        if let Some((n, v)) = l.split_once(':') {
            if n.eq_ignore_ascii_case("content-type") {
                content_type = v.trim().to_owned();
            } else if n.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse::<usize>().ok();
            }
        }
    }
    let body = raw[end + 4..].to_vec();
    if let Some(n) = length {
        if body.len() < n {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!("answer cut: {} of {n} bytes", body.len()),
            ));
        }
    }
    Ok(Answer {
        status,
        content_type,
        body,
    })
}

/// A sandbox on a fresh data directory: the seeded usagers, without the seeded hospital
/// documents (the tests count what they feed).
pub fn start(dir: &Path) -> dmp_sandbox::Sandbox {
    let mut config = dmp_sandbox::SandboxConfig::embedded(dir.to_path_buf());
    config.seed_documents = false;
    dmp_sandbox::Sandbox::start(config).unwrap()
}

/// A sandbox on `dir` as a tester gets it: the embedded seed, usagers and documents.
pub fn start_seeded(dir: &Path) -> dmp_sandbox::Sandbox {
    dmp_sandbox::Sandbox::start(dmp_sandbox::SandboxConfig::embedded(dir.to_path_buf())).unwrap()
}

/// A fresh temporary directory under the target directory.
pub fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "dmp-sandbox-test-{name}-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

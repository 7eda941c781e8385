//! A small TLS server (rustls, std threads) answering canned SOAP bodies, and a CONNECT
//! proxy, on 127.0.0.1. Every socket has a timeout; servers stop when dropped.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use dmp_core::crypto::{Certificate, SigningIdentity};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig, ServerConnection, StreamOwned};

pub const IO_TIMEOUT: Duration = Duration::from_secs(10);

pub fn pki() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/pki")
}

fn pem_certs(name: &str) -> Vec<Certificate> {
    Certificate::chain_from_pem(&std::fs::read_to_string(pki().join(name)).unwrap()).unwrap()
}

/// The sandbox server identity; clients verified against root.pem + sandbox-root.pem.
pub fn server_config(versions: &[&'static rustls::SupportedProtocolVersion]) -> Arc<ServerConfig> {
    let chain_pem = std::fs::read_to_string(pki().join("sandbox-server-chain.pem")).unwrap();
    let key_pem = std::fs::read_to_string(pki().join("sandbox-server-key.pem")).unwrap();
    let id = SigningIdentity::from_pem(&key_pem, &chain_pem).unwrap();
    let mut roots = RootCertStore::empty();
    for c in pem_certs("root.pem")
        .into_iter()
        .chain(pem_certs("sandbox-root.pem"))
    {
        roots.add(CertificateDer::from(c.der().to_vec())).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .unwrap();
    let chain = id
        .certificate_chain()
        .iter()
        .map(|c| CertificateDer::from(c.der().to_vec()))
        .collect();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(id.private_key_pkcs8().to_vec()));
    Arc::new(
        ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(versions)
            .unwrap()
            .with_client_cert_verifier(verifier)
            .with_single_cert(chain, key)
            .unwrap(),
    )
}

/// A request as the server read it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub head: String,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// What the server does with the n-th request (0-based).
pub enum Reply {
    /// Status, Content-Type, body.
    Answer(u16, &'static str, Vec<u8>),
    /// Close the connection after reading the request.
    Drop,
    /// Never answer (until the server stops).
    Hang,
    /// Send the head and half of the body, then close.
    Partial(Vec<u8>),
}

pub type Handler = dyn Fn(&Seen, usize) -> Reply + Send + Sync;

pub struct Server {
    pub addr: SocketAddr,
    pub connections: Arc<AtomicUsize>,
    pub requests: Arc<Mutex<Vec<Seen>>>,
    pub suites: Arc<Mutex<Vec<(rustls::CipherSuite, rustls::ProtocolVersion)>>>,
    pub handshake_errors: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl Server {
    pub fn start(
        config: Arc<ServerConfig>,
        handler: impl Fn(&Seen, usize) -> Reply + Send + Sync + 'static,
    ) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let mut server = Server {
            addr,
            connections: Arc::default(),
            requests: Arc::default(),
            suites: Arc::default(),
            handshake_errors: Arc::default(),
            stop: Arc::default(),
            accept: None,
        };
        let handler: Arc<Handler> = Arc::new(handler);
        let (connections, requests, suites, errors, stop) = (
            server.connections.clone(),
            server.requests.clone(),
            server.suites.clone(),
            server.handshake_errors.clone(),
            server.stop.clone(),
        );
        let accept = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                connections.fetch_add(1, Ordering::SeqCst);
                let (config, handler, requests, suites, errors, stop) = (
                    config.clone(),
                    handler.clone(),
                    requests.clone(),
                    suites.clone(),
                    errors.clone(),
                    stop.clone(),
                );
                std::thread::spawn(move || {
                    serve(
                        stream, config, &*handler, &requests, &suites, &errors, &stop,
                    )
                });
            }
        });
        server.accept = Some(accept);
        server
    }

    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.addr.port())
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

fn serve(
    stream: TcpStream,
    config: Arc<ServerConfig>,
    handler: &Handler,
    requests: &Mutex<Vec<Seen>>,
    suites: &Mutex<Vec<(rustls::CipherSuite, rustls::ProtocolVersion)>>,
    errors: &Mutex<Vec<String>>,
    stop: &AtomicBool,
) {
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    let raw = stream.try_clone().unwrap();
    let mut tls = StreamOwned::new(ServerConnection::new(config).unwrap(), stream);
    while tls.conn.is_handshaking() {
        if let Err(e) = tls.conn.complete_io(&mut tls.sock) {
            errors.lock().unwrap().push(e.to_string());
            return;
        }
    }
    if let (Some(s), Some(v)) = (
        tls.conn.negotiated_cipher_suite(),
        tls.conn.protocol_version(),
    ) {
        suites.lock().unwrap().push((s.suite(), v));
    }
    let mut buf = Vec::new();
    loop {
        let Some(seen) = read_request(&mut tls, &mut buf) else {
            return;
        };
        let index = {
            let mut r = requests.lock().unwrap();
            r.push(seen.clone());
            r.len() - 1
        };
        match handler(&seen, index) {
            Reply::Answer(status, ct, body) => {
                let head = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: {ct}\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                );
                if tls
                    .write_all(head.as_bytes())
                    .and_then(|_| tls.write_all(&body))
                    .is_err()
                {
                    return;
                }
                let _ = tls.flush();
            }
            Reply::Drop => {
                let _ = raw.shutdown(Shutdown::Both);
                return;
            }
            Reply::Hang => {
                let until = Instant::now() + IO_TIMEOUT;
                while !stop.load(Ordering::SeqCst) && Instant::now() < until {
                    std::thread::sleep(Duration::from_millis(20));
                }
                return;
            }
            Reply::Partial(body) => {
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/soap+xml\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                );
                let _ = tls.write_all(head.as_bytes());
                let _ = tls.write_all(&body[..body.len() / 2]);
                let _ = tls.flush();
                let _ = raw.shutdown(Shutdown::Both);
                return;
            }
        }
    }
}

/// Reads one HTTP/1.1 request with a Content-Length body (test server only).
fn read_request(r: &mut impl Read, buf: &mut Vec<u8>) -> Option<Seen> {
    let mut chunk = [0u8; 16384];
    let head_end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
        let n = r.read(&mut chunk).ok().filter(|&n| n > 0)?;
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let len: usize = head
        .lines()
        .find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = r.read(&mut chunk).ok().filter(|&n| n > 0)?;
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf[head_end..head_end + len].to_vec();
    buf.drain(..head_end + len);
    Some(Seen { head, body })
}

/// A CONNECT proxy: with `auth`, requires that `Proxy-Authorization` header value.
pub struct Proxy {
    pub addr: SocketAddr,
    pub tunnels: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl Proxy {
    pub fn start(auth: &'static str, refuse: bool) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let tunnels: Arc<AtomicUsize> = Arc::default();
        let stop: Arc<AtomicBool> = Arc::default();
        let (t, s) = (tunnels.clone(), stop.clone());
        let accept = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut client) = stream else { continue };
                let t = t.clone();
                std::thread::spawn(move || {
                    client.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
                    let mut buf = Vec::new();
                    let Some(seen) = read_request(&mut client, &mut buf) else {
                        return;
                    };
                    let target = seen.head.split_whitespace().nth(1).unwrap_or("").to_owned();
                    let authorised = seen
                        .head
                        .lines()
                        .any(|l| l.eq_ignore_ascii_case(&format!("proxy-authorization: {auth}")));
                    if refuse || !authorised {
                        let _ = client.write_all(
                            b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n",
                        );
                        return;
                    }
                    let Ok(upstream) = TcpStream::connect(&target) else {
                        return;
                    };
                    t.fetch_add(1, Ordering::SeqCst);
                    let _ = client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
                    upstream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
                    let (mut c2, mut u2) =
                        (client.try_clone().unwrap(), upstream.try_clone().unwrap());
                    let mut upstream = upstream;
                    let up = std::thread::spawn(move || {
                        let _ = std::io::copy(&mut c2, &mut u2);
                        let _ = u2.shutdown(Shutdown::Write);
                    });
                    let _ = std::io::copy(&mut upstream, &mut client);
                    let _ = client.shutdown(Shutdown::Both);
                    let _ = up.join();
                });
            }
        });
        Proxy {
            addr,
            tunnels,
            stop,
            accept: Some(accept),
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.addr.port())
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

//! The HTTPS server (tokio, hyper 1, tokio-rustls): one task per connection, the TLS client
//! certificate kept with the connection, bodies limited before they are read, the blocking
//! work (signatures, SQLite) off the async threads; the HTML page on its own loopback
//! listener; a [`Sandbox`] handle that runs it all on its own thread.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use bytes::Bytes;
use dmp_core::crypto::Certificate;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Body, Frame, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::SandboxConfig;
use crate::dispatch::{self, After, Checker};
use crate::error::SandboxError;
use crate::faults::FaultState;
use crate::store::Store;

/// How long a client has to finish the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Where a running sandbox listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addresses {
    /// The HTTPS address (the real port when 0 was asked).
    pub listen: SocketAddr,
    /// The HTML page's address, if any.
    pub ui: Option<SocketAddr>,
}

impl Addresses {
    /// `https://127.0.0.1:PORT` (clients append the service paths).
    pub fn base_url(&self) -> String {
        format!("https://{}", self.listen)
    }

    /// `http://127.0.0.1:PORT/`, if the page is served.
    pub fn ui_url(&self) -> Option<String> {
        self.ui.map(|a| format!("http://{a}/"))
    }
}

/// The answer body: whole, or cut in the middle by the `DropMidResponse` hook.
enum AnswerBody {
    Whole(Full<Bytes>),
    Half(Option<Bytes>),
}

impl Body for AnswerBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match self.get_mut() {
            AnswerBody::Whole(b) => Pin::new(b)
                .poll_frame(cx)
                .map_err(|never: Infallible| match never {}),
            AnswerBody::Half(data) => Poll::Ready(Some(match data.take() {
                Some(d) => Ok(Frame::data(d)),
                None => Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    "answer cut by the DropMidResponse test hook",
                )),
            })),
        }
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        match self {
            AnswerBody::Whole(b) => b.size_hint(),
            AnswerBody::Half(_) => hyper::body::SizeHint::default(),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            AnswerBody::Whole(b) => b.is_end_stream(),
            AnswerBody::Half(_) => false,
        }
    }
}

fn simple(status: StatusCode, content_type: &str, text: impl Into<Bytes>) -> Response<AnswerBody> {
    let mut r = Response::new(AnswerBody::Whole(Full::new(text.into())));
    *r.status_mut() = status;
    if let Ok(v) = content_type.parse() {
        r.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    r
}

/// The error that makes hyper close the connection without answering.
#[derive(Debug)]
struct Dropped;
impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by the DropAfterStore test hook")
    }
}
impl std::error::Error for Dropped {}

async fn answer(
    req: Request<Incoming>,
    checker: Arc<Checker>,
    peer: Option<Arc<Certificate>>,
    max: usize,
) -> Result<Response<AnswerBody>, Dropped> {
    if req.method() != hyper::Method::POST {
        return Ok(simple(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain; charset=utf-8",
            "the DMP services take POST requests only\n",
        ));
    }
    let path = req.uri().path().to_owned();
    if !path.starts_with(dmp_core::soap::endpoint::BASE_PATH) {
        return Ok(simple(
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            format!("no DMP service at {path}\n"),
        ));
    }
    let content_type = req
        .headers()
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let declared = req
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let too_large = || {
        simple(
            StatusCode::PAYLOAD_TOO_LARGE,
            "text/plain; charset=utf-8",
            format!("request body larger than {max} bytes\n"),
        )
    };
    if declared.is_some_and(|n| n > max) {
        return Ok(too_large());
    }
    let body = match Limited::new(req.into_body(), max).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Ok(too_large()),
    };
    let worker = checker.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        dispatch::handle(
            &worker,
            &dispatch::Request {
                path: &path,
                content_type: &content_type,
                body: &body,
                peer: peer.as_deref(),
            },
        )
    })
    .await;
    let Ok(outcome) = outcome else {
        return Ok(simple(
            StatusCode::INTERNAL_SERVER_ERROR,
            "text/plain; charset=utf-8",
            "the sandbox failed on this request\n",
        ));
    };
    match outcome.after {
        After::Answer => {}
        After::Drop => return Err(Dropped),
        After::Abort => std::process::abort(),
    }
    let a = outcome.answer;
    let status = StatusCode::from_u16(a.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let bytes = Bytes::from(a.body);
    if checker.faults.cut_response() {
        let len = bytes.len();
        let mut r = Response::new(AnswerBody::Half(Some(bytes.slice(..len / 2))));
        *r.status_mut() = status;
        if let Ok(v) = a.content_type.parse() {
            r.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
        }
        r.headers_mut().insert(
            hyper::header::CONTENT_LENGTH,
            hyper::header::HeaderValue::from(len),
        );
        return Ok(r);
    }
    let mut r = simple(status, &a.content_type, bytes);
    *r.status_mut() = status;
    Ok(r)
}

/// Runs the sandbox until `shutdown` completes; `ready` is called once both listeners are
/// bound (with the real ports).
pub async fn serve(
    config: SandboxConfig,
    shutdown: impl Future<Output = ()>,
    ready: impl FnOnce(&Addresses),
) -> Result<(), SandboxError> {
    if let Some(ui) = config.ui {
        if !ui.ip().is_loopback() {
            return Err(SandboxError::Address {
                address: ui.to_string(),
                message: "the HTML page is served without authentication: give a loopback \
                          address (127.0.0.1 or ::1)"
                    .into(),
            });
        }
    }
    let tls = crate::tls::server_config(&config.tls)?;
    let store = Store::open(&config.data_dir)?;
    if config.seed {
        crate::seed::seed(&store, config.seed_dir.as_deref(), config.seed_documents)?;
    }
    let checker = Arc::new(Checker {
        store,
        trust: crate::seed::signer_roots(&config.tls)?,
        intermediates: crate::seed::signer_intermediates(),
        rights: dmp_core::habilitation::Rights::embedded()
            .map_err(|e| SandboxError::Runtime(e.to_string()))?,
        matrix: dmp_core::habilitation::Matrix::embedded()
            .map_err(|e| SandboxError::Runtime(e.to_string()))?,
        faults: FaultState::new(config.fault),
    });
    let bind = |a: SocketAddr| async move {
        TcpListener::bind(a)
            .await
            .map_err(|e| SandboxError::Address {
                address: a.to_string(),
                message: e.to_string(),
            })
    };
    let listener = bind(config.listen).await?;
    let ui_listener = match config.ui {
        Some(a) => Some(bind(a).await?),
        None => None,
    };
    let local = |l: &TcpListener, a: SocketAddr| {
        l.local_addr().map_err(|e| SandboxError::Address {
            address: a.to_string(),
            message: e.to_string(),
        })
    };
    let addresses = Addresses {
        listen: local(&listener, config.listen)?,
        ui: match (&ui_listener, config.ui) {
            (Some(l), Some(a)) => Some(local(l, a)?),
            _ => None,
        },
    };
    let (stop_tx, stop_rx) = watch::channel(false);
    if let Some(l) = ui_listener {
        tokio::spawn(crate::ui::serve(l, checker.clone(), stop_rx.clone()));
    }
    ready(&addresses);
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    let max = config.max_request_bytes;
    tokio::pin!(shutdown);
    loop {
        let (tcp, _) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(_) => continue,
            },
        };
        let acceptor = acceptor.clone();
        let checker = checker.clone();
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let Ok(Ok(tls)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await
            else {
                return; // handshake refused (untrusted or expired certificate) or too slow
            };
            let peer = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|c| c.first())
                .and_then(|c| Certificate::from_der(c).ok())
                .map(Arc::new);
            let service = service_fn(move |req| answer(req, checker.clone(), peer.clone(), max));
            let conn = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tls), service);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = stop.changed() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(Duration::from_secs(5), conn).await;
                }
            }
        });
    }
    let _ = stop_tx.send(true);
    Ok(())
}

/// A sandbox running on its own thread (its own tokio runtime), stopped by [`Sandbox::stop`]
/// or on drop.
pub struct Sandbox {
    addresses: Addresses,
    data_dir: std::path::PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Sandbox {
    /// Starts the sandbox and returns once it listens.
    pub fn start(config: SandboxConfig) -> Result<Sandbox, SandboxError> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<Addresses, SandboxError>>();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let data_dir = config.data_dir.clone();
        let thread = std::thread::Builder::new()
            .name("dmp-sandbox".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                {
                    Ok(r) => r,
                    Err(e) => {
                        let _ = ready_tx.send(Err(SandboxError::Runtime(e.to_string())));
                        return;
                    }
                };
                let ready = ready_tx.clone();
                let result = runtime.block_on(serve(
                    config,
                    async {
                        let _ = stop_rx.await;
                    },
                    move |a| {
                        let _ = ready.send(Ok(a.clone()));
                    },
                ));
                if let Err(e) = result {
                    let _ = ready_tx.send(Err(e));
                }
                runtime.shutdown_timeout(Duration::from_secs(5));
            })
            .map_err(|e| SandboxError::Runtime(e.to_string()))?;
        match ready_rx.recv_timeout(Duration::from_secs(60)) {
            Ok(Ok(addresses)) => Ok(Sandbox {
                addresses,
                data_dir,
                stop: Some(stop_tx),
                thread: Some(thread),
            }),
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => Err(SandboxError::Runtime(
                "the sandbox did not start within 60 s".into(),
            )),
        }
    }

    /// `https://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        self.addresses.base_url()
    }

    /// `http://127.0.0.1:PORT/`, when the page is served.
    pub fn ui_url(&self) -> Option<String> {
        self.addresses.ui_url()
    }

    /// Where it listens.
    pub fn addresses(&self) -> &Addresses {
        &self.addresses
    }

    /// A read view of its store (another SQLite connection on the same file).
    pub fn store(&self) -> Result<Store, SandboxError> {
        Store::open(&self.data_dir)
    }

    /// Stops accepting, lets open connections finish (5 s at most) and joins the thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.shutdown();
    }
}

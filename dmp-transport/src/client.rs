//! One HTTPS client per actor: a ureq agent (its connection pool serves a batch) over our TLS
//! connector, and the raw exchange of one request for its response.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use dmp_core::actor::ActorProfile;
use dmp_core::soap::mtom::HttpRequest;
use ureq::unversioned::resolver::DefaultResolver;
use ureq::unversioned::transport::{ConnectProxyConnector, Connector, TcpConnector};

use crate::error::TransportError;
use crate::settings::TransportSettings;
use crate::tls::{self, DmpTlsConnector, HandshakeError};

/// An HTTP response, whatever its status (SOAP faults come with 500).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// The headers, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `Content-Type` header (empty when absent).
    pub fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or("")
    }

    /// The response as a file: the status line, the headers, a blank line, the body (CRLF),
    /// which `dmp_core::consult::parse_message` and `dmp response FILE` read.
    pub fn to_message(&self) -> Vec<u8> {
        let mut out = format!("HTTP/1.1 {}\r\n", self.status).into_bytes();
        out.extend(
            HttpRequest {
                path: String::new(),
                headers: self.headers.clone(),
                body: self.body.clone(),
            }
            .to_message(),
        );
        out
    }
}

/// An exchange that did not give a response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct ExchangeError {
    /// What happened, for people (names the URL, the proxy or the TLS peer).
    pub reason: String,
    /// Whether no byte of the request was written: DNS, connect, proxy and TLS failures. When
    /// false the request may have reached the server (timeout or reset after writing).
    pub before_sending: bool,
    /// Whether the failure is a timeout.
    pub timed_out: bool,
}

/// A blocking HTTPS client for one actor: mutual TLS with its identity, its server roots,
/// its proxy and timeouts; connections are kept and reused between requests.
#[derive(Debug)]
pub struct Client {
    agent: ureq::Agent,
    base_url: String,
    settings: TransportSettings,
    proxy_url: Option<String>,
}

impl Client {
    /// A client for `base_url` (`https://host[:port]`, no trailing path) with `settings`:
    /// loads the client identity and the roots now, so that a wrong file fails here.
    pub fn new(settings: TransportSettings, base_url: &str) -> Result<Client, TransportError> {
        let base_url = base_url.trim_end_matches('/').to_owned();
        if !base_url.starts_with("https://") {
            return Err(TransportError::settings(
                "base_url",
                format!("\"{base_url}\" is not an https:// URL: the DMP is reached over TLS only"),
            ));
        }
        let identity = settings.load_client_identity()?;
        let roots = settings.load_server_roots()?;
        let tls = Arc::new(tls::client_config(&identity, &roots)?);
        let proxy = match &settings.proxy {
            None => None,
            Some(p) => {
                let bad = |e: ureq::Error| {
                    TransportError::settings("transport.proxy.url", format!("\"{}\": {e}", p.url))
                };
                let parsed = ureq::Proxy::new(&p.url).map_err(bad)?;
                let mut b = ureq::Proxy::builder(ureq::ProxyProtocol::Http)
                    .host(parsed.host())
                    .port(parsed.port());
                if let Some(u) = &p.username {
                    b = b.username(u);
                }
                if let Some(pw) = settings.proxy_password()? {
                    b = b.password(&pw);
                }
                Some(b.build().map_err(bad)?)
            }
        };
        let t = settings.timeouts_ms;
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .https_only(true)
            .max_redirects(0)
            .proxy(proxy)
            .timeout_connect(Some(t.connect()))
            .timeout_recv_response(Some(t.read()))
            .timeout_recv_body(Some(t.read()))
            .timeout_global(Some(t.total()))
            .build();
        let connector =
            ().chain(ConnectProxyConnector::default())
                .chain(TcpConnector::default())
                .chain(DmpTlsConnector { config: tls });
        let agent = ureq::Agent::with_parts(config, connector, DefaultResolver::default());
        Ok(Client {
            agent,
            base_url,
            proxy_url: settings.proxy.as_ref().map(|p| p.url.clone()),
            settings,
        })
    }

    /// The client of `profile`: its `transport` settings (paths relative to `profile_dir`)
    /// and its base URL, or `base_url_override` (`dmp send --endpoint URL`).
    pub fn from_profile(
        profile: &ActorProfile,
        profile_dir: &Path,
        base_url_override: Option<&str>,
    ) -> Result<Client, TransportError> {
        let settings = TransportSettings::from_profile(profile, profile_dir)?;
        Client::new(settings, base_url_override.unwrap_or(profile.base_url()))
    }

    /// The settings the client was made with.
    pub fn settings(&self) -> &TransportSettings {
        &self.settings
    }

    /// The base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// POSTs `request` to the base URL + its path, with its headers and body, and returns the
    /// response whatever its status. `deadline` bounds this exchange (default: the total
    /// timeout). The body is bounded by `max_response_bytes`.
    pub fn exchange(
        &self,
        request: &HttpRequest,
        deadline: Option<Duration>,
    ) -> Result<HttpResponse, ExchangeError> {
        let url = format!("{}{}", self.base_url, request.path);
        let mut builder = self.agent.post(&url);
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some(d) = deadline {
            builder = builder.config().timeout_global(Some(d)).build();
        }
        tls::begin_exchange();
        let result = builder.send(&request.body[..]);
        let mut response = result.map_err(|e| self.error(&url, e))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = response
            .body_mut()
            .with_config()
            .limit(self.settings.max_response_bytes)
            .read_to_vec()
            .map_err(|e| self.error(&url, e))?;
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }

    fn error(&self, url: &str, e: ureq::Error) -> ExchangeError {
        let before_sending = !tls::request_written();
        let timed_out = matches!(e, ureq::Error::Timeout(_));
        let reason = match &e {
            ureq::Error::Other(inner) if inner.downcast_ref::<HandshakeError>().is_some() => {
                format!("{url}: {inner}")
            }
            ureq::Error::ConnectProxyFailed(why) => format!(
                "the proxy {} refused to open a tunnel to {url}: {why}",
                self.proxy_url.as_deref().unwrap_or("")
            ),
            ureq::Error::Timeout(t) => format!("{url}: no answer in time ({t})"),
            ureq::Error::BodyExceedsLimit(n) => format!(
                "{url}: the response is larger than {n} bytes (transport.max_response_bytes)"
            ),
            ureq::Error::HostNotFound => format!("{url}: host not found"),
            ureq::Error::ConnectionFailed => format!("{url}: cannot connect"),
            other => {
                let via = if before_sending {
                    self.proxy_url
                        .as_deref()
                        .map(|p| format!(" (through the proxy {p})"))
                        .unwrap_or_default()
                } else {
                    String::new()
                };
                format!("{url}{via}: {other}")
            }
        };
        ExchangeError {
            reason,
            before_sending,
            timed_out,
        }
    }
}

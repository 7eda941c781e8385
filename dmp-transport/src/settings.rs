//! The `transport` object of an actor profile: who we are in TLS, whom we trust, how we reach
//! the DMP (proxy), how long we wait and how often we retry.

use std::path::{Path, PathBuf};
use std::time::Duration;

use dmp_core::actor::ActorProfile;
use dmp_core::crypto::{Certificate, SigningIdentity};
use serde::Deserialize;

use crate::error::TransportError;

/// Default bound of a response body: 64 MiB (a TD3.2 answer carries whole documents).
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 64 << 20;

/// The `transport` object of an actor profile. Relative paths are relative to the profile's
/// directory ([`TransportSettings::from_profile`]).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransportSettings {
    /// The TLS client identity (the establishment's ORG_AUTH_CLI, or the card's
    /// authentication certificate in direct mode).
    pub client_certificate: ClientCertificate,
    /// PEM files of the roots the server certificate must chain to (the IGC-Santé chain; the
    /// test PKI for the sandbox). Only these are trusted.
    pub server_roots: Vec<PathBuf>,
    /// An HTTP proxy reached with CONNECT.
    #[serde(default)]
    pub proxy: Option<ProxySettings>,
    /// Timeouts, in milliseconds.
    #[serde(default)]
    pub timeouts_ms: Timeouts,
    /// Retries of queries and of requests that did not leave.
    #[serde(default)]
    pub retries: Retries,
    /// Bound of a response body, in bytes (default 64 MiB).
    #[serde(default = "default_max_response_bytes")]
    pub max_response_bytes: u64,
}

fn default_max_response_bytes() -> u64 {
    DEFAULT_MAX_RESPONSE_BYTES
}

/// The TLS client identity: a PKCS#12 file and its password, or a PEM certificate chain and
/// its unencrypted key.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientCertificate {
    /// The PKCS#12 (.p12) file.
    #[serde(default)]
    pub p12: Option<PathBuf>,
    /// The environment variable that holds the .p12 password (wins over `password_file`).
    #[serde(default)]
    pub password_env: Option<String>,
    /// A file that holds the .p12 password (the shipped test PKI only).
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// The PEM certificate chain (the client certificate first).
    #[serde(default)]
    pub cert_pem: Option<PathBuf>,
    /// The PEM private key (PKCS#8 or PKCS#1).
    #[serde(default)]
    pub key_pem: Option<PathBuf>,
}

/// An HTTP proxy (CONNECT), with optional Basic authentication.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProxySettings {
    /// `http://host:port`.
    pub url: String,
    /// The proxy user name.
    #[serde(default)]
    pub username: Option<String>,
    /// The environment variable that holds the proxy password.
    #[serde(default)]
    pub password_env: Option<String>,
}

/// Timeouts in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Timeouts {
    /// Opening the connection (TCP, proxy, TLS handshake).
    pub connect: u64,
    /// Waiting for the response once the request is written.
    pub read: u64,
    /// One whole `send`, retries and landing checks included.
    pub total: u64,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            connect: 10_000,
            read: 60_000,
            total: 180_000,
        }
    }
}

impl Timeouts {
    /// The connect timeout.
    pub fn connect(&self) -> Duration {
        Duration::from_millis(self.connect)
    }
    /// The read timeout.
    pub fn read(&self) -> Duration {
        Duration::from_millis(self.read)
    }
    /// The total timeout.
    pub fn total(&self) -> Duration {
        Duration::from_millis(self.total)
    }
}

/// Retries: at most `attempts` sends of one request, waiting `backoff_ms`, then twice as
/// long, and so on, between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Retries {
    /// Attempts in all (1: no retry).
    pub attempts: u32,
    /// The first wait, in milliseconds.
    pub backoff_ms: u64,
}

impl Default for Retries {
    fn default() -> Retries {
        Retries {
            attempts: 4,
            backoff_ms: 500,
        }
    }
}

impl TransportSettings {
    /// Reads the `transport` object of `profile`; relative paths are resolved against
    /// `profile_dir` (the directory of the profile file). A profile without `transport` is an
    /// error that says what to add.
    pub fn from_profile(
        profile: &ActorProfile,
        profile_dir: &Path,
    ) -> Result<TransportSettings, TransportError> {
        let value = profile.transport.as_ref().ok_or_else(|| {
            TransportError::settings(
                "transport",
                "the actor profile has no transport settings: add \"transport\" with its \
                 \"client_certificate\" (the TLS identity) and \"server_roots\" to send requests \
                 as this actor",
            )
        })?;
        TransportSettings::from_json(value, profile_dir)
    }

    /// Reads a `transport` object; relative paths are resolved against `base_dir`.
    pub fn from_json(
        value: &serde_json::Value,
        base_dir: &Path,
    ) -> Result<TransportSettings, TransportError> {
        let mut s: TransportSettings = serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            let field = if path == "." {
                "transport".to_owned()
            } else {
                format!("transport.{path}")
            };
            TransportError::settings(&field, e.into_inner().to_string())
        })?;
        let resolve = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base_dir.join(&*p);
            }
        };
        let c = &mut s.client_certificate;
        for p in [
            &mut c.p12,
            &mut c.password_file,
            &mut c.cert_pem,
            &mut c.key_pem,
        ]
        .into_iter()
        .flatten()
        {
            resolve(p);
        }
        s.server_roots.iter_mut().for_each(resolve);
        s.check()?;
        Ok(s)
    }

    fn check(&self) -> Result<(), TransportError> {
        let c = &self.client_certificate;
        match (&c.p12, &c.cert_pem, &c.key_pem) {
            (Some(_), None, None) => {
                if c.password_env.is_none() && c.password_file.is_none() {
                    return Err(TransportError::settings(
                        "transport.client_certificate.password_env",
                        "a .p12 needs its password: name the environment variable that holds it",
                    ));
                }
            }
            (None, Some(_), Some(_)) => {}
            _ => {
                return Err(TransportError::settings(
                    "transport.client_certificate",
                    "give either \"p12\" (with \"password_env\") or both \"cert_pem\" and \
                     \"key_pem\"",
                ))
            }
        }
        if self.server_roots.is_empty() {
            return Err(TransportError::settings(
                "transport.server_roots",
                "name at least one PEM file of the roots the DMP's server certificate chains \
                 to (the IGC-Santé chain; the test PKI for the sandbox)",
            ));
        }
        if self.retries.attempts == 0 {
            return Err(TransportError::settings(
                "transport.retries.attempts",
                "must be at least 1 (one attempt, no retry)",
            ));
        }
        let t = &self.timeouts_ms;
        for (name, v) in [("connect", t.connect), ("read", t.read), ("total", t.total)] {
            if v == 0 {
                return Err(TransportError::settings(
                    &format!("transport.timeouts_ms.{name}"),
                    "must be a positive number of milliseconds",
                ));
            }
        }
        if let Some(p) = &self.proxy {
            if !p.url.starts_with("http://") {
                return Err(TransportError::settings(
                    "transport.proxy.url",
                    format!(
                        "\"{}\" is not an http:// proxy URL (http://host:port)",
                        p.url
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Loads the TLS client identity (certificate chain and key) with the core's crypto
    /// layer.
    pub fn load_client_identity(&self) -> Result<SigningIdentity, TransportError> {
        let c = &self.client_certificate;
        if let (Some(cert), Some(key)) = (&c.cert_pem, &c.key_pem) {
            let cert_text = read_text("transport.client_certificate.cert_pem", cert)?;
            let key_text = read_text("transport.client_certificate.key_pem", key)?;
            return SigningIdentity::from_pem(&key_text, &cert_text).map_err(|e| {
                TransportError::file("transport.client_certificate.key_pem", key, e.to_string())
            });
        }
        let field = "transport.client_certificate.p12";
        let Some(p12) = &c.p12 else {
            return Err(TransportError::settings(
                "transport.client_certificate",
                "no \"p12\" and no \"cert_pem\"/\"key_pem\"",
            ));
        };
        let password = self.p12_password()?;
        let bytes = std::fs::read(p12)
            .map_err(|e| TransportError::file(field, p12, format!("cannot read it: {e}")))?;
        SigningIdentity::from_pkcs12(&bytes, &password)
            .map_err(|e| TransportError::file(field, p12, e.to_string()))
    }

    fn p12_password(&self) -> Result<String, TransportError> {
        let c = &self.client_certificate;
        if let Some(var) = &c.password_env {
            if let Ok(v) = std::env::var(var) {
                return Ok(v.trim_end_matches(['\r', '\n']).to_owned());
            }
            if c.password_file.is_none() {
                return Err(TransportError::settings(
                    "transport.client_certificate.password_env",
                    format!(
                        "the environment variable {var} is not set: set it to the .p12 password"
                    ),
                ));
            }
        }
        let Some(file) = &c.password_file else {
            return Err(TransportError::settings(
                "transport.client_certificate.password_env",
                "name the environment variable that holds the .p12 password",
            ));
        };
        let text = read_text("transport.client_certificate.password_file", file)?;
        Ok(text.trim_end_matches(['\r', '\n']).to_owned())
    }

    /// Loads the server roots (every certificate of every PEM file).
    pub fn load_server_roots(&self) -> Result<Vec<Certificate>, TransportError> {
        let mut roots = Vec::new();
        for (i, path) in self.server_roots.iter().enumerate() {
            let field = format!("transport.server_roots[{i}]");
            let text = read_text(&field, path)?;
            roots.extend(
                Certificate::chain_from_pem(&text)
                    .map_err(|e| TransportError::file(&field, path, e.to_string()))?,
            );
        }
        Ok(roots)
    }

    /// The proxy password, read from its environment variable.
    pub(crate) fn proxy_password(&self) -> Result<Option<String>, TransportError> {
        let Some(var) = self.proxy.as_ref().and_then(|p| p.password_env.as_ref()) else {
            return Ok(None);
        };
        std::env::var(var).map(Some).map_err(|_| {
            TransportError::settings(
                "transport.proxy.password_env",
                format!("the environment variable {var} is not set: set it to the proxy password"),
            )
        })
    }
}

fn read_text(field: &str, path: &Path) -> Result<String, TransportError> {
    std::fs::read_to_string(path)
        .map_err(|e| TransportError::file(field, path, format!("cannot read it: {e}")))
}

//! HTTPS transport of the DMP connector, around the pure core: sends any request the core
//! builds and says, typed, what became of it. Blocking (the C ABI and most DUIs are
//! synchronous); async users keep the sans-IO core.
//!
//! # Configuring
//! The actor profile's `transport` object ([`TransportSettings`], paths relative to the
//! profile file): `client_certificate` (`p12` + `password_env`, or `cert_pem` + `key_pem`:
//! the establishment's ORG_AUTH_CLI, or the card's authentication certificate in direct
//! mode), `server_roots` (PEM; only these are trusted), optional `proxy` (`url`, `username`,
//! `password_env`; HTTP CONNECT with Basic authentication), `timeouts_ms` (`connect` 10 000,
//! `read` 60 000, `total` 180 000), `retries` (`attempts` 4, `backoff_ms` 500),
//! `max_response_bytes` (64 MiB). The base URL is the profile's (`base_url`), or an override.
//!
//! # TLS
//! TLS 1.2 only, rustls with ring, suites ECDHE-RSA AES-128-GCM, AES-256-GCM and
//! ChaCha20-Poly1305. The fourth ANS suite, `TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384`, is not
//! offered by rustls (no CBC suites). See [`tls`].
//!
//! # Outcomes and retries
//! [`Client::send`] returns an [`Outcome`]: `Accepted` (the DMP answered without refusal),
//! `Refused` (its code and text, verbatim), `FailedBeforeSending` (no byte left: safe to send
//! later), `Unknown` (it may have arrived: search before resending). Queries (TD0.2, TD1.3a,
//! TD0.4, TD1.6, TD3.1, TD3.2) are retried on any transport error with exponential backoff.
//! Writes (TD2.1, TD3.3, TD0.3) are retried only when nothing was written; when an answer is
//! lost after writing, a [`LandingCheck`] ([`RegistryLanding`]: a TD3.1 GetDocuments) says
//! whether it landed (→ `Accepted { confirmed_by_check: true }`), or not (→ sent again, once);
//! without one, or when it cannot tell, the outcome is `Unknown` and nothing is resent.
//! [`Session`] builds at the current time and picks the right check.
#![warn(missing_docs)]

pub mod client;
pub mod error;
pub mod settings;
pub mod tls;

pub use client::{Client, ExchangeError, HttpResponse};
pub use error::TransportError;
pub use settings::{ClientCertificate, ProxySettings, Retries, Timeouts, TransportSettings};
pub mod outcome;
pub mod send;
pub use outcome::Outcome;
pub use send::{LandingCheck, RequestKind};
pub mod landing;
pub mod session;
pub use landing::{RegistryLanding, SignerSource};
pub use session::{send_checked, Session};

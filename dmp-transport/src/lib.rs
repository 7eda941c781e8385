//! HTTPS transport for the DMP connector (crate docs below are completed at the end).
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
pub use landing::RegistryLanding;
pub use session::Session;

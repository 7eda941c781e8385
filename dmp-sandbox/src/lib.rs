//! # dmp-sandbox
//!
//! A local DMP for testers and for the examples: an HTTPS server with mutual TLS (TLS 1.2,
//! the DMP's cipher suites, client certificate required) serving the DMP's service paths,
//! storing in SQLite, checking what the DMP checks with dmp-core's own verifiers (VIHF,
//! XAdES, CDA against metadata, functional rights, habilitation matrix, confidentiality) and
//! answering in the formats of the official samples. See `docs/sandbox.md`.
//!
//! ```no_run
//! let sandbox = dmp_sandbox::Sandbox::start(dmp_sandbox::SandboxConfig::embedded(
//!     std::env::temp_dir().join("dmp-sandbox"),
//! ))?;
//! println!("{}", sandbox.base_url()); // https://127.0.0.1:PORT
//! sandbox.stop();
//! # Ok::<(), dmp_sandbox::SandboxError>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod config;
mod dispatch;
mod error;
mod faults;
mod seed;
mod server;
mod soap_answer;
mod store;
mod tls;
mod transactions;
mod ui;
mod usager_side;

pub use config::{Fault, SandboxConfig, ServerTls, MAX_REQUEST_BYTES};
pub use error::SandboxError;
pub use server::{serve, Addresses, Sandbox};
pub use store::{AccessRow, AuthorizationRow, DocumentRow, PatientRow, Store};
pub use usager_side::UsagerViewer;

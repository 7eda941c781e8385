//! The one error type of the sandbox: what went wrong starting or reading it, in words.

/// Why the sandbox could not start, or its store could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// A TLS certificate or key could not be read or used.
    #[error("TLS: {0}")]
    Tls(String),
    /// The data directory or its SQLite database.
    #[error("store {path}: {message}")]
    Store {
        /// The data directory or database file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// A listening address could not be bound or is not allowed.
    #[error("address {address}: {message}")]
    Address {
        /// The address as given.
        address: String,
        /// What went wrong.
        message: String,
    },
    /// The seed data could not be read.
    #[error("seed data {file}: {message}")]
    Seed {
        /// The seed file.
        file: String,
        /// What went wrong.
        message: String,
    },
    /// An action from the usager's side (the Mon espace santé stand-in) that cannot be done.
    #[error("Mon espace santé: {0}")]
    UsagerSide(String),
    /// The server's runtime failed.
    #[error("sandbox runtime: {0}")]
    Runtime(String),
}

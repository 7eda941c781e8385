//! What can go wrong before any exchange: settings, files, certificates.

/// A transport that cannot be set up: the message names the JSON field or the file, and
/// says what to do.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// The `transport` settings of the actor profile are missing or wrong.
    #[error("{field}: {message}")]
    Settings {
        /// The JSON field, as the profile writes it (`transport.client_certificate.p12`).
        field: String,
        /// What is wrong and what to do.
        message: String,
    },
    /// A file named by the settings cannot be read or used.
    #[error("{field}: {path}: {message}")]
    File {
        /// The JSON field that names the file.
        field: String,
        /// The file, as resolved.
        path: String,
        /// What is wrong.
        message: String,
    },
}

impl TransportError {
    pub(crate) fn settings(field: &str, message: impl Into<String>) -> TransportError {
        TransportError::Settings {
            field: field.to_owned(),
            message: message.into(),
        }
    }

    pub(crate) fn file(
        field: &str,
        path: &std::path::Path,
        message: impl Into<String>,
    ) -> TransportError {
        TransportError::File {
            field: field.to_owned(),
            path: path.display().to_string(),
            message: message.into(),
        }
    }
}

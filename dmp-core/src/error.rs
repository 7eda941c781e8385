//! One error type for the whole core.
//!
//! Every validation failure names the field (a path such as `staff[3].idnat`), the rule that
//! was broken and the offending value, so that a DUI can show it to the person who typed it.

use std::fmt;

/// Result alias used throughout `dmp-core`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A broken rule on one value: which field, which rule, which value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// Path of the field, e.g. `usager.ins` or `staff[2].professionnel.idnat`.
    pub field: String,
    /// The rule in a few words, e.g. `NIR key must be 97 - (number mod 97)`.
    pub rule: String,
    /// The value as given (truncated to 80 characters, never a secret).
    pub value: String,
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} (value: {:?})", self.field, self.rule, self.value)
    }
}

/// Errors of the core library.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A value broke a rule of the model (identifier key, length, required trait…).
    #[error("invalid {0}")]
    Invalid(Invalid),
    /// JSON input could not be read into the model.
    #[error("JSON at {path} (line {line}, column {column}): {message}")]
    Json {
        /// Path of the field inside the document (`.` for the root).
        path: String,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// What went wrong; for a broken rule, the `field: rule (value)` text.
        message: String,
    },
    /// A data table (habilitation matrix, rights, CSV) is malformed.
    #[error("{source_name} line {line}: {message}")]
    Data {
        /// Name of the table or file, e.g. `habilitation matrix`.
        source_name: String,
        /// 1-based line number (0 when the whole table is at fault).
        line: usize,
        /// What is wrong with it.
        message: String,
    },
    /// A key, a certificate, a PKCS#12 file or a signature was refused (wrong password, key
    /// and certificate that do not match, expired or untrusted certificate, bad signature…).
    ///
    /// Kept apart from [`Error::Invalid`] so that a C caller can tell a key or certificate
    /// problem (the person must fix the certificate set-up) from a model validation error.
    #[error("{}: {message}", crypto_subject(.what))]
    Crypto {
        /// What was refused, one of `p12`, `password`, `key`, `certificate`, `chain`,
        /// `usage`, `signature`, `signer`, `algorithm`, `pem`.
        what: String,
        /// Why, precisely (names the certificate by its subject; never key material).
        message: String,
    },
    /// The caller's writer refused the bytes of a request written as it is built (a full
    /// disk, a closed socket): what was written is incomplete and must be thrown away.
    #[error("cannot write the request: {message}")]
    Write {
        /// The writer's own words.
        message: String,
    },
}

/// What a [`Error::Crypto`] refused, in words for the message (the `what` code stays as it is
/// for programs: the C ABI's last error carries it).
fn crypto_subject(what: &str) -> &str {
    match what {
        "p12" => "PKCS#12 file",
        "password" => "PKCS#12 password",
        "key" => "private key",
        "usage" => "certificate not usable for this signature",
        "chain" => "certificate chain",
        "pem" => "PEM file",
        "callback" => "signing callback",
        other => other,
    }
}

/// An error **the DMP answered** (not a failure of this library): an HL7 v3 acknowledgement
/// `AE`/`AR`, a proprietary service status other than `DMPOk`… Codes and texts are kept
/// verbatim: the software must show them to the user (PRE_ERR, dmp-interface.md §7 item 18).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DmpError {
    /// The answer it comes from (`PRPA_IN201308UV02`, `setAuthorizationResponse`…).
    pub source: String,
    /// The DMP's code: the acknowledgement type or query response code of an HL7 v3 answer,
    /// the status of a proprietary service.
    pub code: String,
    /// Every detail the DMP gave, in order.
    pub details: Vec<DmpErrorDetail>,
}

/// One detail of a [`DmpError`], verbatim.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DmpErrorDetail {
    /// Its code, if any.
    pub code: Option<String>,
    /// Its text, if any.
    pub text: Option<String>,
}

impl fmt::Display for DmpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the DMP answered {} ({})", self.code, self.source)?;
        for (i, d) in self.details.iter().enumerate() {
            let sep = if i == 0 { ": " } else { "; " };
            match (&d.code, &d.text) {
                (Some(c), Some(t)) => write!(f, "{sep}{c} {t}")?,
                (Some(s), None) | (None, Some(s)) => write!(f, "{sep}{s}")?,
                (None, None) => {}
            }
        }
        Ok(())
    }
}

const MAX_VALUE_CHARS: usize = 80;

impl Error {
    /// A broken rule on `field`, with the offending `value`.
    pub fn invalid(
        field: impl Into<String>,
        rule: impl Into<String>,
        value: impl AsRef<str>,
    ) -> Self {
        let value = value.as_ref();
        let value = if value.chars().count() > MAX_VALUE_CHARS {
            let mut v: String = value.chars().take(MAX_VALUE_CHARS).collect();
            v.push('…');
            v
        } else {
            value.to_owned()
        };
        Error::Invalid(Invalid {
            field: field.into(),
            rule: rule.into(),
            value,
        })
    }

    /// A malformed data table.
    pub fn data(source_name: impl Into<String>, line: usize, message: impl Into<String>) -> Self {
        Error::Data {
            source_name: source_name.into(),
            line,
            message: message.into(),
        }
    }

    /// A refused key, certificate, PKCS#12 file or signature (see [`Error::Crypto`]).
    pub fn crypto(what: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Crypto {
            what: what.into(),
            message: message.into(),
        }
    }

    /// An error of the caller's writer ([`Error::Write`]).
    pub fn write(e: std::io::Error) -> Self {
        Error::Write {
            message: e.to_string(),
        }
    }

    /// Puts `prefix` in front of the field path of an [`Error::Invalid`], so that a nested
    /// value's error names its full path (`usager` + `ins` → `usager.ins`).
    #[must_use]
    pub fn at(self, prefix: &str) -> Self {
        match self {
            Error::Invalid(mut inv) => {
                inv.field = join_path(prefix, &inv.field);
                Error::Invalid(inv)
            }
            other => other,
        }
    }

    /// Gives an [`Error::Invalid`] the field name `field`, keeping its rule and value: the
    /// generic name of a nested validator (`oid`) becomes the one the user wrote
    /// (`documents[0].repository_unique_id`).
    #[must_use]
    pub fn renamed(self, field: &str) -> Self {
        match self {
            Error::Invalid(mut inv) => {
                inv.field = field.to_owned();
                Error::Invalid(inv)
            }
            other => other,
        }
    }

    /// The broken rule, when this is a validation error.
    pub fn as_invalid(&self) -> Option<&Invalid> {
        match self {
            Error::Invalid(inv) => Some(inv),
            _ => None,
        }
    }
}

fn join_path(prefix: &str, field: &str) -> String {
    if prefix.is_empty() {
        field.to_owned()
    } else if field.is_empty() {
        prefix.to_owned()
    } else if field.starts_with('[') {
        format!("{prefix}{field}")
    } else {
        format!("{prefix}.{field}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_paths_join() {
        let e = Error::invalid("ins", "13 digits", "12")
            .at("usager")
            .at("staff[2]");
        assert_eq!(e.as_invalid().unwrap().field, "staff[2].usager.ins");
        let e = Error::invalid("[1]", "r", "v").at("given");
        assert_eq!(e.as_invalid().unwrap().field, "given[1]");
    }

    #[test]
    fn long_values_are_truncated() {
        let e = Error::invalid("f", "r", "x".repeat(500));
        assert_eq!(
            e.as_invalid().unwrap().value.chars().count(),
            MAX_VALUE_CHARS + 1
        );
    }

    #[test]
    fn dmp_error_display_keeps_codes_and_texts() {
        let e = DmpError {
            source: "PRPA_IN201308UV02".into(),
            code: "AE".into(),
            details: vec![
                DmpErrorDetail {
                    code: Some("DMPPatientNotFound".into()),
                    text: Some("Patient inconnu".into()),
                },
                DmpErrorDetail {
                    code: None,
                    text: Some("détail".into()),
                },
            ],
        };
        assert_eq!(
            e.to_string(),
            "the DMP answered AE (PRPA_IN201308UV02): DMPPatientNotFound Patient inconnu; détail"
        );
    }

    #[test]
    fn display_names_field_rule_value() {
        let e = Error::invalid("rpps", "Luhn key", "12345678901");
        assert_eq!(
            e.to_string(),
            "invalid rpps: Luhn key (value: \"12345678901\")"
        );
    }
}

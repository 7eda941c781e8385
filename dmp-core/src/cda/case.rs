//! The "case" JSON format: a header plus where the body comes from. It is what `dmp cda build`
//! reads (schema: `docs/schema/cda-case.schema.json`; samples: `examples/data/cases/`).
//!
//! The core reads no file: a `path` is handed to the caller's loader.

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::{CdaHeader, Content, MediaType};
use crate::error::{Error, Result};

/// A document to build: its header and its content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// The CDA header.
    pub header: CdaHeader,
    /// The N1 body.
    pub content: CaseContent,
}

/// Where the body comes from: exactly one of `path`, `text` or `base64`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseContent {
    /// Media type of the body.
    pub media_type: MediaType,
    /// A file, relative to the case file (resolved by the caller).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Inline text (for `text/plain`), stored as UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Inline bytes in base64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base64: Option<String>,
}

impl Case {
    /// Splits the case into the header and the content bytes; `load` reads a `path` (the
    /// caller decides how, relative to what) and says why it could not.
    pub fn into_parts(
        self,
        load: impl FnOnce(&str) -> std::result::Result<Vec<u8>, String>,
    ) -> Result<(CdaHeader, Content)> {
        let c = self.content;
        let data = match (c.path, c.text, c.base64) {
            (Some(p), None, None) => load(&p)
                .map_err(|why| Error::invalid("content.path", format!("cannot read: {why}"), &p))?,
            (None, Some(t), None) => t.into_bytes(),
            (None, None, Some(b)) => base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .map_err(|e| Error::invalid("content.base64", format!("is not base64: {e}"), &b))?,
            _ => {
                return Err(Error::invalid(
                    "content",
                    "give exactly one of path, text, base64",
                    "",
                ))
            }
        };
        if data.is_empty() {
            return Err(Error::invalid("content", "the body must not be empty", ""));
        }
        Ok((
            self.header,
            Content {
                media_type: c.media_type,
                data,
            },
        ))
    }
}

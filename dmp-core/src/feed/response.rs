//! The DMP's answer to a TD2.1 request.

use crate::error::Result;
use crate::soap::{mtom, Fault};
use crate::xds::RegistryResponse;

/// The outcome of a TD2.1 request, with the DMP's codes and texts verbatim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedOutcome {
    /// `Success` (warnings, if any, in the response's errors).
    Success(RegistryResponse),
    /// `Failure` or `PartialSuccess`: every `RegistryError` is in the response.
    Failure(RegistryResponse),
    /// A SOAP fault (e.g. a VIHF refused before the registry saw the request).
    Fault(Fault),
}

impl FeedOutcome {
    /// Whether the documents were registered.
    pub fn is_success(&self) -> bool {
        matches!(self, FeedOutcome::Success(_))
    }
}

/// Reads the HTTP response to a TD2.1 request: `content_type` is its `Content-Type` header
/// (`multipart/related` for MTOM, else a plain SOAP envelope), `body` its body. A SOAP fault
/// gives [`FeedOutcome::Fault`]; otherwise the `rs:RegistryResponse` of the body decides.
/// Errors: not a SOAP message, no `RegistryResponse`, a broken MIME message.
pub fn parse_response(content_type: &str, body: &[u8]) -> Result<FeedOutcome> {
    let multipart = mtom::ContentType::parse(content_type)
        .map(|t| t.media_type.eq_ignore_ascii_case("multipart/related"))
        .unwrap_or(false);
    let owned;
    let envelope: &[u8] = if multipart {
        let m = mtom::parse(content_type, body)?;
        owned = m.root.bytes.into_owned();
        &owned
    } else {
        body
    };
    if let Some(f) = Fault::parse(envelope)? {
        return Ok(FeedOutcome::Fault(f));
    }
    let r = RegistryResponse::parse(envelope)?;
    Ok(if r.is_success() {
        FeedOutcome::Success(r)
    } else {
        FeedOutcome::Failure(r)
    })
}

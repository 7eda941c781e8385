//! [`RegistryResponse`]: the answer of the DMP repository to a TD2.1 submission (and of the
//! registry to ITI-57 updates), read with the hardened XML reader.

use crate::error::{Error, Result};
use crate::xml::reader::{self, Element, Limits};

use super::vocabulary::{
    NS_RS, SEVERITY_ERROR, SEVERITY_WARNING, STATUS_FAILURE, STATUS_PARTIAL_SUCCESS,
    STATUS_PARTIAL_SUCCESS_EBRS, STATUS_SUCCESS,
};

const SOURCE: &str = "RegistryResponse";

/// `RegistryResponse/@status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseStatus {
    /// `urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success`.
    Success,
    /// `urn:ihe:iti:2007:ResponseStatusType:PartialSuccess` (IHE) or the ebRS spelling
    /// `urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:PartialSuccess`.
    PartialSuccess,
    /// `urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure`.
    Failure,
}

impl ResponseStatus {
    /// The status of a `status` URN, if it is one of the three.
    pub fn from_urn(urn: &str) -> Option<ResponseStatus> {
        match urn {
            STATUS_SUCCESS => Some(ResponseStatus::Success),
            STATUS_PARTIAL_SUCCESS | STATUS_PARTIAL_SUCCESS_EBRS => {
                Some(ResponseStatus::PartialSuccess)
            }
            STATUS_FAILURE => Some(ResponseStatus::Failure),
            _ => None,
        }
    }
}

/// One `rs:RegistryError`, kept verbatim: the DMP's codes and texts are shown to the user as
/// the DMP wrote them (dmp-interface.md §7 item 18).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct RegistryError {
    /// `@errorCode` (`XDSRegistryError`, `XDSUnknownPatientId`, a DMP code…).
    pub error_code: String,
    /// `@codeContext`: the DMP's explanation.
    pub code_context: String,
    /// `@severity` as written, or the schema default
    /// `urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error` when absent.
    pub severity: String,
    /// `@location`, if any.
    pub location: Option<String>,
    /// The element's text, if any (some registries repeat or complete the context there).
    pub text: Option<String>,
}

impl RegistryError {
    /// Whether the severity is a warning (anything else counts as an error).
    pub fn is_warning(&self) -> bool {
        self.severity == SEVERITY_WARNING
    }
}

/// An `rs:RegistryResponse`: the status, the raw status URN and every error, in document
/// order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RegistryResponse {
    /// The status.
    pub status: ResponseStatus,
    /// `@status` as written.
    pub status_urn: String,
    /// `@requestId`, if any.
    pub request_id: Option<String>,
    /// `@highestSeverity` of the `RegistryErrorList`, if any.
    pub highest_severity: Option<String>,
    /// Every `RegistryErrorList/RegistryError`, in order.
    pub errors: Vec<RegistryError>,
}

impl RegistryResponse {
    /// Reads the first `RegistryResponse` element of the ebRS 3.0 `rs` namespace found in
    /// `xml`, wherever it is: the SOAP Body child on its own, a whole SOAP envelope, or the
    /// root part of an ITI-43 response (`RetrieveDocumentSetResponse/RegistryResponse`).
    ///
    /// Errors ([`Error::Data`], source `xml` or `RegistryResponse`): input that the hardened
    /// reader refuses (malformed, DTD, limits), no such element, an unknown `status`, a
    /// `RegistryError` without `errorCode` or `codeContext`.
    ///
    /// ```
    /// use dmp_core::xds::{RegistryResponse, ResponseStatus};
    /// let xml = br#"<rs:RegistryResponse xmlns:rs="urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0"
    ///     status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure">
    ///   <rs:RegistryErrorList>
    ///     <rs:RegistryError errorCode="XDSUnknownPatientId" codeContext="Patient inconnu"/>
    ///   </rs:RegistryErrorList>
    /// </rs:RegistryResponse>"#;
    /// let r = RegistryResponse::parse(xml).unwrap();
    /// assert_eq!(r.status, ResponseStatus::Failure);
    /// assert_eq!(r.errors[0].error_code, "XDSUnknownPatientId");
    /// assert_eq!(r.errors[0].code_context, "Patient inconnu");
    /// assert!(!r.errors[0].is_warning());
    /// ```
    pub fn parse(xml: &[u8]) -> Result<RegistryResponse> {
        let doc = reader::parse(xml, &Limits::default())?;
        let Some(r) = doc.elements().find(|e| e.is(NS_RS, "RegistryResponse")) else {
            return Err(Error::data(
                SOURCE,
                0,
                format!("no RegistryResponse element in the namespace {NS_RS}"),
            ));
        };
        RegistryResponse::from_element(r)
    }

    /// Reads an `rs:RegistryResponse` element already found in a parsed document (the
    /// ITI-43 response reads its root part once and hands its `RegistryResponse` here).
    pub(crate) fn from_element(r: Element<'_>) -> Result<RegistryResponse> {
        let (status, status_urn) = read_status(SOURCE, r)?;
        let list = r.child(NS_RS, "RegistryErrorList");
        let errors = match list {
            Some(list) => read_errors(SOURCE, list)?,
            None => Vec::new(),
        };
        Ok(RegistryResponse {
            status,
            status_urn,
            request_id: r.attr("requestId").map(str::to_owned),
            highest_severity: list.and_then(|l| l.attr("highestSeverity").map(str::to_owned)),
            errors,
        })
    }

    /// Whether the submission was accepted as a whole.
    pub fn is_success(&self) -> bool {
        self.status == ResponseStatus::Success
    }

    /// The errors that are not warnings.
    pub fn errors_only(&self) -> impl Iterator<Item = &RegistryError> + '_ {
        self.errors.iter().filter(|e| !e.is_warning())
    }
}

/// `@status` of a response element (`RegistryResponse`, `AdhocQueryResponse`): the status and
/// the URN as written. Errors name `source`.
pub(crate) fn read_status(source: &str, r: Element<'_>) -> Result<(ResponseStatus, String)> {
    let line = r.line();
    let status_urn = r
        .attr("status")
        .ok_or_else(|| Error::data(source, line, format!("{} has no status", r.local_name())))?;
    let status = ResponseStatus::from_urn(status_urn).ok_or_else(|| {
        Error::data(
            source,
            line,
            format!("unknown {} status \"{status_urn}\"", r.local_name()),
        )
    })?;
    Ok((status, status_urn.to_owned()))
}

/// Every `RegistryError` of a `RegistryErrorList`, verbatim. Errors name `source`.
pub(crate) fn read_errors(source: &str, list: Element<'_>) -> Result<Vec<RegistryError>> {
    let mut errors = Vec::new();
    for e in list.children_named(NS_RS, "RegistryError") {
        let required = |name: &str| {
            e.attr(name).map(str::to_owned).ok_or_else(|| {
                Error::data(
                    source,
                    e.line(),
                    format!("RegistryError without the required {name}"),
                )
            })
        };
        let text = e.text().trim();
        errors.push(RegistryError {
            error_code: required("errorCode")?,
            code_context: required("codeContext")?,
            severity: e.attr("severity").unwrap_or(SEVERITY_ERROR).to_owned(),
            location: e.attr("location").map(str::to_owned),
            text: (!text.is_empty()).then(|| text.to_owned()),
        });
    }
    Ok(errors)
}

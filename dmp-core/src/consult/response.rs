//! Reading any answer of the DMP services: the transaction is recognised from the body's
//! root element, SOAP faults (plain or inside MTOM) come first, and every DMP error is kept
//! with its codes and texts verbatim.

use serde::Serialize;

use crate::authorization::{AuthorizedPatients, AuthorizedProfessionals, ServiceStatus};
use crate::error::{DmpError, DmpErrorDetail, Error, Result};
use crate::habilitation::{Decision, Matrix, Reader};
use crate::hl7v3::PatientStatus;
use crate::soap::{self, mtom, Fault};
use crate::xds::{QueryResponse, RegistryResponse, RetrieveResponse};

const SOURCE: &str = "DMP response";

/// A typed answer of the DMP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "result", rename_all = "snake_case")]
pub enum Response {
    /// A SOAP fault (the VIHF, the certificate or the request refused before any service).
    Fault(Fault),
    /// TD0.2 (or TD1.3a): the usager's DMP.
    Status(Box<PatientStatus>),
    /// TD3.1: the registry's entries.
    Search(QueryResponse),
    /// TD3.2: the documents (owned: one copy of each document).
    Retrieve(RetrieveResponse<'static>),
    /// TD2.1 or TD3.3: a registry response.
    Registry {
        /// The WS-Addressing action of the response, when it has one.
        action: Option<String>,
        /// The response.
        response: RegistryResponse,
    },
    /// TD0.3.
    Authorization(ServiceStatus),
    /// TD0.4.
    AuthorizedList(AuthorizedPatients),
    /// TD1.6: the professionals authorised or blocked on the usager's DMP.
    AuthorizedProfessionals(AuthorizedProfessionals),
}

impl Response {
    /// The transaction the response answers (`TD3.1`…; `TD2.1/TD3.3` when a registry
    /// response does not say which).
    pub fn transaction(&self) -> &'static str {
        match self {
            Response::Fault(_) => "fault",
            Response::Status(s) if s.reason_code.as_deref() == Some("CNSLT_DATA") => "TD1.3a",
            Response::Status(_) => "TD0.2",
            Response::Search(_) => "TD3.1",
            Response::Retrieve(_) => "TD3.2",
            Response::Registry { action, .. } => match action.as_deref() {
                Some(a) if a.contains("UpdateDocumentSet") => "TD3.3",
                Some(a) if a.contains("ProvideAndRegister") => "TD2.1",
                _ => "TD2.1/TD3.3",
            },
            Response::Authorization(_) => "TD0.3",
            Response::AuthorizedList(_) => "TD0.4",
            Response::AuthorizedProfessionals(_) => "TD1.6",
        }
    }

    /// The DMP's refusal, if the response is one (a fault, a Failure status, an AE/AR
    /// acknowledgement, a status other than `DMPOk`). Warnings alone are not a refusal.
    pub fn error(&self) -> Option<DmpError> {
        match self {
            Response::Fault(f) => Some(DmpError {
                source: "soap:Fault".to_owned(),
                code: std::iter::once(&f.code)
                    .chain(&f.subcodes)
                    .map(|c| c.value.as_str())
                    .collect::<Vec<_>>()
                    .join(" / "),
                details: vec![DmpErrorDetail {
                    code: None,
                    text: Some(f.reason().to_owned()),
                }],
            }),
            Response::Search(r) => registry_error(
                "AdhocQueryResponse",
                r.is_success(),
                &r.status_urn,
                &r.errors,
            ),
            Response::Registry { response: r, .. } => {
                registry_error("RegistryResponse", r.is_success(), &r.status_urn, &r.errors)
            }
            Response::Retrieve(r) => registry_error(
                "RetrieveDocumentSetResponse",
                r.is_success(),
                &r.registry.status_urn,
                &r.registry.errors,
            ),
            Response::Status(s) => s.error(),
            Response::Authorization(s) => s.error(),
            Response::AuthorizedList(l) => l.error(),
            Response::AuthorizedProfessionals(l) => l.error(),
        }
    }

    /// For each document of a TD3.1 response, whether `reader` may open its type according
    /// to the habilitation matrix (explanation only: the DMP decides). Empty for other
    /// responses.
    pub fn habilitation(&self, matrix: &Matrix, reader: &Reader) -> Vec<(String, Decision)> {
        let Response::Search(r) = self else {
            return Vec::new();
        };
        r.documents
            .iter()
            .map(|d| {
                let code = d.type_code.as_ref().map_or("", |c| c.code.as_str());
                (d.entry_uuid.clone(), matrix.decide(reader, code))
            })
            .collect()
    }

    /// [`to_json`](Self::to_json) with, on each TD3.1 document, `"habilitation"`: the
    /// [`Decision`] of the matrix for `reader` on its type (an explanation: the DMP decides).
    pub fn to_json_for_reader(&self, matrix: &Matrix, reader: &Reader) -> serde_json::Value {
        let mut value = self.to_json();
        if let Some(docs) = value
            .pointer_mut("/result/documents")
            .and_then(|d| d.as_array_mut())
        {
            for (doc, (_, decision)) in docs.iter_mut().zip(self.habilitation(matrix, reader)) {
                doc["habilitation"] = serde_json::to_value(decision).unwrap_or_default();
            }
        }
        value
    }

    /// The response as JSON: `{"transaction", "kind", "result", "error"}`.
    pub fn to_json(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        if let serde_json::Value::Object(o) = &mut v {
            o.insert("transaction".into(), self.transaction().into());
            o.insert(
                "error".into(),
                serde_json::to_value(self.error()).unwrap_or(serde_json::Value::Null),
            );
        }
        v
    }

    /// A short text for people (what the CLI prints without `--json`).
    pub fn render(&self) -> String {
        let mut s = format!("{} response", self.transaction());
        match self {
            Response::Fault(f) => s += &format!(": SOAP fault {}: {}\n", f.code.value, f.reason()),
            Response::Status(st) => {
                s += &format!(
                    ": DMP {}{}, authorisation {}, médecin traitant {}, Mon espace santé {}\n",
                    if st.exists { "exists" } else { "not found" },
                    if st.closed.is_some() { " (closed)" } else { "" },
                    st.authorization.as_ref().map_or("-", |a| a.code()),
                    yes_no(st.medecin_traitant),
                    yes_no(st.attached_to_mon_espace_sante),
                );
                for f in st.attention_lines.iter().chain(&st.observations) {
                    s += &format!(
                        "  {} = {}\n",
                        f.code,
                        f.value.as_deref().or(f.value_code.as_deref()).unwrap_or("")
                    );
                }
            }
            Response::Search(r) => {
                s += &format!(
                    ": {} document(s){}\n",
                    r.documents.len(),
                    r.total_result_count
                        .map(|n| format!(" of {n}"))
                        .unwrap_or_default()
                );
                for d in &r.documents {
                    let codes: Vec<&str> =
                        d.confidentiality.iter().map(|c| c.code.as_str()).collect();
                    s += &format!(
                        "  {}  {}  {}  v{}  {}  [{}]  {}\n",
                        d.unique_id,
                        d.status.name(),
                        d.type_code.as_ref().map_or("-", |c| c.code.as_str()),
                        d.version.as_deref().unwrap_or("?"),
                        d.title.as_deref().unwrap_or(""),
                        codes.join(","),
                        d.entry_uuid,
                    );
                }
            }
            Response::Retrieve(r) => {
                s += &format!(": {} document(s)\n", r.documents.len());
                for d in &r.documents {
                    s += &format!(
                        "  {}  {}  {} bytes\n",
                        d.document_unique_id,
                        d.mime_type,
                        d.bytes.len()
                    );
                }
            }
            Response::Registry { response, .. } => {
                s += &format!(": {}\n", response.status_urn);
            }
            Response::Authorization(st) => {
                s += &format!(
                    ": {}{}\n",
                    st.status,
                    st.context
                        .as_deref()
                        .map(|c| format!(" ({c})"))
                        .unwrap_or_default()
                );
            }
            Response::AuthorizedProfessionals(l) => {
                s += &format!(
                    ": {} professional(s), status {}\n",
                    l.professionals.len(),
                    l.status.status
                );
                for p in &l.professionals {
                    s += &format!(
                        "  {} {} {}\n",
                        p.national_id.as_deref().unwrap_or(""),
                        p.last_name.as_deref().unwrap_or(""),
                        p.first_name.as_deref().unwrap_or("")
                    );
                }
            }
            Response::AuthorizedList(l) => {
                s += &format!(
                    ": {} DMP(s), status {}\n",
                    l.patients.len(),
                    l.status.status
                );
                for p in &l.patients {
                    s += &format!(
                        "  {} {} {}\n",
                        p.last_name.as_deref().unwrap_or(""),
                        p.first_name.as_deref().unwrap_or(""),
                        p.ids
                            .iter()
                            .map(|id| format!(
                                "{}@{}",
                                id.extension.as_deref().unwrap_or(""),
                                id.root.as_deref().unwrap_or("")
                            ))
                            .collect::<Vec<_>>()
                            .join(" "),
                    );
                }
            }
        }
        if let Some(e) = self.error() {
            s += &format!("{e}\n");
        }
        s
    }
}

/// A registry answer is a refusal when its status is not Success or it holds an error that
/// is not a warning; the errors are the details, verbatim.
fn registry_error(
    source: &str,
    success: bool,
    status_urn: &str,
    errors: &[crate::xds::RegistryError],
) -> Option<DmpError> {
    let details: Vec<DmpErrorDetail> = errors
        .iter()
        .filter(|e| !e.is_warning())
        .map(|e| DmpErrorDetail {
            code: Some(e.error_code.clone()),
            text: Some(e.code_context.clone()),
        })
        .collect();
    (!success || !details.is_empty()).then(|| DmpError {
        source: source.to_owned(),
        code: status_urn
            .rsplit(':')
            .next()
            .unwrap_or(status_urn)
            .to_owned(),
        details,
    })
}

/// Reads an HTTP response of a DMP service: `content_type` is its `Content-Type` header
/// (`multipart/related` for MTOM, else a SOAP envelope), `body` its body.
pub fn parse_response(content_type: &str, body: &[u8]) -> Result<Response> {
    let multipart = mtom::ContentType::parse(content_type)
        .map(|t| t.media_type.eq_ignore_ascii_case("multipart/related"))
        .unwrap_or(false);
    if multipart {
        multipart_response(&mtom::parse(content_type, body)?)
    } else {
        envelope_response(body)
    }
}

/// Reads a response file: an HTTP message (status line and headers, a blank line, the body),
/// a multipart body, or a bare SOAP envelope ([`mtom::read_message`]).
pub fn parse_message(message: &[u8]) -> Result<Response> {
    match mtom::read_message(message)? {
        mtom::Message::Multipart(m) => multipart_response(&m),
        mtom::Message::Xml(xml) => envelope_response(xml),
    }
}

/// An MTOM answer: a TD3.2 answer binds its documents to the parts; any other (a fault
/// first of all: ITI-43 answers are MTOM even then) is read from its root part.
fn multipart_response(m: &mtom::Multipart<'_>) -> Result<Response> {
    let info = soap::parse_envelope(&m.root.bytes)?;
    if body_local_name(&info) == "RetrieveDocumentSetResponse" {
        Ok(Response::Retrieve(
            RetrieveResponse::from_multipart(m)?.into_owned(),
        ))
    } else {
        envelope_response(&m.root.bytes)
    }
}

fn body_local_name(info: &soap::EnvelopeInfo) -> &str {
    info.body_name
        .as_ref()
        .map_or("", |(_, local)| local.as_str())
}

/// One parse of the envelope tells what the message is; the parser of that message then
/// reads it.
fn envelope_response(envelope: &[u8]) -> Result<Response> {
    let info = soap::parse_envelope(envelope)?;
    Ok(match body_local_name(&info) {
        "Fault" => match Fault::parse(envelope)? {
            Some(f) => Response::Fault(f),
            None => return Err(Error::data(SOURCE, 0, "a Fault outside the SOAP namespace")),
        },
        "" => return Err(Error::data(SOURCE, 0, "the SOAP Body is empty")),
        "PRPA_IN201308UV02" => Response::Status(Box::new(PatientStatus::parse(envelope)?)),
        "AdhocQueryResponse" => Response::Search(QueryResponse::parse(envelope)?),
        "RetrieveDocumentSetResponse" => Response::Retrieve(RetrieveResponse::parse(envelope)?),
        "RegistryResponse" => Response::Registry {
            action: info.action.clone(),
            response: RegistryResponse::parse(envelope)?,
        },
        "setAuthorizationResponse" => Response::Authorization(ServiceStatus::parse(envelope)?),
        "patientListResponse" => Response::AuthorizedList(AuthorizedPatients::parse(envelope)?),
        "listAuthorizationByPatientResponse" => {
            Response::AuthorizedProfessionals(AuthorizedProfessionals::parse(envelope)?)
        }
        other => {
            return Err(Error::data(
                SOURCE,
                0,
                format!(
                    "the body holds a {other} element: not an answer of a transaction this \
                     library builds (TD0.2, TD0.3, TD0.4, TD1.3a, TD1.6, TD2.1, TD3.1, TD3.2, TD3.3)"
                ),
            ))
        }
    })
}

fn yes_no(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "yes",
        Some(false) => "no",
        None => "-",
    }
}

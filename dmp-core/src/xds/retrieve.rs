//! TD3.2, consultation of a document (IHE ITI-43 Retrieve Document Set): the
//! `xdsb:RetrieveDocumentSetRequest` body ([`RetrieveRequest::to_xml`]) and the MTOM
//! response ([`RetrieveResponse::from_multipart`]).
//!
//! The response is a `multipart/related` MTOM message (dmp-interface.md §5, §7 item 5): its
//! root part holds `RetrieveDocumentSetResponse`, whose `RegistryResponse` says success or
//! failure and whose each `DocumentResponse/Document` holds an `xop:Include` naming the MIME
//! part of the document by a **percent-encoded** `cid:` URL (the official TD3.2 response:
//! `cid:…-2@urn%3Aihe%3Aiti%3Axds-b%3A2007`). The parts are the ones of
//! [`soap::mtom::parse`](crate::soap::mtom::parse): their bytes are **borrowed**, never
//! copied (a 20 MiB document costs no second 20 MiB). A `Document` holding inline base64
//! instead is decoded (owned).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use crate::cda::{self, decode_base64, Content, ReadDocument};
use crate::error::{Error, Result};
use crate::ids::Oid;
use crate::soap::mtom::{href_cid, MimePart, Multipart};
use crate::xml::reader::{self, Element, Limits};
use crate::xml::writer::XmlWriter;

use super::response::RegistryResponse;
use super::vocabulary::{DMP_REPOSITORY_UNIQUE_ID, NS_RS, NS_XDSB, NS_XOP};

const SOURCE: &str = "RetrieveDocumentSetResponse";

/// Longest extension of a `root^extension` document uniqueId (IHE ITI TF-3 §4.2.3.2.26).
const UNIQUE_ID_EXTENSION_MAX: usize = 16;

/// One document to retrieve: where it is stored and its uniqueId, as TD3.1 returned them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct DocumentRequest {
    /// `repositoryUniqueId` of the entry (an OID; the DMP's is
    /// [`DMP_REPOSITORY_UNIQUE_ID`]).
    pub repository_unique_id: String,
    /// `uniqueId` of the entry (the CDA `id`: an OID, or `OID^extension`). **Not** its
    /// `urn:uuid:` entryUUID (dmp-interface.md §7 item 4).
    pub document_unique_id: String,
    /// `homeCommunityId` (`urn:oid:…`), when the query returned one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home_community_id: Option<String>,
}

impl DocumentRequest {
    /// A document of the DMP repository ([`DMP_REPOSITORY_UNIQUE_ID`]).
    pub fn dmp(document_unique_id: impl Into<String>) -> DocumentRequest {
        DocumentRequest {
            repository_unique_id: DMP_REPOSITORY_UNIQUE_ID.to_owned(),
            document_unique_id: document_unique_id.into(),
            home_community_id: None,
        }
    }

    fn check(&self, field: &str) -> Result<()> {
        let f = |name: &str| format!("{field}.{name}");
        Oid::new(&self.repository_unique_id).map_err(|e| e.renamed(&f("repository_unique_id")))?;
        check_unique_id(&f("document_unique_id"), &self.document_unique_id)?;
        if let Some(h) = &self.home_community_id {
            let field = f("home_community_id");
            let oid = h
                .strip_prefix("urn:oid:")
                .ok_or_else(|| Error::invalid(&field, "must be urn:oid: followed by an OID", h))?;
            Oid::new(oid).map_err(|e| e.renamed(&field))?;
        }
        Ok(())
    }
}

/// A document uniqueId: an OID or `OID^extension`, never an entryUUID.
fn check_unique_id(field: &str, id: &str) -> Result<()> {
    let bare = id.strip_prefix("urn:uuid:").unwrap_or(id);
    if id
        .get(..9)
        .is_some_and(|p| p.eq_ignore_ascii_case("urn:uuid:"))
        || (bare.len() == 36 && uuid::Uuid::try_parse(bare).is_ok())
    {
        return Err(Error::invalid(
            field,
            "must be the document's uniqueId (an OID, or OID^extension, as in the CDA id), not \
             its registry entryUUID: ITI-43 takes the uniqueId, the entryUUID is for ITI-57 \
             updates (the DMP answers XDSDocumentUniqueIdError)",
            id,
        ));
    }
    let (root, extension) = match id.split_once('^') {
        Some((r, e)) => (r, Some(e)),
        None => (id, None),
    };
    Oid::new(root).map_err(|e| e.renamed(field))?;
    if let Some(ext) = extension {
        let ok = (1..=UNIQUE_ID_EXTENSION_MAX).contains(&ext.len())
            && ext.bytes().all(|b| b.is_ascii_graphic() && b != b'^');
        if !ok {
            return Err(Error::invalid(
                field,
                format!(
                    "the extension after ^ must be 1 to {UNIQUE_ID_EXTENSION_MAX} printable \
                     ASCII characters without space or ^"
                ),
                id,
            ));
        }
    }
    Ok(())
}

/// A TD3.2 request: the documents to retrieve, in order.
///
/// ```
/// use dmp_core::xds::{DocumentRequest, RetrieveRequest};
/// let r = RetrieveRequest::new(vec![DocumentRequest::dmp("1.2.250.1.999.1.1.7898.1.995657292")]);
/// let xml = String::from_utf8(r.to_xml().unwrap()).unwrap();
/// assert!(xml.contains("<xdsb:DocumentUniqueId>1.2.250.1.999.1.1.7898.1.995657292</xdsb:DocumentUniqueId>"));
/// let bad = RetrieveRequest::new(vec![DocumentRequest::dmp(
///     "urn:uuid:0b1e6f2a-8c3d-4e5f-9a0b-1c2d3e4f5a6b",
/// )]);
/// let e = bad.to_xml().unwrap_err();
/// assert_eq!(e.as_invalid().unwrap().field, "documents[0].document_unique_id");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RetrieveRequest {
    /// At least one document; each (repository, uniqueId, community) once.
    pub documents: Vec<DocumentRequest>,
}

impl RetrieveRequest {
    /// A request for `documents`.
    pub fn new(documents: Vec<DocumentRequest>) -> RetrieveRequest {
        RetrieveRequest { documents }
    }

    /// Checks every document: OIDs are OIDs, uniqueIds are not entryUUIDs, no document twice,
    /// at least one.
    pub fn validate(&self) -> Result<()> {
        if self.documents.is_empty() {
            return Err(Error::invalid(
                "documents",
                "must name at least one document",
                "",
            ));
        }
        let mut seen = HashSet::with_capacity(self.documents.len());
        for (i, d) in self.documents.iter().enumerate() {
            let field = format!("documents[{i}]");
            d.check(&field)?;
            if !seen.insert(d) {
                return Err(Error::invalid(
                    format!("{field}.document_unique_id"),
                    "each document must be requested once",
                    &d.document_unique_id,
                ));
            }
        }
        Ok(())
    }

    /// The `xdsb:RetrieveDocumentSetRequest` element for the SOAP Body (no XML declaration;
    /// it declares its `xdsb` prefix), after [`validate`](Self::validate).
    pub fn to_xml(&self) -> Result<Vec<u8>> {
        self.validate()?;
        let mut w = XmlWriter::new();
        w.elem(
            "xdsb:RetrieveDocumentSetRequest",
            &[("xmlns:xdsb", NS_XDSB)],
            |w| {
                self.documents.iter().try_for_each(|d| {
                    w.elem("xdsb:DocumentRequest", &[], |w| {
                        if let Some(h) = &d.home_community_id {
                            w.leaf("xdsb:HomeCommunityId", &[], h)?;
                        }
                        w.leaf("xdsb:RepositoryUniqueId", &[], &d.repository_unique_id)?;
                        w.leaf("xdsb:DocumentUniqueId", &[], &d.document_unique_id)
                    })
                })
            },
        )?;
        w.finish()
    }
}

/// One retrieved document, its bytes borrowed from the MIME part that carried them (or
/// decoded from inline base64).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RetrievedDocument<'a> {
    /// `HomeCommunityId`, if any.
    pub home_community_id: Option<String>,
    /// `RepositoryUniqueId`, verbatim.
    pub repository_unique_id: String,
    /// `DocumentUniqueId`, verbatim (JSON `unique_id`, as in a TD3.1 entry).
    #[serde(rename = "unique_id")]
    pub document_unique_id: String,
    /// `mimeType`, verbatim (`text/xml` for a CDA).
    pub mime_type: String,
    /// The Content-ID of the MIME part, when the document came as an `xop:Include`.
    pub content_id: Option<String>,
    /// The document (serialised as its length, `size`).
    #[serde(rename = "size", serialize_with = "serialize_len")]
    pub bytes: Cow<'a, [u8]>,
}

fn serialize_len<S: serde::Serializer>(bytes: &[u8], s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(bytes.len()).unwrap_or(u64::MAX))
}

impl RetrievedDocument<'_> {
    /// The document read as a CDA R2 with the hardened CDA reader ([`cda::read`]).
    pub fn read_cda(&self) -> Result<ReadDocument> {
        cda::read(&self.bytes)
    }

    /// The N1 body (`nonXMLBody`) of the CDA, decoded: the PDF, text or image the document
    /// carries; `None` for a structured body.
    pub fn n1_body(&self) -> Result<Option<Content>> {
        Ok(self.read_cda()?.content)
    }

    /// A copy that owns its bytes.
    pub fn into_owned(self) -> RetrievedDocument<'static> {
        RetrievedDocument {
            bytes: Cow::Owned(self.bytes.into_owned()),
            home_community_id: self.home_community_id,
            repository_unique_id: self.repository_unique_id,
            document_unique_id: self.document_unique_id,
            mime_type: self.mime_type,
            content_id: self.content_id,
        }
    }
}

/// The DMP's answer to a TD3.2 request: the registry status and errors (verbatim), and the
/// documents, in the order of the response.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RetrieveResponse<'a> {
    /// `RegistryResponse`: status and every `RegistryError`.
    pub registry: RegistryResponse,
    /// Each `DocumentResponse`.
    pub documents: Vec<RetrievedDocument<'a>>,
}

impl<'a> RetrieveResponse<'a> {
    /// Reads an MTOM response (parsed by [`crate::soap::mtom::parse`]): the root part's
    /// `RetrieveDocumentSetResponse`, each `xop:Include` resolved against the parts by
    /// Content-ID (percent-decoded). The bytes are borrowed from `m`.
    ///
    /// The root part may be a SOAP Fault: check with [`crate::soap::Fault::parse`] first.
    ///
    /// Errors ([`Error::Data`], source `RetrieveDocumentSetResponse`, `RegistryResponse` or
    /// `xml`): no `RetrieveDocumentSetResponse` or `RegistryResponse`, a `DocumentResponse`
    /// without one of its required elements, an `xop:Include` that names no part or a
    /// Content-ID that several parts carry, two `DocumentResponse`s bound to the same part,
    /// inline content that is not base64.
    pub fn from_multipart(m: &'a Multipart<'a>) -> Result<RetrieveResponse<'a>> {
        read(&m.root.bytes, &m.parts)
    }

    /// Whether the registry answered `Success`.
    pub fn is_success(&self) -> bool {
        self.registry.is_success()
    }

    /// The document with this uniqueId, if returned.
    pub fn document(&self, document_unique_id: &str) -> Option<&RetrievedDocument<'a>> {
        self.documents
            .iter()
            .find(|d| d.document_unique_id == document_unique_id)
    }

    /// A copy that owns its bytes.
    pub fn into_owned(self) -> RetrieveResponse<'static> {
        RetrieveResponse {
            registry: self.registry,
            documents: self
                .documents
                .into_iter()
                .map(RetrievedDocument::into_owned)
                .collect(),
        }
    }
}

impl RetrieveResponse<'static> {
    /// Reads a plain SOAP envelope (or the bare `RetrieveDocumentSetResponse`) whose
    /// `Document`s hold inline base64 (decoded, owned). An `xop:Include` is an error here:
    /// read the MTOM message with [`from_multipart`](RetrieveResponse::from_multipart).
    pub fn parse(xml: &[u8]) -> Result<RetrieveResponse<'static>> {
        read(xml, &[])
    }
}

fn read<'a>(root: &[u8], parts: &'a [MimePart<'a>]) -> Result<RetrieveResponse<'a>> {
    let doc = reader::parse(root, &Limits::default())?;
    let response = doc
        .elements()
        .find(|e| e.is(NS_XDSB, "RetrieveDocumentSetResponse"))
        .ok_or_else(|| {
            Error::data(
                SOURCE,
                0,
                format!("no RetrieveDocumentSetResponse element in the namespace {NS_XDSB}"),
            )
        })?;
    let registry = response
        .child(NS_RS, "RegistryResponse")
        .ok_or_else(|| {
            Error::data(
                SOURCE,
                response.line(),
                "RetrieveDocumentSetResponse has no RegistryResponse",
            )
        })
        .and_then(RegistryResponse::from_element)?;
    let mut binder = Binder::new(parts);
    let documents = response
        .children_named(NS_XDSB, "DocumentResponse")
        .enumerate()
        .map(|(i, e)| document(e, i, &mut binder))
        .collect::<Result<Vec<_>>>()?;
    Ok(RetrieveResponse {
        registry,
        documents,
    })
}

/// Binds `xop:Include`s to parts: one index of the Content-IDs (built once), and which
/// `DocumentResponse` took each part.
struct Binder<'a> {
    parts: &'a [MimePart<'a>],
    /// Content-ID → part index, `None` when several parts carry it.
    by_cid: HashMap<&'a str, Option<usize>>,
    taken_by: Vec<Option<usize>>,
}

impl<'a> Binder<'a> {
    fn new(parts: &'a [MimePart<'a>]) -> Binder<'a> {
        let mut by_cid = HashMap::with_capacity(parts.len());
        for (i, p) in parts.iter().enumerate() {
            if let Some(cid) = p.content_id.as_deref() {
                by_cid
                    .entry(cid)
                    .and_modify(|v: &mut Option<usize>| *v = None)
                    .or_insert(Some(i));
            }
        }
        Binder {
            parts,
            by_cid,
            taken_by: vec![None; parts.len()],
        }
    }

    /// The part `href` names, for DocumentResponse number `n`.
    fn bind(&mut self, href: &str, n: usize, line: usize) -> Result<(&'a [u8], String)> {
        let cid = href_cid(href);
        let at = |m: String| Error::data(SOURCE, line, format!("DocumentResponse {n}: {m}"));
        let index = match self.by_cid.get(cid.as_str()) {
            Some(Some(i)) => *i,
            Some(None) => {
                return Err(at(format!(
                    "xop:Include href=\"{href}\" names a Content-ID that several MIME parts carry"
                )))
            }
            None if self.parts.is_empty() => {
                return Err(at(format!(
                    "xop:Include href=\"{href}\" needs the MIME parts: read the multipart \
                     message, not its root part alone"
                )))
            }
            None => {
                return Err(at(format!(
                    "xop:Include href=\"{href}\" names no MIME part of the message"
                )))
            }
        };
        let (Some(part), Some(taken)) = (self.parts.get(index), self.taken_by.get_mut(index))
        else {
            return Err(at("internal: part index out of range".into()));
        };
        if let Some(other) = *taken {
            return Err(at(format!(
                "xop:Include href=\"{href}\" names the part DocumentResponse {other} already took"
            )));
        }
        *taken = Some(n);
        let bytes: &'a [u8] = &part.bytes;
        Ok((bytes, cid))
    }
}

fn document<'a>(
    e: Element<'_>,
    n: usize,
    binder: &mut Binder<'a>,
) -> Result<RetrievedDocument<'a>> {
    let line = e.line();
    let required = |local: &str| {
        e.child(NS_XDSB, local)
            .map(|c| c.text().trim().to_owned())
            .ok_or_else(|| {
                Error::data(SOURCE, line, format!("DocumentResponse {n} has no {local}"))
            })
    };
    let repository_unique_id = required("RepositoryUniqueId")?;
    let document_unique_id = required("DocumentUniqueId")?;
    let mime_type = required("mimeType")?;
    let home_community_id = e
        .child(NS_XDSB, "HomeCommunityId")
        .map(|c| c.text().trim().to_owned());
    let doc = e.child(NS_XDSB, "Document").ok_or_else(|| {
        Error::data(
            SOURCE,
            line,
            format!("DocumentResponse {n} has no Document"),
        )
    })?;
    let (bytes, content_id) = match doc.child(NS_XOP, "Include") {
        Some(include) => {
            let href = include.attr("href").ok_or_else(|| {
                Error::data(
                    SOURCE,
                    include.line(),
                    format!("DocumentResponse {n}: xop:Include has no href"),
                )
            })?;
            let (bytes, cid) = binder.bind(href, n, include.line())?;
            (Cow::Borrowed(bytes), Some(cid))
        }
        None => {
            let data = decode_base64(doc.text()).map_err(|m| {
                Error::data(
                    SOURCE,
                    doc.line(),
                    format!("DocumentResponse {n}: the inline Document is {m}"),
                )
            })?;
            (Cow::Owned(data), None)
        }
    };
    Ok(RetrievedDocument {
        home_community_id,
        repository_unique_id,
        document_unique_id,
        mime_type,
        content_id,
        bytes,
    })
}

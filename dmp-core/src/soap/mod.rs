//! SOAP for the DMP: SOAP 1.2 envelopes with WS-Addressing and `wsse:Security`, MTOM/XOP
//! multipart requests ([`mtom`]), SOAP faults ([`Fault`]), the endpoint paths ([`endpoint`])
//! and the WS-Addressing actions ([`action`]).
//!
//! Everything here is a pure function of its arguments: the message id, the MIME boundary and
//! every other identifier are inputs; nothing is sent (the transport layer adds the base URL,
//! TLS and the network).
//!
//! # The envelope
//!
//! [`build_envelope`] writes (no XML declaration, LF line ends):
//!
//! ```text
//! <soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://www.w3.org/2005/08/addressing" xmlns:wsse="…oasis-200401-wss-wssecurity-secext-1.0.xsd">
//!   <soap:Header>
//!     <wsa:MessageID>urn:uuid:…</wsa:MessageID>
//!     <wsa:To>…</wsa:To>
//!     <wsa:ReplyTo>
//!       <wsa:Address>http://www.w3.org/2005/08/addressing/anonymous</wsa:Address>
//!     </wsa:ReplyTo>
//!     <wsa:Action soap:mustUnderstand="true">urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b</wsa:Action>
//!     <wsse:Security>
//!       (the signed VIHF, byte for byte)
//!     </wsse:Security>
//!   </soap:Header>
//!   <soap:Body>
//!     (the body element, byte for byte)
//!   </soap:Body>
//! </soap:Envelope>
//! ```
//!
//! Header order as in the official requests (MessageID, To, ReplyTo, Action, Security). The
//! official requests write `mustUnderstand="true"` **without** a namespace on `ReplyTo` and
//! `Action`, which a SOAP processor ignores; we write the SOAP 1.2 `soap:mustUnderstand` on
//! `Action` only (as IHE requires), so that `ReplyTo` keeps its (non-)effect of the samples.
//!
//! No default namespace is declared on any element we write, and only the three prefixes
//! above, so that the VIHF's exclusive-C14N signature (whose `InclusiveNamespaces` may list
//! `#default`, `saml`, `ds`, `xsi`) sees no inherited declaration: its canonical form is the
//! same standalone and in the envelope. The one thing that would break this is a `PrefixList`
//! naming `soap`, `wsa` or `wsse`.
//!
//! # Fragments
//!
//! The security token and the body are inserted **verbatim**: never parsed-and-reserialised.
//! A fragment is first checked with the hardened [`Tree`] parser: a leading BOM and XML
//! declaration are dropped (a declaration naming another encoding than UTF-8 is refused), it
//! must hold exactly one element with every prefix it uses declared inside it, and nothing but
//! white space around it (no comment, no processing instruction, no DOCTYPE). The bytes
//! inserted are exactly those of that element, from its `<` to its last `>`.
//!
//! Integration tests: soap.

mod fault;
pub mod mtom;

use std::ops::Range;

pub use fault::{Fault, FaultCode, FaultReason};

use crate::error::{Error, Result};
use crate::xml::reader::Limits;
use crate::xml::scan;
use crate::xml::tree::{Element, Tree};
use crate::xml::writer::XmlWriter;

/// SOAP 1.2 envelope namespace (`application/soap+xml`): what the DMP WSDL bindings use.
pub const SOAP12_NS: &str = "http://www.w3.org/2003/05/soap-envelope";
/// SOAP 1.1 envelope namespace: read only (the official TD2.1 request uses it by mistake).
pub const SOAP11_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// WS-Addressing 1.0 namespace.
pub const WSA_NS: &str = "http://www.w3.org/2005/08/addressing";
/// The anonymous WS-Addressing address (`ReplyTo`).
pub const WSA_ANONYMOUS: &str = "http://www.w3.org/2005/08/addressing/anonymous";
/// WS-Security 1.0 secext namespace, as in the official requests.
pub const WSSE_NS: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
/// XOP namespace (`xop:Include`).
pub const XOP_NS: &str = "http://www.w3.org/2004/08/xop/include";

/// WS-Addressing actions of the DMP transactions, as the official requests write them.
pub mod action {
    /// TD2.1 feeding (ITI-41), MTOM.
    pub const PROVIDE_AND_REGISTER: &str = "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b";
    /// TD3.1 search (ITI-18).
    pub const REGISTRY_STORED_QUERY: &str = "urn:ihe:iti:2007:RegistryStoredQuery";
    /// TD3.2 consultation (ITI-43); the response is MTOM.
    pub const RETRIEVE_DOCUMENT_SET: &str = "urn:ihe:iti:2007:RetrieveDocumentSet";
    /// TD3.3 metadata updates, deletion, archiving (ITI-57).
    pub const UPDATE_DOCUMENT_SET: &str = "urn:ihe:iti:2010:UpdateDocumentSet";
    /// TD0.2 existence test, TD1.3a read of the administrative data (HL7v3).
    pub const PRPA_IN201307UV02: &str = "urn:hl7-org:v3:PRPA_IN201307UV02";
    /// TD1.1 creation (HL7v3).
    pub const PRPA_IN201311UV02: &str = "urn:hl7-org:v3:PRPA_IN201311UV02";
    /// TD1.2 / TD1.3b / TD1.4 updates (HL7v3).
    pub const PRPA_IN201314UV02: &str = "urn:hl7-org:v3:PRPA_IN201314UV02";
    /// TD0.5 patient search without INS (PDQv3).
    pub const PRPA_IN201305UV02: &str = "urn:hl7-org:v3:PRPA_IN201305UV02";
    /// TD0.3 update of the authorisation (the WSDL's `urn:hl7-org:v3:setAuthorization` is
    /// not what the examples send).
    pub const SET_AUTHORIZATION: &str =
        "urn:si-dmp-habilitations:HabilitationsEndPoint:setAuthorization";
    /// TD1.6 professionals authorised or blocked.
    pub const LIST_AUTHORIZATION_BY_PATIENT: &str =
        "urn:si-dmp-habilitations:HabilitationsEndPoint:listAuthorizationByPatient";
    /// TD0.4 list of authorised DMPs.
    pub const PATIENT_LIST: &str = "urn:si-dmp-patients:PatientSpecificEndPoint:patientList";
}

/// Endpoint paths (the base URL, e.g. `https://lps2.dmp.gouv.fr`, is the transport's).
pub mod endpoint {
    use super::action;

    /// Common prefix of every service path.
    pub const BASE_PATH: &str = "/si-dmp-server/v2/services";
    /// XDS.b repository: TD2.1 (ITI-41), TD3.2 (ITI-43).
    pub const REPOSITORY: &str = "/si-dmp-server/v2/services/repository";
    /// XDS.b registry: TD3.1 (ITI-18), TD3.3 (ITI-57).
    pub const REGISTRY: &str = "/si-dmp-server/v2/services/registry";
    /// HL7v3 patient services: TD0.2, TD1.x.
    pub const PATIENTS: &str = "/si-dmp-server/v2/services/patients";
    /// Habilitations: TD0.3, TD1.6.
    pub const HABILITATIONS: &str = "/si-dmp-server/v2/services/habilitations";
    /// Patient-specific services: TD0.4.
    pub const PATIENTS_SPECIFIC: &str = "/si-dmp-server/v2/services/patientsSpecific";
    /// Identity certification (`patientCertif.wsdl`).
    pub const PATIENT_CERTIF: &str = "/si-dmp-server/v2/services/patientCertif";
    /// PDQv3 patient search: TD0.5.
    pub const PATIENTS_PDQ: &str = "/si-dmp-server/v2/services/patientsPDQ";

    /// The path of the service that takes `action` (one of [`action`]'s constants).
    pub fn for_action(a: &str) -> Option<&'static str> {
        Some(match a {
            action::PROVIDE_AND_REGISTER | action::RETRIEVE_DOCUMENT_SET => REPOSITORY,
            action::REGISTRY_STORED_QUERY | action::UPDATE_DOCUMENT_SET => REGISTRY,
            action::PRPA_IN201307UV02 | action::PRPA_IN201311UV02 | action::PRPA_IN201314UV02 => {
                PATIENTS
            }
            action::PRPA_IN201305UV02 => PATIENTS_PDQ,
            action::SET_AUTHORIZATION | action::LIST_AUTHORIZATION_BY_PATIENT => HABILITATIONS,
            action::PATIENT_LIST => PATIENTS_SPECIFIC,
            _ => return None,
        })
    }
}

/// The SOAP version of an envelope, told by its namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SoapVersion {
    /// SOAP 1.1 (`http://schemas.xmlsoap.org/soap/envelope/`).
    Soap11,
    /// SOAP 1.2 (`http://www.w3.org/2003/05/soap-envelope`).
    Soap12,
}

impl SoapVersion {
    /// The envelope namespace.
    pub fn namespace(self) -> &'static str {
        match self {
            SoapVersion::Soap11 => SOAP11_NS,
            SoapVersion::Soap12 => SOAP12_NS,
        }
    }

    fn of(ns: Option<&str>) -> Option<SoapVersion> {
        match ns {
            Some(SOAP12_NS) => Some(SoapVersion::Soap12),
            Some(SOAP11_NS) => Some(SoapVersion::Soap11),
            _ => None,
        }
    }
}

/// Builds a SOAP 1.2 envelope (see the [module documentation](self)).
///
/// - `action`: the WS-Addressing action ([`action`]); no white space, no `"`.
/// - `message_id`: `urn:uuid:` + a UUID.
/// - `to`: the `wsa:To` value, an absolute URI, or empty (as in the official requests).
/// - `security`: the signed VIHF assertion, inserted verbatim in `wsse:Security`.
/// - `body`: the body element, inserted verbatim in `soap:Body`.
pub fn build_envelope(
    action: &str,
    message_id: &str,
    to: &str,
    security: &[u8],
    body: &[u8],
) -> Result<Vec<u8>> {
    let security = fragment("security", security)?;
    let body = fragment("body", body)?;
    let head = Head {
        action,
        message_id,
        to,
    };
    assemble(&head, security, body)
}

/// The values of an envelope's header (see [`build_envelope`]).
pub(crate) struct Head<'a> {
    pub(crate) action: &'a str,
    pub(crate) message_id: &'a str,
    pub(crate) to: &'a str,
}

/// [`build_envelope`] once the fragments are elements; called directly for the fragments
/// this crate wrote itself (the signed VIHF, a body from its writers), which are not parsed
/// on their own. The consultation requests hand the envelope to [`plain_request`] or
/// [`mtom::build`], which read it whole; the TD2.1 request to the MTOM writers as
/// [`mtom::Assembled`], read again in debug builds only (its fragments are well-formed by
/// construction).
pub(crate) fn assemble(head: &Head<'_>, security: &[u8], body: &[u8]) -> Result<Vec<u8>> {
    let Head {
        action,
        message_id,
        to,
    } = *head;
    let (security, body) = (security.trim_ascii(), body.trim_ascii());
    check_uri("action", action, false)?;
    check_message_id(message_id)?;
    check_uri("to", to, true)?;
    let mut head = XmlWriter::new();
    head.leaf("wsa:MessageID", &[], message_id)?;
    head.leaf("wsa:To", &[], to)?;
    head.elem("wsa:ReplyTo", &[], |w| {
        w.leaf("wsa:Address", &[], WSA_ANONYMOUS)
    })?;
    head.leaf("wsa:Action", &[("soap:mustUnderstand", "true")], action)?;
    let head = head.finish()?;

    let mut out = Vec::new();
    out.try_reserve(security.len() + body.len() + head.len() + 1024)
        .map_err(|_| Error::invalid("envelope", "not enough memory", ""))?;
    out.extend_from_slice(b"<soap:Envelope xmlns:soap=\"");
    out.extend_from_slice(SOAP12_NS.as_bytes());
    out.extend_from_slice(b"\" xmlns:wsa=\"");
    out.extend_from_slice(WSA_NS.as_bytes());
    out.extend_from_slice(b"\" xmlns:wsse=\"");
    out.extend_from_slice(WSSE_NS.as_bytes());
    out.extend_from_slice(b"\">\n  <soap:Header>\n");
    // The header values were checked to hold no line break: re-indenting is safe.
    for line in head.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        out.extend_from_slice(b"    ");
        out.extend_from_slice(line);
        out.push(b'\n');
    }
    out.extend_from_slice(b"    <wsse:Security>\n      ");
    out.extend_from_slice(security);
    out.extend_from_slice(b"\n    </wsse:Security>\n  </soap:Header>\n  <soap:Body>\n    ");
    out.extend_from_slice(body);
    out.extend_from_slice(b"\n  </soap:Body>\n</soap:Envelope>\n");
    Ok(out)
}

/// What a request may carry: a SOAP 1.2 envelope (errors name `envelope`). Returns the
/// `href` of its `xop:Include` elements, read in the same pass.
pub(crate) fn check_soap12(envelope: &[u8]) -> Result<Vec<String>> {
    let (info, includes) = read_envelope(envelope)
        .map_err(|e| Error::invalid("envelope", format!("must be a SOAP envelope: {e}"), ""))?;
    if info.version != SoapVersion::Soap12 {
        return Err(Error::invalid(
            "envelope",
            "must be a SOAP 1.2 envelope (application/soap+xml)",
            SoapVersion::Soap11.namespace(),
        ));
    }
    Ok(includes)
}

/// A plain SOAP 1.2 request (no MTOM) to the service at `path`: `Content-Type:
/// application/soap+xml; charset=UTF-8; action="…"`, as the official requests of every
/// service but the repository's are sent. The envelope must be SOAP 1.2.
pub fn plain_request(path: &str, envelope: &[u8], action: &str) -> Result<mtom::HttpRequest> {
    check_uri("action", action, false)?;
    check_soap12(envelope)?;
    Ok(mtom::HttpRequest {
        path: path.to_owned(),
        headers: vec![(
            "Content-Type".to_owned(),
            format!("application/soap+xml; charset=UTF-8; action=\"{action}\""),
        )],
        body: envelope.to_vec(),
    })
}

/// The element of a fragment, as the bytes to insert (see the [module documentation](self));
/// errors name `field`.
pub fn fragment<'a>(field: &str, bytes: &'a [u8]) -> Result<&'a [u8]> {
    // Leading white space (before an XML declaration too) is tolerated and dropped.
    let bom = if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let rest = bytes.get(bom..).unwrap_or_default();
    let start = bom
        + rest
            .iter()
            .position(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
            .unwrap_or(rest.len());
    let input = bytes.get(start..).unwrap_or_default();
    let tree = Tree::parse(input, &Limits::default()).map_err(|e| {
        Error::invalid(
            field,
            format!("must be one well-formed, namespace-complete XML element: {e}"),
            preview(bytes),
        )
    })?;
    if tree.prolog().next().is_some() || tree.epilog().next().is_some() {
        return Err(Error::invalid(
            field,
            "must hold a single element: no comment or processing instruction around it",
            preview(bytes),
        ));
    }
    let span = tree.root().span();
    input
        .get(span)
        .ok_or_else(|| Error::invalid(field, "element span outside the input", preview(bytes)))
}

fn preview(bytes: &[u8]) -> String {
    String::from_utf8_lossy(&bytes[..bytes.len().min(60)]).into_owned()
}

/// `urn:uuid:` followed by a UUID (any case, hyphenated).
fn check_message_id(id: &str) -> Result<()> {
    let ok = id
        .strip_prefix("urn:uuid:")
        .is_some_and(|u| u.len() == 36 && uuid::Uuid::try_parse(u).is_ok());
    if !ok {
        return Err(Error::invalid(
            "message_id",
            "must be urn:uuid: followed by a hyphenated UUID",
            id,
        ));
    }
    Ok(())
}

/// A URI-ish header value: printable ASCII without white space, `"`, `<`, `>`, `\`.
pub(crate) fn check_uri(field: &str, value: &str, empty_ok: bool) -> Result<()> {
    if value.is_empty() {
        if empty_ok {
            return Ok(());
        }
        return Err(Error::invalid(field, "must not be empty", value));
    }
    if let Some(c) = value
        .chars()
        .find(|&c| !c.is_ascii_graphic() || matches!(c, '"' | '<' | '>' | '\\'))
    {
        return Err(Error::invalid(
            field,
            format!(
                "must be a URI in printable ASCII without white space, quotes, angle brackets \
                 or backslashes (found {c:?})"
            ),
            value,
        ));
    }
    if value.len() > 2048 {
        return Err(Error::invalid(field, "longer than 2048 bytes", value));
    }
    Ok(())
}

/// What a SOAP envelope says in its WS-Addressing headers, and where its body element is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvelopeInfo {
    /// SOAP version (1.1 is accepted when reading: the official TD2.1 request uses it).
    pub version: SoapVersion,
    /// `wsa:Action`.
    pub action: Option<String>,
    /// `wsa:MessageID`.
    pub message_id: Option<String>,
    /// `wsa:RelatesTo` (responses).
    pub relates_to: Option<String>,
    /// `wsa:To`.
    pub to: Option<String>,
    /// Byte range of the first child element of the Body in the input (`None`: empty Body).
    pub body_child: Option<Range<usize>>,
    /// Namespace and local name of that element (what the message is: `Fault`,
    /// `AdhocQueryResponse`…).
    pub body_name: Option<(Option<String>, String)>,
}

/// Reads an envelope (SOAP 1.2 or 1.1) with the hardened parser; the root must be
/// `Envelope` in one of the two namespaces and hold a `Body`.
pub fn parse_envelope(envelope: &[u8]) -> Result<EnvelopeInfo> {
    read_envelope(envelope).map(|(info, _)| info)
}

/// [`parse_envelope`], with the `href` of every `xop:Include` (what an MTOM message must
/// carry as parts) read in the same pass.
fn read_envelope(envelope: &[u8]) -> Result<(EnvelopeInfo, Vec<String>)> {
    let mut sink = EnvelopeSink::default();
    // Malformed XML reports as the XML reader does (its source, its band in the C ABI).
    let uris = scan::scan(envelope, &Limits::default(), "xml", &mut sink)?;
    let uri = |ns: Option<u32>| ns.and_then(|i| uris.get(i as usize)).map(|u| &**u);
    let (root_ns, root_name) = sink.root.clone().unwrap_or_default();
    let version = SoapVersion::of(uri(root_ns))
        .filter(|_| root_name == "Envelope")
        .ok_or_else(|| {
            soap_error(format!(
                "the root element is {{{}}}{}, not a SOAP 1.2 or 1.1 Envelope",
                uri(root_ns).unwrap_or(""),
                root_name
            ))
        })?;
    if !sink.has_body {
        return Err(soap_error("the SOAP Envelope has no Body"));
    }
    let wsa = |local: &str| {
        sink.addressing
            .iter()
            .find(|(ns, name, _)| name == local && uri(*ns) == Some(WSA_NS))
            .map(|(_, _, text)| text.trim().to_owned())
    };
    let includes = std::mem::take(&mut sink.includes)
        .into_iter()
        .filter(|(ns, _)| uri(*ns) == Some(XOP_NS))
        .map(|(_, href)| href)
        .collect();
    let info = EnvelopeInfo {
        version,
        action: wsa("Action"),
        message_id: wsa("MessageID"),
        relates_to: wsa("RelatesTo"),
        to: wsa("To"),
        body_child: sink.body_child.as_ref().map(|c| c.span.clone()),
        body_name: sink
            .body_child
            .as_ref()
            .map(|c| (uri(c.ns).map(str::to_owned), c.local.clone())),
    };
    Ok((info, includes))
}

/// The WS-Addressing headers [`parse_envelope`] reads.
const ADDRESSING: [&str; 4] = ["Action", "MessageID", "RelatesTo", "To"];

/// What [`parse_envelope`] keeps while the scanner reads an envelope (which checks it whole):
/// the root, the first `Header`'s WS-Addressing children, the first `Body`'s first child.
/// Nothing else is stored, so telling what an answer is costs no memory in proportion to its
/// size: a TD3.1 answer of thousands of entries is then read once, by its own parser.
#[derive(Default)]
struct EnvelopeSink {
    depth: usize,
    /// Namespace index and local name of the root.
    root: Option<(Option<u32>, String)>,
    /// Which child of the root is open: the first Header, the first Body, or another.
    open: Section,
    has_header: bool,
    has_body: bool,
    /// Header children named as a WS-Addressing header: (namespace index, local name, text);
    /// the first of each (namespace, name), resolved once the namespace table is known.
    addressing: Vec<(Option<u32>, String, String)>,
    /// The entry of `addressing` whose text is being read.
    reading: Option<usize>,
    body_child: Option<BodyChild>,
    /// Every element named `Include`, anywhere: (namespace index, `href`); the XOP ones are
    /// kept once the namespace table is known.
    includes: Vec<(Option<u32>, String)>,
    /// Bytes kept (for the memory budget).
    kept: usize,
}

#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum Section {
    #[default]
    Other,
    Header,
    Body,
}

struct BodyChild {
    ns: Option<u32>,
    local: String,
    span: Range<usize>,
    /// Still open (its end not seen yet).
    open: bool,
}

impl<'i> scan::Sink<'i> for EnvelopeSink {
    fn start(&mut self, tag: &scan::StartTag<'i, '_>) {
        let local = scan::split_qname(tag.qname).1;
        if local == "Include" {
            let href = tag
                .attrs
                .iter()
                .find(|a| a.qname == "href")
                .map_or("", |a| &a.value);
            self.kept += href.len();
            self.includes.push((tag.ns, href.to_owned()));
        }
        let root_ns = self.root.as_ref().map(|(ns, _)| *ns);
        match self.depth {
            0 => self.root = Some((tag.ns, local.to_owned())),
            1 => {
                let same_ns = Some(tag.ns) == root_ns;
                self.open = match local {
                    "Header" if same_ns && !self.has_header => {
                        self.has_header = true;
                        Section::Header
                    }
                    "Body" if same_ns && !self.has_body => {
                        self.has_body = true;
                        Section::Body
                    }
                    _ => Section::Other,
                };
            }
            2 if self.open == Section::Header && ADDRESSING.contains(&local) => {
                let seen = self
                    .addressing
                    .iter()
                    .any(|(ns, name, _)| *ns == tag.ns && name == local);
                if !seen {
                    self.kept += local.len();
                    self.addressing
                        .push((tag.ns, local.to_owned(), String::new()));
                    self.reading = Some(self.addressing.len() - 1);
                }
            }
            2 if self.open == Section::Body && self.body_child.is_none() => {
                self.kept += local.len();
                self.body_child = Some(BodyChild {
                    ns: tag.ns,
                    local: local.to_owned(),
                    span: tag.start..tag.start,
                    open: true,
                });
            }
            _ => {}
        }
        self.depth += 1;
    }

    fn end(&mut self, end: usize) {
        self.depth = self.depth.saturating_sub(1);
        match self.depth {
            2 => {
                self.reading = None;
                if let Some(c) = self.body_child.as_mut().filter(|c| c.open) {
                    if self.open == Section::Body {
                        c.span.end = end;
                        c.open = false;
                    }
                }
            }
            1 => self.open = Section::Other,
            _ => {}
        }
    }

    fn text(&mut self, text: &str, eols: bool) {
        if self.depth != 3 {
            return;
        }
        if let Some(entry) = self.reading.and_then(|i| self.addressing.get_mut(i)) {
            self.kept += text.len();
            scan::push_text(&mut entry.2, text, eols);
        }
    }

    fn wants_lines(&self) -> bool {
        false
    }

    fn footprint(&self) -> usize {
        self.kept
            + self.addressing.len() * std::mem::size_of::<(Option<u32>, String, String)>()
            + self.includes.len() * std::mem::size_of::<(Option<u32>, String)>()
    }
}

/// Byte range, in `envelope`, of the first child element of `soap:Body` (SOAP 1.2 or 1.1).
/// Fails when the input is not an envelope or the Body is empty.
pub fn body_child(envelope: &[u8]) -> Result<Range<usize>> {
    parse_envelope(envelope)?
        .body_child
        .ok_or_else(|| soap_error("the SOAP Body is empty"))
}

fn envelope_parts(tree: &Tree) -> Result<(SoapVersion, Element<'_>)> {
    let root = tree.root();
    let version = SoapVersion::of(root.namespace())
        .filter(|_| root.local_name() == "Envelope")
        .ok_or_else(|| {
            soap_error(format!(
                "the root element is {{{}}}{}, not a SOAP 1.2 or 1.1 Envelope",
                root.namespace().unwrap_or(""),
                root.local_name()
            ))
        })?;
    let body = root
        .child(version.namespace(), "Body")
        .ok_or_else(|| soap_error("the SOAP Envelope has no Body"))?;
    Ok((version, body))
}

pub(crate) fn soap_error(message: impl Into<String>) -> Error {
    Error::data("soap", 0, message)
}

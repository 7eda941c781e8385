//! [`ProvideAndRegister`]: the `xdsb:ProvideAndRegisterDocumentSetRequest` of a TD2.1
//! submission (IHE ITI-41), as ebRIM objects ([`ProvideAndRegister::metadata`]) and as bytes
//! ([`ProvideAndRegister::to_xml`]).

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::error::{Error, Result};
use crate::soap::mtom;
use crate::xml::writer::XmlWriter;

use std::borrow::Cow;

use super::rim::{write_submit_objects, RimLocalizedString, RimObject, RimSlot};

use super::metadata::{
    check_entry_uuid, xds_time, Code, DocumentEntry, Replacement, SignatureEntry, SubmissionSet,
    XdsAuthor,
};
use super::vocabulary::*;

/// ebRIM `LongName`: slot values, external identifier values, `nodeRepresentation` (rim.xsd).
const LONG_NAME_MAX: usize = 256;
/// ebRIM `FreeFormText`: `LocalizedString/@value` (rim.xsd).
const FREE_FORM_TEXT_MAX: usize = 1024;
/// Longest Content-ID we accept (the MIME header line must stay reasonable).
const CONTENT_ID_MAX: usize = 256;

/// A submission to the DMP repository (TD2.1, ITI-41 Provide and Register Document Set-b):
/// the submission set, the documents with the Content-ID of their MTOM part, the signature
/// entry with its part, and the replacements. Every id is an input: the output is a pure
/// function of this value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvideAndRegister {
    /// The SubmissionSet.
    pub submission_set: SubmissionSet,
    /// Each document's entry and the Content-ID of its MIME part (without `cid:` nor `<>`).
    pub entries: Vec<(DocumentEntry, String)>,
    /// The signature entry and the Content-ID of the XAdES part (mandatory for the DMP; left
    /// optional here so that the metadata can be built and inspected before signing).
    pub signature: Option<(SignatureEntry, String)>,
    /// The replaced versions (RPLC associations).
    pub replacements: Vec<Replacement>,
}

/// The element of an ebRIM object in the `RegistryObjectList`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObjectKind {
    /// `rim:RegistryPackage`: the SubmissionSet.
    RegistryPackage,
    /// `rim:ExtrinsicObject`: a DocumentEntry (a document or the signature).
    ExtrinsicObject,
    /// `rim:Association`.
    Association,
    /// `rim:Classification` (inside an object, or on its own in a query response).
    Classification,
    /// `rim:ExternalIdentifier` (inside an object).
    ExternalIdentifier,
    /// `rim:ObjectRef` (a reference by id, in an ObjectRef query response).
    ObjectRef,
    /// `rim:AdhocQuery`: a stored query and its parameters (TD3.1).
    AdhocQuery,
}

impl ObjectKind {
    /// The element's local name.
    pub fn local_name(self) -> &'static str {
        match self {
            ObjectKind::RegistryPackage => "RegistryPackage",
            ObjectKind::ExtrinsicObject => "ExtrinsicObject",
            ObjectKind::Association => "Association",
            ObjectKind::Classification => "Classification",
            ObjectKind::ExternalIdentifier => "ExternalIdentifier",
            ObjectKind::ObjectRef => "ObjectRef",
            ObjectKind::AdhocQuery => "AdhocQuery",
        }
    }

    pub(crate) fn qname(self) -> &'static str {
        match self {
            ObjectKind::RegistryPackage => "rim:RegistryPackage",
            ObjectKind::ExtrinsicObject => "rim:ExtrinsicObject",
            ObjectKind::Association => "rim:Association",
            ObjectKind::Classification => "rim:Classification",
            ObjectKind::ExternalIdentifier => "rim:ExternalIdentifier",
            ObjectKind::ObjectRef => "rim:ObjectRef",
            ObjectKind::AdhocQuery => "rim:AdhocQuery",
        }
    }
}

/// A `rim:Slot`: a name and its values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    /// `@name`.
    pub name: &'static str,
    /// `ValueList/Value`s.
    pub values: Vec<String>,
}

/// A `rim:Classification` of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    /// `@id` (symbolic, `claN`).
    pub id: String,
    /// `@classificationScheme` (external classification), or none.
    pub scheme: Option<&'static str>,
    /// `@classificationNode` (internal classification: the SubmissionSet node), or none.
    pub node: Option<&'static str>,
    /// `@nodeRepresentation`: the code (empty for an author).
    pub node_representation: Option<String>,
    /// Slots (`codingScheme`, or the author slots).
    pub slots: Vec<Slot>,
    /// `Name`: the code's display name.
    pub name: Option<String>,
}

/// A `rim:ExternalIdentifier` of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalIdentifier {
    /// `@id` (symbolic, `eiN`).
    pub id: String,
    /// `@identificationScheme`.
    pub scheme: &'static str,
    /// `@value`.
    pub value: String,
    /// `Name` (`XDSDocumentEntry.uniqueId`…).
    pub name: &'static str,
}

/// One object of the `RegistryObjectList`, in the order it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryObject {
    /// Which element.
    pub kind: ObjectKind,
    /// `@id`.
    pub id: String,
    /// Other attributes, in writing order (`mimeType`, `objectType`; `associationType`,
    /// `sourceObject`, `targetObject`).
    pub attributes: Vec<(&'static str, String)>,
    /// Slots.
    pub slots: Vec<Slot>,
    /// `Name`.
    pub name: Option<String>,
    /// `Description`.
    pub description: Option<String>,
    /// Classifications.
    pub classifications: Vec<Classification>,
    /// External identifiers.
    pub external_identifiers: Vec<ExternalIdentifier>,
}

impl RegistryObject {
    fn new(kind: ObjectKind, id: &str) -> RegistryObject {
        RegistryObject {
            kind,
            id: id.to_owned(),
            attributes: Vec::new(),
            slots: Vec::new(),
            name: None,
            description: None,
            classifications: Vec::new(),
            external_identifiers: Vec::new(),
        }
    }

    /// The value of attribute `name`, if set.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The values of slot `name` (empty when there is no such slot).
    pub fn slot(&self, name: &str) -> &[String] {
        self.slots
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.values.as_slice())
            .unwrap_or_default()
    }

    /// The classifications with scheme `scheme`.
    pub fn classified(&self, scheme: &str) -> impl Iterator<Item = &Classification> + '_ {
        let scheme = scheme.to_owned();
        self.classifications
            .iter()
            .filter(move |c| c.scheme == Some(scheme.as_str()))
    }

    /// The value of the external identifier with scheme `scheme`.
    pub fn external_identifier(&self, scheme: &str) -> Option<&str> {
        self.external_identifiers
            .iter()
            .find(|e| e.scheme == scheme)
            .map(|e| e.value.as_str())
    }
}

/// Symbolic ids of the classifications, external identifiers and associations, numbered in
/// document order as in the official example (`cla1`, `ei1`, `assoc1`).
#[derive(Default)]
pub(crate) struct Ids {
    cla: usize,
    ei: usize,
    assoc: usize,
}

impl Ids {
    pub(crate) fn cla(&mut self) -> String {
        self.cla += 1;
        format!("cla{}", self.cla)
    }
    pub(crate) fn ei(&mut self) -> String {
        self.ei += 1;
        format!("ei{}", self.ei)
    }
    pub(crate) fn assoc(&mut self) -> String {
        self.assoc += 1;
        format!("assoc{}", self.assoc)
    }
}

pub(crate) fn slot(name: &'static str, value: impl Into<String>) -> Slot {
    Slot {
        name,
        values: vec![value.into()],
    }
}

impl ProvideAndRegister {
    /// The ebRIM objects of the request, in writing order: the SubmissionSet, each document's
    /// entry, the signature entry, then the associations (HasMember for each entry, `signs`,
    /// RPLC). Checks the request as a whole first:
    ///
    /// - at least one document; every entry (and the signature) for the submission set's
    ///   patient;
    /// - ids: valid (`urn:uuid:…` or symbolic) and unique across the request, generated ids
    ///   included; Content-IDs valid and unique;
    /// - replacements: each names an entry of the request whose CDA replaces (`relatedDocument`)
    ///   exactly `replaced_unique_id`, and a registry entryUUID; each entry whose CDA replaces
    ///   a version has exactly one replacement;
    /// - the contentTypeCode is complete; values fit the ebRIM lengths (LongName 256,
    ///   FreeFormText 1024).
    pub fn metadata(&self) -> Result<Vec<RegistryObject>> {
        self.check()?;
        let ss = &self.submission_set;
        let mut ids = Ids::default();
        let mut objects = vec![submission_set_object(ss, &mut ids)?];
        for (i, (e, _)) in self.entries.iter().enumerate() {
            objects.push(document_object(e, &mut ids).map_err(|e| e.at(&format!("entries[{i}]")))?);
        }
        if let Some((s, _)) = &self.signature {
            objects.push(signature_object(s, &mut ids).map_err(|e| e.at("signature"))?);
        }
        let members = self
            .entries
            .iter()
            .map(|(e, _)| e.entry_uuid())
            .chain(self.signature.iter().map(|(s, _)| s.entry_uuid()));
        for target in members {
            let mut a = association(&mut ids, ASSOC_HAS_MEMBER, &ss.entry_uuid, target);
            a.slots.push(slot(
                SLOT_SUBMISSION_SET_STATUS,
                SUBMISSION_SET_STATUS_ORIGINAL,
            ));
            objects.push(a);
        }
        if let Some((s, _)) = &self.signature {
            let mut a = association(&mut ids, ASSOC_SIGNS, s.entry_uuid(), &ss.entry_uuid);
            // The official TD2.1 request carries SubmissionSetStatus on `signs` too.
            a.slots.push(slot(
                SLOT_SUBMISSION_SET_STATUS,
                SUBMISSION_SET_STATUS_ORIGINAL,
            ));
            objects.push(a);
        }
        for r in &self.replacements {
            objects.push(association(
                &mut ids,
                ASSOC_RPLC,
                &r.entry_uuid,
                &r.replaced_entry_uuid,
            ));
        }
        check_objects(&objects)?;
        Ok(objects)
    }

    /// The `xdsb:ProvideAndRegisterDocumentSetRequest` element, UTF-8, without XML
    /// declaration, to be embedded in the SOAP Body: `lcm:SubmitObjectsRequest` with the
    /// [`metadata`](Self::metadata), then one `xdsb:Document id="<entry id>"` per document
    /// (and one for the signature) holding `<xop:Include href="cid:<Content-ID>"/>`.
    ///
    /// Namespaces are declared on the element with explicit prefixes (`xdsb`, `lcm`, `rim`,
    /// `xop`) and no default namespace, so that the element can be placed anywhere. The
    /// output is deterministic (one element per line, two-space indent) and escaped by
    /// [`XmlWriter`].
    pub fn to_xml(&self) -> Result<Vec<u8>> {
        self.xml_of(&self.metadata()?)
    }

    /// [`to_xml`](Self::to_xml) and [`metadata_summary`](Self::metadata_summary), the
    /// metadata made once for both.
    pub(crate) fn to_xml_with_summary(&self) -> Result<(Vec<u8>, String)> {
        let objects = self.metadata()?;
        Ok((self.xml_of(&objects)?, self.summary_of(&objects)))
    }

    fn xml_of(&self, objects: &[RegistryObject]) -> Result<Vec<u8>> {
        let mut w = XmlWriter::new();
        w.elem(
            "xdsb:ProvideAndRegisterDocumentSetRequest",
            &[
                ("xmlns:xdsb", NS_XDSB),
                ("xmlns:lcm", NS_LCM),
                ("xmlns:rim", NS_RIM),
                ("xmlns:xop", NS_XOP),
            ],
            |w| {
                let objects: Vec<RimObject> = objects.iter().map(RimObject::from).collect();
                write_submit_objects(w, &[], &objects)?;
                for (id, cid) in self.parts() {
                    w.elem("xdsb:Document", &[("id", id)], |w| {
                        w.empty("xop:Include", &[("href", &mtom::cid_href(cid))])
                    })?;
                }
                Ok(())
            },
        )?;
        w.finish()
    }

    /// A plain-text listing of the metadata, one line per slot, classification and external
    /// identifier (for logs, `--dump` and tests).
    pub fn metadata_summary(&self) -> Result<String> {
        Ok(self.summary_of(&self.metadata()?))
    }

    fn summary_of(&self, objects: &[RegistryObject]) -> String {
        let mut out = String::new();
        for o in objects {
            let _ = writeln!(out, "{} {}", o.kind.local_name(), o.id);
            for (k, v) in &o.attributes {
                let _ = writeln!(out, "  @{k} = {v}");
            }
            for s in &o.slots {
                let _ = writeln!(out, "  slot {} = {}", s.name, s.values.join(" | "));
            }
            if let Some(n) = &o.name {
                let _ = writeln!(out, "  name = {n}");
            }
            if let Some(d) = &o.description {
                let _ = writeln!(out, "  description = {d}");
            }
            for c in &o.classifications {
                let what = c.scheme.or(c.node).unwrap_or_default();
                let code = c.node_representation.as_deref().unwrap_or_default();
                let _ = write!(out, "  classification {what} [{code}]");
                if let Some(n) = &c.name {
                    let _ = write!(out, " \"{n}\"");
                }
                let _ = writeln!(out);
                for s in &c.slots {
                    let _ = writeln!(out, "    slot {} = {}", s.name, s.values.join(" | "));
                }
            }
            for e in &o.external_identifiers {
                let _ = writeln!(
                    out,
                    "  external-identifier {} {} = {}",
                    e.name, e.scheme, e.value
                );
            }
        }
        for (id, cid) in self.parts() {
            let _ = writeln!(out, "Document {id} = cid:{cid}");
        }
        out
    }

    /// (entry id, Content-ID) of each MIME part: the documents, then the signature.
    fn parts(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.entries
            .iter()
            .map(|(e, c)| (e.entry_uuid(), c.as_str()))
            .chain(
                self.signature
                    .iter()
                    .map(|(s, c)| (s.entry_uuid(), c.as_str())),
            )
    }

    fn check(&self) -> Result<()> {
        let ss = &self.submission_set;
        if self.entries.is_empty() {
            return Err(Error::invalid("entries", "at least one document", "[]"));
        }
        ss.check()?;
        for (i, (e, _)) in self.entries.iter().enumerate() {
            if e.patient_id() != &ss.patient_id {
                return Err(Error::invalid(
                    format!("entries[{i}].patient_id"),
                    format!(
                        "must be the submission set's patient ({})",
                        ss.patient_id.to_cx()
                    ),
                    e.patient_id().to_cx(),
                ));
            }
        }
        if let Some((s, _)) = &self.signature {
            if s.patient_id() != &ss.patient_id {
                return Err(Error::invalid(
                    "signature.patient_id",
                    "must be the submission set's patient",
                    s.patient_id().to_cx(),
                ));
            }
        }
        let mut cids = BTreeSet::new();
        let parts = self
            .entries
            .iter()
            .enumerate()
            .map(|(i, (_, c))| (format!("entries[{i}].content_id"), c))
            .chain(
                self.signature
                    .iter()
                    .map(|(_, c)| ("signature.content_id".to_owned(), c)),
            );
        for (field, cid) in parts {
            check_content_id(&field, cid)?;
            if !cids.insert(cid.as_str()) {
                return Err(Error::invalid(field, "Content-IDs must be unique", cid));
            }
        }
        self.check_replacements()
    }

    fn check_replacements(&self) -> Result<()> {
        for (i, r) in self.replacements.iter().enumerate() {
            let at = format!("replacements[{i}]");
            let Some((entry, _)) = self
                .entries
                .iter()
                .find(|(e, _)| e.entry_uuid() == r.entry_uuid)
            else {
                return Err(Error::invalid(
                    format!("{at}.entry_uuid"),
                    "must be the id of one of the request's documents",
                    &r.entry_uuid,
                ));
            };
            check_entry_uuid(&format!("{at}.replaced_entry_uuid"), &r.replaced_entry_uuid)?;
            match entry.replaces() {
                None => {
                    return Err(Error::invalid(
                        format!("{at}.entry_uuid"),
                        "the CDA of a replacing document must name the replaced version \
                         (header.replaces, relatedDocument RPLC)",
                        &r.entry_uuid,
                    ))
                }
                Some(old) if *old != r.replaced_unique_id => {
                    return Err(Error::invalid(
                        format!("{at}.replaced_unique_id"),
                        format!("must equal the CDA's relatedDocument id ({old})"),
                        r.replaced_unique_id.as_str(),
                    ))
                }
                Some(_) => {}
            }
            if self.replacements[..i]
                .iter()
                .any(|p| p.entry_uuid == r.entry_uuid)
            {
                return Err(Error::invalid(
                    format!("{at}.entry_uuid"),
                    "a document replaces one version only",
                    &r.entry_uuid,
                ));
            }
        }
        for (i, (e, _)) in self.entries.iter().enumerate() {
            if let Some(old) = e.replaces() {
                if !self
                    .replacements
                    .iter()
                    .any(|r| r.entry_uuid == e.entry_uuid())
                {
                    return Err(Error::invalid(
                        format!("entries[{i}]"),
                        format!(
                            "the CDA replaces {old}: give the replaced version's entryUUID in \
                             replacements"
                        ),
                        e.entry_uuid(),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// A Content-ID as it goes in `href="cid:…"` and in the MIME header `<…>`: 1 to 256 ASCII
/// characters among letters, digits and `. - _ @ ~ ! $ ' ( ) * + , ; = :` (no `%`-escaping
/// needed).
fn check_content_id(field: &str, cid: &str) -> Result<()> {
    let ok = !cid.is_empty()
        && cid.len() <= CONTENT_ID_MAX
        && cid.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'.' | b'-'
                        | b'_'
                        | b'@'
                        | b'~'
                        | b'!'
                        | b'$'
                        | b'\''
                        | b'('
                        | b')'
                        | b'*'
                        | b'+'
                        | b','
                        | b';'
                        | b'='
                        | b':'
                )
        });
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            field,
            "a Content-ID is 1 to 256 ASCII letters, digits or . - _ @ ~ ! $ ' ( ) * + , ; = : \
             (without cid: nor <>)",
            cid,
        ))
    }
}

/// Ids unique across the request; values within the ebRIM lengths.
pub(crate) fn check_objects(objects: &[RegistryObject]) -> Result<()> {
    let mut seen = BTreeSet::new();
    let mut unique = |id: &str| {
        if seen.insert(id.to_owned()) {
            Ok(())
        } else {
            Err(Error::invalid(
                "id",
                "ids must be unique in the request (generated ids are claN, eiN, assocN)",
                id,
            ))
        }
    };
    for o in objects {
        unique(&o.id)?;
        let long = |what: &str, v: &str| -> Result<()> {
            if v.chars().count() > LONG_NAME_MAX {
                return Err(Error::invalid(
                    format!("{}.{what}", o.id),
                    format!("must be at most {LONG_NAME_MAX} characters (ebRIM LongName)"),
                    v,
                ));
            }
            Ok(())
        };
        let slots = o
            .slots
            .iter()
            .chain(o.classifications.iter().flat_map(|c| c.slots.iter()));
        for s in slots {
            for v in &s.values {
                long(s.name, v)?;
            }
        }
        for c in &o.classifications {
            unique(&c.id)?;
            if let Some(code) = &c.node_representation {
                long("nodeRepresentation", code)?;
            }
        }
        for e in &o.external_identifiers {
            unique(&e.id)?;
            long(e.name, &e.value)?;
        }
        let texts = o
            .name
            .iter()
            .chain(o.description.iter())
            .chain(o.classifications.iter().flat_map(|c| c.name.iter()));
        for t in texts {
            if t.chars().count() > FREE_FORM_TEXT_MAX {
                return Err(Error::invalid(
                    format!("{}.Name", o.id),
                    format!("must be at most {FREE_FORM_TEXT_MAX} characters (ebRIM FreeFormText)"),
                    t,
                ));
            }
        }
    }
    Ok(())
}

pub(crate) fn association(ids: &mut Ids, kind: &str, source: &str, target: &str) -> RegistryObject {
    let mut a = RegistryObject::new(ObjectKind::Association, &ids.assoc());
    a.attributes = vec![
        ("associationType", kind.to_owned()),
        ("sourceObject", source.to_owned()),
        ("targetObject", target.to_owned()),
    ];
    a
}

fn author_classification(ids: &mut Ids, scheme: &'static str, a: &XdsAuthor) -> Classification {
    let mut slots = vec![
        slot(SLOT_AUTHOR_PERSON, a.person()),
        slot(SLOT_AUTHOR_SPECIALTY, a.specialty()),
        slot(SLOT_AUTHOR_INSTITUTION, a.institution()),
    ];
    if let Some(r) = a.role() {
        slots.push(slot(SLOT_AUTHOR_ROLE, r));
    }
    Classification {
        id: ids.cla(),
        scheme: Some(scheme),
        node: None,
        // IHE ITI TF-3 §4.2.3.1.7: an author classification has an empty nodeRepresentation.
        node_representation: Some(String::new()),
        slots,
        name: None,
    }
}

pub(crate) fn coded(ids: &mut Ids, scheme: &'static str, code: &Code) -> Classification {
    Classification {
        id: ids.cla(),
        scheme: Some(scheme),
        node: None,
        node_representation: Some(code.code.clone()),
        slots: vec![slot(SLOT_CODING_SCHEME, code.scheme.clone())],
        name: Some(code.display.clone()),
    }
}

fn external_id(
    ids: &mut Ids,
    scheme: &'static str,
    name: &'static str,
    value: String,
) -> ExternalIdentifier {
    ExternalIdentifier {
        id: ids.ei(),
        scheme,
        value,
        name,
    }
}

pub(crate) fn submission_set_object(ss: &SubmissionSet, ids: &mut Ids) -> Result<RegistryObject> {
    let mut o = RegistryObject::new(ObjectKind::RegistryPackage, &ss.entry_uuid);
    o.slots.push(slot(
        SLOT_SUBMISSION_TIME,
        xds_time("submission_set.submission_time", &ss.submission_time)?,
    ));
    o.name = ss.title.clone();
    o.description = ss.comments.clone();
    o.classifications
        .push(author_classification(ids, SS_AUTHOR, &ss.author));
    o.classifications
        .push(coded(ids, SS_CONTENT_TYPE_CODE, &ss.content_type_code));
    o.classifications.push(Classification {
        id: ids.cla(),
        scheme: None,
        node: Some(SUBMISSION_SET_NODE),
        node_representation: None,
        slots: Vec::new(),
        name: None,
    });
    o.external_identifiers = vec![
        external_id(
            ids,
            SS_PATIENT_ID,
            NAME_SS_PATIENT_ID,
            ss.patient_id.to_cx(),
        ),
        external_id(
            ids,
            SS_SOURCE_ID,
            NAME_SS_SOURCE_ID,
            ss.source_id.as_str().to_owned(),
        ),
        external_id(
            ids,
            SS_UNIQUE_ID,
            NAME_SS_UNIQUE_ID,
            ss.unique_id.as_str().to_owned(),
        ),
    ];
    Ok(o)
}

fn extrinsic(id: &str) -> RegistryObject {
    let mut o = RegistryObject::new(ObjectKind::ExtrinsicObject, id);
    o.attributes = vec![
        ("mimeType", MIME_TEXT_XML.to_owned()),
        ("objectType", DE_OBJECT_TYPE.to_owned()),
    ];
    o
}

fn document_object(e: &DocumentEntry, ids: &mut Ids) -> Result<RegistryObject> {
    let mut o = extrinsic(e.entry_uuid());
    o.slots.push(slot(
        SLOT_CREATION_TIME,
        xds_time("creation_time", &e.creation_time())?,
    ));
    o.slots.push(slot(SLOT_LANGUAGE_CODE, e.language_code()));
    o.slots
        .push(slot(SLOT_LEGAL_AUTHENTICATOR, e.legal_authenticator()));
    o.slots.push(slot(
        SLOT_SERVICE_START_TIME,
        xds_time("service_start_time", &e.service_start_time())?,
    ));
    if let Some(stop) = e.service_stop_time() {
        o.slots.push(slot(
            SLOT_SERVICE_STOP_TIME,
            xds_time("service_stop_time", &stop)?,
        ));
    }
    o.slots
        .push(slot(SLOT_SOURCE_PATIENT_ID, e.source_patient_id()));
    o.slots.push(Slot {
        name: SLOT_SOURCE_PATIENT_INFO,
        values: e.source_patient_info().to_vec(),
    });
    o.name = Some(e.title().to_owned());
    o.description = e.comments().map(str::to_owned);
    for a in e.authors() {
        o.classifications
            .push(author_classification(ids, DE_AUTHOR, a));
    }
    o.classifications
        .push(coded(ids, DE_CLASS_CODE, e.class_code()));
    o.classifications
        .push(coded(ids, DE_TYPE_CODE, e.type_code()));
    for c in e.confidentiality_codes() {
        o.classifications
            .push(coded(ids, DE_CONFIDENTIALITY_CODE, c));
    }
    o.classifications
        .push(coded(ids, DE_FORMAT_CODE, e.format_code()));
    o.classifications.push(coded(
        ids,
        DE_HEALTHCARE_FACILITY_TYPE_CODE,
        e.healthcare_facility_type_code(),
    ));
    o.classifications.push(coded(
        ids,
        DE_PRACTICE_SETTING_CODE,
        e.practice_setting_code(),
    ));
    for c in e.event_codes() {
        o.classifications.push(coded(ids, DE_EVENT_CODE, c));
    }
    o.external_identifiers = vec![
        external_id(
            ids,
            DE_PATIENT_ID,
            NAME_DE_PATIENT_ID,
            e.patient_id().to_cx(),
        ),
        external_id(
            ids,
            DE_UNIQUE_ID,
            NAME_DE_UNIQUE_ID,
            e.unique_id().as_str().to_owned(),
        ),
    ];
    Ok(o)
}

fn signature_object(s: &SignatureEntry, ids: &mut Ids) -> Result<RegistryObject> {
    let mut o = extrinsic(s.entry_uuid());
    let time = xds_time("signing_time", &s.signing_time())?;
    o.slots = vec![
        slot(SLOT_CREATION_TIME, time.clone()),
        slot(SLOT_LANGUAGE_CODE, signature::LANGUAGE),
        slot(SLOT_LEGAL_AUTHENTICATOR, s.author().person()),
        slot(SLOT_SERVICE_START_TIME, time.clone()),
        slot(SLOT_SERVICE_STOP_TIME, time),
        slot(SLOT_SOURCE_PATIENT_ID, s.patient_id().to_cx()),
    ];
    o.name = Some(signature::TITLE.to_owned());
    o.classifications
        .push(author_classification(ids, DE_AUTHOR, s.author()));
    o.classifications
        .push(coded(ids, DE_CLASS_CODE, &s.class_code()));
    o.classifications
        .push(coded(ids, DE_TYPE_CODE, &s.type_code()));
    for c in s.confidentiality_codes()? {
        o.classifications
            .push(coded(ids, DE_CONFIDENTIALITY_CODE, &c));
    }
    o.classifications
        .push(coded(ids, DE_FORMAT_CODE, &s.format_code()));
    o.classifications.push(coded(
        ids,
        DE_HEALTHCARE_FACILITY_TYPE_CODE,
        s.healthcare_facility_type_code(),
    ));
    o.classifications.push(coded(
        ids,
        DE_PRACTICE_SETTING_CODE,
        s.practice_setting_code(),
    ));
    for c in s.event_codes() {
        o.classifications.push(coded(ids, DE_EVENT_CODE, &c));
    }
    o.external_identifiers = vec![
        external_id(
            ids,
            DE_PATIENT_ID,
            NAME_DE_PATIENT_ID,
            s.patient_id().to_cx(),
        ),
        external_id(
            ids,
            DE_UNIQUE_ID,
            NAME_DE_UNIQUE_ID,
            s.unique_id().as_str().to_owned(),
        ),
    ];
    Ok(o)
}

impl From<&Slot> for RimSlot {
    fn from(s: &Slot) -> RimSlot {
        RimSlot::new(s.name, s.values.clone())
    }
}

/// A `Name` as we write it: one LocalizedString with the charset and language of the
/// official TD2.1 request.
fn localized(text: &str) -> Vec<RimLocalizedString> {
    vec![RimLocalizedString {
        value: text.to_owned(),
        charset: Some(LOCALIZED_CHARSET.into()),
        lang: Some(LOCALIZED_LANG.into()),
    }]
}

fn owned(attrs: &[(&'static str, &str)]) -> Vec<(Cow<'static, str>, String)> {
    attrs
        .iter()
        .map(|(n, v)| (Cow::Borrowed(*n), (*v).to_owned()))
        .collect()
}

impl Classification {
    /// The classification as it is written, classifying `object_id`.
    pub(crate) fn to_rim(&self, object_id: &str) -> RimObject {
        let mut attrs = Vec::new();
        if let Some(s) = self.scheme {
            attrs.push(("classificationScheme", s));
        }
        if let Some(n) = self.node {
            attrs.push(("classificationNode", n));
        }
        attrs.push(("classifiedObject", object_id));
        attrs.push(("id", self.id.as_str()));
        if let Some(r) = &self.node_representation {
            attrs.push(("nodeRepresentation", r.as_str()));
        }
        let mut rc = RimObject::new(ObjectKind::Classification, owned(&attrs));
        rc.slots = self.slots.iter().map(RimSlot::from).collect();
        rc.name = self.name.as_deref().map(localized).unwrap_or_default();
        rc
    }
}

impl From<&RegistryObject> for RimObject {
    /// The object as it is written: `@id` first, then the other attributes; classifications
    /// and external identifiers point at the object (`classifiedObject`, `registryObject`).
    fn from(o: &RegistryObject) -> RimObject {
        let mut attributes = vec![(Cow::Borrowed("id"), o.id.clone())];
        attributes.extend(
            o.attributes
                .iter()
                .map(|(k, v)| (Cow::Borrowed(*k), v.clone())),
        );
        let mut r = RimObject::new(o.kind, attributes);
        r.slots = o.slots.iter().map(RimSlot::from).collect();
        r.name = o.name.as_deref().map(localized).unwrap_or_default();
        r.description = o.description.as_deref().map(localized).unwrap_or_default();
        r.classifications = o.classifications.iter().map(|c| c.to_rim(&o.id)).collect();
        r.external_identifiers = o
            .external_identifiers
            .iter()
            .map(|e| {
                let attrs = [
                    ("id", e.id.as_str()),
                    ("identificationScheme", e.scheme),
                    ("registryObject", o.id.as_str()),
                    ("value", e.value.as_str()),
                ];
                let mut re = RimObject::new(ObjectKind::ExternalIdentifier, owned(&attrs));
                re.name = localized(e.name);
                re
            })
            .collect();
        r
    }
}

//! [`check`]: re-reads a built TD2.1 request and verifies it (`dmp feed check`).

use std::fmt::Write as _;

use crate::cda;
use crate::error::{Error, Result};
use crate::model::{Confidentiality, ConfidentialityLevel};
use crate::soap::{self, action, mtom, SoapVersion};
use crate::xds::vocabulary::{
    ASSOC_RPLC, DE_CONFIDENTIALITY_CODE, DE_OBJECT_TYPE, NS_RIM, NS_XDSB, NS_XOP,
};
use crate::xds::{
    Code, DocumentEntry, ProvideAndRegister, RegistryObject, Replacement, SubmissionSet,
};
use crate::xml::reader::Limits;
use crate::xml::tree::{Element, Tree};
use crate::xmldsig::{self, ManifestStatus, SignatureReport, VerifyOptions};

/// The check of one document of the request: its metadata against its CDA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentCheck {
    /// The ExtrinsicObject id.
    pub entry_id: String,
    /// The Content-ID of its MIME part.
    pub content_id: String,
    /// `urn:oid:<uniqueId>` as the CDA says.
    pub uri: String,
    /// Values of the message's metadata that the CDA does not give (`- …`) and values the
    /// CDA gives that the message lacks (`+ …`); empty when they agree.
    pub differences: Vec<String>,
    /// Whether the XAdES manifest digest of this document was recomputed and matches.
    pub digest_ok: bool,
}

/// What [`check`] found.
#[derive(Debug, Clone)]
pub struct CheckReport {
    /// Every XML signature of the message
    /// ([`xmldsig::verify`](fn@crate::xmldsig::verify)): the VIHF and the XAdES.
    pub signatures: Vec<SignatureReport>,
    /// Each document.
    pub documents: Vec<DocumentCheck>,
    /// Other problems (wrong action, missing signature, missing part…).
    pub problems: Vec<String>,
}

impl CheckReport {
    /// True when every signature is valid, every document's metadata equals what its CDA
    /// gives, every manifest digest matches, and nothing else is wrong.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
            && self.signatures.iter().all(SignatureReport::is_valid)
            && self
                .documents
                .iter()
                .all(|d| d.differences.is_empty() && d.digest_ok)
    }

    /// A plain-text report.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for s in &self.signatures {
            let what = s.id.as_deref().unwrap_or("(no Id)");
            let _ = writeln!(
                out,
                "signature {what} in part {}: {}",
                s.part.as_deref().unwrap_or("-"),
                match &s.failure {
                    None => "VALID".to_owned(),
                    Some(f) => format!("INVALID: {f}"),
                }
            );
            if let Some(subject) = s.signer_subject() {
                let _ = writeln!(out, "  signer: {subject}");
            }
            let _ = writeln!(out, "  chain: {}", s.chain);
            for m in &s.manifest {
                let _ = writeln!(out, "  manifest {}: {}", m.uri, m.status);
            }
        }
        for d in &self.documents {
            let _ = writeln!(
                out,
                "document {} ({}, part {}): metadata {}, manifest digest {}",
                d.entry_id,
                d.uri,
                d.content_id,
                if d.differences.is_empty() {
                    "matches the CDA"
                } else {
                    "DIFFERS from the CDA"
                },
                if d.digest_ok { "ok" } else { "NOT OK" }
            );
            for l in &d.differences {
                let _ = writeln!(out, "  {l}");
            }
        }
        for p in &self.problems {
            let _ = writeln!(out, "problem: {p}");
        }
        let _ = writeln!(out, "{}", if self.is_ok() { "OK" } else { "NOT OK" });
        out
    }
}

fn localized(e: Element<'_>, local: &str) -> Option<String> {
    e.child(NS_RIM, local)
        .and_then(|n| n.child(NS_RIM, "LocalizedString"))
        .and_then(|l| l.attr("value"))
        .map(str::to_owned)
}

fn slot_lines(e: Element<'_>) -> Vec<String> {
    e.children()
        .filter(|c| c.is(NS_RIM, "Slot"))
        .map(|s| {
            let values: Vec<String> = s
                .child(NS_RIM, "ValueList")
                .map(|vl| {
                    vl.children()
                        .filter(|v| v.is(NS_RIM, "Value"))
                        .map(|v| v.text())
                        .collect()
                })
                .unwrap_or_default();
            format!("{}={}", s.attr("name").unwrap_or(""), values.join("|"))
        })
        .collect()
}

/// The comparable lines of an ExtrinsicObject as written in the message.
fn lines_of_element(e: Element<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for a in ["mimeType", "objectType"] {
        if let Some(v) = e.attr(a) {
            out.push(format!("@{a}={v}"));
        }
    }
    out.extend(slot_lines(e).into_iter().map(|l| format!("slot {l}")));
    if let Some(n) = localized(e, "Name") {
        out.push(format!("name={n}"));
    }
    if let Some(n) = localized(e, "Description") {
        out.push(format!("description={n}"));
    }
    for c in e.children().filter(|c| c.is(NS_RIM, "Classification")) {
        out.push(format!(
            "classification {} {} [{}] {} name={}",
            c.attr("classificationScheme").unwrap_or(""),
            c.attr("classificationNode").unwrap_or(""),
            c.attr("nodeRepresentation").unwrap_or(""),
            slot_lines(c).join("; "),
            localized(c, "Name").unwrap_or_default()
        ));
    }
    for x in e.children().filter(|c| c.is(NS_RIM, "ExternalIdentifier")) {
        out.push(format!(
            "external {}={} name={}",
            x.attr("identificationScheme").unwrap_or(""),
            x.attr("value").unwrap_or(""),
            localized(x, "Name").unwrap_or_default()
        ));
    }
    out.sort();
    out
}

/// The same lines for a re-derived object.
fn lines_of_object(o: &RegistryObject) -> Vec<String> {
    let slot = |s: &crate::xds::Slot| format!("{}={}", s.name, s.values.join("|"));
    let mut out = Vec::new();
    for (k, v) in &o.attributes {
        if matches!(*k, "mimeType" | "objectType") {
            out.push(format!("@{k}={v}"));
        }
    }
    out.extend(o.slots.iter().map(|s| format!("slot {}", slot(s))));
    if let Some(n) = &o.name {
        out.push(format!("name={n}"));
    }
    if let Some(n) = &o.description {
        out.push(format!("description={n}"));
    }
    for c in &o.classifications {
        out.push(format!(
            "classification {} {} [{}] {} name={}",
            c.scheme.unwrap_or(""),
            c.node.unwrap_or(""),
            c.node_representation.as_deref().unwrap_or(""),
            c.slots.iter().map(slot).collect::<Vec<_>>().join("; "),
            c.name.as_deref().unwrap_or("")
        ));
    }
    for x in &o.external_identifiers {
        out.push(format!("external {}={} name={}", x.scheme, x.value, x.name));
    }
    out.sort();
    out
}

fn visibility_of(e: Element<'_>) -> Confidentiality {
    let mut v = Confidentiality::default();
    for c in e.children().filter(|c| {
        c.is(NS_RIM, "Classification")
            && c.attr("classificationScheme") == Some(DE_CONFIDENTIALITY_CODE)
    }) {
        let code = c.attr("nodeRepresentation").unwrap_or("");
        match ConfidentialityLevel::from_code(code) {
            Some(level) => v.level = level,
            None => match code {
                Confidentiality::MASQUE_PS => v.masque_ps = true,
                Confidentiality::INVISIBLE_PATIENT => v.invisible_patient = true,
                Confidentiality::INVISIBLE_REPRESENTANTS_LEGAUX => {
                    v.invisible_representants_legaux = true
                }
                _ => {}
            },
        }
    }
    v
}

/// Re-reads a built TD2.1 request (`message`: the MTOM message with or without its HTTP
/// headers, as [`mtom::HttpRequest::to_message`] writes it) and checks it:
///
/// - it is a SOAP 1.2 `ProvideAndRegisterDocumentSet-b` request;
/// - every XML signature verifies ([`xmldsig::verify_message`] with `options`: the VIHF,
///   the single signed assertion of `wsse:Security`, and the XAdES with each manifest digest
///   recomputed from the MIME parts, each naming a document of the message); there are at
///   least two;
/// - each document's metadata equals what [`DocumentEntry::from_cda`] derives from its CDA
///   part (with the visibility flags, comments, entry id and RPLC target read from the
///   message, which the CDA does not carry).
///
/// Errors: the message cannot be read at all (not MIME, not XML).
pub fn check(message: &[u8], options: &VerifyOptions) -> Result<CheckReport> {
    let m = mtom::parse_message(message)?;
    let envelope: &[u8] = &m.root.bytes;
    let mut problems = Vec::new();
    let info = soap::parse_envelope(envelope)?;
    if info.version != SoapVersion::Soap12 {
        problems.push("the envelope is not SOAP 1.2".to_owned());
    }
    if info.action.as_deref() != Some(action::PROVIDE_AND_REGISTER) {
        problems.push(format!(
            "wsa:Action is {}, expected {}",
            info.action.as_deref().unwrap_or("absent"),
            action::PROVIDE_AND_REGISTER
        ));
    }
    let verified = xmldsig::verify_message(message, options)?;
    let signatures = verified.signatures;
    if signatures.len() < 2 {
        problems.push(format!(
            "{} signature(s) found, expected the VIHF and the XAdES",
            signatures.len()
        ));
    }
    problems.extend(verified.problems);
    let manifest: Vec<_> = signatures.iter().flat_map(|s| s.manifest.iter()).collect();

    let tree = Tree::parse(envelope, &Limits::default())?;
    let root = tree.root();
    let all: Vec<Element<'_>> = root.descendants_or_self().collect();
    let includes: Vec<(String, String)> = all
        .iter()
        .filter(|e| e.is(NS_XDSB, "Document"))
        .filter_map(|d| {
            let id = d.attr("id")?;
            let href = d.child(NS_XOP, "Include")?.attr("href")?;
            href.strip_prefix("cid:")
                .map(|_| (id.to_owned(), mtom::href_cid(href)))
        })
        .collect();
    let rplc: Vec<(String, String)> = all
        .iter()
        .filter(|e| e.is(NS_RIM, "Association") && e.attr("associationType") == Some(ASSOC_RPLC))
        .filter_map(|a| {
            Some((
                a.attr("sourceObject")?.to_owned(),
                a.attr("targetObject")?.to_owned(),
            ))
        })
        .collect();

    let mut documents = Vec::new();
    for eo in all
        .iter()
        .filter(|e| e.is(NS_RIM, "ExtrinsicObject") && e.attr("objectType") == Some(DE_OBJECT_TYPE))
    {
        let id = eo.attr("id").unwrap_or("").to_owned();
        let Some((_, cid)) = includes.iter().find(|(d, _)| *d == id) else {
            problems.push(format!("entry {id}: no xdsb:Document carries it"));
            continue;
        };
        let Some(part) = m.part(cid) else {
            problems.push(format!("entry {id}: no MIME part {cid}"));
            continue;
        };
        // The signature entry carries the XAdES document, not a CDA.
        let Ok(read) = cda::read(&part.bytes) else {
            continue;
        };
        let mut dc = DocumentCheck {
            entry_id: id.clone(),
            content_id: cid.clone(),
            uri: String::new(),
            differences: Vec::new(),
            digest_ok: false,
        };
        match rederive(&read, *eo, &id, &rplc) {
            Ok((uri, obj)) => {
                let ours = lines_of_object(&obj);
                let theirs = lines_of_element(*eo);
                dc.differences.extend(
                    theirs
                        .iter()
                        .filter(|l| !ours.contains(l))
                        .map(|l| format!("- {l}")),
                );
                dc.differences.extend(
                    ours.iter()
                        .filter(|l| !theirs.contains(l))
                        .map(|l| format!("+ {l}")),
                );
                dc.digest_ok = manifest
                    .iter()
                    .any(|e| e.uri == uri && e.status == ManifestStatus::Ok);
                dc.uri = uri;
            }
            Err(e) => dc
                .differences
                .push(format!("cannot re-derive from the CDA: {e}")),
        }
        documents.push(dc);
    }
    if documents.is_empty() {
        problems.push("no CDA document found in the request".to_owned());
    }
    Ok(CheckReport {
        signatures,
        documents,
        problems,
    })
}

fn rederive(
    read: &cda::ReadDocument,
    eo: Element<'_>,
    id: &str,
    rplc: &[(String, String)],
) -> Result<(String, RegistryObject)> {
    let header = read.to_header()?;
    let content = read
        .content
        .clone()
        .ok_or_else(|| Error::invalid("content", "the CDA has no N1 body", ""))?;
    let comments = localized(eo, "Description");
    let entry = DocumentEntry::from_cda(
        &header,
        &content,
        &visibility_of(eo),
        id,
        comments.as_deref(),
    )?;
    let uri = format!("urn:oid:{}", header.id);
    let replacements = match (&header.replaces, rplc.iter().find(|(s, _)| s == id)) {
        (Some(old), Some((_, target))) => vec![Replacement {
            entry_uuid: id.to_owned(),
            replaced_entry_uuid: target.clone(),
            replaced_unique_id: old.clone(),
        }],
        _ => Vec::new(),
    };
    let ss = SubmissionSet::new(
        &entry,
        "urn:uuid:00000000-0000-4000-8000-000000000000",
        crate::ids::Oid::new("2.25.0")?,
        crate::ids::Oid::new("2.25.0")?,
        entry.creation_time(),
        Code::dmp_sample_content_type(),
    )?;
    let par = ProvideAndRegister {
        submission_set: ss,
        entries: vec![(entry, "check@dmp".to_owned())],
        signature: None,
        replacements,
    };
    let obj = par
        .metadata()?
        .into_iter()
        .find(|o| o.id == id)
        .ok_or_else(|| Error::invalid("entry", "not re-derived", id))?;
    Ok((uri, obj))
}

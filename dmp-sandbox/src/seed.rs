//! Seed data for testers (`examples/data/sandbox/`, embedded): the usagers who have a DMP in
//! the sandbox and the hospital documents already in some of them (as if a hospital had fed
//! them, so that a consultation returns something real), written at the first start of an
//! empty store (idempotent); and the trust the sandbox gives signers (the client roots and
//! the test PKI's intermediate CAs).
//!
//! Layout of a seed directory (the embedded one or `SandboxConfig::seed_dir`):
//! `patients.json` (the usagers), `documents.json` (optional: which case goes to which
//! usager), the cases (`examples/data/cases/` format) and the files their `content.path`
//! names.

use std::path::Path;

use chrono::Utc;
use dmp_core::cda::{self, Case};
use dmp_core::crypto::{Certificate, DigestAlgorithm};
use dmp_core::ids::{Ins, Oid};
use dmp_core::model::Confidentiality;
use dmp_core::xds::answer::submit_objects_xml;
use dmp_core::xds::vocabulary::STATUS_APPROVED;
use dmp_core::xds::{
    Code, DocumentEntry, ObjectKind, ProvideAndRegister, RimObject, SubmissionSet,
};
use serde::Deserialize;

use crate::config::{ServerTls, MAX_REQUEST_BYTES};
use crate::error::SandboxError;
use crate::store::{self, DocumentRow, PatientRow, Store};

/// The seed file naming the usagers.
const PATIENTS_FILE: &str = "patients.json";
/// The seed file naming the documents (optional in a seed directory).
const DOCUMENTS_FILE: &str = "documents.json";
/// Where the embedded files come from, for messages.
const EMBEDDED_DIR: &str = "examples/data/sandbox";
/// The `sourceId` of the seeded submissions: the hospital's software (not stored).
const HOSPITAL_SOURCE_ID: &str = "1.2.250.1.999.1.1.6900.9";

/// The embedded seed: every file of `examples/data/sandbox/` the seed reads.
const EMBEDDED: &[(&str, &[u8])] = &[
    (
        PATIENTS_FILE,
        include_bytes!("../../examples/data/sandbox/patients.json"),
    ),
    (
        DOCUMENTS_FILE,
        include_bytes!("../../examples/data/sandbox/documents.json"),
    ),
    (
        "lefebvre-cr-hospitalisation.json",
        include_bytes!("../../examples/data/sandbox/lefebvre-cr-hospitalisation.json"),
    ),
    (
        "lefebvre-cr-hospitalisation.pdf",
        include_bytes!("../../examples/data/sandbox/lefebvre-cr-hospitalisation.pdf"),
    ),
    (
        "lefebvre-ordonnance.json",
        include_bytes!("../../examples/data/sandbox/lefebvre-ordonnance.json"),
    ),
    (
        "lefebvre-ordonnance.pdf",
        include_bytes!("../../examples/data/sandbox/lefebvre-ordonnance.pdf"),
    ),
    (
        "lefebvre-cr-biologie.json",
        include_bytes!("../../examples/data/sandbox/lefebvre-cr-biologie.json"),
    ),
    (
        "lefebvre-cr-biologie.pdf",
        include_bytes!("../../examples/data/sandbox/lefebvre-cr-biologie.pdf"),
    ),
    (
        "lefebvre-cr-imagerie.json",
        include_bytes!("../../examples/data/sandbox/lefebvre-cr-imagerie.json"),
    ),
    (
        "lefebvre-cr-imagerie.pdf",
        include_bytes!("../../examples/data/sandbox/lefebvre-cr-imagerie.pdf"),
    ),
    (
        "dartagnan-cr-biologie.json",
        include_bytes!("../../examples/data/sandbox/dartagnan-cr-biologie.json"),
    ),
    (
        "dartagnan-cr-biologie.pdf",
        include_bytes!("../../examples/data/sandbox/dartagnan-cr-biologie.pdf"),
    ),
];

/// Where the seed files are read: the embedded set, or a directory of the same layout.
#[derive(Clone, Copy)]
enum Source<'a> {
    Embedded,
    Dir(&'a Path),
}

impl Source<'_> {
    /// The file as the tester knows it, for messages.
    fn display(&self, file: &str) -> String {
        match self {
            Source::Embedded => format!("{EMBEDDED_DIR}/{file}"),
            Source::Dir(d) => d.join(file).display().to_string(),
        }
    }

    /// The bytes of `file` (a plain file name), `None` when there is no such file.
    fn read(&self, file: &str) -> Result<Option<Vec<u8>>, String> {
        if file.is_empty() || file.contains(['/', '\\']) || file == ".." || file == "." {
            return Err(format!(
                "\"{file}\" is not a file name of the seed directory (give a name without a \
                 path)"
            ));
        }
        match self {
            Source::Embedded => Ok(EMBEDDED
                .iter()
                .find(|(name, _)| *name == file)
                .map(|(_, bytes)| bytes.to_vec())),
            Source::Dir(d) => {
                let path = d.join(file);
                match std::fs::metadata(&path) {
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                    Err(e) => return Err(e.to_string()),
                    Ok(m) if m.len() > MAX_REQUEST_BYTES as u64 => {
                        return Err(format!(
                            "{} bytes: larger than a submission the sandbox accepts \
                             ({MAX_REQUEST_BYTES} bytes)",
                            m.len()
                        ))
                    }
                    Ok(_) => {}
                }
                std::fs::read(&path).map(Some).map_err(|e| e.to_string())
            }
        }
    }

    fn fail(&self, file: &str, message: impl Into<String>) -> SandboxError {
        SandboxError::Seed {
            file: self.display(file),
            message: message.into(),
        }
    }

    /// The text of `file`, which must exist.
    fn text(&self, file: &str) -> Result<String, SandboxError> {
        let bytes = self
            .read(file)
            .map_err(|m| self.fail(file, m))?
            .ok_or_else(|| self.fail(file, "no such file"))?;
        String::from_utf8(bytes).map_err(|_| self.fail(file, "is not UTF-8 text"))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedPatient {
    ins: String,
    oid: String,
    family: String,
    given: String,
    gender: String,
    birth_date: String,
    label: String,
}

/// One line of `documents.json`: a case stored in the DMP of `ins`, sent in the
/// submission set `submission_set` (its uniqueId).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedDocument {
    ins: String,
    case: String,
    submission_set: String,
}

/// A seeded document ready to store.
struct Prepared {
    row: DocumentRow,
    submission_set_uuid: String,
    submission_set_unique_id: String,
    entry_xml: Vec<u8>,
    cda: Vec<u8>,
}

/// Writes the seed usagers into `store` (those already there are kept as they are), then,
/// when `documents` is set, the seed's documents not stored yet (same uniqueId: kept as
/// they are, so seeding twice adds nothing).
pub(crate) fn seed(store: &Store, dir: Option<&Path>, documents: bool) -> Result<(), SandboxError> {
    let source = dir.map_or(Source::Embedded, Source::Dir);
    let rows = patients(source)?;
    let prepared = if documents {
        seed_documents(source, &rows)?
    } else {
        Vec::new()
    };
    store
        .transaction(|tx| {
            rows.iter().try_for_each(|r| store::insert_patient(tx, r))?;
            for p in &prepared {
                if store::unique_id_exists(tx, &p.row.unique_id)?
                    || store::unique_id_exists(tx, &p.submission_set_unique_id)?
                {
                    continue;
                }
                store::insert_submission_set(
                    tx,
                    &p.submission_set_uuid,
                    &p.submission_set_unique_id,
                    &p.row.ins,
                    &p.row.submitted_at,
                    &p.row.structure,
                )?;
                store::insert_document(tx, &p.row, &p.submission_set_uuid, &p.entry_xml, &p.cda)?;
            }
            Ok(())
        })
        .map_err(|e: rusqlite::Error| source.fail(DOCUMENTS_FILE, e.to_string()))
}

fn patients(source: Source<'_>) -> Result<Vec<PatientRow>, SandboxError> {
    let text = source.text(PATIENTS_FILE)?;
    let fail = |m: String| source.fail(PATIENTS_FILE, m);
    let patients: Vec<SeedPatient> =
        dmp_core::json::from_str(&text).map_err(|e| fail(e.to_string()))?;
    let mut rows = Vec::with_capacity(patients.len());
    for (i, p) in patients.into_iter().enumerate() {
        Ins::parse(&p.ins, &p.oid).map_err(|e| fail(format!("[{i}].ins: {e}")))?;
        rows.push(PatientRow {
            ins: p.ins,
            oid: p.oid,
            family: p.family,
            given: p.given,
            gender: p.gender,
            birth_date: p.birth_date,
            label: p.label,
        });
    }
    Ok(rows)
}

/// The documents of `documents.json` (none when a seed directory has no such file), each
/// built from its case, for usagers of `patients`.
fn seed_documents(
    source: Source<'_>,
    patients: &[PatientRow],
) -> Result<Vec<Prepared>, SandboxError> {
    let Some(bytes) = source
        .read(DOCUMENTS_FILE)
        .map_err(|m| source.fail(DOCUMENTS_FILE, m))?
    else {
        return Ok(Vec::new());
    };
    let fail = |m: String| source.fail(DOCUMENTS_FILE, m);
    let text = String::from_utf8(bytes).map_err(|_| fail("is not UTF-8 text".into()))?;
    let list: Vec<SeedDocument> =
        dmp_core::json::from_str(&text).map_err(|e| fail(e.to_string()))?;
    let mut out: Vec<Prepared> = Vec::with_capacity(list.len());
    for (i, d) in list.iter().enumerate() {
        if !patients.iter().any(|p| p.ins == d.ins) {
            return Err(fail(format!(
                "[{i}].ins: {} is not a usager of {PATIENTS_FILE}",
                d.ins
            )));
        }
        let p = prepare(source, d).map_err(|m| source.fail(&d.case, m))?;
        if p.row.ins != d.ins {
            return Err(fail(format!(
                "[{i}].ins: {} but the case {} is for the INS {}",
                d.ins, d.case, p.row.ins
            )));
        }
        if out.iter().any(|o| {
            o.row.unique_id == p.row.unique_id
                || o.submission_set_unique_id == p.submission_set_unique_id
        }) {
            return Err(fail(format!(
                "[{i}]: the document {} or the submission set {} is already seeded above",
                p.row.unique_id, p.submission_set_unique_id
            )));
        }
        out.push(p);
    }
    Ok(out)
}

/// Builds the CDA of one case (its times are in the case: same bytes on every start) and
/// the entry the registry keeps, as the hospital's submission would have made it.
fn prepare(source: Source<'_>, d: &SeedDocument) -> Result<Prepared, String> {
    let case: Case = dmp_core::json::from_str(&source.text(&d.case).map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    let (header, content) = case
        .into_parts(|path| {
            source
                .read(path)?
                .ok_or_else(|| format!("no file {}", source.display(path)))
        })
        .map_err(|e| e.to_string())?;
    let cda = cda::build(&header, &content).map_err(|e| e.to_string())?;
    let unique_id = header.id.to_string();
    let entry_uuid = stable_uuid(&unique_id);
    let visibility = Confidentiality {
        level: header.confidentiality,
        ..Confidentiality::default()
    };
    let entry = DocumentEntry::from_cda(&header, &content, &visibility, &entry_uuid, None)
        .map_err(|e| e.to_string())?;
    let submission_set_unique_id: Oid = d
        .submission_set
        .parse()
        .map_err(|e| format!("submission_set: {e}"))?;
    let submission_set_uuid = stable_uuid(&d.submission_set);
    let at = header.effective_time.with_timezone(&Utc);
    let source_id: Oid = HOSPITAL_SOURCE_ID
        .parse()
        .map_err(|e| format!("source id: {e}"))?;
    let submission = ProvideAndRegister {
        submission_set: SubmissionSet::new(
            &entry,
            &submission_set_uuid,
            submission_set_unique_id,
            source_id,
            at,
            Code::dmp_sample_content_type(),
        )
        .map_err(|e| e.to_string())?,
        entries: vec![(entry.clone(), "document".into())],
        signature: None,
        replacements: Vec::new(),
    };
    let objects = submission.metadata().map_err(|e| e.to_string())?;
    let mut rim = objects
        .iter()
        .find(|o| o.kind == ObjectKind::ExtrinsicObject && o.id == entry_uuid)
        .map(RimObject::from)
        .ok_or("the submission has no entry for the document")?;
    rim.set_attr("status", STATUS_APPROVED);
    crate::transactions::add_repository_slots(&mut rim, &cda);
    let entry_xml = submit_objects_xml(std::slice::from_ref(&rim)).map_err(|e| e.to_string())?;
    Ok(Prepared {
        row: DocumentRow {
            entry_uuid: entry_uuid.clone(),
            unique_id,
            ins: entry.patient_id().matricule().as_str().to_owned(),
            lid: entry_uuid,
            version: 1,
            status: "approved".into(),
            type_code: entry.type_code().code.clone(),
            title: entry.title().to_owned(),
            masque_ps: false,
            invisible_patient: false,
            invisible_representants_legaux: false,
            structure: header.structure.idnat(),
            submitted_at: at.to_rfc3339(),
        },
        submission_set_uuid,
        submission_set_unique_id: d.submission_set.clone(),
        entry_xml,
        cda,
    })
}

/// A `urn:uuid:` derived from `name` (name-based, SHA-1): a seeded object keeps its id
/// from one store to the next.
fn stable_uuid(name: &str) -> String {
    let digest = DigestAlgorithm::Sha1.digest(format!("dmp-sandbox seed {name}").as_bytes());
    let mut bytes = [0u8; 16];
    for (b, d) in bytes.iter_mut().zip(digest) {
        *b = d;
    }
    format!(
        "urn:uuid:{}",
        uuid::Builder::from_sha1_bytes(bytes).into_uuid()
    )
}

/// The roots signers (VIHF, XAdES) must chain to: the TLS client roots.
pub(crate) fn signer_roots(tls: &ServerTls) -> Result<Vec<Certificate>, SandboxError> {
    let mut out = Vec::new();
    for pem in &tls.client_roots_pem {
        let text = String::from_utf8_lossy(pem);
        out.extend(
            Certificate::chain_from_pem(&text)
                .map_err(|e| SandboxError::Tls(format!("client root: {e}")))?,
        );
    }
    Ok(out)
}

/// The test PKI's intermediate CAs, which may complete a signer's chain.
pub(crate) fn signer_intermediates() -> Vec<Certificate> {
    [
        include_str!("../../examples/pki/org-ca.pem"),
        include_str!("../../examples/pki/person-ca.pem"),
        include_str!("../../examples/pki/sandbox-ca.pem"),
    ]
    .iter()
    .filter_map(|pem| Certificate::from_pem(pem).ok())
    .collect()
}

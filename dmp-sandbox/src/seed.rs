//! Seed data for testers (`examples/data/sandbox/`, embedded): the usagers who have a DMP in
//! the sandbox, written at the first start of an empty store (idempotent); and the trust
//! the sandbox gives signers (the client roots and the test PKI's intermediate CAs).

use std::path::Path;

use dmp_core::crypto::Certificate;
use dmp_core::ids::Ins;
use serde::Deserialize;

use crate::config::ServerTls;
use crate::error::SandboxError;
use crate::store::{self, PatientRow, Store};

/// The embedded seed (`examples/data/sandbox/patients.json`).
const PATIENTS: &str = include_str!("../../examples/data/sandbox/patients.json");
/// The seed file name in a seed directory.
const PATIENTS_FILE: &str = "patients.json";

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

/// Writes the seed usagers into `store` (those already there are kept as they are).
pub(crate) fn seed(store: &Store, dir: Option<&Path>) -> Result<(), SandboxError> {
    let (file, text) = match dir {
        Some(d) => {
            let f = d.join(PATIENTS_FILE);
            let text = std::fs::read_to_string(&f).map_err(|e| SandboxError::Seed {
                file: f.display().to_string(),
                message: e.to_string(),
            })?;
            (f.display().to_string(), text)
        }
        None => (
            "examples/data/sandbox/patients.json".to_owned(),
            PATIENTS.to_owned(),
        ),
    };
    let fail = |message: String| SandboxError::Seed {
        file: file.clone(),
        message,
    };
    let patients: Vec<SeedPatient> =
        serde_json::from_str(&text).map_err(|e| fail(e.to_string()))?;
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
    store
        .transaction(|tx| rows.iter().try_for_each(|r| store::insert_patient(tx, r)))
        .map_err(|e: rusqlite::Error| fail(e.to_string()))
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

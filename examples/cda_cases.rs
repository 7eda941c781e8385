//! Builds one CDA of every ESSMS document kind, in PDF and plain-text variants, plus the
//! special cases (a replacement version, an author without RPPS, a device author, a minor
//! usager), into a folder, for the CI-SIS validator:
//!
//! ```sh
//! cargo run --example cda_cases -- target/cda-cases
//! ../shared/tools/validate-cda target/cda-cases/*.xml
//! ```

use std::path::{Path, PathBuf};

use dmp_core::cda::{self, Author, Case, CdaHeader, CdaPatient, CdaPerson, Content, MediaType};
use dmp_core::ids::{IdNatPs, Oid};
use dmp_core::model::{DocumentKind, Usager};

const DLU: &str = include_str!("data/cases/dlu.json");
const DLU_V2: &str = include_str!("data/cases/dlu-v2.json");
const PROJET: &str = include_str!("data/cases/projet-personnalise.json");
const USAGERS: &str = include_str!("data/usagers.json");
const PDF: &[u8] = include_bytes!("data/cases/sample.pdf");

fn main() -> Result<(), Error> {
    // Under the workspace's target/, wherever the example is run from.
    let out = std::env::args_os().nth(1).map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/cda-cases"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&out)?;
    let mut written = 0;
    for (name, header, content) in cases()? {
        let bytes = cda::build(&header, &content).map_err(|e| format!("{name}: {e}"))?;
        std::fs::write(out.join(format!("{name}.xml")), bytes)?;
        written += 1;
    }
    println!("{written} documents written to {}", out.display());
    Ok(())
}

fn case(text: &str) -> Result<(CdaHeader, Content), Error> {
    let case: Case = dmp_core::json::from_str(text)?;
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/data/cases");
    Ok(case.into_parts(|p| std::fs::read(base.join(p)).map_err(|e| e.to_string()))?)
}

type Error = Box<dyn std::error::Error>;

/// One sample document: (file name, header, content).
pub type NamedCase = (String, CdaHeader, Content);

/// Every case.
pub fn cases() -> Result<Vec<NamedCase>, Error> {
    let (base, _) = case(DLU)?;
    let root: Oid = "1.2.250.1.999.1.1.7898.4".parse()?;
    let mut all = Vec::new();
    for (i, kind) in DocumentKind::ALL.into_iter().enumerate() {
        for (j, (variant, content)) in [
            (
                "pdf",
                Content {
                    media_type: MediaType::Pdf,
                    data: PDF.to_vec(),
                },
            ),
            (
                "txt",
                Content {
                    media_type: MediaType::Text,
                    data: format!(
                        "{} — exemple de contenu texte.\n",
                        kind.type_concept()?.display
                    )
                    .into_bytes(),
                },
            ),
        ]
        .into_iter()
        .enumerate()
        {
            let mut h = base.clone();
            h.kind = kind;
            h.id = root.child((i * 2 + j) as u64 * 2 + 1)?;
            h.set_id = root.child((i * 2 + j) as u64 * 2)?;
            h.title = kind.type_concept()?.display.to_owned();
            all.push((format!("{:02}-{kind:?}-{variant}", i + 1), h, content));
        }
    }
    let (h, c) = case(DLU_V2)?;
    all.push(("replacement-dlu-v2".into(), h, c));
    let (h, c) = case(PROJET)?;
    all.push(("local-id-author-projet-personnalise".into(), h, c));

    // A device author: the DUI itself, with the médecin coordonnateur as legal authenticator.
    let (mut h, c) = case(DLU)?;
    h.id = root.child(9001)?;
    h.set_id = root.child(9000)?;
    let time = h.effective_time;
    h.authors = vec![Author::Device {
        id: IdNatPs::local_finess(&h.structure.finess, "DUI-1")?,
        manufacturer_model_name: "dmp-example".into(),
        software_name: "DUI exemple 1.0".into(),
        time,
    }];
    h.service_event.performer = Some(h.legal_authenticator.person.clone());
    all.push(("device-author-dlu".into(), h, c));

    // A minor usager (sample usager #3), authored and authenticated by the IDEC.
    let usagers: Vec<Usager> = dmp_core::json::from_str(USAGERS)?;
    let (mut h, c) = case(PROJET)?;
    h.id = root.child(9101)?;
    h.set_id = root.child(9100)?;
    h.patient = CdaPatient::from_usager(&usagers[2])?;
    h.authors.truncate(1);
    let Some(Author::Person { person, .. }) = h.authors.first() else {
        return Err("the sample projet personnalisé is authored by a person".into());
    };
    let nurse: CdaPerson = person.clone();
    h.legal_authenticator.person = nurse;
    all.push(("minor-usager-projet-personnalise".into(), h, c));
    Ok(all)
}

//! `dmp-codegen`: generates `dmp-core/src/codes/generated.rs` from the ANS nomenclature files
//! in `../shared/data/nomenclatures/`, and copies the data files `dmp-core` embeds
//! (`dmp-core/data/habilitation/`, `dmp-core/data/rights/`).
//!
//! ```text
//! cargo run -p dmp-codegen -- [--shared ../shared] [--check]
//! ```
//!
//! `--check` regenerates in memory and compares with the checked-in files: exit 0 when
//! identical, 1 when some differ (each is listed), 2 on error (e.g. no shared directory).

mod sources;

use std::collections::{BTreeSet, HashSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use sources::{RawConcept, RawSet};

/// Where the header says the sources come from (independent of `--shared`, so the output is
/// deterministic).
const SHARED_LABEL: &str = "../shared";
const NOMENC: &str = "data/nomenclatures";

#[derive(Clone, Copy)]
enum Kind {
    Svs,
    ArtDecor,
    FhirCodeSystem,
    FhirValueSet,
}

struct Spec {
    id: &'static str,
    file: &'static str,
    kind: Kind,
    doc: &'static str,
}

const SPECS: &[Spec] = &[
    // Professions and roles.
    Spec { id: "TRE_G15", file: "CodeSystem-TRE-G15-ProfessionSante.json", kind: Kind::FhirCodeSystem, doc: "Health professions (profession de santé)" },
    Spec { id: "TRE_R94", file: "TRE_R94-ProfessionSocial.xml", kind: Kind::Svs, doc: "Social-sector professions (profession du social)" },
    Spec { id: "TRE_R95", file: "TRE_R95-UsagerTitre.xml", kind: Kind::Svs, doc: "Protected titles (usager de titre: ostéopathe, psychologue…)" },
    Spec { id: "TRE_R96", file: "TRE_R96-AutreFonctionSanitaire.xml", kind: Kind::Svs, doc: "Other health functions (mostly retired, moved to TRE_R85)" },
    Spec { id: "TRE_A00", file: "TRE_A00-ProducteurDocNonPS.xml", kind: Kind::Svs, doc: "Non-professional document producers (devices, patient…); ISO-8859-1 test copy, JDV_J01 is newer" },
    Spec { id: "TRE_R85", file: "TRE_R85-RolePriseCharge.xml", kind: Kind::Svs, doc: "Roles in care (rôle dans la prise en charge); JDV_J01 carries newer codes" },
    Spec { id: "TRE_A02", file: "TRE_A02-ProfessionSavFaire-CISIS.xml", kind: Kind::Svs, doc: "CI-SIS combined profession/specialty codes G15_xx/SMyy" },
    Spec { id: "JDV_J01", file: "JDV_J01_XdsAuthorSpecialty_CISIS.xml", kind: Kind::Svs, doc: "XDS authorSpecialty = author/performer/legalAuthenticator code" },
    Spec { id: "JDV_J107", file: "JDV_J107_EnsembleSavoirFaire_RASS.xml", kind: Kind::Svs, doc: "All RASS savoir-faire (specialties; holds every TRE_R38 code)" },
    Spec { id: "JDV_J47", file: "JDV_J47_FunctionCode_CISIS.xml", kind: Kind::Svs, doc: "author/participant functionCode = XDS authorRole" },
    // Structures.
    Spec { id: "TRE_R02", file: "TRE_R02-SecteurActivite.xml", kind: Kind::Svs, doc: "Activity sectors (secteur d'activité SAxx)" },
    Spec { id: "JDV_J02", file: "JDV_J02_XdsHealthcareFacilityTypeCode_CISIS.xml", kind: Kind::Svs, doc: "XDS healthcareFacilityTypeCode = healthCareFacility/code" },
    Spec { id: "JDV_J254", file: "JDV_J254_CategorieEtablissementESSMSPH.xml", kind: Kind::Svs, doc: "ESSMS categories (TRE_R66), healthCareFacility/code/translation" },
    Spec { id: "TRE_A01", file: "TRE_A01-CadreExercice.xml", kind: Kind::Svs, doc: "Practice settings (cadre d'exercice), source of JDV_J04" },
    Spec { id: "JDV_J04", file: "JDV_J04_XdsPracticeSettingCode_CISIS.xml", kind: Kind::Svs, doc: "XDS practiceSettingCode" },
    // Documents.
    Spec { id: "JDV_J06", file: "ValueSet-JDV-J06-XdsClassCode-CISIS.json", kind: Kind::FhirValueSet, doc: "XDS classCode value set as published (2020; see TRE_A03 for classes 95 and 99)" },
    Spec { id: "JDV_J07", file: "voc-1.2.250.1.213.1.1.5.471-DYNAMIC.xml", kind: Kind::ArtDecor, doc: "XDS typeCode = ClinicalDocument/code (ART-DECOR export, newer than the SVS file)" },
    Spec { id: "TRE_A05", file: "TRE_A05-TypeDocComplementaire.xml", kind: Kind::Svs, doc: "Non-LOINC document types (2021 copy; JDV_J07 is newer)" },
    Spec { id: "JDV_J08", file: "JDV_J08_XdsConfidentialityCode_CISIS.xml", kind: Kind::Svs, doc: "XDS confidentialityCode (HL7 N/R/V + TRE_A07 masking codes)" },
    Spec { id: "JDV_HL7_Confidentiality", file: "JDV_HL7_Confidentiality_CISIS.xml", kind: Kind::Svs, doc: "CDA confidentialityCode value set" },
    Spec { id: "TRE_A08", file: "TRE_A08-HL7Confidentiality.xml", kind: Kind::Svs, doc: "HL7 confidentiality codes N/R/V" },
    // Header participants.
    Spec { id: "JDV_J143", file: "JDV_J143_AdministrativeGender_CISIS.xml", kind: Kind::Svs, doc: "Patient administrative gender" },
    Spec { id: "JDV_J11", file: "JDV_J11_RelationPatient_CISIS.xml", kind: Kind::Svs, doc: "Relation to the patient (relatedEntity/code)" },
    Spec { id: "JDV_J140", file: "JDV_J140_EncounterParticipationType_CISIS.xml", kind: Kind::Svs, doc: "encounterParticipant typeCode" },
    Spec { id: "JDV_J141", file: "JDV_J141_RoleClass_CISIS.xml", kind: Kind::Svs, doc: "participant associatedEntity classCode" },
    Spec { id: "JDV_J142", file: "JDV_J142_TypeRencontre_CISIS.xml", kind: Kind::Svs, doc: "encompassingEncounter/code" },
    Spec { id: "JDV_J144", file: "JDV_J144_ParticipationType_CISIS.xml", kind: Kind::Svs, doc: "participant typeCode" },
    Spec { id: "JDV_J245", file: "JDV_J245_Civilite_CISIS.xml", kind: Kind::Svs, doc: "Name prefix (civilité)" },
    Spec { id: "JDV_J246", file: "JDV_J246_Titre_CISIS.xml", kind: Kind::Svs, doc: "Name suffix (titre)" },
    Spec { id: "TRE_R81", file: "TRE_R81-Civilite.xml", kind: Kind::Svs, doc: "Civilités" },
    Spec { id: "TRE_R11", file: "TRE_R11-CiviliteExercice.xml", kind: Kind::Svs, doc: "Civilités d'exercice" },
    Spec { id: "TRE_R217", file: "TRE_R217-ProtectionJuridique.xml", kind: Kind::Svs, doc: "Legal protection measures" },
    Spec { id: "TRE_R258", file: "TRE_R258-RelationPriseCharge.xml", kind: Kind::Svs, doc: "Relation codes in care" },
    // Medico-social content.
    Spec { id: "JDV_GIR", file: "JDV_GIR_CISIS.xml", kind: Kind::Svs, doc: "GIR 1 to 6 (AGGIR dependency groups)" },
    Spec { id: "JDV_EvaluationAGGIRPA", file: "JDV_EvaluationAGGIRPA_CISIS.xml", kind: Kind::Svs, doc: "AGGIR variables, elderly persons (ICF codes)" },
    Spec { id: "JDV_EvaluationAGGIRPH", file: "JDV_EvaluationAGGIRPH_CISIS.xml", kind: Kind::Svs, doc: "AGGIR variables, disabled persons (ICF codes)" },
    Spec { id: "JDV_TypeDirectiveAnticipee", file: "JDV_TypeDirectiveAnticipee_CISIS.xml", kind: Kind::Svs, doc: "Advance-directive types" },
    Spec { id: "JDV_J264", file: "JDV_J264_ModeEtCentreDePriseEnCharge_MDPH.xml", kind: Kind::Svs, doc: "MDPH care modes" },
    Spec { id: "JDV_J281", file: "JDV_J281_StatutsRessourcesMS.xml", kind: Kind::Svs, doc: "Status of medico-social evaluations/events" },
];

/// The SVS copy of JDV_J07, checked to be a subset of the ART-DECOR list.
const J07_SVS: &str = "JDV_J07_XdsTypeCode_CISIS.xml";
const X04: &str = "ASS-X04-CorrespondanceType-Classe-CISIS.fsh";
const A11: &str = "ASS-A11-CorresModeleCDA-XdsFormatCode-CISIS.fsh";
const CLASS_CSV: &str = "data/habilitation/class-codes.csv";
const TRE_A03_OID: &str = "1.2.250.1.213.1.1.4.1";
/// Class 99 is used by ASS_X04 (FEUILLE-DE-STYLE) but is in no shared file: its display
/// comes from CodeSystem TRE_A03_ClasseDocument version 20231215120000
/// (ansforge/IG-terminologie-de-sante, FSH source of the terminology IG).
const CLASS_99: (&str, &str) = ("99", "Document technique");

/// Value sets written by hand in `codes/mod.rs` (no source file), referenced from `ALL`.
const HAND_WRITTEN: &[&str] = &["TRE_R248", "TRE_A07"];

/// Files copied byte for byte: (source under the shared dir, destination under the workspace).
const COPIES: &[(&str, &str)] = &[
    (
        "data/habilitation/provisional-matrix.csv",
        "dmp-core/data/habilitation/provisional-matrix.csv",
    ),
    (
        "data/habilitation/row-codes.csv",
        "dmp-core/data/habilitation/row-codes.csv",
    ),
    (
        "data/habilitation/document-types.csv",
        "dmp-core/data/habilitation/document-types.csv",
    ),
    (
        "data/habilitation/class-codes.csv",
        "dmp-core/data/habilitation/class-codes.csv",
    ),
    (
        "data/habilitation/verified-cells.csv",
        "dmp-core/data/habilitation/verified-cells.csv",
    ),
    (
        "data/rights/functional-rights.csv",
        "dmp-core/data/rights/functional-rights.csv",
    ),
    (
        "data/rights/air-rights.csv",
        "dmp-core/data/rights/air-rights.csv",
    ),
    (
        "data/rights/footnotes.csv",
        "dmp-core/data/rights/footnotes.csv",
    ),
];

const README_HABILITATION: &str = "\
# Embedded habilitation data (copies)

These CSV files are byte-for-byte copies of `../shared/data/habilitation/` (see the README
there for their sources, columns, status and caveats). `dmp-core` embeds them at build time.

Do not edit them here: they are regenerated by `cargo run -p dmp-codegen -- --shared ../shared`
and checked by `cargo run -p dmp-codegen -- --check`.

- `provisional-matrix.csv`: long-form provisional consultation matrix (row × type, with status and source).
- `row-codes.csv`: matrix rows and their profession codes.
- `document-types.csv`: candidate document types (XDS typeCode) with an inferred class.
- `class-codes.csv`: the DMP document classes (XDS classCode, TRE_A03).
- `verified-cells.csv`: cells of the 2023 matrix stated by published sources.
";

const README_RIGHTS: &str = "\
# Embedded functional-rights data (copies)

These CSV files are byte-for-byte copies of `../shared/data/rights/` (see the README there
for their sources and columns). `dmp-core` embeds them at build time.

Do not edit them here: they are regenerated by `cargo run -p dmp-codegen -- --shared ../shared`
and checked by `cargo run -p dmp-codegen -- --check`.

- `functional-rights.csv`: functional rights by authentication mode.
- `air-rights.csv`: rights in AIR (indirect reinforced authentication) mode.
- `footnotes.csv`: the footnotes the two tables refer to.
";

struct Table {
    id: String,
    doc: String,
    source: String,
    set: RawSet,
}

struct FormatRow {
    template_id: String,
    format_code: String,
    system: &'static str,
    media_type: Option<&'static str>,
}

struct Model {
    tables: Vec<Table>,
    /// Header lines naming each source file and its version.
    header: Vec<String>,
    type_to_class: Vec<(String, String)>,
    formats: Vec<FormatRow>,
}

fn read_spec(shared: &Path, spec: &Spec) -> Result<RawSet, String> {
    let path = shared.join(NOMENC).join(spec.file);
    match spec.kind {
        Kind::Svs => sources::read_svs(&path),
        Kind::ArtDecor => sources::read_art_decor(&path),
        Kind::FhirCodeSystem => sources::read_fhir_code_system(&path),
        Kind::FhirValueSet => sources::read_fhir_value_set(&path),
    }
}

fn format_system(target_url: &str) -> Result<&'static str, String> {
    if target_url.contains("TRE_A06-FormatCodeComplementaire") {
        Ok("1.2.250.1.213.1.1.4.2.282")
    } else if target_url.contains("TRE_A11-IheFormatCode") {
        Ok("1.3.6.1.4.1.19376.1.2.3")
    } else {
        Err(format!("{A11}: unknown formatCode system {target_url}"))
    }
}

/// Media type of an N1 (non-structured, TRE_R221) formatCode.
fn n1_media_type(format_code: &str) -> Option<&'static str> {
    [
        (":pdf:", "application/pdf"),
        (":text:", "text/plain"),
        (":jpeg:", "image/jpeg"),
        (":rtf:", "text/rtf"),
        (":tiff:", "image/tiff"),
    ]
    .iter()
    .find(|(k, _)| format_code.contains(k))
    .map(|(_, m)| *m)
}

fn build(shared: &Path) -> Result<Model, String> {
    let mut tables = Vec::new();
    let mut header = Vec::new();
    for spec in SPECS {
        let set = read_spec(shared, spec)?;
        header.push(format!(
            "{}/{}: {} {} (version {})",
            NOMENC, spec.file, spec.id, set.name, set.version
        ));
        tables.push(Table {
            id: spec.id.to_string(),
            doc: spec.doc.to_string(),
            source: format!("{NOMENC}/{}", spec.file),
            set,
        });
    }

    // JDV_J07: the SVS copy must be a subset of the ART-DECOR list used as the table.
    let svs = sources::read_svs(&shared.join(NOMENC).join(J07_SVS))?;
    let j07 = &tables
        .iter()
        .find(|t| t.id == "JDV_J07")
        .expect("J07 in SPECS")
        .set;
    let missing: Vec<&str> = svs
        .concepts
        .iter()
        .filter(|c| !j07.concepts.iter().any(|d| d.code == c.code))
        .map(|c| c.code.as_str())
        .collect();
    if !missing.is_empty() {
        eprintln!("warning: {J07_SVS} has codes missing from the ART-DECOR JDV_J07: {missing:?}");
    }
    header.push(format!(
        "{NOMENC}/{J07_SVS}: JDV_J07 SVS copy (version {}, {} codes), checked to be a subset of the ART-DECOR list",
        svs.version,
        svs.concepts.len()
    ));

    // TRE_A03 class codes: J06's TRE_A03 concepts, plus the classes JDV_J57 (class-codes.csv)
    // and ASS_X04 use that the 2020 J06 lacks.
    let j06 = tables
        .iter()
        .find(|t| t.id == "JDV_J06")
        .expect("J06 in SPECS");
    let mut a03: Vec<RawConcept> = j06
        .set
        .concepts
        .iter()
        .filter(|c| c.system == TRE_A03_OID)
        .cloned()
        .collect();
    let csv = sources::read_csv(&shared.join(CLASS_CSV))?;
    for row in csv
        .iter()
        .skip(1)
        .filter(|r| r.len() >= 2 && !r[0].is_empty())
    {
        if !a03.iter().any(|c| c.code == row[0]) {
            a03.push(RawConcept {
                code: row[0].clone(),
                display: row[1].clone(),
                system: TRE_A03_OID.to_string(),
            });
        }
    }
    if !a03.iter().any(|c| c.code == CLASS_99.0) {
        a03.push(RawConcept {
            code: CLASS_99.0.to_string(),
            display: CLASS_99.1.to_string(),
            system: TRE_A03_OID.to_string(),
        });
    }
    header.push(format!(
        "{CLASS_CSV}: classes missing from JDV_J06 (JDV_J57-ClassCode-DMP 2023-09-22), for TRE_A03"
    ));
    header.push(
        "class 99 \"Document technique\": CodeSystem TRE_A03_ClasseDocument 20231215120000 (no shared file)"
            .to_string(),
    );
    let j06_index = tables.iter().position(|t| t.id == "JDV_J06").expect("J06");
    tables.insert(
        j06_index + 1,
        Table {
            id: "TRE_A03".to_string(),
            doc: "Document classes (XDS classCode, TRE_A03 ClasseDocument): JDV_J06 codes plus 95 (JDV_J57) and 99 (used by ASS_X04)".to_string(),
            source: format!("{NOMENC}/ValueSet-JDV-J06-XdsClassCode-CISIS.json, {CLASS_CSV}, TRE_A03 2023-12-15"),
            set: RawSet {
                name: "TRE_A03-ClasseDocument".to_string(),
                oid: TRE_A03_OID.to_string(),
                version: "2023-12-15 (composite: JDV_J06 2020-12-17 + JDV_J57 2023-09-22 + TRE_A03 2023-12-15)".to_string(),
                concepts: a03,
                retired: Vec::new(),
            },
        },
    );

    // ASS_X04 typeCode → classCode.
    let x04 = sources::read_fsh_concept_map(&shared.join(NOMENC).join(X04))?;
    header.push(format!(
        "{NOMENC}/{X04}: ASS_X04 typeCode -> classCode (version {})",
        sources::date_label(&x04.version)
    ));
    let mut type_to_class = Vec::new();
    let mut seen = HashSet::new();
    for e in &x04.entries {
        if !seen.insert(e.code.clone()) {
            return Err(format!("{X04}: type {} mapped twice", e.code));
        }
        let known = tables
            .iter()
            .filter(|t| t.id == "TRE_A03" || t.id == "JDV_J06")
            .any(|t| t.set.concepts.iter().any(|c| c.code == e.target));
        if !known {
            return Err(format!(
                "{X04}: class {} (of type {}) is in no class table",
                e.target, e.code
            ));
        }
        type_to_class.push((e.code.clone(), e.target.clone()));
    }

    // ASS_A11 templateId → formatCode.
    let a11 = sources::read_fsh_concept_map(&shared.join(NOMENC).join(A11))?;
    header.push(format!(
        "{NOMENC}/{A11}: ASS_A11 templateId -> formatCode (version {}, draft)",
        a11.version
    ));
    let mut formats = Vec::new();
    for e in &a11.entries {
        let structured = !e.source_system.contains("TRE_R221");
        formats.push(FormatRow {
            template_id: e.code.clone(),
            format_code: e.target.clone(),
            system: format_system(&e.target_system)?,
            media_type: if structured {
                None
            } else {
                n1_media_type(&e.target)
            },
        });
    }

    // Codes must be unique within a table.
    for t in &tables {
        let mut seen = HashSet::new();
        for c in &t.set.concepts {
            if !seen.insert(&c.code) {
                return Err(format!("{}: duplicate code {}", t.source, c.code));
            }
        }
    }
    Ok(Model {
        tables,
        header,
        type_to_class,
        formats,
    })
}

/// A Rust string literal.
fn lit(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn rust_ident(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// Text safe in a doc comment (no link brackets, no HTML).
fn doc_text(s: &str) -> String {
    s.replace(['[', ']'], "").replace('<', "&lt;")
}

fn emit(model: &Model) -> String {
    let mut o = String::new();
    o.push_str("// @generated by dmp-codegen from ");
    o.push_str(SHARED_LABEL);
    o.push_str("/data/...; do not edit.\n");
    o.push_str("// Regenerate with `cargo run -p dmp-codegen -- --shared ../shared`; check with `--check`.\n");
    o.push_str("// Sources (paths relative to ");
    o.push_str(SHARED_LABEL);
    o.push_str("):\n");
    for h in &model.header {
        let _ = writeln!(o, "// - {h}");
    }
    o.push_str(
        "//! Generated nomenclature tables (see the header comment for sources and versions).\n",
    );
    o.push_str("//! Retired concepts (SVS `dateFin` set; FHIR `dateFin`/status retired or deprecated) are left out.\n\n");
    o.push_str("use super::{Concept, FormatCode, ValueSet};\n\n");
    for t in &model.tables {
        let _ = writeln!(
            o,
            "/// {}: {}.\n///\n/// Source `{}`, version {}; {} concepts{}.",
            t.id,
            doc_text(&t.doc),
            doc_text(&t.source),
            doc_text(&t.set.version),
            t.set.concepts.len(),
            if t.set.retired.is_empty() {
                String::new()
            } else {
                format!(" ({} retired left out)", t.set.retired.len())
            }
        );
        // One concept per line, formatted here: rustfmt gives up on long string lists.
        o.push_str("#[rustfmt::skip]\n");
        let _ = writeln!(
            o,
            "pub static {}: ValueSet = ValueSet {{",
            rust_ident(&t.id)
        );
        let _ = writeln!(o, "    id: {},", lit(&t.id));
        let _ = writeln!(o, "    name: {},", lit(&t.set.name));
        let _ = writeln!(o, "    oid: {},", lit(&t.set.oid));
        let _ = writeln!(o, "    version: {},", lit(&t.set.version));
        o.push_str("    concepts: &[\n");
        for c in &t.set.concepts {
            let _ = writeln!(
                o,
                "        Concept::new({}, {}, {}),",
                lit(&c.code),
                lit(&c.display),
                lit(&c.system)
            );
        }
        o.push_str("    ],\n};\n\n");
    }
    o.push_str("/// Every value set: the generated ones, then the hand-written ones of `codes`.\n");
    o.push_str("pub static ALL: &[&ValueSet] = &[\n");
    for t in &model.tables {
        let _ = writeln!(o, "&{},", rust_ident(&t.id));
    }
    for h in HAND_WRITTEN {
        let _ = writeln!(o, "&super::{},", rust_ident(h));
    }
    o.push_str("];\n\n");
    o.push_str("/// ASS_X04: document type (JDV_J07 typeCode) to document class (classCode), in source order.\n");
    o.push_str("pub static TYPE_TO_CLASS: &[(&str, &str)] = &[\n");
    for (t, c) in &model.type_to_class {
        let _ = writeln!(o, "({}, {}),", lit(t), lit(c));
    }
    o.push_str("];\n\n");
    o.push_str("/// ASS_A11: CDA model templateId to XDS formatCode, in source order. For the N1 templateId\n");
    o.push_str("/// the first entry (PDF) is the default; `media_type` tells the entries apart.\n");
    o.push_str("pub static FORMAT_CODES: &[FormatCode] = &[\n");
    for f in &model.formats {
        let media = f
            .media_type
            .map_or("None".to_string(), |m| format!("Some({})", lit(m)));
        let _ = writeln!(
            o,
            "FormatCode {{ template_id: {}, format_code: {}, system: {}, media_type: {} }},",
            lit(&f.template_id),
            lit(&f.format_code),
            lit(f.system),
            media
        );
    }
    o.push_str("];\n");
    o
}

fn rustfmt(code: &str, root: &Path) -> Result<String, String> {
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2021"])
        .current_dir(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run rustfmt: {e}"))?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input = code.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child
        .wait_with_output()
        .map_err(|e| format!("rustfmt: {e}"))?;
    writer
        .join()
        .map_err(|_| "rustfmt writer panicked".to_string())?
        .map_err(|e| format!("rustfmt stdin: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "rustfmt failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    String::from_utf8(out.stdout).map_err(|e| format!("rustfmt output: {e}"))
}

fn outputs(shared: &Path, root: &Path) -> Result<Vec<(PathBuf, Vec<u8>)>, String> {
    let model = build(shared)?;
    let code = rustfmt(&emit(&model), root)?;
    let mut out = vec![(
        PathBuf::from("dmp-core/src/codes/generated.rs"),
        code.into_bytes(),
    )];
    for (src, dst) in COPIES {
        let p = shared.join(src);
        let bytes = std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        out.push((PathBuf::from(dst), bytes));
    }
    out.push((
        PathBuf::from("dmp-core/data/habilitation/README.md"),
        README_HABILITATION.as_bytes().to_vec(),
    ));
    out.push((
        PathBuf::from("dmp-core/data/rights/README.md"),
        README_RIGHTS.as_bytes().to_vec(),
    ));
    Ok(out)
}

const USAGE: &str = "usage: cargo run -p dmp-codegen -- [--shared DIR] [--check]
  --shared DIR  the shared reference folder (default: ../shared, next to the repository)
  --check       compare with the checked-in files instead of writing; exit 1 if any differ";

fn run() -> Result<ExitCode, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf();
    let mut shared: Option<PathBuf> = None;
    let mut check = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--check" => check = true,
            "--shared" => {
                shared = Some(PathBuf::from(
                    args.next().ok_or("--shared needs a directory")?,
                ))
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(ExitCode::SUCCESS);
            }
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    let shared = shared.unwrap_or_else(|| root.join("..").join("shared"));
    if !shared.join(NOMENC).is_dir() {
        return Err(format!(
            "shared reference folder not found: {} (expected {}/ inside it); pass --shared DIR",
            shared.display(),
            NOMENC
        ));
    }
    let files = outputs(&shared, &root)?;
    if check {
        let mut differing = BTreeSet::new();
        for (rel, bytes) in &files {
            match std::fs::read(root.join(rel)) {
                Ok(current) if current == *bytes => {}
                _ => {
                    differing.insert(rel.display().to_string());
                }
            }
        }
        if differing.is_empty() {
            println!("dmp-codegen --check: {} files up to date", files.len());
            return Ok(ExitCode::SUCCESS);
        }
        for d in &differing {
            println!("differs: {d}");
        }
        println!("run cargo run -p dmp-codegen to regenerate");
        return Ok(ExitCode::from(1));
    }
    for (rel, bytes) in &files {
        let path = root.join(rel);
        if std::fs::read(&path).ok().as_deref() == Some(bytes.as_slice()) {
            continue;
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        println!("wrote {}", rel.display());
    }
    println!("dmp-codegen: {} files up to date", files.len());
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("dmp-codegen: error: {e}");
            ExitCode::from(2)
        }
    }
}

//! `cda::build`: the bytes of an N1 CDA for the DMP.
//!
//! Golden file: `tests/golden/dlu-n1.xml` is the exact output for [`golden_header`] and
//! [`golden_content`]. After an intended change of the output, refresh it with
//! `DMP_UPDATE_GOLDEN=1 cargo test -p dmp-core --test cda_build golden`, review the diff by eye
//! (against the official example `DOC_NON_STRUCTURE_CDA-R2-N1.xml` and the CI-SIS rules) and
//! commit it.
//!
//! Validator: `DMP_CDA_DUMP=/tmp/cda cargo test -p dmp-core --test cda_build` also writes the
//! documents of these tests to that folder, to run the CI-SIS validator on them
//! (`validate-cda FILE.xml`).

use base64::Engine as _;
use chrono::{DateTime, FixedOffset};
use dmp_core::cda::{
    build, Author, CdaHeader, CdaOrganization, CdaPatient, CdaPerson, Content, Encounter,
    LegalAuthenticator, MediaType, ServiceEvent, N1_TEMPLATE_IDS,
};
use dmp_core::ids::{oid, IdNatPs, Ins, Oid};
use dmp_core::model::{ConfidentialityLevel, DocumentKind, Ipp, Sex, Traits};
use quick_xml::events::Event;

// ---------------------------------------------------------------------------------------------
// Fixtures (identifiers from examples/data: valid keys, test INS OID).
// ---------------------------------------------------------------------------------------------

fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).expect("test time")
}

fn oid(s: &str) -> Oid {
    s.parse().expect("test OID")
}

fn person(idnat: &str, family: &str, given: &str, specialty: &str) -> CdaPerson {
    CdaPerson {
        idnat: idnat.parse().expect("test IdNat"),
        family_name: family.to_owned(),
        given_name: given.to_owned(),
        specialty: specialty.to_owned(),
    }
}

fn medecin_co() -> CdaPerson {
    person("899900100019", "MARTIN", "Claire", "G15_10/SM26")
}

/// A DLU of the EHPAD Les Tilleuls for Marie DUPONT (used name LEFEBVRE), authored and
/// authenticated by the coordinating physician.
fn golden_header() -> CdaHeader {
    CdaHeader {
        kind: DocumentKind::Dlu,
        id: oid("1.2.250.1.999.1.1.7898.3.20240315.1"),
        set_id: oid("1.2.250.1.999.1.1.7898.3.20240315"),
        version_number: 1,
        replaces: None,
        title: "Dossier de liaison d'urgence".to_owned(),
        effective_time: at("2024-03-15T14:30:00+01:00"),
        confidentiality: ConfidentialityLevel::N,
        patient: CdaPatient {
            ins: Ins::parse("245036912304502", oid::INS_NIR_TEST).expect("test INS"),
            traits: Traits {
                birth_family_name: "DUPONT".to_owned(),
                birth_given_names: vec!["MARIE".to_owned(), "LOUISE".to_owned()],
                first_given_name: "MARIE".to_owned(),
                used_family_name: Some("LEFEBVRE".to_owned()),
                used_given_name: None,
                sex: Sex::F,
                birth_date: "1945-03-17".parse().expect("birth date"),
                birthplace_insee: Some("69123".parse().expect("INSEE")),
            },
            ipp: Some(Ipp {
                id: "EHPAD-000123".to_owned(),
                authority: oid("1.2.250.1.999.1.1.7898.2"),
            }),
        },
        authors: vec![Author::Person {
            person: medecin_co(),
            time: at("2024-03-15T14:25:00+01:00"),
            function_code: Some("ATTPHYS".to_owned()),
        }],
        structure: CdaOrganization {
            name: "EHPAD Les Tilleuls".to_owned(),
            finess: "690800123".parse().expect("FINESS"),
            sector: "SA17".to_owned(),
            category: None,
            practice_setting: "ESSMS".to_owned(),
        },
        legal_authenticator: LegalAuthenticator {
            person: medecin_co(),
            time: at("2024-03-15T14:30:00+01:00"),
        },
        service_event: ServiceEvent {
            start: at("2024-03-15T09:00:00+01:00"),
            stop: Some(at("2024-03-15T14:25:00+01:00")),
            performer: None,
        },
        encounter: Encounter {
            start: Some(at("2023-11-02T10:00:00+01:00")),
            stop: None,
        },
    }
}

/// A tiny "PDF".
fn golden_content() -> Content {
    Content {
        media_type: MediaType::Pdf,
        data: b"%PDF-1.4\n% test DLU\n%%EOF\n".to_vec(),
    }
}

/// The DUI software as author; the IDEC takes responsibility and is the performer; an MAS
/// (ESSMS for disabled adults) with its J254 category; encounter dates unknown.
fn device_header() -> CdaHeader {
    let idec = person("899900100027", "BERNARD", "Sophie", "G15_60");
    CdaHeader {
        kind: DocumentKind::ProjetPersonnalise,
        title: "Projet personnalisé d'accompagnement".to_owned(),
        authors: vec![Author::Device {
            id: IdNatPs::new("3690800123/DUI-1").expect("device id"),
            manufacturer_model_name: "Éditeur DUI".to_owned(),
            software_name: "MonDUI 4.2".to_owned(),
            time: at("2024-03-15T14:25:00+01:00"),
        }],
        structure: CdaOrganization {
            name: "MAS Les Peupliers".to_owned(),
            finess: "690800123".parse().expect("FINESS"),
            sector: "SA16".to_owned(),
            category: Some("255".to_owned()),
            practice_setting: "ESSMS".to_owned(),
        },
        legal_authenticator: LegalAuthenticator {
            person: idec.clone(),
            time: at("2024-03-15T14:30:00+01:00"),
        },
        service_event: ServiceEvent {
            start: at("2024-03-15T09:00:00+01:00"),
            stop: None,
            performer: Some(idec),
        },
        encounter: Encounter::default(),
        ..golden_header()
    }
}

fn replacement_header() -> CdaHeader {
    let first = golden_header();
    CdaHeader {
        id: oid("1.2.250.1.999.1.1.7898.3.20240315.2"),
        version_number: 2,
        replaces: Some(first.id.clone()),
        effective_time: at("2024-03-16T08:00:00+01:00"),
        ..first
    }
}

/// Writes `bytes` to `$DMP_CDA_DUMP/<name>.xml` when that variable is set (for the validator).
fn dump(name: &str, bytes: &[u8]) {
    if let Some(dir) = std::env::var_os("DMP_CDA_DUMP") {
        let dir = std::path::PathBuf::from(dir);
        std::fs::create_dir_all(&dir).expect("dump dir");
        std::fs::write(dir.join(format!("{name}.xml")), bytes).expect("dump");
    }
}

// ---------------------------------------------------------------------------------------------
// A minimal tree read with quick-xml, which also checks well-formedness.
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Default)]
struct Node {
    name: String,
    attrs: Vec<(String, String)>,
    children: Vec<Node>,
    text: String,
}

impl Node {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every node at `path` (`a/b/c`, names of children).
    fn all<'a>(&'a self, path: &str) -> Vec<&'a Node> {
        let mut nodes = vec![self];
        for step in path.split('/') {
            nodes = nodes
                .into_iter()
                .flat_map(|n| n.children.iter().filter(|c| c.name == step))
                .collect();
        }
        nodes
    }

    fn one<'a>(&'a self, path: &str) -> &'a Node {
        let all = self.all(path);
        assert_eq!(all.len(), 1, "exactly one {path}");
        all[0]
    }

    fn child_names(&self) -> Vec<&str> {
        self.children.iter().map(|c| c.name.as_str()).collect()
    }
}

/// Parses `bytes` (must be well-formed) into the root element.
fn parse(bytes: &[u8]) -> Node {
    let mut reader = quick_xml::Reader::from_reader(bytes);
    let mut stack: Vec<Node> = vec![Node::default()];
    let mut buf = Vec::new();
    fn open(e: &quick_xml::events::BytesStart<'_>) -> Node {
        Node {
            name: String::from_utf8(e.name().as_ref().to_vec()).expect("utf-8 name"),
            attrs: e
                .attributes()
                .map(|a| {
                    let a = a.expect("well-formed attribute");
                    (
                        String::from_utf8(a.key.as_ref().to_vec()).expect("utf-8"),
                        a.unescape_value().expect("attribute value").into_owned(),
                    )
                })
                .collect(),
            ..Node::default()
        }
    }
    loop {
        match reader.read_event_into(&mut buf).expect("well-formed XML") {
            Event::Start(e) => stack.push(open(&e)),
            Event::Empty(e) => {
                let n = open(&e);
                stack.last_mut().expect("parent").children.push(n);
            }
            Event::End(_) => {
                let n = stack.pop().expect("open element");
                stack.last_mut().expect("parent").children.push(n);
            }
            Event::Text(t) => {
                let s = t.decode().expect("utf-8 text");
                let top = stack.last_mut().expect("parent");
                if top.name.is_empty() {
                    assert!(s.trim().is_empty(), "text outside the root: {s:?}");
                } else {
                    top.text.push_str(&s);
                }
            }
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref().expect("char ref") {
                    Some(c) => c,
                    None => match r.as_ref() {
                        b"amp" => '&',
                        b"lt" => '<',
                        b"gt" => '>',
                        b"quot" => '"',
                        b"apos" => '\'',
                        other => panic!("unexpected entity {other:?}"),
                    },
                };
                stack.last_mut().expect("parent").text.push(c);
            }
            Event::Eof => break,
            Event::Decl(_) => {}
            other => panic!("unexpected event {other:?}"),
        }
        buf.clear();
    }
    let mut doc = stack.pop().expect("document");
    assert!(stack.is_empty(), "unclosed elements");
    assert_eq!(doc.children.len(), 1, "one root element");
    doc.children.remove(0)
}

fn body_bytes(root: &Node) -> Vec<u8> {
    let text = root.one("component/nonXMLBody/text");
    assert_eq!(text.attr("representation"), Some("B64"));
    base64::engine::general_purpose::STANDARD
        .decode(text.text.as_bytes())
        .expect("base64 body")
}

fn field_of(e: &dmp_core::Error) -> &str {
    &e.as_invalid().expect("validation error").field
}

// ---------------------------------------------------------------------------------------------
// Tests.
// ---------------------------------------------------------------------------------------------

#[test]
fn golden_dlu_n1() {
    let bytes = build(&golden_header(), &golden_content()).unwrap();
    dump("dlu-n1", &bytes);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/golden/dlu-n1.xml");
    if std::env::var_os("DMP_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &bytes).expect("write golden file");
    }
    let golden = std::fs::read(&path).expect("tests/golden/dlu-n1.xml");
    assert!(
        golden == bytes,
        "output differs from tests/golden/dlu-n1.xml (refresh: see the top of this file)\n{}",
        String::from_utf8_lossy(&bytes)
    );
}

#[test]
fn deterministic_and_well_framed() {
    let a = build(&golden_header(), &golden_content()).unwrap();
    let b = build(&golden_header(), &golden_content()).unwrap();
    assert_eq!(a, b);
    assert!(a.starts_with(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ClinicalDocument "));
    assert!(!a.starts_with(b"\xEF\xBB\xBF"));
    let s = std::str::from_utf8(&a).unwrap();
    assert!(!s.contains("schemaLocation"));
    assert!(!s.contains("sdtc"));
    assert!(s.ends_with("</ClinicalDocument>\n"));
    let root = parse(&a);
    assert_eq!(root.name, "ClinicalDocument");
    assert_eq!(root.attr("xmlns"), Some("urn:hl7-org:v3"));
}

#[test]
fn header_elements_in_schema_order() {
    let root = parse(&build(&golden_header(), &golden_content()).unwrap());
    assert_eq!(
        root.child_names(),
        [
            "realmCode",
            "typeId",
            "templateId",
            "templateId",
            "templateId",
            "id",
            "code",
            "title",
            "effectiveTime",
            "confidentialityCode",
            "languageCode",
            "setId",
            "versionNumber",
            "recordTarget",
            "author",
            "custodian",
            "legalAuthenticator",
            "documentationOf",
            "componentOf",
            "component",
        ]
    );
    let templates: Vec<_> = root
        .all("templateId")
        .iter()
        .map(|t| t.attr("root").unwrap())
        .collect();
    assert_eq!(
        templates,
        [
            "2.16.840.1.113883.2.8.2.1",
            "1.2.250.1.213.1.1.1.1",
            "1.3.6.1.4.1.19376.1.2.20"
        ]
    );
    assert_eq!(templates, N1_TEMPLATE_IDS);
    let id = root.one("id");
    assert_eq!(id.attrs.len(), 1, "id is a plain OID root");
    let code = root.one("code");
    assert_eq!(code.attr("code"), Some("74207-2"));
    assert_eq!(code.attr("codeSystem"), Some("2.16.840.1.113883.6.1"));
    assert!(code.attr("displayName").is_some());
    assert_eq!(
        root.one("effectiveTime").attr("value"),
        Some("20240315143000+0100")
    );
    let conf = root.one("confidentialityCode");
    assert_eq!(conf.attr("code"), Some("N"));
    assert_eq!(conf.attr("displayName"), Some("Normal"));
    assert_eq!(conf.attr("codeSystem"), Some("2.16.840.1.113883.5.25"));
    assert_eq!(root.one("languageCode").attr("code"), Some("fr-FR"));
    assert_eq!(root.one("versionNumber").attr("value"), Some("1"));
}

#[test]
fn patient_ins_ipp_and_names() {
    let root = parse(&build(&golden_header(), &golden_content()).unwrap());
    let ids = root.all("recordTarget/patientRole/id");
    assert_eq!(ids[0].attr("root"), Some(oid::INS_NIR_TEST));
    assert_eq!(ids[0].attr("extension"), Some("245036912304502"));
    assert_eq!(ids[1].attr("root"), Some("1.2.250.1.999.1.1.7898.2"));
    assert_eq!(ids[1].attr("extension"), Some("EHPAD-000123"));
    let patient = root.one("recordTarget/patientRole/patient");
    let name: Vec<_> = patient
        .one("name")
        .children
        .iter()
        .map(|n| (n.name.as_str(), n.attr("qualifier"), n.text.as_str()))
        .collect();
    assert_eq!(
        name,
        [
            ("family", Some("BR"), "DUPONT"),
            ("given", None, "MARIE LOUISE"),
            ("given", Some("BR"), "MARIE"),
            ("family", Some("CL"), "LEFEBVRE"),
        ]
    );
    let sex = patient.one("administrativeGenderCode");
    assert_eq!(sex.attr("code"), Some("F"));
    assert_eq!(sex.attr("displayName"), Some("Féminin"));
    assert_eq!(sex.attr("codeSystem"), Some("2.16.840.1.113883.5.1"));
    assert_eq!(patient.one("birthTime").attr("value"), Some("19450317"));
    assert_eq!(patient.one("birthplace/place/addr/county").text, "69123");
}

#[test]
fn person_author_custodian_performer_encounter() {
    let root = parse(&build(&golden_header(), &golden_content()).unwrap());
    let author = root.one("author");
    assert_eq!(
        author.child_names(),
        ["functionCode", "time", "assignedAuthor"]
    );
    assert_eq!(author.one("functionCode").attr("code"), Some("ATTPHYS"));
    let aa = author.one("assignedAuthor");
    assert_eq!(aa.one("id").attr("root"), Some(oid::PS_IDNAT));
    assert_eq!(aa.one("id").attr("extension"), Some("899900100019"));
    assert_eq!(aa.one("code").attr("code"), Some("G15_10/SM26"));
    assert_eq!(aa.one("assignedPerson/name/family").text, "MARTIN");
    assert_eq!(
        aa.one("representedOrganization/id").attr("root"),
        Some(oid::STRUCT_IDNAT)
    );
    assert_eq!(
        aa.one("representedOrganization/id").attr("extension"),
        Some("1690800123")
    );
    let cust = root.one("custodian/assignedCustodian/representedCustodianOrganization");
    assert_eq!(cust.one("id").attr("extension"), Some("1690800123"));
    assert_eq!(cust.one("name").text, "EHPAD Les Tilleuls");
    let la = root.one("legalAuthenticator");
    assert_eq!(
        la.child_names(),
        ["time", "signatureCode", "assignedEntity"]
    );
    assert_eq!(la.one("signatureCode").attr("code"), Some("S"));
    let ev = root.one("documentationOf/serviceEvent");
    assert_eq!(
        ev.one("effectiveTime/low").attr("value"),
        Some("20240315090000+0100")
    );
    assert_eq!(
        ev.one("effectiveTime/high").attr("value"),
        Some("20240315142500+0100")
    );
    let perf = ev.one("performer");
    assert_eq!(perf.attr("typeCode"), Some("PRF"));
    assert_eq!(
        perf.one("assignedEntity/id").attr("extension"),
        Some("899900100019")
    );
    let sic = perf.one("assignedEntity/representedOrganization/standardIndustryClassCode");
    assert_eq!(sic.attr("code"), Some("ESSMS"));
    assert_eq!(sic.attr("codeSystem"), Some("1.2.250.1.213.1.1.4.9"));
    let enc = root.one("componentOf/encompassingEncounter");
    assert_eq!(
        enc.one("effectiveTime/low").attr("value"),
        Some("20231102100000+0100")
    );
    let code = enc.one("location/healthCareFacility/code");
    assert_eq!(code.attr("code"), Some("SA17"));
    assert_eq!(
        code.attr("displayName"),
        Some("Etablissement pour personnes âgées")
    );
    assert!(code.children.is_empty());
}

#[test]
fn escaping_and_non_bmp_characters() {
    let mut h = golden_header();
    h.patient.traits.birth_family_name = "D'Artagnan <Jr> & \"Fils\"".to_owned();
    h.title = "Synthèse 𝔘 😀 <urgent> & \"vite\"".to_owned();
    h.structure.name = "EHPAD \"Les <Tilleuls>\" & Cie".to_owned();
    let bytes = build(&h, &golden_content()).unwrap();
    dump("escaping", &bytes);
    let s = std::str::from_utf8(&bytes).unwrap();
    assert!(s.contains("<family qualifier=\"BR\">D'Artagnan &lt;Jr&gt; &amp; \"Fils\"</family>"));
    assert!(s.contains("<title>Synthèse 𝔘 😀 &lt;urgent&gt; &amp; \"vite\"</title>"));
    let root = parse(&bytes);
    assert_eq!(root.one("title").text, h.title);
    assert_eq!(
        root.all("recordTarget/patientRole/patient/name/family")[0].text,
        h.patient.traits.birth_family_name
    );
    assert_eq!(
        root.one("custodian/assignedCustodian/representedCustodianOrganization/name")
            .text,
        h.structure.name
    );
}

#[test]
fn forbidden_characters_are_errors_naming_the_field() {
    type Change = Box<dyn Fn(&mut CdaHeader)>;
    let cases: Vec<(&str, Change)> = vec![
        (
            "patient.traits.birth_family_name",
            Box::new(|h| h.patient.traits.birth_family_name = "DU\u{7}PONT".into()),
        ),
        ("title", Box::new(|h| h.title = "DLU\u{0}".into())),
        ("title", Box::new(|h| h.title = "DLU \u{FFFF}".into())),
        (
            "patient.traits.used_family_name",
            Box::new(|h| h.patient.traits.used_family_name = Some("X\u{FFFE}".into())),
        ),
        (
            "patient.ipp.id",
            Box::new(|h| {
                if let Some(ipp) = &mut h.patient.ipp {
                    ipp.id = "A\u{1B}B".into();
                }
            }),
        ),
        (
            "structure.name",
            Box::new(|h| h.structure.name = "EHPAD\u{FFFF}".into()),
        ),
        (
            "legal_authenticator.given_name",
            Box::new(|h| h.legal_authenticator.person.given_name = "Cl\u{FFFE}".into()),
        ),
    ];
    for (field, change) in cases {
        let mut h = golden_header();
        change(&mut h);
        let e = build(&h, &golden_content()).unwrap_err();
        assert_eq!(field_of(&e), field, "{e}");
    }
    let mut h = device_header();
    h.authors = vec![Author::Device {
        id: IdNatPs::new("3690800123/DUI-1").unwrap(),
        manufacturer_model_name: "Éditeur".into(),
        software_name: "DUI\u{FFFF}".into(),
        time: at("2024-03-15T14:25:00+01:00"),
    }];
    let e = build(&h, &golden_content()).unwrap_err();
    assert_eq!(field_of(&e), "authors[0].software_name");
}

#[test]
fn title_length_limit() {
    let mut h = golden_header();
    h.title = "é".repeat(128);
    assert!(build(&h, &golden_content()).is_ok());
    h.title = "é".repeat(129);
    let e = build(&h, &golden_content()).unwrap_err();
    assert_eq!(field_of(&e), "title");
}

#[test]
fn invalid_headers_are_refused() {
    let mut h = golden_header();
    h.version_number = 2;
    assert_eq!(
        field_of(&build(&h, &golden_content()).unwrap_err()),
        "replaces"
    );
    let mut h = golden_header();
    h.authors.clear();
    assert_eq!(
        field_of(&build(&h, &golden_content()).unwrap_err()),
        "authors"
    );
    let mut h = golden_header();
    h.structure.sector = "SA99".into();
    assert_eq!(
        field_of(&build(&h, &golden_content()).unwrap_err()),
        "structure.sector"
    );
    let mut h = golden_header();
    h.effective_time = at("2024-03-15T14:30:00.5+01:00");
    assert_eq!(
        field_of(&build(&h, &golden_content()).unwrap_err()),
        "effective_time"
    );
}

#[test]
fn replacement_points_to_the_parent() {
    let h = replacement_header();
    let bytes = build(&h, &golden_content()).unwrap();
    dump("replacement", &bytes);
    let root = parse(&bytes);
    assert_eq!(root.one("versionNumber").attr("value"), Some("2"));
    assert_eq!(
        root.one("setId").attr("root"),
        Some("1.2.250.1.999.1.1.7898.3.20240315")
    );
    let rd = root.one("relatedDocument");
    assert_eq!(rd.attr("typeCode"), Some("RPLC"));
    assert_eq!(
        rd.one("parentDocument/id").attr("root"),
        Some("1.2.250.1.999.1.1.7898.3.20240315.1")
    );
    let names = root.child_names();
    let pos = |n: &str| names.iter().position(|x| *x == n).unwrap();
    assert_eq!(pos("relatedDocument"), pos("documentationOf") + 1);
    assert_eq!(pos("componentOf"), pos("relatedDocument") + 1);
}

#[test]
fn device_author_and_essms_category() {
    let bytes = build(&device_header(), &golden_content()).unwrap();
    dump("device", &bytes);
    let root = parse(&bytes);
    let author = root.one("author");
    assert_eq!(author.child_names(), ["time", "assignedAuthor"]);
    let aa = author.one("assignedAuthor");
    assert_eq!(
        aa.child_names(),
        [
            "id",
            "code",
            "assignedAuthoringDevice",
            "representedOrganization"
        ]
    );
    assert_eq!(aa.one("id").attr("extension"), Some("3690800123/DUI-1"));
    let code = aa.one("code");
    assert_eq!(code.attr("code"), Some("LOGICIEL_DUI"));
    assert_eq!(
        code.attr("displayName"),
        Some("Logiciel de Dossier Usager Informatisé")
    );
    assert_eq!(code.attr("codeSystem"), Some("1.2.250.1.213.1.1.4.6"));
    assert_eq!(
        aa.one("assignedAuthoringDevice/manufacturerModelName").text,
        "Éditeur DUI"
    );
    assert_eq!(
        aa.one("assignedAuthoringDevice/softwareName").text,
        "MonDUI 4.2"
    );
    let perf = root.one("documentationOf/serviceEvent/performer/assignedEntity");
    assert_eq!(perf.one("id").attr("extension"), Some("899900100027"));
    assert_eq!(perf.one("code").attr("code"), Some("G15_60"));
    let enc = root.one("componentOf/encompassingEncounter");
    let et = enc.one("effectiveTime");
    assert_eq!(et.attr("nullFlavor"), Some("UNK"));
    assert!(et.children.is_empty());
    let code = enc.one("location/healthCareFacility/code");
    assert_eq!(code.attr("code"), Some("SA16"));
    let tr = code.one("translation");
    assert_eq!(tr.attr("code"), Some("255"));
    assert_eq!(tr.attr("codeSystem"), Some("1.2.250.1.213.1.6.1.8"));
    assert!(tr.attr("displayName").is_some());
}

#[test]
fn confidentiality_levels_use_the_table() {
    for (level, code, display) in [
        (ConfidentialityLevel::R, "R", "Restreint"),
        (ConfidentialityLevel::V, "V", "Très restreint"),
    ] {
        let mut h = CdaHeader {
            confidentiality: level,
            ..golden_header()
        };
        // Also: a used first name and a partial birth date (day unknown).
        h.patient.traits.used_given_name = Some("Marie-Lou".into());
        h.patient.traits.birth_date = "1945-03-00".parse().unwrap();
        let bytes = build(&h, &golden_content()).unwrap();
        dump(&format!("confidentiality-{code}"), &bytes);
        let root = parse(&bytes);
        let patient = root.one("recordTarget/patientRole/patient");
        assert_eq!(patient.one("birthTime").attr("value"), Some("194503"));
        let last = patient.one("name").children.last().unwrap();
        assert_eq!(
            (
                last.name.as_str(),
                last.attr("qualifier"),
                last.text.as_str()
            ),
            ("given", Some("CL"), "Marie-Lou")
        );
        let c = root.one("confidentialityCode");
        assert_eq!(c.attr("code"), Some(code));
        assert_eq!(c.attr("displayName"), Some(display));
    }
}

#[test]
fn media_types_and_base64_round_trip() {
    let text = Content {
        media_type: MediaType::Text,
        data: "Transmissions du 15/03 : RAS.\nÀ revoir lundi.\n"
            .as_bytes()
            .to_vec(),
    };
    let h = CdaHeader {
        kind: DocumentKind::SuiviSoinsAuxiliaire,
        title: "Transmissions infirmières".into(),
        ..golden_header()
    };
    let bytes = build(&h, &text).unwrap();
    dump("text", &bytes);
    let root = parse(&bytes);
    assert_eq!(
        root.one("component/nonXMLBody/text").attr("mediaType"),
        Some("text/plain")
    );
    assert_eq!(body_bytes(&root), text.data);

    // A PDF header then 1 MB of pseudo-random bytes (every byte value, no accidental XML
    // structure).
    let mut x: u32 = 0x1234_5678;
    let data: Vec<u8> = b"%PDF-1.7\n"
        .iter()
        .copied()
        .chain((0..1_000_003).map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        }))
        .collect();
    // The same bytes without the header are not a PDF: refused, with what was found.
    let not_pdf = Content {
        media_type: MediaType::Pdf,
        data: data[9..].to_vec(),
    };
    let err = build(&golden_header(), &not_pdf).unwrap_err();
    let inv = err.as_invalid().unwrap();
    assert_eq!(inv.field, "content");
    assert!(inv.rule.contains("%PDF-"), "{err}");
    assert!(
        inv.value.starts_with("1000003 bytes starting with"),
        "{err}"
    );
    let pdf = Content {
        media_type: MediaType::Pdf,
        data,
    };
    let bytes = build(&golden_header(), &pdf).unwrap();
    let root = parse(&bytes);
    assert_eq!(
        root.one("component/nonXMLBody/text").attr("mediaType"),
        Some("application/pdf")
    );
    assert_eq!(body_bytes(&root), pdf.data);
    // The base64 is on one line.
    let s = std::str::from_utf8(&bytes).unwrap();
    let line = s
        .lines()
        .find(|l| l.contains("representation=\"B64\""))
        .unwrap();
    assert!(line.len() > 1_333_000 && line.ends_with("</text>"));

    let empty = Content {
        media_type: MediaType::Pdf,
        data: Vec::new(),
    };
    // An empty body is refused: the DMP has nothing to show.
    let err = build(&golden_header(), &empty).unwrap_err();
    assert_eq!(err.as_invalid().unwrap().field, "content.data");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]

    /// Any title and family name: either an error naming a field, or a well-formed document
    /// that gives them back exactly.
    #[test]
    fn any_text_is_an_error_or_round_trips(title in "\\PC{0,40}|.{0,10}", family in ".{0,20}") {
        let mut h = golden_header();
        h.title = title;
        h.patient.traits.birth_family_name = family;
        match build(&h, &golden_content()) {
            Err(e) => {
                let f = field_of(&e);
                proptest::prop_assert!(
                    f == "title" || f == "patient.traits.birth_family_name",
                    "unexpected field {}", f
                );
            }
            Ok(bytes) => {
                let root = parse(&bytes);
                proptest::prop_assert_eq!(&root.one("title").text, &h.title);
                proptest::prop_assert_eq!(
                    &root.all("recordTarget/patientRole/patient/name/family")[0].text,
                    &h.patient.traits.birth_family_name
                );
            }
        }
    }
}

/// Issue 13: the bytes must be what the media type declares (10 MB of random bytes declared
/// `application/pdf` used to go through).
#[test]
fn content_must_match_its_declared_type() {
    let ok: [(MediaType, &[u8]); 6] = [
        (MediaType::Pdf, b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"),
        (MediaType::Pdf, b"\xef\xbb\xbf  %PDF-1.7"),
        (MediaType::Jpeg, b"\xff\xd8\xff\xe0\x00\x10JFIF"),
        (MediaType::Tiff, b"II*\0\x08\0\0\0"),
        (MediaType::Rtf, b"{\\rtf1\\ansi Bonjour}"),
        (MediaType::Text, "Résidente chutée à 3 h".as_bytes()),
    ];
    for (media_type, data) in ok {
        let c = Content {
            media_type,
            data: data.to_vec(),
        };
        c.check_format().unwrap();
        build(&golden_header(), &c).unwrap();
    }
    let bad: [(MediaType, &[u8]); 5] = [
        (MediaType::Pdf, b"GIF89a"),
        (MediaType::Jpeg, b"%PDF-1.4"),
        (MediaType::Tiff, b"MM*\0"),
        (MediaType::Rtf, b"rtf1"),
        (MediaType::Text, b"R\xe9sidente"),
    ];
    for (media_type, data) in bad {
        let c = Content {
            media_type,
            data: data.to_vec(),
        };
        let e = build(&golden_header(), &c).unwrap_err();
        let inv = e.as_invalid().unwrap();
        assert_eq!(inv.field, "content", "{e}");
        assert!(inv.rule.contains(media_type.mime()), "{e}");
    }
}

/// The digest the feed signs ([`dmp_core::cda::PreparedCda::write_digesting`], computed while
/// the document is written) is the digest of the canonical form (C14N 1.0 with comments) of
/// the document parsed again, as a verifier computes it: headers with characters that C14N
/// writes otherwise than our writer (`>` and `"` in attributes and text, non-BMP characters),
/// bodies around the encoder's chunk size and each base64 padding, both digests.
#[test]
fn digest_while_writing_equals_the_c14n_of_the_document_read_again() {
    use dmp_core::crypto::DigestAlgorithm;
    use dmp_core::xml::c14n::{canonicalize, C14nMethod};
    use dmp_core::xml::reader::Limits;
    use dmp_core::xml::tree::Tree;
    use std::borrow::Cow;

    let mut odd = golden_header();
    odd.title = "Synthèse 𝔘 😀 <urgent> & \"vite\" 'a'".to_owned();
    odd.structure.name = "EHPAD \"Les <Tilleuls>\" & Cie".to_owned();
    if let Some(ipp) = &mut odd.patient.ipp {
        ipp.id = "A<1>&\"2\"".to_owned();
    }
    let headers = [golden_header(), device_header(), replacement_header(), odd];
    let chunk = 3 * 16 * 1024;
    for (n, header) in headers.iter().enumerate() {
        for len in [
            9,
            10,
            11,
            chunk - 1,
            chunk,
            chunk + 1,
            2 * chunk + 2,
            100_003,
        ] {
            let mut data = b"%PDF-1.4\n".to_vec();
            data.extend((0..len - 9).map(|i| (i * 7 % 251) as u8));
            let content = Content {
                media_type: MediaType::Pdf,
                data,
            };
            let expected = build(header, &content).unwrap();
            let tree = Tree::parse(&expected, &Limits::default()).unwrap();
            let canonical =
                canonicalize(&tree, None, None, &C14nMethod::Inclusive { comments: true }).unwrap();
            let cda = dmp_core::cda::prepare(header, Cow::Borrowed(&content)).unwrap();
            assert_eq!(cda.len(), expected.len(), "header {n}, {len} bytes");
            for alg in [DigestAlgorithm::Sha1, DigestAlgorithm::Sha256] {
                let mut out = b"--before--".to_vec();
                let digest = cda.write_digesting(&mut out, alg).unwrap();
                assert_eq!(&out[10..], &expected[..], "header {n}, {len} bytes");
                assert_eq!(
                    digest,
                    alg.digest(&canonical),
                    "header {n}, {len} bytes, {alg:?}"
                );
            }
        }
    }
}

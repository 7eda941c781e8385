//! Integration tests: reading CDA documents (official CI-SIS examples, a hand-made minimal
//! document) with the hardened XML reader, and converting the header into the validated model.
//! The larger CI-SIS examples and the CDA of the official DMP sample messages are read from
//! `../shared` (the latter not copied here, for licensing reasons); without it those tests
//! print a `skipped:` note.

mod common;

use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset};
use dmp_core::cda::{
    read, read_with_limits, Author, CdaHeader, MediaType, RawBody, RawHeader, RawId, ReadDocument,
};
use dmp_core::ids::{Finess, IdNatPs, Ins, Oid};
use dmp_core::model::{ConfidentialityLevel, DocumentKind, Sex};
use dmp_core::xml::reader::Limits;
use dmp_core::Error;
use proptest::prelude::*;

const N1: &[u8] = include_bytes!("fixtures/cisis/DOC_NON_STRUCTURE_CDA-R2-N1.xml");
const LDL: &[u8] = include_bytes!("fixtures/cisis/LDL-EES_2022.01.xml");
const VSM: &[u8] = include_bytes!("fixtures/cisis/VSM_1.4_2022.01.xml");

fn shared_example(name: &str) -> Option<Vec<u8>> {
    common::cisis_example(name)
}

fn t(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn id(root: &str, ext: Option<&str>) -> RawId {
    RawId {
        root: Some(root.to_owned()),
        extension: ext.map(str::to_owned),
        null_flavor: None,
    }
}

fn invalid(r: Result<CdaHeader, Error>) -> dmp_core::Invalid {
    match r {
        Err(Error::Invalid(inv)) => inv,
        other => panic!("expected Error::Invalid, got {other:?}"),
    }
}

fn data_error(r: Result<ReadDocument, Error>) -> (String, usize, String) {
    match r {
        Err(Error::Data {
            source_name,
            line,
            message,
        }) => (source_name, line, message),
        other => panic!("expected Error::Data, got {:?}", other.map(|d| d.header)),
    }
}

/// The patient block shared by every official example of the TestContenuCDA.
fn assert_pat_trois(h: &RawHeader) {
    let p = h.patient.as_ref().unwrap();
    assert_eq!(
        p.ids[0],
        id("1.2.250.1.213.1.4.10", Some("279035121518989"))
    );
    assert_eq!(p.ids[1], id("1.2.3.4.567.8.9.10", Some("1234567890121")));
    let name = p.name.as_ref().unwrap();
    let parts = |v: &[dmp_core::cda::RawNamePart]| {
        v.iter()
            .map(|p| (p.value.trim().to_owned(), p.qualifier.clone()))
            .collect::<Vec<_>>()
    };
    let q = |s: &str| Some(s.to_owned());
    assert_eq!(
        parts(&name.family),
        [("PAT-TROIS".into(), q("BR")), ("PAT-TROIS".into(), q("CL"))]
    );
    assert_eq!(
        parts(&name.given),
        [
            ("DOMINIQUE MARIE-LOUISE".into(), None),
            ("DOMINIQUE".into(), q("BR")),
            ("DOMINIQUE".into(), q("CL"))
        ]
    );
    assert_eq!(p.gender.as_ref().unwrap().code.as_deref(), Some("F"));
    assert_eq!(p.birth_time.as_deref(), Some("19790328"));
    assert_eq!(p.birthplace_county.as_deref(), Some("51215"));
}

#[test]
fn official_n1_example_reads() {
    let doc = read(N1).unwrap();
    let h = &doc.header;
    let roots: Vec<&str> = h
        .template_ids
        .iter()
        .map(|t| t.root.as_deref().unwrap())
        .collect();
    assert_eq!(
        roots,
        [
            "2.16.840.1.113883.2.8.2.1",
            "1.2.250.1.213.1.1.1.1",
            "1.3.6.1.4.1.19376.1.2.20"
        ]
    );
    assert_eq!(h.id, Some(id("1.3.6.1.4.1.19376.1.2.20.12345.1.1", None)));
    let code = h.code.as_ref().unwrap();
    assert_eq!(code.code.as_deref(), Some("11502-2"));
    assert_eq!(code.code_system.as_deref(), Some("2.16.840.1.113883.6.1"));
    assert_eq!(
        code.display_name.as_deref(),
        Some("CR d'examens biologiques")
    );
    assert_eq!(
        h.title.as_deref(),
        Some("Compte rendu d'examens biologiques")
    );
    let et = h.effective_time.as_ref().unwrap();
    assert_eq!(et.value.as_deref(), Some("20210401134745+0100"));
    assert_eq!(et.parsed, Some(t("2021-04-01T13:47:45+01:00")));
    assert_eq!(
        h.confidentiality_code.as_ref().unwrap().code.as_deref(),
        Some("N")
    );
    assert_eq!(h.language_code.as_deref(), Some("fr-FR"));
    assert_eq!(h.set_id, Some(id("1.3.6.1.4.1.19376.1.2.20.12345.1", None)));
    assert_eq!(h.version_number.as_deref(), Some("1"));
    assert!(h.related_documents.is_empty());
    assert_pat_trois(h);

    assert_eq!(h.authors.len(), 1);
    let a = &h.authors[0];
    assert_eq!(
        a.time.as_ref().unwrap().parsed,
        Some(t("2021-01-04T16:05:27+01:00"))
    );
    assert_eq!(
        a.assigned.ids,
        [id("1.2.250.1.71.4.2.1", Some("801234534765"))]
    );
    let ac = a.assigned.code.as_ref().unwrap();
    assert_eq!(ac.code.as_deref(), Some("G15_10/SM03"));
    assert_eq!(ac.code_system.as_deref(), Some("1.2.250.1.213.1.1.4.5"));
    let an = a.assigned.person.as_ref().unwrap();
    assert_eq!(an.family[0].value, "CAMPARINI");
    assert_eq!(an.given[0].value, "Marcel");
    assert_eq!(an.prefix, ["M"]);
    assert_eq!(an.suffix, ["DR"]);
    assert!(a.assigned.device.is_none());
    let org = a.assigned.organization.as_ref().unwrap();
    assert_eq!(org.ids, [id("1.2.250.1.71.4.2.2", Some("1120459876"))]);
    assert_eq!(org.name.as_deref(), Some("Laboratoire des charmes"));

    let c = h.custodian.as_ref().unwrap();
    assert_eq!(c.ids, [id("1.2.250.1.71.4.2.2", Some("1120459876"))]);
    assert_eq!(c.name.as_deref(), Some("Laboratoire des charmes"));

    let la = h.legal_authenticator.as_ref().unwrap();
    assert_eq!(la.signature_code.as_deref(), Some("S"));
    assert_eq!(
        la.assigned.ids,
        [id("1.2.250.1.71.4.2.1", Some("807505123456"))]
    );
    assert_eq!(
        la.assigned.person.as_ref().unwrap().family[0].value,
        "Camparini"
    );
    assert_eq!(
        la.time.as_ref().unwrap().value.as_deref(),
        Some("20200701134745+0100")
    );

    assert_eq!(h.service_events.len(), 1);
    let se = &h.service_events[0];
    let se_t = se.effective_time.as_ref().unwrap();
    assert_eq!(
        se_t.low.as_ref().unwrap().parsed,
        Some(t("2021-01-04T13:47:00+01:00"))
    );
    assert_eq!(
        se_t.high.as_ref().unwrap().parsed,
        Some(t("2021-01-04T13:55:00+01:00"))
    );
    let perf = se.performer.as_ref().unwrap();
    assert_eq!(perf.ids, [id("1.2.250.1.71.4.2.1", Some("801234567893"))]);
    assert_eq!(perf.person.as_ref().unwrap().family[0].value, "BLEEDER");
    let porg = perf.organization.as_ref().unwrap();
    assert_eq!(
        porg.standard_industry_class_code
            .as_ref()
            .unwrap()
            .code
            .as_deref(),
        Some("AMBULATOIRE")
    );

    let enc = h.encounter.as_ref().unwrap();
    let low = enc.effective_time.as_ref().unwrap().low.as_ref().unwrap();
    // Written without a UTC offset: kept as written, not parsed.
    assert_eq!(low.value.as_deref(), Some("20200701134745"));
    assert_eq!(low.parsed, None);
    assert_eq!(
        enc.facility_code.as_ref().unwrap().code.as_deref(),
        Some("SA07")
    );

    assert_eq!(
        h.body,
        RawBody::NonXml {
            media_type: Some("application/pdf".into()),
            representation: Some("B64".into())
        }
    );
    let content = doc.content.as_ref().unwrap();
    assert_eq!(content.media_type, MediaType::Pdf);
    assert!(content.data.starts_with(b"%PDF"), "decoded body is a PDF");
    assert!(content.data.len() > 300_000);
    assert!(content.data.ends_with(b"%%EOF\r\n") || content.data.ends_with(b"%%EOF"));

    // The raw header is JSON for `dmp cda show`, and reads back.
    let json = serde_json::to_string_pretty(h).unwrap();
    assert!(
        json.contains("\"parsed\": \"2021-04-01T13:47:45+01:00\""),
        "{json}"
    );
    let back: RawHeader = serde_json::from_str(&json).unwrap();
    assert_eq!(&back, h);
}

#[test]
fn official_n1_example_header_fails_on_its_test_rpps() {
    let doc = read(N1).unwrap();
    // 11502-2 (CR d'examens biologiques) is a kind an ESSMS reads from laboratories.
    assert_eq!(
        DocumentKind::from_type_code("11502-2"),
        Some(DocumentKind::CrBiologie)
    );
    // The header's fault is the author's RPPS 01234534765, whose Luhn key is wrong (the
    // example's test identifiers are not valid).
    let inv = invalid(doc.to_header());
    assert_eq!(inv.field, "authors[0].person.idnat");
    assert_eq!(inv.value, "801234534765");
    assert!(inv.rule.contains("Luhn"), "{}", inv.rule);
}

#[test]
fn official_structured_examples_read() {
    let vsm = read(VSM).unwrap();
    assert_eq!(vsm.content, None);
    let h = &vsm.header;
    assert_eq!(h.body, RawBody::Structured);
    assert_eq!(h.code.as_ref().unwrap().code.as_deref(), Some("SYNTH"));
    assert_eq!(
        h.template_ids[2],
        id("1.2.250.1.213.1.1.1.13", Some("201310"))
    );
    assert_eq!(h.title.as_deref(), Some("Synthèse Médicale"));
    assert_eq!(
        h.effective_time.as_ref().unwrap().parsed,
        Some(t("2020-03-12T11:17:00+01:00"))
    );
    assert_pat_trois(h);
    let a = &h.authors[0];
    assert_eq!(
        a.function_code.as_ref().unwrap().code.as_deref(),
        Some("PCP")
    );
    assert_eq!(
        a.assigned.ids,
        [id("1.2.250.1.71.4.2.1", Some("801234567897"))]
    );
    assert_eq!(
        a.assigned.person.as_ref().unwrap().family[0].value,
        "MEDIONI"
    );
    assert_eq!(
        h.custodian.as_ref().unwrap().name.as_deref(),
        Some("Centre de soins le Belvédère")
    );
    let enc = h.encounter.as_ref().unwrap();
    assert_eq!(enc.code.as_ref().unwrap().code.as_deref(), Some("EXTERNE"));
    assert!(enc.effective_time.as_ref().unwrap().low.is_none());
    assert_eq!(
        enc.facility_code.as_ref().unwrap().code.as_deref(),
        Some("SA04")
    );
    // VSM's type code SYNTH is an ESSMS kind; the header then fails on the custodian's test
    // FINESS 120456789 (wrong Luhn key).
    let inv = invalid(vsm.to_header());
    assert_eq!(inv.field, "structure.finess");
    assert_eq!(inv.value, "1120456789");
    assert!(inv.rule.contains("Luhn"), "{}", inv.rule);

    let ldl = read(LDL).unwrap();
    assert_eq!(ldl.content, None);
    let h = &ldl.header;
    assert_eq!(h.body, RawBody::Structured);
    assert_eq!(h.code.as_ref().unwrap().code.as_deref(), Some("18761-7"));
    assert_eq!(
        h.template_ids[2],
        id("1.2.250.1.213.1.1.1.21", Some("2022.01"))
    );
    assert_eq!(h.id, Some(id("1.2.250.1.213.1.1.1.21.2022.1.1", None)));
    assert_pat_trois(h);
    assert_eq!(
        h.authors[0].assigned.person.as_ref().unwrap().family[0].value,
        "BOILEAU"
    );
    let se = &h.service_events[0];
    assert_eq!(se.code.as_ref().unwrap().code.as_deref(), Some("IMP"));
    assert_eq!(
        se.performer
            .as_ref()
            .unwrap()
            .organization
            .as_ref()
            .unwrap()
            .standard_industry_class_code
            .as_ref()
            .unwrap()
            .code
            .as_deref(),
        Some("ETABLISSEMENT")
    );
    let et = h
        .encounter
        .as_ref()
        .unwrap()
        .effective_time
        .as_ref()
        .unwrap();
    assert_eq!(
        et.high.as_ref().unwrap().parsed,
        Some(t("2019-10-29T11:18:00+01:00"))
    );
    assert_eq!(invalid(ldl.to_header()).field, "kind");
}

#[test]
fn dmp_sample_document_reads() {
    // UTF-8 BOM, no XML declaration, no setId, a text/plain body.
    let Some(td21) = common::official_message("TD2.1-DocumentME2.xml") else {
        return;
    };
    assert!(td21.starts_with(b"\xEF\xBB\xBF"));
    let doc = read(&td21).unwrap();
    let h = &doc.header;
    assert_eq!(h.set_id, None);
    assert_eq!(h.code.as_ref().unwrap().code.as_deref(), Some("27899-4"));
    let p = h.patient.as_ref().unwrap();
    assert_eq!(
        p.ids[0],
        id("1.2.250.1.213.1.4.10", Some("207058575627097"))
    );
    let fam = &p.name.as_ref().unwrap().family[0];
    assert_eq!(
        (fam.value.as_str(), fam.qualifier.as_deref()),
        ("patb-quatre", Some("SP"))
    );
    let se = &h.service_events[0];
    let low = se.effective_time.as_ref().unwrap().low.as_ref().unwrap();
    assert_eq!((low.value.as_deref(), low.parsed), (Some("20190221"), None));
    let content = doc.content.unwrap();
    assert_eq!(content.media_type, MediaType::Text);
    assert!(content.data.starts_with(b"<?xml version=\"1.0\""));
}

#[test]
fn official_dlu_example_reads() {
    let Some(xml) = shared_example("DLU-EHPAD-DLU_2022.01.xml") else {
        return;
    };
    let doc = read(&xml).unwrap();
    assert_eq!(doc.content, None);
    let h = &doc.header;
    assert_eq!(h.body, RawBody::Structured);
    assert_eq!(h.code.as_ref().unwrap().code.as_deref(), Some("74207-2"));
    assert_eq!(h.title.as_deref(), Some("DOCUMENT DE LIAISON D'URGENCE"));
    assert_pat_trois(h);
    assert_eq!(
        h.custodian.as_ref().unwrap().ids,
        [id("1.2.250.1.71.4.2.2", Some("1750803447"))]
    );
    assert_eq!(
        h.encounter
            .as_ref()
            .unwrap()
            .facility_code
            .as_ref()
            .unwrap()
            .code
            .as_deref(),
        Some("SA17")
    );
    // The performer's given name is written "Charles " (trailing space): kept as written.
    let perf = h.service_events[0].performer.as_ref().unwrap();
    assert_eq!(perf.person.as_ref().unwrap().given[0].value, "Charles ");
    // The DLU example is the one official example whose header passes every check of the
    // model (ESSMS kind, valid INS, RPPS and FINESS keys, JDV codes).
    let hd = doc.to_header().unwrap();
    assert_eq!(hd.kind, DocumentKind::Dlu);
    assert_eq!(hd.effective_time, t("2020-03-27T15:35:00+01:00"));
    assert_eq!(
        hd.patient.traits.birth_given_names,
        ["DOMINIQUE", "MARIE-LOUISE"]
    );
    assert_eq!(hd.patient.traits.used_family_name, None, "CL = BR");
    assert_eq!(hd.structure.finess.as_str(), "750803447");
    assert_eq!(hd.structure.name, "EHPAD DE BOULOGNE-BILLANCOURT");
    assert_eq!(hd.structure.sector, "SA17");
    assert_eq!(hd.structure.category, None);
    assert_eq!(hd.structure.practice_setting, "ETABLISSEMENT");
    assert_eq!(hd.legal_authenticator.person.given_name, "Charles");
    // The performer (no code, "Charles ") is the author by identifier: normalised away.
    assert_eq!(hd.service_event.performer, None);
    assert_eq!(hd.service_event.stop, Some(t("2020-03-27T15:55:00+01:00")));
    assert_eq!(hd.encounter.start, None);
    assert_eq!(hd.encounter.stop, Some(t("2020-03-27T15:35:00+01:00")));
}

#[test]
fn official_tddui_example_reads() {
    let Some(xml) = shared_example("CDA_TDDUI_Exemple_v1.0.1.xml") else {
        return;
    };
    let doc = read(&xml).unwrap();
    assert_eq!(doc.content, None);
    let h = &doc.header;
    assert_eq!(h.code.as_ref().unwrap().code.as_deref(), Some("EXPORT_DUI"));
    assert_eq!(
        h.patient.as_ref().unwrap().ids[0],
        id("1.2.250.1.213.1.4.8", Some("147720425367411"))
    );
    let a = &h.authors[0];
    assert_eq!(
        a.assigned.ids,
        [id("1.2.250.1.71.4.2.1", Some("3480787529/1453"))]
    );
    assert_eq!(
        a.assigned.code.as_ref().unwrap().code.as_deref(),
        Some("LOGICIEL_DUI")
    );
    let d = a.assigned.device.as_ref().unwrap();
    assert_eq!(d.manufacturer_model_name.as_deref(), Some("ANS"));
    assert_eq!(d.software_name.as_deref(), Some("MonDUI"));
    assert!(a.assigned.person.is_none());
    let fc = h
        .encounter
        .as_ref()
        .unwrap()
        .facility_code
        .as_ref()
        .unwrap();
    assert_eq!(fc.code.as_deref(), Some("SA41"));
    assert_eq!(fc.translations[0].code.as_deref(), Some("354"));
    assert_eq!(
        fc.translations[0].code_system.as_deref(),
        Some("1.2.250.1.213.1.6.1.8")
    );
    // The INS 147720425367411, under the production NIR root, has a wrong key.
    let inv = invalid(doc.to_header());
    assert_eq!(inv.field, "patient.ins");
    assert_eq!(inv.value, "147720425367411");
    assert!(inv.rule.contains("key"), "{}", inv.rule);
    // Past it, FINESS 480787529 (in the device id) has a wrong key too: a test identifier.
    let fixed = String::from_utf8(xml)
        .unwrap()
        .replacen("147720425367411", "245036912304502", 1);
    let inv = invalid(read(fixed.as_bytes()).unwrap().to_header());
    assert_eq!(inv.field, "authors[0].id");
    assert_eq!(inv.value, "3480787529/1453");
}

// ---------------------------------------------------------------------------------------------
// A hand-made minimal valid N1 document (structuration minimale §17 skeleton).

const PDF: &[u8] = b"%PDF-1.4\n%test\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

fn minimal_cda() -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(PDF);
    // Wrapped at 16 characters, as some producers do (76 is usual).
    let wrapped: Vec<&str> = b64
        .as_bytes()
        .chunks(16)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    MINIMAL.replace("{B64}", &wrapped.join("\n"))
}

const MINIMAL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <realmCode code="FR"/>
  <typeId root="2.16.840.1.113883.1.3" extension="POCD_HD000040"/>
  <templateId root="2.16.840.1.113883.2.8.2.1"/>
  <templateId root="1.2.250.1.213.1.1.1.1"/>
  <templateId root="1.3.6.1.4.1.19376.1.2.20"/>
  <id root="1.2.250.1.999.1.2.3.2"/>
  <code code="74207-2" codeSystem="2.16.840.1.113883.6.1" displayName="Dossier de liaison d'urgence"/>
  <title>DLU de M. Test</title>
  <effectiveTime value="20240131143000+0100"/>
  <confidentialityCode code="N" codeSystem="2.16.840.1.113883.5.25" displayName="Normal"/>
  <languageCode code="fr-FR"/>
  <setId root="1.2.250.1.999.1.2.3"/>
  <versionNumber value="2"/>
  <recordTarget><patientRole>
    <id root="1.2.250.1.213.1.4.10" extension="245036912304502"/>
    <id root="1.2.250.1.999.7" extension="IPP-42"/>
    <patient>
      <name><family qualifier="BR">TEST-ESSMS</family>
            <given qualifier="BR">Jean</given>
            <given>Jean Pierre  Marie</given>
            <family qualifier="CL">MARTIN</family>
            <given qualifier="CL">Jean</given></name>
      <administrativeGenderCode code="F" codeSystem="2.16.840.1.113883.5.1" displayName="Féminin"/>
      <birthTime value="19450300"/>
      <birthplace><place><addr><county>2A004</county></addr></place></birthplace>
    </patient>
  </patientRole></recordTarget>
  <author>
    <functionCode code="PCP" codeSystem="1.2.250.1.213.1.1.4.2.280" displayName="Médecin traitant"/>
    <time value="20240131142000+0100"/>
    <assignedAuthor>
      <id root="1.2.250.1.71.4.2.1" extension="899900100019"/>
      <code code="G15_10/SM26" codeSystem="1.2.250.1.213.1.1.4.5" displayName="Médecin - Qualifié en Médecine Générale (SM)"/>
      <assignedPerson><name><family>DUPONT</family><given>Anne</given></name></assignedPerson>
      <representedOrganization>
        <id root="1.2.250.1.71.4.2.2" extension="1690800123"/>
        <name>EHPAD Les Tilleuls</name>
      </representedOrganization>
    </assignedAuthor>
  </author>
  <author>
    <time value="20240131142500+0100"/>
    <assignedAuthor>
      <id root="1.2.250.1.71.4.2.1" extension="3690800123/DUI-1"/>
      <code code="LOGICIEL_DUI" codeSystem="1.2.250.1.213.1.1.4.6" displayName="Logiciel de Dossier Usager Informatisé"/>
      <assignedAuthoringDevice>
        <manufacturerModelName>Editeur &amp; Cie</manufacturerModelName>
        <softwareName>MonDUI 3.1</softwareName>
      </assignedAuthoringDevice>
      <representedOrganization>
        <id root="1.2.250.1.71.4.2.2" extension="1690800123"/>
        <name>EHPAD Les Tilleuls</name>
      </representedOrganization>
    </assignedAuthor>
  </author>
  <custodian><assignedCustodian><representedCustodianOrganization>
    <id root="1.2.250.1.71.4.2.2" extension="1690800123"/>
    <name>EHPAD Les Tilleuls</name>
  </representedCustodianOrganization></assignedCustodian></custodian>
  <legalAuthenticator>
    <time value="20240131143000+0100"/>
    <signatureCode code="S"/>
    <assignedEntity>
      <id root="1.2.250.1.71.4.2.1" extension="899900100019"/>
      <code code="G15_10/SM26" codeSystem="1.2.250.1.213.1.1.4.5" displayName="Médecin - Qualifié en Médecine Générale (SM)"/>
      <assignedPerson><name><family>DUPONT</family><given>Anne</given></name></assignedPerson>
      <representedOrganization>
        <id root="1.2.250.1.71.4.2.2" extension="1690800123"/>
        <name>EHPAD Les Tilleuls</name>
      </representedOrganization>
    </assignedEntity>
  </legalAuthenticator>
  <documentationOf><serviceEvent>
    <effectiveTime><low value="202401311400+0100"/><high value="20240131141500+0100"/></effectiveTime>
    <performer typeCode="PRF"><assignedEntity>
      <id root="1.2.250.1.71.4.2.1" extension="899900100019"/>
      <code code="G15_10/SM26" codeSystem="1.2.250.1.213.1.1.4.5" displayName="Médecin - Qualifié en Médecine Générale (SM)"/>
      <assignedPerson><name><family>DUPONT</family><given>Anne</given></name></assignedPerson>
      <representedOrganization>
        <id root="1.2.250.1.71.4.2.2" extension="1690800123"/>
        <name>EHPAD Les Tilleuls</name>
        <standardIndustryClassCode code="ESSMS" codeSystem="1.2.250.1.213.1.1.4.9" displayName="Etablissement ou Service Social ou Médico-Social"/>
      </representedOrganization>
    </assignedEntity></performer>
  </serviceEvent></documentationOf>
  <relatedDocument typeCode="RPLC"><parentDocument><id root="1.2.250.1.999.1.2.3.1"/></parentDocument></relatedDocument>
  <componentOf><encompassingEncounter>
    <effectiveTime><low value="20240101120000+0100"/></effectiveTime>
    <location><healthCareFacility>
      <code code="SA17" codeSystem="1.2.250.1.71.4.2.4" displayName="Etablissement pour personnes âgées">
        <translation code="354" codeSystem="1.2.250.1.213.1.6.1.8" displayName="SSIAD"/>
      </code>
    </healthCareFacility></location>
  </encompassingEncounter></componentOf>
  <component><nonXMLBody>
    <text mediaType="application/pdf" representation="B64">
{B64}
    </text>
  </nonXMLBody></component>
</ClinicalDocument>
"#;

#[test]
fn minimal_valid_cda_converts_field_by_field() {
    let xml = minimal_cda();
    let doc = read(xml.as_bytes()).unwrap();
    let content = doc.content.as_ref().unwrap();
    assert_eq!(content.media_type, MediaType::Pdf);
    assert_eq!(content.data, PDF);

    let h = doc.to_header().unwrap();
    assert_eq!(h.kind, DocumentKind::Dlu);
    assert_eq!(h.id, Oid::new("1.2.250.1.999.1.2.3.2").unwrap());
    assert_eq!(h.set_id, Oid::new("1.2.250.1.999.1.2.3").unwrap());
    assert_eq!(h.version_number, 2);
    assert_eq!(h.replaces, Some(Oid::new("1.2.250.1.999.1.2.3.1").unwrap()));
    assert_eq!(h.title, "DLU de M. Test");
    assert_eq!(h.effective_time, t("2024-01-31T14:30:00+01:00"));
    assert_eq!(h.effective_time.offset().local_minus_utc(), 3600);
    assert_eq!(h.confidentiality, ConfidentialityLevel::N);

    let p = &h.patient;
    assert_eq!(
        p.ins,
        Ins::parse("245036912304502", "1.2.250.1.213.1.4.10").unwrap()
    );
    let ipp = p.ipp.as_ref().unwrap();
    assert_eq!(ipp.id, "IPP-42");
    assert_eq!(ipp.authority.as_str(), "1.2.250.1.999.7");
    let tr = &p.traits;
    assert_eq!(tr.birth_family_name, "TEST-ESSMS");
    assert_eq!(tr.birth_given_names, ["Jean", "Pierre", "Marie"]);
    assert_eq!(tr.first_given_name, "Jean");
    assert_eq!(tr.used_family_name.as_deref(), Some("MARTIN"));
    assert_eq!(tr.used_given_name, None, "CL equal to the first given name");
    assert_eq!(tr.sex, Sex::F);
    assert_eq!(tr.birth_date.to_hl7(), "194503");
    assert_eq!(tr.birthplace_insee.as_ref().unwrap().as_str(), "2A004");

    assert_eq!(h.authors.len(), 2);
    match &h.authors[0] {
        Author::Person {
            person,
            time,
            function_code,
        } => {
            assert_eq!(person.idnat, "899900100019".parse::<IdNatPs>().unwrap());
            assert_eq!(person.family_name, "DUPONT");
            assert_eq!(person.given_name, "Anne");
            assert_eq!(person.specialty, "G15_10/SM26");
            assert_eq!(*time, t("2024-01-31T14:20:00+01:00"));
            assert_eq!(function_code.as_deref(), Some("PCP"));
        }
        other => panic!("{other:?}"),
    }
    match &h.authors[1] {
        Author::Device {
            id,
            manufacturer_model_name,
            software_name,
            time,
        } => {
            assert_eq!(id.to_string(), "3690800123/DUI-1");
            assert_eq!(manufacturer_model_name, "Editeur & Cie");
            assert_eq!(software_name, "MonDUI 3.1");
            assert_eq!(*time, t("2024-01-31T14:25:00+01:00"));
        }
        other => panic!("{other:?}"),
    }

    let s = &h.structure;
    assert_eq!(s.name, "EHPAD Les Tilleuls");
    assert_eq!(s.finess, Finess::new("690800123").unwrap());
    assert_eq!(s.sector, "SA17");
    assert_eq!(s.category.as_deref(), Some("354"));
    assert_eq!(s.practice_setting, "ESSMS");

    assert_eq!(h.legal_authenticator.person.family_name, "DUPONT");
    assert_eq!(h.legal_authenticator.time, t("2024-01-31T14:30:00+01:00"));

    assert_eq!(h.service_event.start, t("2024-01-31T14:00:00+01:00"));
    assert_eq!(h.service_event.stop, Some(t("2024-01-31T14:15:00+01:00")));
    assert_eq!(
        h.service_event.performer, None,
        "the performer is the first person author"
    );
    assert_eq!(h.performer(), h.first_person_author());
    assert_eq!(h.encounter.start, Some(t("2024-01-01T12:00:00+01:00")));
    assert_eq!(h.encounter.stop, None);
    h.validate().unwrap();
}

#[test]
fn minimal_cda_variants() {
    let base = minimal_cda();
    let convert = |from: &str, to: &str| {
        assert!(base.contains(from), "{from}");
        read(base.replacen(from, to, 1).as_bytes())
            .unwrap()
            .to_header()
    };

    // A performer other than the first person author is kept.
    let h = convert(
        r#"<family>DUPONT</family><given>Anne</given></name></assignedPerson>
      <representedOrganization>
        <id root="1.2.250.1.71.4.2.2" extension="1690800123"/>
        <name>EHPAD Les Tilleuls</name>
        <standardIndustryClassCode"#,
        r#"<family>DURAND</family><given>Paul</given></name></assignedPerson>
      <representedOrganization>
        <id root="1.2.250.1.71.4.2.2" extension="1690800123"/>
        <name>EHPAD Les Tilleuls</name>
        <standardIndustryClassCode"#,
    )
    .unwrap();
    assert_eq!(h.service_event.performer.unwrap().family_name, "DURAND");

    // A qualifier is a set: "BR CL" is the birth name and the used name.
    let h = convert(
        r#"<family qualifier="BR">TEST-ESSMS</family>"#,
        r#"<family qualifier="BR CL">TEST-ESSMS</family>"#,
    )
    .unwrap();
    assert_eq!(h.patient.traits.birth_family_name, "TEST-ESSMS");
    assert_eq!(h.patient.traits.used_family_name, None);

    // Unknown encounter dates.
    let h = convert(
        r#"<effectiveTime><low value="20240101120000+0100"/></effectiveTime>"#,
        r#"<effectiveTime nullFlavor="UNK"/>"#,
    )
    .unwrap();
    assert_eq!(h.encounter, Default::default());

    // Precise errors.
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            r#"extension="245036912304502""#,
            r#"extension="245036912304503""#,
            "patient.ins",
            "245036912304503",
        ),
        (
            r#"<code code="74207-2""#,
            r#"<code code="00000-0""#,
            "kind",
            "00000-0",
        ),
        (
            r#"<id root="1.2.250.1.999.1.2.3.2"/>"#,
            r#"<id root="1.2.250.1.999.1.2.3" extension="2"/>"#,
            "id",
            "1.2.250.1.999.1.2.3 / 2",
        ),
        (
            r#"<effectiveTime value="20240131143000+0100"/>"#,
            r#"<effectiveTime value="20240131143000"/>"#,
            "effective_time",
            "20240131143000",
        ),
        (
            r#"<administrativeGenderCode code="F""#,
            r#"<administrativeGenderCode code="X""#,
            "patient.traits.sex",
            "X",
        ),
        (
            r#"<county>2A004</county>"#,
            r#"<county>2C004</county>"#,
            "patient.traits.birthplace_insee",
            "2C004",
        ),
        (
            r#"<given qualifier="BR">Jean</given>"#,
            "",
            "patient.traits.first_given_name",
            "",
        ),
        (
            r#"extension="1690800123"/>
    <name>EHPAD Les Tilleuls</name>
  </representedCustodianOrganization>"#,
            r#"extension="1690800124"/>
    <name>EHPAD Les Tilleuls</name>
  </representedCustodianOrganization>"#,
            "structure.finess",
            "1690800124",
        ),
        (
            r#"<code code="SA17""#,
            r#"<code code="SA99""#,
            "structure.sector",
            "SA99",
        ),
        (
            r#"<relatedDocument typeCode="RPLC">"#,
            r#"<relatedDocument typeCode="XFRM">"#,
            "replaces",
            "XFRM",
        ),
        (
            r#"<versionNumber value="2"/>"#,
            r#"<versionNumber value="deux"/>"#,
            "version_number",
            "deux",
        ),
        (
            r#"<softwareName>MonDUI 3.1</softwareName>"#,
            "",
            "authors[1].software_name",
            "",
        ),
        (
            r#"<low value="202401311400+0100"/>"#,
            r#"<low value="20240131"/>"#,
            "service_event.start",
            "20240131",
        ),
    ];
    for (from, to, field, value) in cases {
        let inv = invalid(convert(from, to));
        assert_eq!(
            (inv.field.as_str(), inv.value.as_str()),
            (*field, *value),
            "{from} -> {to}: {}",
            inv.rule
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Hostile input.

fn assert_xml_error(r: Result<ReadDocument, Error>, needle: &str) {
    let (source, _, message) = data_error(r);
    assert_eq!(source, "xml", "{message}");
    assert!(message.contains(needle), "{message:?} lacks {needle:?}");
}

#[test]
fn billion_laughs_is_refused_quickly() {
    let mut xml =
        String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n");
    for i in 1..10 {
        let prev = if i == 1 {
            "lol".to_owned()
        } else {
            format!("lol{}", i - 1)
        };
        xml.push_str(&format!(
            "<!ENTITY lol{i} \"{}\">\n",
            format!("&{prev};").repeat(10)
        ));
    }
    xml.push_str("]>\n<lolz>&lol9;</lolz>");
    let start = Instant::now();
    assert_xml_error(read(xml.as_bytes()), "DOCTYPE");
    assert!(start.elapsed() < Duration::from_secs(1));
}

#[test]
fn external_and_unknown_entities_are_refused() {
    assert_xml_error(
        read(b"<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r>&x;</r>"),
        "DOCTYPE",
    );
    assert_xml_error(
        read(b"<!DOCTYPE r SYSTEM \"http://example.invalid/r.dtd\"><r/>"),
        "DOCTYPE",
    );
    assert_xml_error(
        read(b"<ClinicalDocument xmlns=\"urn:hl7-org:v3\"><title>&foo;</title></ClinicalDocument>"),
        "unknown entity",
    );
    assert_xml_error(read(b"<r a=\"&foo;\"/>"), "attribute");
    // The predefined entities and character references are fine.
    let doc = read("<ClinicalDocument xmlns=\"urn:hl7-org:v3\"><title>&lt;&amp;&#233;&#x41;&quot;&apos;&gt;</title></ClinicalDocument>".as_bytes()).unwrap();
    assert_eq!(doc.header.title.as_deref(), Some("<&éA\"'>"));
}

#[test]
fn deep_nesting_is_refused_without_recursion() {
    let n = 10_000;
    let xml = format!("{}{}", "<a>".repeat(n), "</a>".repeat(n));
    assert_xml_error(read(xml.as_bytes()), "deeper than 64");
    // A larger limit is capped (quick-xml counts namespace levels in 16 bits); up to the
    // cap, the parser is iterative: no stack overflow.
    let limits = Limits {
        max_depth: usize::MAX,
        ..Limits::default()
    };
    let deep = format!("{}{}", "<a>".repeat(9_999), "</a>".repeat(9_999));
    let (_, _, m) = data_error(read_with_limits(deep.as_bytes(), &limits));
    assert!(m.contains("no ClinicalDocument"), "{m}");
    let deeper = format!("{}{}", "<a>".repeat(70_000), "</a>".repeat(70_000));
    assert_xml_error(
        read_with_limits(deeper.as_bytes(), &limits),
        "deeper than 10000",
    );
}

#[test]
fn size_limits() {
    let big = format!("<r a=\"{}\"/>", "x".repeat(1 << 20));
    assert_xml_error(read(big.as_bytes()), "attribute value longer than 65536");
    let limits = Limits {
        max_input_bytes: 1000,
        ..Limits::default()
    };
    let (_, line, m) = data_error(read_with_limits(minimal_cda().as_bytes(), &limits));
    assert_eq!(line, 0);
    assert!(m.contains("limit"), "{m}");
    let limits = Limits {
        max_text_bytes: 10,
        ..Limits::default()
    };
    assert_xml_error(read_with_limits(minimal_cda().as_bytes(), &limits), "text");
    let limits = Limits {
        max_elements: 20,
        ..Limits::default()
    };
    assert_xml_error(
        read_with_limits(minimal_cda().as_bytes(), &limits),
        "elements",
    );
}

#[test]
fn malformed_documents_are_refused() {
    let mut bad_utf8 = minimal_cda().into_bytes();
    let at = bad_utf8.windows(5).position(|w| w == b"DLU d").unwrap();
    bad_utf8[at] = 0xC3;
    let (s, line, m) = data_error(read(&bad_utf8));
    assert_eq!((s.as_str(), line), ("xml", 10), "{m}");
    assert!(m.contains("UTF-8"), "{m}");

    assert_xml_error(read(b"<r/><r/>"), "second root");
    assert_xml_error(read(b"<r/>garbage"), "after the root");
    assert_xml_error(
        read(b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><r/>"),
        "ISO-8859-1",
    );
    assert_xml_error(
        read(b"<?xml version=\"1.0\" encoding=\"UTF-16\"?><r/>"),
        "UTF-16",
    );

    // Every truncation of a valid document is an error, never a panic.
    let xml = minimal_cda();
    let xml = xml.trim_end();
    for cut in (1..xml.len())
        .step_by(7)
        .filter(|&c| xml.is_char_boundary(c))
    {
        assert!(read(&xml.as_bytes()[..cut]).is_err(), "cut at {cut}");
    }
    assert!(read(b"").is_err());
}

#[test]
fn bad_bodies_are_refused() {
    let xml = minimal_cda();
    let body = |text: &str| {
        let start = xml.find("<text ").unwrap();
        let end = xml.find("</text>").unwrap() + "</text>".len();
        format!("{}{text}{}", &xml[..start], &xml[end..])
    };
    let cda_error = |x: String, needle: &str| {
        let (s, _, m) = data_error(read(x.as_bytes()));
        assert_eq!(s, "cda", "{m}");
        assert!(m.contains(needle), "{m:?} lacks {needle:?}");
    };
    cda_error(
        body(r#"<text mediaType="application/pdf" representation="B64">JVBER!0x</text>"#),
        "base64",
    );
    cda_error(
        body(r#"<text mediaType="application/pdf" representation="B64">QQ==QUJD</text>"#),
        "base64",
    );
    cda_error(
        body(r#"<text mediaType="application/x-msdownload" representation="B64">QQ==</text>"#),
        "mediaType",
    );
    cda_error(
        body(
            r#"<text mediaType="application/pdf" representation="B64" compression="DF">QQ==</text>"#,
        ),
        "compress",
    );
    let doc = read(body(r#"<text mediaType="text/plain">Bonjour &amp; merci</text>"#).as_bytes())
        .unwrap();
    assert_eq!(doc.content.unwrap().data, b"Bonjour & merci");
}

#[test]
fn large_body_reads_in_linear_time() {
    use base64::Engine as _;
    let data: Vec<u8> = (0..8_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let b64 = base64::engine::general_purpose::STANDARD.encode(&data);
    let mut lines = String::with_capacity(b64.len() + b64.len() / 76 + 1);
    for chunk in b64.as_bytes().chunks(76) {
        lines.push_str(std::str::from_utf8(chunk).unwrap());
        lines.push('\n');
    }
    let xml = MINIMAL.replace("{B64}", &lines);
    let start = Instant::now();
    let doc = read(xml.as_bytes()).unwrap();
    assert_eq!(doc.content.unwrap().data, data);
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn not_a_cda() {
    let (s, _, m) = data_error(read(b"<ClinicalDocument/>"));
    assert_eq!(s, "cda");
    assert!(m.contains("urn:hl7-org:v3"), "{m}");
    // A wrapped ClinicalDocument (signature, stylesheet) is found.
    let wrapped = format!(
        "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:Object>{}</ds:Object></ds:Signature>",
        minimal_cda().replacen("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", "", 1)
    );
    let doc = read(wrapped.as_bytes()).unwrap();
    assert_eq!(doc.content.unwrap().data, PDF);
    // An empty header reads, and converts to a precise error.
    let doc = read(b"<ClinicalDocument xmlns=\"urn:hl7-org:v3\"/>").unwrap();
    assert_eq!(doc.header, RawHeader::default());
    assert_eq!(doc.content, None);
    assert_eq!(invalid(doc.to_header()).field, "kind");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        if let Ok(doc) = read(&bytes) {
            let _ = doc.to_header();
        }
    }

    #[test]
    fn mutated_cda_never_panics(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..3, any::<u8>()), 1..8)
    ) {
        let mut bytes = minimal_cda().into_bytes();
        for (at, op, b) in edits {
            let i = at.index(bytes.len());
            match op {
                0 => bytes[i] = b,
                1 => bytes.insert(i, b),
                _ => { bytes.remove(i); }
            }
        }
        if let Ok(doc) = read(&bytes) {
            let _ = doc.to_header();
            let _ = serde_json::to_string(&doc.header);
        }
    }

    #[test]
    fn mutated_text_values_never_panic(value in "\\PC{0,40}") {
        // Any text in the places to_header parses.
        let escaped = value.replace('&', "&amp;").replace('<', "&lt;").replace('"', "&quot;");
        for from in [
            "245036912304502", "899900100019", "1690800123", "19450300", "2A004",
            "20240131143000+0100", "202401311400+0100", "SA17", "74207-2",
        ] {
            let xml = minimal_cda().replace(from, &escaped);
            let doc = read(xml.as_bytes()).unwrap();
            let _ = doc.to_header();
        }
    }
}

//! TD0.2 / TD1.3a (`dmp_core::hl7v3`): the `PRPA_IN201307UV02` query against the official
//! requests and the HL7 v3 schemas (when `../shared` and xmllint are there), its input checks,
//! and the `PRPA_IN201308UV02` answer: the official TD0.2 and TD1.3a responses, inline
//! fixtures for "no DMP", a closed DMP, an `AE` acknowledgement, unknown and duplicated flags,
//! and mutations (typed error or Ok, never a panic).

mod common;

use chrono::{TimeZone, Utc};
use dmp_core::hl7v3::{
    AckType, AuthorizationStatus, PatientQuery, PatientStatus, ProcessingCode, QueryReason,
};
use dmp_core::ids::{Ins, InsSystem};
use dmp_core::xml::reader::{self, Element, Limits};
use dmp_core::Error;

const TD02_REQUEST: &str = "TD0.2-Test_d_existence.request.xml";
const TD02_RESPONSE: &str = "TD0.2-Test_d_existence.response.xml";
const TD13A_REQUEST: &str = "TD1.3a-Consultation.request.xml";
const TD13A_RESPONSE: &str = "TD1.3a-Consultation.response.xml";
const HL7: &str = "urn:hl7-org:v3";

/// The query of the official TD0.2 request.
fn sample_query(reason: QueryReason) -> PatientQuery {
    PatientQuery {
        ins: Ins::parse("207058575627097", "1.2.250.1.213.1.4.10").unwrap(),
        reason,
        message_id: "1633a409-3d61-4869-aed8-74d92ae20272".into(),
        query_id: "87d5fd8f-72b2-43bf-938c-0402bf850d25".into(),
        sender: "1.3.6.1.4.1.48364".parse().unwrap(),
        software_name: "LPS GIE-SV".into(),
        creation_time: Utc.with_ymd_and_hms(2021, 5, 19, 17, 45, 7).unwrap(),
        processing_code: ProcessingCode::Debugging,
    }
}

fn invalid_field(q: &PatientQuery) -> (String, String) {
    let e = q.to_xml().unwrap_err();
    let inv = e.as_invalid().unwrap_or_else(|| panic!("not Invalid: {e}"));
    (inv.field.clone(), inv.rule.clone())
}

fn data_err(r: Result<PatientStatus, Error>) -> String {
    match r {
        Err(Error::Data { message, .. }) => message,
        other => panic!("expected a data error, got {other:?}"),
    }
}

// ------------------------------------------------------------------------------------------
// The query.
// ------------------------------------------------------------------------------------------

#[test]
fn query_bytes() {
    let xml =
        String::from_utf8(sample_query(QueryReason::TestExistence).to_xml().unwrap()).unwrap();
    let expected = r#"<PRPA_IN201307UV02 xmlns="urn:hl7-org:v3" ITSVersion="XML_1.0">
  <id root="1.3.6.1.4.1.48364.1.1" extension="1633a409-3d61-4869-aed8-74d92ae20272"/>
  <creationTime value="20210519174507"/>
  <interactionId root="2.16.840.1.113883.1.6" extension="PRPA_IN201307UV02"/>
  <processingCode code="D"/>
  <processingModeCode code="T"/>
  <acceptAckCode code="AL"/>
  <receiver typeCode="RCV">
    <device classCode="DEV" determinerCode="INSTANCE">
      <id root="1.2.250.1.213.4.1.1.1"/>
      <softwareName>DMP</softwareName>
    </device>
  </receiver>
  <sender typeCode="SND">
    <device classCode="DEV" determinerCode="INSTANCE">
      <id root="1.3.6.1.4.1.48364"/>
      <softwareName>LPS GIE-SV</softwareName>
    </device>
  </sender>
  <controlActProcess classCode="CACT" moodCode="EVN">
    <reasonCode code="TEST_EXST" codeSystem="1.2.250.1.213.1.1.4.11" displayName="Test d'existence de dossier"/>
    <queryByParameter>
      <queryId root="1.3.6.1.4.1.48364.2" extension="87d5fd8f-72b2-43bf-938c-0402bf850d25"/>
      <statusCode code="new"/>
      <parameterList>
        <patientIdentifier>
          <value root="1.2.250.1.213.1.4.10" extension="207058575627097"/>
          <semanticsText>Patient.id</semanticsText>
        </patientIdentifier>
      </parameterList>
    </queryByParameter>
  </controlActProcess>
</PRPA_IN201307UV02>
"#;
    assert_eq!(xml, expected);
    let mut q = sample_query(QueryReason::AdministrativeData);
    q.processing_code = ProcessingCode::Production;
    let xml = String::from_utf8(q.to_xml().unwrap()).unwrap();
    assert!(xml.contains(r#"<reasonCode code="CNSLT_DATA" codeSystem="1.2.250.1.213.1.1.4.11" displayName="Consultation des données de gestion de dossier"/>"#));
    assert!(xml.contains(r#"<processingCode code="P"/>"#));
}

/// Every element with its attributes, in document order (path, sorted attributes, text).
fn outline(xml: &[u8]) -> Vec<String> {
    let doc = reader::parse(xml, &Limits::default()).unwrap();
    let body = doc
        .elements()
        .find(|e| e.is(HL7, "PRPA_IN201307UV02"))
        .unwrap();
    let mut out = Vec::new();
    fn walk(e: Element<'_>, path: &str, out: &mut Vec<String>) {
        if e.attr("xsi:nil") == Some("true") {
            return; // the official request's empty elements
        }
        let path = format!("{path}/{}", e.local_name());
        let mut attrs: Vec<String> = e
            .attributes()
            .filter(|(n, _)| !n.starts_with("xmlns"))
            .map(|(n, v)| format!("{n}={v}"))
            .collect();
        attrs.sort();
        out.push(format!("{path} [{}] {}", attrs.join(" "), e.text().trim()));
        for c in e.children() {
            walk(c, &path, out);
        }
    }
    walk(body, "", &mut out);
    out
}

#[test]
fn query_matches_the_official_requests() {
    let Some([td02, td13a]) = common::official_messages([TD02_REQUEST, TD13A_REQUEST]) else {
        return;
    };
    let ours = sample_query(QueryReason::TestExistence).to_xml().unwrap();
    assert_eq!(outline(&ours), outline(&td02));
    // TD1.3a: same query with CNSLT_DATA (the official one also carries nil elements and
    // asLocatedEntity/asAgent that the schema refuses: compare what the DMP reads).
    let ours = outline(
        &sample_query(QueryReason::AdministrativeData)
            .to_xml()
            .unwrap(),
    );
    let theirs = outline(&td13a);
    for line in &ours {
        assert!(
            theirs.contains(line),
            "{line} not in the official TD1.3a request"
        );
    }
}

#[test]
fn query_validates_against_the_hl7v3_schema() {
    let envelopes = [QueryReason::TestExistence, QueryReason::AdministrativeData].map(|r| {
        let body = String::from_utf8(sample_query(r).to_xml().unwrap()).unwrap();
        (r.code(), common::soap12_envelope(&body))
    });
    common::validate_xds(&envelopes);
}

#[test]
fn query_refuses_bad_input_naming_the_field() {
    let base = sample_query(QueryReason::TestExistence);
    let mut q = base.clone();
    q.message_id = "urn:uuid:1633a409-3d61-4869-aed8-74d92ae20272".into();
    assert_eq!(invalid_field(&q).0, "message_id");
    let mut q = base.clone();
    q.query_id = "87d5fd8f72b243bf938c0402bf850d25".into();
    let (field, rule) = invalid_field(&q);
    assert_eq!(field, "query_id");
    assert!(rule.contains("hyphenated"), "{rule}");
    for bad in ["", " LPS", "LPS\u{1}"] {
        let mut q = base.clone();
        q.software_name = bad.into();
        assert_eq!(invalid_field(&q).0, "software_name", "{bad:?}");
    }
    let mut q = base.clone();
    q.software_name = "x".repeat(101);
    assert!(invalid_field(&q).1.contains("at most 100"));
    let mut q = base.clone();
    q.sender = format!("1.2.{}", "9".repeat(58)).parse().unwrap();
    let (field, rule) = invalid_field(&q);
    assert_eq!(field, "sender");
    assert!(rule.contains("64"), "{rule}");
    let mut q = base.clone();
    q.creation_time = Utc.with_ymd_and_hms(10000, 1, 1, 0, 0, 0).unwrap();
    assert_eq!(invalid_field(&q).0, "creation_time");
    // The id roots, as documented.
    assert_eq!(
        base.message_id_root().unwrap().as_str(),
        "1.3.6.1.4.1.48364.1.1"
    );
    assert_eq!(
        base.query_id_root().unwrap().as_str(),
        "1.3.6.1.4.1.48364.2"
    );
    // A query read from JSON gives the same bytes.
    let json = serde_json::to_string(&base).unwrap();
    let back: PatientQuery = serde_json::from_str(&json).unwrap();
    assert_eq!(back.to_xml().unwrap(), base.to_xml().unwrap());
}

// ------------------------------------------------------------------------------------------
// The answer: the official responses.
// ------------------------------------------------------------------------------------------

#[test]
fn official_td02_response() {
    let Some(xml) = common::official_message(TD02_RESPONSE) else {
        return;
    };
    let s = PatientStatus::parse(&xml).unwrap();
    assert_eq!(s.acknowledgement.type_code, AckType::ApplicationAccept);
    let target = s.acknowledgement.target_message.as_ref().unwrap();
    assert_eq!(target.root.as_deref(), Some("1.3.6.1.4.1.48364.1.1"));
    assert_eq!(
        target.extension.as_deref(),
        Some("1633a409-3d61-4869-aed8-74d92ae20272")
    );
    assert_eq!(s.query_response_code.as_deref(), Some("OK"));
    assert_eq!(s.reason_code.as_deref(), Some("TEST_EXST"));
    assert!(s.exists);
    assert_eq!(s.status_code.as_deref(), Some("active"));
    assert_eq!(s.closed, None);
    assert_eq!(s.authorization, Some(AuthorizationStatus::Valide));
    assert_eq!(s.medecin_traitant, Some(true));
    assert_eq!(s.internet_account_open, Some(true));
    assert_eq!(s.attached_to_mon_espace_sante, Some(false));
    assert_eq!(s.opposition_bris_de_glace, None);
    assert_eq!(s.error(), None);
    let ids: Vec<(&str, &str)> = s
        .patient_ids
        .iter()
        .map(|i| (i.root.as_deref().unwrap(), i.extension.as_deref().unwrap()))
        .collect();
    assert_eq!(
        ids,
        [
            ("1.2.250.1.213.1.4.2", "1197854176879056415520"),
            ("1.2.250.1.213.1.4.10", "207058575627097"),
        ]
    );
    let ins = s.ins().unwrap();
    assert_eq!(ins.matricule().as_str(), "207058575627097");
    assert_eq!(ins.system(), InsSystem::NirTest);
    assert_eq!(s.names.len(), 1);
    assert_eq!(s.names[0].prefix, ["M"]);
    assert_eq!(s.names[0].given[0].value, "LAURENCE");
    assert_eq!(s.names[0].family[0].value, "patb-quatre");
    assert_eq!(s.names[0].family[0].qualifier.as_deref(), Some("SP"));
    assert_eq!(s.gender.as_deref(), Some("M"));
    assert_eq!(s.birth_date.as_deref(), Some("19070525"));
    let telecoms: Vec<_> = s
        .telecoms
        .iter()
        .map(|t| (t.value.as_deref().unwrap(), t.use_code.as_deref()))
        .collect();
    assert_eq!(
        telecoms,
        [
            ("mailto:alain@gmail.com", None),
            ("tel:0102030405", Some("MC"))
        ]
    );
    // Every flag verbatim, with the unqualified xsi:type the DMP writes.
    let a = &s.attention_lines;
    assert_eq!(a.len(), 2);
    assert_eq!(
        (a[0].code.as_str(), a[0].code_system.as_deref()),
        ("AUTORISATION", Some("1.2.250.1.213.4.1.2.6.1"))
    );
    assert_eq!(a[0].value_type.as_deref(), Some("CV"));
    assert_eq!(a[0].value_code.as_deref(), Some("VALIDE"));
    assert_eq!(
        a[0].value_code_system.as_deref(),
        Some("1.2.250.1.213.4.1.2.6.2")
    );
    assert_eq!(a[1].code, "STATUT_MT");
    assert_eq!(a[1].value_type.as_deref(), Some("BL"));
    assert_eq!(a[1].value.as_deref(), Some("true"));
    let o = &s.observations;
    assert_eq!(o.len(), 2);
    assert_eq!(o[0].code, "COMPTE_INTERNET_OUVERT");
    assert_eq!(o[0].code_system.as_deref(), Some("1.2.250.1.213.4.1.2.9"));
    assert_eq!(o[1].code, "RATTACHEMENT_ENS");
    assert_eq!(
        o[1].display_name.as_deref(),
        Some("information de rattachement du DMP à un ENS")
    );
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["authorization"], "VALIDE");
    assert_eq!(json["acknowledgement"]["type_code"], "AA");
    assert_eq!(json["medecin_traitant"], true);
}

#[test]
fn official_td13a_response() {
    let Some(xml) = common::official_message(TD13A_RESPONSE) else {
        return;
    };
    let s = PatientStatus::parse(&xml).unwrap();
    assert!(s.exists);
    assert_eq!(s.reason_code.as_deref(), Some("CNSLT_DATA"));
    assert_eq!(s.opposition_bris_de_glace, Some(false));
    assert_eq!(s.opposition_acces_urgence, Some(false));
    assert_eq!(s.authorization, None);
    assert_eq!(s.medecin_traitant, None);
    assert_eq!(s.internet_account_open, None);
    assert_eq!(s.telecoms.len(), 4);
    assert_eq!(s.patient_ids.len(), 2);
    assert_eq!(s.ins().unwrap().matricule().as_str(), "207058575627097");
    let codes: Vec<&str> = s.observations.iter().map(|o| o.code.as_str()).collect();
    assert_eq!(
        codes,
        ["OPPOSITION_BRIS_DE_GLACE", "OPPOSITION_ACCES_URGENCE"]
    );
    assert!(s.attention_lines.is_empty());
    assert_eq!(s.error(), None);
}

// ------------------------------------------------------------------------------------------
// The answer: inline fixtures.
// ------------------------------------------------------------------------------------------

/// A `PRPA_IN201308UV02` in a SOAP envelope, one element per line.
fn answer(ack: &str, attention: &str, patient: Option<&str>, reason_of: &str, qrc: &str) -> String {
    let subject = patient.map_or(String::new(), |p| {
        format!(
            "<subject typeCode=\"SUBJ\">\n<registrationEvent classCode=\"REG\" moodCode=\"EVN\">\n\
             <statusCode code=\"completed\"/>\n<subject1 typeCode=\"SBJ\">\n\
             <patient classCode=\"PAT\">\n\
             <id root=\"1.2.250.1.213.1.4.8\" extension=\"279035121518989\"/>\n{p}\n</patient>\n\
             </subject1>\n</registrationEvent>\n</subject>\n"
        )
    });
    format!(
        "<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\">\n<soap:Body>\n\
         <PRPA_IN201308UV02 ITSVersion=\"XML_1.0\" xmlns=\"urn:hl7-org:v3\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n\
         <id root=\"0cc7f660-e7b5-4131-aee3-5ad75c0b32f2\"/>\n\
         {attention}\n{ack}\n\
         <controlActProcess classCode=\"CACT\" moodCode=\"EVN\">\n\
         <reasonCode code=\"TEST_EXST\" codeSystem=\"1.2.250.1.213.1.1.4.11\"/>\n\
         {subject}{reason_of}\n<queryAck>\n<queryResponseCode code=\"{qrc}\"/>\n</queryAck>\n\
         </controlActProcess>\n</PRPA_IN201308UV02>\n</soap:Body>\n</soap:Envelope>\n"
    )
}

const ACK_AA: &str = "<acknowledgement typeCode=\"AA\">\n<targetMessage>\n\
    <id root=\"1.2.3.1.1\" extension=\"1633a409-3d61-4869-aed8-74d92ae20272\"/>\n\
    </targetMessage>\n</acknowledgement>";
const ACTIVE: &str = "<statusCode code=\"active\"/>\n\
    <patientPerson classCode=\"PSN\" determinerCode=\"INSTANCE\">\n<name>\n<given>JEANNE</given>\n\
    <family qualifier=\"BR\">DUPONT</family>\n</name>\n</patientPerson>";

fn attention(key: &str, value: &str) -> String {
    format!(
        "<attentionLine>\n<keyWordText code=\"{key}\" codeSystem=\"1.2.250.1.213.4.1.2.6.1\"/>\n\
         {value}\n</attentionLine>"
    )
}

#[test]
fn no_dmp() {
    let xml = answer(ACK_AA, "", None, "", "NF");
    let s = PatientStatus::parse(xml.as_bytes()).unwrap();
    assert!(!s.exists);
    assert_eq!(s.query_response_code.as_deref(), Some("NF"));
    assert_eq!(s.error(), None, "NF is an answer, not an error");
    assert!(s.patient_ids.is_empty() && s.names.is_empty() && s.observations.is_empty());
    assert_eq!(
        (s.status_code, s.closed, s.authorization),
        (None, None, None)
    );
    // NF wins over a patient; OK without a patient does not make a DMP.
    let s = PatientStatus::parse(answer(ACK_AA, "", Some(ACTIVE), "", "NF").as_bytes()).unwrap();
    assert!(!s.exists);
    let s = PatientStatus::parse(answer(ACK_AA, "", None, "", "OK").as_bytes()).unwrap();
    assert!(!s.exists);
}

#[test]
fn closed_dmp() {
    let patient = "<statusCode code=\"terminated\"/>\n\
        <effectiveTime>\n<low value=\"20100301\"/>\n<high value=\"20210601133605\"/>\n</effectiveTime>\n\
        <patientPerson classCode=\"PSN\" determinerCode=\"INSTANCE\">\n<name>\n<family>DUPONT</family>\n\
        </name>\n</patientPerson>";
    let reason_of =
        "<reasonOf typeCode=\"RSON\">\n<detectedIssueEvent classCode=\"ALRT\" moodCode=\"EVN\">\n\
        <code code=\"FERMETURE_DEMANDE_PATIENT\" codeSystem=\"1.2.250.1.213.4.1.2.4\"/>\n\
        <text>Demande écrite du patient</text>\n</detectedIssueEvent>\n</reasonOf>";
    let xml = answer(ACK_AA, "", Some(patient), reason_of, "OK");
    let s = PatientStatus::parse(xml.as_bytes()).unwrap();
    assert!(s.exists, "a closed DMP exists");
    assert_eq!(s.status_code.as_deref(), Some("terminated"));
    let c = s.closed.unwrap();
    assert_eq!(c.date.as_deref(), Some("20210601133605"));
    let cause = c.cause.unwrap();
    assert_eq!(cause.code.as_deref(), Some("FERMETURE_DEMANDE_PATIENT"));
    assert_eq!(cause.code_system.as_deref(), Some("1.2.250.1.213.4.1.2.4"));
    assert_eq!(c.reason.as_deref(), Some("Demande écrite du patient"));
    // A bare effectiveTime value; nothing else known.
    let patient = "<statusCode code=\"terminated\"/>\n<effectiveTime value=\"20200101\"/>";
    let s = PatientStatus::parse(answer(ACK_AA, "", Some(patient), "", "OK").as_bytes()).unwrap();
    let c = s.closed.unwrap();
    assert_eq!(c.date.as_deref(), Some("20200101"));
    assert_eq!((c.cause, c.reason), (None, None));
}

#[test]
fn application_error_with_details() {
    let ack = "<acknowledgement typeCode=\"AE\">\n<targetMessage>\n<id root=\"1.2.3\"/>\n</targetMessage>\n\
        <acknowledgementDetail typeCode=\"E\">\n\
        <code code=\"DMPPatientNotFound\" codeSystem=\"1.2.250.1.213.4.1.2.1\" displayName=\"x\"/>\n\
        <text>Patient inconnu du DMP</text>\n<location>patientIdentifier</location>\n\
        </acknowledgementDetail>\n<acknowledgementDetail>\n<text>Second détail</text>\n\
        </acknowledgementDetail>\n</acknowledgement>";
    let s = PatientStatus::parse(answer(ack, "", None, "", "AE").as_bytes()).unwrap();
    assert!(!s.exists);
    assert_eq!(s.acknowledgement.type_code, AckType::ApplicationError);
    let d = &s.acknowledgement.details;
    assert_eq!(d.len(), 2);
    assert_eq!(d[0].type_code.as_deref(), Some("E"));
    assert_eq!(d[0].locations, ["patientIdentifier"]);
    let e = s.error().unwrap();
    assert_eq!(e.code, "AE");
    assert_eq!(e.source, "PRPA_IN201308UV02");
    assert_eq!(e.details[0].code.as_deref(), Some("DMPPatientNotFound"));
    assert_eq!(e.details[0].text.as_deref(), Some("Patient inconnu du DMP"));
    assert_eq!(e.details[1].code, None);
    assert_eq!(e.details[1].text.as_deref(), Some("Second détail"));
    assert!(e.to_string().contains("Patient inconnu du DMP"), "{e}");
    // AR and an unknown acknowledgement code are not accepted either; QE under AA is an error.
    for (code, ack) in [("AR", "AR"), ("ZZ", "ZZ")] {
        let ack =
            format!("<acknowledgement typeCode=\"{ack}\">\n<targetMessage/>\n</acknowledgement>");
        let s = PatientStatus::parse(answer(&ack, "", Some(ACTIVE), "", "OK").as_bytes()).unwrap();
        assert!(!s.exists);
        assert_eq!(s.error().unwrap().code, code);
    }
    let s = PatientStatus::parse(answer(ACK_AA, "", None, "", "QE").as_bytes()).unwrap();
    assert_eq!(s.error().unwrap().code, "QE");
}

#[test]
fn unknown_and_duplicated_flags_are_kept() {
    let lines = [
        attention(
            "AUTORISATION",
            "<value code=\"SUSPENDU\" codeSystem=\"1.2.250.1.213.4.1.2.6.2\" xsi:type=\"CV\"/>",
        ),
        attention("STATUT_MT", "<value value=\"false\" xsi:type=\"BL\"/>"),
        attention("STATUT_MT", "<value value=\"true\" xsi:type=\"BL\"/>"),
        attention("NOUVELLE_CLE", "<value value=\"42\" xsi:type=\"INT\"/>"),
        "<attentionLine xsi:nil=\"true\"/>".to_owned(),
    ]
    .join("\n");
    let patient = format!(
        "{ACTIVE}\n<subjectOf typeCode=\"SBJ\">\n<administrativeObservation classCode=\"OBS\" moodCode=\"EVN\">\n\
         <code code=\"NOUVELLE_OBSERVATION\" codeSystem=\"1.2.250.1.213.4.1.2.3\"/>\n\
         <value value=\"true\" xmlns:h=\"urn:hl7-org:v3\" xsi:type=\"h:BL\"/>\n\
         </administrativeObservation>\n</subjectOf>\n<subjectOf typeCode=\"SBJ\">\n\
         <administrativeObservation classCode=\"OBS\" moodCode=\"EVN\">\n\
         <code code=\"RATTACHEMENT_ENS\"/>\n<value value=\"peut-être\" xsi:type=\"BL\"/>\n\
         </administrativeObservation>\n</subjectOf>"
    );
    let s =
        PatientStatus::parse(answer(ACK_AA, &lines, Some(&patient), "", "OK").as_bytes()).unwrap();
    assert_eq!(
        s.authorization,
        Some(AuthorizationStatus::Other("SUSPENDU".into()))
    );
    assert_eq!(s.authorization.as_ref().unwrap().code(), "SUSPENDU");
    assert_eq!(
        s.medecin_traitant,
        Some(false),
        "the first STATUT_MT counts"
    );
    let codes: Vec<&str> = s.attention_lines.iter().map(|f| f.code.as_str()).collect();
    assert_eq!(
        codes,
        ["AUTORISATION", "STATUT_MT", "STATUT_MT", "NOUVELLE_CLE"]
    );
    assert_eq!(s.attention_lines[3].value.as_deref(), Some("42"));
    assert_eq!(s.attention_lines[3].value_type.as_deref(), Some("INT"));
    assert_eq!(s.observations[0].code, "NOUVELLE_OBSERVATION");
    assert_eq!(s.observations[0].value_type.as_deref(), Some("h:BL"));
    assert_eq!(s.observations[0].as_bool(), Some(true));
    // A value that is not a boolean: kept, typed flag unknown.
    assert_eq!(s.observations[1].value.as_deref(), Some("peut-être"));
    assert_eq!(s.attached_to_mon_espace_sante, None);
    // The patient's INS (production NIR) and names.
    assert_eq!(s.ins().unwrap().system(), InsSystem::Nir);
    assert_eq!(s.names[0].family[0].qualifier.as_deref(), Some("BR"));
    // The bare element reads the same.
    let full = answer(ACK_AA, &lines, Some(&patient), "", "OK");
    let start = full.find("<PRPA_IN201308UV02").unwrap();
    let end = full.find("</PRPA_IN201308UV02>").unwrap() + "</PRPA_IN201308UV02>".len();
    assert_eq!(
        PatientStatus::parse(&full.as_bytes()[start..end]).unwrap(),
        s
    );
}

#[test]
fn malformed_answers_are_data_errors() {
    assert!(
        data_err(PatientStatus::parse(b"<a xmlns=\"urn:hl7-org:v3\"/>"))
            .contains("no PRPA_IN201308UV02")
    );
    let no_ack = answer("", "", None, "", "NF");
    assert!(data_err(PatientStatus::parse(no_ack.as_bytes())).contains("no acknowledgement"));
    let no_type = answer(
        "<acknowledgement>\n<targetMessage/>\n</acknowledgement>",
        "",
        None,
        "",
        "NF",
    );
    assert!(data_err(PatientStatus::parse(no_type.as_bytes())).contains("without typeCode"));
    match PatientStatus::parse(b"<PRPA_IN201308UV02 xmlns=\"urn:hl7-org:v3\">") {
        Err(Error::Data { source_name, .. }) => assert_eq!(source_name, "xml"),
        other => panic!("{other:?}"),
    }
}

// ------------------------------------------------------------------------------------------
// Mutations: a typed error or Ok, never a panic.
// ------------------------------------------------------------------------------------------

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

    #[test]
    fn mutated_answers_never_panic(kind in 0u8..8, at in 0usize..4096, len in 0usize..64) {
        let lines = [
            attention("AUTORISATION", "<value code=\"VALIDE\" xsi:type=\"CV\"/>"),
            attention("STATUT_MT", "<value value=\"true\" xsi:type=\"BL\"/>"),
        ]
        .join("\n");
        let patient = format!(
            "{ACTIVE}\n<subjectOf typeCode=\"SBJ\">\n<administrativeObservation classCode=\"OBS\" \
             moodCode=\"EVN\">\n<code code=\"RATTACHEMENT_ENS\"/>\n<value value=\"false\" \
             xsi:type=\"BL\"/>\n</administrativeObservation>\n</subjectOf>"
        );
        let xml = answer(ACK_AA, &lines, Some(&patient), "", "OK");
        let mutated = common::mutate(xml.as_bytes(), kind, at, len);
        match PatientStatus::parse(&mutated) {
            Ok(s) => {
                let _ = s.error();
                let _ = s.ins();
            }
            Err(Error::Data { .. }) => {}
            Err(other) => proptest::prop_assert!(false, "untyped error {other:?}"),
        }
    }
}

//! The proprietary authorisation services (`dmp_core::authorization`): TD0.3, TD0.4 and TD1.6
//! request bodies against the official requests and the schemas embedded in the WSDLs (when
//! `../shared` and xmllint are there), the official answers, inline fixtures (errors of the
//! DMP, unknown modes, booleans), and mutations (typed error or Ok, never a panic).

mod common;

use chrono::{TimeZone, Utc};
use dmp_core::authorization::{
    list_authorization_by_patient_xml, set_authorization_xml, AuthorizationAction,
    AuthorizationMode, AuthorizedPatients, AuthorizedProfessionals, DateType, ListMode,
    PatientListQuery, ServiceStatus,
};
use dmp_core::ids::InsSystem;
use dmp_core::Error;

const TD03_REQUEST: &str = "TD0.3-Mise_a_jour_de_l_autorisation.request.xml";
const TD03_RESPONSE: &str = "TD0.3-Mise_a_jour_de_l_autorisation.response.xml";
const TD04_REQUEST: &str = "TD0.4-Liste_des_DMP_autorises.request.xml";
const TD04_RESPONSE: &str = "TD0.4-Liste_des_DMP_autorises.response.xml";
const TD16_REQUEST: &str = "TD1.6-Liste_des_PS_autorises_ou_bloques.request.xml";
const TD16_RESPONSE: &str = "TD1.6-Liste_des_PS_autorises_ou_bloques.response.xml";

const NS_HAB: &str = "urn:si-dmp-habilitations";
const NS_PAT: &str = "urn:si-dmp-patients";

fn text(xml: Vec<u8>) -> String {
    String::from_utf8(xml).unwrap()
}

/// The official request's SOAP Body child, white space between tags removed.
fn official_body(name: &str) -> Option<String> {
    let xml = text(common::official_message(name)?);
    let start = xml.find("<soap:Body>").unwrap() + "<soap:Body>".len();
    let end = xml.find("</soap:Body>").unwrap();
    Some(compact(&xml[start..end]))
}

fn compact(xml: &str) -> String {
    xml.split('\n').map(str::trim).collect::<Vec<_>>().concat()
}

fn td04_query() -> PatientListQuery {
    PatientListQuery {
        start_date: Utc.with_ymd_and_hms(2010, 10, 10, 20, 20, 10).unwrap(),
        date_type: DateType::LastDoc,
    }
}

fn data_err<T: std::fmt::Debug>(r: Result<T, Error>) -> String {
    match r {
        Err(Error::Data { message, .. }) => message,
        other => panic!("expected a data error, got {other:?}"),
    }
}

// ------------------------------------------------------------------------------------------
// Requests.
// ------------------------------------------------------------------------------------------

#[test]
fn request_bodies() {
    assert_eq!(
        text(set_authorization_xml(AuthorizationAction::Remove).unwrap()),
        "<setAuthorization xmlns=\"urn:si-dmp-habilitations\">\n  <action>SUPPRESSION</action>\n\
         </setAuthorization>\n"
    );
    assert_eq!(
        text(set_authorization_xml(AuthorizationAction::RemoveAsMedecinTraitant).unwrap()),
        "<setAuthorization xmlns=\"urn:si-dmp-habilitations\">\n  <action>SUPPRESSION</action>\n\
         \x20 <role>MEDECIN_TRAITANT</role>\n</setAuthorization>\n"
    );
    assert_eq!(
        text(list_authorization_by_patient_xml(ListMode::Interdite).unwrap()),
        "<listAuthorizationByPatient xmlns=\"urn:si-dmp-habilitations\">\n  <mode>INTERDITE</mode>\n\
         </listAuthorizationByPatient>\n"
    );
    let q = PatientListQuery {
        start_date: Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap(),
        date_type: DateType::LastAuthorization,
    };
    assert_eq!(
        text(q.to_xml().unwrap()),
        "<patientList xmlns=\"urn:si-dmp-patients\">\n  <startDate>20260102030405</startDate>\n\
         \x20 <dateType>LASTAUTORIZATION</dateType>\n</patientList>\n"
    );
    let far = PatientListQuery {
        start_date: Utc.with_ymd_and_hms(10000, 1, 1, 0, 0, 0).unwrap(),
        date_type: DateType::LastDoc,
    };
    let e = far.to_xml().unwrap_err();
    assert_eq!(e.as_invalid().unwrap().field, "start_date");
}

#[test]
fn requests_match_the_official_ones() {
    let Some(td03) = official_body(TD03_REQUEST) else {
        return;
    };
    let ours = |xml: Vec<u8>| compact(&text(xml));
    assert_eq!(
        ours(set_authorization_xml(AuthorizationAction::Add).unwrap()),
        td03
    );
    assert_eq!(
        ours(td04_query().to_xml().unwrap()),
        official_body(TD04_REQUEST).unwrap()
    );
    assert_eq!(
        ours(list_authorization_by_patient_xml(ListMode::Toute).unwrap()),
        official_body(TD16_REQUEST).unwrap()
    );
}

#[test]
fn requests_validate_against_the_wsdl_schemas() {
    let mut bodies: Vec<(&str, Vec<u8>)> = vec![
        (
            "td03-add",
            set_authorization_xml(AuthorizationAction::Add).unwrap(),
        ),
        (
            "td03-remove",
            set_authorization_xml(AuthorizationAction::Remove).unwrap(),
        ),
        (
            "td03-mt",
            set_authorization_xml(AuthorizationAction::RemoveAsMedecinTraitant).unwrap(),
        ),
        ("td04", td04_query().to_xml().unwrap()),
    ];
    let mut q = td04_query();
    q.date_type = DateType::LastAuthorization;
    bodies.push(("td04-auth", q.to_xml().unwrap()));
    for (name, mode) in [
        ("td16-active", ListMode::Active),
        ("td16-interdite", ListMode::Interdite),
        ("td16-toute", ListMode::Toute),
    ] {
        bodies.push((name, list_authorization_by_patient_xml(mode).unwrap()));
    }
    let envelopes: Vec<(&str, String)> = bodies
        .into_iter()
        .map(|(n, b)| (n, common::soap12_envelope(&text(b))))
        .collect();
    common::validate_xds(&envelopes);
}

// ------------------------------------------------------------------------------------------
// Official answers.
// ------------------------------------------------------------------------------------------

#[test]
fn official_td03_answer() {
    let Some(xml) = common::official_message(TD03_RESPONSE) else {
        return;
    };
    let s = ServiceStatus::parse(&xml).unwrap();
    assert_eq!(s.response, "setAuthorizationResponse");
    assert_eq!(s.status, "DMPOk");
    assert_eq!(
        s.context.as_deref(),
        Some("Autorisation déjà présente aucune action effectuée")
    );
    assert!(s.is_ok());
    assert_eq!(s.error(), None);
}

#[test]
fn official_td04_answer() {
    let Some(xml) = common::official_message(TD04_RESPONSE) else {
        return;
    };
    let r = AuthorizedPatients::parse(&xml).unwrap();
    assert!(r.status.is_ok() && r.error().is_none());
    assert_eq!(r.status.context, None);
    assert_eq!(r.patients.len(), 2);
    let ids = |i: usize| -> Vec<(String, String)> {
        r.patients[i]
            .ids
            .iter()
            .map(|id| (id.root.clone().unwrap(), id.extension.clone().unwrap()))
            .collect()
    };
    assert_eq!(
        ids(1),
        [
            (
                "1.2.250.1.213.1.4.2".to_owned(),
                "1197854176879056415520".to_owned()
            ),
            (
                "1.2.250.1.213.1.4.10".to_owned(),
                "207058575627097".to_owned()
            ),
        ]
    );
    assert_eq!(ids(0)[1].1, "153078987658513");
    let p = &r.patients[1];
    assert_eq!(p.last_name.as_deref(), Some("patb-quatre"));
    assert_eq!(p.first_name.as_deref(), Some("LAURENCE"));
    assert_eq!(p.birth_date.as_deref(), Some("19070525"));
    assert!(p.medecin_traitant);
    assert!(!p.message);
    assert_eq!(p.last_access_date.as_deref(), Some("20210521101631"));
    assert_eq!(p.last_update_date.as_deref(), Some("20210506124503"));
    assert_eq!(p.last_add_date.as_deref(), Some("20210521101631"));
    let ins = p.ins().unwrap();
    assert_eq!(
        (ins.matricule().as_str(), ins.system()),
        ("207058575627097", InsSystem::NirTest)
    );
    let first = &r.patients[0];
    assert_eq!(first.last_name.as_deref(), Some("PAT-TROIS"));
    assert!(!first.medecin_traitant);
    assert_eq!(first.patronymical_name, None);
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["patients"][1]["medecin_traitant"], true);
    assert_eq!(json["status"]["status"], "DMPOk");
}

#[test]
fn official_td16_answer() {
    let Some(xml) = common::official_message(TD16_RESPONSE) else {
        return;
    };
    let r = AuthorizedProfessionals::parse(&xml).unwrap();
    assert!(r.status.is_ok());
    assert_eq!(r.status.context, None, "an empty context is no context");
    assert_eq!(r.professionals.len(), 1);
    let p = &r.professionals[0];
    assert_eq!(p.national_id.as_deref(), Some("899900063480"));
    assert_eq!(p.national_id_type.as_deref(), Some("1.2.250.1.71.4.2.1"));
    assert_eq!(p.first_name.as_deref(), Some("MAX"));
    assert_eq!(p.last_name.as_deref(), Some("LIBRE"));
    assert_eq!(p.speciality_codes, ["G15_10/SM26"]);
    assert_eq!(
        p.speciality_labels,
        ["Médecin - Qualifié en Médecine générale (SM)"]
    );
    assert_eq!(p.start_of_authorization.as_deref(), Some("20210601135804"));
    assert_eq!(p.last_action_date.as_deref(), Some("20210601140606"));
    assert_eq!(p.mode, Some(AuthorizationMode::Active));
    assert!(p.specific_rights.is_empty());
    assert_eq!(serde_json::to_value(p).unwrap()["mode"], "ACTIVE");
}

// ------------------------------------------------------------------------------------------
// Inline fixtures.
// ------------------------------------------------------------------------------------------

/// An answer element `name` of namespace `ns` whose `output` holds `inner`, in an envelope.
fn answer(ns: &str, name: &str, inner: &str) -> String {
    common::soap12_envelope(&format!(
        "<ns1:{name} xmlns:ns1=\"{ns}\">\n<ns1:output>\n{inner}\n</ns1:output>\n</ns1:{name}>"
    ))
}

fn patient(mt: &str, message: &str) -> String {
    format!(
        "<ns1:patientlistData>\n<ns1:patientIdentifier>\n<ns1:nationalId>279035121518989</ns1:nationalId>\n\
         <ns1:nationalIdType>1.2.250.1.213.1.4.8</ns1:nationalIdType>\n</ns1:patientIdentifier>\n\
         <ns1:lastName>DUPONT</ns1:lastName>\n<ns1:patronymicalName>MARTIN</ns1:patronymicalName>\n\
         <ns1:civility>MME</ns1:civility>\n{mt}\n{message}\n</ns1:patientlistData>"
    )
}

#[test]
fn errors_of_the_dmp_are_kept_verbatim() {
    let xml = answer(
        NS_HAB,
        "setAuthorizationResponse",
        "<ns1:status>DMPAutorisationRefusee</ns1:status>\n<ns1:context>Action impossible : PS bloqué</ns1:context>",
    );
    let s = ServiceStatus::parse(xml.as_bytes()).unwrap();
    assert!(!s.is_ok());
    let e = s.error().unwrap();
    assert_eq!(e.source, "setAuthorizationResponse");
    assert_eq!(e.code, "DMPAutorisationRefusee");
    assert_eq!(e.details.len(), 1);
    assert_eq!(
        e.details[0].text.as_deref(),
        Some("Action impossible : PS bloqué")
    );
    // TD0.4 and TD1.6 errors: no data, the status says why.
    let xml = answer(
        NS_PAT,
        "patientListResponse",
        "<ns1:status>DMPKo</ns1:status>",
    );
    let r = AuthorizedPatients::parse(xml.as_bytes()).unwrap();
    assert!(r.patients.is_empty());
    assert_eq!(r.error().unwrap().code, "DMPKo");
    assert!(r.error().unwrap().details.is_empty());
    let xml = answer(
        NS_HAB,
        "listAuthorizationByPatientResponse",
        "<ns1:status>DMPKo</ns1:status>\n<ns1:context>raison</ns1:context>",
    );
    let r = AuthorizedProfessionals::parse(xml.as_bytes()).unwrap();
    assert_eq!(
        r.error().unwrap().to_string(),
        "the DMP answered DMPKo (listAuthorizationByPatientResponse): raison"
    );
}

#[test]
fn unknown_values_and_booleans() {
    let pro = "<ns1:listOfAuthorizationByPatient>\n<ns1:nationalId>810002422979</ns1:nationalId>\n\
        <ns1:codeSpeciality>G15_10/SM26</ns1:codeSpeciality>\n<ns1:codeSpeciality>G15_10/SM54</ns1:codeSpeciality>\n\
        <ns1:mode>SUSPENDUE</ns1:mode>\n<ns1:specificRight>MEDECIN_TRAITANT</ns1:specificRight>\n\
        </ns1:listOfAuthorizationByPatient>";
    let xml = answer(
        NS_HAB,
        "listAuthorizationByPatientResponse",
        &format!("{pro}\n{pro}\n<ns1:status>DMPOk</ns1:status>"),
    );
    let r = AuthorizedProfessionals::parse(xml.as_bytes()).unwrap();
    assert_eq!(r.professionals.len(), 2, "duplicates are kept");
    let p = &r.professionals[0];
    assert_eq!(p.mode, Some(AuthorizationMode::Other("SUSPENDUE".into())));
    assert_eq!(p.mode.as_ref().unwrap().code(), "SUSPENDUE");
    assert_eq!(p.speciality_codes, ["G15_10/SM26", "G15_10/SM54"]);
    assert!(p.speciality_labels.is_empty());
    assert_eq!(p.specific_rights, ["MEDECIN_TRAITANT"]);

    let ok = patient("<ns1:MT>1</ns1:MT>", "<ns1:message>0</ns1:message>");
    let xml = answer(
        NS_PAT,
        "patientListResponse",
        &format!("{ok}\n<ns1:status>DMPOk</ns1:status>"),
    );
    let r = AuthorizedPatients::parse(xml.as_bytes()).unwrap();
    let p = &r.patients[0];
    assert!(p.medecin_traitant && !p.message);
    assert_eq!(p.patronymical_name.as_deref(), Some("MARTIN"));
    assert_eq!(p.civility.as_deref(), Some("MME"));
    assert_eq!(p.ins().unwrap().system(), InsSystem::Nir);
    for (mt, why) in [
        ("<ns1:MT>oui</ns1:MT>", "\"oui\", not a boolean"),
        ("", "has no MT"),
    ] {
        let bad = patient(mt, "<ns1:message>false</ns1:message>");
        let xml = answer(
            NS_PAT,
            "patientListResponse",
            &format!("{bad}\n<ns1:status>DMPOk</ns1:status>"),
        );
        let msg = data_err(AuthorizedPatients::parse(xml.as_bytes()));
        assert!(msg.contains(why), "{msg}");
    }
    // The bare element reads the same.
    let bare = format!(
        "<patientListResponse xmlns=\"{NS_PAT}\"><output><status>DMPOk</status></output></patientListResponse>"
    );
    assert!(AuthorizedPatients::parse(bare.as_bytes())
        .unwrap()
        .status
        .is_ok());
}

#[test]
fn malformed_answers_are_data_errors() {
    let wrong_ns = answer(
        NS_PAT,
        "setAuthorizationResponse",
        "<ns1:status>DMPOk</ns1:status>",
    );
    assert!(
        data_err(ServiceStatus::parse(wrong_ns.as_bytes())).contains("no setAuthorizationResponse")
    );
    let no_output =
        common::soap12_envelope(&format!("<setAuthorizationResponse xmlns=\"{NS_HAB}\"/>"));
    assert!(data_err(ServiceStatus::parse(no_output.as_bytes())).contains("has no output"));
    let no_status = answer(
        NS_HAB,
        "setAuthorizationResponse",
        "<ns1:context>x</ns1:context>",
    );
    assert!(data_err(ServiceStatus::parse(no_status.as_bytes())).contains("no status"));
    let empty_status = answer(
        NS_HAB,
        "setAuthorizationResponse",
        "<ns1:status> </ns1:status>",
    );
    assert!(data_err(ServiceStatus::parse(empty_status.as_bytes())).contains("no status"));
    assert!(matches!(
        AuthorizedProfessionals::parse(b"<a"),
        Err(Error::Data { source_name, .. }) if source_name == "xml"
    ));
}

// ------------------------------------------------------------------------------------------
// Mutations: a typed error or Ok, never a panic.
// ------------------------------------------------------------------------------------------

fn typed(r: Result<(), Error>) -> Result<(), proptest::test_runner::TestCaseError> {
    match r {
        Ok(()) | Err(Error::Data { .. }) => Ok(()),
        Err(other) => Err(proptest::test_runner::TestCaseError::fail(format!(
            "untyped error {other:?}"
        ))),
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(384))]

    #[test]
    fn mutated_answers_never_panic(kind in 0u8..8, at in 0usize..4096, len in 0usize..64) {
        let status = answer(
            NS_HAB,
            "setAuthorizationResponse",
            "<ns1:status>DMPOk</ns1:status>\n<ns1:context>c</ns1:context>",
        );
        let m = common::mutate(status.as_bytes(), kind, at, len);
        typed(ServiceStatus::parse(&m).map(|s| drop(s.error())))?;

        let p = patient("<ns1:MT>true</ns1:MT>", "<ns1:message>false</ns1:message>");
        let inner = format!("{p}\n{p}\n<ns1:status>DMPOk</ns1:status>");
        let list = answer(NS_PAT, "patientListResponse", &inner);
        let m = common::mutate(list.as_bytes(), kind, at, len);
        typed(AuthorizedPatients::parse(&m).map(|r| r.patients.iter().for_each(|p| drop(p.ins()))))?;

        let pro = "<ns1:listOfAuthorizationByPatient>\n<ns1:nationalId>1</ns1:nationalId>\n\
            <ns1:mode>ACTIVE</ns1:mode>\n</ns1:listOfAuthorizationByPatient>";
        let inner = format!("{pro}\n<ns1:status>DMPOk</ns1:status>");
        let pros = answer(NS_HAB, "listAuthorizationByPatientResponse", &inner);
        let m = common::mutate(pros.as_bytes(), kind, at, len);
        typed(AuthorizedProfessionals::parse(&m).map(drop))?;
    }
}

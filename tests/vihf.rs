//! The VIHF assertion against the three official samples (DIRECTE, INDIRECTE,
//! INDIRECTE_RENFORCEE), compared as data: element values, attribute names, order, name
//! formats, value shapes with namespaces and `xsi:type` resolved. Then the mode-specific
//! rules, the role rules, the namespace rules and determinism. The samples are read from
//! `../shared/reference/dmp-messages/vihf` (not copied here, for licensing reasons); without
//! `../shared` the comparison prints a `skipped:` note, the rest runs.

mod common;

use chrono::{DateTime, TimeZone, Utc};
use dmp_core::cda::CdaPerson;
use dmp_core::habilitation::{AccessMode, Authentication};
use dmp_core::ids::{IdNatPs, Ins};
use dmp_core::vihf::{
    attr, AuthnClass, LocalAuthentication, Lps, ModeAttributeName, RoleSystemNames, Validity, Vihf,
    VihfCode, VihfMode, VihfProfile, VihfUser, VihfVersion, VihfXmlStyle, HL7_NS, SAML2_NS, XS_NS,
};
use dmp_core::xml::reader::Limits;
use dmp_core::xml::tree::{Element, Tree};

const SMARTCARD: &str = "urn:oasis:names:tc:SAML:2.0:ac:classes:SmartcardPKI";

/// The DIRECTE samples mix encodings without a declaration: the role display names are
/// UTF-8, the purpose of use ISO-8859-1 (`Acc\xE8s`). Valid UTF-8 runs are kept, every other
/// byte is read as ISO-8859-1.
fn mixed_to_utf8(mut b: &[u8]) -> Vec<u8> {
    let mut out = String::new();
    loop {
        match std::str::from_utf8(b) {
            Ok(s) => {
                out.push_str(s);
                return out.into_bytes();
            }
            Err(e) => {
                let (ok, rest) = b.split_at(e.valid_up_to());
                out.push_str(std::str::from_utf8(ok).unwrap());
                out.push(char::from(rest[0]));
                b = &rest[1..];
            }
        }
    }
}

/// The INDIRECTE sample's role display names are double-encoded (`MÃ©decin`: the UTF-8 of
/// `é` read as ISO-8859-1 and encoded again): undo that when the text is such a mojibake.
fn demojibake(s: &str) -> String {
    if s.chars().all(|c| u32::from(c) < 256) {
        let bytes: Vec<u8> = s
            .chars()
            .map(|c| u8::try_from(u32::from(c)).unwrap())
            .collect();
        if let Ok(fixed) = String::from_utf8(bytes) {
            return fixed;
        }
    }
    s.to_owned()
}

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

// ---------------------------------------------------------------------------------------------
// The assertion as data.

#[derive(Debug, PartialEq, Eq)]
enum Value {
    /// `xsi:type` resolved to (namespace, local), and the text.
    Str {
        xsi_type: (String, String),
        text: String,
    },
    /// A coded value: element (namespace, local), its attributes but `xsi:type` (sorted),
    /// `xsi:type` resolved.
    Coded {
        element: (String, String),
        attrs: Vec<(String, String)>,
        xsi_type: (String, String),
    },
}

#[derive(Debug, PartialEq, Eq)]
struct Data {
    root_attrs: Vec<(String, String)>,
    issuer: (String, Option<String>),
    name_id: String,
    conditions: Option<(String, String)>,
    authn_instant: String,
    class_ref: String,
    decl: Option<String>,
    /// (Name, NameFormat, values), in document order.
    attributes: Vec<(String, Option<String>, Vec<Value>)>,
}

fn resolve(e: Element<'_>, qname: &str) -> (String, String) {
    let (prefix, local) = match qname.split_once(':') {
        Some((p, l)) => (Some(p), l),
        None => (None, qname),
    };
    (
        e.lookup_namespace(prefix).unwrap_or("").to_owned(),
        local.to_owned(),
    )
}

fn xsi_type(e: Element<'_>) -> (String, String) {
    let v = e
        .attr_ns(Some("http://www.w3.org/2001/XMLSchema-instance"), "type")
        .expect("xsi:type");
    resolve(e, v)
}

fn child<'t>(e: Element<'t>, local: &str) -> Option<Element<'t>> {
    e.child(SAML2_NS, local)
}

fn data(xml: &[u8]) -> Data {
    let tree = Tree::parse(xml, &Limits::default()).expect("well-formed VIHF");
    let root = tree.root();
    assert!(root.is(SAML2_NS, "Assertion"));
    let issuer = child(root, "Issuer").unwrap();
    let authn = child(root, "AuthnStatement").unwrap();
    let ctx = child(authn, "AuthnContext").unwrap();
    let mut attributes = Vec::new();
    for a in child(root, "AttributeStatement").unwrap().children() {
        assert!(a.is(SAML2_NS, "Attribute"));
        let values = a
            .children()
            .map(|v| {
                assert!(v.is(SAML2_NS, "AttributeValue"));
                match v.children().next() {
                    None => Value::Str {
                        xsi_type: xsi_type(v),
                        text: v.text(),
                    },
                    Some(c) => {
                        let mut attrs: Vec<(String, String)> = c
                            .attributes()
                            .filter(|a| a.local_name != "type")
                            .map(|a| (a.qname.to_owned(), demojibake(a.value)))
                            .collect();
                        attrs.sort();
                        Value::Coded {
                            element: (
                                c.namespace().unwrap_or("").to_owned(),
                                c.local_name().to_owned(),
                            ),
                            attrs,
                            xsi_type: xsi_type(c),
                        }
                    }
                }
            })
            .collect();
        attributes.push((
            a.attr("Name").unwrap().to_owned(),
            a.attr("NameFormat").map(str::to_owned),
            values,
        ));
    }
    Data {
        root_attrs: root
            .attributes()
            .map(|a| (a.qname.to_owned(), a.value.to_owned()))
            .collect(),
        issuer: (issuer.text(), issuer.attr("Format").map(str::to_owned)),
        name_id: child(child(root, "Subject").unwrap(), "NameID")
            .unwrap()
            .text(),
        conditions: child(root, "Conditions").map(|c| {
            (
                c.attr("NotBefore").unwrap().to_owned(),
                c.attr("NotOnOrAfter").unwrap().to_owned(),
            )
        }),
        authn_instant: authn.attr("AuthnInstant").unwrap().to_owned(),
        class_ref: child(ctx, "AuthnContextClassRef").unwrap().text(),
        decl: child(ctx, "AuthnContextDecl").map(|d| d.text()),
        attributes,
    }
}

// ---------------------------------------------------------------------------------------------
// The samples' values.

fn sample_vihf(mode: VihfMode) -> Vihf {
    let (id, issue, authn, issuer, structure) = match mode {
        VihfMode::Directe => (
            "_ce088e5a-e31d-42d0-ba37-fda5fcbc889d",
            "2019-06-26T08:08:55.469Z",
            "2019-06-26T08:08:55.482Z",
            "CN=899900038839+2.5.4.4=#14045452414c+2.5.4.42=#14064144454d4953,OU=M?decin,O=TEST,C=FR",
            "499900063480001",
        ),
        VihfMode::Indirecte => (
            "_65db4fa8-b44a-4c11-adc5-135dcc327b24",
            "2019-06-26T08:46:06.839Z",
            "2019-06-26T08:46:06.839Z",
            "CN=serviceps.sesam-vitale.fr,OU=339172288100052,O=GIE SESAM VITALE,ST=Sarthe (72),C=FR",
            "339172288100052",
        ),
        VihfMode::IndirecteRenforcee => (
            "_232075b3-174d-4f82-a871-76afd7ac6b67",
            "2020-08-04T07:12:16.918Z",
            "2020-08-04T07:12:16.918Z",
            "CN=Certificat Wizard DMP 2019-R2,OU=10B0127189,O=CENTRE DE SANTE RPPS12718,ST=Rhône (69),C=FR",
            "10B0127189",
        ),
    };
    let mut profile = VihfProfile::default();
    if mode == VihfMode::IndirecteRenforcee {
        profile.role_system_names = RoleSystemNames::Descriptive;
    }
    Vihf {
        mode,
        assertion_id: id.to_owned(),
        issue_instant: t(issue),
        validity: None,
        issuer: issuer.to_owned(),
        user: VihfUser {
            idnat: "899900063480".parse::<IdNatPs>().unwrap(),
            family_name: "MAX".to_owned(),
            given_name: "LIBRE".to_owned(),
            subject_id: None,
            roles: VihfCode::roles_from_author_specialty("G15_10/SM26").unwrap(),
        },
        authentication: LocalAuthentication {
            instant: t(authn),
            class: AuthnClass::SmartcardPki,
            decl: (mode == VihfMode::IndirecteRenforcee).then(|| SMARTCARD.to_owned()),
        },
        structure_id: structure.to_owned(),
        secteur_activite: "SA07".to_owned(),
        patient: Ins::parse("207058575627097", "1.2.250.1.213.1.4.10").unwrap(),
        purpose_of_use: AccessMode::Normal,
        hide_from_legal_representatives: false,
        lps: Lps {
            id: Some("01.01.01.01".to_owned()),
            nom: "LPS GIE-SV".to_owned(),
            version: "1".to_owned(),
            homologation: "NumAutorisation".to_owned(),
        },
        profile,
    }
}

fn ours(v: &Vihf) -> Data {
    data(&v.to_xml().expect("valid VIHF"))
}

/// Our root carries namespace declarations too (not attributes in the tree), so the root
/// attributes compare equal; the samples' signature is not part of [`Data`].
#[test]
fn each_mode_matches_its_official_sample() {
    let Some([directe, indirecte, air]) = common::official_messages([
        "vihf/VIHF_DIRECTE_unsigned.xml",
        "vihf/VIHF_INDIRECTE_signed.xml",
        "vihf/VIHF_INDIRECTE_RENFORCEE_signed.xml",
    ]) else {
        return;
    };
    let cases = [
        (VihfMode::Directe, mixed_to_utf8(&directe)),
        (VihfMode::Indirecte, indirecte),
        (VihfMode::IndirecteRenforcee, air),
    ];
    for (mode, sample) in cases {
        let expected = data(&sample);
        for style in [VihfXmlStyle::Prefixed, VihfXmlStyle::AsSamples] {
            let mut v = sample_vihf(mode);
            v.profile.style = style;
            assert_eq!(ours(&v), expected, "{mode:?} {style:?}");
        }
    }
}

#[test]
fn attribute_names_and_order_per_mode() {
    let names = |v: &Vihf| -> Vec<String> { ours(v).attributes.into_iter().map(|a| a.0).collect() };
    let all = [
        attr::IDENTIFIANT_STRUCTURE,
        attr::SECTEUR_ACTIVITE,
        attr::SUBJECT_ID,
        attr::ROLE,
        attr::VIHF_VERSION,
        attr::AUTHENTIFICATION_MODE,
        attr::RESOURCE_ID,
        attr::RESSOURCE_URN,
        attr::PURPOSE_OF_USE,
        attr::LPS_ID,
        attr::LPS_NOM,
        attr::LPS_VERSION,
        attr::LPS_ID_HOMOLOGATION_DMP,
    ];
    let without_subject: Vec<&str> = all
        .iter()
        .copied()
        .filter(|n| *n != attr::SUBJECT_ID)
        .collect();
    assert_eq!(names(&sample_vihf(VihfMode::Directe)), without_subject);
    assert_eq!(names(&sample_vihf(VihfMode::Indirecte)), all);
    assert_eq!(names(&sample_vihf(VihfMode::IndirecteRenforcee)), all);

    // Optional ones: subject-id in DIRECTE on request, LPS_ID omitted, confidentiality code.
    let mut v = sample_vihf(VihfMode::Directe);
    v.profile.subject_id_in_directe = true;
    v.lps.id = None;
    v.hide_from_legal_representatives = true;
    let n = names(&v);
    assert_eq!(n[2], attr::SUBJECT_ID);
    assert!(!n.iter().any(|x| x == attr::LPS_ID));
    let conf = n
        .iter()
        .position(|x| x == attr::CONFIDENTIALITY_CODE)
        .unwrap();
    assert_eq!(n[conf - 1], attr::PURPOSE_OF_USE);
    let d = ours(&v);
    let (_, _, values) = &d.attributes[conf];
    assert_eq!(
        values,
        &vec![Value::Coded {
            element: (HL7_NS.to_owned(), "ConfidentialityCode".to_owned()),
            attrs: vec![
                ("code".into(), "INVISIBLE_REPRESENTANTS_LEGAUX".into()),
                ("codeSystem".into(), "1.2.250.1.213.1.1.4.13".into()),
                (
                    "displayName".into(),
                    "Non visible par représentants légaux du patient".into()
                ),
            ],
            xsi_type: (HL7_NS.to_owned(), "CE".to_owned()),
        }]
    );
}

#[test]
fn mode_specific_elements() {
    let d = ours(&sample_vihf(VihfMode::Directe));
    assert_eq!(d.class_ref, SMARTCARD);
    assert_eq!(d.decl, None);
    let mode_value = |d: &Data| match &d
        .attributes
        .iter()
        .find(|a| a.0 == attr::AUTHENTIFICATION_MODE)
        .unwrap()
        .2[0]
    {
        Value::Str { text, .. } => text.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(mode_value(&d), "DIRECTE");
    let d = ours(&sample_vihf(VihfMode::Indirecte));
    assert_eq!(mode_value(&d), "INDIRECTE");
    let d = ours(&sample_vihf(VihfMode::IndirecteRenforcee));
    assert_eq!(mode_value(&d), "INDIRECTE_RENFORCEE");
    assert_eq!(d.decl.as_deref(), Some(SMARTCARD));

    // AIR without a declaration, a declaration outside AIR, DIRECTE without the card.
    let mut v = sample_vihf(VihfMode::IndirecteRenforcee);
    v.authentication.decl = None;
    let e = v.to_xml().unwrap_err();
    assert_eq!(e.as_invalid().unwrap().field, "vihf.authentication.decl");
    let mut v = sample_vihf(VihfMode::Indirecte);
    v.authentication.decl = Some("APP_BROWSER_AUTH".into());
    assert_eq!(
        v.to_xml().unwrap_err().as_invalid().unwrap().field,
        "vihf.authentication.decl"
    );
    let mut v = sample_vihf(VihfMode::Directe);
    v.authentication.class = AuthnClass::Password;
    assert_eq!(
        v.to_xml().unwrap_err().as_invalid().unwrap().field,
        "vihf.authentication.class"
    );

    // Indirect mode reflects the local authentication.
    let mut v = sample_vihf(VihfMode::Indirecte);
    v.authentication.class = AuthnClass::PasswordProtectedTransport;
    assert_eq!(
        ours(&v).class_ref,
        "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
    );
    v.authentication.class = AuthnClass::Other("urn:example:otp".into());
    assert_eq!(ours(&v).class_ref, "urn:example:otp");
    v.authentication.class = AuthnClass::Other("not a urn".into());
    assert!(v.to_xml().is_err());

    assert_eq!(
        VihfMode::for_authentication(Authentication::IndirecteCertificatEs),
        VihfMode::Indirecte
    );
    assert_eq!(
        VihfMode::for_authentication(Authentication::DirecteCpe),
        VihfMode::Directe
    );
    assert_eq!(
        VihfMode::for_authentication(Authentication::Air),
        VihfMode::IndirecteRenforcee
    );
}

#[test]
fn roles_profession_then_specialty() {
    // The JDV_J01 code of the TD2.1 sample gives exactly the samples' role values.
    let r = VihfCode::roles_from_author_specialty("G15_10/SM26").unwrap();
    assert_eq!(
        r,
        vec![
            VihfCode::new("10", "1.2.250.1.71.1.2.7", "Médecin"),
            VihfCode::new(
                "SM26",
                "1.2.250.1.71.4.2.5",
                "Qualifié en Médecine Générale (SM)"
            ),
        ]
    );
    let r = VihfCode::roles_from_author_specialty("G15_21/A").unwrap();
    assert_eq!(r[0].code, "21");
    assert_eq!(
        (r[1].code.as_str(), r[1].code_system.as_str()),
        ("A", "1.2.250.1.71.4.2.6")
    );
    let r = VihfCode::roles_from_author_specialty("G15_60").unwrap();
    assert_eq!(
        r,
        vec![VihfCode::new("60", "1.2.250.1.71.1.2.7", "Infirmier")]
    );
    let r = VihfCode::roles_from_author_specialty("41").unwrap();
    assert_eq!(r[0].code_system, "1.2.250.1.213.1.6.1.4");
    let r = VihfCode::roles_from_author_specialty("G16_10").unwrap();
    assert_eq!(r[0].code_system, "1.2.250.1.71.1.2.8");
    assert!(VihfCode::roles_from_author_specialty("G15_99/XX").is_err());

    // From a CDA person.
    let person = CdaPerson {
        idnat: "3750803447/1453".parse().unwrap(),
        family_name: "DURAND".into(),
        given_name: "Claire".into(),
        specialty: "G15_60".into(),
    };
    let u = VihfUser::from_cda_person(&person).unwrap();
    assert_eq!(u.subject_id(), "DURAND Claire");
    assert_eq!(u.roles.len(), 1);
}

#[test]
fn medecin_and_pharmacien_need_a_specialty() {
    for prof in ["10", "21"] {
        let mut v = sample_vihf(VihfMode::Indirecte);
        v.user.roles = vec![VihfCode::profession(prof).unwrap()];
        let e = v.to_xml().unwrap_err();
        let inv = e.as_invalid().unwrap();
        assert_eq!(inv.field, "vihf.user.roles");
        assert!(inv.rule.contains("Aucune spécialité dans le vihf"), "{inv}");
        assert!(inv.rule.contains(if prof == "10" {
            "médecin"
        } else {
            "pharmacien"
        }));
        // A second value in a wrong system is not a specialty either.
        v.user.roles.push(VihfCode::new("X", "1.2.3", "x"));
        assert!(v.to_xml().is_err());
    }
    let mut v = sample_vihf(VihfMode::Indirecte);
    v.user.roles = vec![VihfCode::profession("60").unwrap()];
    assert!(v.to_xml().is_ok());
    v.user.roles.clear();
    assert_eq!(
        v.to_xml().unwrap_err().as_invalid().unwrap().field,
        "vihf.user.roles"
    );
    v.user.roles = vec![VihfCode::new("60", "not-an-oid", "Infirmier")];
    assert_eq!(
        v.to_xml().unwrap_err().as_invalid().unwrap().field,
        "vihf.user.roles[0].code_system"
    );
}

#[test]
fn no_default_namespace_and_everything_declared_on_the_assertion() {
    for mode in [
        VihfMode::Directe,
        VihfMode::Indirecte,
        VihfMode::IndirecteRenforcee,
    ] {
        let mut v = sample_vihf(mode);
        v.hide_from_legal_representatives = true;
        v.validity = Some(Validity {
            not_before: t("2019-06-26T08:08:55Z"),
            not_on_or_after: t("2019-06-26T09:08:55Z"),
        });
        let xml = v.to_xml().unwrap();
        let s = std::str::from_utf8(&xml).unwrap();
        assert!(!s.contains("xmlns="), "{s}");
        assert!(!s.starts_with("<?xml"));
        let tree = Tree::parse(&xml, &Limits::default()).unwrap();
        let mut declared = Vec::new();
        for e in tree.elements() {
            assert!(e.prefix().is_some(), "unprefixed element {}", e.qname());
            for d in e.namespace_declarations() {
                assert!(d.prefix.is_some());
                assert_eq!(e.id(), tree.root().id(), "declaration below the root");
                declared.push((d.prefix.unwrap().to_owned(), d.uri.to_owned()));
            }
        }
        declared.sort();
        assert_eq!(
            declared,
            vec![
                ("hl7".to_owned(), HL7_NS.to_owned()),
                ("saml2".to_owned(), SAML2_NS.to_owned()),
                ("xs".to_owned(), XS_NS.to_owned()),
                (
                    "xsi".to_owned(),
                    "http://www.w3.org/2001/XMLSchema-instance".to_owned()
                ),
            ]
        );
        let d = data(&xml);
        assert_eq!(
            d.conditions,
            Some((
                "2019-06-26T08:08:55.000Z".to_owned(),
                "2019-06-26T09:08:55.000Z".to_owned()
            ))
        );
    }
}

#[test]
fn deterministic_bytes_and_layout() {
    let v = sample_vihf(VihfMode::Indirecte);
    let a = v.to_xml().unwrap();
    assert_eq!(a, v.clone().to_xml().unwrap());
    let s = String::from_utf8(a).unwrap();
    assert!(s.starts_with(
        "<saml2:Assertion xmlns:saml2=\"urn:oasis:names:tc:SAML:2.0:assertion\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
         xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" xmlns:hl7=\"urn:hl7-org:v3\" \
         ID=\"_65db4fa8-b44a-4c11-adc5-135dcc327b24\" IssueInstant=\"2019-06-26T08:46:06.839Z\" \
         Version=\"2.0\">\n  <saml2:Issuer Format="
    ));
    // The Issuer comes first, so that the signature can be spliced right after it.
    let issuer_end = s.find("</saml2:Issuer>").unwrap();
    assert!(s[..issuer_end].matches('<').count() == 2);
    assert!(s.contains(
        "<hl7:Role code=\"10\" codeSystem=\"1.2.250.1.71.1.2.7\" displayName=\"Médecin\" xsi:type=\"hl7:CE\"/>"
    ));
    assert!(s.contains(
        "<saml2:AttributeValue xsi:type=\"xs:string\">207058575627097^^^&amp;1.2.250.1.213.1.4.10&amp;ISO^NH</saml2:AttributeValue>"
    ));
    assert!(s.ends_with("</saml2:Assertion>\n"));

    // Sub-millisecond precision is cut, not rounded.
    let mut v = sample_vihf(VihfMode::Indirecte);
    v.issue_instant = Utc.with_ymd_and_hms(2025, 1, 2, 3, 4, 5).unwrap()
        + chrono::Duration::nanoseconds(123_999_999);
    let s = String::from_utf8(v.to_xml().unwrap()).unwrap();
    assert!(s.contains("IssueInstant=\"2025-01-02T03:04:05.123Z\""));
}

#[test]
fn profile_settings() {
    let mut v = sample_vihf(VihfMode::Indirecte);
    v.profile.mode_attribute = ModeAttributeName::Kits;
    v.profile.version = VihfVersion::V4_0;
    v.profile.purpose_code_system_name = "mode acces VIHF 1.0".into();
    v.profile.role_system_names = RoleSystemNames::Short;
    let s = String::from_utf8(v.to_xml().unwrap()).unwrap();
    assert!(s.contains("Name=\"Authentification_Mode\""));
    assert!(!s.contains("Name=\"Authentification_mode\""));
    assert!(s.contains(">4.0<"));
    assert!(s.contains("codeSystemName=\"mode acces VIHF 1.0\""));
    assert!(s.contains("codeSystemName=\"G15\""));
    assert!(s.contains("codeSystemName=\"R01\""));

    // JSON settings: defaults and unknown fields.
    let p: VihfProfile = serde_json::from_str("{}").unwrap();
    assert_eq!(p, VihfProfile::default());
    assert_eq!(p.purpose_code_system_name, "mode acces VIHF 2.0");
    let p: VihfProfile =
        serde_json::from_str(r#"{"version":"4.0","mode_attribute":"kits","style":"as_samples"}"#)
            .unwrap();
    assert_eq!(p.version, VihfVersion::V4_0);
    assert_eq!(p.style, VihfXmlStyle::AsSamples);
    assert!(serde_json::from_str::<VihfProfile>(r#"{"versoin":"3.0"}"#).is_err());
}

#[test]
fn field_errors() {
    let bad = |f: &dyn Fn(&mut Vihf), field: &str| {
        let mut v = sample_vihf(VihfMode::Indirecte);
        f(&mut v);
        let e = v.to_xml().unwrap_err();
        assert_eq!(e.as_invalid().map(|i| i.field.as_str()), Some(field), "{e}");
    };
    bad(&|v| v.assertion_id = "1abc".into(), "vihf.assertion_id");
    bad(&|v| v.assertion_id = "_a b".into(), "vihf.assertion_id");
    bad(&|v| v.issuer = String::new(), "vihf.issuer");
    bad(&|v| v.issuer = "CN=x\u{1}".into(), "vihf.issuer");
    bad(&|v| v.structure_id = "1 2".into(), "vihf.structure_id");
    bad(
        &|v| v.secteur_activite = "SA07^1.2.250.1.71.4.2.4".into(),
        "vihf.secteur_activite",
    );
    bad(&|v| v.lps.nom = " LPS".into(), "vihf.lps.nom");
    bad(
        &|v| v.lps.homologation = String::new(),
        "vihf.lps.homologation",
    );
    bad(
        &|v| v.user.family_name = String::new(),
        "vihf.user.family_name",
    );
    bad(
        &|v| {
            v.validity = Some(Validity {
                not_before: t("2020-01-01T00:00:00Z"),
                not_on_or_after: t("2020-01-01T00:00:00Z"),
            })
        },
        "vihf.validity",
    );
    let mut v = sample_vihf(VihfMode::Indirecte);
    v.purpose_of_use = AccessMode::BrisDeGlace;
    let s = String::from_utf8(v.to_xml().unwrap()).unwrap();
    assert!(s.contains("code=\"bris_de_glace\""));
    assert!(s.contains("displayName=\"Accès en bris de glace\""));
    assert_eq!(
        Vihf::assertion_id_for(uuid::Uuid::nil()),
        "_00000000-0000-0000-0000-000000000000"
    );
    assert_eq!(
        Vihf::structure_id_of(&"750803447".parse().unwrap()),
        "1750803447"
    );
}

#[test]
fn a_received_token_names_its_roles_and_profession() {
    use dmp_core::vihf::{security_token, TokenRole};
    let v = sample_vihf(VihfMode::Directe);
    let assertion = v.to_xml().unwrap();
    let envelope = dmp_core::soap::build_envelope(
        "urn:ihe:iti:2007:RegistryStoredQuery",
        "urn:uuid:0b6f4648-f2e9-4a06-94fd-c563a807212f",
        "",
        &assertion,
        b"<x/>",
    )
    .unwrap();
    let token = security_token(&envelope).unwrap();
    assert_eq!(
        token.roles.first(),
        Some(&TokenRole {
            code: v.user.roles[0].code.clone(),
            code_system: v.user.roles[0].code_system.clone(),
        })
    );
    assert_eq!(token.roles.len(), v.user.roles.len());
    assert_eq!(token.profession_g15(), Some(v.user.roles[0].code.as_str()));
}

//! Registry responses written here for the TD3.1/TD3.3 tests (`tests/registry.rs`,
//! `tests/update.rs`): our own values in the shape of the official ones (the official sample
//! messages are never copied into the repository).

#![allow(dead_code)]

use dmp_core::xds::vocabulary::*;

use crate::common;

/// The test INS of every official sample, as a CX.
pub const INS_CX: &str = "207058575627097^^^&1.2.250.1.213.1.4.10&ISO^NH";
/// The SOAP 1.2 envelope namespace.
pub const SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";
/// The confidentiality level N.
pub const N: (&str, &str, &str) = ("N", "2.16.840.1.113883.5.25", "Normal");

/// `body` in a SOAP 1.2 envelope with a WS-Addressing action.
pub fn envelope(body: &str) -> String {
    format!(
        r#"<soap:Envelope xmlns:soap="{SOAP12}"><soap:Header><Action xmlns="http://www.w3.org/2005/08/addressing">urn:ihe:iti:2007:RegistryStoredQueryResponse</Action></soap:Header><soap:Body>{body}</soap:Body></soap:Envelope>"#
    )
}

/// An AdhocQueryResponse with `status`, extra attributes and content.
pub fn response(status: &str, attrs: &str, inner: &str) -> String {
    format!(
        r#"<query:AdhocQueryResponse xmlns:query="{NS_QUERY}" xmlns:rim="{NS_RIM}" xmlns:rs="{NS_RS}" status="{status}" {attrs}>{inner}</query:AdhocQueryResponse>"#
    )
}

/// An entry in the shape of the official ones (ours: values invented), with the given id,
/// status and confidentiality codes `(code, scheme, display)`.
pub fn entry(id: &str, status: &str, conf: &[(&str, &str, &str)]) -> String {
    let cla = |scheme: &str, i: usize, code: &str, coding: &str, name: &str| {
        format!(
            r#"<rim:Classification classificationScheme="{scheme}" classifiedObject="{id}" id="urn:uuid:00000000-0000-4000-8000-{i:012}" nodeRepresentation="{code}"><rim:Slot name="codingScheme"><rim:ValueList><rim:Value>{coding}</rim:Value></rim:ValueList></rim:Slot><rim:Name><rim:LocalizedString charset="UTF8" value="{name}" xml:lang="FR"/></rim:Name></rim:Classification>"#
        )
    };
    let slot = |n: &str, v: &str| {
        format!(
            r#"<rim:Slot name="{n}"><rim:ValueList><rim:Value>{v}</rim:Value></rim:ValueList></rim:Slot>"#
        )
    };
    let mut s = format!(
        r#"<rim:ExtrinsicObject id="{id}" isOpaque="false" lid="{id}" mimeType="text/xml" objectType="{DE_OBJECT_TYPE}" status="{status}">"#
    );
    for (n, v) in [
        ("creationTime", "20240105083000"),
        ("hash", "0123456789abcdef0123456789abcdef01234567"),
        ("languageCode", "fr-FR"),
        (
            "legalAuthenticator",
            "810002345678^DURAND^Anne^^^^^^&amp;1.2.250.1.71.4.2.1&amp;ISO^D^^^IDNPS",
        ),
        ("repositoryUniqueId", "1.2.250.1.213.4.1.1.1.2"),
        ("serviceStartTime", "20240104"),
        ("size", "4242"),
        ("sourcePatientId", INS_CX),
    ] {
        s += &slot(
            n,
            &v.replace("&ISO", "&amp;ISO").replace("&1.2", "&amp;1.2"),
        );
    }
    s += r#"<rim:Slot name="sourcePatientInfo"><rim:ValueList><rim:Value>PID-5|DUPONT^Marie^^^^^L</rim:Value><rim:Value>PID-7|19400101</rim:Value><rim:Value>PID-8|F</rim:Value></rim:ValueList></rim:Slot>"#;
    s += r#"<rim:Name><rim:LocalizedString charset="UTF8" value="DLU de Mme DUPONT" xml:lang="FR"/></rim:Name><rim:VersionInfo versionName="3"/>"#;
    s += &format!(
        r#"<rim:Classification classificationScheme="{DE_AUTHOR}" classifiedObject="{id}" id="urn:uuid:00000000-0000-4000-8000-000000000001" nodeRepresentation=""><rim:Slot name="authorPerson"><rim:ValueList><rim:Value>810002345678^DURAND^Anne^^^^^^&amp;1.2.250.1.71.4.2.1&amp;ISO^D^^^IDNPS</rim:Value></rim:ValueList></rim:Slot><rim:Slot name="authorInstitution"><rim:ValueList><rim:Value>EHPAD LES TILLEULS^^^^^&amp;1.2.250.1.71.4.2.2&amp;ISO^IDNST^^^1750000001</rim:Value></rim:ValueList></rim:Slot><rim:Slot name="authorRole"><rim:ValueList><rim:Value>ROLE^Rôle^1.2.3</rim:Value></rim:ValueList></rim:Slot><rim:Slot name="authorTelecommunication"><rim:ValueList><rim:Value>^^Internet^anne@example.invalid</rim:Value></rim:ValueList></rim:Slot></rim:Classification>"#
    );
    s += &cla(
        DE_CLASS_CODE,
        2,
        "10",
        "1.2.250.1.213.1.1.4.1",
        "Compte rendu",
    );
    for (i, (code, scheme, name)) in conf.iter().enumerate() {
        s += &cla(DE_CONFIDENTIALITY_CODE, 10 + i, code, scheme, name);
    }
    s += &cla(
        DE_FORMAT_CODE,
        3,
        "urn:ihe:iti:xds-sd:pdf:2008",
        "1.3.6.1.4.1.19376.1.2.3",
        "PDF",
    );
    s += &cla(
        DE_HEALTHCARE_FACILITY_TYPE_CODE,
        4,
        "SA41",
        "1.2.250.1.71.4.2.4",
        "ESSMS",
    );
    s += &cla(
        DE_PRACTICE_SETTING_CODE,
        5,
        "ESSMS",
        "1.2.250.1.213.1.1.4.9",
        "ESSMS",
    );
    s += &cla(DE_TYPE_CODE, 6, "74207-2", "2.16.840.1.113883.6.1", "DLU");
    s += &format!(
        r#"<rim:ExternalIdentifier id="urn:uuid:00000000-0000-4000-8000-000000000007" identificationScheme="{DE_PATIENT_ID}" registryObject="{id}" value="{}"><rim:Name><rim:LocalizedString value="XDSDocumentEntry.patientId"/></rim:Name></rim:ExternalIdentifier>"#,
        INS_CX.replace('&', "&amp;")
    );
    s += &format!(
        r#"<rim:ExternalIdentifier id="urn:uuid:00000000-0000-4000-8000-000000000008" identificationScheme="{DE_UNIQUE_ID}" registryObject="{id}" value="1.2.250.1.999.1.1.7898.1.42"><rim:Name><rim:LocalizedString value="XDSDocumentEntry.uniqueId"/></rim:Name></rim:ExternalIdentifier>"#
    );
    s + "</rim:ExtrinsicObject>"
}

/// Runs validate-xds on SOAP 1.2 envelopes around `bodies`; `None` when it cannot run.
pub fn validate_xds(name: &str, bodies: &[Vec<u8>]) -> Option<String> {
    let names: Vec<String> = (0..bodies.len()).map(|i| format!("{name}-{i}")).collect();
    let envelopes: Vec<(&str, String)> = names
        .iter()
        .zip(bodies)
        .map(|(n, b)| {
            (
                n.as_str(),
                common::soap12_envelope(&String::from_utf8_lossy(b)),
            )
        })
        .collect();
    common::validate_xds(&envelopes)
}

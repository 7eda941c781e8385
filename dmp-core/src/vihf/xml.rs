//! Serialisation of a validated [`Vihf`] with the crate's [`XmlWriter`].

use chrono::{DateTime, Utc};

use super::{
    attr, Vihf, VihfCode, VihfXmlStyle, HL7_NS, ISSUER_FORMAT, RESSOURCE_URN_DMP, SAML2_NS, XSI_NS,
    XS_NS,
};
use crate::codes::{self, system};
use crate::error::Result;
use crate::xml::writer::{Attr, XmlWriter};

/// `2019-06-26T08:08:55.469Z`: UTC, milliseconds, `Z`.
pub(super) fn saml_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

pub(super) fn write(v: &Vihf) -> Result<Vec<u8>> {
    let style = v.profile.style;
    let issue = saml_time(v.issue_instant);
    let mut root: Vec<Attr<'_>> = vec![("xmlns:saml2", SAML2_NS), ("xmlns:xsi", XSI_NS)];
    if style == VihfXmlStyle::Prefixed {
        root.push(("xmlns:xs", XS_NS));
        root.push(("xmlns:hl7", HL7_NS));
    }
    root.extend([
        ("ID", v.assertion_id.as_str()),
        ("IssueInstant", issue.as_str()),
        ("Version", "2.0"),
    ]);
    let mut w = XmlWriter::new();
    w.elem("saml2:Assertion", &root, |w| {
        w.leaf("saml2:Issuer", &[("Format", ISSUER_FORMAT)], &v.issuer)?;
        let name_id = v.user.idnat.to_string();
        w.elem("saml2:Subject", &[], |w| {
            w.leaf("saml2:NameID", &[], &name_id)
        })?;
        if let Some(validity) = &v.validity {
            let nb = saml_time(validity.not_before);
            let na = saml_time(validity.not_on_or_after);
            w.empty(
                "saml2:Conditions",
                &[("NotBefore", &nb), ("NotOnOrAfter", &na)],
            )?;
        }
        let authn = saml_time(v.authentication.instant);
        w.elem("saml2:AuthnStatement", &[("AuthnInstant", &authn)], |w| {
            w.elem("saml2:AuthnContext", &[], |w| {
                w.leaf(
                    "saml2:AuthnContextClassRef",
                    &[],
                    &v.authentication.class.uri(),
                )?;
                if let Some(decl) = &v.authentication.decl {
                    w.leaf("saml2:AuthnContextDecl", &[], decl)?;
                }
                Ok(())
            })
        })?;
        w.elem("saml2:AttributeStatement", &[], |w| attributes(w, v))
    })?;
    w.finish()
}

fn attributes(w: &mut XmlWriter, v: &Vihf) -> Result<()> {
    let style = v.profile.style;
    string(w, style, attr::IDENTIFIANT_STRUCTURE, &v.structure_id)?;
    let sector = format!("{}^{}", v.secteur_activite, system::TRE_R02);
    string(w, style, attr::SECTEUR_ACTIVITE, &sector)?;
    if v.sends_subject_id() {
        string(w, style, attr::SUBJECT_ID, &v.user.subject_id())?;
    }
    let roles: Vec<VihfCode> = v
        .user
        .roles
        .iter()
        .map(|r| {
            let mut r = r.clone();
            if r.code_system_name.is_none() {
                r.code_system_name = v
                    .profile
                    .role_system_names
                    .name_for(&r.code_system)
                    .map(str::to_owned);
            }
            r
        })
        .collect();
    coded(w, style, attr::ROLE, "Role", &roles)?;
    string(w, style, attr::VIHF_VERSION, v.profile.version.as_str())?;
    string(w, style, v.profile.mode_attribute.as_str(), v.mode.code())?;
    string(w, style, attr::RESOURCE_ID, &v.patient.to_cx())?;
    string(w, style, attr::RESSOURCE_URN, RESSOURCE_URN_DMP)?;
    let mode = v.purpose_of_use;
    let display = codes::TRE_R248
        .find(mode.code())
        .map_or(mode.code(), |c| c.display);
    let purpose = VihfCode {
        code: mode.code().to_owned(),
        code_system: system::TRE_R248.to_owned(),
        code_system_name: Some(v.profile.purpose_code_system_name.clone()),
        display_name: display.to_owned(),
    };
    coded(w, style, attr::PURPOSE_OF_USE, "PurposeOfUse", &[purpose])?;
    if v.hide_from_legal_representatives {
        let code = "INVISIBLE_REPRESENTANTS_LEGAUX";
        let display = codes::TRE_A07.find(code).map_or(code, |c| c.display);
        let c = VihfCode::new(code, system::TRE_A07, display);
        coded(
            w,
            style,
            attr::CONFIDENTIALITY_CODE,
            "ConfidentialityCode",
            &[c],
        )?;
    }
    if let Some(id) = &v.lps.id {
        string(w, style, attr::LPS_ID, id)?;
    }
    string(w, style, attr::LPS_NOM, &v.lps.nom)?;
    string(w, style, attr::LPS_VERSION, &v.lps.version)?;
    string(w, style, attr::LPS_ID_HOMOLOGATION_DMP, &v.lps.homologation)
}

/// `<saml2:Attribute Name=…><saml2:AttributeValue xsi:type="xs:string">value</…></…>`.
fn string(w: &mut XmlWriter, style: VihfXmlStyle, name: &str, value: &str) -> Result<()> {
    w.elem("saml2:Attribute", &[("Name", name)], |w| match style {
        VihfXmlStyle::Prefixed => {
            w.leaf("saml2:AttributeValue", &[("xsi:type", "xs:string")], value)
        }
        VihfXmlStyle::AsSamples => w.leaf(
            "saml2:AttributeValue",
            &[("xmlns:xs", XS_NS), ("xsi:type", "xs:string")],
            value,
        ),
    })
}

/// One `saml2:Attribute` with one `saml2:AttributeValue` per code, each holding an HL7 `CE`
/// element named `element` (`Role`, `PurposeOfUse`, `ConfidentialityCode`).
fn coded(
    w: &mut XmlWriter,
    style: VihfXmlStyle,
    name: &str,
    element: &'static str,
    values: &[VihfCode],
) -> Result<()> {
    let (qname, xmlns, xsi_type): (&'static str, Option<(&'static str, &str)>, &str) =
        match (style, element) {
            (VihfXmlStyle::Prefixed, "Role") => ("hl7:Role", None, "hl7:CE"),
            (VihfXmlStyle::Prefixed, "PurposeOfUse") => ("hl7:PurposeOfUse", None, "hl7:CE"),
            (VihfXmlStyle::Prefixed, _) => ("hl7:ConfidentialityCode", None, "hl7:CE"),
            (VihfXmlStyle::AsSamples, e) => (e, Some(("xmlns", HL7_NS)), "CE"),
        };
    w.elem("saml2:Attribute", &[("Name", name)], |w| {
        for c in values {
            w.elem("saml2:AttributeValue", &[], |w| {
                let mut attrs: Vec<Attr<'_>> = Vec::with_capacity(6);
                if let Some(ns) = xmlns {
                    attrs.push(ns);
                }
                attrs.push(("code", &c.code));
                attrs.push(("codeSystem", &c.code_system));
                if let Some(n) = &c.code_system_name {
                    attrs.push(("codeSystemName", n));
                }
                attrs.push(("displayName", &c.display_name));
                attrs.push(("xsi:type", xsi_type));
                w.empty(qname, &attrs)
            })?;
        }
        Ok(())
    })
}

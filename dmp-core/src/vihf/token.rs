//! Reading the VIHF of a received request: the one `saml2:Assertion` of `wsse:Security`.
//!
//! Every check of a request (feed check, the consultation checks, a DMP sandbox) reads the
//! VIHF through [`security_token`], so that "which assertion is the VIHF" is decided once:
//! exactly one `wsse:Security` in the SOAP header, holding exactly one element, a SAML 2.0
//! `Assertion`. An unsigned assertion before the signed one, or a signed one wrapped inside
//! another, is refused here (the caller then checks that a valid signature covers the span
//! returned, [`crate::xmldsig::SignatureReport::covers`]).

use std::ops::Range;

use crate::actor::check_vihf_signer;
use crate::error::{Error, Result};
use crate::soap::{SOAP12_NS, WSSE_NS};
use crate::xml::reader::Limits;
use crate::xml::tree::{Element, Tree};
use crate::xmldsig::SignatureReport;

use super::{attr, VihfMode, SAML2_NS};

const SOURCE: &str = "VIHF";

/// What a check needs of a received VIHF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityToken {
    /// Byte range of the assertion in the envelope (to match a signature's reference).
    pub span: Range<usize>,
    /// `ID`.
    pub id: String,
    /// `Authentification_mode` (either spelling), verbatim.
    pub mode_code: String,
    /// The mode, when known.
    pub mode: Option<VihfMode>,
    /// `Subject/NameID`: the user's IdNat.
    pub name_id: String,
    /// `Identifiant_Structure`.
    pub structure_id: String,
    /// `resource-id`: the usager's INS in CX form.
    pub resource_id: Option<String>,
    /// `purposeofuse` code (`normal`, `centre_15`, `bris_de_glace`).
    pub purpose_of_use: Option<String>,
    /// Every `Role` value (profession, specialty…): what a DMP applies the habilitation
    /// matrix and the functional rights to.
    pub roles: Vec<TokenRole>,
}

/// One `Role` of a received VIHF (an HL7 `CE`): `code` in `code_system`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRole {
    /// `@code` (`10`, `G15_10/SM26`…).
    pub code: String,
    /// `@codeSystem` (an OID).
    pub code_system: String,
}

impl SecurityToken {
    /// The TRE_G15 profession code of the roles (`10` médecin, `60` infirmier…): the role in
    /// TRE_G15, else the profession of a JDV_J01 specialty (`G15_10/SM26` → `10`).
    pub fn profession_g15(&self) -> Option<&str> {
        self.roles
            .iter()
            .find(|r| r.code_system == crate::codes::system::TRE_G15)
            .map(|r| r.code.as_str())
            .or_else(|| {
                self.roles.iter().find_map(|r| {
                    let rest = r.code.strip_prefix("G15_")?;
                    Some(rest.split('/').next().unwrap_or(rest))
                })
            })
    }
}

/// Reads the VIHF of a SOAP envelope (see the module documentation). Errors say what is
/// wrong with the header.
pub fn security_token(envelope: &[u8]) -> Result<SecurityToken> {
    security_token_in(&Tree::parse(envelope, &Limits::default())?)
}

/// [`security_token`] of an envelope already parsed.
pub(crate) fn security_token_in(tree: &Tree) -> Result<SecurityToken> {
    let root = tree.root();
    let header = root
        .children()
        .find(|e| e.is(SOAP12_NS, "Header"))
        .ok_or_else(|| Error::data(SOURCE, root.line(), "the envelope has no SOAP 1.2 Header"))?;
    let mut securities = header.children().filter(|e| e.is(WSSE_NS, "Security"));
    let security = securities
        .next()
        .ok_or_else(|| Error::data(SOURCE, header.line(), "no wsse:Security header"))?;
    if let Some(second) = securities.next() {
        return Err(Error::data(
            SOURCE,
            second.line(),
            "more than one wsse:Security header: the VIHF must be the only security token",
        ));
    }
    let mut tokens = security.children();
    let assertion = tokens
        .next()
        .ok_or_else(|| Error::data(SOURCE, security.line(), "wsse:Security holds no VIHF"))?;
    if let Some(extra) = tokens.next() {
        return Err(Error::data(
            SOURCE,
            extra.line(),
            format!(
                "wsse:Security holds more than one element (a second {}): the VIHF must be \
                 its only token",
                extra.local_name()
            ),
        ));
    }
    if !assertion.is(SAML2_NS, "Assertion") {
        return Err(Error::data(
            SOURCE,
            assertion.line(),
            format!(
                "wsse:Security holds a {} element, not a SAML 2.0 Assertion",
                assertion.local_name()
            ),
        ));
    }
    if let Some(nested) = assertion
        .descendants_or_self()
        .skip(1)
        .find(|e| e.is(SAML2_NS, "Assertion"))
    {
        return Err(Error::data(
            SOURCE,
            nested.line(),
            "the VIHF holds another Assertion (in Advice or elsewhere): refused",
        ));
    }
    let id = assertion
        .attr("ID")
        .ok_or_else(|| Error::data(SOURCE, assertion.line(), "the Assertion has no ID"))?;
    let name_id = assertion
        .child(SAML2_NS, "Subject")
        .and_then(|s| s.child(SAML2_NS, "NameID"))
        .map(|n| n.text().trim().to_owned())
        .ok_or_else(|| Error::data(SOURCE, assertion.line(), "no Subject/NameID"))?;
    let mode_code = attribute(
        assertion,
        &[
            attr::AUTHENTIFICATION_MODE,
            attr::AUTHENTIFICATION_MODE_KITS,
        ],
    )
    .ok_or_else(|| Error::data(SOURCE, assertion.line(), "no Authentification_mode"))?;
    let structure_id = attribute(assertion, &[attr::IDENTIFIANT_STRUCTURE])
        .ok_or_else(|| Error::data(SOURCE, assertion.line(), "no Identifiant_Structure"))?;
    let purpose_of_use = attribute_element(assertion, attr::PURPOSE_OF_USE)
        .and_then(|v| v.children().next())
        .and_then(|pou| pou.attr("code").map(str::to_owned));
    Ok(SecurityToken {
        span: assertion.span(),
        id: id.to_owned(),
        mode: VihfMode::from_code(&mode_code),
        mode_code,
        name_id,
        structure_id,
        resource_id: attribute(assertion, &[attr::RESOURCE_ID]),
        purpose_of_use,
        roles: roles(assertion),
    })
}

/// The VIHF of a request ([`security_token`]) as a check of a received request needs it: a
/// valid signature of `signatures` (those of the MIME part `part`, `None` for plain XML)
/// covers exactly that assertion, and its signer fits its mode
/// ([`crate::actor::check_vihf_signer`]). Every check of a request goes through here (feed
/// check, [`crate::xmldsig::verify_message`]). Errors say what is wrong.
pub fn check_security_token(
    envelope: &Tree,
    part: Option<&str>,
    signatures: &[SignatureReport],
) -> Result<SecurityToken> {
    let token = security_token_in(envelope)?;
    let line = envelope.root().line();
    let Some(sig) = signatures
        .iter()
        .find(|s| s.part.as_deref() == part && s.covers(&token.span))
    else {
        return Err(Error::data(
            SOURCE,
            line,
            format!(
                "no valid signature covers the assertion {} of wsse:Security",
                token.id
            ),
        ));
    };
    let (Some(mode), Some(cert)) = (token.mode, sig.signer.as_ref()) else {
        return Err(Error::data(
            SOURCE,
            line,
            format!(
                "unknown Authentification_mode '{}' or no signing certificate",
                token.mode_code
            ),
        ));
    };
    check_vihf_signer(mode, &token.name_id, &token.structure_id, cert)?;
    Ok(token)
}

/// The first `AttributeValue` element of the attribute `name`.
fn attribute_element<'t>(assertion: Element<'t>, name: &str) -> Option<Element<'t>> {
    assertion
        .children()
        .filter(|e| e.is(SAML2_NS, "AttributeStatement"))
        .flat_map(|s| s.children())
        .find(|a| a.is(SAML2_NS, "Attribute") && a.attr("Name") == Some(name))
        .and_then(|a| a.child(SAML2_NS, "AttributeValue"))
}

/// Every coded value of the `Role` attribute (one `AttributeValue` each).
fn roles(assertion: Element<'_>) -> Vec<TokenRole> {
    assertion
        .children()
        .filter(|e| e.is(SAML2_NS, "AttributeStatement"))
        .flat_map(|s| s.children())
        .filter(|a| a.is(SAML2_NS, "Attribute") && a.attr("Name") == Some(attr::ROLE))
        .flat_map(|a| a.children())
        .filter(|v| v.is(SAML2_NS, "AttributeValue"))
        .filter_map(|v| v.children().next())
        .filter_map(|ce| {
            Some(TokenRole {
                code: ce.attr("code")?.to_owned(),
                code_system: ce.attr("codeSystem")?.to_owned(),
            })
        })
        .collect()
}

/// The text of the first attribute named one of `names`.
fn attribute(assertion: Element<'_>, names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|n| attribute_element(assertion, n))
        .map(|v| v.text().trim().to_owned())
}

//! Enveloped signing (VIHF style).

use base64::Engine as _;

use super::digest_c14n;
use super::twin::Twin;
use super::verify::IdIndex;
use super::{DSIG_NS, ENVELOPED_SIGNATURE, EXC_C14N_NS, SAML2_NS};
use crate::crypto::{DigestAlgorithm, Signer};
use crate::error::{Error, Result};
use crate::xml::c14n::{C14nMethod, EXC_C14N};
use crate::xml::reader::Limits;
use crate::xml::tree::{Element, Tree};

/// Options of [`sign_enveloped`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvelopedOptions {
    /// The name of the ID attribute of the element to sign, as written (`ID` for SAML,
    /// `Id`, `wsu:Id`…).
    pub id_attribute: String,
    /// The `InclusiveNamespaces PrefixList` of the exclusive C14N transform (`#default` for
    /// the default namespace); empty: no `InclusiveNamespaces` element.
    pub inclusive_prefixes: Vec<String>,
    /// Where the signature goes: right after the first child element `(namespace, local
    /// name)` of the signed element (SAML: after `saml2:Issuer`); `None`: as its last child.
    pub insert_after: Option<(String, String)>,
    /// The reference digest; `None`: the digest of the signer's algorithm (SHA-256 for
    /// RSA-SHA256, SHA-1 for RSA-SHA1).
    pub digest: Option<DigestAlgorithm>,
    /// Parser limits for the input.
    pub limits: Limits,
}

impl Default for EnvelopedOptions {
    /// `ID` attribute, no `PrefixList`, signature as last child, digest of the signer.
    fn default() -> Self {
        EnvelopedOptions {
            id_attribute: "ID".to_owned(),
            inclusive_prefixes: Vec::new(),
            insert_after: None,
            digest: None,
            limits: Limits::default(),
        }
    }
}

impl EnvelopedOptions {
    /// The VIHF form (dmp-interface §4.4): `ID` attribute, `PrefixList="ds saml #default
    /// xsi"` (as the ANS kits write it), signature right after `saml2:Issuer`.
    pub fn vihf() -> Self {
        EnvelopedOptions {
            inclusive_prefixes: ["ds", "saml", "#default", "xsi"]
                .map(str::to_owned)
                .to_vec(),
            insert_after: Some((SAML2_NS.to_owned(), "Issuer".to_owned())),
            ..EnvelopedOptions::default()
        }
    }
}

fn err(message: impl Into<String>) -> Error {
    Error::crypto("signature", message)
}

/// Signs the element whose ID attribute ([`EnvelopedOptions::id_attribute`]) is `id` with an
/// enveloped XML-DSig signature and returns the document bytes with the `ds:Signature`
/// spliced in (see the module documentation). The signature: `CanonicalizationMethod`
/// exclusive C14N, `SignatureMethod` of the signer, one `Reference URI="#id"` with the
/// transforms `enveloped-signature` and exclusive C14N (with the `PrefixList`), and
/// `KeyInfo/X509Data/X509Certificate` with the signer's certificate. No white space is added.
///
/// Errors: the input is not XML (`Error::Data`), no element or several elements carry the
/// ID (in any ID attribute form), the `insert_after` element is missing, the signer fails
/// (`Error::Crypto`).
pub fn sign_enveloped(
    xml: &[u8],
    id: &str,
    options: &EnvelopedOptions,
    signer: &dyn Signer,
) -> Result<Vec<u8>> {
    let tree = Tree::parse(xml, &options.limits)?;
    let found = tree.find_by_id(&options.id_attribute, id);
    let elem = match found.as_slice() {
        [one] => tree.element(*one).ok_or_else(|| err("element lost"))?,
        [] => {
            return Err(err(format!(
                "no element has {}=\"{id}\"",
                options.id_attribute
            )))
        }
        many => {
            return Err(err(format!(
                "{} elements have {}=\"{id}\": a verifier would refuse the signature",
                many.len(),
                options.id_attribute
            )))
        }
    };
    let index = IdIndex::build(&tree);
    if index.count(id) > 1 {
        return Err(err(format!(
            "the ID \"{id}\" is carried by several elements (in other ID attributes): a \
             verifier would refuse the signature"
        )));
    }
    if let Some(dup) = index.strong_duplicate() {
        return Err(err(format!(
            "the document carries the ID \"{dup}\" twice: a verifier would refuse the signature"
        )));
    }
    let splice = Splice::locate(xml, elem, options.insert_after.as_ref())?;

    let prefixes = options.inclusive_prefixes.join(" ");
    let method = C14nMethod::from_uri(
        EXC_C14N,
        (!options.inclusive_prefixes.is_empty()).then_some(prefixes.as_str()),
    )?;
    let digest_alg = options
        .digest
        .unwrap_or_else(|| signer.algorithm().digest());
    let digest = digest_c14n(&tree, Some(elem.id()), None, &method, digest_alg)?;

    let cert = signer
        .signing_certificate()
        .ok_or_else(|| err("the signer has no certificate"))?;
    // SignedInfo, and its exclusive C14N as the verifier computes it in the final document:
    // only `ds` is used (declared on ds:Signature), `ec` where it is declared.
    let mut si = Twin::with_capacity(1024);
    si.apex("ds:SignedInfo", &format!(" xmlns:ds=\"{DSIG_NS}\""));
    si.push(">");
    si.algorithm("ds:CanonicalizationMethod", "", EXC_C14N);
    si.algorithm("ds:SignatureMethod", "", signer.algorithm().uri());
    si.push("<ds:Reference URI=\"#");
    si.attr(id);
    si.push("\"><ds:Transforms>");
    si.algorithm("ds:Transform", "", ENVELOPED_SIGNATURE);
    if options.inclusive_prefixes.is_empty() {
        si.algorithm("ds:Transform", "", EXC_C14N);
    } else {
        si.push("<ds:Transform Algorithm=\"");
        si.push(EXC_C14N);
        si.push("\"><ec:InclusiveNamespaces xmlns:ec=\"");
        si.push(EXC_C14N_NS);
        si.push("\" PrefixList=\"");
        si.attr(&prefixes);
        si.push("\"");
        si.close_empty("ec:InclusiveNamespaces");
        si.push("</ds:Transform>");
    }
    si.push("</ds:Transforms>");
    si.algorithm("ds:DigestMethod", "", digest_alg.uri());
    si.push("<ds:DigestValue>");
    si.push(&b64(&digest));
    si.push("</ds:DigestValue></ds:Reference></ds:SignedInfo>");
    let value = b64(&signer.sign(si.c14n.as_bytes())?);
    let signature = format!(
        "<ds:Signature xmlns:ds=\"{DSIG_NS}\">{}<ds:SignatureValue>{value}</ds:SignatureValue>\
         <ds:KeyInfo><ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data>\
         </ds:KeyInfo></ds:Signature>",
        si.doc,
        b64(cert.der())
    );
    Ok(splice.apply(xml, &signature))
}

/// Where and how to insert the signature bytes.
enum Splice {
    /// Insert at this offset.
    At(usize),
    /// Turn the empty-element tag ending at `end` (`<x …/>`) into `<x …>SIG</x>`.
    Expand { end: usize, qname: String },
}

impl Splice {
    fn locate(xml: &[u8], elem: Element<'_>, after: Option<&(String, String)>) -> Result<Splice> {
        let span = elem.span();
        if let Some((ns, local)) = after {
            let child = elem.child(ns, local).ok_or_else(|| {
                err(format!(
                    "<{}> has no child {{{ns}}}{local} to put the signature after",
                    elem.qname()
                ))
            })?;
            return Ok(Splice::At(child.span().end));
        }
        let bytes = xml
            .get(span.clone())
            .ok_or_else(|| err("element span out of range"))?;
        if bytes.ends_with(b"/>") {
            return Ok(Splice::Expand {
                end: span.end,
                qname: elem.qname().to_owned(),
            });
        }
        let end_tag = bytes
            .iter()
            .rposition(|&b| b == b'<')
            .ok_or_else(|| err("no end tag"))?;
        Ok(Splice::At(span.start + end_tag))
    }

    /// The document with `sig` inserted.
    fn apply(&self, xml: &[u8], sig: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(xml.len() + sig.len() + 16);
        match self {
            Splice::At(at) => {
                let at = (*at).min(xml.len());
                out.extend_from_slice(xml.get(..at).unwrap_or_default());
                out.extend_from_slice(sig.as_bytes());
                out.extend_from_slice(xml.get(at..).unwrap_or_default());
            }
            Splice::Expand { end, qname } => {
                let head = xml.get(..end.saturating_sub(2)).unwrap_or_default();
                out.extend_from_slice(head);
                out.push(b'>');
                out.extend_from_slice(sig.as_bytes());
                out.extend_from_slice(b"</");
                out.extend_from_slice(qname.as_bytes());
                out.push(b'>');
                out.extend_from_slice(xml.get(*end..).unwrap_or_default());
            }
        }
        out
    }
}

/// Base64, standard alphabet, padded, one line.
pub(crate) fn b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// Appends `s` escaped for an attribute value in double quotes.
pub(crate) fn escape_attr(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

/// Appends `s` escaped for character data.
pub(crate) fn escape_text(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

//! The XAdES signature of a DMP submission set: an enveloping XML-DSig signature over an IHE
//! (ITI DSG) `ds:Manifest`, with XAdES 1.1.1 qualifying properties (dmp-interface §3; the
//! official sample `TD2.1-SignatureXades.xml`).
//!
//! [`sign_manifest`] returns the standalone signature document (UTF-8, no XML declaration,
//! no white space between elements: deterministic bytes), laid out as the official sample:
//!
//! ```text
//! Signature xmlns=xmldsig Id=…
//!   SignedInfo
//!     CanonicalizationMethod  C14N 1.0 #WithComments
//!     SignatureMethod         of the signer (rsa-sha1 in every DMP sample)
//!     Reference Type=…#Manifest          URI="#IHEManifest"          (no transform)
//!     Reference Type=…#SignedProperties  URI="#S0-SignedProperties"  (no transform)
//!   SignatureValue
//!   KeyInfo/X509Data/X509Certificate      the signer's certificate
//!   Object/Manifest Id="IHEManifest"      one Reference per part, URI "urn:oid:…"
//!   Object/SignatureProperties/SignatureProperty Id="purposeOfSignature" Target="#Id"
//!   Object/QualifyingProperties (XAdES 1.1.1) Target="#Id"
//!     SignedProperties Id="S0-SignedProperties"
//!       SignedSignatureProperties
//!         SigningTime                     ISO 8601 with milliseconds and offset
//!         SigningCertificate/Cert*        CertDigest + IssuerSerial (decimal serial)
//!         SignaturePolicyIdentifier/SignaturePolicyImplied
//!       SignedDataObjectProperties        (empty)
//! ```
//!
//! Decisions where the sources disagree (dmp-interface §3):
//! - **`SignatureProperties` namespace.** The sample writes `<SignatureProperties xmlns="">`
//!   (no namespace, so not an XML-DSig `SignatureProperties` at all); the ANS .NET kit and
//!   the DRIMbox put it in the XML-DSig namespace, as the standard does. Default
//!   ([`XadesStyle::Standard`]): XML-DSig namespace. [`XadesStyle::Td21Sample`] reproduces
//!   the sample (this and the next point).
//! - **`CertDigest` children.** XAdES 1.1.1 types them `ds:DigestMethod`/`ds:DigestValue`;
//!   the sample leaves them in the XAdES namespace (inherited default). Default: XML-DSig
//!   namespace. The verifier accepts both.
//! - **Chain in `SigningCertificate`.** The sample and the .NET kit list the whole chain
//!   (signer, CA, root), the DRIMbox the signer only. Default: the whole chain the signer
//!   gives ([`XadesOptions::include_chain`]); the signer is always first.
//! - **Transforms on the SignedInfo references.** The sample has none (the .NET kit adds a
//!   C14N-with-comments transform to the manifest reference): none, as the sample. Each
//!   manifest reference whose part is canonicalised carries the C14N-with-comments
//!   transform, as the sample's document reference.
//! - `KeyInfo` holds the signer's certificate only, as the sample.
//!
//! As in the sample, `SignedInfo` references the manifest and the signed properties only:
//! the `purposeOfSignature` property is **not** covered by the signature (`KeyInfo` is not
//! either, but `SigningCertificate` pins the certificate); the verifier does not rely on it.

use chrono::{DateTime, FixedOffset, SecondsFormat};

use crate::crypto::{DigestAlgorithm, Signer};
use crate::error::{Error, Result};
use crate::xml::c14n::{C14nMethod, C14N_10_WITH_COMMENTS};
use crate::xml::reader::Limits;
use crate::xml::tree::Tree;
use crate::xml::writer::check_chars;
use crate::xmldsig::twin::Twin;
use crate::xmldsig::{
    b64, digest_c14n, escape_attr, escape_text, DSIG_NS, MANIFEST_TYPE, SIGNED_PROPERTIES_TYPE,
    XADES_NS,
};

/// The `Id` of the manifest.
pub const MANIFEST_ID: &str = "IHEManifest";
/// The `Id` of the XAdES `SignedProperties`.
pub const SIGNED_PROPERTIES_ID: &str = "S0-SignedProperties";
/// The `Id` of the purpose `SignatureProperty`.
pub const PURPOSE_ID: &str = "purposeOfSignature";
/// The purpose of the DMP submission-set signature ("Source", ASTM E1762 / ISO 17090).
pub const PURPOSE_SOURCE: &str = "1.2.840.10065.1.12.1.14";

/// How the digest of a manifest reference is obtained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DigestSource<'a> {
    /// Digest these bytes as they are (no transform): non-XML parts (DICOM KOS, PDF).
    Raw(&'a [u8]),
    /// Canonicalise these XML bytes (C14N 1.0 with comments) and digest the result; the
    /// reference carries the C14N-with-comments transform (the DMP's CDA documents).
    C14nWithComments(&'a [u8]),
    /// The digest (with [`XadesOptions::digest`]) of a part's C14N 1.0 with comments form,
    /// computed by the caller: the feed digests each CDA while writing it into the message
    /// ([`crate::cda::PreparedCda::write_digesting`]). The reference carries the
    /// C14N-with-comments transform, as with [`DigestSource::C14nWithComments`].
    C14nDigest(Vec<u8>),
    /// This `DigestValue`, as given (see [`DigestSource::dmp_dummy`]).
    Precomputed(Vec<u8>),
}

impl DigestSource<'_> {
    /// The DMP's placeholder digest of the submission set: `AA==` (one zero byte).
    pub fn dmp_dummy() -> Self {
        DigestSource::Precomputed(vec![0])
    }
}

/// One reference of the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestReference<'a> {
    /// The URI (`urn:oid:<uniqueId>` of the submission set or of a document).
    pub uri: String,
    /// Where its digest comes from.
    pub digest: DigestSource<'a>,
}

/// Which variant of the layout to write (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum XadesStyle {
    /// XML-DSig namespace for `SignatureProperties` and the `CertDigest` children.
    #[default]
    Standard,
    /// As the official `TD2.1-SignatureXades.xml`: `SignatureProperties xmlns=""`,
    /// `CertDigest` children in the XAdES namespace.
    Td21Sample,
}

/// Options of [`sign_manifest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XadesOptions {
    /// The `Id` of the `Signature` (the sample uses a UUID), also the `Target` of the
    /// qualifying and signature properties.
    pub signature_id: String,
    /// The XAdES `SigningTime` (the clock is an input), written with milliseconds and its
    /// offset (`2019-04-04T14:20:12.282+02:00`).
    pub signing_time: DateTime<FixedOffset>,
    /// Digest of the references, of the manifest parts and of `CertDigest` (default SHA-1,
    /// as every DMP sample).
    pub digest: DigestAlgorithm,
    /// List the whole chain of the signer in `SigningCertificate` (default true, as the
    /// sample); false: the signer's certificate only.
    pub include_chain: bool,
    /// The purpose `SignatureProperty` (default [`PURPOSE_SOURCE`]).
    pub purpose: String,
    /// Layout variant.
    pub style: XadesStyle,
    /// Parser limits for the XML parts to canonicalise.
    pub limits: Limits,
}

impl XadesOptions {
    /// The defaults for a signature `Id` and a signing time (the clock is an input).
    pub fn new(signature_id: impl Into<String>, signing_time: DateTime<FixedOffset>) -> Self {
        XadesOptions {
            signing_time,
            signature_id: signature_id.into(),
            digest: DigestAlgorithm::Sha1,
            include_chain: true,
            purpose: PURPOSE_SOURCE.to_owned(),
            style: XadesStyle::Standard,
            limits: Limits::default(),
        }
    }
}

fn err(message: impl Into<String>) -> Error {
    Error::crypto("signature", message)
}

/// Signs a manifest of `references` with an enveloping XAdES signature and returns the
/// signature document (see the module documentation for the layout and the decisions).
///
/// The signature's own references are canonicalised in the final document (C14N 1.0 without
/// comments, the default for a same-document reference without transforms), then
/// `SignedInfo` (C14N 1.0 with comments) is signed. The signing time is
/// [`XadesOptions::signing_time`]; check the certificate for that time when making the
/// signer ([`crate::crypto::SigningIdentity::signer_at`]).
///
/// Errors: no reference, a reference URI or an `Id` that cannot be written, an `Id` equal to
/// one of the fixed ones, a part to canonicalise that is not XML (`Error::Data`), the signer
/// failing.
pub fn sign_manifest(
    references: &[ManifestReference<'_>],
    options: &XadesOptions,
    signer: &dyn Signer,
) -> Result<Vec<u8>> {
    if references.is_empty() {
        return Err(err("a manifest needs at least one reference"));
    }
    let sid = options.signature_id.as_str();
    let valid_id = !sid.is_empty()
        && sid
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !sid.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '.');
    // The sample's UUID starts with a digit: accept it, as the DMP does, but nothing that
    // would need escaping or clash with the fixed Ids.
    let uuid_like = !sid.is_empty() && sid.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    if !(valid_id || uuid_like) || [MANIFEST_ID, SIGNED_PROPERTIES_ID, PURPOSE_ID].contains(&sid) {
        return Err(err(format!("unusable signature Id {sid:?}")));
    }
    check_chars("purpose", &options.purpose)?;
    let alg = options.digest;

    // The manifest, and its C14N (no comments) in the final document: the default namespace
    // of ds:Signature declared on it.
    let dsig_default = format!(" xmlns=\"{DSIG_NS}\"");
    let mut manifest = Twin::with_capacity(256 * references.len());
    manifest.apex("Manifest", &dsig_default);
    manifest.push(" Id=\"");
    manifest.push(MANIFEST_ID);
    manifest.push("\">");
    for r in references {
        check_chars("uri", &r.uri)?;
        if r.uri.is_empty() || r.uri.starts_with('#') {
            return Err(err(format!(
                "manifest reference URI {:?}: expected an external URI (urn:oid:…)",
                r.uri
            )));
        }
        let (transform, value) = match &r.digest {
            DigestSource::Raw(bytes) => (false, alg.digest(bytes)),
            DigestSource::C14nWithComments(bytes) => {
                let tree = Tree::parse(bytes, &options.limits)?;
                let method = C14nMethod::Inclusive { comments: true };
                (true, digest_c14n(&tree, None, None, &method, alg)?)
            }
            DigestSource::C14nDigest(v) if v.len() == alg.output_len() => (true, v.clone()),
            DigestSource::C14nDigest(v) => {
                return Err(err(format!(
                    "manifest reference {}: a {}-byte digest given for a {}-byte algorithm",
                    r.uri,
                    v.len(),
                    alg.output_len()
                )))
            }
            DigestSource::Precomputed(v) => (false, v.clone()),
        };
        manifest.push("<Reference URI=\"");
        manifest.attr(&r.uri);
        manifest.push("\">");
        if transform {
            manifest.push("<Transforms>");
            manifest.algorithm("Transform", "", C14N_10_WITH_COMMENTS);
            manifest.push("</Transforms>");
        }
        manifest.algorithm("DigestMethod", "", alg.uri());
        manifest.push("<DigestValue>");
        manifest.push(&b64(&value));
        manifest.push("</DigestValue></Reference>");
    }
    manifest.push("</Manifest>");

    // The signature properties.
    let mut properties = String::with_capacity(256);
    properties.push_str(match options.style {
        XadesStyle::Standard => "<SignatureProperties>",
        XadesStyle::Td21Sample => "<SignatureProperties xmlns=\"\">",
    });
    properties.push_str("<SignatureProperty Id=\"");
    properties.push_str(PURPOSE_ID);
    properties.push_str("\" Target=\"#");
    escape_attr(&mut properties, sid);
    properties.push_str("\">");
    escape_text(&mut properties, &options.purpose);
    properties.push_str("</SignatureProperty></SignatureProperties>");

    // The signed properties, and their C14N (no comments) in the final document: the XAdES
    // default namespace of QualifyingProperties declared on them.
    let chain = signer.certificate_chain();
    let cert = chain
        .first()
        .ok_or_else(|| err("the signer has no certificate"))?;
    let listed = if options.include_chain {
        chain
    } else {
        &chain[..1]
    };
    let ds_ns = match options.style {
        XadesStyle::Standard => dsig_default.as_str(),
        XadesStyle::Td21Sample => "",
    };
    let mut sp = Twin::with_capacity(1024);
    sp.apex("SignedProperties", &format!(" xmlns=\"{XADES_NS}\""));
    sp.push(" Id=\"");
    sp.push(SIGNED_PROPERTIES_ID);
    sp.push("\"><SignedSignatureProperties><SigningTime>");
    sp.push(
        &options
            .signing_time
            .to_rfc3339_opts(SecondsFormat::Millis, false),
    );
    sp.push("</SigningTime><SigningCertificate>");
    for c in listed {
        sp.push("<Cert><CertDigest>");
        sp.algorithm("DigestMethod", ds_ns, alg.uri());
        sp.push("<DigestValue");
        sp.push(ds_ns);
        sp.push(">");
        sp.push(&b64(&c.digest(alg)));
        sp.push("</DigestValue></CertDigest><IssuerSerial><X509IssuerName");
        sp.push(&dsig_default);
        sp.push(">");
        sp.text(&c.issuer_rfc2253());
        sp.push("</X509IssuerName><X509SerialNumber");
        sp.push(&dsig_default);
        sp.push(">");
        sp.push(&c.serial_decimal());
        sp.push("</X509SerialNumber></IssuerSerial></Cert>");
    }
    sp.push("</SigningCertificate><SignaturePolicyIdentifier><SignaturePolicyImplied");
    sp.close_empty("SignaturePolicyImplied");
    sp.push("</SignaturePolicyIdentifier></SignedSignatureProperties><SignedDataObjectProperties");
    sp.close_empty("SignedDataObjectProperties");
    sp.push("</SignedProperties>");

    // SignedInfo, and its C14N (with comments) in the final document, which is signed.
    let sig_alg = signer.algorithm();
    let mut si = Twin::with_capacity(1024);
    si.apex("SignedInfo", &dsig_default);
    si.push(">");
    si.algorithm("CanonicalizationMethod", "", C14N_10_WITH_COMMENTS);
    si.algorithm("SignatureMethod", "", sig_alg.uri());
    for (type_uri, id, target) in [
        (MANIFEST_TYPE, MANIFEST_ID, &manifest.c14n),
        (SIGNED_PROPERTIES_TYPE, SIGNED_PROPERTIES_ID, &sp.c14n),
    ] {
        si.push("<Reference Type=\"");
        si.push(type_uri);
        si.push("\" URI=\"#");
        si.push(id);
        si.push("\">");
        si.algorithm("DigestMethod", "", alg.uri());
        si.push("<DigestValue>");
        si.push(&b64(&alg.digest(target.as_bytes())));
        si.push("</DigestValue></Reference>");
    }
    si.push("</SignedInfo>");
    let value = b64(&signer.sign(si.c14n.as_bytes())?);

    let mut id = String::with_capacity(sid.len());
    escape_attr(&mut id, sid);
    Ok(format!(
        "<Signature xmlns=\"{DSIG_NS}\" Id=\"{id}\">{}<SignatureValue>{value}</SignatureValue>\
         <KeyInfo><X509Data><X509Certificate>{}</X509Certificate></X509Data></KeyInfo>\
         <Object>{}</Object><Object>{properties}</Object><Object><QualifyingProperties \
         xmlns=\"{XADES_NS}\" Target=\"#{id}\">{}</QualifyingProperties></Object></Signature>",
        si.doc,
        b64(cert.der()),
        manifest.doc,
        sp.doc
    )
    .into_bytes())
}

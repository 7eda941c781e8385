//! XML-DSig: the enveloped signature of the VIHF (SAML assertion) and the verifier of every
//! XML signature the DMP exchanges (VIHF, XAdES submission-set signature, whole SOAP/MTOM
//! messages).
//!
//! # Signing: bytes in, bytes out
//!
//! [`sign_enveloped`] takes the document **bytes**, finds the element carrying the ID, and
//! splices a `ds:Signature` into those bytes (right after `saml2:Issuer` for a VIHF, see
//! [`EnvelopedOptions::vihf`]). The document is never re-serialised: every byte outside the
//! inserted `ds:Signature` is the caller's. The result is a pure function of (bytes, signer,
//! options): RSA PKCS#1 v1.5 is deterministic, so the same inputs give the same bytes.
//!
//! The reference digest is the exclusive canonical form of the signed element. At signing time
//! the `enveloped-signature` transform has nothing to remove, and inserting the signature
//! changes no other node (no white space is added around it), so the digest of the element
//! before insertion equals the verifier's digest of the element minus the signature. The
//! document is parsed once, before the insertion; `SignedInfo` is written together with its
//! canonical form (`twin`), which is what gets signed. The tests verify every signed form
//! with [`verify`](fn@verify), which canonicalises the parsed final document, and CI checks
//! them with xmlsec1.
//!
//! # Verifying
//!
//! [`verify`](fn@verify) finds every `ds:Signature` in its input and returns one
//! [`SignatureReport`] per signature: [`SignatureReport::failure`] is `None` when the
//! signature is valid, or the first reason it is not ([`Failure`]: digest mismatch on
//! reference X, bad signature value, untrusted or expired certificate, wrapping…). Only
//! input that is not XML at all (or a broken MIME message) is an `Err`.
//!
//! For each signature, in this order (nothing a `SignedInfo` asks for is done before its
//! signature value is checked; [`SignatureLimits`] caps what it may ask):
//! 1. the structure and every `SignedInfo/Reference`, resolved but not yet digested:
//!    same-document only (`URI=""` or `URI="#id"`, IDs in the attributes `ID`, `Id`, `id`,
//!    `wsu:Id`, `xml:id`), transforms `enveloped-signature`, exclusive C14N (with its
//!    `PrefixList`) and C14N 1.0, with or without comments (a same-document reference
//!    selects no comments, XML-DSig §4.3.3.3), digests SHA-1 and SHA-256. Anything else is
//!    refused with [`Failure::Unsupported`] naming it.
//! 2. the key: the `KeyInfo/X509Data/X509Certificate`; for a XAdES signature, the one that
//!    matches the `SigningCertificate` of the referenced `SignedProperties` (`CertDigest`
//!    and `IssuerSerial`), else [`Failure::CertificateMismatch`].
//! 3. `SignatureValue` over `SignedInfo` canonicalised with its `CanonicalizationMethod`; a
//!    bad value ends the check ([`Failure::BadSignatureValue`]; with trusted roots,
//!    [`ChainStatus::Skipped`] says why the chain was not checked).
//! 4. the certificate: its key usage under [`VerifyOptions::usage`] (the rule of signing,
//!    [`Failure::KeyUsage`]), then the chain at [`VerifyOptions::at`] when
//!    [`VerifyOptions::trust`] is given, else only its validity dates at that time.
//! 5. the reference digests, each distinct target canonicalised once (reported before the
//!    certificate failures of step 4: a changed content is said first).
//! 6. each `Reference` of a **signed** `ds:Manifest` against the bytes the caller gives
//!    under its URI ([`VerifyOptions::parts`]): [`ManifestStatus`] per reference.
//!    The DMP's dummy digest of the submission set (`AA==`) is reported as not checkable, not
//!    as an error. A supplied part whose digest differs makes the signature invalid
//!    ([`Failure::ManifestDigestMismatch`]); a part not supplied does not, unless the input
//!    is a whole ProvideAndRegister message that carries no such document
//!    ([`Failure::ManifestNotInMessage`]).
//!
//! [`verify_message`] adds what a whole message needs beyond each signature (an
//! `xop:Include` to no part, a request's VIHF that is not the single signed assertion of
//! `wsse:Security`): [`MessageReport::problems`].
//!
//! # Signature wrapping
//!
//! A verifier that says "valid" must also say *what* is signed. Each [`ReferenceReport`]
//! carries the element its reference resolved to ([`SignedElement::span`], byte range in the
//! verified bytes): check that the element you read is that one
//! ([`SignatureReport::covers`]). The verifier refuses ([`Failure::Wrapping`]):
//! - a referenced ID carried by more than one element (in any of the ID attribute forms), and
//!   any value of `ID`, `Id`, `wsu:Id` or `xml:id` carried by two elements anywhere in the
//!   document (the lowercase `id` is exempt unless referenced: XDS.b gives a document's
//!   `ExtrinsicObject` and its `xds:Document` the same `id` on purpose);
//! - an `enveloped-signature` reference to an element that does not contain the signature;
//! - two signatures whose references resolve to the same element;
//! - a `ds:Manifest` or XAdES `SignedProperties` that is not inside the signature that
//!   references it. Only signed content is used: the signing time and the signing
//!   certificate come from the `SignedProperties` whose digest was checked, the manifest
//!   references from the `Manifest` whose digest was checked.
//!
//! # MIME (SOAP with MTOM attachments)
//!
//! [`verify`](fn@verify) accepts a whole MTOM message: when the input starts with a MIME
//! boundary line (`--…`) or with MIME headers (`Content-Type: multipart/related;
//! boundary=…`), it is split by the one MIME parser of the crate
//! ([`crate::soap::mtom::read_message`]: a duplicate Content-ID is refused) and every part
//! that is XML, the root first, is searched for signatures ([`SignatureReport::part`] names
//! the part by its `Content-ID`). For an XDS.b
//! *ProvideAndRegisterDocumentSet* the documents carried as attachments are also made
//! available to the manifest check under `urn:oid:<XDSDocumentEntry.uniqueId>` (from the
//! message's own metadata), unless the caller supplies that URI in [`VerifyOptions::parts`].
//! Only the `binary`, `8bit`, `7bit` and `base64` transfer encodings are read.

mod sign;
pub(crate) mod twin;
mod verify;

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;

use chrono::{DateTime, Utc};

use crate::crypto::{Certificate, DigestAlgorithm, SignatureAlgorithm, UsagePolicy};
use crate::error::Result;
use crate::xml::c14n::{canonicalize_with, C14nMethod};
use crate::xml::reader::Limits;
use crate::xml::tree::{ElementId, Tree};

pub use sign::{sign_enveloped, EnvelopedOptions};
pub use verify::{verify, verify_message};

pub(crate) use sign::{b64, escape_attr, escape_text};

/// The digest of the canonical form of `apex` (`None`: the whole document) minus `exclude`,
/// hashed as it is written (no copy of the canonical form): what a reference's digest is,
/// for the signers ([`sign_enveloped`], [`crate::xades`]) and the verifier alike.
pub(crate) fn digest_c14n(
    tree: &Tree,
    apex: Option<ElementId>,
    exclude: Option<ElementId>,
    method: &C14nMethod,
    alg: DigestAlgorithm,
) -> Result<Vec<u8>> {
    let mut h = alg.start();
    canonicalize_with(tree, apex, exclude, method, &mut |chunk| h.update(chunk))?;
    Ok(h.finish())
}

/// The XML-DSig namespace.
pub const DSIG_NS: &str = "http://www.w3.org/2000/09/xmldsig#";
/// The `enveloped-signature` transform.
pub const ENVELOPED_SIGNATURE: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
/// The namespace of the exclusive C14N `InclusiveNamespaces` element.
pub const EXC_C14N_NS: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
/// The `Type` of a reference to a `ds:Manifest`.
pub const MANIFEST_TYPE: &str = "http://www.w3.org/2000/09/xmldsig#Manifest";
/// XAdES 1.1.1 namespace (the one of the DMP sample).
pub const XADES_NS: &str = "http://uri.etsi.org/01903/v1.1.1#";
/// The `Type` of a reference to XAdES 1.1.1 `SignedProperties`.
pub const SIGNED_PROPERTIES_TYPE: &str = "http://uri.etsi.org/01903/v1.1.1#SignedProperties";
/// SAML 2.0 assertion namespace.
pub const SAML2_NS: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
/// WS-Security utility namespace (`wsu:Id`).
pub const WSU_NS: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";

/// What [`verify`](fn@verify) needs besides the bytes.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// Trusted roots. `None`: the certificate chain is not checked (and each report says so
    /// in [`SignatureReport::chain`]). The other certificates of `KeyInfo` serve as
    /// intermediates.
    pub trust: Option<Vec<Certificate>>,
    /// Untrusted CA certificates that may complete the chain (as `xmlsec1 --untrusted-pem`),
    /// besides the other certificates of `KeyInfo`.
    pub intermediates: Vec<Certificate>,
    /// The time at which the chain is checked (certificate validity).
    pub at: DateTime<Utc>,
    /// The bytes of the `ds:Manifest` references, by URI (`urn:oid:…`).
    pub parts: HashMap<String, Vec<u8>>,
    /// Limits of the XML parser (default: [`Limits::default`]).
    pub limits: Limits,
    /// Caps on signatures and references (default: [`SignatureLimits::default`]).
    pub signature_limits: SignatureLimits,
    /// What the signer's certificate must allow (default [`UsagePolicy::DmpSignature`]: the
    /// DMP's rule, the same as for signing; [`UsagePolicy::AllowInvalid`] also skips the
    /// validity dates when no trusted roots are given).
    pub usage: UsagePolicy,
}

/// Caps of the verifier, so that the work it does on any input within them is linear in the
/// input's size: at most `max_signatures × max_references` canonicalisations of the document
/// (each distinct target is canonicalised once), plus one parse of each manifest part. The
/// parser's own limits ([`Limits`]) bound what one document may hold; these bound what a
/// signature may ask the verifier to do with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignatureLimits {
    /// Most `ds:Signature` elements in one XML document (one MIME part). Default 4: a DMP
    /// message carries one or two (the VIHF, the XAdES of the submission set). More is an
    /// error of [`verify`](fn@verify).
    pub max_signatures: usize,
    /// Most `Reference` elements in one `SignedInfo` or `ds:Manifest`. Default 32: a VIHF
    /// has one, a XAdES `SignedInfo` two, its manifest one per document plus the submission
    /// set. More makes the signature invalid ([`Failure::TooLarge`]).
    pub max_references: usize,
}

impl SignatureLimits {
    /// The default caps (see each field).
    pub const DEFAULT: SignatureLimits = SignatureLimits {
        max_signatures: 4,
        max_references: 32,
    };
}

impl Default for SignatureLimits {
    fn default() -> Self {
        SignatureLimits::DEFAULT
    }
}

impl VerifyOptions {
    /// No trusted roots (chain not checked), no parts, default limits, the DMP's usage
    /// policy; checks at `at`.
    pub fn new(at: DateTime<Utc>) -> Self {
        VerifyOptions {
            trust: None,
            intermediates: Vec::new(),
            at,
            parts: HashMap::new(),
            limits: Limits::default(),
            signature_limits: SignatureLimits::DEFAULT,
            usage: UsagePolicy::DmpSignature,
        }
    }

    /// With these trusted roots.
    #[must_use]
    pub fn with_trust(mut self, roots: Vec<Certificate>) -> Self {
        self.trust = Some(roots);
        self
    }

    /// With the bytes of one manifest reference.
    #[must_use]
    pub fn with_part(mut self, uri: impl Into<String>, bytes: Vec<u8>) -> Self {
        self.parts.insert(uri.into(), bytes);
        self
    }
}

/// Why a signature is not valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The signature is not well-formed XML-DSig (missing `SignedInfo`, bad base64…).
    Malformed(String),
    /// An algorithm, transform or reference form this verifier does not support.
    Unsupported(String),
    /// A signature-wrapping pattern (duplicate ID, reference outside the signed subtree…).
    Wrapping(String),
    /// A reference whose target is not in the document.
    ReferenceNotFound {
        /// The reference URI.
        uri: String,
    },
    /// The digest of a `SignedInfo` reference does not match: the signed content changed.
    DigestMismatch {
        /// The reference URI.
        uri: String,
    },
    /// The XAdES `SigningCertificate` does not designate the certificate of `KeyInfo`.
    CertificateMismatch(String),
    /// `SignatureValue` does not verify over `SignedInfo` with the certificate's key.
    BadSignatureValue(String),
    /// The certificate chain failed (untrusted root, expired or not yet valid certificate,
    /// bad link), or, without trusted roots, the signer's certificate is not valid at
    /// [`VerifyOptions::at`].
    Certificate(String),
    /// The signer's certificate may not make this signature under [`VerifyOptions::usage`]
    /// (an authentication certificate, a CA…): the same rule as for signing.
    KeyUsage(String),
    /// The signature asks for more work than [`SignatureLimits`] allows (too many
    /// references): refused before any of it is done.
    TooLarge(String),
    /// A supplied manifest part does not match its reference's digest.
    ManifestDigestMismatch {
        /// The manifest reference URI.
        uri: String,
    },
    /// The input is a whole ProvideAndRegister message and a manifest reference names no
    /// document it carries (its metadata or its `xop:Include` was changed): the signed
    /// document is not the one sent.
    ManifestNotInMessage {
        /// The manifest reference URI.
        uri: String,
        /// Why no document of the message matches.
        reason: String,
    },
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Malformed(m) => write!(f, "malformed signature: {m}"),
            Failure::Unsupported(m) => write!(f, "unsupported: {m}"),
            Failure::Wrapping(m) => write!(f, "signature wrapping refused: {m}"),
            Failure::ReferenceNotFound { uri } => write!(f, "reference {uri} not found"),
            Failure::DigestMismatch { uri } => write!(f, "digest mismatch on reference {uri}"),
            Failure::CertificateMismatch(m) => write!(f, "signing certificate mismatch: {m}"),
            Failure::BadSignatureValue(m) => write!(f, "bad signature value: {m}"),
            Failure::Certificate(m) => write!(f, "untrusted or expired certificate: {m}"),
            Failure::KeyUsage(m) => write!(f, "certificate not allowed to sign: {m}"),
            Failure::TooLarge(m) => write!(f, "over the verifier's limits: {m}"),
            Failure::ManifestDigestMismatch { uri } => {
                write!(f, "manifest digest mismatch on reference {uri}")
            }
            Failure::ManifestNotInMessage { uri, reason } => {
                write!(
                    f,
                    "the manifest reference {uri} is not in the message: {reason}"
                )
            }
        }
    }
}

/// The element a same-document reference resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedElement {
    /// Qualified name as written (`saml2:Assertion`).
    pub qname: String,
    /// Namespace URI.
    pub namespace: Option<String>,
    /// Byte range of the element in the verified bytes (of its MIME part, for a multipart
    /// input).
    pub span: Range<usize>,
    /// 1-based line of its start tag.
    pub line: usize,
}

/// One `SignedInfo/Reference`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceReport {
    /// The `URI` attribute (`#id`, or empty for the whole document).
    pub uri: String,
    /// The `Type` attribute.
    pub type_uri: Option<String>,
    /// What it resolved to (`None` when it could not be resolved).
    pub element: Option<SignedElement>,
    /// Whether the digest matched.
    pub digest_ok: bool,
}

/// The outcome of one manifest reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManifestStatus {
    /// The digest of the supplied part matches.
    Ok,
    /// The digest of the supplied part does not match.
    DigestMismatch,
    /// No part was supplied under this URI: not checked (a standalone signature).
    PartMissing,
    /// The input is a whole ProvideAndRegister message and no document of it matches this
    /// URI (why): the signature is invalid ([`Failure::ManifestNotInMessage`]).
    NotInMessage(String),
    /// The reference carries the DMP's dummy digest (`AA==`, the submission set): not
    /// checkable.
    Dummy,
    /// The part could not be processed (not XML for a canonicalisation transform,
    /// unsupported transform…).
    Error(String),
}

impl fmt::Display for ManifestStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ManifestStatus::Ok => f.write_str("digest ok"),
            ManifestStatus::DigestMismatch => f.write_str("DIGEST MISMATCH"),
            ManifestStatus::PartMissing => f.write_str("not checked (part not supplied)"),
            ManifestStatus::NotInMessage(why) => write!(f, "NOT IN THE MESSAGE: {why}"),
            ManifestStatus::Dummy => f.write_str("not checkable (dummy digest)"),
            ManifestStatus::Error(m) => write!(f, "error: {m}"),
        }
    }
}

/// One reference of a signed `ds:Manifest`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestEntry {
    /// The reference URI (`urn:oid:…`).
    pub uri: String,
    /// Its digest algorithm, when recognised.
    pub digest: Option<DigestAlgorithm>,
    /// The outcome.
    pub status: ManifestStatus,
}

/// Whether the certificate chain was checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainStatus {
    /// No trusted roots were given ([`VerifyOptions::trust`] is `None`).
    NotChecked,
    /// The chain reaches a trusted root: subjects (RFC 2253), signer first, root last.
    Trusted(Vec<String>),
    /// The chain failed; the reason.
    Failed(String),
    /// Trusted roots were given but the chain was not checked, because the signature had
    /// already failed (bad signature value, malformed signature…); the reason.
    Skipped(String),
}

impl fmt::Display for ChainStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChainStatus::NotChecked => f.write_str("not checked (no trusted roots given)"),
            ChainStatus::Trusted(path) => write!(f, "trusted ({})", path.join(" <- ")),
            ChainStatus::Failed(m) => write!(f, "FAILED: {m}"),
            ChainStatus::Skipped(why) => {
                write!(f, "not checked: the signature failed first ({why})")
            }
        }
    }
}

/// The verdict on one `ds:Signature`.
#[derive(Debug, Clone)]
pub struct SignatureReport {
    /// The MIME part (its `Content-ID`) for a multipart input; `None` for plain XML.
    pub part: Option<String>,
    /// Byte range of the `ds:Signature` element (in its part).
    pub span: Range<usize>,
    /// 1-based line of the `ds:Signature` start tag.
    pub line: usize,
    /// The `Id` attribute of the signature.
    pub id: Option<String>,
    /// The `SignatureMethod`, when recognised.
    pub algorithm: Option<SignatureAlgorithm>,
    /// The certificate whose key the signature was checked with.
    pub signer: Option<Certificate>,
    /// The signing time as written: XAdES `SigningTime`, or the `IssueInstant` of the signed
    /// element (SAML assertion).
    pub signing_time: Option<String>,
    /// The `SignedInfo` references.
    pub references: Vec<ReferenceReport>,
    /// The references of the signed manifests.
    pub manifest: Vec<ManifestEntry>,
    /// The certificate chain.
    pub chain: ChainStatus,
    /// `None` when the signature is valid, else the first reason it is not.
    pub failure: Option<Failure>,
}

impl SignatureReport {
    /// Whether the signature is valid (see the module documentation for what it covers).
    pub fn is_valid(&self) -> bool {
        self.failure.is_none()
    }

    /// The signer's subject DN (RFC 2253, DMP style).
    pub fn signer_subject(&self) -> Option<String> {
        self.signer.as_ref().map(Certificate::subject_rfc2253)
    }

    /// Whether the signature is valid and one of its references resolved to exactly the
    /// element at `span` (byte range in the verified bytes, as [`crate::xml::tree::Element::span`]
    /// gives it): the anti-wrapping check "the element I read is the signed one".
    pub fn covers(&self, span: &Range<usize>) -> bool {
        self.is_valid()
            && self
                .references
                .iter()
                .any(|r| r.digest_ok && r.element.as_ref().is_some_and(|e| &e.span == span))
    }
}

/// The verdict on a whole message ([`verify_message`]): each signature, and what is wrong
/// with the message beyond them.
#[derive(Debug, Clone)]
pub struct MessageReport {
    /// Every signature, as [`verify`](fn@verify) reports them.
    pub signatures: Vec<SignatureReport>,
    /// Problems of the message itself: an `xop:Include` to no part, a VIHF that is not the
    /// single signed assertion of `wsse:Security`…
    pub problems: Vec<String>,
}

impl MessageReport {
    /// Whether the message has at least one signature, every signature is valid and the
    /// message has no problem.
    pub fn is_valid(&self) -> bool {
        !self.signatures.is_empty()
            && self.problems.is_empty()
            && self.signatures.iter().all(SignatureReport::is_valid)
    }
}

/// Decodes base64 with XML white space inside (line-wrapped values).
pub(crate) fn decode_b64(text: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let compact: String = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '\t' | '\r' | '\n'))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .ok()
}

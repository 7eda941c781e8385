//! The verifier (see the module documentation of [`crate::xmldsig`]).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use super::{
    decode_b64, digest_c14n, ChainStatus, Failure, ManifestEntry, ManifestStatus, MessageReport,
    ReferenceReport, SignatureReport, SignedElement, VerifyOptions, DSIG_NS, ENVELOPED_SIGNATURE,
    EXC_C14N_NS, MANIFEST_TYPE, SAML2_NS, SIGNED_PROPERTIES_TYPE, WSU_NS, XADES_NS,
};
use crate::crypto::{
    check_key_usage, check_validity, verify_chain, Certificate, DigestAlgorithm, DnStyle,
    SignatureAlgorithm, UsagePolicy,
};
use crate::error::{Error, Result};
use crate::soap::mtom::{self, Multipart};
use crate::soap::SOAP12_NS;
use crate::vihf::check_security_token;
use crate::xml::c14n::{canonicalize, C14nMethod};
use crate::xml::reader::Limits;
use crate::xml::tree::{Element, ElementId, Tree, XML_NS};

/// Every value of an ID attribute (`ID`, `Id`, `id`, `wsu:Id`, `xml:id`) with the elements
/// carrying it.
pub(crate) struct IdIndex {
    /// value → (element, whether one of the "strong" forms: all but lowercase `id`).
    map: HashMap<String, Vec<(ElementId, bool)>>,
}

impl IdIndex {
    pub(crate) fn build(tree: &Tree) -> Self {
        let mut map: HashMap<String, Vec<(ElementId, bool)>> = HashMap::new();
        for e in tree.elements() {
            for a in e.attributes() {
                let strong = match (a.namespace, a.local_name) {
                    (None, "ID" | "Id") => true,
                    (None, "id") => false,
                    (Some(WSU_NS), "Id") | (Some(XML_NS), "id") => true,
                    _ => continue,
                };
                let entry = map.entry(a.value.to_owned()).or_default();
                match entry.iter_mut().find(|(id, _)| *id == e.id()) {
                    Some(found) => found.1 |= strong,
                    None => entry.push((e.id(), strong)),
                }
            }
        }
        IdIndex { map }
    }

    /// How many elements carry `value`.
    pub(crate) fn count(&self, value: &str) -> usize {
        self.map.get(value).map_or(0, Vec::len)
    }

    fn get(&self, value: &str) -> &[(ElementId, bool)] {
        self.map.get(value).map_or(&[], Vec::as_slice)
    }

    /// The smallest value carried by several elements, one of them in a strong form.
    pub(crate) fn strong_duplicate(&self) -> Option<&str> {
        self.map
            .iter()
            .filter(|(_, v)| v.len() > 1 && v.iter().any(|(_, s)| *s))
            .map(|(k, _)| k.as_str())
            .min()
    }
}

fn lines(tree: &Tree, ids: &[(ElementId, bool)]) -> String {
    ids.iter()
        .filter_map(|(id, _)| tree.element(*id))
        .map(|e| e.line().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Parts for manifest references: the caller's first, then those found in the message.
/// Each part is parsed at most once and digested once per method, however many references
/// name it.
struct Parts<'a> {
    caller: &'a HashMap<String, Vec<u8>>,
    documents: MessageDocuments<'a>,
    /// Parts parsed so far, by URI (or why they could not be).
    trees: RefCell<HashMap<String, Rc<std::result::Result<Tree, String>>>>,
    /// Digests computed so far, by URI, method and algorithm (or why they could not be).
    digests: RefCell<HashMap<PartKey, std::result::Result<Vec<u8>, String>>>,
}

/// A part's URI, its canonicalisation (none: the raw bytes) and the digest algorithm.
type PartKey = (String, Option<MethodKey>, DigestAlgorithm);

impl<'a> Parts<'a> {
    fn new(caller: &'a HashMap<String, Vec<u8>>, documents: MessageDocuments<'a>) -> Self {
        Parts {
            caller,
            documents,
            trees: RefCell::new(HashMap::new()),
            digests: RefCell::new(HashMap::new()),
        }
    }

    fn get(&self, uri: &str) -> Option<&[u8]> {
        self.caller
            .get(uri)
            .map(Vec::as_slice)
            .or_else(|| self.documents.found.get(uri).copied())
    }

    /// The digest of `bytes` (the part under `uri`), canonicalised with `method` if any.
    fn digest(
        &self,
        uri: &str,
        bytes: &[u8],
        method: Option<&C14nMethod>,
        alg: DigestAlgorithm,
        limits: &Limits,
    ) -> std::result::Result<Vec<u8>, String> {
        let key = (uri.to_owned(), method.map(method_key), alg);
        if let Some(d) = self.digests.borrow().get(&key) {
            return d.clone();
        }
        let computed = match method {
            None => Ok(alg.digest(bytes)),
            Some(method) => {
                let parsed = self.trees.borrow().get(uri).cloned();
                let tree = parsed.unwrap_or_else(|| {
                    let t = Rc::new(Tree::parse(bytes, limits).map_err(|e| {
                        format!("the part is not XML that can be canonicalised: {e}")
                    }));
                    self.trees
                        .borrow_mut()
                        .insert(uri.to_owned(), Rc::clone(&t));
                    t
                });
                match tree.as_ref() {
                    Ok(tree) => {
                        digest_c14n(tree, None, None, method, alg).map_err(|e| e.to_string())
                    }
                    Err(m) => Err(m.clone()),
                }
            }
        };
        self.digests.borrow_mut().insert(key, computed.clone());
        computed
    }
}

/// A canonicalisation method as a map key: its URI and its prefix list.
type MethodKey = (&'static str, String);

fn method_key(method: &C14nMethod) -> MethodKey {
    let prefixes = match method {
        C14nMethod::Exclusive {
            inclusive_prefixes, ..
        } => inclusive_prefixes.join(" "),
        C14nMethod::Inclusive { .. } => String::new(),
    };
    (method.uri(), prefixes)
}

/// The source name of the verifier's errors.
const SOURCE: &str = "xmldsig";

/// Verifies every XML signature of `input`: an XML document (SAML assertion, standalone
/// XAdES signature, SOAP envelope) or a MIME multipart message (SOAP with MTOM
/// attachments). See the module documentation for what is checked and reported.
///
/// Returns one report per `ds:Signature`, in document order (parts in message order); an
/// empty list when there is none. Errors: the input (or the root part of a multipart
/// message) is not well-formed UTF-8 XML, or the MIME structure is broken.
pub fn verify(input: &[u8], options: &VerifyOptions) -> Result<Vec<SignatureReport>> {
    Ok(verify_message(input, options)?.signatures)
}

/// [`verify`], and the checks a whole message needs beyond each signature:
/// - a ProvideAndRegister message (MTOM): each `xop:Include` names a part of the message,
///   and each manifest reference names one of its documents (else the signature is invalid:
///   [`Failure::ManifestNotInMessage`]);
/// - a SOAP request carrying a VIHF: the VIHF is the single assertion of `wsse:Security`, a
///   valid signature covers exactly it, and its signer fits its mode
///   ([`crate::vihf::check_security_token`]).
///
/// Errors: as [`verify`].
pub fn verify_message(input: &[u8], options: &VerifyOptions) -> Result<MessageReport> {
    let message = match mtom::read_message(input)? {
        mtom::Message::Multipart(m) => m,
        mtom::Message::Xml(xml) => {
            let tree = Tree::parse(xml, &options.limits)?;
            let parts = Parts::new(&options.parts, MessageDocuments::default());
            let signatures = verify_tree(&tree, None, options, &parts)?;
            let mut problems = Vec::new();
            check_request_token(&tree, None, &signatures, &mut problems);
            return Ok(MessageReport {
                signatures,
                problems,
            });
        }
    };
    let root_tree = Tree::parse(&message.root.bytes, &options.limits)?;
    let parts = Parts::new(&options.parts, xds_documents(&root_tree, &message));
    let root_name = message
        .root
        .content_id
        .clone()
        .unwrap_or_else(|| "root part".to_owned());
    let mut signatures = verify_tree(&root_tree, Some(root_name.clone()), options, &parts)?;
    let root_name = Some(root_name);
    for (i, part) in message.parts.iter().enumerate() {
        let name = part
            .content_id
            .clone()
            .unwrap_or_else(|| format!("part {}", i + 2));
        if looks_like_xml(&part.bytes) {
            // An attachment that is not well-formed XML carries no signature we can check.
            if let Ok(tree) = Tree::parse(&part.bytes, &options.limits) {
                signatures.extend(verify_tree(&tree, Some(name), options, &parts)?);
            }
        }
    }
    let mut problems = parts.documents.problems.clone();
    check_request_token(&root_tree, root_name.as_deref(), &signatures, &mut problems);
    Ok(MessageReport {
        signatures,
        problems,
    })
}

/// When `envelope` is a SOAP 1.2 envelope carrying a SAML assertion (a request and its
/// VIHF), the VIHF rule of [`crate::vihf::check_security_token`].
fn check_request_token(
    envelope: &Tree,
    part: Option<&str>,
    signatures: &[SignatureReport],
    problems: &mut Vec<String>,
) {
    let is_request = envelope.root().is(SOAP12_NS, "Envelope")
        && envelope.elements().any(|e| e.is(SAML2_NS, "Assertion"));
    if !is_request {
        return;
    }
    if let Err(e) = check_security_token(envelope, part, signatures) {
        problems.push(format!("VIHF: {e}"));
    }
}

fn looks_like_xml(body: &[u8]) -> bool {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    body.iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'<')
}

const XDS_NS: &str = "urn:ihe:iti:xds-b:2007";
const RIM_NS: &str = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0";
const XOP_NS: &str = "http://www.w3.org/2004/08/xop/include";
/// `XDSDocumentEntry.uniqueId` identification scheme.
const DOC_UNIQUE_ID: &str = "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab";

/// The documents of an XDS.b ProvideAndRegisterDocumentSet carried as MTOM attachments.
#[derive(Default)]
struct MessageDocuments<'m> {
    /// Whether the input is a whole ProvideAndRegister message: then each manifest reference
    /// must name one of its documents.
    provide_and_register: bool,
    /// Each document's part, under `urn:oid:<uniqueId>`.
    found: HashMap<String, &'m [u8]>,
    /// Documents of the message that cannot be bound to one part, and why.
    unbound: HashMap<String, String>,
    /// Problems of the message (an `xop:Include` to no part, a uniqueId twice…).
    problems: Vec<String>,
}

impl MessageDocuments<'_> {
    /// Why no document of the message matches `uri` (a manifest reference's URI).
    fn not_in_message(&self, uri: &str) -> String {
        self.unbound.get(uri).cloned().unwrap_or_else(|| {
            "no document of the message has this uniqueId (XDSDocumentEntry.uniqueId)".to_owned()
        })
    }
}

/// The documents of a ProvideAndRegisterDocumentSet message, from its own metadata.
fn xds_documents<'m>(tree: &Tree, message: &'m Multipart<'_>) -> MessageDocuments<'m> {
    let mut docs = MessageDocuments::default();
    let mut unique_ids: HashMap<&str, &str> = HashMap::new();
    for e in tree.elements() {
        if e.is(XDS_NS, "ProvideAndRegisterDocumentSetRequest") {
            docs.provide_and_register = true;
        }
        if !e.is(RIM_NS, "ExtrinsicObject") {
            continue;
        }
        let Some(id) = e.attr("id") else { continue };
        for ei in e.children().filter(|c| c.is(RIM_NS, "ExternalIdentifier")) {
            if ei.attr("identificationScheme") == Some(DOC_UNIQUE_ID) {
                if let Some(v) = ei.attr("value") {
                    unique_ids.insert(id, v);
                }
            }
        }
    }
    let by_cid: HashMap<&str, &'m [u8]> = std::iter::once(&message.root)
        .chain(&message.parts)
        .filter_map(|p| Some((p.content_id.as_deref()?, p.bytes.as_ref())))
        .collect();
    for doc in tree.elements().filter(|e| e.is(XDS_NS, "Document")) {
        let id = doc.attr("id").unwrap_or("");
        let href = doc
            .child(XOP_NS, "Include")
            .and_then(|inc| inc.attr("href"));
        let cid = href
            .filter(|h| h.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("cid:")))
            .map(mtom::href_cid);
        let part = cid.as_deref().and_then(|c| by_cid.get(c).copied());
        if let (Some(href), None) = (href, part) {
            docs.problems.push(format!(
                "the document {id} (line {}) includes {href}: no such part in the message",
                doc.line()
            ));
        }
        let Some(unique) = unique_ids.get(id) else {
            continue;
        };
        let uri = if unique.starts_with("urn:") {
            (*unique).to_owned()
        } else {
            format!("urn:oid:{unique}")
        };
        if docs.found.contains_key(&uri) || docs.unbound.contains_key(&uri) {
            let why = format!("several documents of the message have the uniqueId {unique}");
            docs.found.remove(&uri);
            docs.problems.push(why.clone());
            docs.unbound.insert(uri, why);
            continue;
        }
        match (part, href) {
            (Some(bytes), _) => {
                docs.found.insert(uri, bytes);
            }
            (None, Some(href)) => {
                docs.unbound.insert(
                    uri,
                    format!(
                        "its document {id} includes {href}, which is not a part of the message"
                    ),
                );
            }
            (None, None) => {
                docs.unbound.insert(
                    uri,
                    format!("its document {id} has no xop:Include of a part of the message"),
                );
            }
        }
    }
    docs
}

struct Ctx<'a> {
    tree: &'a Tree,
    index: &'a IdIndex,
    options: &'a VerifyOptions,
    parts: &'a Parts<'a>,
    /// Digests computed so far in this document.
    digests: RefCell<HashMap<DigestKey, Vec<u8>>>,
}

fn verify_tree(
    tree: &Tree,
    part: Option<String>,
    options: &VerifyOptions,
    parts: &Parts<'_>,
) -> Result<Vec<SignatureReport>> {
    let signatures: Vec<Element<'_>> = tree
        .elements()
        .filter(|e| e.is(DSIG_NS, "Signature"))
        .collect();
    let max = options.signature_limits.max_signatures;
    if let Some(extra) = signatures.get(max) {
        return Err(Error::data(
            part.as_deref().unwrap_or(SOURCE),
            extra.line(),
            format!(
                "{} signatures in one document, at most {max} are accepted",
                signatures.len()
            ),
        ));
    }
    let index = IdIndex::build(tree);
    let ctx = Ctx {
        tree,
        index: &index,
        options,
        parts,
        digests: RefCell::new(HashMap::new()),
    };
    let doc_failure = index.strong_duplicate().map(|v| {
        Failure::Wrapping(format!(
            "the ID \"{v}\" is carried by {} elements (lines {})",
            index.count(v),
            lines(tree, index.get(v))
        ))
    });
    let mut reports = Vec::new();
    let mut claims: HashMap<ElementId, usize> = HashMap::new();
    let mut clashes: Vec<(usize, usize, String)> = Vec::new();
    for sig in signatures {
        let n = reports.len();
        let (mut report, resolved) = verify_signature(&ctx, sig, part.clone());
        for id in resolved {
            match claims.get(&id) {
                Some(&other) if other != n => {
                    let what = tree
                        .element(id)
                        .map(|e| format!("<{}> (line {})", e.qname(), e.line()))
                        .unwrap_or_default();
                    clashes.push((other, n, what));
                }
                _ => {
                    claims.insert(id, n);
                }
            }
        }
        if let Some(f) = &doc_failure {
            report.failure = Some(f.clone());
        }
        reports.push(report);
    }
    for (a, b, what) in clashes {
        let lines = (
            reports.get(a).map_or(0, |r| r.line),
            reports.get(b).map_or(0, |r| r.line),
        );
        for i in [a, b] {
            if let Some(r) = reports.get_mut(i) {
                r.failure = Some(Failure::Wrapping(format!(
                    "the signatures at lines {} and {} both sign {what}",
                    lines.0, lines.1
                )));
            }
        }
    }
    Ok(reports)
}

fn signed_element(e: Element<'_>) -> SignedElement {
    SignedElement {
        qname: e.qname().to_owned(),
        namespace: e.namespace().map(str::to_owned),
        span: e.span(),
        line: e.line(),
    }
}

/// Verifies one signature; also returns the elements its references resolved to.
fn verify_signature(
    ctx: &Ctx<'_>,
    sig: Element<'_>,
    part: Option<String>,
) -> (SignatureReport, Vec<ElementId>) {
    let mut report = SignatureReport {
        part,
        span: sig.span(),
        line: sig.line(),
        id: sig.attr("Id").map(str::to_owned),
        algorithm: None,
        signer: None,
        signing_time: None,
        references: Vec::new(),
        manifest: Vec::new(),
        chain: ChainStatus::NotChecked,
        failure: None,
    };
    let mut resolved = Vec::new();
    if let Err(f) = check_signature(ctx, sig, &mut report, &mut resolved) {
        report.failure.get_or_insert(f);
    }
    if let (Some(_), ChainStatus::NotChecked, Some(f)) =
        (&ctx.options.trust, &report.chain, &report.failure)
    {
        report.chain = ChainStatus::Skipped(f.to_string());
    }
    (report, resolved)
}

fn malformed(m: impl Into<String>) -> Failure {
    Failure::Malformed(m.into())
}

/// Records `f` as the failure unless there is one already.
fn note(report: &mut SignatureReport, f: Failure) {
    report.failure.get_or_insert(f);
}

fn check_signature<'t>(
    ctx: &Ctx<'t>,
    sig: Element<'t>,
    report: &mut SignatureReport,
    resolved: &mut Vec<ElementId>,
) -> Result<(), Failure> {
    let mut children = sig.children();
    let si = children
        .next()
        .filter(|e| e.is(DSIG_NS, "SignedInfo"))
        .ok_or_else(|| malformed("the first child of Signature must be SignedInfo"))?;
    let sv = children
        .next()
        .filter(|e| e.is(DSIG_NS, "SignatureValue"))
        .ok_or_else(|| malformed("SignatureValue must follow SignedInfo"))?;
    let key_info = children.find(|e| e.is(DSIG_NS, "KeyInfo"));

    let mut si_children = si.children();
    let cm = si_children
        .next()
        .filter(|e| e.is(DSIG_NS, "CanonicalizationMethod"))
        .ok_or_else(|| malformed("SignedInfo must start with CanonicalizationMethod"))?;
    let si_method = c14n_method(cm)?;
    let sm = si_children
        .next()
        .filter(|e| e.is(DSIG_NS, "SignatureMethod"))
        .ok_or_else(|| malformed("SignatureMethod must follow CanonicalizationMethod"))?;
    let sm_uri = sm.attr("Algorithm").unwrap_or("");
    let alg = SignatureAlgorithm::from_uri(sm_uri)
        .map_err(|_| Failure::Unsupported(format!("signature method {sm_uri:?}")))?;
    report.algorithm = Some(alg);
    let refs: Vec<Element<'t>> = si_children.collect();
    if refs.is_empty() {
        return Err(malformed("SignedInfo has no Reference"));
    }
    if let Some(other) = refs.iter().find(|e| !e.is(DSIG_NS, "Reference")) {
        return Err(malformed(format!(
            "unexpected <{}> in SignedInfo",
            other.qname()
        )));
    }
    check_reference_count(ctx, "SignedInfo", refs.len())?;

    // 1. Resolve the references (no canonicalisation yet).
    let mut targets = Vec::with_capacity(refs.len());
    for r in &refs {
        let mut rr = ReferenceReport {
            uri: r.attr("URI").unwrap_or("").to_owned(),
            type_uri: r.attr("Type").map(str::to_owned),
            element: None,
            digest_ok: false,
        };
        match resolve_reference(ctx, sig, *r, &mut rr, resolved) {
            Ok(t) => targets.push(Some(t)),
            Err(f) => {
                note(report, f);
                targets.push(None);
            }
        }
        report.references.push(rr);
    }
    // The XAdES SignedProperties (its digest is checked in step 4; if it does not match, the
    // signature is invalid whatever it designates).
    let signed_properties = targets.iter().flatten().find_map(|t| {
        t.target
            .filter(|e| e.is(XADES_NS, "SignedProperties") && sig.contains(e.id()))
    });

    // 2. The key.
    let certs = key_info_certificates(key_info)?;
    let first = certs
        .first()
        .cloned()
        .ok_or_else(|| malformed("no X509Certificate in KeyInfo: the signer is unknown"))?;
    let mut signer = first;
    if let Some(sp) = signed_properties {
        // XAdES: the signed properties sit in a QualifyingProperties whose Target names this
        // signature; anything else (no container, no Target, another signature) is wrapping.
        let target = sp
            .parent()
            .filter(|q| q.is(XADES_NS, "QualifyingProperties"))
            .and_then(|q| q.attr("Target"));
        match (target, sig.attr("Id")) {
            (Some(target), Some(id)) if target.strip_prefix('#') == Some(id) => {}
            (target, id) => note(
                report,
                Failure::Wrapping(format!(
                    "the signed SignedProperties must sit in a QualifyingProperties whose \
                     Target names this signature (Target {}, Signature Id {})",
                    target.map_or("absent".to_owned(), |t| format!("\"{t}\"")),
                    id.map_or("absent".to_owned(), |i| format!("\"{i}\""))
                )),
            ),
        }
        let sc = sp
            .child(XADES_NS, "SignedSignatureProperties")
            .and_then(|s| s.child(XADES_NS, "SigningCertificate"));
        if let Some(sc) = sc {
            match certs.iter().find(|c| signing_certificate_lists(sc, c)) {
                Some(c) => signer = c.clone(),
                None => note(
                    report,
                    Failure::CertificateMismatch(format!(
                        "no certificate of KeyInfo matches the signed SigningCertificate \
                         (CertDigest and IssuerSerial); KeyInfo has '{}'",
                        signer.subject_rfc2253()
                    )),
                ),
            }
        }
    }
    report.signer = Some(signer.clone());

    // 3. The signature value, before any reference is canonicalised: nothing an
    //    unauthenticated SignedInfo asks for is done.
    let value = decode_b64(&sv.text()).ok_or_else(|| malformed("SignatureValue is not base64"))?;
    let si_bytes = canonicalize(ctx.tree, Some(si.id()), None, &si_method)
        .map_err(|e| malformed(format!("SignedInfo cannot be canonicalised: {e}")))?;
    if let Err(e) = signer.verify_signature(alg, &si_bytes, &value) {
        return Err(Failure::BadSignatureValue(error_message(&e)));
    }

    // 4. The certificate: its usage (the rule of signing), then the chain, or without roots
    //    its validity at `at`. Reported after the reference digests (a changed content is
    //    the first thing to say).
    let options = ctx.options;
    let mut certificate_failures = Vec::new();
    if let Err(e) = check_key_usage(&signer, options.usage) {
        certificate_failures.push(Failure::KeyUsage(error_message(&e)));
    }
    if let Some(roots) = &options.trust {
        let intermediates: Vec<Certificate> = certs
            .iter()
            .filter(|c| **c != signer)
            .chain(&options.intermediates)
            .cloned()
            .collect();
        match verify_chain(&signer, &intermediates, roots, options.at) {
            Ok(path) => {
                report.chain =
                    ChainStatus::Trusted(path.iter().map(Certificate::subject_rfc2253).collect())
            }
            Err(e) => {
                let m = error_message(&e);
                report.chain = ChainStatus::Failed(m.clone());
                certificate_failures.push(Failure::Certificate(m));
            }
        }
    } else if options.usage != UsagePolicy::AllowInvalid {
        if let Err(e) = check_validity(&signer, 0, options.at) {
            certificate_failures.push(Failure::Certificate(error_message(&e)));
        }
    }

    // 5. The reference digests, each distinct target canonicalised once.
    let mut manifests = Vec::new();
    for (i, t) in targets.iter().enumerate() {
        let (Some(t), Some(rr)) = (t, report.references.get_mut(i)) else {
            continue;
        };
        let outcome = digest_reference(ctx, t, rr);
        let type_uri = rr.type_uri.clone();
        let type_uri = type_uri.as_deref();
        if let Err(f) = outcome {
            note(report, f);
            continue;
        }
        let e = t.target.unwrap_or_else(|| ctx.tree.root());
        let inside = e != sig && sig.contains(e.id());
        if e.is(XADES_NS, "SignedProperties") {
            if !inside {
                note(
                    report,
                    Failure::Wrapping(format!(
                        "the SignedProperties referenced by #{} (line {}) is not inside the \
                         signature",
                        e.attr("Id").unwrap_or(""),
                        e.line()
                    )),
                );
                continue;
            }
            let time = e
                .child(XADES_NS, "SignedSignatureProperties")
                .and_then(|s| s.child(XADES_NS, "SigningTime"));
            if let Some(time) = time {
                report.signing_time = Some(time.text().trim().to_owned());
            }
        } else if e.is(DSIG_NS, "Manifest") {
            if !inside {
                note(
                    report,
                    Failure::Wrapping(format!(
                        "the Manifest referenced by #{} (line {}) is not inside the signature",
                        e.attr("Id").unwrap_or(""),
                        e.line()
                    )),
                );
                continue;
            }
            manifests.push(e);
        } else if type_uri == Some(MANIFEST_TYPE) || type_uri == Some(SIGNED_PROPERTIES_TYPE) {
            note(
                report,
                malformed(format!(
                    "a reference of Type {} resolves to <{}> (line {})",
                    type_uri.unwrap_or_default(),
                    e.qname(),
                    e.line()
                )),
            );
        }
        if report.signing_time.is_none() {
            report.signing_time = e.attr("IssueInstant").map(str::to_owned);
        }
    }

    for f in certificate_failures {
        note(report, f);
    }

    // 6. The manifests.
    for m in manifests {
        let references: Vec<Element<'t>> = m.children().collect();
        if let Err(f) = check_reference_count(ctx, "Manifest", references.len()) {
            note(report, f);
            continue;
        }
        for r in references {
            if !r.is(DSIG_NS, "Reference") {
                note(
                    report,
                    malformed(format!("unexpected <{}> in Manifest", r.qname())),
                );
                continue;
            }
            let entry = manifest_reference(ctx, sig, r);
            match &entry.status {
                ManifestStatus::DigestMismatch => note(
                    report,
                    Failure::ManifestDigestMismatch {
                        uri: entry.uri.clone(),
                    },
                ),
                ManifestStatus::NotInMessage(reason) => note(
                    report,
                    Failure::ManifestNotInMessage {
                        uri: entry.uri.clone(),
                        reason: reason.clone(),
                    },
                ),
                _ => {}
            }
            report.manifest.push(entry);
        }
    }
    Ok(())
}

/// At most [`SignatureLimits::max_references`](super::SignatureLimits) references in one
/// `SignedInfo` or `Manifest`.
fn check_reference_count(ctx: &Ctx<'_>, what: &str, count: usize) -> Result<(), Failure> {
    let max = ctx.options.signature_limits.max_references;
    if count > max {
        return Err(Failure::TooLarge(format!(
            "the {what} has {count} references, at most {max} are accepted"
        )));
    }
    Ok(())
}

fn error_message(e: &Error) -> String {
    match e {
        Error::Crypto { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

fn key_info_certificates(key_info: Option<Element<'_>>) -> Result<Vec<Certificate>, Failure> {
    let mut certs = Vec::new();
    let Some(ki) = key_info else {
        return Ok(certs);
    };
    for data in ki.children().filter(|e| e.is(DSIG_NS, "X509Data")) {
        for c in data.children().filter(|e| e.is(DSIG_NS, "X509Certificate")) {
            let der =
                decode_b64(&c.text()).ok_or_else(|| malformed("X509Certificate is not base64"))?;
            // x509-parser tolerates another outer tag than SEQUENCE; KeyInfo is not signed,
            // so insist on DER here.
            if der.first() != Some(&0x30) {
                return Err(malformed(format!(
                    "X509Certificate (line {}) is not a DER certificate",
                    c.line()
                )));
            }
            let cert = Certificate::from_der(&der).map_err(|e| {
                malformed(format!(
                    "X509Certificate (line {}): {}",
                    c.line(),
                    error_message(&e)
                ))
            })?;
            certs.push(cert);
        }
    }
    Ok(certs)
}

/// Whether a XAdES `SigningCertificate` lists `cert` (a `Cert` whose `CertDigest` and
/// `IssuerSerial` both match). `DigestMethod`/`DigestValue` are accepted in the XML-DSig
/// namespace (the schema) and in the XAdES one (the DMP sample).
fn child_any_ns<'t>(e: Element<'t>, name: &str) -> Option<Element<'t>> {
    e.children()
        .find(|c| c.local_name() == name && matches!(c.namespace(), Some(DSIG_NS) | Some(XADES_NS)))
}

fn signing_certificate_lists(sc: Element<'_>, cert: &Certificate) -> bool {
    let local = child_any_ns;
    sc.children().filter(|c| c.is(XADES_NS, "Cert")).any(|c| {
        let digest_ok = local(c, "CertDigest").is_some_and(|cd| {
            let alg = local(cd, "DigestMethod")
                .and_then(|m| m.attr("Algorithm"))
                .and_then(|u| DigestAlgorithm::from_uri(u).ok());
            let value = local(cd, "DigestValue").and_then(|v| decode_b64(&v.text()));
            matches!((alg, value), (Some(a), Some(v)) if cert.digest(a) == v)
        });
        let serial_ok = local(c, "IssuerSerial").is_some_and(|is| {
            let name = local(is, "X509IssuerName").map(|n| n.text());
            let serial = local(is, "X509SerialNumber").map(|n| n.text());
            let name_ok = name.is_some_and(|n| {
                let n = normalize_dn(&n);
                [DnStyle::Dmp, DnStyle::Java]
                    .into_iter()
                    .any(|s| normalize_dn(&cert.issuer().to_rfc2253_with(s)) == n)
            });
            let serial_ok = serial.is_some_and(|s| {
                s.trim().trim_start_matches('0') == cert.serial_decimal().trim_start_matches('0')
            });
            name_ok && serial_ok
        });
        digest_ok && serial_ok
    })
}

/// A DN string without the blanks around `,`, `+` and `=` (S2 strips them, others keep
/// them), attribute names upper-cased.
fn normalize_dn(dn: &str) -> String {
    let mut out = String::with_capacity(dn.len());
    let mut in_value = false;
    let mut chars = dn.trim().chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                out.push(c);
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            ',' | '+' => {
                while out.ends_with(' ') {
                    out.pop();
                }
                out.push(c);
                while chars.peek() == Some(&' ') {
                    chars.next();
                }
                in_value = false;
            }
            '=' if !in_value => {
                while out.ends_with(' ') {
                    out.pop();
                }
                out.push(c);
                while chars.peek() == Some(&' ') {
                    chars.next();
                }
                in_value = true;
            }
            c if !in_value => out.extend(c.to_uppercase()),
            c => out.push(c),
        }
    }
    out
}

fn c14n_method(e: Element<'_>) -> Result<C14nMethod, Failure> {
    let uri = e.attr("Algorithm").unwrap_or("");
    let prefixes = e
        .child(EXC_C14N_NS, "InclusiveNamespaces")
        .map(|i| i.attr("PrefixList").unwrap_or(""));
    C14nMethod::from_uri(uri, prefixes).map_err(|err| {
        Failure::Unsupported(format!("canonicalisation {uri:?}: {}", error_message(&err)))
    })
}

enum Transform {
    Enveloped,
    C14n(C14nMethod),
}

struct RefSpec {
    uri: String,
    transforms: Vec<Transform>,
    digest: DigestAlgorithm,
    value: Vec<u8>,
}

fn parse_reference(r: Element<'_>) -> Result<RefSpec, Failure> {
    let uri = r
        .attr("URI")
        .ok_or_else(|| Failure::Unsupported("a Reference without URI".to_owned()))?
        .to_owned();
    let mut children = r.children().peekable();
    let mut transforms = Vec::new();
    if let Some(ts) = children.next_if(|e| e.is(DSIG_NS, "Transforms")) {
        for t in ts.children() {
            if !t.is(DSIG_NS, "Transform") {
                return Err(malformed(format!(
                    "unexpected <{}> in Transforms",
                    t.qname()
                )));
            }
            let alg = t.attr("Algorithm").unwrap_or("");
            if alg == ENVELOPED_SIGNATURE {
                transforms.push(Transform::Enveloped);
            } else if alg.contains("c14n") {
                transforms.push(Transform::C14n(c14n_method(t)?));
            } else {
                return Err(Failure::Unsupported(format!(
                    "transform {alg:?} on reference {uri}"
                )));
            }
        }
    }
    let dm = children
        .next()
        .filter(|e| e.is(DSIG_NS, "DigestMethod"))
        .ok_or_else(|| malformed(format!("reference {uri} has no DigestMethod")))?;
    let dm_uri = dm.attr("Algorithm").unwrap_or("");
    let digest = DigestAlgorithm::from_uri(dm_uri).map_err(|_| {
        Failure::Unsupported(format!("digest method {dm_uri:?} on reference {uri}"))
    })?;
    let dv = children
        .next()
        .filter(|e| e.is(DSIG_NS, "DigestValue"))
        .ok_or_else(|| malformed(format!("reference {uri} has no DigestValue")))?;
    let value = decode_b64(&dv.text())
        .ok_or_else(|| malformed(format!("the DigestValue of reference {uri} is not base64")))?;
    if children.next().is_some() {
        return Err(malformed(format!("reference {uri}: unexpected content")));
    }
    let c14n_at = transforms
        .iter()
        .position(|t| matches!(t, Transform::C14n(_)));
    let enveloped_at = transforms
        .iter()
        .rposition(|t| matches!(t, Transform::Enveloped));
    let c14n_count = transforms
        .iter()
        .filter(|t| matches!(t, Transform::C14n(_)))
        .count();
    if c14n_count > 1 {
        return Err(Failure::Unsupported(format!(
            "more than one canonicalisation transform on reference {uri}"
        )));
    }
    if let (Some(c), Some(e)) = (c14n_at, enveloped_at) {
        if e > c {
            return Err(Failure::Unsupported(format!(
                "enveloped-signature after canonicalisation on reference {uri}"
            )));
        }
    }
    Ok(RefSpec {
        uri,
        transforms,
        digest,
        value,
    })
}

impl RefSpec {
    fn method(&self) -> Option<&C14nMethod> {
        self.transforms.iter().find_map(|t| match t {
            Transform::C14n(m) => Some(m),
            Transform::Enveloped => None,
        })
    }

    fn enveloped(&self) -> bool {
        self.transforms
            .iter()
            .any(|t| matches!(t, Transform::Enveloped))
    }
}

/// Resolves `#id` to its one element.
fn resolve<'t>(ctx: &Ctx<'t>, uri: &str, id: &str) -> Result<Element<'t>, Failure> {
    match ctx.index.get(id) {
        [] => Err(Failure::ReferenceNotFound {
            uri: uri.to_owned(),
        }),
        [(one, _)] => ctx
            .tree
            .element(*one)
            .ok_or_else(|| Failure::ReferenceNotFound {
                uri: uri.to_owned(),
            }),
        many => Err(Failure::Wrapping(format!(
            "the ID \"{id}\" of reference {uri} is carried by {} elements (lines {})",
            many.len(),
            lines(ctx.tree, many)
        ))),
    }
}

/// A same-document reference, resolved but not yet digested.
struct Target<'t> {
    spec: RefSpec,
    /// `None`: the whole document.
    target: Option<Element<'t>>,
    /// The signature, for an `enveloped-signature` reference.
    exclude: Option<ElementId>,
    /// The canonicalisation (a same-document reference selects no comments, XML-DSig
    /// §4.3.3.3).
    method: C14nMethod,
}

/// Resolves a same-document reference (no canonicalisation): its target, and whether an
/// `enveloped-signature` transform is allowed on it. Pushes the resolved element on
/// `resolved`.
fn resolve_reference<'t>(
    ctx: &Ctx<'t>,
    sig: Element<'t>,
    r: Element<'t>,
    rr: &mut ReferenceReport,
    resolved: &mut Vec<ElementId>,
) -> Result<Target<'t>, Failure> {
    let spec = parse_reference(r)?;
    let uri = spec.uri.as_str();
    let target = if uri.is_empty() {
        None
    } else if let Some(id) = uri.strip_prefix('#') {
        if id.starts_with("xpointer(") {
            return Err(Failure::Unsupported(format!("XPointer reference {uri}")));
        }
        Some(resolve(ctx, uri, id)?)
    } else {
        return Err(Failure::Unsupported(format!(
            "reference {uri}: only same-document references (#id) are supported in SignedInfo"
        )));
    };
    let elem = target.unwrap_or_else(|| ctx.tree.root());
    rr.element = Some(signed_element(elem));
    resolved.push(elem.id());
    let exclude = if spec.enveloped() {
        if !elem.contains(sig.id()) {
            return Err(Failure::Wrapping(format!(
                "reference {uri} has the enveloped-signature transform but resolves to <{}> \
                 (line {}), which does not contain the signature",
                elem.qname(),
                elem.line()
            )));
        }
        Some(sig.id())
    } else {
        None
    };
    let method = match spec.method() {
        Some(C14nMethod::Exclusive {
            inclusive_prefixes, ..
        }) => C14nMethod::Exclusive {
            comments: false,
            inclusive_prefixes: inclusive_prefixes.clone(),
        },
        _ => C14nMethod::Inclusive { comments: false },
    };
    Ok(Target {
        spec,
        target,
        exclude,
        method,
    })
}

/// What one canonicalisation depends on: target, excluded signature, method, digest
/// algorithm.
type DigestKey = (
    Option<ElementId>,
    Option<ElementId>,
    MethodKey,
    DigestAlgorithm,
);

/// Compares the digest of a resolved reference, computed once per distinct
/// [`DigestKey`] in the document.
fn digest_reference(
    ctx: &Ctx<'_>,
    t: &Target<'_>,
    rr: &mut ReferenceReport,
) -> Result<(), Failure> {
    let uri = t.spec.uri.as_str();
    let apex = t.target.map(|e| e.id());
    let key = (apex, t.exclude, method_key(&t.method), t.spec.digest);
    let cached = ctx.digests.borrow().get(&key).cloned();
    let digest = match cached {
        Some(d) => d,
        None => {
            let d = digest_c14n(ctx.tree, apex, t.exclude, &t.method, t.spec.digest)
                .map_err(|e| malformed(format!("reference {uri} cannot be canonicalised: {e}")))?;
            ctx.digests.borrow_mut().insert(key, d.clone());
            d
        }
    };
    rr.digest_ok = digest == t.spec.value;
    if rr.digest_ok {
        Ok(())
    } else {
        Err(Failure::DigestMismatch {
            uri: uri.to_owned(),
        })
    }
}

/// The DMP's placeholder digest of the submission set (`AA==`).
const DUMMY_DIGEST: &[u8] = &[0];

fn manifest_reference(ctx: &Ctx<'_>, sig: Element<'_>, r: Element<'_>) -> ManifestEntry {
    let uri = r.attr("URI").unwrap_or("").to_owned();
    let spec = match parse_reference(r) {
        Ok(s) => s,
        Err(f) => {
            return ManifestEntry {
                uri,
                digest: None,
                status: ManifestStatus::Error(f.to_string()),
            }
        }
    };
    let digest = Some(spec.digest);
    let status = |status| ManifestEntry {
        uri: uri.clone(),
        digest,
        status,
    };
    if uri.is_empty() || uri.starts_with('#') {
        let mut rr = ReferenceReport {
            uri: uri.clone(),
            type_uri: None,
            element: None,
            digest_ok: false,
        };
        let outcome = resolve_reference(ctx, sig, r, &mut rr, &mut Vec::new())
            .and_then(|t| digest_reference(ctx, &t, &mut rr));
        return match outcome {
            Ok(()) => status(ManifestStatus::Ok),
            Err(Failure::DigestMismatch { .. }) => status(ManifestStatus::DigestMismatch),
            Err(f) => status(ManifestStatus::Error(f.to_string())),
        };
    }
    if spec.value == DUMMY_DIGEST {
        return status(ManifestStatus::Dummy);
    }
    let Some(bytes) = ctx.parts.get(&uri) else {
        let documents = &ctx.parts.documents;
        return status(if documents.provide_and_register {
            ManifestStatus::NotInMessage(documents.not_in_message(&uri))
        } else {
            ManifestStatus::PartMissing
        });
    };
    if spec.enveloped() {
        return status(ManifestStatus::Error(
            "enveloped-signature transform on an external part".to_owned(),
        ));
    }
    let computed =
        match ctx
            .parts
            .digest(&uri, bytes, spec.method(), spec.digest, &ctx.options.limits)
        {
            Ok(d) => d,
            Err(m) => return status(ManifestStatus::Error(m)),
        };
    if computed == spec.value {
        status(ManifestStatus::Ok)
    } else {
        status(ManifestStatus::DigestMismatch)
    }
}

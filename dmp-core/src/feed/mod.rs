//! Feeding the DMP (TD2.1, IHE ITI-41): one transaction as a pure function.
//!
//! [`build`] turns a [`FeedRequest`] (the documents, who acts, in which mode, from which
//! software) and a [`FeedContext`] (the clock, the id generator, the signer) into the exact
//! HTTP request the DMP repository expects ([`BuiltRequest`]). It is the only place that
//! knows the order of the steps:
//!
//! 1. pre-send checks (below), on the whole request, before anything is built;
//! 2. per document: the CDA bytes ([`cda::build`]), then its metadata derived from them
//!    ([`DocumentEntry::from_cda`]);
//! 3. the [`SubmissionSet`] (author and patient of the first document);
//! 4. the XAdES manifest signature ([`xades::sign_manifest`]): the submission set's uniqueId
//!    with the DMP's dummy digest, then each document's `urn:oid:<uniqueId>` with the SHA-1 of
//!    the C14N-with-comments form of **the exact CDA bytes sent** (the verifier,
//!    [`xmldsig::verify`](fn@crate::xmldsig::verify), recomputes the same from the MIME parts);
//! 5. the [`SignatureEntry`] (the DMP's fixed codes) and the replacements (RPLC);
//! 6. the `ProvideAndRegisterDocumentSetRequest` ([`ProvideAndRegister::to_xml`]);
//! 7. the VIHF ([`Vihf::to_xml`]) signed with [`xmldsig::sign_enveloped`](crate::xmldsig::sign_enveloped);
//! 8. the SOAP 1.2 envelope (action `ProvideAndRegisterDocumentSet-b`, a MessageID from the
//!    generator, `wsa:To` = the repository URL of the environment);
//! 9. the MTOM message: the envelope, one part per CDA, one for the signature.
//!
//! Same request, clock, key and seed: same bytes.
//!
//! [`build_to`] writes the same bytes to a caller's [`std::io::Write`] (a spool file, a
//! socket) instead of holding them: the documents are generated into their digests first,
//! the signature made, and only then is the message written, each document generated again
//! 64 KiB at a time ([`prepare_stream`], [`StreamingRequest::write_body`]). Every check comes
//! before the first byte; only the writer can fail after it ([`Error::Write`]).
//!
//! # Pre-send checks
//!
//! Each failure is an [`Error::Invalid`] whose field names the place (`mode`,
//! `documents[1].header.title`…) and whose rule is one of the `RULE_*` texts of this module:
//!
//! - [`RULE_RIGHTS`]: the functional rights (PDT-INF-526/606, [`Rights::allows`]) allow TD2.1
//!   for the authentication mode, the actor and the access mode; AIR is refused (TD2.1 is
//!   `non` in PDT-INF-606);
//! - [`RULE_IDENTITY`]: the identity is qualified (only a qualified INS may be sent);
//! - [`RULE_INS_ENVIRONMENT`]: the INS OID matches the environment (test and demonstration
//!   OIDs `…4.10`/`…4.11` only with `environment: test`, production `…4.8`/`…4.9` only with
//!   `production`);
//! - [`RULE_STRUCTURE`]: in indirect mode, the VIHF `Identifiant_Structure` is the
//!   `1`+FINESS of the documents' structure (their `authorInstitution`);
//! - [`RULE_SAME_PATIENT`]: every document is for the same INS;
//! - [`RULE_DOCUMENT_COUNT`], [`RULE_DOCUMENT_SIZE`], [`RULE_TOTAL_SIZE`]: at most
//!   [`MAX_DOCUMENTS`] documents, [`MAX_DOCUMENT_BYTES`] per CDA, [`MAX_TOTAL_BYTES`] in all
//!   (our limits: the DMP's are not published in the sources we have; they bound memory);
//! - codes, titles (at most [`crate::cda::TITLE_MAX`] characters) and identifiers: the CDA
//!   and XDS builders' own checks, their fields prefixed with `documents[i].header`;
//! - the signing certificate is valid at `now` and fit for a DMP signature
//!   ([`crate::crypto::check_signing_certificate`], an [`Error::Crypto`]).
//!
//! # The request file
//!
//! [`FeedRequest`] is what `dmp feed build` reads (schema
//! `docs/schema/feed-case.schema.json`, samples `examples/data/feed/`). A document gives its
//! CDA header and content inline (the `dmp cda build` case format, [`Case`]) or names a case
//! file with `case`; a `content.path` or `case` is read by the caller's loader
//! ([`FeedRequest::resolve`]): the core reads no file.
//!
//! Also here: [`parse_response`] (the DMP's answer) and [`check`](fn@check) (re-parse a built
//! request and verify its signatures and metadata, for `dmp feed check`).
//!
//! Integration tests: feed.

mod check;
mod ids;
mod response;

pub use check::{check, CheckReport, DocumentCheck};
pub use ids::IdGenerator;
pub use response::{parse_response, FeedOutcome};

/// The authentication mode of a feed (the actor profile's [`AuthMode`](crate::actor::AuthMode)).
pub use crate::actor::AuthMode as FeedMode;
pub use crate::actor::{Environment, LocalLogin};

use std::borrow::Cow;
use std::io::Write;
use std::ops::Range;

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

use crate::actor::ActorProfile;
use crate::cda::{self, Case, CaseContent, CdaHeader, CdaOrganization, CdaPerson, Content};
use crate::crypto::{check_signing_certificate, Signer, UsagePolicy};
use crate::error::{Error, Result};
use crate::habilitation::{AccessMode, Actor, Rights};
use crate::ids::Oid;
use crate::model::{Confidentiality, InsStatus};
use crate::soap::{self, action, endpoint, mtom};
use crate::vihf::{Lps, Vihf, VihfProfile};
use crate::xades::{self, DigestSource, ManifestReference, XadesOptions};
use crate::xds::{
    Code, DocumentEntry, ProvideAndRegister, Replacement, SignatureEntry, SubmissionSet,
};

/// Most documents in one submission (our limit).
pub const MAX_DOCUMENTS: usize = 20;
/// Largest CDA (bytes, base64 body included) in a submission (our limit: 20 MiB).
pub const MAX_DOCUMENT_BYTES: usize = 20 << 20;
/// Largest sum of the CDA sizes of a submission (our limit: 50 MiB).
pub const MAX_TOTAL_BYTES: usize = 50 << 20;

/// Rule: the functional rights refuse TD2.1.
pub const RULE_RIGHTS: &str =
    "the functional rights (PDT-INF-526/606) do not allow TD2.1 (feeding) for this authentication \
     mode, actor and access mode";
/// Rule: the identity is not qualified.
pub const RULE_IDENTITY: &str =
    "the DMP only accepts a qualified identity (identity_status must be qualifiee)";
/// Rule: the INS OID does not match the environment.
pub const RULE_INS_ENVIRONMENT: &str =
    "the INS OID must match the environment: test/demonstration INS (1.2.250.1.213.1.4.10, .11) \
     only with environment test, production INS (.8, .9) only with environment production";
/// Rule: the VIHF structure is not the documents' structure.
pub const RULE_STRUCTURE: &str =
    "in indirect mode the VIHF Identifiant_Structure must equal an authorInstitution: 1 + the \
     FINESS of the documents' structure";
/// Rule: two documents for different patients.
pub const RULE_SAME_PATIENT: &str = "every document of a submission must be for the same INS";
/// Rule: no document, or too many.
pub const RULE_DOCUMENT_COUNT: &str = "a submission carries 1 to 20 documents";
/// Rule: a CDA is too large.
pub const RULE_DOCUMENT_SIZE: &str = "a CDA document must not exceed 20 MiB";
/// Rule: the documents are too large together.
pub const RULE_TOTAL_SIZE: &str = "the documents of a submission must not exceed 50 MiB in all";

/// A coded value in JSON (`contentTypeCode`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeValue {
    /// The code.
    pub code: String,
    /// Its display name.
    pub display: String,
    /// The coding scheme (OID).
    pub scheme: String,
}

/// One document of a submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedDocument {
    /// A case file (`dmp cda build` format) holding `header` and `content`, read by the
    /// caller's loader ([`FeedRequest::resolve`]); its `content.path` is relative to it.
    /// Exclusive with `header`/`content`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case: Option<String>,
    /// The CDA header (inline).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<CdaHeader>,
    /// The content (inline `text`/`base64`, or a `path` read by the loader).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<CaseContent>,
    /// The DMP visibility flags; default: the header's level and no flag. Its `level` must
    /// equal the header's confidentiality.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Confidentiality>,
    /// The DocumentEntry comments (Description).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comments: Option<String>,
    /// For a new version (`header.replaces` set): the registry entryUUID of the replaced
    /// version (`urn:uuid:…`, from TD3.1), for the RPLC association.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces_entry_uuid: Option<String>,
    /// The loaded body when `content.path` was read ([`FeedRequest::resolve`]), or set
    /// directly by a caller that has the bytes. Takes precedence over `content`.
    #[serde(skip)]
    pub body: Option<Content>,
}

impl FeedDocument {
    /// A document from its header and body, without flags.
    pub fn new(header: CdaHeader, body: Content) -> FeedDocument {
        FeedDocument {
            case: None,
            header: Some(header),
            content: None,
            visibility: None,
            comments: None,
            replaces_entry_uuid: None,
            body: Some(body),
        }
    }

    /// The header and the body; the body is borrowed when the caller gave the bytes
    /// ([`FeedDocument::body`]): a 20 MiB payload is not copied.
    fn parts(&self) -> Result<(&CdaHeader, Cow<'_, Content>)> {
        let header = self.header.as_ref().ok_or_else(|| {
            Error::invalid(
                "header",
                "missing: give header and content, or a case (then call resolve)",
                "",
            )
        })?;
        if let Some(b) = &self.body {
            return Ok((header, Cow::Borrowed(b)));
        }
        let content = self
            .content
            .clone()
            .ok_or_else(|| Error::invalid("content", "missing", ""))?;
        let (_, body) = Case {
            header: header.clone(),
            content,
        }
        .into_parts(|p| {
            Err(format!(
                "{p}: files are read by FeedRequest::resolve (the core reads no file)"
            ))
        })?;
        Ok((header, Cow::Owned(body)))
    }
}

/// A TD2.1 submission as data (the `dmp feed build` file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedRequest {
    /// The documents (1 to [`MAX_DOCUMENTS`]), all for the same patient and structure.
    pub documents: Vec<FeedDocument>,
    /// Authentication mode (default `indirecte`).
    #[serde(default)]
    pub mode: FeedMode,
    /// Access mode (VIHF purposeofuse, default `normal`).
    #[serde(default = "normal")]
    pub access_mode: AccessMode,
    /// The actor of the functional-rights tables; default from the user's specialty
    /// (`G15_10…` médecin, other `G15_…` ps_non_medecin, else non_ps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<Actor>,
    /// The user acting (VIHF subject and roles).
    pub user: CdaPerson,
    /// How the user was authenticated locally.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_authentication: Option<LocalLogin>,
    /// The VIHF `Identifiant_Structure`; default `1` + the FINESS of the first document's
    /// structure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub structure_id: Option<String>,
    /// The identity status of the patient (RNIV): must be `qualifiee`.
    pub identity_status: InsStatus,
    /// The software (VIHF LPS attributes).
    pub lps: Lps,
    /// The OID of the sending software instance (SubmissionSet sourceId).
    pub source_id: Oid,
    /// SubmissionSet contentTypeCode; default the official example's `04` (JDV_J59 is not
    /// shipped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type_code: Option<CodeValue>,
    /// Test or production platform.
    pub environment: Environment,
    /// Base URL of the DMP services for `wsa:To` (default
    /// [`Environment::default_base_url`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// VIHF choices where the sources disagree (default: as the official samples).
    #[serde(default, skip_serializing_if = "is_default_profile")]
    pub vihf_profile: VihfProfile,
}

fn normal() -> AccessMode {
    AccessMode::Normal
}

fn is_default_profile(p: &VihfProfile) -> bool {
    *p == VihfProfile::default()
}

fn parent_dir(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..=i])
}

impl FeedRequest {
    /// Reads a request from JSON (errors carry the JSON path).
    pub fn from_json(text: &str) -> Result<FeedRequest> {
        crate::json::from_str(text)
    }

    /// Loads what the request names: each `case` file (its `header` and `content` replace
    /// the reference; its `content.path` becomes relative to the case file's folder) and each
    /// `content.path` (into [`FeedDocument::body`]). `load` reads a path as written (relative
    /// to the request file, for the caller to decide) and says why it could not.
    pub fn resolve(
        &mut self,
        mut load: impl FnMut(&str) -> std::result::Result<Vec<u8>, String>,
    ) -> Result<()> {
        for (i, d) in self.documents.iter_mut().enumerate() {
            let at = format!("documents[{i}]");
            if let Some(path) = d.case.clone() {
                if d.header.is_some() || d.content.is_some() {
                    return Err(Error::invalid(
                        format!("{at}.case"),
                        "give either case or header and content",
                        &path,
                    ));
                }
                let bytes = load(&path).map_err(|why| {
                    Error::invalid(format!("{at}.case"), format!("cannot read: {why}"), &path)
                })?;
                let text = std::str::from_utf8(&bytes)
                    .map_err(|_| Error::invalid(format!("{at}.case"), "is not UTF-8", &path))?;
                let mut case: Case = crate::json::from_str(text).map_err(|e| match e {
                    Error::Json { message, .. } | Error::Data { message, .. } => {
                        Error::invalid(format!("{at}.case"), message, &path)
                    }
                    other => other.at(&at),
                })?;
                if let Some(p) = &mut case.content.path {
                    if !p.starts_with('/') {
                        *p = format!("{}{p}", parent_dir(&path));
                    }
                }
                d.header = Some(case.header);
                d.content = Some(case.content);
            }
            if d.body.is_none() {
                if let Some(c) = &d.content {
                    if let Some(p) = &c.path {
                        let data = load(p).map_err(|why| {
                            Error::invalid(
                                format!("{at}.content.path"),
                                format!("cannot read: {why}"),
                                p,
                            )
                        })?;
                        d.body = Some(Content {
                            media_type: c.media_type,
                            data,
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// The actor for the functional rights ([`FeedRequest::actor`] or from the user).
    pub fn actor(&self) -> Actor {
        self.actor
            .unwrap_or_else(|| crate::actor::actor_of_specialty(&self.user.specialty))
    }

    /// Reads a request from JSON that may name an actor profile (`"profile":
    /// "../actors/ehpad.json"`, read with `load`, or an inline profile object): the profile
    /// gives every "who acts" key the request does not give itself (`mode`, `access_mode`,
    /// `actor`, `user`, `local_authentication`, `structure_id`, `lps`, `source_id`,
    /// `environment`, `base_url`, `vihf_profile`); keys written in the request win.
    pub fn from_json_with_profile(
        text: &str,
        load: impl FnOnce(&str) -> std::result::Result<Vec<u8>, String>,
    ) -> Result<FeedRequest> {
        let mut value: serde_json::Value = crate::json::from_str(text)?;
        let Some(obj) = value.as_object_mut() else {
            return crate::json::from_str(text);
        };
        let Some(reference) = obj.remove("profile") else {
            return crate::json::from_str(text);
        };
        let profile = match &reference {
            serde_json::Value::String(path) => {
                let bytes = load(path).map_err(|why| {
                    Error::invalid("profile", format!("cannot read: {why}"), path)
                })?;
                let text = std::str::from_utf8(&bytes)
                    .map_err(|_| Error::invalid("profile", "is not UTF-8", path))?;
                ActorProfile::from_json(text).map_err(|e| e.at("profile"))?
            }
            other => {
                let p: ActorProfile = serde_json::from_value(other.clone())
                    .map_err(|e| Error::invalid("profile", e.to_string(), ""))?;
                p.validate().map_err(|e| e.at("profile"))?;
                p
            }
        };
        let fields = serde_json::to_value(FeedActorFields::of(&profile))
            .map_err(|e| Error::invalid("profile", e.to_string(), ""))?;
        if let serde_json::Value::Object(fields) = fields {
            for (k, v) in fields {
                obj.entry(k).or_insert(v);
            }
        }
        let merged = serde_json::to_string(&value)
            .map_err(|e| Error::invalid("profile", e.to_string(), ""))?;
        crate::json::from_str(&merged)
    }
}

impl FeedRequest {
    /// The actor profile of this request, acting for `structure` (the documents').
    pub fn actor_profile(&self, structure: &CdaOrganization) -> ActorProfile {
        ActorProfile {
            label: None,
            mode: self.mode,
            card: None,
            user: self.user.clone(),
            actor: self.actor,
            reader: None,
            structure: structure.clone(),
            structure_id: self.structure_id.clone(),
            local_authentication: self.local_authentication.clone(),
            lps: self.lps.clone(),
            source_id: self.source_id.clone(),
            environment: self.environment,
            base_url: self.base_url.clone(),
            access_mode: self.access_mode,
            justification: None,
            vihf_profile: self.vihf_profile.clone(),
            transport: None,
        }
    }
}

/// The keys of a feed request that an actor profile provides.
#[derive(Serialize)]
struct FeedActorFields<'a> {
    mode: FeedMode,
    access_mode: AccessMode,
    #[serde(skip_serializing_if = "Option::is_none")]
    actor: Option<Actor>,
    user: &'a CdaPerson,
    #[serde(skip_serializing_if = "Option::is_none")]
    local_authentication: Option<&'a LocalLogin>,
    #[serde(skip_serializing_if = "Option::is_none")]
    structure_id: Option<String>,
    lps: &'a Lps,
    source_id: &'a Oid,
    environment: Environment,
    #[serde(skip_serializing_if = "Option::is_none")]
    base_url: Option<&'a str>,
    #[serde(skip_serializing_if = "is_default_profile")]
    vihf_profile: VihfProfile,
}

impl<'a> FeedActorFields<'a> {
    fn of(p: &'a ActorProfile) -> FeedActorFields<'a> {
        FeedActorFields {
            mode: p.mode,
            access_mode: p.access_mode,
            actor: p.actor,
            user: &p.user,
            local_authentication: p.local_authentication.as_ref(),
            structure_id: (p.mode != FeedMode::Directe).then(|| p.structure_id()),
            lps: &p.lps,
            source_id: &p.source_id,
            environment: p.environment,
            base_url: p.base_url.as_deref(),
            vihf_profile: p.vihf_profile.clone(),
        }
    }
}

/// What [`build`] needs besides the request: the clock, the ids and the signer.
pub struct FeedContext<'a> {
    /// The build time: submissionTime, XAdES SigningTime, VIHF IssueInstant, certificate
    /// checks.
    pub now: DateTime<FixedOffset>,
    /// The id generator (seeded: same seed, same ids).
    pub ids: IdGenerator,
    /// The signer of the XAdES signature and of the VIHF (ORG_SIGN in indirect mode), made
    /// with [`crate::crypto::SigningIdentity::signer_at`] for `now`.
    pub signer: &'a dyn Signer,
    /// The functional-rights tables the pre-send checks read: [`Rights::embedded`], parsed
    /// once and held by a caller that builds many requests (a session). `None`: parsed for
    /// this build (about a millisecond).
    pub rights: Option<&'a Rights>,
}

impl FeedContext<'_> {
    /// The rights to check against: the caller's, else the embedded tables parsed now.
    pub(crate) fn rights(&self) -> Result<Cow<'_, Rights>> {
        match self.rights {
            Some(r) => Ok(Cow::Borrowed(r)),
            None => Ok(Cow::Owned(Rights::embedded()?)),
        }
    }
}

/// A built request: the HTTP message and its pieces (for `--dump` and inspection).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltRequest {
    /// The HTTP request: path, headers, MTOM body.
    pub http: mtom::HttpRequest,
    /// The SOAP envelope (the root MIME part).
    pub envelope: Vec<u8>,
    /// Each CDA: its `urn:oid:<uniqueId>` and its place in `http.body` (see
    /// [`BuiltRequest::cdas`]: the CDA is written once, in the message).
    cda_parts: Vec<(String, Range<usize>)>,
    /// The XAdES signature document (the signature part).
    pub signature: Vec<u8>,
    /// The signed VIHF assertion.
    pub vihf: Vec<u8>,
    /// The ebRIM metadata, one line per value ([`ProvideAndRegister::metadata_summary`]).
    pub metadata: String,
    /// The SubmissionSet uniqueId.
    pub submission_set_unique_id: Oid,
    /// The WS-Addressing MessageID.
    pub message_id: String,
}

impl BuiltRequest {
    /// Each CDA: its `urn:oid:<uniqueId>` and its bytes as sent (borrowed from the MTOM body,
    /// where the builder wrote them: no second copy of the documents).
    pub fn cdas(&self) -> Vec<(&str, &[u8])> {
        self.cda_parts
            .iter()
            .map(|(uri, r)| {
                (
                    uri.as_str(),
                    self.http.body.get(r.clone()).unwrap_or_default(),
                )
            })
            .collect()
    }
}

fn invalid(field: impl Into<String>, rule: &str, value: impl AsRef<str>) -> Error {
    Error::invalid(field, rule, value)
}

/// The pre-send checks that need no building (see the module documentation). [`build`]
/// runs them first; call them alone to grey out a button.
pub fn check_request(request: &FeedRequest) -> Result<()> {
    check_request_with(request, &Rights::embedded()?)
}

/// [`check_request`] against `rights` held by the caller (parsed once).
pub fn check_request_with(request: &FeedRequest, rights: &Rights) -> Result<()> {
    let actor = request.actor();
    let auth = request.mode.authentication(actor);
    if !rights.allows(auth, actor, request.access_mode, "TD2.1") {
        return Err(invalid(
            "mode",
            RULE_RIGHTS,
            format!(
                "{} / {} / {}",
                request.mode.name(),
                actor.code(),
                request.access_mode.code()
            ),
        ));
    }
    if request.identity_status != InsStatus::Qualifiee {
        return Err(invalid(
            "identity_status",
            RULE_IDENTITY,
            request.identity_status.code(),
        ));
    }
    let n = request.documents.len();
    if n == 0 || n > MAX_DOCUMENTS {
        return Err(invalid("documents", RULE_DOCUMENT_COUNT, n.to_string()));
    }
    let mut first_ins = None;
    let mut first_finess = None;
    for (i, d) in request.documents.iter().enumerate() {
        let Some(h) = &d.header else {
            return Err(invalid(
                format!("documents[{i}].header"),
                "missing: give header and content, or a case (then call resolve)",
                "",
            ));
        };
        let ins = &h.patient.ins;
        let test_env = request.environment == Environment::Test;
        if ins.is_test() != test_env {
            return Err(invalid(
                format!("documents[{i}].header.patient.ins"),
                RULE_INS_ENVIRONMENT,
                format!("{} in {}", ins.oid(), request.environment.name()),
            ));
        }
        match first_ins {
            None => first_ins = Some(ins),
            Some(f) if f != ins => {
                return Err(invalid(
                    format!("documents[{i}].header.patient.ins"),
                    RULE_SAME_PATIENT,
                    ins.to_cx(),
                ))
            }
            _ => {}
        }
        let finess = &h.structure.finess;
        match first_finess {
            None => first_finess = Some(finess),
            Some(f) if f != finess && request.mode != FeedMode::Directe => {
                return Err(invalid(
                    format!("documents[{i}].header.structure.finess"),
                    RULE_STRUCTURE,
                    finess.as_str(),
                ))
            }
            _ => {}
        }
    }
    if request.mode != FeedMode::Directe {
        if let (Some(sid), Some(f)) = (&request.structure_id, first_finess) {
            let expected = Vihf::structure_id_of(f);
            if *sid != expected {
                return Err(invalid("structure_id", RULE_STRUCTURE, sid));
            }
        }
    }
    Ok(())
}

/// Builds the TD2.1 request (see the module documentation for the steps and the checks).
/// Every id comes from `ctx.ids`, every time is `ctx.now`.
///
/// Memory and time: every check, size included, runs before a payload is encoded; each CDA
/// is then encoded once, straight into the MTOM body (reserved once), and its canonical form
/// is digested as it is written ([`cda::PreparedCda::write_digesting`]): the documents are not
/// parsed again. The request is held whole (≈ 1.35× the documents next to them): to write it
/// to a file or a socket without holding it, [`build_to`].
pub fn build(request: &FeedRequest, ctx: &mut FeedContext<'_>) -> Result<BuiltRequest> {
    let draft = draft(request, ctx)?;
    let room = draft
        .documents
        .iter()
        .map(|d| mtom::MtomWriter::part_room(&d.content_id, "text/xml", d.cda.len()))
        .fold(
            signature_room(ctx.signer, draft.documents.len()),
            usize::saturating_add,
        );
    let mut message = mtom::MtomWriter::start_assembled(
        endpoint::REPOSITORY,
        draft.assembled(),
        &draft.boundary,
        action::PROVIDE_AND_REGISTER,
        room,
    )?;
    let mut digests = Vec::with_capacity(draft.documents.len());
    for d in &draft.documents {
        digests.push(message.part(&d.content_id, "text/xml", |out| {
            d.cda.write_digesting(out, draft.xades_options.digest)
        })?);
    }
    let signature = draft.sign(digests, ctx.signer)?;
    message.part(&draft.signature_cid, "text/xml", |out| {
        out.extend_from_slice(&signature);
        Ok(())
    })?;
    let (http, places) = message.finish()?;
    let cda_parts = draft
        .documents
        .into_iter()
        .zip(places)
        .map(|(d, place)| (d.uri, place))
        .collect();
    Ok(BuiltRequest {
        http,
        envelope: draft.envelope,
        cda_parts,
        signature,
        vihf: draft.vihf,
        metadata: draft.metadata,
        submission_set_unique_id: draft.submission_set_unique_id,
        message_id: draft.message_id,
    })
}

/// [`build`] written to `out` rather than held: the same bytes as `build`'s `http.body` for
/// the same request and context, and the same checks, all made before the first byte is
/// written ([`prepare_stream`], then [`StreamingRequest::write_body`]).
///
/// Memory: the documents as given and 64 KiB, whatever their size (a 10 MiB PDF: the PDF,
/// not the 13.5 MiB of its base64 besides). Time: each document is generated twice, once to
/// digest it (the signature is made before anything is written), once to write it.
///
/// On an error of `out` ([`Error::Write`]) what was written is incomplete: throw it away.
pub fn build_to<'r>(
    request: &'r FeedRequest,
    ctx: &mut FeedContext<'_>,
    out: &mut dyn Write,
) -> Result<StreamingRequest<'r>> {
    let streaming = prepare_stream(request, ctx)?;
    streaming.write_body(out)?;
    Ok(streaming)
}

/// Everything of [`build_to`] but the writing: the request checked, each document digested
/// (generated into the hash, kept nowhere), the envelope built and signed, the message's
/// frame checked. What is left to do, [`StreamingRequest::write_body`], can fail only on the
/// writer. For a caller that needs the headers before the body (a message file, an HTTP
/// request with its `Content-Type`).
pub fn prepare_stream<'r>(
    request: &'r FeedRequest,
    ctx: &mut FeedContext<'_>,
) -> Result<StreamingRequest<'r>> {
    let draft = draft(request, ctx)?;
    // Every check of the message's frame (the head, the parts, the envelope's includes, the
    // boundary in the envelope and headers), the message started into nothing.
    draft.message(&mut std::io::sink())?;
    let mut digests = Vec::with_capacity(draft.documents.len());
    for (i, d) in draft.documents.iter().enumerate() {
        // The base64 body cannot hold the boundary (no `-` in base64), nor can it complete
        // one begun in the markup (it lies between a `>` and a `<`): the markup is enough.
        mtom::check_boundary_absent(&draft.boundary, &format!("documents[{i}]"), d.cda.markup())?;
        digests.push(d.cda.digest(draft.xades_options.digest)?);
    }
    let signature = draft.sign(digests, ctx.signer)?;
    mtom::check_boundary_absent(&draft.boundary, "the signature", &signature)?;
    Ok(StreamingRequest { draft, signature })
}

/// A TD2.1 request checked, digested and signed, whose body is written on demand
/// ([`prepare_stream`], [`build_to`]): what [`BuiltRequest`] gives, but the body.
pub struct StreamingRequest<'r> {
    draft: Draft<'r>,
    signature: Vec<u8>,
}

impl StreamingRequest<'_> {
    /// Writes the MTOM body to `out` (the same bytes each time), document by document and
    /// 64 KiB at a time; returns its size in bytes. On an error of `out`
    /// ([`Error::Write`]) what was written is incomplete.
    pub fn write_body(&self, out: &mut dyn Write) -> Result<u64> {
        let draft = &self.draft;
        let mut message = draft.message(out)?;
        for d in &draft.documents {
            message.part(|out| d.cda.write_to(out))?;
        }
        message.part(|out| out.write_all(&self.signature).map_err(Error::write))?;
        message.finish()
    }

    /// Writes the request as a message file, as [`mtom::HttpRequest::to_message`] does: the
    /// header lines, a blank line, the body ([`write_body`](Self::write_body)); returns the
    /// size of the body.
    pub fn write_message(&self, out: &mut dyn Write) -> Result<u64> {
        out.write_all(mtom::header_lines(&self.headers()).as_bytes())
            .map_err(Error::write)?;
        self.write_body(out)
    }

    /// Writes document `index` (from 0, in the request's order) as it is sent, for
    /// inspection (`dmp feed build --dump`).
    pub fn write_document(&self, index: usize, out: &mut dyn Write) -> Result<()> {
        let d =
            self.draft.documents.get(index).ok_or_else(|| {
                invalid("documents", "no document at this index", index.to_string())
            })?;
        d.cda.write_to(out)
    }

    /// The path of the service (the repository).
    pub fn path(&self) -> &str {
        endpoint::REPOSITORY
    }

    /// The HTTP headers, in order (`Content-Type`, naming the boundary).
    pub fn headers(&self) -> Vec<(String, String)> {
        vec![(
            "Content-Type".to_owned(),
            mtom::content_type(&self.draft.boundary, action::PROVIDE_AND_REGISTER),
        )]
    }

    /// The SOAP envelope (the root MIME part).
    pub fn envelope(&self) -> &[u8] {
        &self.draft.envelope
    }

    /// Each CDA: its `urn:oid:<uniqueId>` and its size in bytes as sent.
    pub fn documents(&self) -> Vec<(&str, usize)> {
        self.draft
            .documents
            .iter()
            .map(|d| (d.uri.as_str(), d.cda.len()))
            .collect()
    }

    /// The XAdES signature document (the signature part).
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// The signed VIHF assertion.
    pub fn vihf(&self) -> &[u8] {
        &self.draft.vihf
    }

    /// The ebRIM metadata, one line per value ([`ProvideAndRegister::metadata_summary`]).
    pub fn metadata(&self) -> &str {
        &self.draft.metadata
    }

    /// The SubmissionSet uniqueId.
    pub fn submission_set_unique_id(&self) -> &Oid {
        &self.draft.submission_set_unique_id
    }

    /// The WS-Addressing MessageID.
    pub fn message_id(&self) -> &str {
        &self.draft.message_id
    }
}

/// One document of a [`Draft`]: its CDA with the body not yet encoded.
struct DraftDocument<'r> {
    /// `urn:oid:<uniqueId>`, the XAdES manifest reference.
    uri: String,
    /// The Content-ID of its MIME part.
    content_id: String,
    cda: cda::PreparedCda<'r>,
}

/// A request checked and built but for its documents' bodies and its signature: steps 1 to
/// 8 of the module documentation, shared by [`build`] and [`prepare_stream`] (which differ
/// only in where the documents are written).
struct Draft<'r> {
    documents: Vec<DraftDocument<'r>>,
    envelope: Vec<u8>,
    boundary: String,
    signature_cid: String,
    xades_options: XadesOptions,
    submission_set_unique_id: Oid,
    vihf: Vec<u8>,
    metadata: String,
    message_id: String,
}

impl Draft<'_> {
    /// The Content-ID of each part after the envelope, in order: the documents, then the
    /// signature (as the metadata's `xdsb:Document` elements name them).
    fn content_ids(&self) -> impl Iterator<Item = &str> {
        self.documents
            .iter()
            .map(|d| d.content_id.as_str())
            .chain([self.signature_cid.as_str()])
    }

    /// The envelope, as the MTOM writers take what this crate assembled: with the
    /// `xop:Include` hrefs its body was written with (one per part).
    fn assembled(&self) -> mtom::Assembled<'_> {
        mtom::Assembled {
            bytes: &self.envelope,
            includes: self.content_ids().map(mtom::cid_href).collect(),
        }
    }

    /// The message written to `out`, its root part written: the parts to come are each
    /// document, then the signature.
    fn message<'w>(&self, out: &'w mut dyn Write) -> Result<mtom::MtomStream<'w>> {
        let frame: Vec<(&str, &str)> = self.content_ids().map(|cid| (cid, "text/xml")).collect();
        mtom::MtomStream::start_assembled(
            out,
            endpoint::REPOSITORY,
            self.assembled(),
            &self.boundary,
            action::PROVIDE_AND_REGISTER,
            &frame,
        )
    }

    /// The XAdES signature over the manifest: the submission set (dummy digest), then each
    /// document by the digest of its canonical form as sent (`digests`, in order).
    fn sign(&self, digests: Vec<Vec<u8>>, signer: &dyn Signer) -> Result<Vec<u8>> {
        let mut refs = vec![ManifestReference {
            uri: format!("urn:oid:{}", self.submission_set_unique_id),
            digest: DigestSource::dmp_dummy(),
        }];
        for (d, digest) in self.documents.iter().zip(digests) {
            refs.push(ManifestReference {
                uri: d.uri.clone(),
                digest: DigestSource::C14nDigest(digest),
            });
        }
        xades::sign_manifest(&refs, &self.xades_options, signer)
    }
}

/// Steps 1 to 8 of the module documentation: every check, then the documents' headers, the
/// metadata, the VIHF and the envelope. Ids are drawn from `ctx.ids` in one order whatever
/// the caller: [`build`] and [`build_to`] give the same bytes.
fn draft<'r>(request: &'r FeedRequest, ctx: &mut FeedContext<'_>) -> Result<Draft<'r>> {
    check_request_with(request, ctx.rights()?.as_ref())?;
    let now = ctx.now;
    let now_utc = now.with_timezone(&Utc);
    let cert = ctx
        .signer
        .signing_certificate()
        .ok_or_else(|| Error::crypto("signer", "the signer has no certificate"))?;
    check_signing_certificate(cert, now_utc, UsagePolicy::DmpSignature)?;
    let ids = &mut ctx.ids;

    // 1. Each CDA's header (its exact size then known, the body not encoded yet) and its
    //    metadata.
    let mut documents = Vec::with_capacity(request.documents.len());
    let mut entries = Vec::with_capacity(request.documents.len());
    let mut replacements = Vec::new();
    let mut total = 0usize;
    for (i, d) in request.documents.iter().enumerate() {
        let at = format!("documents[{i}]");
        let (header, body) = d.parts().map_err(|e| e.at(&at))?;
        header
            .validate()
            .map_err(|e| e.at(&format!("{at}.header")))?;
        let cda = cda::prepare(header, body).map_err(|e| e.at(&format!("{at}.header")))?;
        if cda.len() > MAX_DOCUMENT_BYTES {
            return Err(invalid(
                at,
                RULE_DOCUMENT_SIZE,
                format!(
                    "{} bytes (a {}-byte file is {} bytes in base64)",
                    cda.len(),
                    cda.content().data.len(),
                    base64::encoded_len(cda.content().data.len(), true).unwrap_or(usize::MAX)
                ),
            ));
        }
        total += cda.len();
        if total > MAX_TOTAL_BYTES {
            return Err(invalid("documents", RULE_TOTAL_SIZE, total.to_string()));
        }
        let visibility = d.visibility.unwrap_or(Confidentiality {
            level: header.confidentiality,
            ..Confidentiality::default()
        });
        let entry_uuid = ids.urn_uuid();
        let entry = DocumentEntry::from_cda(
            header,
            cda.content(),
            &visibility,
            &entry_uuid,
            d.comments.as_deref(),
        )
        .map_err(|e| e.at(&at))?;
        match (&header.replaces, &d.replaces_entry_uuid) {
            (Some(old), Some(old_uuid)) => replacements.push(Replacement {
                entry_uuid: entry_uuid.clone(),
                replaced_entry_uuid: old_uuid.clone(),
                replaced_unique_id: old.clone(),
            }),
            (Some(old), None) => {
                return Err(invalid(
                    format!("{at}.replaces_entry_uuid"),
                    "a new version (header.replaces) needs the registry entryUUID of the \
                     replaced version (TD3.1)",
                    old.as_str(),
                ))
            }
            (None, Some(u)) => {
                return Err(invalid(
                    format!("{at}.header.replaces"),
                    "replaces_entry_uuid is given: the CDA must name the replaced version \
                     (relatedDocument)",
                    u,
                ))
            }
            (None, None) => {}
        }
        let content_id = format!("document-{}.{}@dmp", i + 1, ids.hex());
        documents.push(DraftDocument {
            uri: format!("urn:oid:{}", header.id),
            content_id: content_id.clone(),
            cda,
        });
        entries.push((entry, content_id));
    }
    let first = &entries
        .first()
        .ok_or_else(|| invalid("documents", RULE_DOCUMENT_COUNT, "0"))?
        .0;

    // 2. Submission set.
    let content_type = request
        .content_type_code
        .as_ref()
        .map_or_else(Code::dmp_sample_content_type, |c| {
            Code::new(&c.code, &c.display, &c.scheme)
        });
    let ss_uuid = ids.urn_uuid();
    let ss_oid = ids.oid();
    let submission_set = SubmissionSet::new(
        first,
        &ss_uuid,
        ss_oid.clone(),
        request.source_id.clone(),
        now_utc,
        content_type,
    )?;

    // 3. The XAdES options (signed once the CDAs are digested).
    let xades_options = XadesOptions::new(ids.uuid().hyphenated().to_string(), now);

    // 4. Signature entry, metadata.
    let sig_uuid = ids.urn_uuid();
    let sig_oid = ids.oid();
    let sig_entry = SignatureEntry::new(&submission_set, first, &sig_uuid, sig_oid, now_utc)?;
    let signature_cid = format!("signature.{}@dmp", ids.hex());
    let par = ProvideAndRegister {
        submission_set,
        entries,
        signature: Some((sig_entry, signature_cid.clone())),
        replacements,
    };
    let (body, metadata) = par.to_xml_with_summary()?;

    // 5. VIHF.
    let first_header = request.documents[0]
        .header
        .as_ref()
        .ok_or_else(|| Error::invalid("documents[0].header", "missing", ""))?;
    let vihf = request.actor_profile(&first_header.structure).signed_vihf(
        &first_header.patient.ins,
        now_utc,
        ids.uuid(),
        ctx.signer,
    )?;

    // 6. Envelope and the MTOM boundary.
    let message_id = ids.urn_uuid();
    let base = request
        .base_url
        .as_deref()
        .unwrap_or_else(|| request.environment.default_base_url());
    let to = format!("{}{}", base.trim_end_matches('/'), endpoint::REPOSITORY);
    let envelope = soap::assemble(
        &soap::Head {
            action: action::PROVIDE_AND_REGISTER,
            message_id: &message_id,
            to: &to,
        },
        &vihf,
        &body,
    )?;
    let boundary = format!("MIMEBoundary_{}", ids.hex());
    Ok(Draft {
        documents,
        envelope,
        boundary,
        signature_cid,
        xades_options,
        submission_set_unique_id: ss_oid,
        vihf,
        metadata,
        message_id,
    })
}

/// Room for the XAdES signature part, reserved with the message so that appending it does
/// not move the megabytes already written: the fixed layout (≈ 3 KiB), a reference per
/// document, and per certificate of the chain its base64 (`KeyInfo`) and its issuer and
/// digest (`SigningCertificate`). Only a hint: a larger signature is still written whole.
fn signature_room(signer: &dyn Signer, documents: usize) -> usize {
    let chain: usize = signer
        .certificate_chain()
        .iter()
        .map(|c| c.der().len())
        .sum();
    8192 + 512 * (documents + 1) + 3 * chain
}

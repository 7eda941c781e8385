//! The outbox: deposit = journal, then send; resume after any stop; never a second
//! original, never a resend before the registry is asked.
//!
//! # Same request after a crash
//! The signed TD2.1 is built **once**, when the deposit is first sent, and its exact HTTP
//! message is journaled (state `sending`) before a byte leaves. Every later send of that
//! deposit (after "failed before sending", or after the registry showed it did not land) is
//! those bytes: same MessageID, same submission set, same signatures. Rebuilding instead
//! would need the clock, the ids' seed and a deterministic signer (RSA PKCS#1 v1.5 is, a
//! card or HSM behind a callback may not be) to be journaled too; keeping the bytes is
//! simpler and holds for any signer. They are dropped once the DMP accepted the document
//! (unless [`DepositOptions::keep_bytes`]).
//!
//! # States
//! `queued` → (built, journaled) `sending` → `accepted` | `refused` | `unknown`, or back to
//! `queued` when nothing left. A deposit found `sending` or `unknown` (the process stopped
//! while sending, or the answer and the landing search were both lost) is first looked up in
//! the registry: there → `accepted`; not there → the same bytes again; cannot tell →
//! `unknown`, nothing sent.
//!
//! # New content
//! A document deposited again (same usager, same CDA setId) with the same content is
//! queued once. With another content: if the earlier one never left, it is `superseded`;
//! otherwise the new one waits for the earlier one's outcome and then goes out as its
//! replacement (RPLC of the version the DMP has, found by a TD3.1 reference search), or as
//! an original if the DMP refused the earlier one.

use std::sync::Arc;

use base64::Engine;
use chrono::Utc;
use dmp_core::actor::ActorProfile;
use dmp_core::cda::{CaseContent, CdaHeader, Content};
use dmp_core::consult::{ConsultRequest, Response, Transaction};
use dmp_core::feed::{self, FeedContext, FeedDocument, FeedRequest, IdGenerator};
use dmp_core::ids::Oid;
use dmp_core::landing::Probe;
use dmp_core::soap::mtom::HttpRequest;
use dmp_core::xds::{DocumentRef, DocumentStatus, StoredQuery};
use dmp_transport::{
    send_checked, Client, LandingCheck, Outcome, RegistryLanding, Session, SignerSource,
};
use serde::Serialize;

use crate::error::{JournalError, Result};
use crate::journal::Journal;
use crate::pseudonym::sha256;
use crate::record::{Deposit, State, Who};
use crate::store::{Enqueued, NewDeposit, Store};

/// What sends: the actor, its client and what signs for it (a [`Session`] is one; the C ABI
/// pairs a client with a card or HSM callback). A trait so that a DUI can wrap the sending
/// (its own logging, a deadline).
pub trait Courier {
    /// The HTTPS client of the actor.
    fn client(&self) -> &Client;

    /// The actor who sends (and searches the registry).
    fn profile(&self) -> &ActorProfile;

    /// What signs the requests and the registry searches.
    fn signer(&self) -> Arc<dyn SignerSource>;

    /// Sends a built request with the transport's retry-with-check.
    fn send(&self, request: &HttpRequest) -> Outcome {
        send_checked(self.client(), self.profile(), self.signer(), request, None)
    }
}

impl Courier for Session {
    fn client(&self) -> &Client {
        &self.client
    }

    fn profile(&self) -> &ActorProfile {
        &self.profile
    }

    fn signer(&self) -> Arc<dyn SignerSource> {
        Arc::new(self.identity.clone())
    }
}

/// Builds `request` now, signed by the courier's signer, and sends it: the outcome, or why
/// it could not be built.
fn consult_now(dmp: &dyn Courier, request: &ConsultRequest) -> dmp_core::Result<Outcome> {
    let at = Utc::now();
    let signer = dmp.signer().signer_at(at)?;
    let mut ctx = FeedContext {
        now: at.fixed_offset(),
        ids: IdGenerator::from_seed(random_seed()),
        signer: &*signer,
        rights: None,
    };
    let built = dmp_core::consult::build(request, &mut ctx)?;
    Ok(dmp.send(&built.http))
}

/// How to deposit.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DepositOptions {
    /// Keep the document's bytes (the request and the message sent) after acceptance.
    pub keep_bytes: bool,
    /// The author's role for the indicators; default the first person author's specialty.
    pub author_role: Option<String>,
}

/// What a flush did, deposit numbers by outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FlushReport {
    /// Accepted by the DMP (answer or registry search).
    pub accepted: Vec<i64>,
    /// Refused by the DMP or by the library (see each deposit's code and text).
    pub refused: Vec<i64>,
    /// Outcome unknown: the registry could not tell; asked again at the next flush.
    pub unknown: Vec<i64>,
    /// Not sent, nothing left (DMP unreachable…): sent at the next flush.
    pub queued: Vec<i64>,
    /// Waiting for the outcome of an earlier version of the same document.
    pub waiting: Vec<i64>,
}

impl FlushReport {
    /// Whether nothing is left to do for now.
    pub fn is_settled(&self) -> bool {
        self.unknown.is_empty() && self.queued.is_empty() && self.waiting.is_empty()
    }
}

fn random_seed() -> u64 {
    uuid::Uuid::new_v4().as_u64_pair().0
}

/// One document of `request`, alone, its body inline (what the journal keeps).
fn single(request: &FeedRequest, i: usize) -> Result<(FeedRequest, CdaHeader, Content)> {
    let at = format!("documents[{i}]");
    let doc = request.documents.get(i).ok_or_else(|| {
        JournalError::Invalid(dmp_core::Error::invalid(&at, "no such document", ""))
    })?;
    let header = doc.header.clone().ok_or_else(|| {
        dmp_core::Error::invalid(
            format!("{at}.header"),
            "missing: give header and content (or resolve the case files first)",
            "",
        )
    })?;
    let body = match (&doc.body, &doc.content) {
        (Some(b), _) => b.clone(),
        (None, Some(c)) => {
            dmp_core::cda::Case {
                header: header.clone(),
                content: c.clone(),
            }
            .into_parts(|p| {
                Err(format!(
                    "{p}: resolve the request's files first (FeedRequest::resolve)"
                ))
            })
            .map_err(|e| e.at(&at))?
            .1
        }
        (None, None) => {
            return Err(dmp_core::Error::invalid(format!("{at}.content"), "missing", "").into())
        }
    };
    let mut one = request.clone();
    one.documents = vec![FeedDocument {
        case: None,
        header: Some(header.clone()),
        content: Some(CaseContent {
            media_type: body.media_type,
            path: None,
            text: None,
            base64: Some(base64::engine::general_purpose::STANDARD.encode(&body.data)),
        }),
        visibility: doc.visibility,
        comments: doc.comments.clone(),
        replaces_entry_uuid: doc.replaces_entry_uuid.clone(),
        body: None,
    }];
    Ok((one, header, body))
}

/// SHA-256 of what the DUI gave, without the version fields the journal may rewrite.
fn content_hash(one: &FeedRequest) -> String {
    let mut v = serde_json::to_value(&one.documents).unwrap_or_default();
    if let Some(doc) = v.get_mut(0).and_then(|d| d.as_object_mut()) {
        doc.remove("replaces_entry_uuid");
        if let Some(h) = doc.get_mut("header").and_then(|h| h.as_object_mut()) {
            for k in ["id", "version_number", "replaces"] {
                h.remove(k);
            }
        }
    }
    sha256(v.to_string().as_bytes())
}

fn json_name<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// What the registry search answered about the version to replace.
enum Current {
    /// The entryUUID of the approved version.
    Approved(String),
    /// Not there as the approved version (deleted, archived, replaced by someone else).
    Absent(String),
}

impl<S: Store> Journal<S> {
    /// Journals every document of `request` (one deposit each, sent as its own TD2.1) and
    /// returns what was done with each; nothing is sent (see [`Journal::flush`]). The
    /// request's files must be resolved (`FeedRequest::resolve`) or its content inline.
    pub fn deposit(
        &self,
        request: &FeedRequest,
        options: &DepositOptions,
    ) -> Result<Vec<Enqueued>> {
        if request.documents.is_empty() {
            return Err(
                dmp_core::Error::invalid("documents", feed::RULE_DOCUMENT_COUNT, "[]").into(),
            );
        }
        let now = Utc::now().fixed_offset();
        let mut done = Vec::with_capacity(request.documents.len());
        for i in 0..request.documents.len() {
            let (one, header, body) = single(request, i)?;
            let author_role = options.author_role.clone().unwrap_or_else(|| {
                header
                    .first_person_author()
                    .map(|p| p.specialty.clone())
                    .unwrap_or_else(|| request.user.specialty.clone())
            });
            let bytes = serde_json::to_vec(&one).map_err(|e| {
                dmp_core::Error::invalid("request", "cannot be written as JSON", e.to_string())
            })?;
            let deposit = Deposit {
                id: 0,
                usager: self.pseudonym(&header.patient.ins),
                set_id: header.set_id.as_str().to_owned(),
                unique_id: header.id.as_str().to_owned(),
                kind: json_name(&header.kind),
                version: header.version_number,
                replaces: header.replaces.as_ref().map(|r| r.as_str().to_owned()),
                predecessor: None,
                content_hash: content_hash(&one),
                size: body.data.len() as u64,
                hash: None,
                author_role,
                who: Who {
                    idnat: request.user.idnat.to_string(),
                    role: request.user.specialty.clone(),
                    mode: request.mode.name().to_owned(),
                },
                state: State::Queued,
                code: None,
                text: None,
                attempts: 0,
                message_id: None,
                queued_at: now,
                sent_at: None,
                settled_at: None,
                confirmed_by_check: false,
                keep_bytes: options.keep_bytes,
                request: Some(bytes),
                message: None,
            };
            done.push(self.store.enqueue(&NewDeposit { deposit })?);
        }
        Ok(done)
    }

    /// One deposit in its latest state (bytes included while kept).
    pub fn deposit_state(&self, id: i64) -> Result<Deposit> {
        self.store
            .deposit(id)?
            .ok_or(JournalError::UnknownDeposit(id))
    }

    /// Sends what is queued and settles what is uncertain, oldest first, each deposit once
    /// per call (see the module documentation). A store error stops the flush: what was
    /// being sent stays `sending` and is looked up in the registry by the next flush.
    pub fn flush(&self, dmp: &dyn Courier) -> Result<FlushReport> {
        let mut report = FlushReport::default();
        let mut after = 0;
        loop {
            let now = Utc::now().fixed_offset();
            let Some(d) = self
                .store
                .claim(&self.worker, after, now, now + self.lease)?
            else {
                break;
            };
            after = d.id;
            let id = d.id;
            let state = self.work(dmp, d)?;
            match state {
                Step::Settled(State::Accepted) => report.accepted.push(id),
                Step::Settled(State::Refused) => report.refused.push(id),
                Step::Settled(State::Unknown | State::Sending) => report.unknown.push(id),
                Step::Settled(State::Queued | State::Superseded) => report.queued.push(id),
                Step::Waiting => report.waiting.push(id),
            }
        }
        Ok(report)
    }

    /// [`Journal::flush`] at start-up: a process that stopped, for any reason, picks up
    /// where it was.
    pub fn resume(&self, dmp: &dyn Courier) -> Result<FlushReport> {
        self.flush(dmp)
    }

    fn work(&self, dmp: &dyn Courier, mut d: Deposit) -> Result<Step> {
        let now = || Utc::now().fixed_offset();
        // 1. It may have reached the DMP: ask the registry before anything else.
        if matches!(d.state, State::Sending | State::Unknown) {
            match d.message.as_deref().map(|m| landed(dmp, m)) {
                Some(Ok(true)) => {
                    d.confirmed_by_check = true;
                    return self.settle(d, State::Accepted, None, None);
                }
                Some(Ok(false)) | None => d.state = State::Queued,
                Some(Err(why)) => {
                    d.state = State::Unknown;
                    d.text = Some(why);
                    self.store.save(&d, true)?;
                    return Ok(Step::Settled(State::Unknown));
                }
            }
        }
        // 2. Build once (original or replacement) and journal the exact bytes.
        if d.message.is_none() {
            let Some(text) = d.request.clone() else {
                return self.settle(
                    d,
                    State::Refused,
                    Some("blocked"),
                    Some("the journal no longer holds the document: deposit it again".into()),
                );
            };
            let mut request = match std::str::from_utf8(&text)
                .map_err(|e| e.to_string())
                .and_then(|t| FeedRequest::from_json(t).map_err(|e| e.to_string()))
            {
                Ok(r) => r,
                Err(why) => {
                    let why = format!("the journaled request is unreadable: {why}");
                    return self.settle(d, State::Refused, Some("blocked"), Some(why));
                }
            };
            if let Some(p) = d.predecessor {
                let previous = self.deposit_state(p)?;
                match previous.state {
                    State::Accepted => match self.as_replacement(dmp, &mut request, &previous) {
                        Ok(()) => {}
                        Err(Some(why)) => {
                            return self.settle(d, State::Refused, Some("blocked"), Some(why))
                        }
                        Err(None) => {
                            d.text = Some(
                                "the version to replace could not be looked up in the \
                                 registry: sent at the next flush"
                                    .into(),
                            );
                            self.store.save(&d, true)?;
                            return Ok(Step::Settled(State::Queued));
                        }
                    },
                    State::Refused | State::Superseded => {}
                    _ => {
                        d.text = Some(format!(
                            "waits for the outcome of deposit {} (version {} of the same \
                             document)",
                            previous.id, previous.version
                        ));
                        self.store.save(&d, true)?;
                        return Ok(Step::Waiting);
                    }
                }
            }
            let at = Utc::now();
            let signer = match dmp.signer().signer_at(at) {
                Ok(s) => s,
                Err(e) => {
                    d.text = Some(format!("not sent, the signing identity: {e}"));
                    self.store.save(&d, true)?;
                    return Ok(Step::Settled(State::Queued));
                }
            };
            let mut ctx = FeedContext {
                now: at.fixed_offset(),
                ids: IdGenerator::from_seed(random_seed()),
                signer: &*signer,
                rights: self.rights.as_ref(),
            };
            let built = match feed::build(&request, &mut ctx) {
                Ok(b) => b,
                Err(e) => {
                    return self.settle(d, State::Refused, Some("blocked"), Some(e.to_string()))
                }
            };
            if let Some(h) = request.documents.first().and_then(|x| x.header.as_ref()) {
                d.unique_id = h.id.as_str().to_owned();
                d.version = h.version_number;
                d.replaces = h.replaces.as_ref().map(|r| r.as_str().to_owned());
            }
            if let Some((_, cda)) = built.cdas().first() {
                d.size = cda.len() as u64;
                d.hash = Some(sha256(cda));
            }
            d.request = serde_json::to_vec(&request).ok().or(d.request);
            d.message_id = Some(built.message_id.clone());
            // With its start line: the exact request, path included.
            let mut message = format!("POST {} HTTP/1.1\r\n", built.http.path).into_bytes();
            message.extend_from_slice(&built.http.to_message());
            d.message = Some(message);
        }
        // 3. Journaled as possibly sent, then sent.
        d.state = State::Sending;
        d.sent_at = d.sent_at.or(Some(now()));
        d.text = None;
        self.store.save(&d, false)?;
        let Some(http) = d
            .message
            .as_deref()
            .and_then(|m| HttpRequest::from_message(m).ok())
        else {
            let why = "the journaled message is unreadable".to_owned();
            return self.settle(d, State::Refused, Some("blocked"), Some(why));
        };
        let outcome = dmp.send(&http);
        d.attempts += outcome.attempts();
        match outcome {
            Outcome::Accepted {
                confirmed_by_check, ..
            } => {
                d.confirmed_by_check = confirmed_by_check;
                self.settle(d, State::Accepted, None, None)
            }
            Outcome::Refused { error, .. } => {
                let code = error
                    .details
                    .iter()
                    .find_map(|x| x.code.clone())
                    .unwrap_or_else(|| error.code.clone());
                let text: Vec<&str> = error
                    .details
                    .iter()
                    .filter_map(|x| x.text.as_deref())
                    .collect();
                let text = if text.is_empty() {
                    error.to_string()
                } else {
                    text.join("; ")
                };
                self.settle(d, State::Refused, Some(&code), Some(text))
            }
            Outcome::FailedBeforeSending { reason, .. } => {
                d.state = State::Queued;
                d.text = Some(reason);
                self.store.save(&d, true)?;
                Ok(Step::Settled(State::Queued))
            }
            Outcome::Unknown { reason, .. } => {
                d.state = State::Unknown;
                d.text = Some(reason);
                self.store.save(&d, true)?;
                Ok(Step::Settled(State::Unknown))
            }
        }
    }

    fn settle(
        &self,
        mut d: Deposit,
        state: State,
        code: Option<&str>,
        text: Option<String>,
    ) -> Result<Step> {
        d.state = state;
        d.code = code.map(str::to_owned);
        d.text = text;
        d.settled_at = Some(Utc::now().fixed_offset());
        if state == State::Accepted && !d.keep_bytes {
            d.request = None;
            d.message = None;
        }
        self.store.save(&d, true)?;
        Ok(Step::Settled(state))
    }

    /// Turns the only document of `request` into the replacement of `previous` (accepted):
    /// `Err(Some(why))` when it cannot be (permanent), `Err(None)` when the registry could not
    /// be asked (try later).
    fn as_replacement(
        &self,
        dmp: &dyn Courier,
        request: &mut FeedRequest,
        previous: &Deposit,
    ) -> std::result::Result<(), Option<String>> {
        let Some(doc) = request.documents.first_mut() else {
            return Err(Some("the journaled request holds no document".into()));
        };
        let Some(header) = doc.header.as_mut() else {
            return Err(Some("the journaled document has no header".into()));
        };
        let entry = match current_entry(dmp, header, &previous.unique_id) {
            Ok(Current::Approved(e)) => e,
            Ok(Current::Absent(why)) => return Err(Some(why)),
            Err(()) => return Err(None),
        };
        let version = header.version_number.max(previous.version + 1);
        if header.id.as_str() == previous.unique_id || header.version_number <= previous.version {
            // The DUI kept the identity of the version the DMP has: a new version needs a
            // new uniqueId, taken under the document's setId.
            let id = format!("{}.{version}", header.set_id.as_str());
            header.id = Oid::new(&id).map_err(|e| {
                Some(format!(
                    "the new version needs a new uniqueId and {id} is not one ({e}): give the \
                     document a new id"
                ))
            })?;
        }
        header.version_number = version;
        header.replaces = Some(Oid::new(&previous.unique_id).map_err(|e| Some(e.to_string()))?);
        doc.replaces_entry_uuid = Some(entry);
        Ok(())
    }
}

/// The outcome of one deposit's turn.
enum Step {
    /// Its state after the turn.
    Settled(State),
    /// It waits for an earlier version.
    Waiting,
}

/// Whether the journaled request `message` is in the registry: a TD3.1 reference search as
/// the courier's actor. `Err`: the registry could not tell.
fn landed(dmp: &dyn Courier, message: &[u8]) -> std::result::Result<bool, String> {
    let probe = Probe::of_request(message)
        .map_err(|e| format!("the journaled request cannot be looked up: {e}"))?;
    let mut check = RegistryLanding::new(probe, dmp.profile(), dmp.signer(), random_seed());
    let query = check.request()?;
    match dmp.client().send(&query, None) {
        Outcome::Accepted { response, .. } => check.landed(&response),
        other => Err(format!(
            "the registry search did not answer ({}): {}",
            other.kind(),
            other.to_json()["reason"]
                .as_str()
                .or(other.to_json()["message"].as_str())
                .unwrap_or_default()
        )),
    }
}

/// The entryUUID of the approved version `unique_id` of the usager of `header`.
fn current_entry(
    dmp: &dyn Courier,
    header: &CdaHeader,
    unique_id: &str,
) -> std::result::Result<Current, ()> {
    let request = ConsultRequest {
        actor: dmp.profile().clone(),
        consent: None,
        transaction: Transaction::Reference {
            ins: header.patient.ins.clone(),
            query: StoredQuery::GetDocuments {
                by: DocumentRef::UniqueIds(vec![unique_id.to_owned()]),
                home_community_id: None,
            },
        },
    };
    match consult_now(dmp, &request) {
        Ok(Outcome::Accepted {
            response: Response::Search(found),
            ..
        }) => Ok(found
            .documents
            .iter()
            .find(|d| d.unique_id == unique_id && d.status == DocumentStatus::Approved)
            .map_or_else(
                || {
                    Current::Absent(format!(
                        "the version {unique_id} this document replaces is not the approved \
                         version in the DMP (deleted, archived or already replaced): it cannot \
                         be replaced; deposit it under a new setId"
                    ))
                },
                |d| Current::Approved(d.entry_uuid.clone()),
            )),
        Ok(Outcome::Refused { error, .. }) => Ok(Current::Absent(format!(
            "the search for the version to replace was refused: {error}"
        ))),
        _ => Err(()),
    }
}

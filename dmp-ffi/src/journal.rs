//! The establishment's journal (`dmp_journal`): deposits journaled then sent without loss or
//! double, the consent register and consultations through it, the facts of the indicators.
//! A SQLite file per establishment; the INS stored only as a keyed hash under the
//! establishment key the DUI gives.

use std::ffi::c_char;
use std::path::Path;
use std::sync::Arc;

use ::dmp_journal::{
    Courier, DepositOptions, EstablishmentKey, Journal, JournalError, SqliteStore,
};
use chrono::{DateTime, Utc};
use dmp_core::actor::ActorProfile;
use dmp_core::consent::ConsentRecord;
use dmp_core::consult::ConsultRequest;
use dmp_core::ids::Ins;
use dmp_core::pilotage::UsagerEventKind;
use dmp_transport::{Client, SignerSource};

use crate::bytes::dmp_bytes;
use crate::error::{dmp_result, Failure};
use crate::feed::{arg_time, feed_request};
use crate::ffi::{arg_bytes, arg_ref, arg_str, boundary, free_box, parse_json, FfiResult, Out};
use crate::identity::dmp_identity;
use crate::to_json;
use crate::transport::{dmp_client, hand_over};

/// An establishment's journal: a SQLite file and the establishment key. Opened by
/// `dmp_journal_open`, released by `dmp_journal_free`.
///
/// Thread safety: a `const dmp_journal *` may be used by several threads at once (the store
/// serialises its writes); a flush and a deposit may run together.
pub struct dmp_journal {
    journal: Journal<SqliteStore>,
}

const _: fn() = || {
    fn shareable<T: Send + Sync>() {}
    shareable::<dmp_journal>();
};

impl From<JournalError> for Failure {
    fn from(e: JournalError) -> Failure {
        let message = e.to_string();
        match e {
            JournalError::Store { place, .. } => {
                Failure::new(dmp_result::DMP_ERR_JOURNAL_STORE, message).with("place", place)
            }
            JournalError::Invalid(e) => Failure::from(e),
            JournalError::Blocked(e) => {
                let mut f = Failure::from(e);
                f.code = dmp_result::DMP_ERR_CONSULTATION_BLOCKED;
                f.message = message;
                f
            }
            JournalError::UnknownDeposit(id) => {
                Failure::new(dmp_result::DMP_ERR_JOURNAL_UNKNOWN_DEPOSIT, message)
                    .with("deposit", id)
            }
        }
    }
}

/// What sends for the journal: a client and an identity of this library (a PKCS#12 key or a
/// card/HSM callback, called on the calling thread).
struct Sender<'a> {
    client: &'a dmp_client,
    identity: Arc<dmp_identity>,
}

impl Courier for Sender<'_> {
    fn client(&self) -> &Client {
        &self.client.client
    }

    fn profile(&self) -> &ActorProfile {
        &self.client.profile
    }

    fn signer(&self) -> Arc<dyn SignerSource> {
        self.identity.clone()
    }
}

/// A required INS argument in its CX form (`MATRICULE^^^&OID&ISO^NH`): the OID is part of
/// the pseudonym, so a bare matricule is not taken.
///
/// # Safety
/// `p` is NULL or a NUL-terminated string.
unsafe fn arg_ins(p: *const c_char, name: &str) -> FfiResult<Ins> {
    // SAFETY: forwarded caller contract.
    let text = unsafe { arg_str(p, name) }?;
    Ins::from_cx(text).map_err(|e| Failure::from(e).with("argument", name))
}

/// Opens (creating it if needed) the journal kept in the SQLite file `path`, pseudonymising
/// under the establishment key `key` (`key_len` bytes, at least 32 random bytes, kept by the
/// DUI as any other secret and never stored in the journal: e.g. `head -c 32 /dev/urandom`).
///
/// Errors: a key shorter than 32 bytes `DMP_ERR_INVALID` (`field` `journal key`); the file
/// cannot be opened or is not a journal `DMP_ERR_JOURNAL_STORE` (`place`).
///
/// # Safety
/// `path` a NUL-terminated string; `key` valid for `key_len` bytes; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn dmp_journal_open(
    path: *const c_char,
    key: *const u8,
    key_len: usize,
    out: *mut *mut dmp_journal,
) -> dmp_result {
    boundary(|| {
        // SAFETY: caller contract.
        let path = unsafe { arg_str(path, "path") }?;
        // SAFETY: caller contract.
        let key = unsafe { arg_bytes(key, key_len, "key") }?;
        let out = Out::required(out, "out")?;
        let key =
            EstablishmentKey::new(key).map_err(|e| Failure::from(e).with("argument", "key"))?;
        let store = SqliteStore::open(Path::new(path))?;
        let journal = Journal::new(store, key);
        // SAFETY: `out` checked non-NULL; caller contract.
        unsafe { out.put(Box::new(dmp_journal { journal })) };
        Ok(())
    })
}

/// Closes a journal; NULL is a no-op.
///
/// # Safety
/// `journal` is NULL or a live journal, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn dmp_journal_free(journal: *mut dmp_journal) {
    // SAFETY: caller contract.
    unsafe { free_box(journal) }
}

/// Journals every document of `feed_request_json` (the JSON of `dmp_feed_build`, documents
/// inline), one deposit each; nothing is sent (see `dmp_journal_flush`). `options_json` (may
/// be NULL): `{"keep_bytes": false, "author_role": "…"}`.
///
/// `*out_json`: `{"deposits": [{"document": 0, "deposit": 1, "enqueued":
/// "new"|"same"|"superseding", "supersedes": N|null}…]}` (`same`: that content was already
/// journaled, nothing queued; `superseding`: it replaces a deposit that never left).
///
/// # Safety
/// `journal` live; `feed_request_json` NUL-terminated; `options_json` NULL or NUL-terminated;
/// `out_json` writable.
#[no_mangle]
pub unsafe extern "C" fn dmp_journal_deposit(
    journal: *const dmp_journal,
    feed_request_json: *const c_char,
    options_json: *const c_char,
    out_json: *mut *mut dmp_bytes,
) -> dmp_result {
    boundary(|| {
        // SAFETY: caller contract.
        let j = unsafe { arg_ref(journal, "journal") }?;
        // SAFETY: caller contract.
        let text = unsafe { arg_str(feed_request_json, "feed_request_json") }?;
        let options: DepositOptions = if options_json.is_null() {
            DepositOptions::default()
        } else {
            // SAFETY: caller contract.
            parse_json(
                unsafe { arg_str(options_json, "options_json") }?,
                "options_json",
            )?
        };
        let out = Out::required(out_json, "out_json")?;
        let request = feed_request(text)?;
        let done = j
            .journal
            .deposit(&request, &options)
            .map_err(|e| Failure::from(e).with("argument", "feed_request_json"))?;
        let text = to_json(&::dmp_journal::Enqueued::report_json(&done))?;
        // SAFETY: `out` checked non-NULL; caller contract.
        unsafe { out.put(dmp_bytes::text(text)) };
        Ok(())
    })
}

/// Sends what is queued and settles what is uncertain, oldest first (the registry is asked
/// before anything that may have reached the DMP is sent again; a document changed after it
/// was sent goes out as a replacement), through `client` signing with `identity` (a key or a
/// callback, called on this thread). Call it at start-up too: it resumes.
///
/// `DMP_OK` whenever the journal could be worked, whatever the DMP said: `*out_report_json`
/// says what became of each deposit, `{"accepted": [N…], "refused": […], "unknown": […],
/// "queued": […], "waiting": […], "settled": bool}` (`queued`: not sent, the DMP could not
/// be reached, sent at the next flush; `unknown`: asked again at the next flush; details of
/// each with `dmp_journal_status`). A store failure: `DMP_ERR_JOURNAL_STORE`.
///
/// # Safety
/// `journal`, `client`, `identity` live; `out_report_json` writable.
#[no_mangle]
pub unsafe extern "C" fn dmp_journal_flush(
    journal: *const dmp_journal,
    client: *const dmp_client,
    identity: *const dmp_identity,
    out_report_json: *mut *mut dmp_bytes,
) -> dmp_result {
    boundary(|| {
        // SAFETY: caller contract.
        let j = unsafe { arg_ref(journal, "journal") }?;
        // SAFETY: caller contract.
        let client = unsafe { arg_ref(client, "client") }?;
        // SAFETY: caller contract.
        let identity = unsafe { arg_ref(identity, "identity") }?;
        let out = Out::required(out_report_json, "out_report_json")?;
        let sender = Sender {
            client,
            identity: Arc::new(identity.clone()),
        };
        let report = j.journal.flush(&sender)?;
        let mut v = serde_json::to_value(&report).map_err(|e| {
            Failure::new(
                dmp_result::DMP_ERR_JSON,
                format!("cannot write the report: {e}"),
            )
        })?;
        v["settled"] = report.is_settled().into();
        let text = to_json(&v)?;
        // SAFETY: `out` checked non-NULL; caller contract.
        unsafe { out.put(dmp_bytes::text(text)) };
        Ok(())
    })
}

/// Every deposit in its latest state, oldest first: `*out_json` is an array of `{"id",
/// "usager" (the pseudonym), "set_id", "unique_id", "kind", "version", "replaces",
/// "predecessor", "content_hash", "size", "hash", "author_role", "who": {"idnat", "role",
/// "mode"}, "state" (queued|sending|accepted|refused|unknown|superseded), "code", "text",
/// "attempts", "message_id", "queued_at", "sent_at", "settled_at", "confirmed_by_check",
/// "keep_bytes"}`.
///
/// # Safety
/// `journal` live; `out_json` writable.
#[no_mangle]
pub unsafe extern "C" fn dmp_journal_status(
    journal: *const dmp_journal,
    out_json: *mut *mut dmp_bytes,
) -> dmp_result {
    boundary(|| {
        // SAFETY: caller contract.
        let j = unsafe { arg_ref(journal, "journal") }?;
        let out = Out::required(out_json, "out_json")?;
        use ::dmp_journal::Store as _;
        let text = to_json(&j.journal.store().deposits()?)?;
        // SAFETY: `out` checked non-NULL; caller contract.
        unsafe { out.put(dmp_bytes::text(text)) };
        Ok(())
    })
}

/// Records in the consent register what the usager `ins_cx` (CX form,
/// `MATRICULE^^^&OID&ISO^NH`) said: `record_json` `{"scope":
/// "care_team"|"information"|"objection"|"emergency_objection"|"explicit", "professional":
/// IdNat|absent, "collected_by", "on_behalf_of", "at" (RFC 3339), "withdrawal", "note"}`.
/// `*out_json` (may be NULL): the record as stored (`usager`: the pseudonym).
///
/// # Safety
/// `journal` live; `ins_cx`, `record_json` NUL-terminated; `out_json` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn dmp_journal_record_consent(
    journal: *const dmp_journal,
    ins_cx: *const c_char,
    record_json: *const c_char,
    out_json: *mut *mut dmp_bytes,
) -> dmp_result {
    boundary(|| {
        // SAFETY: caller contract.
        let j = unsafe { arg_ref(journal, "journal") }?;
        // SAFETY: caller contract.
        let ins = unsafe { arg_ins(ins_cx, "ins_cx") }?;
        // SAFETY: caller contract.
        let text = unsafe { arg_str(record_json, "record_json") }?;
        let out = Out::optional(out_json);
        let record: ConsentRecord = parse_json(text, "record_json")?;
        let stored = j
            .journal
            .record_consent(&ins, record)
            .map_err(|e| Failure::from(e).with("argument", "record_json"))?;
        if let Some(out) = out {
            let text = to_json(&stored)?;
            // SAFETY: caller contract.
            unsafe { out.put(dmp_bytes::text(text)) };
        }
        Ok(())
    })
}

/// Consults the DMP under the consent register and journals the consultation whatever
/// happens. `request_json`: the request of `dmp_consult_build` **without** `consent` (the
/// register gives it); `care_team`: the actor is a member of the usager's care team (the DUI
/// knows). Sent through `client`, signed by `identity` (called on this thread).
///
/// Results as `dmp_send` (`*out_response`, `*out_outcome_json` may be NULL), plus
/// `DMP_ERR_CONSULTATION_BLOCKED` when the register does not cover a TD3.1 search or TD3.2
/// (nothing sent; journaled as `blocked`; `field`, `rule` say what to record).
///
/// # Safety
/// `journal`, `client`, `identity` live; `request_json` NUL-terminated; `out_response`
/// writable; `out_outcome_json` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn dmp_journal_consult(
    journal: *const dmp_journal,
    client: *const dmp_client,
    identity: *const dmp_identity,
    request_json: *const c_char,
    care_team: bool,
    out_response: *mut *mut dmp_bytes,
    out_outcome_json: *mut *mut dmp_bytes,
) -> dmp_result {
    boundary(|| {
        // SAFETY: caller contract.
        let j = unsafe { arg_ref(journal, "journal") }?;
        // SAFETY: caller contract.
        let client = unsafe { arg_ref(client, "client") }?;
        // SAFETY: caller contract.
        let identity = unsafe { arg_ref(identity, "identity") }?;
        // SAFETY: caller contract.
        let text = unsafe { arg_str(request_json, "request_json") }?;
        let out_response = Out::required(out_response, "out_response")?;
        let out_outcome = Out::optional(out_outcome_json);
        let request: ConsultRequest = parse_json(text, "request_json")?;
        let sender = Sender {
            client,
            identity: Arc::new(identity.clone()),
        };
        let outcome = j
            .journal
            .consult(&sender, &request, care_team)
            .map_err(|e| Failure::from(e).with("argument", "request_json"))?;
        // SAFETY: slots checked above; caller contract.
        unsafe { hand_over(outcome, out_response, out_outcome) }
    })
}

/// Records an event of the accompaniment of the usager `ins_cx` (CX form): `kind`
/// `admission`, `annual_review`, `change_of_condition`, `hospital_transfer`,
/// `hospital_return` or `discharge`; `at_rfc3339` (may be NULL: now).
///
/// # Safety
/// `journal` live; `ins_cx`, `kind` NUL-terminated; `at_rfc3339` NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn dmp_journal_record_event(
    journal: *const dmp_journal,
    ins_cx: *const c_char,
    kind: *const c_char,
    at_rfc3339: *const c_char,
) -> dmp_result {
    boundary(|| {
        // SAFETY: caller contract.
        let j = unsafe { arg_ref(journal, "journal") }?;
        // SAFETY: caller contract.
        let ins = unsafe { arg_ins(ins_cx, "ins_cx") }?;
        // SAFETY: caller contract.
        let kind_text = unsafe { arg_str(kind, "kind") }?;
        // SAFETY: caller contract.
        let at = unsafe { arg_time(at_rfc3339, "at_rfc3339") }?;
        let kind: UsagerEventKind = serde_json::from_value(kind_text.into()).map_err(|_| {
            Failure::new(
                dmp_result::DMP_ERR_INVALID_ARGUMENT,
                format!(
                    "argument `kind`: {kind_text:?} is not an event: admission, annual_review, \
                     change_of_condition, hospital_transfer, hospital_return or discharge"
                ),
            )
            .with("argument", "kind")
            .with("value", kind_text)
        })?;
        j.journal.record_event(&ins, kind, at)?;
        Ok(())
    })
}

/// Registers the usager `ins_cx` (CX form), or updates them: `label` the DUI's own reference
/// (a local file number, never the INS), `setting` the structure's activity (`EHPAD`, `IME`,
/// `SSIAD`…). `*out_pseudonym` (may be NULL): the usager's pseudonym (64 hexadecimal
/// characters), as the facts name them.
///
/// # Safety
/// `journal` live; `ins_cx`, `label`, `setting` NUL-terminated; `out_pseudonym` NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn dmp_journal_register_usager(
    journal: *const dmp_journal,
    ins_cx: *const c_char,
    label: *const c_char,
    setting: *const c_char,
    out_pseudonym: *mut *mut dmp_bytes,
) -> dmp_result {
    boundary(|| {
        // SAFETY: caller contract.
        let j = unsafe { arg_ref(journal, "journal") }?;
        // SAFETY: caller contract.
        let ins = unsafe { arg_ins(ins_cx, "ins_cx") }?;
        // SAFETY: caller contract.
        let label = unsafe { arg_str(label, "label") }?;
        // SAFETY: caller contract.
        let setting = unsafe { arg_str(setting, "setting") }?;
        let out = Out::optional(out_pseudonym);
        let pseudonym = j.journal.register_usager(&ins, label, setting)?;
        if let Some(out) = out {
            // SAFETY: caller contract.
            unsafe { out.put(dmp_bytes::text(pseudonym)) };
        }
        Ok(())
    })
}

/// The facts of the period `[from, to)` (RFC 3339; either may be NULL: unbounded), as the
/// indicators read them (`dmp_indicators`, `dmp indicators --facts`): `{"usagers",
/// "deposits", "consultations", "events"}`, usagers under their pseudonyms.
///
/// # Safety
/// `journal` live; `from_rfc3339`, `to_rfc3339` NULL or NUL-terminated; `out_json` writable.
#[no_mangle]
pub unsafe extern "C" fn dmp_journal_facts(
    journal: *const dmp_journal,
    from_rfc3339: *const c_char,
    to_rfc3339: *const c_char,
    out_json: *mut *mut dmp_bytes,
) -> dmp_result {
    boundary(|| {
        // SAFETY: caller contract.
        let j = unsafe { arg_ref(journal, "journal") }?;
        let bound = |p: *const c_char, name: &str, default: DateTime<Utc>| {
            if p.is_null() {
                Ok(default.fixed_offset())
            } else {
                // SAFETY: caller contract (non-NULL here).
                unsafe { arg_time(p, name) }
            }
        };
        let from = bound(from_rfc3339, "from_rfc3339", DateTime::<Utc>::MIN_UTC)?;
        let to = bound(to_rfc3339, "to_rfc3339", DateTime::<Utc>::MAX_UTC)?;
        let out = Out::required(out_json, "out_json")?;
        let text = to_json(&j.journal.facts(from, to)?)?;
        // SAFETY: `out` checked non-NULL; caller contract.
        unsafe { out.put(dmp_bytes::text(text)) };
        Ok(())
    })
}

/// Everything the journal holds about the usager `ins_cx` (CX form), for their right of
/// access: `{"usager", "consents", "consultations", "deposits", "events"}` (no document
/// bytes).
///
/// # Safety
/// `journal` live; `ins_cx` NUL-terminated; `out_json` writable.
#[no_mangle]
pub unsafe extern "C" fn dmp_journal_export_usager(
    journal: *const dmp_journal,
    ins_cx: *const c_char,
    out_json: *mut *mut dmp_bytes,
) -> dmp_result {
    boundary(|| {
        // SAFETY: caller contract.
        let j = unsafe { arg_ref(journal, "journal") }?;
        // SAFETY: caller contract.
        let ins = unsafe { arg_ins(ins_cx, "ins_cx") }?;
        let out = Out::required(out_json, "out_json")?;
        let text = to_json(&j.journal.export_usager(&ins)?)?;
        // SAFETY: `out` checked non-NULL; caller contract.
        unsafe { out.put(dmp_bytes::text(text)) };
        Ok(())
    })
}

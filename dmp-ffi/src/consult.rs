//! Consulting and managing the DMP: build a TD0.2 / TD0.3 / TD0.4 / TD3.1 / TD3.2 / TD3.3
//! request, read any answer of the DMP, and take the documents of a TD3.2 answer as bytes.

use std::ffi::c_char;

use chrono::Utc;
use dmp_core::actor::ActorProfile;
use dmp_core::consult::{self, ConsultRequest, Response};
use dmp_core::feed::{FeedContext, IdGenerator};
use dmp_core::habilitation::Matrix;
use dmp_core::xds::RetrievedDocument;
use serde_json::json;

use crate::bytes::dmp_bytes;
use crate::error::{dmp_result, Failure};
use crate::feed::{arg_time, put_request, random_seed};
use crate::ffi::{arg_bytes, arg_ref, arg_str, boundary, free_box, parse_json, FfiResult, Out};
use crate::identity::dmp_identity;
use crate::to_json;

/// Builds a consultation or management request (`dmp request`): TD0.2 `status`, TD3.1
/// `search` (metadata) and `get` (reference), TD3.2 `retrieve`, TD3.3 `mask`, `unmask`,
/// `visibility`, `archive`, `unarchive`, `delete`, TD0.3 `authorize`, TD0.4
/// `authorized_list`.
///
/// - `identity`: signs the VIHF: the professional's card key in `directe` mode, the
///   establishment's ORG_SIGN in `indirecte` and `air` modes (`DMP_ERR_INVALID`, field
///   `signer`, when it does not fit the mode).
/// - `request_json`: `{"actor": <actor profile>, "consent": <consent>|null, "transaction":
///   {"kind": "search", "ins": {…}, "query": {…}}}` (`docs/schema/consult-request.schema.json`;
///   examples: `dmp-ffi/README.md`, "Consulting the DMP").
///   The functional rights, the consent (TD3.1 metadata search and TD3.2) and the INS of the
///   environment are checked first: `DMP_ERR_INVALID` with the field and the rule.
/// - `search_response`, `search_response_len`: for the metadata updates (mask, unmask,
///   visibility, archive, unarchive, delete), a TD3.1 response that holds the document's
///   current entry (found by `transaction.unique_id`); NULL otherwise.
/// - `now_rfc3339` (NULL: now) and `seed` (0: random): the same request, time, key and seed
///   give the same bytes.
///
/// `*out_message` receives the HTTP message (header lines, a blank line, the body);
/// `out_info_json` (may be NULL) `{"transaction": "TD3.1", "path": "…", "headers": […],
/// "content_type": "…", "body_bytes": n, "message_id": "urn:uuid:…", "now": "…", "seed": n}`.
///
/// # Safety
/// `identity` is a live identity; `request_json` a NUL-terminated string; `search_response`
/// NULL or valid for `search_response_len` bytes; `now_rfc3339` NULL or a NUL-terminated
/// string; `out_message` writable; `out_info_json` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn dmp_consult_build(
    identity: *const dmp_identity,
    request_json: *const c_char,
    search_response: *const u8,
    search_response_len: usize,
    now_rfc3339: *const c_char,
    seed: u64,
    out_message: *mut *mut dmp_bytes,
    out_info_json: *mut *mut dmp_bytes,
) -> dmp_result {
    boundary(|| {
        // SAFETY: caller contract.
        let identity = unsafe { arg_ref(identity, "identity") }?;
        // SAFETY: caller contract.
        let text = unsafe { arg_str(request_json, "request_json") }?;
        let search = if search_response.is_null() {
            None
        } else {
            // SAFETY: caller contract.
            Some(unsafe { arg_bytes(search_response, search_response_len, "search_response") }?)
        };
        // SAFETY: caller contract.
        let now = unsafe { arg_time(now_rfc3339, "now_rfc3339") }?;
        let out_message = Out::required(out_message, "out_message")?;
        let out_info = Out::optional(out_info_json);

        let mut request: ConsultRequest = parse_json(text, "request_json")?;
        if let Some(args) = request.transaction.entry_args_mut() {
            let bytes = search.ok_or_else(|| {
                Failure::new(
                    dmp_result::DMP_ERR_NULL_ARGUMENT,
                    "argument `search_response` is NULL: a metadata update needs the TD3.1 \
                     response that holds the document's current entry",
                )
                .with("argument", "search_response")
            })?;
            args.resolve(bytes)?;
        }
        let seed = if seed == 0 { random_seed() } else { seed };
        let signer = identity.signer_at(now.with_timezone(&Utc))?;
        let mut ctx = FeedContext {
            now,
            ids: IdGenerator::from_seed(seed),
            signer: signer.as_ref(),
            rights: None,
        };
        let built = consult::build(&request, &mut ctx)?;
        let info = match out_info {
            Some(_) => Some(to_json(&json!({
                "transaction": built.transaction,
                "path": built.http.path,
                "headers": built.http.headers,
                "content_type": built.http.header("Content-Type"),
                "body_bytes": built.http.body.len(),
                "message_id": built.message_id,
                "now": now.to_rfc3339(),
                "seed": seed,
            }))?),
            None => None,
        };
        // SAFETY: the slots were checked by `Out`; caller contract.
        unsafe { put_request(out_message, out_info.zip(info), &built.http) };
        Ok(())
    })
}

/// Reads the DMP's HTTP answer to any transaction of this library (TD0.2, TD0.3, TD0.4,
/// TD1.3a, TD1.6, TD2.1, TD3.1, TD3.2, TD3.3): `content_type` is its `Content-Type` header
/// (`multipart/related` for MTOM), `body` its body; or `content_type` NULL and `body` the
/// whole HTTP response that `dmp_send` gives.
///
/// A refusal by the DMP is a normal result (`DMP_OK`): `*out_json` receives
/// `{"transaction": "TD3.1", "kind": "search"|"status"|"retrieve"|"registry"|
///   "authorization"|"authorized_list"|"authorized_professionals"|"fault", "result": {…}, "error": {"source", "code",
///   "details": [{"code", "text"}…]}|null}` with the DMP's codes and texts verbatim (the
/// `error` is null when the DMP accepted; warnings alone are no refusal). For a TD3.1
/// answer, `result.documents[]` carries `entry_uuid`, `unique_id`, `status`, `type_code`,
/// `title`, `size`, `hash`, `confidentiality`, `creation_time`, `repository_unique_id`…;
/// when `actor_profile_json` is given (may be NULL), each document also gets `"habilitation":
/// {"outcome", "reason", …}`: whether that reader's profession may open the type according
/// to the embedded habilitation matrix (an explanation: the DMP decides). A TD3.2 answer
/// lists its documents without their bytes: take them with `dmp_retrieval_parse`.
///
/// # Safety
/// `content_type` is NULL or a NUL-terminated string; `body` is valid for `len` bytes;
/// `actor_profile_json` is NULL or a NUL-terminated string; `out_json` is writable.
#[no_mangle]
pub unsafe extern "C" fn dmp_consult_parse_response(
    content_type: *const c_char,
    body: *const u8,
    len: usize,
    actor_profile_json: *const c_char,
    out_json: *mut *mut dmp_bytes,
) -> dmp_result {
    boundary(|| {
        // SAFETY: caller contract.
        let response = unsafe { answer(content_type, body, len) }?;
        let actor = if actor_profile_json.is_null() {
            None
        } else {
            // SAFETY: caller contract.
            let text = unsafe { arg_str(actor_profile_json, "actor_profile_json") }?;
            Some(
                ActorProfile::from_json(text)
                    .map_err(|e| Failure::from(e).with("argument", "actor_profile_json"))?,
            )
        };
        let out = Out::required(out_json, "out_json")?;
        let value = match &actor {
            Some(a) => response.to_json_for_reader(&Matrix::embedded()?, &a.reader()),
            None => response.to_json(),
        };
        let json = to_json(&value)?;
        // SAFETY: `out` checked non-NULL; caller contract.
        unsafe { out.put(dmp_bytes::text(json)) };
        Ok(())
    })
}

/// An answer of the DMP: `body` with its HTTP `content_type`, or, when `content_type` is
/// NULL, `body` is the whole HTTP response (status line, headers, blank line, body) as
/// `dmp_send` gives it.
///
/// # Safety
/// `content_type` NULL or a NUL-terminated string; `body` valid for `len` bytes.
unsafe fn answer(content_type: *const c_char, body: *const u8, len: usize) -> FfiResult<Response> {
    // SAFETY: caller contract.
    let body = unsafe { arg_bytes(body, len, "body") }?;
    Ok(if content_type.is_null() {
        consult::parse_message(body)?
    } else {
        // SAFETY: caller contract.
        consult::parse_response(unsafe { arg_str(content_type, "content_type") }?, body)?
    })
}

/// The documents of a TD3.2 answer (an opaque handle: `dmp_retrieval_parse`,
/// `dmp_retrieval_count`, `dmp_retrieval_document`, `dmp_retrieval_free`).
pub struct dmp_retrieval {
    documents: Vec<RetrievedDocument<'static>>,
}

// The documented thread safety of the handle rests on this.
const _: fn() = || {
    fn shareable<T: Send + Sync>() {}
    shareable::<dmp_retrieval>();
};

/// Reads a TD3.2 (ITI-43) answer and keeps its documents: `content_type` is the HTTP
/// `Content-Type` (`multipart/related` MTOM), `body` the body; or `content_type` NULL and
/// `body` the whole HTTP response that `dmp_send` gives. A fault or a Failure status
/// gives `DMP_ERR_DMP_REFUSED` with the DMP's codes and texts in the last error
/// (`dmp_error`: `{"source", "code", "details": [{"code", "text"}…]}`); the answer of
/// another transaction `DMP_ERR_INVALID_ARGUMENT` (argument `body`); a body that cannot be
/// read `DMP_ERR_XML` / `DMP_ERR_DATA`. Release the handle with `dmp_retrieval_free`; it is
/// immutable, so a `const dmp_retrieval *` may be read from several threads at once.
///
/// # Safety
/// `content_type` is NULL or a NUL-terminated string; `body` is valid for `len` bytes; `out`
/// is writable.
#[no_mangle]
pub unsafe extern "C" fn dmp_retrieval_parse(
    content_type: *const c_char,
    body: *const u8,
    len: usize,
    out: *mut *mut dmp_retrieval,
) -> dmp_result {
    boundary(|| {
        let out = Out::required(out, "out")?;
        // SAFETY: caller contract.
        let response = unsafe { answer(content_type, body, len) }?;
        if let Some(e) = response.error() {
            return Err(Failure::new(
                dmp_result::DMP_ERR_DMP_REFUSED,
                format!("the DMP refused: {e}"),
            )
            .with("dmp_error", serde_json::to_value(&e).unwrap_or_default()));
        }
        let Response::Retrieve(r) = response else {
            return Err(Failure::new(
                dmp_result::DMP_ERR_INVALID_ARGUMENT,
                format!(
                    "argument `body`: a {} answer, not a TD3.2 (retrieve) answer",
                    response.transaction()
                ),
            )
            .with("argument", "body"));
        };
        // SAFETY: `out` checked non-NULL; caller contract.
        unsafe {
            out.put(Box::new(dmp_retrieval {
                documents: r.documents,
            }))
        };
        Ok(())
    })
}

/// The number of documents of a TD3.2 answer (0 for NULL).
///
/// # Safety
/// `retrieval` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn dmp_retrieval_count(retrieval: *const dmp_retrieval) -> usize {
    crate::ffi::boundary_or(0, || {
        // SAFETY: caller contract.
        unsafe { retrieval.as_ref() }.map_or(0, |r| r.documents.len())
    })
}

/// Document `index` of a TD3.2 answer: `*out_document` receives its bytes (the CDA as
/// stored); `out_info_json` (may be NULL) `{"unique_id", "repository_unique_id",
/// "home_community_id", "mime_type", "size", "n1": {"media_type", "size"}|null}`;
/// `out_n1_body` (may be NULL) the N1 body of a CDA (the PDF…), or is set to NULL when the
/// document has none. An index out of range gives `DMP_ERR_INVALID_ARGUMENT`.
///
/// # Safety
/// `retrieval` is a live handle; each `out_*` is NULL (when optional) or writable.
#[no_mangle]
pub unsafe extern "C" fn dmp_retrieval_document(
    retrieval: *const dmp_retrieval,
    index: usize,
    out_document: *mut *mut dmp_bytes,
    out_info_json: *mut *mut dmp_bytes,
    out_n1_body: *mut *mut dmp_bytes,
) -> dmp_result {
    boundary(|| {
        // SAFETY: caller contract.
        let retrieval = unsafe { arg_ref(retrieval, "retrieval") }?;
        let out_document = Out::required(out_document, "out_document")?;
        let out_info = Out::optional(out_info_json);
        let out_n1 = Out::optional(out_n1_body);
        let d = retrieval.documents.get(index).ok_or_else(|| {
            Failure::new(
                dmp_result::DMP_ERR_INVALID_ARGUMENT,
                format!(
                    "argument `index`: {index} is out of range ({} document(s))",
                    retrieval.documents.len()
                ),
            )
            .with("argument", "index")
        })?;
        let n1 = d.n1_body().ok().flatten();
        let info = to_json(&json!({
            "unique_id": d.document_unique_id,
            "repository_unique_id": d.repository_unique_id,
            "home_community_id": d.home_community_id,
            "mime_type": d.mime_type,
            "size": d.bytes.len(),
            "n1": n1.as_ref().map(|b| json!({
                "media_type": b.media_type.mime(),
                "size": b.data.len(),
            })),
        }))?;
        if let Some(out) = out_info {
            // SAFETY: optional slot given; caller contract.
            unsafe { out.put(dmp_bytes::text(info)) };
        }
        if let Some(out) = out_n1 {
            match n1 {
                // SAFETY: optional slot given; caller contract.
                Some(b) => unsafe { out.put(dmp_bytes::new(b.data)) },
                // SAFETY: optional slot given; caller contract.
                None => unsafe { out.put_null() },
            }
        }
        // SAFETY: checked non-NULL; caller contract.
        unsafe { out_document.put(dmp_bytes::new(d.bytes.to_vec())) };
        Ok(())
    })
}

/// Releases a TD3.2 answer (NULL is accepted).
///
/// # Safety
/// `retrieval` is NULL or a handle from `dmp_retrieval_parse`, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn dmp_retrieval_free(retrieval: *mut dmp_retrieval) {
    // SAFETY: caller contract.
    unsafe { free_box(retrieval) }
}

/// Checks an actor profile (`docs/schema/actor-profile.schema.json`) and returns it with what
/// the library derives from it: `{"profile": {…}, "authentication": "indirecte_certificat_es"|
/// …, "actor": "medecin"|…, "vihf_mode": "INDIRECTE"|…, "structure_id": "1…", "reader":
/// {…}, "allowed_transactions": ["TD0.2", …]}`.
///
/// # Safety
/// `actor_profile_json` is a NUL-terminated string; `out_json` is writable.
#[no_mangle]
pub unsafe extern "C" fn dmp_actor_profile_check(
    actor_profile_json: *const c_char,
    out_json: *mut *mut dmp_bytes,
) -> dmp_result {
    boundary(|| {
        // SAFETY: caller contract.
        let text = unsafe { arg_str(actor_profile_json, "actor_profile_json") }?;
        let out = Out::required(out_json, "out_json")?;
        let p = ActorProfile::from_json(text)
            .map_err(|e| Failure::from(e).with("argument", "actor_profile_json"))?;
        let rights = dmp_core::habilitation::Rights::embedded()?;
        let json = to_json(&json!({
            "profile": p,
            "authentication": p.authentication(),
            "actor": p.actor(),
            "vihf_mode": p.vihf_mode().code(),
            "structure_id": p.structure_id(),
            "reader": p.reader(),
            "allowed_transactions": rights.allowed_transactions(p.authentication(), p.actor(), p.access_mode),
        }))?;
        // SAFETY: checked non-NULL; caller contract.
        unsafe { out.put(dmp_bytes::text(json)) };
        Ok(())
    })
}

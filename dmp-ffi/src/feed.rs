//! Feeding the DMP (TD2.1): build a request, check a built request, read the DMP's answer.

use std::ffi::c_char;

use chrono::{DateTime, FixedOffset, Utc};
use dmp_core::crypto::Certificate;
use dmp_core::feed::{self, FeedContext, FeedOutcome, FeedRequest, IdGenerator};
use dmp_core::xds::RegistryResponse;
use dmp_core::xmldsig::{ChainStatus, VerifyOptions};
use serde_json::{json, Value};

use crate::bytes::dmp_bytes;
use crate::error::{dmp_result, Failure};
use crate::ffi::{arg_bytes, arg_ref, arg_str, boundary, FfiResult, Out};
use crate::identity::dmp_identity;
use crate::to_json;

/// Reads argument `feed_request_json`: documents inline (the C ABI reads no file).
pub(crate) fn feed_request(text: &str) -> FfiResult<FeedRequest> {
    let mut request = FeedRequest::from_json(text)
        .map_err(|e| Failure::from(e).with("argument", "feed_request_json"))?;
    request.resolve(|p| {
        Err(format!(
            "the C ABI takes documents inline (header + content.base64 or content.text), \
             not files ({p:?})"
        ))
    })?;
    Ok(request)
}

/// An optional RFC 3339 time argument (NULL: now).
///
/// # Safety
/// `p` is NULL or a NUL-terminated string.
pub(crate) unsafe fn arg_time(p: *const c_char, name: &str) -> FfiResult<DateTime<FixedOffset>> {
    if p.is_null() {
        return Ok(DateTime::<Utc>::from(std::time::SystemTime::now()).fixed_offset());
    }
    // SAFETY: forwarded caller contract.
    let text = unsafe { arg_str(p, name) }?;
    DateTime::parse_from_rfc3339(text).map_err(|e| {
        Failure::new(
            dmp_result::DMP_ERR_INVALID_ARGUMENT,
            format!("argument `{name}`: {text:?} is not an RFC 3339 time ({e})"),
        )
        .with("argument", name)
        .with("value", text)
    })
}

/// A random seed (no random-number crate: the standard library's randomly keyed hasher).
pub(crate) fn random_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    loop {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        let seed = h.finish();
        if seed != 0 {
            return seed;
        }
    }
}

/// Builds a TD2.1 request (ITI-41 ProvideAndRegisterDocumentSet-b): CDA documents, XDS
/// metadata, XAdES manifest signature, signed VIHF, SOAP 1.2 envelope, MTOM message.
///
/// - `identity`: signs the XAdES and the VIHF (in indirect mode the establishment's
///   ORG_SIGN). Its certificate is checked at `now` (valid, not a CA, nonRepudiation):
///   `DMP_ERR_KEY` otherwise. A callback identity is called on this thread, during this call.
/// - `feed_request_json`: the `dmp feed build` request (`docs/schema/feed-case.schema.json`;
///   sample `examples/data/feed/dlu.json`), with every document **inline**: `header` (the
///   CDA header) and `content` (`{"media_type": "application/pdf", "base64": "…"}` or
///   `{"media_type": "text/plain", "text": "…"}`). The library reads no file here: a
///   document given as `case` or `content.path` is refused (`DMP_ERR_INVALID`, field
///   `documents[i].case` / `documents[i].content.path`). The pre-send checks (functional
///   rights, qualified identity, INS OID of the environment, structure, same patient, sizes)
///   give `DMP_ERR_INVALID` with the field and rule; JSON errors `DMP_ERR_JSON` with the path.
/// - `now_rfc3339`: the build time (submissionTime, SigningTime, IssueInstant, certificate
///   check), e.g. `"2025-06-01T10:00:00+02:00"`; NULL: the current time.
/// - `seed`: the ids (uniqueIds, entryUUIDs, MessageID) come from it: the same request,
///   time, key and seed give the same bytes. 0: a random seed.
///
/// `*out_message` receives the HTTP message to send: `Content-Type` (and other) header
/// lines, a blank line, the MTOM body (CRLF line ends; `dmp_feed_check` reads it back).
/// `out_info_json` may be NULL; otherwise it receives
/// `{"path": "/si-dmp-server/v2/services/repository", "headers": [["Content-Type", "…"]],
///   "content_type": "…", "body_bytes": n, "submission_set_unique_id": "…",
///   "message_id": "urn:uuid:…", "documents": [{"unique_id": "…", "uri": "urn:oid:…",
///   "bytes": n}], "now": "<RFC 3339>", "seed": n}` (POST the body to the DMP base URL +
/// `path` with these headers).
///
/// # Safety
/// `identity` is a live identity; `feed_request_json` a NUL-terminated string;
/// `now_rfc3339` NULL or a NUL-terminated string; `out_message` writable; `out_info_json`
/// NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn dmp_feed_build(
    identity: *const dmp_identity,
    feed_request_json: *const c_char,
    now_rfc3339: *const c_char,
    seed: u64,
    out_message: *mut *mut dmp_bytes,
    out_info_json: *mut *mut dmp_bytes,
) -> dmp_result {
    boundary(|| {
        // SAFETY: caller contract.
        let identity = unsafe { arg_ref(identity, "identity") }?;
        // SAFETY: caller contract.
        let request_json = unsafe { arg_str(feed_request_json, "feed_request_json") }?;
        // SAFETY: caller contract.
        let now = unsafe { arg_time(now_rfc3339, "now_rfc3339") }?;
        let out_message = Out::required(out_message, "out_message")?;
        let out_info = Out::optional(out_info_json);

        let request = feed_request(request_json)?;
        let seed = if seed == 0 { random_seed() } else { seed };
        let signer = identity.signer_at(now.with_timezone(&Utc))?;
        let mut ctx = FeedContext {
            now,
            ids: IdGenerator::from_seed(seed),
            signer: signer.as_ref(),
            rights: None,
        };
        let built = feed::build(&request, &mut ctx)?;
        let info = match out_info {
            Some(_) => Some(to_json(&json!({
                "path": built.http.path,
                "headers": built.http.headers,
                "content_type": built.http.header("Content-Type"),
                "body_bytes": built.http.body.len(),
                "submission_set_unique_id": built.submission_set_unique_id.as_str(),
                "message_id": built.message_id,
                "documents": built.cdas().iter().map(|(uri, bytes)| json!({
                    "unique_id": uri.strip_prefix("urn:oid:").unwrap_or(uri),
                    "uri": uri,
                    "bytes": bytes.len(),
                })).collect::<Vec<_>>(),
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

/// Writes a built request's outputs, once everything is ready: the HTTP message and, when
/// asked for, its info JSON.
///
/// # Safety
/// As [`Out::put`] for each slot.
pub(crate) unsafe fn put_request(
    out_message: Out<dmp_bytes>,
    info: Option<(Out<dmp_bytes>, String)>,
    http: &dmp_core::soap::mtom::HttpRequest,
) {
    if let Some((out, info)) = info {
        // SAFETY: forwarded caller contract.
        unsafe { out.put(dmp_bytes::text(info)) };
    }
    // SAFETY: forwarded caller contract.
    unsafe { out_message.put(dmp_bytes::new(http.to_message())) };
}

/// The verification options of `dmp_feed_check`: self-signed certificates of `trust_pem`
/// are the trusted roots, the others intermediates.
fn verify_options(trust_pem: Option<&str>, at: DateTime<Utc>) -> FfiResult<VerifyOptions> {
    let mut options = VerifyOptions::new(at);
    if let Some(pem) = trust_pem {
        let mut roots = Vec::new();
        for cert in Certificate::chain_from_pem(pem)? {
            if cert.subject().der() == cert.issuer().der() {
                roots.push(cert);
            } else {
                options.intermediates.push(cert);
            }
        }
        if roots.is_empty() {
            return Err(Failure::new(
                dmp_result::DMP_ERR_INVALID_ARGUMENT,
                "argument `trust_pem`: no self-signed (root) certificate in it",
            )
            .with("argument", "trust_pem"));
        }
        options.trust = Some(roots);
    }
    Ok(options)
}

/// Re-reads a built TD2.1 request and verifies it, as `dmp feed check` does: a SOAP 1.2
/// ProvideAndRegisterDocumentSet-b request, every XML signature valid (the VIHF and the
/// XAdES, each manifest digest recomputed from the MIME parts), each document's metadata
/// equal to what its CDA gives.
///
/// - `message`, `len`: the message as `dmp_feed_build` wrote it (with or without the HTTP
///   header lines).
/// - `trust_pem`: trusted roots and intermediates (PEM, concatenated; the self-signed ones
///   are the roots), e.g. the IGC-Santé test root and ORG CA; NULL: the chains are not
///   checked (each signature then says `"chain": {"status": "not_checked"}`).
/// - `at_rfc3339`: the time the certificates are checked at; NULL: now.
///
/// A request that does not check is a normal result (`DMP_OK`, `"ok": false`); errors are
/// for input that cannot be read at all (`DMP_ERR_XML`, `DMP_ERR_DATA`) and bad arguments.
/// `*out_report_json` receives
/// `{"ok": bool, "signatures": [{"part", "id", "line", "algorithm", "signer":
///   {"subject", "issuer", "serial"}|null, "signing_time", "valid", "failure",
///   "chain": {"status": "trusted"|"failed"|"skipped"|"not_checked", "subjects"|"reason"},
///   "manifest": [{"uri", "status", "digest_ok"}]}], "documents": [{"entry_id", "content_id",
///   "uri", "digest_ok", "differences": ["…"]}], "problems": ["…"], "text": "<report>"}`.
///
/// # Safety
/// `message` is valid for `len` bytes; `trust_pem` and `at_rfc3339` are NULL or
/// NUL-terminated strings; `out_report_json` is writable.
#[no_mangle]
pub unsafe extern "C" fn dmp_feed_check(
    message: *const u8,
    len: usize,
    trust_pem: *const c_char,
    at_rfc3339: *const c_char,
    out_report_json: *mut *mut dmp_bytes,
) -> dmp_result {
    boundary(|| {
        // SAFETY: caller contract.
        let message = unsafe { arg_bytes(message, len, "message") }?;
        let trust_pem = if trust_pem.is_null() {
            None
        } else {
            // SAFETY: caller contract.
            Some(unsafe { arg_str(trust_pem, "trust_pem") }?)
        };
        // SAFETY: caller contract.
        let at = unsafe { arg_time(at_rfc3339, "at_rfc3339") }?;
        let out = Out::required(out_report_json, "out_report_json")?;
        let options = verify_options(trust_pem, at.with_timezone(&Utc))?;
        let report = feed::check(message, &options)?;
        let signatures: Vec<Value> = report
            .signatures
            .iter()
            .map(|s| {
                let chain = match &s.chain {
                    ChainStatus::NotChecked => json!({"status": "not_checked"}),
                    ChainStatus::Trusted(subjects) => {
                        json!({"status": "trusted", "subjects": subjects})
                    }
                    ChainStatus::Failed(reason) => json!({"status": "failed", "reason": reason}),
                    ChainStatus::Skipped(reason) => {
                        json!({"status": "skipped", "reason": reason})
                    }
                };
                json!({
                    "part": s.part,
                    "id": s.id,
                    "line": s.line,
                    "algorithm": s.algorithm.map(|a| a.name()),
                    "signer": s.signer.as_ref().map(|c| json!({
                        "subject": c.subject_rfc2253(),
                        "issuer": c.issuer_rfc2253(),
                        "serial": c.serial_decimal(),
                    })),
                    "signing_time": s.signing_time,
                    "valid": s.is_valid(),
                    "failure": s.failure.as_ref().map(ToString::to_string),
                    "chain": chain,
                    "manifest": s.manifest.iter().map(|m| json!({
                        "uri": m.uri,
                        "status": m.status.to_string(),
                        "digest_ok": m.status == dmp_core::xmldsig::ManifestStatus::Ok,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        let documents: Vec<Value> = report
            .documents
            .iter()
            .map(|d| {
                json!({
                    "entry_id": d.entry_id,
                    "content_id": d.content_id,
                    "uri": d.uri,
                    "digest_ok": d.digest_ok,
                    "differences": d.differences,
                })
            })
            .collect();
        let json = to_json(&json!({
            "ok": report.is_ok(),
            "signatures": signatures,
            "documents": documents,
            "problems": report.problems,
            "text": report.render(),
        }))?;
        // SAFETY: `out` checked non-NULL; caller contract.
        unsafe { out.put(dmp_bytes::text(json)) };
        Ok(())
    })
}

fn registry_json(r: &RegistryResponse) -> Value {
    json!({
        "status": r.status_urn,
        "request_id": r.request_id,
        "highest_severity": r.highest_severity,
        "errors": r.errors.iter().map(|e| json!({
            "code": e.error_code,
            "context": e.code_context,
            "severity": e.severity,
            "location": e.location,
            "text": e.text,
            "warning": e.is_warning(),
        })).collect::<Vec<_>>(),
    })
}

/// Reads the DMP's HTTP answer to a TD2.1 request: `content_type` is its `Content-Type`
/// header (`multipart/related` for MTOM, else a plain SOAP envelope), `body` its body.
///
/// A refusal by the DMP is a normal result (`DMP_OK`): `*out_json` receives
/// `{"outcome": "success"|"failure"|"fault", "status": "<status URN>"|null,
///   "request_id": …, "highest_severity": …,
///   "errors": [{"code", "context", "severity", "location", "text", "warning"}],
///   "fault": {"code", "subcodes": […], "reasons": [{"lang", "text"}], "node", "role",
///   "detail": "<XML>"|null}|null}`, the DMP's codes and texts verbatim (`failure` also
/// covers PartialSuccess; a `success` may carry warnings in `errors`). Errors
/// (`DMP_ERR_XML`, `DMP_ERR_DATA`) are for a body that is not a SOAP answer at all.
///
/// # Safety
/// `content_type` is a NUL-terminated string; `body` is valid for `len` bytes; `out_json`
/// is writable.
#[no_mangle]
pub unsafe extern "C" fn dmp_feed_parse_response(
    content_type: *const c_char,
    body: *const u8,
    len: usize,
    out_json: *mut *mut dmp_bytes,
) -> dmp_result {
    boundary(|| {
        // SAFETY: caller contract.
        let content_type = unsafe { arg_str(content_type, "content_type") }?;
        // SAFETY: caller contract.
        let body = unsafe { arg_bytes(body, len, "body") }?;
        let out = Out::required(out_json, "out_json")?;
        let outcome = feed::parse_response(content_type, body)?;
        let value = match &outcome {
            FeedOutcome::Success(r) | FeedOutcome::Failure(r) => {
                let mut v = registry_json(r);
                v["outcome"] = json!(if outcome.is_success() {
                    "success"
                } else {
                    "failure"
                });
                v["fault"] = Value::Null;
                v
            }
            FeedOutcome::Fault(f) => json!({
                "outcome": "fault",
                "status": null,
                "request_id": null,
                "highest_severity": null,
                "errors": [],
                "fault": {
                    "code": f.code.value,
                    "subcodes": f.subcodes.iter().map(|c| c.value.as_str()).collect::<Vec<_>>(),
                    "reasons": f.reasons.iter().map(|r| json!({
                        "lang": r.lang, "text": r.text,
                    })).collect::<Vec<_>>(),
                    "node": f.node,
                    "role": f.role,
                    "detail": f.detail.as_ref().map(|d| String::from_utf8_lossy(d).into_owned()),
                },
            }),
        };
        let json = to_json(&value)?;
        // SAFETY: `out` checked non-NULL; caller contract.
        unsafe { out.put(dmp_bytes::text(json)) };
        Ok(())
    })
}

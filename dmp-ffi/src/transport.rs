//! Talking to a DMP: a client for one actor (mutual TLS 1.2 with its TLS identity, its server
//! roots, its base URL) and `dmp_send`, blocking, for every request the library builds.

use std::ffi::c_char;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use dmp_core::actor::ActorProfile;
use dmp_core::soap::mtom::HttpRequest;
use dmp_transport::{send_checked, Client, Outcome, SignerSource, TransportError};

use crate::bytes::dmp_bytes;
use crate::error::{dmp_result, Failure};
use crate::ffi::{arg_bytes, arg_ref, arg_str, boundary, free_box, parse_json, FfiResult, Out};
use crate::identity::dmp_identity;
use crate::to_json;

/// A client of the DMP for one actor: the actor profile (`docs/schema/actor-profile.schema.json`)
/// with its `transport` settings (TLS client certificate, server roots, proxy, timeouts,
/// retries) and the base URL of its environment. Created by `dmp_client_new`, released by
/// `dmp_client_free`. It keeps its connections open between calls (a batch reuses them).
///
/// Thread safety: a `const dmp_client *` may be used by several threads at once; each
/// `dmp_send` blocks its own thread only.
pub struct dmp_client {
    pub(crate) client: Client,
    pub(crate) profile: ActorProfile,
}

const _: fn() = || {
    fn shareable<T: Send + Sync>() {}
    shareable::<dmp_client>();
};

impl From<TransportError> for Failure {
    fn from(e: TransportError) -> Failure {
        let field = match &e {
            TransportError::Settings { field, .. } | TransportError::File { field, .. } => {
                field.clone()
            }
        };
        Failure::new(dmp_result::DMP_ERR_TRANSPORT_SETTINGS, e.to_string()).with("field", field)
    }
}

/// Makes a client for the actor of `actor_profile_json`.
///
/// - `profile_dir` (may be NULL: the current directory): the directory the relative paths of
///   the profile's `transport` settings are relative to (usually the profile file's).
/// - `endpoint` (may be NULL): the base URL to use instead of the profile's (`https://…`, e.g.
///   the address of a local sandbox).
///
/// The TLS identity and the server roots are loaded now, so that a wrong file or password
/// fails here: `DMP_ERR_TRANSPORT_SETTINGS` (last error `field`: the JSON field, e.g.
/// `transport.client_certificate.p12`); a profile without `transport` too. A profile that does
/// not fit the model: `DMP_ERR_JSON` / `DMP_ERR_INVALID`.
///
/// # Safety
/// `actor_profile_json` is a NUL-terminated string; `profile_dir` and `endpoint` NULL or
/// NUL-terminated strings; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn dmp_client_new(
    actor_profile_json: *const c_char,
    profile_dir: *const c_char,
    endpoint: *const c_char,
    out: *mut *mut dmp_client,
) -> dmp_result {
    boundary(|| {
        // SAFETY: caller contract.
        let text = unsafe { arg_str(actor_profile_json, "actor_profile_json") }?;
        let dir = if profile_dir.is_null() {
            PathBuf::from(".")
        } else {
            // SAFETY: caller contract.
            PathBuf::from(unsafe { arg_str(profile_dir, "profile_dir") }?)
        };
        let endpoint = if endpoint.is_null() {
            None
        } else {
            // SAFETY: caller contract.
            Some(unsafe { arg_str(endpoint, "endpoint") }?)
        };
        let out = Out::required(out, "out")?;
        let profile: ActorProfile = parse_json(text, "actor_profile_json")?;
        profile
            .validate()
            .map_err(|e| Failure::from(e).with("argument", "actor_profile_json"))?;
        let client = Client::from_profile(&profile, &dir, endpoint)?;
        // SAFETY: `out` checked non-NULL; caller contract.
        unsafe { out.put(Box::new(dmp_client { client, profile })) };
        Ok(())
    })
}

/// Releases a client (closes its connections); NULL is a no-op.
///
/// # Safety
/// `client` is NULL or a live client, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn dmp_client_free(client: *mut dmp_client) {
    // SAFETY: caller contract.
    unsafe { free_box(client) }
}

/// Sends a request built by this library (`message`: the bytes `dmp_feed_build` /
/// `dmp_consult_build` wrote, headers and body) to the DMP and waits for its answer.
///
/// Queries (TD0.2, TD3.1, TD3.2, TD0.4…) are retried on transport errors with backoff. A
/// TD2.1 or TD3.3 is never sent twice blindly: when its answer is lost, the registry is asked
/// first (a TD3.1 search signed by `identity`) whether it was applied; then it is sent again
/// or reported as done. `identity` (may be NULL: no such search, the outcome stays unknown) is
/// the actor's signing identity, the one that signed the request; it is called on this thread.
/// `timeout_ms` bounds the whole call, search included (0: the profile's total timeout).
///
/// Results:
/// - `DMP_OK`: the DMP accepted. `*out_response` gets its HTTP response (status line, header
///   lines, blank line, body: read it with `dmp_consult_parse_response` /
///   `dmp_retrieval_parse`, giving the `Content-Type` header and the body, or keep it as is);
///   when the answer was lost and the registry showed the request applied, the response is
///   that of the registry search. `*out_outcome_json` (may be NULL) gets `{"outcome":
///   "accepted", "attempts", "confirmed_by_check", "http_status", "response": {…typed…}}`.
/// - `DMP_ERR_DMP_REFUSED`: the DMP refused (SOAP fault, Failure): its codes and texts,
///   verbatim, in the last error (`dmp_error`), with `attempts` and `http_status`.
/// - `DMP_ERR_NOT_SENT`: nothing reached the DMP (may be sent again later).
/// - `DMP_ERR_OUTCOME_UNKNOWN`: may have reached the DMP, outcome unknown: search first.
/// - `DMP_ERR_INVALID_ARGUMENT` (argument `message`): not a request of this library.
///
/// # Safety
/// `client` is a live client; `identity` NULL or a live identity; `message` valid for `len`
/// bytes; `out_response` writable; `out_outcome_json` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn dmp_send(
    client: *const dmp_client,
    identity: *const dmp_identity,
    message: *const u8,
    len: usize,
    timeout_ms: u32,
    out_response: *mut *mut dmp_bytes,
    out_outcome_json: *mut *mut dmp_bytes,
) -> dmp_result {
    boundary(|| {
        // SAFETY: caller contract.
        let client = unsafe { arg_ref(client, "client") }?;
        // SAFETY: caller contract (NULL allowed).
        let identity = unsafe { identity.as_ref() };
        // SAFETY: caller contract.
        let message = unsafe { arg_bytes(message, len, "message") }?;
        let out_response = Out::required(out_response, "out_response")?;
        let out_outcome = Out::optional(out_outcome_json);
        let request = HttpRequest::from_message(message).map_err(|e| {
            Failure::new(
                dmp_result::DMP_ERR_INVALID_ARGUMENT,
                format!("argument `message` is not a request built by this library: {e}"),
            )
            .with("argument", "message")
        })?;
        let total = (timeout_ms > 0).then(|| Duration::from_millis(u64::from(timeout_ms)));
        let outcome = match identity {
            Some(id) => {
                let signer: Arc<dyn SignerSource> = Arc::new(id.clone());
                send_checked(&client.client, &client.profile, signer, &request, total)
            }
            None => client.client.send_within_total(&request, None, total),
        };
        // SAFETY: caller contract.
        unsafe { hand_over(outcome, out_response, out_outcome) }
    })
}

/// An outcome as `dmp_send` reports it: accepted → the HTTP response in `out_response` and
/// the outcome JSON in `out_outcome` (when wanted); otherwise the failure of its band.
///
/// # Safety
/// The slots were checked by [`Out`]'s constructors and are valid for a write.
pub(crate) unsafe fn hand_over(
    outcome: Outcome,
    out_response: Out<dmp_bytes>,
    out_outcome: Option<Out<dmp_bytes>>,
) -> FfiResult {
    let json = outcome.to_json();
    match outcome {
        Outcome::Accepted { http, .. } => {
            let text = to_json(&json)?;
            if let Some(out) = out_outcome {
                // SAFETY: caller contract.
                unsafe { out.put(dmp_bytes::text(text)) };
            }
            // SAFETY: `out_response` checked non-NULL; caller contract.
            unsafe { out_response.put(dmp_bytes::new(http.to_message())) };
            Ok(())
        }
        Outcome::Refused {
            error,
            http,
            attempts,
            ..
        } => Err(Failure::new(
            dmp_result::DMP_ERR_DMP_REFUSED,
            format!("the DMP refused the request: {error}"),
        )
        .with(
            "dmp_error",
            serde_json::to_value(&error).unwrap_or_default(),
        )
        .with("attempts", attempts)
        .with("http_status", http.status)),
        Outcome::FailedBeforeSending { reason, attempts } => Err(Failure::new(
            dmp_result::DMP_ERR_NOT_SENT,
            format!("not sent: {reason}; nothing reached the DMP, it may be sent again"),
        )
        .with("outcome", "failed_before_sending")
        .with("attempts", attempts)),
        Outcome::Unknown { reason, attempts } => Err(Failure::new(
            dmp_result::DMP_ERR_OUTCOME_UNKNOWN,
            format!("outcome unknown: {reason}; do not resend blindly: search the DMP first"),
        )
        .with("outcome", "unknown")
        .with("attempts", attempts)),
    }
}

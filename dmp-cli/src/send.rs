//! Sending to a DMP (`dmp send`, and `--send` on `dmp feed build` / `dmp request`): the
//! transport settings of the actor profile, the typed outcome printed as `dmp response` prints
//! an answer.

use std::path::Path;

use dmp_core::actor::ActorProfile;
use dmp_core::crypto::SigningIdentity;
use dmp_core::soap::mtom::HttpRequest;
use dmp_transport::{Client, Outcome, Session};

use crate::cli::SendArgs;
use crate::consult::show;
use crate::{base_of, identity_from, in_file, read_bytes, read_file, to_json, Fail};

/// How to send and what to print: `--json`, `--extract DIR`, `--endpoint URL`, the reader
/// whose habilitation is shown, and (with `--json` on a building command) the built
/// request's report, printed in the same JSON object as the outcome.
pub(crate) struct How<'a> {
    pub(crate) json: bool,
    pub(crate) extract: Option<&'a Path>,
    pub(crate) endpoint: Option<&'a str>,
    pub(crate) reader: Option<&'a Path>,
    pub(crate) built: Option<serde_json::Value>,
}

/// `dmp send REQUEST --actor ACTOR.json [--endpoint URL] [--json] [--extract DIR]
/// [--p12 FILE --password-env VAR]`.
pub(crate) fn send(a: &SendArgs) -> Result<String, Fail> {
    let actor = ActorProfile::from_json(&read_file(&a.actor)?).map_err(in_file(&a.actor))?;
    let request = HttpRequest::from_message(&read_bytes(&a.request)?).map_err(|e| {
        Fail(
            format!(
                "{}: not a request built by dmp ({e}): build it with dmp feed build or dmp \
                 request -o",
                a.request.display()
            ),
            1,
        )
    })?;
    let identity = identity_from(&a.signer, "send")?;
    let how = How {
        json: a.answer.json,
        extract: a.answer.extract.as_deref(),
        endpoint: a.endpoint.as_deref(),
        reader: Some(&a.actor),
        built: None,
    };
    deliver(&how, &request, actor, &a.actor, identity)
}

/// Sends `request` as `actor` (profile read from `actor_path`; its relative paths are from
/// there) and prints the outcome. `identity` signs the landing check that an unanswered
/// TD2.1/TD3.3 needs before any resend; without it such an outcome stays unknown.
pub(crate) fn deliver(
    how: &How<'_>,
    request: &HttpRequest,
    actor: ActorProfile,
    actor_path: &Path,
    identity: Option<SigningIdentity>,
) -> Result<String, Fail> {
    let outcome = match identity {
        Some(identity) => session(actor, actor_path, identity, how.endpoint)?.send_built(request),
        None => Client::from_profile(&actor, base_of(actor_path), how.endpoint)
            .map_err(transport_fail(actor_path))?
            .send(request, None),
    };
    print_outcome(how, &outcome)
}

/// The session of `actor` (profile read from `actor_path`; its relative paths are from
/// there) signing with `identity`, against `endpoint` or the profile's URL.
pub(crate) fn session(
    actor: ActorProfile,
    actor_path: &Path,
    identity: SigningIdentity,
    endpoint: Option<&str>,
) -> Result<Session, Fail> {
    Session::new(actor, base_of(actor_path), identity, endpoint).map_err(transport_fail(actor_path))
}

/// The session of the actor profile at `actor_path` signing with `--p12 FILE --password-env
/// VAR` (required: `command` names who needs it).
pub(crate) fn session_from(
    actor_path: &Path,
    signer: &crate::cli::SignerOpts,
    endpoint: Option<&str>,
    command: &str,
) -> Result<Session, Fail> {
    let actor = ActorProfile::from_json(&read_file(actor_path)?).map_err(in_file(actor_path))?;
    let identity = identity_from(signer, command)?
        .ok_or_else(|| crate::usage(format!("{command} needs --p12 FILE --password-env VAR")))?;
    session(actor, actor_path, identity, endpoint)
}

/// A transport settings error, named by the profile file.
fn transport_fail(actor_path: &Path) -> impl Fn(dmp_transport::TransportError) -> Fail + '_ {
    move |e| Fail(format!("{}: {e}", actor_path.display()), 1)
}

/// The outcome in words (or JSON with `--json`); the exit status says which outcome.
pub(crate) fn print_outcome(how: &How<'_>, outcome: &Outcome) -> Result<String, Fail> {
    let code = u8::try_from(outcome.exit_code()).unwrap_or(1);
    if how.json {
        let mut value = outcome.to_json();
        if let (Some(built), serde_json::Value::Object(map)) = (&how.built, &mut value) {
            map.insert("request".to_owned(), built.clone());
        }
        let text = to_json(&value)?;
        return if code == 0 {
            Ok(text)
        } else {
            crate::out_text(&text);
            Err(Fail(outcome_summary(outcome), code))
        };
    }
    match outcome {
        Outcome::Accepted { response, .. } | Outcome::Refused { response, .. } => {
            crate::out_text(&format!("{}\n", outcome_summary(outcome)));
            show(response, false, how.extract, how.reader, "sent")
        }
        Outcome::FailedBeforeSending { .. } | Outcome::Unknown { .. } => {
            Err(Fail(outcome_summary(outcome), code))
        }
    }
}

fn outcome_summary(outcome: &Outcome) -> String {
    let attempts = match outcome.attempts() {
        1 => "1 attempt".to_owned(),
        n => format!("{n} attempts"),
    };
    match outcome {
        Outcome::Accepted {
            confirmed_by_check: true,
            http,
            ..
        } => format!(
            "sent: the answer was lost, a search of the registry shows the request was applied \
             ({attempts}, HTTP {})",
            http.status
        ),
        Outcome::Accepted { http, .. } => format!("sent and accepted ({attempts}, HTTP {})", http.status),
        Outcome::Refused { http, .. } => {
            format!("refused by the DMP ({attempts}, HTTP {})", http.status)
        }
        Outcome::FailedBeforeSending { reason, .. } => format!(
            "not sent ({attempts}): {reason}; nothing reached the DMP, the request may be sent again"
        ),
        Outcome::Unknown { reason, .. } => format!(
            "outcome unknown ({attempts}): {reason}; do not resend blindly: search the DMP first \
             (dmp request search --unique-id UID)"
        ),
    }
}

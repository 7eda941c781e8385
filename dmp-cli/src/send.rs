//! Sending to a DMP (`dmp send`, and `--send` on `dmp feed build` / `dmp request`): the
//! transport settings of the actor profile, the typed outcome printed as `dmp response` prints
//! an answer.

use std::path::Path;

use dmp_core::actor::ActorProfile;
use dmp_core::crypto::SigningIdentity;
use dmp_core::soap::mtom::HttpRequest;
use dmp_transport::{Client, Outcome, Session};

use crate::consult::show;
use crate::{identity_from, read_file, to_json, usage, Fail, Opts};

/// The options every sending command takes besides its own.
pub(crate) const SEND_FLAGS: [&str; 2] = ["--send", "--json"];

/// `dmp send REQUEST --actor ACTOR.json [--endpoint URL] [--json] [--extract DIR]
/// [--p12 FILE --password-env VAR]`.
pub(crate) fn send(args: &[String]) -> Result<String, Fail> {
    let o = Opts::parse(
        args,
        &["--json"],
        &[
            "--actor",
            "--endpoint",
            "--extract",
            "--p12",
            "--password-env",
        ],
    )?;
    let [path] = o.positional.as_slice() else {
        return Err(usage(
            "send takes one REQUEST file (as written by dmp feed build / dmp request -o)",
        ));
    };
    let actor_path = o
        .value("--actor")
        .ok_or_else(|| usage("send needs --actor ACTOR.json (whose `transport` says how)"))?;
    let actor = ActorProfile::from_json(&read_file(actor_path)?)?;
    let bytes = std::fs::read(path).map_err(|e| Fail(format!("cannot read {path}: {e}"), 1))?;
    let request = HttpRequest::from_message(&bytes)
        .map_err(|e| Fail(format!("{path}: not a request built by dmp: {e}"), 1))?;
    let identity = identity_from(&o, "send")?;
    deliver(&o, &request, actor, actor_path, identity)
}

/// Sends `request` as `actor` (profile read from `actor_path`; its relative paths are from
/// there) and prints the outcome. `identity` signs the landing check that an unanswered
/// TD2.1/TD3.3 needs before any resend; without it such an outcome stays unknown.
pub(crate) fn deliver(
    o: &Opts,
    request: &HttpRequest,
    actor: ActorProfile,
    actor_path: &str,
    identity: Option<SigningIdentity>,
) -> Result<String, Fail> {
    let dir = Path::new(actor_path).parent().unwrap_or(Path::new("."));
    let endpoint = o.value("--endpoint");
    let transport_fail = |e: dmp_transport::TransportError| Fail(format!("{actor_path}: {e}"), 1);
    let outcome = match identity {
        Some(identity) => Session::new(actor, dir, identity, endpoint)
            .map_err(transport_fail)?
            .send_built(request),
        None => Client::from_profile(&actor, dir, endpoint)
            .map_err(transport_fail)?
            .send(request, None),
    };
    print_outcome(o, &outcome)
}

/// The outcome in words (or JSON with `--json`); the exit status says which outcome.
fn print_outcome(o: &Opts, outcome: &Outcome) -> Result<String, Fail> {
    let code = outcome.exit_code() as u8;
    if o.flag("--json") {
        let text = to_json(&outcome.to_json())?;
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
            show(response, o, "sent")
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

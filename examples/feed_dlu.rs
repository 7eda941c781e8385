//! The main example: the whole round trip with a DMP, on the embedded defaults. It starts the
//! local DMP sandbox in-process (HTTPS with mutual TLS on the test PKI of `examples/pki/`,
//! SQLite under `target/feed_dlu/`), then:
//!
//! 1. as the EHPAD (indirect mode: its ORG_AUTH_CLI certificate for TLS, its ORG_SIGN seal for
//!    the VIHF and the XAdES), tests the résidente's DMP (TD0.2);
//! 2. builds the TD2.1 of her DLU (`examples/data/feed/dlu-profile.json`), writes it to
//!    `target/feed-dlu.mime` and sends it; prints the DMP's answer;
//! 3. as the médecin coordonnateur (direct mode, the test CPS identity), searches her DMP
//!    (TD3.1) and retrieves the DLU (TD3.2);
//! 4. checks that the bytes retrieved are the bytes sent.
//!
//! ```sh
//! cargo run --example feed_dlu
//! ```
//!
//! Building is a pure function of (request, clock, keys, ids); sending is the transport's
//! job (`dmp_transport::Session`): the two are separate steps here on purpose.

use std::path::{Path, PathBuf};

use chrono::Utc;
use dmp_core::actor::ActorProfile;
use dmp_core::consent::Consent;
use dmp_core::consult::{ConsultRequest, Response, Transaction};
use dmp_core::crypto::{SignatureAlgorithm, SigningIdentity, UsagePolicy};
use dmp_core::feed::{self, FeedContext, FeedRequest, IdGenerator};
use dmp_core::xds::{DocumentRequest, FindDocuments, StoredQuery};
use dmp_sandbox::{Sandbox, SandboxConfig};
use dmp_transport::{Outcome, Session};

type Error = Box<dyn std::error::Error>;

/// A path of the repository (the example is declared by `dmp-transport/Cargo.toml`).
fn repo(rel: &str) -> PathBuf {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    crate_dir.parent().unwrap_or(crate_dir).join(rel)
}

/// A test signing identity of `examples/pki/` (RSA-SHA1, as every DMP sample).
fn identity(file: &str) -> Result<SigningIdentity, Error> {
    let p12 = std::fs::read(repo(&format!("examples/pki/{file}")))?;
    let password = std::fs::read_to_string(repo("examples/pki/PASSWORD"))?;
    Ok(SigningIdentity::from_pkcs12(&p12, password.trim())?
        .with_algorithm(SignatureAlgorithm::RsaSha1)?)
}

fn actor(name: &str) -> Result<ActorProfile, Error> {
    let text = std::fs::read_to_string(repo(&format!("examples/data/actors/{name}.json")))?;
    Ok(ActorProfile::from_json(&text)?)
}

/// The typed answer of an outcome, or an error that says what happened.
fn answer(step: &str, outcome: Outcome) -> Result<Response, Error> {
    println!(
        "   → {} after {} attempt(s)",
        outcome.kind(),
        outcome.attempts()
    );
    match outcome {
        Outcome::Accepted { response, .. } => {
            for line in response.render().lines() {
                println!("     {line}");
            }
            Ok(response)
        }
        Outcome::Refused { error, .. } => Err(format!("{step}: the DMP refused: {error}").into()),
        Outcome::FailedBeforeSending { reason, .. } | Outcome::Unknown { reason, .. } => {
            Err(format!("{step}: {reason}").into())
        }
    }
}

fn main() -> Result<(), Error> {
    // 0. The local DMP, fresh for each run.
    let data = repo("target/feed_dlu/sandbox");
    let _ = std::fs::remove_dir_all(&data);
    let sandbox = Sandbox::start(SandboxConfig::embedded(data.clone()))?;
    let base = sandbox.base_url();
    println!("DMP sandbox at {base} (data in {})", data.display());
    let actors = repo("examples/data/actors");

    // The EHPAD, its TLS and signing certificates.
    let dir = repo("examples/data/feed");
    let text = std::fs::read_to_string(dir.join("dlu-profile.json"))?;
    let load = |p: &str| std::fs::read(dir.join(p)).map_err(|e| e.to_string());
    let mut request = FeedRequest::from_json_with_profile(&text, load)?;
    request.resolve(load)?;
    let ehpad_profile = actor("ehpad-etablissement")?;
    let ehpad = Session::new(
        ehpad_profile.clone(),
        &actors,
        identity("org-sign.p12")?,
        Some(&base),
    )?;
    let ins = request
        .documents
        .first()
        .and_then(|d| d.header.as_ref())
        .ok_or("the feed file has no document")?
        .patient
        .ins
        .clone();

    // 1. TD0.2: does she have a DMP, may the EHPAD feed it?
    println!(
        "\n1. TD0.2 — {} tests the DMP of INS {}",
        ehpad_profile.label.as_deref().unwrap_or("the EHPAD"),
        ins.matricule()
    );
    let status = ehpad.consult(&ConsultRequest {
        actor: ehpad_profile.clone(),
        consent: None,
        transaction: Transaction::Status { ins: ins.clone() },
    })?;
    answer("TD0.2", status)?;

    // 2. TD2.1: build (pure), keep the bytes, send.
    let now = Utc::now();
    let signer = ehpad.identity.signer_at(now, UsagePolicy::DmpSignature)?;
    let mut ctx = FeedContext {
        now: now.fixed_offset(),
        ids: IdGenerator::from_seed(now.timestamp_micros() as u64),
        signer: &signer,
        rights: None,
    };
    let built = feed::build(&request, &mut ctx)?;
    let out = repo("target/feed-dlu.mime");
    std::fs::write(&out, built.http.to_message())?;
    let cdas = built.cdas();
    let (uri, sent) = cdas.first().ok_or("nothing built")?;
    let unique_id = uri.trim_start_matches("urn:oid:").to_owned();
    println!(
        "\n2. TD2.1 — the DLU {unique_id} ({} bytes; request {} bytes, written to {})",
        sent.len(),
        built.http.body.len(),
        out.display()
    );
    answer("TD2.1", ehpad.send_built(&built.http))?;

    // 3. The médecin coordonnateur, with her CPS (test identity), searches and reads.
    let doctor_profile = actor("medecin-coordonnateur-cps")?;
    let doctor = Session::new(
        doctor_profile.clone(),
        &actors,
        identity("cps-sign.p12")?,
        Some(&base),
    )?;
    let consent = Some(Consent::care_team(Utc::now().fixed_offset()));
    println!(
        "\n3. TD3.1 — {} searches the DMP",
        doctor_profile.label.as_deref().unwrap_or("the médecin")
    );
    let search = doctor.consult(&ConsultRequest {
        actor: doctor_profile.clone(),
        consent: consent.clone(),
        transaction: Transaction::Search {
            ins: ins.clone(),
            query: StoredQuery::FindDocuments(FindDocuments::new(ins.clone())),
        },
    })?;
    let Response::Search(found) = answer("TD3.1", search)? else {
        return Err("TD3.1: not a search answer".into());
    };
    if !found.documents.iter().any(|d| d.unique_id == unique_id) {
        return Err(format!("TD3.1 does not list {unique_id}").into());
    }

    println!("\n   TD3.2 — she retrieves {unique_id}");
    let retrieve = doctor.consult(&ConsultRequest {
        actor: doctor_profile,
        consent,
        transaction: Transaction::Retrieve {
            ins,
            documents: vec![DocumentRequest::dmp(&unique_id)],
        },
    })?;
    let Response::Retrieve(got) = answer("TD3.2", retrieve)? else {
        return Err("TD3.2: not a retrieval answer".into());
    };

    // 4. The same bytes, end to end.
    let doc = got
        .documents
        .iter()
        .find(|d| d.document_unique_id == unique_id)
        .ok_or("TD3.2 did not return the DLU")?;
    if doc.bytes.as_ref() != *sent {
        return Err("the DLU retrieved differs from the DLU sent".into());
    }
    println!(
        "\n4. The {} bytes retrieved are the bytes sent. Page of the sandbox: `dmp sandbox serve --ui 127.0.0.1:8080`.",
        doc.bytes.len()
    );
    sandbox.stop();
    Ok(())
}

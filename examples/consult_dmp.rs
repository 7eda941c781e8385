//! Consulting the DMP from an EHPAD, on the embedded defaults (sample actors, test PKI, a
//! TD3.1 answer of our own): who may do what, with which keys, under which consent.
//!
//! `cargo run --example consult_dmp` writes the requests under `target/consult_dmp/`.

use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, Utc};
use dmp_core::actor::{ActorProfile, AuthMode};
use dmp_core::consent::Consent;
use dmp_core::consult::{self, ConsultRequest, EntryArgs, Response, Transaction};
use dmp_core::crypto::{CheckedSigner, SignatureAlgorithm, SigningIdentity, UsagePolicy};
use dmp_core::feed::{FeedContext, IdGenerator};
use dmp_core::habilitation::{Matrix, Outcome};
use dmp_core::ids::Ins;
use dmp_core::xds::{DocumentRequest, FindDocuments, StoredQuery};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn repo(rel: &str) -> PathBuf {
    Path::new(ROOT).join("..").join(rel)
}

fn actor(name: &str) -> Result<ActorProfile, Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(repo(&format!("examples/data/actors/{name}.json")))?;
    Ok(ActorProfile::from_json(&text)?)
}

fn signer(
    file: &str,
    now: DateTime<FixedOffset>,
) -> Result<CheckedSigner, Box<dyn std::error::Error>> {
    let p12 = std::fs::read(repo(&format!("examples/pki/{file}")))?;
    let password = std::fs::read_to_string(repo("examples/pki/PASSWORD"))?;
    Ok(SigningIdentity::from_pkcs12(&p12, password.trim())?
        .with_algorithm(SignatureAlgorithm::RsaSha1)?
        .signer_at(now.with_timezone(&Utc), UsagePolicy::DmpSignature)?)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let now: DateTime<FixedOffset> = "2026-11-20T15:00:00+01:00".parse()?;
    let out = repo("target/consult_dmp");
    std::fs::create_dir_all(&out)?;
    let ins = Ins::parse("245036912304502", "1.2.250.1.213.1.4.10")?;
    let seal = signer("org-sign.p12", now)?;
    let card = signer("cps-sign.p12", now)?;
    let search_response = std::fs::read(repo("examples/data/responses/search-dlu.response.xml"))?;

    let step = |title: &str, request: ConsultRequest, file: &str| {
        let signer = if request.actor.mode == AuthMode::Directe {
            &card
        } else {
            &seal
        };
        let mut ctx = FeedContext {
            now,
            ids: IdGenerator::from_seed(42),
            signer,
            rights: None,
        };
        let who = request.actor.label.clone().unwrap_or_default();
        println!("\n{title}\n  as {who}");
        match consult::build(&request, &mut ctx) {
            Ok(built) => {
                let path = out.join(file);
                std::fs::write(&path, built.http.to_message()).expect("target/ is writable");
                println!(
                    "  {} request to {} ({} bytes) → {}",
                    built.transaction,
                    built.http.path,
                    built.http.body.len(),
                    Path::new("target/consult_dmp").join(file).display()
                );
            }
            Err(e) => println!("  refused before sending: {e}"),
        }
    };

    let ehpad = actor("ehpad-etablissement")?;
    let doctor = actor("medecin-coordonnateur-cps")?;
    let nurse = actor("ide-ecps")?;
    step(
        "1. Does Mme LEFEBVRE have a DMP (TD0.2)? The establishment's certificates suffice.",
        ConsultRequest {
            actor: ehpad.clone(),
            consent: None,
            transaction: Transaction::Status { ins: ins.clone() },
        },
        "status.mime",
    );
    let find = Transaction::Search {
        ins: ins.clone(),
        query: StoredQuery::FindDocuments(FindDocuments::new(ins.clone())),
    };
    step(
        "2. The establishment tries to list her documents (TD3.1 metadata search).",
        ConsultRequest {
            actor: ehpad.clone(),
            consent: Some(Consent::care_team(now)),
            transaction: find.clone(),
        },
        "search-ehpad.mime",
    );
    step(
        "3. The médecin coordonnateur, with her CPS, forgets the consent.",
        ConsultRequest {
            actor: doctor.clone(),
            consent: None,
            transaction: find.clone(),
        },
        "search-no-consent.mime",
    );
    step(
        "4. The médecin coordonnateur, member of the care team (initial consent given).",
        ConsultRequest {
            actor: doctor.clone(),
            consent: Some(Consent::care_team("2026-01-05T10:00:00+01:00".parse()?)),
            transaction: find,
        },
        "search.mime",
    );

    // The DMP's answer (here our own sample): the documents, and which types the nurse's
    // profession may open according to the habilitation matrix (the DMP decides).
    let answer = consult::parse_message(&search_response)?;
    let matrix = Matrix::embedded()?;
    if let Response::Search(r) = &answer {
        println!(
            "\nThe DMP answered (TD3.1): {} document(s)",
            r.documents.len()
        );
        let decisions = answer.habilitation(&matrix, &nurse.reader());
        for (d, (_, decision)) in r.documents.iter().zip(&decisions) {
            println!(
                "  {}  {}  {}  nurse may open: {}",
                d.unique_id,
                d.type_code.as_ref().map_or("-", |c| c.code.as_str()),
                d.title.as_deref().unwrap_or(""),
                match decision.outcome {
                    Outcome::Allowed => "yes",
                    Outcome::Denied => "no",
                    Outcome::Unknown => "unknown (no cell in the matrix)",
                }
            );
        }
    }
    let first = match &answer {
        Response::Search(r) => r.documents.first().map(|d| d.unique_id.clone()),
        _ => None,
    }
    .ok_or("the sample answer has a document")?;

    step(
        "5. The nurse (e-CPS, AIR mode) opens the DLU with the usager's explicit consent (TD3.2).",
        ConsultRequest {
            actor: nurse,
            consent: Some(Consent::Explicit {
                given_at: now,
                collected_by: None,
                withdrawn: false,
            }),
            transaction: Transaction::Retrieve {
                ins: ins.clone(),
                documents: vec![DocumentRequest::dmp(first.clone())],
            },
        },
        "retrieve.mime",
    );
    let mut entry = EntryArgs {
        ins: ins.clone(),
        unique_id: first,
        content_type_code: None,
        entry: None,
    };
    entry.resolve(&search_response)?;
    step(
        "6. The médecin coordonnateur masks the DLU to professionals (TD3.3a).",
        ConsultRequest {
            actor: doctor,
            consent: None,
            transaction: Transaction::Mask(entry.clone()),
        },
        "mask.mime",
    );
    step(
        "7. The establishment deletes the DLU it sent itself (TD3.3c).",
        ConsultRequest {
            actor: ehpad,
            consent: None,
            transaction: Transaction::Delete(entry),
        },
        "delete.mime",
    );
    Ok(())
}

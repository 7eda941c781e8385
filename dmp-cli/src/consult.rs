//! `dmp request KIND …` (build a consultation or management request) and `dmp response FILE`
//! (read any answer of the DMP). Argument parsing and printing only.

use std::path::Path;

use chrono::{DateTime, Utc};
use dmp_core::actor::{ActorProfile, Environment};
use dmp_core::authorization::{AuthorizationAction, DateType};
use dmp_core::consent::Consent;
use dmp_core::consult::{self, ConsultRequest, EntryArgs, Response, Transaction};
use dmp_core::feed::{FeedContext, IdGenerator};
use dmp_core::ids::{Ins, InsSystem};
use dmp_core::xds::{
    CodeFilter, DocumentRef, DocumentRequest, DocumentStatus, FindDocuments, FindSubmissionSets,
    StoredQuery, SubmissionSetRef,
};

use crate::cli::{
    AuthorizeArgs, AuthorizedListArgs, EntryOpts, EntryRequest, GetArgs, RequestCommand,
    ResponseArgs, SearchArgs, VisibilityArgs,
};
use crate::{
    clock_and_seed, dump, enum_arg, in_file, parse_time, read_bytes, read_file, signer_from,
    to_json, usage, write_file, Fail,
};

/// `dmp request KIND …`: builds (and with `--send`, sends) the request of that kind.
pub(crate) fn request(command: &RequestCommand) -> Result<String, Fail> {
    let (kind, common) = match command {
        RequestCommand::Status(c) => ("status", c),
        RequestCommand::Search(a) => ("search", &a.common),
        RequestCommand::Get(a) => ("get", &a.common),
        RequestCommand::Mask(a) => ("mask", &a.common),
        RequestCommand::Unmask(a) => ("unmask", &a.common),
        RequestCommand::Visibility(a) => ("visibility", &a.common),
        RequestCommand::Archive(a) => ("archive", &a.common),
        RequestCommand::Unarchive(a) => ("unarchive", &a.common),
        RequestCommand::Delete(a) => ("delete", &a.common),
        RequestCommand::Authorize(a) => ("authorize", &a.common),
        RequestCommand::AuthorizedList(a) => ("authorized-list", &a.common),
    };
    let actor_path = &common.actor;
    let actor = ActorProfile::from_json(&read_file(actor_path)?).map_err(in_file(actor_path))?;
    let (now, seed, random) = clock_and_seed(&common.clock)?;
    let ins = ins_arg(&common.ins, actor.environment)?;
    let entry = |e: &EntryRequest| entry_args(&e.entry, ins.clone());
    let mut transaction = match command {
        RequestCommand::Status(_) => Transaction::Status { ins },
        RequestCommand::Search(a) => search(a, ins)?,
        RequestCommand::Get(a) => retrieve(a, ins),
        RequestCommand::Mask(e) => Transaction::Mask(entry(e)),
        RequestCommand::Unmask(e) => Transaction::Unmask(entry(e)),
        RequestCommand::Archive(e) => Transaction::Archive(entry(e)),
        RequestCommand::Unarchive(e) => Transaction::Unarchive(entry(e)),
        RequestCommand::Delete(e) => Transaction::Delete(entry(e)),
        RequestCommand::Visibility(a) => visibility(a, ins),
        RequestCommand::Authorize(a) => authorize(a, ins)?,
        RequestCommand::AuthorizedList(a) => authorized_list(a, ins)?,
    };
    let search_response = match command {
        RequestCommand::Mask(e)
        | RequestCommand::Unmask(e)
        | RequestCommand::Archive(e)
        | RequestCommand::Unarchive(e)
        | RequestCommand::Delete(e) => Some(&e.entry.search_response),
        RequestCommand::Visibility(a) => Some(&a.entry.search_response),
        _ => None,
    };
    if let (Some(args), Some(path)) = (transaction.entry_args_mut(), search_response) {
        args.resolve(&read_bytes(path)?).map_err(in_file(path))?;
    }
    let consent = match &common.consent {
        Some(c) => Some(consent_arg(c, now.with_timezone(&Utc))?),
        None => None,
    };
    let request = ConsultRequest {
        actor,
        consent,
        transaction,
    };
    let (identity, signer) = signer_from(&common.signer, "request", now)?;
    let mut ctx = FeedContext {
        now,
        ids: IdGenerator::from_seed(seed),
        signer: &signer,
        rights: None,
    };
    let built = consult::build(&request, &mut ctx)?;
    write_file(&common.output, &built.http.to_message())?;
    if let Some(dir) = &common.dump {
        dump(
            dir,
            &[
                ("envelope.xml".to_owned(), &built.envelope[..]),
                ("body.xml".to_owned(), &built.body[..]),
                ("vihf.xml".to_owned(), &built.vihf[..]),
            ],
        )?;
    }
    let out = common.output.display();
    let info = serde_json::json!({
        "output": out.to_string(),
        "transaction": built.transaction.to_string(),
        "kind": kind,
        "path": built.http.path,
        "bytes": built.http.body.len(),
        "message_id": built.message_id,
        "at": now.to_rfc3339(),
        "seed": seed,
        "random_seed": random,
    });
    let mut s = format!(
        "{out}: {} {kind} request to {} ({} bytes), MessageID {}\n",
        built.transaction,
        built.http.path,
        built.http.body.len(),
        built.message_id
    );
    s += &format!("at {}, seed {seed}", now.to_rfc3339());
    s += if random { " (random)\n" } else { "\n" };
    if common.send.send {
        let built_info = if common.json {
            Some(info)
        } else {
            crate::out_text(&s);
            None
        };
        let how = crate::send::How {
            json: common.json,
            extract: common.send.extract.as_deref(),
            endpoint: common.send.endpoint.as_deref(),
            reader: Some(actor_path),
            built: built_info,
        };
        return crate::send::deliver(&how, &built.http, request.actor, actor_path, Some(identity));
    }
    if common.json {
        return to_json(&info);
    }
    Ok(s)
}

fn search(a: &SearchArgs, ins: Ins) -> Result<Transaction, Fail> {
    Ok(match reference_query(a)? {
        Some(query @ StoredQuery::GetDocuments { .. }) => Transaction::Reference { ins, query },
        Some(query) => Transaction::Search { ins, query },
        None => {
            let query = search_query(a, &ins)?;
            Transaction::Search { ins, query }
        }
    })
}

fn retrieve(a: &GetArgs, ins: Ins) -> Transaction {
    Transaction::Retrieve {
        ins,
        documents: a
            .unique_id
            .iter()
            .map(|u| {
                let mut d = DocumentRequest::dmp(u);
                if let Some(r) = &a.repository {
                    d.repository_unique_id = r.clone();
                }
                d
            })
            .collect(),
    }
}

fn visibility(a: &VisibilityArgs, ins: Ins) -> Transaction {
    let visible = |v: &Option<String>| v.as_deref().map(|v| v == "visible");
    Transaction::Visibility {
        entry: entry_args(&a.entry, ins),
        patient: visible(&a.to.patient),
        legal_representatives: visible(&a.to.legal_representatives),
    }
}

fn authorize(a: &AuthorizeArgs, ins: Ins) -> Result<Transaction, Fail> {
    Ok(Transaction::Authorize {
        ins,
        action: enum_arg::<AuthorizationAction>("--action", &a.action)?,
    })
}

fn authorized_list(a: &AuthorizedListArgs, ins: Ins) -> Result<Transaction, Fail> {
    Ok(Transaction::AuthorizedList {
        ins,
        since: time_arg("--since", &a.since)?,
        date_type: enum_arg::<DateType>("--date-type", &a.date_type)?,
    })
}

pub(crate) fn ins_arg(v: &str, environment: Environment) -> Result<Ins, Fail> {
    let ins = if v.contains('^') {
        Ins::from_cx(v)
    } else {
        // A bare matricule: the test NIR OID on a test platform, the production NIR otherwise.
        let system = match environment {
            Environment::Test => InsSystem::ALL
                .into_iter()
                .find(|s| s.is_test())
                .unwrap_or(InsSystem::ALL[0]),
            Environment::Production => InsSystem::ALL[0],
        };
        Ins::parse(v, system.oid())
    };
    ins.map_err(|e| Fail(format!("--ins {v}: {e}"), 1))
}

fn time_arg(name: &str, t: &str) -> Result<DateTime<Utc>, Fail> {
    Ok(parse_time(name, t)?.with_timezone(&Utc))
}

fn time_opt(name: &str, t: &Option<String>) -> Result<Option<DateTime<Utc>>, Fail> {
    t.as_deref().map(|t| time_arg(name, t)).transpose()
}

fn codes(name: &str, values: &[String]) -> Result<Vec<CodeFilter>, Fail> {
    values
        .iter()
        .map(|v| {
            let (code, scheme) = v.split_once('^').ok_or_else(|| {
                usage(format!(
                    "{name} {v}: give CODE^SCHEME, e.g. 11490-0^2.16.840.1.113883.6.1"
                ))
            })?;
            Ok(CodeFilter {
                code: code.to_owned(),
                scheme: scheme.to_owned(),
            })
        })
        .collect()
}

fn search_query(a: &SearchArgs, ins: &Ins) -> Result<StoredQuery, Fail> {
    let statuses = a
        .status
        .iter()
        .map(|s| match DocumentStatus::from_name(s) {
            DocumentStatus::Other(_) => Err(usage(format!(
                "--status {s}: approved, deprecated, archived or deleted"
            ))),
            known => Ok(known),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let submitted = (
        time_opt("--submitted-from", &a.submitted_from)?,
        time_opt("--submitted-to", &a.submitted_to)?,
    );
    if submitted.0.is_some() || submitted.1.is_some() {
        return Ok(StoredQuery::FindSubmissionSets(FindSubmissionSets {
            patient: ins.clone(),
            submission_time_from: submitted.0,
            submission_time_to: submitted.1,
            statuses: if statuses.is_empty() {
                vec![DocumentStatus::Approved]
            } else {
                statuses
            },
        }));
    }
    let mut q = FindDocuments::new(ins.clone());
    if !statuses.is_empty() {
        q.statuses = statuses;
    }
    q.type_codes = codes("--type", &a.type_code)?;
    q.class_codes = codes("--class", &a.class)?;
    q.format_codes = codes("--format", &a.format)?;
    q.practice_setting_codes = codes("--practice", &a.practice)?;
    q.healthcare_facility_type_codes = codes("--facility", &a.facility)?;
    q.confidentiality_codes = codes("--confidentiality", &a.confidentiality)?;
    q.creation_time_from = time_opt("--created-from", &a.created_from)?;
    q.creation_time_to = time_opt("--created-to", &a.created_to)?;
    q.service_start_time_from = time_opt("--service-from", &a.service_from)?;
    q.service_stop_time_to = time_opt("--service-to", &a.service_to)?;
    q.author_persons = a.author.clone();
    Ok(StoredQuery::FindDocuments(q))
}

/// `search --unique-id UID… | --entry-uuid UUID…` (GetDocuments: a reference search, no
/// consent needed) or `search --submission-set UID|urn:uuid:…` (GetSubmissionSetAndContents).
fn reference_query(a: &SearchArgs) -> Result<Option<StoredQuery>, Fail> {
    let by = match (&a.unique_id[..], &a.entry_uuid[..], &a.submission_set) {
        ([], [], None) => return Ok(None),
        (uids, [], None) if !uids.is_empty() => DocumentRef::UniqueIds(uids.to_vec()),
        ([], uuids, None) if !uuids.is_empty() => DocumentRef::EntryUuids(uuids.to_vec()),
        ([], [], Some(s)) => {
            let by = if s.starts_with("urn:uuid:") {
                SubmissionSetRef::EntryUuid(s.to_owned())
            } else {
                SubmissionSetRef::UniqueId(s.to_owned())
            };
            return Ok(Some(StoredQuery::GetSubmissionSetAndContents {
                by,
                home_community_id: None,
            }));
        }
        _ => {
            return Err(usage(
                "search takes one of --unique-id UID, --entry-uuid urn:uuid:… (repeatable) or \
                 --submission-set UID",
            ))
        }
    };
    Ok(Some(StoredQuery::GetDocuments {
        by,
        home_community_id: None,
    }))
}

fn entry_args(e: &EntryOpts, ins: Ins) -> EntryArgs {
    EntryArgs {
        ins,
        unique_id: e.unique_id.clone(),
        content_type_code: None,
        entry: None,
    }
}

/// `--consent care-team|explicit|emergency|testing-override|FILE.json`: the shortcuts say the
/// consent was collected now (care team: initial consent given, informed, no objection).
fn consent_arg(v: &str, now: DateTime<Utc>) -> Result<Consent, Fail> {
    let now = now.fixed_offset();
    Ok(match v {
        "care-team" => Consent::care_team(now),
        "explicit" => Consent::Explicit {
            given_at: now,
            collected_by: None,
            withdrawn: false,
        },
        "emergency" => Consent::Emergency {
            usager_objected: false,
        },
        "testing-override" => Consent::TestingOverride {
            reason: "dmp request --consent testing-override".to_owned(),
        },
        path if Path::new(path).is_file() => {
            let path = Path::new(path);
            dmp_core::json::from_str(&read_file(path)?).map_err(in_file(path))?
        }
        other => {
            return Err(usage(format!(
                "--consent {other}: care-team, explicit, emergency, testing-override or a JSON \
                 file (the consent key of docs/schema/consult-request.schema.json)"
            )))
        }
    })
}

pub(crate) fn response(a: &ResponseArgs) -> Result<String, Fail> {
    let path = &a.file;
    let response = consult::parse_message(&read_bytes(path)?).map_err(in_file(path))?;
    show(
        &response,
        a.answer.json,
        a.answer.extract.as_deref(),
        a.actor.as_deref(),
        &path.display().to_string(),
    )
}

/// Prints a DMP answer as `dmp response` does (`--json`, `--extract DIR`, `--actor ACTOR.json`
/// for the reader's habilitation); an answer that is a DMP error or fault is exit status 1,
/// after the answer is printed. `source` names where the answer came from.
pub(crate) fn show(
    response: &Response,
    json: bool,
    extract_to: Option<&Path>,
    reader: Option<&Path>,
    source: &str,
) -> Result<String, Fail> {
    if let Some(dir) = extract_to {
        extract(response, dir)?;
    }
    // With --actor: whether that reader's profession may open each document's type (the
    // habilitation matrix explains; the DMP decides).
    let reader = match reader {
        Some(path) => Some((
            dmp_core::habilitation::Matrix::embedded()?,
            ActorProfile::from_json(&read_file(path)?)
                .map_err(in_file(path))?
                .reader(),
        )),
        None => None,
    };
    let out = match (&reader, json) {
        (Some((m, r)), true) => to_json(&response.to_json_for_reader(m, r))?,
        (None, true) => to_json(&response.to_json())?,
        (Some((m, r)), false) => {
            let mut s = response.render();
            for (uuid, d) in response.habilitation(m, r) {
                s += &format!(
                    "  {uuid}: {} — {}\n",
                    match d.outcome {
                        dmp_core::habilitation::Outcome::Allowed => "may open",
                        dmp_core::habilitation::Outcome::Denied => "may not open",
                        dmp_core::habilitation::Outcome::Unknown => "unknown",
                    },
                    d.reason
                );
            }
            s
        }
        (None, false) => response.render(),
    };
    match response.error() {
        None => Ok(out),
        Some(e) => {
            crate::out_text(&out);
            Err(Fail(
                format!("{source}: the DMP answered with an error: {e}"),
                1,
            ))
        }
    }
}

fn extract(response: &Response, dir: &Path) -> Result<(), Fail> {
    let Response::Retrieve(r) = response else {
        return Ok(());
    };
    std::fs::create_dir_all(dir)
        .map_err(|e| Fail(format!("cannot create {}: {e}", dir.display()), 1))?;
    for (i, d) in r.documents.iter().enumerate() {
        let base = dir.join(format!("document-{}", i + 1));
        write_file(&base.with_extension("xml"), &d.bytes)?;
        if let Ok(Some(body)) = d.n1_body() {
            let ext = body.media_type.extension();
            write_file(&base.with_extension(ext), &body.data)?;
        }
    }
    Ok(())
}

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

use crate::{
    clock_and_seed, dump, enum_arg, parse_time, read_file, signer_from, to_json, usage, write_file,
    Fail, Opts,
};

/// The kinds of `dmp request`, as the CLI names them.
pub(crate) const KINDS: &str = "status, search, get (or retrieve), mask, unmask, visibility, \
                                archive, unarchive, delete, authorize, authorized-list";

pub(crate) fn request(args: &[String]) -> Result<String, Fail> {
    let (kind, rest) = args
        .split_first()
        .ok_or_else(|| usage(format!("request needs a kind: {KINDS}")))?;
    let o = Opts::parse(
        rest,
        &crate::send::SEND_FLAGS,
        &[
            "--endpoint",
            "--extract",
            "--actor",
            "--ins",
            "--consent",
            "-o",
            "--output",
            "--at",
            "--seed",
            "--p12",
            "--password-env",
            "--type",
            "--class",
            "--format",
            "--practice",
            "--facility",
            "--confidentiality",
            "--status",
            "--created-from",
            "--created-to",
            "--service-from",
            "--service-to",
            "--submitted-from",
            "--submitted-to",
            "--author",
            "--unique-id",
            "--entry-uuid",
            "--repository",
            "--search-response",
            "--patient",
            "--legal-representatives",
            "--action",
            "--since",
            "--date-type",
            "--dump",
            "--submission-set",
        ],
    )?;
    if !o.positional.is_empty() {
        return Err(usage(format!(
            "request {kind}: unexpected argument {}",
            o.positional[0]
        )));
    }
    let actor_path = o
        .value("--actor")
        .ok_or_else(|| usage("request needs --actor ACTOR.json"))?;
    let actor = ActorProfile::from_json(&read_file(actor_path)?)?;
    let out = o
        .value("-o")
        .or_else(|| o.value("--output"))
        .ok_or_else(|| usage("request needs -o REQUEST.mime"))?;
    let (now, seed, random) = clock_and_seed(&o)?;
    let ins = || ins_arg(&o, actor.environment);
    let mut transaction = match kind.as_str() {
        "status" => Transaction::Status { ins: ins()? },
        "search" => {
            let ins = ins()?;
            match reference_query(&o)? {
                Some(query @ StoredQuery::GetDocuments { .. }) => {
                    Transaction::Reference { ins, query }
                }
                Some(query) => Transaction::Search { ins, query },
                None => {
                    let query = search_query(&o, &ins)?;
                    Transaction::Search { ins, query }
                }
            }
        }
        "get" | "retrieve" => {
            let ids: Vec<&str> = o.all("--unique-id").collect();
            if ids.is_empty() {
                return Err(usage(format!(
                    "request {kind} needs --unique-id UID (repeatable)"
                )));
            }
            let repository = o.value("--repository");
            Transaction::Retrieve {
                ins: ins()?,
                documents: ids
                    .into_iter()
                    .map(|u| {
                        let mut d = DocumentRequest::dmp(u);
                        if let Some(r) = repository {
                            d.repository_unique_id = r.to_owned();
                        }
                        d
                    })
                    .collect(),
            }
        }
        "mask" => Transaction::Mask(entry_args(&o, ins()?)?),
        "unmask" => Transaction::Unmask(entry_args(&o, ins()?)?),
        "archive" => Transaction::Archive(entry_args(&o, ins()?)?),
        "unarchive" => Transaction::Unarchive(entry_args(&o, ins()?)?),
        "delete" => Transaction::Delete(entry_args(&o, ins()?)?),
        "visibility" => {
            let patient = visible_arg(&o, "--patient")?;
            let legal_representatives = visible_arg(&o, "--legal-representatives")?;
            if patient.is_none() && legal_representatives.is_none() {
                return Err(usage(
                    "request visibility needs --patient visible|invisible and/or \
                     --legal-representatives visible|invisible",
                ));
            }
            Transaction::Visibility {
                entry: entry_args(&o, ins()?)?,
                patient,
                legal_representatives,
            }
        }
        "authorize" => Transaction::Authorize {
            ins: ins()?,
            action: match o.value("--action") {
                Some(a) => enum_arg::<AuthorizationAction>("--action", a)?,
                None => AuthorizationAction::Add,
            },
        },
        "authorized-list" => Transaction::AuthorizedList {
            ins: ins()?,
            since: time_arg(&o, "--since")?
                .ok_or_else(|| usage("request authorized-list needs --since RFC3339"))?,
            date_type: match o.value("--date-type") {
                Some(d) => enum_arg::<DateType>("--date-type", d)?,
                None => DateType::LastDoc,
            },
        },
        other => {
            return Err(usage(format!(
                "unknown request kind `{other}`: one of {KINDS}"
            )))
        }
    };
    if let Some(args) = transaction.entry_args_mut() {
        let path = o.value("--search-response").ok_or_else(|| {
            usage(format!(
                "request {kind} needs --search-response FILE: a TD3.1 response holding the \
                 document's current metadata (dmp request search --unique-id UID, sent to the \
                 DMP)"
            ))
        })?;
        let bytes = std::fs::read(path).map_err(|e| Fail(format!("cannot read {path}: {e}"), 1))?;
        args.resolve(&bytes)?;
    }
    let consent = match o.value("--consent") {
        Some(c) => Some(consent_arg(c, now.with_timezone(&Utc))?),
        None => None,
    };
    let request = ConsultRequest {
        actor,
        consent,
        transaction,
    };
    let (identity, signer) = signer_from(&o, "request", now)?;
    let mut ctx = FeedContext {
        now,
        ids: IdGenerator::from_seed(seed),
        signer: &signer,
    };
    let built = consult::build(&request, &mut ctx)?;
    write_file(out, &built.http.to_message())?;
    if let Some(dir) = o.value("--dump") {
        dump(
            dir,
            &[
                ("envelope.xml".to_owned(), &built.envelope[..]),
                ("body.xml".to_owned(), &built.body[..]),
                ("vihf.xml".to_owned(), &built.vihf[..]),
            ],
        )?;
    }
    let mut s = format!(
        "{out}: {} {} request to {} ({} bytes), MessageID {}\n",
        built.transaction,
        kind,
        built.http.path,
        built.http.body.len(),
        built.message_id
    );
    s += &format!("at {}, seed {seed}", now.to_rfc3339());
    s += if random { " (random)\n" } else { "\n" };
    if o.flag("--send") {
        crate::out_text(&s);
        return crate::send::deliver(&o, &built.http, request.actor, actor_path, Some(identity));
    }
    Ok(s)
}

fn ins_arg(o: &Opts, environment: Environment) -> Result<Ins, Fail> {
    let v = o
        .value("--ins")
        .ok_or_else(|| usage("this request needs --ins INS (matricule, or its CX form)"))?;
    if v.contains('^') {
        return Ok(Ins::from_cx(v)?);
    }
    // A bare matricule: the test NIR OID on a test platform, the production NIR otherwise.
    let system = match environment {
        Environment::Test => InsSystem::ALL
            .into_iter()
            .find(|s| s.is_test())
            .unwrap_or(InsSystem::ALL[0]),
        Environment::Production => InsSystem::ALL[0],
    };
    Ok(Ins::parse(v, system.oid())?)
}

fn time_arg(o: &Opts, name: &str) -> Result<Option<DateTime<Utc>>, Fail> {
    o.value(name)
        .map(|t| {
            parse_time(t)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| usage(format!("{name} {t}: not an RFC 3339 time")))
        })
        .transpose()
}

fn codes(o: &Opts, name: &str) -> Result<Vec<CodeFilter>, Fail> {
    o.all(name)
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

fn search_query(o: &Opts, ins: &Ins) -> Result<StoredQuery, Fail> {
    let statuses = o
        .all("--status")
        .map(|s| match DocumentStatus::from_name(s) {
            DocumentStatus::Other(_) => Err(usage(format!(
                "--status {s}: approved, deprecated, archived or deleted"
            ))),
            known => Ok(known),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let submitted = (
        time_arg(o, "--submitted-from")?,
        time_arg(o, "--submitted-to")?,
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
    q.type_codes = codes(o, "--type")?;
    q.class_codes = codes(o, "--class")?;
    q.format_codes = codes(o, "--format")?;
    q.practice_setting_codes = codes(o, "--practice")?;
    q.healthcare_facility_type_codes = codes(o, "--facility")?;
    q.confidentiality_codes = codes(o, "--confidentiality")?;
    q.creation_time_from = time_arg(o, "--created-from")?;
    q.creation_time_to = time_arg(o, "--created-to")?;
    q.service_start_time_from = time_arg(o, "--service-from")?;
    q.service_stop_time_to = time_arg(o, "--service-to")?;
    q.author_persons = o.all("--author").map(str::to_owned).collect();
    Ok(StoredQuery::FindDocuments(q))
}

/// `search --unique-id UID… | --entry-uuid UUID…` (GetDocuments: a reference search, no
/// consent needed) or `search --submission-set UID|urn:uuid:…` (GetSubmissionSetAndContents).
fn reference_query(o: &Opts) -> Result<Option<StoredQuery>, Fail> {
    let uids: Vec<String> = o.all("--unique-id").map(str::to_owned).collect();
    let uuids: Vec<String> = o.all("--entry-uuid").map(str::to_owned).collect();
    let set = o.value("--submission-set");
    let by = match (uids.is_empty(), uuids.is_empty(), set) {
        (true, true, None) => return Ok(None),
        (false, true, None) => DocumentRef::UniqueIds(uids),
        (true, false, None) => DocumentRef::EntryUuids(uuids),
        (true, true, Some(s)) => {
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

fn entry_args(o: &Opts, ins: Ins) -> Result<EntryArgs, Fail> {
    let unique_id = o
        .value("--unique-id")
        .ok_or_else(|| usage("this request needs --unique-id UID (the document's uniqueId)"))?;
    Ok(EntryArgs {
        ins,
        unique_id: unique_id.to_owned(),
        content_type_code: None,
        entry: None,
    })
}

fn visible_arg(o: &Opts, name: &str) -> Result<Option<bool>, Fail> {
    o.value(name)
        .map(|v| match v {
            "visible" => Ok(true),
            "invisible" => Ok(false),
            other => Err(usage(format!("{name} {other}: visible or invisible"))),
        })
        .transpose()
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
        path if Path::new(path).is_file() => dmp_core::json::from_str(&read_file(path)?)?,
        other => {
            return Err(usage(format!(
                "--consent {other}: care-team, explicit, emergency, testing-override or a JSON \
                 file (the consent key of docs/schema/consult-request.schema.json)"
            )))
        }
    })
}

pub(crate) fn response(args: &[String]) -> Result<String, Fail> {
    let o = Opts::parse(args, &["--json"], &["--extract", "--actor"])?;
    let [path] = o.positional.as_slice() else {
        return Err(usage(
            "response takes one FILE (an HTTP response: headers, blank line, body)",
        ));
    };
    let bytes = std::fs::read(path).map_err(|e| Fail(format!("cannot read {path}: {e}"), 1))?;
    let response = consult::parse_message(&bytes)?;
    show(&response, &o, path)
}

/// Prints a DMP answer as `dmp response` does (`--json`, `--extract DIR`, `--actor ACTOR.json`
/// for the reader's habilitation); an answer that is a DMP error or fault is exit status 1,
/// after the answer is printed. `source` names where the answer came from.
pub(crate) fn show(response: &Response, o: &Opts, source: &str) -> Result<String, Fail> {
    if let Some(dir) = o.value("--extract") {
        extract(response, dir)?;
    }
    // With --actor: whether that reader's profession may open each document's type (the
    // habilitation matrix explains; the DMP decides).
    let reader = match o.value("--actor") {
        Some(path) => Some((
            dmp_core::habilitation::Matrix::embedded()?,
            ActorProfile::from_json(&read_file(path)?)?.reader(),
        )),
        None => None,
    };
    let out = match (&reader, o.flag("--json")) {
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

fn extract(response: &Response, dir: &str) -> Result<(), Fail> {
    let Response::Retrieve(r) = response else {
        return Ok(());
    };
    std::fs::create_dir_all(dir).map_err(|e| Fail(format!("cannot create {dir}: {e}"), 1))?;
    for (i, d) in r.documents.iter().enumerate() {
        let base = Path::new(dir).join(format!("document-{}", i + 1));
        write_file(&format!("{}.xml", base.display()), &d.bytes)?;
        if let Ok(Some(body)) = d.n1_body() {
            let ext = body.media_type.extension();
            write_file(&format!("{}.{ext}", base.display()), &body.data)?;
        }
    }
    Ok(())
}

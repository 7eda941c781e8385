//! `dmp journal …`: the establishment's journal (`dmp-journal`) from the command line. Which
//! journal and which key, argument reading and printing only: the outbox, the consent
//! register and the facts are the journal's.

use std::path::Path;

use chrono::{DateTime, FixedOffset, Utc};
use dmp_core::actor::Environment;
use dmp_core::consent::ConsentRecord;
use dmp_core::consult::{ConsultRequest, Transaction};
use dmp_core::ids::Ins;
use dmp_core::pilotage::{Facts, UsagerEventKind};
use dmp_core::xds::{DocumentRequest, FindDocuments, StoredQuery};
use dmp_journal::{
    DepositOptions, Enqueued, EstablishmentKey, FlushReport, Journal, JournalError, PostgresStore,
    SqliteStore, Store,
};

use crate::cli::{
    JournalCommand, JournalConsentArgs, JournalConsultArgs, JournalDepositArgs, JournalEventArgs,
    JournalFactsArgs, JournalFlushArgs, JournalOpts, JournalRegisterArgs, JournalStatusArgs,
    JournalUsagerArgs, KeyOpts, UsagerOpts,
};
use crate::consult::ins_arg;
use crate::{enum_arg, in_file, parse_time, read_file, to_json, usage, write_file, Fail};

/// How to make an establishment key, for the messages that ask for one.
const MAKE_KEY: &str = "make one with `head -c 32 /dev/urandom > establishment.key` and keep it \
                        as any other secret";

/// The journal's backend, opened (made once per command: the size of a variant does not
/// matter).
#[allow(clippy::large_enum_variant)]
enum Opened {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

/// Runs `$body` with `$store` bound to the opened store, whichever the backend.
macro_rules! on_store {
    ($opened:expr, |$store:ident| $body:expr) => {
        match $opened {
            Opened::Sqlite($store) => $body,
            Opened::Postgres($store) => $body,
        }
    };
}

/// `dmp journal …`.
pub(crate) fn run(command: &JournalCommand) -> Result<String, Fail> {
    match command {
        JournalCommand::Deposit(a) => {
            let key = key(&a.key)?;
            on_store!(open(&a.journal)?, |s| deposit(&Journal::new(s, key), a))
        }
        JournalCommand::Flush(a) => {
            let key = key(&a.key)?;
            on_store!(open(&a.journal)?, |s| flush(Journal::new(s, key), a))
        }
        JournalCommand::Status(a) => on_store!(open(&a.journal)?, |s| status(&s, a)),
        JournalCommand::Consent(a) => {
            let key = key(&a.key)?;
            on_store!(open(&a.journal)?, |s| consent(&Journal::new(s, key), a))
        }
        JournalCommand::Consult(a) => {
            let key = key(&a.key)?;
            on_store!(open(&a.journal)?, |s| consult(&Journal::new(s, key), a))
        }
        JournalCommand::Event(a) => {
            let key = key(&a.key)?;
            on_store!(open(&a.journal)?, |s| event(&Journal::new(s, key), a))
        }
        JournalCommand::RegisterUsager(a) => {
            let key = key(&a.key)?;
            on_store!(open(&a.journal)?, |s| register(&Journal::new(s, key), a))
        }
        JournalCommand::Export(a) => {
            let key = key(&a.key)?;
            on_store!(open(&a.journal)?, |s| export(&Journal::new(s, key), a))
        }
        JournalCommand::Facts(a) => on_store!(open(&a.journal)?, |s| facts(&s, a)),
    }
}

/// Every fact of the journal of `--journal FILE|URL [--establishment ID]` (`dmp due` and
/// `dmp indicators --journal`): no key needed, the journal holds pseudonyms.
pub(crate) fn all_facts(o: &JournalOpts) -> Result<Facts, Fail> {
    let start = DateTime::<Utc>::MIN_UTC.fixed_offset();
    let end = DateTime::<Utc>::MAX_UTC.fixed_offset();
    on_store!(open(o)?, |s| dmp_journal::facts(&s, start, end)
        .map_err(fail))
}

/// The journal of `--journal FILE|URL [--establishment ID]`.
fn open(o: &JournalOpts) -> Result<Opened, Fail> {
    let postgres = o.journal.starts_with("postgres://") || o.journal.starts_with("postgresql://");
    match (postgres, &o.establishment) {
        (true, Some(id)) => PostgresStore::connect(&o.journal, id)
            .map(Opened::Postgres)
            .map_err(fail),
        (true, None) => Err(usage(
            "--journal postgres://…: give --establishment ID too (the establishment whose rows \
             to use, e.g. its FINESS)",
        )),
        (false, Some(_)) => Err(usage(
            "--establishment goes with a PostgreSQL journal (--journal postgres://…); a SQLite \
             file is one establishment's",
        )),
        (false, None) => SqliteStore::open(Path::new(&o.journal))
            .map(Opened::Sqlite)
            .map_err(fail),
    }
}

/// The establishment key of `--key-file FILE`.
fn key(o: &KeyOpts) -> Result<EstablishmentKey, Fail> {
    let path = o.key_file.display();
    let secret = std::fs::read(&o.key_file).map_err(|e| {
        Fail(
            format!("--key-file {path}: cannot read the establishment key ({e}); {MAKE_KEY}"),
            1,
        )
    })?;
    EstablishmentKey::new(&secret).map_err(|_| {
        Fail(
            format!(
                "--key-file {path}: the establishment key must be at least 32 bytes of random \
                 data, this file has {} bytes; {MAKE_KEY}",
                secret.len()
            ),
            1,
        )
    })
}

/// A journal error in the user's words (the store names its file or server).
fn fail(e: JournalError) -> Fail {
    Fail(e.to_string(), 1)
}

/// The INS of `--ins` (a bare matricule is of `--environment`'s NIR).
fn usager(o: &UsagerOpts) -> Result<Ins, Fail> {
    ins_arg(
        &o.ins,
        enum_arg::<Environment>("--environment", &o.environment)?,
    )
}

fn deposit<S: Store>(j: &Journal<S>, a: &JournalDepositArgs) -> Result<String, Fail> {
    let request = crate::feed_case(&a.case)?;
    let options = DepositOptions {
        keep_bytes: a.keep_bytes,
        author_role: a.author_role.clone(),
    };
    let done = j.deposit(&request, &options).map_err(|e| match e {
        JournalError::Invalid(e) => in_file(&a.case)(e),
        other => fail(other),
    })?;
    let unique_id = |i: usize| {
        request
            .documents
            .get(i)
            .and_then(|d| d.header.as_ref())
            .map_or(String::new(), |h| h.id.as_str().to_owned())
    };
    if a.json {
        let mut report = Enqueued::report_json(&done);
        if let Some(entries) = report["deposits"].as_array_mut() {
            for (i, v) in entries.iter_mut().enumerate() {
                v["unique_id"] = unique_id(i).into();
            }
        }
        return to_json(&report);
    }
    let mut out = String::new();
    for (i, e) in done.iter().enumerate() {
        out += &match e {
            Enqueued::New(id) => format!("deposit {id}: {} queued\n", unique_id(i)),
            Enqueued::Same(id) => format!(
                "deposit {id}: {} already journaled with the same content, nothing queued\n",
                unique_id(i)
            ),
            Enqueued::Superseding { id, old } => format!(
                "deposit {id}: {} queued, replaces deposit {old} (never sent)\n",
                unique_id(i)
            ),
        };
    }
    out += "not sent yet: dmp journal flush sends them\n";
    Ok(out)
}

fn flush<S: Store>(j: Journal<S>, a: &JournalFlushArgs) -> Result<String, Fail> {
    let session =
        crate::send::session_from(&a.actor, &a.signer, a.endpoint.as_deref(), "journal flush")?;
    let j = match &a.worker {
        Some(w) => j.with_worker(w),
        None => j,
    };
    let report = j.flush(&session).map_err(fail)?;
    let code = if !report.unknown.is_empty() {
        4
    } else if !report.queued.is_empty() || !report.waiting.is_empty() {
        3
    } else {
        0
    };
    let out = if a.json {
        let mut v = serde_json::to_value(&report).map_err(|e| Fail(e.to_string(), 1))?;
        if let serde_json::Value::Object(m) = &mut v {
            m.insert("settled".into(), report.is_settled().into());
        }
        to_json(&v)?
    } else {
        flush_text(&j, &report)?
    };
    if code == 0 {
        return Ok(out);
    }
    crate::out_text(&out);
    Err(Fail(
        if code == 4 {
            "some outcomes are unknown: the next flush asks the registry before anything is sent \
             again"
                .to_owned()
        } else {
            "some deposits are not sent yet: the next flush sends them".to_owned()
        },
        code,
    ))
}

/// The report in words, with each unsettled or refused deposit's reason.
fn flush_text<S: Store>(j: &Journal<S>, r: &FlushReport) -> Result<String, Fail> {
    let mut out = String::new();
    let groups: [(&str, &[i64]); 5] = [
        ("accepted", &r.accepted),
        ("refused", &r.refused),
        ("outcome unknown", &r.unknown),
        ("not sent", &r.queued),
        ("waiting", &r.waiting),
    ];
    for (name, ids) in groups {
        for id in ids {
            let d = j.deposit_state(*id).map_err(fail)?;
            out += &format!(
                "deposit {id}: {name}, {} version {}",
                d.unique_id, d.version
            );
            if let Some(code) = &d.code {
                out += &format!(" [{code}]");
            }
            if let Some(text) = &d.text {
                out += &format!(": {text}");
            }
            out += "\n";
        }
    }
    if out.is_empty() {
        out = "nothing to send\n".to_owned();
    }
    Ok(out)
}

fn status<S: Store>(store: &S, a: &JournalStatusArgs) -> Result<String, Fail> {
    let deposits = store.deposits().map_err(fail)?;
    if a.json {
        return to_json(&deposits);
    }
    let mut out = String::new();
    for d in &deposits {
        out += &format!(
            "{:>5} {:<10} {:<22} v{} {} ({} attempt(s), queued {})",
            d.id,
            d.state.name(),
            d.kind,
            d.version,
            d.unique_id,
            d.attempts,
            d.queued_at.to_rfc3339()
        );
        if let Some(code) = &d.code {
            out += &format!(" [{code}]");
        }
        if let Some(text) = &d.text {
            out += &format!(": {text}");
        }
        out += "\n";
    }
    out += &format!("{} deposit(s)\n", deposits.len());
    Ok(out)
}

fn consent<S: Store>(j: &Journal<S>, a: &JournalConsentArgs) -> Result<String, Fail> {
    let path = &a.record;
    let record: ConsentRecord =
        dmp_core::json::from_str(&read_file(path)?).map_err(in_file(path))?;
    let stored = j
        .record_consent(&usager(&a.usager)?, record)
        .map_err(|e| match e {
            JournalError::Invalid(e) => in_file(path)(e),
            other => fail(other),
        })?;
    if a.json {
        return to_json(&stored);
    }
    Ok(format!(
        "recorded: {}{} for {}, collected by {} at {}\n",
        if stored.withdrawal {
            "withdrawal of "
        } else {
            ""
        },
        stored.scope.name(),
        stored
            .professional
            .as_deref()
            .map_or("the care team".to_owned(), |p| format!("professional {p}")),
        stored.collected_by,
        stored.at.to_rfc3339()
    ))
}

fn consult<S: Store>(j: &Journal<S>, a: &JournalConsultArgs) -> Result<String, Fail> {
    let session = crate::send::session_from(
        &a.actor,
        &a.signer,
        a.endpoint.as_deref(),
        "journal consult",
    )?;
    let ins = ins_arg(&a.ins, session.profile.environment)?;
    let transaction = if a.unique_id.is_empty() {
        Transaction::Search {
            query: StoredQuery::FindDocuments(FindDocuments::new(ins.clone())),
            ins,
        }
    } else {
        Transaction::Retrieve {
            ins,
            documents: a.unique_id.iter().map(DocumentRequest::dmp).collect(),
        }
    };
    let request = ConsultRequest {
        actor: session.profile.clone(),
        consent: None,
        transaction,
    };
    let outcome = j
        .consult(&session, &request, a.care_team)
        .map_err(|e| match e {
            JournalError::Blocked(e) => Fail(
                format!("not sent (journaled as blocked): {e}; record what the usager said with dmp journal consent"),
                1,
            ),
            other => fail(other),
        })?;
    let how = crate::send::How {
        json: a.answer.json,
        extract: a.answer.extract.as_deref(),
        endpoint: None,
        reader: Some(&a.actor),
        built: None,
    };
    crate::send::print_outcome(&how, &outcome)
}

fn event<S: Store>(j: &Journal<S>, a: &JournalEventArgs) -> Result<String, Fail> {
    let kind: UsagerEventKind = enum_arg("--kind", &a.kind)?;
    let at = match &a.at {
        Some(t) => parse_time("--at", t)?,
        None => Utc::now().fixed_offset(),
    };
    j.record_event(&usager(&a.usager)?, kind, at)
        .map_err(fail)?;
    Ok(format!("recorded: {} at {}\n", a.kind, at.to_rfc3339()))
}

fn register<S: Store>(j: &Journal<S>, a: &JournalRegisterArgs) -> Result<String, Fail> {
    let pseudonym = j
        .register_usager(&usager(&a.usager)?, &a.label, &a.setting)
        .map_err(fail)?;
    Ok(format!(
        "registered: {} ({}), pseudonym {pseudonym}\n",
        a.label, a.setting
    ))
}

fn export<S: Store>(j: &Journal<S>, a: &JournalUsagerArgs) -> Result<String, Fail> {
    to_json(&j.export_usager(&usager(&a.usager)?).map_err(fail)?)
}

fn facts<S: Store>(store: &S, a: &JournalFactsArgs) -> Result<String, Fail> {
    let time = |name: &str, t: &Option<String>, default: DateTime<Utc>| {
        t.as_deref()
            .map_or(Ok(default.fixed_offset()), |t| parse_time(name, t))
    };
    let from: DateTime<FixedOffset> = time("--from", &a.from, DateTime::<Utc>::MIN_UTC)?;
    let to = time("--to", &a.to, DateTime::<Utc>::MAX_UTC)?;
    let facts = dmp_journal::facts(store, from, to).map_err(fail)?;
    let text = to_json(&facts)?;
    match &a.output {
        None => Ok(text),
        Some(path) => {
            write_file(path, text.as_bytes())?;
            Ok(format!(
                "{}: {} usager(s), {} deposit(s), {} consultation(s), {} event(s)\n",
                path.display(),
                facts.usagers.len(),
                facts.deposits.len(),
                facts.consultations.len(),
                facts.events.len()
            ))
        }
    }
}

//! `dmp due` and `dmp indicators`: the deposit plan and the pilotage indicators over the facts
//! a journal exported. Reading the inputs and printing; every rule is in
//! `dmp_core::pilotage`.

use std::path::Path;

use chrono::{DateTime, FixedOffset, NaiveDate};
use dmp_core::pilotage::plan::{event_name, kind_name};
use dmp_core::pilotage::{
    due as plan_due, report, Coverage, Due, DueStatus, Facts, IndicatorOptions, Indicators, Plan,
    Reason, Span,
};

use crate::cli::{DueArgs, FactsOpts, IndicatorsArgs, JournalOpts};
use crate::{in_file, now_seconds, parse_time, read_file, to_json, usage, write_file, Fail};

/// The facts to answer from: the journal's (`--journal`) or a file of them (`--facts`);
/// everything below takes a `Facts`.
fn load_facts(o: &FactsOpts) -> Result<Facts, Fail> {
    match (&o.journal, &o.facts) {
        (Some(journal), _) => crate::journal::all_facts(&JournalOpts {
            journal: journal.clone(),
            establishment: o.establishment.clone(),
        }),
        (None, Some(path)) => dmp_core::json::from_str(&read_file(path)?).map_err(in_file(path)),
        (None, None) => Err(usage(
            "say where the facts are: --journal FILE (the establishment's journal, or \
             postgres://… with --establishment) or --facts FILE.json (the facts `dmp journal \
             facts` exported)",
        )),
    }
}

fn load_plan(path: &Path) -> Result<Plan, Fail> {
    Plan::from_json(&read_file(path)?).map_err(in_file(path))
}

/// `--at` (RFC 3339), or the current time to the second.
fn at_or_now(at: Option<&str>) -> Result<DateTime<FixedOffset>, Fail> {
    match at {
        Some(t) => parse_time("--at", t),
        None => Ok(now_seconds().fixed_offset()),
    }
}

fn date(name: &str, value: Option<&str>) -> Result<Option<NaiveDate>, Fail> {
    value
        .map(|v| {
            NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map_err(|e| usage(format!("{name} {v}: not a date ({e}); e.g. 2026-01-31")))
        })
        .transpose()
}

/// `dmp due`.
pub(crate) fn due(a: &DueArgs) -> Result<String, Fail> {
    let plan = load_plan(&a.plan)?;
    let facts = load_facts(&a.facts)?;
    let now = at_or_now(a.at.as_deref())?;
    let answer = plan_due(&plan, &facts, now);
    if a.json {
        return to_json(&answer);
    }
    Ok(due_text(&answer))
}

fn due_text(d: &Due) -> String {
    let mut s = format!(
        "{}: {} deposit(s) due or overdue at {} for {} current usager(s)\n",
        d.plan,
        d.items.len(),
        d.at.to_rfc3339(),
        d.current_usagers
    );
    for i in &d.items {
        let who = if i.label.is_empty() {
            &i.usager
        } else {
            &i.label
        };
        let why = match i.reason {
            Reason::Event { event, within } => {
                let event = event_name(event);
                format!("{event} of {} + {within}", i.since.date_naive())
            }
            Reason::MaxAge { max_age } => match i.last_deposit {
                Some(t) => format!("last deposit {} + {max_age}", t.date_naive()),
                None => format!("no deposit since {} + {max_age}", i.since.date_naive()),
            },
        };
        let status = match i.status {
            DueStatus::Overdue => "OVERDUE",
            DueStatus::Due => "due",
        };
        let kind = kind_name(i.kind);
        s += &format!(
            "  {status:<7} {} {who}: {kind} ({why}; {})\n",
            i.deadline.date_naive(),
            i.producer
        );
    }
    s += &format!("coverage: {}\n", coverage_text(&d.coverage));
    s
}

/// `dmp indicators`.
pub(crate) fn indicators(a: &IndicatorsArgs) -> Result<String, Fail> {
    let options = IndicatorOptions {
        from: date("--from", a.from.as_deref())?,
        to: date("--to", a.to.as_deref())?,
        dlu_window: Span::parse(&a.dlu_window).map_err(|e| usage(format!("--dlu-window {e}")))?,
    };
    if let (Some(f), Some(t)) = (options.from, options.to) {
        if f > t {
            return Err(usage(format!("--from {f} is after --to {t}")));
        }
    }
    let plan = a.plan.as_deref().map(load_plan).transpose()?;
    let facts = load_facts(&a.facts)?;
    let now = at_or_now(a.at.as_deref())?;
    let ind = Indicators::compute_with(&facts, &options, now, plan.as_ref());
    if a.json {
        return to_json(&ind);
    }
    if a.csv {
        return Ok(ind.to_csv());
    }
    if let Some(out) = &a.html {
        let page = report::html(&ind);
        write_file(out, page.as_bytes())?;
        return Ok(format!(
            "{}: HTML report written ({} bytes)\n",
            out.display(),
            page.len()
        ));
    }
    Ok(indicators_text(&ind))
}

fn indicators_text(ind: &Indicators) -> String {
    let day = |d: Option<NaiveDate>| d.map_or_else(|| "…".to_owned(), |d| d.to_string());
    let mut s = format!(
        "indicators from {} to {} (at {})\n",
        day(ind.from),
        day(ind.to),
        ind.at.to_rfc3339()
    );
    let d = &ind.deposits;
    s += &format!("DMPs fed: {}\n", ind.dmp_fed);
    s += &format!(
        "deposits: {} accepted, {} refused, {} queued, {} unknown ({} replacements)\n",
        d.accepted, d.refused, d.queued, d.unknown, ind.replacements
    );
    s += "by type:\n";
    for k in &ind.by_kind {
        s += &format!("  {:>5}  {} ({})\n", k.count, k.label, k.type_code);
    }
    s += "by month:\n";
    for m in &ind.by_month {
        s += &format!("  {:>5}  {}\n", m.count, m.month);
    }
    s += "by author role:\n";
    for r in &ind.by_author_role {
        s += &format!("  {:>5}  {}\n", r.count, r.role);
    }
    if !ind.refusals.is_empty() {
        s += "refusals:\n";
        for r in &ind.refusals {
            s += &format!("  {:>5}  {} {}\n", r.count, r.code, r.text);
        }
    }
    let pct = |x: Option<f64>| x.map_or_else(|| "-".to_owned(), |x| format!("{:.1} %", x * 100.0));
    s += &format!(
        "DLU up to date ({}): {} of {} current usagers ({})\n",
        ind.dlu.window,
        ind.dlu.up_to_date,
        ind.dlu.current_usagers,
        pct(ind.dlu.share)
    );
    s += &format!("consultations: {}\n", ind.consultations.total);
    for m in &ind.consultations.by_mode {
        let outcomes: Vec<String> = m
            .by_outcome
            .iter()
            .map(|o| format!("{} {}", o.count, o.outcome))
            .collect();
        s += &format!("  {:>5}  {} ({})\n", m.count, m.mode, outcomes.join(", "));
    }
    if let Some(p) = &ind.plan {
        s += &format!("plan {}: {}\n", p.name, coverage_text(&p.coverage));
    }
    s
}

/// "129 of 189 obligations met, 9 pending, 51 overdue (71.7 % of those that fell due)".
fn coverage_text(c: &Coverage) -> String {
    let share = c
        .share
        .map(|x| format!(" ({:.1} % of those that fell due)", x * 100.0))
        .unwrap_or_default();
    format!(
        "{} of {} obligation(s) met, {} pending, {} overdue{share}",
        c.met, c.obligations, c.pending, c.overdue
    )
}

//! The pilotage indicators: what the establishment reports about its use of the DMP over a
//! period ("le nombre de DMP alimentés, le type et le nombre de documents déposés"), computed
//! from the journal's [`Facts`].
//!
//! JSON is the serde form of [`Indicators`] (`"format": "dmp-indicators/1"`, every field
//! documented below and in `docs/cli-json.md`); [`Indicators::to_csv`] gives one table;
//! [`super::report::html`] one self-contained HTML page with SVG charts.
//!
//! Counting rules:
//! - The period is `from..=to`, whole days, compared with each fact's date in the offset it
//!   was recorded in (a deposit at 23:30+01:00 on 31 January is a January deposit). A deposit
//!   belongs to the period of the time it took effect (`settled_at`, else `queued_at`).
//! - "Documents deposited" are the *accepted* deposits; refusals, queued and unknown ones are
//!   counted apart. A replacement (RPLC) is an accepted deposit that `replaces` another.
//! - The DLU and plan figures hold at `now`, over the usagers of a current stay.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate};
use serde::Serialize;

use super::facts::{DepositStatus, Facts};
use super::plan::{due, kind_name, Coverage, Plan};
use super::span::{Span, SpanUnit};
use super::stay::last_stays;
use super::{deposited_at, share};
use crate::model::DocumentKind;

/// What to compute over: the period, and the DLU freshness window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndicatorOptions {
    /// First day of the period (inclusive); `None`: from the first fact.
    pub from: Option<NaiveDate>,
    /// Last day of the period (inclusive); `None`: up to the last fact.
    pub to: Option<NaiveDate>,
    /// How recent an accepted DLU must be for a usager's DLU to be up to date (default 3
    /// months, the EHPAD practice of a quarterly DLU review).
    pub dlu_window: Span,
}

impl Default for IndicatorOptions {
    fn default() -> Self {
        IndicatorOptions {
            from: None,
            to: None,
            dlu_window: Span::new(3, SpanUnit::Months),
        }
    }
}

impl IndicatorOptions {
    fn contains(&self, t: DateTime<FixedOffset>) -> bool {
        let day = t.date_naive();
        self.from.is_none_or(|f| day >= f) && self.to.is_none_or(|l| day <= l)
    }
}

/// The indicators of one period (JSON `dmp-indicators/1`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Indicators {
    /// Always `dmp-indicators/1`.
    pub format: &'static str,
    /// The time the DLU and plan figures hold at (the `now` given).
    pub at: DateTime<FixedOffset>,
    /// First day of the period, if bounded.
    pub from: Option<NaiveDate>,
    /// Last day of the period, if bounded.
    pub to: Option<NaiveDate>,
    /// DMP alimentés: distinct usagers with at least one accepted deposit in the period.
    pub dmp_fed: u64,
    /// Deposits in the period by outcome.
    pub deposits: DepositCounts,
    /// Accepted documents by kind, in the order of the model's kinds.
    pub by_kind: Vec<KindCount>,
    /// Accepted documents by month (`YYYY-MM`), every month of the period, zeros included.
    pub by_month: Vec<MonthCount>,
    /// Accepted documents by author role, by role name.
    pub by_author_role: Vec<RoleCount>,
    /// Accepted replacements (RPLC) in the period.
    pub replacements: u64,
    /// Refused deposits by the DMP's error code, by code.
    pub refusals: Vec<RefusalCount>,
    /// Share of current usagers with an up-to-date DLU, at `at`.
    pub dlu: DluFreshness,
    /// Consultations of the period.
    pub consultations: Consultations,
    /// The deposit plan's coverage at `at`, when a plan was given.
    pub plan: Option<PlanCoverage>,
}

/// Deposits by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DepositCounts {
    /// Every deposit of the period.
    pub total: u64,
    /// Accepted by the DMP.
    pub accepted: u64,
    /// Refused by the DMP.
    pub refused: u64,
    /// Journaled, not sent yet.
    pub queued: u64,
    /// Sent, outcome not established yet.
    pub unknown: u64,
}

/// Accepted documents of one kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KindCount {
    /// The kind (snake_case).
    pub kind: DocumentKind,
    /// Its type code (JDV_J07).
    pub type_code: &'static str,
    /// The type code's official French display name.
    pub label: &'static str,
    /// How many.
    pub count: u64,
}

/// Accepted documents of one month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthCount {
    /// `YYYY-MM`.
    pub month: String,
    /// How many.
    pub count: u64,
}

/// Accepted documents by one author role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoleCount {
    /// The role as the DUI names it.
    pub role: String,
    /// How many.
    pub count: u64,
}

/// Refused deposits with one DMP error code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefusalCount {
    /// The DMP's code, verbatim.
    pub code: String,
    /// The DMP's text of the latest such refusal (the same whatever the order of the facts).
    pub text: String,
    /// How many.
    pub count: u64,
}

/// DLU freshness at `at`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DluFreshness {
    /// The window (`"3 months"`).
    pub window: Span,
    /// Usagers of a current stay.
    pub current_usagers: u64,
    /// Of them, those with an accepted DLU in the window.
    pub up_to_date: u64,
    /// `up_to_date / current_usagers`, 4 decimals; `null` without current usagers.
    pub share: Option<f64>,
}

/// Consultations of the period.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Consultations {
    /// Every consultation.
    pub total: u64,
    /// By access mode (`normal`, `centre_15`, `bris_de_glace`), each with its outcomes.
    pub by_mode: Vec<ModeCount>,
    /// By outcome (`accepted`, `refused`, `blocked`…), by name.
    pub by_outcome: Vec<OutcomeCount>,
}

/// Consultations in one access mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModeCount {
    /// The access mode's TRE_R248 code.
    pub mode: &'static str,
    /// How many.
    pub count: u64,
    /// By outcome, by name.
    pub by_outcome: Vec<OutcomeCount>,
}

/// Consultations with one outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutcomeCount {
    /// The outcome as the journal wrote it.
    pub outcome: String,
    /// How many.
    pub count: u64,
}

/// The plan's coverage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanCoverage {
    /// The plan's name.
    pub name: String,
    /// Its coverage at `at`.
    #[serde(flatten)]
    pub coverage: Coverage,
}

impl Indicators {
    /// The indicators of `facts` over `from..=to` (either open), the DLU and plan figures at
    /// `now`, with the default 3-month DLU window. See [`Indicators::compute_with`].
    pub fn compute(
        facts: &Facts,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        now: DateTime<FixedOffset>,
        plan: Option<&Plan>,
    ) -> Indicators {
        let options = IndicatorOptions {
            from,
            to,
            ..IndicatorOptions::default()
        };
        Indicators::compute_with(facts, &options, now, plan)
    }

    /// The indicators of `facts` with `options`. Pure: the same arguments give the same
    /// value whatever the order of the facts.
    pub fn compute_with(
        facts: &Facts,
        options: &IndicatorOptions,
        now: DateTime<FixedOffset>,
        plan: Option<&Plan>,
    ) -> Indicators {
        let mut deposits = DepositCounts::default();
        let mut fed = std::collections::BTreeSet::new();
        let mut by_kind: BTreeMap<DocumentKind, u64> = BTreeMap::new();
        let mut by_month: BTreeMap<(i32, u32), u64> = BTreeMap::new();
        let mut by_role: BTreeMap<&str, u64> = BTreeMap::new();
        // Per code: the latest refusal's (time, text), and the count.
        type Latest<'a> = (DateTime<FixedOffset>, &'a str);
        let mut refusals: BTreeMap<&str, (Latest<'_>, u64)> = BTreeMap::new();
        let mut replacements = 0;
        for d in &facts.deposits {
            let at = deposited_at(d);
            if !options.contains(at) {
                continue;
            }
            deposits.total += 1;
            match &d.status {
                DepositStatus::Accepted => {
                    deposits.accepted += 1;
                    fed.insert(d.usager.as_str());
                    *by_kind.entry(d.kind).or_default() += 1;
                    *by_month.entry((at.year(), at.month())).or_default() += 1;
                    *by_role.entry(d.author_role.as_str()).or_default() += 1;
                    if d.replaces.is_some() {
                        replacements += 1;
                    }
                }
                DepositStatus::Refused { code, text } => {
                    deposits.refused += 1;
                    let entry = refusals
                        .entry(code.as_str())
                        .or_insert(((at, text.as_str()), 0));
                    entry.0 = entry.0.max((at, text.as_str()));
                    entry.1 += 1;
                }
                DepositStatus::Queued => deposits.queued += 1,
                DepositStatus::Unknown => deposits.unknown += 1,
            }
        }
        Indicators {
            format: "dmp-indicators/1",
            at: now,
            from: options.from,
            to: options.to,
            dmp_fed: fed.len() as u64,
            deposits,
            by_kind: by_kind
                .into_iter()
                .map(|(kind, count)| KindCount {
                    kind,
                    type_code: kind.type_code(),
                    label: kind.type_concept().map_or(kind.type_code(), |c| c.display),
                    count,
                })
                .collect(),
            by_month: months(options, &by_month),
            by_author_role: by_role
                .into_iter()
                .map(|(role, count)| RoleCount {
                    role: role.to_owned(),
                    count,
                })
                .collect(),
            replacements,
            refusals: refusals
                .into_iter()
                .map(|(code, ((_, text), count))| RefusalCount {
                    code: code.to_owned(),
                    text: text.to_owned(),
                    count,
                })
                .collect(),
            dlu: dlu_freshness(facts, now, options.dlu_window),
            consultations: consultations(facts, options),
            plan: plan.map(|p| PlanCoverage {
                name: p.name.clone(),
                coverage: due(p, facts, now).coverage,
            }),
        }
    }

    /// The indicators as one CSV table (RFC 4180, CRLF line ends, UTF-8), columns
    /// `indicator,key,detail,value`:
    ///
    /// | indicator | key | detail | value |
    /// |---|---|---|---|
    /// | `dmp_fed` | | | usagers |
    /// | `deposits` | `total`, `accepted`, `refused`, `queued`, `unknown` | | count |
    /// | `by_kind` | kind (snake_case) | type code | count |
    /// | `by_month` | `YYYY-MM` | | count |
    /// | `by_author_role` | role | | count |
    /// | `replacements` | | | count |
    /// | `refusals` | DMP code | DMP text | count |
    /// | `dlu` | `current_usagers`, `up_to_date`, `share` | window | count or share |
    /// | `consultations` | `total` | | count |
    /// | `consultations_by_mode` | mode | outcome, empty for the mode's total | count |
    /// | `consultations_by_outcome` | outcome | | count |
    /// | `plan` | `obligations`, `met`, `pending`, `overdue`, `share` | plan name | count or share |
    ///
    /// The first rows give `period` (`from`, `to`: a date or empty) and `at`. A share is a
    /// decimal with a point (`0.8333`), empty when undefined. A text cell that a spreadsheet
    /// would take for a formula (starting with `=`, `+`, `-`, `@`) is prefixed with `'`.
    pub fn to_csv(&self) -> String {
        let mut t = Csv::default();
        t.row("indicator", "key", "detail", "value");
        t.row("period", "from", "", &opt_date(self.from));
        t.row("period", "to", "", &opt_date(self.to));
        t.row("at", "", "", &self.at.to_rfc3339());
        t.row("dmp_fed", "", "", &self.dmp_fed.to_string());
        let d = &self.deposits;
        for (k, n) in [
            ("total", d.total),
            ("accepted", d.accepted),
            ("refused", d.refused),
            ("queued", d.queued),
            ("unknown", d.unknown),
        ] {
            t.row("deposits", k, "", &n.to_string());
        }
        for k in &self.by_kind {
            t.row(
                "by_kind",
                &kind_name(k.kind),
                k.type_code,
                &k.count.to_string(),
            );
        }
        for m in &self.by_month {
            t.row("by_month", &m.month, "", &m.count.to_string());
        }
        for r in &self.by_author_role {
            t.row("by_author_role", &r.role, "", &r.count.to_string());
        }
        t.row("replacements", "", "", &self.replacements.to_string());
        for r in &self.refusals {
            t.row("refusals", &r.code, &r.text, &r.count.to_string());
        }
        let window = self.dlu.window.to_string();
        t.row(
            "dlu",
            "current_usagers",
            &window,
            &self.dlu.current_usagers.to_string(),
        );
        t.row(
            "dlu",
            "up_to_date",
            &window,
            &self.dlu.up_to_date.to_string(),
        );
        t.row("dlu", "share", &window, &opt_share(self.dlu.share));
        let c = &self.consultations;
        t.row("consultations", "total", "", &c.total.to_string());
        for m in &c.by_mode {
            t.row("consultations_by_mode", m.mode, "", &m.count.to_string());
            for o in &m.by_outcome {
                t.row(
                    "consultations_by_mode",
                    m.mode,
                    &o.outcome,
                    &o.count.to_string(),
                );
            }
        }
        for o in &c.by_outcome {
            t.row(
                "consultations_by_outcome",
                &o.outcome,
                "",
                &o.count.to_string(),
            );
        }
        if let Some(p) = &self.plan {
            let c = &p.coverage;
            for (k, n) in [
                ("obligations", c.obligations),
                ("met", c.met),
                ("pending", c.pending),
                ("overdue", c.overdue),
            ] {
                t.row("plan", k, &p.name, &n.to_string());
            }
            t.row("plan", "share", &p.name, &opt_share(c.share));
        }
        t.0
    }
}

/// Every month of the period (or of the data when the period is open), zeros included; only
/// the months with data when that would be more than 50 years of months.
fn months(options: &IndicatorOptions, data: &BTreeMap<(i32, u32), u64>) -> Vec<MonthCount> {
    let first = options
        .from
        .map(|d| (d.year(), d.month()))
        .or_else(|| data.keys().next().copied());
    let last = options
        .to
        .map(|d| (d.year(), d.month()))
        .or_else(|| data.keys().next_back().copied());
    let label = |(y, m): (i32, u32)| format!("{y:04}-{m:02}");
    let count = |k| data.get(&k).copied().unwrap_or(0);
    match (first, last) {
        (Some(f), Some(l)) if f <= l && index(l) - index(f) < 600 => (index(f)..=index(l))
            .map(|i| (i.div_euclid(12) as i32, i.rem_euclid(12) as u32 + 1))
            .map(|k| MonthCount {
                month: label(k),
                count: count(k),
            })
            .collect(),
        _ => data
            .iter()
            .map(|(&k, &count)| MonthCount {
                month: label(k),
                count,
            })
            .collect(),
    }
}

fn index((y, m): (i32, u32)) -> i64 {
    i64::from(y) * 12 + i64::from(m) - 1
}

fn dlu_freshness(facts: &Facts, now: DateTime<FixedOffset>, window: Span) -> DluFreshness {
    let stays = last_stays(facts, now);
    let current: Vec<&str> = stays
        .iter()
        .filter(|(_, s)| s.is_current())
        .map(|(k, _)| *k)
        .collect();
    let since = window.before(now);
    let fresh: std::collections::BTreeSet<&str> = facts
        .deposits
        .iter()
        .filter(|d| d.kind == DocumentKind::Dlu && d.status == DepositStatus::Accepted)
        .filter(|d| {
            let at = deposited_at(d);
            at <= now && since.is_none_or(|s| at >= s)
        })
        .map(|d| d.usager.as_str())
        .collect();
    let up_to_date = current.iter().filter(|k| fresh.contains(*k)).count() as u64;
    let current = current.len() as u64;
    DluFreshness {
        window,
        current_usagers: current,
        up_to_date,
        share: share(up_to_date, current),
    }
}

fn consultations(facts: &Facts, options: &IndicatorOptions) -> Consultations {
    let mut total = 0;
    let mut by_mode: BTreeMap<&'static str, BTreeMap<&str, u64>> = BTreeMap::new();
    let mut by_outcome: BTreeMap<&str, u64> = BTreeMap::new();
    for c in facts
        .consultations
        .iter()
        .filter(|c| options.contains(c.at))
    {
        total += 1;
        *by_mode
            .entry(c.access_mode.code())
            .or_default()
            .entry(c.outcome.as_str())
            .or_default() += 1;
        *by_outcome.entry(c.outcome.as_str()).or_default() += 1;
    }
    let outcomes = |m: BTreeMap<&str, u64>| {
        m.into_iter()
            .map(|(o, count)| OutcomeCount {
                outcome: o.to_owned(),
                count,
            })
            .collect::<Vec<_>>()
    };
    Consultations {
        total,
        by_mode: by_mode
            .into_iter()
            .map(|(mode, o)| ModeCount {
                mode,
                count: o.values().sum(),
                by_outcome: outcomes(o),
            })
            .collect(),
        by_outcome: outcomes(by_outcome),
    }
}

fn opt_date(d: Option<NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

fn opt_share(s: Option<f64>) -> String {
    s.map(|s| s.to_string()).unwrap_or_default()
}

/// A CSV table being written.
#[derive(Default)]
struct Csv(String);

impl Csv {
    fn row(&mut self, a: &str, b: &str, c: &str, d: &str) {
        for (i, cell) in [a, b, c, d].into_iter().enumerate() {
            if i > 0 {
                self.0.push(',');
            }
            cell_into(&mut self.0, cell);
        }
        self.0.push_str("\r\n");
    }
}

/// Appends one cell: quoted when it holds a comma, a quote or a line end; a leading formula
/// character neutralised (the file is meant for spreadsheets).
fn cell_into(out: &mut String, cell: &str) {
    let formula = cell.starts_with(['=', '+', '-', '@']) && cell.parse::<f64>().is_err();
    let cell: std::borrow::Cow<'_, str> = if formula {
        format!("'{cell}").into()
    } else {
        cell.into()
    };
    if cell.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&cell.replace('"', "\"\""));
        out.push('"');
    } else {
        let _ = write!(out, "{cell}");
    }
}

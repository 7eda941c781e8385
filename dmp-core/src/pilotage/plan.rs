//! The deposit plan: which documents a structure deposits in the DMP, at which steps of the
//! accompaniment and how often; and, from the facts, which deposits are due or overdue.
//!
//! The ANS asks each ESSMS to decide "quels documents déposer, à quelle fréquence et à quelles
//! étapes de l'accompagnement" (admission, révision annuelle du projet personnalisé,
//! changement d'état, transfert à l'hôpital, sortie). That decision differs between an EHPAD,
//! an IME and a SSIAD, and changes with the structure's own organisation: it is data, a JSON
//! document (`"format": "dmp-deposit-plan/1"`, samples in `examples/data/plans/`, schema in
//! `docs/schema/deposit-plan.schema.json`), read by
//! [`Plan::from_json`] and applied by [`due`].
//!
//! # Rules
//! - A plan applies to the usagers whose `setting` is one of the plan's `settings` (compared
//!   without case; an empty list applies to every usager).
//! - **Triggering event** (`on`): each event of the usager's last stay asks for an *accepted*
//!   deposit of the kind at or after the event, `within` a delay (deadline = event + delay).
//!   A deposit meets every earlier event of that kind too; when several events are unmet, the
//!   earliest is reported (it says since when the document is missing).
//! - **Maximum age** (`max_age`): the last accepted deposit of the kind (or the admission when
//!   there is none yet) plus the maximum age is the deadline of the next one. It is listed
//!   when the deadline is less than the plan's `notice` away, or passed.
//! - Only the usagers of a current stay (admitted and not discharged) are due anything, but
//!   for what the discharge itself triggers (the lettre de liaison de sortie): a discharged
//!   usager stays listed for it until it is deposited.
//! - With `in_force_from`, events before that day ask for nothing, and a maximum age counts
//!   from that day at the earliest.
//! - A deposit counts from the time the DMP accepted it (`settled_at`, else `queued_at`);
//!   deposits after `now` are ignored, so a past `now` answers as the plan stood then.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};

use super::facts::{DepositStatus, Facts, UsagerEventKind};
use super::span::{Span, SpanUnit};
use super::stay::{last_stays, Stay};
use super::{deposited_at, share};
use crate::error::{Error, Result};
use crate::model::DocumentKind;

/// A deposit plan (JSON document `dmp-deposit-plan/1`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Always [`Plan::FORMAT`]: a later version of the format will be refused, not misread.
    pub format: String,
    /// The plan's name, shown in reports (e.g. "EHPAD Les Tilleuls — plan de dépôt 2026").
    pub name: String,
    /// The settings (`Usager::setting`: EHPAD, IME, SSIAD…) the plan applies to; empty: all.
    #[serde(default)]
    pub settings: Vec<String>,
    /// The day the plan took effect: events before it ask for nothing, and a maximum age
    /// counts from it at the earliest (the usagers already there when the structure began to
    /// feed the DMP). Default: every event counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_force_from: Option<NaiveDate>,
    /// How long before a maximum-age deadline the next deposit is listed as due (default:
    /// 15 days).
    #[serde(default = "default_notice")]
    pub notice: Span,
    /// Where the plan's choices come from (texts, the structure's decisions). Free text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
    /// What to deposit: one entry per document kind.
    pub documents: Vec<PlannedDocument>,
}

fn default_notice() -> Span {
    Span::new(15, SpanUnit::Days)
}

/// One kind of document the plan asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlannedDocument {
    /// The document kind (`dlu`, `projet_personnalise`, `lettre_liaison_sortie`…).
    pub kind: DocumentKind,
    /// Who produces it, as the structure names the role ("Médecin coordonnateur", "IDEC").
    pub producer: String,
    /// The events that ask for a deposit, each with its delay.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub on: Vec<Trigger>,
    /// The longest a deposited document may stay without a newer version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<Span>,
    /// Why this document, from which text. Free text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// An event that asks for a deposit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    /// The event.
    pub event: UsagerEventKind,
    /// The delay to deposit after it ("15 days"; "0 days": at the event).
    pub within: Span,
}

impl Plan {
    /// The format tag of version 1 of the plan document.
    pub const FORMAT: &'static str = "dmp-deposit-plan/1";

    /// Reads and checks a plan. Errors name the field as written (`documents[2].on[0].within`).
    pub fn from_json(text: &str) -> Result<Plan> {
        let plan: Plan = crate::json::from_str(text)?;
        plan.check()?;
        Ok(plan)
    }

    /// Checks the rules serde cannot: the format tag, a name, at least one document, each
    /// kind once, each document with a trigger or a maximum age, no event twice.
    pub fn check(&self) -> Result<()> {
        if self.format != Plan::FORMAT {
            return Err(Error::invalid(
                "format",
                format!("must be {:?}", Plan::FORMAT),
                &self.format,
            ));
        }
        if self.name.trim().is_empty() {
            return Err(Error::invalid("name", "must not be empty", &self.name));
        }
        if self.documents.is_empty() {
            return Err(Error::invalid("documents", "must not be empty", "[]"));
        }
        for (i, s) in self.settings.iter().enumerate() {
            if s.trim().is_empty() {
                return Err(Error::invalid(
                    format!("settings[{i}]"),
                    "must not be empty",
                    s,
                ));
            }
        }
        for (i, d) in self.documents.iter().enumerate() {
            let at = |f: &str| format!("documents[{i}].{f}");
            if let Some(j) = self.documents[..i].iter().position(|o| o.kind == d.kind) {
                return Err(Error::invalid(
                    at("kind"),
                    format!("is already planned by documents[{j}]: one entry per kind"),
                    kind_name(d.kind),
                ));
            }
            if d.producer.trim().is_empty() {
                return Err(Error::invalid(
                    at("producer"),
                    "must not be empty",
                    &d.producer,
                ));
            }
            if d.on.is_empty() && d.max_age.is_none() {
                return Err(Error::invalid(
                    at("on"),
                    "a document needs triggering events (`on`) or a `max_age`, or both",
                    "[]",
                ));
            }
            for (k, t) in d.on.iter().enumerate() {
                if d.on[..k].iter().any(|o| o.event == t.event) {
                    return Err(Error::invalid(
                        at(&format!("on[{k}].event")),
                        "appears twice for this document",
                        event_name(t.event),
                    ));
                }
            }
            if let Some(m) = d.max_age {
                if m.count == 0 {
                    return Err(Error::invalid(
                        at("max_age"),
                        "must be longer than zero",
                        m.to_string(),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Whether the plan applies to a usager of `setting`.
    pub fn applies_to(&self, setting: &str) -> bool {
        self.settings.is_empty()
            || self
                .settings
                .iter()
                .any(|s| s.trim().eq_ignore_ascii_case(setting.trim()))
    }
}

/// Why a deposit is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum Reason {
    /// An event of the stay, `within` a delay.
    Event {
        /// The event.
        event: UsagerEventKind,
        /// The plan's delay.
        within: Span,
    },
    /// The last deposit is getting too old.
    MaxAge {
        /// The plan's maximum age.
        max_age: Span,
    },
}

/// Where an obligation stands at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DueStatus {
    /// The deadline is passed.
    Overdue,
    /// To deposit before the deadline.
    Due,
}

/// One deposit due or overdue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DueItem {
    /// The usager's pseudonym.
    pub usager: String,
    /// The DUI's label for the usager (may be empty).
    pub label: String,
    /// The document kind.
    pub kind: DocumentKind,
    /// Who produces it (the plan's `producer`).
    pub producer: String,
    /// Why: `{"reason": "event", "event": "admission", "within": "15 days"}` or
    /// `{"reason": "max_age", "max_age": "3 months"}`.
    #[serde(flatten)]
    pub reason: Reason,
    /// Since when the deposit is asked for: the event, or the last deposit (the admission
    /// when there is none) for a maximum age.
    pub since: DateTime<FixedOffset>,
    /// The last accepted deposit of the kind, if any.
    pub last_deposit: Option<DateTime<FixedOffset>>,
    /// The deadline.
    pub deadline: DateTime<FixedOffset>,
    /// `due` or `overdue`.
    pub status: DueStatus,
}

/// How much of the plan is met: every obligation of the usagers the plan concerns at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Coverage {
    /// Obligations counted: each triggering event of a stay, and each maximum age of a
    /// current usager (a discharged usager: only what the discharge triggers).
    pub obligations: u64,
    /// Met: deposited after the event; for a maximum age, a deposit younger than it.
    pub met: u64,
    /// Not met yet, deadline not passed.
    pub pending: u64,
    /// Not met, deadline passed.
    pub overdue: u64,
    /// `met / (met + overdue)`, rounded to 4 decimals: the share of the obligations that
    /// fell due which were met; `null` when none fell due.
    pub share: Option<f64>,
}

/// The answer of [`due`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Due {
    /// The plan's name.
    pub plan: String,
    /// The time the answer holds for.
    pub at: DateTime<FixedOffset>,
    /// How many current usagers the plan concerns.
    pub current_usagers: u64,
    /// The deposits due or overdue, by deadline, then usager pseudonym, kind and reason.
    pub items: Vec<DueItem>,
    /// The plan's coverage.
    pub coverage: Coverage,
}

/// Which deposits of `plan` are due or overdue at `now`, for which usagers, and the plan's
/// coverage. Pure: the same (plan, facts, now) give the same answer, whatever the order of
/// the facts.
pub fn due(plan: &Plan, facts: &Facts, now: DateTime<FixedOffset>) -> Due {
    // Accepted deposits up to `now`, per (usager, kind), in time order.
    let mut accepted: BTreeMap<(&str, DocumentKind), Vec<DateTime<FixedOffset>>> = BTreeMap::new();
    for d in &facts.deposits {
        if d.status == DepositStatus::Accepted {
            let at = deposited_at(d);
            if at <= now {
                accepted
                    .entry((d.usager.as_str(), d.kind))
                    .or_default()
                    .push(at);
            }
        }
    }
    for times in accepted.values_mut() {
        times.sort();
    }
    let none = Vec::new();
    let mut items = Vec::new();
    let mut tally = Tally::default();
    let mut current = 0u64;
    for stay in last_stays(facts, now).values() {
        if !plan.applies_to(&stay.usager.setting) {
            continue;
        }
        if stay.is_current() {
            current += 1;
        }
        for doc in &plan.documents {
            let times = accepted
                .get(&(stay.usager.key.as_str(), doc.kind))
                .unwrap_or(&none);
            let ask = Ask {
                stay,
                doc,
                times,
                now,
                notice: plan.notice,
                in_force_from: plan.in_force_from,
            };
            for t in &doc.on {
                if stay.is_current() || t.event == UsagerEventKind::Discharge {
                    if let Some(item) = ask.event(*t, &mut tally) {
                        items.push(item);
                    }
                }
            }
            if let (Some(max_age), true) = (doc.max_age, stay.is_current()) {
                if let Some(item) = ask.max_age(max_age, &mut tally) {
                    items.push(item);
                }
            }
        }
    }
    items.sort_by(|a, b| {
        (a.deadline, &a.usager, a.kind, a.reason).cmp(&(b.deadline, &b.usager, b.kind, b.reason))
    });
    Due {
        plan: plan.name.clone(),
        at: now,
        current_usagers: current,
        items,
        coverage: tally.coverage(),
    }
}

/// The obligations counted so far.
#[derive(Default)]
struct Tally {
    met: u64,
    pending: u64,
    overdue: u64,
}

impl Tally {
    fn coverage(&self) -> Coverage {
        Coverage {
            obligations: self.met + self.pending + self.overdue,
            met: self.met,
            pending: self.pending,
            overdue: self.overdue,
            share: share(self.met, self.met + self.overdue),
        }
    }
}

/// One planned document for one stay.
struct Ask<'a> {
    stay: &'a Stay<'a>,
    doc: &'a PlannedDocument,
    /// Accepted deposits of the kind for the usager, in time order, up to `now`.
    times: &'a [DateTime<FixedOffset>],
    now: DateTime<FixedOffset>,
    notice: Span,
    in_force_from: Option<NaiveDate>,
}

impl Ask<'_> {
    fn item(
        &self,
        reason: Reason,
        since: DateTime<FixedOffset>,
        deadline: DateTime<FixedOffset>,
        status: DueStatus,
    ) -> DueItem {
        DueItem {
            usager: self.stay.usager.key.clone(),
            label: self.stay.usager.label.clone(),
            kind: self.doc.kind,
            producer: self.doc.producer.clone(),
            reason,
            since,
            last_deposit: self.times.last().copied(),
            deadline,
            status,
        }
    }

    /// The events of the stay that trigger `t`: each one met or not; the earliest unmet one
    /// reported.
    fn event(&self, t: Trigger, tally: &mut Tally) -> Option<DueItem> {
        let mut first_unmet = None;
        let in_force = |e: &&&super::facts::UsagerEvent| {
            self.in_force_from.is_none_or(|d| e.at.date_naive() >= d)
        };
        for e in self
            .stay
            .events
            .iter()
            .filter(|e| e.kind == t.event)
            .filter(in_force)
        {
            // A deadline past the calendar's end is never reached.
            let deadline = t.within.after(e.at);
            if self.times.iter().any(|&d| d >= e.at) {
                tally.met += 1;
                continue;
            }
            let overdue = deadline.is_some_and(|d| self.now > d);
            if overdue {
                tally.overdue += 1;
            } else {
                tally.pending += 1;
            }
            if first_unmet.is_none() {
                if let Some(deadline) = deadline {
                    let status = if overdue {
                        DueStatus::Overdue
                    } else {
                        DueStatus::Due
                    };
                    first_unmet = Some((e.at, deadline, status));
                }
            }
        }
        let (since, deadline, status) = first_unmet?;
        let reason = Reason::Event {
            event: t.event,
            within: t.within,
        };
        Some(self.item(reason, since, deadline, status))
    }

    /// The maximum age: counted from the last deposit, or from the admission.
    fn max_age(&self, max_age: Span, tally: &mut Tally) -> Option<DueItem> {
        let last = self.times.last().copied();
        let mut since = last.unwrap_or(self.stay.admitted);
        if let Some(start) = self.in_force_from.and_then(|d| {
            d.and_time(NaiveTime::MIN)
                .and_local_timezone(*since.offset())
                .single()
        }) {
            since = since.max(start);
        }
        let deadline = max_age.after(since)?;
        let reason = Reason::MaxAge { max_age };
        if self.now > deadline {
            tally.overdue += 1;
            return Some(self.item(reason, since, deadline, DueStatus::Overdue));
        }
        if last.is_some() {
            tally.met += 1;
        } else {
            tally.pending += 1;
        }
        let warn_from = self.notice.before(deadline)?;
        (self.now >= warn_from).then(|| self.item(reason, since, deadline, DueStatus::Due))
    }
}

/// The snake_case name of a kind, as plans and facts write it.
pub fn kind_name(kind: DocumentKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The snake_case name of an event, as plans and facts write it.
pub fn event_name(kind: UsagerEventKind) -> &'static str {
    match kind {
        UsagerEventKind::Admission => "admission",
        UsagerEventKind::AnnualReview => "annual_review",
        UsagerEventKind::ChangeOfCondition => "change_of_condition",
        UsagerEventKind::HospitalTransfer => "hospital_transfer",
        UsagerEventKind::HospitalReturn => "hospital_return",
        UsagerEventKind::Discharge => "discharge",
    }
}

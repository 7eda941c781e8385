//! Pilotage: which deposits of a deposit plan are due (`dmp_due`), and the indicators
//! (`dmp_indicators`) as JSON, CSV or one HTML page, from the facts a journal exported.
//!
//! Both take the facts as JSON (`usagers`, `deposits`, `consultations`, `events`: what
//! `dmp-journal` exports; sample in `examples/data/facts/`), so that a DUI can call them with
//! its own journal as well as with ours.

use std::ffi::c_char;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use dmp_core::pilotage::{self, Facts, IndicatorOptions, Indicators, Plan, Span};
use serde::Deserialize;

use crate::bytes::dmp_bytes;
use crate::error::{dmp_result, Failure};
use crate::feed::arg_time;
use crate::ffi::{arg_str, boundary, parse_json, FfiResult, Out};
use crate::to_json;

/// The options document of `dmp_indicators` (strict: unknown members are refused).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OptionsJson {
    #[serde(default)]
    from: Option<NaiveDate>,
    #[serde(default)]
    to: Option<NaiveDate>,
    #[serde(default)]
    now: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    dlu_window: Option<Span>,
    #[serde(default)]
    plan: Option<Plan>,
}

/// A plan argument, checked; its errors name the argument.
fn plan_from(text: &str, argument: &str) -> FfiResult<Plan> {
    let plan: Plan = parse_json(text, argument)?;
    plan.check()
        .map_err(|e| Failure::from(e).with("argument", argument))?;
    Ok(plan)
}

/// Which deposits of a deposit plan are due or overdue at `now`, for which usagers, and the
/// plan's coverage, as JSON (the document of `dmp due --json`, `docs/cli-json.md`):
/// `{"plan": "…", "at": "…", "current_usagers": n, "items": [{"usager", "label", "kind",
/// "producer", "reason": "event"|"max_age", "event"/"within" or "max_age", "since",
/// "last_deposit", "deadline", "status": "due"|"overdue"}…], "coverage": {"obligations",
/// "met", "pending", "overdue", "share"}}`.
///
/// - `plan_json`: the plan (`"format": "dmp-deposit-plan/1"`, samples in
///   `examples/data/plans/`); errors name the field as written (`documents[1].on[0].within`).
/// - `facts_json`: the facts a journal exported.
/// - `now_rfc3339`: the time to answer for; NULL: now.
///
/// Errors: `DMP_ERR_JSON` (the last error's `argument` says which document, `path` where),
/// `DMP_ERR_INVALID` (a rule of the plan: `field`, `rule`, `value`),
/// `DMP_ERR_INVALID_ARGUMENT` (a `now_rfc3339` that is not RFC 3339).
///
/// # Safety
/// `plan_json` and `facts_json` NUL-terminated; `now_rfc3339` NULL or NUL-terminated;
/// `out_json` writable.
#[no_mangle]
pub unsafe extern "C" fn dmp_due(
    plan_json: *const c_char,
    facts_json: *const c_char,
    now_rfc3339: *const c_char,
    out_json: *mut *mut dmp_bytes,
) -> dmp_result {
    boundary(|| {
        // SAFETY: caller contract.
        let plan_json = unsafe { arg_str(plan_json, "plan_json") }?;
        // SAFETY: caller contract.
        let facts_json = unsafe { arg_str(facts_json, "facts_json") }?;
        // SAFETY: caller contract.
        let now = unsafe { arg_time(now_rfc3339, "now_rfc3339") }?;
        let out = Out::required(out_json, "out_json")?;
        let plan = plan_from(plan_json, "plan_json")?;
        let facts: Facts = parse_json(facts_json, "facts_json")?;
        let json = to_json(&pilotage::due(&plan, &facts, now))?;
        // SAFETY: `out` checked non-NULL; caller contract.
        unsafe { out.put(dmp_bytes::text(json)) };
        Ok(())
    })
}

/// The pilotage indicators of the facts, in `format`:
/// - `"json"`: the document `dmp-indicators/1` (`dmp indicators --json`, `docs/cli-json.md`);
/// - `"csv"`: one table, columns `indicator,key,detail,value` (CRLF line ends);
/// - `"html"`: one self-contained page with SVG charts (no script, no network).
///
/// `options_json` (NULL: every default): `{"from": "YYYY-MM-DD", "to": "YYYY-MM-DD",
/// "now": "<RFC 3339>", "dlu_window": "3 months", "plan": {…a deposit plan…}}`, every member
/// optional, unknown ones refused. The period is `from..=to`, whole days (open ends: every
/// fact); `now` (default: the current time) is when the DLU and plan figures hold — give it
/// for the same bytes on every run; `plan` adds the plan's coverage.
///
/// Errors: `DMP_ERR_JSON` (`argument` says which document), `DMP_ERR_INVALID` (a rule of the
/// plan, its `field` under `plan.`; `from` after `to`), `DMP_ERR_INVALID_ARGUMENT` (an unknown
/// `format`).
///
/// # Safety
/// `facts_json` and `format` NUL-terminated; `options_json` NULL or NUL-terminated; `out`
/// writable.
#[no_mangle]
pub unsafe extern "C" fn dmp_indicators(
    facts_json: *const c_char,
    options_json: *const c_char,
    format: *const c_char,
    out: *mut *mut dmp_bytes,
) -> dmp_result {
    boundary(|| {
        // SAFETY: caller contract.
        let facts_json = unsafe { arg_str(facts_json, "facts_json") }?;
        let options_json = if options_json.is_null() {
            None
        } else {
            // SAFETY: caller contract.
            Some(unsafe { arg_str(options_json, "options_json") }?)
        };
        // SAFETY: caller contract.
        let format = unsafe { arg_str(format, "format") }?;
        let out = Out::required(out, "out")?;
        if !matches!(format, "json" | "csv" | "html") {
            return Err(Failure::new(
                dmp_result::DMP_ERR_INVALID_ARGUMENT,
                format!("argument `format`: {format:?} is not one of \"json\", \"csv\", \"html\""),
            )
            .with("argument", "format")
            .with("value", format));
        }
        let o: OptionsJson = match options_json {
            Some(text) => parse_json(text, "options_json")?,
            None => OptionsJson {
                from: None,
                to: None,
                now: None,
                dlu_window: None,
                plan: None,
            },
        };
        if let Some(plan) = &o.plan {
            plan.check()
                .map_err(|e| Failure::from(e.at("plan")).with("argument", "options_json"))?;
        }
        if let (Some(f), Some(t)) = (o.from, o.to) {
            if f > t {
                let e =
                    dmp_core::Error::invalid("from", format!("is after `to` ({t})"), f.to_string());
                return Err(Failure::from(e).with("argument", "options_json"));
            }
        }
        let facts: Facts = parse_json(facts_json, "facts_json")?;
        let options = IndicatorOptions {
            from: o.from,
            to: o.to,
            dlu_window: o
                .dlu_window
                .unwrap_or(IndicatorOptions::default().dlu_window),
        };
        let now = o
            .now
            .unwrap_or_else(|| DateTime::<Utc>::from(std::time::SystemTime::now()).fixed_offset());
        let ind = Indicators::compute_with(&facts, &options, now, o.plan.as_ref());
        let text = match format {
            "json" => to_json(&ind)?,
            "csv" => ind.to_csv(),
            _ => pilotage::report::html(&ind),
        };
        // SAFETY: `out` checked non-NULL; caller contract.
        unsafe { out.put(dmp_bytes::text(text)) };
        Ok(())
    })
}

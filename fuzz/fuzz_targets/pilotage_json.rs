//! The pilotage inputs (`dmp due`, `dmp indicators`, `dmp_due`, `dmp_indicators`, the consent
//! register of `dmp journal consent`): any text, never a panic, whatever dates it holds. The
//! first byte picks the input; a deposit plan and its facts are separated by a NUL byte.
#![no_main]
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use dmp_core::consent::register::{applicable, ConsentRecord, ConsultationAsked};
use dmp_core::habilitation::AccessMode;
use dmp_core::pilotage::{due, report, Facts, Indicators, Plan};
use libfuzzer_sys::fuzz_target;

fn facts(text: &str) -> Option<Facts> {
    dmp_core::json::from_str::<Facts>(text).ok()
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let Ok(now) = DateTime::<FixedOffset>::parse_from_rfc3339("2026-12-01T09:00:00+01:00") else {
        return;
    };
    match which % 3 {
        0 => {
            let (plan_text, facts_text) = text.split_once('\0').unwrap_or((text, "{}"));
            if let (Ok(plan), Some(f)) = (Plan::from_json(plan_text), facts(facts_text)) {
                let d = due(&plan, &f, now);
                let _ = serde_json::to_string(&d);
                let ind = Indicators::compute(&f, None, None, now, Some(&plan));
                let _ = report::html(&ind);
            }
        }
        1 => {
            if let Some(f) = facts(text) {
                let from = NaiveDate::from_ymd_opt(2026, 1, 1);
                let to = NaiveDate::from_ymd_opt(2026, 11, 30);
                for (a, b) in [(None, None), (from, to), (to, from)] {
                    let ind = Indicators::compute(&f, a, b, now, None);
                    let _ = ind.to_csv();
                    let _ = report::html(&ind);
                    let _ = serde_json::to_string(&ind);
                }
            }
        }
        _ => {
            if let Ok(records) = dmp_core::json::from_str::<Vec<ConsentRecord>>(text) {
                let usager = records.first().map(|r| r.usager.clone()).unwrap_or_default();
                let professional = records
                    .first()
                    .and_then(|r| r.professional.clone())
                    .unwrap_or_default();
                for care_team in [true, false] {
                    for access_mode in [AccessMode::Normal, AccessMode::BrisDeGlace] {
                        let asked = ConsultationAsked {
                            usager: &usager,
                            professional: &professional,
                            care_team,
                            access_mode,
                            at: now.with_timezone(&Utc),
                        };
                        let _ = applicable(&records, &asked);
                    }
                }
            }
        }
    }
});

//! `dmp_due` and `dmp_indicators` called as a C caller would: the sample EHPAD year gives the
//! same documents as the core (the golden files), outputs are written only on success, and
//! every error names its argument and field.

mod common;

use std::ffi::c_char;
use std::ptr;

use common::{cstring, last_error_json, repo, take, take_json};
use dmp::pilotage::{dmp_due, dmp_indicators};
use dmp::{dmp_bytes, dmp_result};

const NOW: &str = "2026-12-01T09:00:00+01:00";

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo().join(rel)).expect("sample file")
}

fn due(plan: &str, facts: &str, now: Option<&str>) -> Result<serde_json::Value, dmp_result> {
    let (plan, facts) = (cstring(plan), cstring(facts));
    let now = now.map(cstring);
    let sentinel = ptr::dangling_mut::<dmp_bytes>();
    let mut out = sentinel;
    // SAFETY: valid NUL-terminated strings, a writable slot.
    let r = unsafe {
        dmp_due(
            plan.as_ptr(),
            facts.as_ptr(),
            now.as_ref().map_or(ptr::null(), |n| n.as_ptr()),
            &mut out,
        )
    };
    if r != dmp_result::DMP_OK {
        assert_eq!(out, sentinel, "output untouched on error");
        return Err(r);
    }
    Ok(take_json(out))
}

fn indicators(facts: &str, options: Option<&str>, format: &str) -> Result<String, dmp_result> {
    let (facts, format) = (cstring(facts), cstring(format));
    let options = options.map(cstring);
    let sentinel = ptr::dangling_mut::<dmp_bytes>();
    let mut out = sentinel;
    // SAFETY: as above.
    let r = unsafe {
        dmp_indicators(
            facts.as_ptr(),
            options.as_ref().map_or(ptr::null(), |o| o.as_ptr()),
            format.as_ptr(),
            &mut out,
        )
    };
    if r != dmp_result::DMP_OK {
        assert_eq!(out, sentinel, "output untouched on error");
        return Err(r);
    }
    Ok(String::from_utf8(take(out)).expect("UTF-8"))
}

fn sample_options() -> String {
    let plan: serde_json::Value =
        serde_json::from_str(&read("examples/data/plans/ehpad.json")).unwrap();
    serde_json::json!({"from": "2026-01-01", "to": "2026-11-30", "now": NOW, "plan": plan})
        .to_string()
}

#[test]
fn the_sample_year_gives_the_golden_documents() {
    let facts = read("examples/data/facts/ehpad.json");
    let d = due(&read("examples/data/plans/ehpad.json"), &facts, Some(NOW)).unwrap();
    let golden: serde_json::Value =
        serde_json::from_str(&read("tests/golden/pilotage/ehpad-due.json")).unwrap();
    assert_eq!(d, golden);
    assert_eq!(d["current_usagers"], 25);

    let options = sample_options();
    let json: serde_json::Value =
        serde_json::from_str(&indicators(&facts, Some(&options), "json").unwrap()).unwrap();
    let golden: serde_json::Value =
        serde_json::from_str(&read("tests/golden/pilotage/ehpad-indicators.json")).unwrap();
    assert_eq!(json, golden);
    assert_eq!(json["dmp_fed"], 29);
    assert_eq!(
        indicators(&facts, Some(&options), "csv").unwrap(),
        read("tests/golden/pilotage/ehpad-indicators.csv")
    );
    assert_eq!(
        indicators(&facts, Some(&options), "html").unwrap(),
        read("tests/golden/pilotage/ehpad-indicators.html")
    );
}

#[test]
fn without_options_every_fact_counts() {
    let facts = read("examples/data/facts/ehpad.json");
    let json: serde_json::Value =
        serde_json::from_str(&indicators(&facts, None, "json").unwrap()).unwrap();
    assert_eq!(json["from"], serde_json::Value::Null);
    assert_eq!(json["deposits"]["total"], 187);
    assert_eq!(json["dlu"]["window"], "3 months");
    assert_eq!(json["plan"], serde_json::Value::Null);
}

#[test]
fn errors_name_the_argument_and_the_field() {
    let facts = read("examples/data/facts/ehpad.json");
    let plan = read("examples/data/plans/ehpad.json");

    let bad_plan = plan.replace("\"within\": \"15 days\"", "\"within\": \"15 dys\"");
    assert_eq!(
        due(&bad_plan, &facts, Some(NOW)),
        Err(dmp_result::DMP_ERR_JSON)
    );
    let e = last_error_json();
    assert_eq!(e["argument"], "plan_json");
    assert_eq!(e["path"], "documents[0].on[0].within");

    let twice = plan.replace("\"projet_personnalise\"", "\"dlu\"");
    assert_eq!(
        due(&twice, &facts, Some(NOW)),
        Err(dmp_result::DMP_ERR_INVALID)
    );
    assert_eq!(last_error_json()["field"], "documents[1].kind");

    assert_eq!(
        due(&plan, "{\"usagers\": 3}", Some(NOW)),
        Err(dmp_result::DMP_ERR_JSON)
    );
    let e = last_error_json();
    assert_eq!(
        (e["argument"].as_str(), e["path"].as_str()),
        (Some("facts_json"), Some("usagers"))
    );

    assert_eq!(
        due(&plan, &facts, Some("1 December")),
        Err(dmp_result::DMP_ERR_INVALID_ARGUMENT)
    );
    assert_eq!(last_error_json()["argument"], "now_rfc3339");

    assert_eq!(
        indicators(&facts, None, "pdf"),
        Err(dmp_result::DMP_ERR_INVALID_ARGUMENT)
    );
    assert_eq!(last_error_json()["argument"], "format");

    assert_eq!(
        indicators(&facts, Some(r#"{"form": "2026-01-01"}"#), "json"),
        Err(dmp_result::DMP_ERR_JSON)
    );
    let e = last_error_json();
    assert_eq!(e["argument"], "options_json");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("unknown field `form`"),
        "{e}"
    );

    let o = sample_options().replace("\"max_age\":\"3 months\"", "\"max_age\":\"0 months\"");
    assert_eq!(
        indicators(&facts, Some(&o), "json"),
        Err(dmp_result::DMP_ERR_INVALID)
    );
    assert_eq!(last_error_json()["field"], "plan.documents[0].max_age");

    assert_eq!(
        indicators(
            &facts,
            Some(r#"{"from": "2026-02-01", "to": "2026-01-01"}"#),
            "csv"
        ),
        Err(dmp_result::DMP_ERR_INVALID)
    );
    assert_eq!(last_error_json()["field"], "from");
}

#[test]
fn null_pointers_are_refused() {
    let f = cstring("{}");
    let json = cstring("json");
    let mut out: *mut dmp_bytes = ptr::null_mut();
    // SAFETY: NULL arguments are what is tested; the rest is valid.
    unsafe {
        assert_eq!(
            dmp_due(ptr::null(), f.as_ptr(), ptr::null(), &mut out),
            dmp_result::DMP_ERR_NULL_ARGUMENT
        );
        assert_eq!(last_error_json()["argument"], "plan_json");
        assert_eq!(
            dmp_indicators(f.as_ptr(), ptr::null(), ptr::null::<c_char>(), &mut out),
            dmp_result::DMP_ERR_NULL_ARGUMENT
        );
        assert_eq!(
            dmp_indicators(f.as_ptr(), ptr::null(), json.as_ptr(), ptr::null_mut()),
            dmp_result::DMP_ERR_NULL_ARGUMENT
        );
        assert_eq!(last_error_json()["argument"], "out");
    }
    assert!(out.is_null());
}

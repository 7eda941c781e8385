//! `dmp due` and `dmp indicators` on the sample EHPAD year: the golden outputs of the core,
//! the text forms, and usage errors in the words of the command line.

mod support;

use support::{dmp, tmp, ROOT};

const FACTS: &str = "examples/data/facts/ehpad.json";
const PLAN: &str = "examples/data/plans/ehpad.json";
const AT: &str = "2026-12-01T09:00:00+01:00";

fn golden(name: &str) -> String {
    std::fs::read_to_string(format!("{ROOT}/tests/golden/pilotage/{name}")).unwrap()
}

fn indicators(extra: &[&str]) -> (i32, String, String) {
    let mut args = vec![
        "indicators",
        "--facts",
        FACTS,
        "--plan",
        PLAN,
        "--from",
        "2026-01-01",
        "--to",
        "2026-11-30",
        "--at",
        AT,
    ];
    args.extend(extra);
    dmp(&args)
}

#[test]
fn indicators_json_csv_html_are_the_golden_files() {
    let (code, out, err) = indicators(&["--json"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, golden("ehpad-indicators.json"));
    let (code, out, _) = indicators(&["--csv"]);
    assert_eq!(code, 0);
    assert_eq!(out, golden("ehpad-indicators.csv"));
    let page = tmp("pilotage", "report.html");
    let (code, out, _) = indicators(&["--html", &page]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with(&format!("{page}: HTML report written (")),
        "{out}"
    );
    assert_eq!(
        std::fs::read_to_string(&page).unwrap(),
        golden("ehpad-indicators.html")
    );
}

#[test]
fn indicators_text_names_the_figures() {
    let (code, out, err) = indicators(&[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("DMPs fed: 29\n"), "{out}");
    assert!(
        out.contains("deposits: 135 accepted, 4 refused, 1 queued, 1 unknown (65 replacements)"),
        "{out}"
    );
    assert!(
        out.contains("     70  Document de liaison d'urgence (74207-2)\n"),
        "{out}"
    );
    assert!(out.contains("      2  XDSUnknownPatientId "), "{out}");
    assert!(
        out.contains("DLU up to date (3 months): 15 of 25 current usagers (60.0 %)"),
        "{out}"
    );
    let (code, out, _) = indicators(&["--dlu-window", "1 mois"]);
    assert_eq!(code, 0);
    assert!(out.contains("DLU up to date (1 month): "), "{out}");
}

#[test]
fn due_json_is_the_golden_list_and_text_lists_it() {
    let (code, out, err) = dmp(&[
        "due", "--plan", PLAN, "--facts", FACTS, "--at", AT, "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, golden("ehpad-due.json"));
    let (code, out, _) = dmp(&["due", "--plan", PLAN, "--facts", FACTS, "--at", AT]);
    assert_eq!(code, 0);
    let first = out.lines().nth(1).unwrap();
    assert_eq!(
        first,
        "  OVERDUE 2025-12-14 R-013: projet_personnalise (annual_review of 2025-11-14 + 1 month; \
         Référent du projet personnalisé)"
    );
    assert!(out.ends_with("(71.7 % of those that fell due)\n"), "{out}");
}

#[test]
fn usage_and_input_errors_name_what_is_wrong() {
    let (code, _, err) = indicators(&["--json", "--csv"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cannot be used with"), "{err}");
    let (code, _, err) = dmp(&["indicators", "--facts", FACTS, "--from", "2026-13-01"]);
    assert_eq!(code, 2);
    assert!(err.contains("--from 2026-13-01: not a date"), "{err}");
    let (code, _, err) = dmp(&["indicators", "--facts", FACTS, "--dlu-window", "3 moons"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--dlu-window \"3 moons\": unknown unit \"moons\""),
        "{err}"
    );
    let (code, _, err) = dmp(&[
        "indicators",
        "--facts",
        FACTS,
        "--from",
        "2026-03-01",
        "--to",
        "2026-01-01",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--from 2026-03-01 is after --to 2026-01-01"),
        "{err}"
    );

    let bad = tmp("pilotage", "bad-plan.json");
    let text = std::fs::read_to_string(format!("{ROOT}/{PLAN}"))
        .unwrap()
        .replace("\"producer\": \"IDEC\"", "\"produced_by\": \"IDEC\"");
    std::fs::write(&bad, text).unwrap();
    let (code, _, err) = dmp(&["due", "--plan", &bad, "--facts", FACTS, "--at", AT]);
    assert_eq!(code, 1);
    assert!(
        err.contains(&format!("{bad}: JSON at documents[3].produced_by")),
        "{err}"
    );
    assert!(err.contains("unknown field `produced_by`"), "{err}");
}

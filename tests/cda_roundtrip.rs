//! Build → read → the same header and content, for every case of `examples/cda_cases.rs`
//! (every ESSMS document kind in PDF and text, a replacement, a local-id author, a device
//! author, a minor usager).

#[allow(dead_code)]
#[path = "../examples/cda_cases.rs"]
mod cases;

use dmp_core::cda;

#[test]
fn every_case_round_trips() {
    let all = cases::cases().unwrap();
    assert!(all.len() >= 2 * dmp_core::model::DocumentKind::ALL.len() + 4);
    for (name, header, content) in all {
        let bytes = cda::build(&header, &content).unwrap_or_else(|e| panic!("{name}: {e}"));
        let doc = cda::read(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let back = doc.to_header().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(back, header, "{name}");
        assert_eq!(doc.content.as_ref(), Some(&content), "{name}");
        // Deterministic: the same inputs give the same bytes.
        assert_eq!(cda::build(&header, &content).unwrap(), bytes, "{name}");
    }
}

//! The checked-in header `include/dmp.h` agrees with the crate: version macros equal
//! `Cargo.toml`'s version, every exported result code is declared with its number, and
//! every `#[no_mangle]` function of the sources is declared. (`.ci/ffi-checks` also
//! regenerates the header with the pinned cbindgen and diffs it.)

mod common;

use dmp::dmp_result;

fn header() -> String {
    std::fs::read_to_string(common::repo().join("include/dmp.h")).expect("include/dmp.h")
}

fn define(h: &str, name: &str) -> String {
    let prefix = format!("#define {name} ");
    h.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("{name} not defined in include/dmp.h"))
        .trim()
        .to_owned()
}

#[test]
fn version_macros_match_cargo_toml() {
    let h = header();
    let v = env!("CARGO_PKG_VERSION");
    let parts: Vec<&str> = v.split(['.', '-', '+']).collect();
    assert_eq!(define(&h, "DMP_VERSION_MAJOR"), parts[0]);
    assert_eq!(define(&h, "DMP_VERSION_MINOR"), parts[1]);
    assert_eq!(define(&h, "DMP_VERSION_PATCH"), parts[2]);
    assert_eq!(define(&h, "DMP_VERSION_STRING"), format!("\"{v}\""));
    assert_eq!(v, dmp_core::VERSION);
}

#[test]
fn result_codes_are_declared() {
    let h = header();
    for code in [
        dmp_result::DMP_OK,
        dmp_result::DMP_ERR_NULL_ARGUMENT,
        dmp_result::DMP_ERR_INVALID_UTF8,
        dmp_result::DMP_ERR_BUFFER_TOO_SMALL,
        dmp_result::DMP_ERR_INVALID_ARGUMENT,
        dmp_result::DMP_ERR_PANIC,
        dmp_result::DMP_ERR_JSON,
        dmp_result::DMP_ERR_INVALID,
        dmp_result::DMP_ERR_DATA,
        dmp_result::DMP_ERR_XML,
    ] {
        let line = format!("{:?} = {},", code, code as u32);
        assert!(h.contains(&line), "missing `{line}` in include/dmp.h");
    }
}

#[test]
fn every_export_is_declared() {
    let h = header();
    let src = common::repo().join("dmp-ffi/src");
    let mut n = 0;
    for entry in std::fs::read_dir(src).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let mut lines = text.lines();
        while let Some(l) = lines.next() {
            if l.trim() != "#[no_mangle]" {
                continue;
            }
            let sig = lines.next().unwrap();
            let name = sig
                .split("fn ")
                .nth(1)
                .and_then(|r| r.split('(').next())
                .unwrap();
            assert!(
                h.contains(&format!(" {name}(")) || h.contains(&format!("*{name}(")),
                "{name} is exported but not in include/dmp.h: regenerate it"
            );
            n += 1;
        }
    }
    assert!(n > 20, "found only {n} exports");
}

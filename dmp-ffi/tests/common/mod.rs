//! Helpers shared by the integration tests: they call the exported C functions exactly as a
//! C caller would (raw pointers, NUL-terminated strings).
#![allow(dead_code)]

use std::ffi::{c_char, CString};
use std::path::PathBuf;
use std::ptr;

use dmp::bytes::{dmp_bytes_data, dmp_bytes_free, dmp_bytes_len};
use dmp::dmp_bytes;
use dmp::error::{dmp_last_error_json, dmp_last_error_message};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn data(rel: &str) -> Vec<u8> {
    std::fs::read(repo().join("examples/data").join(rel)).expect("sample data")
}

pub fn cstring(s: &str) -> CString {
    CString::new(s).expect("no NUL inside")
}

/// Copies and frees a `dmp_bytes`.
pub fn take(b: *mut dmp_bytes) -> Vec<u8> {
    assert!(!b.is_null());
    // SAFETY: `b` is a live buffer from the library; freed exactly once here.
    unsafe {
        let v = std::slice::from_raw_parts(dmp_bytes_data(b), dmp_bytes_len(b)).to_vec();
        assert_eq!(
            *dmp_bytes_data(b).add(dmp_bytes_len(b)),
            0,
            "NUL after the data"
        );
        dmp_bytes_free(b);
        v
    }
}

pub fn take_json(b: *mut dmp_bytes) -> serde_json::Value {
    serde_json::from_slice(&take(b)).expect("output is JSON")
}

pub fn last_error_message() -> String {
    let mut n = 0usize;
    // SAFETY: size query with a NULL buffer, then a buffer of the announced size + 1.
    unsafe {
        dmp_last_error_message(ptr::null_mut(), 0, &mut n);
        let mut buf = vec![0u8; n + 1];
        let r = dmp_last_error_message(buf.as_mut_ptr().cast::<c_char>(), buf.len(), &mut n);
        assert_eq!(r as u32, 0);
        buf.truncate(n);
        String::from_utf8(buf).unwrap()
    }
}

pub fn last_error_json() -> serde_json::Value {
    let mut n = 0usize;
    // SAFETY: as above.
    unsafe {
        dmp_last_error_json(ptr::null_mut(), 0, &mut n);
        let mut buf = vec![0u8; n + 1];
        let r = dmp_last_error_json(buf.as_mut_ptr().cast::<c_char>(), buf.len(), &mut n);
        assert_eq!(r as u32, 0);
        buf.truncate(n);
        serde_json::from_slice(&buf).unwrap()
    }
}

/// The `header` object of a case file, as JSON text.
pub fn case_header(case: &str) -> String {
    let v: serde_json::Value = serde_json::from_slice(&data(case)).unwrap();
    v["header"].to_string()
}

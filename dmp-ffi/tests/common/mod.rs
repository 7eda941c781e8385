//! Helpers shared by the integration tests: they call the exported C functions exactly as a
//! C caller would (raw pointers, NUL-terminated strings).
#![allow(dead_code)]

use std::ffi::{c_char, CString};
use std::path::PathBuf;
use std::ptr;

use dmp::bytes::{dmp_bytes_data, dmp_bytes_free, dmp_bytes_len};
use dmp::error::{dmp_last_error_json, dmp_last_error_message};
use dmp::identity::dmp_identity_new_from_p12;
use dmp::{dmp_bytes, dmp_identity, dmp_result};

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

/// The `(message, info JSON)` of a request builder (`dmp_feed_build`, `dmp_consult_build`)
/// that returned `r`, or `r` itself after checking that both outputs still hold `sentinel`
/// (outputs are written only on success).
pub fn built(
    r: dmp_result,
    msg: *mut dmp_bytes,
    info: *mut dmp_bytes,
    sentinel: *mut dmp_bytes,
) -> Result<(Vec<u8>, serde_json::Value), dmp_result> {
    if r != dmp_result::DMP_OK {
        assert_eq!(
            (msg, info),
            (sentinel, sentinel),
            "outputs untouched on error"
        );
        return Err(r);
    }
    Ok((take(msg), take_json(info)))
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

/// A file of the repository.
pub fn repo_file(rel: &str) -> Vec<u8> {
    std::fs::read(repo().join(rel)).expect("repository file")
}

/// Standard base64 with padding (the tests need no crate for it).
pub fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The TD2.1 request of `examples/data/feed/dlu.json` with its document inline (the DLU
/// case header and sample.pdf in base64), as the C ABI wants it.
pub fn dlu_feed_request() -> serde_json::Value {
    let mut req: serde_json::Value = serde_json::from_slice(&data("feed/dlu.json")).unwrap();
    let case: serde_json::Value = serde_json::from_slice(&data("cases/dlu.json")).unwrap();
    req["documents"] = serde_json::json!([{
        "header": case["header"],
        "content": {"media_type": "application/pdf", "base64": base64(&data("cases/sample.pdf"))},
        "comments": "DLU à l'entrée en EHPAD",
    }]);
    req
}

/// The build time of the feed tests (the DLU is of 2026-11-20, the test certificates valid
/// 2025–2045).
pub const FEED_NOW: &str = "2026-11-20T15:00:00+01:00";

/// The password of every `.p12` of the test PKI (`examples/pki/PASSWORD`).
pub const PASSWORD: &str = "dmp-test";

/// A signing identity from a `.p12` of the repository (`examples/pki/…`), through the C ABI.
pub fn p12_identity(file: &str) -> *mut dmp_identity {
    let p12 = repo_file(file);
    let pw = cstring(PASSWORD);
    let mut id = ptr::null_mut();
    // SAFETY: valid buffer, string and slot.
    let r = unsafe { dmp_identity_new_from_p12(p12.as_ptr(), p12.len(), pw.as_ptr(), &mut id) };
    assert_eq!(r, dmp_result::DMP_OK, "{}", last_error_message());
    id
}

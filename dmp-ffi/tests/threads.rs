//! The exported functions called from several threads at once: one shared `dmp_matrix`,
//! concurrent staff reports, decisions and CDA builds, per-thread last errors; one shared
//! `dmp_identity` building TD2.1 requests.

mod common;

use std::ptr;

use common::*;
use dmp::cda::{dmp_cda_build, dmp_cda_read};
use dmp::error::dmp_last_error_code;
use dmp::habilitation::{
    dmp_matrix_decide, dmp_matrix_free, dmp_matrix_new_default, dmp_staff_report,
};
use dmp::ids::dmp_check_rpps;
use dmp::{dmp_matrix, dmp_result};

/// A matrix pointer that threads may share: `dmp_matrix` is documented immutable.
#[derive(Clone, Copy)]
struct Shared(*const dmp_matrix);
// SAFETY: the library documents `const dmp_matrix *` as shareable across threads (the Rust
// `Matrix` is `Sync`), and the matrix outlives the scoped threads below.
unsafe impl Send for Shared {}
// SAFETY: as above.
unsafe impl Sync for Shared {}

struct Outputs {
    report: Vec<u8>,
    decision: serde_json::Value,
    cda: Vec<u8>,
}

fn run_once(m: Shared, staff: &std::ffi::CStr, header: &std::ffi::CStr, pdf: &[u8]) -> Outputs {
    let reader = cstring(r#"{"profession":{"system":"TRE_G15","code":"60"}}"#);
    let type_code = cstring("74207-2");
    let mime = cstring("application/pdf");
    let (mut report, mut decision, mut xml) = (ptr::null_mut(), ptr::null_mut(), ptr::null_mut());
    // SAFETY: valid NUL-terminated strings, a live matrix, writable output slots.
    unsafe {
        assert_eq!(
            dmp_staff_report(m.0, staff.as_ptr(), &mut report),
            dmp_result::DMP_OK
        );
        assert_eq!(
            dmp_matrix_decide(m.0, reader.as_ptr(), type_code.as_ptr(), &mut decision),
            dmp_result::DMP_OK
        );
        assert_eq!(
            dmp_cda_build(
                header.as_ptr(),
                pdf.as_ptr(),
                pdf.len(),
                mime.as_ptr(),
                &mut xml
            ),
            dmp_result::DMP_OK
        );
    }
    Outputs {
        report: take(report),
        decision: take_json(decision),
        cda: take(xml),
    }
}

#[test]
fn shared_matrix_concurrent_reports_and_builds() {
    let mut m = ptr::null_mut();
    // SAFETY: writable output slot.
    assert_eq!(
        unsafe { dmp_matrix_new_default(&mut m) },
        dmp_result::DMP_OK
    );
    let shared = Shared(m);
    let staff = cstring(std::str::from_utf8(&data("ehpad-staff.json")).unwrap());
    let header = cstring(&case_header("cases/dlu.json"));
    let pdf = data("cases/sample.pdf");
    let baseline = run_once(shared, &staff, &header, &pdf);
    assert_eq!(baseline.decision["type_code"], "74207-2");
    assert!(baseline.cda.starts_with(b"<?xml"));

    std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|t| {
                let (staff, header, pdf, baseline) = (&staff, &header, &pdf, &baseline);
                s.spawn(move || {
                    for i in 0..5 {
                        let out = run_once(shared, staff, header, pdf);
                        assert_eq!(out.report, baseline.report, "thread {t} round {i}");
                        assert_eq!(out.decision, baseline.decision);
                        assert_eq!(out.cda, baseline.cda, "CDA bytes are deterministic");
                        // Read the CDA back on this thread too.
                        let (mut h, mut body) = (ptr::null_mut(), ptr::null_mut());
                        // SAFETY: valid buffer and output slots.
                        let r = unsafe {
                            dmp_cda_read(out.cda.as_ptr(), out.cda.len(), &mut h, &mut body)
                        };
                        assert_eq!(r, dmp_result::DMP_OK);
                        assert_eq!(take(body), *pdf);
                        assert!(take_json(h)["model_error"].is_null());
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().expect("no thread panicked");
        }
    });
    // SAFETY: created above, no thread uses it any more.
    unsafe { dmp_matrix_free(m) };
}

#[test]
fn last_error_is_per_thread() {
    let bad = cstring("12345678901");
    let good = cstring("10002422979");
    let barrier = std::sync::Barrier::new(2);
    std::thread::scope(|s| {
        s.spawn(|| {
            // SAFETY: valid string, NULL optional output.
            let r = unsafe { dmp_check_rpps(bad.as_ptr(), ptr::null_mut()) };
            assert_eq!(r, dmp_result::DMP_ERR_INVALID);
            barrier.wait(); // the other thread succeeds now
            barrier.wait();
            assert_eq!(dmp_last_error_code(), dmp_result::DMP_ERR_INVALID);
            assert_eq!(last_error_json()["field"], "rpps");
        });
        s.spawn(|| {
            barrier.wait();
            // SAFETY: valid string, NULL optional output.
            let r = unsafe { dmp_check_rpps(good.as_ptr(), ptr::null_mut()) };
            assert_eq!(r, dmp_result::DMP_OK);
            assert_eq!(dmp_last_error_code(), dmp_result::DMP_OK);
            barrier.wait();
        });
    });
}

/// An identity pointer that threads may share: `dmp_identity` is documented immutable.
#[derive(Clone, Copy)]
struct SharedIdentity(*const dmp::dmp_identity);
// SAFETY: `const dmp_identity *` is documented shareable (a PKCS#12 identity holds no
// callback); it outlives the scoped threads below.
unsafe impl Send for SharedIdentity {}
// SAFETY: as above.
unsafe impl Sync for SharedIdentity {}

#[test]
fn one_identity_builds_on_several_threads() {
    use dmp::feed::dmp_feed_build;
    use dmp::identity::{dmp_identity_free, dmp_identity_new_from_p12};
    let p12 = std::fs::read(repo().join("examples/pki/org-sign.p12")).unwrap();
    let pw = cstring("dmp-test");
    let mut id = ptr::null_mut();
    // SAFETY: valid buffer, string and slot.
    let r = unsafe { dmp_identity_new_from_p12(p12.as_ptr(), p12.len(), pw.as_ptr(), &mut id) };
    assert_eq!(r, dmp_result::DMP_OK);
    let shared = SharedIdentity(id);
    let request = dlu_feed_request().to_string();
    let messages: Vec<Vec<u8>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let request = request.clone();
                s.spawn(move || {
                    let shared = shared;
                    let (req, now) = (cstring(&request), cstring(FEED_NOW));
                    let mut msg = ptr::null_mut();
                    // SAFETY: the identity is live for the scope; valid strings and slot.
                    let r = unsafe {
                        dmp_feed_build(
                            shared.0,
                            req.as_ptr(),
                            now.as_ptr(),
                            99,
                            &mut msg,
                            ptr::null_mut(),
                        )
                    };
                    assert_eq!(r, dmp_result::DMP_OK);
                    take(msg)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(messages.windows(2).all(|w| w[0] == w[1]));
    // SAFETY: freed once, after every thread ended.
    unsafe { dmp_identity_free(id) };
}

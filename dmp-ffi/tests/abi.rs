//! The ABI conventions, from Rust: NULL and UTF-8 checks, outputs untouched on error, the
//! last-error record, the buffer protocol.

mod common;

use std::ffi::c_char;
use std::ptr;

use common::*;
use dmp::cda::{dmp_cda_build, dmp_cda_read};
use dmp::error::{dmp_last_error_code, dmp_last_error_message};
use dmp::habilitation::{
    dmp_matrix_decide, dmp_matrix_free, dmp_matrix_info, dmp_matrix_new_default,
    dmp_matrix_new_from_csv, dmp_matrix_with_settings, dmp_rights_decide, dmp_staff_report,
    dmp_staff_report_text,
};
use dmp::ids::{dmp_check_finess, dmp_check_idnat, dmp_check_ins, dmp_check_ins_cx};
use dmp::{dmp_bytes, dmp_result};

const SENTINEL: *mut dmp_bytes = std::ptr::dangling_mut::<dmp_bytes>();

#[test]
fn identifiers() {
    let (m, oid) = (cstring("207058575627097"), cstring("1.2.250.1.213.1.4.10"));
    let mut out = ptr::null_mut();
    // SAFETY: valid strings and slot.
    let r = unsafe { dmp_check_ins(m.as_ptr(), oid.as_ptr(), &mut out) };
    assert_eq!(r, dmp_result::DMP_OK);
    let cx = String::from_utf8(take(out)).unwrap();
    assert_eq!(cx, "207058575627097^^^&1.2.250.1.213.1.4.10&ISO^NH");

    let cx = cstring(&cx);
    let mut out = ptr::null_mut();
    // SAFETY: as above.
    assert_eq!(
        unsafe { dmp_check_ins_cx(cx.as_ptr(), &mut out) },
        dmp_result::DMP_OK
    );
    assert_eq!(take_json(out)["oid"], "1.2.250.1.213.1.4.10");

    let bad = cstring("207058575627098");
    let mut out = SENTINEL;
    // SAFETY: as above.
    let r = unsafe { dmp_check_ins(bad.as_ptr(), oid.as_ptr(), &mut out) };
    assert_eq!(r, dmp_result::DMP_ERR_INVALID);
    assert_eq!(out, SENTINEL, "output untouched on error");
    let e = last_error_json();
    assert_eq!(e["code"], 2001);
    assert_eq!(e["name"], "DMP_ERR_INVALID");
    assert_eq!(e["field"], "ins");
    assert_eq!(e["value"], "207058575627098");
    assert!(last_error_message().contains("207058575627098"));

    let f = cstring("690800123");
    let mut out = ptr::null_mut();
    // SAFETY: as above.
    assert_eq!(
        unsafe { dmp_check_finess(f.as_ptr(), &mut out) },
        dmp_result::DMP_OK
    );
    assert_eq!(take(out), b"690800123");
    let id = cstring("810002422979");
    // SAFETY: valid string, optional output NULL.
    assert_eq!(
        unsafe { dmp_check_idnat(id.as_ptr(), ptr::null_mut()) },
        dmp_result::DMP_OK
    );
}

#[test]
fn null_and_utf8_checks() {
    let mut out = SENTINEL;
    // SAFETY: NULL arguments are what is tested; the library checks them.
    let r = unsafe { dmp_check_ins(ptr::null(), ptr::null(), &mut out) };
    assert_eq!(r, dmp_result::DMP_ERR_NULL_ARGUMENT);
    assert_eq!(last_error_json()["argument"], "matricule");
    assert_eq!(out, SENTINEL);

    // SAFETY: as above.
    let r = unsafe { dmp_matrix_new_default(ptr::null_mut()) };
    assert_eq!(r, dmp_result::DMP_ERR_NULL_ARGUMENT);

    let bad = b"\xff\xfe\0";
    let oid = cstring("1.2.250.1.213.1.4.10");
    // SAFETY: a NUL-terminated (non-UTF-8) string.
    let r = unsafe { dmp_check_ins(bad.as_ptr().cast::<c_char>(), oid.as_ptr(), &mut out) };
    assert_eq!(r, dmp_result::DMP_ERR_INVALID_UTF8);
    assert_eq!(last_error_json()["argument"], "matricule");
    assert_eq!(dmp_last_error_code(), dmp_result::DMP_ERR_INVALID_UTF8);
    assert_eq!(out, SENTINEL);

    // A success clears the last error.
    let m = cstring("207058575627097");
    // SAFETY: valid strings.
    let r = unsafe { dmp_check_ins(m.as_ptr(), oid.as_ptr(), ptr::null_mut()) };
    assert_eq!(r, dmp_result::DMP_OK);
    assert_eq!(last_error_message(), "");
    assert_eq!(last_error_json()["code"], 0);
}

#[test]
fn buffer_protocol() {
    let bad = cstring("1");
    // SAFETY: valid string.
    unsafe { dmp_check_idnat(bad.as_ptr(), ptr::null_mut()) };
    let full = last_error_message();
    assert!(!full.is_empty());
    let mut n = 0usize;
    let mut small = [0x55u8; 4];
    // SAFETY: a 4-byte writable buffer.
    let r = unsafe { dmp_last_error_message(small.as_mut_ptr().cast(), small.len(), &mut n) };
    assert_eq!(r, dmp_result::DMP_ERR_BUFFER_TOO_SMALL);
    assert_eq!(n, full.len());
    assert_eq!(small, [0x55; 4], "nothing written when too small");
    // Exactly len + 1 fits.
    let mut exact = vec![0x55u8; n + 1];
    // SAFETY: a writable buffer of n + 1 bytes.
    let r = unsafe { dmp_last_error_message(exact.as_mut_ptr().cast(), exact.len(), &mut n) };
    assert_eq!(r, dmp_result::DMP_OK);
    assert_eq!(exact[n], 0);
    assert_eq!(&exact[..n], full.as_bytes());
    // The accessors do not change the last error (even when they fail).
    assert_eq!(last_error_message(), full);
}

#[test]
fn json_errors_name_the_path() {
    let mut m = ptr::null_mut();
    // SAFETY: writable slot.
    assert_eq!(
        unsafe { dmp_matrix_new_default(&mut m) },
        dmp_result::DMP_OK
    );
    let text = String::from_utf8(data("ehpad-staff.json")).unwrap();
    let broken = text.replacen("899900100027", "899900100028", 1);
    let staff = cstring(&broken);
    let mut out = SENTINEL;
    // SAFETY: live matrix, valid string, writable slot.
    let r = unsafe { dmp_staff_report(m, staff.as_ptr(), &mut out) };
    assert_eq!(r, dmp_result::DMP_ERR_JSON);
    assert_eq!(out, SENTINEL);
    let e = last_error_json();
    assert_eq!(e["path"], "staff[1].idnat");
    assert_eq!(e["argument"], "staff_json");
    assert!(e["line"].as_u64().unwrap() > 1);

    let staff = cstring(&text);
    let mut out = ptr::null_mut();
    // SAFETY: as above.
    let r = unsafe { dmp_staff_report_text(m, staff.as_ptr(), &mut out) };
    assert_eq!(r, dmp_result::DMP_OK);
    let report = String::from_utf8(take(out)).unwrap();
    assert!(report.contains("EHPAD Les Tilleuls"));

    // Strict reader and settings documents.
    let reader = cstring(r#"{"profesion":{"system":"TRE_G15","code":"60"}}"#);
    let t = cstring("74207-2");
    let mut out = SENTINEL;
    // SAFETY: as above.
    let r = unsafe { dmp_matrix_decide(m, reader.as_ptr(), t.as_ptr(), &mut out) };
    assert_eq!(r, dmp_result::DMP_ERR_JSON);
    assert_eq!(out, SENTINEL);

    let settings = cstring(r#"{"social_rows_in_force":true}"#);
    let mut m2 = ptr::null_mut();
    // SAFETY: as above.
    let r = unsafe { dmp_matrix_with_settings(m, settings.as_ptr(), &mut m2) };
    assert_eq!(r, dmp_result::DMP_OK);
    let mut info = ptr::null_mut();
    // SAFETY: as above.
    assert_eq!(
        unsafe { dmp_matrix_info(m2, &mut info) },
        dmp_result::DMP_OK
    );
    assert_eq!(take_json(info)["settings"]["social_rows_in_force"], true);
    let mut info = ptr::null_mut();
    // SAFETY: as above.
    assert_eq!(unsafe { dmp_matrix_info(m, &mut info) }, dmp_result::DMP_OK);
    assert_eq!(take_json(info)["settings"]["social_rows_in_force"], false);
    // SAFETY: both created above, freed once.
    unsafe {
        dmp_matrix_free(m2);
        dmp_matrix_free(m);
        dmp_matrix_free(ptr::null_mut());
    }
}

#[test]
fn matrix_from_csv_reports_the_line() {
    let info = cstring(r#"{"id":"t","title":"t","date":"2026","legal_basis":"none"}"#);
    let csv =
        cstring("row_id,row_code_system,row_codes,type_code,value\nX,TRE_G15,60,74207-2,Y\nbad\n");
    let mut out = ptr::null_mut();
    // SAFETY: valid strings and slot.
    let r = unsafe { dmp_matrix_new_from_csv(csv.as_ptr(), info.as_ptr(), &mut out) };
    assert_eq!(r, dmp_result::DMP_ERR_DATA, "{}", last_error_message());
    assert!(out.is_null());
    assert_eq!(last_error_json()["line"], 3);
}

#[test]
fn rights() {
    let (a, b, c, t) = (
        cstring("indirecte_certificat_es"),
        cstring("non_ps"),
        cstring("normal"),
        cstring("TD2.1"),
    );
    let mut out = ptr::null_mut();
    // SAFETY: valid strings and slot.
    let r = unsafe { dmp_rights_decide(a.as_ptr(), b.as_ptr(), c.as_ptr(), t.as_ptr(), &mut out) };
    assert_eq!(r, dmp_result::DMP_OK);
    let v = take_json(out);
    assert_eq!(v["transaction"], "TD2.1");
    assert!(v["rows"].as_array().is_some_and(|r| !r.is_empty()));

    let bad = cstring("carte_vitale");
    let mut out = SENTINEL;
    // SAFETY: as above.
    let r =
        unsafe { dmp_rights_decide(bad.as_ptr(), b.as_ptr(), c.as_ptr(), t.as_ptr(), &mut out) };
    assert_eq!(r, dmp_result::DMP_ERR_INVALID);
    assert_eq!(out, SENTINEL);
    let e = last_error_json();
    assert_eq!(e["field"], "auth");
    assert_eq!(e["value"], "carte_vitale");
}

#[test]
fn cda_build_and_read() {
    let header = cstring(&case_header("cases/dlu.json"));
    let pdf = data("cases/sample.pdf");
    let mime = cstring("application/pdf");
    let mut xml = ptr::null_mut();
    // SAFETY: valid strings, buffer and slot.
    let r = unsafe {
        dmp_cda_build(
            header.as_ptr(),
            pdf.as_ptr(),
            pdf.len(),
            mime.as_ptr(),
            &mut xml,
        )
    };
    assert_eq!(r, dmp_result::DMP_OK, "{}", last_error_message());
    let xml = take(xml);

    let (mut h, mut body) = (ptr::null_mut(), ptr::null_mut());
    // SAFETY: valid buffer and slots.
    let r = unsafe { dmp_cda_read(xml.as_ptr(), xml.len(), &mut h, &mut body) };
    assert_eq!(r, dmp_result::DMP_OK);
    assert_eq!(take(body), pdf);
    let v = take_json(h);
    assert_eq!(v["content"]["media_type"], "application/pdf");
    assert_eq!(v["model"]["kind"], "dlu");
    // The model form goes straight back into the builder, with the same bytes.
    let again = cstring(&v["model"].to_string());
    let mut xml2 = ptr::null_mut();
    // SAFETY: as above.
    let r = unsafe {
        dmp_cda_build(
            again.as_ptr(),
            pdf.as_ptr(),
            pdf.len(),
            mime.as_ptr(),
            &mut xml2,
        )
    };
    assert_eq!(r, dmp_result::DMP_OK, "{}", last_error_message());
    assert_eq!(take(xml2), xml);

    // Header-only read.
    let mut h = ptr::null_mut();
    // SAFETY: as above; NULL optional content slot.
    let r = unsafe { dmp_cda_read(xml.as_ptr(), xml.len(), &mut h, ptr::null_mut()) };
    assert_eq!(r, dmp_result::DMP_OK);
    take(h);

    // Errors.
    let bad_mime = cstring("application/msword");
    let mut out = SENTINEL;
    // SAFETY: as above.
    let r = unsafe {
        dmp_cda_build(
            header.as_ptr(),
            pdf.as_ptr(),
            pdf.len(),
            bad_mime.as_ptr(),
            &mut out,
        )
    };
    assert_eq!(r, dmp_result::DMP_ERR_INVALID);
    assert_eq!(last_error_json()["field"], "media_type");
    assert_eq!(out, SENTINEL);

    let not_xml = b"<ClinicalDocument";
    let (mut h, mut body) = (SENTINEL, SENTINEL);
    // SAFETY: as above.
    let r = unsafe { dmp_cda_read(not_xml.as_ptr(), not_xml.len(), &mut h, &mut body) };
    assert_eq!(r, dmp_result::DMP_ERR_XML);
    assert_eq!((h, body), (SENTINEL, SENTINEL));

    // NULL content with a length is refused; NULL with length 0 is an empty (refused) body.
    let mut out = SENTINEL;
    // SAFETY: NULL pointer tested.
    let r = unsafe { dmp_cda_build(header.as_ptr(), ptr::null(), 10, mime.as_ptr(), &mut out) };
    assert_eq!(r, dmp_result::DMP_ERR_NULL_ARGUMENT);
    assert_eq!(last_error_json()["argument"], "content");
    // SAFETY: as above.
    let r = unsafe { dmp_cda_build(header.as_ptr(), ptr::null(), 0, mime.as_ptr(), &mut out) };
    assert!(dmp::error::dmp_result_is_model_error(r as u32), "{r:?}");
    assert_eq!(out, SENTINEL);
}

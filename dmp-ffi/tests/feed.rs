//! Signing identities and TD2.1 from the C ABI: p12 loading, callback signers, build, check,
//! response parsing.

mod common;

use std::ffi::{c_void, CString};
use std::ptr;

use common::*;
use dmp::feed::{dmp_feed_build, dmp_feed_check, dmp_feed_parse_response};
use dmp::identity::{
    dmp_identity_free, dmp_identity_info, dmp_identity_new_from_callback,
    dmp_identity_new_from_p12, dmp_identity_new_from_p12_file,
};
use dmp::{dmp_bytes, dmp_identity, dmp_result};
use dmp_core::crypto::{CheckedSigner, Signer, SigningIdentity, UsagePolicy};

const SENTINEL: *mut dmp_bytes = std::ptr::dangling_mut::<dmp_bytes>();
const ID_SENTINEL: *mut dmp_identity = std::ptr::dangling_mut::<dmp_identity>();

/// Builds `request` with `id`; the message and the info JSON, or the error code.
fn build(
    id: *const dmp_identity,
    request: &serde_json::Value,
    seed: u64,
) -> Result<(Vec<u8>, serde_json::Value), dmp_result> {
    let req = cstring(&request.to_string());
    let now = cstring(FEED_NOW);
    let (mut msg, mut info) = (SENTINEL, SENTINEL);
    // SAFETY: valid handle, strings and slots.
    let r = unsafe { dmp_feed_build(id, req.as_ptr(), now.as_ptr(), seed, &mut msg, &mut info) };
    built(r, msg, info, SENTINEL)
}

fn check(message: &[u8], trust: Option<&str>) -> serde_json::Value {
    let trust = trust.map(cstring);
    let at = cstring(FEED_NOW);
    let mut out = ptr::null_mut();
    // SAFETY: valid buffer, strings and slot.
    let r = unsafe {
        dmp_feed_check(
            message.as_ptr(),
            message.len(),
            trust.as_ref().map_or(ptr::null(), |t| t.as_ptr()),
            at.as_ptr(),
            &mut out,
        )
    };
    assert_eq!(r, dmp_result::DMP_OK, "{}", last_error_message());
    take_json(out)
}

fn trust_pem() -> String {
    let mut s = String::from_utf8(repo_file("examples/pki/root.pem")).unwrap();
    s += &String::from_utf8(repo_file("examples/pki/org-ca.pem")).unwrap();
    s
}

#[test]
fn p12_identity_info_and_errors() {
    let id = p12_identity("examples/pki/org-sign.p12");
    let mut out = ptr::null_mut();
    // SAFETY: live handle, valid slot.
    assert_eq!(
        unsafe { dmp_identity_info(id, &mut out) },
        dmp_result::DMP_OK
    );
    let info = take_json(out);
    assert_eq!(info["kind"], "pkcs12");
    assert_eq!(info["algorithm"], "rsa-sha1");
    assert!(info["subject"]
        .as_str()
        .unwrap()
        .starts_with("CN=EHPAD Les Tilleuls - cachet,OU=1690800123"));
    assert_eq!(info["serial"], "319162455597687606412484473307662005239");
    assert_eq!(info["structure_id"], "1690800123");
    assert!(info["not_after"]
        .as_str()
        .unwrap()
        .starts_with("2045-01-01"));
    let text = info.to_string();
    assert!(!text.contains("PRIVATE"), "no key material");
    // SAFETY: freed once; NULL is a no-op.
    unsafe {
        dmp_identity_free(id);
        dmp_identity_free(ptr::null_mut());
    }

    // Wrong password: DMP_ERR_KEY, `what` = password, output untouched.
    let p12 = repo_file("examples/pki/org-sign.p12");
    let bad = cstring("not-the-password");
    let mut id = ID_SENTINEL;
    // SAFETY: valid buffer, string and slot.
    let r = unsafe { dmp_identity_new_from_p12(p12.as_ptr(), p12.len(), bad.as_ptr(), &mut id) };
    assert_eq!(r, dmp_result::DMP_ERR_KEY);
    assert_eq!(id, ID_SENTINEL);
    let e = last_error_json();
    assert_eq!(e["code"], 4000);
    assert_eq!(e["what"], "password");

    // From a file; a missing file; NULL arguments; invalid UTF-8.
    let path = cstring(repo().join("examples/pki/org-sign.p12").to_str().unwrap());
    let pw = cstring(PASSWORD);
    let mut id = ptr::null_mut();
    // SAFETY: valid strings and slot.
    let r = unsafe { dmp_identity_new_from_p12_file(path.as_ptr(), pw.as_ptr(), &mut id) };
    assert_eq!(r, dmp_result::DMP_OK);
    // SAFETY: freed once.
    unsafe { dmp_identity_free(id) };
    let missing = cstring("/nonexistent/x.p12");
    let mut id = ID_SENTINEL;
    // SAFETY: as above.
    let r = unsafe { dmp_identity_new_from_p12_file(missing.as_ptr(), pw.as_ptr(), &mut id) };
    assert_eq!(r, dmp_result::DMP_ERR_INVALID_ARGUMENT);
    assert_eq!(last_error_json()["argument"], "path");
    assert_eq!(id, ID_SENTINEL);
    // SAFETY: NULL password / NULL out / non-UTF-8 password are checked.
    unsafe {
        let r = dmp_identity_new_from_p12(p12.as_ptr(), p12.len(), ptr::null(), &mut id);
        assert_eq!(r, dmp_result::DMP_ERR_NULL_ARGUMENT);
        assert_eq!(last_error_json()["argument"], "password");
        let r = dmp_identity_new_from_p12(p12.as_ptr(), p12.len(), pw.as_ptr(), ptr::null_mut());
        assert_eq!(r, dmp_result::DMP_ERR_NULL_ARGUMENT);
        let latin1 = CString::new(vec![b'd', 0xe9]).unwrap();
        let r = dmp_identity_new_from_p12(p12.as_ptr(), p12.len(), latin1.as_ptr(), &mut id);
        assert_eq!(r, dmp_result::DMP_ERR_INVALID_UTF8);
        let mut out = SENTINEL;
        assert_eq!(
            dmp_identity_info(ptr::null(), &mut out),
            dmp_result::DMP_ERR_NULL_ARGUMENT
        );
        assert_eq!(out, SENTINEL);
    }
    assert_eq!(id, ID_SENTINEL);
}

#[test]
fn build_check_is_deterministic_and_checks() {
    let id = p12_identity("examples/pki/org-sign.p12");
    let request = dlu_feed_request();
    let (msg, info) = build(id, &request, 42).unwrap();
    let (again, _) = build(id, &request, 42).unwrap();
    assert_eq!(msg, again, "same seed and time: same bytes");
    assert_eq!(info["path"], "/si-dmp-server/v2/services/repository");
    assert!(info["content_type"]
        .as_str()
        .unwrap()
        .starts_with("multipart/related"));
    assert_eq!(info["documents"].as_array().unwrap().len(), 1);
    assert_eq!(info["seed"], 42);
    let uid = info["documents"][0]["unique_id"].as_str().unwrap();
    assert!(!uid.starts_with("urn:"));
    assert!(msg.starts_with(b"Content-Type: multipart/related"));

    let report = check(&msg, Some(&trust_pem()));
    assert_eq!(report["ok"], true, "{}", report["text"]);
    assert_eq!(report["signatures"].as_array().unwrap().len(), 2);
    for s in report["signatures"].as_array().unwrap() {
        assert_eq!(s["valid"], true);
        assert_eq!(s["chain"]["status"], "trusted");
    }
    let report = check(&msg, None);
    assert_eq!(report["ok"], true);
    assert_eq!(report["signatures"][0]["chain"]["status"], "not_checked");

    // The CDA changed after signing: the check reports it (still DMP_OK).
    let needle = b"<title>Dossier de liaison";
    let at = msg
        .windows(needle.len())
        .rposition(|w| w == needle)
        .expect("the CDA title");
    let mut broken = msg.clone();
    broken[at + 7] = b'd';
    let report = check(&broken, Some(&trust_pem()));
    assert_eq!(report["ok"], false);

    // Seed 0 draws a random seed.
    let (_, info) = build(id, &request, 0).unwrap();
    assert_ne!(info["seed"], 0);

    // SAFETY: freed once.
    unsafe { dmp_identity_free(id) };
}

#[test]
fn build_errors() {
    let id = p12_identity("examples/pki/org-sign.p12");
    // A document given as a case file: refused, the field named.
    let mut request: serde_json::Value = serde_json::from_slice(&data("feed/dlu.json")).unwrap();
    assert_eq!(build(id, &request, 1), Err(dmp_result::DMP_ERR_INVALID));
    assert_eq!(last_error_json()["field"], "documents[0].case");
    // Invalid JSON: the path.
    request = dlu_feed_request();
    request["environment"] = "staging".into();
    assert_eq!(build(id, &request, 1), Err(dmp_result::DMP_ERR_JSON));
    let e = last_error_json();
    assert_eq!(e["path"], "environment");
    assert_eq!(e["argument"], "feed_request_json");
    // Not qualified: a pre-send rule.
    request = dlu_feed_request();
    request["identity_status"] = "provisoire".into();
    assert_eq!(build(id, &request, 1), Err(dmp_result::DMP_ERR_INVALID));
    // NULL identity, bad time.
    let req = cstring(&dlu_feed_request().to_string());
    let mut msg = SENTINEL;
    let bad_time = cstring("yesterday");
    // SAFETY: NULL handle / bad time string are checked.
    unsafe {
        let r = dmp_feed_build(
            ptr::null(),
            req.as_ptr(),
            ptr::null(),
            1,
            &mut msg,
            ptr::null_mut(),
        );
        assert_eq!(r, dmp_result::DMP_ERR_NULL_ARGUMENT);
        assert_eq!(last_error_json()["argument"], "identity");
        let r = dmp_feed_build(
            id,
            req.as_ptr(),
            bad_time.as_ptr(),
            1,
            &mut msg,
            ptr::null_mut(),
        );
        assert_eq!(r, dmp_result::DMP_ERR_INVALID_ARGUMENT);
        assert_eq!(last_error_json()["argument"], "now_rfc3339");
    }
    assert_eq!(msg, SENTINEL);
    // SAFETY: freed once.
    unsafe { dmp_identity_free(id) };

    // An expired certificate: refused at build time, not at load time.
    let expired = p12_identity("examples/pki/expired-org-sign.p12");
    assert_eq!(
        build(expired, &dlu_feed_request(), 1),
        Err(dmp_result::DMP_ERR_KEY)
    );
    assert_eq!(last_error_json()["what"], "usage");
    // SAFETY: freed once.
    unsafe { dmp_identity_free(expired) };
}

/// A C-style signing callback: `user_data` is a `CheckedSigner` (a key the "card" holds).
unsafe extern "C" fn sign_with_rust_key(
    user_data: *mut c_void,
    data: *const u8,
    len: usize,
    sig_out: *mut u8,
    sig_cap: usize,
    sig_len: *mut usize,
) -> i32 {
    // SAFETY: the test passes a live CheckedSigner; the library passes valid buffers.
    let signer = unsafe { &*user_data.cast::<CheckedSigner>() };
    let data = unsafe { std::slice::from_raw_parts(data, len) };
    let Ok(sig) = signer.sign(data) else {
        return 1;
    };
    if sig.len() > sig_cap {
        return 2;
    }
    // SAFETY: `sig_out` has `sig_cap >= sig.len()` bytes; `sig_len` is writable.
    unsafe {
        ptr::copy_nonoverlapping(sig.as_ptr(), sig_out, sig.len());
        *sig_len = sig.len();
    }
    0
}

/// A broken card: returns a well-sized signature of zeros.
unsafe extern "C" fn sign_garbage(
    _user_data: *mut c_void,
    _data: *const u8,
    _len: usize,
    sig_out: *mut u8,
    _sig_cap: usize,
    sig_len: *mut usize,
) -> i32 {
    // SAFETY: the library gives at least 256 writable bytes and a writable `sig_len`.
    unsafe {
        ptr::write_bytes(sig_out, 0, 256);
        *sig_len = 256;
    }
    0
}

/// A card that refuses (PIN blocked).
unsafe extern "C" fn sign_refuses(
    _: *mut c_void,
    _: *const u8,
    _: usize,
    _: *mut u8,
    _: usize,
    _: *mut usize,
) -> i32 {
    -7
}

fn callback_identity(
    algorithm: &str,
    cb: dmp::identity::dmp_sign_callback,
    user_data: *mut c_void,
) -> Result<*mut dmp_identity, dmp_result> {
    let chain =
        cstring(std::str::from_utf8(&repo_file("examples/pki/org-sign-chain.pem")).unwrap());
    let alg = cstring(algorithm);
    let mut id = ID_SENTINEL;
    // SAFETY: valid strings, callback, slot; user_data outlives the identity (test contract).
    let r = unsafe {
        dmp_identity_new_from_callback(alg.as_ptr(), chain.as_ptr(), cb, user_data, &mut id)
    };
    if r == dmp_result::DMP_OK {
        Ok(id)
    } else {
        assert_eq!(id, ID_SENTINEL);
        Err(r)
    }
}

#[test]
fn callback_identity_builds_the_same_bytes() {
    let p12 = repo_file("examples/pki/org-sign.p12");
    let key = SigningIdentity::from_pkcs12(&p12, PASSWORD)
        .unwrap()
        .with_algorithm(dmp_core::crypto::SignatureAlgorithm::RsaSha1)
        .unwrap();
    let mut card: CheckedSigner = key
        .signer_at(chrono::DateTime::UNIX_EPOCH, UsagePolicy::AllowInvalid)
        .unwrap();
    let user_data = (&mut card as *mut CheckedSigner).cast::<c_void>();
    let id = callback_identity("rsa-sha1", Some(sign_with_rust_key), user_data).unwrap();
    let mut out = ptr::null_mut();
    // SAFETY: live handle, valid slot.
    assert_eq!(
        unsafe { dmp_identity_info(id, &mut out) },
        dmp_result::DMP_OK
    );
    let info = take_json(out);
    assert_eq!(info["kind"], "callback");
    assert_eq!(info["structure_id"], "1690800123");

    let request = dlu_feed_request();
    let (msg, _) = build(id, &request, 7).unwrap();
    // RSA PKCS#1 v1.5 is deterministic: the same bytes as with the key in the library.
    let p12_id = p12_identity("examples/pki/org-sign.p12");
    let (msg2, _) = build(p12_id, &request, 7).unwrap();
    assert_eq!(msg, msg2);
    assert_eq!(check(&msg, Some(&trust_pem()))["ok"], true);
    // SAFETY: freed once each.
    unsafe {
        dmp_identity_free(id);
        dmp_identity_free(p12_id);
    }

    // A wrong signature: DMP_ERR_KEY, `what` = signer.
    let id = callback_identity("rsa-sha1", Some(sign_garbage), ptr::null_mut()).unwrap();
    assert_eq!(build(id, &request, 7), Err(dmp_result::DMP_ERR_KEY));
    assert_eq!(last_error_json()["what"], "signer");
    // SAFETY: freed once.
    unsafe { dmp_identity_free(id) };
    // A refusing card: DMP_ERR_KEY, `what` = callback, with its code in the message.
    let id = callback_identity("rsa-sha256", Some(sign_refuses), ptr::null_mut()).unwrap();
    assert_eq!(build(id, &request, 7), Err(dmp_result::DMP_ERR_KEY));
    let e = last_error_json();
    assert_eq!(e["what"], "callback");
    assert!(e["message"].as_str().unwrap().contains("-7"));
    // SAFETY: freed once.
    unsafe { dmp_identity_free(id) };

    // Creation errors: algorithm unknown / not fitting the RSA key, NULL callback.
    assert_eq!(
        callback_identity("rsa-md5", Some(sign_garbage), ptr::null_mut()),
        Err(dmp_result::DMP_ERR_INVALID_ARGUMENT)
    );
    assert_eq!(
        callback_identity("ecdsa-p256-sha256", Some(sign_garbage), ptr::null_mut()),
        Err(dmp_result::DMP_ERR_KEY)
    );
    assert_eq!(last_error_json()["what"], "algorithm");
    assert_eq!(
        callback_identity("rsa-sha1", None, ptr::null_mut()),
        Err(dmp_result::DMP_ERR_NULL_ARGUMENT)
    );
    assert_eq!(last_error_json()["argument"], "cb");
}

fn parse(content_type: &str, body: &[u8]) -> Result<serde_json::Value, dmp_result> {
    let ct = cstring(content_type);
    let mut out = SENTINEL;
    // SAFETY: valid string, buffer and slot.
    let r = unsafe { dmp_feed_parse_response(ct.as_ptr(), body.as_ptr(), body.len(), &mut out) };
    if r == dmp_result::DMP_OK {
        Ok(take_json(out))
    } else {
        assert_eq!(out, SENTINEL);
        Err(r)
    }
}

#[test]
fn responses() {
    let failure = repo_file("tests/fixtures/xds/failure-several-errors.response.xml");
    let v = parse("application/soap+xml; charset=UTF-8", &failure).unwrap();
    assert_eq!(v["outcome"], "failure");
    let errors = v["errors"].as_array().unwrap();
    assert!(errors.len() >= 2);
    for e in errors {
        assert!(e["code"].is_string() && e["context"].is_string() && e["severity"].is_string());
    }
    assert!(v["fault"].is_null());

    let fault = repo_file("tests/fixtures/soap/fault-soap12.xml");
    let v = parse("application/soap+xml", &fault).unwrap();
    assert_eq!(v["outcome"], "fault");
    assert!(
        v["fault"]["code"].as_str().unwrap().contains("Sender") || v["fault"]["code"].is_string()
    );
    assert!(!v["fault"]["reasons"].as_array().unwrap().is_empty());

    let ok = br#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><rs:RegistryResponse xmlns:rs="urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0" status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success"/></s:Body></s:Envelope>"#;
    let v = parse("application/soap+xml", ok).unwrap();
    assert_eq!(v["outcome"], "success");
    assert_eq!(v["errors"].as_array().unwrap().len(), 0);

    assert!(parse("application/soap+xml", b"not xml").is_err());
    let mut out = SENTINEL;
    // SAFETY: NULL content type is checked.
    let r = unsafe { dmp_feed_parse_response(ptr::null(), ok.as_ptr(), ok.len(), &mut out) };
    assert_eq!(r, dmp_result::DMP_ERR_NULL_ARGUMENT);
    assert_eq!(out, SENTINEL);
}

//! Certificates (DER, PEM) and PKCS#12 files with the password of the test PKI: any bytes,
//! never a panic.
#![no_main]
use dmp_core::crypto::{Certificate, SigningIdentity};
use libfuzzer_sys::fuzz_target;

const PASSWORD: &str = include_str!("../../examples/pki/PASSWORD");

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = Certificate::from_der(data) {
        let _ = format!("{c:?}");
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Certificate::from_pem(text);
        let _ = SigningIdentity::from_pem(text, text);
    }
    let _ = SigningIdentity::from_pkcs12(data, PASSWORD.trim());
});

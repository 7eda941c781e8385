//! Signature verification (`dmp verify`, `feed check`): a standalone signed document (VIHF,
//! XAdES) or a whole MTOM message, with the test PKI as trust roots.
#![no_main]
use dmp_core::crypto::Certificate;
use dmp_core::xmldsig::{self, VerifyOptions};
use libfuzzer_sys::fuzz_target;

const ROOT: &str = include_str!("../../examples/pki/root.pem");
const ORG_CA: &str = include_str!("../../examples/pki/org-ca.pem");

fuzz_target!(|data: &[u8]| {
    let at = chrono::DateTime::from_timestamp(1_795_000_000, 0).unwrap_or_default();
    let mut options = VerifyOptions::new(at);
    if let (Ok(root), Ok(ca)) = (Certificate::from_pem(ROOT), Certificate::from_pem(ORG_CA)) {
        options = options.with_trust(vec![root]);
        options.intermediates.push(ca);
    }
    if let Ok(reports) = xmldsig::verify(data, &options) {
        for r in &reports {
            let _ = r.is_valid();
        }
    }
    let _ = dmp_core::feed::check(data, &options);
});

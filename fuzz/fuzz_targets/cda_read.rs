//! The CDA reader (`dmp cda show`, the pre-send check): any bytes, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(doc) = dmp_core::cda::read(data) {
        let _ = format!("{doc:?}");
    }
});

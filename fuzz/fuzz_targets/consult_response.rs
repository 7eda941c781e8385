//! Any answer of the DMP, as a file (`dmp response`): HTTP headers or not, MTOM or not.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = dmp_core::consult::parse_message(data) {
        let _ = r.error();
        let _ = r.render();
        let _ = r.to_json();
    }
});

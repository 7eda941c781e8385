//! The TD3.1 AdhocQueryResponse reader alone (the largest answer: thousands of entries).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = dmp_core::xds::QueryResponse::parse(data) {
        for d in &r.documents {
            let _ = d.masked_to_professionals();
            let _ = d.creation_time_utc();
        }
    }
});

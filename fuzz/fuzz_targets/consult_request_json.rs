//! A consultation request as JSON (the C ABI's input): read, checked, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(r) = dmp_core::json::from_str::<dmp_core::consult::ConsultRequest>(text) {
        let _ = dmp_core::consult::check_request(&r, chrono_now());
    }
    let _ = dmp_core::actor::ActorProfile::from_json(text);
});

fn chrono_now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(1_795_000_000, 0).unwrap_or_default()
}

//! A TD3.2 answer: the first line is the Content-Type, the rest the body (MTOM).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let Ok(content_type) = std::str::from_utf8(&data[..split]) else {
        return;
    };
    let body = data.get(split + 1..).unwrap_or_default();
    if let Ok(m) = dmp_core::soap::mtom::parse(content_type, body) {
        if let Ok(r) = dmp_core::xds::RetrieveResponse::from_multipart(&m) {
            for d in &r.documents {
                let _ = d.n1_body();
            }
        }
    }
    let _ = dmp_core::consult::parse_response(content_type, body);
});

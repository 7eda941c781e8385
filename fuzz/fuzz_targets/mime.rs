//! The one MIME parser (`soap::mtom`): a whole message, or a Content-Type line then a body;
//! XOP resolution of what parses.
#![no_main]
use dmp_core::soap::mtom;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = mtom::parse_message(data) {
        let _ = m.resolve_xop();
    }
    let _ = mtom::read_message(data);
    let split = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    if let Ok(ct) = std::str::from_utf8(&data[..split]) {
        let _ = mtom::ContentType::parse(ct);
        if let Ok(m) = mtom::parse(ct, data.get(split + 1..).unwrap_or_default()) {
            let _ = m.resolve_xop();
        }
    }
});

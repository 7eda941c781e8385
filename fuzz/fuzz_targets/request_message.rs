//! What reads a request built earlier (`dmp send REQUEST`, `dmp_send`): the request read back
//! from its message, the SOAP envelope scan, and the landing probe a lost TD2.1/TD3.3 answer
//! needs (which documents to look for in the registry).
#![no_main]
use dmp_core::landing::Probe;
use dmp_core::soap::{self, mtom::HttpRequest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(request) = HttpRequest::from_message(data) {
        let _ = request.to_message();
    }
    let _ = soap::parse_envelope(data);
    let _ = Probe::of_request(data);
});

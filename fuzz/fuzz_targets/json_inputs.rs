//! Every JSON input of the library (the CLI's and the C ABI's): a feed request, a CDA case,
//! usagers, a staff list, a habilitation matrix. The first byte picks the reader, the rest is
//! the text; what parses is used the way the library uses it.
#![no_main]
use dmp_core::cda::Case;
use dmp_core::habilitation::{Matrix, Rights, StaffList, StaffReport};
use dmp_core::model::Usager;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    match which % 5 {
        0 => {
            if let Ok(mut r) = dmp_core::feed::FeedRequest::from_json(text) {
                let _ = r.resolve(|_| Ok(b"%PDF-1.4 fuzz".to_vec()));
            }
        }
        1 => {
            if let Ok(case) = dmp_core::json::from_str::<Case>(text) {
                if let Ok((header, content)) = case.into_parts(|_| Ok(b"%PDF-1.4 fuzz".to_vec())) {
                    let _ = dmp_core::cda::build(&header, &content);
                }
            }
        }
        2 => {
            let _ = dmp_core::json::from_str::<Vec<Usager>>(text);
        }
        3 => {
            if let Ok(list) = dmp_core::json::from_str::<StaffList>(text) {
                if let (Ok(m), Ok(r)) = (Matrix::embedded(), Rights::embedded()) {
                    let _ = StaffReport::build(&list, &m, &r);
                }
            }
        }
        _ => {
            let _ = Matrix::from_json(text);
        }
    }
});

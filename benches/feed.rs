//! Building + signing a TD2.1 request for a 10 MB PDF, against the floor (SHA-1 + SHA-256 +
//! base64 of the same bytes) in the same run; peak memory (VmHWM) printed at the end.
//!
//! `cargo bench --bench feed`

#[path = "common/mod.rs"]
mod timing;

use base64::Engine as _;
use chrono::{DateTime, FixedOffset, Utc};
use dmp_core::cda::{Content, MediaType};
use dmp_core::crypto::{DigestAlgorithm, SignatureAlgorithm, SigningIdentity, UsagePolicy};
use dmp_core::feed::{self, FeedContext, FeedRequest, IdGenerator};
use timing::best_of;

const P12: &[u8] = include_bytes!("../examples/pki/org-sign.p12");
const PASSWORD: &str = include_str!("../examples/pki/PASSWORD");
const REQUEST: &str = include_str!("../examples/data/feed/dlu.json");
const CASE: &str = include_str!("../examples/data/cases/dlu.json");

fn main() {
    let size = 10 << 20;
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut x: u32 = 1;
    while pdf.len() < size {
        x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        pdf.push((x >> 24) as u8);
    }
    let now: DateTime<FixedOffset> = "2026-11-20T15:00:00+01:00".parse().unwrap();
    let signer = SigningIdentity::from_pkcs12(P12, PASSWORD.trim())
        .unwrap()
        .with_algorithm(SignatureAlgorithm::RsaSha1)
        .unwrap()
        .signer_at(now.with_timezone(&Utc), UsagePolicy::DmpSignature)
        .unwrap();
    let mut request = FeedRequest::from_json(REQUEST).unwrap();
    let case: dmp_core::cda::Case = dmp_core::json::from_str(CASE).unwrap();
    request.documents[0].case = None;
    request.documents[0].header = Some(case.header);
    request.documents[0].body = Some(Content {
        media_type: MediaType::Pdf,
        data: pdf.clone(),
    });

    let floor = best_of(5, || {
        std::hint::black_box(DigestAlgorithm::Sha1.digest(&pdf));
        std::hint::black_box(DigestAlgorithm::Sha256.digest(&pdf));
        std::hint::black_box(base64::engine::general_purpose::STANDARD.encode(&pdf));
    });
    let mut body_len = 0;
    let build = best_of(5, || {
        let mut ctx = FeedContext {
            now,
            ids: IdGenerator::from_seed(1),
            signer: &signer,
        };
        let built = feed::build(&request, &mut ctx).unwrap();
        body_len = built.http.body.len();
        std::hint::black_box(built);
    });
    let mb = size as f64 / (1 << 20) as f64;
    println!("feed: 10 MiB PDF → request body {body_len} bytes");
    println!(
        "  floor (SHA-1 + SHA-256 + base64): {:>8.1} ms  ({:.0} MiB/s)",
        floor.as_secs_f64() * 1e3,
        mb / floor.as_secs_f64()
    );
    println!(
        "  build + sign (CDA, XAdES C14N digest, VIHF, SOAP, MTOM): {:>8.1} ms  ({:.0} MiB/s, {:.1}× the floor)",
        build.as_secs_f64() * 1e3,
        mb / build.as_secs_f64(),
        build.as_secs_f64() / floor.as_secs_f64()
    );
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        for l in status
            .lines()
            .filter(|l| l.starts_with("VmHWM") || l.starts_with("VmRSS"))
        {
            println!("  {l}");
        }
    }
}

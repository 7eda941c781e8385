//! Builds the TD2.1 request of the DLU sample (`examples/data/feed/dlu.json`) with the test
//! ORG_SIGN certificate shipped in `examples/pki/` (TEST ONLY), a fixed clock and a fixed
//! seed, prints a summary and writes the HTTP message (headers + MTOM body):
//!
//! ```sh
//! cargo run --example feed_dlu [-- OUT.mime]      # default target/feed-dlu.mime
//! cargo run -p dmp-cli -- feed check target/feed-dlu.mime --trust examples/pki/root.pem \
//!     --trust examples/pki/org-ca.pem --at 2026-11-20T15:00:00+01:00
//! ```

use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, Utc};
use dmp_core::crypto::{SignatureAlgorithm, SigningIdentity, UsagePolicy};
use dmp_core::feed::{self, FeedContext, FeedRequest, IdGenerator};

const P12: &[u8] = include_bytes!("pki/org-sign.p12");
const PASSWORD: &str = include_str!("pki/PASSWORD");
/// The build time (fixed: same inputs, same bytes).
const AT: &str = "2026-11-20T15:00:00+01:00";
/// The id generator's seed.
const SEED: u64 = 20261120;

type Error = Box<dyn std::error::Error>;

fn main() -> Result<(), Error> {
    let out = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "target/feed-dlu.mime".into()),
    );
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/data/feed");
    let mut request = FeedRequest::from_json(&std::fs::read_to_string(dir.join("dlu.json"))?)?;
    request.resolve(|p| std::fs::read(dir.join(p)).map_err(|e| e.to_string()))?;

    let now: DateTime<FixedOffset> = AT.parse()?;
    let signer = SigningIdentity::from_pkcs12(P12, PASSWORD.trim())?
        .with_algorithm(SignatureAlgorithm::RsaSha1)?
        .signer_at(now.with_timezone(&Utc), UsagePolicy::DmpSignature)?;
    let mut ctx = FeedContext {
        now,
        ids: IdGenerator::from_seed(SEED),
        signer: &signer,
    };
    let built = feed::build(&request, &mut ctx)?;

    println!("POST {}", built.http.path);
    for (n, v) in &built.http.headers {
        println!("{n}: {v}");
    }
    println!();
    println!("MessageID:        {}", built.message_id);
    println!(
        "SubmissionSet:    urn:oid:{}",
        built.submission_set_unique_id
    );
    println!("body:             {} bytes", built.http.body.len());
    println!(
        "  envelope:       {} bytes (VIHF {} bytes)",
        built.envelope.len(),
        built.vihf.len()
    );
    for (uri, bytes) in &built.cdas {
        println!("  CDA part:       {uri}, {} bytes", bytes.len());
    }
    println!("  signature part: {} bytes", built.signature.len());
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&out, built.http.to_message())?;
    println!("written to {}", out.display());
    Ok(())
}

//! Verification is linear in the input's size for any input within the verifier's limits
//! (issue 10.1): a signed VIHF whose `SignedInfo` holds the most references allowed
//! ([`SignatureLimits::max_references`], all to `URI=""`, enveloped + exclusive C14N) over
//! text of growing size (1×, 2×, 4×). Each distinct target is canonicalised once, so the time
//! must grow as the size does: the ratios are printed and checked (≤ 1.5 × the size ratio).
//! Before the fix, 800 such references over 800 KB took 9 s (×4 per doubling).
//!
//! ```sh
//! cargo bench -p dmp-core --bench verify
//! ```

use std::hint::black_box;

use chrono::{TimeZone, Utc};
use criterion::{Criterion, Throughput};
use dmp_core::crypto::{Certificate, SignatureAlgorithm, SigningIdentity, UsagePolicy};
use dmp_core::xmldsig::{self, sign_enveloped, EnvelopedOptions, SignatureLimits, VerifyOptions};

#[path = "common/mod.rs"]
mod common;
#[path = "../tests/common/mod.rs"]
mod test_common;

const P12: &[u8] = include_bytes!("../examples/pki/org-sign.p12");
const PASSWORD: &str = include_str!("../examples/pki/PASSWORD");
const ROOT_PEM: &str = include_str!("../examples/pki/root.pem");
const ORG_CA_PEM: &str = include_str!("../examples/pki/org-ca.pem");
const TEMPLATE: &str = include_str!("../tests/fixtures/xmldsig/vihf-template.xml");
const VIHF_ID: &str = "_4f3c2a1e-8b7d-4e2f-9a10-5c6d7e8f9a0b";
/// The text of the 1× input.
const BASE: usize = 256 << 10;

/// The VIHF with `text` bytes of character data in its subject, signed with the most
/// references allowed to the whole document.
fn input(text: usize) -> Vec<u8> {
    let at = Utc.with_ymd_and_hms(2026, 1, 15, 10, 0, 0).unwrap();
    let signer = SigningIdentity::from_pkcs12(P12, PASSWORD.trim())
        .unwrap()
        .with_algorithm(SignatureAlgorithm::RsaSha256)
        .unwrap()
        .signer_at(at, UsagePolicy::DmpSignature)
        .unwrap();
    let padded = TEMPLATE.replacen(
        "</saml2:NameID>",
        &format!(" {}</saml2:NameID>", "lorem ipsum ".repeat(text / 12)),
        1,
    );
    let signed = sign_enveloped(
        padded.as_bytes(),
        VIHF_ID,
        &EnvelopedOptions::vihf(),
        &signer,
    )
    .unwrap();
    let n = SignatureLimits::DEFAULT.max_references;
    test_common::resign(&signed, &signer, |si| {
        test_common::multiply_reference(si, n, "")
    })
}

fn options() -> VerifyOptions {
    let at = Utc.with_ymd_and_hms(2026, 1, 15, 10, 0, 0).unwrap();
    let mut o = VerifyOptions::new(at).with_trust(vec![Certificate::from_pem(ROOT_PEM).unwrap()]);
    o.intermediates = vec![Certificate::from_pem(ORG_CA_PEM).unwrap()];
    o
}

fn verify(doc: &[u8], options: &VerifyOptions) {
    let reports = xmldsig::verify(black_box(doc), options).unwrap();
    assert!(
        reports.iter().all(|r| r.is_valid()),
        "{:?}",
        reports[0].failure
    );
}

fn main() {
    let options = options();
    let inputs: Vec<(usize, Vec<u8>)> = [1, 2, 4].map(|k| (k, input(k * BASE))).into();
    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("verify");
    for (k, doc) in &inputs {
        group.throughput(Throughput::Bytes(doc.len() as u64));
        group.bench_function(format!("{k}x ({} KiB)", doc.len() >> 10), |b| {
            b.iter(|| verify(doc, &options))
        });
    }
    group.finish();

    let times: Vec<f64> = inputs
        .iter()
        .map(|(_, doc)| common::best_of(21, || verify(doc, &options)).as_secs_f64())
        .collect();
    println!(
        "\nverification with {} references to \"\" (best of 21):",
        SignatureLimits::DEFAULT.max_references
    );
    let mut linear = true;
    for ((k, doc), t) in inputs.iter().zip(&times) {
        let size_ratio = doc.len() as f64 / inputs[0].1.len() as f64;
        let time_ratio = t / times[0];
        println!(
            "  {k}x: {:>5} KiB  {:>8.2} ms  size ×{size_ratio:.2}  time ×{time_ratio:.2}",
            doc.len() >> 10,
            t * 1e3
        );
        linear &= time_ratio <= 1.5 * size_ratio;
    }
    println!(
        "  {}",
        if linear {
            "linear: each time ratio ≤ 1.5 × its size ratio"
        } else {
            "NOT LINEAR: a time ratio exceeds 1.5 × its size ratio"
        }
    );
    assert!(linear, "verification is not linear in the input's size");
}

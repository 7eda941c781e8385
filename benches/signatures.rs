//! Signing and verifying per second: a VIHF-sized SAML assertion (enveloped, RSA-SHA256)
//! and a XAdES manifest signature over two parts (a ~100 KB CDA canonicalised with comments,
//! a PDF as raw bytes; RSA-SHA1 as the DMP samples), with the test ORG_SIGN key
//! (examples/pki, TEST ONLY).
//!
//! After the criterion groups, the same work is done in the same run by `xmlsec1` (when it
//! is on PATH), one process per operation as a shell script would do it, and the ratio is
//! printed, with and without xmlsec1's process start-up (`xmlsec1 --version`). Verification
//! checks the chain against the test root on both sides, and for the XAdES signature the
//! manifest parts (xmlsec1 reads them through `file:` URIs in an otherwise identical
//! signature).
//!
//! ```sh
//! cargo bench -p dmp-core --bench signatures
//! ```

use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, Utc};
use criterion::{Criterion, Throughput};
use dmp_core::cda::{self, Case, Content, MediaType};
use dmp_core::crypto::{
    Certificate, SignatureAlgorithm, Signer as _, SigningIdentity, UsagePolicy,
};
use dmp_core::xades::{self, DigestSource, ManifestReference, XadesOptions};
use dmp_core::xmldsig::{self, EnvelopedOptions, VerifyOptions};

const P12: &[u8] = include_bytes!("../examples/pki/org-sign.p12");
const PASSWORD: &str = include_str!("../examples/pki/PASSWORD");
const ROOT_PEM: &str = include_str!("../examples/pki/root.pem");
const ORG_CA_PEM: &str = include_str!("../examples/pki/org-ca.pem");
const TEMPLATE: &[u8] = include_bytes!("../tests/fixtures/xmldsig/vihf-template.xml");
const VIHF_ID: &str = "_4f3c2a1e-8b7d-4e2f-9a10-5c6d7e8f9a0b";
const DLU: &str = include_str!("../examples/data/cases/dlu.json");
const PDF: &[u8] = include_bytes!("../examples/data/cases/sample.pdf");
const SET: &str = "urn:oid:1.2.250.1.999.1.1.7898.5.9000";
const DOC: &str = "urn:oid:1.2.250.1.999.1.1.7898.3.1001";
const RAW: &str = "urn:oid:1.2.250.1.999.1.1.7898.4.2002";

struct Setup {
    identity: SigningIdentity,
    now: DateTime<Utc>,
    time: DateTime<FixedOffset>,
    cda: Vec<u8>,
    verify: VerifyOptions,
}

fn setup() -> Setup {
    let now: DateTime<Utc> = "2026-01-15T10:00:00Z".parse().expect("time");
    let identity = SigningIdentity::from_pkcs12(P12, PASSWORD.trim()).expect("p12");
    let case: Case = dmp_core::json::from_str(DLU).expect("case");
    let (header, _) = case.into_parts(|_| Ok(PDF.to_vec())).expect("case parts");
    // ~75 KB of "PDF" → a ~100 KB CDA (base64 body).
    let mut data = b"%PDF-1.4\n".to_vec();
    let mut x: u32 = 0x1234_5678;
    while data.len() < 75_000 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        data.extend_from_slice(&x.to_le_bytes());
    }
    let cda = cda::build(
        &header,
        &Content {
            media_type: MediaType::Pdf,
            data,
        },
    )
    .expect("cda");
    let mut verify = VerifyOptions::new(now)
        .with_trust(vec![Certificate::from_pem(ROOT_PEM).expect("root")])
        .with_part(DOC, cda.clone())
        .with_part(RAW, PDF.to_vec());
    verify.intermediates = vec![Certificate::from_pem(ORG_CA_PEM).expect("ca")];
    Setup {
        identity,
        now,
        time: "2026-01-15T11:00:00.000+01:00".parse().expect("time"),
        cda,
        verify,
    }
}

impl Setup {
    fn sign_vihf(&self) -> Vec<u8> {
        let signer = self
            .identity
            .signer_at(self.now, UsagePolicy::DmpSignature)
            .expect("signer");
        xmldsig::sign_enveloped(TEMPLATE, VIHF_ID, &EnvelopedOptions::vihf(), &signer)
            .expect("sign")
    }

    fn sign_xades(&self) -> Vec<u8> {
        let signer = self
            .identity
            .clone()
            .with_algorithm(SignatureAlgorithm::RsaSha1)
            .expect("sha1")
            .signer_at(self.now, UsagePolicy::DmpSignature)
            .expect("signer");
        let refs = [
            ManifestReference {
                uri: SET.into(),
                digest: DigestSource::dmp_dummy(),
            },
            ManifestReference {
                uri: DOC.into(),
                digest: DigestSource::C14nWithComments(&self.cda),
            },
            ManifestReference {
                uri: RAW.into(),
                digest: DigestSource::Raw(PDF),
            },
        ];
        xades::sign_manifest(
            &refs,
            &XadesOptions::new("7d1f9a52-3c8e-4b6a-9e21-0f4d5c6b7a89", self.time),
            &signer,
        )
        .expect("sign")
    }

    fn verify(&self, doc: &[u8]) {
        let reports = xmldsig::verify(doc, &self.verify).expect("verify");
        assert!(reports.iter().all(|r| r.is_valid()), "{reports:?}");
    }
}

/// The private-key operation alone, on a SignedInfo-sized input: RSA-SHA1 (ours: CRT on
/// fixed-size Montgomery arithmetic, as every DMP signature) against ring's RSA-SHA256, same
/// key, and the `rsa` crate's RSA-SHA1 (the former path); the best of interleaved rounds and
/// the ratios are printed after the criterion lines.
fn bench_raw(c: &mut Criterion, s: &Setup) {
    let signer = |alg| {
        s.identity
            .clone()
            .with_algorithm(alg)
            .expect("algorithm")
            .signer_at(s.now, UsagePolicy::DmpSignature)
            .expect("signer")
    };
    let sha1 = signer(SignatureAlgorithm::RsaSha1);
    let sha256 = signer(SignatureAlgorithm::RsaSha256);
    let data = [0x5au8; 700];
    let mut g = c.benchmark_group("rsa-2048-sign");
    g.throughput(Throughput::Elements(1));
    g.bench_function("rsa-sha1 (ours)", |b| {
        b.iter(|| black_box(sha1.sign(black_box(&data)).expect("sign")))
    });
    g.bench_function("rsa-sha256 (ring)", |b| {
        b.iter(|| black_box(sha256.sign(black_box(&data)).expect("sign")))
    });
    g.finish();
    let crate_key = {
        use rsa::pkcs8::DecodePrivateKey as _;
        rsa::PrivateKey::from_pkcs8_der(s.identity.private_key_pkcs8()).expect("rsa crate key")
    };
    let sha1_crate = || {
        use rsa::traits::SignatureScheme as _;
        let prefix = [
            0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04,
            0x14,
        ];
        let hash = dmp_core::crypto::DigestAlgorithm::Sha1.digest(&data);
        let padding = rsa::Pkcs1v15Sign {
            hash_len: Some(20),
            prefix: Box::new(prefix),
        };
        let none = None::<&mut dyn rsa::rand_core::TryCryptoRng<Error = std::convert::Infallible>>;
        let sig = padding.sign(none, &crate_key, &hash).expect("rsa crate");
        assert_eq!(sig, sha1.sign(&data).expect("sign"), "the same signature");
        black_box(sig);
    };
    sha1_crate();
    // Interleaved rounds, best of each: the machine is shared, the ratio is what counts.
    let (mut t1, mut t256, mut tc) = (Duration::MAX, Duration::MAX, Duration::MAX);
    for _ in 0..9 {
        t1 = t1.min(time(40, || {
            black_box(sha1.sign(&data).expect("sign"));
        }));
        t256 = t256.min(time(40, || {
            black_box(sha256.sign(&data).expect("sign"));
        }));
        tc = tc.min(time(10, sha1_crate));
    }
    println!(
        "\n== RSA-2048 signature (best of 9 interleaved rounds): rsa-sha1 (ours) {t1:?}, \
         rsa-sha256 (ring) {t256:?}: {:.2}× ring's time; rsa-sha1 with the rsa crate {tc:?} \
         ({:.2}× ours)",
        t1.as_secs_f64() / t256.as_secs_f64(),
        tc.as_secs_f64() / t1.as_secs_f64()
    );
}

fn bench(c: &mut Criterion, s: &Setup) {
    let vihf = s.sign_vihf();
    let xades = s.sign_xades();
    s.verify(&vihf);
    s.verify(&xades);
    let mut g = c.benchmark_group("vihf");
    g.throughput(Throughput::Elements(1));
    g.bench_function("sign", |b| b.iter(|| black_box(s.sign_vihf())));
    g.bench_function("verify", |b| b.iter(|| s.verify(black_box(&vihf))));
    g.bench_function("sign+verify", |b| b.iter(|| s.verify(&s.sign_vihf())));
    g.finish();
    let mut g = c.benchmark_group("xades-manifest-100k-cda");
    g.throughput(Throughput::Elements(1));
    g.bench_function("sign", |b| b.iter(|| black_box(s.sign_xades())));
    g.bench_function("verify", |b| b.iter(|| s.verify(black_box(&xades))));
    g.bench_function("sign+verify", |b| b.iter(|| s.verify(&s.sign_xades())));
    g.finish();
}

/// Mean time of `f` over `n` runs.
fn time(n: u32, mut f: impl FnMut()) -> Duration {
    let start = Instant::now();
    for _ in 0..n {
        f();
    }
    start.elapsed() / n
}

fn run(mut cmd: Command) {
    let out = cmd.output().expect("xmlsec1 runs");
    assert!(
        out.status.success(),
        "{:?}: {}",
        cmd,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The signed document with the values xmlsec1 computes emptied: an xmlsec1 template. The
/// `DigestValue`s of `CertDigest` carry a namespace declaration and are kept.
fn template(signed: &str) -> String {
    let mut out = signed.to_owned();
    for open in [
        "<DigestValue>",
        "<ds:DigestValue>",
        "<SignatureValue>",
        "<ds:SignatureValue>",
    ] {
        let mut from = 0;
        while let Some(i) = out[from..].find(open) {
            let start = from + i + open.len();
            let end = out[start..].find('<').map_or(start, |j| start + j);
            out.replace_range(start..end, "");
            from = start;
        }
    }
    out
}

fn compare_with_xmlsec1(s: &Setup) {
    if Command::new("xmlsec1").arg("--version").output().is_err() {
        println!("\nxmlsec1 is not on PATH: no comparison");
        return;
    }
    let dir = std::env::temp_dir().join(format!("dmp-bench-signatures-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let pki = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/pki");
    let key = format!(
        "{},{}",
        pki.join("org-sign-key.pem").display(),
        pki.join("org-sign.pem").display()
    );
    let root = pki.join("root.pem");
    let ca = pki.join("org-ca.pem");
    let path = |n: &str| dir.join(n);

    // VIHF: template and signed document.
    let vihf = s.sign_vihf();
    std::fs::write(path("vihf.xml"), &vihf).expect("write");
    std::fs::write(
        path("vihf-template.xml"),
        template(std::str::from_utf8(&vihf).expect("utf8")),
    )
    .expect("write");
    // XAdES: the same signature with file: URIs for the parts (xmlsec1 dereferences them).
    std::fs::write(path("cda.xml"), &s.cda).expect("write");
    std::fs::write(path("part.pdf"), PDF).expect("write");
    std::fs::write(path("set.bin"), [0u8]).expect("write");
    let xades = String::from_utf8(s.sign_xades()).expect("utf8");
    let file_uri = |n: &str| format!("file://{}", path(n).display());
    let xades_files = template(&xades)
        .replace(SET, &file_uri("set.bin"))
        .replace(DOC, &file_uri("cda.xml"))
        .replace(RAW, &file_uri("part.pdf"));
    std::fs::write(path("xades-template.xml"), &xades_files).expect("write");
    let saml_id = [
        "--id-attr:ID",
        "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
    ];
    let xades_ids = [
        "--id-attr:Id",
        "http://www.w3.org/2000/09/xmldsig#:Manifest",
        "--id-attr:Id",
        "http://uri.etsi.org/01903/v1.1.1:SignedProperties",
    ];
    let xmlsec = |args: &[&str]| {
        let mut c = Command::new("xmlsec1");
        c.args(args);
        c
    };
    let p = |n: &str| path(n).display().to_string();
    let (root, ca) = (root.display().to_string(), ca.display().to_string());
    // Sign once so that the verify runs have an xmlsec1-signed XAdES with file: parts.
    run(xmlsec(
        &[
            &["--sign", "--privkey-pem", &key][..],
            &xades_ids,
            &["--output", &p("xades-xmlsec.xml"), &p("xades-template.xml")],
        ]
        .concat(),
    ));

    let n = 30;
    let start_up = time(n, || run(xmlsec(&["--version"])));
    let ours_vihf_sign = time(200, || {
        black_box(s.sign_vihf());
    });
    let ours_vihf_verify = time(200, || s.verify(&vihf));
    let ours_xades_sign = time(100, || {
        black_box(s.sign_xades());
    });
    let xades_bytes = xades.as_bytes().to_vec();
    let ours_xades_verify = time(100, || s.verify(&xades_bytes));
    let xs_vihf_sign = time(n, || {
        run(xmlsec(
            &[
                &["--sign", "--privkey-pem", &key][..],
                &saml_id,
                &["--output", &p("vihf-xmlsec.xml"), &p("vihf-template.xml")],
            ]
            .concat(),
        ))
    });
    let xs_vihf_verify = time(n, || {
        run(xmlsec(
            &[
                &["--verify", "--trusted-pem", &root, "--untrusted-pem", &ca][..],
                &saml_id,
                &[&p("vihf.xml")],
            ]
            .concat(),
        ))
    });
    let xs_xades_sign = time(n, || {
        run(xmlsec(
            &[
                &["--sign", "--privkey-pem", &key][..],
                &xades_ids,
                &["--output", &p("xades-xmlsec.xml"), &p("xades-template.xml")],
            ]
            .concat(),
        ))
    });
    let xs_xades_verify = time(n, || {
        run(xmlsec(
            &[
                &["--verify", "--trusted-pem", &root, "--untrusted-pem", &ca][..],
                &xades_ids,
                &[&p("xades-xmlsec.xml")],
            ]
            .concat(),
        ))
    });
    std::fs::remove_dir_all(&dir).ok();

    let per_s = |d: Duration| 1.0 / d.as_secs_f64();
    let net = |d: Duration| d.saturating_sub(start_up).max(Duration::from_micros(1));
    println!("\n== dmp-core vs xmlsec1 (one xmlsec1 process per operation; start-up {start_up:?})");
    println!(
        "{:<28} {:>12} {:>12} {:>12} {:>8} {:>14}",
        "operation", "dmp-core/s", "xmlsec1/s", "xmlsec1-net/s", "ratio", "ratio (net)"
    );
    for (name, ours, theirs) in [
        ("VIHF sign", ours_vihf_sign, xs_vihf_sign),
        ("VIHF verify", ours_vihf_verify, xs_vihf_verify),
        (
            "VIHF sign+verify",
            ours_vihf_sign + ours_vihf_verify,
            xs_vihf_sign + xs_vihf_verify,
        ),
        ("XAdES 100 KB CDA sign", ours_xades_sign, xs_xades_sign),
        (
            "XAdES 100 KB CDA verify",
            ours_xades_verify,
            xs_xades_verify,
        ),
        (
            "XAdES sign+verify",
            ours_xades_sign + ours_xades_verify,
            xs_xades_sign + xs_xades_verify,
        ),
    ] {
        let net_theirs = if name.ends_with("sign+verify") {
            net(theirs.saturating_sub(start_up))
        } else {
            net(theirs)
        };
        println!(
            "{name:<28} {:>12.0} {:>12.0} {:>12.0} {:>7.1}x {:>13.1}x",
            per_s(ours),
            per_s(theirs),
            per_s(net_theirs),
            theirs.as_secs_f64() / ours.as_secs_f64(),
            net_theirs.as_secs_f64() / ours.as_secs_f64(),
        );
    }
}

fn main() {
    let s = setup();
    let mut c = Criterion::default()
        .configure_from_args()
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_millis(500));
    bench_raw(&mut c, &s);
    bench(&mut c, &s);
    c.final_summary();
    compare_with_xmlsec1(&s);
}

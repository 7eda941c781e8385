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
//! Then XAdES signing is compared with libxmlsec1 linked in one process (issue 10: the fair
//! comparison): the harness `benches/xmlsec/sign.c` loads the key once and times N rounds of
//! (parse the template + sign + serialise) on the same parts, for a 7 KB, a 100 KB and a
//! 1 MB CDA, against `xades::sign_manifest` with a signer made once; both SignatureValues
//! must be equal. The bench builds the harness with `cc` into the target folder when
//! `pkg-config xmlsec1-openssl` works (else it prints why and what to install:
//! `apt-get install -y gcc pkg-config libxmlsec1-dev`). Benches are not run by `.ci/run`.
//!
//! ```sh
//! cargo bench -p dmp-core --bench signatures                  # everything
//! cargo bench -p dmp-core --bench signatures -- in-process    # libxmlsec1 in-process only
//! ```

use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, Utc};
use criterion::{Criterion, Throughput};
use dmp_core::cda::{self, Case, CdaHeader, Content, MediaType};
use dmp_core::crypto::{
    Certificate, CheckedSigner, DigestAlgorithm, SignatureAlgorithm, Signer, SigningIdentity,
    UsagePolicy,
};
use dmp_core::xades::{self, DigestSource, ManifestReference, XadesOptions};
use dmp_core::xml::c14n::{canonicalize_with, C14nMethod};
use dmp_core::xml::reader::Limits;
use dmp_core::xml::tree::Tree;
use dmp_core::xmldsig::{self, EnvelopedOptions, VerifyOptions};

#[path = "xmlsec/mod.rs"]
mod xmlsec;

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
    header: CdaHeader,
    cda: Vec<u8>,
    verify: VerifyOptions,
}

/// A CDA of the sample DLU's header whose "PDF" body has `len` pseudo-random bytes (its
/// base64 makes the CDA about 4/3 × `len` plus 3 KB).
fn cda_of(header: &CdaHeader, len: usize) -> Vec<u8> {
    let mut data = b"%PDF-1.4\n".to_vec();
    let mut x: u32 = 0x1234_5678;
    while data.len() < len {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        data.extend_from_slice(&x.to_le_bytes());
    }
    cda::build(
        header,
        &Content {
            media_type: MediaType::Pdf,
            data,
        },
    )
    .expect("cda")
}

fn setup() -> Setup {
    let now: DateTime<Utc> = "2026-01-15T10:00:00Z".parse().expect("time");
    let identity = SigningIdentity::from_pkcs12(P12, PASSWORD.trim()).expect("p12");
    let case: Case = dmp_core::json::from_str(DLU).expect("case");
    let (header, _) = case.into_parts(|_| Ok(PDF.to_vec())).expect("case parts");
    // ~75 KB of "PDF" → a ~100 KB CDA (base64 body).
    let cda = cda_of(&header, 75_000);
    let mut verify = VerifyOptions::new(now)
        .with_trust(vec![Certificate::from_pem(ROOT_PEM).expect("root")])
        .with_part(DOC, cda.clone())
        .with_part(RAW, PDF.to_vec());
    verify.intermediates = vec![Certificate::from_pem(ORG_CA_PEM).expect("ca")];
    Setup {
        identity,
        now,
        time: "2026-01-15T11:00:00.000+01:00".parse().expect("time"),
        header,
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

    /// The RSA-SHA1 signer of the XAdES signature (made per signature, as the feed does).
    fn sha1_signer(&self) -> CheckedSigner {
        self.identity
            .clone()
            .with_algorithm(SignatureAlgorithm::RsaSha1)
            .expect("sha1")
            .signer_at(self.now, UsagePolicy::DmpSignature)
            .expect("signer")
    }

    fn sign_xades(&self) -> Vec<u8> {
        self.xades_over(&self.sha1_signer(), DigestSource::dmp_dummy(), &self.cda)
    }

    /// The XAdES signature of the submission set (digest `set`), `cda` and the PDF.
    fn xades_over(&self, signer: &dyn Signer, set: DigestSource<'_>, cda: &[u8]) -> Vec<u8> {
        let refs = [
            ManifestReference {
                uri: SET.into(),
                digest: set,
            },
            ManifestReference {
                uri: DOC.into(),
                digest: DigestSource::C14nWithComments(cda),
            },
            ManifestReference {
                uri: RAW.into(),
                digest: DigestSource::Raw(PDF),
            },
        ];
        xades::sign_manifest(
            &refs,
            &XadesOptions::new("7d1f9a52-3c8e-4b6a-9e21-0f4d5c6b7a89", self.time),
            signer,
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

/// The signed document with the values xmlsec1 computes or writes emptied (reference
/// digests, signature value, the signer's certificate in `KeyInfo`): an xmlsec1 template.
/// The `DigestValue`s of `CertDigest` carry a namespace declaration and are kept.
fn template(signed: &str) -> String {
    let mut out = signed.to_owned();
    for open in [
        "<DigestValue>",
        "<ds:DigestValue>",
        "<SignatureValue>",
        "<ds:SignatureValue>",
        "<X509Certificate>",
        "<ds:X509Certificate>",
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

/// The base64 text of the first `SignatureValue` of `doc`, white space removed.
fn signature_value(doc: &str) -> Option<String> {
    let open = "SignatureValue>";
    let start = doc.find(open)? + open.len();
    let end = start + doc[start..].find('<')?;
    Some(doc[start..end].split_whitespace().collect())
}

/// The real signer, remembering its last signature: asked again for the same bytes (the same
/// SignedInfo: our signatures are deterministic) it answers from memory. Times our XAdES
/// signing without the RSA operation, on the very same bytes.
struct Remembering<'a> {
    signer: &'a CheckedSigner,
    last: Mutex<(Vec<u8>, Vec<u8>)>,
}

impl Signer for Remembering<'_> {
    fn algorithm(&self) -> SignatureAlgorithm {
        self.signer.algorithm()
    }

    fn sign(&self, data: &[u8]) -> dmp_core::Result<Vec<u8>> {
        let mut last = self.last.lock().expect("lock");
        if last.0 != data {
            *last = (data.to_vec(), self.signer.sign(data)?);
        }
        Ok(last.1.clone())
    }

    fn certificate_chain(&self) -> &[Certificate] {
        self.signer.certificate_chain()
    }
}

/// Alternated runs of each side per CDA size; the best of each measure is kept.
const RUNS: usize = 5;

/// One run: ours, libxmlsec1's, and ours without RSA, its CDA parse + C14N + SHA-1 alone and
/// its RSA-SHA1 alone.
type Run = (Duration, xmlsec::Timing, (Duration, Duration, Duration));

/// XAdES signing by libxmlsec1 linked in one process (key loaded once, N signatures; the
/// harness `benches/xmlsec/sign.c`) against ours (signer made once), for three CDA sizes.
/// Both sides count the same work per signature: read and digest every manifest part (the
/// CDA parsed, canonicalised with comments and SHA-1'd; the PDF and the submission-set part
/// raw), digest the manifest and the signed properties, canonicalise SignedInfo, RSA-SHA1,
/// write the certificate, serialise; libxmlsec1 also parses its template, ours builds the
/// document and parses its drafts, and computes the `CertDigest`s that libxmlsec1 finds in
/// its template (three SHA-1s of about 1 KB). The two SignatureValues must be equal (RSA PKCS#1 v1.5
/// is deterministic), else the runs did not do the same work and no ratio is printed.
fn compare_in_process(s: &Setup) {
    let harness = match xmlsec::Harness::build() {
        Ok(h) => h,
        Err(why) => {
            println!("\nlibxmlsec1 in-process: no comparison: {why}");
            return;
        }
    };
    let dir = std::env::temp_dir().join(format!("dmp-bench-xmlsec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let pki = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/pki");
    let (key, cert) = (pki.join("org-sign-key.pem"), pki.join("org-sign.pem"));
    let path = |n: &str| dir.join(n);
    // xmlsec digests what a URI gives and cannot keep the DMP's dummy `AA==` for the
    // submission set: both sides digest one zero byte instead.
    let set_part: &[u8] = &[0];
    std::fs::write(path("set.bin"), set_part).expect("write");
    std::fs::write(path("part.pdf"), PDF).expect("write");
    let parts = [
        (DOC, path("cda.xml")),
        (SET, path("set.bin")),
        (RAW, path("part.pdf")),
    ];
    let parts: Vec<(&str, &Path)> = parts.iter().map(|(u, p)| (*u, p.as_path())).collect();
    let (template_path, out_path) = (path("template.xml"), path("signed.xml"));
    let job = xmlsec::Job {
        key: &key,
        cert: &cert,
        template: &template_path,
        out: &out_path,
        parts: &parts,
    };
    let signer = s.sha1_signer();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "\n== XAdES signing, dmp-core vs libxmlsec1 {} in-process (key loaded once on both \
         sides; per signature both count parse + the parts' C14N and digests + references + \
         RSA-SHA1 + serialise; means over N signatures, best of 5 alternated runs; same SignatureValue checked)",
        harness.version
    );
    println!(
        "{:<22} {:>10} {:>12} {:>16} {:>12}",
        "CDA", "ours ms", "libxmlsec1 ms", "ours/libxmlsec1", "per run"
    );
    for (pdf_len, rounds) in [(2_000, 300), (75_000, 100), (750_000, 15)] {
        let cda = cda_of(&s.header, pdf_len);
        std::fs::write(path("cda.xml"), &cda).expect("write");
        let sign = || s.xades_over(&signer, DigestSource::Raw(set_part), &cda);
        let ours_doc = String::from_utf8(sign()).expect("utf8");
        std::fs::write(&template_path, template(&ours_doc)).expect("write");
        // Where our time goes: the CDA's parse + C14N + SHA-1 and the RSA signature alone.
        let cda_part = || {
            let tree = Tree::parse(&cda, &Limits::default()).expect("cda");
            let mut d = DigestAlgorithm::Sha1.start();
            let method = C14nMethod::Inclusive { comments: true };
            canonicalize_with(&tree, None, None, &method, &mut |c| d.update(c)).expect("c14n");
            black_box(d.finish());
        };
        let rsa = || {
            black_box(signer.sign(&[0x5a; 700]).expect("sign"));
        };
        let remembering = Remembering {
            signer: &signer,
            last: Mutex::new((Vec::new(), Vec::new())),
        };
        let mut runs = Vec::new();
        for _ in 0..RUNS {
            let ours = time(rounds, || {
                black_box(sign());
            });
            let no_rsa = time(rounds, || {
                black_box(s.xades_over(&remembering, DigestSource::Raw(set_part), &cda));
            });
            let parts = (no_rsa, time(rounds, cda_part), time(rounds, rsa));
            match harness.sign(&job, rounds) {
                Ok(theirs) => runs.push((ours, theirs, parts)),
                Err(why) => {
                    println!("libxmlsec1 harness failed: {why}");
                    std::fs::remove_dir_all(&dir).ok();
                    return;
                }
            }
        }
        let theirs_doc = std::fs::read_to_string(&out_path).unwrap_or_default();
        let size = format!("{} KB", cda.len() / 1000);
        if signature_value(&ours_doc).is_none()
            || signature_value(&ours_doc) != signature_value(&theirs_doc)
        {
            println!("{size:<22} the two SignatureValues differ: not the same work, no ratio");
            continue;
        }
        // The best of the runs for each measure (the machine is shared).
        let best = |f: &dyn Fn(&Run) -> Duration| runs.iter().map(f).min().unwrap_or_default();
        let ours = best(&|r| r.0);
        let (no_rsa, cda_part, rsa) = (best(&|r| r.2 .0), best(&|r| r.2 .1), best(&|r| r.2 .2));
        let theirs = |f: fn(&xmlsec::Timing) -> Duration| best(&|r| f(&r.1));
        let theirs_total = theirs(|t| t.total);
        let ratios: Vec<f64> = runs.iter().map(|r| ms(r.0) / ms(r.1.total)).collect();
        let (lo, hi) = ratios
            .iter()
            .fold((f64::MAX, 0f64), |(lo, hi), r| (lo.min(*r), hi.max(*r)));
        println!(
            "{size:<22} {:>10.3} {:>12.3} {:>16.2} {:>5.2}–{:.2}",
            ms(ours),
            ms(theirs_total),
            ms(ours) / ms(theirs_total),
            lo,
            hi
        );
        let (their_rsa, their_xml) = (theirs(|t| t.rsa), theirs(|t| t.xml_part));
        println!(
            "{:<22} ours: without RSA {:.3} (of which CDA parse+C14N+SHA-1 {:.3}), RSA-SHA1 \
             alone {:.3} | libxmlsec1: \
             template parse {:.3}, CDA parse+C14N+SHA-1 {:.3}, RSA-SHA1 {:.3}, rest of sign \
             {:.3}, serialise {:.3}",
            "",
            ms(no_rsa),
            ms(cda_part),
            ms(rsa),
            ms(theirs(|t| t.parse)),
            ms(their_xml),
            ms(their_rsa),
            ms(theirs(|t| t.sign)) - ms(their_xml) - ms(their_rsa),
            ms(theirs(|t| t.serialize)),
        );
        let (ours_xml, their_xml) = (ms(no_rsa), ms(theirs_total) - ms(their_rsa));
        println!(
            "{:<22} without the RSA signature: ours {ours_xml:.3}, libxmlsec1 {their_xml:.3} (its \
             total − RSA alone): \
             {:.2}; RSA-SHA1 alone {:.2}× OpenSSL's",
            "",
            ours_xml / their_xml,
            ms(rsa) / ms(their_rsa),
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

fn main() {
    let s = setup();
    if std::env::args().any(|a| a == "in-process") {
        compare_in_process(&s);
        return;
    }
    let mut c = Criterion::default()
        .configure_from_args()
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_millis(500));
    bench_raw(&mut c, &s);
    bench(&mut c, &s);
    c.final_summary();
    compare_with_xmlsec1(&s);
    compare_in_process(&s);
}

//! Building an N1 CDA around a 20 MB "PDF" versus plain base64 of the same bytes: the header
//! and the XML framing should cost next to nothing, and the build no more than one output
//! buffer (the base64 is encoded straight into it).
//!
//! Then, timed by hand in the same run and printed as ratios:
//! - decoding the body alone (`cda::decode_base64`) on one line, in 76-character LF lines and
//!   in 76-character CRLF lines, against the base64 floor (`STANDARD.decode` of the same
//!   bytes on one line), in interleaved rounds: the range of the ratios is what to quote;
//!
//! and on that CDA (its body on one
//! line, as we build it, and wrapped in 76-character CRLF lines, as other software writes it):
//! - reading it (`cda::read`) against the base64 floor (`STANDARD.decode` of the bare body):
//!   the decode share is `read - xml::reader::parse`;
//! - Canonical XML 1.0 (`Tree::parse` + `canonicalize`) against Python lxml in-process
//!   (`etree.fromstring` + `etree.tostring(method="c14n")`, timed inside Python), skipped with
//!   a note when `python3 -c "import lxml"` fails (`pip install lxml`).
//!
//! `cargo bench -p dmp-core --bench cda_base64`

#[path = "common/mod.rs"]
mod timing;

use std::hint::black_box;
use std::time::{Duration, Instant};

use base64::Engine as _;
use chrono::{DateTime, FixedOffset};
use criterion::{Criterion, Throughput};
use dmp_core::cda::{
    build, decode_base64, encode_base64_into, Author, CdaHeader, CdaOrganization, CdaPatient,
    CdaPerson, Content, Encounter, LegalAuthenticator, MediaType, ServiceEvent,
};
use dmp_core::ids::{oid, Ins};
use dmp_core::model::{ConfidentialityLevel, DocumentKind, Sex, Traits};
use dmp_core::xml::c14n::{canonicalize, C14nMethod};
use dmp_core::xml::reader::{self, Limits};
use dmp_core::xml::tree::Tree;
use timing::best_of;

const PAYLOAD: usize = 20 * 1024 * 1024;

fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).expect("time")
}

fn header() -> CdaHeader {
    let medecin = CdaPerson {
        idnat: "899900100019".parse().expect("IdNat"),
        family_name: "MARTIN".into(),
        given_name: "Claire".into(),
        specialty: "G15_10/SM26".into(),
    };
    CdaHeader {
        kind: DocumentKind::Dlu,
        id: "1.2.250.1.999.1.1.7898.3.1".parse().expect("OID"),
        set_id: "1.2.250.1.999.1.1.7898.3".parse().expect("OID"),
        version_number: 1,
        replaces: None,
        title: "Dossier de liaison d'urgence".into(),
        effective_time: at("2024-03-15T14:30:00+01:00"),
        confidentiality: ConfidentialityLevel::N,
        patient: CdaPatient {
            ins: Ins::parse("245036912304502", oid::INS_NIR_TEST).expect("INS"),
            traits: Traits {
                birth_family_name: "DUPONT".into(),
                birth_given_names: vec!["MARIE".into(), "LOUISE".into()],
                first_given_name: "MARIE".into(),
                used_family_name: None,
                used_given_name: None,
                sex: Sex::F,
                birth_date: "1945-03-17".parse().expect("date"),
                birthplace_insee: Some("69123".parse().expect("INSEE")),
            },
            ipp: None,
        },
        authors: vec![Author::Person {
            person: medecin.clone(),
            time: at("2024-03-15T14:25:00+01:00"),
            function_code: None,
        }],
        structure: CdaOrganization {
            name: "EHPAD Les Tilleuls".into(),
            finess: "690800123".parse().expect("FINESS"),
            sector: "SA17".into(),
            category: None,
            practice_setting: "ESSMS".into(),
        },
        legal_authenticator: LegalAuthenticator {
            person: medecin,
            time: at("2024-03-15T14:30:00+01:00"),
        },
        service_event: ServiceEvent {
            start: at("2024-03-15T09:00:00+01:00"),
            stop: None,
            performer: None,
        },
        encounter: Encounter::default(),
    }
}

/// Pseudo-random bytes (xorshift), the same on every run.
/// 20 MiB of noise behind a PDF signature (`cda::build` checks the format).
fn payload() -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut data = b"%PDF-1.4\n".to_vec();
    data.extend((data.len()..PAYLOAD).map(|_| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 56) as u8
    }));
    data
}

fn base64_cda(c: &mut Criterion) {
    let header = header();
    let content = Content {
        media_type: MediaType::Pdf,
        data: payload(),
    };
    let mut g = c.benchmark_group("cda 20 MB PDF");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(PAYLOAD as u64));
    g.bench_function("cda::build", |b| {
        b.iter(|| black_box(build(black_box(&header), black_box(&content)).expect("build")))
    });
    g.bench_function("base64 STANDARD.encode (reference)", |b| {
        b.iter(|| {
            black_box(base64::engine::general_purpose::STANDARD.encode(black_box(&content.data)))
        })
    });
    g.finish();
}

/// The CDA with its base64 body wrapped in 76-character CRLF lines.
fn wrapped(cda: &[u8]) -> Vec<u8> {
    let text = std::str::from_utf8(cda).expect("UTF-8");
    let open = text.find("representation=\"B64\"").expect("a B64 body");
    let start = open + text[open..].find('>').expect("tag end") + 1;
    let end = start + text[start..].find('<').expect("text end");
    let mut out = Vec::with_capacity(cda.len() + cda.len() / 38);
    out.extend_from_slice(&cda[..start]);
    for line in cda[start..end].chunks(76) {
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(line);
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&cda[end..]);
    out
}

/// lxml's best (of 5) in-process times on `bytes`: `(fromstring, tostring(method="c14n"))`.
fn lxml(bytes: &[u8]) -> Option<(Duration, Duration)> {
    let script = "import sys, time\n\
                  from lxml import etree\n\
                  data = open(sys.argv[1], 'rb').read()\n\
                  parser = etree.XMLParser(huge_tree=True)\n\
                  p = c = 1e9\n\
                  for _ in range(5):\n\
                  \x20   t = time.perf_counter(); doc = etree.fromstring(data, parser)\n\
                  \x20   u = time.perf_counter(); out = etree.tostring(doc, method='c14n')\n\
                  \x20   v = time.perf_counter(); p = min(p, u - t); c = min(c, v - u)\n\
                  print(p, c)\n";
    let out = timing::run_lxml(script, bytes, "c14n-bench")?;
    let mut times = out
        .split_whitespace()
        .filter_map(|t| t.parse::<f64>().ok())
        .map(Duration::from_secs_f64);
    Some((times.next()?, times.next()?))
}

/// The body's base64 in `width`-character lines, each one after `eol` and `eol` at the end
/// (as [`wrapped`] lays it out in the CDA).
fn in_lines(b64: &str, width: usize, eol: &str) -> String {
    let mut out = String::with_capacity(b64.len() + b64.len() / width * eol.len() + 2 * eol.len());
    for line in b64.as_bytes().chunks(width) {
        out.push_str(eol);
        out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
    }
    out.push_str(eol);
    out
}

/// Decoding the body alone against the floor. The machine may be shared: each round times
/// the floor and every layout one run after the other, 5 times over (best of 5 each), so that
/// a change of load hits them alike; the per-round ratios are printed as a range, and the
/// ratio of the best times of all rounds.
fn decode_ratios() {
    const ROUNDS: usize = 12;
    const RUNS: usize = 5;
    let data = payload();
    let b64 = base64::engine::general_purpose::STANDARD.encode(&data);
    let layouts = [
        ("one line", b64.clone()),
        ("76-char LF lines", in_lines(&b64, 76, "\n")),
        ("76-char CRLF lines", in_lines(&b64, 76, "\r\n")),
    ];
    for (name, text) in &layouts {
        assert!(
            decode_base64(text).expect(name) == data,
            "{name}: wrong bytes"
        );
    }
    let time = |f: &mut dyn FnMut()| {
        let t = Instant::now();
        f();
        t.elapsed()
    };
    let mut floor = || {
        black_box(
            base64::engine::general_purpose::STANDARD
                .decode(black_box(&b64))
                .expect("base64"),
        );
    };
    let mut ratios = [(); 3].map(|()| Vec::with_capacity(ROUNDS));
    let (mut best_floor, mut best) = (Duration::MAX, [Duration::MAX; 3]);
    for _ in 0..ROUNDS {
        let (mut round_floor, mut round) = (Duration::MAX, [Duration::MAX; 3]);
        for _ in 0..RUNS {
            round_floor = round_floor.min(time(&mut floor));
            for (t, (_, text)) in round.iter_mut().zip(&layouts) {
                let ours = time(&mut || {
                    black_box(decode_base64(black_box(text)).expect("decode"));
                });
                *t = (*t).min(ours);
            }
        }
        best_floor = best_floor.min(round_floor);
        for ((ratio, b), t) in ratios.iter_mut().zip(&mut best).zip(round) {
            ratio.push(t.as_secs_f64() / round_floor.as_secs_f64());
            *b = (*b).min(t);
        }
    }
    println!(
        "base64 decode of the 20 MiB body / STANDARD.decode floor (best {:.1} ms), {ROUNDS} \
         interleaved rounds of {RUNS} runs each:",
        ms(best_floor)
    );
    for ((ratio, b), (name, _)) in ratios.iter_mut().zip(best).zip(&layouts) {
        ratio.sort_by(f64::total_cmp);
        let at = |i: usize| ratio.get(i).copied().unwrap_or(f64::NAN);
        println!(
            "  {name}: per round {:.2}–{:.2}, median {:.2}; best / best floor {:.2} ({:.1} ms)",
            at(0),
            at(ROUNDS - 1),
            at(ROUNDS / 2),
            b.as_secs_f64() / best_floor.as_secs_f64(),
            ms(b)
        );
    }
}

/// The encoder the CDA builder writes the body with (`cda::encode_base64_into`) against the
/// base64 engine's `encode_slice` (the floor's encoder), 20 MiB into a buffer made once,
/// interleaved rounds as for the decoder; the bytes are checked equal first.
fn encode_ratios() {
    const ROUNDS: usize = 12;
    const RUNS: usize = 5;
    let data = payload();
    let mut buffer = vec![0u8; data.len().div_ceil(3) * 4];
    let n = encode_base64_into(&data, &mut buffer).expect("room");
    assert!(
        buffer[..n]
            == *base64::engine::general_purpose::STANDARD
                .encode(&data)
                .as_bytes(),
        "the same base64"
    );
    let time = |f: &mut dyn FnMut()| {
        let t = Instant::now();
        f();
        t.elapsed()
    };
    let mut ratios = Vec::with_capacity(ROUNDS);
    let (mut best_floor, mut best) = (Duration::MAX, Duration::MAX);
    for _ in 0..ROUNDS {
        let (mut round_floor, mut round) = (Duration::MAX, Duration::MAX);
        for _ in 0..RUNS {
            round_floor = round_floor.min(time(&mut || {
                black_box(
                    base64::engine::general_purpose::STANDARD
                        .encode_slice(black_box(&data), &mut buffer)
                        .expect("room"),
                );
            }));
            round = round.min(time(&mut || {
                black_box(encode_base64_into(black_box(&data), &mut buffer).expect("room"));
            }));
        }
        ratios.push(round.as_secs_f64() / round_floor.as_secs_f64());
        best_floor = best_floor.min(round_floor);
        best = best.min(round);
    }
    ratios.sort_by(f64::total_cmp);
    println!(
        "base64 encode of 20 MiB, ours / STANDARD.encode_slice, {ROUNDS} interleaved rounds of \
         {RUNS} runs: per round {:.2}–{:.2}, median {:.2}; best {:.1} ms / best floor {:.1} ms",
        ratios[0],
        ratios[ROUNDS - 1],
        ratios[ROUNDS / 2],
        ms(best),
        ms(best_floor)
    );
}

fn ms(t: Duration) -> f64 {
    t.as_secs_f64() * 1e3
}

/// Read and C14N times against their floors, as ratios.
fn report(cda: &[u8]) {
    let b64 = base64::engine::general_purpose::STANDARD.encode(payload());
    let floor = best_of(5, || {
        black_box(
            base64::engine::general_purpose::STANDARD
                .decode(black_box(&b64))
                .expect("base64"),
        );
    });
    let inclusive = C14nMethod::Inclusive { comments: false };
    for (name, bytes) in [("one line", cda.to_vec()), ("76-char lines", wrapped(cda))] {
        let mib = bytes.len() as f64 / (1 << 20) as f64;
        let read = best_of(5, || {
            black_box(dmp_core::cda::read(black_box(&bytes)).expect("read"));
        });
        let parse = best_of(5, || {
            black_box(reader::parse(black_box(&bytes), &Limits::default()).expect("parse"));
        });
        let decode = read.saturating_sub(parse);
        println!(
            "cda read, body on {name} ({mib:.1} MiB): read {:.1} ms = parse {:.1} ms + decode \
             {:.1} ms; base64 floor {:.1} ms; decode / floor = {:.2}, read / floor = {:.2}",
            ms(read),
            ms(parse),
            ms(decode),
            ms(floor),
            decode.as_secs_f64() / floor.as_secs_f64(),
            read.as_secs_f64() / floor.as_secs_f64()
        );
        let tree = Tree::parse(&bytes, &Limits::default()).expect("tree");
        let tree_parse = best_of(5, || {
            black_box(Tree::parse(black_box(&bytes), &Limits::default()).expect("tree"));
        });
        let c14n = best_of(5, || {
            black_box(canonicalize(&tree, None, None, &inclusive).expect("c14n"));
        });
        println!(
            "  c14n: Tree::parse {:.1} ms + canonicalize {:.1} ms",
            ms(tree_parse),
            ms(c14n)
        );
        if let Some((lp, lc)) = lxml(&bytes) {
            println!(
                "  lxml: fromstring {:.1} ms + tostring(c14n) {:.1} ms; ours / lxml: parse+c14n \
                 {:.2}, c14n alone {:.2}",
                ms(lp),
                ms(lc),
                (tree_parse + c14n).as_secs_f64() / (lp + lc).as_secs_f64(),
                c14n.as_secs_f64() / lc.as_secs_f64()
            );
        }
    }
}

fn main() {
    let content = Content {
        media_type: MediaType::Pdf,
        data: payload(),
    };
    decode_ratios();
    encode_ratios();
    let cda = build(&header(), &content).expect("build");
    report(&cda);
    let mut c = Criterion::default().configure_from_args();
    base64_cda(&mut c);
    c.final_summary();
}

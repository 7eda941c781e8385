//! Building an N1 CDA around a 20 MB "PDF" versus plain base64 of the same bytes: the header
//! and the XML framing should cost next to nothing, and the build no more than one output
//! buffer (the base64 is encoded straight into it).

use std::hint::black_box;

use base64::Engine as _;
use chrono::{DateTime, FixedOffset};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use dmp_core::cda::{
    build, Author, CdaHeader, CdaOrganization, CdaPatient, CdaPerson, Content, Encounter,
    LegalAuthenticator, MediaType, ServiceEvent,
};
use dmp_core::ids::{oid, Ins};
use dmp_core::model::{ConfidentialityLevel, DocumentKind, Sex, Traits};

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
fn payload() -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..PAYLOAD)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 56) as u8
        })
        .collect()
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

criterion_group!(benches, base64_cda);
criterion_main!(benches);

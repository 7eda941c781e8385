//! Benchmarks of the habilitation matrix: loading the embedded table, deciding.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use dmp_core::habilitation::{Matrix, Reader, Rights};
use dmp_core::model::FonctionEssms;

fn load(c: &mut Criterion) {
    c.bench_function("matrix: load embedded (2160 cells)", |b| {
        b.iter(|| black_box(Matrix::embedded().expect("embedded matrix")))
    });
    c.bench_function("rights: load embedded", |b| {
        b.iter(|| black_box(Rights::embedded().expect("embedded rights")))
    });
}

fn decide(c: &mut Criterion) {
    let m = Matrix::embedded().expect("embedded matrix");
    let readers = [
        Reader::health_professional("10"),
        Reader::health_professional("69"),
        Reader::health_professional("99"),
        Reader::from_function(FonctionEssms::AccompagnementSoin),
    ];
    let types: Vec<String> = m
        .document_types()
        .iter()
        .map(|t| t.type_code.clone())
        .collect();
    // Throughput in decisions/s (target: ≥ 20 M/s for the verdict, the reason lazily).
    let mut g = c.benchmark_group("matrix decisions");
    g.throughput(criterion::Throughput::Elements(10_000));
    g.bench_function("10k verdict (reason on demand)", |b| {
        b.iter(|| {
            let mut allowed = 0usize;
            for i in 0..10_000usize {
                let r = &readers[i % readers.len()];
                let t = &types[i % types.len()];
                if m.verdict(black_box(r), black_box(t)).is_allowed() {
                    allowed += 1;
                }
            }
            black_box(allowed)
        })
    });
    g.bench_function("10k decide (owned record with its reason)", |b| {
        b.iter(|| {
            let mut allowed = 0usize;
            for i in 0..10_000usize {
                let r = &readers[i % readers.len()];
                let t = &types[i % types.len()];
                if m.decide(black_box(r), black_box(t)).is_allowed() {
                    allowed += 1;
                }
            }
            black_box(allowed)
        })
    });
    g.finish();
}

criterion_group!(benches, load, decide);
criterion_main!(benches);

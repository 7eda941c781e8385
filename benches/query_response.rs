//! Reading TD3.1 responses of 1 000 and 10 000 entries with [`QueryResponse::parse`], and, in
//! the same run, Python lxml's `etree.fromstring` on the same bytes (a C parser building a
//! tree, nothing more): times, bytes/s, our/lxml ratio, and the 10k/1k ratio (≈ 10 when
//! linear), and the share of the hardened XML reader. Then criterion's own measurement of the
//! parse.
//!
//! The entries are the official response's ExtrinsicObjects repeated with fresh ids (from
//! `../shared`), or our own fixture entry when `../shared` is absent. lxml is skipped with a
//! note when `python3 -c "import lxml"` fails (`pip install lxml`).
//!
//! `cargo bench -p dmp-core --bench query_response`

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "common/mod.rs"]
mod timing;
#[path = "../tests/common/xds_fixtures.rs"]
mod xds_fixtures;

use std::hint::black_box;
use std::time::Duration;

use criterion::Criterion;
use dmp_core::xds::vocabulary::{STATUS_APPROVED, STATUS_SUCCESS};
use dmp_core::xds::{QueryResponse, QUERY_RESPONSE_LIMITS};
use timing::best_of;

const SIZES: [usize; 2] = [1_000, 10_000];

/// The entries to repeat (each an `ExtrinsicObject` element, its id first) and the text
/// around the object list: `(head, entries, tail)`.
fn template() -> (String, Vec<(String, String)>, String) {
    if let Some(xml) = common::official_message("TD3.1-Recherche_de_document.response.xml") {
        let xml = String::from_utf8(xml).expect("UTF-8 sample");
        let open = "<ns4:ExtrinsicObject ";
        let close = "</ns4:ExtrinsicObject>";
        let first = xml.find(open).expect("an entry");
        let last = xml.rfind(close).expect("an entry") + close.len();
        let mut entries = Vec::new();
        let mut at = first;
        while let Some(p) = xml[at..last].find(open) {
            let start = at + p;
            let end = start + xml[start..].find(close).expect("closed") + close.len();
            let block = &xml[start..end];
            let id_at = block.find("id=\"").expect("an id") + 4;
            let id = &block[id_at..id_at + block[id_at..].find('"').expect("quoted")];
            entries.push((id.to_owned(), block.to_owned()));
            at = end;
        }
        return (xml[..first].to_owned(), entries, xml[last..].to_owned());
    }
    eprintln!("note: ../shared absent: repeating our own fixture entry");
    let id = "urn:uuid:11111111-2222-4333-8444-555555555555";
    let whole = xds_fixtures::response(
        STATUS_SUCCESS,
        "",
        &format!(
            "<rim:RegistryObjectList>{}</rim:RegistryObjectList>",
            xds_fixtures::entry(id, STATUS_APPROVED, &[xds_fixtures::N])
        ),
    );
    let start = whole.find("<rim:ExtrinsicObject").expect("an entry");
    let end = whole.find("</rim:RegistryObjectList>").expect("a list");
    (
        whole[..start].to_owned(),
        vec![(id.to_owned(), whole[start..end].to_owned())],
        whole[end..].to_owned(),
    )
}

/// A response of `n` entries: the template's entries in turn, each with a fresh entryUUID
/// (in its id, lid, and every classifiedObject / registryObject that points at it).
fn response(n: usize) -> Vec<u8> {
    let (head, entries, tail) = template();
    let mut out = head;
    for i in 0..n {
        let (id, block) = &entries[i % entries.len()];
        let fresh = format!("urn:uuid:{i:08x}-0000-4000-8000-000000000000");
        out.push_str(&block.replace(id.as_str(), &fresh));
    }
    out.push_str(&tail);
    out.into_bytes()
}

/// lxml's best `etree.fromstring` time on `bytes` (best of 5), if lxml is there.
fn lxml(bytes: &[u8]) -> Option<Duration> {
    let script = "import sys, time\n\
                  from lxml import etree\n\
                  data = open(sys.argv[1], 'rb').read()\n\
                  parser = etree.XMLParser(huge_tree=True)\n\
                  best = min((lambda t: (etree.fromstring(data, parser), time.perf_counter() - t)[1])(time.perf_counter()) for _ in range(5))\n\
                  print(best)\n";
    let out = timing::run_lxml(script, bytes, "query-bench")?;
    out.trim().parse::<f64>().ok().map(Duration::from_secs_f64)
}

fn mib_per_s(bytes: usize, t: Duration) -> f64 {
    bytes as f64 / (1 << 20) as f64 / t.as_secs_f64()
}

fn report(inputs: &[(usize, Vec<u8>)]) {
    let mut ours_by_size = Vec::new();
    for (n, bytes) in inputs {
        let r = QueryResponse::parse(bytes).expect("the response parses");
        assert_eq!(r.documents.len(), *n);
        let ours = best_of(5, || {
            black_box(QueryResponse::parse(black_box(bytes)).expect("parses"));
        });
        ours_by_size.push(ours);
        let reader_only = best_of(5, || {
            black_box(
                dmp_core::xml::reader::parse(black_box(bytes), &QUERY_RESPONSE_LIMITS)
                    .expect("parses"),
            );
        });
        println!(
            "query_response: {n} entries, {:.1} MiB: QueryResponse::parse {:>8.1} ms ({:.0} MiB/s)",
            bytes.len() as f64 / (1 << 20) as f64,
            ours.as_secs_f64() * 1e3,
            mib_per_s(bytes.len(), ours)
        );
        println!(
            "  of which the hardened reader (xml::reader::parse) {:>8.1} ms ({:.0} MiB/s)",
            reader_only.as_secs_f64() * 1e3,
            mib_per_s(bytes.len(), reader_only)
        );
        if let Some(l) = lxml(bytes) {
            println!(
                "  lxml etree.fromstring {:>8.1} ms ({:.0} MiB/s); ours / lxml = {:.2}",
                l.as_secs_f64() * 1e3,
                mib_per_s(bytes.len(), l),
                ours.as_secs_f64() / l.as_secs_f64()
            );
        }
    }
    if let [small, large] = ours_by_size[..] {
        println!(
            "  linearity: 10k time / 1k time = {:.1} (10 is linear)",
            large.as_secs_f64() / small.as_secs_f64()
        );
    }
}

fn main() {
    let inputs: Vec<(usize, Vec<u8>)> = SIZES.iter().map(|&n| (n, response(n))).collect();
    report(&inputs);
    let mut c = Criterion::default()
        .sample_size(10)
        .measurement_time(Duration::from_secs(10))
        .configure_from_args();
    for (n, bytes) in &inputs {
        c.bench_function(&format!("QueryResponse::parse {n} entries"), |b| {
            b.iter(|| black_box(QueryResponse::parse(black_box(bytes)).expect("parses")))
        });
    }
    c.final_summary();
}

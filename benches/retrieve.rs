//! Parsing a TD3.2 (ITI-43) MTOM response that carries a 20 MiB document: MIME split and
//! root-part read, the document borrowed from the message. Prints the peak memory (VmHWM)
//! growth over the baseline and checks it stays within 2× the document (the message itself is
//! 1×: nothing may copy the document).
//!
//! `cargo bench -p dmp-core --bench retrieve`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use dmp_core::soap::mtom;
use dmp_core::xds::RetrieveResponse;

const SIZE: usize = 20 << 20;
const CID: &str = "b857abb7-a2c3-4db8-bd69-d5ff76826e72-2@urn:ihe:iti:xds-b:2007";

/// `VmRSS` or `VmHWM` of this process, in KiB (0 when /proc is not there).
fn status_kib(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// The response as on the wire: headers, the root part (as the official TD3.2 response),
/// one binary part of `SIZE` bytes; built in place (one buffer of about the document size).
fn message() -> Vec<u8> {
    let root = format!(
        "<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\"><soap:Body>\
         <ns4:RetrieveDocumentSetResponse xmlns:ns2=\"urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0\" \
         xmlns:ns4=\"urn:ihe:iti:xds-b:2007\"><ns2:RegistryResponse \
         status=\"urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success\"/>\
         <ns4:DocumentResponse><ns4:RepositoryUniqueId>1.2.250.1.213.4.1.1.1.2</ns4:RepositoryUniqueId>\
         <ns4:DocumentUniqueId>1.2.250.1.999.1.1.7898.1.995657292</ns4:DocumentUniqueId>\
         <ns4:mimeType>text/xml</ns4:mimeType><ns4:Document><xop:Include \
         xmlns:xop=\"http://www.w3.org/2004/08/xop/include\" href=\"{}\"/></ns4:Document>\
         </ns4:DocumentResponse></ns4:RetrieveDocumentSetResponse></soap:Body></soap:Envelope>",
        mtom::cid_href(CID)
    );
    let head = format!(
        "Content-Type: multipart/related; boundary=\"uuid:bench\"; type=\"application/xop+xml\"; \
         start=\"<root@dmp>\"\r\n\r\n--uuid:bench\r\nContent-Type: application/xop+xml\r\n\
         Content-ID: <root@dmp>\r\n\r\n{root}\r\n--uuid:bench\r\nContent-Type: text/xml\r\n\
         Content-Transfer-Encoding: binary\r\nContent-ID: <{CID}>\r\n\r\n"
    );
    let tail = "\r\n--uuid:bench--\r\n";
    let mut m = Vec::with_capacity(head.len() + SIZE + tail.len());
    m.extend_from_slice(head.as_bytes());
    let mut x: u32 = 1;
    for _ in 0..SIZE {
        x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        m.push((x >> 24) as u8);
    }
    m.extend_from_slice(tail.as_bytes());
    m
}

fn retrieve(c: &mut Criterion) {
    let baseline = status_kib("VmRSS");
    let m = message();
    let parse = |m: &[u8]| {
        let mp = mtom::parse_message(m).expect("multipart");
        let r = RetrieveResponse::from_multipart(&mp).expect("response");
        assert_eq!(r.documents[0].bytes.len(), SIZE);
        black_box(r.documents.len())
    };
    parse(&m);
    c.bench_function(
        "retrieve: parse a TD3.2 MTOM response (20 MiB document)",
        |b| b.iter(|| parse(black_box(&m))),
    );
    let peak = status_kib("VmHWM");
    let growth = peak.saturating_sub(baseline);
    let doc_kib = (SIZE / 1024) as u64;
    println!(
        "retrieve: peak RSS {peak} KiB, {growth} KiB over the baseline ({:.2}× the 20 MiB \
         document, the message included)",
        growth as f64 / doc_kib as f64
    );
    if peak > 0 {
        assert!(
            growth <= 2 * doc_kib,
            "peak memory grew by {growth} KiB, more than 2× the document"
        );
    }
}

criterion_group!(benches, retrieve);
criterion_main!(benches);

//! The two views of the one XML scanner (`xml::reader::parse`, the lossy arena read by every
//! response parser, and `xml::tree::Tree::parse`, the full-fidelity tree of the signatures):
//! XML 1.0 well-formedness rules they both enforce, the memory budget of [`Limits`], and
//! proptest mutations asserting that they accept and refuse the same inputs, never panicking.

use dmp_core::error::Error;
use dmp_core::xml::reader::{parse, Limits};
use dmp_core::xml::tree::Tree;
use proptest::prelude::*;

/// What each parser says: `Ok(())` or the data error's message (source checked).
fn both(input: &[u8], limits: &Limits) -> (Result<(), String>, Result<(), String>) {
    let msg = |e: Error, source: &str| match e {
        Error::Data {
            source_name,
            message,
            ..
        } => {
            assert_eq!(source_name, source, "{message}");
            message
        }
        other => panic!("expected a data error, got {other}"),
    };
    (
        parse(input, limits).map(|_| ()).map_err(|e| msg(e, "xml")),
        Tree::parse(input, limits)
            .map(|_| ())
            .map_err(|e| msg(e, "c14n")),
    )
}

fn refused_by_both(input: &[u8], needle: &str) {
    let (r, t) = both(input, &Limits::default());
    for (name, res) in [("reader", r), ("tree", t)] {
        match res {
            Err(m) => assert!(m.contains(needle), "{name}: {m}"),
            Ok(()) => panic!("{name} accepted {:?}", String::from_utf8_lossy(input)),
        }
    }
}

#[test]
fn nul_and_other_forbidden_characters_are_refused() {
    refused_by_both(b"<r>a\0b</r>", "U+0000");
    refused_by_both(b"<r a=\"x\0\"/>", "U+0000");
    refused_by_both(b"<r><!-- \0 --></r>", "U+0000");
    refused_by_both(b"<r>\x01</r>", "U+0001");
    refused_by_both("<r>\u{FFFE}</r>".as_bytes(), "U+FFFE");
    refused_by_both("<r>\u{FFFF}</r>".as_bytes(), "U+FFFF");
    // Tab, LF, CR and ordinary text are fine; so is U+FEFF inside content.
    let (r, t) = both("<r>\t\r\n\u{FEFF}é</r>".as_bytes(), &Limits::default());
    assert_eq!((r, t), (Ok(()), Ok(())));
}

#[test]
fn cdata_end_in_content_is_refused() {
    refused_by_both(b"<r>a]]>b</r>", "]]>");
    refused_by_both(b"<r><a/>]]></r>", "]]>");
    // Inside a CDATA section or an attribute value it is not markup.
    let limits = Limits::default();
    assert_eq!(
        parse(b"<r a=\"]]>\"><![CDATA[x]]]]><![CDATA[>]]></r>", &limits)
            .unwrap()
            .root()
            .text(),
        "x]]>"
    );
    assert!(Tree::parse(b"<r a=\"]]>\">]]&gt;</r>", &limits).is_ok());
}

#[test]
fn a_second_byte_order_mark_is_refused() {
    refused_by_both(b"\xEF\xBB\xBF\xEF\xBB\xBF<r/>", "before the root");
    refused_by_both(
        b"\xEF\xBB\xBF<?xml version=\"1.0\"?>\xEF\xBB\xBF<r/>",
        "before the root",
    );
    refused_by_both(b"<r/>\xEF\xBB\xBF", "after the root");
    let (r, t) = both(b"\xEF\xBB\xBF<r/>", &Limits::default());
    assert_eq!((r, t), (Ok(()), Ok(())));
}

/// `n` elements each carrying 63 empty attributes: the shape of the memory amplification
/// attack (an attribute costs 5 or 6 bytes of input and tens of bytes of tree).
fn many_empty_attributes(n: usize) -> Vec<u8> {
    let letters = ('a'..='z').chain('A'..='Z');
    let names = letters
        .clone()
        .map(String::from)
        .chain(letters.take(11).map(|c| format!("{c}_")));
    let attrs: String = names.map(|n| format!(" {n}=\"\"")).collect();
    let mut out = String::from("<r>");
    for _ in 0..n {
        out.push_str("<e");
        out.push_str(&attrs);
        out.push_str("/>");
    }
    out.push_str("</r>");
    out.into_bytes()
}

#[test]
fn the_tree_memory_is_bounded_by_a_budget_proportional_to_the_input() {
    let input = many_empty_attributes(1_000);
    let tight = Limits {
        max_memory_per_input_byte: 4,
        max_memory_base_bytes: 0,
        ..Limits::default()
    };
    let (r, t) = both(&input, &tight);
    for (name, res) in [("reader", r), ("tree", t)] {
        let m = res.expect_err(name);
        assert!(m.contains("memory"), "{name}: {m}");
        assert!(m.contains("4 times the input"), "{name}: {m}");
    }
    // The same document is read within the defaults' constant allowance (8 MiB).
    let (r, t) = both(&input, &Limits::default());
    assert_eq!((r, t), (Ok(()), Ok(())));
    let doc = parse(&input, &Limits::default()).unwrap();
    assert_eq!(doc.len(), 1_001);
    assert_eq!(
        doc.root().children().nth(5).unwrap().attributes().count(),
        63
    );
    // Text costs about its own size: a 2 MiB text node fits a budget of 1× the input (it is
    // copied once into the tree, not twice).
    let text = format!("<r>{}</r>", "QUJD".repeat(512 << 10));
    let one = Limits {
        max_memory_per_input_byte: 1,
        max_memory_base_bytes: 64 << 10,
        ..Limits::default()
    };
    let (r, t) = both(text.as_bytes(), &one);
    assert_eq!((r, t), (Ok(()), Ok(())));
    assert_eq!(
        parse(text.as_bytes(), &one).unwrap().root().text().len(),
        2 << 20
    );
}

/// Peak RSS (VmHWM) of this process, in bytes (Linux).
fn peak_rss() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// The attack at full size: 64 MiB, 200 000 elements × 63 empty attributes, default limits.
/// `cargo test -p dmp-core --release --test xml_parser -- --ignored --nocapture rss`
/// (run alone: the peak RSS is the process's).
#[test]
#[ignore]
fn rss_of_the_memory_amplification_attack() {
    let input = many_empty_attributes(200_000);
    let before = peak_rss().unwrap_or(0);
    let which = std::env::var("XML_PARSER").unwrap_or_default();
    let res = if which == "tree" {
        Tree::parse(&input, &Limits::default()).map(|_| ())
    } else {
        parse(&input, &Limits::default()).map(|_| ())
    };
    let after = peak_rss().unwrap_or(0);
    eprintln!(
        "{} input {:.1} MiB, peak RSS before {:.1} MiB, after {:.1} MiB (+{:.2}× the input): {:?}",
        if which == "tree" { "tree" } else { "reader" },
        input.len() as f64 / 1048576.0,
        before as f64 / 1048576.0,
        after as f64 / 1048576.0,
        (after - before) as f64 / input.len() as f64,
        res.as_ref().map_err(|e| e.to_string())
    );
    assert!(res.is_err());
    assert!(after - before <= 4 * input.len() + (16 << 20));
}

fn seed() -> Vec<u8> {
    concat!(
        "\u{feff}<?xml version=\"1.0\" encoding=\"UTF-8\"?><!-- c -->",
        "<r xmlns=\"urn:a\" xmlns:p=\"urn:p\" p:k=\"v &amp; w\">",
        "<p:x a=\"1\">t&#233;<![CDATA[<c>]]></p:x><y/><?pi d?>\r\n",
        "<z b='2'>text</z></r>"
    )
    .as_bytes()
    .to_vec()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Truncations, deletions, insertions of markup-significant bytes: both views give a
    /// typed answer and the same one (both accept or both refuse).
    #[test]
    fn both_views_agree_and_never_panic(
        cut in 0usize..200,
        at in 0usize..200,
        byte in prop::sample::select(vec![
            b'<', b'>', b'&', b';', b'"', b'\'', b':', b'/', b'!', b'?', b']', b'=', 0u8,
            b' ', b'x', 0xEF, 0xBB, 0xBF, b'\r',
        ]),
        remove in any::<bool>(),
    ) {
        let mut input = seed();
        let at = at % (input.len() + 1);
        if remove && at < input.len() {
            input.remove(at);
        } else {
            input.insert(at, byte);
        }
        input.truncate(input.len().saturating_sub(cut % 8 * (cut / 8 % 2) * 10));
        let (r, t) = both(&input, &Limits::default());
        prop_assert_eq!(r.is_ok(), t.is_ok(), "reader {:?} tree {:?}", r, t);
    }
}

//! The XML tree and both canonicalisations (inclusive and exclusive, with and without
//! comments, whole document and each element's subtree) plus the hardened reader.
#![no_main]
use dmp_core::xml::c14n::{canonicalize, C14nMethod};
use dmp_core::xml::reader::Limits;
use dmp_core::xml::tree::Tree;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    let _ = dmp_core::xml::reader::parse(data, &limits);
    let Ok(tree) = Tree::parse(data, &limits) else {
        return;
    };
    let methods = [
        C14nMethod::Inclusive { comments: false },
        C14nMethod::Inclusive { comments: true },
        C14nMethod::Exclusive {
            comments: false,
            inclusive_prefixes: vec![],
        },
        C14nMethod::Exclusive {
            comments: true,
            inclusive_prefixes: vec!["#default".into(), "ds".into()],
        },
    ];
    for m in &methods {
        let _ = canonicalize(&tree, None, None, m);
    }
    // A few subtrees (bounded: the target must stay linear in its input).
    let ids: Vec<_> = tree.elements().take(8).map(|e| e.id()).collect();
    for (i, id) in ids.iter().enumerate() {
        let exclude = ids.get(i + 1).copied();
        for m in &methods {
            let _ = canonicalize(&tree, Some(*id), exclude, m);
        }
    }
});

//! Signature markup written in two forms at once: as the document carries it, and in its
//! canonical form, so that what we sign (`SignedInfo`) and what we digest (a manifest, signed
//! properties) need no parse of a draft document.
//!
//! This holds only for markup whose canonical form is known as it is written: ours, built
//! here from fixed names, attributes already in canonical order (namespace declarations
//! first, then by name), values escaped as C14N escapes them ([`escape_attr`],
//! [`escape_text`]), no white space between elements and no inherited `xml:` attribute. The
//! two forms differ in two places only: an empty element is `<x/>` in the document and
//! `<x></x>` in canonical form, and the apex of a canonicalised subtree carries the namespace
//! declarations that C14N renders there (inherited in the document). The signing tests verify
//! every form we write with the verifier, which canonicalises the parsed document.

use super::{escape_attr, escape_text};

/// The document form and the canonical form of the same markup.
#[derive(Debug, Default)]
pub(crate) struct Twin {
    /// As written into the document.
    pub(crate) doc: String,
    /// Its canonical form (C14N 1.0 or exclusive C14N 1.0: the same bytes for this markup).
    pub(crate) c14n: String,
}

impl Twin {
    /// Empty, with room for `capacity` bytes in each form.
    pub(crate) fn with_capacity(capacity: usize) -> Twin {
        Twin {
            doc: String::with_capacity(capacity),
            c14n: String::with_capacity(capacity),
        }
    }

    /// Markup the same in both forms.
    pub(crate) fn push(&mut self, markup: &str) {
        self.doc.push_str(markup);
        self.c14n.push_str(markup);
    }

    /// An attribute value, escaped (both forms).
    pub(crate) fn attr(&mut self, value: &str) {
        escape_attr(&mut self.doc, value);
        escape_attr(&mut self.c14n, value);
    }

    /// Character data, escaped (both forms).
    pub(crate) fn text(&mut self, text: &str) {
        escape_text(&mut self.doc, text);
        escape_text(&mut self.c14n, text);
    }

    /// Opens the apex of a canonicalised subtree: `<name` in the document, `<name` followed by
    /// `declarations` (` xmlns="…"`, what C14N renders there) in canonical form. The caller
    /// goes on with the attributes.
    pub(crate) fn apex(&mut self, name: &str, declarations: &str) {
        self.push("<");
        self.push(name);
        self.c14n.push_str(declarations);
    }

    /// The empty element `<name{declarations} Algorithm="uri"/>` (a method of a signature:
    /// `uri` is one of our algorithm constants, nothing to escape; `declarations` are the
    /// element's own, written in both forms).
    pub(crate) fn algorithm(&mut self, name: &str, declarations: &str, uri: &str) {
        self.push("<");
        self.push(name);
        self.push(declarations);
        self.push(" Algorithm=\"");
        self.push(uri);
        self.push("\"");
        self.close_empty(name);
    }

    /// Ends the start tag of the empty element `name`: `/>` in the document, `></name>` in
    /// canonical form.
    pub(crate) fn close_empty(&mut self, name: &str) {
        self.doc.push_str("/>");
        self.c14n.push_str("></");
        self.c14n.push_str(name);
        self.c14n.push('>');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::c14n::{canonicalize, C14nMethod};
    use crate::xml::reader::Limits;
    use crate::xml::tree::Tree;

    /// The canonical form written is the one the C14N implementation gives for the document
    /// form, in the document's namespace context.
    #[test]
    fn the_canonical_form_is_what_c14n_gives() {
        let mut t = Twin::default();
        t.apex("A", " xmlns=\"urn:a\"");
        t.push(" Id=\"");
        t.attr("x\"<&\t\n\r>");
        t.push("\">");
        t.algorithm("B", "", "u");
        t.algorithm("D", " xmlns=\"urn:d\"", "v");
        t.push("<C>");
        t.text("1 < 2 & 3 > 2\r");
        t.push("</C></A>");
        let doc = format!("<R xmlns=\"urn:a\">{}</R>", t.doc);
        let tree = Tree::parse(doc.as_bytes(), &Limits::default()).unwrap();
        let apex = tree.root().children().next().unwrap().id();
        for method in [
            C14nMethod::Inclusive { comments: true },
            C14nMethod::Inclusive { comments: false },
            C14nMethod::Exclusive {
                comments: false,
                inclusive_prefixes: Vec::new(),
            },
        ] {
            let c14n = canonicalize(&tree, Some(apex), None, &method).unwrap();
            assert_eq!(String::from_utf8(c14n).unwrap(), t.c14n);
        }
        assert!(t.doc.starts_with("<A Id="));
        assert!(t
            .doc
            .contains("<B Algorithm=\"u\"/><D xmlns=\"urn:d\" Algorithm=\"v\"/>"));
    }
}

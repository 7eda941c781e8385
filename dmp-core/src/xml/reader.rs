//! A hardened XML reader for documents we receive (CDA, DMP responses): untrusted input is
//! parsed into a small read-only tree, within [`Limits`].
//!
//! It is one of the two views of the one XML scanner (the other is the full-fidelity
//! [`tree`](super::tree)), so both refuse the same inputs, each as an
//! [`Error::Data`](crate::error::Error::Data) with source `"xml"` and the 1-based line (the
//! list is in `xml::scan`'s docs): any `<!DOCTYPE …>` (so no DTD, no entity but the
//! five predefined ones and character references), invalid UTF-8 or another encoding,
//! characters XML 1.0 forbids (U+0000…), `]]>` in text, a second byte order mark, malformed
//! or truncated documents, namespace errors, duplicate attributes, and input beyond the
//! [`Limits`] (size, depth, element count, attributes, text size, memory budget).
//!
//! Parsing is iterative (an explicit stack, no recursion), so hostile nesting cannot overflow
//! the call stack; the tree is an arena, so dropping it does not recurse either.
//!
//! Whitespace-only text between elements is dropped (text of an element that has child
//! elements is kept only when it is not blank); comments and processing instructions are
//! skipped; CDATA sections are text; attribute values are normalised (XML 1.0 §3.3.3: a
//! literal tab, CR or LF is a space).
//!
//! ```
//! use dmp_core::xml::reader::{parse, Limits};
//! let doc = parse(br#"<a xmlns="urn:x"><b k="v">t &amp; u</b></a>"#, &Limits::default()).unwrap();
//! let b = doc.root().child("urn:x", "b").unwrap();
//! assert_eq!(b.attr("k"), Some("v"));
//! assert_eq!(b.text(), "t & u");
//! assert!(parse(b"<!DOCTYPE a><a/>", &Limits::default()).is_err());
//! ```

use super::scan::{is_xml_blank, push_text, scan, split_qname, Sink, StartTag};
use crate::error::Result;

const SOURCE: &str = "xml";

/// The deepest nesting [`parse`] ever accepts, whatever [`Limits::max_depth`] says (the
/// namespace resolver of quick-xml counts levels in 16 bits).
pub const MAX_DEPTH_CAP: usize = 10_000;

/// Bounds on what [`parse`] accepts. [`Limits::default`] suits CDA documents of the DMP,
/// including an N1 body carrying a 20 MB PDF in base64.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest input, in bytes. Default 64 MiB.
    pub max_input_bytes: usize,
    /// Deepest element nesting (the root is at depth 1). Default 64; values above
    /// [`MAX_DEPTH_CAP`] act as that cap.
    pub max_depth: usize,
    /// Longest attribute value, in bytes as written. Default 64 KiB.
    pub max_attr_value_bytes: usize,
    /// Most attributes on one element (namespace declarations included). Default 64.
    pub max_attributes: usize,
    /// Most elements in the document. Default 500 000.
    pub max_elements: usize,
    /// Largest text of one element, in bytes after unescaping. Default 48 MiB (a 30 MB
    /// base64 body fits).
    pub max_text_bytes: usize,
    /// Memory budget of the parsed tree, per byte of input: the tree (elements, attributes,
    /// names, values, texts) may take this many times the input's size plus
    /// [`Limits::max_memory_base_bytes`], else the input is refused. Default 4: an attribute
    /// costs a few bytes of input but tens of bytes of tree, and without a budget a 64 MiB
    /// document of empty attributes takes over 1 GB.
    pub max_memory_per_input_byte: usize,
    /// The constant part of the memory budget (see [`Limits::max_memory_per_input_byte`]).
    /// Default 8 MiB.
    pub max_memory_base_bytes: usize,
}

impl Limits {
    /// The default limits (see each field).
    pub const DEFAULT: Limits = Limits {
        max_input_bytes: 64 << 20,
        max_depth: 64,
        max_attr_value_bytes: 64 << 10,
        max_attributes: 64,
        max_elements: 500_000,
        max_text_bytes: 48 << 20,
        max_memory_per_input_byte: 4,
        max_memory_base_bytes: 8 << 20,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// A run of [`Document::strings`]: names, attribute values and texts are all stored there, so
/// that an element costs no allocation of its own.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Span {
    start: usize,
    end: usize,
}

/// No element (first child, next sibling, parent of the root).
const NONE: u32 = u32::MAX;

/// An attribute as written: qualified name (`xsi:type`, `root`) and unescaped value.
#[derive(Debug, Clone, Copy)]
struct Attr {
    name: Span,
    value: Span,
}

#[derive(Debug, Clone)]
struct Node {
    local: Span,
    /// Empty when the element has no prefix.
    prefix: Span,
    /// Index into `Document::namespaces`, or [`NONE`].
    ns: u32,
    /// Range of `Document::attrs`.
    attrs: (u32, u32),
    text: Span,
    first_child: u32,
    last_child: u32,
    next_sibling: u32,
    parent: u32,
    line: usize,
}

/// A parsed XML document: an arena of elements, read through [`Element`] handles.
#[derive(Debug, Clone)]
pub struct Document {
    nodes: Vec<Node>,
    attrs: Vec<Attr>,
    strings: String,
    namespaces: Vec<Box<str>>,
}

impl Document {
    /// The root element.
    pub fn root(&self) -> Element<'_> {
        Element { doc: self, id: 0 }
    }

    /// Every element, in document order (the root first).
    pub fn elements(&self) -> impl Iterator<Item = Element<'_>> + '_ {
        (0..self.nodes.len()).map(move |id| Element { doc: self, id })
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Always false: a parsed document has a root element.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    fn str(&self, span: Span) -> &str {
        self.strings.get(span.start..span.end).unwrap_or_default()
    }
}

/// A handle on one element of a [`Document`].
#[derive(Debug, Clone, Copy)]
pub struct Element<'d> {
    doc: &'d Document,
    id: usize,
}

impl<'d> Element<'d> {
    fn node(&self) -> &'d Node {
        // `id` always comes from the document itself.
        &self.doc.nodes[self.id]
    }

    fn at(&self, id: u32) -> Option<Element<'d>> {
        (id != NONE).then_some(Element {
            doc: self.doc,
            id: id as usize,
        })
    }

    fn attrs(&self) -> &'d [Attr] {
        let (from, to) = self.node().attrs;
        self.doc
            .attrs
            .get(from as usize..to as usize)
            .unwrap_or_default()
    }

    /// Local name (`ClinicalDocument`).
    pub fn local_name(&self) -> &'d str {
        self.doc.str(self.node().local)
    }

    /// Prefix as written (`sdtc` in `sdtc:deceasedInd`), if any.
    pub fn prefix(&self) -> Option<&'d str> {
        let p = self.node().prefix;
        (p.start != p.end).then(|| self.doc.str(p))
    }

    /// Namespace URI the element is bound to, if any.
    pub fn namespace(&self) -> Option<&'d str> {
        let ns = self.node().ns;
        (ns != NONE)
            .then(|| self.doc.namespaces.get(ns as usize))
            .flatten()
            .map(|n| &**n)
    }

    /// Whether the element is `local` in namespace `ns`.
    pub fn is(&self, ns: &str, local: &str) -> bool {
        self.local_name() == local && self.namespace() == Some(ns)
    }

    /// The value of the attribute whose qualified name, as written, is `qname`
    /// (`root`, `xsi:type`).
    pub fn attr(&self, qname: &str) -> Option<&'d str> {
        let doc = self.doc;
        self.attrs()
            .iter()
            .find(|a| doc.str(a.name) == qname)
            .map(|a| doc.str(a.value))
    }

    /// Every attribute as (qualified name, value), in document order.
    pub fn attributes(&self) -> impl Iterator<Item = (&'d str, &'d str)> + 'd {
        let doc = self.doc;
        self.attrs()
            .iter()
            .map(move |a| (doc.str(a.name), doc.str(a.value)))
    }

    /// The element's own text (character data and CDATA directly inside it, unescaped, line
    /// ends normalised to `\n`); empty when there is none.
    pub fn text(&self) -> &'d str {
        self.doc.str(self.node().text)
    }

    /// The child elements, in document order.
    pub fn children(&self) -> impl Iterator<Item = Element<'d>> + 'd {
        let first = self.at(self.node().first_child);
        std::iter::successors(first, |e| e.at(e.node().next_sibling))
    }

    /// The children that are `local` in namespace `ns`.
    pub fn children_named<'s>(
        &self,
        ns: &'s str,
        local: &'s str,
    ) -> impl Iterator<Item = Element<'d>> + 's
    where
        'd: 's,
    {
        self.children().filter(move |e| e.is(ns, local))
    }

    /// The first child that is `local` in namespace `ns`.
    pub fn child(&self, ns: &str, local: &str) -> Option<Element<'d>> {
        self.children().find(|e| e.is(ns, local))
    }

    /// Follows a path of local names in namespace `ns`, taking the first match at each step.
    pub fn path(&self, ns: &str, locals: &[&str]) -> Option<Element<'d>> {
        locals.iter().try_fold(*self, |e, local| e.child(ns, local))
    }

    /// The parent element (none for the root).
    pub fn parent(&self) -> Option<Element<'d>> {
        self.at(self.node().parent)
    }

    /// 1-based line of the start tag.
    pub fn line(&self) -> usize {
        self.node().line
    }
}

/// Builds a [`Document`] from the scanner's events: names, values and texts go to one
/// string arena, elements and attributes to two vectors.
struct Builder {
    nodes: Vec<Node>,
    attrs: Vec<Attr>,
    strings: String,
    /// Open elements (indexes into `nodes`).
    stack: Vec<u32>,
    /// The text gathered so far for each open element (by depth) after its first child,
    /// joined to its text when it closes; the buffers are reused.
    pending: Vec<String>,
    /// Capacity of the pending buffers, for the footprint.
    pending_bytes: usize,
}

impl Builder {
    fn push(&mut self, s: &str) -> Span {
        let start = self.strings.len();
        self.strings.push_str(s);
        Span {
            start,
            end: self.strings.len(),
        }
    }
}

impl<'i> Sink<'i> for Builder {
    fn start(&mut self, tag: &StartTag<'i, '_>) {
        // The scanner bounds the element count far below u32::MAX (`Limits::max_elements`
        // is checked first); an index that does not fit is stored as NONE, never panics.
        let id = u32::try_from(self.nodes.len()).unwrap_or(NONE);
        let (prefix, local) = split_qname(tag.qname);
        let start = self.strings.len();
        self.strings.push_str(tag.qname);
        let end = self.strings.len();
        let (prefix, local) = match prefix {
            Some(p) => (
                Span {
                    start,
                    end: start + p.len(),
                },
                Span {
                    start: end - local.len(),
                    end,
                },
            ),
            None => (Span::default(), Span { start, end }),
        };
        let attrs_from = u32::try_from(self.attrs.len()).unwrap_or(NONE);
        for a in tag.attrs {
            let name = self.push(a.qname);
            let value = self.push(&a.value);
            self.attrs.push(Attr { name, value });
        }
        let attrs_to = u32::try_from(self.attrs.len()).unwrap_or(NONE);
        let parent = self.stack.last().copied().unwrap_or(NONE);
        self.nodes.push(Node {
            local,
            prefix,
            ns: tag.ns.unwrap_or(NONE),
            attrs: (attrs_from, attrs_to),
            text: Span::default(),
            first_child: NONE,
            last_child: NONE,
            next_sibling: NONE,
            parent,
            line: tag.line,
        });
        if parent != NONE {
            let last = self
                .nodes
                .get(parent as usize)
                .map_or(NONE, |n| n.last_child);
            if let Some(prev) = self.nodes.get_mut(last as usize) {
                prev.next_sibling = id;
            }
            if let Some(n) = self.nodes.get_mut(parent as usize) {
                if n.first_child == NONE {
                    n.first_child = id;
                }
                n.last_child = id;
            }
        }
        let depth = self.stack.len();
        self.stack.push(id);
        match self.pending.get_mut(depth) {
            Some(buffer) => buffer.clear(),
            None => self.pending.push(String::new()),
        }
    }

    fn end(&mut self, _end: usize) {
        let depth = self.stack.len();
        let Some(id) = self.stack.pop() else {
            return;
        };
        let id = id as usize;
        let (has_children, direct) = self.nodes.get(id).map_or((false, Span::default()), |n| {
            (n.first_child != NONE, n.text)
        });
        let later = self
            .pending
            .get(depth.wrapping_sub(1))
            .map_or("", String::as_str);
        let direct_text = self
            .strings
            .get(direct.start..direct.end)
            .unwrap_or_default();
        let blank = is_xml_blank(direct_text) && is_xml_blank(later);
        let text = if has_children && blank {
            Span::default()
        } else if later.is_empty() {
            direct
        } else {
            // Mixed content: the text before the first child, then the rest.
            let start = self.strings.len();
            self.strings.extend_from_within(direct.start..direct.end);
            self.strings.push_str(later);
            Span {
                start,
                end: self.strings.len(),
            }
        };
        if let Some(node) = self.nodes.get_mut(id) {
            node.text = text;
        }
    }

    /// Until the element has a child, its text goes straight to `strings` (nothing else is
    /// written there in between); after, to its pending buffer, joined when it closes.
    fn text(&mut self, text: &str, eols: bool) {
        let depth = self.stack.len();
        let Some(&id) = self.stack.last() else {
            return;
        };
        let Some(node) = self.nodes.get(id as usize) else {
            return;
        };
        let direct = node.first_child == NONE
            && (node.text.start == node.text.end || node.text.end == self.strings.len());
        if direct {
            let start = if node.text.start == node.text.end {
                self.strings.len()
            } else {
                node.text.start
            };
            push_text(&mut self.strings, text, eols);
            let end = self.strings.len();
            if let Some(node) = self.nodes.get_mut(id as usize) {
                node.text = Span { start, end };
            }
        } else if let Some(buffer) = self.pending.get_mut(depth - 1) {
            let before = buffer.capacity();
            push_text(buffer, text, eols);
            self.pending_bytes += buffer.capacity() - before;
        }
    }

    fn footprint(&self) -> usize {
        // Lengths, not capacities: the arenas grow by doubling, and what is reserved but
        // never written is not touched (not resident).
        self.nodes.len() * std::mem::size_of::<Node>()
            + self.attrs.len() * std::mem::size_of::<Attr>()
            + self.strings.len()
            + self.pending_bytes
    }
}

/// Parses `input` (UTF-8, with or without BOM) into a [`Document`], within `limits`; see the
/// module docs for what is refused.
pub fn parse(input: &[u8], limits: &Limits) -> Result<Document> {
    // Room for a typical document (about one element per 100 bytes of input, names, values
    // and text at most the input's size), so that the arenas seldom move while they grow.
    let mut nodes = Vec::new();
    let _ = nodes.try_reserve(input.len() / 128);
    let mut attrs = Vec::new();
    let _ = attrs.try_reserve(input.len() / 128);
    let mut strings = String::new();
    let _ = strings.try_reserve(input.len() / 2);
    let mut b = Builder {
        nodes,
        attrs,
        strings,
        stack: Vec::new(),
        pending: Vec::new(),
        pending_bytes: 0,
    };
    let namespaces = scan(input, limits, SOURCE, &mut b)?;
    Ok(Document {
        nodes: b.nodes,
        attrs: b.attrs,
        strings: b.strings,
        namespaces,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    fn p(s: &str) -> Result<Document> {
        parse(s.as_bytes(), &Limits::default())
    }

    fn msg(r: Result<Document>) -> String {
        match r {
            Err(Error::Data {
                source_name,
                line,
                message,
            }) => {
                assert_eq!(source_name, "xml");
                format!("{line}: {message}")
            }
            other => panic!("expected an XML error, got {other:?}"),
        }
    }

    #[test]
    fn tree_names_attributes_text() {
        let d = p(concat!(
            "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!-- c --><?pi x?>\n",
            "<r xmlns=\"urn:a\" xmlns:s=\"urn:s\" a=\"1 &lt; 2\">\n",
            "  <s:x>A&#233;&#x20AC;<![CDATA[<b>]]></s:x>\n  <y/>\r\n  <y k='v'>t\r\nu</y>\n</r>\n"
        ))
        .unwrap();
        let r = d.root();
        assert!(r.is("urn:a", "r"));
        assert_eq!(r.attr("a"), Some("1 < 2"));
        assert_eq!(r.text(), "");
        let x = r.child("urn:s", "x").unwrap();
        assert_eq!(x.prefix(), Some("s"));
        assert_eq!(x.text(), "Aé€<b>");
        assert_eq!(x.line(), 4);
        assert_eq!(r.children_named("urn:a", "y").count(), 2);
        let y = r.children_named("urn:a", "y").nth(1).unwrap();
        assert_eq!(y.text(), "t\nu");
        assert_eq!(y.attr("k"), Some("v"));
        assert_eq!(y.parent().unwrap().local_name(), "r");
        assert_eq!(d.len(), 4);
        assert_eq!(d.elements().count(), 4);
    }

    #[test]
    fn mixed_content_siblings_and_values() {
        let d = p(concat!(
            "<r xmlns=\"urn:a\">\n  x<a k=\"1 &amp; 2\" t=\"a\r\nb\"/>\n  <b>1<!-- c -->2&lt;3</b>",
            "<c>\n  </c>y &#65;<d><e/></d>\n</r>"
        ))
        .unwrap();
        let r = d.root();
        // The text pieces around children are joined, blank pieces included.
        assert_eq!(r.text(), "\n  x\n  y A\n");
        let names: Vec<&str> = r.children().map(|c| c.local_name()).collect();
        assert_eq!(names, ["a", "b", "c", "d"]);
        let a = r.child("urn:a", "a").unwrap();
        assert_eq!(a.attr("k"), Some("1 & 2"));
        // Attribute-value normalisation (XML 1.0 §3.3.3), as in the full-fidelity tree.
        assert_eq!(a.attr("t"), Some("a b"));
        assert_eq!(a.prefix(), None);
        assert_eq!(r.child("urn:a", "b").unwrap().text(), "12<3");
        // A leaf keeps its blank text; an element with children drops it.
        assert_eq!(r.child("urn:a", "c").unwrap().text(), "\n  ");
        let dd = r.child("urn:a", "d").unwrap();
        assert_eq!(dd.text(), "");
        let e = dd.children().next().unwrap();
        assert_eq!(e.parent().unwrap().local_name(), "d");
        assert_eq!(e.parent().unwrap().parent().unwrap().local_name(), "r");
        assert!(r.parent().is_none());
        assert_eq!(e.children().count(), 0);
        assert_eq!(
            d.elements().map(|e| e.local_name()).collect::<Vec<_>>(),
            ["r", "a", "b", "c", "d", "e"]
        );
    }

    #[test]
    fn refusals() {
        assert!(msg(p("<!DOCTYPE r [<!ENTITY a \"b\">]><r>&a;</r>")).contains("DOCTYPE"));
        assert!(msg(p("<r>&foo;</r>")).contains("unknown entity"));
        assert!(msg(p("<r a=\"&foo;\"/>")).contains("attribute"));
        assert!(msg(p("<r/><r/>")).contains("second root"));
        assert!(msg(p("<r/>x")).contains("after the root"));
        assert!(msg(p("x<r/>")).contains("before the root"));
        assert!(msg(p("<r/>\u{a0}")).contains("after the root"));
        assert!(msg(p("<r><a></r>")).contains("malformed"));
        assert!(msg(p("<r><a>")).contains("unclosed"));
        assert!(msg(p("<r></r></r>")).contains("1:"));
        assert!(msg(p("")).contains("no root"));
        assert!(msg(p("<p:r/>")).contains("undeclared"));
        assert!(msg(p("<r a=\"1\" a=\"2\"/>")).contains("attribute"));
        assert!(msg(p("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><r/>")).contains("encoding"));
        assert!(msg(p("<r/><?xml version=\"1.0\"?>")).contains("declaration"));
        assert!(msg(p("<r>a & b</r>")).contains("malformed"));
        assert!(msg(parse(b"<r>\xff</r>", &Limits::default())).contains("UTF-8"));
        assert!(msg(p("<r>\n\n<a>")).starts_with("3:"));
    }

    #[test]
    fn limits() {
        let l = Limits {
            max_depth: 3,
            max_attributes: 2,
            max_attr_value_bytes: 4,
            max_elements: 5,
            max_text_bytes: 4,
            max_input_bytes: 200,
            ..Limits::DEFAULT
        };
        assert!(parse(b"<a><b><c/></b></a>", &l).is_ok());
        assert!(msg(parse(b"<a><b><c><d/></c></b></a>", &l)).contains("deeper"));
        assert!(msg(parse(b"<a x='1' y='2' z='3'/>", &l)).contains("attributes"));
        assert!(msg(parse(b"<a x='12345'/>", &l)).contains("attribute value"));
        assert!(msg(parse(b"<a><b/><b/><b/><b/><b/></a>", &l)).contains("elements"));
        assert!(msg(parse(b"<a>12<!---->345</a>", &l)).contains("text"));
        // The limit applies to the text once its line ends are normalised.
        assert_eq!(parse(b"<a>12\r\n3</a>", &l).unwrap().root().text(), "12\n3");
        assert!(msg(parse(b"<a>12\r\n34</a>", &l)).contains("text"));
        assert!(msg(parse(b"<a>1<b/>2345</a>", &l)).contains("text"));
        assert!(msg(parse(&[b' '; 201], &l)).contains("limit"));
    }
}

//! A full-fidelity XML tree for canonicalisation and signatures.
//!
//! Unlike the lossy [`reader`](super::reader), this tree keeps everything that Canonical XML
//! needs: comments, processing instructions, every text node (whitespace included), the
//! namespace declarations of each element in source order, attribute values as an XML parser
//! normalises them, and the raw byte range of each element in the input.
//!
//! It shares the hardening of the reader: no `<!DOCTYPE …>` (hence no DTD and no entity but
//! the five predefined ones and character references), UTF-8 only, [`Limits`] on size, depth,
//! element count, attributes and text. Parsing is iterative and the tree is an arena, so
//! hostile nesting cannot overflow the stack. Errors are [`Error::Data`] with source `"c14n"`
//! and the 1-based line.
//!
//! What an XML parser does and this tree reflects:
//! - line ends `\r\n` and lone `\r` become `\n` (in text, CDATA, comments, PIs and attribute
//!   values), except when written as a character reference (`&#13;`);
//! - attribute values: references decoded, and each literal tab, line feed or carriage return
//!   becomes a space (attribute-value normalisation for CDATA attributes, which all attributes
//!   are without a DTD);
//! - CDATA sections become text; adjacent text is merged into one text node;
//! - the XML declaration and whitespace outside the root element are not nodes.
//!
//! Namespaces are checked as the Namespaces in XML 1.0 recommendation requires (declared
//! prefixes, no `xmlns:p=""`, the reserved `xml` and `xmlns` prefixes, no two attributes with
//! the same expanded name).
//!
//! ```
//! use dmp_core::xml::reader::Limits;
//! use dmp_core::xml::tree::Tree;
//! let input = br#"<a xmlns="urn:x"><!-- c --><b Id="s1" k="1&#9;2
//! 3">t</b></a>"#;
//! let tree = Tree::parse(input, &Limits::default()).unwrap();
//! let ids = tree.find_by_id("Id", "s1");
//! assert_eq!(ids.len(), 1);
//! let b = tree.element(ids[0]).unwrap();
//! assert_eq!(b.namespace(), Some("urn:x"));
//! assert_eq!(b.attr("k"), Some("1\t2 3"));
//! assert_eq!(&input[b.span()], br#"<b Id="s1" k="1&#9;2
//! 3">t</b>"#);
//! assert_eq!(b.parent().unwrap().local_name(), "a");
//! ```

use std::collections::HashMap;
use std::hash::Hash;
use std::ops::Range;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::error::{Error, Result};
use crate::xml::reader::Limits;
use crate::xml::scan::{check_end, is_xml_blank, line_at, LineCursor, Phase};

const SOURCE: &str = "c14n";

/// The namespace bound to the `xml` prefix.
pub const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";
/// The namespace of namespace declarations (`xmlns`), which no prefix may be bound to.
const XMLNS_NS: &str = "http://www.w3.org/2000/xmlns/";

/// Identifies one element of a [`Tree`]. Ids follow document order (a parent's id is smaller
/// than its descendants'). An id is only meaningful for the tree that produced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ElementId(usize);

impl ElementId {
    /// Position of the element in document order (0 for the root element).
    pub fn index(self) -> usize {
        self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NodeData {
    Element(usize),
    Text(String),
    Comment(String),
    Pi { target: String, data: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NsDecl {
    /// `None` for the default namespace (`xmlns="…"`).
    pub(crate) prefix: Option<Box<str>>,
    /// The URI; empty only for `xmlns=""`.
    pub(crate) uri: Box<str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Attr {
    /// Qualified name as written (`xsi:type`).
    pub(crate) qname: Box<str>,
    /// Index into `Tree::uris`; `None` for an unprefixed attribute.
    pub(crate) ns: Option<usize>,
    pub(crate) value: String,
}

impl Attr {
    pub(crate) fn local(&self) -> &str {
        split_qname(&self.qname).1
    }
    pub(crate) fn prefix(&self) -> Option<&str> {
        split_qname(&self.qname).0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ElemData {
    pub(crate) qname: Box<str>,
    pub(crate) ns: Option<usize>,
    pub(crate) decls: Vec<NsDecl>,
    pub(crate) attrs: Vec<Attr>,
    pub(crate) children: Vec<NodeData>,
    pub(crate) parent: Option<usize>,
    /// Index of the last element of this element's subtree (itself when it has none).
    pub(crate) last: usize,
    pub(crate) span: Range<usize>,
    pub(crate) line: usize,
}

impl ElemData {
    pub(crate) fn prefix(&self) -> Option<&str> {
        split_qname(&self.qname).0
    }
}

/// Splits a qualified name into (prefix, local name).
fn split_qname(q: &str) -> (Option<&str>, &str) {
    match q.split_once(':') {
        Some((p, l)) => (Some(p), l),
        None => (None, q),
    }
}

/// A parsed XML document that keeps what canonicalisation needs (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tree {
    pub(crate) elems: Vec<ElemData>,
    pub(crate) uris: Vec<Box<str>>,
    /// Comments and PIs before the root element.
    pub(crate) prolog: Vec<NodeData>,
    /// Comments and PIs after the root element.
    pub(crate) epilog: Vec<NodeData>,
}

/// A node of the tree, as seen through [`Element::nodes`], [`Tree::prolog`] and
/// [`Tree::epilog`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Node<'t> {
    /// An element.
    Element(Element<'t>),
    /// Character data (text and CDATA sections, decoded, adjacent pieces merged).
    Text(&'t str),
    /// A comment (what is between `<!--` and `-->`).
    Comment(&'t str),
    /// A processing instruction.
    ProcessingInstruction {
        /// The target (`xml-stylesheet`).
        target: &'t str,
        /// What follows the target, leading white space removed (may be empty).
        data: &'t str,
    },
}

/// An attribute of an element (namespace declarations are not attributes here, see
/// [`Element::namespace_declarations`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attribute<'t> {
    /// Qualified name as written (`xsi:type`, `ID`).
    pub qname: &'t str,
    /// Local name (`type`).
    pub local_name: &'t str,
    /// Prefix, if any (`xsi`).
    pub prefix: Option<&'t str>,
    /// Namespace URI; `None` for unprefixed attributes (default namespaces do not apply to
    /// attributes).
    pub namespace: Option<&'t str>,
    /// Normalised value (references decoded, literal tab/CR/LF as spaces).
    pub value: &'t str,
}

/// A namespace declaration written on an element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NamespaceDecl<'t> {
    /// The declared prefix; `None` for the default namespace.
    pub prefix: Option<&'t str>,
    /// The namespace URI; empty for `xmlns=""` (undeclaring the default namespace).
    pub uri: &'t str,
}

impl Tree {
    /// Parses `input` (UTF-8, with or without BOM) within `limits`; see the module docs for
    /// what is refused.
    pub fn parse(input: &[u8], limits: &Limits) -> Result<Tree> {
        parse(input, limits)
    }

    /// The root (document) element.
    pub fn root(&self) -> Element<'_> {
        Element { tree: self, id: 0 }
    }

    /// The element `id`, if it belongs to this tree.
    pub fn element(&self, id: ElementId) -> Option<Element<'_>> {
        (id.0 < self.elems.len()).then_some(Element {
            tree: self,
            id: id.0,
        })
    }

    /// Every element, in document order.
    pub fn elements(&self) -> impl Iterator<Item = Element<'_>> + '_ {
        (0..self.elems.len()).map(move |id| Element { tree: self, id })
    }

    /// Number of elements (at least 1).
    pub fn len(&self) -> usize {
        self.elems.len()
    }

    /// Always false: a parsed tree has a root element.
    pub fn is_empty(&self) -> bool {
        self.elems.is_empty()
    }

    /// Comments and processing instructions before the root element.
    pub fn prolog(&self) -> impl Iterator<Item = Node<'_>> + '_ {
        self.prolog.iter().map(move |n| self.node(n))
    }

    /// Comments and processing instructions after the root element.
    pub fn epilog(&self) -> impl Iterator<Item = Node<'_>> + '_ {
        self.epilog.iter().map(move |n| self.node(n))
    }

    /// Every element carrying an ID-like attribute `attr` equal to `value`, in document order.
    ///
    /// `attr` is either a qualified name as written (`wsu:Id`, `xml:id`), matched literally,
    /// or a name without a colon (`Id`, `ID`), matched against unprefixed attributes only.
    /// All matches are returned, so that a caller can refuse duplicate IDs (signature
    /// wrapping attacks rely on them).
    pub fn find_by_id(&self, attr: &str, value: &str) -> Vec<ElementId> {
        self.elems
            .iter()
            .enumerate()
            .filter(|(_, e)| {
                e.attrs
                    .iter()
                    .any(|a| &*a.qname == attr && a.value == value)
            })
            .map(|(i, _)| ElementId(i))
            .collect()
    }

    /// Every element carrying the attribute `{namespace}local` equal to `value`, in
    /// document order (`namespace` `None` for an unprefixed attribute).
    pub fn find_by_attr(
        &self,
        namespace: Option<&str>,
        local: &str,
        value: &str,
    ) -> Vec<ElementId> {
        self.elems
            .iter()
            .enumerate()
            .filter(|(_, e)| {
                e.attrs
                    .iter()
                    .any(|a| a.local() == local && a.value == value && self.uri(a.ns) == namespace)
            })
            .map(|(i, _)| ElementId(i))
            .collect()
    }

    pub(crate) fn uri(&self, ns: Option<usize>) -> Option<&str> {
        ns.and_then(|i| self.uris.get(i)).map(|u| &**u)
    }

    fn node<'t>(&'t self, n: &'t NodeData) -> Node<'t> {
        match n {
            NodeData::Element(i) => Node::Element(Element { tree: self, id: *i }),
            NodeData::Text(t) => Node::Text(t),
            NodeData::Comment(c) => Node::Comment(c),
            NodeData::Pi { target, data } => Node::ProcessingInstruction { target, data },
        }
    }

    /// The element data of `id` (ids handed out by the tree are always in range).
    pub(crate) fn data(&self, id: usize) -> Option<&ElemData> {
        self.elems.get(id)
    }
}

/// A handle on one element of a [`Tree`].
#[derive(Debug, Clone, Copy)]
pub struct Element<'t> {
    tree: &'t Tree,
    id: usize,
}

impl PartialEq for Element<'_> {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.tree, other.tree) && self.id == other.id
    }
}

impl Eq for Element<'_> {}

impl<'t> Element<'t> {
    fn data(&self) -> &'t ElemData {
        // Handles are only created with ids of their own tree.
        &self.tree.elems[self.id]
    }

    /// The id of this element.
    pub fn id(&self) -> ElementId {
        ElementId(self.id)
    }

    /// The tree this element belongs to.
    pub fn tree(&self) -> &'t Tree {
        self.tree
    }

    /// Qualified name as written (`saml2:Assertion`).
    pub fn qname(&self) -> &'t str {
        &self.data().qname
    }

    /// Local name (`Assertion`).
    pub fn local_name(&self) -> &'t str {
        split_qname(&self.data().qname).1
    }

    /// Prefix as written, if any (`saml2`).
    pub fn prefix(&self) -> Option<&'t str> {
        split_qname(&self.data().qname).0
    }

    /// Namespace URI of the element, if any.
    pub fn namespace(&self) -> Option<&'t str> {
        self.tree.uri(self.data().ns)
    }

    /// Whether the element is `local` in namespace `ns`.
    pub fn is(&self, ns: &str, local: &str) -> bool {
        self.local_name() == local && self.namespace() == Some(ns)
    }

    /// The attributes (namespace declarations excluded), in source order.
    pub fn attributes(&self) -> impl Iterator<Item = Attribute<'t>> + 't {
        let tree = self.tree;
        self.data().attrs.iter().map(move |a| Attribute {
            qname: &a.qname,
            local_name: a.local(),
            prefix: a.prefix(),
            namespace: tree.uri(a.ns),
            value: &a.value,
        })
    }

    /// The value of the attribute whose qualified name, as written, is `qname`.
    pub fn attr(&self, qname: &str) -> Option<&'t str> {
        self.data()
            .attrs
            .iter()
            .find(|a| &*a.qname == qname)
            .map(|a| a.value.as_str())
    }

    /// The value of the attribute `{namespace}local` (`namespace` `None` for an unprefixed
    /// attribute).
    pub fn attr_ns(&self, namespace: Option<&str>, local: &str) -> Option<&'t str> {
        self.attributes()
            .find(|a| a.local_name == local && a.namespace == namespace)
            .map(|a| a.value)
    }

    /// The namespace declarations written on this element, in source order.
    pub fn namespace_declarations(&self) -> impl Iterator<Item = NamespaceDecl<'t>> + 't {
        self.data().decls.iter().map(|d| NamespaceDecl {
            prefix: d.prefix.as_deref(),
            uri: &d.uri,
        })
    }

    /// The namespace URI bound to `prefix` (`None` for the default namespace) at this
    /// element; `None` when unbound (or the default namespace is undeclared).
    pub fn lookup_namespace(&self, prefix: Option<&str>) -> Option<&'t str> {
        if prefix == Some("xml") {
            return Some(XML_NS);
        }
        let mut cur = Some(*self);
        while let Some(e) = cur {
            if let Some(d) = e
                .data()
                .decls
                .iter()
                .find(|d| d.prefix.as_deref() == prefix)
            {
                return (!d.uri.is_empty()).then_some(&*d.uri);
            }
            cur = e.parent();
        }
        None
    }

    /// The parent element (none for the root).
    pub fn parent(&self) -> Option<Element<'t>> {
        self.data().parent.map(|id| Element {
            tree: self.tree,
            id,
        })
    }

    /// Every child node (elements, text, comments, PIs), in document order.
    pub fn nodes(&self) -> impl Iterator<Item = Node<'t>> + 't {
        let tree = self.tree;
        self.data().children.iter().map(move |n| tree.node(n))
    }

    /// The child elements, in document order.
    pub fn children(&self) -> impl Iterator<Item = Element<'t>> + 't {
        let tree = self.tree;
        self.data().children.iter().filter_map(move |n| match n {
            NodeData::Element(id) => Some(Element { tree, id: *id }),
            _ => None,
        })
    }

    /// The first child element that is `local` in namespace `ns`.
    pub fn child(&self, ns: &str, local: &str) -> Option<Element<'t>> {
        self.children().find(|e| e.is(ns, local))
    }

    /// Every element of this element's subtree (itself first), in document order.
    pub fn descendants_or_self(&self) -> impl Iterator<Item = Element<'t>> + 't {
        let tree = self.tree;
        (self.id..=self.data().last).map(move |id| Element { tree, id })
    }

    /// Whether `other` is this element or one of its descendants.
    pub fn contains(&self, other: ElementId) -> bool {
        (self.id..=self.data().last).contains(&other.0)
    }

    /// The element's own character data: its text children concatenated (descendants'
    /// text not included).
    pub fn text(&self) -> String {
        self.nodes()
            .filter_map(|n| match n {
                Node::Text(t) => Some(t),
                _ => None,
            })
            .collect()
    }

    /// Byte range of the element in the input given to [`Tree::parse`]: from its `<` to just
    /// after its end tag (or the `/>` of an empty-element tag).
    pub fn span(&self) -> Range<usize> {
        self.data().span.clone()
    }

    /// 1-based line of the start tag.
    pub fn line(&self) -> usize {
        self.data().line
    }
}

/// A map whose bindings are scoped: frames are pushed and popped like elements, and a
/// lookup sees the innermost binding. Lookups and updates are O(1).
#[derive(Debug)]
pub(crate) struct Scoped<K, V> {
    map: HashMap<K, Vec<V>>,
    log: Vec<K>,
    marks: Vec<usize>,
}

impl<K: Hash + Eq + Clone, V> Scoped<K, V> {
    pub(crate) fn new() -> Self {
        Scoped {
            map: HashMap::new(),
            log: Vec::new(),
            marks: Vec::new(),
        }
    }

    pub(crate) fn push_frame(&mut self) {
        self.marks.push(self.log.len());
    }

    pub(crate) fn pop_frame(&mut self) {
        let mark = self.marks.pop().unwrap_or(0);
        while self.log.len() > mark {
            if let Some(k) = self.log.pop() {
                if let Some(values) = self.map.get_mut(&k) {
                    values.pop();
                    if values.is_empty() {
                        self.map.remove(&k);
                    }
                }
            }
        }
    }

    pub(crate) fn insert(&mut self, k: K, v: V) {
        self.map.entry(k.clone()).or_default().push(v);
        self.log.push(k);
    }

    pub(crate) fn get(&self, k: &K) -> Option<&V> {
        self.map.get(k).and_then(|v| v.last())
    }

    /// Every key with its innermost value (arbitrary order).
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.map
            .iter()
            .filter_map(|(k, v)| v.last().map(|v| (k, v)))
    }
}

// ---------------------------------------------------------------------------------------
// Parsing

/// Whether `c` is a character XML 1.0 allows in a document.
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fn is_name_start_char(c: char) -> bool {
    matches!(c,
        'A'..='Z' | '_' | 'a'..='z' | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}'
        | '\u{F8}'..='\u{2FF}' | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}'
        | '\u{200C}'..='\u{200D}' | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}'
        | '\u{3001}'..='\u{D7FF}' | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}'
        | '\u{10000}'..='\u{EFFFF}')
}

fn is_name_char(c: char) -> bool {
    is_name_start_char(c)
        || matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

/// An NCName (a name without colon).
fn is_ncname(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(is_name_start_char) && chars.all(is_name_char)
}

/// A qualified name: `NCName` or `NCName:NCName`.
fn is_qname(s: &str) -> bool {
    match s.split_once(':') {
        Some((p, l)) => is_ncname(p) && is_ncname(l),
        None => is_ncname(s),
    }
}

/// `\r\n` and lone `\r` become `\n` (XML 1.0 §2.11).
fn normalize_eol(s: &str) -> String {
    if !s.contains('\r') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            if chars.peek() == Some(&'\n') {
                chars.next();
            }
            out.push('\n');
        } else {
            out.push(c);
        }
    }
    out
}

/// Resolves the reference named `name` (between `&` and `;`): the five predefined entities
/// and character references.
fn resolve_reference(name: &str) -> std::result::Result<char, String> {
    let c = match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "apos" => '\'',
        "quot" => '"',
        _ => {
            let (digits, radix) = if let Some(hex) = name.strip_prefix("#x") {
                (hex, 16)
            } else if let Some(dec) = name.strip_prefix('#') {
                (dec, 10)
            } else {
                return Err(format!(
                    "unknown entity &{name}; (only the 5 predefined entities and character \
                     references are allowed)"
                ));
            };
            let ok = !digits.is_empty() && digits.chars().all(|c| c.is_digit(radix));
            let code = if ok {
                u32::from_str_radix(digits, radix).ok()
            } else {
                None
            };
            match code.and_then(char::from_u32) {
                Some(c) if is_xml_char(c) => c,
                _ => return Err(format!("bad character reference &{name};")),
            }
        }
    };
    Ok(c)
}

/// Attribute-value normalisation (XML 1.0 §3.3.3, CDATA type) of a raw value.
fn normalize_attr_value(raw: &str) -> std::result::Result<String, String> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(c) = rest.chars().next() {
        rest = &rest[c.len_utf8()..];
        match c {
            '\r' => {
                rest = rest.strip_prefix('\n').unwrap_or(rest);
                out.push(' ');
            }
            '\n' | '\t' => out.push(' '),
            '<' => return Err("'<' in an attribute value".to_owned()),
            '&' => {
                let Some(end) = rest.find(';') else {
                    return Err("'&' without ';' in an attribute value".to_owned());
                };
                out.push(resolve_reference(&rest[..end])?);
                rest = &rest[end + 1..];
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

/// Whether a namespace URI is absolute (has a scheme), as Canonical XML requires.
pub(crate) fn has_scheme(uri: &str) -> bool {
    match uri.split_once(':') {
        Some((scheme, _)) => {
            let mut chars = scheme.chars();
            chars.next().is_some_and(|c| c.is_ascii_alphabetic())
                && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

/// Whether each quoted attribute value is followed by white space or the end of the tag
/// (quick-xml accepts `a="1"b="2"`, XML does not).
fn attributes_separated(raw: &[u8]) -> bool {
    let mut quote = None;
    let mut iter = raw.iter().peekable();
    while let Some(&b) = iter.next() {
        match quote {
            Some(q) if b == q => {
                quote = None;
                if iter
                    .peek()
                    .is_some_and(|n| !matches!(n, b' ' | b'\t' | b'\r' | b'\n' | b'/'))
                {
                    return false;
                }
            }
            Some(_) => {}
            None if b == b'"' || b == b'\'' => quote = Some(b),
            None => {}
        }
    }
    true
}

struct Builder<'i> {
    /// The input without its BOM.
    input: &'i [u8],
    /// Length of the BOM (offsets reported relative to the caller's input).
    bom: usize,
    limits: Limits,
    elems: Vec<ElemData>,
    uris: Vec<Box<str>>,
    uri_index: HashMap<Box<str>, usize>,
    prolog: Vec<NodeData>,
    epilog: Vec<NodeData>,
    /// Open elements: (index, text bytes so far).
    stack: Vec<(usize, usize)>,
    /// Prefix (`None`: default) → index into `uris` (`None`: undeclared default).
    scope: Scoped<Option<Box<str>>, Option<usize>>,
    phase: Phase,
    cursor: LineCursor,
}

impl<'i> Builder<'i> {
    fn err(&self, pos: usize, message: impl Into<String>) -> Error {
        let message = message.into();
        Error::data(
            SOURCE,
            line_at(self.input, pos),
            format!("{message} (byte {})", pos + self.bom),
        )
    }

    fn line(&mut self, pos: usize) -> usize {
        self.cursor.line(self.input, pos)
    }

    fn intern(&mut self, uri: &str) -> usize {
        if let Some(&i) = self.uri_index.get(uri) {
            return i;
        }
        self.uris.push(uri.into());
        self.uri_index.insert(uri.into(), self.uris.len() - 1);
        self.uris.len() - 1
    }

    fn open(&mut self, start: &BytesStart<'_>, pos: usize, end: Option<usize>) -> Result<()> {
        let (depth, elements) = (self.stack.len(), self.elems.len());
        if let Err(rule) = self.phase.open_element(depth, elements, &self.limits) {
            return Err(self.err(pos, rule));
        }
        let qname = std::str::from_utf8(start.name().0)
            .map_err(|_| self.err(pos, "element name is not UTF-8"))?;
        if !is_qname(qname) {
            return Err(self.err(pos, format!("invalid element name {qname:?}")));
        }
        if !attributes_separated(start.attributes_raw()) {
            return Err(self.err(
                pos,
                format!("attributes of <{qname}> must be separated by white space"),
            ));
        }
        // Raw attributes, then declarations, then names resolved in the new scope.
        let mut decls: Vec<NsDecl> = Vec::new();
        let mut raw_attrs: Vec<(&str, String)> = Vec::new();
        let mut count = 0usize;
        for a in start.attributes().with_checks(true) {
            let a = a.map_err(|e| self.err(pos, format!("bad attribute on <{qname}>: {e}")))?;
            count += 1;
            if count > self.limits.max_attributes {
                return Err(self.err(
                    pos,
                    format!(
                        "more than {} attributes on <{qname}>",
                        self.limits.max_attributes
                    ),
                ));
            }
            if a.value.len() > self.limits.max_attr_value_bytes {
                return Err(self.err(
                    pos,
                    format!(
                        "attribute value longer than {} bytes on <{qname}>",
                        self.limits.max_attr_value_bytes
                    ),
                ));
            }
            let name = std::str::from_utf8(a.key.0)
                .map_err(|_| self.err(pos, "attribute name is not UTF-8"))?;
            if !is_qname(name) {
                return Err(self.err(pos, format!("invalid attribute name {name:?}")));
            }
            let raw = std::str::from_utf8(&a.value)
                .map_err(|_| self.err(pos, "attribute value is not UTF-8"))?;
            let value = normalize_attr_value(raw)
                .map_err(|e| self.err(pos, format!("attribute {name} on <{qname}>: {e}")))?;
            let decl_prefix = if name == "xmlns" {
                Some(None)
            } else {
                name.strip_prefix("xmlns:").map(Some)
            };
            match decl_prefix {
                Some(prefix) => {
                    self.check_decl(prefix, &value, pos)?;
                    decls.push(NsDecl {
                        prefix: prefix.map(Box::from),
                        uri: value.into(),
                    });
                }
                None => raw_attrs.push((name, value)),
            }
        }
        self.scope.push_frame();
        for d in &decls {
            let idx = (!d.uri.is_empty()).then(|| self.intern(&d.uri));
            self.scope.insert(d.prefix.clone(), idx);
        }
        let ns = match split_qname(qname).0 {
            Some("xmlns") => return Err(self.err(pos, "the prefix xmlns cannot name an element")),
            Some("xml") => Some(self.intern(XML_NS)),
            Some(p) => match self.scope.get(&Some(p.into())) {
                Some(Some(i)) => Some(*i),
                _ => return Err(self.err(pos, format!("undeclared namespace prefix {p:?}"))),
            },
            None => self.scope.get(&None).copied().flatten(),
        };
        let mut attrs = Vec::with_capacity(raw_attrs.len());
        for (name, value) in raw_attrs {
            let ns = match split_qname(name).0 {
                None => None,
                Some("xml") => Some(self.intern(XML_NS)),
                Some(p) => match self.scope.get(&Some(p.into())) {
                    Some(Some(i)) => Some(*i),
                    _ => {
                        return Err(self.err(
                            pos,
                            format!("undeclared namespace prefix {p:?} on attribute {name}"),
                        ))
                    }
                },
            };
            attrs.push(Attr {
                qname: name.into(),
                ns,
                value,
            });
        }
        // No two attributes with the same expanded name.
        let mut keys: Vec<(Option<usize>, &str)> =
            attrs.iter().map(|a| (a.ns, a.local())).collect();
        keys.sort_unstable();
        if keys.windows(2).any(|w| w[0] == w[1]) {
            return Err(self.err(
                pos,
                format!("two attributes with the same namespace and local name on <{qname}>"),
            ));
        }
        let id = self.elems.len();
        let parent = self.stack.last().map(|&(p, _)| p);
        let line = self.line(pos);
        let b = self.bom;
        self.elems.push(ElemData {
            qname: qname.into(),
            ns,
            decls,
            attrs,
            children: Vec::new(),
            parent,
            last: id,
            span: pos + b..end.map_or(pos + b, |e| e + b),
            line,
        });
        if let Some(p) = parent.and_then(|p| self.elems.get_mut(p)) {
            p.children.push(NodeData::Element(id));
        }
        self.stack.push((id, 0));
        if let Some(end) = end {
            self.close(end)?;
        }
        Ok(())
    }

    fn check_decl(&self, prefix: Option<&str>, uri: &str, pos: usize) -> Result<()> {
        let bad = match prefix {
            Some("xml") => {
                (uri != XML_NS).then_some("the prefix xml must be bound to its namespace")
            }
            Some("xmlns") => Some("the prefix xmlns cannot be declared"),
            Some(_) if uri.is_empty() => Some("a prefix cannot be undeclared (xmlns:p=\"\")"),
            _ if uri == XML_NS => Some("only the prefix xml may be bound to the XML namespace"),
            _ if uri == XMLNS_NS => Some("no prefix may be bound to the xmlns namespace"),
            _ => None,
        };
        match bad {
            Some(m) => Err(self.err(pos, m)),
            None => Ok(()),
        }
    }

    fn close(&mut self, end: usize) -> Result<()> {
        let Some((id, _)) = self.stack.pop() else {
            return Err(self.err(end, "end tag without a start tag"));
        };
        self.scope.pop_frame();
        let last = self.elems.len().saturating_sub(1);
        let b = self.bom;
        if let Some(e) = self.elems.get_mut(id) {
            e.last = last;
            e.span.end = end + b;
        }
        if self.stack.is_empty() {
            self.phase = Phase::Epilog;
        }
        Ok(())
    }

    /// Character data at `pos`; `raw` tells whether it comes from a text event (subject to
    /// the top-level white space rule) rather than CDATA or a reference.
    fn text(&mut self, text: String, pos: usize, raw: bool) -> Result<()> {
        let Some(&mut (id, ref mut len)) = self.stack.last_mut() else {
            if raw && is_xml_blank(&text) {
                return Ok(());
            }
            let what = if self.phase == Phase::Epilog {
                "text after the root element"
            } else {
                "text before the root element"
            };
            return Err(self.err(pos, what));
        };
        *len = len.saturating_add(text.len());
        if *len > self.limits.max_text_bytes {
            let max = self.limits.max_text_bytes;
            return Err(self.err(pos, format!("text of an element longer than {max} bytes")));
        }
        if text.is_empty() {
            return Ok(());
        }
        if let Some(e) = self.elems.get_mut(id) {
            match e.children.last_mut() {
                Some(NodeData::Text(t)) => t.push_str(&text),
                _ => e.children.push(NodeData::Text(text)),
            }
        }
        Ok(())
    }

    /// A comment or PI, inside the root element or around it.
    fn misc(&mut self, node: NodeData) {
        match self.stack.last() {
            Some(&(id, _)) => {
                if let Some(e) = self.elems.get_mut(id) {
                    e.children.push(node);
                }
            }
            None if self.phase == Phase::Epilog => self.epilog.push(node),
            None => self.prolog.push(node),
        }
    }
}

fn parse(input: &[u8], limits: &Limits) -> Result<Tree> {
    if input.len() > limits.max_input_bytes {
        return Err(Error::data(
            SOURCE,
            0,
            format!(
                "input is {} bytes, more than the limit of {}",
                input.len(),
                limits.max_input_bytes
            ),
        ));
    }
    let (bom, input) = match input.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (3, rest),
        None => (0, input),
    };
    let text = std::str::from_utf8(input).map_err(|e| {
        Error::data(
            SOURCE,
            line_at(input, e.valid_up_to()),
            format!(
                "invalid UTF-8 (byte {}); only UTF-8 is accepted",
                e.valid_up_to() + bom
            ),
        )
    })?;
    let mut b = Builder {
        input,
        bom,
        limits: *limits,
        elems: Vec::new(),
        uris: Vec::new(),
        uri_index: HashMap::new(),
        prolog: Vec::new(),
        epilog: Vec::new(),
        stack: Vec::new(),
        scope: Scoped::new(),
        phase: Phase::Prolog,
        cursor: LineCursor::default(),
    };
    if let Some((i, c)) = text.char_indices().find(|&(_, c)| !is_xml_char(c)) {
        return Err(b.err(
            i,
            format!("character U+{:04X} is not allowed in XML", c as u32),
        ));
    }
    let mut reader = Reader::from_str(text);
    {
        let config = reader.config_mut();
        config.trim_text(false);
        config.check_end_names = true;
        config.check_comments = true;
        config.expand_empty_elements = false;
        config.allow_dangling_amp = false;
        config.allow_unmatched_ends = false;
    }
    let to_usize = |p: u64| usize::try_from(p).unwrap_or(usize::MAX);
    let mut first = true;
    loop {
        let pos = to_usize(reader.buffer_position());
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(e) => {
                let at = to_usize(reader.error_position());
                return Err(b.err(at, format!("malformed XML: {e}")));
            }
        };
        let end = to_usize(reader.buffer_position());
        let was_first = first;
        first = false;
        match event {
            Event::Start(start) => b.open(&start, pos, None)?,
            Event::Empty(start) => b.open(&start, pos, Some(end))?,
            Event::End(_) => b.close(end)?,
            Event::Text(t) => {
                let raw = std::str::from_utf8(&t).map_err(|_| b.err(pos, "text is not UTF-8"))?;
                if raw.contains("]]>") {
                    return Err(b.err(pos, "']]>' is not allowed in text"));
                }
                b.text(normalize_eol(raw), pos, true)?;
            }
            Event::CData(c) => {
                if b.stack.is_empty() {
                    return Err(b.err(pos, "CDATA outside the root element"));
                }
                let raw = std::str::from_utf8(&c).map_err(|_| b.err(pos, "CDATA is not UTF-8"))?;
                b.text(normalize_eol(raw), pos, false)?;
            }
            Event::GeneralRef(r) => {
                if b.stack.is_empty() {
                    return Err(b.err(pos, "reference outside the root element"));
                }
                let name = std::str::from_utf8(&r).map_err(|_| b.err(pos, "bad reference"))?;
                let c = resolve_reference(name).map_err(|m| b.err(pos, m))?;
                b.text(c.to_string(), pos, false)?;
            }
            Event::Comment(c) => {
                let raw =
                    std::str::from_utf8(&c).map_err(|_| b.err(pos, "comment is not UTF-8"))?;
                if raw.contains("--") || raw.ends_with('-') {
                    return Err(b.err(pos, "'--' is not allowed inside a comment"));
                }
                b.misc(NodeData::Comment(normalize_eol(raw)));
            }
            Event::PI(pi) => {
                let target = std::str::from_utf8(pi.target())
                    .map_err(|_| b.err(pos, "PI target is not UTF-8"))?;
                let content =
                    std::str::from_utf8(pi.content()).map_err(|_| b.err(pos, "PI is not UTF-8"))?;
                if !is_ncname(target) || target.eq_ignore_ascii_case("xml") {
                    return Err(b.err(pos, format!("invalid PI target {target:?}")));
                }
                if !content.is_empty() && !content.starts_with([' ', '\t', '\r', '\n']) {
                    return Err(b.err(pos, "invalid processing instruction"));
                }
                let data = content.trim_start_matches([' ', '\t', '\r', '\n']);
                b.misc(NodeData::Pi {
                    target: target.to_owned(),
                    data: normalize_eol(data),
                });
            }
            Event::DocType(_) => {
                return Err(b.err(pos, "DOCTYPE is refused (no DTD, no entity definitions)"))
            }
            Event::Decl(decl) => {
                if !was_first {
                    return Err(b.err(pos, "the XML declaration must come first in the document"));
                }
                let version = decl
                    .version()
                    .map_err(|e| b.err(pos, format!("XML declaration: {e}")))?;
                if &*version != b"1.0" {
                    return Err(b.err(pos, "only XML version 1.0 is accepted"));
                }
                if let Some(enc) = decl.encoding() {
                    let enc = enc.map_err(|e| b.err(pos, format!("XML declaration: {e}")))?;
                    if !(enc.eq_ignore_ascii_case(b"UTF-8") || enc.eq_ignore_ascii_case(b"UTF8")) {
                        return Err(b.err(
                            pos,
                            format!(
                                "encoding {:?} declared: only UTF-8 is accepted",
                                String::from_utf8_lossy(&enc)
                            ),
                        ));
                    }
                }
            }
            Event::Eof => break,
        }
    }
    let end = to_usize(reader.buffer_position());
    if let Err(rule) = check_end(b.stack.len(), b.elems.len()) {
        return Err(b.err(end, rule));
    }
    Ok(Tree {
        elems: b.elems,
        uris: b.uris,
        prolog: b.prolog,
        epilog: b.epilog,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_values() {
        assert_eq!(
            normalize_attr_value("a\r\nb\rc\nd\te").unwrap(),
            "a b c d e"
        );
        assert_eq!(
            normalize_attr_value("&#9;&#xA;&#13;&lt;&amp;&quot;&apos;&gt;").unwrap(),
            "\t\n\r<&\"'>"
        );
        assert_eq!(normalize_attr_value("&#x1D11E;é").unwrap(), "\u{1D11E}é");
        for bad in [
            "&",
            "&x;",
            "&#;",
            "&#x;",
            "&#X41;",
            "&#0;",
            "&#xD800;",
            "&#99999999999;",
            "<",
        ] {
            assert!(normalize_attr_value(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn helpers() {
        assert_eq!(normalize_eol("a\r\nb\rc\n"), "a\nb\nc\n");
        assert!(attributes_separated(b" a=\"1\" b='2'"));
        assert!(attributes_separated(b" a=\"1\"/"));
        assert!(!attributes_separated(b" a=\"1\"b='2'"));
        assert!(has_scheme("urn:hl7-org:v3") && has_scheme("http://x"));
        assert!(!has_scheme("rel") && !has_scheme("1a:b") && !has_scheme(":x"));
        assert!(is_qname("a:b") && !is_qname("a:b:c") && !is_qname(":a") && !is_qname("1"));
        let mut s: Scoped<&str, u8> = Scoped::new();
        s.push_frame();
        s.insert("a", 1);
        s.push_frame();
        s.insert("a", 2);
        s.insert("b", 3);
        assert_eq!((s.get(&"a"), s.get(&"b")), (Some(&2), Some(&3)));
        s.pop_frame();
        assert_eq!((s.get(&"a"), s.get(&"b")), (Some(&1), None));
        s.pop_frame();
        s.pop_frame();
        assert_eq!(s.iter().count(), 0);
    }
}

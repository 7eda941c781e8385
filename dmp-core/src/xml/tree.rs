//! A full-fidelity XML tree for canonicalisation and signatures.
//!
//! Unlike the lossy [`reader`](super::reader), this tree keeps everything that Canonical XML
//! needs: comments, processing instructions, every text node (whitespace included), the
//! namespace declarations of each element in source order, attribute values as an XML parser
//! normalises them, and the raw byte range of each element in the input.
//!
//! It is the other view of the reader's scanner (`xml::scan`), so it refuses what
//! the reader refuses: no `<!DOCTYPE …>` (hence no DTD and no entity but the five predefined
//! ones and character references), UTF-8 only, no character XML 1.0 forbids, [`Limits`] on
//! size, depth, element count, attributes, text and the tree's memory. Parsing is iterative and the tree is an arena, so
//! hostile nesting cannot overflow the stack. Errors are [`Error::Data`](crate::error::Error::Data) with source `"c14n"`
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

use std::ops::Range;

use crate::error::Result;
use crate::xml::reader::Limits;
pub(crate) use crate::xml::scan::Scoped; // c14n keeps its namespace scopes with it
use crate::xml::scan::{normalize_eol, push_text, scan, split_qname, Sink, StartTag};

const SOURCE: &str = "c14n";

/// The namespace bound to the `xml` prefix.
pub const XML_NS: &str = crate::xml::scan::XML_NS;

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

// ---------------------------------------------------------------------------------------
// Parsing: a sink of the one scanner

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

/// What a child node costs in its parent's vector (which grows by doubling: up to twice
/// its length).
const CHILD: usize = 2 * std::mem::size_of::<NodeData>();

/// What an allocation costs at least (glibc: a 32-byte chunk for up to 24 bytes).
const ALLOC_OVERHEAD: usize = 32;

/// The bytes a heap allocation of `len` bytes takes (none when empty): an 8-byte header,
/// rounded up to 16, at least [`ALLOC_OVERHEAD`].
fn heap(len: usize) -> usize {
    if len == 0 {
        0
    } else {
        ((len + 8 + 15) & !15).max(ALLOC_OVERHEAD)
    }
}

/// Builds a [`Tree`] from the scanner's events.
struct Builder {
    elems: Vec<ElemData>,
    prolog: Vec<NodeData>,
    epilog: Vec<NodeData>,
    /// Open elements (indexes into `elems`).
    stack: Vec<usize>,
    /// The estimated bytes of the tree so far.
    footprint: usize,
}

impl Builder {
    /// A comment or PI, inside the root element or around it.
    fn misc(&mut self, node: NodeData) {
        self.footprint += CHILD;
        match self.stack.last() {
            Some(&id) => {
                if let Some(e) = self.elems.get_mut(id) {
                    e.children.push(node);
                }
            }
            None if !self.elems.is_empty() => self.epilog.push(node),
            None => self.prolog.push(node),
        }
    }
}

impl<'i> Sink<'i> for Builder {
    fn start(&mut self, tag: &StartTag<'i, '_>) {
        let n_decls = tag.attrs.iter().filter(|a| a.declares.is_some()).count();
        let mut decls = Vec::with_capacity(n_decls);
        let mut attrs = Vec::with_capacity(tag.attrs.len() - n_decls);
        let mut cost = heap(tag.qname.len())
            + heap(decls.capacity() * std::mem::size_of::<NsDecl>())
            + heap(attrs.capacity() * std::mem::size_of::<Attr>());
        for a in tag.attrs {
            cost += heap(a.value.len());
            match a.declares {
                Some(prefix) => {
                    cost += heap(prefix.map_or(0, str::len));
                    decls.push(NsDecl {
                        prefix: prefix.map(Box::from),
                        uri: Box::from(&*a.value),
                    });
                }
                None => {
                    cost += heap(a.qname.len());
                    attrs.push(Attr {
                        qname: a.qname.into(),
                        ns: a.ns.map(|i| i as usize),
                        value: a.value.clone().into_owned(),
                    });
                }
            }
        }
        let id = self.elems.len();
        let parent = self.stack.last().copied();
        self.elems.push(ElemData {
            qname: tag.qname.into(),
            ns: tag.ns.map(|i| i as usize),
            decls,
            attrs,
            children: Vec::new(),
            parent,
            last: id,
            span: tag.start..tag.start,
            line: tag.line,
        });
        if let Some(p) = parent.and_then(|p| self.elems.get_mut(p)) {
            p.children.push(NodeData::Element(id));
            cost += CHILD;
        }
        self.footprint += cost;
        self.stack.push(id);
    }

    fn end(&mut self, end: usize) {
        let Some(id) = self.stack.pop() else {
            return;
        };
        let last = self.elems.len().saturating_sub(1);
        if let Some(e) = self.elems.get_mut(id) {
            e.last = last;
            e.span.end = end;
        }
    }

    fn text(&mut self, text: &str, eols: bool) {
        let Some(e) = self.stack.last().and_then(|&id| self.elems.get_mut(id)) else {
            return;
        };
        match e.children.last_mut() {
            Some(NodeData::Text(t)) => {
                let before = t.capacity();
                push_text(t, text, eols);
                self.footprint += t.capacity() - before;
            }
            _ => {
                let mut t = String::with_capacity(text.len());
                push_text(&mut t, text, eols);
                self.footprint += CHILD + heap(t.capacity());
                e.children.push(NodeData::Text(t));
            }
        }
    }

    fn comment(&mut self, comment: &str) {
        self.footprint += heap(comment.len());
        self.misc(NodeData::Comment(normalize_eol(comment)));
    }

    fn pi(&mut self, target: &str, data: &str) {
        self.footprint += heap(target.len()) + heap(data.len());
        self.misc(NodeData::Pi {
            target: target.to_owned(),
            data: normalize_eol(data),
        });
    }

    fn footprint(&self) -> usize {
        // The element vector by capacity: while it grows, the old and the new buffer are
        // both alive.
        self.footprint + self.elems.capacity() * std::mem::size_of::<ElemData>()
    }
}

fn parse(input: &[u8], limits: &Limits) -> Result<Tree> {
    let mut b = Builder {
        elems: Vec::new(),
        prolog: Vec::new(),
        epilog: Vec::new(),
        stack: Vec::new(),
        footprint: 0,
    };
    let uris = scan(input, limits, SOURCE, &mut b)?;
    Ok(Tree {
        elems: b.elems,
        uris,
        prolog: b.prolog,
        epilog: b.epilog,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes() {
        assert!(has_scheme("urn:hl7-org:v3") && has_scheme("http://x"));
        assert!(!has_scheme("rel") && !has_scheme("1a:b") && !has_scheme(":x"));
    }

    #[test]
    fn text_merges_and_footprint_counts_it_once() {
        let big = "x".repeat(1 << 16);
        let doc = format!("<r>{big}&amp;{big}<!--c--></r>");
        let tree = Tree::parse(doc.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(tree.root().text().len(), 2 * (1 << 16) + 1);
        assert_eq!(tree.root().nodes().count(), 2);
    }
}

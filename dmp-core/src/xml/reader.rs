//! A hardened XML reader for documents we receive (CDA, DMP responses): untrusted input is
//! parsed into a small read-only tree, within [`Limits`].
//!
//! What it refuses, each as an [`Error::Data`] with source `"xml"` and the 1-based line:
//! - any `<!DOCTYPE …>` (so no DTD, no internal or external entity can ever be defined);
//! - any entity reference other than the five predefined ones (`&lt;` `&gt;` `&amp;` `&apos;`
//!   `&quot;`) and numeric character references;
//! - invalid UTF-8, and an XML declaration that names another encoding;
//! - unbalanced or mismatched tags, a truncated document, several root elements, text or
//!   markup after the root element, undeclared namespace prefixes, duplicate attributes;
//! - input beyond the [`Limits`] (size, depth, element count, attributes, text size).
//!
//! Parsing is iterative (an explicit stack, no recursion), so hostile nesting cannot overflow
//! the call stack; the tree is an arena, so dropping it does not recurse either.
//!
//! Whitespace-only text between elements is dropped (text of an element that has child
//! elements is kept only when it is not blank); comments and processing instructions are
//! skipped; CDATA sections are text.
//!
//! ```
//! use dmp_core::xml::reader::{parse, Limits};
//! let doc = parse(br#"<a xmlns="urn:x"><b k="v">t &amp; u</b></a>"#, &Limits::default()).unwrap();
//! let b = doc.root().child("urn:x", "b").unwrap();
//! assert_eq!(b.attr("k"), Some("v"));
//! assert_eq!(b.text(), "t & u");
//! assert!(parse(b"<!DOCTYPE a><a/>", &Limits::default()).is_err());
//! ```

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use super::scan::{check_end, is_xml_blank, line_at, LineCursor, Phase};
use crate::error::{Error, Result};

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
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// An attribute as written: qualified name (`xsi:type`, `root`) and unescaped value.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Attr {
    name: Box<str>,
    value: String,
}

#[derive(Debug, Clone)]
struct Node {
    local: Box<str>,
    prefix: Option<Box<str>>,
    /// Index into `Document::namespaces`.
    ns: Option<usize>,
    attrs: Vec<Attr>,
    text: String,
    children: Vec<usize>,
    parent: Option<usize>,
    line: usize,
}

/// A parsed XML document: an arena of elements, read through [`Element`] handles.
#[derive(Debug, Clone)]
pub struct Document {
    nodes: Vec<Node>,
    namespaces: Vec<String>,
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

    /// Local name (`ClinicalDocument`).
    pub fn local_name(&self) -> &'d str {
        &self.node().local
    }

    /// Prefix as written (`sdtc` in `sdtc:deceasedInd`), if any.
    pub fn prefix(&self) -> Option<&'d str> {
        self.node().prefix.as_deref()
    }

    /// Namespace URI the element is bound to, if any.
    pub fn namespace(&self) -> Option<&'d str> {
        self.node()
            .ns
            .and_then(|i| self.doc.namespaces.get(i))
            .map(String::as_str)
    }

    /// Whether the element is `local` in namespace `ns`.
    pub fn is(&self, ns: &str, local: &str) -> bool {
        self.local_name() == local && self.namespace() == Some(ns)
    }

    /// The value of the attribute whose qualified name, as written, is `qname`
    /// (`root`, `xsi:type`).
    pub fn attr(&self, qname: &str) -> Option<&'d str> {
        self.node()
            .attrs
            .iter()
            .find(|a| &*a.name == qname)
            .map(|a| a.value.as_str())
    }

    /// Every attribute as (qualified name, value), in document order.
    pub fn attributes(&self) -> impl Iterator<Item = (&'d str, &'d str)> + 'd {
        self.node()
            .attrs
            .iter()
            .map(|a| (&*a.name, a.value.as_str()))
    }

    /// The element's own text (character data and CDATA directly inside it, unescaped, line
    /// ends normalised to `\n`); empty when there is none.
    pub fn text(&self) -> &'d str {
        &self.node().text
    }

    /// The child elements, in document order.
    pub fn children(&self) -> impl Iterator<Item = Element<'d>> + 'd {
        let doc = self.doc;
        self.node()
            .children
            .iter()
            .map(move |&id| Element { doc, id })
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
        self.node().parent.map(|id| Element { doc: self.doc, id })
    }

    /// 1-based line of the start tag.
    pub fn line(&self) -> usize {
        self.node().line
    }
}

fn err_at(input: &[u8], pos: usize, message: impl Into<String>) -> Error {
    let message = message.into();
    Error::data(
        SOURCE,
        line_at(input, pos),
        format!("{message} (byte {pos})"),
    )
}

struct Builder<'i> {
    input: &'i [u8],
    limits: Limits,
    nodes: Vec<Node>,
    namespaces: Vec<String>,
    stack: Vec<usize>,
    phase: Phase,
    seen_event: bool,
    decoder: quick_xml::encoding::Decoder,
    /// Line counting cursor; offsets only grow.
    cursor: LineCursor,
}

impl Builder<'_> {
    fn err(&self, pos: u64, message: impl Into<String>) -> Error {
        err_at(
            self.input,
            usize::try_from(pos).unwrap_or(usize::MAX),
            message,
        )
    }

    /// Line of `pos`, counted incrementally from the last call (positions only grow).
    fn line(&mut self, pos: u64) -> usize {
        let pos = usize::try_from(pos).unwrap_or(usize::MAX);
        self.cursor.line(self.input, pos)
    }

    fn intern_ns(&mut self, ns: &[u8], pos: u64) -> Result<usize> {
        let ns =
            std::str::from_utf8(ns).map_err(|_| self.err(pos, "namespace URI is not UTF-8"))?;
        if let Some(i) = self.namespaces.iter().position(|n| n == ns) {
            return Ok(i);
        }
        self.namespaces.push(ns.to_owned());
        Ok(self.namespaces.len() - 1)
    }

    /// Opens an element; returns its index.
    fn open(
        &mut self,
        resolved: ResolveResult<'_>,
        start: &BytesStart<'_>,
        pos: u64,
    ) -> Result<()> {
        let (depth, elements) = (self.stack.len(), self.nodes.len());
        if let Err(rule) = self.phase.open_element(depth, elements, &self.limits) {
            return Err(self.err(pos, rule));
        }
        let ns = match resolved {
            ResolveResult::Bound(ns) => Some(self.intern_ns(ns.0, pos)?),
            ResolveResult::Unbound => None,
            ResolveResult::Unknown(p) => {
                return Err(self.err(
                    pos,
                    format!(
                        "undeclared namespace prefix {:?}",
                        String::from_utf8_lossy(&p)
                    ),
                ))
            }
        };
        let qname = start.name();
        let (local, prefix) = qname.decompose();
        let utf8 = |b: &[u8]| {
            std::str::from_utf8(b)
                .map(Box::<str>::from)
                .map_err(|_| self.err(pos, "element name is not UTF-8"))
        };
        let local = utf8(local.as_ref())?;
        let prefix = prefix.map(|p| utf8(p.as_ref())).transpose()?;
        let mut attrs = Vec::new();
        for a in start.attributes().with_checks(true) {
            let a = a.map_err(|e| self.err(pos, format!("bad attribute: {e}")))?;
            if attrs.len() >= self.limits.max_attributes {
                return Err(self.err(
                    pos,
                    format!(
                        "more than {} attributes on <{local}>",
                        self.limits.max_attributes
                    ),
                ));
            }
            if a.value.len() > self.limits.max_attr_value_bytes {
                return Err(self.err(
                    pos,
                    format!(
                        "attribute value longer than {} bytes on <{local}>",
                        self.limits.max_attr_value_bytes
                    ),
                ));
            }
            let name = std::str::from_utf8(a.key.as_ref())
                .map_err(|_| self.err(pos, "attribute name is not UTF-8"))?;
            let value = a
                .decode_and_unescape_value(self.decoder)
                .map_err(|e| self.err(pos, format!("attribute {name}: {e}")))?;
            attrs.push(Attr {
                name: name.into(),
                value: value.into_owned(),
            });
        }
        let id = self.nodes.len();
        let parent = self.stack.last().copied();
        let line = self.line(pos);
        self.nodes.push(Node {
            local,
            prefix,
            ns,
            attrs,
            text: String::new(),
            children: Vec::new(),
            parent,
            line,
        });
        if let Some(p) = parent.and_then(|p| self.nodes.get_mut(p)) {
            p.children.push(id);
        }
        self.stack.push(id);
        Ok(())
    }

    fn close(&mut self, pos: u64) -> Result<()> {
        let Some(id) = self.stack.pop() else {
            return Err(self.err(pos, "end tag without a start tag"));
        };
        if let Some(node) = self.nodes.get_mut(id) {
            if !node.children.is_empty() && is_xml_blank(&node.text) {
                node.text = String::new();
            }
        }
        if self.stack.is_empty() {
            self.phase = Phase::Epilog;
        }
        Ok(())
    }

    fn text(&mut self, text: std::borrow::Cow<'_, str>, pos: u64) -> Result<()> {
        let Some(&id) = self.stack.last() else {
            if is_xml_blank(&text) {
                return Ok(());
            }
            let what = if self.phase == Phase::Epilog {
                "text after the root element"
            } else {
                "text before the root element"
            };
            return Err(self.err(pos, what));
        };
        let max = self.limits.max_text_bytes;
        let current = self.nodes.get(id).map_or(0, |n| n.text.len());
        if current.saturating_add(text.len()) > max {
            return Err(self.err(pos, format!("text of an element longer than {max} bytes")));
        }
        if let Some(node) = self.nodes.get_mut(id) {
            if node.text.is_empty() {
                node.text = text.into_owned();
            } else {
                node.text.push_str(&text);
            }
        }
        Ok(())
    }
}

/// Parses `input` (UTF-8, with or without BOM) into a [`Document`], within `limits`.
pub fn parse(input: &[u8], limits: &Limits) -> Result<Document> {
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
    // Offsets are counted after the BOM (as quick-xml counts them).
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    let text = std::str::from_utf8(input).map_err(|e| {
        err_at(
            input,
            e.valid_up_to(),
            "invalid UTF-8 (the CI-SIS requires UTF-8)",
        )
    })?;
    let mut reader = NsReader::from_str(text);
    {
        let config = reader.config_mut();
        config.trim_text(false);
        config.check_end_names = true;
        config.expand_empty_elements = false;
        config.allow_dangling_amp = false;
        config.allow_unmatched_ends = false;
    }
    let mut b = Builder {
        input,
        limits: *limits,
        nodes: Vec::new(),
        namespaces: Vec::new(),
        stack: Vec::new(),
        phase: Phase::Prolog,
        seen_event: false,
        decoder: reader.decoder(),
        cursor: LineCursor::default(),
    };
    loop {
        let pos = reader.buffer_position();
        let (resolved, event) = match reader.read_resolved_event() {
            Ok(x) => x,
            Err(e) => {
                let at = reader.error_position();
                return Err(b.err(at, format!("malformed XML: {e}")));
            }
        };
        let first = !b.seen_event;
        b.seen_event = true;
        match event {
            Event::Start(start) => {
                b.open(resolved, &start, pos)?;
            }
            Event::Empty(start) => {
                b.open(resolved, &start, pos)?;
                b.close(pos)?;
            }
            Event::End(_) => b.close(pos)?,
            Event::Text(t) => {
                let s = t
                    .xml10_content()
                    .map_err(|e| b.err(pos, format!("text: {e}")))?;
                b.text(s, pos)?;
            }
            Event::CData(c) => {
                let s = c
                    .xml10_content()
                    .map_err(|e| b.err(pos, format!("CDATA: {e}")))?;
                if b.stack.is_empty() {
                    return Err(b.err(pos, "CDATA outside the root element"));
                }
                b.text(s, pos)?;
            }
            Event::GeneralRef(r) => {
                let resolved_char = r
                    .resolve_char_ref()
                    .map_err(|e| b.err(pos, format!("bad character reference: {e}")))?;
                let s = match resolved_char {
                    Some(c) => c.to_string(),
                    None => {
                        let name = r
                            .decode()
                            .map_err(|e| b.err(pos, format!("bad reference: {e}")))?;
                        match &*name {
                            "lt" => "<".to_owned(),
                            "gt" => ">".to_owned(),
                            "amp" => "&".to_owned(),
                            "apos" => "'".to_owned(),
                            "quot" => "\"".to_owned(),
                            other => {
                                return Err(b.err(
                                    pos,
                                    format!(
                                        "unknown entity &{other}; (only the 5 predefined \
                                         entities and character references are allowed)"
                                    ),
                                ))
                            }
                        }
                    }
                };
                if b.stack.is_empty() {
                    return Err(b.err(pos, "reference outside the root element"));
                }
                b.text(s.into(), pos)?;
            }
            Event::DocType(_) => {
                return Err(b.err(pos, "DOCTYPE is refused (no DTD, no entity definitions)"))
            }
            Event::Decl(decl) => {
                if !first {
                    return Err(b.err(pos, "the XML declaration must come first in the document"));
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
            Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    let end = reader.buffer_position();
    if let Err(rule) = check_end(b.stack.len(), b.nodes.len()) {
        return Err(b.err(end, rule));
    }
    Ok(Document {
        nodes: b.nodes,
        namespaces: b.namespaces,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
        };
        assert!(parse(b"<a><b><c/></b></a>", &l).is_ok());
        assert!(msg(parse(b"<a><b><c><d/></c></b></a>", &l)).contains("deeper"));
        assert!(msg(parse(b"<a x='1' y='2' z='3'/>", &l)).contains("attributes"));
        assert!(msg(parse(b"<a x='12345'/>", &l)).contains("attribute value"));
        assert!(msg(parse(b"<a><b/><b/><b/><b/><b/></a>", &l)).contains("elements"));
        assert!(msg(parse(b"<a>12<!---->345</a>", &l)).contains("text"));
        assert!(msg(parse(&[b' '; 201], &l)).contains("limit"));
    }
}

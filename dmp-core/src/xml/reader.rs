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
            .map(String::as_str)
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
    /// The same input, known to be UTF-8: names and values are sliced from it.
    source: &'i str,
    limits: Limits,
    nodes: Vec<Node>,
    attrs: Vec<Attr>,
    strings: String,
    namespaces: Vec<String>,
    stack: Vec<usize>,
    /// The text gathered so far for each open element (by depth), written to `strings` when
    /// the element closes; the buffers are reused.
    pending: Vec<String>,
    phase: Phase,
    seen_event: bool,
    decoder: quick_xml::encoding::Decoder,
    /// Line counting cursor; offsets only grow.
    cursor: LineCursor,
}

impl<'i> Builder<'i> {
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

    /// `bytes` as text when it is a slice of the input (event data borrowed from it): no
    /// second UTF-8 check is needed, the input was checked as a whole.
    fn borrowed(&self, bytes: &[u8]) -> Option<&'i str> {
        let start = (bytes.as_ptr() as usize).checked_sub(self.source.as_ptr() as usize)?;
        self.source.get(start..start.checked_add(bytes.len())?)
    }

    fn push(&mut self, s: &str) -> Span {
        let start = self.strings.len();
        self.strings.push_str(s);
        Span {
            start,
            end: self.strings.len(),
        }
    }

    /// Stores a name (element, prefix, attribute).
    fn name(&mut self, bytes: &[u8], pos: u64, what: &str) -> Result<Span> {
        match self.borrowed(bytes) {
            Some(s) => Ok(self.push(s)),
            None => match std::str::from_utf8(bytes) {
                Ok(s) => Ok(self.push(s)),
                Err(_) => Err(self.err(pos, format!("{what} is not UTF-8"))),
            },
        }
    }

    fn intern_ns(&mut self, ns: &[u8], pos: u64) -> Result<u32> {
        let i = match self.namespaces.iter().position(|n| n.as_bytes() == ns) {
            Some(i) => i,
            None => {
                let ns = std::str::from_utf8(ns)
                    .map_err(|_| self.err(pos, "namespace URI is not UTF-8"))?;
                self.namespaces.push(ns.to_owned());
                self.namespaces.len() - 1
            }
        };
        u32::try_from(i).map_err(|_| self.err(pos, "too many namespaces"))
    }

    /// Opens an element.
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
        let id = match u32::try_from(elements) {
            Ok(id) if id != NONE => id,
            _ => return Err(self.err(pos, "too many elements")),
        };
        let ns = match resolved {
            ResolveResult::Bound(ns) => self.intern_ns(ns.0, pos)?,
            ResolveResult::Unbound => NONE,
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
        let local = self.name(local.as_ref(), pos, "element name")?;
        let prefix = match prefix {
            Some(p) => self.name(p.as_ref(), pos, "element name")?,
            None => Span::default(),
        };
        let attrs_from = self.attrs.len();
        for a in start.attributes().with_checks(true) {
            let a = a.map_err(|e| self.err(pos, format!("bad attribute: {e}")))?;
            let local = || self.strings.get(local.start..local.end).unwrap_or_default();
            if self.attrs.len() - attrs_from >= self.limits.max_attributes {
                return Err(self.err(
                    pos,
                    format!(
                        "more than {} attributes on <{}>",
                        self.limits.max_attributes,
                        local()
                    ),
                ));
            }
            if a.value.len() > self.limits.max_attr_value_bytes {
                return Err(self.err(
                    pos,
                    format!(
                        "attribute value longer than {} bytes on <{}>",
                        self.limits.max_attr_value_bytes,
                        local()
                    ),
                ));
            }
            let name = self.name(a.key.as_ref(), pos, "attribute name")?;
            // Without a reference nor a line end, the value is its raw text.
            let plain = !a
                .value
                .iter()
                .any(|b| matches!(b, b'&' | b'\r' | b'\n' | b'\t'));
            let value = match self.borrowed(&a.value).filter(|_| plain) {
                Some(v) => self.push(v),
                None => {
                    let v = a.decode_and_unescape_value(self.decoder).map_err(|e| {
                        let name = self.strings.get(name.start..name.end).unwrap_or_default();
                        self.err(pos, format!("attribute {name}: {e}"))
                    })?;
                    self.push(&v)
                }
            };
            self.attrs.push(Attr { name, value });
        }
        let attrs = match (u32::try_from(attrs_from), u32::try_from(self.attrs.len())) {
            (Ok(from), Ok(to)) => (from, to),
            _ => return Err(self.err(pos, "too many attributes")),
        };
        let parent = self.stack.last().copied();
        let line = self.line(pos);
        self.nodes.push(Node {
            local,
            prefix,
            ns,
            attrs,
            text: Span::default(),
            first_child: NONE,
            last_child: NONE,
            next_sibling: NONE,
            parent: parent.map_or(NONE, |p| p as u32),
            line,
        });
        if let Some(p) = parent {
            let last = self.nodes.get(p).map_or(NONE, |n| n.last_child);
            if let Some(prev) = self.nodes.get_mut(last as usize) {
                prev.next_sibling = id;
            }
            if let Some(n) = self.nodes.get_mut(p) {
                if n.first_child == NONE {
                    n.first_child = id;
                }
                n.last_child = id;
            }
        }
        self.stack.push(elements);
        match self.pending.get_mut(depth) {
            Some(buffer) => buffer.clear(),
            None => self.pending.push(String::new()),
        }
        Ok(())
    }

    fn close(&mut self, pos: u64) -> Result<()> {
        let depth = self.stack.len();
        let Some(id) = self.stack.pop() else {
            return Err(self.err(pos, "end tag without a start tag"));
        };
        let (has_children, direct) = self.nodes.get(id).map_or((false, Span::default()), |n| {
            (n.first_child != NONE, n.text)
        });
        let later = self.pending.get(depth - 1).map_or("", String::as_str);
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
        if self.stack.is_empty() {
            self.phase = Phase::Epilog;
        }
        Ok(())
    }

    /// Appends text to the open element; `eols`: normalise its line ends (XML 1.0 §2.11:
    /// CR LF and CR become LF), as for character data but not for a character reference.
    ///
    /// Until the element has a child, its text goes straight to `strings` (nothing else is
    /// written there in between); after, to its pending buffer, joined when it closes.
    fn text(&mut self, text: &str, eols: bool, pos: u64) -> Result<()> {
        let depth = self.stack.len();
        let Some(&id) = self.stack.last() else {
            if is_xml_blank(text) {
                return Ok(());
            }
            let what = if self.phase == Phase::Epilog {
                "text after the root element"
            } else {
                "text before the root element"
            };
            return Err(self.err(pos, what));
        };
        let Some(node) = self.nodes.get(id) else {
            return Ok(());
        };
        let direct = node.first_child == NONE
            && (node.text.start == node.text.end || node.text.end == self.strings.len());
        let pending = self.pending.get(depth - 1).map_or(0, String::len);
        let current = (node.text.end - node.text.start).saturating_add(pending);
        let max = self.limits.max_text_bytes;
        // Normalising only shortens the text: a raw length within the limit is enough.
        if current.saturating_add(text.len()) > max
            && (!eols || current.saturating_add(normalized_len(text)) > max)
        {
            return Err(self.err(pos, format!("text of an element longer than {max} bytes")));
        }
        let push = |out: &mut String| {
            if eols {
                push_xml10_eols(out, text);
            } else {
                out.push_str(text);
            }
        };
        if direct {
            let start = if node.text.start == node.text.end {
                self.strings.len()
            } else {
                node.text.start
            };
            push(&mut self.strings);
            let end = self.strings.len();
            if let Some(node) = self.nodes.get_mut(id) {
                node.text = Span { start, end };
            }
        } else if let Some(buffer) = self.pending.get_mut(depth - 1) {
            push(buffer);
        }
        Ok(())
    }

    /// Text or CDATA content: sliced from the input when it is borrowed from it (always, for
    /// a UTF-8 input read from a `str`), else decoded.
    fn content(
        &mut self,
        raw: &[u8],
        decoded: impl FnOnce() -> std::result::Result<std::borrow::Cow<'i, str>, String>,
        pos: u64,
    ) -> Result<()> {
        match self.borrowed(raw) {
            Some(s) => self.text(s, true, pos),
            None => {
                let s = decoded().map_err(|e| self.err(pos, e))?;
                self.text(&s, false, pos)
            }
        }
    }
}

/// Appends `text` with its line ends normalised (XML 1.0 §2.11: CR LF and a lone CR become
/// LF), as quick-xml's `xml10_content` does.
fn push_xml10_eols(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(i) = rest.find('\r') {
        out.push_str(rest.get(..i).unwrap_or_default());
        out.push('\n');
        rest = rest.get(i + 1..).unwrap_or_default();
        rest = rest.strip_prefix('\n').unwrap_or(rest);
    }
    out.push_str(rest);
}

/// The length of `text` once its line ends are normalised.
fn normalized_len(text: &str) -> usize {
    text.len() - text.matches("\r\n").count()
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
    // Room for a typical document (about one element per 100 bytes of input, names, values
    // and text at most the input's size), so that the arenas seldom move while they grow.
    let mut nodes = Vec::new();
    let _ = nodes.try_reserve(input.len() / 128);
    let mut attrs = Vec::new();
    let _ = attrs.try_reserve(input.len() / 128);
    let mut strings = String::new();
    let _ = strings.try_reserve(input.len() / 2);
    let mut b = Builder {
        input,
        source: text,
        limits: *limits,
        nodes,
        attrs,
        strings,
        namespaces: Vec::new(),
        stack: Vec::new(),
        pending: Vec::new(),
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
                b.content(
                    &t,
                    || t.xml10_content().map_err(|e| format!("text: {e}")),
                    pos,
                )?;
            }
            Event::CData(c) => {
                if b.stack.is_empty() {
                    return Err(b.err(pos, "CDATA outside the root element"));
                }
                b.content(
                    &c,
                    || c.xml10_content().map_err(|e| format!("CDATA: {e}")),
                    pos,
                )?;
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
                b.text(&s, false, pos)?;
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
        attrs: b.attrs,
        strings: b.strings,
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
        // As quick-xml decodes it (no attribute-value normalisation).
        assert_eq!(a.attr("t"), Some("a\r\nb"));
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

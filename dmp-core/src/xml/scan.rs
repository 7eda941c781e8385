//! The one XML scanner behind both parsers: the lossy hardened [`reader`](super::reader) and
//! the full-fidelity [`tree`](super::tree) are two [`Sink`]s fed by [`scan`], so that every
//! well-formedness rule, every namespace rule and every [`Limits`] bound is written (and
//! holds) once.
//!
//! What the scanner refuses, each as an [`Error::Data`] with the caller's source name, the
//! 1-based line and the byte offset in the caller's input:
//! - input beyond the [`Limits`] (size, depth, element count, attributes, attribute value and
//!   text sizes, and the memory of the sink's tree, see [`Limits::max_memory_per_input_byte`]);
//! - invalid UTF-8, a character XML 1.0 forbids (U+0000 and the other C0 controls but tab,
//!   LF and CR; U+FFFE, U+FFFF), a second byte order mark, an XML declaration that is not
//!   first, not version 1.0 or names another encoding than UTF-8;
//! - any `<!DOCTYPE …>` (so no DTD and no entity but the five predefined ones and character
//!   references);
//! - `]]>` in character data, `--` in a comment, a PI named `xml`;
//! - unbalanced or mismatched tags, a truncated document, several root elements, text or
//!   CDATA outside the root element, invalid names, attributes not separated by white space;
//! - namespace errors (Namespaces in XML 1.0): undeclared prefixes, `xmlns:p=""`, the
//!   reserved `xml` and `xmlns` prefixes and namespaces, two attributes with the same
//!   expanded name.
//!
//! What it hands to the sink: elements with their resolved namespace and attributes (values
//! normalised as XML 1.0 §3.3.3 says for CDATA attributes), character data borrowed from the
//! input (line ends normalised by the sink as it copies, so a large text node is copied
//! once), comments and processing instructions.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::Hash;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::reader::{Limits, MAX_DEPTH_CAP};
use crate::error::{Error, Result};

/// The namespace bound to the `xml` prefix (Namespaces in XML 1.0 §3).
pub(crate) const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";
/// The namespace of namespace declarations (`xmlns`), which no prefix may be bound to.
const XMLNS_NS: &str = "http://www.w3.org/2000/xmlns/";
/// The UTF-8 byte order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Whether `s` is only XML white space (space, tab, CR, LF).
pub(crate) fn is_xml_blank(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

/// Line (1-based) of byte offset `pos` in `input`.
pub(crate) fn line_at(input: &[u8], pos: usize) -> usize {
    let end = pos.min(input.len());
    1 + count_newlines(input.get(..end).unwrap_or_default())
}

/// The number of `\n` in `bytes`, many bytes per instruction (every start tag asks for its
/// line, so this runs over the whole input).
fn count_newlines(bytes: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', bytes).count()
}

/// Counts lines incrementally: parsers ask for growing offsets, so each byte is scanned once.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LineCursor {
    from: usize,
    line: usize,
}

impl Default for LineCursor {
    fn default() -> Self {
        LineCursor { from: 0, line: 1 }
    }
}

impl LineCursor {
    /// Line of `pos` in `input` (falls back to a full count for an earlier offset).
    pub(crate) fn line(&mut self, input: &[u8], pos: usize) -> usize {
        let pos = pos.min(input.len());
        if pos < self.from {
            return line_at(input, pos);
        }
        let added = count_newlines(input.get(self.from..pos).unwrap_or_default());
        self.from = pos;
        self.line += added;
        self.line
    }
}

/// Where the parser is, relative to the root element.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub(crate) enum Phase {
    /// Nothing but (optional) declaration, comments, PIs and whitespace so far.
    Prolog,
    /// Inside the root element.
    Root,
    /// The root element is closed.
    Epilog,
}

impl Phase {
    /// An element opens at nesting `depth` (open elements so far) after `elements` others:
    /// moves to [`Phase::Root`], or says which rule the document breaks.
    pub(crate) fn open_element(
        &mut self,
        depth: usize,
        elements: usize,
        limits: &Limits,
    ) -> std::result::Result<(), String> {
        match self {
            Phase::Epilog => {
                return Err(
                    "a second root element: an XML document has exactly one root".to_owned(),
                )
            }
            Phase::Prolog => *self = Phase::Root,
            Phase::Root => {}
        }
        let max_depth = limits.max_depth.min(MAX_DEPTH_CAP);
        if depth >= max_depth {
            return Err(format!("elements nested deeper than {max_depth}"));
        }
        if elements >= limits.max_elements {
            return Err(format!("more than {} elements", limits.max_elements));
        }
        Ok(())
    }
}

/// At the end of input: `open` elements still open, `elements` parsed in all. Says which
/// rule a truncated or empty document breaks.
pub(crate) fn check_end(open: usize, elements: usize) -> std::result::Result<(), String> {
    if open > 0 {
        return Err(format!(
            "document ends with {open} unclosed element(s) (truncated?)"
        ));
    }
    if elements == 0 {
        return Err("no root element".to_owned());
    }
    Ok(())
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

    /// Closes the innermost frame; says whether it had bindings.
    pub(crate) fn pop_frame(&mut self) -> bool {
        let mark = self.marks.pop().unwrap_or(0);
        let had = self.log.len() > mark;
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
        had
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
// Characters, names, references

/// Whether `c` is a character XML 1.0 allows in a document (§2.2).
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// The first character of valid UTF-8 `text` that XML 1.0 forbids, with its offset.
///
/// In UTF-8 these are single bytes below 0x20 (but tab, LF, CR) and the sequences of U+FFFE
/// and U+FFFF (`EF BF BE`, `EF BF BF`); surrogates cannot occur in a Rust string. The scan
/// looks at 64-byte blocks without a branch per byte and only searches a block that holds a
/// suspect byte, so it runs at memory speed on ordinary text.
fn forbidden_char(text: &str) -> Option<(usize, char)> {
    let bytes = text.as_bytes();
    let suspect = |b: u8| {
        (u8::from(b < 0x20) & u8::from(b != b'\t') & u8::from(b != b'\n') & u8::from(b != b'\r'))
            | u8::from(b == 0xEF)
    };
    for (n, block) in bytes.chunks(64).enumerate() {
        if block.iter().fold(0, |acc, &b| acc | suspect(b)) == 0 {
            continue;
        }
        let base = n * 64;
        for (i, _) in block.iter().enumerate().filter(|(_, &b)| suspect(b) != 0) {
            let at = base + i;
            if let Some(c) = text.get(at..).and_then(|s| s.chars().next()) {
                if !is_xml_char(c) {
                    return Some((at, c));
                }
            }
        }
    }
    None
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
pub(crate) fn is_ncname(s: &str) -> bool {
    let bytes = s.as_bytes();
    if bytes.is_ascii() {
        // The common case, without decoding characters.
        return bytes
            .first()
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
            && bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    }
    let mut chars = s.chars();
    chars.next().is_some_and(is_name_start_char) && chars.all(is_name_char)
}

/// A qualified name: `NCName` or `NCName:NCName`.
pub(crate) fn is_qname(s: &str) -> bool {
    match split_qname(s) {
        (Some(p), l) => is_ncname(p) && is_ncname(l),
        (None, l) => is_ncname(l),
    }
}

/// Splits a qualified name into (prefix, local name) at its first colon.
pub(crate) fn split_qname(q: &str) -> (Option<&str>, &str) {
    // A byte loop: names are short, and `:` never occurs inside a UTF-8 sequence.
    match q.bytes().position(|b| b == b':') {
        Some(i) => (q.get(..i), q.get(i + 1..).unwrap_or_default()),
        None => (None, q),
    }
}

/// Whether `text` holds a carriage return (its line ends then need normalising).
fn has_cr(text: &str) -> bool {
    memchr::memchr(b'\r', text.as_bytes()).is_some()
}

/// Whether `text` holds `]]>`, which XML 1.0 forbids in character data (§2.4). Looks for
/// the rare `>` first.
fn has_cdata_end(text: &str) -> bool {
    let bytes = text.as_bytes();
    memchr::memchr_iter(b'>', bytes).any(|i| i >= 2 && bytes.get(i - 2..i) == Some(b"]]"))
}

/// Appends `text` with its line ends normalised (XML 1.0 §2.11: CR LF and a lone CR become
/// LF) when `eols`, else as it is.
pub(crate) fn push_text(out: &mut String, text: &str, eols: bool) {
    if !eols {
        out.push_str(text);
        return;
    }
    let mut rest = text;
    while let Some(i) = rest.find('\r') {
        out.push_str(rest.get(..i).unwrap_or_default());
        out.push('\n');
        rest = rest.get(i + 1..).unwrap_or_default();
        rest = rest.strip_prefix('\n').unwrap_or(rest);
    }
    out.push_str(rest);
}

/// `\r\n` and lone `\r` become `\n` (XML 1.0 §2.11).
pub(crate) fn normalize_eol(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_text(&mut out, s, s.contains('\r'));
    out
}

/// The length of `text` once its line ends are normalised.
fn normalized_len(text: &str) -> usize {
    text.len() - text.matches("\r\n").count()
}

/// Resolves the reference named `name` (between `&` and `;`): the five predefined entities
/// and character references.
pub(crate) fn resolve_reference(name: &str) -> std::result::Result<char, String> {
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

/// Attribute-value normalisation (XML 1.0 §3.3.3, CDATA type) of a raw value: borrowed when
/// there is nothing to change.
pub(crate) fn normalize_attr_value(raw: &str) -> std::result::Result<Cow<'_, str>, String> {
    // Without an early exit the test vectorises; any other byte below 0x20 is already
    // refused by the scanner (and would only take the careful path below).
    if !raw.bytes().fold(false, |seen, b| {
        seen | (b < 0x20) | (b == b'&') | (b == b'<')
    }) {
        return Ok(Cow::Borrowed(raw));
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(c) = rest.chars().next() {
        rest = rest.get(c.len_utf8()..).unwrap_or_default();
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
                out.push(resolve_reference(rest.get(..end).unwrap_or_default())?);
                rest = rest.get(end + 1..).unwrap_or_default();
            }
            c => out.push(c),
        }
    }
    Ok(Cow::Owned(out))
}

/// Whether each quoted attribute value is followed by white space or the end of the tag
/// (quick-xml accepts `a="1"b="2"`, XML does not).
pub(crate) fn attributes_separated(raw: &[u8]) -> bool {
    let mut rest = raw;
    // From each opening quote to its closing one, then the byte after it.
    while let Some(open) = memchr::memchr2(b'"', b'\'', rest) {
        let quote = rest.get(open).copied().unwrap_or(b'"');
        let value = rest.get(open + 1..).unwrap_or_default();
        let Some(close) = memchr::memchr(quote, value) else {
            return true; // unterminated: the attribute reader says so
        };
        rest = value.get(close + 1..).unwrap_or_default();
        if rest
            .first()
            .is_some_and(|n| !matches!(n, b' ' | b'\t' | b'\r' | b'\n' | b'/'))
        {
            return false;
        }
    }
    true
}

// ---------------------------------------------------------------------------------------
// The scanner

/// An attribute of a start tag, namespace declarations included, in source order.
#[derive(Debug)]
pub(crate) struct ScanAttr<'i> {
    /// Qualified name as written (`xsi:type`, `xmlns:p`).
    pub(crate) qname: &'i str,
    /// Index into the namespace table of the attribute's namespace (unprefixed: `None`).
    pub(crate) ns: Option<u32>,
    /// The normalised value.
    pub(crate) value: Cow<'i, str>,
    /// For a namespace declaration, the prefix it declares (`Some(None)`: the default).
    pub(crate) declares: Option<Option<&'i str>>,
}

/// A start tag, checked and resolved.
#[derive(Debug)]
pub(crate) struct StartTag<'i, 's> {
    /// Qualified name as written.
    pub(crate) qname: &'i str,
    /// Index into the namespace table (`None`: no namespace).
    pub(crate) ns: Option<u32>,
    /// Every attribute, namespace declarations included, in source order.
    pub(crate) attrs: &'s [ScanAttr<'i>],
    /// Offset of its `<` in the caller's input.
    pub(crate) start: usize,
    /// 1-based line of its `<` (0 when the sink does not want lines, see
    /// [`Sink::wants_lines`]).
    pub(crate) line: usize,
}

/// What a parser builds from the scanner's events. The scanner has checked everything; a
/// sink only stores what it keeps.
pub(crate) trait Sink<'i> {
    /// An element opens (its parent is the innermost open element).
    fn start(&mut self, tag: &StartTag<'i, '_>);
    /// The innermost open element closes; `end` is the offset just after its end tag (or
    /// `/>`) in the caller's input.
    fn end(&mut self, end: usize);
    /// Character data inside the root element, to append to the innermost open element's
    /// text; `eols`: normalise line ends while copying (not for a character reference).
    fn text(&mut self, text: &str, eols: bool);
    /// A comment (raw, line ends not normalised), anywhere.
    fn comment(&mut self, _comment: &str) {}
    /// A processing instruction (raw data, leading white space removed), anywhere.
    fn pi(&mut self, _target: &str, _data: &str) {}
    /// Whether the sink keeps the line of each start tag ([`StartTag::line`]); when not, the
    /// scanner does not count lines (it still does for an error).
    fn wants_lines(&self) -> bool {
        true
    }
    /// The bytes the sink's tree takes so far (its arenas and allocations, estimated with
    /// their allocator overhead), checked against the [`Limits`] memory budget.
    fn footprint(&self) -> usize;
}

/// What the sink's tree may take: [`Limits::max_memory_per_input_byte`] times the input plus
/// [`Limits::max_memory_base_bytes`].
fn memory_budget(limits: &Limits, input_len: usize) -> usize {
    limits
        .max_memory_per_input_byte
        .saturating_mul(input_len)
        .saturating_add(limits.max_memory_base_bytes)
}

struct Scanner<'i, 'l> {
    source: &'static str,
    /// The input without its BOM, as text.
    text: &'i str,
    /// Length of the BOM (offsets are reported relative to the caller's input).
    bom: usize,
    limits: &'l Limits,
    budget: usize,
    uris: Vec<Box<str>>,
    uri_index: HashMap<Box<str>, u32>,
    /// Prefix (`""`: the default namespace) → index into `uris` (`None`: undeclared).
    scope: Scoped<&'i str, Option<u32>>,
    /// The last few lookups in `scope`, emptied whenever its bindings change (declarations
    /// are rare: most documents declare everything on the root).
    recent: Vec<(&'i str, Option<u32>)>,
    /// Text bytes of each open element so far.
    stack: Vec<usize>,
    elements: usize,
    phase: Phase,
    cursor: LineCursor,
    /// Reused for each start tag.
    attrs: Vec<ScanAttr<'i>>,
    /// (is a namespace declaration, namespace, local name or declared prefix) of each
    /// attribute of a start tag, to find two with the same expanded name (or two declarations
    /// of one prefix) by sorting.
    keys: Vec<(bool, Option<u32>, &'i str)>,
}

impl<'i> Scanner<'i, '_> {
    fn err(&self, pos: usize, message: impl Into<String>) -> Error {
        let message = message.into();
        Error::data(
            self.source,
            line_at(self.text.as_bytes(), pos),
            format!("{message} (byte {})", pos.saturating_add(self.bom)),
        )
    }

    /// `bytes` as text when it is a slice of the input (event data borrowed from it, always
    /// for an input read from a `str`): no second UTF-8 check.
    fn borrowed(&self, bytes: &[u8], pos: usize, what: &str) -> Result<&'i str> {
        let start = (bytes.as_ptr() as usize).wrapping_sub(self.text.as_ptr() as usize);
        let text = self.text;
        start
            .checked_add(bytes.len())
            .and_then(|end| text.get(start..end))
            .filter(|s| s.as_ptr() == bytes.as_ptr())
            .ok_or_else(|| self.err(pos, format!("{what} is not part of the input")))
    }

    fn intern(&mut self, uri: &str, pos: usize) -> Result<u32> {
        if let Some(&i) = self.uri_index.get(uri) {
            return Ok(i);
        }
        let i = u32::try_from(self.uris.len()).map_err(|_| self.err(pos, "too many namespaces"))?;
        self.uris.push(uri.into());
        self.uri_index.insert(uri.into(), i);
        Ok(i)
    }

    fn check_budget(&self, used: usize, pos: usize) -> Result<()> {
        if used > self.budget {
            return Err(self.err(
                pos,
                format!(
                    "the parsed document would take more memory than its budget of {} bytes \
                     ({} times the input plus {} bytes)",
                    self.budget,
                    self.limits.max_memory_per_input_byte,
                    self.limits.max_memory_base_bytes
                ),
            ));
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

    /// The binding of `prefix` (`""`: the default namespace) in the current scope.
    fn lookup(&mut self, prefix: &'i str) -> Option<u32> {
        if let Some(&(_, ns)) = self.recent.iter().find(|(p, _)| *p == prefix) {
            return ns;
        }
        let ns = self.scope.get(&prefix).copied().flatten();
        if self.recent.len() < 8 {
            self.recent.push((prefix, ns));
        }
        ns
    }

    /// The namespace of `prefix` in the current scope (the `xml` prefix is always bound);
    /// `attr`: the attribute it prefixes, if any (for the message).
    fn resolve(&mut self, prefix: &'i str, pos: usize, attr: Option<&str>) -> Result<u32> {
        if prefix == "xml" {
            return self.intern(XML_NS, pos);
        }
        match self.lookup(prefix) {
            Some(i) => Ok(i),
            None => {
                let on = attr
                    .map(|a| format!(" on attribute {a}"))
                    .unwrap_or_default();
                Err(self.err(pos, format!("undeclared namespace prefix {prefix:?}{on}")))
            }
        }
    }

    fn open<S: Sink<'i>>(
        &mut self,
        start: &BytesStart<'i>,
        pos: usize,
        sink: &mut S,
    ) -> Result<()> {
        if let Err(rule) = self
            .phase
            .open_element(self.stack.len(), self.elements, self.limits)
        {
            return Err(self.err(pos, rule));
        }
        let qname = self.borrowed(start.name().0, pos, "element name")?;
        if !is_qname(qname) {
            return Err(self.err(pos, format!("invalid element name {qname:?}")));
        }
        if !attributes_separated(start.attributes_raw()) {
            return Err(self.err(
                pos,
                format!("attributes of <{qname}> must be separated by white space"),
            ));
        }
        let mut attrs = std::mem::take(&mut self.attrs);
        attrs.clear();
        let result = self.attributes(start, qname, pos, &mut attrs);
        let result = result.and_then(|()| self.resolve_tag(qname, pos, &mut attrs));
        let ns = match result {
            Ok(ns) => ns,
            Err(e) => {
                self.attrs = attrs;
                return Err(e);
            }
        };
        let line = if sink.wants_lines() {
            self.cursor.line(self.text.as_bytes(), pos)
        } else {
            0
        };
        sink.start(&StartTag {
            qname,
            ns,
            attrs: &attrs,
            start: pos + self.bom,
            line,
        });
        self.attrs = attrs;
        self.elements += 1;
        self.stack.push(0);
        self.check_budget(sink.footprint(), pos)
    }

    /// Reads the attributes of `start` into `attrs` (values normalised, declarations
    /// recognised and checked), within the limits.
    fn attributes(
        &self,
        start: &BytesStart<'i>,
        qname: &str,
        pos: usize,
        attrs: &mut Vec<ScanAttr<'i>>,
    ) -> Result<()> {
        // No duplicate check here: `resolve_tag` finds two attributes with the same expanded
        // name (so the same name as written too) and two declarations of one prefix, sorted,
        // without an allocation per tag.
        for a in start.attributes().with_checks(false) {
            let a = a.map_err(|e| self.err(pos, format!("bad attribute on <{qname}>: {e}")))?;
            if attrs.len() >= self.limits.max_attributes {
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
            let name = self.borrowed(a.key.0, pos, "attribute name")?;
            if !is_qname(name) {
                return Err(self.err(pos, format!("invalid attribute name {name:?}")));
            }
            let raw = match &a.value {
                Cow::Borrowed(v) => self.borrowed(v, pos, "attribute value")?,
                Cow::Owned(_) => return Err(self.err(pos, "attribute value is not borrowed")),
            };
            let value = normalize_attr_value(raw)
                .map_err(|e| self.err(pos, format!("attribute {name} on <{qname}>: {e}")))?;
            let declares = if name == "xmlns" {
                Some(None)
            } else {
                name.strip_prefix("xmlns:").map(Some)
            };
            if let Some(prefix) = declares {
                self.check_decl(prefix, &value, pos)?;
            }
            attrs.push(ScanAttr {
                qname: name,
                ns: None,
                value,
                declares,
            });
        }
        Ok(())
    }

    /// Opens the element's namespace scope (its declarations), resolves the element's and
    /// the attributes' namespaces, and refuses two attributes with the same expanded name.
    fn resolve_tag(
        &mut self,
        qname: &'i str,
        pos: usize,
        attrs: &mut [ScanAttr<'i>],
    ) -> Result<Option<u32>> {
        self.scope.push_frame();
        for a in attrs.iter() {
            if let Some(prefix) = a.declares {
                let uri = (!a.value.is_empty())
                    .then(|| self.intern(&a.value, pos))
                    .transpose()?;
                self.scope.insert(prefix.unwrap_or(""), uri);
                self.recent.clear();
            }
        }
        let ns = match split_qname(qname).0 {
            Some("xmlns") => return Err(self.err(pos, "the prefix xmlns cannot name an element")),
            Some(p) => Some(self.resolve(p, pos, None)?),
            None => self.lookup(""),
        };
        let mut keys = std::mem::take(&mut self.keys);
        keys.clear();
        for a in attrs.iter_mut() {
            if let Some(prefix) = a.declares {
                keys.push((true, None, prefix.unwrap_or("")));
                continue;
            }
            let (prefix, local) = split_qname(a.qname);
            if let Some(p) = prefix {
                a.ns = Some(self.resolve(p, pos, Some(a.qname))?);
            }
            keys.push((false, a.ns, local));
        }
        keys.sort_unstable();
        let duplicate = keys
            .windows(2)
            .find_map(|w| w.first().filter(|&k| Some(k) == w.get(1)).copied());
        self.keys = keys;
        match duplicate {
            None => Ok(ns),
            Some((false, ..)) => Err(self.err(
                pos,
                format!("two attributes with the same namespace and local name on <{qname}>"),
            )),
            Some((true, _, "")) => Err(self.err(
                pos,
                format!("the default namespace is declared twice on <{qname}>"),
            )),
            Some((true, _, prefix)) => Err(self.err(
                pos,
                format!("the namespace prefix {prefix} is declared twice on <{qname}>"),
            )),
        }
    }

    fn close<S: Sink<'i>>(&mut self, end: usize, sink: &mut S) -> Result<()> {
        if self.stack.pop().is_none() {
            return Err(self.err(end, "end tag without a start tag"));
        }
        if self.scope.pop_frame() {
            self.recent.clear();
        }
        sink.end(end + self.bom);
        if self.stack.is_empty() {
            self.phase = Phase::Epilog;
        }
        Ok(())
    }

    /// Character data at `pos`; `top_level_blank_ok`: white space outside the root element
    /// is allowed (text events, not CDATA nor references).
    fn text<S: Sink<'i>>(
        &mut self,
        text: &str,
        eols: bool,
        pos: usize,
        sink: &mut S,
        top_level_blank_ok: bool,
    ) -> Result<()> {
        let max = self.limits.max_text_bytes;
        let Some(len) = self.stack.last_mut() else {
            if top_level_blank_ok && is_xml_blank(text) {
                return Ok(());
            }
            let what = if self.phase == Phase::Epilog {
                "text after the root element"
            } else {
                "text before the root element"
            };
            return Err(self.err(pos, what));
        };
        // Normalising only shortens the text: a raw length within the limit is enough.
        let mut added = text.len();
        if len.saturating_add(added) > max && eols {
            added = normalized_len(text);
        }
        *len = len.saturating_add(added);
        if *len > max {
            return Err(self.err(pos, format!("text of an element longer than {max} bytes")));
        }
        if !text.is_empty() {
            sink.text(text, eols);
        }
        self.check_budget(sink.footprint(), pos)
    }
}

/// Scans `input` (UTF-8, with or without one BOM) within `limits`, feeding `sink`; errors
/// are [`Error::Data`] with source `source`. Returns the namespace table the sink's indexes
/// refer to.
pub(crate) fn scan<'i, S: Sink<'i>>(
    input: &'i [u8],
    limits: &Limits,
    source: &'static str,
    sink: &mut S,
) -> Result<Vec<Box<str>>> {
    if input.len() > limits.max_input_bytes {
        return Err(Error::data(
            source,
            0,
            format!(
                "input is {} bytes, more than the limit of {}",
                input.len(),
                limits.max_input_bytes
            ),
        ));
    }
    let (bom, body) = match input.strip_prefix(BOM) {
        Some(rest) => (BOM.len(), rest),
        None => (0, input),
    };
    let text = std::str::from_utf8(body).map_err(|e| {
        Error::data(
            source,
            line_at(body, e.valid_up_to()),
            format!(
                "invalid UTF-8 (byte {}): only UTF-8 is accepted",
                e.valid_up_to() + bom
            ),
        )
    })?;
    let mut s = Scanner {
        source,
        text,
        bom,
        limits,
        budget: memory_budget(limits, input.len()),
        uris: Vec::new(),
        uri_index: HashMap::new(),
        scope: Scoped::new(),
        recent: Vec::new(),
        stack: Vec::new(),
        elements: 0,
        phase: Phase::Prolog,
        cursor: LineCursor::default(),
        attrs: Vec::new(),
        keys: Vec::new(),
    };
    if let Some((i, c)) = forbidden_char(text) {
        return Err(s.err(
            i,
            format!("character U+{:04X} is not allowed in XML", c as u32),
        ));
    }
    // quick-xml would silently skip a second byte order mark; it is text before the root.
    if text.starts_with('\u{FEFF}') {
        return Err(s.err(0, "text before the root element (a second byte order mark)"));
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
                return Err(s.err(at, format!("malformed XML: {e}")));
            }
        };
        let end = to_usize(reader.buffer_position());
        let was_first = first;
        first = false;
        match event {
            Event::Start(start) => s.open(&start, pos, sink)?,
            Event::Empty(start) => {
                s.open(&start, pos, sink)?;
                s.close(end, sink)?;
            }
            Event::End(_) => s.close(end, sink)?,
            Event::Text(t) => {
                let raw = s.borrowed(&t, pos, "text")?;
                if has_cdata_end(raw) {
                    return Err(s.err(pos, "']]>' is not allowed in text"));
                }
                s.text(raw, has_cr(raw), pos, sink, true)?;
            }
            Event::CData(c) => {
                if s.stack.is_empty() {
                    return Err(s.err(pos, "CDATA outside the root element"));
                }
                let raw = s.borrowed(&c, pos, "CDATA")?;
                s.text(raw, has_cr(raw), pos, sink, false)?;
            }
            Event::GeneralRef(r) => {
                if s.stack.is_empty() {
                    return Err(s.err(pos, "reference outside the root element"));
                }
                let name = s.borrowed(&r, pos, "reference")?;
                let c = resolve_reference(name).map_err(|m| s.err(pos, m))?;
                s.text(c.encode_utf8(&mut [0; 4]), false, pos, sink, false)?;
            }
            Event::Comment(c) => {
                let raw = s.borrowed(&c, pos, "comment")?;
                if raw.contains("--") || raw.ends_with('-') {
                    return Err(s.err(pos, "'--' is not allowed inside a comment"));
                }
                sink.comment(raw);
                s.check_budget(sink.footprint(), pos)?;
            }
            Event::PI(pi) => {
                let target = s.borrowed(pi.target(), pos, "PI target")?;
                let content = s.borrowed(pi.content(), pos, "PI")?;
                if !is_ncname(target) || target.eq_ignore_ascii_case("xml") {
                    return Err(s.err(pos, format!("invalid PI target {target:?}")));
                }
                if !content.is_empty() && !content.starts_with([' ', '\t', '\r', '\n']) {
                    return Err(s.err(pos, "invalid processing instruction"));
                }
                sink.pi(target, content.trim_start_matches([' ', '\t', '\r', '\n']));
                s.check_budget(sink.footprint(), pos)?;
            }
            Event::DocType(_) => {
                return Err(s.err(pos, "DOCTYPE is refused (no DTD, no entity definitions)"))
            }
            Event::Decl(decl) => {
                if !was_first {
                    return Err(s.err(pos, "the XML declaration must come first in the document"));
                }
                let version = decl
                    .version()
                    .map_err(|e| s.err(pos, format!("XML declaration: {e}")))?;
                if &*version != b"1.0" {
                    return Err(s.err(pos, "only XML version 1.0 is accepted"));
                }
                if let Some(enc) = decl.encoding() {
                    let enc = enc.map_err(|e| s.err(pos, format!("XML declaration: {e}")))?;
                    if !(enc.eq_ignore_ascii_case(b"UTF-8") || enc.eq_ignore_ascii_case(b"UTF8")) {
                        return Err(s.err(
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
    if let Err(rule) = check_end(s.stack.len(), s.elements) {
        return Err(s.err(end, rule));
    }
    Ok(s.uris)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_phases() {
        let input = b"a\nb\nc";
        let mut c = LineCursor::default();
        assert_eq!(c.line(input, 0), 1);
        assert_eq!(c.line(input, 2), 2);
        assert_eq!(c.line(input, 5), 3);
        assert_eq!(c.line(input, 1), 1);
        let limits = Limits::default();
        let mut p = Phase::Prolog;
        assert!(p.open_element(0, 0, &limits).is_ok());
        assert_eq!(p, Phase::Root);
        assert!(p
            .open_element(limits.max_depth.min(MAX_DEPTH_CAP), 1, &limits)
            .is_err());
        p = Phase::Epilog;
        assert!(p
            .open_element(0, 1, &limits)
            .unwrap_err()
            .contains("second root"));
        assert!(is_xml_blank(" \t\r\n") && !is_xml_blank(" x"));
        assert!(check_end(1, 3).unwrap_err().contains("unclosed"));
        assert!(check_end(0, 0).unwrap_err().contains("no root"));
        assert!(check_end(0, 1).is_ok());
    }

    #[test]
    fn forbidden_characters() {
        assert_eq!(forbidden_char("abc\t\r\n\u{FEFF}é€"), None);
        let long = format!("{}\u{0}", "x".repeat(100));
        assert_eq!(forbidden_char(&long), Some((100, '\0')));
        assert_eq!(forbidden_char("a\u{FFFE}"), Some((1, '\u{FFFE}')));
        assert_eq!(forbidden_char("\u{FFFF}"), Some((0, '\u{FFFF}')));
        assert_eq!(forbidden_char("\u{1F}"), Some((0, '\u{1F}')));
        assert_eq!(forbidden_char("\u{EFFF}\u{FFFD}"), None);
    }

    #[test]
    fn duplicate_attributes_and_declarations() {
        use crate::xml::tree::Tree;
        let message = |doc: &str| match Tree::parse(doc.as_bytes(), &Limits::default()) {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        };
        for (doc, says) in [
            (
                "<r a=\"1\" a=\"2\"/>",
                "two attributes with the same namespace",
            ),
            (
                "<r xmlns:p=\"urn:x\" xmlns:q=\"urn:x\" p:a=\"1\" q:a=\"2\"/>",
                "two attributes with the same namespace",
            ),
            (
                "<r xmlns:p=\"urn:x\" xmlns:p=\"urn:y\"/>",
                "the namespace prefix p is declared twice",
            ),
            (
                "<r xmlns=\"urn:x\" b=\"1\" xmlns=\"urn:x\"/>",
                "the default namespace is declared twice",
            ),
        ] {
            assert!(message(doc).contains(says), "{doc}: {}", message(doc));
        }
        // Same local name in other namespaces, a prefix named as an attribute: all fine.
        for doc in [
            "<r xmlns:p=\"urn:x\" xmlns:q=\"urn:y\" p:a=\"1\" q:a=\"2\" a=\"3\"/>",
            "<r xmlns:a=\"urn:x\" a=\"1\" xmlns=\"urn:y\"/>",
        ] {
            assert_eq!(message(doc), "", "{doc}");
        }
    }

    #[test]
    fn attribute_values() {
        assert_eq!(
            normalize_attr_value("a\r\nb\rc\nd\te").unwrap(),
            "a b c d e"
        );
        assert!(matches!(
            normalize_attr_value("plain"),
            Ok(Cow::Borrowed(_))
        ));
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
        assert_eq!(normalized_len("a\r\nb\r"), 4);
        assert!(attributes_separated(b" a=\"1\" b='2'"));
        assert!(attributes_separated(b" a=\"1\"/"));
        assert!(!attributes_separated(b" a=\"1\"b='2'"));
        // A quote of the other kind inside a value does not end it.
        assert!(attributes_separated(b" a=\"it's\" b='say \"hi\"'"));
        assert!(!attributes_separated(b" a=\"it's\"b='x'"));
        assert!(!attributes_separated(b" a='\"'b='x'"));
        assert!(attributes_separated(b" a=\"1\"\t\r\nb='2'") && attributes_separated(b""));
        assert!(attributes_separated(b" a=\"unterminated"));
        assert!(has_cdata_end("a]]>b") && has_cdata_end("]]>") && has_cdata_end("x]]]>"));
        assert!(!has_cdata_end("a]>b") && !has_cdata_end("]] >") && !has_cdata_end(">]]"));
        assert!(has_cr("a\rb") && !has_cr("a\nb"));
        assert_eq!(split_qname("a:b:c"), (Some("a"), "b:c"));
        assert_eq!(split_qname(":b"), (Some(""), "b"));
        assert_eq!(split_qname("é"), (None, "é"));
        assert_eq!(count_newlines(&b"\n".repeat(1000)), 1000);
        let mut cursor = LineCursor::default();
        let text = "a\nbb\n\nc".repeat(50);
        for pos in [0, 1, 2, 5, 7, 100, 400, 10_000] {
            assert_eq!(
                cursor.line(text.as_bytes(), pos),
                line_at(text.as_bytes(), pos)
            );
        }
        assert_eq!(line_at(text.as_bytes(), 7), 4);
        assert!(is_qname("a:b") && !is_qname("a:b:c") && !is_qname(":a") && !is_qname("1"));
        assert!(is_ncname("é-1") && !is_ncname("-a") && !is_ncname(""));
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

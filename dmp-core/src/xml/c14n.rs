//! XML canonicalisation (W3C): Canonical XML 1.0 and Exclusive XML Canonicalization 1.0,
//! with or without comments, of a whole document or of a document subset.
//!
//! A document subset here is what XML-DSig references produce: the subtree of one element
//! (the *apex*: the element with its attributes, namespaces and descendants), optionally
//! minus one descendant subtree (the `enveloped-signature` transform removes the
//! `ds:Signature` element that holds the reference).
//!
//! - [`C14nMethod::Inclusive`] (Canonical XML 1.0, `REC-xml-c14n-20010315`): the apex of a
//!   subset renders every namespace in scope, including those declared on ancestors, and the
//!   `xml:*` attributes (`xml:lang`, `xml:space`, …) it inherits from its ancestors.
//! - [`C14nMethod::Exclusive`] (`xml-exc-c14n#`): an element renders only the namespaces it
//!   visibly uses (its own prefix and its attributes' prefixes) plus those of the
//!   `InclusiveNamespaces PrefixList`, and nothing is inherited.
//!
//! Output: UTF-8, `\n` line ends, namespace declarations first (default, then by prefix),
//! then attributes sorted by (namespace URI, local name); empty elements as start and end
//! tags; `&amp; &lt; &gt; &#xD;` escaped in text, `&amp; &lt; &quot; &#x9; &#xA; &#xD;` in
//! attribute values; a declaration already in force in the output parent is not repeated;
//! `xmlns=""` only when a default namespace in force in the output must be undeclared.
//! For a whole document, comments and PIs outside the root element are kept (comments only
//! in `WithComments` modes), separated from it by `\n`.
//!
//! Comments: for XML-DSig same-document references by ID (`URI="#id"`) and `URI=""`,
//! the signature layer must pass `comments: false` even with a `#WithComments` transform,
//! since such references select a node-set without comments (XML-DSig §4.3.3.3).
//!
//! A namespace URI that is not absolute (no scheme) is refused, as Canonical XML requires.
//!
//! ```
//! use dmp_core::xml::c14n::{canonicalize, C14nMethod};
//! use dmp_core::xml::reader::Limits;
//! use dmp_core::xml::tree::Tree;
//! let doc = br#"<r xmlns:a="urn:a" xmlns:b="urn:b"><a:x b="2" a:c="1"/></r>"#;
//! let tree = Tree::parse(doc, &Limits::default()).unwrap();
//! let x = tree.root().children().next().unwrap().id();
//! let inc = canonicalize(&tree, Some(x), None, &C14nMethod::Inclusive { comments: false });
//! assert_eq!(
//!     inc.unwrap(),
//!     br#"<a:x xmlns:a="urn:a" xmlns:b="urn:b" b="2" a:c="1"></a:x>"#
//! );
//! let exc = C14nMethod::Exclusive { comments: false, inclusive_prefixes: vec![] };
//! assert_eq!(
//!     canonicalize(&tree, Some(x), None, &exc).unwrap(),
//!     br#"<a:x xmlns:a="urn:a" b="2" a:c="1"></a:x>"#
//! );
//! ```

use crate::error::{Error, Result};
use crate::xml::reader::Limits;
use crate::xml::tree::{has_scheme, ElemData, ElementId, NodeData, Scoped, Tree, XML_NS};

const SOURCE: &str = "c14n";

/// Canonical XML 1.0, without comments.
pub const C14N_10: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
/// Canonical XML 1.0, with comments.
pub const C14N_10_WITH_COMMENTS: &str =
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments";
/// Exclusive XML Canonicalization 1.0, without comments.
pub const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
/// Exclusive XML Canonicalization 1.0, with comments.
pub const EXC_C14N_WITH_COMMENTS: &str = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments";

/// A canonicalisation method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum C14nMethod {
    /// Canonical XML 1.0.
    Inclusive {
        /// Keep comments (`#WithComments`).
        comments: bool,
    },
    /// Exclusive XML Canonicalization 1.0.
    Exclusive {
        /// Keep comments (`#WithComments`).
        comments: bool,
        /// The `InclusiveNamespaces PrefixList`: prefixes treated as in Canonical XML 1.0,
        /// `#default` for the default namespace.
        inclusive_prefixes: Vec<String>,
    },
}

impl C14nMethod {
    /// The algorithm URI of this method.
    pub fn uri(&self) -> &'static str {
        match self {
            C14nMethod::Inclusive { comments: false } => C14N_10,
            C14nMethod::Inclusive { comments: true } => C14N_10_WITH_COMMENTS,
            C14nMethod::Exclusive {
                comments: false, ..
            } => EXC_C14N,
            C14nMethod::Exclusive { comments: true, .. } => EXC_C14N_WITH_COMMENTS,
        }
    }

    /// Whether comments are kept.
    pub fn with_comments(&self) -> bool {
        match self {
            C14nMethod::Inclusive { comments } | C14nMethod::Exclusive { comments, .. } => {
                *comments
            }
        }
    }

    /// The method named by an algorithm URI, with the `PrefixList` attribute value of its
    /// `InclusiveNamespaces` element if there is one (white-space separated prefixes,
    /// `#default` for the default namespace; exclusive methods only).
    pub fn from_uri(uri: &str, prefix_list: Option<&str>) -> Result<C14nMethod> {
        let method = match uri {
            C14N_10 => C14nMethod::Inclusive { comments: false },
            C14N_10_WITH_COMMENTS => C14nMethod::Inclusive { comments: true },
            EXC_C14N | EXC_C14N_WITH_COMMENTS => {
                let mut inclusive_prefixes = Vec::new();
                for p in prefix_list
                    .unwrap_or("")
                    .split([' ', '\t', '\r', '\n'])
                    .filter(|p| !p.is_empty())
                {
                    let ok = p == "#default"
                        || (!p.contains([':', '#'])
                            && p.chars().all(|c| !c.is_whitespace() && !c.is_control()));
                    if !ok {
                        return Err(Error::data(
                            SOURCE,
                            0,
                            format!("bad prefix {p:?} in an InclusiveNamespaces PrefixList"),
                        ));
                    }
                    if !inclusive_prefixes.iter().any(|q| q == p) {
                        inclusive_prefixes.push(p.to_owned());
                    }
                }
                C14nMethod::Exclusive {
                    comments: uri == EXC_C14N_WITH_COMMENTS,
                    inclusive_prefixes,
                }
            }
            other => {
                return Err(Error::data(
                    SOURCE,
                    0,
                    format!("unsupported canonicalisation method {other:?}"),
                ))
            }
        };
        if prefix_list.is_some() && matches!(method, C14nMethod::Inclusive { .. }) {
            return Err(Error::data(
                SOURCE,
                0,
                "an InclusiveNamespaces PrefixList only applies to exclusive canonicalisation",
            ));
        }
        Ok(method)
    }
}

/// Parses `input` with the default [`Limits`] and canonicalises the whole document.
pub fn canonicalize_document(input: &[u8], method: &C14nMethod) -> Result<Vec<u8>> {
    let tree = Tree::parse(input, &Limits::default())?;
    canonicalize(&tree, None, None, method)
}

/// Canonicalises the whole document (`apex` `None`) or the subtree of `apex`, without the
/// subtree of `exclude` if it is inside (the enveloped-signature transform). When `exclude`
/// is the apex itself the output is empty; when it is outside, it has no effect.
pub fn canonicalize(
    tree: &Tree,
    apex: Option<ElementId>,
    exclude: Option<ElementId>,
    method: &C14nMethod,
) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    canonicalize_with(tree, apex, exclude, method, &mut |chunk| {
        out.extend_from_slice(chunk)
    })?;
    Ok(out)
}

/// As [`canonicalize`], handing the output to `sink` in chunks (to hash a large document
/// without holding its canonical form). On error, part of the output may have been handed
/// over already.
pub fn canonicalize_with(
    tree: &Tree,
    apex: Option<ElementId>,
    exclude: Option<ElementId>,
    method: &C14nMethod,
    sink: &mut dyn FnMut(&[u8]),
) -> Result<()> {
    let mut w = Writer {
        buf: Vec::with_capacity(BUF),
        sink,
    };
    let r = run(tree, apex, exclude, method, &mut w);
    w.flush();
    r
}

const BUF: usize = 64 << 10;

struct Writer<'s> {
    buf: Vec<u8>,
    sink: &'s mut dyn FnMut(&[u8]),
}

impl Writer<'_> {
    fn put(&mut self, s: &str) {
        if s.len() >= BUF {
            // A large piece (a base64 text node) goes to the sink as it is, not through
            // the buffer.
            self.flush();
            (self.sink)(s.as_bytes());
            return;
        }
        self.buf.extend_from_slice(s.as_bytes());
        if self.buf.len() >= BUF {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if !self.buf.is_empty() {
            (self.sink)(&self.buf);
            self.buf.clear();
        }
    }

    /// Text node escaping.
    fn text(&mut self, s: &str) {
        self.escaped(
            s,
            |b| (b == b'&') | (b == b'<') | (b == b'>') | (b == b'\r'),
            |b| match b {
                b'&' => Some("&amp;"),
                b'<' => Some("&lt;"),
                b'>' => Some("&gt;"),
                b'\r' => Some("&#xD;"),
                _ => None,
            },
        )
    }

    /// Attribute value escaping.
    fn attr(&mut self, s: &str) {
        self.escaped(
            s,
            |b| {
                (b == b'&') | (b == b'<') | (b == b'"') | (b == b'\t') | (b == b'\n') | (b == b'\r')
            },
            |b| match b {
                b'&' => Some("&amp;"),
                b'<' => Some("&lt;"),
                b'"' => Some("&quot;"),
                b'\t' => Some("&#x9;"),
                b'\n' => Some("&#xA;"),
                b'\r' => Some("&#xD;"),
                _ => None,
            },
        )
    }

    /// Writes `s` with each byte that `special` flags replaced as `map` says. Blocks of 32
    /// bytes without a special byte (tested without a branch per byte) are skipped whole,
    /// and the runs between replacements are written in one piece each.
    fn escaped(
        &mut self,
        s: &str,
        special: impl Fn(u8) -> bool,
        map: impl Fn(u8) -> Option<&'static str>,
    ) {
        const BLOCK: usize = 32;
        let bytes = s.as_bytes();
        let mut from = 0;
        for (n, block) in bytes.chunks(BLOCK).enumerate() {
            if !block.iter().fold(false, |acc, &b| acc | special(b)) {
                continue;
            }
            for (j, &b) in block.iter().enumerate() {
                if let Some(rep) = map(b) {
                    let i = n * BLOCK + j;
                    // `i` is at an ASCII byte, hence a char boundary.
                    self.put(s.get(from..i).unwrap_or_default());
                    self.put(rep);
                    from = i + 1;
                }
            }
        }
        self.put(s.get(from..).unwrap_or_default());
    }

    fn comment(&mut self, c: &str) {
        self.put("<!--");
        self.put(c);
        self.put("-->");
    }

    fn pi(&mut self, target: &str, data: &str) {
        self.put("<?");
        self.put(target);
        if !data.is_empty() {
            self.put(" ");
            self.put(data);
        }
        self.put("?>");
    }
}

fn err(e: &ElemData, message: impl Into<String>) -> Error {
    Error::data(SOURCE, e.line, message)
}

/// Namespace bindings: prefix (`None`: default) → URI (`""`: no default namespace).
type NsMap<'t> = Scoped<Option<&'t str>, &'t str>;

struct State<'t, 'w, 's> {
    tree: &'t Tree,
    method: &'t C14nMethod,
    comments: bool,
    /// Namespaces in scope in the input.
    in_scope: NsMap<'t>,
    /// Namespaces rendered by output ancestors (exclusive mode).
    rendered: NsMap<'t>,
    apex: usize,
    w: &'w mut Writer<'s>,
}

enum Step<'t> {
    Node(&'t NodeData),
    End(usize),
}

fn run(
    tree: &Tree,
    apex: Option<ElementId>,
    exclude: Option<ElementId>,
    method: &C14nMethod,
    w: &mut Writer<'_>,
) -> Result<()> {
    let apex_id = apex.map_or(0, ElementId::index);
    if tree.data(apex_id).is_none() {
        return Err(Error::data(SOURCE, 0, "the element is not in this tree"));
    }
    let exclude = exclude.map(ElementId::index);
    let comments = method.with_comments();
    let mut st = State {
        tree,
        method,
        comments,
        in_scope: Scoped::new(),
        rendered: Scoped::new(),
        apex: apex_id,
        w,
    };
    // The namespaces declared on the apex's ancestors are in scope.
    let mut ancestors = Vec::new();
    let mut cur = tree.data(apex_id).and_then(|e| e.parent);
    while let Some(p) = cur {
        ancestors.push(p);
        cur = tree.data(p).and_then(|e| e.parent);
    }
    for &a in ancestors.iter().rev() {
        if let Some(e) = tree.data(a) {
            st.in_scope.push_frame();
            for d in &e.decls {
                st.in_scope.insert(d.prefix.as_deref(), &d.uri);
            }
        }
    }
    let whole = apex.is_none();
    if whole {
        for n in &tree.prolog {
            if st.misc(n) {
                st.w.put("\n");
            }
        }
    }
    let root = NodeData::Element(apex_id);
    let mut stack = vec![Step::Node(&root)];
    while let Some(step) = stack.pop() {
        match step {
            Step::End(id) => {
                if let Some(e) = tree.data(id) {
                    st.w.put("</");
                    st.w.put(&e.qname);
                    st.w.put(">");
                }
                st.in_scope.pop_frame();
                st.rendered.pop_frame();
            }
            Step::Node(NodeData::Element(id)) => {
                if Some(*id) == exclude {
                    continue;
                }
                let Some(e) = tree.data(*id) else { continue };
                st.start_tag(*id, e)?;
                stack.push(Step::End(*id));
                stack.extend(e.children.iter().rev().map(Step::Node));
            }
            Step::Node(NodeData::Text(t)) => st.w.text(t),
            Step::Node(n) => {
                st.misc(n);
            }
        }
    }
    if whole {
        for n in &tree.epilog {
            if st.comments || !matches!(n, NodeData::Comment(_)) {
                st.w.put("\n");
                st.misc(n);
            }
        }
    }
    Ok(())
}

impl<'t> State<'t, '_, '_> {
    /// Writes a comment (in comment modes) or PI; returns whether something was written.
    fn misc(&mut self, n: &NodeData) -> bool {
        match n {
            NodeData::Comment(c) if self.comments => self.w.comment(c),
            NodeData::Pi { target, data } => self.w.pi(target, data),
            _ => return false,
        }
        true
    }

    fn start_tag(&mut self, id: usize, e: &'t ElemData) -> Result<()> {
        for d in &e.decls {
            if !d.uri.is_empty() && !has_scheme(&d.uri) {
                return Err(err(
                    e,
                    format!(
                        "relative namespace URI {:?} on <{}>: canonical XML refuses it",
                        &*d.uri, e.qname
                    ),
                ));
            }
        }
        let is_apex = id == self.apex;
        // Namespace declarations to render: (prefix or "" for default, URI).
        let mut ns: Vec<(&'t str, &'t str)> = Vec::new();
        match self.method {
            C14nMethod::Inclusive { .. } => {
                if !is_apex {
                    for d in &e.decls {
                        let p = d.prefix.as_deref();
                        if p == Some("xml") {
                            continue;
                        }
                        let parent = self.in_scope.get(&p).copied().unwrap_or("");
                        if parent != &*d.uri {
                            ns.push((p.unwrap_or(""), &d.uri));
                        }
                    }
                }
                self.in_scope.push_frame();
                for d in &e.decls {
                    self.in_scope.insert(d.prefix.as_deref(), &d.uri);
                }
                if is_apex {
                    for (p, u) in self.in_scope.iter() {
                        if !u.is_empty() && *p != Some("xml") {
                            ns.push((p.unwrap_or(""), u));
                        }
                    }
                }
                self.rendered.push_frame();
            }
            C14nMethod::Exclusive {
                inclusive_prefixes, ..
            } => {
                self.in_scope.push_frame();
                for d in &e.decls {
                    self.in_scope.insert(d.prefix.as_deref(), &d.uri);
                }
                self.rendered.push_frame();
                let mut used: Vec<Option<&'t str>> = vec![e.prefix()];
                used.extend(e.attrs.iter().filter_map(|a| a.prefix()).map(Some));
                for p in inclusive_prefixes {
                    let p = if p == "#default" {
                        None
                    } else {
                        Some(p.as_str())
                    };
                    // Only in-scope prefixes (the default always is, maybe as "").
                    if p.is_none() || self.in_scope.get(&p).is_some_and(|u| !u.is_empty()) {
                        used.push(p);
                    }
                }
                for p in used {
                    if p == Some("xml") || ns.iter().any(|(q, _)| *q == p.unwrap_or("")) {
                        continue;
                    }
                    let u = self.in_scope.get(&p).copied().unwrap_or("");
                    if p.is_some() && u.is_empty() {
                        continue;
                    }
                    let r = self.rendered.get(&p).copied().unwrap_or("");
                    if r != u {
                        ns.push((p.unwrap_or(""), u));
                        self.rendered.insert(p, u);
                    }
                }
            }
        }
        ns.sort_unstable();
        // Attributes: (namespace URI, local name, qualified name, value).
        let mut attrs: Vec<(&'t str, &'t str, &'t str, &'t str)> = e
            .attrs
            .iter()
            .map(|a| {
                (
                    self.tree.uri(a.ns).unwrap_or(""),
                    a.local(),
                    &*a.qname,
                    a.value.as_str(),
                )
            })
            .collect();
        if is_apex && matches!(self.method, C14nMethod::Inclusive { .. }) {
            self.inherit_xml_attrs(e, &mut attrs);
        }
        attrs.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        let w = &mut *self.w;
        w.put("<");
        w.put(&e.qname);
        for (p, u) in ns {
            if p.is_empty() {
                w.put(" xmlns=\"");
            } else {
                w.put(" xmlns:");
                w.put(p);
                w.put("=\"");
            }
            w.attr(u);
            w.put("\"");
        }
        for (_, _, q, v) in attrs {
            w.put(" ");
            w.put(q);
            w.put("=\"");
            w.attr(v);
            w.put("\"");
        }
        w.put(">");
        Ok(())
    }

    /// Adds the nearest `xml:*` attributes of the ancestors that `e` does not carry itself
    /// (Canonical XML 1.0 §2.4, for the apex of a document subset).
    fn inherit_xml_attrs(
        &self,
        e: &'t ElemData,
        attrs: &mut Vec<(&'t str, &'t str, &'t str, &'t str)>,
    ) {
        let mut cur = e.parent;
        while let Some(p) = cur.and_then(|p| self.tree.data(p)) {
            for a in &p.attrs {
                if self.tree.uri(a.ns) == Some(XML_NS)
                    && !attrs.iter().any(|x| x.0 == XML_NS && x.1 == a.local())
                {
                    attrs.push((XML_NS, a.local(), &a.qname, &a.value));
                }
            }
            cur = p.parent;
        }
    }
}

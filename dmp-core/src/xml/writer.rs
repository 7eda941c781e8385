//! A small, escaping XML writer over a `Vec<u8>`, for the documents we produce.
//!
//! - One element per line, indented by two spaces; a leaf element with text stays on one line
//!   (`<title>…</title>`), so the base64 of an N1 body is one line. The output is a pure
//!   function of the calls: same calls, same bytes.
//! - Text escapes `& < >`; attribute values (always in double quotes) escape `& < > "` and
//!   write tab, LF and CR as character references, so they survive attribute-value
//!   normalisation.
//! - Characters that XML 1.0 forbids (C0 controls other than tab, LF and CR; U+FFFE, U+FFFF)
//!   are refused with an [`Error::Invalid`] naming the element or attribute
//!   (`ClinicalDocument/title`, `…/id/@extension`): the writer never produces an ill-formed
//!   document. Callers that know the model field check their strings first with
//!   [`check_chars`] to get the model's field name. Other characters, non-BMP ones included,
//!   are written as UTF-8.
//! - Elements are closed in order by construction ([`XmlWriter::end`] closes the innermost open
//!   element; [`XmlWriter::elem`] nests with a closure), and [`XmlWriter::finish`] refuses to
//!   hand back a document with open elements.
//! - [`XmlWriter::base64`] encodes bytes straight into the output buffer: no intermediate
//!   `String`, one output copy of the payload.
//!
//! ```
//! use dmp_core::xml::writer::XmlWriter;
//! let mut w = XmlWriter::new();
//! w.declaration();
//! w.elem("doc", &[("xmlns", "urn:x")], |w| {
//!     w.empty("id", &[("root", "1.2.3")])?;
//!     w.leaf("title", &[], "Fish & <Chips>")
//! })
//! .unwrap();
//! let xml = String::from_utf8(w.finish().unwrap()).unwrap();
//! assert_eq!(
//!     xml,
//!     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<doc xmlns=\"urn:x\">\n  <id root=\"1.2.3\"/>\n  <title>Fish &amp; &lt;Chips&gt;</title>\n</doc>\n"
//! );
//! ```

use base64::Engine as _;

use crate::error::{Error, Result};

/// The XML declaration we write: UTF-8, no BOM, no `standalone`.
pub const DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";

const INDENT: &[u8] = b"  ";

/// An attribute: name and (unescaped) value.
pub type Attr<'a> = (&'static str, &'a str);

/// The first character of `s` that XML 1.0 does not allow, if any: C0 controls other than tab,
/// LF and CR, and the noncharacters U+FFFE and U+FFFF. (Surrogates cannot occur in a `str`.)
pub fn forbidden_char(s: &str) -> Option<char> {
    s.chars().find(|&c| {
        (c < '\u{20}' && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{FFFE}' || c == '\u{FFFF}'
    })
}

/// Checks that `value` can be written in an XML 1.0 document; the error names `field`.
pub fn check_chars(field: &str, value: &str) -> Result<()> {
    match forbidden_char(value) {
        None => Ok(()),
        Some(c) => Err(Error::invalid(
            field,
            format!(
                "must not contain characters that XML 1.0 forbids (found U+{:04X})",
                u32::from(c)
            ),
            value,
        )),
    }
}

/// Whether `name` is an XML name as we use them: ASCII letters, digits, `_ - . :`, not
/// starting with a digit, `-`, `.` or `:`.
fn is_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    match bytes.next() {
        Some(b) if b.is_ascii_alphabetic() || b == b'_' => {}
        _ => return false,
    }
    bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'))
}

/// A streaming XML writer into a byte buffer. See the [module documentation](self).
#[derive(Debug, Default)]
pub struct XmlWriter {
    buf: Vec<u8>,
    open: Vec<&'static str>,
}

impl XmlWriter {
    /// An empty writer.
    pub fn new() -> XmlWriter {
        XmlWriter::default()
    }

    /// An empty writer whose buffer has room for `capacity` bytes; fails (rather than abort)
    /// when that much memory cannot be had.
    pub fn try_with_capacity(capacity: usize) -> Result<XmlWriter> {
        let mut buf = Vec::new();
        buf.try_reserve_exact(capacity).map_err(|_| {
            Error::invalid(
                "xml",
                "not enough memory for the document",
                format!("{capacity} bytes"),
            )
        })?;
        Ok(XmlWriter {
            buf,
            open: Vec::new(),
        })
    }

    /// Writes the XML declaration ([`DECLARATION`]) and a newline.
    pub fn declaration(&mut self) {
        self.buf.extend_from_slice(DECLARATION.as_bytes());
        self.buf.push(b'\n');
    }

    /// Opens `name` with `attrs` on a line of its own; close it with [`end`](Self::end).
    /// On error nothing is written.
    pub fn start(&mut self, name: &'static str, attrs: &[Attr<'_>]) -> Result<()> {
        self.open_tag(name, attrs)?;
        self.buf.extend_from_slice(b">\n");
        self.open.push(name);
        Ok(())
    }

    /// Closes the innermost open element; fails when none is open.
    pub fn end(&mut self) -> Result<()> {
        let name = self
            .open
            .pop()
            .ok_or_else(|| Error::invalid("xml", "end() without a matching start()", ""))?;
        self.indent();
        self.buf.extend_from_slice(b"</");
        self.buf.extend_from_slice(name.as_bytes());
        self.buf.extend_from_slice(b">\n");
        Ok(())
    }

    /// Writes `<name attrs>`, the children written by `body`, then `</name>`.
    pub fn elem<F>(&mut self, name: &'static str, attrs: &[Attr<'_>], body: F) -> Result<()>
    where
        F: FnOnce(&mut XmlWriter) -> Result<()>,
    {
        self.start(name, attrs)?;
        body(self)?;
        self.end()
    }

    /// Writes the empty element `<name attrs/>`. On error nothing is written.
    pub fn empty(&mut self, name: &'static str, attrs: &[Attr<'_>]) -> Result<()> {
        self.open_tag(name, attrs)?;
        self.buf.extend_from_slice(b"/>\n");
        Ok(())
    }

    /// Writes `<name attrs>text</name>` on one line. On error nothing is written.
    pub fn leaf(&mut self, name: &'static str, attrs: &[Attr<'_>], text: &str) -> Result<()> {
        let mark = self.buf.len();
        let result = self.open_tag(name, attrs).and_then(|()| {
            self.buf.push(b'>');
            self.text(name, text)
        });
        if let Err(e) = result {
            self.buf.truncate(mark);
            return Err(e);
        }
        self.close_inline(name);
        Ok(())
    }

    /// Writes `<name attrs>BASE64</name>` on one line, `data` being encoded (standard alphabet,
    /// padded, no line breaks) directly into the output buffer. On error nothing is written.
    pub fn base64(&mut self, name: &'static str, attrs: &[Attr<'_>], data: &[u8]) -> Result<()> {
        let mark = self.buf.len();
        self.open_tag(name, attrs)?;
        self.buf.push(b'>');
        if encode_base64_into(&mut self.buf, data).is_err() {
            self.buf.truncate(mark);
            return Err(Error::invalid(
                self.path(name),
                "too large to encode in base64 in memory",
                format!("{} bytes", data.len()),
            ));
        }
        self.close_inline(name);
        Ok(())
    }

    /// Writes `<name attrs></name>` on one line and returns the offset between the two tags:
    /// the place of a content written later, outside the writer (the base64 body of a CDA,
    /// encoded straight into the message that carries it: [`crate::cda::PreparedCda`]).
    /// On error nothing is written.
    pub fn hole(&mut self, name: &'static str, attrs: &[Attr<'_>]) -> Result<usize> {
        self.open_tag(name, attrs)?;
        self.buf.push(b'>');
        let at = self.buf.len();
        self.close_inline(name);
        Ok(at)
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether nothing was written yet.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The document; fails (and drops the bytes) when an element is still open.
    pub fn finish(self) -> Result<Vec<u8>> {
        if let Some(name) = self.open.last() {
            return Err(Error::invalid(
                "xml",
                "element left open at the end of the document",
                *name,
            ));
        }
        Ok(self.buf)
    }

    fn indent(&mut self) {
        for _ in 0..self.open.len() {
            self.buf.extend_from_slice(INDENT);
        }
    }

    /// The path of a would-be child `name` of the open elements, for error messages.
    fn path(&self, name: &str) -> String {
        let mut p = self.open.join("/");
        if !p.is_empty() {
            p.push('/');
        }
        p.push_str(name);
        p
    }

    /// `<name a="v"…` (no closing `>`); on error the buffer is left as it was.
    fn open_tag(&mut self, name: &'static str, attrs: &[Attr<'_>]) -> Result<()> {
        if !is_name(name) {
            return Err(Error::invalid(
                self.path(name),
                "element name must be an XML name",
                name,
            ));
        }
        for (attr, value) in attrs {
            if !is_name(attr) {
                return Err(Error::invalid(
                    self.path(name),
                    "attribute name must be an XML name",
                    *attr,
                ));
            }
            if forbidden_char(value).is_some() {
                return check_chars(&format!("{}/@{attr}", self.path(name)), value);
            }
        }
        self.indent();
        self.buf.push(b'<');
        self.buf.extend_from_slice(name.as_bytes());
        for (attr, value) in attrs {
            self.buf.push(b' ');
            self.buf.extend_from_slice(attr.as_bytes());
            self.buf.extend_from_slice(b"=\"");
            escape_into(&mut self.buf, value, true);
            self.buf.push(b'"');
        }
        Ok(())
    }

    /// The text of the would-be child `name`; the path for the message is made only on error.
    fn text(&mut self, name: &str, text: &str) -> Result<()> {
        if forbidden_char(text).is_some() {
            return check_chars(&self.path(name), text);
        }
        escape_into(&mut self.buf, text, false);
        Ok(())
    }

    fn close_inline(&mut self, name: &str) {
        self.buf.extend_from_slice(b"</");
        self.buf.extend_from_slice(name.as_bytes());
        self.buf.extend_from_slice(b">\n");
    }
}

/// Appends `s` escaped: `& < >` always; in an attribute also `"` and tab/LF/CR as character
/// references. `s` has been checked by [`forbidden_char`].
fn escape_into(buf: &mut Vec<u8>, s: &str, attribute: bool) {
    let bytes = s.as_bytes();
    let mut from = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let rep: &[u8] = match b {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            b'"' if attribute => b"&quot;",
            b'\t' if attribute => b"&#9;",
            b'\n' if attribute => b"&#10;",
            b'\r' if attribute => b"&#13;",
            // A CR in text would be normalised to LF by a parser: keep it as a reference.
            b'\r' => b"&#13;",
            _ => continue,
        };
        // Every replaced byte is ASCII, so `from..i` is on character boundaries.
        buf.extend_from_slice(&bytes[from..i]);
        buf.extend_from_slice(rep);
        from = i + 1;
    }
    buf.extend_from_slice(&bytes[from..]);
}

/// Appends the base64 of `data` (standard alphabet, padded, no line breaks) to `buf`, encoding
/// in place: the buffer grows once by the encoded length and the engine writes into it.
pub fn encode_base64_into(buf: &mut Vec<u8>, data: &[u8]) -> Result<()> {
    let too_big = || {
        Error::invalid(
            "base64",
            "too large to encode in base64 in memory",
            format!("{} bytes", data.len()),
        )
    };
    let n = base64::encoded_len(data.len(), true).ok_or_else(too_big)?;
    let start = buf.len();
    buf.try_reserve(n).map_err(|_| too_big())?;
    buf.resize(start + n, 0);
    match base64::engine::general_purpose::STANDARD.encode_slice(data, &mut buf[start..]) {
        Ok(written) if written == n => Ok(()),
        _ => {
            buf.truncate(start);
            Err(too_big())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(f: impl FnOnce(&mut XmlWriter) -> Result<()>) -> Result<String> {
        let mut w = XmlWriter::new();
        f(&mut w)?;
        Ok(String::from_utf8(w.finish()?).unwrap())
    }

    #[test]
    fn escapes_text_and_attributes() {
        let s = doc(|w| w.leaf("a", &[("v", "x&<>\"'\t\n\r y")], "x&<>\"' \t\n\r y 𝔘 😀")).unwrap();
        assert_eq!(
            s,
            "<a v=\"x&amp;&lt;&gt;&quot;'&#9;&#10;&#13; y\">x&amp;&lt;&gt;\"' \t\n&#13; y 𝔘 😀</a>\n"
        );
    }

    #[test]
    fn nesting_and_indentation() {
        let s = doc(|w| {
            w.start("a", &[])?;
            w.elem("b", &[("k", "v")], |w| w.empty("c", &[]))?;
            w.end()
        })
        .unwrap();
        assert_eq!(s, "<a>\n  <b k=\"v\">\n    <c/>\n  </b>\n</a>\n");
    }

    #[test]
    fn forbidden_characters_name_the_place_and_write_nothing() {
        let mut w = XmlWriter::new();
        w.start("doc", &[]).unwrap();
        let before = w.len();
        let e = w.leaf("title", &[], "a\u{1}b").unwrap_err();
        assert_eq!(e.as_invalid().unwrap().field, "doc/title");
        let e = w.empty("id", &[("root", "\u{FFFF}")]).unwrap_err();
        assert_eq!(e.as_invalid().unwrap().field, "doc/id/@root");
        let e = w.start("x", &[("a", "\u{FFFE}")]).unwrap_err();
        assert_eq!(e.as_invalid().unwrap().field, "doc/x/@a");
        assert_eq!(w.len(), before);
        assert!(check_chars("f", "tab\tlf\ncr\r ok 𝔘").is_ok());
        assert_eq!(
            check_chars("f", "\u{0}")
                .unwrap_err()
                .as_invalid()
                .unwrap()
                .field,
            "f"
        );
    }

    #[test]
    fn bad_names_and_unbalanced_documents_fail() {
        assert!(doc(|w| w.empty("1a", &[])).is_err());
        assert!(doc(|w| w.empty("a", &[("b c", "")])).is_err());
        assert!(doc(|w| w.end()).is_err());
        assert!(doc(|w| w.start("a", &[])).is_err());
    }

    #[test]
    fn base64_goes_on_one_line() {
        let s = doc(|w| w.base64("t", &[("r", "B64")], b"hello world")).unwrap();
        assert_eq!(s, "<t r=\"B64\">aGVsbG8gd29ybGQ=</t>\n");
        let s = doc(|w| w.base64("t", &[], b"")).unwrap();
        assert_eq!(s, "<t></t>\n");
        let data: Vec<u8> = (0..=255u8).cycle().take(100_001).collect();
        let mut buf = b"x".to_vec();
        encode_base64_into(&mut buf, &data).unwrap();
        assert_eq!(
            &buf[1..],
            base64::engine::general_purpose::STANDARD
                .encode(&data)
                .as_bytes()
        );
    }
}

//! MTOM/XOP: the `multipart/related` HTTP request that carries a SOAP 1.2 envelope and its
//! binary parts (ITI-41 feeding), and the parsing of such messages (ITI-43 responses, or a
//! built request checked again).
//!
//! # What [`build`] writes
//!
//! HTTP header (one):
//!
//! ```text
//! Content-Type: multipart/related; boundary="<boundary>"; type="application/xop+xml"; start="<root.message@dmp>"; start-info="application/soap+xml"; action="<action>"
//! ```
//!
//! Body (CRLF line ends, no preamble, no epilogue after the closing delimiter's CRLF):
//!
//! ```text
//! --<boundary>
//! Content-Type: application/xop+xml; charset=UTF-8; type="application/soap+xml"; action="<action>"
//! Content-Transfer-Encoding: binary
//! Content-ID: <root.message@dmp>
//!
//! <envelope bytes>
//! --<boundary>
//! Content-Type: <part content type>
//! Content-Transfer-Encoding: binary
//! Content-ID: <<part content id>>
//!
//! <part bytes>
//! --<boundary>--
//! ```
//!
//! The parameter set is the one of docs/dmp-interface.md §5 and of the official TD2.1 request
//! (whose root part carries `action="DocumentRepository_ProvideAndRegisterDocumentSet-b"`, the
//! WSDL operation name soapUI writes; we write the WS-Addressing action there too). Every
//! parameter value is quoted. The boundary is an input (deterministic output); it must not
//! occur, as `--<boundary>`, in the envelope or any part ([`build`] checks and fails).
//!
//! # Parsing
//!
//! [`parse`] takes the `Content-Type` header and the body; [`parse_message`] takes a whole
//! message, either with its HTTP headers in front (and optionally a request or status line)
//! or starting directly with the first delimiter, as the official TD2.1 sample file does
//! (the boundary is then read from that line). CRLF and bare LF line ends are both accepted.
//! Parts are borrowed from the input when their transfer encoding is `binary`, `8bit` or
//! `7bit` (zero copy), decoded when `base64`; `quoted-printable` is refused. Content-IDs are
//! unique in a message (RFC 2392), and a part has at most one `Content-ID`, `Content-Type` and
//! `Content-Transfer-Encoding` header: a duplicate is refused. Limits: 16 KiB of
//! headers per part, 100 headers per part, 10 000 parts; a truncated message (no closing
//! delimiter) is an error. Errors are [`Error::Data`] with source `"mime"`.

use std::borrow::Cow;
use std::io::Write;

use base64::Engine as _;

use super::{check_soap12, check_uri, endpoint, XOP_NS};
use crate::error::{Error, Result};
use crate::xml::reader::Limits;
use crate::xml::tree::Tree;
use crate::xml::writer::encode_base64_into;

/// The Content-ID of the root (SOAP envelope) part that [`build`] writes.
pub const ROOT_CONTENT_ID: &str = "root.message@dmp";

const MAX_PART_HEADER_BYTES: usize = 16 << 10;
const MAX_PART_HEADERS: usize = 100;
const MAX_PARTS: usize = 10_000;
const MAX_HTTP_HEADER_BYTES: usize = 64 << 10;
const MAX_CONTENT_ID: usize = 250;

/// One attachment: its Content-ID (without angle brackets), Content-Type and bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part<'a> {
    /// Content-ID without `<>`, as the `xop:Include href="cid:…"` names it
    /// (percent-encoded there: [`cid_href`]).
    pub content_id: String,
    /// Content-Type (e.g. `text/xml`, `application/pdf`).
    pub content_type: String,
    /// The bytes, sent as they are (`Content-Transfer-Encoding: binary`).
    pub bytes: Cow<'a, [u8]>,
}

impl<'a> Part<'a> {
    /// A part from its parts.
    pub fn new(
        content_id: impl Into<String>,
        content_type: impl Into<String>,
        bytes: impl Into<Cow<'a, [u8]>>,
    ) -> Part<'a> {
        Part {
            content_id: content_id.into(),
            content_type: content_type.into(),
            bytes: bytes.into(),
        }
    }
}

/// An HTTP request as a value: the transport adds the base URL (and `Content-Length`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// Path of the service (an [`endpoint`] constant), e.g.
    /// `/si-dmp-server/v2/services/repository`.
    pub path: String,
    /// Headers, in order (`Content-Type`).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The message as a file: `Name: value` header lines, a blank line, the body (CRLF line
    /// ends). [`parse_message`] reads it back.
    pub fn to_message(&self) -> Vec<u8> {
        let head = header_lines(&self.headers);
        let mut out = Vec::with_capacity(self.body.len() + head.len());
        out.extend_from_slice(head.as_bytes());
        out.extend_from_slice(&self.body);
        out
    }
}

/// The head of a message file ([`HttpRequest::to_message`]): a `Name: value` line per header
/// and the blank line, CRLF line ends.
pub fn header_lines(headers: &[(String, String)]) -> String {
    let mut out = String::with_capacity(512);
    for (n, v) in headers {
        out.push_str(n);
        out.push_str(": ");
        out.push_str(v);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    out
}

impl HttpRequest {
    /// Reads back a request as [`HttpRequest::to_message`] wrote it (header lines, a blank
    /// line, the body; a `POST /path HTTP/1.1` start line is also accepted): the path is the
    /// start line's, else the service of the `action` of the `Content-Type` (every request
    /// the library builds names it there). For `dmp send REQUEST` and `dmp_send`.
    pub fn from_message(message: &[u8]) -> Result<HttpRequest> {
        let (head, body) = split_headers(message, MAX_HTTP_HEADER_BYTES).ok_or_else(|| {
            mime_error("no blank line after the HTTP headers (or headers too large)")
        })?;
        let mut lines = head_lines(head)?;
        let mut path = None;
        if let Some(first) = lines.first() {
            if is_start_line(first) {
                path = first.split(' ').nth(1).map(str::to_owned);
                lines.remove(0);
            }
        }
        let headers = fold_headers(&lines, usize::MAX)?;
        let path = match path {
            Some(p) if p.starts_with('/') => p,
            _ => {
                let ct = headers
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
                    .map(|(_, v)| v.as_str())
                    .ok_or_else(|| mime_error("the HTTP headers have no Content-Type"))?;
                let ct = ContentType::parse(ct)?;
                let action = ct.param("action").ok_or_else(|| {
                    mime_error("the Content-Type names no action: which DMP service is this for?")
                })?;
                super::endpoint::for_action(action)
                    .ok_or_else(|| {
                        mime_error(format!("the action {action} is not one of a DMP service"))
                    })?
                    .to_owned()
            }
        };
        Ok(HttpRequest {
            path,
            headers,
            body: body.to_vec(),
        })
    }
}

/// `cid:` + the Content-ID percent-encoded as RFC 2392 requires (every byte outside the URL
/// `pchar` set), for `xop:Include/@href`.
pub fn cid_href(content_id: &str) -> String {
    let mut s = String::with_capacity(content_id.len() + 4);
    s.push_str("cid:");
    for b in content_id.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&b) {
            s.push(char::from(b));
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

/// Builds the MTOM request of `envelope` (a SOAP 1.2 envelope whose `xop:Include`s name the
/// parts) to the service of `action` ([`endpoint::for_action`]); see the
/// [module documentation](self).
pub fn build(
    envelope: &[u8],
    parts: &[Part<'_>],
    boundary: &str,
    action: &str,
) -> Result<HttpRequest> {
    let path = endpoint::for_action(action).ok_or_else(|| {
        Error::invalid(
            "action",
            "no DMP endpoint is known for this action (use build_to with the path)",
            action,
        )
    })?;
    build_to(path, envelope, parts, boundary, action)
}

/// [`build`] with an explicit service path.
pub fn build_to(
    path: &str,
    envelope: &[u8],
    parts: &[Part<'_>],
    boundary: &str,
    action: &str,
) -> Result<HttpRequest> {
    // Every check on the parts before any byte is written (the errors in this order), the
    // envelope read once: the writer takes the includes found here.
    let frame: Vec<(&str, &str)> = parts
        .iter()
        .map(|p| (p.content_id.as_str(), p.content_type.as_str()))
        .collect();
    let includes = frame_includes(path, envelope, boundary, action, &frame)?;
    let room = parts
        .iter()
        .map(|p| MtomWriter::part_room(&p.content_id, &p.content_type, p.bytes.len()))
        .fold(0usize, usize::saturating_add);
    let mut w = MtomWriter::open(path, envelope, boundary, action, room, includes)?;
    for p in parts {
        w.part(&p.content_id, &p.content_type, |out| {
            out.extend_from_slice(&p.bytes);
            Ok(())
        })?;
    }
    Ok(w.finish()?.0)
}

/// The checks of a message of `envelope` and parts (Content-ID, Content-Type), before any
/// byte is written: path, boundary, action, envelope, each part's Content-ID (unique) and
/// Content-Type, every `xop:Include` naming a part. The errors come in this order.
pub fn check_frame(
    path: &str,
    envelope: &[u8],
    boundary: &str,
    action: &str,
    parts: &[(&str, &str)],
) -> Result<()> {
    frame_includes(path, envelope, boundary, action, parts).map(drop)
}

/// [`check_frame`], returning the `href` of the envelope's `xop:Include` elements.
fn frame_includes(
    path: &str,
    envelope: &[u8],
    boundary: &str,
    action: &str,
    parts: &[(&str, &str)],
) -> Result<Vec<String>> {
    check_parts(check_head(path, envelope, boundary, action)?, parts)
}

/// The checks of the parts (Content-ID and Content-Type, each Content-ID once) and of the
/// envelope's `xop:Include` elements (`includes`, their `href`) against them.
fn check_parts(includes: Vec<String>, parts: &[(&str, &str)]) -> Result<Vec<String>> {
    let cids: Vec<&str> = parts.iter().map(|(cid, _)| *cid).collect();
    for (i, (cid, ct)) in parts.iter().enumerate() {
        check_part(cid, ct, &cids[..i]).map_err(|e| e.at(&format!("parts[{i}]")))?;
    }
    check_includes(&includes, &cids)?;
    Ok(includes)
}

/// An MTOM request written part by part into one buffer reserved once: a part can be
/// written in place (a CDA encoded straight into the message, [`crate::feed::build`]) rather
/// than built apart and copied. [`build_to`] is this with parts already made; the bytes and
/// the checks are the same.
#[derive(Debug)]
pub struct MtomWriter {
    path: String,
    action: String,
    delimiter: String,
    /// The `href` of each `xop:Include` of the envelope (read when it was checked).
    includes: Vec<String>,
    /// Content-ID and place in `body` of each part written.
    parts: Vec<(String, std::ops::Range<usize>)>,
    body: Vec<u8>,
}

impl MtomWriter {
    /// The room a part of `len` bytes takes in the message (delimiter and headers included):
    /// sum it over the parts for [`MtomWriter::start`].
    pub fn part_room(content_id: &str, content_type: &str, len: usize) -> usize {
        // `--` + boundary (≤ 70) + CRLF, the three header lines, CRLF, the bytes, CRLF.
        len.saturating_add(content_id.len() + content_type.len() + 160)
    }

    /// Checks the message's head (path, boundary, action, envelope) and writes the root
    /// part, with room reserved for `room` more bytes of parts ([`MtomWriter::part_room`]).
    pub fn start(
        path: &str,
        envelope: &[u8],
        boundary: &str,
        action: &str,
        room: usize,
    ) -> Result<MtomWriter> {
        let includes = check_head(path, envelope, boundary, action)?;
        Self::open(path, envelope, boundary, action, room, includes)
    }

    /// [`MtomWriter::start`] for an envelope this crate assembled itself
    /// ([`super::assemble`]), whose `xop:Include` hrefs the caller wrote (see
    /// [`Assembled`]): the envelope is not read again.
    pub(crate) fn start_assembled(
        path: &str,
        envelope: Assembled<'_>,
        boundary: &str,
        action: &str,
        room: usize,
    ) -> Result<MtomWriter> {
        envelope.check_head(path, boundary, action)?;
        Self::open(
            path,
            envelope.bytes,
            boundary,
            action,
            room,
            envelope.includes,
        )
    }

    /// [`MtomWriter::start`] once the head is checked (`includes`: its `xop:Include` hrefs).
    fn open(
        path: &str,
        envelope: &[u8],
        boundary: &str,
        action: &str,
        room: usize,
        includes: Vec<String>,
    ) -> Result<MtomWriter> {
        let delimiter = format!("--{boundary}");
        let root_headers = root_headers(&delimiter, boundary, envelope, action)?;
        let total = room
            .saturating_add(envelope.len() + root_headers.len())
            .saturating_add(2 * delimiter.len() + 16);
        let mut body = Vec::new();
        body.try_reserve_exact(total).map_err(|_| {
            Error::invalid(
                "parts",
                "not enough memory for the request",
                format!("{total} bytes"),
            )
        })?;
        body.extend_from_slice(root_headers.as_bytes());
        body.extend_from_slice(envelope);
        body.extend_from_slice(b"\r\n");
        Ok(MtomWriter {
            path: path.to_owned(),
            action: action.to_owned(),
            delimiter,
            includes,
            parts: Vec::new(),
            body,
        })
    }

    /// Adds a part whose bytes `write` appends to the message; returns what `write` returns.
    /// Fails (the message left as it was) when the Content-ID or Content-Type is not usable,
    /// or when the boundary occurs in the part.
    pub fn part<T>(
        &mut self,
        content_id: &str,
        content_type: &str,
        write: impl FnOnce(&mut Vec<u8>) -> Result<T>,
    ) -> Result<T> {
        let i = self.parts.len();
        let at = |e: Error| e.at(&format!("parts[{i}]"));
        let before: Vec<&str> = self.parts.iter().map(|(c, _)| c.as_str()).collect();
        check_part(content_id, content_type, &before).map_err(at)?;
        let headers = part_headers(content_id, content_type);
        let mark = self.body.len();
        self.body
            .extend_from_slice(part_head(&self.delimiter, &headers).as_bytes());
        let from = self.body.len();
        let written = write(&mut self.body).and_then(|t| {
            let boundary = &self.delimiter[2..];
            let bytes = self.body.get(from..).unwrap_or_default();
            collision(
                &self.delimiter,
                boundary,
                &format!("part {i} ({content_id})"),
                bytes,
            )?;
            collision(
                &self.delimiter,
                boundary,
                &format!("the headers of part {i}"),
                headers.as_bytes(),
            )?;
            Ok(t)
        });
        match written {
            Ok(t) => {
                self.parts
                    .push((content_id.to_owned(), from..self.body.len()));
                self.body.extend_from_slice(b"\r\n");
                Ok(t)
            }
            Err(e) => {
                self.body.truncate(mark);
                Err(e)
            }
        }
    }

    /// The bytes of the parts written so far, by Content-ID, in order.
    pub fn parts(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.parts
            .iter()
            .map(|(cid, r)| (cid.as_str(), self.body.get(r.clone()).unwrap_or_default()))
    }

    /// Checks that every `xop:Include` of the envelope names a part, closes the message and
    /// returns it with the place of each part in its body (in the order written).
    pub fn finish(mut self) -> Result<(HttpRequest, Vec<std::ops::Range<usize>>)> {
        let cids: Vec<&str> = self.parts.iter().map(|(c, _)| c.as_str()).collect();
        check_includes(&self.includes, &cids)?;
        self.body.extend_from_slice(self.delimiter.as_bytes());
        self.body.extend_from_slice(b"--\r\n");
        let content_type = content_type(&self.delimiter[2..], &self.action);
        let ranges = self.parts.into_iter().map(|(_, r)| r).collect();
        Ok((
            HttpRequest {
                path: self.path,
                headers: vec![("Content-Type".to_owned(), content_type)],
                body: self.body,
            },
            ranges,
        ))
    }
}

/// An MTOM request written part by part into a caller's writer, holding none of it: a TD2.1
/// whose documents go to a spool file or a socket ([`crate::feed::prepare_stream`]). The
/// same bytes as [`MtomWriter`]. Every check of the message ([`check_frame`]) runs in
/// [`MtomStream::start`], before the first byte: what is written cannot be taken back. The
/// one check left for later is the boundary inside a part's bytes, made as they pass (the
/// caller checks them first when it can: [`check_boundary_absent`]).
pub struct MtomStream<'w> {
    out: &'w mut dyn Write,
    delimiter: String,
    /// Each part's delimiter line and headers, in the order they are to be written.
    parts: Vec<(String, String)>,
    /// How many parts are written.
    done: usize,
    /// Bytes written so far.
    written: u64,
}

impl<'w> MtomStream<'w> {
    /// Checks the whole message (the parts by Content-ID and Content-Type, in order) and
    /// writes the root part.
    pub fn start(
        out: &'w mut dyn Write,
        path: &str,
        envelope: &[u8],
        boundary: &str,
        action: &str,
        parts: &[(&str, &str)],
    ) -> Result<MtomStream<'w>> {
        check_frame(path, envelope, boundary, action, parts)?;
        Self::open(out, envelope, boundary, action, parts)
    }

    /// [`MtomStream::start`] for an envelope this crate assembled itself (see
    /// [`Assembled`]): the envelope is not read again; the parts are checked.
    pub(crate) fn start_assembled(
        out: &'w mut dyn Write,
        path: &str,
        envelope: Assembled<'_>,
        boundary: &str,
        action: &str,
        parts: &[(&str, &str)],
    ) -> Result<MtomStream<'w>> {
        envelope.check_head(path, boundary, action)?;
        check_parts(envelope.includes, parts)?;
        Self::open(out, envelope.bytes, boundary, action, parts)
    }

    /// [`MtomStream::start`] once the message is checked: writes the root part.
    fn open(
        out: &'w mut dyn Write,
        envelope: &[u8],
        boundary: &str,
        action: &str,
        parts: &[(&str, &str)],
    ) -> Result<MtomStream<'w>> {
        let delimiter = format!("--{boundary}");
        let root = root_headers(&delimiter, boundary, envelope, action)?;
        let mut heads = Vec::with_capacity(parts.len());
        for (i, (cid, ct)) in parts.iter().enumerate() {
            let headers = part_headers(cid, ct);
            collision(
                &delimiter,
                boundary,
                &format!("the headers of part {i}"),
                headers.as_bytes(),
            )?;
            heads.push(((*cid).to_owned(), part_head(&delimiter, &headers)));
        }
        let mut stream = MtomStream {
            out,
            delimiter,
            parts: heads,
            done: 0,
            written: 0,
        };
        stream.put(root.as_bytes())?;
        stream.put(envelope)?;
        stream.put(b"\r\n")?;
        Ok(stream)
    }

    /// Writes the next part: its headers, what `write` writes, its line end. Fails when
    /// every part given to [`start`](Self::start) is written, when the writer fails
    /// ([`Error::Write`]), or when the boundary occurs in the bytes written.
    pub fn part(&mut self, write: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
        let i = self.done;
        let Some((cid, head)) = self.parts.get(i) else {
            return Err(Error::invalid(
                "parts",
                "more parts written than the message was started with",
                (i + 1).to_string(),
            ));
        };
        let what = format!("part {i} ({cid})");
        self.out.write_all(head.as_bytes()).map_err(Error::write)?;
        self.written += head.len() as u64;
        let mut scan = Scan::new(&mut *self.out, self.delimiter.as_bytes());
        let written = write(&mut scan);
        let (bytes, found) = (scan.written, scan.found);
        self.written += bytes;
        written?;
        if found {
            return Err(boundary_in(
                self.delimiter.get(2..).unwrap_or_default(),
                &what,
            ));
        }
        self.done += 1;
        self.put(b"\r\n")
    }

    /// Closes the message (every part given to [`start`](Self::start) must be written) and
    /// flushes the writer; returns the number of bytes of the body.
    pub fn finish(mut self) -> Result<u64> {
        if self.done != self.parts.len() {
            return Err(Error::invalid(
                "parts",
                "the message was started with more parts than were written",
                format!("{} of {}", self.done, self.parts.len()),
            ));
        }
        let close = format!("{}--\r\n", self.delimiter);
        self.put(close.as_bytes())?;
        self.out.flush().map_err(Error::write)?;
        Ok(self.written)
    }

    fn put(&mut self, bytes: &[u8]) -> Result<()> {
        self.out.write_all(bytes).map_err(Error::write)?;
        self.written += bytes.len() as u64;
        Ok(())
    }
}

/// Fails when `--boundary` occurs in `bytes` (`what`, e.g. `document 1`): a part checked
/// before it is streamed ([`MtomStream`]).
pub fn check_boundary_absent(boundary: &str, what: &str, bytes: &[u8]) -> Result<()> {
    collision(&format!("--{boundary}"), boundary, what, bytes)
}

/// A writer that passes bytes on, counts them and looks for the delimiter in them, across
/// the writes (the last `delimiter - 1` bytes of one are kept for the next).
struct Scan<'a> {
    out: &'a mut dyn Write,
    delimiter: &'a [u8],
    tail: Vec<u8>,
    found: bool,
    written: u64,
}

impl<'a> Scan<'a> {
    fn new(out: &'a mut dyn Write, delimiter: &'a [u8]) -> Scan<'a> {
        Scan {
            out,
            delimiter,
            tail: Vec::with_capacity(delimiter.len() * 2),
            found: false,
            written: 0,
        }
    }

    fn look(&mut self, bytes: &[u8]) {
        let keep = self.delimiter.len().saturating_sub(1);
        let head = bytes.get(..bytes.len().min(keep)).unwrap_or_default();
        self.tail.extend_from_slice(head);
        if find(&self.tail, self.delimiter, 0).is_some() || find(bytes, self.delimiter, 0).is_some()
        {
            self.found = true;
        }
        if bytes.len() >= keep {
            self.tail.clear();
            self.tail
                .extend_from_slice(bytes.get(bytes.len() - keep..).unwrap_or_default());
        } else {
            let cut = self.tail.len().saturating_sub(keep);
            self.tail.drain(..cut);
        }
    }
}

impl Write for Scan<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.out.write(buf)?;
        let done = buf.get(..n).unwrap_or_default();
        self.look(done);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// The checks of the message's head: boundary, action, path, SOAP 1.2 envelope; returns the
/// `href` of the envelope's `xop:Include` elements.
fn check_head(path: &str, envelope: &[u8], boundary: &str, action: &str) -> Result<Vec<String>> {
    check_frame_head(path, boundary, action)?;
    check_soap12(envelope)
}

/// An envelope this crate assembled from its own writers' fragments ([`super::assemble`]:
/// the signed VIHF, a body of [`crate::xml::writer::XmlWriter`], which checks every name and
/// escapes every value, so the whole is well-formed by construction), with the `href` of the
/// `xop:Include` elements its body was written with. The MTOM writers take it without
/// reading it again: a TD2.1 request then costs one scan of its envelope less (a tenth of
/// its fixed cost). Debug builds, every test among them, read it anyway and check both
/// claims (a SOAP 1.2 envelope; those includes, in that order).
pub(crate) struct Assembled<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) includes: Vec<String>,
}

impl Assembled<'_> {
    /// The checks of the message's head but the envelope's (read in debug builds only).
    fn check_head(&self, path: &str, boundary: &str, action: &str) -> Result<()> {
        check_frame_head(path, boundary, action)?;
        debug_assert_eq!(
            check_soap12(self.bytes).ok().as_ref(),
            Some(&self.includes),
            "an assembled envelope that is not what its builder says"
        );
        Ok(())
    }
}

/// The checks of the message's head that do not read the envelope: boundary, action, path.
fn check_frame_head(path: &str, boundary: &str, action: &str) -> Result<()> {
    check_boundary(boundary)?;
    check_uri("action", action, false)?;
    if !path.starts_with('/') || path.bytes().any(|b| !b.is_ascii_graphic()) {
        return Err(Error::invalid(
            "path",
            "must start with / and hold printable ASCII only",
            path,
        ));
    }
    Ok(())
}

/// A delimiter line, the part's headers and the blank line.
fn part_head(delimiter: &str, headers: &str) -> String {
    format!("{delimiter}\r\n{headers}\r\n")
}

/// The `Content-Type` of the message (its one HTTP header).
pub fn content_type(boundary: &str, action: &str) -> String {
    format!(
        "multipart/related; boundary=\"{boundary}\"; type=\"application/xop+xml\"; \
         start=\"<{ROOT_CONTENT_ID}>\"; start-info=\"application/soap+xml\"; action=\"{action}\""
    )
}

/// The root part's delimiter and headers, up to the envelope; fails when the delimiter
/// occurs in them or in the envelope.
fn root_headers(delimiter: &str, boundary: &str, envelope: &[u8], action: &str) -> Result<String> {
    let headers = format!(
        "Content-Type: application/xop+xml; charset=UTF-8; type=\"application/soap+xml\"; \
         action=\"{action}\"\r\nContent-Transfer-Encoding: binary\r\nContent-ID: \
         <{ROOT_CONTENT_ID}>\r\n"
    );
    collision(delimiter, boundary, "the envelope", envelope)?;
    collision(
        delimiter,
        boundary,
        "the root part headers",
        headers.as_bytes(),
    )?;
    Ok(part_head(delimiter, &headers))
}

/// A part's headers (without its delimiter).
fn part_headers(content_id: &str, content_type: &str) -> String {
    format!(
        "Content-Type: {content_type}\r\nContent-Transfer-Encoding: binary\r\nContent-ID: \
         <{content_id}>\r\n"
    )
}

/// Fails when the `delimiter` (`--` + `boundary`) occurs in `bytes` (`what`).
fn collision(delimiter: &str, boundary: &str, what: &str, bytes: &[u8]) -> Result<()> {
    if find(bytes, delimiter.as_bytes(), 0).is_some() {
        return Err(boundary_in(boundary, what));
    }
    Ok(())
}

fn boundary_in(boundary: &str, what: &str) -> Error {
    Error::invalid(
        "boundary",
        format!("occurs in {what}: choose another boundary"),
        boundary,
    )
}

/// RFC 2046 boundary: 1 to 70 characters among `0-9 A-Z a-z ' ( ) + _ , - . / : = ?` (the
/// space, allowed by the RFC inside a boundary, is refused here).
fn check_boundary(b: &str) -> Result<()> {
    let ok = !b.is_empty()
        && b.len() <= 70
        && b.bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"'()+_,-./:=?".contains(&c));
    if !ok {
        return Err(Error::invalid(
            "boundary",
            "must be 1 to 70 characters among letters, digits and ' ( ) + _ , - . / : = ?",
            b,
        ));
    }
    Ok(())
}

fn check_part(cid: &str, ct: &str, before: &[&str]) -> Result<()> {
    if cid.is_empty()
        || cid.len() > MAX_CONTENT_ID
        || cid
            .chars()
            .any(|c| !c.is_ascii_graphic() || matches!(c, '<' | '>' | '"' | '\\'))
    {
        return Err(Error::invalid(
            "content_id",
            "must be 1 to 250 printable ASCII characters without space, < > \" or \\ \
             (e.g. doc1@dmp)",
            cid,
        ));
    }
    if cid == ROOT_CONTENT_ID || before.contains(&cid) {
        return Err(Error::invalid(
            "content_id",
            "must be unique in the message (and differ from the root part's)",
            cid,
        ));
    }
    let well_formed = ct.len() <= 256
        && ct.bytes().all(|b| b == b' ' || b.is_ascii_graphic())
        && ContentType::parse(ct).is_ok_and(|t| t.media_type.contains('/'));
    if !well_formed {
        return Err(Error::invalid(
            "content_type",
            "must be a MIME type such as text/xml or application/pdf (printable ASCII, at most \
             256 characters)",
            ct,
        ));
    }
    Ok(())
}

/// Every `xop:Include` of the envelope (their `href`) names one of `parts`.
fn check_includes(includes: &[String], parts: &[&str]) -> Result<()> {
    for href in includes {
        let cid = href_cid(href);
        if !parts.contains(&cid.as_str()) {
            return Err(Error::invalid(
                "envelope",
                "an xop:Include names no part of the message",
                href,
            ));
        }
    }
    Ok(())
}

/// The Content-ID an `href` names: `cid:` removed (any case), percent-decoded.
pub(crate) fn href_cid(href: &str) -> String {
    let rest = match href.get(..4) {
        Some(p) if p.eq_ignore_ascii_case("cid:") => href.get(4..).unwrap_or_default(),
        _ => href,
    };
    percent_decode(rest)
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| char::from(c).to_digit(16);
        match (b.get(i), b.get(i + 1), b.get(i + 2)) {
            (Some(b'%'), Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                let v = hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0);
                out.push(u8::try_from(v).unwrap_or(b'?'));
                i += 3;
            }
            (Some(&c), _, _) => {
                out.push(c);
                i += 1;
            }
            (None, _, _) => break,
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

// ---------------------------------------------------------------------------------------------
// Parsing.
// ---------------------------------------------------------------------------------------------

/// A parsed `Content-Type` header: media type (lower-cased) and parameters (names lower-cased,
/// values unquoted), in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentType {
    /// `type/subtype`, lower-cased.
    pub media_type: String,
    /// Parameters in order: name lower-cased, value unquoted (backslash escapes resolved).
    pub params: Vec<(String, String)>,
}

impl ContentType {
    /// Parses `type/subtype; name=value; name="quoted value"`.
    pub fn parse(header: &str) -> Result<ContentType> {
        let mut rest = header.trim();
        let end = rest.find(';').unwrap_or(rest.len());
        let media_type = rest
            .get(..end)
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if media_type.is_empty() || !media_type.bytes().all(is_token_char_or_slash) {
            return Err(mime_error(format!("malformed Content-Type {header:?}")));
        }
        rest = rest.get(end..).unwrap_or_default();
        let mut params = Vec::new();
        while let Some(r) = rest.strip_prefix(';') {
            let r = r.trim_start();
            if r.is_empty() {
                rest = r; // a trailing ';'
                break;
            }
            let eq = r
                .find('=')
                .ok_or_else(|| mime_error(format!("parameter without '=' in {header:?}")))?;
            let name = r.get(..eq).unwrap_or_default().trim().to_ascii_lowercase();
            if name.is_empty() || !name.bytes().all(is_token_char) {
                return Err(mime_error(format!(
                    "malformed parameter name in {header:?}"
                )));
            }
            let r = r.get(eq + 1..).unwrap_or_default().trim_start();
            let (value, after) = if let Some(q) = r.strip_prefix('"') {
                let mut value = String::new();
                let mut chars = q.char_indices();
                let mut close = None;
                while let Some((i, c)) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some((_, n)) = chars.next() {
                                value.push(n);
                            }
                        }
                        '"' => {
                            close = Some(i);
                            break;
                        }
                        c => value.push(c),
                    }
                }
                let close = close.ok_or_else(|| {
                    mime_error(format!("unterminated quoted string in {header:?}"))
                })?;
                (value, q.get(close + 1..).unwrap_or_default())
            } else {
                let end = r.find(';').unwrap_or(r.len());
                (
                    r.get(..end).unwrap_or_default().trim().to_owned(),
                    r.get(end..).unwrap_or_default(),
                )
            };
            params.push((name, value));
            rest = after.trim_start();
            if !rest.is_empty() && !rest.starts_with(';') {
                return Err(mime_error(format!(
                    "unexpected text after a parameter in {header:?}"
                )));
            }
        }
        if !rest.trim().is_empty() {
            return Err(mime_error(format!("malformed Content-Type {header:?}")));
        }
        Ok(ContentType { media_type, params })
    }

    /// The value of parameter `name` (case-insensitive).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn is_token_char(b: u8) -> bool {
    b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?=".contains(&b)
}

fn is_token_char_or_slash(b: u8) -> bool {
    b == b'/' || is_token_char(b)
}

/// One part of a parsed message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MimePart<'a> {
    /// Every header, in order: name as written, value unfolded and trimmed.
    pub headers: Vec<(String, String)>,
    /// `Content-ID` without `<>`.
    pub content_id: Option<String>,
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// The content (decoded when the transfer encoding was base64).
    pub bytes: Cow<'a, [u8]>,
}

impl MimePart<'_> {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A copy that owns its bytes.
    pub fn into_owned(self) -> MimePart<'static> {
        MimePart {
            headers: self.headers,
            content_id: self.content_id,
            content_type: self.content_type,
            bytes: Cow::Owned(self.bytes.into_owned()),
        }
    }
}

/// A parsed `multipart/related` message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Multipart<'a> {
    /// The message's Content-Type (synthesised `multipart/related; boundary=…` when the
    /// message had no headers).
    pub content_type: ContentType,
    /// The boundary.
    pub boundary: String,
    /// The root part: the one the `start` parameter names, else the first.
    pub root: MimePart<'a>,
    /// The other parts, in order.
    pub parts: Vec<MimePart<'a>>,
}

impl Multipart<'_> {
    /// The part with this Content-ID (the root included).
    pub fn part(&self, content_id: &str) -> Option<&MimePart<'_>> {
        std::iter::once(&self.root)
            .chain(&self.parts)
            .find(|p| p.content_id.as_deref() == Some(content_id))
    }

    /// [`resolve_xop`] on this message's root and parts.
    pub fn resolve_xop(&self) -> Result<Vec<u8>> {
        resolve_xop(&self.root.bytes, &self.parts)
    }

    /// A copy that owns its bytes.
    pub fn into_owned(self) -> Multipart<'static> {
        Multipart {
            content_type: self.content_type,
            boundary: self.boundary,
            root: self.root.into_owned(),
            parts: self.parts.into_iter().map(MimePart::into_owned).collect(),
        }
    }
}

/// Parses a `multipart/*` body given its `Content-Type` header value. A blank
/// `content_type` means "no header at hand": `body` is then read as a whole message by
/// [`parse_message`] (HTTP headers in front, or starting with the first delimiter).
pub fn parse<'a>(content_type: &str, body: &'a [u8]) -> Result<Multipart<'a>> {
    if content_type.trim().is_empty() {
        return parse_message(body);
    }
    let ct = ContentType::parse(content_type)?;
    if !ct.media_type.starts_with("multipart/") {
        return Err(mime_error(format!(
            "Content-Type is {}, not multipart",
            ct.media_type
        )));
    }
    let boundary = ct
        .param("boundary")
        .ok_or_else(|| mime_error("the Content-Type has no boundary parameter"))?
        .to_owned();
    if boundary.is_empty() || boundary.len() > 200 {
        return Err(mime_error("the boundary is empty or longer than 200 bytes"));
    }
    let mut parts = parse_body(&boundary, body)?;
    check_unique_content_ids(&parts)?;
    let root_index = match ct.param("start") {
        Some(start) => {
            let start = strip_angle(start);
            parts
                .iter()
                .position(|p| p.content_id.as_deref() == Some(start))
                .ok_or_else(|| mime_error(format!("no part has the start Content-ID <{start}>")))?
        }
        None => 0,
    };
    let root = parts.remove(root_index);
    Ok(Multipart {
        content_type: ct,
        boundary,
        root,
        parts,
    })
}

/// RFC 2392: a Content-ID names one part of the message. A second part with the same
/// Content-ID (a forged part after the genuine one, two root parts) would let a reader bind
/// one part and a receiver another: refused. Linear (one hash set).
fn check_unique_content_ids(parts: &[MimePart<'_>]) -> Result<()> {
    let mut seen = std::collections::HashSet::with_capacity(parts.len());
    for (index, p) in parts.iter().enumerate() {
        if let Some(cid) = p.content_id.as_deref() {
            if !seen.insert(cid) {
                return Err(mime_error(format!(
                    "part {index}: Content-ID <{}> is already used by another part (RFC 2392: \
                     Content-IDs are unique)",
                    truncate(cid)
                )));
            }
        }
    }
    Ok(())
}

/// A message as a file holds it: a multipart (MTOM) message, or one XML document.
#[derive(Debug)]
pub enum Message<'a> {
    /// A `multipart/related` message.
    Multipart(Multipart<'a>),
    /// An XML document (a SOAP envelope, a signed assertion…), BOM and HTTP headers removed.
    Xml(&'a [u8]),
}

/// Reads a message whatever its form: a bare XML document, a multipart body that starts with
/// its first delimiter line, or an HTTP message (optional start line, headers, blank line,
/// body) whose `Content-Type` says multipart or not. The one place that tells them apart, for
/// the verifier and the DMP answers alike.
pub fn read_message(message: &[u8]) -> Result<Message<'_>> {
    let trimmed = message.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(message);
    let start = trimmed
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(trimmed.len());
    let rest = trimmed.get(start..).unwrap_or_default();
    if rest.starts_with(b"<") {
        return Ok(Message::Xml(rest));
    }
    if rest.starts_with(b"--") {
        return parse_message(rest).map(Message::Multipart);
    }
    let (ct, body) = split_http(rest)?;
    let multipart = ContentType::parse(&ct).is_ok_and(|t| t.media_type.starts_with("multipart/"));
    if multipart {
        parse(&ct, body).map(Message::Multipart)
    } else {
        Ok(Message::Xml(body))
    }
}

/// Parses a whole message: HTTP headers (optionally after a request or status line), a blank
/// line, the multipart body; or a body that starts with its first delimiter line (the
/// boundary is then read from it), as the official TD2.1 sample.
pub fn parse_message(message: &[u8]) -> Result<Multipart<'_>> {
    let message = message.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(message);
    let start = message
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(message.len());
    let message = message.get(start..).unwrap_or_default();
    if message.starts_with(b"--") {
        let line_end = message
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(|| mime_error("truncated: the first delimiter line does not end"))?;
        let line = message.get(2..line_end).unwrap_or_default();
        let boundary = std::str::from_utf8(line)
            .map_err(|_| mime_error("the first delimiter line is not UTF-8"))?
            .trim_end();
        if boundary.is_empty() || boundary.len() > 200 {
            return Err(mime_error("the first delimiter line holds no boundary"));
        }
        let ct = format!(
            "multipart/related; boundary=\"{}\"",
            boundary.replace('"', "\\\"")
        );
        return parse(&ct, message);
    }
    let (ct, body) = split_http(message)?;
    parse(&ct, body)
}

/// Splits an HTTP message (headers, optionally after a request or status line, a blank line,
/// the body) into its `Content-Type` and its body.
pub fn split_http(message: &[u8]) -> Result<(String, &[u8])> {
    let (head, body) = split_headers(message, MAX_HTTP_HEADER_BYTES)
        .ok_or_else(|| mime_error("no blank line after the HTTP headers (or headers too large)"))?;
    let mut lines = head_lines(head)?;
    if let Some(first) = lines.first() {
        if is_start_line(first) {
            lines.remove(0);
        }
    }
    let headers = fold_headers(&lines, usize::MAX)?;
    let ct = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.clone())
        .ok_or_else(|| mime_error("the HTTP headers have no Content-Type"))?;
    Ok((ct, body))
}

/// The XOP infoset of `root` as text: each `xop:Include` element (XOP namespace) replaced by
/// the base64 of the part its `href` names (`cid:`, percent-decoded), all other bytes kept.
/// An `href` that names no part is an error.
pub fn resolve_xop(root: &[u8], parts: &[MimePart<'_>]) -> Result<Vec<u8>> {
    let tree = Tree::parse(root, &Limits::default())?;
    let mut out = Vec::with_capacity(root.len());
    let mut at = 0;
    for e in tree.elements().filter(|e| e.is(XOP_NS, "Include")) {
        let span = e.span();
        if span.start < at {
            continue; // nested inside an include already replaced
        }
        let href = e
            .attr("href")
            .ok_or_else(|| mime_error("an xop:Include has no href"))?;
        let cid = href_cid(href);
        let part = parts
            .iter()
            .find(|p| p.content_id.as_deref() == Some(cid.as_str()))
            .ok_or_else(|| mime_error(format!("xop:Include href={href:?} names no MIME part")))?;
        out.extend_from_slice(root.get(at..span.start).unwrap_or_default());
        encode_base64_into(&mut out, &part.bytes)?;
        at = span.end;
    }
    out.extend_from_slice(root.get(at..).unwrap_or_default());
    Ok(out)
}

fn strip_angle(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix('<')
        .and_then(|s| s.strip_suffix('>'))
        .unwrap_or(s)
        .trim()
}

fn is_start_line(line: &str) -> bool {
    let colon_first = line
        .find(':')
        .is_some_and(|c| line.get(..c).is_some_and(|n| n.bytes().all(is_token_char)));
    !colon_first || line.starts_with("HTTP/") || line.contains(" HTTP/")
}

/// Splits at the first blank line (CRLF CRLF or LF LF, or a blank first line); the head must
/// be within `max` bytes.
fn split_headers(data: &[u8], max: usize) -> Option<(&[u8], &[u8])> {
    if let Some(rest) = data.strip_prefix(b"\r\n") {
        return Some((&[], rest));
    }
    if let Some(rest) = data.strip_prefix(b"\n") {
        return Some((&[], rest));
    }
    let window = data.get(..data.len().min(max.saturating_add(4)))?;
    let mut i = 0;
    while let Some(off) = window.get(i..)?.iter().position(|&b| b == b'\n') {
        let nl = i + off;
        let next = window.get(nl + 1..).unwrap_or_default();
        let blank = if next.starts_with(b"\r\n") {
            Some(2)
        } else if next.starts_with(b"\n") {
            Some(1)
        } else {
            None
        };
        if let Some(n) = blank {
            let head_end = if nl > 0 && window.get(nl - 1) == Some(&b'\r') {
                nl - 1
            } else {
                nl
            };
            if head_end > max {
                return None;
            }
            return Some((data.get(..head_end)?, data.get(nl + 1 + n..)?));
        }
        i = nl + 1;
    }
    None
}

fn head_lines(head: &[u8]) -> Result<Vec<&str>> {
    let text = std::str::from_utf8(head).map_err(|_| mime_error("headers are not valid UTF-8"))?;
    if text.is_empty() {
        return Ok(Vec::new()); // a part without headers (RFC 2046 §5.1.1)
    }
    Ok(text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect())
}

/// `Name: value` lines, continuation lines (starting with space or tab) unfolded.
fn fold_headers(lines: &[&str], max: usize) -> Result<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.starts_with([' ', '\t']) {
            let last = out
                .last_mut()
                .ok_or_else(|| mime_error("a header continuation line comes first"))?;
            last.1.push(' ');
            last.1.push_str(line.trim());
            continue;
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| mime_error(format!("malformed header line {:?}", truncate(line))))?;
        if name.is_empty() || !name.bytes().all(is_token_char) {
            return Err(mime_error(format!(
                "malformed header name {:?}",
                truncate(name)
            )));
        }
        if out.len() >= max {
            return Err(mime_error(format!("more than {max} headers in a part")));
        }
        out.push((name.to_owned(), value.trim().to_owned()));
    }
    Ok(out)
}

fn truncate(s: &str) -> String {
    s.chars().take(60).collect()
}

fn parse_body<'a>(boundary: &str, body: &'a [u8]) -> Result<Vec<MimePart<'a>>> {
    let delim = format!("--{boundary}");
    let delim = delim.as_bytes();
    // Finds the next delimiter line at or after `from`: returns (start of the delimiter,
    // position after its line, whether it is the closing one).
    let next = |from: usize| -> Result<Option<(usize, usize, bool)>> {
        let mut i = from;
        while let Some(p) = find(body, delim, i) {
            let at_line_start = p == 0 || body.get(p - 1) == Some(&b'\n');
            let after = p + delim.len();
            if at_line_start {
                let rest = body.get(after..).unwrap_or_default();
                if rest.starts_with(b"--") {
                    return Ok(Some((p, after + 2, true)));
                }
                let pad = rest
                    .iter()
                    .position(|&b| b != b' ' && b != b'\t')
                    .unwrap_or(rest.len());
                let tail = rest.get(pad..).unwrap_or_default();
                if tail.starts_with(b"\r\n") {
                    return Ok(Some((p, after + pad + 2, false)));
                }
                if tail.starts_with(b"\n") {
                    return Ok(Some((p, after + pad + 1, false)));
                }
                if tail.is_empty() {
                    return Err(mime_error("truncated: the message ends on a delimiter"));
                }
            }
            i = p + 1;
        }
        Ok(None)
    };
    let (_, mut content_start, closing) =
        next(0)?.ok_or_else(|| mime_error("no delimiter line: wrong boundary or not multipart"))?;
    if closing {
        return Err(mime_error("the message has no part"));
    }
    let mut parts = Vec::new();
    loop {
        let (delim_at, after, closing) =
            next(content_start)?.ok_or_else(|| mime_error("truncated: no closing delimiter"))?;
        // The line break before the delimiter belongs to the delimiter.
        let mut end = delim_at.saturating_sub(1);
        if end > 0 && body.get(end - 1) == Some(&b'\r') {
            end -= 1;
        }
        let end = end.max(content_start);
        let raw = body.get(content_start..end).unwrap_or_default();
        if parts.len() >= MAX_PARTS {
            return Err(mime_error(format!("more than {MAX_PARTS} parts")));
        }
        parts.push(read_part(raw, parts.len())?);
        if closing {
            break;
        }
        content_start = after;
    }
    Ok(parts)
}

fn read_part(raw: &[u8], index: usize) -> Result<MimePart<'_>> {
    let (head, content) = split_headers(raw, MAX_PART_HEADER_BYTES).ok_or_else(|| {
        mime_error(format!(
            "part {index}: no blank line after the headers (or more than {MAX_PART_HEADER_BYTES} \
             bytes of headers)"
        ))
    })?;
    let in_part = |e: Error| match e {
        Error::Data { message, .. } => mime_error(format!("part {index}: {message}")),
        other => other,
    };
    let lines = head_lines(head).map_err(in_part)?;
    let headers = fold_headers(&lines, MAX_PART_HEADERS).map_err(in_part)?;
    // A header that decides how the part is read or bound must be there once: with two
    // Content-IDs a reader would bind the first and another reader the last.
    for name in ["content-id", "content-type", "content-transfer-encoding"] {
        let n = headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .count();
        if n > 1 {
            return Err(mime_error(format!(
                "part {index}: {n} {} headers (at most one)",
                canonical_header_name(name)
            )));
        }
    }
    let get = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let encoding = get("content-transfer-encoding").map(|e| e.to_ascii_lowercase());
    let bytes = match encoding.as_deref() {
        None | Some("binary" | "8bit" | "7bit") => Cow::Borrowed(content),
        Some("base64") => {
            let clean: Vec<u8> = content
                .iter()
                .copied()
                .filter(|b| !b.is_ascii_whitespace())
                .collect();
            Cow::Owned(
                base64::engine::general_purpose::STANDARD
                    .decode(clean)
                    .map_err(|e| mime_error(format!("part {index}: bad base64: {e}")))?,
            )
        }
        Some(other) => {
            return Err(mime_error(format!(
                "part {index}: unsupported Content-Transfer-Encoding {other}"
            )))
        }
    };
    Ok(MimePart {
        content_id: get("content-id").map(|c| strip_angle(&c).to_owned()),
        content_type: get("content-type"),
        headers,
        bytes,
    })
}

fn canonical_header_name(lower: &str) -> &str {
    match lower {
        "content-id" => "Content-ID",
        "content-type" => "Content-Type",
        "content-transfer-encoding" => "Content-Transfer-Encoding",
        other => other,
    }
}

/// First occurrence of `needle` in `hay` at or after `from`.
fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    memchr::memmem::find(hay.get(from..)?, needle).map(|p| from + p)
}

fn mime_error(message: impl Into<String>) -> Error {
    Error::data("mime", 0, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `envelope` with the `xop:Include` hrefs its builder claims.
    fn assembled<'a>(envelope: &'a str, includes: &[&str]) -> Assembled<'a> {
        Assembled {
            bytes: envelope.as_bytes(),
            includes: includes.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    /// A SOAP 1.2 envelope with one `xop:Include`, of `cid:a@b`.
    fn envelope() -> String {
        format!(
            "<s:Envelope xmlns:s=\"{}\"><s:Body><x:Include xmlns:x=\"{XOP_NS}\" \
             href=\"cid:a@b\"/></s:Body></s:Envelope>",
            super::super::SOAP12_NS
        )
    }

    /// An assembled envelope gives the message an envelope read whole gives; the head and the
    /// parts are still checked against it.
    #[test]
    fn an_assembled_envelope_is_taken_as_it_says() {
        let env = envelope();
        let (boundary, action) = ("MIMEBoundary_1", "urn:ihe:iti:2007:Test");
        let finish = |mut w: MtomWriter| {
            w.part("a@b", "text/xml", |o| {
                o.extend_from_slice(b"<d/>");
                Ok(())
            })
            .unwrap();
            w.finish().unwrap().0.body
        };
        let read = MtomWriter::start("/p", env.as_bytes(), boundary, action, 64).unwrap();
        let taken =
            MtomWriter::start_assembled("/p", assembled(&env, &["cid:a@b"]), boundary, action, 64)
                .unwrap();
        assert_eq!(finish(read), finish(taken));
        let start = |parts: &[(&str, &str)]| {
            let mut out = Vec::new();
            let at = assembled(&env, &["cid:a@b"]);
            MtomStream::start_assembled(&mut out, "/p", at, boundary, action, parts)
                .map(drop)
                .map_err(|e| e.to_string())
        };
        assert_eq!(start(&[("a@b", "text/xml")]), Ok(()));
        let twice = start(&[("a@b", "text/xml"), ("a@b", "text/xml")]).unwrap_err();
        assert!(twice.contains("parts[1]"), "{twice}");
        let missing = start(&[("c@d", "text/xml")]).unwrap_err();
        assert!(missing.contains("names no part"), "{missing}");
        let path =
            MtomWriter::start_assembled("p", assembled(&env, &["cid:a@b"]), boundary, action, 0)
                .unwrap_err()
                .to_string();
        assert!(path.contains("must start with /"), "{path}");
    }

    /// Debug builds (the tests) read an assembled envelope anyway: one whose includes are not
    /// the ones it claims is a bug of its builder, caught at once.
    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "an assembled envelope that is not what its builder says")]
    fn an_assembled_envelope_that_claims_other_includes_is_caught_in_debug_builds() {
        let env = envelope();
        let at = assembled(&env, &["cid:other@b"]);
        let _ = MtomWriter::start_assembled("/p", at, "MIMEBoundary_1", "urn:x:y", 0);
    }

    #[test]
    fn content_type_parameters() {
        let ct = ContentType::parse(
            "Multipart/Related; boundary=\"a\\\"b\"; type=application/xop+xml;start=\"<x@y>\";",
        )
        .unwrap();
        assert_eq!(ct.media_type, "multipart/related");
        assert_eq!(ct.param("BOUNDARY"), Some("a\"b"));
        assert_eq!(ct.param("type"), Some("application/xop+xml"));
        assert_eq!(ct.param("start"), Some("<x@y>"));
        assert!(ContentType::parse("multipart/related; boundary=\"open").is_err());
        assert!(ContentType::parse("").is_err());
        assert!(ContentType::parse("a/b; novalue").is_err());
    }

    #[test]
    fn find_and_percent() {
        assert_eq!(find(b"abcabd", b"abd", 0), Some(3));
        assert_eq!(find(b"ab", b"abc", 0), None);
        assert_eq!(find(b"ab", b"", 0), None);
        assert_eq!(href_cid("cid:a%40urn%3Aihe"), "a@urn:ihe");
        assert_eq!(href_cid("CID:x%4"), "x%4");
        assert_eq!(cid_href("a b@c/d"), "cid:a%20b@c%2Fd");
    }

    #[test]
    fn split_headers_variants() {
        assert_eq!(
            split_headers(b"A: 1\r\n\r\nbody", 100),
            Some((&b"A: 1"[..], &b"body"[..]))
        );
        assert_eq!(
            split_headers(b"A: 1\n\nbody", 100),
            Some((&b"A: 1"[..], &b"body"[..]))
        );
        assert_eq!(
            split_headers(b"\r\nbody", 100),
            Some((&b""[..], &b"body"[..]))
        );
        assert_eq!(split_headers(b"A: 1\r\nB", 100), None);
        assert_eq!(split_headers(b"AAAAAAAAAA: 1\r\n\r\nb", 4), None);
    }
}

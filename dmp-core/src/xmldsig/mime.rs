//! A small MIME multipart splitter for SOAP messages with MTOM/XOP attachments.

use base64::Engine as _;

use crate::error::{Error, Result};

const SOURCE: &str = "mime";
/// Most parts accepted in one message.
const MAX_PARTS: usize = 1000;

/// One part of a multipart message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MimePart {
    /// `Content-ID` without the angle brackets.
    pub content_id: Option<String>,
    /// `Content-Type` as written.
    pub content_type: Option<String>,
    /// The body, transfer encoding removed (`base64` decoded).
    pub body: Vec<u8>,
}

/// A multipart message split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Multipart {
    /// The parts, in message order.
    pub parts: Vec<MimePart>,
    /// Index of the root part: the one named by the `start` parameter of the message's
    /// `Content-Type` when it has headers, else the first.
    pub root: usize,
}

/// Splits a MIME multipart message.
///
/// Returns `None` when `input` is not MIME: it neither starts (after white space) with a
/// boundary line `--…` nor with header lines (`Name: value`) that include a `multipart`
/// `Content-Type` with a `boundary`. Line ends may be CRLF or LF. Transfer encodings
/// `binary`, `8bit`, `7bit` (kept as is) and `base64` (decoded) are read; others
/// (`quoted-printable`) are refused. Errors name what is broken (no closing boundary, a
/// part without a blank line after its headers, bad base64).
pub fn split_multipart(input: &[u8]) -> Result<Option<Multipart>> {
    let start = input
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(input.len());
    let text = input.get(start..).unwrap_or_default();
    let (boundary, body, root_cid) = if text.starts_with(b"--") {
        let line_end = text.iter().position(|&b| b == b'\n').unwrap_or(text.len());
        let line = trim_cr(text.get(2..line_end).unwrap_or_default());
        if line.is_empty() || line.iter().any(|b| b.is_ascii_whitespace() && *b != b' ') {
            return Ok(None);
        }
        (line.to_vec(), text, None)
    } else if looks_like_header(text) {
        let (headers, rest) = match split_headers(text) {
            Some(x) => x,
            None => return Ok(None),
        };
        let Some(ct) = header(&headers, "content-type") else {
            return Ok(None);
        };
        if !ct
            .trim_start()
            .to_ascii_lowercase()
            .starts_with("multipart/")
        {
            return Ok(None);
        }
        let Some(b) = parameter(&ct, "boundary") else {
            return Err(Error::data(
                SOURCE,
                1,
                "multipart Content-Type without boundary",
            ));
        };
        let root = parameter(&ct, "start").map(|s| strip_angle(&s).to_owned());
        (b.into_bytes(), rest, root)
    } else {
        return Ok(None);
    };
    let mut delimiter = b"--".to_vec();
    delimiter.extend_from_slice(&boundary);

    // Positions of delimiter lines: at the start of the body or after a line feed.
    let mut marks = Vec::new();
    let mut i = 0;
    while let Some(found) = find(body.get(i..).unwrap_or_default(), &delimiter) {
        let at = i + found;
        if at == 0 || body.get(at - 1) == Some(&b'\n') {
            marks.push(at);
            if marks.len() > MAX_PARTS + 1 {
                return Err(Error::data(
                    SOURCE,
                    0,
                    format!("more than {MAX_PARTS} parts"),
                ));
            }
        }
        i = at + delimiter.len();
    }
    let mut parts = Vec::new();
    let mut closed = false;
    for (k, &m) in marks.iter().enumerate() {
        let after = m + delimiter.len();
        if body.get(after..after + 2) == Some(b"--") {
            closed = true;
            break;
        }
        let Some(next) = marks.get(k + 1).copied() else {
            break;
        };
        let line_end = body
            .get(after..next)
            .and_then(|s| s.iter().position(|&b| b == b'\n'))
            .map_or(next, |p| after + p + 1);
        // The body ends before the line break that precedes the next delimiter.
        let mut end = next;
        if end > line_end && body.get(end - 1) == Some(&b'\n') {
            end -= 1;
            if end > line_end && body.get(end - 1) == Some(&b'\r') {
                end -= 1;
            }
        }
        let raw = body.get(line_end..end.max(line_end)).unwrap_or_default();
        parts.push(parse_part(raw, parts.len() + 1)?);
    }
    if !closed {
        return Err(Error::data(
            SOURCE,
            0,
            "no closing boundary: the multipart message is truncated",
        ));
    }
    if parts.is_empty() {
        return Err(Error::data(SOURCE, 0, "a multipart message without parts"));
    }
    let root = match root_cid {
        Some(cid) => parts
            .iter()
            .position(|p| p.content_id.as_deref() == Some(cid.as_str()))
            .ok_or_else(|| {
                Error::data(
                    SOURCE,
                    0,
                    format!("the start part <{cid}> is not in the message"),
                )
            })?,
        None => 0,
    };
    Ok(Some(Multipart { parts, root }))
}

fn trim_cr(s: &[u8]) -> &[u8] {
    let s = s.strip_suffix(b"\r").unwrap_or(s);
    let end = s.iter().rposition(|b| *b != b' ').map_or(0, |p| p + 1);
    s.get(..end).unwrap_or_default()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

fn looks_like_header(text: &[u8]) -> bool {
    let line_end = text.iter().position(|&b| b == b'\n').unwrap_or(text.len());
    let line = text.get(..line_end).unwrap_or_default();
    match line.iter().position(|&b| b == b':') {
        Some(p) if p > 0 => line
            .get(..p)
            .is_some_and(|n| n.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-')),
        _ => false,
    }
}

/// Splits header lines from the body at the first blank line; unfolds continuation lines.
/// Header lines: lower-cased name, value.
type Headers = Vec<(String, String)>;

fn split_headers(text: &[u8]) -> Option<(Headers, &[u8])> {
    let mut headers: Headers = Vec::new();
    let mut pos = 0;
    loop {
        let rest = text.get(pos..)?;
        let nl = rest.iter().position(|&b| b == b'\n')?;
        let line = trim_cr(rest.get(..nl)?);
        pos += nl + 1;
        if line.is_empty() {
            return Some((headers, text.get(pos..).unwrap_or_default()));
        }
        let line = String::from_utf8_lossy(line);
        if line.starts_with([' ', '\t']) {
            if let Some(last) = headers.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
            continue;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
}

fn header(headers: &[(String, String)], name: &str) -> Option<String> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
}

/// A parameter of a header value (`boundary="…"`), unquoted.
fn parameter(value: &str, name: &str) -> Option<String> {
    let mut rest = value;
    while let Some(semi) = rest.find(';') {
        rest = rest.get(semi + 1..)?;
        let trimmed = rest.trim_start();
        let Some((key, tail)) = trimmed.split_once('=') else {
            continue;
        };
        if !key.trim().eq_ignore_ascii_case(name) {
            continue;
        }
        let tail = tail.trim_start();
        return Some(match tail.strip_prefix('"') {
            Some(q) => q.split('"').next().unwrap_or("").to_owned(),
            None => tail.split(';').next().unwrap_or("").trim().to_owned(),
        });
    }
    None
}

fn strip_angle(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix('<')
        .and_then(|s| s.strip_suffix('>'))
        .unwrap_or(s)
}

fn parse_part(raw: &[u8], n: usize) -> Result<MimePart> {
    let (headers, body) = if raw.starts_with(b"\r\n") || raw.starts_with(b"\n") {
        let skip = if raw.starts_with(b"\r\n") { 2 } else { 1 };
        (Vec::new(), raw.get(skip..).unwrap_or_default())
    } else {
        split_headers(raw).ok_or_else(|| {
            Error::data(
                SOURCE,
                0,
                format!("part {n}: no blank line after the headers"),
            )
        })?
    };
    let encoding = header(&headers, "content-transfer-encoding")
        .map(|e| e.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let body = match encoding.as_str() {
        "" | "binary" | "8bit" | "7bit" => body.to_vec(),
        "base64" => {
            let compact: Vec<u8> = body
                .iter()
                .copied()
                .filter(|b| !b.is_ascii_whitespace())
                .collect();
            base64::engine::general_purpose::STANDARD
                .decode(compact)
                .map_err(|e| Error::data(SOURCE, 0, format!("part {n}: bad base64 ({e})")))?
        }
        other => {
            return Err(Error::data(
                SOURCE,
                0,
                format!("part {n}: unsupported Content-Transfer-Encoding {other:?}"),
            ))
        }
    };
    Ok(MimePart {
        content_id: header(&headers, "content-id").map(|c| strip_angle(&c).to_owned()),
        content_type: header(&headers, "content-type"),
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_lf_and_crlf_messages() {
        for nl in ["\n", "\r\n"] {
            let msg = format!(
                "--b1{nl}Content-Type: application/xop+xml{nl}Content-ID: <root@x>{nl}{nl}<a/>{nl}\
                 --b1{nl}Content-ID: <p2>{nl}Content-Transfer-Encoding: base64{nl}{nl}aGVs{nl}bG8={nl}--b1--{nl}"
            );
            let m = split_multipart(msg.as_bytes()).unwrap().unwrap();
            assert_eq!(m.parts.len(), 2);
            assert_eq!(m.root, 0);
            assert_eq!(m.parts[0].body, b"<a/>");
            assert_eq!(m.parts[0].content_id.as_deref(), Some("root@x"));
            assert_eq!(m.parts[1].body, b"hello");
        }
    }

    #[test]
    fn headers_and_start() {
        let msg = "Content-Type: multipart/related; boundary=\"xx\"; start=\"<b>\"\r\n\r\n\
                   --xx\r\nContent-ID: <a>\r\n\r\nA\r\n--xx\r\nContent-ID: <b>\r\n\r\nB\r\n--xx--";
        let m = split_multipart(msg.as_bytes()).unwrap().unwrap();
        assert_eq!(m.root, 1);
        assert_eq!(m.parts[1].body, b"B");
    }

    #[test]
    fn not_mime_and_broken() {
        assert_eq!(split_multipart(b"<a/>").unwrap(), None);
        assert_eq!(split_multipart(b"  \n<a>--x</a>").unwrap(), None);
        assert!(split_multipart(b"--b\n\nA\n--b\n\nB").is_err());
        assert!(
            split_multipart(b"--b\nContent-Transfer-Encoding: quoted-printable\n\nA\n--b--")
                .is_err()
        );
        assert!(split_multipart(b"--b\nno blank line\n--b--").is_err());
    }
}

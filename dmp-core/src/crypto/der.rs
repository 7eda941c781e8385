//! The few DER and PEM helpers the crypto module needs: a bounded TLV reader (names, PKCS#8
//! headers), OID decoding, a PEM block splitter and hex. Every function returns an error on
//! malformed input; none panics.

use base64::Engine as _;

use crate::error::{Error, Result};

/// Universal tags used here.
pub(crate) const TAG_INTEGER: u8 = 0x02;
pub(crate) const TAG_OCTET_STRING: u8 = 0x04;
pub(crate) const TAG_OID: u8 = 0x06;
pub(crate) const TAG_SEQUENCE: u8 = 0x30;
pub(crate) const TAG_SET: u8 = 0x31;

/// One DER element: its tag, its content and its whole encoding (tag, length, content).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tlv<'a> {
    pub tag: u8,
    pub content: &'a [u8],
    pub encoded: &'a [u8],
}

/// Reads one DER element from the front of `input`; returns it and the rest.
///
/// Single-byte tags only (every tag of X.509 names and PKCS#8 is one); definite lengths only.
pub(crate) fn read_tlv<'a>(input: &'a [u8], what: &str) -> Result<(Tlv<'a>, &'a [u8])> {
    let bad = |why: &str| Error::crypto("certificate", format!("{what}: malformed DER ({why})"));
    let (&tag, after_tag) = input.split_first().ok_or_else(|| bad("truncated tag"))?;
    if tag & 0x1f == 0x1f {
        return Err(bad("multi-byte tag"));
    }
    let (&first, after_len) = after_tag
        .split_first()
        .ok_or_else(|| bad("truncated length"))?;
    let (len, body) = if first < 0x80 {
        (usize::from(first), after_len)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 {
            return Err(bad("indefinite length"));
        }
        if n > 4 || after_len.len() < n {
            return Err(bad("length too long"));
        }
        let (len_bytes, body) = after_len.split_at(n);
        let len = len_bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, body)
    };
    if body.len() < len {
        return Err(bad("content shorter than its length"));
    }
    let header_len = input.len() - body.len();
    let (content, rest) = body.split_at(len);
    let encoded = &input[..header_len + len];
    Ok((
        Tlv {
            tag,
            content,
            encoded,
        },
        rest,
    ))
}

/// Reads one element that must carry `tag`.
pub(crate) fn expect_tlv<'a>(input: &'a [u8], tag: u8, what: &str) -> Result<(Tlv<'a>, &'a [u8])> {
    let (tlv, rest) = read_tlv(input, what)?;
    if tlv.tag != tag {
        return Err(Error::crypto(
            "certificate",
            format!(
                "{what}: malformed DER (tag 0x{:02x} where 0x{tag:02x} was expected)",
                tlv.tag
            ),
        ));
    }
    Ok((tlv, rest))
}

/// A PKCS#8 `PrivateKeyInfo` read: its `AlgorithmIdentifier`'s content and its
/// `privateKey` octets. The errors name the key (code `key`), not a certificate.
pub(crate) fn private_key_info(pkcs8: &[u8]) -> Result<(&[u8], &[u8])> {
    let what = "PKCS#8 private key";
    let read = || -> Result<(&[u8], &[u8])> {
        let (info, _) = expect_tlv(pkcs8, TAG_SEQUENCE, what)?;
        let (_version, rest) = expect_tlv(info.content, TAG_INTEGER, what)?;
        let (algorithm, rest) = expect_tlv(rest, TAG_SEQUENCE, what)?;
        let (key, _) = expect_tlv(rest, TAG_OCTET_STRING, what)?;
        Ok((algorithm.content, key.content))
    };
    read().map_err(key_error)
}

/// A DER error found in a private key, under the code `key` (the reader says `certificate`).
pub(crate) fn key_error(e: Error) -> Error {
    match e {
        Error::Crypto { message, .. } => Error::crypto("key", message),
        other => other,
    }
}

/// The dotted form of an OBJECT IDENTIFIER's content bytes (`2.5.4.3`).
pub(crate) fn oid_to_string(content: &[u8]) -> Result<String> {
    let bad = || Error::crypto("certificate", "malformed OBJECT IDENTIFIER".to_owned());
    if content.is_empty() || content.last().is_some_and(|b| b & 0x80 != 0) {
        return Err(bad());
    }
    let mut arcs: Vec<u64> = Vec::new();
    let mut value: u64 = 0;
    for &b in content {
        if value > (u64::MAX >> 7) {
            return Err(bad());
        }
        value = (value << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            arcs.push(value);
            value = 0;
        }
    }
    let first = arcs[0];
    let (a, b) = match first {
        0..=39 => (0, first),
        40..=79 => (1, first - 40),
        _ => (2, first - 80),
    };
    let mut out = format!("{a}.{b}");
    for arc in &arcs[1..] {
        out.push('.');
        out.push_str(&arc.to_string());
    }
    Ok(out)
}

/// Lower-case hexadecimal.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// Appends a DER length.
pub(crate) fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        // Fits in one byte by the test above.
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        let significant = &bytes[skip..];
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(significant);
    }
}

/// Appends a whole TLV.
pub(crate) fn push_tlv(out: &mut Vec<u8>, tag: u8, content: &[u8]) {
    out.push(tag);
    push_len(out, content.len());
    out.extend_from_slice(content);
}

/// One PEM block: its label (`CERTIFICATE`, `PRIVATE KEY`…) and its decoded bytes.
pub(crate) struct PemBlock {
    pub label: String,
    pub der: zeroize::Zeroizing<Vec<u8>>,
}

/// Splits PEM text into its blocks, in order. Text outside the blocks is ignored (as
/// openssl does: "Bag Attributes" lines, comments). A block with RFC 1421 headers
/// (`Proc-Type: 4,ENCRYPTED`) is refused: legacy encrypted PEM is not supported.
pub(crate) fn pem_blocks(text: &str) -> Result<Vec<PemBlock>> {
    let mut blocks = Vec::new();
    let mut lines = text.lines().map(str::trim);
    while let Some(line) = lines.next() {
        let Some(label) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        else {
            continue;
        };
        let end = format!("-----END {label}-----");
        let mut body = zeroize::Zeroizing::new(String::new());
        let mut closed = false;
        for line in lines.by_ref() {
            if line == end {
                closed = true;
                break;
            }
            if line.contains(':') {
                return Err(Error::crypto(
                    "pem",
                    format!(
                        "PEM block {label:?} has RFC 1421 headers (legacy encrypted PEM); \
                         convert it to unencrypted PKCS#8 or use a PKCS#12 file"
                    ),
                ));
            }
            body.push_str(line);
        }
        if !closed {
            return Err(Error::crypto(
                "pem",
                format!("PEM block {label:?} has no {end:?} line"),
            ));
        }
        let der = base64::engine::general_purpose::STANDARD
            .decode(body.as_bytes())
            .map_err(|e| {
                Error::crypto(
                    "pem",
                    format!("PEM block {label:?} is not valid base64: {e}"),
                )
            })?;
        blocks.push(PemBlock {
            label: label.to_owned(),
            der: zeroize::Zeroizing::new(der),
        });
    }
    Ok(blocks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oids_decode() {
        assert_eq!(oid_to_string(&[0x55, 0x04, 0x03]).unwrap(), "2.5.4.3");
        assert_eq!(
            oid_to_string(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01]).unwrap(),
            "1.2.840.113549.1.9.1"
        );
        assert_eq!(
            oid_to_string(&[0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19]).unwrap(),
            "0.9.2342.19200300.100.1.25"
        );
        assert!(oid_to_string(&[]).is_err());
        assert!(oid_to_string(&[0x55, 0x84]).is_err());
        assert!(oid_to_string(&[0xff; 40]).is_err());
    }

    #[test]
    fn tlv_reader_refuses_garbage_without_panicking() {
        for input in [
            &[][..],
            &[0x30],
            &[0x30, 0x80],
            &[0x30, 0x85, 1, 1, 1, 1, 1],
            &[0x30, 0x05, 1],
            &[0x1f, 0x01, 0x00],
            &[0x30, 0x82, 0x01],
        ] {
            assert!(read_tlv(input, "test").is_err(), "{input:?}");
        }
        let (tlv, rest) = read_tlv(&[0x04, 0x02, 0xaa, 0xbb, 0x05], "t").unwrap();
        assert_eq!(tlv.content, &[0xaa, 0xbb]);
        assert_eq!(tlv.encoded, &[0x04, 0x02, 0xaa, 0xbb]);
        assert_eq!(rest, &[0x05]);
    }

    #[test]
    fn lengths_encode() {
        let mut v = Vec::new();
        push_len(&mut v, 5);
        push_len(&mut v, 0x80);
        push_len(&mut v, 0x1234);
        assert_eq!(v, [0x05, 0x81, 0x80, 0x82, 0x12, 0x34]);
        let long = vec![7u8; 300];
        let mut enc = Vec::new();
        push_tlv(&mut enc, TAG_OCTET_STRING, &long);
        let (tlv, rest) = read_tlv(&enc, "t").unwrap();
        assert_eq!(tlv.content, &long[..]);
        assert!(rest.is_empty());
    }

    #[test]
    fn pem_blocks_split() {
        let text = "junk\n-----BEGIN A-----\nAAEC\n-----END A-----\nBag Attributes: x\n-----BEGIN B C-----\nAw==\n-----END B C-----\n";
        let blocks = pem_blocks(text).unwrap();
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].label, "A");
        assert_eq!(&blocks[0].der[..], &[0, 1, 2]);
        assert_eq!(blocks[1].label, "B C");
        assert_eq!(&blocks[1].der[..], &[3]);
        assert!(pem_blocks("-----BEGIN A-----\nAAEC\n").is_err());
        assert!(pem_blocks("-----BEGIN A-----\n!!!\n-----END A-----").is_err());
        assert!(
            pem_blocks("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n-----END RSA PRIVATE KEY-----")
                .is_err()
        );
        assert!(pem_blocks("no pem here").unwrap().is_empty());
    }
}

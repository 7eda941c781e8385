//! The B64 representation of a CDA body (and of the ITI-43 inline documents): base64 as
//! other software writes it, on one line or in lines, decoded at the speed of the base64
//! floor (`cda_base64` bench).

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;

/// Decodes a B64 body as [`read`](super::read) does (and the ITI-43 inline documents):
/// standard base64, ASCII white space ignored anywhere, in chunks (no stripped copy of the
/// whole text). Padding is optional but nothing may follow it. The error reads `not valid
/// base64: …` (callers say what was not). Public so that its speed can be measured against
/// the base64 floor (`cda_base64` bench).
///
/// Speed: a body on one line is decoded 64 KiB at a time straight from the text by our
/// table decoder (`decode_quanta`, faster than the base64 engine), with no scan (it
/// refuses anything but the alphabet, white space and padding included; the first window
/// that fails is done again the slow way, which tells white space from errors). A body in
/// lines of one length (76 characters, LF or CRLF, as most software writes it) is decoded
/// line by line straight from the text by the same decoder, only the line ends checked
/// (`decode_lines`). Otherwise the runs between white space are found 32 bytes at a time
/// (no branch per byte), a long run is decoded in bulk from the text, short runs are
/// gathered into a 64 KiB chunk with one copy each and decoded in bulk by the base64
/// engine, whose errors say what is wrong.
pub fn decode_base64(text: &str) -> std::result::Result<Vec<u8>, String> {
    const CHUNK: usize = 64 * 1024; // a multiple of 4
    const BLOCK: usize = 32;
    let engine = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let bad = |e: base64::DecodeError| format!("not valid base64: {e}");
    // The white space of `u8::is_ascii_whitespace`: space, tab, LF, form feed, CR.
    let is_ws = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | 0x0C | b'\r');
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3 + 3);
    let mut chunk: Vec<u8> = Vec::with_capacity(CHUNK + 4);
    // Decodes `data` but its last whole quantum and what follows (at least 4 bytes of data
    // are kept), and says how much it decoded. Padding inside the decoded part is refused by
    // the engine, and at its end it has data after it.
    let decode_head = |data: &[u8], out: &mut Vec<u8>| -> Result<usize, String> {
        let whole = data.len().saturating_sub(4) / 4 * 4;
        if whole > 0 && data.get(whole - 1) == Some(&b'=') {
            return Err("not valid base64: data after padding".to_owned());
        }
        engine
            .decode_vec(data.get(..whole).unwrap_or_default(), out)
            .map_err(bad)?;
        Ok(whole)
    };
    let mut at = bytes.iter().position(|&b| !is_ws(b)).unwrap_or(bytes.len());
    // A body on one line is decoded a window at a time straight from the text, the engine
    // checking every byte: nothing to scan. Once a window holds anything else (a line
    // break), the runs are scanned for the rest of the text.
    let mut optimistic = true;
    while at < bytes.len() {
        if optimistic && chunk.is_empty() {
            if let Some(window) = bytes.get(at..at + CHUNK) {
                let mark = out.len();
                out.resize(mark + CHUNK / 4 * 3, 0);
                if decode_quanta(window, out.get_mut(mark..).unwrap_or_default()) {
                    at += CHUNK;
                    continue;
                }
                out.truncate(mark);
            }
            optimistic = false;
            at = decode_lines(bytes, at, &mut out);
            if at >= bytes.len() {
                break;
            }
        }
        // The run of non-white-space from `at`.
        let mut end = at;
        while let Some(block) = bytes.get(end..end + BLOCK) {
            if block.iter().fold(false, |acc, &b| acc | (b <= b' ')) {
                break;
            }
            end += BLOCK;
        }
        while bytes.get(end).is_some_and(|&b| !is_ws(b)) {
            end += 1;
        }
        let run = bytes.get(at..end).unwrap_or_default();
        if chunk.is_empty() && run.len() >= CHUNK {
            let used = decode_head(run, &mut out)?;
            chunk.extend_from_slice(run.get(used..).unwrap_or_default());
        } else {
            chunk.extend_from_slice(run);
            if chunk.len() >= CHUNK {
                let used = decode_head(&chunk, &mut out)?;
                chunk.drain(..used);
            }
        }
        at = end;
        while bytes.get(at).is_some_and(|&b| is_ws(b)) {
            at += 1;
        }
    }
    engine.decode_vec(&chunk, &mut out).map_err(bad)?;
    Ok(out)
}

/// The wrapped-body fast path of [`decode_base64`]: from `at`, the start of a line, takes
/// the length of that line and its end (LF or CRLF) as the pattern and decodes the lines that
/// follow it exactly, a window at a time (64 KiB of text: the length must be a multiple of
/// 4), each line straight from the text onto `out` ([`decode_quanta`]). Returns where it
/// stopped: the first line that breaks the pattern, or the start of a window holding a byte
/// outside the alphabet (padding included), with `out` as it was before that window, so
/// that the general path takes over there and says what is wrong (or accepts white space
/// the pattern did not).
fn decode_lines(bytes: &[u8], at: usize, out: &mut Vec<u8>) -> usize {
    let rest = bytes.get(at..).unwrap_or_default();
    let Some(len) = rest.iter().take(LINES_WINDOW + 1).position(|&b| b <= b' ') else {
        return at;
    };
    if len == 0 || len % 4 != 0 {
        return at;
    }
    // 76 (MIME's length) spelled out: the line decode becomes straight code.
    match (rest.get(len..len + 2), len) {
        (Some(b"\r\n"), 76) => lines_of(bytes, at, 76, b"\r\n", out),
        (Some(b"\r\n"), _) => lines_of(bytes, at, len, b"\r\n", out),
        _ if rest.get(len) != Some(&b'\n') => at,
        (_, 76) => lines_of(bytes, at, 76, b"\n", out),
        _ => lines_of(bytes, at, len, b"\n", out),
    }
}

/// The window of [`decode_lines`], a multiple of 4.
const LINES_WINDOW: usize = 64 * 1024;

/// [`decode_lines`] for lines of `len` bytes ended by `eol` (its length a constant, so the
/// end check is one or two byte compares).
#[inline(always)]
fn lines_of<const E: usize>(
    bytes: &[u8],
    mut at: usize,
    len: usize,
    eol: &[u8; E],
    out: &mut Vec<u8>,
) -> usize {
    let stride = len + E;
    let decoded = len / 4 * 3;
    let per_window = LINES_WINDOW / len;
    loop {
        let text = bytes.get(at..).unwrap_or_default();
        let room = per_window.min(text.len() / stride);
        let mark = out.len();
        out.resize(mark + room * decoded, 0);
        let mut lines = 0;
        let mut valid = true;
        let fresh = out.get_mut(mark..).unwrap_or_default();
        for (to, line) in fresh
            .chunks_exact_mut(decoded)
            .zip(text.chunks_exact(stride))
        {
            match line.split_at_checked(len) {
                Some((data, end)) if end == eol => valid &= decode_quanta(data, to),
                _ => break,
            }
            lines += 1;
        }
        if !valid || lines == 0 {
            out.truncate(mark);
            return at;
        }
        out.truncate(mark + lines * decoded);
        at += lines * stride;
        if lines < per_window {
            return at;
        }
    }
}

/// Decodes whole quanta of base64 (no padding) from `text` into `out` (3 bytes for each 4
/// characters, `out` sized to match) and says whether they were all in the alphabet; if not,
/// `out` holds garbage. No branch per character: each character's 6 bits come from a table
/// of its own place in the quantum, already shifted there, with [`NOT_BASE64`] set for a
/// byte outside the alphabet, so that OR-ing them gives the 24 bits and the verdict.
#[inline(always)]
fn decode_quanta(text: &[u8], out: &mut [u8]) -> bool {
    let [t0, t1, t2, t3] = &QUANTUM_TABLES;
    let mut seen = 0;
    for (quantum, to) in text.chunks_exact(4).zip(out.chunks_exact_mut(3)) {
        let &[a, b, c, d] = quantum else { break };
        let v = t0[usize::from(a)] | t1[usize::from(b)] | t2[usize::from(c)] | t3[usize::from(d)];
        seen |= v;
        let [_, x, y, z] = v.to_be_bytes();
        to.copy_from_slice(&[x, y, z]);
    }
    seen & NOT_BASE64 == 0
}

/// The mark of a byte outside the base64 alphabet in [`QUANTUM_TABLES`], above the 24 bits
/// of a quantum.
const NOT_BASE64: u32 = 1 << 31;

/// For each place in a quantum, each byte's 6 bits shifted to that place, or [`NOT_BASE64`].
static QUANTUM_TABLES: [[u32; 256]; 4] = [
    quantum_table(18),
    quantum_table(12),
    quantum_table(6),
    quantum_table(0),
];

/// The standard base64 alphabet.
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

const fn quantum_table(shift: u32) -> [u32; 256] {
    let mut table = [NOT_BASE64; 256];
    let mut i = 0;
    while i < 64 {
        table[ALPHABET[i] as usize] = (i as u32) << shift;
        i += 1;
    }
    table
}

/// Encodes `data` as standard padded base64 into the start of `out` and returns the length
/// written (`None`, nothing written, when `out` is too short). The same bytes as the base64
/// engine's `encode_slice`, faster: 48 bytes at a time on AVX-512 VBMI (`cda::b64_vbmi`),
/// the rest (and everything elsewhere) by a table of character pairs. Public
/// so that its speed can be measured against the base64 floor (`cda_base64` bench).
pub fn encode_base64_into(data: &[u8], out: &mut [u8]) -> Option<usize> {
    let len = data.len().div_ceil(3).checked_mul(4)?;
    let out = out.get_mut(..len)?;
    #[cfg(target_arch = "x86_64")]
    let (data, out) = {
        let done = super::b64_vbmi::encode_blocks(data, out, ALPHABET);
        (data.get(done..)?, out.get_mut(done / 3 * 4..)?)
    };
    encode_by_table(data, out);
    Some(len)
}

/// The base64 of `data` into `out`, exactly as long as it (checked by the caller): 12 bits
/// at a time, each giving two characters from one table (8 KiB), 6 bytes read and 8
/// written per step.
fn encode_by_table(data: &[u8], out: &mut [u8]) {
    let pair = |i: u64| PAIRS[(i & 0xfff) as usize];
    let bulk = data.len() / 6;
    let (out_bulk, out_tail) = out.split_at_mut(bulk * 8);
    for (from, to) in data.chunks_exact(6).zip(out_bulk.chunks_exact_mut(8)) {
        let mut word = [0u8; 8];
        word[..6].copy_from_slice(from);
        let w = u64::from_be_bytes(word);
        let chars = u64::from(pair(w >> 52)) << 48
            | u64::from(pair(w >> 40)) << 32
            | u64::from(pair(w >> 28)) << 16
            | u64::from(pair(w >> 16));
        to.copy_from_slice(&chars.to_be_bytes());
    }
    // The last 0 to 5 bytes: whole groups of 3, then 1 or 2 bytes padded with `=`.
    let rest = data.get(bulk * 6..).unwrap_or_default();
    for (from, to) in rest.chunks(3).zip(out_tail.chunks_exact_mut(4)) {
        let n = from
            .iter()
            .enumerate()
            .fold(0u64, |n, (i, &b)| n | u64::from(b) << (16 - 8 * i));
        let [_, _, a, b, _, _, c, d] =
            (u64::from(pair(n >> 12)) << 32 | u64::from(pair(n))).to_be_bytes();
        let quantum = match from.len() {
            1 => [a, b, b'=', b'='],
            2 => [a, b, c, b'='],
            _ => [a, b, c, d],
        };
        to.copy_from_slice(&quantum);
    }
}

/// For each 12 bits, their two base64 characters (the first in the high byte).
static PAIRS: [u16; 4096] = {
    let mut table = [0u16; 4096];
    let mut i = 0;
    while i < 4096 {
        table[i] = (ALPHABET[i >> 6] as u16) << 8 | ALPHABET[i & 63] as u16;
        i += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use proptest::collection::vec;
    use proptest::prelude::*;
    use proptest::sample::{select, Index};

    use super::*;

    fn ours(data: &[u8]) -> String {
        let mut out = vec![b'#'; data.len().div_ceil(3) * 4 + 5];
        let n = encode_base64_into(data, &mut out).expect("room");
        assert_eq!(&out[n..], b"#####", "nothing written past the encoding");
        String::from_utf8(out[..n].to_vec()).expect("ASCII")
    }

    #[test]
    fn encoding_matches_the_engine_at_every_length_near_a_step() {
        let data: Vec<u8> = (0..=255u8).rev().chain(0..=255).chain(0..=7).collect();
        for len in (0..40).chain(500..520) {
            let d = &data[..len];
            assert_eq!(
                ours(d),
                base64::engine::general_purpose::STANDARD.encode(d),
                "{len}"
            );
        }
        let mut short = [0u8; 7];
        assert_eq!(
            encode_base64_into(b"abcdef", &mut short),
            None,
            "8 bytes needed"
        );
        assert_eq!(short, [0; 7], "nothing written when it does not fit");
    }

    proptest! {
        #[test]
        fn encoding_matches_the_engine(data in vec(any::<u8>(), 0..400)) {
            prop_assert_eq!(ours(&data), base64::engine::general_purpose::STANDARD.encode(&data));
        }

        /// The table encoder alone (what runs without AVX-512 VBMI, and on every tail).
        #[test]
        fn the_table_encoding_matches_the_engine(data in vec(any::<u8>(), 0..400)) {
            let mut out = vec![0u8; data.len().div_ceil(3) * 4];
            encode_by_table(&data, &mut out);
            let engine = base64::engine::general_purpose::STANDARD.encode(&data);
            prop_assert_eq!(out, engine.into_bytes());
        }
    }

    /// Every byte value at every place of a 48-byte block, blocks and tails of each length,
    /// and room for fewer blocks than the data holds.
    #[test]
    fn encoding_by_blocks_and_tails() {
        let data: Vec<u8> = (0..=255u8)
            .chain((0..=255).rev())
            .cycle()
            .take(5000)
            .collect();
        for len in (0..200).chain(4800..5000) {
            let d = &data[len % 7..][..len.min(data.len() - len % 7)];
            assert_eq!(
                ours(d),
                base64::engine::general_purpose::STANDARD.encode(d),
                "{len}"
            );
        }
        #[cfg(target_arch = "x86_64")]
        {
            let mut out = [0u8; 130];
            let done = crate::cda::b64_vbmi::encode_blocks(&data[..200], &mut out, ALPHABET);
            // Two blocks of room (128 of 130 bytes): two blocks encoded, none without VBMI.
            let vbmi = std::is_x86_feature_detected!("avx512f")
                && std::is_x86_feature_detected!("avx512bw")
                && std::is_x86_feature_detected!("avx512vbmi");
            assert_eq!(done, if vbmi { 96 } else { 0 });
            let engine = base64::engine::general_purpose::STANDARD.encode(&data[..done]);
            assert_eq!(&out[..done / 3 * 4], engine.as_bytes());
        }
    }

    #[test]
    fn base64_chunks_and_whitespace() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let b64 = base64::engine::general_purpose::STANDARD.encode(&data);
        let wrapped: String = b64
            .as_bytes()
            .chunks(76)
            .map(|l| format!("\r\n\t {}", std::str::from_utf8(l).unwrap()))
            .collect();
        assert_eq!(decode_base64(&wrapped).unwrap(), data);
        assert_eq!(decode_base64("QUJD").unwrap(), b"ABC");
        assert_eq!(decode_base64("QQ==").unwrap(), b"A");
        assert_eq!(decode_base64("QQ").unwrap(), b"A");
        assert_eq!(decode_base64("").unwrap(), b"");
        assert!(decode_base64("QQ==QUJD").is_err());
        assert!(decode_base64("QU!D").is_err());
        assert!(decode_base64("Q").is_err());
        assert!(decode_base64("QU\x0bJD").is_err());
        assert_eq!(decode_base64("QU\x0cJD \t").unwrap(), b"ABC");
        // Padding or data on either side of a 64 KiB chunk boundary.
        for at in [65_532, 65_536, 65_540] {
            let head = "QUJD".repeat(at / 4 - 1);
            let padded = format!("{head}QQ==\n \n");
            assert_eq!(decode_base64(&padded).unwrap().len(), (at / 4 - 1) * 3 + 1);
            let after = format!("{head}QQ==\nQUJD");
            assert!(decode_base64(&after).is_err(), "{at}");
            let spaced: String = format!("{head}QUJD")
                .chars()
                .flat_map(|c| [c, ' '])
                .collect();
            assert_eq!(decode_base64(&spaced).unwrap().len(), at / 4 * 3);
        }
    }

    /// The one-line path (64 KiB windows straight from the text) gives the same bytes and
    /// the same refusals as the scanning path it hands over to.
    #[test]
    fn base64_on_one_line_by_windows() {
        let data: Vec<u8> = (0..300_001u32).map(|i| (i * 7 % 253) as u8).collect();
        let b64 = base64::engine::general_purpose::STANDARD.encode(&data);
        assert_eq!(decode_base64(&b64).unwrap(), data);
        assert_eq!(decode_base64(&format!("\n  {b64}\r\n")).unwrap(), data);
        for cut in [1, 65_535, 65_536, 65_537, 131_072, 200_001] {
            // A line break anywhere: the slow path takes over.
            let broken = format!("{}\n{}", &b64[..cut], &b64[cut..]);
            assert_eq!(decode_base64(&broken).unwrap(), data, "{cut}");
            // A foreign byte or a padding inside a window: refused.
            let bad = format!("{}!{}", &b64[..cut], &b64[cut + 1..]);
            assert!(decode_base64(&bad).is_err(), "{cut}");
        }
        // Padding that ends a window and data after it.
        let head = "QUJD".repeat(65_536 / 4 - 1);
        assert_eq!(
            decode_base64(&format!("{head}QQ==")).unwrap().len(),
            (65_536 / 4 - 1) * 3 + 1
        );
        assert!(decode_base64(&format!("{head}QQ==QUJD")).is_err());
        assert!(decode_base64(&format!("{head}QUJDQQ==QUJD")).is_err());
    }

    /// `b64` in lines of `len` characters (the last one shorter), each after `eol`, and
    /// `eol` at the end.
    fn wrap(b64: &str, len: usize, eol: &str) -> String {
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(len)
            .map(|l| std::str::from_utf8(l).unwrap())
            .collect();
        format!("{eol}{}{eol}", lines.join(eol))
    }

    /// `len` pseudo-random bytes of every value (xorshift), the same on every run.
    fn noise(len: usize, seed: u64) -> Vec<u8> {
        let mut x = seed | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 56) as u8
            })
            .collect()
    }

    fn standard(data: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(data)
    }

    /// What [`decode_base64`] must give: the base64 engine (padding optional) on the text
    /// stripped of its white space.
    fn oracle(text: &str) -> std::result::Result<Vec<u8>, String> {
        let stripped: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        GeneralPurpose::new(
            &base64::alphabet::STANDARD,
            GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
        )
        .decode(stripped)
        .map_err(|e| format!("not valid base64: {e}"))
    }

    /// The quantum decoder, byte by byte: every value in every place of a quantum is
    /// accepted exactly when it is in the alphabet (padding refused), and then decodes as
    /// the base64 engine does.
    #[test]
    fn base64_quanta_by_tables() {
        // The crate's alphabet, not a copy of ours: a wrong table entry must show.
        let alphabet = base64::alphabet::STANDARD.as_str().as_bytes();
        for place in 0..4 {
            for byte in 0..=255u8 {
                let mut quantum = *b"QUJD";
                quantum[place] = byte;
                let mut out = [0u8; 3];
                let valid = decode_quanta(&quantum, &mut out);
                assert_eq!(valid, alphabet.contains(&byte), "{place} {byte}");
                if valid {
                    let expected = base64::engine::general_purpose::STANDARD
                        .decode(quantum)
                        .unwrap();
                    assert_eq!(out.as_slice(), expected, "{place} {byte}");
                }
            }
        }
        // A bad byte anywhere in a long run is seen, whatever came before or after.
        let text = standard(&noise(57 * 30, 7));
        for at in [0, 1, 75, 76, 1_000, text.len() - 1] {
            for bad in [b'=', b'!', b' ', b'\n', 0x80, 0] {
                let mut bytes = text.clone().into_bytes();
                bytes[at] = bad;
                let mut out = vec![0; text.len() / 4 * 3];
                assert!(!decode_quanta(&bytes, &mut out), "{at} {bad}");
            }
        }
    }

    /// Random bytes of every length from 0 to 300 and some large ones, wrapped at lengths
    /// that are and are not multiples of 4 (the last line shorter), LF or CRLF: the bytes
    /// come back.
    #[test]
    fn base64_wrapped_at_any_length() {
        for size in (0..300).chain([65_536 / 4 * 3 + 5, 200_003]) {
            let data = noise(size, size as u64);
            let b64 = standard(&data);
            for len in [4, 8, 12, 64, 76, 80, 100, 6, 75, 77] {
                for eol in ["\n", "\r\n"] {
                    let text = wrap(&b64, len, eol);
                    assert_eq!(decode_base64(&text).unwrap(), data, "{size} {len} {eol:?}");
                }
            }
        }
        // Lines of mixed lengths: a change of length ends the pattern, the rest is decoded.
        let data = noise(100_000, 3);
        let b64 = standard(&data);
        let (mut text, mut at) = (String::new(), 0);
        for len in [76, 76, 64, 64, 64, 4, 76, 76, 80, 76].iter().cycle() {
            let Some(line) = b64
                .get(at..(at + len).min(b64.len()))
                .filter(|l| !l.is_empty())
            else {
                break;
            };
            text.push_str(line);
            text.push_str(if at % 3 == 0 { "\r\n" } else { "\n" });
            at += len;
        }
        assert_eq!(decode_base64(&text).unwrap(), data);
    }

    /// Padding only at the very end; inside, refused with the engine's message; a bad byte
    /// on any line refused; stray white space accepted: always what the engine says of the
    /// stripped text (one window of text: the general path decodes it in one call).
    #[test]
    fn base64_wrapped_refusals_and_white_space() {
        let data = noise(57 * 40, 11);
        let b64 = standard(&data);
        let lf = wrap(&b64, 76, "\n");
        let crlf = wrap(&b64, 76, "\r\n");
        // "=" and "==" at the end of the last line (lengths 1 and 2 modulo 3).
        for size in [57 * 40 - 2, 57 * 40 - 1] {
            let tail = noise(size, 5);
            let text = wrap(&standard(&tail), 76, "\r\n");
            assert!(text.ends_with("=\r\n"));
            assert_eq!(decode_base64(&text).unwrap(), tail);
            assert_eq!(decode_base64(&text.replace('=', "")).unwrap(), tail);
        }
        for (text, eol) in [(&lf, 1), (&crlf, 2)] {
            let stride = 76 + eol;
            for line in [0, 1, 17, 38] {
                let start = eol + line * stride;
                // Padding at the end of line N, more lines after it.
                let padded = format!("{}=={}", &text[..start + 74], &text[start + 76..]);
                let e = decode_base64(&padded).unwrap_err();
                assert_eq!(Err(e.clone()), oracle(&padded), "{line}");
                assert!(
                    e.contains("Invalid symbol 61") || e.contains("after padding"),
                    "{e}"
                );
                // A foreign byte on line N (é, two bytes, in place of two).
                for bad in ["!", "-", "_", "\u{b}", "é"] {
                    let end = start + 30 + bad.len();
                    let broken = format!("{}{bad}{}", &text[..start + 30], &text[end..]);
                    let e = decode_base64(&broken).unwrap_err();
                    assert_eq!(Err(e), oracle(&broken), "{line} {bad:?}");
                }
                // Stray spaces, tabs, a form feed, a CR without LF, an empty line.
                for stray in [" ", "\t", " \t ", "\x0c", "\r", "\n"] {
                    for col in [0, 1, 40, 76] {
                        let at = start + col;
                        let spaced = format!("{}{stray}{}", &text[..at], &text[at..]);
                        assert_eq!(decode_base64(&spaced).unwrap(), data, "{line} {stray:?}");
                    }
                }
            }
        }
        // The exact message of a foreign byte: its offset in the stripped text.
        let bad = format!("{}!{}", &lf[..1 + 3 * 77 + 10], &lf[1 + 3 * 77 + 11..]);
        assert_eq!(
            decode_base64(&bad).unwrap_err(),
            "not valid base64: Invalid symbol 33, offset 238."
        );
        let padded = format!("{}=={}", &crlf[..2 + 5 * 78 + 74], &crlf[2 + 5 * 78 + 76..]);
        assert_eq!(
            decode_base64(&padded).unwrap_err(),
            "not valid base64: Invalid symbol 61, offset 454."
        );
    }

    /// The edits of `base64_wrapped_like_the_engine`: white space, padding, a foreign
    /// byte, a character of the alphabet.
    const EDITS: [char; 9] = ['=', '!', ' ', '\t', '\r', '\n', 'A', '/', '\x0b'];

    proptest! {
        /// Any wrapped text with a few bytes changed, inserted or removed (white space,
        /// padding, foreign bytes, alphabet): accepted exactly when the engine accepts the
        /// stripped text, with the same bytes.
        #[test]
        fn base64_wrapped_like_the_engine(
            data in vec(any::<u8>(), 0..3_000),
            len in 1usize..100,
            crlf in any::<bool>(),
            edits in vec((any::<Index>(), 0usize..3, select(EDITS.to_vec())), 0..3),
        ) {
            let mut text = wrap(&standard(&data), len, if crlf { "\r\n" } else { "\n" });
            for (at, op, c) in edits {
                let at = at.index(text.len() + 1);
                let mut buf = [0; 4];
                match op {
                    0 => text.insert(at, c),
                    1 if at < text.len() => text.replace_range(at..at + 1, c.encode_utf8(&mut buf)),
                    _ if at < text.len() => drop(text.remove(at)),
                    _ => {}
                }
            }
            let ours = decode_base64(&text);
            match oracle(&text) {
                Ok(bytes) => prop_assert_eq!(ours, Ok(bytes)),
                Err(_) => prop_assert!(ours.is_err()),
            }
        }
    }

    /// The wrapped path (lines of one length decoded by windows) gives the same bytes
    /// for LF and CRLF lines whatever the lengths of the body and the lines, and hands
    /// anything else to the general path: the same refusals, the same messages.
    #[test]
    fn base64_in_lines_by_windows() {
        // 65 536 / 76 = 862 lines a window: sizes either side of one and two windows.
        for size in [
            3 * 862 * 19 - 1,
            3 * 862 * 19,
            3 * 862 * 19 + 1,
            3 * 2 * 862 * 19 + 2,
        ] {
            let data: Vec<u8> = (0..size as u32).map(|i| (i * 13 % 251) as u8).collect();
            let b64 = base64::engine::general_purpose::STANDARD.encode(&data);
            for (len, eol) in [
                (76, "\r\n"),
                (76, "\n"),
                (64, "\r\n"),
                (64, "\n"),
                (70, "\n"),
            ] {
                let text = wrap(&b64, len, eol);
                assert_eq!(decode_base64(&text).unwrap(), data, "{size} {len} {eol:?}");
            }
        }
        let data: Vec<u8> = (0..400_000u32).map(|i| (i * 7 % 253) as u8).collect();
        let b64 = base64::engine::general_purpose::STANDARD.encode(&data);
        let (crlf, lf) = (wrap(&b64, 76, "\r\n"), wrap(&b64, 76, "\n"));
        // A line of another length, a blank line, a space inside a line, around the first
        // and second window edges (862 and 1 724 lines): the general path takes over.
        for line in [1, 861, 862, 863, 1_723, 1_724, 1_725] {
            let at = 2 + line * 78;
            for odd in ["\r\n\r\n", "\r\n ", " "] {
                let text = format!("{}{odd}{}", &crlf[..at], &crlf[at..]);
                assert_eq!(decode_base64(&text).unwrap(), data, "{line} {odd:?}");
            }
        }
        // A foreign byte in the first, second or last window: refused, saying which byte,
        // with the same message for LF and CRLF lines.
        for line in [0, 861, 862, 1_723, 5_000] {
            let (c, l) = (2 + line * 78 + 10, 1 + line * 77 + 10);
            let bad_crlf = format!("{}!{}", &crlf[..c], &crlf[c + 1..]);
            let bad_lf = format!("{}!{}", &lf[..l], &lf[l + 1..]);
            let e = decode_base64(&bad_crlf).unwrap_err();
            assert!(
                e.starts_with("not valid base64: Invalid symbol 33, offset "),
                "{e}"
            );
            assert_eq!(decode_base64(&bad_lf).unwrap_err(), e, "{line}");
        }
        // The whole message for a bad byte in the first window, as the general path said
        // it before the wrapped path existed.
        let bad = format!("{}!{}", &lf[..11], &lf[12..]);
        assert_eq!(
            decode_base64(&bad).unwrap_err(),
            "not valid base64: Invalid symbol 33, offset 10."
        );
        // Padding that ends a line, then more lines: refused, inside a window or at its end.
        for line in [3, 861] {
            let at = 1 + line * 77 + 74;
            let padded = format!("{}=={}", &lf[..at], &lf[at + 2..]);
            let e = decode_base64(&padded).unwrap_err();
            assert!(
                e == "not valid base64: data after padding"
                    || e.starts_with("not valid base64: Invalid symbol 61, offset "),
                "{line}: {e}"
            );
        }
    }
}

//! Base64 encoding of the CDA body on AVX-512 VBMI (x86-64 only), used by
//! [`super::b64::encode_base64_into`] when the processor has it; otherwise its table code
//! runs.
//!
//! Why: every byte of a fed document is encoded once, and the table encoder (about a byte
//! per cycle) was a fifth of a 1 MiB feed. Here 48 bytes become 64 characters in three
//! instructions (Muła and Lemire, "Base64 encoding and decoding at almost the speed of a
//! memory copy", 2019): a byte permutation puts each 3-byte group in a 32-bit lane as
//! `b a c b`, a multishift takes the four 6-bit fields out of it, a second permutation looks
//! each field up in the 64-character alphabet.
//!
//! `unsafe` here for three things, each under a `SAFETY` note: calling the
//! `avx512f,avx512bw,avx512vbmi` function once the processor is seen to have them, a masked
//! 48-byte load from a 48-byte chunk and a 64-byte store into a 64-byte chunk.
#![allow(unsafe_code)]

use std::arch::x86_64::{
    __m512i, _mm512_loadu_si512, _mm512_maskz_loadu_epi8, _mm512_multishift_epi64_epi8,
    _mm512_permutexvar_epi8, _mm512_set1_epi64, _mm512_setr_epi32, _mm512_storeu_si512,
};

/// Encodes the longest run of whole 48-byte blocks of `data` that `out` has room for (64
/// characters each) into the start of `out`; returns how many bytes of `data` it encoded
/// (0 without AVX-512 VBMI: the caller encodes everything).
pub(super) fn encode_blocks(data: &[u8], out: &mut [u8], alphabet: &[u8; 64]) -> usize {
    if !(std::is_x86_feature_detected!("avx512f")
        && std::is_x86_feature_detected!("avx512bw")
        && std::is_x86_feature_detected!("avx512vbmi"))
    {
        return 0;
    }
    // SAFETY: the processor has the three features (checked just above).
    unsafe { encode(data, out, alphabet) }
}

#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
fn encode(data: &[u8], out: &mut [u8], alphabet: &[u8; 64]) -> usize {
    // Lane j of 32 bits takes bytes 3j+1, 3j, 3j+2, 3j+1 (little-endian: b a c b).
    let spread = _mm512_setr_epi32(
        0x0102_0001,
        0x0405_0304,
        0x0708_0607,
        0x0a0b_090a,
        0x0d0e_0c0d,
        0x1011_0f10,
        0x1314_1213,
        0x1617_1516,
        0x191a_1819,
        0x1c1d_1b1c,
        0x1f20_1e1f,
        0x2223_2122,
        0x2526_2425,
        0x2829_2728,
        0x2b2c_2a2b,
        0x2e2f_2d2e,
    );
    // In each lane, the fields start at bits 10 (a >> 2), 4 (a, b), 22 (b, c) and 16 (c):
    // the byte taken from there holds the field in its low 6 bits, which the lookup uses.
    let fields = _mm512_set1_epi64(0x3036_242a_1016_040a);
    // SAFETY: 64 bytes read unaligned from a `[u8; 64]`; avx512f is enabled here.
    let table: __m512i = unsafe { _mm512_loadu_si512(alphabet.as_ptr().cast()) };
    let mut done = 0;
    for (from, to) in data.chunks_exact(48).zip(out.chunks_exact_mut(64)) {
        // SAFETY: only the 48 bytes the mask selects are read, all inside `from`
        // (`chunks_exact`); the masked-out bytes are not accessed (no fault, no read).
        let v = unsafe { _mm512_maskz_loadu_epi8((1 << 48) - 1, from.as_ptr().cast()) };
        let v = _mm512_permutexvar_epi8(spread, v);
        let v = _mm512_multishift_epi64_epi8(fields, v);
        let v = _mm512_permutexvar_epi8(v, table);
        // SAFETY: 64 bytes written unaligned into `to`, 64 bytes long (`chunks_exact_mut`).
        unsafe { _mm512_storeu_si512(to.as_mut_ptr().cast(), v) };
        done += 48;
    }
    done
}

//! The two CRT exponentiations of an RSA signature and its check with the public exponent,
//! on AVX-512 IFMA (x86-64 only), used by [`super::rsa_private`] when the processor has it;
//! otherwise the portable [`super::montgomery`] code runs.
//!
//! Why: RSA-SHA1 signs every DMP request, and safe scalar Rust cannot match ring's or
//! OpenSSL's assembly (mulx/adcx/adox). The 52-bit multiply-add of IFMA works on eight limbs
//! at once: numbers are in radix 2^52, `K` registers of 8 lanes, `L` limbs used, and the two
//! halves (mod p, mod q) run in one loop so that their dependency chains overlap. The check
//! (`s^e mod n`, a fault must not leak the key) runs alone: on the portable code it took a
//! fifth of the time of a signature whose exponentiations ran here.
//!
//! One of the two modules of the crate allowed `unsafe` (the other is `cda::b64_vbmi`), for
//! three things, each under a `SAFETY` note: calling the `avx512f,avx512ifma` functions once
//! [`IfmaKey::new`] has seen the CPU has them, and loading/storing 8 lanes from/to a
//! `[u64; 8]`. Constant time as the portable
//! code: no branch or memory index depends on a secret; the table is read whole; the final
//! carries use mask arithmetic.
#![allow(unsafe_code)]

use std::arch::x86_64::{
    __m512i, _mm512_add_epi64, _mm512_alignr_epi64, _mm512_and_si512, _mm512_castsi512_si128,
    _mm512_cmpeq_epu64_mask, _mm512_cmpgt_epu64_mask, _mm512_loadu_si512, _mm512_madd52hi_epu64,
    _mm512_madd52lo_epu64, _mm512_mask_add_epi64, _mm512_set1_epi64, _mm512_setzero_si512,
    _mm512_srli_epi64, _mm512_storeu_si512, _mm_cvtsi128_si64,
};

use zeroize::Zeroize;

use super::montgomery as mont;

/// The low 52 bits: one limb.
const MASK: u64 = (1 << 52) - 1;

/// `K` registers of eight 52-bit limbs.
type Lanes<const K: usize> = [[u64; 8]; K];

/// A modulus (a prime of the key, or the key's modulus for the check of a signature) in
/// radix 2^52, with its Montgomery constants (R = 2^(52·L)).
pub(crate) struct Modulus<const K: usize, const L: usize> {
    m: Lanes<K>,
    /// −m⁻¹ mod 2^52.
    k0: u64,
    /// R² mod m.
    rr: Lanes<K>,
}

impl<const K: usize, const L: usize> Drop for Modulus<K, L> {
    fn drop(&mut self) {
        self.m.zeroize();
        self.rr.zeroize();
    }
}

/// A key's primes `p`, `q` (`K`, `L`) and its modulus `n` (`KN`, `LN`).
pub(crate) struct Key<const K: usize, const L: usize, const KN: usize, const LN: usize> {
    primes: [Modulus<K, L>; 2],
    n: Modulus<KN, LN>,
}

/// A key at the register count its size needs.
pub(crate) enum IfmaKey {
    /// Primes up to 1024 bits (2048-bit keys): 20 limbs, the modulus 40.
    L20(Box<Key<3, 20, 5, 40>>),
    /// Up to 1536 bits (3072-bit keys): 30 limbs, the modulus 60.
    L30(Box<Key<4, 30, 8, 60>>),
    /// Up to 2048 bits (4096-bit keys): 40 limbs, the modulus 80.
    L40(Box<Key<5, 40, 10, 80>>),
}

impl IfmaKey {
    /// The key of primes `p`, `q` (`N` 64-bit limbs: 16, 24 or 32) and modulus `n` (`W` =
    /// `2·N` limbs); `None` when the processor lacks AVX-512 IFMA or for another size.
    pub(crate) fn new<const N: usize, const W: usize>(
        p: &mont::Modulus<N>,
        q: &mont::Modulus<N>,
        n: &mont::Modulus<W>,
    ) -> Option<Self> {
        if !(std::is_x86_feature_detected!("avx512f")
            && std::is_x86_feature_detected!("avx512ifma"))
        {
            return None;
        }
        let (rp, rq, rn) = (r_squared(p)?, r_squared(q)?, r_squared(n)?);
        let parts: [(&[u64], &[u64]); 3] = [(p.limbs(), &rp), (q.limbs(), &rq), (n.limbs(), &rn)];
        fn key<const K: usize, const L: usize, const KN: usize, const LN: usize>(
            [(p, rp), (q, rq), (n, rn)]: [(&[u64], &[u64]); 3],
        ) -> Box<Key<K, L, KN, LN>> {
            Box::new(Key {
                primes: [Modulus::new(p, rp), Modulus::new(q, rq)],
                n: Modulus::new(n, rn),
            })
        }
        Some(match N {
            16 => IfmaKey::L20(key(parts)),
            24 => IfmaKey::L30(key(parts)),
            32 => IfmaKey::L40(key(parts)),
            _ => return None,
        })
    }

    /// `x_p^d_p mod p` and `x_q^d_q mod q` for `x < p` (resp. q) in 64-bit limbs, written to
    /// `out` in 64-bit limbs: each result is below twice its prime, its top limb returned
    /// (the caller subtracts the prime once, by mask).
    pub(crate) fn pow(&self, x: [&[u64]; 2], d: [&[u64]; 2], out: [&mut [u64]; 2]) -> [u64; 2] {
        match self {
            // SAFETY: an `IfmaKey` exists only when `new` found avx512f and avx512ifma.
            IfmaKey::L20(k) => unsafe { pow2(&k.primes, x, d, out) },
            // SAFETY: as above.
            IfmaKey::L30(k) => unsafe { pow2(&k.primes, x, d, out) },
            // SAFETY: as above.
            IfmaKey::L40(k) => unsafe { pow2(&k.primes, x, d, out) },
        }
    }

    /// `s^e mod n` for `s < n` and a public exponent `e ≥ 2` (the check of a signature: not
    /// constant-time in `e`), written to `out` (`2·N` limbs): below `2·n`, its top limb
    /// returned as by [`pow`](Self::pow).
    pub(crate) fn pow_public(&self, s: &[u64], e: u64, out: &mut [u64]) -> u64 {
        match self {
            // SAFETY: as in `pow`.
            IfmaKey::L20(k) => unsafe { pow_public(&k.n, s, e, out) },
            // SAFETY: as above.
            IfmaKey::L30(k) => unsafe { pow_public(&k.n, s, e, out) },
            // SAFETY: as above.
            IfmaKey::L40(k) => unsafe { pow_public(&k.n, s, e, out) },
        }
    }
}

/// The limb count in radix 2^52 for a modulus of `n` 64-bit limbs (`None`: not handled):
/// `5·n/4`, so that R = 2^(52·L) = 2^(65·n) > 4·m, which the lazy reduction needs.
fn limbs(n: usize) -> Option<usize> {
    matches!(n, 16 | 24 | 32 | 48 | 64).then_some(5 * n / 4)
}

/// Our R² mod m (R = 2^(52·L), L = [`limbs`]`(N)`) in 64-bit limbs, from the portable
/// code's R' = 2^(64·N): 2^(104·L) = 2^(104·L − 128·N)·R'³·R'⁻¹, two of its products.
/// `None` for a size not handled here.
fn r_squared<const N: usize>(m: &mont::Modulus<N>) -> Option<[u64; N]> {
    let shift = (104 * limbs(N)?).checked_sub(128 * N)?;
    let mut x = [0u64; N];
    *x.get_mut(shift / 64)? = 1 << (shift % 64);
    Some(m.mul(&x, &m.mul(m.rr(), m.rr())))
}

impl<const K: usize, const L: usize> Modulus<K, L> {
    fn new(m: &[u64], rr: &[u64]) -> Self {
        let m52: Lanes<K> = pack(m);
        Modulus {
            m: m52,
            // −m⁻¹ mod 2^52 (from its inverse mod 2^64: the low 52 bits are the same).
            k0: mont::inverse_mod_2_64(m52[0][0]).wrapping_neg() & MASK,
            rr: pack(rr),
        }
    }
}

/// 64-bit limbs into radix-2^52 lanes (the value must fit `52·8·K` bits).
fn pack<const K: usize>(x: &[u64]) -> Lanes<K> {
    let mut out = [[0u64; 8]; K];
    for i in 0..8 * K {
        let (limb, off) = (i * 52 / 64, i * 52 % 64);
        let Some(&low) = x.get(limb) else { break };
        let mut v = low >> off;
        if off > 12 {
            v |= x.get(limb + 1).map_or(0, |&h| h << (64 - off));
        }
        out[i / 8][i % 8] = v & MASK;
    }
    out
}

/// Radix-2^52 lanes (each limb below 2^52) into `out`'s 64-bit limbs; the bits above them
/// are returned as one more limb.
fn unpack<const K: usize>(x: &Lanes<K>, out: &mut [u64]) -> u64 {
    let mut top = 0u64;
    let len = out.len();
    out.iter_mut().for_each(|o| *o = 0);
    for i in 0..8 * K {
        let v = x[i / 8][i % 8];
        let (limb, off) = (i * 52 / 64, i * 52 % 64);
        for (at, part) in [
            (limb, v << off),
            (limb + 1, if off > 12 { v >> (64 - off) } else { 0 }),
        ] {
            match out.get_mut(at) {
                Some(o) => *o |= part,
                None if at == len => top |= part,
                None => {}
            }
        }
    }
    top
}

#[inline(always)]
fn load<const K: usize>(x: &Lanes<K>) -> [__m512i; K] {
    // SAFETY: each row is eight u64, 64 bytes read unaligned; avx512f is enabled in every
    // caller (all are `#[target_feature]` functions reached only through `IfmaKey`).
    x.map(|row| unsafe { _mm512_loadu_si512(row.as_ptr().cast()) })
}

#[inline(always)]
fn store<const K: usize>(r: &[__m512i; K]) -> Lanes<K> {
    let mut x = [[0u64; 8]; K];
    for (row, v) in x.iter_mut().zip(r.iter()) {
        // SAFETY: 64 bytes written unaligned into a `[u64; 8]`; avx512f as in `load`.
        unsafe { _mm512_storeu_si512(row.as_mut_ptr().cast(), *v) };
    }
    x
}

/// `a·b·R⁻¹` modulo each of `H` moduli at once (the two primes: their dependency chains
/// overlap; or the key's modulus alone) in almost-Montgomery form: inputs below 2m, outputs
/// below 2m, limbs normalised to 52 bits. Each step adds `a·b_i` and the multiple `y·m` that
/// clears the lowest limb, then moves every lane down one (the lowest limb's carry kept).
#[target_feature(enable = "avx512f,avx512ifma")]
fn mul<const H: usize, const K: usize, const L: usize>(
    p: &[Modulus<K, L>; H],
    a: [&Lanes<K>; H],
    b: [&Lanes<K>; H],
) -> [Lanes<K>; H] {
    let zero = _mm512_setzero_si512();
    // Filled by loops, not `map`: the closures of `map` need not be inlined here, nor
    // compiled with this function's target features.
    let (mut av, mut mv) = ([[zero; K]; H], [[zero; K]; H]);
    for h in 0..H {
        (av[h], mv[h]) = (load(a[h]), load(&p[h].m));
    }
    let mut acc = [[zero; K]; H];
    for i in 0..L {
        for h in 0..H {
            let bi = b[h][i / 8][i % 8];
            let bv = _mm512_set1_epi64(bi as i64);
            // The lowest lane after `+ lo(a·b_i)`, computed on the scalar side.
            let low = _mm_cvtsi128_si64(_mm512_castsi512_si128(acc[h][0])) as u64;
            let x0 = low.wrapping_add(a[h][0][0].wrapping_mul(bi) & MASK);
            let y = x0.wrapping_mul(p[h].k0) & MASK;
            let yv = _mm512_set1_epi64(y as i64);
            for k in 0..K {
                acc[h][k] = _mm512_madd52lo_epu64(acc[h][k], av[h][k], bv);
                acc[h][k] = _mm512_madd52lo_epu64(acc[h][k], mv[h][k], yv);
            }
            // The lowest lane is now 0 mod 2^52; what is above goes to the next one.
            let carry = x0.wrapping_add(p[h].m[0][0].wrapping_mul(y) & MASK) >> 52;
            for k in 0..K - 1 {
                acc[h][k] = _mm512_alignr_epi64::<1>(acc[h][k + 1], acc[h][k]);
            }
            acc[h][K - 1] = _mm512_alignr_epi64::<1>(zero, acc[h][K - 1]);
            acc[h][0] =
                _mm512_mask_add_epi64(acc[h][0], 1, acc[h][0], _mm512_set1_epi64(carry as i64));
            // The high halves belong one limb up: after the move, the same lanes.
            for k in 0..K {
                acc[h][k] = _mm512_madd52hi_epu64(acc[h][k], av[h][k], bv);
                acc[h][k] = _mm512_madd52hi_epu64(acc[h][k], mv[h][k], yv);
            }
        }
    }
    let mut out = [[[0u64; 8]; K]; H];
    for (o, r) in out.iter_mut().zip(acc) {
        *o = store(&normalize(r));
    }
    out
}

/// Lanes (each below 2^64) carried into 52-bit limbs, the value fitting `52·8·K` bits: the
/// carries move up one lane, then the last possible carry of each lane (at most 1) is found
/// with mask arithmetic, as an addition of bit masks, without a loop over lanes.
#[target_feature(enable = "avx512f,avx512ifma")]
fn normalize<const K: usize>(mut r: [__m512i; K]) -> [__m512i; K] {
    let mask = _mm512_set1_epi64(MASK as i64);
    let zero = _mm512_setzero_si512();
    let mut carry = [zero; K];
    for k in 0..K {
        carry[k] = _mm512_srli_epi64::<52>(r[k]);
        r[k] = _mm512_and_si512(r[k], mask);
    }
    for k in (1..K).rev() {
        r[k] = _mm512_add_epi64(r[k], _mm512_alignr_epi64::<7>(carry[k], carry[k - 1]));
    }
    r[0] = _mm512_add_epi64(r[0], _mm512_alignr_epi64::<7>(carry[0], zero));
    // Each lane is now below 2^52 + 2^12: it generates a carry when above the mask, passes
    // one on when equal to it. Carries in = ((generate << 1) + propagate) ^ propagate.
    // One bit per lane: up to 16 registers (128 lanes; the largest modulus takes 10).
    let (mut generate, mut propagate) = (0u128, 0u128);
    for (k, v) in r.iter().enumerate() {
        generate |= u128::from(_mm512_cmpgt_epu64_mask(*v, mask)) << (8 * k);
        propagate |= u128::from(_mm512_cmpeq_epu64_mask(*v, mask)) << (8 * k);
    }
    let carried = (generate << 1).wrapping_add(propagate) ^ propagate;
    let one = _mm512_set1_epi64(1);
    for (k, v) in r.iter_mut().enumerate() {
        let lanes = (carried >> (8 * k)) as u8;
        *v = _mm512_and_si512(_mm512_mask_add_epi64(*v, lanes, *v, one), mask);
    }
    r
}

/// `table[index]`, every entry read (see [`mont::select_into`]).
#[inline(always)]
fn select<const K: usize>(table: &[Lanes<K>; 32], index: u64) -> Lanes<K> {
    let mut out = [[0u64; 8]; K];
    mont::select_into(
        table.iter().map(|row| row.as_flattened()),
        index,
        out.as_flattened_mut(),
    );
    out
}

/// The two exponentiations: into the Montgomery form, fixed 5-bit windows (every window
/// multiplied, by 1 when its bits are zero, as the portable code), out of it.
#[target_feature(enable = "avx512f,avx512ifma")]
fn pow2<const K: usize, const L: usize>(
    p: &[Modulus<K, L>; 2],
    x: [&[u64]; 2],
    d: [&[u64]; 2],
    out: [&mut [u64]; 2],
) -> [u64; 2] {
    const BITS: usize = 5;
    let mut one = [[0u64; 8]; K];
    one[0][0] = 1;
    let mut base = [pack::<K>(x[0]), pack::<K>(x[1])];
    base = mul(p, [&base[0], &base[1]], [&p[0].rr, &p[1].rr]);
    let mut table = Box::new([[[[0u64; 8]; K]; 32]; 2]);
    let [t0, t1] = mul(p, [&one, &one], [&p[0].rr, &p[1].rr]);
    (table[0][0], table[1][0]) = (t0, t1);
    (table[0][1], table[1][1]) = (base[0], base[1]);
    for k in 2..32 {
        let [u, v] = if k % 2 == 0 {
            let (a, b) = (&table[0][k / 2], &table[1][k / 2]);
            mul(p, [a, b], [a, b])
        } else {
            mul(
                p,
                [&table[0][k - 1], &table[1][k - 1]],
                [&base[0], &base[1]],
            )
        };
        (table[0][k], table[1][k]) = (u, v);
    }
    let bits = 64 * d[0].len().max(d[1].len());
    let windows = bits.div_ceil(BITS);
    let mut acc = [[[0u64; 8]; K]; 2];
    for w in (0..windows).rev() {
        let entry = [
            select(&table[0], mont::window(d[0], w * BITS, BITS)),
            select(&table[1], mont::window(d[1], w * BITS, BITS)),
        ];
        acc = if w == windows - 1 {
            entry
        } else {
            for _ in 0..BITS {
                acc = mul(p, [&acc[0], &acc[1]], [&acc[0], &acc[1]]);
            }
            mul(p, [&acc[0], &acc[1]], [&entry[0], &entry[1]])
        };
    }
    acc = mul(p, [&acc[0], &acc[1]], [&one, &one]);
    let [out0, out1] = out;
    let tops = [unpack(&acc[0], out0), unpack(&acc[1], out1)];
    table.zeroize();
    acc.zeroize();
    base.zeroize();
    tops
}

/// `s^e mod n`, left to right over the bits of the public `e`, in and out of the Montgomery
/// form; below `2·n`, the bits above `out` returned.
#[target_feature(enable = "avx512f,avx512ifma")]
fn pow_public<const K: usize, const L: usize>(
    n: &Modulus<K, L>,
    s: &[u64],
    e: u64,
    out: &mut [u64],
) -> u64 {
    let n = std::array::from_ref(n);
    let mut one = [[0u64; 8]; K];
    one[0][0] = 1;
    let [base] = mul(n, [&pack::<K>(s)], [&n[0].rr]);
    // The top bit of `e` is `base` itself.
    let mut acc = base;
    for bit in (0..63 - e.leading_zeros()).rev() {
        [acc] = mul(n, [&acc], [&acc]);
        if (e >> bit) & 1 == 1 {
            [acc] = mul(n, [&acc], [&base]);
        }
    }
    let [acc] = mul(n, [&acc], [&one]);
    unpack(&acc, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has_ifma() -> bool {
        std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("avx512ifma")
    }

    /// The value of lanes (each below 2^64) as 64-bit limbs, by plain carries: the reference.
    fn value(lanes: &Lanes<3>) -> [u64; 21] {
        let mut out = [0u64; 21];
        for (i, &v) in lanes.as_flattened().iter().enumerate() {
            let (limb, off) = (i * 52 / 64, i * 52 % 64);
            let wide = u128::from(v) << off;
            let mut carry = 0u128;
            for (j, part) in [wide as u64, (wide >> 64) as u64].into_iter().enumerate() {
                let s = u128::from(out[limb + j]) + u128::from(part) + carry;
                out[limb + j] = s as u64;
                carry = s >> 64;
            }
            let mut at = limb + 2;
            while carry != 0 {
                let s = u128::from(out[at]) + carry;
                out[at] = s as u64;
                carry = s >> 64;
                at += 1;
            }
        }
        out
    }

    /// The carries of `normalize`, including runs of lanes equal to the mask that a late
    /// carry must cross, against the plain sum.
    #[test]
    fn normalize_keeps_the_value_and_leaves_52_bit_limbs() {
        if !has_ifma() {
            return;
        }
        let mut cases: Vec<Lanes<3>> = Vec::new();
        let mut run = [[MASK; 8]; 3];
        run[0][0] = MASK + 1; // one carry through every lane below the top one
        run[2][7] = 0;
        cases.push(run);
        let mut late = [[MASK; 8]; 3];
        late[0][0] = (1 << 63) + 5; // a large first carry, then the run
        late[2][6] = 0;
        late[2][7] = 0;
        cases.push(late);
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..500 {
            let mut lanes = [[0u64; 8]; 3];
            for l in lanes.as_flattened_mut().iter_mut().take(22) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                // Mostly the mask or near it, sometimes large: runs and big carries.
                *l = match x % 4 {
                    0 => MASK,
                    1 => MASK + 1,
                    2 => x >> 4,
                    _ => x & MASK,
                };
            }
            cases.push(lanes);
        }
        for lanes in cases {
            let load = |l: &Lanes<3>| {
                l.map(|row| {
                    // SAFETY: as in `load`; the test runs only with avx512f.
                    unsafe { _mm512_loadu_si512(row.as_ptr().cast()) }
                })
            };
            // SAFETY: the processor has avx512f and avx512ifma (checked above).
            let out = store(&unsafe { normalize(load(&lanes)) });
            assert!(out.as_flattened().iter().all(|&l| l <= MASK), "{out:x?}");
            assert_eq!(value(&out), value(&lanes), "{lanes:x?}");
        }
    }

    #[test]
    fn packing_round_trips() {
        let x: Vec<u64> = (0..16u64)
            .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15))
            .collect();
        let lanes: Lanes<3> = pack(&x);
        assert!(lanes.as_flattened().iter().all(|&l| l <= MASK));
        let mut back = [0u64; 16];
        assert_eq!(unpack(&lanes, &mut back), 0);
        assert_eq!(back.to_vec(), x);
        // A bit above the output is returned as the top limb.
        let mut high = [[0u64; 8]; 3];
        high[2][3] = 1 << (1024 - 52 * 19); // bit 1024 is in limb 19 (bits 988..1040)
        assert_eq!(unpack(&high, &mut back), 1);
        assert_eq!(back, [0u64; 16]);
    }

    /// The check's exponentiation against the portable one, for 2048-bit odd moduli, bases
    /// up to the modulus less one and exponents of every shape (3, 65537, all ones, one high
    /// bit).
    #[test]
    fn public_exponentiation_matches_the_portable_one() {
        if !has_ifma() {
            return;
        }
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for round in 0..20 {
            let mut n = [0u64; 32];
            n.iter_mut().for_each(|l| *l = next());
            n[0] |= 1;
            n[31] |= 1 << 63;
            let portable = mont::Modulus::<32>::new(n).unwrap();
            let fast = Modulus::<5, 40>::new(&n, &r_squared(&portable).unwrap());
            let mut s = [0u64; 32];
            s.iter_mut().for_each(|l| *l = next());
            s[31] = n[31] - 1;
            if round == 0 {
                s = n;
                s[0] -= 1; // n − 1
            }
            for e in [3, 65_537, u64::MAX, (1 << 63) | 1, 0x1_0001_0001] {
                let mut out = [0u64; 32];
                // SAFETY: the processor has avx512f and avx512ifma (checked above).
                let top = unsafe { pow_public(&fast, &s, e, &mut out) };
                let got = mont::sub_if_ge(&out, top, &n);
                assert_eq!(got, portable.pow_public::<64>(&s, e), "e = {e:#x}");
            }
        }
    }
}

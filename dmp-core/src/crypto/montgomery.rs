//! Fixed-size Montgomery arithmetic for the RSA private-key operation ([`super::rsa_private`]).
//!
//! Why our own: ring signs RSA-SHA256 but not RSA-SHA1, which every DMP signature uses, and the
//! `rsa` crate's general big integers cost about twice ring's time. Numbers here are arrays of
//! `N` little-endian 64-bit limbs whose size is public (the key's); nothing branches on or
//! indexes memory by a secret value: the final subtraction and the table lookups use masks.

use zeroize::Zeroize;

/// `N` little-endian 64-bit limbs.
pub(crate) type Limbs<const N: usize> = [u64; N];

/// `t + a·b + c` as (low, high) limbs; it cannot overflow 128 bits.
#[inline(always)]
fn mac(t: u64, a: u64, b: u64, c: u64) -> (u64, u64) {
    let x = u128::from(a) * u128::from(b) + u128::from(t) + u128::from(c);
    (x as u64, (x >> 64) as u64)
}

/// `a + b + c` as (sum, carry).
#[inline(always)]
fn adc(a: u64, b: u64, c: u64) -> (u64, u64) {
    let x = u128::from(a) + u128::from(b) + u128::from(c);
    (x as u64, (x >> 64) as u64)
}

/// An odd modulus with its Montgomery constants (R = 2^(64·N)).
pub(crate) struct Modulus<const N: usize> {
    m: Limbs<N>,
    /// −m⁻¹ mod 2^64.
    m0: u64,
    /// R² mod m: multiplying by it enters the Montgomery form.
    rr: Limbs<N>,
}

impl<const N: usize> Drop for Modulus<N> {
    fn drop(&mut self) {
        // The primes of a private key are secrets.
        self.m.zeroize();
        self.rr.zeroize();
    }
}

impl<const N: usize> Modulus<N> {
    /// The constants of an odd modulus `m > 1` (`None` otherwise). Not constant-time in the
    /// size of `m`, which is public; run once per key.
    pub(crate) fn new(m: Limbs<N>) -> Option<Self> {
        let below_3 = m.iter().skip(1).all(|&l| l == 0) && m[0] < 3;
        if m[0] & 1 == 0 || below_3 {
            return None;
        }
        let inv = inverse_mod_2_64(m[0]);
        // R² mod m: 1 doubled 2·64·N times, reduced at each step.
        let mut x = [0u64; N];
        x[0] = 1;
        for _ in 0..2 * 64 * N {
            let mut top = 0;
            for l in x.iter_mut() {
                let v = *l;
                *l = (v << 1) | top;
                top = v >> 63;
            }
            x = sub_if_ge(&x, top, &m);
        }
        Some(Modulus {
            m,
            m0: inv.wrapping_neg(),
            rr: x,
        })
    }

    /// The modulus.
    pub(crate) fn limbs(&self) -> &Limbs<N> {
        &self.m
    }

    /// R² mod m.
    pub(crate) fn rr(&self) -> &Limbs<N> {
        &self.rr
    }

    /// `a·b·R⁻¹ mod m` for `a·b < m·R` (CIOS: each row adds `a·b[i]` and the multiple of `m`
    /// that clears its lowest limb, in one pass with two carries).
    #[inline(always)]
    pub(crate) fn mul(&self, a: &Limbs<N>, b: &Limbs<N>) -> Limbs<N> {
        let m = &self.m;
        let mut t = [0u64; N];
        let mut hi = 0u64;
        for &bi in b.iter() {
            let (x0, mut c1) = mac(t[0], a[0], bi, 0);
            let u = x0.wrapping_mul(self.m0);
            let (_, mut c2) = mac(x0, u, m[0], 0);
            for j in 1..N {
                let (x, c) = mac(t[j], a[j], bi, c1);
                c1 = c;
                let (y, c) = mac(x, u, m[j], c2);
                c2 = c;
                t[j - 1] = y;
            }
            let (x, c) = adc(hi, c1, c2);
            t[N - 1] = x;
            hi = c;
        }
        sub_if_ge(&t, hi, m)
    }

    /// `a²·R⁻¹ mod m` for `a < m`: the square with each cross product once (doubled), then
    /// the reduction. `W` is `2·N` (spelled out: Rust cannot compute it from `N`).
    #[inline(always)]
    pub(crate) fn sqr<const W: usize>(&self, a: &Limbs<N>) -> Limbs<N> {
        debug_assert_eq!(W, 2 * N);
        let mut w = [0u64; W];
        for i in 0..N {
            let mut c = 0u64;
            for j in (i + 1)..N {
                let (x, cc) = mac(w[i + j], a[i], a[j], c);
                w[i + j] = x;
                c = cc;
            }
            w[i + N] = c;
        }
        let mut top = 0u64;
        for l in w.iter_mut() {
            let v = *l;
            *l = (v << 1) | top;
            top = v >> 63;
        }
        let mut c = 0u64;
        for (i, &ai) in a.iter().enumerate() {
            let (lo, hi) = mac(0, ai, ai, 0);
            let (x, c1) = adc(w[2 * i], lo, c);
            let (y, c2) = adc(w[2 * i + 1], hi, c1);
            w[2 * i] = x;
            w[2 * i + 1] = y;
            c = c2;
        }
        self.redc(&mut w)
    }

    /// `w·R⁻¹ mod m` for `w < m·R` held in `W = 2·N` limbs (consumed).
    #[inline(always)]
    pub(crate) fn redc<const W: usize>(&self, w: &mut [u64; W]) -> Limbs<N> {
        debug_assert_eq!(W, 2 * N);
        let m = &self.m;
        let mut carry = 0u64;
        for i in 0..N {
            let u = w[i].wrapping_mul(self.m0);
            let mut c = 0u64;
            for j in 0..N {
                let (x, cc) = mac(w[i + j], u, m[j], c);
                w[i + j] = x;
                c = cc;
            }
            let (x, cc) = adc(w[i + N], c, carry);
            w[i + N] = x;
            carry = cc;
        }
        let mut t = [0u64; N];
        t.copy_from_slice(&w[N..]);
        sub_if_ge(&t, carry, m)
    }

    /// `base^exp` in Montgomery form, for `base` in Montgomery form and a secret `exp` of at
    /// most 64·N bits: fixed windows of 5 bits, every window multiplied (by 1 when its bits
    /// are zero), the table read whole for each lookup. `W` is `2·N`.
    pub(crate) fn pow_secret<const W: usize>(&self, base: &Limbs<N>, exp: &Limbs<N>) -> Limbs<N> {
        const BITS: usize = 5;
        let mut one = [0u64; N];
        one[0] = 1;
        let mut table = [[0u64; N]; 1 << BITS];
        table[0] = self.mul(&one, &self.rr);
        table[1] = *base;
        for k in 2..table.len() {
            table[k] = if k % 2 == 0 {
                self.sqr::<W>(&table[k / 2])
            } else {
                self.mul(&table[k - 1], base)
            };
        }
        let windows = (64 * N).div_ceil(BITS);
        let mut acc = [0u64; N];
        for w in (0..windows).rev() {
            let entry = select(&table, window(exp, w * BITS, BITS));
            acc = if w == windows - 1 {
                entry
            } else {
                for _ in 0..BITS {
                    acc = self.sqr::<W>(&acc);
                }
                self.mul(&acc, &entry)
            };
        }
        table.zeroize();
        acc
    }

    /// `base^exp mod m` for a public exponent (the check of a signature: not constant-time
    /// in `exp`). `base < m`, normal form in and out.
    pub(crate) fn pow_public<const W: usize>(&self, base: &Limbs<N>, exp: u64) -> Limbs<N> {
        let mut one = [0u64; N];
        one[0] = 1;
        let b = self.mul(base, &self.rr);
        let mut acc = self.mul(&one, &self.rr);
        for bit in (0..64 - exp.leading_zeros()).rev() {
            acc = self.sqr::<W>(&acc);
            if (exp >> bit) & 1 == 1 {
                acc = self.mul(&acc, &b);
            }
        }
        self.mul(&acc, &one)
    }

    /// `(a − b) mod m` for `a, b < m`, without branching on their values.
    pub(crate) fn sub(&self, a: &Limbs<N>, b: &Limbs<N>) -> Limbs<N> {
        let (mut d, borrow) = sub_borrow(a, b);
        let mask = 0u64.wrapping_sub(borrow);
        let mut c = 0u64;
        for (x, &mj) in d.iter_mut().zip(self.m.iter()) {
            let (y, cc) = adc(*x, mj & mask, c);
            *x = y;
            c = cc;
        }
        d
    }
}

/// `x⁻¹ mod 2^64` for an odd `x`, by Newton's iteration (each step doubles the correct bits).
pub(crate) fn inverse_mod_2_64(x: u64) -> u64 {
    let mut inv: u64 = 1;
    for _ in 0..6 {
        inv = inv.wrapping_mul(2u64.wrapping_sub(x.wrapping_mul(inv)));
    }
    inv
}

/// `a − b` and the borrow out (0 or 1).
#[inline(always)]
fn sub_borrow<const N: usize>(a: &Limbs<N>, b: &Limbs<N>) -> (Limbs<N>, u64) {
    let mut d = [0u64; N];
    let mut borrow = 0u64;
    for j in 0..N {
        let (x, b1) = a[j].overflowing_sub(b[j]);
        let (y, b2) = x.overflowing_sub(borrow);
        d[j] = y;
        borrow = u64::from(b1 | b2);
    }
    (d, borrow)
}

/// `(hi:a) − m` when that is not negative, else `a`, for `(hi:a) < 2m`, chosen by mask.
#[inline(always)]
pub(crate) fn sub_if_ge<const N: usize>(a: &Limbs<N>, hi: u64, m: &Limbs<N>) -> Limbs<N> {
    let (d, borrow) = sub_borrow(a, m);
    let (_, under) = hi.overflowing_sub(borrow);
    let keep = 0u64.wrapping_sub(u64::from(under));
    let mut out = [0u64; N];
    for j in 0..N {
        out[j] = (a[j] & keep) | (d[j] & !keep);
    }
    out
}

/// The `width` bits of `e` (little-endian 64-bit limbs) from bit `at` (public positions,
/// secret value).
#[inline(always)]
pub(crate) fn window(e: &[u64], at: usize, width: usize) -> u64 {
    let limb = at / 64;
    let off = at % 64;
    let mut v = e.get(limb).map_or(0, |l| l >> off);
    if off + width > 64 {
        v |= e.get(limb + 1).map_or(0, |l| l << (64 - off));
    }
    v & ((1 << width) - 1)
}

/// `table[index]`, reading every entry (no memory access depends on the secret index).
#[inline(always)]
fn select<const N: usize, const T: usize>(table: &[Limbs<N>; T], index: u64) -> Limbs<N> {
    let mut out = [0u64; N];
    select_into(table.iter().map(|row| &row[..]), index, &mut out);
    out
}

/// ORs the row numbered `index` into `out` (zero on entry), reading every row with a mask
/// (no memory access depends on the secret index).
#[inline(always)]
pub(crate) fn select_into<'a>(rows: impl Iterator<Item = &'a [u64]>, index: u64, out: &mut [u64]) {
    for (k, row) in rows.enumerate() {
        // All ones when k == index: (k ^ index) − 1 has its top bit set only for 0.
        let mask = 0u64.wrapping_sub(((k as u64) ^ index).wrapping_sub(1) >> 63);
        for (o, &r) in out.iter_mut().zip(row.iter()) {
            *o |= r & mask;
        }
    }
}

/// Big-endian bytes (leading zeros allowed) into `N` limbs; `None` if they do not fit.
pub(crate) fn from_be<const N: usize>(bytes: &[u8]) -> Option<Limbs<N>> {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    let digits = bytes.get(start..)?;
    if digits.len() > 8 * N {
        return None;
    }
    let mut out = [0u64; N];
    for (i, &b) in digits.iter().rev().enumerate() {
        out[i / 8] |= u64::from(b) << (8 * (i % 8));
    }
    Some(out)
}

/// The low `len` bytes of `x`, big-endian; `None` if `x` has a non-zero byte above them.
pub(crate) fn to_be<const N: usize>(x: &Limbs<N>, len: usize) -> Option<Vec<u8>> {
    let mut all = Vec::with_capacity(8 * N);
    for l in x.iter().rev() {
        all.extend_from_slice(&l.to_be_bytes());
    }
    let cut = all.len().checked_sub(len)?;
    let (high, low) = all.split_at(cut);
    high.iter().all(|&b| b == 0).then(|| low.to_vec())
}

/// `a·b` in `W = 2·N` limbs.
pub(crate) fn mul_wide<const N: usize, const W: usize>(a: &Limbs<N>, b: &Limbs<N>) -> [u64; W] {
    debug_assert_eq!(W, 2 * N);
    let mut w = [0u64; W];
    for (i, &ai) in a.iter().enumerate() {
        let mut c = 0u64;
        for (j, &bj) in b.iter().enumerate() {
            let (x, cc) = mac(w[i + j], ai, bj, c);
            w[i + j] = x;
            c = cc;
        }
        w[i + N] = c;
    }
    w
}

/// `a + b` for `W`-limb `a` and `N`-limb `b`, and the carry out.
pub(crate) fn add_wide<const N: usize, const W: usize>(a: &mut [u64; W], b: &Limbs<N>) -> u64 {
    let mut c = 0u64;
    for (j, x) in a.iter_mut().enumerate() {
        let (y, cc) = adc(*x, b.get(j).copied().unwrap_or(0), c);
        *x = y;
        c = cc;
    }
    c
}

/// `a == b` without an early exit.
pub(crate) fn equal<const N: usize>(a: &Limbs<N>, b: &Limbs<N>) -> bool {
    a.iter()
        .zip(b.iter())
        .fold(0u64, |acc, (x, y)| acc | (x ^ y))
        == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 128-bit odd modulus, so that u128 arithmetic is the reference.
    fn small() -> (u128, Modulus<2>) {
        let m: u128 = 0xd3a1_5c7e_0b9f_4e21_8c6d_1f30_a5b7_e94b;
        (m, Modulus::new([m as u64, (m >> 64) as u64]).expect("odd"))
    }

    fn limbs(x: u128) -> Limbs<2> {
        [x as u64, (x >> 64) as u64]
    }

    fn value(l: &Limbs<2>) -> u128 {
        u128::from(l[0]) | (u128::from(l[1]) << 64)
    }

    /// (a·b) mod m by double-and-add on u128 (the reference).
    fn mulmod(a: u128, b: u128, m: u128) -> u128 {
        let (mut r, mut x) = (0u128, a % m);
        let mut b = b;
        while b > 0 {
            if b & 1 == 1 {
                r = addmod(r, x, m);
            }
            x = addmod(x, x, m);
            b >>= 1;
        }
        r
    }

    fn addmod(a: u128, b: u128, m: u128) -> u128 {
        let (s, o) = a.overflowing_add(b);
        if o || s >= m {
            s.wrapping_sub(m)
        } else {
            s
        }
    }

    fn powmod(b: u128, e: u128, m: u128) -> u128 {
        let (mut r, mut b, mut e) = (1u128, b % m, e);
        while e > 0 {
            if e & 1 == 1 {
                r = mulmod(r, b, m);
            }
            b = mulmod(b, b, m);
            e >>= 1;
        }
        r
    }

    fn samples(m: u128) -> Vec<u128> {
        let mut x: u128 = 0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c834;
        let mut out = vec![0, 1, 2, m - 1, m - 2, m / 2];
        for _ in 0..200 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            out.push(x % m);
        }
        out
    }

    #[test]
    fn montgomery_products_match_the_reference() {
        let (m, md) = small();
        let r = (u128::MAX % m + 1) % m; // 2^128 mod m
        assert_eq!(value(md.rr()), mulmod(r, r, m), "R² mod m");
        let mut one = [0u64; 2];
        one[0] = 1;
        for (i, &a) in samples(m).iter().enumerate() {
            let b = samples(m)[(i * 7 + 3) % 206];
            // Into the Montgomery form and back.
            let am = md.mul(&limbs(a), md.rr());
            assert_eq!(value(&am), mulmod(a, r, m), "a·R");
            assert_eq!(value(&md.mul(&am, &one)), a, "back from a·R");
            let bm = md.mul(&limbs(b), md.rr());
            // (aR)(bR)R⁻¹ = abR, and the square the same as the product.
            let ab = md.mul(&am, &bm);
            assert_eq!(value(&md.mul(&ab, &one)), mulmod(a, b, m), "a·b");
            let aa = md.sqr::<4>(&am);
            assert_eq!(aa, md.mul(&am, &am), "a² = a·a for {a:#x}");
            assert_eq!(value(&md.sub(&limbs(a), &limbs(b))), addmod(a, m - b, m));
        }
    }

    #[test]
    fn exponentiations_match_the_reference() {
        let (m, md) = small();
        let mut one = [0u64; 2];
        one[0] = 1;
        for (i, &b) in samples(m).iter().enumerate().take(60) {
            let e = samples(m)[(i * 11 + 5) % 206];
            let bm = md.mul(&limbs(b), md.rr());
            let secret = md.mul(&md.pow_secret::<4>(&bm, &limbs(e)), &one);
            assert_eq!(value(&secret), powmod(b, e, m), "{b:#x}^{e:#x}");
            let public = md.pow_public::<4>(&limbs(b), e as u64);
            assert_eq!(value(&public), powmod(b, u128::from(e as u64), m));
        }
        let bm = md.mul(&limbs(5), md.rr());
        let z = md.mul(&md.pow_secret::<4>(&bm, &[0, 0]), &one);
        assert_eq!(value(&z), 1, "x⁰ = 1");
    }

    #[test]
    fn even_or_tiny_moduli_are_refused() {
        assert!(Modulus::new([10u64, 0]).is_none());
        assert!(Modulus::new([1u64, 0]).is_none());
        assert!(Modulus::new([1u64, 1]).is_some());
    }

    #[test]
    fn bytes_round_trip() {
        let x: Limbs<2> = from_be(&[0, 0, 1, 2, 3]).expect("fits");
        assert_eq!(x, [0x01_0203, 0]);
        assert_eq!(to_be(&x, 4).expect("fits"), vec![0, 1, 2, 3]);
        assert_eq!(to_be(&x, 2), None, "a non-zero byte above");
        assert!(from_be::<1>(&[1; 9]).is_none());
        let w: [u64; 4] = mul_wide(&[u64::MAX, u64::MAX], &[u64::MAX, u64::MAX]);
        // (2^128 − 1)² = 2^256 − 2^129 + 1
        assert_eq!(w, [1, 0, u64::MAX - 1, u64::MAX]);
        let mut a = [u64::MAX, u64::MAX, 0, 0];
        assert_eq!(add_wide(&mut a, &[1u64, 0]), 0);
        assert_eq!(a, [0, 0, 1, 0]);
        assert!(equal(&[1u64, 2], &[1, 2]) && !equal(&[1u64, 2], &[1, 3]));
    }
}

//! The RSA private-key operation for the RSASSA-PKCS1-v1_5 signatures ring does not make
//! (RSA-SHA1: every DMP signature), done as ring does its own: the Chinese remainder theorem
//! with the key's precomputed values, constant-time exponentiation, and each result checked
//! with the public exponent before it leaves (a fault must not leak the key), no blinding.
//! The arithmetic is in [`super::montgomery`], and the two exponentiations in
//! [`super::ifma`] when the processor has AVX-512 IFMA.

use zeroize::Zeroize;

use super::der::{self, TAG_INTEGER, TAG_SEQUENCE};
use super::montgomery::{self as mont, Limbs, Modulus};
use crate::error::{Error, Result};

/// DER `DigestInfo` prefix of a SHA-1 digest (RFC 8017 §9.2, note 1).
pub(crate) const SHA1_DIGEST_INFO: [u8; 15] = [
    0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14,
];

/// A parsed RSA private key, ready to sign.
pub(crate) struct RsaPrivateKey(Size);

/// The key at the limb count of its primes: 1024-bit primes (2048-bit keys), up to 1536
/// (3072), up to 2048 (4096). A key between two sizes takes the larger one.
enum Size {
    L16(Box<Crt<16, 32, 64>>),
    L24(Box<Crt<24, 48, 96>>),
    L32(Box<Crt<32, 64, 128>>),
}

/// The CRT form of a key whose primes fit in `N` limbs (`W = 2·N` for the modulus,
/// `X = 4·N` for its squares).
struct Crt<const N: usize, const W: usize, const X: usize> {
    p: Modulus<N>,
    q: Modulus<N>,
    /// d mod (p − 1), d mod (q − 1), q⁻¹ mod p.
    dp: Limbs<N>,
    dq: Limbs<N>,
    qinv: Limbs<N>,
    /// R³ mod p and mod q: a product by it takes a reduced message into the Montgomery form.
    r3p: Limbs<N>,
    r3q: Limbs<N>,
    /// The key for the AVX-512 IFMA exponentiations and check, when the processor has them.
    #[cfg(target_arch = "x86_64")]
    fast: Option<super::ifma::IfmaKey>,
    n: Modulus<W>,
    e: u64,
    /// The modulus in bytes: the length of a signature.
    len: usize,
}

impl<const N: usize, const W: usize, const X: usize> Drop for Crt<N, W, X> {
    fn drop(&mut self) {
        self.dp.zeroize();
        self.dq.zeroize();
        self.qinv.zeroize();
        self.r3p.zeroize();
        self.r3q.zeroize();
    }
}

/// The integers of a PKCS#1 `RSAPrivateKey`, as big-endian bytes.
struct Parts<'a> {
    n: &'a [u8],
    e: &'a [u8],
    p: &'a [u8],
    q: &'a [u8],
    dp: &'a [u8],
    dq: &'a [u8],
    qinv: &'a [u8],
}

/// The error of a key that cannot sign here, with why.
fn unusable(why: &str) -> Error {
    Error::crypto(
        "key",
        format!("the RSA key cannot be used for rsa-sha1 signing ({why})"),
    )
}

impl<'a> Parts<'a> {
    /// The integers of the RSA key in a PKCS#8 `PrivateKeyInfo`.
    fn from_pkcs8(pkcs8: &'a [u8]) -> Result<Self> {
        let (_algorithm, key) = der::private_key_info(pkcs8)?;
        let what = "PKCS#1 RSA private key";
        let (seq, _) = der::expect_tlv(key, TAG_SEQUENCE, what).map_err(der::key_error)?;
        let mut ints = Vec::with_capacity(9);
        let mut rest = seq.content;
        while !rest.is_empty() && ints.len() < 9 {
            let (int, more) = der::expect_tlv(rest, TAG_INTEGER, what).map_err(der::key_error)?;
            if int.content.first().is_some_and(|&b| b & 0x80 != 0) {
                return Err(unusable("a negative integer"));
            }
            ints.push(int.content);
            rest = more;
        }
        let [_version, n, e, _d, p, q, dp, dq, qinv] = ints[..] else {
            return Err(unusable("fewer than 9 integers"));
        };
        Ok(Parts {
            n,
            e,
            p,
            q,
            dp,
            dq,
            qinv,
        })
    }
}

impl RsaPrivateKey {
    /// Parses a PKCS#8 `PrivateKeyInfo` holding an RSA key (ring has already accepted it:
    /// its own checks of the key's consistency hold here too).
    pub(crate) fn from_pkcs8(pkcs8: &[u8]) -> Result<Self> {
        let parts = Parts::from_pkcs8(pkcs8)?;
        let significant = |b: &[u8]| b.iter().skip_while(|&&x| x == 0).count();
        let prime = significant(parts.p).max(significant(parts.q));
        let size = match prime.div_ceil(8) {
            0..=16 => Crt::new(&parts).map(|c| Size::L16(Box::new(c))),
            17..=24 => Crt::new(&parts).map(|c| Size::L24(Box::new(c))),
            25..=32 => Crt::new(&parts).map(|c| Size::L32(Box::new(c))),
            _ => return Err(unusable("primes larger than 2048 bits")),
        };
        size.map(RsaPrivateKey).map_err(unusable)
    }

    /// The RSASSA-PKCS1-v1_5 signature of `digest_info` (the DER `DigestInfo`: algorithm
    /// prefix and digest), as many bytes as the modulus.
    pub(crate) fn sign_pkcs1(&self, digest_info: &[u8]) -> Result<Vec<u8>> {
        let signed = match &self.0 {
            Size::L16(c) => c.sign(digest_info),
            Size::L24(c) => c.sign(digest_info),
            Size::L32(c) => c.sign(digest_info),
        };
        signed.map_err(|why| Error::crypto("signature", format!("rsa-sha1 signing failed ({why})")))
    }
}

impl<const N: usize, const W: usize, const X: usize> Crt<N, W, X> {
    fn new(k: &Parts<'_>) -> std::result::Result<Self, &'static str> {
        const TOO_LARGE: &str = "an integer larger than the key size";
        let p = Modulus::new(mont::from_be(k.p).ok_or(TOO_LARGE)?).ok_or("an even prime")?;
        let q = Modulus::new(mont::from_be(k.q).ok_or(TOO_LARGE)?).ok_or("an even prime")?;
        let n = Modulus::new(mont::from_be(k.n).ok_or(TOO_LARGE)?).ok_or("an even modulus")?;
        let e = mont::from_be::<1>(k.e).ok_or("a public exponent over 64 bits")?[0];
        if e < 3 || e & 1 == 0 {
            return Err("an unusual public exponent");
        }
        let len = k.n.iter().skip_while(|&&b| b == 0).count();
        let r3p = p.mul(p.rr(), p.rr());
        let r3q = q.mul(q.rr(), q.rr());
        #[cfg(target_arch = "x86_64")]
        let fast = super::ifma::IfmaKey::new(&p, &q, &n);
        Ok(Crt {
            #[cfg(target_arch = "x86_64")]
            fast,
            dp: mont::from_be(k.dp).ok_or(TOO_LARGE)?,
            dq: mont::from_be(k.dq).ok_or(TOO_LARGE)?,
            qinv: mont::from_be(k.qinv).ok_or(TOO_LARGE)?,
            p,
            q,
            r3p,
            r3q,
            n,
            e,
            len,
        })
    }

    fn sign(&self, digest_info: &[u8]) -> std::result::Result<Vec<u8>, &'static str> {
        // EM = 00 01 FF…FF 00 DigestInfo (RFC 8017 §9.2), at least 8 bytes of FF.
        let pad = self
            .len
            .checked_sub(digest_info.len() + 3)
            .filter(|&pad| pad >= 8)
            .ok_or("the digest does not fit the key")?;
        let mut em = Vec::with_capacity(self.len);
        em.extend_from_slice(&[0, 1]);
        em.resize(2 + pad, 0xff);
        em.push(0);
        em.extend_from_slice(digest_info);
        let m: Limbs<W> = mont::from_be(&em).ok_or("the message does not fit the key")?;
        let (mut sp, mut sq) = self.halves(&m);
        // Garner: h = (s_p − s_q)·q⁻¹ mod p (both entered mod p in the Montgomery form, so that
        // the product by q⁻¹ comes out in the normal form), s = s_q + h·q.
        let (sp_p, sq_p) = (self.p.mul(&sp, self.p.rr()), self.p.mul(&sq, self.p.rr()));
        let mut h = self.p.mul(&self.p.sub(&sp_p, &sq_p), &self.qinv);
        let mut s: Limbs<W> = mont::mul_wide::<N, W>(&h, self.q.limbs());
        let carry = mont::add_wide(&mut s, &sq);
        sp.zeroize();
        sq.zeroize();
        h.zeroize();
        // The check ring makes too: s^e = m, else a fault (or a key whose parts disagree).
        if carry != 0 || !mont::equal(&self.public(&s), &m) {
            return Err("the result did not verify with the public key");
        }
        mont::to_be(&s, self.len).ok_or("the result is larger than the modulus")
    }

    /// `s^e mod n`, in the normal form.
    fn public(&self, s: &Limbs<W>) -> Limbs<W> {
        #[cfg(target_arch = "x86_64")]
        if let Some(fast) = &self.fast {
            let mut out = [0u64; W];
            let top = fast.pow_public(s, self.e, &mut out);
            // Below twice the modulus: one subtraction by mask.
            return mont::sub_if_ge(&out, top, self.n.limbs());
        }
        self.n.pow_public::<X>(s, self.e)
    }

    /// `m^d_p mod p` and `m^d_q mod q`, in the normal form.
    fn halves(&self, m: &Limbs<W>) -> (Limbs<N>, Limbs<N>) {
        let (mut wp, mut wq) = (*m, *m);
        // m·R⁻¹ (m < p·q < p·R), reduced once more.
        let (rp, rq) = (self.p.redc(&mut wp), self.q.redc(&mut wq));
        let mut one = [0u64; N];
        one[0] = 1;
        #[cfg(target_arch = "x86_64")]
        if let Some(fast) = &self.fast {
            // m mod p in the normal form: (m·R⁻¹)·R²·R⁻¹.
            let (xp, xq) = (self.p.mul(&rp, self.p.rr()), self.q.mul(&rq, self.q.rr()));
            let (mut sp, mut sq) = ([0u64; N], [0u64; N]);
            let [tp, tq] = fast.pow([&xp, &xq], [&self.dp, &self.dq], [&mut sp, &mut sq]);
            // Below twice the prime: one subtraction by mask.
            let halves = (
                mont::sub_if_ge(&sp, tp, self.p.limbs()),
                mont::sub_if_ge(&sq, tq, self.q.limbs()),
            );
            sp.zeroize();
            sq.zeroize();
            return halves;
        }
        // Into the Montgomery form: (m·R⁻¹)·R³·R⁻¹ = m·R.
        let (mp, mq) = (self.p.mul(&rp, &self.r3p), self.q.mul(&rq, &self.r3q));
        let sp = self.p.pow_secret::<W>(&mp, &self.dp);
        let sq = self.q.pow_secret::<W>(&mq, &self.dq);
        (self.p.mul(&sp, &one), self.q.mul(&sq, &one))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys of 2048, 2560 (primes between two sizes), 3072 and 4096 bits, made by
    /// `openssl genpkey` for these tests only.
    const KEYS: [(&str, &[u8]); 4] = [
        (
            "2048",
            include_bytes!("../../../tests/fixtures/keys/rsa-2048.pk8"),
        ),
        (
            "2560",
            include_bytes!("../../../tests/fixtures/keys/rsa-2560.pk8"),
        ),
        (
            "3072",
            include_bytes!("../../../tests/fixtures/keys/rsa-3072.pk8"),
        ),
        (
            "4096",
            include_bytes!("../../../tests/fixtures/keys/rsa-4096.pk8"),
        ),
    ];

    /// The key without the IFMA exponentiations, so that both paths are tested here; `None`
    /// when the processor lacks them (the key is already portable).
    fn portable(pkcs8: &[u8]) -> Option<RsaPrivateKey> {
        #[cfg(target_arch = "x86_64")]
        {
            let mut key = RsaPrivateKey::from_pkcs8(pkcs8).ok()?;
            let fast = match &mut key.0 {
                Size::L16(c) => c.fast.take(),
                Size::L24(c) => c.fast.take(),
                Size::L32(c) => c.fast.take(),
            };
            fast.map(|_| key)
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            let _ = pkcs8;
            None
        }
    }

    fn digest_info(msg: &[u8]) -> Vec<u8> {
        let h = crate::crypto::DigestAlgorithm::Sha1.digest(msg);
        [&SHA1_DIGEST_INFO[..], &h].concat()
    }

    /// Ours against the `rsa` crate (PKCS#1 v1.5 is deterministic: the same bytes), and
    /// verified by ring.
    #[test]
    fn signatures_match_the_rsa_crate_and_verify_with_ring() {
        use rsa::pkcs8::DecodePrivateKey as _;
        use rsa::traits::SignatureScheme as _;
        for (bits, pkcs8) in KEYS {
            let ours = RsaPrivateKey::from_pkcs8(pkcs8).expect(bits);
            let portable = portable(pkcs8);
            #[cfg(target_arch = "x86_64")]
            assert_eq!(
                portable.is_some(),
                std::is_x86_feature_detected!("avx512ifma"),
                "the IFMA path is taken when the processor has it"
            );
            let theirs = rsa::PrivateKey::from_pkcs8_der(pkcs8).expect(bits);
            let parts = Parts::from_pkcs8(pkcs8).expect(bits);
            let unsigned = |b: &'static [u8]| &b[b.iter().take_while(|&&x| x == 0).count()..];
            let public = ring::signature::RsaPublicKeyComponents {
                n: unsigned(parts.n),
                e: unsigned(parts.e),
            };
            for i in 0..4u8 {
                let msg = vec![i; 37 * usize::from(i)];
                let sig = ours.sign_pkcs1(&digest_info(&msg)).expect("sign");
                let h = crate::crypto::DigestAlgorithm::Sha1.digest(&msg);
                let expected = rsa::Pkcs1v15Sign {
                    hash_len: Some(20),
                    prefix: Box::new(SHA1_DIGEST_INFO),
                }
                .sign(
                    None::<&mut dyn rsa::rand_core::TryCryptoRng<Error = std::convert::Infallible>>,
                    &theirs,
                    &h,
                )
                .expect("rsa crate");
                assert_eq!(sig, expected, "{bits}-bit key, message {i}");
                if let Some(portable) = &portable {
                    let sig = portable.sign_pkcs1(&digest_info(&msg)).expect("sign");
                    assert_eq!(sig, expected, "{bits}-bit key, message {i}, portable path");
                }
                public
                    .verify(
                        &ring::signature::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
                        &msg,
                        &sig,
                    )
                    .expect("ring verifies");
            }
        }
    }

    /// A fault (here a wrong CRT exponent) gives an error, never a signature that would
    /// leak a prime.
    #[test]
    fn a_faulty_key_gives_an_error_not_a_signature() {
        let mut key = RsaPrivateKey::from_pkcs8(KEYS[0].1).expect("key");
        let Size::L16(crt) = &mut key.0 else {
            panic!("a 2048-bit key has 16-limb primes");
        };
        crt.dp[3] ^= 1 << 17;
        let err = key.sign_pkcs1(&digest_info(b"x")).expect_err("fault");
        assert_eq!(
            err.to_string(),
            "signature: rsa-sha1 signing failed (the result did not verify with the public key)"
        );
    }

    #[test]
    fn malformed_keys_are_refused_with_a_reason() {
        let err = |der: &[u8]| {
            RsaPrivateKey::from_pkcs8(der)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        // Named as the key's fault, not a certificate's.
        let empty = err(&[0x30, 0x00]);
        assert!(
            empty.starts_with("private key: PKCS#8 private key"),
            "{empty}"
        );
        // A PrivateKeyInfo whose RSAPrivateKey has only 3 integers.
        let pk1 = [
            0x30, 0x09, 0x02, 0x01, 0x00, 0x02, 0x01, 0x05, 0x02, 0x01, 0x03,
        ];
        let mut info = vec![
            0x30,
            0x00,
            0x02,
            0x01,
            0x00,
            0x30,
            0x00,
            0x04,
            pk1.len() as u8,
        ];
        info.extend_from_slice(&pk1);
        info[1] = (info.len() - 2) as u8;
        assert!(
            err(&info).contains("fewer than 9 integers"),
            "{}",
            err(&info)
        );
        // The same with a negative integer (0x85 without a leading zero).
        let at = info
            .iter()
            .rposition(|&b| b == 0x05)
            .expect("the integer 5");
        info[at] = 0x85;
        assert!(err(&info).contains("a negative integer"), "{}", err(&info));
    }
}

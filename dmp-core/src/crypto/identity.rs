//! A private key with its certificate chain, loaded from PKCS#12 or PEM, and the signer made
//! from it once its certificate has been checked at a given time.

use std::fmt;
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};
use ring::rand::SystemRandom;
use ring::signature::{self as sig, EcdsaKeyPair, KeyPair as _, RsaKeyPair};
use zeroize::Zeroizing;

use super::der::{self, TAG_OCTET_STRING, TAG_OID, TAG_SEQUENCE};
use super::rsa_private::{RsaPrivateKey, SHA1_DIGEST_INFO};
use super::{check_signing_certificate, Certificate, SignatureAlgorithm, Signer, UsagePolicy};
use crate::error::{Error, Result};

const OID_RSA: &str = "1.2.840.113549.1.1.1";
const OID_EC: &str = "1.2.840.10045.2.1";
const OID_P256: &str = "1.2.840.10045.3.1.7";

enum KeyKind {
    Rsa {
        ring: RsaKeyPair,
        /// The same key in CRT form for RSA-SHA1, made on first use of that algorithm.
        legacy: Box<OnceLock<RsaPrivateKey>>,
    },
    EcP256(EcdsaKeyPair),
}

/// The private key: parsed forms plus the PKCS#8 DER, zeroised on drop.
struct KeyMaterial {
    kind: KeyKind,
    pkcs8: Zeroizing<Vec<u8>>,
}

impl KeyMaterial {
    fn from_pkcs8(pkcs8: Zeroizing<Vec<u8>>) -> Result<Self> {
        let (alg, curve) = pkcs8_algorithm(&pkcs8)?;
        let rejected = |e: ring::error::KeyRejected| {
            let why = e.to_string();
            let message = match why.as_str() {
                "TooSmall" => {
                    "RSA key smaller than 2048 bits: refused (at least 2048 bits are required)"
                        .to_owned()
                }
                "TooLarge" => "RSA key larger than 4096 bits: not supported".to_owned(),
                _ => format!("the private key is refused ({why})"),
            };
            Error::crypto("key", message)
        };
        let kind = match (alg.as_str(), curve.as_deref()) {
            (OID_RSA, _) => KeyKind::Rsa {
                ring: RsaKeyPair::from_pkcs8(&pkcs8).map_err(rejected)?,
                legacy: Box::default(),
            },
            (OID_EC, Some(OID_P256)) => KeyKind::EcP256(
                EcdsaKeyPair::from_pkcs8(
                    &sig::ECDSA_P256_SHA256_FIXED_SIGNING,
                    &pkcs8,
                    &SystemRandom::new(),
                )
                .map_err(rejected)?,
            ),
            (OID_EC, curve) => {
                return Err(Error::crypto(
                    "key",
                    format!(
                        "EC key on curve {}: only P-256 is supported",
                        curve.unwrap_or("(none)")
                    ),
                ))
            }
            (other, _) => {
                return Err(Error::crypto(
                    "key",
                    format!("private key algorithm {other}: only RSA and EC P-256 are supported"),
                ))
            }
        };
        Ok(KeyMaterial { kind, pkcs8 })
    }

    /// The public key in the form of a certificate's subjectPublicKey bits.
    fn public_key_bits(&self) -> &[u8] {
        match &self.kind {
            KeyKind::Rsa { ring, .. } => ring.public_key().as_ref(),
            KeyKind::EcP256(kp) => kp.public_key().as_ref(),
        }
    }

    fn default_algorithm(&self) -> SignatureAlgorithm {
        match self.kind {
            KeyKind::Rsa { .. } => SignatureAlgorithm::RsaSha256,
            KeyKind::EcP256(_) => SignatureAlgorithm::EcdsaP256Sha256,
        }
    }

    fn legacy_rsa(&self) -> Result<&RsaPrivateKey> {
        let KeyKind::Rsa { legacy, .. } = &self.kind else {
            return Err(Error::crypto("algorithm", "rsa-sha1 needs an RSA key"));
        };
        if let Some(key) = legacy.get() {
            return Ok(key);
        }
        let key = RsaPrivateKey::from_pkcs8(&self.pkcs8)?;
        // Another thread may have won the race; either value is the same key.
        let _ = legacy.set(key);
        legacy
            .get()
            .ok_or_else(|| Error::crypto("key", "the RSA key could not be prepared"))
    }

    fn sign(&self, alg: SignatureAlgorithm, data: &[u8]) -> Result<Vec<u8>> {
        let failed = |why: &dyn fmt::Display| {
            Error::crypto(
                "signature",
                format!("{} signing failed ({why})", alg.name()),
            )
        };
        match (&self.kind, alg) {
            (KeyKind::Rsa { ring, .. }, SignatureAlgorithm::RsaSha256) => {
                let mut out = vec![0u8; ring.public().modulus_len()];
                ring.sign(&sig::RSA_PKCS1_SHA256, &SystemRandom::new(), data, &mut out)
                    .map_err(|e| failed(&e))?;
                Ok(out)
            }
            (KeyKind::Rsa { .. }, SignatureAlgorithm::RsaSha1) => {
                let hash = super::DigestAlgorithm::Sha1.digest(data);
                self.legacy_rsa()?
                    .sign_pkcs1(&[&SHA1_DIGEST_INFO[..], &hash].concat())
            }
            (KeyKind::EcP256(kp), SignatureAlgorithm::EcdsaP256Sha256) => kp
                .sign(&SystemRandom::new(), data)
                .map(|s| s.as_ref().to_vec())
                .map_err(|e| failed(&e)),
            (_, alg) => Err(Error::crypto(
                "algorithm",
                format!("{} does not fit this key", alg.name()),
            )),
        }
    }
}

/// The algorithm OID of a PKCS#8 PrivateKeyInfo, and its curve OID for EC keys.
fn pkcs8_algorithm(pkcs8: &[u8]) -> Result<(String, Option<String>)> {
    let what = "PKCS#8 private key";
    let malformed = der::key_error;
    let (alg_id, _) = der::private_key_info(pkcs8)?;
    let (oid, params) = der::expect_tlv(alg_id, TAG_OID, what).map_err(malformed)?;
    let alg = der::oid_to_string(oid.content).map_err(malformed)?;
    let curve = match der::read_tlv(params, what) {
        Ok((p, _)) if p.tag == TAG_OID => Some(der::oid_to_string(p.content).map_err(malformed)?),
        _ => None,
    };
    Ok((alg, curve))
}

/// Wraps a PKCS#1 `RSAPrivateKey` into a PKCS#8 `PrivateKeyInfo`.
fn pkcs1_to_pkcs8(pkcs1: &[u8]) -> Zeroizing<Vec<u8>> {
    // version 0, AlgorithmIdentifier { rsaEncryption, NULL }
    const HEAD: [u8; 18] = [
        0x02, 0x01, 0x00, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01,
        0x01, 0x05, 0x00,
    ];
    let mut body = Zeroizing::new(HEAD.to_vec());
    der::push_tlv(&mut body, TAG_OCTET_STRING, pkcs1);
    let mut out = Zeroizing::new(Vec::with_capacity(body.len() + 4));
    der::push_tlv(&mut out, TAG_SEQUENCE, &body);
    out
}

/// A private key and its certificate chain (`[0]` is the certificate of the key).
///
/// It is not a [`Signer`] itself: get one with [`SigningIdentity::signer_at`], which checks
/// the certificate at the time you give. Cloning is cheap (the key is shared).
#[derive(Clone)]
pub struct SigningIdentity {
    key: Arc<KeyMaterial>,
    chain: Arc<[Certificate]>,
    algorithm: SignatureAlgorithm,
    alias: Option<String>,
}

impl SigningIdentity {
    /// Loads the one private key of a PKCS#12 (`.p12`/`.pfx`) file and its chain.
    ///
    /// Legacy (pbeWithSHAAnd3-KeyTripleDES-CBC, RC2-40, MAC SHA-1: how the IGC-Santé issues
    /// them) and modern (PBES2 with PBKDF2 and AES, MAC SHA-256) files are read. The key must
    /// be RSA (2048 to 4096 bits) or EC P-256 and match a certificate of the file. When the
    /// file holds several keys with their certificates, use
    /// [`SigningIdentity::from_pkcs12_alias`].
    ///
    /// Errors: `password` (wrong password), `p12` (not a PKCS#12 file, no private key, no
    /// certificate for the key, several keys), `key` (unsupported or too small key).
    pub fn from_pkcs12(p12: &[u8], password: &str) -> Result<Self> {
        Self::load_pkcs12(p12, password, None)
    }

    /// Like [`SigningIdentity::from_pkcs12`], taking the key whose friendly name (alias) is
    /// `alias`.
    pub fn from_pkcs12_alias(p12: &[u8], password: &str, alias: &str) -> Result<Self> {
        Self::load_pkcs12(p12, password, Some(alias))
    }

    fn load_pkcs12(p12: &[u8], password: &str, alias: Option<&str>) -> Result<Self> {
        let archive = p12_keystore::Pkcs12Archive::from_pkcs12(p12, password).map_err(p12_error)?;
        let certs = archive
            .certs
            .iter()
            .map(|bag| Certificate::from_der(bag.cert.as_der()))
            .collect::<Result<Vec<_>>>()?;
        if archive.keys.is_empty() {
            return Err(Error::crypto(
                "p12",
                format!(
                    "no private key in the PKCS#12 file (it holds {} certificate(s) only)",
                    certs.len()
                ),
            ));
        }
        let name_of = |bag: &p12_keystore::PrivateKeyBag| {
            bag.friendly_name
                .clone()
                .unwrap_or_else(|| "(no name)".to_owned())
        };
        let names: Vec<String> = archive.keys.iter().map(name_of).collect();
        let mut first_error = None;
        let mut found: Vec<(String, KeyMaterial, Certificate)> = Vec::new();
        for bag in &archive.keys {
            if let Some(alias) = alias {
                if bag.friendly_name.as_deref() != Some(alias) {
                    continue;
                }
            }
            let pkcs8 = Zeroizing::new(bag.key.as_der().to_vec());
            match KeyMaterial::from_pkcs8(pkcs8) {
                Ok(key) => match certs
                    .iter()
                    .find(|c| c.public_key_bits() == key.public_key_bits())
                {
                    Some(leaf) => found.push((name_of(bag), key, leaf.clone())),
                    None => {
                        first_error = first_error.or(Some(Error::crypto(
                            "p12",
                            format!(
                                "the private key {:?} has no matching certificate in the file",
                                name_of(bag)
                            ),
                        )))
                    }
                },
                Err(e) => first_error = first_error.or(Some(e)),
            }
        }
        if let (Some(alias), true) = (alias, found.is_empty() && first_error.is_none()) {
            return Err(Error::crypto(
                "p12",
                format!("no private key named {alias:?} in the PKCS#12 file (keys: {names:?})"),
            ));
        }
        if found.len() > 1 {
            let names: Vec<&str> = found.iter().map(|(n, _, _)| n.as_str()).collect();
            return Err(Error::crypto(
                "p12",
                format!(
                    "{} private keys with certificates in the PKCS#12 file ({names:?}); choose \
                     one with from_pkcs12_alias",
                    found.len()
                ),
            ));
        }
        let Some((name, key, leaf)) = found.pop() else {
            return Err(first_error.unwrap_or_else(|| {
                Error::crypto("p12", "no usable private key in the PKCS#12 file")
            }));
        };
        let chain = order_chain(leaf, &certs);
        Self::new(key, chain, Some(name))
    }

    /// Loads a PEM private key (`PRIVATE KEY`, i.e. unencrypted PKCS#8, or `RSA PRIVATE KEY`,
    /// PKCS#1) and a PEM certificate chain whose first certificate is the key's.
    pub fn from_pem(key_pem: &str, chain_pem: &str) -> Result<Self> {
        let blocks = der::pem_blocks(key_pem)?;
        let keys: Vec<_> = blocks
            .iter()
            .filter(|b| b.label.ends_with("PRIVATE KEY"))
            .collect();
        let block = match keys.as_slice() {
            [one] => *one,
            [] => {
                return Err(Error::crypto(
                    "pem",
                    "no \"-----BEGIN PRIVATE KEY-----\" block in the key PEM text",
                ))
            }
            many => {
                return Err(Error::crypto(
                    "pem",
                    format!(
                        "{} private keys in the key PEM text, expected one",
                        many.len()
                    ),
                ))
            }
        };
        let pkcs8 = match block.label.as_str() {
            "PRIVATE KEY" => Zeroizing::new(block.der.to_vec()),
            "RSA PRIVATE KEY" => pkcs1_to_pkcs8(&block.der),
            "ENCRYPTED PRIVATE KEY" => {
                return Err(Error::crypto(
                    "pem",
                    "encrypted PKCS#8 keys are not supported: use the PKCS#12 file, or \
                     `openssl pkcs8 -topk8 -nocrypt`",
                ))
            }
            other => {
                return Err(Error::crypto(
                    "pem",
                    format!(
                        "\"{other}\" keys are not supported: convert with \
                         `openssl pkcs8 -topk8 -nocrypt`"
                    ),
                ))
            }
        };
        let key = KeyMaterial::from_pkcs8(pkcs8)?;
        let chain = Certificate::chain_from_pem(chain_pem)?;
        Self::new(key, chain, None)
    }

    fn new(key: KeyMaterial, chain: Vec<Certificate>, alias: Option<String>) -> Result<Self> {
        let Some(leaf) = chain.first() else {
            return Err(Error::crypto("certificate", "empty certificate chain"));
        };
        leaf.check_rsa_size()?;
        if leaf.public_key_bits() != key.public_key_bits() {
            return Err(Error::crypto(
                "key",
                format!(
                    "the private key does not match the certificate '{}' (different public keys)",
                    leaf.subject_rfc2253()
                ),
            ));
        }
        let algorithm = key.default_algorithm();
        Ok(SigningIdentity {
            key: Arc::new(key),
            chain: chain.into(),
            algorithm,
            alias,
        })
    }

    /// Chooses the signature algorithm (default: `RsaSha256` for RSA keys,
    /// `EcdsaP256Sha256` for EC keys). `RsaSha1` is what the official DMP samples use.
    pub fn with_algorithm(mut self, algorithm: SignatureAlgorithm) -> Result<Self> {
        let fits = matches!(
            (&self.key.kind, algorithm),
            (
                KeyKind::Rsa { .. },
                SignatureAlgorithm::RsaSha1 | SignatureAlgorithm::RsaSha256
            ) | (KeyKind::EcP256(_), SignatureAlgorithm::EcdsaP256Sha256)
        );
        if !fits {
            return Err(Error::crypto(
                "algorithm",
                format!(
                    "{} does not fit the {} key of '{}'",
                    algorithm.name(),
                    self.certificate().public_key_algorithm(),
                    self.certificate().subject_rfc2253()
                ),
            ));
        }
        if algorithm == SignatureAlgorithm::RsaSha1 {
            self.key.legacy_rsa()?;
        }
        self.algorithm = algorithm;
        Ok(self)
    }

    /// The signature algorithm the signers will use.
    pub fn algorithm(&self) -> SignatureAlgorithm {
        self.algorithm
    }

    /// The signing certificate.
    pub fn certificate(&self) -> &Certificate {
        // `new` refuses an empty chain.
        &self.chain[0]
    }

    /// The chain, signing certificate first.
    pub fn certificate_chain(&self) -> &[Certificate] {
        &self.chain
    }

    /// The private key as PKCS#8 DER, for a TLS stack that must hold the key itself (the
    /// transport's mutual TLS with the ORG_AUTH_CLI or card authentication certificate).
    /// Signing XML goes through [`SigningIdentity::signer_at`], never through this.
    pub fn private_key_pkcs8(&self) -> &[u8] {
        &self.key.pkcs8
    }

    /// The PKCS#12 friendly name of the key, when loaded from PKCS#12 and it had one.
    pub fn alias(&self) -> Option<&str> {
        self.alias.as_deref()
    }

    /// Checks that the signing certificate may sign at `at` under `policy` (validity,
    /// not a CA, key usage: see [`UsagePolicy`]).
    pub fn check_usable_at(&self, at: DateTime<Utc>, policy: UsagePolicy) -> Result<()> {
        check_signing_certificate(self.certificate(), at, policy)
    }

    /// A [`Signer`] for signing at `at`, after [`SigningIdentity::check_usable_at`] passed.
    /// This is the only way to sign with a `SigningIdentity`.
    pub fn signer_at(&self, at: DateTime<Utc>, policy: UsagePolicy) -> Result<CheckedSigner> {
        self.check_usable_at(at, policy)?;
        Ok(CheckedSigner {
            key: Arc::clone(&self.key),
            chain: Arc::clone(&self.chain),
            algorithm: self.algorithm,
            checked_at: at,
        })
    }
}

impl fmt::Debug for SigningIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningIdentity")
            .field("subject", &self.certificate().subject_rfc2253())
            .field("algorithm", &self.algorithm)
            .field("chain_len", &self.chain.len())
            .finish_non_exhaustive()
    }
}

/// A [`Signer`] whose certificate was checked at [`CheckedSigner::checked_at`]; made by
/// [`SigningIdentity::signer_at`]. Make one per signing operation.
#[derive(Clone)]
pub struct CheckedSigner {
    key: Arc<KeyMaterial>,
    chain: Arc<[Certificate]>,
    algorithm: SignatureAlgorithm,
    checked_at: DateTime<Utc>,
}

impl CheckedSigner {
    /// The time the certificate was checked for (the signing time to put in the document).
    pub fn checked_at(&self) -> DateTime<Utc> {
        self.checked_at
    }
}

impl Signer for CheckedSigner {
    fn algorithm(&self) -> SignatureAlgorithm {
        self.algorithm
    }

    fn sign(&self, data: &[u8]) -> Result<Vec<u8>> {
        self.key.sign(self.algorithm, data)
    }

    fn certificate_chain(&self) -> &[Certificate] {
        &self.chain
    }
}

impl fmt::Debug for CheckedSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let subject = self
            .chain
            .first()
            .map(Certificate::subject_rfc2253)
            .unwrap_or_default();
        f.debug_struct("CheckedSigner")
            .field("subject", &subject)
            .field("algorithm", &self.algorithm)
            .field("checked_at", &self.checked_at)
            .finish_non_exhaustive()
    }
}

/// Orders `certs` into the path above `leaf`: each next certificate is the issuer (by name) of
/// the previous one; stops at a self-signed certificate or when no issuer is found.
fn order_chain(leaf: Certificate, certs: &[Certificate]) -> Vec<Certificate> {
    let mut chain = vec![leaf];
    while let Some(current) = chain.last() {
        if current.subject().der() == current.issuer().der() {
            break;
        }
        let Some(issuer) = certs
            .iter()
            .find(|c| c.subject().der() == current.issuer().der() && !chain.contains(c))
        else {
            break;
        };
        chain.push(issuer.clone());
    }
    chain
}

fn p12_error(e: p12_keystore::error::Error) -> Error {
    use p12_keystore::error::Error as P;
    match e {
        P::MacError(_) => Error::crypto(
            "password",
            "wrong password: the integrity check (MAC) of the PKCS#12 file fails",
        ),
        P::UnpadError | P::Pkcs5Error(_) => Error::crypto(
            "password",
            format!("wrong password or damaged PKCS#12 file: decryption failed ({e})"),
        ),
        P::UnsupportedEncryptionScheme | P::UnsupportedMacAlgorithm => {
            Error::crypto("p12", format!("unsupported PKCS#12 protection ({e})"))
        }
        P::InvalidParameters => Error::crypto(
            "p12",
            "PKCS#12 parameters refused (iteration counts or KDF costs beyond the limits)",
        ),
        other => Error::crypto("p12", format!("not a readable PKCS#12 file ({other})")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkcs8_headers() {
        assert!(pkcs8_algorithm(&[]).is_err());
        assert!(pkcs8_algorithm(&[0x30, 0x03, 0x02, 0x01, 0x00]).is_err());
        let wrapped = pkcs1_to_pkcs8(&[0x30, 0x00]);
        assert_eq!(
            pkcs8_algorithm(&wrapped).unwrap(),
            (OID_RSA.to_owned(), None)
        );
        assert!(KeyMaterial::from_pkcs8(wrapped).is_err());
    }
}

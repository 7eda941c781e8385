//! Keys, certificates and signers: what the XML signatures of the DMP (the VIHF assertion, the
//! XAdES signature of a TD2.1 submission set) need, without any XML.
//!
//! - [`Certificate`]: an X.509 certificate parsed once; subject and issuer in the RFC 2253
//!   form the DMP shows ([`DnStyle`]), decimal serial, validity, key usage, the IGC-Santé
//!   structure identifier ([`Certificate::structure_id`]), SHA-1/SHA-256 of the DER, signature
//!   verification.
//! - [`verify_chain`]: path building from a leaf to a trusted root, at a given time.
//! - [`SigningIdentity`]: a private key and its chain, from a PKCS#12 file (the IGC-Santé
//!   delivers ORG_SIGN as one, with legacy 3DES/RC2 encryption) or from PEM.
//! - [`Signer`]: the object-safe trait the XML-DSig layer signs with; implemented by
//!   [`CheckedSigner`] (from [`SigningIdentity::signer_at`]) and [`CallbackSigner`] (a key
//!   held elsewhere: PKCS#11, HSM, a C callback).
//!
//! # The clock is an input
//!
//! Nothing here reads the system clock. A [`SigningIdentity`] is only key material: to sign,
//! ask it for a signer **at a time you pass** with a [`UsagePolicy`]:
//! [`SigningIdentity::signer_at`] checks that the signing certificate is valid then and has a
//! signature key usage, and only then returns a [`CheckedSigner`]. So `sign` cannot be reached
//! with an expired or authentication-only certificate unless the caller wrote
//! [`UsagePolicy::AllowInvalid`]. Make a signer per signing operation with the time you put in
//! the signed document (VIHF `IssueInstant`, XAdES `SigningTime`); it is cheap (two `Arc`
//! clones).
//!
//! # Algorithms
//!
//! `ring` signs RSA PKCS#1 v1.5 SHA-256 and ECDSA P-256 and verifies everything, including
//! RSA-SHA1 through its legacy verifier. `ring` cannot *sign* RSA-SHA1, yet every official DMP
//! sample (XAdES and VIHF) is RSA-SHA1, and SHA-256 for the XAdES is not evidenced. The
//! RSA-SHA1 signing path alone therefore uses the pure-Rust `rsa` crate, version 0.10, with
//! blinding from the operating system RNG. Versions before 0.10 are affected by
//! RUSTSEC-2023-0071 (the "Marvin" timing side channel: non-constant-time modular
//! exponentiation that can leak the private key to an attacker who times many private-key
//! operations); 0.10 replaced the big-number arithmetic with the constant-time `crypto-bigint`.
//! The exposure is small here anyway (the signer signs documents it builds itself, a few per
//! minute, and PKCS#1 v1.5 signing is deterministic), but prefer [`SignatureAlgorithm::RsaSha256`]
//! wherever the DMP accepts it (the VIHF does).
//!
//! # Secrets
//!
//! Private keys never appear in `Debug` output (a [`SigningIdentity`] prints its subject DN);
//! the PKCS#8 bytes this module keeps are zeroised on drop. The PKCS#12 decoder's own
//! intermediate buffers are not under our control.

mod callback;
mod certificate;
mod chain;
pub(crate) mod der;
mod dn;
mod identity;
#[cfg(target_arch = "x86_64")]
mod ifma;
mod montgomery;
mod rsa_private;

use std::fmt;

use chrono::{DateTime, Utc};

pub use callback::{CallbackSigner, SignCallback};
pub use certificate::{Certificate, KeyUsage, PublicKeyAlgorithm};
pub(crate) use chain::check_validity;
pub use chain::verify_chain;
pub use dn::{
    DistinguishedName, DnAttribute, DnStyle, OID_C, OID_CN, OID_DC, OID_EMAIL, OID_GN, OID_L,
    OID_O, OID_OU, OID_SERIAL_NUMBER, OID_SN, OID_ST, OID_STREET, OID_TITLE, OID_UID,
};
pub use identity::{CheckedSigner, SigningIdentity};

use crate::error::{Error, Result};

/// A digest being computed ([`DigestAlgorithm::start`]). SHA-1 is RustCrypto's `sha1`
/// (≈ 4× faster than ring's on the feed path's megabytes), SHA-256 ring's.
#[derive(Clone)]
pub struct DigestContext(RunningDigest);

#[derive(Clone)]
enum RunningDigest {
    Sha1(sha1::Sha1),
    Sha256(ring::digest::Context),
}

impl DigestContext {
    /// Adds `data`.
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.0 {
            RunningDigest::Sha1(h) => sha1::Digest::update(h, data),
            RunningDigest::Sha256(h) => h.update(data),
        }
    }

    /// The digest of everything added.
    pub fn finish(self) -> Vec<u8> {
        match self.0 {
            RunningDigest::Sha1(h) => sha1::Digest::finalize(h).to_vec(),
            RunningDigest::Sha256(h) => h.finish().as_ref().to_vec(),
        }
    }
}

impl std::fmt::Debug for DigestContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.0 {
            RunningDigest::Sha1(_) => "DigestContext(SHA-1)",
            RunningDigest::Sha256(_) => "DigestContext(SHA-256)",
        })
    }
}

/// Digest algorithms of XML-DSig references.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DigestAlgorithm {
    /// SHA-1 (`http://www.w3.org/2000/09/xmldsig#sha1`): every official DMP sample.
    Sha1,
    /// SHA-256 (`http://www.w3.org/2001/04/xmlenc#sha256`).
    Sha256,
}

impl DigestAlgorithm {
    /// The XML-DSig algorithm URI.
    pub fn uri(self) -> &'static str {
        match self {
            DigestAlgorithm::Sha1 => "http://www.w3.org/2000/09/xmldsig#sha1",
            DigestAlgorithm::Sha256 => "http://www.w3.org/2001/04/xmlenc#sha256",
        }
    }

    /// The algorithm of an XML-DSig URI.
    pub fn from_uri(uri: &str) -> Result<Self> {
        [DigestAlgorithm::Sha1, DigestAlgorithm::Sha256]
            .into_iter()
            .find(|a| a.uri() == uri)
            .ok_or_else(|| {
                Error::crypto(
                    "algorithm",
                    format!("unsupported digest algorithm URI {uri:?}"),
                )
            })
    }

    /// The digest of `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        let mut d = self.start();
        d.update(data);
        d.finish()
    }

    /// A running digest, fed in chunks (a canonical form as it is written).
    pub fn start(self) -> DigestContext {
        DigestContext(match self {
            DigestAlgorithm::Sha1 => RunningDigest::Sha1(<sha1::Sha1 as sha1::Digest>::new()),
            DigestAlgorithm::Sha256 => {
                RunningDigest::Sha256(ring::digest::Context::new(&ring::digest::SHA256))
            }
        })
    }

    /// The digest length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            DigestAlgorithm::Sha1 => 20,
            DigestAlgorithm::Sha256 => 32,
        }
    }
}

/// Signature algorithms of XML-DSig `SignatureMethod`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureAlgorithm {
    /// RSA PKCS#1 v1.5 with SHA-1 (`http://www.w3.org/2000/09/xmldsig#rsa-sha1`): every
    /// official DMP sample. Signed with the `rsa` crate (see the module documentation).
    RsaSha1,
    /// RSA PKCS#1 v1.5 with SHA-256 (`http://www.w3.org/2001/04/xmldsig-more#rsa-sha256`).
    RsaSha256,
    /// ECDSA on P-256 with SHA-256 (`http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256`);
    /// the value is the raw `r || s` (64 bytes), as XML-DSig wants it.
    EcdsaP256Sha256,
}

impl SignatureAlgorithm {
    /// The XML-DSig algorithm URI.
    pub fn uri(self) -> &'static str {
        match self {
            SignatureAlgorithm::RsaSha1 => "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
            SignatureAlgorithm::RsaSha256 => "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            SignatureAlgorithm::EcdsaP256Sha256 => {
                "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
            }
        }
    }

    /// The algorithm of an XML-DSig URI.
    pub fn from_uri(uri: &str) -> Result<Self> {
        [
            SignatureAlgorithm::RsaSha1,
            SignatureAlgorithm::RsaSha256,
            SignatureAlgorithm::EcdsaP256Sha256,
        ]
        .into_iter()
        .find(|a| a.uri() == uri)
        .ok_or_else(|| {
            Error::crypto(
                "algorithm",
                format!("unsupported signature algorithm URI {uri:?}"),
            )
        })
    }

    /// The digest algorithm inside the signature.
    pub fn digest(self) -> DigestAlgorithm {
        match self {
            SignatureAlgorithm::RsaSha1 => DigestAlgorithm::Sha1,
            SignatureAlgorithm::RsaSha256 | SignatureAlgorithm::EcdsaP256Sha256 => {
                DigestAlgorithm::Sha256
            }
        }
    }

    /// A short name for messages (`rsa-sha1`, `rsa-sha256`, `ecdsa-sha256`).
    pub fn name(self) -> &'static str {
        match self {
            SignatureAlgorithm::RsaSha1 => "rsa-sha1",
            SignatureAlgorithm::RsaSha256 => "rsa-sha256",
            SignatureAlgorithm::EcdsaP256Sha256 => "ecdsa-sha256",
        }
    }
}

impl fmt::Display for SignatureAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Something that signs bytes with the key of a certificate: the interface the XML-DSig
/// layer uses. Object-safe, so a PKCS#11 token, an HSM or a C callback can implement it.
pub trait Signer: Send + Sync {
    /// The signature algorithm of [`Signer::sign`].
    fn algorithm(&self) -> SignatureAlgorithm;

    /// Signs `data` (the whole data, not a digest: the signer hashes it). The result is the
    /// XML-DSig `SignatureValue` bytes (before base64).
    fn sign(&self, data: &[u8]) -> Result<Vec<u8>>;

    /// The certificate chain: `[0]` is the signing certificate, then its issuers (the root
    /// may be absent). Never empty for the signers of this module.
    fn certificate_chain(&self) -> &[Certificate];

    /// The signing certificate (`certificate_chain()[0]`).
    fn signing_certificate(&self) -> Option<&Certificate> {
        self.certificate_chain().first()
    }
}

/// What [`check_signing_certificate`] (and so [`SigningIdentity::signer_at`] and
/// [`CallbackSigner::new`]) accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum UsagePolicy {
    /// The DMP's rule for signature certificates: valid at the given time, not a CA, and a
    /// `keyUsage` with **nonRepudiation**. The IGC-Santé ORG_SIGN and the CPS signature key
    /// carry it; authentication certificates (ORG_AUTH_CLI, the CPS authentication key) carry
    /// only digitalSignature, and the DMP refuses a VIHF signed with them ("Le certificat ayant
    /// signé le VIHF est invalide : Not a valid signature certificate").
    #[default]
    DmpSignature,
    /// Valid at the given time, not a CA, and `keyUsage` (when present) with digitalSignature
    /// or nonRepudiation. For other relying parties than the DMP.
    AnySignature,
    /// No check at all: expired, not yet valid or authentication certificates are accepted.
    /// For tests and replays of old material only.
    AllowInvalid,
}

/// Checks that `cert` may sign at `at` under `policy`; the error says what is wrong (expired
/// on, not valid before, key usage found).
pub fn check_signing_certificate(
    cert: &Certificate,
    at: DateTime<Utc>,
    policy: UsagePolicy,
) -> Result<()> {
    if policy == UsagePolicy::AllowInvalid {
        return Ok(());
    }
    let subject = cert.subject_rfc2253();
    if at > cert.not_after() {
        return Err(Error::crypto(
            "usage",
            format!(
                "certificate '{subject}' expired on {} (signing time {})",
                cert.not_after().to_rfc3339(),
                at.to_rfc3339()
            ),
        ));
    }
    if at < cert.not_before() {
        return Err(Error::crypto(
            "usage",
            format!(
                "certificate '{subject}' is not valid before {} (signing time {})",
                cert.not_before().to_rfc3339(),
                at.to_rfc3339()
            ),
        ));
    }
    check_key_usage(cert, policy)
}

/// The part of [`check_signing_certificate`] that does not depend on time (not a CA, key
/// usage under `policy`): what the verifier applies to a signer besides the dates.
pub(crate) fn check_key_usage(cert: &Certificate, policy: UsagePolicy) -> Result<()> {
    if policy == UsagePolicy::AllowInvalid {
        return Ok(());
    }
    let subject = cert.subject_rfc2253();
    if cert.is_ca() {
        return Err(Error::crypto(
            "usage",
            format!("certificate '{subject}' is a CA certificate, not a signature certificate"),
        ));
    }
    let usages = |ku: &KeyUsage| {
        let names = ku.names();
        if names.is_empty() {
            "none".to_owned()
        } else {
            names.join(", ")
        }
    };
    match (policy, cert.key_usage()) {
        (UsagePolicy::DmpSignature, None) => Err(Error::crypto(
            "usage",
            format!(
                "certificate '{subject}' has no keyUsage extension; the DMP requires a \
                 signature certificate (nonRepudiation)"
            ),
        )),
        (UsagePolicy::DmpSignature, Some(ku)) if !ku.non_repudiation => Err(Error::crypto(
            "usage",
            format!(
                "certificate '{subject}' is not a signature certificate: keyUsage is {} and the \
                 DMP requires nonRepudiation (an authentication certificate such as \
                 ORG_AUTH_CLI cannot sign the VIHF or the XAdES)",
                usages(&ku)
            ),
        )),
        (UsagePolicy::AnySignature, Some(ku)) if !ku.non_repudiation && !ku.digital_signature => {
            Err(Error::crypto(
                "usage",
                format!(
                    "certificate '{subject}' may not sign: keyUsage is {} (digitalSignature or \
                     nonRepudiation required)",
                    usages(&ku)
                ),
            ))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_round_trip() {
        for a in [DigestAlgorithm::Sha1, DigestAlgorithm::Sha256] {
            assert_eq!(DigestAlgorithm::from_uri(a.uri()).unwrap(), a);
            assert_eq!(a.digest(b"abc").len(), a.output_len());
        }
        for a in [
            SignatureAlgorithm::RsaSha1,
            SignatureAlgorithm::RsaSha256,
            SignatureAlgorithm::EcdsaP256Sha256,
        ] {
            assert_eq!(SignatureAlgorithm::from_uri(a.uri()).unwrap(), a);
        }
        assert!(DigestAlgorithm::from_uri("http://www.w3.org/2001/04/xmlenc#sha512").is_err());
        assert!(SignatureAlgorithm::from_uri("rsa-sha1").is_err());
        assert_eq!(
            SignatureAlgorithm::EcdsaP256Sha256.digest(),
            DigestAlgorithm::Sha256
        );
    }

    #[test]
    fn digests_match_known_vectors() {
        assert_eq!(
            der::hex(&DigestAlgorithm::Sha1.digest(b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(
            der::hex(&DigestAlgorithm::Sha256.digest(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}

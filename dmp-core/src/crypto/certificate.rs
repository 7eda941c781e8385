//! X.509 certificates: parsed once on construction into owned fields.

use std::fmt;

use chrono::{DateTime, Utc};
use ring::signature::{self as sig, UnparsedPublicKey};
use x509_parser::prelude::{FromDer, X509Certificate};

use super::der;
use super::dn::{DistinguishedName, DnStyle, OID_OU};
use super::{DigestAlgorithm, SignatureAlgorithm};
use crate::error::{Error, Result};

const OID_RSA: &str = "1.2.840.113549.1.1.1";
const OID_EC: &str = "1.2.840.10045.2.1";
const OID_P256: &str = "1.2.840.10045.3.1.7";
const OID_P384: &str = "1.3.132.0.34";

/// The key usages of a certificate (X.509 `keyUsage` extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct KeyUsage {
    /// `digitalSignature` (authentication certificates, some seal certificates).
    pub digital_signature: bool,
    /// `nonRepudiation` / `contentCommitment` (signature certificates: CPS signature key,
    /// IGC-Santé ORG_SIGN).
    pub non_repudiation: bool,
    /// `keyEncipherment`.
    pub key_encipherment: bool,
    /// `dataEncipherment`.
    pub data_encipherment: bool,
    /// `keyAgreement`.
    pub key_agreement: bool,
    /// `keyCertSign` (certification authorities).
    pub key_cert_sign: bool,
    /// `cRLSign`.
    pub crl_sign: bool,
    /// `encipherOnly`.
    pub encipher_only: bool,
    /// `decipherOnly`.
    pub decipher_only: bool,
}

impl KeyUsage {
    /// The names of the usages that are set, in the order of RFC 5280.
    pub fn names(&self) -> Vec<&'static str> {
        [
            (self.digital_signature, "digitalSignature"),
            (self.non_repudiation, "nonRepudiation"),
            (self.key_encipherment, "keyEncipherment"),
            (self.data_encipherment, "dataEncipherment"),
            (self.key_agreement, "keyAgreement"),
            (self.key_cert_sign, "keyCertSign"),
            (self.crl_sign, "cRLSign"),
            (self.encipher_only, "encipherOnly"),
            (self.decipher_only, "decipherOnly"),
        ]
        .into_iter()
        .filter_map(|(set, name)| set.then_some(name))
        .collect()
    }

    fn from_flags(flags: u16) -> Self {
        let bit = |n: u16| flags & (1 << n) != 0;
        KeyUsage {
            digital_signature: bit(0),
            non_repudiation: bit(1),
            key_encipherment: bit(2),
            data_encipherment: bit(3),
            key_agreement: bit(4),
            key_cert_sign: bit(5),
            crl_sign: bit(6),
            encipher_only: bit(7),
            decipher_only: bit(8),
        }
    }
}

/// The algorithm of a certificate's public key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PublicKeyAlgorithm {
    /// RSA, with the size of the modulus in bits.
    Rsa {
        /// Modulus size in bits.
        bits: usize,
    },
    /// ECDSA on NIST P-256.
    EcP256,
    /// ECDSA on NIST P-384.
    EcP384,
    /// Anything else (DSA, other curves, EdDSA…), by OID; this module cannot use it.
    Other {
        /// The algorithm OID, and for EC keys `/` the curve OID.
        oid: String,
    },
}

impl fmt::Display for PublicKeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PublicKeyAlgorithm::Rsa { bits } => write!(f, "RSA {bits} bits"),
            PublicKeyAlgorithm::EcP256 => f.write_str("ECDSA P-256"),
            PublicKeyAlgorithm::EcP384 => f.write_str("ECDSA P-384"),
            PublicKeyAlgorithm::Other { oid } => write!(f, "unsupported key algorithm {oid}"),
        }
    }
}

/// An X.509 certificate, parsed on construction. Cheap to read, no lifetime: it owns its
/// DER bytes and the fields this crate needs.
#[derive(Clone)]
pub struct Certificate {
    der: Vec<u8>,
    tbs: Vec<u8>,
    subject: DistinguishedName,
    issuer: DistinguishedName,
    serial: Vec<u8>,
    not_before: DateTime<Utc>,
    not_after: DateTime<Utc>,
    key_usage: Option<KeyUsage>,
    ca: Option<(bool, Option<u32>)>,
    public_key_algorithm: PublicKeyAlgorithm,
    /// The subjectPublicKey bits: RSAPublicKey DER for RSA, the uncompressed point for EC.
    public_key: Vec<u8>,
    signature_oid: String,
    signature: Vec<u8>,
}

impl Certificate {
    /// Parses one DER certificate. Trailing bytes are refused.
    pub fn from_der(der: &[u8]) -> Result<Self> {
        let (rest, x509) = X509Certificate::from_der(der).map_err(|e| {
            Error::crypto("certificate", format!("not a DER X.509 certificate ({e})"))
        })?;
        if !rest.is_empty() {
            return Err(Error::crypto(
                "certificate",
                format!("{} trailing bytes after the certificate", rest.len()),
            ));
        }
        let bad = |what: &str, e: &dyn fmt::Display| {
            Error::crypto("certificate", format!("malformed {what} extension ({e})"))
        };
        let tbs = &x509.tbs_certificate;
        let subject = DistinguishedName::from_der(tbs.subject.as_raw())?;
        let issuer = DistinguishedName::from_der(tbs.issuer.as_raw())?;
        let time = |t: &x509_parser::time::ASN1Time| {
            DateTime::<Utc>::from_timestamp(t.timestamp(), 0).ok_or_else(|| {
                Error::crypto("certificate", "validity date out of range".to_owned())
            })
        };
        let not_before = time(&tbs.validity.not_before)?;
        let not_after = time(&tbs.validity.not_after)?;
        let key_usage = x509
            .key_usage()
            .map_err(|e| bad("keyUsage", &e))?
            .map(|ext| KeyUsage::from_flags(ext.value.flags));
        let ca = x509
            .basic_constraints()
            .map_err(|e| bad("basicConstraints", &e))?
            .map(|ext| (ext.value.ca, ext.value.path_len_constraint));
        let spki = &tbs.subject_pki;
        let alg_oid = spki.algorithm.algorithm.to_id_string();
        let public_key = spki.subject_public_key.data.to_vec();
        let public_key_algorithm = match alg_oid.as_str() {
            OID_RSA => match spki.parsed() {
                Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => PublicKeyAlgorithm::Rsa {
                    bits: bit_len(rsa.modulus),
                },
                _ => {
                    return Err(Error::crypto(
                        "certificate",
                        "malformed RSA public key".to_owned(),
                    ))
                }
            },
            OID_EC => {
                let curve = spki
                    .algorithm
                    .parameters
                    .as_ref()
                    .and_then(|p| p.as_oid().ok())
                    .map(|o| o.to_id_string())
                    .unwrap_or_default();
                match curve.as_str() {
                    OID_P256 => PublicKeyAlgorithm::EcP256,
                    OID_P384 => PublicKeyAlgorithm::EcP384,
                    _ => PublicKeyAlgorithm::Other {
                        oid: format!("{alg_oid}/{curve}"),
                    },
                }
            }
            _ => PublicKeyAlgorithm::Other { oid: alg_oid },
        };
        Ok(Certificate {
            der: der.to_vec(),
            tbs: tbs.as_ref().to_vec(),
            serial: tbs.raw_serial().to_vec(),
            subject,
            issuer,
            not_before,
            not_after,
            key_usage,
            ca,
            public_key_algorithm,
            public_key,
            signature_oid: x509.signature_algorithm.algorithm.to_id_string(),
            signature: x509.signature_value.data.to_vec(),
        })
    }

    /// Parses exactly one `CERTIFICATE` PEM block (other blocks are ignored).
    pub fn from_pem(pem: &str) -> Result<Self> {
        let mut chain = Self::chain_from_pem(pem)?;
        if chain.len() != 1 {
            return Err(Error::crypto(
                "certificate",
                format!(
                    "expected one PEM certificate, found {} (use chain_from_pem)",
                    chain.len()
                ),
            ));
        }
        Ok(chain.remove(0))
    }

    /// Parses every `CERTIFICATE` PEM block, in order (other blocks are ignored). At least
    /// one is required.
    pub fn chain_from_pem(pem: &str) -> Result<Vec<Self>> {
        let certs = der::pem_blocks(pem)?
            .iter()
            .filter(|b| b.label == "CERTIFICATE")
            .map(|b| Certificate::from_der(&b.der))
            .collect::<Result<Vec<_>>>()?;
        if certs.is_empty() {
            return Err(Error::crypto(
                "certificate",
                "no \"-----BEGIN CERTIFICATE-----\" block in the PEM text".to_owned(),
            ));
        }
        Ok(certs)
    }

    /// The DER encoding.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The subject name.
    pub fn subject(&self) -> &DistinguishedName {
        &self.subject
    }

    /// The issuer name.
    pub fn issuer(&self) -> &DistinguishedName {
        &self.issuer
    }

    /// The subject in RFC 2253 form, DMP style (`CN=…,OU=…,O=…,ST=…,C=FR`): what the VIHF
    /// `Issuer` carries.
    pub fn subject_rfc2253(&self) -> String {
        self.subject.to_rfc2253()
    }

    /// The issuer in RFC 2253 form, DMP style: what the XAdES `X509IssuerName` carries.
    pub fn issuer_rfc2253(&self) -> String {
        self.issuer.to_rfc2253()
    }

    /// The subject in RFC 2253 form with the attribute names of `style`.
    pub fn subject_rfc2253_with(&self, style: DnStyle) -> String {
        self.subject.to_rfc2253_with(style)
    }

    /// The serial number as the DER INTEGER content (big-endian two's complement).
    pub fn serial_bytes(&self) -> &[u8] {
        &self.serial
    }

    /// The serial number in decimal, as XAdES `X509SerialNumber` wants it
    /// (e.g. `159655096103497701664027626074020656119`).
    pub fn serial_decimal(&self) -> String {
        signed_be_to_decimal(&self.serial)
    }

    /// Start of validity.
    pub fn not_before(&self) -> DateTime<Utc> {
        self.not_before
    }

    /// End of validity.
    pub fn not_after(&self) -> DateTime<Utc> {
        self.not_after
    }

    /// Whether `at` lies within the validity period (bounds included, as RFC 5280 says).
    pub fn is_valid_at(&self, at: DateTime<Utc>) -> bool {
        self.not_before <= at && at <= self.not_after
    }

    /// The `keyUsage` extension; `None` when the certificate has none.
    pub fn key_usage(&self) -> Option<KeyUsage> {
        self.key_usage
    }

    /// Whether `basicConstraints` says this is a CA.
    pub fn is_ca(&self) -> bool {
        matches!(self.ca, Some((true, _)))
    }

    /// Whether the certificate has a basicConstraints extension at all.
    pub(crate) fn has_basic_constraints(&self) -> bool {
        self.ca.is_some()
    }

    /// The `pathLenConstraint` of a CA certificate, if any.
    pub fn path_len_constraint(&self) -> Option<u32> {
        self.ca.and_then(|(ca, len)| if ca { len } else { None })
    }

    /// The values of the subject's `OU` attributes, in DER order.
    pub fn organizational_units(&self) -> Vec<String> {
        self.subject.values(OID_OU).map(str::to_owned).collect()
    }

    /// The structure identifier (StructIdNat) that the IGC-Santé puts in the subject `OU` of
    /// a structure (personne morale) certificate: `1`+FINESS (e.g. `10B0127189`), `3`+SIRET
    /// (e.g. `339172288100052`), `2`+SIREN, `0`+ADELI, `4`+RPPS rank. The DMP compares it with
    /// the VIHF `Identifiant_Structure` in indirect mode.
    ///
    /// Returns the first `OU` shaped like one (a digit 0 to 4 then at least eight letters or
    /// digits, no blank); `None` for personal (CPS) and CA certificates.
    pub fn structure_id(&self) -> Option<&str> {
        self.subject.values(OID_OU).find(|ou| {
            let mut chars = ou.chars();
            matches!(chars.next(), Some('0'..='4'))
                && ou.len() >= 9
                && chars.all(|c| c.is_ascii_alphanumeric())
        })
    }

    /// SHA-1 of the DER encoding (the XAdES 1.1.1 `CertDigest` of the DMP samples).
    pub fn sha1(&self) -> Vec<u8> {
        DigestAlgorithm::Sha1.digest(&self.der)
    }

    /// SHA-256 of the DER encoding.
    pub fn sha256(&self) -> Vec<u8> {
        DigestAlgorithm::Sha256.digest(&self.der)
    }

    /// The digest of the DER encoding with `alg`.
    pub fn digest(&self, alg: DigestAlgorithm) -> Vec<u8> {
        alg.digest(&self.der)
    }

    /// The algorithm of the public key.
    pub fn public_key_algorithm(&self) -> &PublicKeyAlgorithm {
        &self.public_key_algorithm
    }

    /// The subjectPublicKey bits (RSAPublicKey DER for RSA, uncompressed point for EC).
    pub(crate) fn public_key_bits(&self) -> &[u8] {
        &self.public_key
    }

    /// The certificate's own signature algorithm OID and value (made by its issuer).
    pub(crate) fn signature(&self) -> (&str, &[u8]) {
        (&self.signature_oid, &self.signature)
    }

    /// Verifies `signature` over `data` with this certificate's public key.
    ///
    /// RSA keys must have 2048 to 8192 bits. `RsaSha1` uses ring's legacy SHA-1 verifier
    /// (every official DMP sample is RSA-SHA1). `EcdsaP256Sha256` takes the XML-DSig form:
    /// the raw `r || s`, 64 bytes.
    pub fn verify_signature(
        &self,
        alg: SignatureAlgorithm,
        data: &[u8],
        signature: &[u8],
    ) -> Result<()> {
        let params: &'static dyn sig::VerificationAlgorithm =
            match (alg, &self.public_key_algorithm) {
                (SignatureAlgorithm::RsaSha1, PublicKeyAlgorithm::Rsa { .. }) => {
                    &sig::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY
                }
                (SignatureAlgorithm::RsaSha256, PublicKeyAlgorithm::Rsa { .. }) => {
                    &sig::RSA_PKCS1_2048_8192_SHA256
                }
                (SignatureAlgorithm::EcdsaP256Sha256, PublicKeyAlgorithm::EcP256) => {
                    &sig::ECDSA_P256_SHA256_FIXED
                }
                (alg, key) => {
                    return Err(Error::crypto(
                        "algorithm",
                        format!(
                            "{} cannot be verified with the {key} key of '{}'",
                            alg.name(),
                            self.subject_rfc2253()
                        ),
                    ))
                }
            };
        self.check_rsa_size()?;
        UnparsedPublicKey::new(params, &self.public_key)
            .verify(data, signature)
            .map_err(|_| {
                Error::crypto(
                    "signature",
                    format!(
                        "{} signature does not verify with the key of '{}'",
                        alg.name(),
                        self.subject_rfc2253()
                    ),
                )
            })
    }

    /// Refuses RSA keys smaller than 2048 bits (ring's minimum, and the IGC-Santé's).
    pub(crate) fn check_rsa_size(&self) -> Result<()> {
        match self.public_key_algorithm {
            PublicKeyAlgorithm::Rsa { bits } if bits < 2048 => Err(Error::crypto(
                "key",
                format!(
                    "RSA key of {bits} bits in '{}': at least 2048 bits are required",
                    self.subject_rfc2253()
                ),
            )),
            _ => Ok(()),
        }
    }

    /// Verifies this certificate's own signature with the key of `issuer`.
    pub(crate) fn verify_issued_by(&self, issuer: &Certificate) -> Result<()> {
        let (oid, value) = self.signature();
        let params: &'static dyn sig::VerificationAlgorithm =
            match (oid, &issuer.public_key_algorithm) {
                ("1.2.840.113549.1.1.5", PublicKeyAlgorithm::Rsa { .. }) => {
                    &sig::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY
                }
                ("1.2.840.113549.1.1.11", PublicKeyAlgorithm::Rsa { .. }) => {
                    &sig::RSA_PKCS1_2048_8192_SHA256
                }
                ("1.2.840.113549.1.1.12", PublicKeyAlgorithm::Rsa { .. }) => {
                    &sig::RSA_PKCS1_2048_8192_SHA384
                }
                ("1.2.840.113549.1.1.13", PublicKeyAlgorithm::Rsa { .. }) => {
                    &sig::RSA_PKCS1_2048_8192_SHA512
                }
                ("1.2.840.10045.4.3.2", PublicKeyAlgorithm::EcP256) => &sig::ECDSA_P256_SHA256_ASN1,
                ("1.2.840.10045.4.3.2", PublicKeyAlgorithm::EcP384) => &sig::ECDSA_P384_SHA256_ASN1,
                ("1.2.840.10045.4.3.3", PublicKeyAlgorithm::EcP256) => &sig::ECDSA_P256_SHA384_ASN1,
                ("1.2.840.10045.4.3.3", PublicKeyAlgorithm::EcP384) => &sig::ECDSA_P384_SHA384_ASN1,
                (oid, key) => {
                    return Err(Error::crypto(
                        "chain",
                        format!(
                            "'{}' is signed with algorithm {oid}, which cannot be checked with \
                             the {key} key of its issuer",
                            self.subject_rfc2253()
                        ),
                    ))
                }
            };
        issuer.check_rsa_size()?;
        UnparsedPublicKey::new(params, &issuer.public_key)
            .verify(&self.tbs, value)
            .map_err(|_| {
                Error::crypto(
                    "chain",
                    format!(
                        "the signature of '{}' does not verify with the key of '{}'",
                        self.subject_rfc2253(),
                        issuer.subject_rfc2253()
                    ),
                )
            })
    }
}

impl PartialEq for Certificate {
    fn eq(&self, other: &Self) -> bool {
        self.der == other.der
    }
}

impl Eq for Certificate {}

impl std::hash::Hash for Certificate {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.der.hash(state);
    }
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("subject", &self.subject_rfc2253())
            .field("issuer", &self.issuer_rfc2253())
            .field("serial", &self.serial_decimal())
            .field("not_after", &self.not_after)
            .finish()
    }
}

/// Number of significant bits of a big-endian unsigned integer.
fn bit_len(bytes: &[u8]) -> usize {
    let trimmed: &[u8] = {
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        &bytes[skip..]
    };
    match trimmed.first() {
        None => 0,
        Some(&top) => (trimmed.len() - 1) * 8 + (8 - top.leading_zeros() as usize),
    }
}

/// Decimal form of a big-endian two's complement integer (DER INTEGER content), by repeated
/// division by 10^9 on the byte string: no big-number crate needed.
pub(crate) fn signed_be_to_decimal(bytes: &[u8]) -> String {
    let negative = bytes.first().is_some_and(|b| b & 0x80 != 0);
    let mut magnitude: Vec<u8> = if negative {
        // Two's complement: invert and add one.
        let mut m: Vec<u8> = bytes.iter().map(|b| !b).collect();
        for byte in m.iter_mut().rev() {
            let (v, carry) = byte.overflowing_add(1);
            *byte = v;
            if !carry {
                break;
            }
        }
        m
    } else {
        bytes.to_vec()
    };
    let mut chunks: Vec<u32> = Vec::new(); // base 10^9 digits, least significant first
    loop {
        let skip = magnitude.iter().take_while(|&&b| b == 0).count();
        magnitude.drain(..skip);
        if magnitude.is_empty() {
            break;
        }
        let mut rem: u64 = 0;
        for byte in magnitude.iter_mut() {
            let acc = (rem << 8) | u64::from(*byte);
            // acc < 256 * 10^9, so the quotient fits in a byte.
            *byte = (acc / 1_000_000_000) as u8;
            rem = acc % 1_000_000_000;
        }
        chunks.push(rem as u32);
    }
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    match chunks.split_last() {
        None => out.push('0'),
        Some((most, rest)) => {
            out.push_str(&most.to_string());
            for chunk in rest.iter().rev() {
                out.push_str(&format!("{chunk:09}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_serials() {
        assert_eq!(signed_be_to_decimal(&[]), "0");
        assert_eq!(signed_be_to_decimal(&[0]), "0");
        assert_eq!(signed_be_to_decimal(&[0x01]), "1");
        assert_eq!(signed_be_to_decimal(&[0x00, 0xff]), "255");
        assert_eq!(signed_be_to_decimal(&[0xff]), "-1");
        assert_eq!(signed_be_to_decimal(&[0x80]), "-128");
        assert_eq!(
            signed_be_to_decimal(&[0x3b, 0x9a, 0xca, 0x00]),
            "1000000000"
        );
        // The serial of the official DMP XAdES sample certificate.
        let serial = [
            0x78, 0x1c, 0x73, 0xfa, 0x2a, 0x67, 0xbb, 0x14, 0x90, 0x65, 0x41, 0xc6, 0x49, 0x0a,
            0x33, 0xf7,
        ];
        assert_eq!(
            signed_be_to_decimal(&serial),
            "159655096103497701664027626074020656119"
        );
        assert_eq!(
            signed_be_to_decimal(&[0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            u64::MAX.to_string()
        );
    }

    #[test]
    fn bit_lengths() {
        assert_eq!(bit_len(&[]), 0);
        assert_eq!(bit_len(&[0, 0x80, 0]), 16);
        assert_eq!(bit_len(&[0x01, 0]), 9);
    }

    #[test]
    fn garbage_is_refused() {
        assert!(Certificate::from_der(&[]).is_err());
        assert!(Certificate::from_der(&[0x30, 0x03, 1, 2, 3]).is_err());
        assert!(Certificate::from_pem("nothing").is_err());
    }
}

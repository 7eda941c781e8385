//! A signer whose private key lives elsewhere (PKCS#11 token, HSM, CPS card, a C callback).

use std::fmt;

use chrono::{DateTime, Utc};

use super::{check_signing_certificate, Certificate, SignatureAlgorithm, Signer, UsagePolicy};
use crate::error::{Error, Result};

/// The signing function of a [`CallbackSigner`]: takes the data to sign (not a digest) and
/// returns the signature value in the form of the algorithm (PKCS#1 v1.5 bytes for RSA, raw
/// `r || s` for ECDSA).
pub type SignCallback = Box<dyn Fn(&[u8]) -> Result<Vec<u8>> + Send + Sync>;

/// A [`Signer`] that delegates the private-key operation to a callback.
///
/// Every signature the callback returns is verified with the signing certificate before it
/// is handed out (a verification costs tens of microseconds), so a callback that signs with
/// the wrong key, the wrong algorithm or returns garbage is caught with a precise error
/// instead of producing a document the DMP rejects.
pub struct CallbackSigner {
    algorithm: SignatureAlgorithm,
    chain: Vec<Certificate>,
    callback: SignCallback,
}

impl CallbackSigner {
    /// A signer for `chain[0]`'s key, checked at `at` under `policy` like
    /// [`SigningIdentity::signer_at`](super::SigningIdentity::signer_at). Make one per signing
    /// operation.
    pub fn new(
        algorithm: SignatureAlgorithm,
        chain: Vec<Certificate>,
        callback: SignCallback,
        at: DateTime<Utc>,
        policy: UsagePolicy,
    ) -> Result<Self> {
        let Some(leaf) = chain.first() else {
            return Err(Error::crypto("signer", "empty certificate chain"));
        };
        leaf.check_rsa_size()?;
        let fits = matches!(
            (algorithm, leaf.public_key_algorithm()),
            (
                SignatureAlgorithm::RsaSha1 | SignatureAlgorithm::RsaSha256,
                super::PublicKeyAlgorithm::Rsa { .. }
            ) | (
                SignatureAlgorithm::EcdsaP256Sha256,
                super::PublicKeyAlgorithm::EcP256
            )
        );
        if !fits {
            return Err(Error::crypto(
                "algorithm",
                format!(
                    "{} does not fit the {} key of '{}'",
                    algorithm.name(),
                    leaf.public_key_algorithm(),
                    leaf.subject_rfc2253()
                ),
            ));
        }
        check_signing_certificate(leaf, at, policy)?;
        Ok(CallbackSigner {
            algorithm,
            chain,
            callback,
        })
    }
}

impl Signer for CallbackSigner {
    fn algorithm(&self) -> SignatureAlgorithm {
        self.algorithm
    }

    fn sign(&self, data: &[u8]) -> Result<Vec<u8>> {
        let signature = (self.callback)(data)?;
        let leaf = &self.chain[0];
        leaf.verify_signature(self.algorithm, data, &signature)
            .map_err(|_| {
                Error::crypto(
                    "signer",
                    format!(
                        "the signing callback returned a {}-byte value that is not a valid {} \
                         signature for the key of '{}' (wrong key, wrong algorithm or corrupted \
                         output)",
                        signature.len(),
                        self.algorithm.name(),
                        leaf.subject_rfc2253()
                    ),
                )
            })?;
        Ok(signature)
    }

    fn certificate_chain(&self) -> &[Certificate] {
        &self.chain
    }
}

impl fmt::Debug for CallbackSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackSigner")
            .field("subject", &self.chain[0].subject_rfc2253())
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

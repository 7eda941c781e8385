//! The usager's pseudonym: HMAC-SHA-256 of the INS under the establishment's key, in
//! hexadecimal. The journal never stores the INS: the same usager always gets the same
//! pseudonym under one key (so the indicators count usagers), and without the key nobody can
//! tell whose it is or check a guessed INS (a plain hash of a 15-digit INS could be
//! brute-forced).

use dmp_core::ids::Ins;
use ring::hmac;

/// The establishment's key (given by the DUI, kept out of the journal).
pub struct EstablishmentKey(hmac::Key);

impl EstablishmentKey {
    /// A key from its secret bytes (at least 32 random bytes, kept by the DUI as any other
    /// secret: losing it only breaks the link between a usager and their past records).
    pub fn new(secret: &[u8]) -> Result<EstablishmentKey, dmp_core::Error> {
        if secret.len() < 32 {
            return Err(dmp_core::Error::invalid(
                "journal key",
                "the establishment key must be at least 32 bytes (256 bits) of random data",
                format!("{} bytes", secret.len()),
            ));
        }
        Ok(EstablishmentKey(hmac::Key::new(hmac::HMAC_SHA256, secret)))
    }

    /// The pseudonym of `ins`: HMAC-SHA-256(key, `OID^matricule`) in hexadecimal.
    pub fn pseudonym(&self, ins: &Ins) -> String {
        let text = format!("{}^{}", ins.oid(), ins.matricule().as_str());
        hex(hmac::sign(&self.0, text.as_bytes()).as_ref())
    }
}

impl std::fmt::Debug for EstablishmentKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EstablishmentKey(…)")
    }
}

/// Lowercase hexadecimal.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// SHA-256 of `bytes`, hexadecimal.
pub(crate) fn sha256(bytes: &[u8]) -> String {
    hex(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
}

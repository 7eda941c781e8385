//! Validated identifiers: INS, RPPS, ADELI, IdNat_PS, FINESS, OID; their HL7 v2 renderings.
//!
//! Every identifier is a newtype with private fields: once you hold a value of one of these
//! types, it has passed its checks (shape, check key, allowed characters). Each type:
//!
//! - is built by [`FromStr`](std::str::FromStr) (also `new`/`parse`), which returns an
//!   [`Error::Invalid`] naming the field, the broken rule and the value;
//! - prints its canonical form with [`Display`](std::fmt::Display);
//! - is serialised by serde as that string and deserialised *through the validation*, so that
//!   JSON input cannot smuggle in a malformed identifier (the serde error message is the
//!   `Error`'s text: field, rule and value). [`Ins`] is the exception: it is a JSON object
//!   `{"matricule": "…", "oid": "…"}`.
//!
//! | type | what | canonical form |
//! |---|---|---|
//! | [`Oid`] | an ISO OID (max 64 characters, the HL7 France limit) | `1.2.250.1.213.1.4.8` |
//! | [`Matricule`], [`Ins`], [`InsSystem`] | the INS (NIR or NIA + key, and its OID) | `279035121518989`, CX `…^^^&1.2.250.1.213.1.4.10&ISO^NH` |
//! | [`Rpps`] | RPPS number of a professional (11 digits, Luhn) | `10002422979` |
//! | [`Adeli`] | ADELI number of a professional (9 characters, no key checked) | `751234567` |
//! | [`IdNatPs`], [`LocalPsId`], [`LocalIdKind`] | national identifier of a professional (PS_IdNat) | `810002422979`, `3750803447/1453` |
//! | [`Finess`], [`FinessKind`] | FINESS number of a structure (9 characters, Luhn) | `750803447` |
//!
//! The OIDs of the specifications are in [`oid`] (each defined once).
//!
//! Nothing here trims or upper-cases silently except where documented (the Corsican
//! `2a`/`2b` of a NIR, ADELI or FINESS is canonicalised to `2A`/`2B`; person and structure
//! names given to the HL7 renderers are trimmed). Leading or trailing whitespace around an
//! identifier is an error, so that a padded database column is noticed rather than sent.

mod checksum;
mod finess;
pub(crate) mod hl7;
mod idnat;
mod ins;
pub mod oid;
mod prof;

pub use finess::{Finess, FinessKind};
pub use idnat::{IdNatPs, LocalIdKind, LocalPsId};
pub use ins::{Ins, InsSystem, Matricule};
pub use oid::Oid;
pub use prof::{Adeli, Rpps};

use crate::error::{Error, Result};

/// Rejects empty input and input with leading or trailing whitespace, with a rule that says so.
/// Every identifier parser calls this first so that the message is precise.
fn check_not_blank(field: &str, s: &str) -> Result<()> {
    if s.is_empty() {
        return Err(Error::invalid(field, "must not be empty", s));
    }
    if s.trim() != s {
        return Err(Error::invalid(
            field,
            "must not have leading or trailing whitespace",
            s,
        ));
    }
    Ok(())
}

/// Implements `Serialize` (as the canonical `Display` string) and `Deserialize` (through `FromStr`,
/// the error message being the validation error's `Display` text) for a string identifier.
macro_rules! string_serde {
    ($ty:ty, $expecting:literal) => {
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(
                &self,
                serializer: S,
            ) -> std::result::Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(
                deserializer: D,
            ) -> std::result::Result<Self, D::Error> {
                struct V;
                impl serde::de::Visitor<'_> for V {
                    type Value = $ty;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_str<E: serde::de::Error>(
                        self,
                        v: &str,
                    ) -> std::result::Result<$ty, E> {
                        v.parse::<$ty>().map_err(E::custom)
                    }
                }
                deserializer.deserialize_str(V)
            }
        }
    };
}
pub(crate) use string_serde;

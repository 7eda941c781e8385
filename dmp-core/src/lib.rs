//! # dmp-core
//!
//! The pure-Rust core of `dmp`, a library that lets the software of French social and
//! medico-social establishments (ESSMS) feed and consult the DMP (Dossier Médical Partagé).
//!
//! This crate does no I/O and keeps no global state: every function is a function of its
//! arguments. Data it needs (nomenclatures, the habilitation matrix, the functional-rights
//! tables) is embedded at build time and can be replaced at run time where the law changes
//! faster than releases (the matrix).
//!
//! Map of the modules, in the order data flows:
//! - [`error`]: the one error type; every validation error names field, rule and value.
//! - [`ids`]: validated identifiers (INS, RPPS, ADELI, IdNat_PS, FINESS, OID) and their HL7 forms.
//! - [`codes`]: the ANS nomenclatures (generated tables) and lookups.
//! - [`model`]: usager, professionnel, structure, document kinds.
//! - [`habilitation`]: the consultation matrix, the functional rights by authentication mode,
//!   and the "professionnels concernés" staff report.
//! - [`xml`]: the escaping writer and the hardened reader (no DTD, no entity expansion, limits).
//! - [`actor`]: who acts (mode, user, structure, software, environment, access mode): one
//!   profile for every transaction, and the rule that the signing key fits the mode.
//! - [`cda`]: CDA R2 documents (CI-SIS structuration minimale, N1 body): build and read.
//! - [`xds`]: XDS.b metadata of a TD2.1 submission (DocumentEntry derived from the CDA header,
//!   SubmissionSet, signature entry, replacement) and the registry's response; TD3.2
//!   consultation of a document (ITI-43 request, MTOM response).
//! - [`hl7v3`]: TD0.2 existence and authorisation test, TD1.3a administrative data (HL7 v3
//!   `PRPA_IN201307UV02` query, `PRPA_IN201308UV02` answer with every flag).
//! - [`authorization`]: the proprietary authorisation services: TD0.3 update of one's
//!   authorisation, TD0.4 list of authorised DMPs, TD1.6 professionals authorised or blocked.
//! - [`crypto`]: certificates (RFC 2253 DNs as the DMP shows them), chain checks, PKCS#12/PEM
//!   signing identities and the `Signer` trait used by the XML signatures.
//! - [`vihf`]: the VIHF SAML 2.0 assertion (unsigned) naming user, structure, patient, access
//!   mode and software, for the three authentication modes.
//! - [`soap`]: SOAP 1.2 envelopes (WS-Addressing, `wsse:Security`), MTOM/XOP multipart
//!   requests and their parsing, SOAP faults, the DMP endpoint paths.
//! - [`xmldsig`]: XML-DSig enveloped signing (the VIHF) and the verifier of every XML
//!   signature (VIHF, XAdES, whole SOAP/MTOM messages), with anti-wrapping checks.
//! - [`xades`]: the enveloping XAdES signature of a submission set over an IHE manifest.
//! - [`consent`]: the usager's consent to a consultation (care team, explicit, emergency), a
//!   typed input of every consultation.
//! - [`feed`]: one TD2.1 transaction as a pure function: request file, pre-send checks, the
//!   signed MTOM request, the check of a built request, the response.
//! - [`consult`]: TD0.2, TD0.3/TD0.4, TD3.1, TD3.2 and TD3.3 as pure functions: rights,
//!   consent and signer checks, the signed request; any DMP answer as a typed response.
//! - [`json`]: reading the model from JSON with errors that carry the field path.
// `unsafe` only in `crypto::ifma` (processor instructions for the RSA signature) and
// `cda::b64_vbmi` (for the base64 of a CDA body), which say why each time; everywhere else
// it is refused.
#![deny(unsafe_code)]
#![warn(missing_docs)]

/// An enumeration of the codes a DMP answer may hold, which keeps any other code verbatim in
/// its `Other(String)` variant (unknown codes are never dropped nor refused): `from_code`,
/// `code`, and serialisation as the code itself.
macro_rules! open_code_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// Any other code, verbatim.
            Other(String),
        }

        impl $name {
            /// The value of `code` (any unknown code in `Other`).
            pub fn from_code(code: &str) -> $name {
                match code {
                    $( $code => $name::$variant, )*
                    other => $name::Other(other.to_owned()),
                }
            }

            /// The code as written.
            pub fn code(&self) -> &str {
                match self {
                    $( $name::$variant => $code, )*
                    $name::Other(c) => c,
                }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(
                &self,
                s: S,
            ) -> std::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.code())
            }
        }
    };
}

pub mod actor;
pub mod authorization;
pub mod cda;
pub mod codes;
pub mod consent;
pub mod consult;
pub mod crypto;
pub mod csv;
pub mod error;
pub mod feed;
pub mod habilitation;
pub mod hl7v3;
pub mod ids;
pub mod json;
pub mod landing;
pub mod model;
pub mod pilotage;
pub mod soap;
pub mod vihf;
pub mod xades;
pub mod xds;
pub mod xml;
pub mod xmldsig;

pub use error::{DmpError, DmpErrorDetail, Error, Invalid, Result};

/// Version of this crate, as in its `Cargo.toml`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

//! The domain model: usager, professionnel, structure, document kinds.
//!
//! Every type is validated when it is built (by `new` or while reading JSON): an instance that
//! exists is an instance that is valid. Invalid input gets an [`Error`](crate::Error) naming
//! the field, the rule and the value.

/// Wires a validated type to its plain `…Data` form: serde reads the data and validates it
/// through `new`, and writes the data back.
macro_rules! validated_via {
    ($ty:ident, $data:ident) => {
        impl TryFrom<$data> for $ty {
            type Error = crate::error::Error;
            fn try_from(data: $data) -> crate::error::Result<Self> {
                $ty::new(data)
            }
        }

        impl From<$ty> for $data {
            fn from(v: $ty) -> Self {
                v.0
            }
        }
    };
}
pub(crate) use validated_via;

mod document;
mod profession;
mod professionnel;
mod structure;
mod text;
mod usager;

pub(crate) use text::{check as check_text, check_name};

pub use document::{Confidentiality, ConfidentialityLevel, DocumentKind};
pub use profession::{FonctionEssms, Profession, ProfessionSystem};
pub use professionnel::{Card, Professionnel, ProfessionnelData};
pub use structure::{Structure, StructureData};
pub use usager::{BirthDate, CodeInsee, InsStatus, Ipp, Sex, Traits, Usager, UsagerData};

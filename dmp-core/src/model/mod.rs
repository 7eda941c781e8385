//! The domain model: usager, professionnel, structure, document kinds.

mod profession;

pub use profession::{FonctionEssms, Profession, ProfessionSystem};

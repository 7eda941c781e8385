//! The domain model: usager, professionnel, structure, document kinds.

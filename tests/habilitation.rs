//! Integration tests: habilitation.

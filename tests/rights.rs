//! Integration tests: rights.

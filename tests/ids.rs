//! Integration tests: ids.

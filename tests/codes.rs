//! Integration tests: codes.

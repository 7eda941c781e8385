//! C ABI over `dmp-core`.

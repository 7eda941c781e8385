//! XML for the DMP: an escaping writer for what we produce, a hardened reader for what we
//! receive (no DTD, no entity expansion, depth and size limits), and a full-fidelity tree
//! with canonicalisation (C14N 1.0, exclusive C14N) for signatures.

pub mod c14n;
pub mod reader;
pub(crate) mod scan;
pub mod tree;
pub mod writer;

//! XML for the DMP: an escaping writer for what we produce, a hardened reader for what we
//! receive (no DTD, no entity expansion, depth and size limits).

pub mod reader;
pub mod writer;

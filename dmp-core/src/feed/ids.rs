//! [`IdGenerator`]: the deterministic source of every identifier of a request.

use crate::ids::Oid;

/// A seeded, deterministic generator of the identifiers of one request (entry UUIDs, OIDs,
/// MessageID, Content-IDs, MIME boundary, signature and assertion Ids).
///
/// `dmp-core` draws no random number: the caller gives a seed (a fixed one in tests, a random
/// one in production, e.g. from `uuid::Uuid::new_v4()`), and the same seed gives the same ids
/// in the same order. The stream is SplitMix64; UUIDs are shaped as version 4 (random) UUIDs
/// and OIDs are `2.25.<the UUID as an integer>` (ITU-T X.667), unique without a registered
/// root. [`IdGenerator::with_oid_root`] mints `<root>.<n>` instead, for a software that owns
/// an OID root and keeps a counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdGenerator {
    state: u64,
    oid_root: Option<(Oid, u64)>,
}

impl IdGenerator {
    /// A generator for `seed`.
    pub fn from_seed(seed: u64) -> IdGenerator {
        IdGenerator {
            state: seed,
            oid_root: None,
        }
    }

    /// A generator for `seed` whose OIDs are `<root>.<next>`, `<root>.<next + 1>`…
    pub fn with_oid_root(seed: u64, root: Oid, next: u64) -> IdGenerator {
        IdGenerator {
            state: seed,
            oid_root: Some((root, next)),
        }
    }

    fn next_u64(&mut self) -> u64 {
        // SplitMix64 (Steele, Lea, Flood 2014).
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// The next UUID (version 4 layout, variant RFC 4122).
    pub fn uuid(&mut self) -> uuid::Uuid {
        let hi = u128::from(self.next_u64());
        let lo = u128::from(self.next_u64());
        uuid::Builder::from_random_bytes(((hi << 64) | lo).to_be_bytes()).into_uuid()
    }

    /// `urn:uuid:` + the next UUID.
    pub fn urn_uuid(&mut self) -> String {
        format!("urn:uuid:{}", self.uuid().hyphenated())
    }

    /// The next OID (`2.25.<uuid>`, or `<root>.<n>` with [`IdGenerator::with_oid_root`]).
    pub fn oid(&mut self) -> Oid {
        if let Some((root, n)) = &mut self.oid_root {
            if let Ok(oid) = root.child(*n) {
                *n += 1;
                return oid;
            }
        }
        Oid::from_uuid(self.uuid())
    }

    /// 32 lowercase hex digits (for MIME boundaries and Content-IDs).
    pub fn hex(&mut self) -> String {
        self.uuid().simple().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_ids() {
        let mut a = IdGenerator::from_seed(7);
        let mut b = IdGenerator::from_seed(7);
        assert_eq!(a.urn_uuid(), b.urn_uuid());
        assert_eq!(a.oid(), b.oid());
        assert_ne!(a.hex(), IdGenerator::from_seed(8).hex());
        let u = a.uuid();
        assert_eq!(u.get_version_num(), 4);
        assert!(a.oid().as_str().starts_with("2.25."));
    }

    #[test]
    fn rooted_oids_count() {
        let root = Oid::new("1.2.250.1.999.9").unwrap();
        let mut g = IdGenerator::with_oid_root(1, root, 5);
        assert_eq!(g.oid().as_str(), "1.2.250.1.999.9.5");
        assert_eq!(g.oid().as_str(), "1.2.250.1.999.9.6");
    }
}

//! Fresh UUIDv7 ids for everything a file creates. `Uuid::now_v7` asks the operating system for
//! randomness on every call, which was a sixth of the time of a million-row import; here the
//! random part comes from a generator seeded once from such an id. Ids are still UUIDv7 (time
//! ordered, random below the millisecond) and strictly increase within one reader, so rows
//! created in the same millisecond still sort in file order.

use std::time::{SystemTime, UNIX_EPOCH};
use uuid::{Builder, Uuid};

pub(crate) struct Ids {
    rng: fastrand::Rng,
    last: u128,
}

impl Ids {
    pub fn new() -> Ids {
        let (hi, lo) = Uuid::now_v7().as_u64_pair();
        Ids { rng: fastrand::Rng::with_seed(lo ^ hi.rotate_left(32) ^ fastrand::u64(..)), last: 0 }
    }

    pub fn next(&mut self) -> Uuid {
        let millis = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
        let mut random = [0u8; 10];
        self.rng.fill(&mut random);
        let mut id = Builder::from_unix_timestamp_millis(millis, &random).into_uuid().as_u128();
        // Within a millisecond, step past the previous id rather than fall behind it. The step
        // lands in the 62 random low bits; it would take 2^62 ids to reach the variant bits.
        if id <= self.last {
            id = self.last + 1;
        }
        self.last = id;
        Uuid::from_u128(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_v7_and_increase() {
        let mut ids = Ids::new();
        let all: Vec<Uuid> = (0..10_000).map(|_| ids.next()).collect();
        assert!(all.windows(2).all(|w| w[0] < w[1]));
        assert!(all.iter().all(|u| u.get_version_num() == 7 && u.get_variant() == uuid::Variant::RFC4122));
        let now = Uuid::now_v7();
        assert_eq!(all[0].as_bytes()[..4], now.as_bytes()[..4], "same time prefix as the library's own v7");
    }
}

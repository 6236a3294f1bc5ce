//! The lottery among cap holders (摇号), recomputable by anyone.
//!
//! `h = SHA-256(seed ‖ "|" ‖ listing_code ‖ "|" ‖ ids joined by ",")` over
//! UTF-8 bytes, with the holders' party ids sorted by byte order and `seed`
//! the hex text as published; the winner is the holder at index
//! `(first 8 bytes of h as a big-endian u64) mod n`.

use sha2::{Digest, Sha256};

/// The text that is hashed: `seed|listing_code|id1,id2,…` with the ids
/// sorted by byte order.
pub fn lottery_input(seed: &str, listing_code: &str, holders: &[&str]) -> String {
    let mut ids: Vec<&str> = holders.to_vec();
    ids.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    format!("{seed}|{listing_code}|{}", ids.join(","))
}

/// The winner's index among `sorted` ids, which must already be sorted by
/// byte order. `None` when there are no ids.
pub fn draw_index(seed: &str, listing_code: &str, sorted: &[&str]) -> Option<usize> {
    if sorted.is_empty() {
        return None;
    }
    let text = format!("{seed}|{listing_code}|{}", sorted.join(","));
    let h = Sha256::digest(text.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&h[..8]);
    Some((u64::from_be_bytes(first) % sorted.len() as u64) as usize)
}

/// Draws among `holders` in any order: returns them sorted by byte order
/// with the winner's index in that order. `None` when there are no holders.
pub fn draw<'a>(
    seed: &str,
    listing_code: &str,
    holders: &[&'a str],
) -> Option<(Vec<&'a str>, usize)> {
    let mut ids: Vec<&'a str> = holders.to_vec();
    ids.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    let index = draw_index(seed, listing_code, &ids)?;
    Some((ids, index))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_published_example() {
        // Scenario 17: holders B, C, D; the draw names C.
        let (ids, index) = draw("6e616e746f6e672d32303230", "R20042", &["D", "B", "C"]).unwrap();
        assert_eq!(ids, ["B", "C", "D"]);
        assert_eq!(ids[index], "C");
        assert_eq!(
            lottery_input("6e616e746f6e672d32303230", "R20042", &["D", "B", "C"]),
            "6e616e746f6e672d32303230|R20042|B,C,D"
        );
    }

    #[test]
    fn sorts_by_bytes_not_by_locale() {
        let (ids, _) = draw("00", "X", &["b", "B", "a", "南通"]).unwrap();
        assert_eq!(ids, ["B", "a", "b", "南通"]);
        assert!(draw("00", "X", &[]).is_none());
    }
}

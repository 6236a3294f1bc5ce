//! Numbers people see: deposit account numbers and bidder numbers (竞买号).
//!
//! The engine numbers bidders 1, 2, 3… in the order they qualify. People see
//! a four-digit 竞买号 instead, drawn per listing so that a number says
//! nothing about when, or in what order, a bidder qualified. The draw is a
//! pure function of the listing id and the engine's number, so every server
//! process shows the same numbers without sharing anything.

use rand::Rng;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The display numbers of a listing's first `count` bidders, in the
/// engine's order: distinct four-digit numbers from 1000 to 9999.
pub fn bidder_numbers(listing: Uuid, count: u32) -> Vec<u32> {
    let mut out: Vec<u32> = Vec::with_capacity(count as usize);
    for no in 1..=count {
        let mut attempt = 0u32;
        loop {
            let mut h = Sha256::new();
            h.update(b"yiwang-bidder-no|");
            h.update(listing.as_bytes());
            h.update(no.to_be_bytes());
            h.update(attempt.to_be_bytes());
            let d = h.finalize();
            let n = 1000 + u32::from_be_bytes([d[0], d[1], d[2], d[3]]) % 9000;
            if !out.contains(&n) || out.len() >= 9000 {
                out.push(n);
                break;
            }
            attempt += 1;
        }
    }
    out
}

/// The display number of the engine's bidder `no` (1-based).
pub fn bidder_number(listing: Uuid, no: u32) -> u32 {
    bidder_numbers(listing, no).last().copied().unwrap_or(0)
}

/// A fresh deposit account number: the bank's prefix and 16 random digits,
/// so that one cannot be guessed from another.
pub fn deposit_account_no() -> String {
    let n = rand::rngs::OsRng.gen_range(0..10_000_000_000_000_000u64);
    format!("3206{n:016}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidder_numbers_are_distinct_stable_four_digit() {
        let id = Uuid::now_v7();
        let a = bidder_numbers(id, 300);
        assert_eq!(a, bidder_numbers(id, 300));
        let mut sorted = a.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 300);
        assert!(a.iter().all(|n| (1000..=9999).contains(n)));
        assert_eq!(bidder_number(id, 7), a[6]);
        // Another listing draws other numbers.
        assert_ne!(bidder_numbers(Uuid::now_v7(), 5), a[..5].to_vec());
    }

    #[test]
    fn account_numbers_are_twenty_digits_and_differ() {
        let a = deposit_account_no();
        assert_eq!(a.len(), 20);
        assert!(a.chars().all(|c| c.is_ascii_digit()));
        assert_ne!(a, deposit_account_no());
    }
}

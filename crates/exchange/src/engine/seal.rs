//! Sealed values: the reserve price, sealed offers and the lottery seed.
//!
//! Why: the rules keep some values secret for a while — the reserve until
//! the result (section 5), sealed offers until their window closes and the
//! lottery seed until the draw (section 8) — yet the event log must be
//! verifiable by anyone afterwards. A secret therefore enters the log only as
//! a *commitment*, and its *opening* (value and nonce) is revealed by the
//! event that ends its secrecy:
//!
//! | secret | committed in | revealed by |
//! |---|---|---|
//! | reserve price | `listing_opened` rules, `reserve_set` | `decided` (the reserve in force) |
//! | sealed offer | `sealed_offer_made`, a refused `sealed_offer` | `sealed_offers_opened` |
//! | lottery seed | `listing_opened` rules (`seed_sha256`) | `lottery_drawn` |
//!
//! A commitment is `SHA-256("yiwang-seal/v1|" kind "|" listing "|" value "|"
//! nonce)` in lowercase hex, where `value` is the amount in fen (or `none`
//! for "no reserve") and `nonce` is 32 random bytes in hex chosen by the
//! server. The nonce matters: a reserve price has few plausible values, and
//! without it anyone could hash them all and read the reserve from the log.
//! The seed needs no nonce; it is itself random, and its plain SHA-256 is
//! what the notice publishes.
//!
//! A [`Sealed`] value compares equal to another by commitment alone, and its
//! `Debug` and serde forms never show the opening, so printing a state or an
//! action cannot leak a secret.

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256};
use std::fmt;
use yiwang_core::Money;

/// A SHA-256 digest, shown as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    /// The SHA-256 of `bytes`.
    pub fn of(bytes: &[u8]) -> Digest {
        Digest(Sha256::digest(bytes).into())
    }

    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses 64 hex digits (either case).
    pub fn from_hex(text: &str) -> Option<Digest> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(text, &mut out).ok()?;
        Some(Digest(out))
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({})", self.to_hex())
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Digest::from_hex(&text)
            .filter(|d| d.to_hex() == text)
            .ok_or_else(|| de::Error::custom("expected 64 lowercase hex digits"))
    }
}

/// The random salt of a commitment: 32 bytes, chosen by the server from a
/// cryptographic random source (the engine itself never draws randomness,
/// so that it stays deterministic).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Nonce(pub [u8; 32]);

impl fmt::Debug for Nonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nonce({})", hex::encode(self.0))
    }
}

impl Serialize for Nonce {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex::encode(self.0))
    }
}

impl<'de> Deserialize<'de> for Nonce {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let mut out = [0u8; 32];
        hex::decode_to_slice(&text, &mut out)
            .ok()
            .filter(|()| hex::encode(out) == text)
            .map(|()| Nonce(out))
            .ok_or_else(|| de::Error::custom("expected 64 lowercase hex digits"))
    }
}

/// What a commitment is for; part of the hashed text so that a commitment
/// made for one purpose can never be opened as another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SealKind {
    Reserve,
    SealedOffer,
}

impl SealKind {
    fn as_str(self) -> &'static str {
        match self {
            SealKind::Reserve => "reserve",
            SealKind::SealedOffer => "sealed_offer",
        }
    }
}

/// A value that can be sealed: it has one canonical text.
pub trait SealValue: Clone + PartialEq {
    /// The canonical text hashed into the commitment.
    fn seal_text(&self) -> String;
}

impl SealValue for Money {
    fn seal_text(&self) -> String {
        self.fen().to_string()
    }
}

impl SealValue for Option<Money> {
    fn seal_text(&self) -> String {
        match self {
            Some(m) => m.fen().to_string(),
            None => "none".to_owned(),
        }
    }
}

/// The commitment to `value` under `nonce`.
pub fn commitment<T: SealValue>(kind: SealKind, listing: &str, value: &T, nonce: &Nonce) -> Digest {
    let text = format!(
        "yiwang-seal/v1|{}|{}|{}|{}",
        kind.as_str(),
        listing,
        value.seal_text(),
        hex::encode(nonce.0)
    );
    Digest::of(text.as_bytes())
}

/// A revealed secret: the value and the nonce it was committed with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Opening<T> {
    pub value: T,
    pub nonce: Nonce,
}

/// Why an opening was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the revealed value does not match its commitment")]
pub struct SealMismatch;

/// A secret: its commitment, and its opening when this side knows it.
#[derive(Clone)]
pub struct Sealed<T> {
    commitment: Digest,
    opening: Option<Box<Opening<T>>>,
}

impl<T: SealValue> Sealed<T> {
    /// Seals `value` (the server's side: it knows the value).
    pub fn seal(kind: SealKind, listing: &str, value: T, nonce: Nonce) -> Sealed<T> {
        Sealed {
            commitment: commitment(kind, listing, &value, &nonce),
            opening: Some(Box::new(Opening { value, nonce })),
        }
    }

    /// A commitment whose opening is not known (yet): what a log reader has.
    pub fn from_commitment(commitment: Digest) -> Sealed<T> {
        Sealed {
            commitment,
            opening: None,
        }
    }

    /// The commitment.
    pub fn commitment(&self) -> Digest {
        self.commitment
    }

    /// The same commitment without the opening: what may be written down.
    pub fn without_opening(&self) -> Sealed<T> {
        Sealed::from_commitment(self.commitment)
    }

    /// The opening, if known.
    pub fn opening(&self) -> Option<&Opening<T>> {
        self.opening.as_deref()
    }

    /// The value, if known.
    pub fn value(&self) -> Option<&T> {
        self.opening.as_deref().map(|o| &o.value)
    }

    /// Whether `opening` opens this commitment.
    pub fn is_opened_by(&self, kind: SealKind, listing: &str, opening: &Opening<T>) -> bool {
        commitment(kind, listing, &opening.value, &opening.nonce) == self.commitment
    }

    /// Learns the opening, after checking it against the commitment.
    pub fn open(
        &mut self,
        kind: SealKind,
        listing: &str,
        opening: Opening<T>,
    ) -> Result<(), SealMismatch> {
        if !self.is_opened_by(kind, listing, &opening) {
            return Err(SealMismatch);
        }
        self.opening = Some(Box::new(opening));
        Ok(())
    }
}

impl<T> PartialEq for Sealed<T> {
    /// Equal commitments: the commitment binds the value, so two sides that
    /// know different amounts of a secret still agree on what it is.
    fn eq(&self, other: &Self) -> bool {
        self.commitment == other.commitment
    }
}

impl<T> Eq for Sealed<T> {}

impl<T> fmt::Debug for Sealed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Sealed({}, {})",
            self.commitment.to_hex(),
            if self.opening.is_some() {
                "known"
            } else {
                "unknown"
            }
        )
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SealedWire {
    commitment: Digest,
}

impl<T> Serialize for Sealed<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        SealedWire {
            commitment: self.commitment,
        }
        .serialize(serializer)
    }
}

impl<'de, T> Deserialize<'de> for Sealed<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = SealedWire::deserialize(deserializer)?;
        Ok(Sealed {
            commitment: wire.commitment,
            opening: None,
        })
    }
}

/// The SHA-256, in lowercase hex, of a lottery seed's text: what the notice
/// publishes before the listing, so that the seed cannot be changed later.
pub fn lottery_seed_hash(seed: &str) -> String {
    Digest::of(seed.as_bytes()).to_hex()
}

/// Why a text is not a lottery seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a lottery seed must be 1 to 128 hex digits")]
pub struct SeedError;

/// The fewest hex digits of a seed that cannot be found from its published
/// hash by trying every value (128 bits).
pub const STRONG_SEED_HEX_DIGITS: usize = 32;

/// The lottery seed: its published SHA-256 and, on the server, the seed.
#[derive(Clone)]
pub struct LotterySeed {
    sha256: Digest,
    seed: Option<Box<str>>,
}

impl LotterySeed {
    /// The server's side: a seed of 1 to 128 hex digits, used as written
    /// (its text, not the bytes it encodes, is hashed). Any length is
    /// accepted so that published notices replay exactly; a notice drawn up
    /// by Yiwang should use a seed that [`is_strong`](Self::is_strong).
    pub fn new(seed: &str) -> Result<LotterySeed, SeedError> {
        if !(1..=128).contains(&seed.len()) || !seed.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(SeedError);
        }
        Ok(LotterySeed {
            sha256: Digest::of(seed.as_bytes()),
            seed: Some(seed.into()),
        })
    }

    /// A reader's side: only the published hash.
    pub fn from_hash(sha256: Digest) -> LotterySeed {
        LotterySeed { sha256, seed: None }
    }

    /// Whether the seed is long enough that nobody can recover it from the
    /// published hash before the draw ([`STRONG_SEED_HEX_DIGITS`]).
    pub fn is_strong(&self) -> bool {
        self.seed
            .as_deref()
            .is_some_and(|s| s.len() >= STRONG_SEED_HEX_DIGITS)
    }

    /// The same hash without the seed: what may be written down.
    pub fn without_seed(&self) -> LotterySeed {
        LotterySeed::from_hash(self.sha256)
    }

    /// The published hash.
    pub fn sha256(&self) -> Digest {
        self.sha256
    }

    /// The seed, if known.
    pub fn seed(&self) -> Option<&str> {
        self.seed.as_deref()
    }

    /// Learns the seed, after checking it against the hash.
    pub fn reveal(&mut self, seed: &str) -> Result<(), SealMismatch> {
        if Digest::of(seed.as_bytes()) != self.sha256 {
            return Err(SealMismatch);
        }
        self.seed = Some(seed.into());
        Ok(())
    }
}

impl PartialEq for LotterySeed {
    fn eq(&self, other: &Self) -> bool {
        self.sha256 == other.sha256
    }
}

impl Eq for LotterySeed {}

impl fmt::Debug for LotterySeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LotterySeed(sha256 {})", self.sha256.to_hex())
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedWire {
    seed_sha256: Digest,
}

impl Serialize for LotterySeed {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        SeedWire {
            seed_sha256: self.sha256,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for LotterySeed {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = SeedWire::deserialize(deserializer)?;
        Ok(LotterySeed::from_hash(wire.seed_sha256))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nonce(b: u8) -> Nonce {
        Nonce([b; 32])
    }

    #[test]
    fn sealed_values_hide_and_open() {
        let price = Some(Money::from_fen(50_000));
        let sealed = Sealed::seal(SealKind::Reserve, "U20041", price, nonce(7));
        let json = serde_json::to_string(&sealed).unwrap();
        assert!(!json.contains("50000") && !json.contains("500.00"));
        assert!(!format!("{sealed:?}").contains("50000"));

        let mut read: Sealed<Option<Money>> = serde_json::from_str(&json).unwrap();
        assert_eq!(read, sealed);
        assert_eq!(read.value(), None);
        let wrong = Opening {
            value: Some(Money::from_fen(49_999)),
            nonce: nonce(7),
        };
        assert_eq!(
            read.open(SealKind::Reserve, "U20041", wrong),
            Err(SealMismatch)
        );
        let other_kind = Opening {
            value: price,
            nonce: nonce(7),
        };
        assert!(!read.is_opened_by(SealKind::Reserve, "U20042", &other_kind));
        read.open(SealKind::Reserve, "U20041", other_kind).unwrap();
        assert_eq!(read.value(), Some(&price));
    }

    #[test]
    fn the_commitment_text_is_documented() {
        let c = commitment(
            SealKind::SealedOffer,
            "R20042",
            &Money::from_fen(1_900_000),
            &nonce(0),
        );
        let text = format!(
            "yiwang-seal/v1|sealed_offer|R20042|1900000|{}",
            "00".repeat(32)
        );
        assert_eq!(c, Digest::of(text.as_bytes()));
        let none = commitment(SealKind::Reserve, "R20042", &None::<Money>, &nonce(0));
        let text = format!("yiwang-seal/v1|reserve|R20042|none|{}", "00".repeat(32));
        assert_eq!(none, Digest::of(text.as_bytes()));
    }

    #[test]
    fn seeds_are_hex_and_hashed_as_text() {
        let seed = LotterySeed::new("6e616e746f6e672d32303230").unwrap();
        assert_eq!(
            seed.sha256().to_hex(),
            lottery_seed_hash("6e616e746f6e672d32303230")
        );
        assert!(LotterySeed::new("").is_err());
        assert!(LotterySeed::new("short").is_err());
        assert!(!seed.is_strong());
        assert!(LotterySeed::new(&"ab".repeat(16)).unwrap().is_strong());
        assert!(LotterySeed::new("zz616e746f6e672d32303230").is_err());
        let json = serde_json::to_string(&seed).unwrap();
        assert!(!json.contains("6e616e746f6e672d32303230"));
        let mut read: LotterySeed = serde_json::from_str(&json).unwrap();
        assert_eq!(read.seed(), None);
        assert!(read.reveal("6e616e746f6e672d32303231").is_err());
        read.reveal("6e616e746f6e672d32303230").unwrap();
        assert_eq!(read.seed(), Some("6e616e746f6e672d32303230"));
    }

    #[test]
    fn digests_read_back_only_in_lowercase() {
        let d = Digest::of(b"x");
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(serde_json::from_str::<Digest>(&json).unwrap(), d);
        assert!(serde_json::from_str::<Digest>(&json.to_uppercase()).is_err());
    }
}

//! Giving a listing rebuilt from its log back the secrets it needs.
//!
//! A log holds commitments, never openings (see [`super::seal`]): a listing
//! replayed from it knows *that* a reserve, a lottery seed or a sealed
//! offer exists, not what it is. The server keeps the openings elsewhere
//! and, after replaying, hands them back with the `reveal_*` methods here.
//! Each checks the opening against the commitment the listing holds and
//! refuses one that does not match, so a wrong or tampered opening can
//! never change a decision; none records a fact or changes what the log
//! says. They only turn "unknown" into "known" in memory.
//!
//! [`Listing::unopened`] says which openings are still missing, by the
//! digest each is filed under: the commitment of the reserve in force and
//! of every sealed offer not yet opened, and the published SHA-256 of the
//! lottery seed.

use super::seal::{Digest, Opening, SealKind, SealMismatch};
use super::state::Phase;
use super::Listing;
use yiwang_core::Money;

/// The secrets of a listing whose openings are not known here, each by the
/// digest it is filed under.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Unopened {
    /// The commitment of the reserve in force, unless known or revealed by
    /// the result.
    pub reserve: Option<Digest>,
    /// The SHA-256 of the lottery seed, for a listing with a lottery that
    /// has not been drawn.
    pub lottery_seed: Option<Digest>,
    /// The commitments of sealed offers (accepted or refused for their
    /// price) not yet opened, in the order they were made.
    pub sealed_offers: Vec<Digest>,
}

impl Unopened {
    /// Whether every secret is known.
    pub fn is_empty(&self) -> bool {
        self.reserve.is_none() && self.lottery_seed.is_none() && self.sealed_offers.is_empty()
    }
}

impl Listing {
    /// The openings this listing would need and does not know.
    pub fn unopened(&self) -> Unopened {
        let state = &self.state;
        let reserve = (state.reserve.opening().is_none() && state.decision.is_none())
            .then(|| state.reserve.commitment());
        let lottery_seed = state
            .seed
            .as_ref()
            .filter(|s| s.seed().is_none() && state.lottery_winner.is_none())
            .map(|s| s.sha256());
        let window_open = matches!(state.phase, Phase::SealedWindow { opened: false, .. });
        let sealed_offers = if window_open {
            state
                .sealed_offers
                .iter()
                .map(|(_, s)| s)
                .chain(&state.refused_offers)
                .filter(|s| s.opening().is_none())
                .map(|s| s.commitment())
                .collect()
        } else {
            Vec::new()
        };
        Unopened {
            reserve,
            lottery_seed,
            sealed_offers,
        }
    }

    /// Learns the opening of the reserve in force. Refused unless it opens
    /// that reserve's commitment (a superseded reserve's opening is refused
    /// too). When the reserve in force is still the one in the rules, the
    /// rules learn it as well.
    pub fn reveal_reserve(&mut self, opening: Opening<Option<Money>>) -> Result<(), SealMismatch> {
        if self.rules.reserve == self.state.reserve {
            // Same commitment: the rules' copy opens with the same value.
            let rules = std::sync::Arc::make_mut(&mut self.rules);
            rules
                .reserve
                .open(SealKind::Reserve, &rules.code, opening.clone())?;
        }
        let code = self.rules.code.as_str();
        self.state.reserve.open(SealKind::Reserve, code, opening)
    }

    /// Learns the opening of a sealed offer not yet opened. Refused unless
    /// it opens one of them.
    pub fn reveal_sealed_offer(&mut self, opening: Opening<Money>) -> Result<(), SealMismatch> {
        let code = self.rules.code.as_str();
        let state = &mut self.state;
        let target = state
            .sealed_offers
            .iter_mut()
            .map(|(_, s)| s)
            .chain(state.refused_offers.iter_mut())
            .find(|s| s.is_opened_by(SealKind::SealedOffer, code, &opening))
            .ok_or(SealMismatch)?;
        target.open(SealKind::SealedOffer, code, opening)
    }

    /// Learns the lottery seed. Refused unless the listing has a lottery
    /// and the seed hashes to its published SHA-256. The rules learn it
    /// too.
    pub fn reveal_lottery_seed(&mut self, seed: &str) -> Result<(), SealMismatch> {
        let state_seed = self.state.seed.as_mut().ok_or(SealMismatch)?;
        state_seed.reveal(seed)?;
        if let Some(cap) = std::sync::Arc::make_mut(&mut self.rules).price_cap.as_mut() {
            if let super::rules::FollowOn::Lottery { seed: rules_seed } = &mut cap.then {
                rules_seed.reveal(seed)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{
        Action, Event, Fact, FollowOn, ListingRules, LotterySeed, Nonce, PriceBasis, PriceCap,
        Schedule, Sealed, Verdict,
    };
    use yiwang_core::{Area, Timestamp};

    const HOUR: i64 = 3_600_000_000;

    fn nonce(b: u8) -> Nonce {
        Nonce([b; 32])
    }

    fn rules(code: &str) -> ListingRules {
        let t = Timestamp::parse_rfc3339("2021-01-01T00:00:00+08:00").unwrap();
        ListingRules {
            code: code.to_owned(),
            area: Area::parse("6651.11").unwrap(),
            price_basis: PriceBasis::Unit,
            start_price: Money::from_fen(1_847_000),
            increment: Money::from_fen(10_000),
            whole_multiples: false,
            reserve: Sealed::seal(SealKind::Reserve, code, None, nonce(1)),
            deposit_required: Money::from_fen(70_000_000),
            schedule: Schedule {
                application_start: t,
                application_deadline: t.add_micros(5 * 24 * HOUR),
                deposit_deadline: t.add_micros(5 * 24 * HOUR),
                listing_start: t,
                listing_end: t.add_micros(7 * 24 * HOUR),
            },
            quote_stop_s: 3600,
            reserve_lock_s: 1800,
            timed_round: None,
            price_cap: None,
            ineligible: vec![],
        }
    }

    /// A listing of the test scenarios' kind, through its log and back: the
    /// replayed copy lacks the reserve until it is revealed, and then
    /// decides as the original does.
    #[test]
    fn a_replayed_listing_decides_once_its_reserve_is_revealed() {
        let rules = rules("R20042");
        let mut live = Listing::new(rules.clone()).unwrap();
        let reserve = Sealed::seal(
            SealKind::Reserve,
            "R20042",
            Some(Money::from_fen(1_987_654)),
            nonce(9),
        );
        let start = rules.schedule.application_start.add_micros(HOUR);
        let mut facts = Vec::new();
        let verdict = live
            .decide(
                &Action::SetReserve {
                    reserve: reserve.clone(),
                },
                start,
                &mut facts,
            )
            .unwrap();
        assert_eq!(verdict, Verdict::Accepted);

        // What a log reader has: the rules and facts without openings.
        let replay = |facts: &[Fact]| {
            let mut l = Listing::new(rules.without_secrets()).unwrap();
            for f in facts {
                let logged = Fact {
                    at: f.at,
                    event: f.event.without_secrets(),
                };
                l.apply(&logged).unwrap();
            }
            l
        };
        let mut replayed = replay(&facts);
        let missing = replayed.unopened();
        assert_eq!(missing.reserve, Some(reserve.commitment()));
        assert!(missing.lottery_seed.is_none() && missing.sealed_offers.is_empty());
        let mut out = Vec::new();
        let end = rules.schedule.listing_end.add_secs(1);
        assert!(replayed.clone().advance(end, &mut out).is_err());

        // A wrong opening, and the rules' superseded reserve, are refused.
        let wrong = Opening {
            value: Some(Money::from_fen(1_987_655)),
            nonce: nonce(9),
        };
        assert_eq!(replayed.reveal_reserve(wrong), Err(SealMismatch));
        assert!(!replayed.unopened().is_empty());
        let opening = reserve.opening().unwrap().clone();
        replayed.reveal_reserve(opening).unwrap();
        assert!(replayed.unopened().is_empty());
        assert_eq!(replayed, live);

        let (mut a, mut b) = (Vec::new(), Vec::new());
        live.advance(end, &mut a).unwrap();
        replayed.advance(end, &mut b).unwrap();
        assert_eq!(a, b);
        assert!(matches!(
            a.last().map(|f| &f.event),
            Some(Event::Decided(_))
        ));
        assert!(replayed.unopened().is_empty());
    }

    #[test]
    fn the_initial_reserve_opens_the_rules_too() {
        let mut rules = rules("R20042");
        rules.reserve = Sealed::seal(SealKind::Reserve, "R20042", None, nonce(3));
        let opening = rules.reserve.opening().unwrap().clone();
        let mut replayed = Listing::new(rules.without_secrets()).unwrap();
        assert_eq!(replayed.rules().reserve.value(), None);
        replayed.reveal_reserve(opening).unwrap();
        assert_eq!(replayed.rules().reserve.value(), Some(&None));
        assert_eq!(replayed.state().reserve().value(), Some(&None));
        assert_eq!(replayed.reveal_lottery_seed("00"), Err(SealMismatch));
        assert_eq!(
            replayed.reveal_reserve(Opening {
                value: None,
                nonce: nonce(4)
            }),
            Err(SealMismatch)
        );
        let stray = Opening {
            value: Money::from_fen(5),
            nonce: nonce(1),
        };
        assert_eq!(replayed.reveal_sealed_offer(stray), Err(SealMismatch));
    }

    #[test]
    fn the_lottery_seed_is_checked_against_its_hash() {
        let mut rules = rules("R20042");
        rules.price_cap = Some(PriceCap {
            max_price: Money::from_fen(1_947_000),
            then: FollowOn::Lottery {
                seed: LotterySeed::new(&"ab".repeat(16)).unwrap(),
            },
        });
        let mut replayed = Listing::new(rules.without_secrets()).unwrap();
        let missing = replayed.unopened();
        assert_eq!(
            missing.lottery_seed,
            Some(Digest::of("ab".repeat(16).as_bytes()))
        );
        assert_eq!(replayed.reveal_lottery_seed("abab"), Err(SealMismatch));
        replayed.reveal_lottery_seed(&"ab".repeat(16)).unwrap();
        assert_eq!(replayed.unopened().lottery_seed, None);
        assert_eq!(replayed, Listing::new(rules).unwrap());
    }
}

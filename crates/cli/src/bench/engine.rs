//! The engine section: decisions of the trading engine in memory, on 1,
//! 100 and 1,000 concurrent listings, on one thread and on all cores.
//!
//! Latency is taken with [`Instant`] around batches of [`BATCH`] decisions
//! and divided by the batch size: reading the clock around each decision
//! would cost about as much as the decision itself. The percentiles are
//! therefore those of the mean decision time per batch.

use std::sync::Barrier;
use std::time::{Duration, Instant};
use yiwang_core::{Area, Money, Timestamp};
use yiwang_exchange::engine::{
    Action, EngineError, Fact, Listing, ListingRules, Nonce, Party, PriceBasis, Refusal, Schedule,
    SealKind, Sealed, TimedRoundRules, Verdict,
};

use super::{percentile, Options, Report, Row, BIDDERS};

/// Decisions per latency sample.
pub const BATCH: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Workload {
    /// Every bid one increment above the last, by another bidder.
    Accepted,
    /// Per four decisions: two accepted bids, a bidder who lost the race
    /// for the price just taken (`below_minimum`), and in turn the high
    /// bidder raising itself (`already_highest`), a raise off the
    /// increment (`not_multiple`) and a party without qualification
    /// (`not_qualified`).
    Mixed,
}

impl Workload {
    fn code(self) -> &'static str {
        match self {
            Workload::Accepted => "accepted",
            Workload::Mixed => "mixed",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Workload::Accepted => "全部有效报价",
            Workload::Mixed => "一半被拒的混合报价",
        }
    }
}

pub fn section(options: &Options) -> anyhow::Result<Report> {
    let mut rows = Vec::new();
    for workload in [Workload::Accepted, Workload::Mixed] {
        for &listings in &options.listings {
            // One listing is decided in order by one thread: a listing is
            // never shared, so "all cores" needs more than one listing.
            let mut thread_counts = vec![1];
            let all = options.cores.min(listings);
            if all > 1 {
                thread_counts.push(all);
            }
            for threads in thread_counts {
                eprintln!(
                    "测量中：{}，{listings} 宗挂牌，{threads} 个线程……",
                    workload.label()
                );
                rows.push(measure(workload, listings, threads, options.duration)?);
            }
        }
    }
    Ok(Report {
        rows,
        notes: vec![format!(
            "p50/p99/最大：每批 {BATCH} 次决策的平均每次用时的分位数。"
        )],
    })
}

/// One listing under load, and what drives it.
struct Driver {
    listing: Listing,
    /// One bid per qualified bidder; its price is set before each decision,
    /// so that driving the engine allocates nothing.
    bids: Vec<Action>,
    /// A bid by a party that never qualified.
    outsider: Action,
    increment: Money,
    /// The lowest price the next bid may name.
    next_price: Money,
    /// The bidder holding the high bid.
    high: Option<usize>,
    now: Timestamp,
    step: u64,
    facts: Vec<Fact>,
}

/// The rules of every benchmark listing: the application window and the
/// listing both open at `t`, deposits are due a day later, the listing runs
/// for a year with no reserve, so that bids made from `t` on stay valid
/// for as long as any measurement runs.
pub fn bench_rules(code: String, t: Timestamp) -> anyhow::Result<ListingRules> {
    Ok(ListingRules {
        reserve: Sealed::seal(SealKind::Reserve, &code, None, Nonce([0; 32])),
        code,
        area: Area::parse("6651.11")?,
        price_basis: PriceBasis::Unit,
        start_price: Money::from_fen(48_000),
        increment: Money::from_fen(1_000),
        whole_multiples: true,
        deposit_required: Money::from_fen(70_000_000),
        schedule: Schedule {
            application_start: t,
            application_deadline: t.add_secs(86_400),
            deposit_deadline: t.add_secs(86_400),
            listing_start: t,
            listing_end: t.add_secs(365 * 86_400),
        },
        quote_stop_s: 3600,
        reserve_lock_s: 1800,
        timed_round: Some(TimedRoundRules::default()),
        price_cap: None,
        ineligible: Vec::new(),
    })
}

impl Driver {
    /// A listing with [`BIDDERS`] qualified bidders, bidding about to start.
    fn new(index: usize) -> anyhow::Result<Driver> {
        let t = Timestamp::parse_rfc3339("2021-01-01T00:00:00+08:00")?;
        let rules = bench_rules(format!("BENCH{index:04}"), t)?;
        let t = rules.schedule.listing_start;
        let (increment, start_price, deposit) =
            (rules.increment, rules.start_price, rules.deposit_required);
        let mut listing =
            Listing::new(rules).map_err(|e| anyhow::anyhow!("测试挂牌的规则无效：{e}"))?;
        let parties = (0..BIDDERS)
            .map(|i| Party::parse(&format!("91320600BIDDER{i:04}")))
            .collect::<Result<Vec<_>, _>>()?;
        let mut facts = Vec::new();
        for party in &parties {
            let apply = Action::Apply {
                party: party.clone(),
                partners: Vec::new(),
            };
            expect(listing.decide(&apply, t.add_secs(60), &mut facts), None)?;
        }
        for party in &parties {
            let deposit = Action::Deposit {
                party: party.clone(),
                amount: deposit,
            };
            expect(listing.decide(&deposit, t.add_secs(120), &mut facts), None)?;
        }
        if listing.state().bidders().len() != BIDDERS {
            anyhow::bail!("测试挂牌的竞买人未全部取得资格");
        }
        facts.clear();
        Ok(Driver {
            listing,
            bids: parties
                .into_iter()
                .map(|party| Action::Bid {
                    party,
                    price: start_price,
                })
                .collect(),
            outsider: Action::Bid {
                party: Party::parse("91320600OUTSIDER00")?,
                price: start_price,
            },
            increment,
            next_price: start_price,
            high: None,
            now: t.add_secs(3600),
            step: 0,
            facts,
        })
    }

    /// Makes the next decision of `workload`; checks its verdict, so that
    /// the benchmark measures the decisions it claims to.
    fn decide_next(&mut self, workload: Workload) -> anyhow::Result<Verdict> {
        let step = self.step;
        self.step += 1;
        self.now = self.now.add_micros(1);
        let next = self.high.map_or(0, |h| (h + 1) % BIDDERS);
        let (who, price, expected) = match (workload, step % 4) {
            (Workload::Accepted, _) | (Workload::Mixed, 0 | 2) => {
                (Some(next), self.next_price, Verdict::Accepted)
            }
            (Workload::Mixed, 1) => (
                Some(next),
                money(self.next_price.checked_sub(self.increment))?,
                Verdict::Refused(Refusal::BelowMinimum),
            ),
            (Workload::Mixed, _) => match step / 4 % 3 {
                0 => (
                    self.high,
                    self.next_price,
                    Verdict::Refused(Refusal::AlreadyHighest),
                ),
                1 => (
                    Some(next),
                    money(self.next_price.checked_add(Money::from_fen(1)))?,
                    Verdict::Refused(Refusal::NotMultiple),
                ),
                _ => (
                    None,
                    self.next_price,
                    Verdict::Refused(Refusal::NotQualified),
                ),
            },
        };
        let action = match who {
            Some(i) => &mut self.bids[i],
            None => &mut self.outsider,
        };
        if let Action::Bid { price: p, .. } = action {
            *p = price;
        }
        self.facts.clear();
        let verdict = self.listing.decide(action, self.now, &mut self.facts);
        expect(verdict, Some(expected))?;
        if expected == Verdict::Accepted {
            self.high = who;
            self.next_price = money(price.checked_add(self.increment))?;
        }
        Ok(expected)
    }
}

fn money(amount: Option<Money>) -> anyhow::Result<Money> {
    amount.ok_or_else(|| anyhow::anyhow!("测试报价超出金额范围"))
}

/// Requires the engine to have decided, and as `expected` when given.
fn expect(
    decided: Result<Verdict, EngineError>,
    expected: Option<Verdict>,
) -> anyhow::Result<Verdict> {
    let verdict = decided.map_err(|e| anyhow::anyhow!("交易引擎出错：{e}"))?;
    match expected {
        Some(expected) if verdict != expected => anyhow::bail!(
            "交易引擎的裁决与测试负载不符：应为 {}，实为 {}",
            expected.code(),
            verdict.code()
        ),
        None if !verdict.is_accepted() => {
            anyhow::bail!("测试挂牌的准备操作被拒绝：{}", verdict.code())
        }
        _ => Ok(verdict),
    }
}

/// What one thread measured.
struct Measured {
    decisions: u64,
    refused: u64,
    /// Mean ns per decision, one per batch.
    samples: Vec<f64>,
    start: Instant,
    end: Instant,
}

fn measure(
    workload: Workload,
    listings: usize,
    threads: usize,
    duration: Duration,
) -> anyhow::Result<Row> {
    let mut drivers = (0..listings)
        .map(Driver::new)
        .collect::<anyhow::Result<Vec<_>>>()?;
    let shards = split_even(&mut drivers, threads);
    let threads = shards.len();
    let barrier = Barrier::new(threads);
    let results = std::thread::scope(|scope| {
        let handles: Vec<_> = shards
            .into_iter()
            .map(|shard| {
                let barrier = &barrier;
                scope.spawn(move || drive(shard, workload, duration, barrier))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("测量线程意外终止")))
            })
            .collect::<anyhow::Result<Vec<Measured>>>()
    })?;
    let decisions: u64 = results.iter().map(|m| m.decisions).sum();
    let refused: u64 = results.iter().map(|m| m.refused).sum();
    let start = results.iter().map(|m| m.start).min();
    let end = results.iter().map(|m| m.end).max();
    let seconds = match (start, end) {
        (Some(start), Some(end)) => end.duration_since(start).as_secs_f64(),
        _ => 0.0,
    };
    let mut samples: Vec<f64> = results.into_iter().flat_map(|m| m.samples).collect();
    samples.sort_by(f64::total_cmp);
    Ok(Row {
        workload: workload.code(),
        label: workload.label(),
        listings,
        per_listing: BIDDERS,
        threads,
        operations: decisions,
        refused,
        seconds,
        per_second: if seconds > 0.0 {
            decisions as f64 / seconds
        } else {
            0.0
        },
        p50_ns: percentile(&samples, 0.50),
        p99_ns: percentile(&samples, 0.99),
        max_ns: samples.last().copied().unwrap_or(0.0),
    })
}

/// `items` cut into at most `parts` non-empty shards whose sizes differ by
/// at most one.
fn split_even<T>(mut items: &mut [T], parts: usize) -> Vec<&mut [T]> {
    let parts = parts.clamp(1, items.len().max(1));
    let mut shards = Vec::with_capacity(parts);
    for i in 0..parts {
        let size = items.len() / (parts - i);
        let (shard, rest) = items.split_at_mut(size);
        shards.push(shard);
        items = rest;
    }
    shards.retain(|s| !s.is_empty());
    shards
}

/// Drives a shard of listings in turn, one decision each, until `duration`
/// has passed.
fn drive(
    shard: &mut [Driver],
    workload: Workload,
    duration: Duration,
    barrier: &Barrier,
) -> anyhow::Result<Measured> {
    let mut samples = Vec::with_capacity(4096);
    let (mut decisions, mut refused) = (0u64, 0u64);
    let mut next = 0;
    barrier.wait();
    let start = Instant::now();
    let deadline = start + duration;
    let end = loop {
        let batch_start = Instant::now();
        for _ in 0..BATCH {
            let verdict = shard[next].decide_next(workload)?;
            refused += u64::from(!verdict.is_accepted());
            next += 1;
            if next == shard.len() {
                next = 0;
            }
        }
        let batch_end = Instant::now();
        decisions += BATCH as u64;
        samples.push(batch_end.duration_since(batch_start).as_nanos() as f64 / BATCH as f64);
        if batch_end >= deadline {
            break batch_end;
        }
    };
    Ok(Measured {
        decisions,
        refused,
        samples,
        start,
        end,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_are_even_and_never_empty() {
        let mut items: Vec<u32> = (0..10).collect();
        let sizes: Vec<usize> = split_even(&mut items, 3).iter().map(|s| s.len()).collect();
        assert_eq!(sizes, [3, 3, 4]);
        let sizes: Vec<usize> = split_even(&mut items, 64).iter().map(|s| s.len()).collect();
        assert_eq!(sizes, [1; 10]);
        let mut one = [0u8];
        assert_eq!(split_even(&mut one, 2).len(), 1);
    }

    #[test]
    fn every_workload_gets_the_verdicts_it_claims() {
        for workload in [Workload::Accepted, Workload::Mixed] {
            let mut driver = Driver::new(1).unwrap();
            let refused = (0..1_200)
                .map(|_| driver.decide_next(workload).unwrap())
                .filter(|v| !v.is_accepted())
                .count();
            let expected = match workload {
                Workload::Accepted => 0,
                Workload::Mixed => 600,
            };
            assert_eq!(refused, expected, "{workload:?}");
        }
    }
}

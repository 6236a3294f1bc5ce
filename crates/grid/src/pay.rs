//! Floating performance pay (浮动绩效): a month's indicators of each grid
//! leader turned into a share of a bonus pool.
//!
//! # The formula
//!
//! Each indicator is a fraction (`num / den`). It scores
//! [`Fraction::permille`]: thousandths, rounded half up; for the two
//! indicators where less is better (rework and extension rates) the score
//! is 1000 minus that. An indicator with nothing to count (`den == 0`)
//! scores 1000: a leader is not marked down for a month with no closures
//! to judge. A leader's points are the sum over the indicators of weight ×
//! score ([`PayFormula::weights`]), and the pool is shared in proportion to
//! points:
//!
//! ```text
//! share_i = ⌊pool × points_i / Σ points⌋, plus one fen for the
//!           (pool − Σ ⌊…⌋) largest remainders (pool × points_i mod Σ points),
//!           ties to the smaller key
//! ```
//!
//! so the shares add up to the pool to the fen, and the same inputs give
//! the same shares whatever their order. No float is used: points are
//! integers and the division is done once, in `i128`. When nobody has a
//! point the pool is not shared (every share is 0 and [`PaySheet::unshared`]
//! says how much is left).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The indicators the formula can weigh.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayKpi {
    /// 每日登录率.
    LoginRate,
    /// 有效上报率.
    ValidityRate,
    /// 结案率.
    ClosureRate,
    /// 按期结案率.
    OnTimeRate,
    /// 返工率 (less is better).
    ReworkRate,
    /// 延期率 (less is better).
    ExtensionRate,
    /// 满意率.
    Satisfaction,
}

impl PayKpi {
    pub const ALL: [PayKpi; 7] = [
        PayKpi::LoginRate,
        PayKpi::ValidityRate,
        PayKpi::ClosureRate,
        PayKpi::OnTimeRate,
        PayKpi::ReworkRate,
        PayKpi::ExtensionRate,
        PayKpi::Satisfaction,
    ];

    pub fn label(self) -> &'static str {
        match self {
            PayKpi::LoginRate => "每日登录率",
            PayKpi::ValidityRate => "有效上报率",
            PayKpi::ClosureRate => "结案率",
            PayKpi::OnTimeRate => "按期结案率",
            PayKpi::ReworkRate => "返工率",
            PayKpi::ExtensionRate => "延期率",
            PayKpi::Satisfaction => "满意率",
        }
    }

    /// Whether a lower rate is the better one.
    pub fn lower_is_better(self) -> bool {
        matches!(self, PayKpi::ReworkRate | PayKpi::ExtensionRate)
    }
}

/// An integer fraction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Fraction {
    pub num: u64,
    pub den: u64,
}

impl Fraction {
    pub fn new(num: u64, den: u64) -> Fraction {
        Fraction { num, den }
    }

    /// Thousandths, rounded half up; `None` when nothing was counted.
    pub fn permille(self) -> Option<u64> {
        (self.den > 0).then(|| (self.num * 1000 + self.den / 2) / self.den)
    }
}

/// The weights of the formula, per indicator; indicators not named weigh
/// nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayFormula {
    pub weights: BTreeMap<PayKpi, u32>,
}

impl Default for PayFormula {
    /// On-time closure first, then satisfaction, closure, logins and
    /// rework; 100 points in all.
    fn default() -> Self {
        PayFormula {
            weights: BTreeMap::from([
                (PayKpi::OnTimeRate, 30),
                (PayKpi::Satisfaction, 20),
                (PayKpi::ClosureRate, 15),
                (PayKpi::LoginRate, 15),
                (PayKpi::ReworkRate, 10),
                (PayKpi::ValidityRate, 5),
                (PayKpi::ExtensionRate, 5),
            ]),
        }
    }
}

/// One leader's indicators for the month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaderKpis {
    /// Orders the lines and breaks ties (the leader's grid code).
    pub key: String,
    pub name: String,
    pub rates: BTreeMap<PayKpi, Fraction>,
}

/// One indicator's part in a leader's points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PayTerm {
    pub kpi: PayKpi,
    pub rate: Fraction,
    pub weight: u32,
    /// 0–1000, after inverting the less-is-better indicators.
    pub score: u64,
    /// weight × score.
    pub points: u64,
}

/// One leader's line of the sheet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PayLine {
    pub key: String,
    pub name: String,
    pub terms: Vec<PayTerm>,
    pub points: u64,
    /// The share, fen.
    pub share_fen: i64,
    /// Whether the share includes one fen of the remainder.
    pub got_remainder: bool,
}

/// The pool shared out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaySheet {
    pub pool_fen: i64,
    pub total_points: u64,
    pub lines: Vec<PayLine>,
    /// Fen of the pool left unshared (only when nobody has a point).
    pub unshared: i64,
}

/// Scores one indicator.
fn term(kpi: PayKpi, rate: Fraction, weight: u32) -> PayTerm {
    let score = match rate.permille() {
        None => 1000,
        Some(p) if kpi.lower_is_better() => 1000 - p.min(1000),
        Some(p) => p.min(1000),
    };
    PayTerm {
        kpi,
        rate,
        weight,
        score,
        points: u64::from(weight) * score,
    }
}

impl PayFormula {
    /// Shares `pool_fen` (not negative) among `leaders`.
    pub fn share(&self, pool_fen: i64, leaders: &[LeaderKpis]) -> PaySheet {
        let pool = pool_fen.max(0);
        let mut lines: Vec<PayLine> = leaders
            .iter()
            .map(|l| {
                let terms: Vec<PayTerm> = self
                    .weights
                    .iter()
                    .map(|(kpi, w)| term(*kpi, l.rates.get(kpi).copied().unwrap_or_default(), *w))
                    .collect();
                PayLine {
                    key: l.key.clone(),
                    name: l.name.clone(),
                    points: terms.iter().map(|t| t.points).sum(),
                    terms,
                    share_fen: 0,
                    got_remainder: false,
                }
            })
            .collect();
        lines.sort_by(|a, b| a.key.cmp(&b.key));
        let total: u64 = lines.iter().map(|l| l.points).sum();
        if total == 0 {
            return PaySheet {
                pool_fen: pool,
                total_points: 0,
                lines,
                unshared: pool,
            };
        }
        let total_i = i128::from(total);
        let mut remainders: Vec<(i128, usize)> = Vec::with_capacity(lines.len());
        let mut given: i128 = 0;
        for (i, line) in lines.iter_mut().enumerate() {
            let product = i128::from(pool) * i128::from(line.points);
            let floor = product / total_i;
            line.share_fen = floor as i64;
            given += floor;
            remainders.push((product % total_i, i));
        }
        // Largest remainder first; equal remainders to the smaller key
        // (lines are in key order, so the smaller index).
        remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let left = (i128::from(pool) - given) as usize;
        for &(_, i) in remainders.iter().take(left) {
            lines[i].share_fen += 1;
            lines[i].got_remainder = true;
        }
        PaySheet {
            pool_fen: pool,
            total_points: total,
            lines,
            unshared: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leader(key: &str, rates: &[(PayKpi, u64, u64)]) -> LeaderKpis {
        LeaderKpis {
            key: key.to_owned(),
            name: format!("网格长{key}"),
            rates: rates
                .iter()
                .map(|&(k, n, d)| (k, Fraction::new(n, d)))
                .collect(),
        }
    }

    fn formula(weights: &[(PayKpi, u32)]) -> PayFormula {
        PayFormula {
            weights: weights.iter().copied().collect(),
        }
    }

    #[test]
    fn shares_are_in_proportion_and_add_up_to_the_fen() {
        let f = formula(&[(PayKpi::OnTimeRate, 60), (PayKpi::ReworkRate, 40)]);
        let leaders = [
            // 3/4 on time → 750 × 60 = 45,000; 1/4 reworked → 750 × 40 = 30,000.
            leader(
                "001",
                &[(PayKpi::OnTimeRate, 3, 4), (PayKpi::ReworkRate, 1, 4)],
            ),
            // All on time, none reworked: 60,000 + 40,000.
            leader(
                "002",
                &[(PayKpi::OnTimeRate, 2, 2), (PayKpi::ReworkRate, 0, 2)],
            ),
            // Nothing to count: full marks.
            leader("003", &[]),
        ];
        let sheet = f.share(1_000_000, &leaders);
        assert_eq!(sheet.total_points, 75_000 + 100_000 + 100_000);
        // 1,000,000 × 75,000 / 275,000 = 272,727.27…; × 100,000 / 275,000 =
        // 363,636.36… twice; floors sum to 999,999 and the one fen left goes
        // to the largest remainder (.36… > .27…), the smaller key first.
        let shares: Vec<_> = sheet
            .lines
            .iter()
            .map(|l| (l.key.as_str(), l.share_fen, l.got_remainder))
            .collect();
        assert_eq!(
            shares,
            vec![
                ("001", 272_727, false),
                ("002", 363_637, true),
                ("003", 363_636, false)
            ]
        );
        assert_eq!(
            sheet.lines.iter().map(|l| l.share_fen).sum::<i64>(),
            1_000_000
        );
        let t = &sheet.lines[0].terms;
        assert_eq!(
            (t[0].kpi, t[0].score, t[0].points),
            (PayKpi::OnTimeRate, 750, 45_000)
        );
        assert_eq!(
            (t[1].kpi, t[1].score, t[1].points),
            (PayKpi::ReworkRate, 750, 30_000)
        );
    }

    #[test]
    fn the_order_of_the_leaders_does_not_matter() {
        let f = PayFormula::default();
        let mut leaders: Vec<_> = (1..=7)
            .map(|i| {
                leader(
                    &format!("{i:03}"),
                    &[(PayKpi::OnTimeRate, i, 7), (PayKpi::Satisfaction, 7 - i, 7)],
                )
            })
            .collect();
        let a = f.share(100_001, &leaders);
        leaders.reverse();
        let b = f.share(100_001, &leaders);
        assert_eq!(a, b);
        assert_eq!(a.lines.iter().map(|l| l.share_fen).sum::<i64>(), 100_001);
    }

    #[test]
    fn a_pool_without_points_is_not_shared() {
        let f = formula(&[(PayKpi::OnTimeRate, 10)]);
        let sheet = f.share(5_000, &[leader("001", &[(PayKpi::OnTimeRate, 0, 3)])]);
        assert_eq!(sheet.unshared, 5_000);
        assert_eq!(sheet.lines[0].share_fen, 0);
        assert_eq!(f.share(5_000, &[]).unshared, 5_000);
    }

    #[test]
    fn permille_rounds_half_up() {
        assert_eq!(Fraction::new(2, 3).permille(), Some(667));
        assert_eq!(Fraction::new(1, 2000).permille(), Some(1));
        assert_eq!(Fraction::new(0, 0).permille(), None);
    }
}

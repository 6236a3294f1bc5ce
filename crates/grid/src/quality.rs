//! Data quality: zombie grids (僵尸网格).
//!
//! A grid is a zombie when it exists on paper but nobody works it. The
//! rules, each a reason the work list shows:
//!
//! * **no active leader** — no leader is assigned, or the leader's account
//!   is disabled;
//! * **no login** — none of its staff logged in on any of the last
//!   `idle_days` Beijing days, today included;
//! * **no report** — no event reported in it in the last `idle_days` × 24
//!   hours (`[now − idle_days, now)`);
//! * **no patrol** — no patrol logged in it in the same window (the patrol
//!   log of `duties`);
//! * **topology** — its boundary fails the topology check (an overlap, a
//!   gap in its community, or a part outside its community).
//!
//! A grid leaves the list as soon as every reason is fixed, so the list
//! reaches zero when the district is clean.

use serde::Serialize;

/// Microseconds in a day.
const DAY: i64 = 86_400_000_000;

/// The configurable part of the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZombieRules {
    /// Days without a login or a report that make a grid a zombie.
    pub idle_days: u32,
}

/// What is known of one grid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridSignals {
    pub leader_active: bool,
    /// The start (µs) of the last Beijing day one of its staff logged in.
    pub last_login_day: Option<i64>,
    /// Its last report, µs.
    pub last_report: Option<i64>,
    /// Its last patrol log, µs.
    pub last_patrol: Option<i64>,
    /// What the topology check found about it, in words.
    pub topology: Vec<String>,
}

/// Why a grid is a zombie.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "rule")]
pub enum ZombieReason {
    NoActiveLeader,
    NoLogin { last_day: Option<i64> },
    NoReport { last: Option<i64> },
    NoPatrol { last: Option<i64> },
    Topology { finding: String },
}

impl ZombieReason {
    /// The rule's name on the work list.
    pub fn label(&self) -> &'static str {
        match self {
            ZombieReason::NoActiveLeader => "无在岗网格长",
            ZombieReason::NoLogin { .. } => "长期无人登录",
            ZombieReason::NoReport { .. } => "长期无事件上报",
            ZombieReason::NoPatrol { .. } => "长期无巡查记录",
            ZombieReason::Topology { .. } => "边界未通过拓扑检查",
        }
    }
}

impl ZombieRules {
    /// The reasons `grid` is a zombie at `now`, given the start of today
    /// (Beijing) as `today`; empty for a live grid.
    pub fn reasons(&self, grid: &GridSignals, now: i64, today: i64) -> Vec<ZombieReason> {
        let n = i64::from(self.idle_days.max(1));
        let mut out = Vec::new();
        if !grid.leader_active {
            out.push(ZombieReason::NoActiveLeader);
        }
        let first_day = today - (n - 1) * DAY;
        if grid.last_login_day.is_none_or(|d| d < first_day) {
            out.push(ZombieReason::NoLogin {
                last_day: grid.last_login_day,
            });
        }
        if grid.last_report.is_none_or(|r| r < now - n * DAY) {
            out.push(ZombieReason::NoReport {
                last: grid.last_report,
            });
        }
        if grid.last_patrol.is_none_or(|p| p < now - n * DAY) {
            out.push(ZombieReason::NoPatrol {
                last: grid.last_patrol,
            });
        }
        out.extend(
            grid.topology
                .iter()
                .map(|f| ZombieReason::Topology { finding: f.clone() }),
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TODAY: i64 = 1_796_486_400_000_000;
    const NOW: i64 = TODAY + 10 * 3_600_000_000;

    fn live() -> GridSignals {
        GridSignals {
            leader_active: true,
            last_login_day: Some(TODAY),
            last_report: Some(NOW - DAY),
            last_patrol: Some(NOW - DAY),
            topology: vec![],
        }
    }

    #[test]
    fn a_worked_grid_is_no_zombie() {
        let rules = ZombieRules { idle_days: 7 };
        assert!(rules.reasons(&live(), NOW, TODAY).is_empty());
        // The edges of the windows: a login six days before today and a
        // report exactly seven days before now still count.
        let edge = GridSignals {
            last_login_day: Some(TODAY - 6 * DAY),
            last_report: Some(NOW - 7 * DAY),
            last_patrol: Some(NOW - 7 * DAY),
            ..live()
        };
        assert!(rules.reasons(&edge, NOW, TODAY).is_empty());
    }

    #[test]
    fn each_rule_gives_its_reason() {
        let rules = ZombieRules { idle_days: 7 };
        let dead = GridSignals {
            leader_active: false,
            last_login_day: Some(TODAY - 7 * DAY),
            last_report: Some(NOW - 7 * DAY - 1),
            last_patrol: Some(NOW - 7 * DAY - 1),
            topology: vec!["与 320612001001002 重叠 12 平方米".to_owned()],
        };
        let reasons = rules.reasons(&dead, NOW, TODAY);
        assert_eq!(
            reasons.iter().map(ZombieReason::label).collect::<Vec<_>>(),
            vec![
                "无在岗网格长",
                "长期无人登录",
                "长期无事件上报",
                "长期无巡查记录",
                "边界未通过拓扑检查"
            ]
        );
        let never = GridSignals {
            last_login_day: None,
            last_report: None,
            last_patrol: None,
            ..live()
        };
        assert_eq!(
            rules.reasons(&never, NOW, TODAY),
            vec![
                ZombieReason::NoLogin { last_day: None },
                ZombieReason::NoReport { last: None },
                ZombieReason::NoPatrol { last: None }
            ]
        );
    }
}

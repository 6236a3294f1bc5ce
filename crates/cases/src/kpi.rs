//! Key performance indicators, computed from cases' states.
//!
//! Everything here is a function of [`CaseState`] (itself a fold of the
//! events) and `now`, so that KPI pages, exports and the performance pay
//! formula all count the same way, and a KPI can be recomputed from the
//! log. Rates are kept as integer fractions ([`Rate`]) and rounded only
//! when shown.
//!
//! Definitions (per case, see [`CaseKpi`]):
//!
//! * **due** (应结案): filed, and either closed or past its overall limit
//!   (as extended) at `now`.
//! * **deferred** (缓办): was ever on the problem register (挂账).
//! * **on time** (按期结案): closed at or before its overall limit, and not
//!   deferred.
//! * **on-time closure rate** = on-time closures / (cases due − deferred
//!   cases due).
//! * **rework**: failed re-checks; **extension**: approved extensions.
//! * **time to close**: from the report to the close, in calendar time and
//!   in working time.

use crate::config::Workflow;
use crate::state::{CaseState, Stage};
use yiwang_core::Timestamp;

/// An integer fraction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rate {
    pub num: u64,
    pub den: u64,
}

impl Rate {
    /// The fraction in thousandths, rounded half up; `None` when nothing
    /// was counted.
    pub fn permille(self) -> Option<u64> {
        (self.den > 0).then(|| (self.num * 1000 + self.den / 2) / self.den)
    }

    /// As a percentage with one decimal ("87.5%"), or "—" when nothing was
    /// counted.
    pub fn percent_label(self) -> String {
        match self.permille() {
            Some(p) => format!("{}.{}%", p / 10, p % 10),
            None => "—".to_owned(),
        }
    }
}

/// The indicators of one case at `now`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CaseKpi {
    pub reported: bool,
    /// Confirmed at the check (valid report).
    pub valid: bool,
    pub rejected: bool,
    pub filed: bool,
    pub closed: bool,
    pub due: bool,
    pub deferred: bool,
    pub on_time: bool,
    pub overdue_now: bool,
    pub reworks: u32,
    pub returns: u32,
    pub extensions: u32,
    pub escalations: u32,
    pub rating: Option<u8>,
    /// Microseconds from report to close.
    pub time_to_close: Option<i64>,
    /// Working microseconds from report to close.
    pub working_time_to_close: Option<i64>,
}

/// The indicators of `state` at `now`.
pub fn case_kpi(workflow: &Workflow, state: &CaseState, now: Timestamp) -> CaseKpi {
    let filed = state.filed_at.is_some();
    let closed = state.closed_at.is_some();
    let overall = state.overall_due.map(|d| d.due);
    let due = filed && (closed || overall.is_some_and(|d| d <= now));
    let deferred = state.registrations > 0;
    let on_time = !deferred
        && match (state.closed_at, overall) {
            (Some(c), Some(d)) => c <= d,
            _ => false,
        };
    let span = match (state.reported_at, state.closed_at) {
        (Some(r), Some(c)) => Some((r, c)),
        _ => None,
    };
    CaseKpi {
        reported: state.stage != Stage::New,
        valid: !matches!(state.stage, Stage::New | Stage::Reported | Stage::Rejected),
        rejected: state.stage == Stage::Rejected,
        filed,
        closed,
        due,
        deferred,
        on_time,
        overdue_now: state.is_overdue(now),
        reworks: state.reworks,
        returns: state.returns,
        extensions: state.extensions,
        escalations: state.escalations,
        rating: state.rating,
        time_to_close: span.map(|(r, c)| c.micros() - r.micros()),
        working_time_to_close: span.map(|(r, c)| workflow.working_micros_between(r, c)),
    }
}

/// Indicators summed over many cases.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Kpis {
    pub reported: u64,
    pub valid: u64,
    pub rejected: u64,
    pub filed: u64,
    pub closed: u64,
    pub due: u64,
    /// Deferred cases among those due.
    pub deferred_due: u64,
    pub on_time: u64,
    pub overdue_now: u64,
    pub reworks: u64,
    pub reworked_cases: u64,
    pub returns: u64,
    pub extended_cases: u64,
    pub escalated_cases: u64,
    pub rated: u64,
    pub rating_sum: u64,
    /// Ratings of 4 or 5.
    pub satisfied: u64,
    pub close_micros: i64,
    pub close_working_micros: i64,
}

impl Kpis {
    /// The sum over `states` at `now`.
    pub fn over<'a>(
        workflow: &Workflow,
        states: impl IntoIterator<Item = &'a CaseState>,
        now: Timestamp,
    ) -> Kpis {
        let mut kpis = Kpis::default();
        for s in states {
            kpis.add(&case_kpi(workflow, s, now));
        }
        kpis
    }

    /// Counts one case.
    pub fn add(&mut self, k: &CaseKpi) {
        let n = |b: bool| u64::from(b);
        self.reported += n(k.reported);
        self.valid += n(k.valid);
        self.rejected += n(k.rejected);
        self.filed += n(k.filed);
        self.closed += n(k.closed);
        self.due += n(k.due);
        self.deferred_due += n(k.due && k.deferred);
        self.on_time += n(k.on_time);
        self.overdue_now += n(k.overdue_now);
        self.reworks += u64::from(k.reworks);
        self.reworked_cases += n(k.reworks > 0);
        self.returns += u64::from(k.returns);
        self.extended_cases += n(k.extensions > 0);
        self.escalated_cases += n(k.escalations > 0);
        if let Some(r) = k.rating {
            self.rated += 1;
            self.rating_sum += u64::from(r);
            self.satisfied += n(r >= 4);
        }
        self.close_micros += k.time_to_close.unwrap_or(0);
        self.close_working_micros += k.working_time_to_close.unwrap_or(0);
    }

    /// 按期结案率: on-time closures / (cases due − deferred).
    pub fn on_time_rate(&self) -> Rate {
        Rate {
            num: self.on_time,
            den: self.due - self.deferred_due,
        }
    }

    /// 结案率: closed / filed.
    pub fn closure_rate(&self) -> Rate {
        Rate {
            num: self.closed,
            den: self.filed,
        }
    }

    /// 有效上报率: confirmed / checked.
    pub fn validity_rate(&self) -> Rate {
        Rate {
            num: self.valid,
            den: self.valid + self.rejected,
        }
    }

    /// 返工率: cases reworked at least once / filed.
    pub fn rework_rate(&self) -> Rate {
        Rate {
            num: self.reworked_cases,
            den: self.filed,
        }
    }

    /// 延期率: cases extended at least once / filed.
    pub fn extension_rate(&self) -> Rate {
        Rate {
            num: self.extended_cases,
            den: self.filed,
        }
    }

    /// 满意率: ratings of 4 or 5 / ratings.
    pub fn satisfaction(&self) -> Rate {
        Rate {
            num: self.satisfied,
            den: self.rated,
        }
    }

    /// The mean rating as a fraction (sum / count).
    pub fn average_rating(&self) -> Rate {
        Rate {
            num: self.rating_sum,
            den: self.rated,
        }
    }

    /// The mean time from report to close, in microseconds.
    pub fn mean_time_to_close(&self) -> Option<i64> {
        (self.closed > 0).then(|| self.close_micros / self.closed as i64)
    }

    /// The mean working time from report to close, in microseconds.
    pub fn mean_working_time_to_close(&self) -> Option<i64> {
        (self.closed > 0).then(|| self.close_working_micros / self.closed as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_round_half_up_and_say_when_empty() {
        assert_eq!(Rate { num: 2, den: 3 }.permille(), Some(667));
        assert_eq!(Rate { num: 1, den: 8 }.percent_label(), "12.5%");
        assert_eq!(Rate { num: 0, den: 0 }.permille(), None);
        assert_eq!(Rate::default().percent_label(), "—");
    }
}

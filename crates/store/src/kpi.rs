//! Storage for the grid indicators (考核指标) and the data-quality detector.
//!
//! # Case indicators
//!
//! The case summary row carries every column `yiwang_cases::kpi` needs
//! (see [`crate::cases`]), so [`KpiStore::case_counts`] sums them in SQL,
//! grouped by a grid-code prefix (grid, community, street, district), by
//! department, by category or by day, over the cases reported in a
//! half-open window. The definitions are the workflow crate's, word for
//! word:
//!
//! * **valid**: past the check (not `reported`, not `rejected`);
//! * **due**: filed, and closed or past its overall limit (as extended) at
//!   `now`; **deferred**: ever on the problem register;
//! * **on time**: closed at or before its limit, and not deferred.
//!
//! The SQL is the same text on both backends ([`case_counts_sql`],
//! [`LOGIN_COUNTS_SQL`], [`GRID_ACTIVITY_SQL`]): it uses only `CASE`,
//! `SUM`, `COUNT`, `MAX`, `substr` and integer division, and casts each sum
//! to `BIGINT`, which both dialects read as a 64-bit integer.
//!
//! # Rollups
//!
//! A year's indicators would otherwise read every case of the year. The
//! table `case_kpi_months` keeps, per grid, category and Beijing month of
//! the report, every sum that does not depend on the instant it is judged
//! at; triggers on `cases` keep it in the transaction of every case write
//! (migration 0016 on both backends). A query over whole months, without a
//! department, reads it ([`rollup_sql`]), and adds the one part that does
//! depend on `now` — filed cases still open past their limit, which are
//! due though not closed — from the open cases ([`open_due_sql`]). Other
//! windows, days and departments read the cases. The storage suite checks
//! that both give the same sums.
//!
//! # Logins
//!
//! A login by an account that belongs to grid staff marks that person's
//! day (Beijing time, [`shanghai_day`]) in `staff_login_days`, in the
//! login's own transaction. The daily login rate of a unit is the
//! person-days with a login, on the days counted (the caller's working
//! days), over its staff times those days; a person working in two grids
//! of a street counts once for the street. Staff are the current
//! assignments.
//!
//! # Grid activity
//!
//! [`KpiStore::grid_activity`] gives, per grid, what the zombie-grid rules
//! look at: whether it has a leader whose account (when they have one) is
//! enabled, the last day any of its staff logged in, and its last report.

use async_trait::async_trait;
use serde::Serialize;
use uuid::Uuid;

use crate::{AuditCtx, StoreResult};

/// Microseconds in a day.
pub const DAY_MICROS: i64 = 86_400_000_000;

/// Beijing time is UTC+8 all year (no daylight saving since 1991).
pub const SHANGHAI_OFFSET_MICROS: i64 = 8 * 3_600_000_000;

/// The start (µs, UTC) of the Beijing-time day holding `at`.
pub fn shanghai_day(at: i64) -> i64 {
    (at + SHANGHAI_OFFSET_MICROS).div_euclid(DAY_MICROS) * DAY_MICROS - SHANGHAI_OFFSET_MICROS
}

/// How case indicators are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KpiGroup {
    /// The whole district (6-digit prefix).
    District,
    /// Street or town (9 digits).
    Street,
    /// Community or village (12 digits).
    Community,
    /// Grid (15 digits).
    Grid,
    /// The department a case is with (empty before dispatch).
    Department,
    /// The category.
    Category,
    /// The Beijing-time day of the report, as the day's start in µs.
    Day,
    /// Grid and category together, as `320612001001001/environment`: one
    /// pass over the cases gives every level (by the code's prefix) and
    /// every category, summed by the caller ([`CaseCounts::add`]).
    GridCategory,
    /// The Beijing calendar month of the report, as the month's start in
    /// µs ([`month_start`]).
    Month,
}

impl KpiGroup {
    /// The length of the grid-code prefix a level groups by.
    pub fn prefix_len(self) -> Option<usize> {
        match self {
            KpiGroup::District => Some(6),
            KpiGroup::Street => Some(9),
            KpiGroup::Community => Some(12),
            KpiGroup::Grid => Some(15),
            _ => None,
        }
    }

    /// The SQL expression of the group key, as text.
    fn key_sql(self) -> String {
        match (self, self.prefix_len()) {
            (_, Some(n)) => format!("substr(grid_code, 1, {n})"),
            (KpiGroup::Department, _) => "COALESCE(department, '')".to_owned(),
            (KpiGroup::Category, _) => "category".to_owned(),
            (KpiGroup::GridCategory, _) => "grid_code || '/' || category".to_owned(),
            // Months are folded from days by the caller
            // ([`days_into_months`]); the day number times a day, less the
            // offset: the grouped
            // expression ([`DAY_NUMBER_SQL`]) inside, as both dialects
            // require of a key that is not itself grouped on.
            _ => format!(
                "CAST(({DAY_NUMBER_SQL}) * {DAY_MICROS} - {SHANGHAI_OFFSET_MICROS} AS TEXT)"
            ),
        }
    }
}

/// The start (µs, UTC) of the Beijing calendar month holding `at`: the
/// `month` of `case_kpi_months`.
pub fn month_start(at: i64) -> i64 {
    let date = yiwang_core::Timestamp::from_micros(at).shanghai_date();
    let first = date.replace_day(1).expect("every month has a first day");
    yiwang_core::Timestamp::from_shanghai(first, 0, 0, 0).micros()
}

/// Whether `[from, to)` is a run of whole Beijing months, which the
/// monthly rollup answers.
pub fn whole_months(from: i64, to: i64) -> bool {
    from < to && month_start(from) == from && month_start(to) == to
}

/// The case-count query over the monthly rollup (`case_kpi_months`, see
/// "Rollups" in the module doc) for a group it can answer — the levels,
/// categories, grid and category, months — or `None` (departments change
/// as cases move; days are finer than months). The caller adds
/// `WHERE month >= ? AND month < ?`, the grid prefix, then
/// [`ROLLUP_TAIL`]. Its `due` and `deferred_due` hold only closed cases;
/// the open ones past their limit come from [`OPEN_DUE_SQL`].
pub fn rollup_sql(group: KpiGroup) -> Option<String> {
    let key = match (group, group.prefix_len()) {
        (_, Some(n)) => format!("substr(grid_code, 1, {n})"),
        (KpiGroup::Category, _) => "category".to_owned(),
        (KpiGroup::GridCategory, _) => "grid_code || '/' || category".to_owned(),
        (KpiGroup::Month, _) => "CAST(month AS TEXT)".to_owned(),
        _ => return None,
    };
    let sum = |column: &str, alias: &str| format!("CAST(SUM({column}) AS BIGINT) AS {alias}");
    let sums = [
        ("reported", "reported"),
        ("valid", "valid"),
        ("rejected", "rejected"),
        ("filed", "filed"),
        ("closed", "closed"),
        ("closed_due", "due"),
        ("deferred_closed_due", "deferred_due"),
        ("on_time", "on_time"),
        ("reworked_cases", "reworked_cases"),
        ("extended_cases", "extended_cases"),
        ("rated", "rated"),
        ("rating_sum", "rating_sum"),
        ("satisfied", "satisfied"),
        ("close_micros", "close_micros"),
        ("close_working_micros", "close_working_micros"),
    ]
    .iter()
    .map(|(c, a)| sum(c, a))
    .collect::<Vec<_>>()
    .join(", ");
    Some(format!("SELECT {key} AS k, {sums} FROM case_kpi_months"))
}

/// Closes [`rollup_sql`].
pub const ROLLUP_TAIL: &str = " GROUP BY k ORDER BY k";

/// The filed cases still open and past their limit at `now` (written in
/// as an integer literal), reported in `[from, to)` (bind both), one row
/// each: `(grid_code, category, created_at, deferred)`. They are due at
/// `now` though the rollup cannot know it; few, and read through the
/// partial index of open filed cases. The caller may add the grid prefix.
pub fn open_due_sql(now: i64) -> String {
    format!(
        "SELECT grid_code, category, created_at, deferred FROM cases \
         WHERE closed_at IS NULL AND filed_at IS NOT NULL AND limit_at IS NOT NULL \
         AND limit_at <= {now} AND created_at >= "
    )
}

/// The key of an open case in `group` (see [`rollup_sql`]).
pub fn open_case_key(group: KpiGroup, grid_code: &str, category: &str, created_at: i64) -> String {
    match (group, group.prefix_len()) {
        (_, Some(n)) => grid_code.get(..n).unwrap_or(grid_code).to_owned(),
        (KpiGroup::Category, _) => category.to_owned(),
        (KpiGroup::Month, _) => month_start(created_at).to_string(),
        _ => format!("{grid_code}/{category}"),
    }
}

/// Adds the open cases past their limit to the rollup's sums, in key
/// order.
pub fn with_open_due(
    group: KpiGroup,
    rolled: Vec<CaseCounts>,
    open: Vec<(String, String, i64, bool)>,
) -> Vec<CaseCounts> {
    let mut by_key: std::collections::BTreeMap<String, CaseCounts> =
        rolled.into_iter().map(|c| (c.key.clone(), c)).collect();
    for (grid_code, category, created_at, deferred) in open {
        let key = open_case_key(group, &grid_code, &category, created_at);
        let c = by_key.entry(key.clone()).or_insert_with(|| CaseCounts {
            key,
            ..CaseCounts::default()
        });
        c.due += 1;
        if deferred {
            c.deferred_due += 1;
        }
    }
    by_key.into_values().collect()
}

/// Days' counts summed into the months holding them, in month order.
pub fn days_into_months(days: Vec<CaseCounts>) -> Vec<CaseCounts> {
    let mut months: std::collections::BTreeMap<i64, CaseCounts> = Default::default();
    for day in days {
        let Ok(at) = day.key.parse::<i64>() else {
            continue;
        };
        let m = month_start(at);
        months
            .entry(m)
            .or_insert_with(|| CaseCounts {
                key: m.to_string(),
                ..CaseCounts::default()
            })
            .add(&day);
    }
    months.into_values().collect()
}

/// Which cases [`KpiStore::case_counts`] counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KpiQuery {
    pub group: KpiGroup,
    /// Reported in `[from, to)`, µs.
    pub from: i64,
    pub to: i64,
    /// The instant "due" is judged at.
    pub now: i64,
    /// Only grids whose code starts with this.
    pub under: Option<String>,
    /// Only cases with this department.
    pub department: Option<String>,
}

/// The sums of one group, in `yiwang_cases::Kpis`' terms.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CaseCounts {
    pub key: String,
    pub reported: i64,
    pub valid: i64,
    pub rejected: i64,
    pub filed: i64,
    pub closed: i64,
    pub due: i64,
    pub deferred_due: i64,
    pub on_time: i64,
    pub reworked_cases: i64,
    pub extended_cases: i64,
    pub rated: i64,
    pub rating_sum: i64,
    pub satisfied: i64,
    /// Sum over closed cases of report → close, µs.
    pub close_micros: i64,
    /// The same in working time.
    pub close_working_micros: i64,
}

impl CaseCounts {
    /// Adds another group's sums (months from days, a street from its
    /// communities).
    pub fn add(&mut self, o: &CaseCounts) {
        self.reported += o.reported;
        self.valid += o.valid;
        self.rejected += o.rejected;
        self.filed += o.filed;
        self.closed += o.closed;
        self.due += o.due;
        self.deferred_due += o.deferred_due;
        self.on_time += o.on_time;
        self.reworked_cases += o.reworked_cases;
        self.extended_cases += o.extended_cases;
        self.rated += o.rated;
        self.rating_sum += o.rating_sum;
        self.satisfied += o.satisfied;
        self.close_micros += o.close_micros;
        self.close_working_micros += o.close_working_micros;
    }
}

/// The Beijing day number of a case's report (days since 1970-01-01 in
/// Beijing time), the expression the SQLite index for days is built on
/// (migration 0012), written exactly as the index has it.
pub const DAY_NUMBER_SQL: &str = "(created_at + 28800000000) / 86400000000";

/// The Beijing day number of an instant, as [`DAY_NUMBER_SQL`] computes it
/// (for instants after 1970).
pub fn day_number(at: i64) -> i64 {
    (at + SHANGHAI_OFFSET_MICROS).div_euclid(DAY_MICROS)
}

/// The case-count query's SELECT and FROM, the same text on both
/// backends; the caller adds the WHERE clause ([`case_counts_window`]
/// and its filters) and [`case_counts_tail`]. `now` is written into the
/// text as an integer literal (it is an `i64`, never user text) because
/// it appears in two sums.
///
/// Each sum is an aggregate `FILTER`, which both dialects have and which
/// counts the rows whose condition is true, as `SUM(CASE WHEN … THEN 1
/// ELSE 0 END)` did, at about two thirds of the cost on SQLite.
pub fn case_counts_sql(group: KpiGroup, now: i64) -> String {
    let key = group.key_sql();
    let count = |cond: &str| format!("COUNT(*) FILTER (WHERE {cond})");
    let due = format!(
        "filed_at IS NOT NULL AND (closed_at IS NOT NULL \
         OR (limit_at IS NOT NULL AND limit_at <= {now}))"
    );
    format!(
        "SELECT {key} AS k, COUNT(*) AS reported, {valid} AS valid, {rejected} AS rejected, \
         COUNT(filed_at) AS filed, COUNT(closed_at) AS closed, {due_sum} AS due, \
         {deferred_due} AS deferred_due, {on_time} AS on_time, {reworked} AS reworked_cases, \
         {extended} AS extended_cases, COUNT(rating) AS rated, \
         CAST(COALESCE(SUM(rating), 0) AS BIGINT) AS rating_sum, {satisfied} AS satisfied, \
         CAST(COALESCE(SUM(closed_at - created_at), 0) AS BIGINT) AS close_micros, \
         CAST(COALESCE(SUM(close_working) FILTER (WHERE closed_at IS NOT NULL), 0) AS BIGINT) \
         AS close_working_micros \
         FROM cases",
        valid = count("stage NOT IN ('new', 'reported', 'rejected')"),
        rejected = count("stage = 'rejected'"),
        due_sum = count(&due),
        deferred_due = count(&format!("deferred AND {due}")),
        on_time = count(
            "NOT deferred AND closed_at IS NOT NULL AND limit_at IS NOT NULL \
             AND closed_at <= limit_at"
        ),
        reworked = count("reworks > 0"),
        extended = count("extensions > 0"),
        satisfied = count("rating >= 4"),
    )
}

/// The window of a case-count query, `[from, to)` on the report time,
/// to follow `WHERE`: pairs of text and the value to bind after it. For
/// days the window is also written on [`DAY_NUMBER_SQL`] (the first and
/// last day numbers, which the window on `created_at` implies), so that
/// SQLite reads its index of days from the first day to the last instead
/// of every case.
pub fn case_counts_window(group: KpiGroup, from: i64, to: i64) -> Vec<(String, i64)> {
    let mut window = vec![
        ("created_at >= ".to_owned(), from),
        (" AND created_at < ".to_owned(), to),
    ];
    if group == KpiGroup::Day && to > from {
        window.push((format!(" AND {DAY_NUMBER_SQL} >= "), day_number(from)));
        window.push((format!(" AND {DAY_NUMBER_SQL} < "), day_number(to - 1) + 1));
    }
    window
}

/// Closes the case-count query: `GROUP BY` on columns (or the expression
/// an index is built on) rather than on the key's text, so that SQLite
/// reads the groups in an index's order instead of sorting every case
/// (migration 0012), then `ORDER BY k`.
pub fn case_counts_tail(group: KpiGroup) -> String {
    match group {
        KpiGroup::GridCategory => " GROUP BY grid_code, category ORDER BY k".to_owned(),
        KpiGroup::Day => format!(" GROUP BY {DAY_NUMBER_SQL} ORDER BY k"),
        _ => " GROUP BY k ORDER BY k".to_owned(),
    }
}

/// The staff of each group: the caller writes the prefix length for
/// `{n}` (a number the code chooses), adds `WHERE grid_code LIKE …` when
/// under a unit, then [`LOGIN_STAFF_SQL_TAIL`].
pub const LOGIN_STAFF_SQL: &str =
    "SELECT substr(grid_code, 1, {n}) AS k, COUNT(DISTINCT staff_id) AS n FROM grid_assignments";

/// Closes [`LOGIN_STAFF_SQL`].
pub const LOGIN_STAFF_SQL_TAIL: &str = " GROUP BY k ORDER BY k";

/// The login person-days of each group; the caller binds the counted
/// days' starts in `day IN (…)`, closes it with `)`, adds
/// [`LOGIN_DAYS_SQL_MIDDLE`] (with the prefix length for `{n}`), may add
/// `AND a.grid_code LIKE …`, then [`LOGIN_DAYS_SQL_TAIL`].
///
/// Each person's login days are counted first (one pass over the days'
/// rows, in the primary key's order), then summed over the distinct
/// (unit, person) pairs of the assignments: the same number as the
/// distinct (unit, person, day) triples, since a person's day is
/// recorded once, without a sort of every login day.
pub const LOGIN_DAYS_SQL: &str = "SELECT u.k AS k, CAST(SUM(d.n) AS BIGINT) AS n FROM (\
     SELECT staff_id, COUNT(*) AS n FROM staff_login_days WHERE day IN (";

/// Follows the days of [`LOGIN_DAYS_SQL`].
pub const LOGIN_DAYS_SQL_MIDDLE: &str = " GROUP BY staff_id) d JOIN (\
     SELECT DISTINCT substr(a.grid_code, 1, {n}) AS k, a.staff_id FROM grid_assignments a \
     WHERE 1 = 1";

/// Closes [`LOGIN_DAYS_SQL`].
pub const LOGIN_DAYS_SQL_TAIL: &str = ") u ON u.staff_id = d.staff_id GROUP BY u.k ORDER BY u.k";

/// Marks the login day of the staff member an account belongs to, if any:
/// binds the day, then the account id.
pub const LOGIN_DAY_INSERT_SQL: &str = "INSERT INTO staff_login_days (staff_id, day) \
     SELECT id, {day} FROM grid_staff WHERE user_id = {user} ON CONFLICT DO NOTHING";

/// Every grid's activity, in code order ([`GridActivity`]).
pub const GRID_ACTIVITY_SQL: &str = "SELECT g.code AS code, g.name AS name, \
     (SELECT s.name FROM grid_assignments a JOIN grid_staff s ON s.id = a.staff_id \
      WHERE a.grid_code = g.code AND a.role = 'leader') AS leader, \
     (SELECT COUNT(*) FROM grid_assignments a JOIN grid_staff s ON s.id = a.staff_id \
      LEFT JOIN users u ON u.id = s.user_id \
      WHERE a.grid_code = g.code AND a.role = 'leader' AND (u.id IS NULL OR u.active)) \
      AS active_leaders, \
     (SELECT MAX(d.day) FROM staff_login_days d \
      JOIN grid_assignments a ON a.staff_id = d.staff_id WHERE a.grid_code = g.code) \
      AS last_login_day, \
     (SELECT MAX(c.created_at) FROM cases c WHERE c.grid_code = g.code) AS last_report \
     FROM grids g ORDER BY g.code";

/// Logins of one group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LoginCounts {
    pub key: String,
    /// Staff assigned in the group (each person once).
    pub staff: i64,
    /// Person-days with a login in the window.
    pub login_days: i64,
}

/// What the zombie-grid rules look at for one grid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GridActivity {
    pub code: String,
    pub name: String,
    /// The leader's name, when the grid has a leader.
    pub leader: Option<String>,
    /// A leader is assigned and their account, if they have one, is
    /// enabled.
    pub leader_active: bool,
    /// The start of the last Beijing day one of its staff logged in.
    pub last_login_day: Option<i64>,
    /// The last report in the grid, µs.
    pub last_report: Option<i64>,
}

/// Storage behind the KPI pages, the pay sheet and the data-quality list.
#[async_trait]
pub trait KpiStore: Send + Sync {
    /// Case indicators of the cases reported in `[from, to)`, grouped, in
    /// key order.
    async fn case_counts(&self, query: &KpiQuery) -> StoreResult<Vec<CaseCounts>>;

    /// Login person-days on `days` (day starts, µs) and staff, grouped by
    /// the grid-code prefix of `group` (a level), under a prefix; in key
    /// order, every group with staff listed.
    async fn login_counts(
        &self,
        group: KpiGroup,
        days: &[i64],
        under: Option<&str>,
    ) -> StoreResult<Vec<LoginCounts>>;

    /// Records login days of staff (demo data, imports from a former
    /// system): `(staff id, day start)`; days already recorded are kept.
    /// One audit record names how many were given.
    async fn import_login_days(&self, ctx: &AuditCtx, days: Vec<(Uuid, i64)>) -> StoreResult<u64>;

    /// Every grid's activity, in code order.
    async fn grid_activity(&self) -> StoreResult<Vec<GridActivity>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_start_at_beijing_midnight() {
        // 2026-12-06T00:00:00+08:00 = 2026-12-05T16:00:00Z.
        let midnight = 1_796_515_200_000_000 - SHANGHAI_OFFSET_MICROS;
        assert_eq!(shanghai_day(midnight), midnight);
        assert_eq!(shanghai_day(midnight + DAY_MICROS - 1), midnight);
        assert_eq!(shanghai_day(midnight - 1), midnight - DAY_MICROS);
    }
}

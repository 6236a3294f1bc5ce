//! Storage for online labour mediation (不见面维权): the cases, their
//! timeline and the documents the parties upload.
//!
//! The rules (kinds, who may do what in which state, the fifteen-day
//! limit, what a form must hold) are `yiwang_services::mediation`; the
//! store keeps the cases, checks under a row lock that a case is still in
//! the state the caller judged it in, and answers the lists and the
//! statistics.
//!
//! # Tables
//!
//! `mediation_cases`, `mediation_events`, `mediation_documents` and
//! `mediation_numbers` (migration 0019). Every change writes its audit
//! record in its transaction: `mediation.submit`, `mediation.accept`,
//! `mediation.refuse`, `mediation.message`, `mediation.document`,
//! `mediation.meeting`, `mediation.outcome`, `mediation.withdraw`. Audit
//! details name the case, the kind and the amounts, never a phone number or
//! what was said.

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::Serialize;
use uuid::Uuid;
use yiwang_core::Timestamp;

use crate::{AuditCtx, Page, Paged, StoreResult};

/// A case to store, as checked by `yiwang_services::mediation`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMediation {
    pub id: Uuid,
    /// `worker` or `enterprise`.
    pub applicant_side: String,
    /// The account that brought the case.
    pub applicant_id: Uuid,
    pub applicant_name: String,
    /// The worker's own account, when the worker brought the case.
    pub worker_user_id: Option<Uuid>,
    pub worker_name: String,
    pub worker_phone: String,
    /// The enterprise's account; when `None` and a credit code is given, the
    /// store links the enterprise registered with that code, if any.
    pub enterprise_id: Option<Uuid>,
    pub enterprise_name: String,
    pub enterprise_code: Option<String>,
    pub kind: String,
    pub facts: String,
    pub claims: String,
    pub amount_claimed_fen: Option<i64>,
}

/// A case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mediation {
    pub id: Uuid,
    pub number: String,
    pub applicant_side: String,
    pub applicant_id: Uuid,
    pub worker_user_id: Option<Uuid>,
    pub worker_name: String,
    pub worker_phone: String,
    pub enterprise_id: Option<Uuid>,
    pub enterprise_name: String,
    pub enterprise_code: Option<String>,
    pub kind: String,
    pub facts: String,
    pub claims: String,
    pub amount_claimed_fen: Option<i64>,
    /// `submitted`, `mediating`, `refused` or `closed`.
    pub state: String,
    pub outcome: Option<String>,
    pub outcome_text: String,
    pub amount_agreed_fen: Option<i64>,
    pub refusal_reason: String,
    pub mediator_id: Option<Uuid>,
    pub mediator_name: String,
    pub submitted_at: i64,
    pub accepted_at: Option<i64>,
    pub due_at: Option<i64>,
    pub closed_at: Option<i64>,
}

/// A line of a case's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MediationEvent {
    pub case_id: Uuid,
    pub seq: i64,
    pub at: i64,
    /// A `yiwang_services::mediation::EventKind` code.
    pub kind: String,
    /// `worker`, `enterprise` or `mediator`.
    pub side: String,
    pub actor_id: Option<Uuid>,
    pub actor_name: String,
    pub text: String,
    pub meeting_at: Option<i64>,
    pub meeting_mode: Option<String>,
    pub meeting_place: String,
    pub document_id: Option<Uuid>,
    /// The document's name, when the event uploaded one.
    pub document_name: String,
}

/// A document uploaded to a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediationDocument {
    pub id: Uuid,
    pub case_id: Uuid,
    pub name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// What a change does to a case, besides adding its event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeKind {
    /// A mediator takes the case up; it is due at `due_at` (µs).
    Accept { due_at: i64 },
    /// A mediator refuses the case; the event's text is the reason.
    Refuse,
    /// A message (the event's text).
    Message,
    /// A meeting, at `at` (µs), `online` or `in_person`, at a place.
    Meeting {
        at: i64,
        mode: String,
        place: String,
    },
    /// A document, stored with the event; the event's text describes it.
    Document {
        id: Uuid,
        name: String,
        content_type: String,
        bytes: Vec<u8>,
    },
    /// The case ends: an outcome code, the agreement or note (the event's
    /// text), the amount agreed.
    Close {
        outcome: String,
        amount_agreed_fen: Option<i64>,
    },
}

/// A change to a case, judged by the caller from the case as it read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediationChange {
    pub case_id: Uuid,
    /// The states the case may be in; checked under the case's lock, and
    /// refused with `Conflict { field: "state" }` when it moved on.
    pub from: Vec<String>,
    /// The state afterwards.
    pub to: String,
    /// `worker`, `enterprise` or `mediator`.
    pub side: String,
    pub actor_name: String,
    pub text: String,
    pub kind: ChangeKind,
}

/// Which cases a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MediationQuery {
    /// Only this worker's cases (a worker's scope).
    pub worker_user_id: Option<Uuid>,
    /// Only cases naming this enterprise (an enterprise's scope).
    pub enterprise_id: Option<Uuid>,
    /// A fragment of the number, the worker's or the enterprise's name.
    pub search: Option<String>,
    pub state: Option<String>,
    pub kind: Option<String>,
    /// Only cases being mediated whose limit is at or before this instant.
    pub overdue_at: Option<i64>,
}

/// The facts of one case the statistics count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediationFact {
    pub kind: String,
    pub state: String,
    pub outcome: Option<String>,
    pub submitted_at: i64,
    pub accepted_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub amount_claimed_fen: Option<i64>,
    pub amount_agreed_fen: Option<i64>,
}

/// One month of the statistics (by the Beijing month of submission).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MonthStats {
    /// `YYYY-MM`.
    pub month: String,
    pub submitted: u64,
    pub closed: u64,
    pub agreed: u64,
    pub amount_agreed_fen: i64,
}

/// The statistics of the cases submitted in a window.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MediationStats {
    pub total: u64,
    /// State code → cases.
    pub by_state: BTreeMap<String, u64>,
    /// Outcome code → cases (closed cases only).
    pub by_outcome: BTreeMap<String, u64>,
    /// Kind code → cases.
    pub by_kind: BTreeMap<String, u64>,
    /// Every month of the window that has a case, in order.
    pub by_month: Vec<MonthStats>,
    /// Cases accepted and closed with an outcome.
    pub mediated: u64,
    /// The average days from acceptance to outcome of those, if any.
    pub average_days: Option<f64>,
    pub amount_claimed_fen: i64,
    pub amount_agreed_fen: i64,
}

impl MediationStats {
    /// Counts the facts.
    pub fn from_facts(facts: &[MediationFact]) -> MediationStats {
        let mut s = MediationStats::default();
        let mut months: BTreeMap<String, MonthStats> = BTreeMap::new();
        let mut duration: i128 = 0;
        for f in facts {
            s.total += 1;
            *s.by_state.entry(f.state.clone()).or_default() += 1;
            *s.by_kind.entry(f.kind.clone()).or_default() += 1;
            let month = {
                let d = Timestamp::from_micros(f.submitted_at).shanghai_date();
                format!("{:04}-{:02}", d.year(), u8::from(d.month()))
            };
            let m = months.entry(month.clone()).or_insert_with(|| MonthStats {
                month,
                ..MonthStats::default()
            });
            m.submitted += 1;
            s.amount_claimed_fen += f.amount_claimed_fen.unwrap_or(0);
            if let Some(outcome) = &f.outcome {
                *s.by_outcome.entry(outcome.clone()).or_default() += 1;
                m.closed += 1;
                if outcome == "agreed" {
                    let fen = f.amount_agreed_fen.unwrap_or(0);
                    m.agreed += 1;
                    m.amount_agreed_fen += fen;
                    s.amount_agreed_fen += fen;
                }
                if let (Some(a), Some(c)) = (f.accepted_at, f.closed_at) {
                    s.mediated += 1;
                    duration += i128::from(c - a);
                }
            }
        }
        s.by_month = months.into_values().collect();
        if s.mediated > 0 {
            s.average_days = Some(duration as f64 / s.mediated as f64 / 86_400_000_000.0);
        }
        s
    }
}

/// SQL text shared by the SQL backends.
pub mod sql {
    pub const COLUMNS: &str = "m.id AS id, m.number AS number, \
         m.applicant_side AS applicant_side, m.applicant_id AS applicant_id, \
         m.worker_user_id AS worker_user_id, m.worker_name AS worker_name, \
         m.worker_phone AS worker_phone, m.enterprise_id AS enterprise_id, \
         m.enterprise_name AS enterprise_name, m.enterprise_code AS enterprise_code, \
         m.kind AS kind, m.facts AS facts, m.claims AS claims, \
         m.amount_claimed_fen AS amount_claimed_fen, m.state AS state, m.outcome AS outcome, \
         m.outcome_text AS outcome_text, m.amount_agreed_fen AS amount_agreed_fen, \
         m.refusal_reason AS refusal_reason, m.mediator_id AS mediator_id, \
         m.mediator_name AS mediator_name, m.submitted_at AS submitted_at, \
         m.accepted_at AS accepted_at, m.due_at AS due_at, m.closed_at AS closed_at";

    pub const FROM: &str = " FROM mediation_cases m WHERE 1 = 1";

    pub const ORDER: &str = " ORDER BY m.submitted_at DESC, m.id DESC";

    pub const EVENTS: &str = "SELECT e.case_id AS case_id, e.seq AS seq, e.at AS at, \
         e.kind AS kind, e.side AS side, e.actor_id AS actor_id, e.actor_name AS actor_name, \
         e.text AS text, e.meeting_at AS meeting_at, e.meeting_mode AS meeting_mode, \
         e.meeting_place AS meeting_place, e.document_id AS document_id, \
         COALESCE(d.name, '') AS document_name \
         FROM mediation_events e LEFT JOIN mediation_documents d ON d.id = e.document_id \
         WHERE e.case_id = ";

    pub const FACTS: &str = "SELECT kind, state, outcome, submitted_at, accepted_at, closed_at, \
         amount_claimed_fen, amount_agreed_fen FROM mediation_cases WHERE submitted_at >= ";
}

/// Storage for labour mediation.
#[async_trait]
pub trait MediationStore: Send + Sync {
    /// Stores a new case, numbered `TJ` + Beijing date + sequence, with its
    /// first event (`submitted`), audited as `mediation.submit`.
    async fn submit_mediation(&self, ctx: &AuditCtx, case: NewMediation) -> StoreResult<Mediation>;

    async fn mediation(&self, id: Uuid) -> StoreResult<Option<Mediation>>;

    /// A case's timeline, oldest first.
    async fn mediation_events(&self, id: Uuid) -> StoreResult<Vec<MediationEvent>>;

    /// Cases matching the query, newest first.
    async fn mediations(&self, query: &MediationQuery, page: Page)
        -> StoreResult<Paged<Mediation>>;

    /// Applies a change and adds its event, audited as `mediation.<what>`;
    /// `Conflict { field: "state" }` when the case is no longer in one of
    /// `change.from`, `NotFound` when there is no such case.
    async fn change_mediation(
        &self,
        ctx: &AuditCtx,
        change: MediationChange,
    ) -> StoreResult<MediationEvent>;

    /// A document, with its bytes.
    async fn mediation_document(&self, id: Uuid) -> StoreResult<Option<MediationDocument>>;

    /// The statistics of the cases submitted in `[from, to)` (µs).
    async fn mediation_stats(&self, from: i64, to: i64) -> StoreResult<MediationStats>;
}

/// Rows as the SQL backends read them.
#[cfg(feature = "sql")]
pub mod rows {
    use super::{Mediation, MediationEvent, MediationFact};
    use crate::sql_rows::parse_uuid;
    use crate::StoreError;

    fn opt_uuid(what: &str, v: Option<String>) -> Result<Option<uuid::Uuid>, StoreError> {
        v.map(|v| parse_uuid(what, &v)).transpose()
    }

    #[derive(Debug, sqlx::FromRow)]
    pub struct MediationRow {
        id: String,
        number: String,
        applicant_side: String,
        applicant_id: String,
        worker_user_id: Option<String>,
        worker_name: String,
        worker_phone: String,
        enterprise_id: Option<String>,
        enterprise_name: String,
        enterprise_code: Option<String>,
        kind: String,
        facts: String,
        claims: String,
        amount_claimed_fen: Option<i64>,
        state: String,
        outcome: Option<String>,
        outcome_text: String,
        amount_agreed_fen: Option<i64>,
        refusal_reason: String,
        mediator_id: Option<String>,
        mediator_name: String,
        submitted_at: i64,
        accepted_at: Option<i64>,
        due_at: Option<i64>,
        closed_at: Option<i64>,
    }

    impl TryFrom<MediationRow> for Mediation {
        type Error = StoreError;

        fn try_from(r: MediationRow) -> Result<Mediation, StoreError> {
            Ok(Mediation {
                id: parse_uuid("mediation_cases.id", &r.id)?,
                number: r.number,
                applicant_side: r.applicant_side,
                applicant_id: parse_uuid("mediation_cases.applicant_id", &r.applicant_id)?,
                worker_user_id: opt_uuid("mediation_cases.worker_user_id", r.worker_user_id)?,
                worker_name: r.worker_name,
                worker_phone: r.worker_phone,
                enterprise_id: opt_uuid("mediation_cases.enterprise_id", r.enterprise_id)?,
                enterprise_name: r.enterprise_name,
                enterprise_code: r.enterprise_code,
                kind: r.kind,
                facts: r.facts,
                claims: r.claims,
                amount_claimed_fen: r.amount_claimed_fen,
                state: r.state,
                outcome: r.outcome,
                outcome_text: r.outcome_text,
                amount_agreed_fen: r.amount_agreed_fen,
                refusal_reason: r.refusal_reason,
                mediator_id: opt_uuid("mediation_cases.mediator_id", r.mediator_id)?,
                mediator_name: r.mediator_name,
                submitted_at: r.submitted_at,
                accepted_at: r.accepted_at,
                due_at: r.due_at,
                closed_at: r.closed_at,
            })
        }
    }

    #[derive(Debug, sqlx::FromRow)]
    pub struct EventRow {
        case_id: String,
        seq: i64,
        at: i64,
        kind: String,
        side: String,
        actor_id: Option<String>,
        actor_name: String,
        text: String,
        meeting_at: Option<i64>,
        meeting_mode: Option<String>,
        meeting_place: String,
        document_id: Option<String>,
        document_name: String,
    }

    impl TryFrom<EventRow> for MediationEvent {
        type Error = StoreError;

        fn try_from(r: EventRow) -> Result<MediationEvent, StoreError> {
            Ok(MediationEvent {
                case_id: parse_uuid("mediation_events.case_id", &r.case_id)?,
                seq: r.seq,
                at: r.at,
                kind: r.kind,
                side: r.side,
                actor_id: opt_uuid("mediation_events.actor_id", r.actor_id)?,
                actor_name: r.actor_name,
                text: r.text,
                meeting_at: r.meeting_at,
                meeting_mode: r.meeting_mode,
                meeting_place: r.meeting_place,
                document_id: opt_uuid("mediation_events.document_id", r.document_id)?,
                document_name: r.document_name,
            })
        }
    }

    #[derive(Debug, sqlx::FromRow)]
    pub struct FactRow {
        kind: String,
        state: String,
        outcome: Option<String>,
        submitted_at: i64,
        accepted_at: Option<i64>,
        closed_at: Option<i64>,
        amount_claimed_fen: Option<i64>,
        amount_agreed_fen: Option<i64>,
    }

    impl From<FactRow> for MediationFact {
        fn from(r: FactRow) -> MediationFact {
            MediationFact {
                kind: r.kind,
                state: r.state,
                outcome: r.outcome,
                submitted_at: r.submitted_at,
                accepted_at: r.accepted_at,
                closed_at: r.closed_at,
                amount_claimed_fen: r.amount_claimed_fen,
                amount_agreed_fen: r.amount_agreed_fen,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(
        state: &str,
        outcome: Option<&str>,
        submitted: &str,
        days: Option<i64>,
    ) -> MediationFact {
        let at = Timestamp::parse_rfc3339(submitted).unwrap().micros();
        MediationFact {
            kind: "wages".into(),
            state: state.into(),
            outcome: outcome.map(str::to_owned),
            submitted_at: at,
            accepted_at: days.map(|_| at),
            closed_at: days.map(|d| at + d * 86_400_000_000),
            amount_claimed_fen: Some(100_000),
            amount_agreed_fen: (outcome == Some("agreed")).then_some(80_000),
        }
    }

    #[test]
    fn statistics_count_by_beijing_month_and_average_the_mediated() {
        let s = MediationStats::from_facts(&[
            // 2026-03-31 23:30 in Beijing is March, though UTC says so too late.
            fact(
                "closed",
                Some("agreed"),
                "2026-03-31T23:30:00+08:00",
                Some(4),
            ),
            fact(
                "closed",
                Some("arbitration"),
                "2026-04-01T00:10:00+08:00",
                Some(10),
            ),
            fact(
                "closed",
                Some("withdrawn"),
                "2026-04-02T09:00:00+08:00",
                None,
            ),
            fact("submitted", None, "2026-04-03T09:00:00+08:00", None),
        ]);
        assert_eq!(s.total, 4);
        assert_eq!(s.by_state["closed"], 3);
        assert_eq!(s.by_outcome["agreed"], 1);
        assert_eq!(s.by_outcome.get("failed"), None);
        assert_eq!(s.by_kind["wages"], 4);
        let months: Vec<(&str, u64, u64, i64)> = s
            .by_month
            .iter()
            .map(|m| (m.month.as_str(), m.submitted, m.closed, m.amount_agreed_fen))
            .collect();
        assert_eq!(months, [("2026-03", 1, 1, 80_000), ("2026-04", 3, 2, 0)]);
        assert_eq!(s.mediated, 2);
        assert_eq!(s.average_days, Some(7.0));
        assert_eq!(s.amount_claimed_fen, 400_000);
        assert_eq!(s.amount_agreed_fen, 80_000);
        assert_eq!(MediationStats::from_facts(&[]).average_days, None);
    }
}

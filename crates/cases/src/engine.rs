//! Deciding actions and letting deadlines fall due.
//!
//! ```text
//! (state, action, now) → (verdict, facts)
//! ```
//!
//! [`Workflow::decide`] first [advances](Workflow::advance) the case to
//! `now`, so that every limit that ran out before the action is escalated
//! at its own instant; then it judges the action against the state, which
//! only reads the state; then it applies the action's fact. The engine reads
//! no clock: `now` is an argument, and a timer on the server only calls
//! `advance` to publish escalations that are already due.
//!
//! Checks come in a fixed order, so that the refusal is predictable:
//! finished case (`closed`) → the actor's duty or identity
//! (`not_allowed`) → problem register (`on_register`, `not_on_register`)
//! → stage (`wrong_step`) → the department the case is with
//! (`not_allowed`) → the content of the action.

use crate::action::{Action, Actor, Report};
use crate::config::{Duty, Route, Workflow};
use crate::event::{Event, Fact, Overdue};
use crate::refusal::{Refusal, Verdict};
use crate::state::{ApplyError, CaseState, Deadline, Stage};
use yiwang_core::Timestamp;

/// Something the engine cannot do; never a verdict on an action.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseError {
    /// `now` earlier than the last fact.
    #[error("time went backwards: {at} is before the last fact at {last}")]
    ClockWentBack { at: Timestamp, last: Timestamp },
    /// A fact did not fit the state.
    #[error(transparent)]
    Apply(#[from] ApplyError),
    /// The state refers to configuration that is gone.
    #[error("the case's category {0} is not configured")]
    UnknownCategory(String),
}

/// A verdict and the facts it brought about: the escalations that fell due
/// before the action, then, if accepted, the action's own fact.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub verdict: Verdict,
    pub facts: Vec<Fact>,
}

/// A bound on the advance loop: at most a step and an overall deadline can
/// fall due, so a third means a bug, which becomes an error, not a hang.
const MAX_DUE_PER_ADVANCE: usize = 4;

fn blank(text: &str) -> bool {
    text.trim().is_empty()
}

fn require_reason(reason: &str) -> Result<(), Refusal> {
    if blank(reason) {
        Err(Refusal::ReasonRequired)
    } else {
        Ok(())
    }
}

fn stage_is(state: &CaseState, stages: &[Stage]) -> Result<(), Refusal> {
    if stages.contains(&state.stage) {
        Ok(())
    } else {
        Err(Refusal::WrongStep)
    }
}

impl Workflow {
    /// The next deadline that will fall due, and which, unless the case is
    /// on the register or finished. A step deadline falls due before an
    /// overall one at the same instant.
    pub fn next_due(&self, state: &CaseState) -> Option<(Timestamp, Overdue)> {
        if state.registration.is_some() || state.stage.is_final() {
            return None;
        }
        let step = state
            .step_due
            .filter(|d| !d.escalated)
            .map(|d| (d.due, Overdue::Step { stage: state.stage }));
        let overall = state
            .overall_due_running()
            .filter(|d| !d.escalated)
            .map(|d| (d.due, Overdue::Overall));
        match (step, overall) {
            (Some(s), Some(o)) => Some(if o.0 < s.0 { o } else { s }),
            (s, o) => s.or(o),
        }
    }

    fn check_clock(state: &CaseState, now: Timestamp) -> Result<(), CaseError> {
        match state.last_at {
            Some(last) if now < last => Err(CaseError::ClockWentBack { at: now, last }),
            _ => Ok(()),
        }
    }

    /// Escalates every limit that ran out at or before `now`, each at its
    /// own instant, to the command centre, pushing the facts onto `out`.
    pub fn advance(
        &self,
        state: &mut CaseState,
        now: Timestamp,
        out: &mut Vec<Fact>,
    ) -> Result<(), CaseError> {
        Self::check_clock(state, now)?;
        for _ in 0..MAX_DUE_PER_ADVANCE {
            match self.next_due(state) {
                Some((due, overdue)) if due <= now => {
                    let fact = Fact {
                        at: due,
                        event: Event::Escalated {
                            to: self.config.command_centre.clone(),
                            overdue,
                            due,
                        },
                    };
                    state.apply(&fact)?;
                    out.push(fact);
                }
                _ => return Ok(()),
            }
        }
        Err(ApplyError::Inconsistent {
            event: "escalated",
            problem: "deadlines keep falling due",
        }
        .into())
    }

    /// Judges `action` received at `now`.
    pub fn decide(
        &self,
        state: &mut CaseState,
        action: &Action,
        now: Timestamp,
    ) -> Result<Decision, CaseError> {
        let mut facts = Vec::new();
        self.advance(state, now, &mut facts)?;
        let verdict = match self.judge(state, action, now)? {
            Ok(event) => {
                let fact = Fact { at: now, event };
                state.apply(&fact)?;
                facts.push(fact);
                Verdict::Accepted
            }
            Err(refusal) => Verdict::Refused(refusal),
        };
        Ok(Decision { verdict, facts })
    }

    /// The deadline of the step `stage` for a case of `category` entered at
    /// `now`.
    fn step_due(
        &self,
        category: &str,
        stage: Stage,
        now: Timestamp,
    ) -> Result<Option<Timestamp>, CaseError> {
        let cat = self
            .category(category)
            .ok_or_else(|| CaseError::UnknownCategory(category.to_owned()))?;
        Ok(cat.steps.for_stage(stage).map(|l| self.due(now, l)))
    }

    fn duty_of(action: &Action) -> Option<Duty> {
        Some(match action {
            Action::Report { .. } => Duty::Report,
            Action::Confirm { .. } | Action::Reject { .. } => Duty::Check,
            Action::File { .. } => Duty::File,
            Action::Dispatch { .. } => Duty::Dispatch,
            Action::Accept { .. }
            | Action::Return { .. }
            | Action::Feedback { .. }
            | Action::RequestExtension { .. } => Duty::Handle,
            Action::RecheckPass { .. } | Action::RecheckFail { .. } => Duty::Recheck,
            Action::Close { .. } => Duty::Close,
            Action::ApproveExtension { .. } | Action::DenyExtension { .. } => {
                Duty::ApproveExtension
            }
            Action::Register { .. } | Action::Unregister { .. } => Duty::Register,
            Action::Evaluate { .. } => return None,
        })
    }

    fn check_report(&self, by: &Actor, report: &Report) -> Result<(), Refusal> {
        let category = self
            .category(&report.category)
            .ok_or(Refusal::UnknownCategory)?;
        if blank(&report.description) {
            return Err(Refusal::DescriptionRequired);
        }
        if report.point.is_some_and(|p| !p.is_valid()) {
            return Err(Refusal::InvalidPoint);
        }
        let staff = self.role(&by.role).is_some_and(|r| r.staff);
        if staff {
            if report.point.is_none() {
                return Err(Refusal::LocationRequired);
            }
            if category.photo_required && report.photos.iter().all(|p| blank(p)) {
                return Err(Refusal::PhotoRequired);
            }
        } else if report.point.is_none() && blank(&report.address) {
            return Err(Refusal::LocationRequired);
        }
        Ok(())
    }

    /// The working time left on a deadline at `now`.
    fn left(&self, deadline: Option<Deadline>, now: Timestamp) -> Option<i64> {
        deadline.map(|d| self.working_micros_between(now, d.due))
    }

    /// A deadline resumed at `now` with `left` working time: an escalated
    /// deadline stays as it was.
    fn resume(
        &self,
        deadline: Option<Deadline>,
        left: Option<i64>,
        now: Timestamp,
    ) -> Option<Timestamp> {
        match (deadline, left) {
            (Some(d), _) if d.escalated => Some(d.due),
            (Some(_), Some(left)) => Some(self.add_working_micros(now, left)),
            (d, _) => d.map(|d| d.due),
        }
    }

    /// The event `action` brings about, or why it is refused. The outer
    /// error is for configuration the case refers to and that is gone.
    fn judge(
        &self,
        s: &CaseState,
        action: &Action,
        now: Timestamp,
    ) -> Result<Result<Event, Refusal>, CaseError> {
        if s.stage.is_final() {
            return Ok(Err(Refusal::Closed));
        }
        let by = action.actor();
        match Self::duty_of(action) {
            Some(duty) if !self.may(&by.role, duty) => return Ok(Err(Refusal::NotAllowed)),
            Some(_) => {}
            None => {
                if s.reporter
                    .as_ref()
                    .is_none_or(|r| r.id != by.id || r.role != by.role)
                {
                    return Ok(Err(Refusal::NotAllowed));
                }
            }
        }
        match (action, &s.registration) {
            (Action::Unregister { .. }, None) => return Ok(Err(Refusal::NotOnRegister)),
            (Action::Unregister { .. }, Some(_)) => {}
            (_, Some(_)) => return Ok(Err(Refusal::OnRegister)),
            (_, None) => {}
        }
        let category = s.category.clone().unwrap_or_default();
        let with_department = |stages: &[Stage]| -> Result<(), Refusal> {
            stage_is(s, stages)?;
            if by.unit.is_none() || by.unit != s.department {
                return Err(Refusal::NotAllowed);
            }
            Ok(())
        };
        let by = by.clone();
        let event = match action {
            Action::Report { report, .. } => {
                if let Err(r) =
                    stage_is(s, &[Stage::New]).and_then(|()| self.check_report(&by, report))
                {
                    return Ok(Err(r));
                }
                Event::Reported {
                    step_due: self.step_due(&report.category, Stage::Reported, now)?,
                    by,
                    report: report.clone(),
                }
            }
            Action::Confirm { .. } => {
                if let Err(r) = stage_is(s, &[Stage::Reported]) {
                    return Ok(Err(r));
                }
                Event::Confirmed {
                    by,
                    step_due: self.step_due(&category, Stage::Confirmed, now)?,
                }
            }
            Action::Reject { reason, .. } => {
                if let Err(r) =
                    stage_is(s, &[Stage::Reported]).and_then(|()| require_reason(reason))
                {
                    return Ok(Err(r));
                }
                Event::Rejected {
                    by,
                    reason: reason.clone(),
                }
            }
            Action::File { category: new, .. } => {
                if let Err(r) = stage_is(s, &[Stage::Confirmed]) {
                    return Ok(Err(r));
                }
                let code = new.clone().unwrap_or(category);
                let Some(cat) = self.category(&code) else {
                    return Ok(Err(Refusal::UnknownCategory));
                };
                Event::Filed {
                    by,
                    step_due: self.step_due(&code, Stage::Filed, now)?,
                    overall_due: self.due(now, cat.overall),
                    category: code,
                }
            }
            Action::Dispatch { department, .. } => {
                if let Err(r) = stage_is(s, &[Stage::Filed]) {
                    return Ok(Err(r));
                }
                let (department, route) = match department {
                    Some(d) if self.department(d).is_none() => {
                        return Ok(Err(Refusal::UnknownDepartment))
                    }
                    Some(d) => (d.clone(), Route::Manual),
                    None => {
                        let area = s.report.as_ref().map_or("", |r| r.area.as_str());
                        let (d, route) = self.route(&category, area);
                        (d.to_owned(), route)
                    }
                };
                Event::Dispatched {
                    by,
                    department,
                    route,
                    step_due: self.step_due(&category, Stage::Dispatched, now)?,
                }
            }
            Action::Accept { .. } => {
                if let Err(r) = with_department(&[Stage::Dispatched]) {
                    return Ok(Err(r));
                }
                Event::Accepted {
                    by,
                    step_due: self.step_due(&category, Stage::Handling, now)?,
                }
            }
            Action::Return { reason, .. } => {
                if let Err(r) = with_department(&[Stage::Dispatched, Stage::Handling])
                    .and_then(|()| require_reason(reason))
                {
                    return Ok(Err(r));
                }
                Event::Returned {
                    by,
                    reason: reason.clone(),
                    step_due: self.step_due(&category, Stage::Filed, now)?,
                }
            }
            Action::Feedback {
                summary, photos, ..
            } => {
                if let Err(r) = with_department(&[Stage::Handling]) {
                    return Ok(Err(r));
                }
                if blank(summary) {
                    return Ok(Err(Refusal::DescriptionRequired));
                }
                Event::FedBack {
                    by,
                    summary: summary.clone(),
                    photos: photos.clone(),
                    step_due: self.step_due(&category, Stage::Recheck, now)?,
                }
            }
            Action::RecheckPass { note, .. } => {
                if let Err(r) = stage_is(s, &[Stage::Recheck]) {
                    return Ok(Err(r));
                }
                Event::RecheckPassed {
                    by,
                    note: note.clone(),
                    step_due: self.step_due(&category, Stage::Verified, now)?,
                }
            }
            Action::RecheckFail { reason, .. } => {
                if let Err(r) = stage_is(s, &[Stage::Recheck]).and_then(|()| require_reason(reason))
                {
                    return Ok(Err(r));
                }
                Event::RecheckFailed {
                    by,
                    reason: reason.clone(),
                    step_due: self.step_due(&category, Stage::Handling, now)?,
                }
            }
            Action::Close { .. } => {
                if let Err(r) = stage_is(s, &[Stage::Verified]) {
                    return Ok(Err(r));
                }
                Event::Closed { by }
            }
            Action::Evaluate {
                rating, comment, ..
            } => {
                if let Err(r) = stage_is(s, &[Stage::Closed]) {
                    return Ok(Err(r));
                }
                if !(1..=5).contains(rating) {
                    return Ok(Err(Refusal::InvalidRating));
                }
                Event::Evaluated {
                    by,
                    rating: *rating,
                    comment: comment.clone().filter(|c| !blank(c)),
                }
            }
            Action::RequestExtension {
                reason, new_due, ..
            } => {
                if let Err(r) = with_department(&[Stage::Handling]) {
                    return Ok(Err(r));
                }
                if s.pending_extension.is_some() {
                    return Ok(Err(Refusal::ExtensionPending));
                }
                if let Err(r) = require_reason(reason) {
                    return Ok(Err(r));
                }
                let current = [s.step_due, s.overall_due]
                    .into_iter()
                    .flatten()
                    .map(|d| d.due);
                if *new_due <= now || current.into_iter().any(|d| *new_due <= d) {
                    return Ok(Err(Refusal::InvalidLimit));
                }
                Event::ExtensionRequested {
                    by,
                    reason: reason.clone(),
                    new_due: *new_due,
                }
            }
            Action::ApproveExtension { .. } => {
                let Some(pending) = &s.pending_extension else {
                    return Ok(Err(Refusal::NoExtensionPending));
                };
                if pending.new_due <= now {
                    return Ok(Err(Refusal::InvalidLimit));
                }
                Event::ExtensionApproved {
                    by,
                    new_due: pending.new_due,
                }
            }
            Action::DenyExtension { reason, .. } => {
                if s.pending_extension.is_none() {
                    return Ok(Err(Refusal::NoExtensionPending));
                }
                if let Err(r) = require_reason(reason) {
                    return Ok(Err(r));
                }
                Event::ExtensionDenied {
                    by,
                    reason: reason.clone(),
                }
            }
            Action::Register { reason, .. } => {
                if !s.stage.is_open_filed() {
                    return Ok(Err(Refusal::WrongStep));
                }
                if let Err(r) = require_reason(reason) {
                    return Ok(Err(r));
                }
                Event::Registered {
                    by,
                    reason: reason.clone(),
                    step_left: self.left(s.step_due, now),
                    overall_left: self.left(s.overall_due, now),
                }
            }
            Action::Unregister { reason, .. } => {
                if let Err(r) = require_reason(reason) {
                    return Ok(Err(r));
                }
                let Some(reg) = &s.registration else {
                    return Ok(Err(Refusal::NotOnRegister));
                };
                Event::Unregistered {
                    by,
                    reason: reason.clone(),
                    step_due: self.resume(s.step_due, reg.step_left, now),
                    overall_due: self.resume(s.overall_due, reg.overall_left, now),
                }
            }
        };
        Ok(Ok(event))
    }
}

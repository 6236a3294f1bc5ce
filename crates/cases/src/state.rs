//! The state of a case: a fold over its facts.
//!
//! [`CaseState::apply`] is the only way a state changes, so a state rebuilt
//! from a log is the state the server had. It trusts the order of facts (the
//! engine produced them) but never panics on a log that was tampered with:
//! a fact that does not fit is an [`ApplyError`].

use crate::action::{Actor, Report};
use crate::event::{Event, Fact, Overdue};
use serde::{Deserialize, Serialize};
use yiwang_core::Timestamp;

/// Where a case is: the step it waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Nothing reported yet.
    New,
    /// Reported; waits for the check.
    Reported,
    /// Rejected as invalid at the check; finished.
    Rejected,
    /// Confirmed valid; waits to be filed.
    Confirmed,
    /// Filed (or returned by a department); waits for dispatch.
    Filed,
    /// Dispatched; waits for the department to accept or return it.
    Dispatched,
    /// Accepted by the department; waits for its feedback.
    Handling,
    /// Feedback given; waits for the field re-check.
    Recheck,
    /// Re-check passed; waits to be closed.
    Verified,
    /// Closed; waits for the reporter's rating.
    Closed,
    /// Rated; finished.
    Evaluated,
}

impl Stage {
    /// Every stage, in the order of the loop.
    pub const ALL: [Stage; 11] = [
        Stage::New,
        Stage::Reported,
        Stage::Rejected,
        Stage::Confirmed,
        Stage::Filed,
        Stage::Dispatched,
        Stage::Handling,
        Stage::Recheck,
        Stage::Verified,
        Stage::Closed,
        Stage::Evaluated,
    ];

    /// The snake_case code.
    pub fn code(self) -> &'static str {
        match self {
            Stage::New => "new",
            Stage::Reported => "reported",
            Stage::Rejected => "rejected",
            Stage::Confirmed => "confirmed",
            Stage::Filed => "filed",
            Stage::Dispatched => "dispatched",
            Stage::Handling => "handling",
            Stage::Recheck => "recheck",
            Stage::Verified => "verified",
            Stage::Closed => "closed",
            Stage::Evaluated => "evaluated",
        }
    }

    /// The stage as users see it.
    pub fn label(self) -> &'static str {
        match self {
            Stage::New => "未上报",
            Stage::Reported => "待核实",
            Stage::Rejected => "核实不通过",
            Stage::Confirmed => "待立案",
            Stage::Filed => "待派遣",
            Stage::Dispatched => "待签收",
            Stage::Handling => "处置中",
            Stage::Recheck => "待核查",
            Stage::Verified => "待结案",
            Stage::Closed => "待评价",
            Stage::Evaluated => "已评价",
        }
    }

    /// The key of the step limit that applies while waiting here (see
    /// [`StepLimits`](crate::StepLimits)); `None` where nothing is awaited
    /// of staff.
    pub fn limit_key(self) -> Option<&'static str> {
        match self {
            Stage::Reported => Some("check"),
            Stage::Confirmed => Some("file"),
            Stage::Filed => Some("dispatch"),
            Stage::Dispatched => Some("accept"),
            Stage::Handling => Some("handle"),
            Stage::Recheck => Some("recheck"),
            Stage::Verified => Some("close"),
            Stage::New | Stage::Rejected | Stage::Closed | Stage::Evaluated => None,
        }
    }

    /// The name of the step awaited here, as users say it ("核实" for
    /// `check`); `None` where [`limit_key`](Stage::limit_key) is `None`.
    pub fn step_label(self) -> Option<&'static str> {
        match self {
            Stage::Reported => Some("核实"),
            Stage::Confirmed => Some("立案"),
            Stage::Filed => Some("派遣"),
            Stage::Dispatched => Some("签收"),
            Stage::Handling => Some("处置"),
            Stage::Recheck => Some("核查"),
            Stage::Verified => Some("结案"),
            Stage::New | Stage::Rejected | Stage::Closed | Stage::Evaluated => None,
        }
    }

    /// Whether nothing more can happen.
    pub fn is_final(self) -> bool {
        matches!(self, Stage::Rejected | Stage::Evaluated)
    }

    /// Whether the case is filed and not yet closed: the overall limit
    /// runs, and it may go on the problem register.
    pub fn is_open_filed(self) -> bool {
        matches!(
            self,
            Stage::Filed | Stage::Dispatched | Stage::Handling | Stage::Recheck | Stage::Verified
        )
    }

    /// The stages a case may move to from here: the edges of the diagram
    /// in the crate docs.
    pub fn next(self) -> &'static [Stage] {
        match self {
            Stage::New => &[Stage::Reported],
            Stage::Reported => &[Stage::Confirmed, Stage::Rejected],
            Stage::Confirmed => &[Stage::Filed],
            Stage::Filed => &[Stage::Dispatched],
            Stage::Dispatched => &[Stage::Handling, Stage::Filed],
            Stage::Handling => &[Stage::Recheck, Stage::Filed],
            Stage::Recheck => &[Stage::Verified, Stage::Handling],
            Stage::Verified => &[Stage::Closed],
            Stage::Closed => &[Stage::Evaluated],
            Stage::Rejected | Stage::Evaluated => &[],
        }
    }
}

/// An extension waiting for approval.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingExtension {
    pub by: Actor,
    pub reason: String,
    pub new_due: Timestamp,
    pub at: Timestamp,
}

/// A stay on the problem register (挂账).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    pub by: Actor,
    pub reason: String,
    pub since: Timestamp,
    /// Working time the step's clock had left, in microseconds.
    pub step_left: Option<i64>,
    /// Working time the overall clock had left, in microseconds.
    pub overall_left: Option<i64>,
}

/// A deadline and whether it has been escalated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    pub due: Timestamp,
    pub escalated: bool,
}

impl Deadline {
    fn new(due: Timestamp) -> Deadline {
        Deadline {
            due,
            escalated: false,
        }
    }
}

/// The state of one case. Public fields are read by pages and KPIs; only
/// [`apply`](CaseState::apply) writes them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseState {
    pub stage: Stage,
    pub reporter: Option<Actor>,
    pub report: Option<Report>,
    pub reported_at: Option<Timestamp>,
    /// The category in force (the report's, or the one set at filing).
    pub category: Option<String>,
    /// The department the case was last dispatched to.
    pub department: Option<String>,
    /// When the case entered its stage.
    pub stage_since: Option<Timestamp>,
    /// The deadline of the current step, if its category limits it.
    pub step_due: Option<Deadline>,
    /// The overall deadline, once filed (moved by extensions).
    pub overall_due: Option<Deadline>,
    pub filed_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    pub rejected: Option<String>,
    pub rating: Option<u8>,
    pub comment: Option<String>,
    /// Failed re-checks (返工).
    pub reworks: u32,
    /// Returns by departments (退回).
    pub returns: u32,
    /// Approved extensions (延期).
    pub extensions: u32,
    /// Escalations to the command centre.
    pub escalations: u32,
    pub pending_extension: Option<PendingExtension>,
    /// The current stay on the problem register.
    pub registration: Option<Registration>,
    /// Times the case went on the register; a case ever on it is deferred
    /// in the on-time rate.
    pub registrations: u32,
    pub last_at: Option<Timestamp>,
    pub facts: u64,
}

impl Default for CaseState {
    fn default() -> Self {
        CaseState::new()
    }
}

/// A fact that does not fit the state it is applied to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    #[error("{event} at {at} is earlier than the fact before it")]
    Backwards { event: &'static str, at: Timestamp },
    #[error("{event} does not fit a case at stage {stage:?}")]
    WrongStage { event: &'static str, stage: Stage },
    #[error("{event}: {problem}")]
    Inconsistent {
        event: &'static str,
        problem: &'static str,
    },
}

impl CaseState {
    /// A case with nothing reported.
    pub fn new() -> CaseState {
        CaseState {
            stage: Stage::New,
            reporter: None,
            report: None,
            reported_at: None,
            category: None,
            department: None,
            stage_since: None,
            step_due: None,
            overall_due: None,
            filed_at: None,
            closed_at: None,
            rejected: None,
            rating: None,
            comment: None,
            reworks: 0,
            returns: 0,
            extensions: 0,
            escalations: 0,
            pending_extension: None,
            registration: None,
            registrations: 0,
            last_at: None,
            facts: 0,
        }
    }

    /// A state folded from `facts`.
    pub fn replay<'a>(facts: impl IntoIterator<Item = &'a Fact>) -> Result<CaseState, ApplyError> {
        let mut state = CaseState::new();
        for fact in facts {
            state.apply(fact)?;
        }
        Ok(state)
    }

    /// Whether the case is overdue at `now`: a running limit has passed
    /// (the clocks stand still on the register).
    pub fn is_overdue(&self, now: Timestamp) -> bool {
        self.registration.is_none()
            && [self.step_due, self.overall_due_running()]
                .into_iter()
                .flatten()
                .any(|d| d.due <= now)
    }

    /// The overall deadline while it runs (filed and not closed).
    pub(crate) fn overall_due_running(&self) -> Option<Deadline> {
        self.overall_due.filter(|_| self.stage.is_open_filed())
    }

    fn enter(
        &mut self,
        stage: Stage,
        at: Timestamp,
        step_due: Option<Timestamp>,
    ) -> Result<(), &'static str> {
        if !self.stage.next().contains(&stage) {
            return Err("not an edge of the workflow");
        }
        if self.stage == Stage::Handling {
            self.pending_extension = None;
        }
        self.stage = stage;
        self.stage_since = Some(at);
        self.step_due = step_due.map(Deadline::new);
        Ok(())
    }

    /// Applies one fact.
    pub fn apply(&mut self, fact: &Fact) -> Result<(), ApplyError> {
        let name = fact.event.name();
        let at = fact.at;
        if self.last_at.is_some_and(|last| at < last) {
            return Err(ApplyError::Backwards { event: name, at });
        }
        if self.stage.is_final() {
            return Err(ApplyError::WrongStage {
                event: name,
                stage: self.stage,
            });
        }
        let on_register = self.registration.is_some();
        let bad = |problem| ApplyError::Inconsistent {
            event: name,
            problem,
        };
        let wrong = ApplyError::WrongStage {
            event: name,
            stage: self.stage,
        };
        if on_register && !matches!(fact.event, Event::Unregistered { .. }) {
            return Err(bad("the case is on the register"));
        }
        match &fact.event {
            Event::Reported {
                by,
                report,
                step_due,
            } => {
                self.enter(Stage::Reported, at, *step_due)
                    .map_err(|_| wrong)?;
                self.reporter = Some(by.clone());
                self.category = Some(report.category.clone());
                self.report = Some(report.clone());
                self.reported_at = Some(at);
            }
            Event::Confirmed { step_due, .. } => {
                self.enter(Stage::Confirmed, at, *step_due)
                    .map_err(|_| wrong)?;
            }
            Event::Rejected { reason, .. } => {
                self.enter(Stage::Rejected, at, None).map_err(|_| wrong)?;
                self.rejected = Some(reason.clone());
            }
            Event::Filed {
                category,
                step_due,
                overall_due,
                ..
            } => {
                self.enter(Stage::Filed, at, *step_due).map_err(|_| wrong)?;
                self.category = Some(category.clone());
                self.filed_at = Some(at);
                self.overall_due = Some(Deadline::new(*overall_due));
            }
            Event::Dispatched {
                department,
                step_due,
                ..
            } => {
                self.enter(Stage::Dispatched, at, *step_due)
                    .map_err(|_| wrong)?;
                self.department = Some(department.clone());
            }
            Event::Accepted { step_due, .. } => {
                self.enter(Stage::Handling, at, *step_due)
                    .map_err(|_| wrong)?;
            }
            Event::Returned { step_due, .. } => {
                if !matches!(self.stage, Stage::Dispatched | Stage::Handling) {
                    return Err(wrong);
                }
                self.enter(Stage::Filed, at, *step_due).map_err(|_| wrong)?;
                self.returns += 1;
            }
            Event::FedBack { step_due, .. } => {
                if self.stage != Stage::Handling {
                    return Err(wrong);
                }
                self.enter(Stage::Recheck, at, *step_due)
                    .map_err(|_| wrong)?;
            }
            Event::RecheckPassed { step_due, .. } => {
                self.enter(Stage::Verified, at, *step_due)
                    .map_err(|_| wrong)?;
            }
            Event::RecheckFailed { step_due, .. } => {
                if self.stage != Stage::Recheck {
                    return Err(wrong);
                }
                self.enter(Stage::Handling, at, *step_due)
                    .map_err(|_| wrong)?;
                self.reworks += 1;
            }
            Event::Closed { .. } => {
                self.enter(Stage::Closed, at, None).map_err(|_| wrong)?;
                self.closed_at = Some(at);
            }
            Event::Evaluated {
                rating, comment, ..
            } => {
                self.enter(Stage::Evaluated, at, None).map_err(|_| wrong)?;
                self.rating = Some(*rating);
                self.comment = comment.clone();
            }
            Event::ExtensionRequested {
                by,
                reason,
                new_due,
            } => {
                if self.stage != Stage::Handling {
                    return Err(wrong);
                }
                if self.pending_extension.is_some() {
                    return Err(bad("an extension is already pending"));
                }
                self.pending_extension = Some(PendingExtension {
                    by: by.clone(),
                    reason: reason.clone(),
                    new_due: *new_due,
                    at,
                });
            }
            Event::ExtensionApproved { new_due, .. } => {
                if self.pending_extension.take().is_none() {
                    return Err(bad("no extension is pending"));
                }
                self.overall_due = Some(Deadline::new(*new_due));
                self.step_due = Some(Deadline::new(*new_due));
                self.extensions += 1;
            }
            Event::ExtensionDenied { .. } => {
                if self.pending_extension.take().is_none() {
                    return Err(bad("no extension is pending"));
                }
            }
            Event::Registered {
                by,
                reason,
                step_left,
                overall_left,
            } => {
                if !self.stage.is_open_filed() {
                    return Err(wrong);
                }
                self.registration = Some(Registration {
                    by: by.clone(),
                    reason: reason.clone(),
                    since: at,
                    step_left: *step_left,
                    overall_left: *overall_left,
                });
                self.registrations += 1;
            }
            Event::Unregistered {
                step_due,
                overall_due,
                ..
            } => {
                if self.registration.take().is_none() {
                    return Err(bad("the case is not on the register"));
                }
                // A deadline that did not move keeps its escalation.
                let resume = |old: Option<Deadline>, new: Option<Timestamp>| {
                    new.map(|due| match old {
                        Some(o) if o.due == due => o,
                        _ => Deadline::new(due),
                    })
                };
                self.step_due = resume(self.step_due, *step_due);
                self.overall_due = resume(self.overall_due, *overall_due);
            }
            Event::Escalated { overdue, due, .. } => {
                let deadline = match overdue {
                    Overdue::Step { stage } if *stage == self.stage => self.step_due.as_mut(),
                    Overdue::Step { .. } => None,
                    Overdue::Overall if self.stage.is_open_filed() => self.overall_due.as_mut(),
                    Overdue::Overall => None,
                };
                match deadline {
                    Some(d) if d.due == *due && !d.escalated && at >= d.due => d.escalated = true,
                    _ => return Err(bad("no such deadline has run out")),
                }
                self.escalations += 1;
            }
        }
        self.last_at = Some(at);
        self.facts += 1;
        Ok(())
    }
}

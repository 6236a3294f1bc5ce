//! The facts of a case.
//!
//! Every accepted action and every escalation becomes a [`Fact`]: an
//! [`Event`] and the instant it took effect. Events carry the deadlines the
//! engine computed (`step_due`, `overall_due`), so that folding them
//! ([`CaseState::apply`](crate::CaseState::apply)) needs neither the
//! configuration nor the calendar, and a case replayed from its log has the
//! deadlines it had, even after the configuration changed. Event names are
//! stable snake_case (the `type` tag).

use crate::action::{Actor, Report};
use crate::config::Route;
use crate::state::Stage;
use serde::{Deserialize, Serialize};
use yiwang_core::Timestamp;

/// An event and the instant it took effect: for an action the instant it
/// was received, for an escalation the deadline itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fact {
    pub at: Timestamp,
    pub event: Event,
}

/// Which limit ran out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "limit", rename_all = "snake_case")]
pub enum Overdue {
    /// The limit of the step the case was waiting in.
    Step { stage: Stage },
    /// The overall limit from filing to closing.
    Overall,
}

/// Something that happened to a case. `step_due` is the deadline of the
/// step the case enters, if the category limits it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Event {
    Reported {
        by: Actor,
        report: Report,
        step_due: Option<Timestamp>,
    },
    Confirmed {
        by: Actor,
        step_due: Option<Timestamp>,
    },
    Rejected {
        by: Actor,
        reason: String,
    },
    Filed {
        by: Actor,
        category: String,
        step_due: Option<Timestamp>,
        overall_due: Timestamp,
    },
    Dispatched {
        by: Actor,
        department: String,
        route: Route,
        step_due: Option<Timestamp>,
    },
    Accepted {
        by: Actor,
        step_due: Option<Timestamp>,
    },
    Returned {
        by: Actor,
        reason: String,
        step_due: Option<Timestamp>,
    },
    FedBack {
        by: Actor,
        summary: String,
        photos: Vec<String>,
        step_due: Option<Timestamp>,
    },
    RecheckPassed {
        by: Actor,
        note: String,
        step_due: Option<Timestamp>,
    },
    /// Rework: back to the department.
    RecheckFailed {
        by: Actor,
        reason: String,
        step_due: Option<Timestamp>,
    },
    Closed {
        by: Actor,
    },
    Evaluated {
        by: Actor,
        rating: u8,
        comment: Option<String>,
    },
    ExtensionRequested {
        by: Actor,
        reason: String,
        new_due: Timestamp,
    },
    /// The overall limit, and the handling step's, become `new_due`.
    ExtensionApproved {
        by: Actor,
        new_due: Timestamp,
    },
    ExtensionDenied {
        by: Actor,
        reason: String,
    },
    /// On the problem register: the clocks stop with the working time they
    /// had left (zero when already overdue).
    Registered {
        by: Actor,
        reason: String,
        step_left: Option<i64>,
        overall_left: Option<i64>,
    },
    /// Off the register: the clocks resume.
    Unregistered {
        by: Actor,
        reason: String,
        step_due: Option<Timestamp>,
        overall_due: Option<Timestamp>,
    },
    /// A limit ran out; the case goes to `to` (the command centre).
    Escalated {
        to: String,
        overdue: Overdue,
        due: Timestamp,
    },
}

impl Event {
    /// The event's name, as in the serde tag.
    pub fn name(&self) -> &'static str {
        match self {
            Event::Reported { .. } => "reported",
            Event::Confirmed { .. } => "confirmed",
            Event::Rejected { .. } => "rejected",
            Event::Filed { .. } => "filed",
            Event::Dispatched { .. } => "dispatched",
            Event::Accepted { .. } => "accepted",
            Event::Returned { .. } => "returned",
            Event::FedBack { .. } => "fed_back",
            Event::RecheckPassed { .. } => "recheck_passed",
            Event::RecheckFailed { .. } => "recheck_failed",
            Event::Closed { .. } => "closed",
            Event::Evaluated { .. } => "evaluated",
            Event::ExtensionRequested { .. } => "extension_requested",
            Event::ExtensionApproved { .. } => "extension_approved",
            Event::ExtensionDenied { .. } => "extension_denied",
            Event::Registered { .. } => "registered",
            Event::Unregistered { .. } => "unregistered",
            Event::Escalated { .. } => "escalated",
        }
    }
}

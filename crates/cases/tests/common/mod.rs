//! Helpers shared by the case workflow's tests: the grid workflow, its
//! actors, Shanghai times and a driver that asserts verdicts.

#![allow(dead_code)]

use yiwang_cases::{
    Action, Actor, CaseState, Decision, Fact, Point, Refusal, Report, Verdict, Workflow,
};
use yiwang_core::Timestamp;

/// A Shanghai wall-clock time, "2026-03-16 09:00".
pub fn t(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(&format!("{}:00+08:00", s.replace(' ', "T"))).unwrap()
}

pub fn worker() -> Actor {
    Actor::new("worker-1", "grid_worker")
}
pub fn leader() -> Actor {
    Actor::new("leader-1", "grid_leader")
}
pub fn resident() -> Actor {
    Actor::new("resident-1", "resident")
}
pub fn centre() -> Actor {
    Actor::new("centre-1", "command_centre")
}
pub fn emergency() -> Actor {
    Actor::of_unit("handler-1", "department", "emergency")
}
pub fn urban() -> Actor {
    Actor::of_unit("handler-2", "department", "urban_management")
}
pub fn supervisor() -> Actor {
    Actor::new("supervisor-1", "supervisor")
}

/// The seed's hazard: a tree fallen on the path by a kindergarten.
pub fn hazard() -> Report {
    Report {
        category: "safety_hazard".into(),
        description: "小区1号楼入口树木倾倒，压弯宣传栏，不锈钢管裸露，靠近幼儿园".into(),
        address: "金沙街道安康社区1号楼入口".into(),
        area: "320612001002003".into(),
        point: Some(Point::new(120.8623, 32.0788).unwrap()),
        photos: vec!["photo-1".into()],
    }
}

/// A case and the facts it produced, driven through the grid workflow.
pub struct Driver {
    pub wf: Workflow,
    pub state: CaseState,
    pub facts: Vec<Fact>,
}

impl Driver {
    pub fn new() -> Driver {
        Driver {
            wf: Workflow::grid(),
            state: CaseState::new(),
            facts: Vec::new(),
        }
    }

    pub fn act(&mut self, action: Action, at: &str) -> Decision {
        let d = self.wf.decide(&mut self.state, &action, t(at)).unwrap();
        self.facts.extend(d.facts.iter().cloned());
        d
    }

    /// Acts and asserts acceptance.
    pub fn ok(&mut self, action: Action, at: &str) -> Decision {
        let name = action.name();
        let d = self.act(action, at);
        assert_eq!(d.verdict, Verdict::Accepted, "{name} at {at}");
        d
    }

    /// Acts and asserts the refusal; nothing but escalations may result.
    pub fn refused(&mut self, action: Action, at: &str, refusal: Refusal) {
        let name = action.name();
        let before = self.state.clone();
        let d = self.act(action, at);
        assert_eq!(d.verdict, Verdict::Refused(refusal), "{name} at {at}");
        if d.facts.is_empty() {
            assert_eq!(self.state, before, "a refusal changed the state");
        }
    }

    pub fn advance(&mut self, at: &str) -> Vec<Fact> {
        let mut out = Vec::new();
        self.wf.advance(&mut self.state, t(at), &mut out).unwrap();
        self.facts.extend(out.iter().cloned());
        out
    }

    /// The state rebuilt from the facts equals the live one, also after a
    /// trip through JSON.
    pub fn assert_replays(&self) {
        assert_eq!(CaseState::replay(&self.facts).unwrap(), self.state);
        let json: Vec<String> = self
            .facts
            .iter()
            .map(|f| serde_json::to_string(f).unwrap())
            .collect();
        let back: Vec<Fact> = json
            .iter()
            .map(|j| serde_json::from_str(j).unwrap())
            .collect();
        assert_eq!(back, self.facts);
    }

    /// Reports the hazard on Monday 2026-03-16 09:00 and takes it to
    /// handling by the emergency bureau at 10:30.
    pub fn to_handling() -> Driver {
        let mut d = Driver::new();
        d.ok(
            Action::Report {
                by: worker(),
                report: hazard(),
            },
            "2026-03-16 09:00",
        );
        d.ok(Action::Confirm { by: leader() }, "2026-03-16 09:30");
        d.ok(
            Action::File {
                by: centre(),
                category: None,
            },
            "2026-03-16 10:00",
        );
        d.ok(
            Action::Dispatch {
                by: centre(),
                department: None,
            },
            "2026-03-16 10:10",
        );
        d.ok(Action::Accept { by: emergency() }, "2026-03-16 10:30");
        d
    }
}

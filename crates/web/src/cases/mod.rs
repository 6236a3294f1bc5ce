//! Grid events (网格事件) on the shared case workflow (`yiwang-cases`).
//!
//! The workflow crate decides; this module keeps cases in the store
//! ([`yiwang_store::CaseStore`]) and serves the pages:
//!
//! | route | who | what |
//! |---|---|---|
//! | `GET/POST /grid/events/new` | grid leaders and workers | the staff report form |
//! | `GET/POST /grid/report` | anyone | the residents' report form |
//! | `GET /grid/events` | grid and command-centre staff | the work list of the viewer's role |
//! | `GET /grid/events/{id}` | the same | a case, its facts and the actions the viewer may take |
//! | `POST /grid/events/{id}/act` | the same | one action |
//! | `GET /grid/photos/{id}` | the same, within the case's scope | a photo of a report or of handling feedback |
//! | `/open311/v2/…` | anyone; posting needs an API key | Open311 GeoReport v2 ([`open311`]) |
//!
//! # Accounts and workflow roles
//!
//! An account's role maps to the roles of the grid workflow
//! (`crates/cases/config/grid.toml`): 网格员 → `grid_worker`, 网格长 →
//! `grid_leader`, 职能部门经办人 → `department`, and 指挥中心督办员 → both
//! `command_centre` (file, dispatch, close, problem register) and
//! `supervisor` (approve extensions). For each action the account acts in
//! the first of its workflow roles that holds the action's duty, so the
//! engine still judges every action. A department handler acts for the
//! department [`EventsConfig::handler_departments`] names for their
//! username; the engine refuses them on a case with another department.
//!
//! # Writing a case
//!
//! Every write loads the case's facts, replays them into a
//! [`CaseState`], lets [`Workflow::decide`] (or [`Workflow::advance`])
//! judge at the clock's now, and appends the new facts with the summary
//! and an audit record in one transaction, against the `seq` it decided
//! on; a stale append (another writer got there first) is decided again.
//! A refused action writes nothing but the escalations that fell due before
//! it. The timer [`tick`] publishes escalations of cases whose next
//! deadline has come, at the deadline's own instant.
//!
//! # Reports
//!
//! A case is always in a grid that exists: the report's grid code is
//! checked against the grid tables, and when it is left blank the grid
//! holding the report's point is looked up ([`resolve_grid`]). Who sees
//! which case is [`scope`]'s.
//!
//! Staff report with a grid code, category, address, description, an
//! optional WGS84 point and photos: uploaded with the form ([`photos`]) or
//! cited by address, one a line. Residents
//! need no account: the door sticker's QR code opens `/grid/report?grid=…`
//! with the grid code filled in; reports are limited per client address
//! ([`EventsConfig::resident_reports_per_hour`]). A resident signed in with
//! an account reports under it. Before a report with a point is filed,
//! open cases of the same category within 50 m and 7 days are shown as
//! possible duplicates; the reporter confirms to report anyway.

pub mod open311;
pub mod pages;
pub mod photos;
pub mod scope;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;
use yiwang_cases::{
    Action, Actor, CaseState, Duty, Fact, Point, Refusal, Report, Stage, Verdict, Workflow,
    WorkflowConfig,
};
use yiwang_core::{Role, Timestamp};
use yiwang_store::cases::{
    CaseAppend, CaseAppendOutcome, CaseEventRow, CaseRow, CaseSummary, NewCase, NewCaseEvent,
    NewPhoto,
};
use yiwang_store::{AuditCtx, NewAudit};

use crate::auth::access::Routes;
use crate::auth::ratelimit::RateLimiter;
use crate::error::AppError;
use crate::AppState;

/// The `[grid_events]` section of the server configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EventsConfig {
    /// The department (a code of the workflow's departments) each
    /// department handler's username acts for.
    pub handler_departments: BTreeMap<String, String>,
    /// Reports a client address may file through the public form per hour.
    pub resident_reports_per_hour: u32,
}

impl Default for EventsConfig {
    fn default() -> Self {
        EventsConfig {
            // One demo account for each department the routing rules
            // dispatch to (`crates/cli/src/demo.rs`).
            handler_departments: [
                ("handler", "urban_management"),
                ("handler-petition", "petition"),
                ("handler-emergency", "emergency"),
                ("handler-environment", "environment"),
            ]
            .into_iter()
            .map(|(user, dept)| (user.to_owned(), dept.to_owned()))
            .collect(),
            resident_reports_per_hour: 5,
        }
    }
}

/// The grid workflow and the public form's rate limit.
#[derive(Debug)]
pub struct Events {
    pub workflow: Workflow,
    pub resident_limiter: RateLimiter,
}

impl Events {
    pub fn new(
        config: &EventsConfig,
        calendar: yiwang_core::WorkingCalendar,
    ) -> anyhow::Result<Events> {
        let workflow = Workflow::new(WorkflowConfig::grid(), calendar)
            .map_err(|e| anyhow::anyhow!("事件流程配置有误：{e}"))?;
        Ok(Events {
            workflow,
            resident_limiter: RateLimiter::new(
                config.resident_reports_per_hour.max(1),
                3_600_000_000,
            ),
        })
    }
}

/// Accounts that work on grid events.
pub const EVENT_STAFF: &[Role] = &[
    Role::GridLeader,
    Role::GridWorker,
    Role::DeptHandler,
    Role::Supervisor,
];

/// Accounts that report from the field.
pub const FIELD_STAFF: &[Role] = &[Role::GridLeader, Role::GridWorker];

/// The workflow roles an account's role holds, in the order they are tried.
pub fn workflow_roles(role: Role) -> &'static [&'static str] {
    match role {
        Role::GridWorker => &["grid_worker"],
        Role::GridLeader => &["grid_leader"],
        Role::DeptHandler => &["department"],
        Role::Supervisor => &["command_centre", "supervisor"],
        _ => &[],
    }
}

/// The duty an action needs (`None` for the reporter's rating).
pub fn duty_of(action_name: &str) -> Option<Duty> {
    Some(match action_name {
        "report" => Duty::Report,
        "confirm" | "reject" => Duty::Check,
        "file" => Duty::File,
        "dispatch" => Duty::Dispatch,
        "accept" | "return" | "feedback" | "request_extension" => Duty::Handle,
        "recheck_pass" | "recheck_fail" => Duty::Recheck,
        "close" => Duty::Close,
        "approve_extension" | "deny_extension" => Duty::ApproveExtension,
        "register" | "unregister" => Duty::Register,
        _ => return None,
    })
}

/// The actor an account is for `action_name`: its first workflow role
/// holding the duty (or its first role, which the engine then refuses).
pub fn actor_for(
    events: &Events,
    config: &EventsConfig,
    user: &yiwang_store::User,
    action_name: &str,
) -> Actor {
    let roles = workflow_roles(user.role);
    let role = duty_of(action_name)
        .and_then(|duty| roles.iter().find(|r| events.workflow.may(r, duty)).copied())
        .or_else(|| roles.first().copied())
        .unwrap_or("resident");
    let id = user.id.to_string();
    match config.handler_departments.get(&user.username) {
        Some(unit) if user.role == Role::DeptHandler => Actor::of_unit(id, role, unit.clone()),
        _ => Actor::new(id, role),
    }
}

/// A case replayed from its stored facts.
pub fn replay(events: &[CaseEventRow]) -> Result<CaseState, AppError> {
    let facts: Vec<Fact> = events
        .iter()
        .map(|e| serde_json::from_str(&e.fact_json))
        .collect::<Result<_, _>>()
        .map_err(|e| anyhow::anyhow!("case fact unreadable: {e}"))?;
    CaseState::replay(&facts).map_err(|e| AppError::Internal(anyhow::anyhow!("case replay: {e}")))
}

/// The summary columns of a state.
pub fn summary(workflow: &Workflow, state: &CaseState) -> CaseSummary {
    let running = state.registration.is_none() && !state.stage.is_final();
    CaseSummary {
        stage: state.stage.code().to_owned(),
        category: state.category.clone().unwrap_or_default(),
        department: state.department.clone(),
        step_due: state.step_due.filter(|_| running).map(|d| d.due.micros()),
        overall_due: state
            .overall_due
            .filter(|_| running && state.stage.is_open_filed())
            .map(|d| d.due.micros()),
        next_due: workflow.next_due(state).map(|(at, _)| at.micros()),
        extension_pending: state.pending_extension.is_some(),
        registered: state.registration.is_some(),
        escalations: i64::from(state.escalations),
        rating: state.rating.map(i64::from),
        closed_at: state.closed_at.map(|t| t.micros()),
        filed_at: state.filed_at.map(|t| t.micros()),
        limit_at: state.overall_due.map(|d| d.due.micros()),
        deferred: state.registrations > 0,
        reworks: i64::from(state.reworks),
        extensions: i64::from(state.extensions),
        close_working: state
            .reported_at
            .zip(state.closed_at)
            .map(|(r, c)| workflow.working_micros_between(r, c)),
    }
}

/// Facts as the store keeps them.
pub fn stored(facts: &[Fact]) -> Result<Vec<NewCaseEvent>, AppError> {
    facts
        .iter()
        .map(|f| {
            Ok(NewCaseEvent {
                at: f.at.micros(),
                kind: f.event.name().to_owned(),
                fact_json: serde_json::to_string(f)
                    .map_err(|e| anyhow::anyhow!("case fact unwritable: {e}"))?,
            })
        })
        .collect()
}

/// Who reported, for the store.
#[derive(Debug, Clone)]
pub struct Reporter {
    pub actor: Actor,
    /// `staff`, `resident` or `open311`.
    pub kind: &'static str,
    /// The account, when signed in.
    pub account: Option<String>,
}

/// Files a new report: the workflow judges it at now; accepted, the case
/// is stored with its number. A refusal stores nothing.
pub async fn report(
    app: &AppState,
    ctx: &AuditCtx,
    reporter: Reporter,
    report: Report,
    photos: Vec<NewPhoto>,
) -> Result<Result<CaseRow, Refusal>, AppError> {
    let now = Timestamp::from_micros(ctx.at);
    let mut state = CaseState::new();
    let action = Action::Report {
        by: reporter.actor.clone(),
        report: report.clone(),
    };
    let decision = app
        .events
        .workflow
        .decide(&mut state, &action, now)
        .map_err(|e| anyhow::anyhow!("case report: {e}"))?;
    if let Verdict::Refused(r) = decision.verdict {
        return Ok(Err(r));
    }
    let date = now.shanghai_date();
    let new = NewCase {
        id: Uuid::now_v7(),
        number_prefix: format!(
            "SJ{:04}{:02}{:02}",
            date.year(),
            u8::from(date.month()),
            date.day()
        ),
        grid_code: report.area.clone(),
        lng: report.point.map(|p| p.lng),
        lat: report.point.map(|p| p.lat),
        address: report.address.clone(),
        description: report.description.clone(),
        reporter_kind: reporter.kind.to_owned(),
        reporter_id: reporter.account,
        summary: summary(&app.events.workflow, &state),
        events: stored(&decision.facts)?,
        photos,
        audit_action: "case.report".to_owned(),
        audit_detail: serde_json::json!({
            "category": report.category,
            "grid_code": report.area,
            "reporter_kind": reporter.kind,
        }),
    };
    Ok(Ok(app.store.create_case(ctx, new).await?))
}

/// How many times a write is decided again after a stale append.
const RETRIES: usize = 4;

/// Acts on a case: decides at now and appends what the decision brought
/// about. `NotFound` for an unknown case.
pub async fn act(
    app: &AppState,
    ctx: &AuditCtx,
    case_id: Uuid,
    action: &Action,
    photos: Vec<NewPhoto>,
) -> Result<Verdict, AppError> {
    for _ in 0..RETRIES {
        let (row, events) = app.store.case(case_id).await?.ok_or(AppError::NotFound)?;
        let mut state = replay(&events)?;
        let now = Timestamp::from_micros(ctx.at.max(state.last_at.map_or(0, |t| t.micros())));
        let decision = app
            .events
            .workflow
            .decide(&mut state, action, now)
            .map_err(|e| anyhow::anyhow!("case decision: {e}"))?;
        if decision.facts.is_empty() {
            return Ok(decision.verdict);
        }
        let audit_action = match decision.verdict {
            Verdict::Accepted => format!("case.{}", action.name()),
            Verdict::Refused(_) => "case.escalate".to_owned(),
        };
        let append = CaseAppend {
            case_id,
            expected_seq: row.last_seq,
            events: stored(&decision.facts)?,
            summary: summary(&app.events.workflow, &state),
            // Photos go with the accepted action only.
            photos: if decision.verdict.is_accepted() {
                photos.clone()
            } else {
                vec![]
            },
            audit: NewAudit::new(&audit_action, "case", case_id).with_detail(serde_json::json!({
                "number": row.number,
                "verdict": decision.verdict.code(),
                "events": decision.facts.iter().map(|f| f.event.name()).collect::<Vec<_>>(),
                "stage": state.stage.code(),
            })),
        };
        match app.store.append_case(ctx, append).await? {
            CaseAppendOutcome::Appended(_) => return Ok(decision.verdict),
            CaseAppendOutcome::Stale { .. } => continue,
        }
    }
    Err(AppError::Conflict {
        field: "case".to_owned(),
        message: "该事项正在被他人处理，请刷新后重试".to_owned(),
    })
}

/// Escalates every case whose next deadline has come by now; returns how
/// many cases got new facts. The facts carry the deadlines' own instants.
pub async fn tick(app: &AppState) -> Result<usize, AppError> {
    let now = app.clock.now();
    let ctx = AuditCtx::system("case-timer", now.micros());
    let mut changed = 0;
    for row in app.store.cases_due(now.micros(), 200).await? {
        for _ in 0..RETRIES {
            let Some((row, events)) = app.store.case(row.id).await? else {
                break;
            };
            let mut state = replay(&events)?;
            let mut facts = Vec::new();
            app.events
                .workflow
                .advance(&mut state, now, &mut facts)
                .map_err(|e| anyhow::anyhow!("case advance: {e}"))?;
            if facts.is_empty() {
                break;
            }
            let append = CaseAppend {
                case_id: row.id,
                expected_seq: row.last_seq,
                events: stored(&facts)?,
                summary: summary(&app.events.workflow, &state),
                photos: vec![],
                audit: NewAudit::new("case.escalate", "case", row.id).with_detail(
                    serde_json::json!({"number": row.number, "escalations": facts.len()}),
                ),
            };
            if let CaseAppendOutcome::Appended(_) = app.store.append_case(&ctx, append).await? {
                changed += 1;
                break;
            }
        }
    }
    Ok(changed)
}

/// A point from form text, both or neither given.
pub fn parse_point(lng: &str, lat: &str) -> Result<Option<Point>, AppError> {
    let (lng, lat) = (lng.trim(), lat.trim());
    if lng.is_empty() && lat.is_empty() {
        return Ok(None);
    }
    let parsed = lng
        .parse::<f64>()
        .ok()
        .zip(lat.parse::<f64>().ok())
        .and_then(|(x, y)| Point::new(x, y).ok());
    parsed
        .map(Some)
        .ok_or_else(|| AppError::field("lng", "经纬度须为 WGS84 坐标，例如 116.656 和 39.909"))
}

/// Why a report's grid could not be settled, in the reporter's words.
pub const GRID_UNKNOWN: &str = "该网格编码不存在，请核对门牌上的网格编码";
pub const GRID_MALFORMED: &str = "网格编码须为 15 位数字";
pub const GRID_MISSING: &str = "请填写网格编码，或给出经纬度由系统自动确定网格";
pub const GRID_OUTSIDE: &str = "该位置不在任何网格内，请填写网格编码";

/// The grid a report is in: the code given, which must be a grid that
/// exists, or else the grid holding the point (the public look-up's
/// answer). `Ok(Err(message))` says what the reporter must fix.
pub async fn resolve_grid(
    app: &AppState,
    code: &str,
    point: Option<Point>,
) -> Result<Result<String, &'static str>, AppError> {
    let code = code.trim();
    if !code.is_empty() {
        if !is_grid_code(code) {
            return Ok(Err(GRID_MALFORMED));
        }
        return Ok(match app.store.grid(code).await? {
            Some(_) => Ok(code.to_owned()),
            None => Err(GRID_UNKNOWN),
        });
    }
    let Some(point) = point else {
        return Ok(Err(GRID_MISSING));
    };
    let at = yiwang_grid::LngLat::new(point.lng, point.lat)
        .map_err(|e| anyhow::anyhow!("a checked point refused: {e}"))?;
    let map = app.grid_map.get(&*app.store).await?;
    Ok(map
        .index
        .lookup(at)
        .map(|hit| hit.code.to_string())
        .ok_or(GRID_OUTSIDE))
}

/// Whether `code` is a 15-digit grid code.
pub fn is_grid_code(code: &str) -> bool {
    code.len() == 15 && code.bytes().all(|b| b.is_ascii_digit())
}

/// The stages each work list shows.
pub fn stage_codes(stages: &[Stage]) -> Vec<String> {
    stages.iter().map(|s| s.code().to_owned()).collect()
}

/// Registers the grid event routes.
pub fn routes(r: Routes) -> Routes {
    use crate::Access::*;
    r.get("/grid/events", Roles(EVENT_STAFF), pages::worklist)
        .get("/grid/events/new", Roles(FIELD_STAFF), pages::new_form)
        .post("/grid/events/new", Roles(FIELD_STAFF), pages::new_submit)
        .get("/grid/events/{id}", Roles(EVENT_STAFF), pages::show)
        .post(
            "/grid/events/{id}/act",
            Roles(EVENT_STAFF),
            pages::act_submit,
        )
        .get("/grid/photos/{id}", Roles(EVENT_STAFF), photos::show)
        .get("/grid/report", Public, pages::resident_form)
        .post("/grid/report", Public, pages::resident_submit)
        .get("/open311/v2/{file}", Public, open311::root_get)
        .post("/open311/v2/{file}", Public, open311::root_post)
        .get(
            "/open311/v2/services/{file}",
            Public,
            open311::service_definition,
        )
        .get("/open311/v2/requests/{file}", Public, open311::one_request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_routed_department_has_a_handler_by_default() {
        let config = EventsConfig::default();
        for route in WorkflowConfig::grid().routes {
            assert!(
                config
                    .handler_departments
                    .values()
                    .any(|d| *d == route.department),
                "no handler for {}",
                route.department
            );
        }
    }
}

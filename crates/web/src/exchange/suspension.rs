//! Suspending and resuming a listing (中止 / 恢复交易): when the system
//! fails, or the exchange must stop a listing for a reason of its own, an
//! exchange officer suspends it with a reason; later the officer resumes it
//! with a new schedule.
//!
//! Both are engine actions (`suspend`, `resume`), so both are events in the
//! listing's log, pushed to every watcher of the live page like a bid: the
//! public panel shows "已中止" with the reason, and after the resumption the
//! new schedule. While suspended the engine refuses every action
//! `suspended` and no deadline falls due.
//!
//! The officers' listing page ([`super::officer`]) shows this module's panel:
//! a reason form while the listing runs, a schedule form while it is
//! suspended. The schedule form is pre-filled with the schedule in force;
//! when the listing was suspended in a timed round or a follow-on it also
//! asks for the new deadline of that phase, as the engine requires.
//!
//! Who did it is audited before the desk acts (`exchange.listing.suspend`,
//! `exchange.listing.resume`, with the reason or the new schedule), so that
//! no suspension is in the log without its officer in the audit trail; a
//! refusal by the engine is audited as well (`….refused`, with its code).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;
use time::macros::format_description;
use time::PrimitiveDateTime;
use uuid::Uuid;
use yiwang_core::Timestamp;
use yiwang_exchange::engine::{Action, Phase, Schedule, Verdict};
use yiwang_store::exchange::ListingRow;
use yiwang_store::NewAudit;

use super::applications::listing_row;
use crate::auth::session::ClientAddr;
use crate::auth::Viewer;
use crate::error::{AppError, PageError};
use crate::extract::Form;
use crate::pages::{render, Chrome};
use crate::AppState;

/// The longest reason accepted, in characters.
const REASON_MAX: usize = 200;

/// The suspension part of the officers' listing page.
#[derive(Debug, Clone)]
pub struct SuspensionPanel {
    pub listing_id: Uuid,
    /// Decided: nothing to suspend or resume.
    pub closed: bool,
    /// The reason, while suspended.
    pub suspended: Option<String>,
    /// The phase needs a new deadline of its own when resumed.
    pub needs_deadline: bool,
    /// The form's values (`datetime-local`, Beijing time) and the reason
    /// typed, pre-filled with the schedule in force or what was sent.
    pub reason: String,
    pub application_deadline: String,
    pub deposit_deadline: String,
    pub listing_end: String,
    pub deadline: String,
    /// Why the last attempt was refused, in Chinese.
    pub error: Option<String>,
}

/// A timestamp as a `datetime-local` value in Beijing time, to the minute.
fn local_value(t: Timestamp) -> String {
    let d = t.shanghai_datetime();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        d.year(),
        u8::from(d.month()),
        d.day(),
        d.hour(),
        d.minute()
    )
}

/// Reads a `datetime-local` value ("2026-12-07T10:30", seconds optional)
/// as Beijing time.
pub fn parse_local(field: &str, text: &str) -> Result<Timestamp, String> {
    let text = text.trim();
    let minutes = format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let seconds = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    PrimitiveDateTime::parse(text, minutes)
        .or_else(|_| PrimitiveDateTime::parse(text, seconds))
        .map(|dt| Timestamp::from_shanghai_time(dt.date(), dt.time()))
        .map_err(|_| {
            if text.is_empty() {
                format!("请填写{field}")
            } else {
                format!("{field}“{text}”不是有效的时间，应为 2026-12-07T10:30 的形式（北京时间）")
            }
        })
}

/// The panel of listing `row` as the desk holds it now.
pub async fn panel(app: &AppState, row: &ListingRow) -> Result<SuspensionPanel, AppError> {
    let (closed, suspended, phase, schedule) = app
        .desk
        .view(row.id, |l| {
            let s = l.state();
            (
                s.phase() == Phase::Decided,
                s.suspension().map(str::to_owned),
                s.phase(),
                *s.schedule(),
            )
        })
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(SuspensionPanel {
        listing_id: row.id,
        closed,
        suspended,
        needs_deadline: needs_deadline(phase),
        reason: String::new(),
        application_deadline: local_value(schedule.application_deadline),
        deposit_deadline: local_value(schedule.deposit_deadline),
        listing_end: local_value(schedule.listing_end),
        deadline: String::new(),
        error: None,
    })
}

/// Whether resuming in `phase` needs the phase's own new deadline (the
/// engine's rule for `resume`).
fn needs_deadline(phase: Phase) -> bool {
    matches!(
        phase,
        Phase::TimedRound { .. }
            | Phase::CapAcceptance { in_round: true, .. }
            | Phase::SealedWindow { opened: false, .. }
            | Phase::Ascending { .. }
    )
}

#[derive(Template)]
#[template(path = "exchange/officer_suspension.html")]
struct SuspensionPage {
    chrome: Chrome,
    code: String,
    location: String,
    suspension: SuspensionPanel,
}

/// The panel again, with what was typed and why it was refused (422).
async fn refused(
    app: &AppState,
    chrome: Chrome,
    row: ListingRow,
    keep: impl FnOnce(&mut SuspensionPanel),
    message: String,
) -> Result<Response, PageError> {
    let mut suspension = panel(app, &row).await?;
    keep(&mut suspension);
    suspension.error = Some(message);
    let mut resp = render(&SuspensionPage {
        chrome: chrome.titled(format!("中止或恢复交易 {}", row.code), "exchange"),
        code: row.code,
        location: row.location,
        suspension,
    })?;
    *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(resp)
}

fn back(row: &ListingRow) -> Response {
    Redirect::to(&format!("/exchange/admin/listings/{}#suspension", row.id)).into_response()
}

#[derive(Debug, Deserialize)]
pub struct SuspendForm {
    #[serde(default)]
    pub reason: String,
}

/// `POST /exchange/admin/listings/{id}/suspend`.
pub async fn suspend(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
    Form(form): Form<SuspendForm>,
) -> Result<Response, PageError> {
    let row = listing_row(&app, &id).await?;
    let reason = form.reason.trim().to_owned();
    let typed = form.reason.clone();
    let keep = |p: &mut SuspensionPanel| p.reason = typed;
    if reason.is_empty() {
        return refused(&app, chrome, row, keep, "请填写中止交易的原因".into()).await;
    }
    if reason.chars().count() > REASON_MAX {
        let message = format!("中止原因不得超过 {REASON_MAX} 个字");
        return refused(&app, chrome, row, keep, message).await;
    }
    let ctx = app.audit_ctx(&viewer, &addr);
    let detail = json!({ "code": row.code, "reason": reason });
    let action = Action::Suspend { reason };
    match act_audited(
        &app,
        &ctx,
        &row,
        "exchange.listing.suspend",
        detail,
        &action,
    )
    .await?
    {
        None => Ok(back(&row)),
        Some(message) => refused(&app, chrome, row, keep, message).await,
    }
}

/// Audits the officer's act (`audit_action`, with `detail`), then has the
/// desk act; a refusal is audited too (`….refused`, with its code).
/// Returns the refusal's message, if refused.
async fn act_audited(
    app: &AppState,
    ctx: &yiwang_store::AuditCtx,
    row: &ListingRow,
    audit_action: &str,
    detail: serde_json::Value,
    action: &Action,
) -> Result<Option<String>, AppError> {
    app.store
        .audit(
            ctx,
            NewAudit::new(audit_action, "listing", row.id).with_detail(detail),
        )
        .await?;
    let acted = app
        .desk
        .act(row.id, action, vec![])
        .await
        .map_err(AppError::from)?;
    match acted.verdict {
        Verdict::Accepted => Ok(None),
        Verdict::Refused(r) => {
            let detail = json!({ "code": row.code, "refusal": r.code() });
            let refused = format!("{audit_action}.refused");
            app.store
                .audit(
                    ctx,
                    NewAudit::new(&refused, "listing", row.id).with_detail(detail),
                )
                .await?;
            Ok(Some(r.message_zh().to_owned()))
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct ResumeForm {
    #[serde(default)]
    pub application_deadline: String,
    #[serde(default)]
    pub deposit_deadline: String,
    #[serde(default)]
    pub listing_end: String,
    /// The new deadline of the phase, when it needs one.
    #[serde(default)]
    pub deadline: String,
}

/// `POST /exchange/admin/listings/{id}/resume`.
pub async fn resume(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
    Form(form): Form<ResumeForm>,
) -> Result<Response, PageError> {
    let row = listing_row(&app, &id).await?;
    let (phase, schedule) = app
        .desk
        .view(row.id, |l| (l.state().phase(), *l.state().schedule()))
        .await
        .map_err(AppError::from)?;
    let typed = form.clone();
    let keep = move |p: &mut SuspensionPanel| {
        p.application_deadline = typed.application_deadline;
        p.deposit_deadline = typed.deposit_deadline;
        p.listing_end = typed.listing_end;
        p.deadline = typed.deadline;
    };
    let parsed = (|| {
        let new = Schedule {
            application_deadline: parse_local("网上竞买申请截止时间", &form.application_deadline)?,
            deposit_deadline: parse_local("保证金缴纳截止时间", &form.deposit_deadline)?,
            listing_end: parse_local("挂牌截止时间", &form.listing_end)?,
            ..schedule
        };
        if new.application_deadline > new.listing_end || new.deposit_deadline > new.listing_end {
            return Err("申请和保证金截止时间不得晚于挂牌截止时间".to_owned());
        }
        let deadline = if needs_deadline(phase) {
            Some(parse_local("本阶段截止时间", &form.deadline)?)
        } else {
            None
        };
        Ok((new, deadline))
    })();
    let (new, deadline) = match parsed {
        Ok(p) => p,
        Err(message) => return refused(&app, chrome, row, keep, message).await,
    };
    let ctx = app.audit_ctx(&viewer, &addr);
    let detail = json!({
        "code": row.code,
        "application_deadline": new.application_deadline.to_rfc3339(),
        "deposit_deadline": new.deposit_deadline.to_rfc3339(),
        "listing_end": new.listing_end.to_rfc3339(),
        "deadline": deadline.map(Timestamp::to_rfc3339),
    });
    let action = Action::Resume {
        schedule: new,
        deadline,
    };
    match act_audited(&app, &ctx, &row, "exchange.listing.resume", detail, &action).await? {
        None => Ok(back(&row)),
        Some(message) => refused(&app, chrome, row, keep, message).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_values_are_beijing_time_both_ways() {
        let t = parse_local("挂牌截止时间", "2026-12-07T10:30").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-12-07T10:30:00+08:00");
        assert_eq!(local_value(t), "2026-12-07T10:30");
        let s = parse_local("挂牌截止时间", "2026-12-07T10:30:15").unwrap();
        assert_eq!(s.micros() - t.micros(), 15_000_000);
    }

    #[test]
    fn bad_times_are_refused_in_chinese() {
        assert_eq!(
            parse_local("挂牌截止时间", " ").unwrap_err(),
            "请填写挂牌截止时间"
        );
        let e = parse_local("挂牌截止时间", "明天上午").unwrap_err();
        assert!(e.contains("不是有效的时间"), "{e}");
        assert!(parse_local("挂牌截止时间", "2026-02-30T10:00").is_err());
    }
}

//! Taking part (§3): applications alone or jointly, partners' consent,
//! deposit accounts and slips, and each enterprise's own view of its
//! applications, qualification and bidder number.
//!
//! An enterprise's party id in the engine is its unified social credit code:
//! stable, unique, and what the law names a bidder by. Refusals come from the
//! engine in the order of `exchange-rules.md` and are shown with the engine's
//! Chinese message.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use uuid::Uuid;
use yiwang_core::CreditCode;
use yiwang_exchange::engine::{Action, Listing, Partner, Party, Share, Verdict};
use yiwang_store::exchange::{DepositAccountRow, ListingRow, NewDepositAccount, Participant};
use yiwang_store::{AuditCtx, Enterprise, Page, StoreError};

use super::numbers::{bidder_number, deposit_account_no};
use crate::auth::session::ClientAddr;
use crate::auth::Viewer;
use crate::error::{AppError, FieldError, PageError};
use crate::extract::Form;
use crate::pages::{render, Chrome};
use crate::AppState;

/// The signed-in bidder's enterprise.
pub async fn my_enterprise(app: &AppState, viewer: &Viewer) -> Result<Enterprise, AppError> {
    let me = viewer.require()?;
    let id = me.user.enterprise_id.ok_or(AppError::Forbidden)?;
    app.store.enterprise(id).await?.ok_or(AppError::Forbidden)
}

fn party(code: &str) -> Result<Party, AppError> {
    Party::parse(code).map_err(|e| AppError::Internal(anyhow::anyhow!("party id {code}: {e}")))
}

pub(crate) async fn listing_row(app: &AppState, id: &str) -> Result<ListingRow, AppError> {
    let id = Uuid::parse_str(id).map_err(|_| AppError::NotFound)?;
    app.store.listing(id).await?.ok_or(AppError::NotFound)
}

/// Brings the engine's ineligible list up to the officers' list in force now,
/// so that an application is judged against it (and the log records it).
pub async fn sync_ineligible(app: &AppState, listing: Uuid) -> Result<(), AppError> {
    let now = app.clock.now().micros();
    let mut codes = app.store.ineligible_codes_at(now).await?;
    codes.sort();
    codes.dedup();
    let current: Vec<String> = app
        .desk
        .view(listing, |l| {
            l.state()
                .ineligible()
                .iter()
                .map(|p| p.as_str().to_owned())
                .collect()
        })
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    if current != codes {
        let parties = codes
            .iter()
            .map(|c| party(c))
            .collect::<Result<Vec<_>, _>>()?;
        app.desk
            .act(listing, &Action::SetIneligible { parties }, vec![])
            .await
            .map_err(AppError::from)?;
    }
    Ok(())
}

/// The listing's figures a bidder needs before applying.
#[derive(Debug, Clone)]
pub struct ListingBrief {
    pub id: Uuid,
    pub code: String,
    pub location: String,
    pub land_use: String,
    pub deposit_required: String,
    pub application_window: String,
    pub deposit_deadline: String,
    pub listing_window: String,
}

fn brief(row: &ListingRow, engine: &Listing) -> ListingBrief {
    let s = engine.state().schedule();
    ListingBrief {
        id: row.id,
        code: row.code.clone(),
        location: row.location.clone(),
        land_use: row.land_use.clone(),
        deposit_required: format!("{} 元", engine.rules().deposit_required.format_grouped()),
        application_window: format!(
            "{} 起，{} 止",
            s.application_start.format_cn(),
            s.application_deadline.format_cn()
        ),
        deposit_deadline: s.deposit_deadline.format_cn(),
        listing_window: format!(
            "{} 起，{} 止",
            s.listing_start.format_cn(),
            s.listing_end.format_cn()
        ),
    }
}

/// The partner rows of the application form.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ApplyForm {
    #[serde(default)]
    partner_code_1: String,
    #[serde(default)]
    partner_share_1: String,
    #[serde(default)]
    partner_code_2: String,
    #[serde(default)]
    partner_share_2: String,
    #[serde(default)]
    partner_code_3: String,
    #[serde(default)]
    partner_share_3: String,
}

impl ApplyForm {
    fn rows(&self) -> [(usize, &str, &str); 3] {
        [
            (1, self.partner_code_1.trim(), self.partner_share_1.trim()),
            (2, self.partner_code_2.trim(), self.partner_share_2.trim()),
            (3, self.partner_code_3.trim(), self.partner_share_3.trim()),
        ]
    }
}

#[derive(Template)]
#[template(path = "exchange/apply.html")]
struct ApplyPage {
    chrome: Chrome,
    listing: ListingBrief,
    enterprise: Enterprise,
    form: ApplyForm,
    errors: Vec<FieldError>,
    refusal: Option<String>,
}

async fn engine_brief(app: &AppState, row: &ListingRow) -> Result<ListingBrief, AppError> {
    app.desk
        .view(row.id, |l| brief(row, l))
        .await
        .map_err(AppError::from)
}

/// `GET /exchange/listings/{id}/apply`
pub async fn apply_page(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let row = listing_row(&app, &id).await?;
    let enterprise = my_enterprise(&app, &viewer).await?;
    let applied = app
        .desk
        .view(row.id, |l| {
            l.state()
                .applications()
                .iter()
                .any(|a| involves(a, &enterprise.credit_code))
        })
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    if applied {
        return Ok(Redirect::to(&format!("/exchange/my/{}", row.id)).into_response());
    }
    render(&ApplyPage {
        chrome: chrome.titled(format!("竞买申请 {}", row.code), "exchange"),
        listing: engine_brief(&app, &row).await?,
        enterprise,
        form: ApplyForm::default(),
        errors: vec![],
        refusal: None,
    })
}

fn involves(a: &yiwang_exchange::engine::state::Application, code: &str) -> bool {
    a.lead.as_str() == code || a.partners.iter().any(|p| p.party.as_str() == code)
}

/// Parses the partner rows: registered enterprises, valid shares.
async fn partners(
    app: &AppState,
    me: &Enterprise,
    form: &ApplyForm,
) -> Result<(Vec<Partner>, Vec<Enterprise>), Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut out = Vec::new();
    let mut found = Vec::new();
    for (i, code, share) in form.rows() {
        if code.is_empty() && share.is_empty() {
            continue;
        }
        let code_field = format!("partner_code_{i}");
        let share_field = format!("partner_share_{i}");
        let parsed = match CreditCode::parse(code) {
            Ok(c) => Some(c),
            Err(e) => {
                errors.push(FieldError::new(
                    &code_field,
                    format!("第 {i} 个联合竞买方的统一社会信用代码有误：{e}"),
                ));
                None
            }
        };
        let share = match Share::parse(share) {
            Ok(s) => Some(s),
            Err(_) => {
                errors.push(FieldError::new(
                    &share_field,
                    format!("第 {i} 个联合竞买方的份额应为百分数，最多两位小数，例如 30 或 12.5"),
                ));
                None
            }
        };
        let (Some(code), Some(share)) = (parsed, share) else {
            continue;
        };
        if code.as_str() == me.credit_code {
            errors.push(FieldError::new(&code_field, "联合竞买方不能是本企业"));
            continue;
        }
        match app.store.enterprise_by_credit_code(code.as_str()).await {
            Ok(Some(e)) => {
                out.push(Partner {
                    party: Party::parse(code.as_str()).expect("credit codes are valid party ids"),
                    share,
                });
                found.push(e);
            }
            Ok(None) => errors.push(FieldError::new(
                &code_field,
                format!("统一社会信用代码为 {code} 的企业尚未在本系统注册，请对方先注册企业账户"),
            )),
            Err(e) => {
                tracing::error!(error = %e, "partner lookup failed");
                errors.push(FieldError::new(
                    &code_field,
                    "暂时无法核对联合竞买方，请稍后再试",
                ));
            }
        }
    }
    if errors.is_empty() {
        Ok((out, found))
    } else {
        Err(errors)
    }
}

/// `POST /exchange/listings/{id}/apply`
pub async fn apply_submit(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
    Form(form): Form<ApplyForm>,
) -> Result<Response, PageError> {
    let row = listing_row(&app, &id).await?;
    let me = my_enterprise(&app, &viewer).await?;
    let (refusal, errors) = match partners(&app, &me, &form).await {
        Err(errors) => (None, errors),
        Ok((partners, partner_rows)) => {
            sync_ineligible(&app, row.id).await?;
            let mut participants = vec![Participant {
                enterprise_id: me.id,
                role: "lead".to_owned(),
            }];
            participants.extend(partner_rows.iter().map(|e| Participant {
                enterprise_id: e.id,
                role: "partner".to_owned(),
            }));
            let action = Action::Apply {
                party: party(&me.credit_code)?,
                partners,
            };
            let acted = app
                .desk
                .act(row.id, &action, participants)
                .await
                .map_err(AppError::from)?;
            match acted.verdict {
                Verdict::Accepted => {
                    let ctx = app.audit_ctx(&viewer, &addr);
                    open_deposit_account(&app, &ctx, row.id, &me).await?;
                    return Ok(Redirect::to(&format!("/exchange/my/{}?ok=applied", row.id))
                        .into_response());
                }
                Verdict::Refused(r) => (Some(r.message_zh().to_owned()), vec![]),
            }
        }
    };
    let mut resp = render(&ApplyPage {
        chrome: chrome.titled(format!("竞买申请 {}", row.code), "exchange"),
        listing: engine_brief(&app, &row).await?,
        enterprise: me,
        form,
        errors,
        refusal,
    })?;
    *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(resp)
}

/// Gives an accepted application, led by `lead`, its own deposit account.
pub async fn open_deposit_account(
    app: &AppState,
    ctx: &AuditCtx,
    listing_id: Uuid,
    lead: &Enterprise,
) -> Result<DepositAccountRow, AppError> {
    for _ in 0..5 {
        let account = NewDepositAccount {
            account_no: deposit_account_no(),
            listing_id,
            application_ref: lead.credit_code.clone(),
            enterprise_id: lead.id,
        };
        match app.store.create_deposit_account(ctx, account).await {
            Ok(row) => return Ok(row),
            Err(StoreError::Conflict { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::Internal(anyhow::anyhow!(
        "no free deposit account number"
    )))
}

/// One application as its lead or a partner sees it.
#[derive(Debug, Clone)]
pub struct MyApplication {
    pub listing: ListingBrief,
    pub status: String,
    pub is_lead: bool,
    pub lead_code: String,
    pub partners: Vec<(String, String, bool)>,
    pub consented: bool,
    pub credited: String,
    pub shortfall: Option<String>,
    pub qualified: bool,
    pub bidder_no: Option<u32>,
    pub account_no: Option<String>,
    pub account_amount: String,
    /// What became of the application's deposits after the result (due
    /// back by when, paid back, kept as earnest money).
    pub refunds: Vec<String>,
}

fn my_application(row: &ListingRow, engine: &Listing, code: &str) -> Option<MyApplication> {
    let a = engine
        .state()
        .applications()
        .iter()
        .find(|a| involves(a, code))?;
    let required = engine.rules().deposit_required;
    let shortfall = required.checked_sub(a.credited).filter(|m| m.is_positive());
    let is_lead = a.lead.as_str() == code;
    let consented = is_lead
        || a.partners
            .iter()
            .any(|p| p.party.as_str() == code && p.consented);
    let status = if a.bidder.is_some() {
        "已取得竞买资格"
    } else if !a.all_consented() {
        "等待联合竞买方确认"
    } else if shortfall.is_some() {
        "等待缴纳保证金"
    } else {
        "审核中"
    };
    Some(MyApplication {
        listing: brief(row, engine),
        status: status.to_owned(),
        is_lead,
        lead_code: a.lead.as_str().to_owned(),
        partners: a
            .partners
            .iter()
            .map(|p| {
                (
                    p.party.as_str().to_owned(),
                    format!("{}%", p.share),
                    p.consented,
                )
            })
            .collect(),
        consented,
        credited: format!("{} 元", a.credited.format_grouped()),
        shortfall: shortfall.map(|m| format!("{} 元", m.format_grouped())),
        qualified: a.bidder.is_some(),
        bidder_no: a.bidder.map(|b| bidder_number(row.id, b.0)),
        account_no: None,
        account_amount: format!(
            "{} 元（{} 万元）",
            required.format_grouped(),
            required.to_wan_yuan_string()
        ),
        refunds: Vec::new(),
    })
}

async fn load_mine(
    app: &AppState,
    row: &ListingRow,
    me: &Enterprise,
) -> Result<MyApplication, AppError> {
    let mut mine = app
        .desk
        .view(row.id, |l| my_application(row, l, &me.credit_code))
        .await
        .map_err(AppError::from)?
        .ok_or(AppError::NotFound)?;
    if mine.is_lead {
        mine.account_no = app
            .store
            .deposit_accounts(row.id)
            .await?
            .into_iter()
            .find(|a| a.enterprise_id == me.id)
            .map(|a| a.account_no);
    }
    mine.refunds = super::results::refund_notes(app, row, &mine.lead_code).await?;
    Ok(mine)
}

#[derive(Template)]
#[template(path = "exchange/my_list.html")]
struct MyListPage {
    chrome: Chrome,
    enterprise: Enterprise,
    rows: Vec<MyApplication>,
}

/// `GET /exchange/my`: every listing the enterprise takes part in.
pub async fn my_list(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
) -> Result<Response, PageError> {
    let me = my_enterprise(&app, &viewer).await?;
    let found = app
        .store
        .listings_of_enterprise(me.id, Page::number(1, 200))
        .await?;
    let mut rows = Vec::new();
    for l in found.items {
        if let Some(mut m) = app
            .desk
            .view(l.listing.id, |e| {
                my_application(&l.listing, e, &me.credit_code)
            })
            .await
            .map_err(|e| AppError::Internal(e.into()))?
        {
            m.refunds = super::results::refund_notes(&app, &l.listing, &m.lead_code).await?;
            rows.push(m);
        }
    }
    render(&MyListPage {
        chrome: chrome.titled("我的竞买", "exchange"),
        enterprise: me,
        rows,
    })
}

#[derive(Template)]
#[template(path = "exchange/my_one.html")]
struct MyOnePage {
    chrome: Chrome,
    notice: Option<&'static str>,
    refusal: Option<&'static str>,
    a: MyApplication,
}

#[derive(Debug, Deserialize)]
pub struct OkQuery {
    #[serde(default)]
    ok: String,
}

/// `GET /exchange/my/{id}`
pub async fn my_one(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Path(id): Path<String>,
    crate::extract::Query(q): crate::extract::Query<OkQuery>,
) -> Result<Response, PageError> {
    let row = listing_row(&app, &id).await?;
    let me = my_enterprise(&app, &viewer).await?;
    let a = load_mine(&app, &row, &me).await?;
    render(&MyOnePage {
        chrome: chrome.titled(format!("竞买申请 {}", row.code), "exchange"),
        notice: match q.ok.as_str() {
            "applied" => Some("竞买申请已提交。请按缴款通知单在截止时间前缴纳竞买保证金。"),
            "consented" => Some("已确认参加联合竞买。"),
            _ => None,
        },
        refusal: None,
        a,
    })
}

/// `POST /exchange/my/{id}/consent`: a partner consents to the joint application.
pub async fn consent(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let row = listing_row(&app, &id).await?;
    let me = my_enterprise(&app, &viewer).await?;
    let a = load_mine(&app, &row, &me).await?;
    let action = Action::Consent {
        party: party(&me.credit_code)?,
        lead: party(&a.lead_code)?,
    };
    let acted = app
        .desk
        .act(row.id, &action, vec![])
        .await
        .map_err(AppError::from)?;
    match acted.verdict {
        Verdict::Accepted => {
            Ok(Redirect::to(&format!("/exchange/my/{}?ok=consented", row.id)).into_response())
        }
        Verdict::Refused(r) => {
            let a = load_mine(&app, &row, &me).await?;
            let mut resp = render(&MyOnePage {
                chrome: chrome.titled(format!("竞买申请 {}", row.code), "exchange"),
                notice: None,
                refusal: Some(r.message_zh()),
                a,
            })?;
            *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(resp)
        }
    }
}

#[derive(Template)]
#[template(path = "exchange/slip.html")]
struct SlipPage {
    chrome: Chrome,
    a: MyApplication,
    enterprise: Enterprise,
    account_no: String,
    issued: String,
}

/// `GET /exchange/my/{id}/slip`: the printable deposit slip (缴款通知单).
pub async fn slip(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let row = listing_row(&app, &id).await?;
    let me = my_enterprise(&app, &viewer).await?;
    let a = load_mine(&app, &row, &me).await?;
    let account_no = a.account_no.clone().ok_or(AppError::NotFound)?;
    render(&SlipPage {
        chrome: chrome.titled(format!("缴款通知单 {}", row.code), "exchange"),
        a,
        enterprise: me,
        account_no,
        issued: app.clock.now().format_cn_date(),
    })
}

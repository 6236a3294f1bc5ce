//! The bank's deposit callback: `POST /api/v1/bank/deposits`.
//!
//! The bank reports each arrival on a deposit account. The request is signed:
//! `X-Bank-Timestamp` is the Unix time in seconds and `X-Bank-Signature` the
//! lowercase hex HMAC-SHA256, under the shared secret, of the timestamp, a
//! newline, and the raw body. A bad signature, a timestamp more than
//! `bank.max_skew_s` away from the server clock, or a malformed body is
//! refused and logged. The bank's transaction id makes a repeat harmless: it
//! gets the first answer again.
//!
//! Every authenticated arrival is recorded before anything else, so nothing
//! the bank sends is lost, including money paid into an unknown account or
//! after the deadline; those are marked for refund (5 working days).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use utoipa::ToSchema;
use yiwang_core::{Money, Timestamp};
use yiwang_exchange::engine::{Action, Party, Refusal, Verdict};
use yiwang_store::exchange::{BankTxn, BankTxnOutcome, BankTxnRow, Recorded};
use yiwang_store::{AuditCtx, NewAudit};

use crate::error::{ApiError, AppError};
use crate::extract::Json;
use crate::AppState;

/// Header with the Unix time (seconds) the bank signed at.
pub const TIMESTAMP_HEADER: &str = "x-bank-timestamp";
/// Header with the hex HMAC-SHA256 signature.
pub const SIGNATURE_HEADER: &str = "x-bank-signature";

/// The signature of `body` at `timestamp` under `secret`, as the bank computes it.
pub fn sign(secret: &str, timestamp: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(timestamp.as_bytes());
    mac.update(b"\n");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// One arrival, as the bank reports it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepositArrival {
    /// The bank's transaction id.
    pub txn_id: String,
    /// The deposit account paid into.
    pub account_no: String,
    /// Yuan, at most two decimals.
    pub amount: String,
    pub payer_name: String,
    pub payer_account: String,
}

/// What Yiwang made of an arrival.
#[derive(Debug, Serialize, ToSchema)]
pub struct DepositAnswer {
    pub txn_id: String,
    /// `credited`, `late`, `unknown_account`, `not_applied`.
    pub outcome: String,
    /// Whether this answer repeats the first answer to the same `txn_id`.
    pub duplicate: bool,
    /// RFC 3339; set when the money is due back to the payer.
    pub refund_due_at: Option<String>,
}

fn answer(row: &BankTxnRow, duplicate: bool) -> DepositAnswer {
    DepositAnswer {
        txn_id: row.bank_txn_id.clone(),
        outcome: row.outcome.map_or("recorded", |o| o.code()).to_owned(),
        duplicate,
        refund_due_at: row
            .refund_due_at
            .map(|t| Timestamp::from_micros(t).to_rfc3339()),
    }
}

async fn refuse(app: &AppState, ctx: &AuditCtx, why: &'static str, detail: &str) -> ApiError {
    tracing::warn!(reason = why, detail, "bank callback refused");
    let record = NewAudit::new("bank.callback_refused", "bank_callback", why)
        .with_detail(serde_json::json!({ "reason": why, "detail": detail }));
    if let Err(e) = app.store.audit(ctx, record).await {
        tracing::error!(error = %e, "could not audit a refused bank callback");
    }
    ApiError(AppError::BadSignature(match why {
        "stale_timestamp" => "时间戳与服务器时间相差过大",
        "bad_timestamp" => "时间戳格式有误",
        "not_configured" => "本系统未配置银行回调密钥",
        _ => "签名与请求内容不符",
    }))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Reports a deposit arrival (signed by the bank).
#[utoipa::path(post, path = "/api/v1/bank/deposits", tag = "bank",
    request_body = DepositArrival,
    params(("X-Bank-Timestamp" = String, Header, description = "Unix time in seconds"),
           ("X-Bank-Signature" = String, Header, description = "hex HMAC-SHA256 of timestamp + \"\\n\" + body")),
    responses((status = 200, body = DepositAnswer), (status = 401, description = "bad_signature: missing or wrong signature, stale timestamp, or callbacks not configured"),
              (status = 400, description = "bad_request"), (status = 422, description = "invalid_input")))]
pub async fn deposit_callback(
    State(app): State<AppState>,
    addr: axum::Extension<crate::auth::session::ClientAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<DepositAnswer>), ApiError> {
    let now = app.clock.now();
    let ctx = AuditCtx {
        actor_id: None,
        actor_name: "bank".to_owned(),
        client_addr: addr.0 .0.clone(),
        at: now.micros(),
    };
    let secret = &app.config.bank.hmac_secret;
    if secret.is_empty() {
        return Err(refuse(&app, &ctx, "not_configured", "").await);
    }
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    let (ts, signature) = (header(TIMESTAMP_HEADER), header(SIGNATURE_HEADER));
    let expected = sign(secret, ts, &body);
    if !constant_time_eq(
        expected.as_bytes(),
        signature.to_ascii_lowercase().as_bytes(),
    ) {
        return Err(refuse(&app, &ctx, "bad_signature", "").await);
    }
    let Ok(ts_s) = ts.parse::<i64>() else {
        return Err(refuse(&app, &ctx, "bad_timestamp", ts).await);
    };
    if (now.micros() / 1_000_000 - ts_s).abs() > i64::from(app.config.bank.max_skew_s) {
        return Err(refuse(&app, &ctx, "stale_timestamp", ts).await);
    }
    let arrival: DepositArrival = serde_json::from_slice(&body)
        .map_err(|e| AppError::BadRequest(format!("请求体不是有效的到账通知：{e}")))?;
    let amount = Money::parse_yuan(&arrival.amount)
        .map_err(|e| AppError::field("amount", format!("金额有误：{e}")))?;
    if !amount.is_positive()
        || arrival.txn_id.trim().is_empty()
        || arrival.account_no.trim().is_empty()
    {
        return Err(
            AppError::BadRequest("txn_id、account_no 不能为空，amount 必须大于 0".into()).into(),
        );
    }
    let txn = BankTxn {
        bank_txn_id: arrival.txn_id.trim().to_owned(),
        account_no: arrival.account_no.trim().to_owned(),
        amount_fen: amount.fen(),
        payer_name: arrival.payer_name,
        payer_account: arrival.payer_account,
        received_at: now.micros(),
        raw_body: String::from_utf8_lossy(&body).into_owned(),
    };
    let (row, duplicate) = receive(&app, &ctx, txn).await?;
    Ok((StatusCode::OK, Json(answer(&row, duplicate))))
}

/// Records an authenticated arrival, then hands the money to the listing's
/// engine and records what became of it; returns the stored transaction and
/// whether it repeats one already received (then nothing else is done).
/// The callback's work once the bank has proved itself, and the demo's.
pub async fn receive(
    app: &AppState,
    ctx: &AuditCtx,
    txn: BankTxn,
) -> Result<(BankTxnRow, bool), AppError> {
    let amount = Money::from_fen(txn.amount_fen);
    let row = match app.store.record_bank_transaction(ctx, txn).await? {
        Recorded::Duplicate(first) => return Ok((first, true)),
        Recorded::New(row) => row,
    };
    let outcome = credit(app, &row, amount).await?;
    let refund_due = match outcome {
        BankTxnOutcome::Credited => None,
        _ => Some(
            app.calendar
                .add_working_days(Timestamp::from_micros(row.received_at), 5)
                .micros(),
        ),
    };
    let row = app
        .store
        .set_bank_transaction_outcome(ctx, &row.bank_txn_id, outcome, refund_due)
        .await?;
    Ok((row, false))
}

/// Hands the money to the listing's engine as a deposit naming the
/// application's lead, and says what became of it.
async fn credit(
    app: &AppState,
    row: &BankTxnRow,
    amount: Money,
) -> Result<BankTxnOutcome, AppError> {
    let Some(account) = app.store.deposit_account(&row.account_no).await? else {
        return Ok(BankTxnOutcome::UnknownAccount);
    };
    let lead = Party::parse(&account.application_ref)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("deposit account party: {e}")))?;
    let acted = app
        .desk
        .act(
            account.listing_id,
            &Action::Deposit {
                party: lead,
                amount,
            },
            vec![],
        )
        .await
        .map_err(AppError::from)?;
    Ok(match acted.verdict {
        Verdict::Accepted => BankTxnOutcome::Credited,
        Verdict::Refused(Refusal::NotApplied) => BankTxnOutcome::NotApplied,
        Verdict::Refused(_) => BankTxnOutcome::Late,
    })
}

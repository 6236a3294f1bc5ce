//! The sealed reserve (底价, rules §5): exchange officers set or change it
//! until `listing_end − reserve_lock`; nobody else ever sees it before the
//! result.
//!
//! Setting it: the officer types an amount in yuan (at most two decimals;
//! empty for "no reserve"), the server seals it with a fresh 32-byte nonce
//! from the operating system's random source, keeps the opening in the
//! store's secrets table — so that the desk can decide the result after a
//! restart — and only then asks the desk to act (`set_reserve`). The log
//! records the commitment alone; the audit record names the commitment, not
//! the amount. The engine refuses `closed` and `reserve_locked`, shown in
//! Chinese.
//!
//! Where the amount appears: on the officers' listing page ([`panel`]), to
//! exchange officers, and on this module's own error page after a refused
//! POST. It is never logged: nothing here passes the amount, the form or
//! the opening to `tracing`, and the types that hold it print without it.
//! The `decided` event reveals the reserve in force once the result is in.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rand::RngCore;
use serde::Deserialize;
use uuid::Uuid;
use yiwang_core::{Money, Timestamp};
use yiwang_exchange::engine::{Action, Nonce, Phase, PriceBasis, SealKind, Sealed, Verdict};
use yiwang_store::exchange::{ListingRow, NewListingSecret, SecretKind};

use super::applications::listing_row;
use crate::auth::session::ClientAddr;
use crate::auth::Viewer;
use crate::error::{AppError, PageError};
use crate::extract::Form;
use crate::pages::{render, Chrome};
use crate::AppState;

/// The reserve part of the officers' listing page.
pub struct ReservePanel {
    pub listing_id: Uuid,
    /// The reserve in force, for officers: "19,876.54 元/平方米", "不设底价",
    /// or a warning when this server does not hold its opening.
    pub current: String,
    /// When the reserve in force was set, if it was kept here.
    pub set_at: String,
    /// `listing_end − reserve_lock`, shown.
    pub lock_at: String,
    /// Past the lock, or the listing is decided: no form.
    pub locked: bool,
    pub closed: bool,
    pub unit: &'static str,
    /// What the form shows: the amount typed (after a refusal) or empty.
    pub typed: String,
    /// Why the last attempt was refused, in Chinese.
    pub error: Option<String>,
}

// By hand, without the amounts, so that a `{:?}` can never print them.
impl std::fmt::Debug for ReservePanel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReservePanel")
            .field("listing_id", &self.listing_id)
            .field("locked", &self.locked)
            .field("closed", &self.closed)
            .finish_non_exhaustive()
    }
}

fn unit_label(basis: PriceBasis) -> &'static str {
    match basis {
        PriceBasis::Unit => "元/平方米",
        PriceBasis::Total => "元",
    }
}

/// The reserve panel of listing `row`, as exchange officers see it.
pub async fn panel(app: &AppState, row: &ListingRow) -> Result<ReservePanel, AppError> {
    let now = app.clock.now();
    let (commitment, value, lock_at, closed, basis) = app
        .desk
        .view(row.id, |l| {
            let state = l.state();
            (
                state.reserve().commitment(),
                state.reserve().value().copied(),
                state.schedule().reserve_lock_at(l.rules()),
                state.phase() == Phase::Decided,
                l.rules().price_basis,
            )
        })
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let unit = unit_label(basis);
    let current = match value {
        Some(Some(m)) => format!("{} {unit}", m.format_grouped()),
        Some(None) => "不设底价".to_owned(),
        None => "已密封，但本服务器未保存其明文，到期将无法判定成交，请重新设置".to_owned(),
    };
    let key = commitment.to_hex();
    let set_at = app
        .store
        .listing_secrets(row.id)
        .await?
        .into_iter()
        .find(|s| s.kind == SecretKind::Reserve && s.key == key)
        .map(|s| Timestamp::from_micros(s.created_at).format_cn())
        .unwrap_or_else(|| "—".to_owned());
    Ok(ReservePanel {
        listing_id: row.id,
        current,
        set_at,
        lock_at: lock_at.format_cn(),
        locked: closed || now >= lock_at,
        closed,
        unit,
        typed: String::new(),
        error: None,
    })
}

/// The form.
#[derive(Default, Deserialize)]
pub struct ReserveForm {
    /// Yuan, at most two decimals; empty for no reserve.
    #[serde(default)]
    reserve: String,
}

// No `Debug` derive: the form holds the amount.
impl std::fmt::Debug for ReserveForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReserveForm").finish_non_exhaustive()
    }
}

/// Reads the amount typed: empty is "no reserve".
pub fn parse_reserve(text: &str) -> Result<Option<Money>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    Money::parse_yuan(text)
        .map(Some)
        .map_err(|e| format!("底价有误：{e}"))
}

/// A fresh nonce from the operating system's random source.
fn fresh_nonce() -> Nonce {
    let mut nonce = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    Nonce(nonce)
}

#[derive(Template)]
#[template(path = "exchange/officer_reserve.html")]
struct ReservePage {
    chrome: Chrome,
    code: String,
    location: String,
    reserve: ReservePanel,
}

async fn refused(
    app: &AppState,
    chrome: Chrome,
    row: ListingRow,
    typed: String,
    message: String,
) -> Result<Response, PageError> {
    let mut reserve = panel(app, &row).await?;
    reserve.typed = typed;
    reserve.error = Some(message);
    let mut resp = render(&ReservePage {
        chrome: chrome.titled(format!("设置底价 {}", row.code), "exchange"),
        code: row.code,
        location: row.location,
        reserve,
    })?;
    *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(resp)
}

/// `POST /exchange/admin/listings/{id}/reserve`: sets or changes the
/// sealed reserve.
pub async fn set_reserve(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
    Form(form): Form<ReserveForm>,
) -> Result<Response, PageError> {
    let row = listing_row(&app, &id).await?;
    let amount = match parse_reserve(&form.reserve) {
        Ok(amount) => amount,
        Err(message) => return refused(&app, chrome, row, form.reserve, message).await,
    };
    // Refuse what the engine would refuse before keeping anything.
    let (lock_at, closed) = app
        .desk
        .view(row.id, |l| {
            (
                l.state().schedule().reserve_lock_at(l.rules()),
                l.state().phase() == Phase::Decided,
            )
        })
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let now = app.clock.now();
    if closed || now >= lock_at {
        let refusal = if closed {
            yiwang_exchange::Refusal::Closed
        } else {
            yiwang_exchange::Refusal::ReserveLocked
        };
        return refused(&app, chrome, row, form.reserve, refusal.message_zh().into()).await;
    }

    let sealed = Sealed::seal(SealKind::Reserve, &row.code, amount, fresh_nonce());
    let Some(opening) = sealed.opening() else {
        return Err(AppError::Internal(anyhow::anyhow!("a fresh seal has its opening")).into());
    };
    let secret = NewListingSecret {
        listing_id: row.id,
        kind: SecretKind::Reserve,
        key: sealed.commitment().to_hex(),
        opening_json: serde_json::to_string(opening)
            .map_err(|_| AppError::Internal(anyhow::anyhow!("an opening serialises")))?,
    };
    // Kept before acting: once the log names the commitment, the opening
    // must already be safe.
    let ctx = app.audit_ctx(&viewer, &addr);
    app.store.put_listing_secret(&ctx, secret).await?;
    let acted = app
        .desk
        .act(row.id, &Action::SetReserve { reserve: sealed }, vec![])
        .await
        .map_err(AppError::from)?;
    match acted.verdict {
        Verdict::Accepted => Ok(Redirect::to(&format!(
            "/exchange/admin/listings/{}#reserve",
            row.id
        ))
        .into_response()),
        Verdict::Refused(r) => {
            refused(&app, chrome, row, form.reserve, r.message_zh().to_owned()).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_yuan_with_at_most_two_decimals() {
        assert_eq!(parse_reserve(""), Ok(None));
        assert_eq!(parse_reserve("  "), Ok(None));
        assert_eq!(
            parse_reserve("19876.54"),
            Ok(Some(Money::from_fen(1_987_654)))
        );
        assert_eq!(
            parse_reserve(" 18470 "),
            Ok(Some(Money::from_fen(1_847_000)))
        );
        for bad in ["1.234", "-5", "1,000", "1e3", "abc", ".5"] {
            let err = parse_reserve(bad).unwrap_err();
            assert!(err.starts_with("底价有误："), "{bad}: {err}");
        }
    }

    #[test]
    fn nonces_differ() {
        assert_ne!(fresh_nonce(), fresh_nonce());
    }

    #[test]
    fn forms_print_without_the_amount() {
        let form = ReserveForm {
            reserve: "19876.54".into(),
        };
        assert!(!format!("{form:?}").contains("19876"));
    }
}

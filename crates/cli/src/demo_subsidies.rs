//! Apprenticeship subsidies for the demo: three manufacturers of Libao town
//! (李堡镇) with enterprise accounts, their apprentices (new hires and
//! transferred staff at each level, one still without a certificate) and
//! claims for last year in every state: one decided with a line refused
//! for a reason, one half reviewed, one waiting for review.
//!
//! Everything is fixed data and the clock's now; ID numbers are valid
//! GB 11643 numbers made up for the demo. Loading is idempotent: when the
//! first manufacturer is registered already, nothing is loaded again.

use uuid::Uuid;
use yiwang_core::{CreditCode, ResidentId, Role, Timestamp};
use yiwang_services::subsidies::Level;
use yiwang_store::subsidies::{LineDecision, NewApprentice, NewClaim, NewClaimLine};
use yiwang_store::{AuditCtx, NewEnterprise, NewUser};
use yiwang_web::AppState;

use crate::demo::Login;

const DAY: i64 = 86_400_000_000;

/// (username, name, first 17 characters of the credit code, legal representative).
const FIRMS: &[(&str, &str, &str, &str)] = &[
    (
        "firm1",
        "海安李堡精工机械有限公司",
        "91320621MA1P2K7Q3",
        "陈建华",
    ),
    (
        "firm2",
        "海安李堡纺织科技有限公司",
        "91320621MA1P3L8R4",
        "周美玲",
    ),
    (
        "firm3",
        "海安李堡电气设备有限公司",
        "91320621MA1P4M9T5",
        "吴国强",
    ),
];

/// (firm, name, first 17 digits of the ID number, new hire?, level, has a certificate).
const APPRENTICES: &[(usize, &str, &str, bool, Level, bool)] = &[
    (
        0,
        "王晓东",
        "32062119980312041",
        true,
        Level::Intermediate,
        true,
    ),
    (
        0,
        "李春燕",
        "32062120000521062",
        true,
        Level::Intermediate,
        true,
    ),
    (0, "张伟", "32062119950815083", false, Level::Advanced, true),
    (
        0,
        "刘建军",
        "32062119901103101",
        false,
        Level::Technician,
        true,
    ),
    (
        0,
        "陈雨",
        "32062120020214122",
        true,
        Level::Intermediate,
        false,
    ),
    (
        1,
        "周丽华",
        "32062119970709142",
        true,
        Level::Intermediate,
        true,
    ),
    (
        1,
        "吴海波",
        "32062119961127161",
        false,
        Level::Advanced,
        true,
    ),
    (
        1,
        "孙倩",
        "32062120010402182",
        true,
        Level::Intermediate,
        true,
    ),
    (
        2,
        "郑浩",
        "32062119940618201",
        false,
        Level::Technician,
        true,
    ),
    (2, "冯敏", "32062119990930222", true, Level::Advanced, true),
    (
        2,
        "朱磊",
        "32062120000105241",
        true,
        Level::Intermediate,
        true,
    ),
];

/// Loads the manufacturers, apprentices and claims; returns the
/// manufacturers' logins (their password hash is the demo's).
pub async fn load(app: &AppState, password_hash: &str) -> anyhow::Result<Vec<Login>> {
    let store = &*app.store;
    let now = app.clock.now();
    let year = now.shanghai_date().year() - 1;
    let logins: Vec<Login> = FIRMS
        .iter()
        .map(|(username, name, _, _)| Login {
            username,
            role: Role::Bidder,
            name: (*name).to_owned(),
            other_department: false,
        })
        .collect();
    let first = CreditCode::with_check_char(FIRMS[0].2)
        .map_err(|e| anyhow::anyhow!("demo credit code: {e}"))?;
    if store
        .enterprise_by_credit_code(first.as_str())
        .await?
        .is_some()
    {
        return Ok(logins);
    }
    let at = |days_ago: i64| AuditCtx::system("demo", now.micros() - days_ago * DAY);
    let mut firms = Vec::new();
    for (i, (username, name, code17, legal_rep)) in FIRMS.iter().enumerate() {
        let code = CreditCode::with_check_char(code17)
            .map_err(|e| anyhow::anyhow!("demo credit code {code17}: {e}"))?;
        let phone = format!("1381625400{i}");
        let (enterprise, _) = store
            .register_enterprise(
                &at(400),
                NewEnterprise {
                    name: (*name).to_owned(),
                    credit_code: code.as_str().to_owned(),
                    legal_rep: (*legal_rep).to_owned(),
                    contact_name: (*legal_rep).to_owned(),
                    contact_phone: phone.clone(),
                },
                NewUser {
                    username: (*username).to_owned(),
                    display_name: (*name).to_owned(),
                    role: Role::Bidder,
                    phone: Some(phone),
                    password_hash: password_hash.to_owned(),
                },
            )
            .await?;
        firms.push(enterprise.id);
    }
    let year_start = Timestamp::parse_rfc3339(&format!("{year}-01-01T00:00:00+08:00"))?.micros();
    let mut people = Vec::new();
    for (n, (firm, name, id17, new_hire, level, certified)) in APPRENTICES.iter().enumerate() {
        let id = ResidentId::with_check_digit(id17)
            .map_err(|e| anyhow::anyhow!("demo ID number {id17}: {e}"))?;
        let n = n as i64;
        let a = store
            .register_apprentice(
                &at(390 - n),
                NewApprentice {
                    id: Uuid::now_v7(),
                    enterprise_id: firms[*firm],
                    name: (*name).to_owned(),
                    id_number: id.expose().to_owned(),
                    intake: if *new_hire { "new_hire" } else { "transferred" }.to_owned(),
                    level: level.code().to_owned(),
                    certificate_no: if *certified {
                        format!("LB{year}{:04}", 101 + n)
                    } else {
                        String::new()
                    },
                    certificate_date: certified.then_some(year_start + (120 + 15 * n) * DAY),
                    start_date: year_start - (60 - 3 * n) * DAY,
                },
            )
            .await?;
        people.push((*firm, a.id, *level, *certified));
    }
    let config = &app.config.services_subsidies;
    let mut claims = Vec::new();
    for (firm, enterprise_id) in firms.iter().enumerate() {
        let lines: Vec<NewClaimLine> = people
            .iter()
            .filter(|(f, _, _, certified)| *f == firm && *certified)
            .map(|(_, id, level, _)| NewClaimLine {
                apprentice_id: *id,
                level: level.code().to_owned(),
                amount_fen: config.amount(year, *level).fen(),
            })
            .collect();
        let claim = store
            .submit_claim(
                &at(40 - 10 * firm as i64),
                NewClaim {
                    id: Uuid::now_v7(),
                    enterprise_id: *enterprise_id,
                    year,
                    lines: lines.clone(),
                },
            )
            .await?;
        claims.push((claim.id, lines));
    }
    // (claim, lines decided, the line refused): the first claim decided
    // with one line refused, the third half reviewed, the second waiting.
    let review = AuditCtx::system("service", now.micros() - 12 * DAY);
    for (claim, decided, refused) in [(0, usize::MAX, Some(2)), (2, 1, None)] {
        let (claim_id, lines) = &claims[claim];
        for (i, line) in lines.iter().take(decided).enumerate() {
            let refuse = refused == Some(i);
            store
                .decide_line(
                    &review,
                    LineDecision {
                        claim_id: *claim_id,
                        apprentice_id: line.apprentice_id,
                        status: if refuse { "refused" } else { "approved" }.to_owned(),
                        reason: if refuse {
                            "等级证书工种为钳工，与申报岗位（数控车工）不符，请核对后重新申报"
                                .to_owned()
                        } else {
                            String::new()
                        },
                    },
                )
                .await?;
        }
    }
    Ok(logins)
}

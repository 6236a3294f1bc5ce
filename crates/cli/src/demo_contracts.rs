//! Collective contracts for the demo, of the seed's size: 58 enterprise
//! contracts (collective contracts and wage-specific agreements) and 4
//! industry contracts in force, covering 128 enterprises and 12,000
//! employees, each counted once.
//!
//! Enterprises 1–40 have their own collective contract, and the first 18
//! of them a wage agreement too (58); four industries (machinery,
//! textiles, construction and installation, catering) cover 22 enterprises
//! each, the last industry's reaching back over two that have their own
//! contract, so the report shows each counted once. Some contracts end
//! within the renewal window, so the reminder list has work on it; one
//! ended last year and counts no more.
//!
//! Everything is fixed data and the clock's now. Loading is idempotent: a
//! database with contracts is left as it is.

use uuid::Uuid;
use yiwang_core::{CreditCode, Timestamp};
use yiwang_store::contracts::{ContractQuery, CoveredEnterprise, NewContract};
use yiwang_store::{AuditCtx, Page};
use yiwang_web::AppState;

const DAY: i64 = 86_400_000_000;

/// Enterprises covered in all.
pub const ENTERPRISES: usize = 128;
/// Employees covered in all.
pub const EMPLOYEES: i64 = 12_000;

const INDUSTRIES: [(&str, &str); 4] = [
    ("机械制造", "李堡镇机械制造行业"),
    ("纺织服装", "李堡镇纺织服装行业"),
    ("建筑安装", "李堡镇建筑安装行业"),
    ("餐饮服务", "李堡镇餐饮服务行业"),
];

/// The demo enterprises: (credit code, name, employees), summing to
/// [`EMPLOYEES`].
fn enterprises() -> anyhow::Result<Vec<CoveredEnterprise>> {
    let trades = [
        "机械", "纺织", "建材", "电子", "食品", "服装", "五金", "塑业",
    ];
    let mut out = Vec::with_capacity(ENTERPRISES);
    let mut total = 0;
    for i in 0..ENTERPRISES {
        let code = CreditCode::with_check_char(&format!("91320621MA1Q{:05}", 100 + i))
            .map_err(|e| anyhow::anyhow!("demo credit code: {e}"))?;
        // 55–165 employees, then the last takes what makes the total (353).
        let employees = if i + 1 == ENTERPRISES {
            EMPLOYEES - total
        } else {
            55 + ((i as i64 * 37) % 111)
        };
        total += employees;
        out.push(CoveredEnterprise {
            credit_code: code.as_str().to_owned(),
            name: format!("海安李堡{}{}有限公司", trades[i % trades.len()], i + 1),
            employees,
        });
    }
    Ok(out)
}

/// Loads the register.
pub async fn load(app: &AppState) -> anyhow::Result<()> {
    let store = &*app.store;
    let found = store
        .contracts(&ContractQuery::default(), Page::number(1, 1))
        .await?;
    if found.total > 0 {
        return Ok(());
    }
    let now = app.clock.now();
    let today = Timestamp::from_shanghai(now.shanghai_date(), 0, 0, 0).micros();
    let firms = enterprises()?;
    let mut contracts = Vec::new();
    let contract = |title: String,
                    scope: &str,
                    kind: &str,
                    industry: &str,
                    employer: String,
                    union: String,
                    start: i64,
                    years: i64,
                    covered: Vec<CoveredEnterprise>| NewContract {
        id: Uuid::now_v7(),
        title,
        scope: scope.to_owned(),
        kind: kind.to_owned(),
        industry: industry.to_owned(),
        employer_party: employer,
        union_party: union,
        signed_on: start - 10 * DAY,
        starts_on: start,
        ends_on: start + years * 365 * DAY,
        enterprises: covered,
    };
    for (i, firm) in firms.iter().take(40).enumerate() {
        let i = i as i64;
        // Three-year terms; every eighth ends within the next 90 days.
        let start = if i % 8 == 3 {
            today - (3 * 365 - 20 - 2 * i) * DAY
        } else {
            today - (200 + 17 * i) * DAY
        };
        contracts.push(contract(
            format!("{}集体合同", firm.name),
            "enterprise",
            "collective",
            "",
            firm.name.clone(),
            format!("{}工会委员会", firm.name),
            start,
            3,
            vec![firm.clone()],
        ));
    }
    for (i, firm) in firms.iter().take(18).enumerate() {
        // One-year wage agreements, renewed each spring.
        let start = today - (100 + 11 * i as i64) * DAY;
        contracts.push(contract(
            format!("{}工资专项集体协议", firm.name),
            "enterprise",
            "wage",
            "",
            firm.name.clone(),
            format!("{}工会委员会", firm.name),
            start,
            1,
            vec![firm.clone()],
        ));
    }
    for (n, (industry, side)) in INDUSTRIES.iter().enumerate() {
        let from = 40 + 22 * n;
        let mut covered: Vec<CoveredEnterprise> = firms[from..from + 22].to_vec();
        if n == 3 {
            covered.extend(firms[..2].iter().cloned());
        }
        let kind = if n % 2 == 0 { "collective" } else { "wage" };
        contracts.push(contract(
            format!(
                "{side}{}",
                if kind == "wage" {
                    "工资专项集体协议"
                } else {
                    "集体合同"
                }
            ),
            "industry",
            kind,
            industry,
            format!("{side}企业方协商代表"),
            format!("李堡镇{industry}行业工会联合会"),
            today - (150 + 60 * n as i64) * DAY,
            3,
            covered,
        ));
    }
    // A contract that ended last year: on the register, not in the report.
    let old = &firms[5];
    contracts.push(contract(
        format!("{}集体合同（上一期）", old.name),
        "enterprise",
        "collective",
        "",
        old.name.clone(),
        format!("{}工会委员会", old.name),
        today - (3 * 365 + 400) * DAY,
        3,
        vec![old.clone()],
    ));
    store
        .register_contracts(&AuditCtx::system("demo", now.micros()), contracts)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use yiwang_core::ManualClock;
    use yiwang_services::contracts::{coverage, CoverageLine, Kind, Scope};
    use yiwang_web::Config;

    #[tokio::test]
    async fn the_demo_register_reports_the_seed_s_figures() {
        let (store, _dir) = yiwang_store_sqlite::testing::fresh().await;
        let mut config = Config::default();
        config.auth.argon2_memory_kib = 64;
        config.auth.argon2_iterations = 1;
        // 2020-09-30 10:00 in Shanghai, the seed's "截至9月底".
        let clock =
            ManualClock::new(Timestamp::parse_rfc3339("2020-09-30T10:00:00+08:00").unwrap());
        let app = AppState::new(Arc::new(store), config, Arc::new(clock)).unwrap();
        load(&app).await.unwrap();
        load(&app).await.unwrap();
        let today = Timestamp::parse_rfc3339("2020-09-30T00:00:00+08:00")
            .unwrap()
            .micros();
        let rows = app.store.coverage_rows(today).await.unwrap();
        let lines: Vec<CoverageLine> = rows
            .into_iter()
            .map(|r| CoverageLine {
                contract: r.contract_id.to_string(),
                scope: Scope::from_code(&r.scope).unwrap(),
                kind: Kind::from_code(&r.kind).unwrap(),
                credit_code: r.credit_code,
                employees: u32::try_from(r.employees).unwrap(),
            })
            .collect();
        let report = coverage(&lines);
        assert_eq!(report.scopes[0].contracts, 58);
        assert_eq!(report.scopes[1].contracts, 4);
        assert_eq!(report.enterprises, ENTERPRISES as u64);
        assert_eq!(report.employees, EMPLOYEES as u64);
        let all = app
            .store
            .contracts(&ContractQuery::default(), Page::number(1, 1))
            .await
            .unwrap();
        assert_eq!(all.total, 63, "loaded once, with the ended one");
        let due = app
            .store
            .contracts(
                &ContractQuery {
                    in_force_on: Some(today),
                    ends_before: Some(today + 91 * DAY),
                    ..ContractQuery::default()
                },
                Page::number(1, 1),
            )
            .await
            .unwrap();
        assert!(due.total >= 5, "{} due for renewal", due.total);
    }

    #[test]
    fn the_demo_enterprises_add_up_to_the_seed() {
        let firms = enterprises().unwrap();
        assert_eq!(firms.len(), ENTERPRISES);
        assert_eq!(firms.iter().map(|f| f.employees).sum::<i64>(), EMPLOYEES);
        assert!(firms.iter().all(|f| f.employees > 0));
    }
}

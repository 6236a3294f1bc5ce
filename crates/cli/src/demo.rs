//! Demo data: an account for every role, and a department handler for
//! every department the grid routing rules dispatch to (the default
//! `[grid_events] handler_departments` names them), so a newcomer can try
//! each part of Yiwang at once, and each system's demo data (the exchange's in
//! [`crate::demo_exchange`], the grids' in [`crate::demo_grid`], a year
//! of grid events in [`crate::demo_events`], enterprise requests in
//! [`crate::demo_requests`], apprenticeship subsidies in
//! [`crate::demo_subsidies`], collective contracts in
//! [`crate::demo_contracts`], labour mediation in
//! [`crate::demo_mediation`] and the lecture hall in
//! [`crate::demo_lectures`]). Loading
//! is idempotent: accounts that exist are left as they are.

use yiwang_core::{CreditCode, Role};
use yiwang_store::{AuditCtx, NewEnterprise, NewUser, StoreError};
use yiwang_web::AppState;

/// The password of every demo account (printed; for demonstration only).
pub const DEMO_PASSWORD: &str = "Yiwang2026";

/// A demo login as printed.
#[derive(Debug, Clone)]
pub struct Login {
    pub username: &'static str,
    pub role: Role,
    pub name: String,
    /// A handler of another department than `handler`'s: printed with the
    /// others on one line.
    pub other_department: bool,
}

struct Staff {
    username: &'static str,
    name: &'static str,
    role: Role,
    phone: &'static str,
}

/// The usernames of [`STAFF`] that handle for another department than
/// `handler` (城管局).
const OTHER_DEPARTMENT_HANDLERS: &[&str] = &[
    "handler-petition",
    "handler-emergency",
    "handler-environment",
];

const STAFF: &[Staff] = &[
    Staff {
        username: "admin",
        name: "系统管理员",
        role: Role::Admin,
        phone: "0513-85000001",
    },
    Staff {
        username: "officer",
        name: "周晓岚（交易中心）",
        role: Role::ExchangeOfficer,
        phone: "0513-85000002",
    },
    Staff {
        username: "gridleader",
        name: "陈建华（网格长）",
        role: Role::GridLeader,
        phone: "13900000003",
    },
    Staff {
        username: "gridworker",
        name: "李文静（网格员）",
        role: Role::GridWorker,
        phone: "13900000004",
    },
    Staff {
        username: "handler",
        name: "王志强（城管局）",
        role: Role::DeptHandler,
        phone: "0513-85000005",
    },
    Staff {
        username: "handler-petition",
        name: "刘国平（信访局）",
        role: Role::DeptHandler,
        phone: "0513-85000008",
    },
    Staff {
        username: "handler-emergency",
        name: "张海军（应急局）",
        role: Role::DeptHandler,
        phone: "0513-85000009",
    },
    Staff {
        username: "handler-environment",
        name: "黄丽萍（生态环境局）",
        role: Role::DeptHandler,
        phone: "0513-85000010",
    },
    Staff {
        username: "handler-tax",
        name: "钱伟（市税务局）",
        role: Role::DeptHandler,
        phone: "0513-85000011",
    },
    Staff {
        username: "handler-industry",
        name: "吴静（市工信局）",
        role: Role::DeptHandler,
        phone: "0513-85000012",
    },
    Staff {
        username: "supervisor",
        name: "赵敏（区指挥中心）",
        role: Role::Supervisor,
        phone: "0513-85000006",
    },
    Staff {
        username: "service",
        name: "孙立新（工信局）",
        role: Role::ServiceStaff,
        phone: "0513-85000007",
    },
];

/// Demo enterprises: (username, name, first 17 characters of the credit code, legal representative).
const ENTERPRISES: &[(&str, &str, &str, &str)] = &[
    (
        "bidder1",
        "南通江海置业有限公司",
        "91320600MA1W8K3N5",
        "张海",
    ),
    (
        "bidder2",
        "南通濠河房地产开发有限公司",
        "91320600MA1W8K4P7",
        "刘洋",
    ),
];

/// Loads the demo accounts and returns their logins.
pub async fn load(app: &AppState) -> anyhow::Result<Vec<Login>> {
    let store = &*app.store;
    let hash = app
        .hasher
        .hash(DEMO_PASSWORD.to_owned())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let ctx = AuditCtx::system("demo", app.clock.now().micros());
    let mut bidders = Vec::new();
    let mut logins = Vec::new();
    for s in STAFF {
        let user = NewUser {
            username: s.username.to_owned(),
            display_name: s.name.to_owned(),
            role: s.role,
            phone: Some(s.phone.to_owned()),
            password_hash: hash.clone(),
        };
        match store.create_staff(&ctx, user).await {
            Ok(_) | Err(StoreError::Conflict { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        logins.push(Login {
            username: s.username,
            role: s.role,
            name: s.name.to_owned(),
            other_department: OTHER_DEPARTMENT_HANDLERS.contains(&s.username),
        });
    }
    for (i, (username, name, code17, legal_rep)) in ENTERPRISES.iter().enumerate() {
        let code = CreditCode::with_check_char(code17)
            .map_err(|e| anyhow::anyhow!("demo credit code {code17}: {e}"))?;
        bidders.push(code.as_str().to_owned());
        let enterprise = NewEnterprise {
            name: (*name).to_owned(),
            credit_code: code.as_str().to_owned(),
            legal_rep: (*legal_rep).to_owned(),
            contact_name: (*legal_rep).to_owned(),
            contact_phone: format!("1381234567{i}"),
        };
        let user = NewUser {
            username: (*username).to_owned(),
            display_name: (*name).to_owned(),
            role: Role::Bidder,
            phone: Some(enterprise.contact_phone.clone()),
            password_hash: hash.clone(),
        };
        match store.register_enterprise(&ctx, enterprise, user).await {
            Ok(_) | Err(StoreError::Conflict { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        logins.push(Login {
            username,
            role: Role::Bidder,
            name: (*name).to_owned(),
            other_department: false,
        });
    }
    logins.extend(crate::demo_requests::load(app, &hash).await?);
    crate::demo_exchange::load(app, &bidders).await?;
    crate::demo_grid::load(app).await?;
    crate::demo_events::load(app).await?;
    crate::demo_duties::load(app).await?;
    logins.extend(crate::demo_subsidies::load(app, &hash).await?);
    crate::demo_contracts::load(app).await?;
    logins.extend(crate::demo_visits::load(app, &hash).await?);
    logins.extend(crate::demo_mediation::load(app, &hash).await?);
    crate::demo_lectures::load(app).await?;
    Ok(logins)
}

/// Prints the demo logins as a table.
pub fn print_logins(logins: &[Login]) {
    for line in login_lines(logins) {
        println!("{line}");
    }
}

/// The demo logins as printed: a line each, but the other departments'
/// handlers share one line where the first of them comes.
fn login_lines(logins: &[Login]) -> Vec<String> {
    let mut lines = vec![format!("演示账户（密码均为 {DEMO_PASSWORD}）：")];
    let others: Vec<String> = logins
        .iter()
        .filter(|l| l.other_department)
        .map(|l| format!("{} {}", l.username, l.name))
        .collect();
    let mut others_printed = false;
    for l in logins {
        if !l.other_department {
            lines.push(format!(
                "  {:<12} {:<10} {}",
                l.username,
                l.role.label(),
                l.name
            ));
        } else if !others_printed {
            lines.push(format!("  其他部门经办人：{}", others.join("、")));
            others_printed = true;
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_configured_department_handler_is_a_demo_account() {
        let config = yiwang_web::cases::EventsConfig::default();
        for username in config.handler_departments.keys() {
            assert!(
                STAFF
                    .iter()
                    .any(|s| s.username == username && s.role == Role::DeptHandler),
                "{username} is not a demo department handler"
            );
        }
        for username in OTHER_DEPARTMENT_HANDLERS {
            assert!(
                config.handler_departments.contains_key(*username),
                "{username} acts for no department"
            );
        }
    }

    #[test]
    fn the_other_departments_handlers_share_one_line() {
        let logins: Vec<Login> = STAFF
            .iter()
            .map(|s| Login {
                username: s.username,
                role: s.role,
                name: s.name.to_owned(),
                other_department: OTHER_DEPARTMENT_HANDLERS.contains(&s.username),
            })
            .collect();
        let lines = login_lines(&logins);
        assert_eq!(
            lines.len(),
            1 + STAFF.len() - OTHER_DEPARTMENT_HANDLERS.len() + 1
        );
        let handler = lines.iter().position(|l| l.contains("王志强")).unwrap();
        assert_eq!(
            lines[handler + 1],
            "  其他部门经办人：handler-petition 刘国平（信访局）、\
             handler-emergency 张海军（应急局）、handler-environment 黄丽萍（生态环境局）"
        );
    }
}

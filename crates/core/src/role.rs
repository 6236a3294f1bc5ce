//! The roles an account can hold.
//!
//! The public needs no account; everyone else has exactly one role. Each role
//! has a stable code (stored in the database and used in the API) and a
//! Chinese name shown on pages.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A role held by an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 系统管理员: manages staff accounts, reads the audit log.
    Admin,
    /// 交易中心工作人员: drafts and publishes transfer notices, runs listings.
    ExchangeOfficer,
    /// 竞买企业: a registered enterprise that applies and bids.
    Bidder,
    /// 网格长: leads one grid.
    GridLeader,
    /// 网格员: works in one or more grids.
    GridWorker,
    /// 职能部门经办人: handles cases dispatched to a department.
    DeptHandler,
    /// 指挥中心督办员: supervises dispatch and overdue cases.
    Supervisor,
    /// 企业服务专员: enterprise and worker services staff; they also
    /// mediate labour disputes (the union's and the service centre's
    /// mediators).
    ServiceStaff,
    /// 职工: a worker who registered to bring a labour dispute to mediation.
    Worker,
}

impl Role {
    /// Every role, in the order pages list them.
    pub const ALL: [Role; 9] = [
        Role::Admin,
        Role::ExchangeOfficer,
        Role::Bidder,
        Role::GridLeader,
        Role::GridWorker,
        Role::DeptHandler,
        Role::Supervisor,
        Role::ServiceStaff,
        Role::Worker,
    ];

    /// The stable code stored in the database and used in the API.
    pub fn code(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::ExchangeOfficer => "exchange_officer",
            Role::Bidder => "bidder",
            Role::GridLeader => "grid_leader",
            Role::GridWorker => "grid_worker",
            Role::DeptHandler => "dept_handler",
            Role::Supervisor => "supervisor",
            Role::ServiceStaff => "service_staff",
            Role::Worker => "worker",
        }
    }

    /// The name shown to users.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "系统管理员",
            Role::ExchangeOfficer => "交易中心工作人员",
            Role::Bidder => "竞买企业",
            Role::GridLeader => "网格长",
            Role::GridWorker => "网格员",
            Role::DeptHandler => "职能部门经办人",
            Role::Supervisor => "指挥中心督办员",
            Role::ServiceStaff => "企业服务专员",
            Role::Worker => "职工",
        }
    }

    /// Roles that an administrator may give to a staff account. Enterprises
    /// (bidders) and workers register themselves.
    pub fn is_staff(self) -> bool {
        !matches!(self, Role::Bidder | Role::Worker)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The text was not the code of any role.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("未知的角色：{0}")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.code() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for r in Role::ALL {
            assert_eq!(r.code().parse::<Role>().unwrap(), r);
            assert!(seen.insert(r.code()));
        }
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn only_bidders_and_workers_are_not_staff() {
        let staff: Vec<_> = Role::ALL.into_iter().filter(|r| !r.is_staff()).collect();
        assert_eq!(staff, vec![Role::Bidder, Role::Worker]);
    }
}

//! Storage for collective contracts (集体合同, 工资专项集体协议): the
//! register of contracts and the enterprises each covers.
//!
//! The rules (levels and kinds, terms, renewal, how coverage is counted)
//! are `yiwang_services::contracts`; the store keeps the contracts and
//! answers the register's list (search, level, kind, in force on a day,
//! ending before a day) and the coverage report's lines in one query each.
//!
//! # Tables
//!
//! `collective_contracts` and `collective_contract_enterprises` (migration
//! 0014). Registering (`contract.register`, one record for an import:
//! `contract.import`) is audited in its transaction.

use async_trait::async_trait;
use serde::Serialize;
use uuid::Uuid;

use crate::{AuditCtx, Page, Paged, StoreResult};

/// One enterprise a contract covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CoveredEnterprise {
    pub credit_code: String,
    pub name: String,
    pub employees: i64,
}

/// A contract to register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewContract {
    pub id: Uuid,
    pub title: String,
    /// `enterprise` or `industry`.
    pub scope: String,
    /// `collective` or `wage`.
    pub kind: String,
    /// The industry, for an industry contract.
    pub industry: String,
    /// The enterprise or the industry's employers' side.
    pub employer_party: String,
    /// The union that signed.
    pub union_party: String,
    /// Shanghai day starts, µs; the term is `[starts_on, ends_on)`.
    pub signed_on: i64,
    pub starts_on: i64,
    pub ends_on: i64,
    pub enterprises: Vec<CoveredEnterprise>,
}

/// A registered contract, with its coverage summed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contract {
    pub id: Uuid,
    pub title: String,
    pub scope: String,
    pub kind: String,
    pub industry: String,
    pub employer_party: String,
    pub union_party: String,
    pub signed_on: i64,
    pub starts_on: i64,
    pub ends_on: i64,
    pub enterprises: i64,
    pub employees: i64,
    pub created_at: i64,
}

/// Which contracts a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContractQuery {
    /// A fragment of the title, a party, the industry, or a covered
    /// enterprise's name or credit code.
    pub search: Option<String>,
    pub scope: Option<String>,
    pub kind: Option<String>,
    /// In force on this day (µs): `starts_on <= day < ends_on`.
    pub in_force_on: Option<i64>,
    /// Ending before this instant (µs): `ends_on < before`.
    pub ends_before: Option<i64>,
}

/// One enterprise covered by one contract, for the coverage report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CoverageRow {
    pub contract_id: Uuid,
    pub scope: String,
    pub kind: String,
    pub credit_code: String,
    pub employees: i64,
}

/// SQL text shared by the SQL backends.
pub mod sql {
    pub const COLUMNS: &str = "c.id AS id, c.title AS title, c.scope AS scope, c.kind AS kind, \
         c.industry AS industry, c.employer_party AS employer_party, \
         c.union_party AS union_party, c.signed_on AS signed_on, c.starts_on AS starts_on, \
         c.ends_on AS ends_on, \
         (SELECT COUNT(*) FROM collective_contract_enterprises x WHERE x.contract_id = c.id) \
         AS enterprises, \
         (SELECT CAST(COALESCE(SUM(x.employees), 0) AS BIGINT) \
          FROM collective_contract_enterprises x WHERE x.contract_id = c.id) AS employees, \
         c.created_at AS created_at";

    pub const FROM: &str = " FROM collective_contracts c WHERE 1 = 1";

    pub const ORDER: &str = " ORDER BY c.ends_on, c.title, c.id";

    pub const COVERAGE: &str = "SELECT c.id AS contract_id, c.scope AS scope, c.kind AS kind, \
         x.credit_code AS credit_code, x.employees AS employees \
         FROM collective_contracts c JOIN collective_contract_enterprises x \
         ON x.contract_id = c.id WHERE c.starts_on <= ";
}

/// Storage for the register of collective contracts.
#[async_trait]
pub trait ContractStore: Send + Sync {
    /// Registers contracts with their enterprises, all or nothing: one
    /// (`contract.register`) or many (`contract.import`, one record).
    async fn register_contracts(
        &self,
        ctx: &AuditCtx,
        contracts: Vec<NewContract>,
    ) -> StoreResult<u64>;

    /// A contract and the enterprises it covers, by name.
    async fn contract(&self, id: Uuid) -> StoreResult<Option<(Contract, Vec<CoveredEnterprise>)>>;

    /// Contracts matching the query, ending soonest first.
    async fn contracts(&self, query: &ContractQuery, page: Page) -> StoreResult<Paged<Contract>>;

    /// Every enterprise covered by a contract in force on `day` (µs).
    async fn coverage_rows(&self, day: i64) -> StoreResult<Vec<CoverageRow>>;

    /// What the dashboards count of the contracts signed in `[from, to)`
    /// (µs), oldest first.
    async fn contract_facts(&self, from: i64, to: i64) -> StoreResult<Vec<ContractFact>>;
}

/// A contract as the dashboards count it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "sql", derive(sqlx::FromRow))]
pub struct ContractFact {
    /// The day of signing (its first instant, µs).
    pub signed_on: i64,
    /// `enterprise` or `industry`.
    pub scope: String,
    /// `collective` or `wage`.
    pub kind: String,
}

/// Rows as the SQL backends read them.
#[cfg(feature = "sql")]
pub mod rows {
    use super::{Contract, CoverageRow};
    use crate::sql_rows::parse_uuid;
    use crate::StoreError;

    #[derive(Debug, sqlx::FromRow)]
    pub struct ContractRow {
        id: String,
        title: String,
        scope: String,
        kind: String,
        industry: String,
        employer_party: String,
        union_party: String,
        signed_on: i64,
        starts_on: i64,
        ends_on: i64,
        enterprises: i64,
        employees: i64,
        created_at: i64,
    }

    impl TryFrom<ContractRow> for Contract {
        type Error = StoreError;

        fn try_from(r: ContractRow) -> Result<Contract, StoreError> {
            Ok(Contract {
                id: parse_uuid("collective_contracts.id", &r.id)?,
                title: r.title,
                scope: r.scope,
                kind: r.kind,
                industry: r.industry,
                employer_party: r.employer_party,
                union_party: r.union_party,
                signed_on: r.signed_on,
                starts_on: r.starts_on,
                ends_on: r.ends_on,
                enterprises: r.enterprises,
                employees: r.employees,
                created_at: r.created_at,
            })
        }
    }

    #[derive(Debug, sqlx::FromRow)]
    pub struct CoverageRowRow {
        contract_id: String,
        scope: String,
        kind: String,
        credit_code: String,
        employees: i64,
    }

    impl TryFrom<CoverageRowRow> for CoverageRow {
        type Error = StoreError;

        fn try_from(r: CoverageRowRow) -> Result<CoverageRow, StoreError> {
            Ok(CoverageRow {
                contract_id: parse_uuid("collective_contracts.id", &r.contract_id)?,
                scope: r.scope,
                kind: r.kind,
                credit_code: r.credit_code,
                employees: r.employees,
            })
        }
    }
}

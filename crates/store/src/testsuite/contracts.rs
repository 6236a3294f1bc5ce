//! Contracts' part of the suite: contracts registered with the enterprises
//! they cover, all or nothing and audited; the register filtered by
//! search, level, kind, days in force and end; the coverage rows of a day,
//! half-open.

use std::sync::Arc;

use uuid::Uuid;

use super::{admin_ctx, assert_chain, detail, expect_conflict, T0};
use crate::contracts::{ContractFact, ContractQuery, CoveredEnterprise, NewContract};
use crate::{Page, Store};

const DAY: i64 = 86_400_000_000;

fn firm(code: &str, name: &str, employees: i64) -> CoveredEnterprise {
    CoveredEnterprise {
        credit_code: code.to_owned(),
        name: name.to_owned(),
        employees,
    }
}

fn contract(title: &str, scope: &str, kind: &str, start: i64, end: i64) -> NewContract {
    NewContract {
        id: Uuid::now_v7(),
        title: title.to_owned(),
        scope: scope.to_owned(),
        kind: kind.to_owned(),
        industry: if scope == "industry" {
            "机械制造"
        } else {
            ""
        }
        .to_owned(),
        employer_party: "企业方".to_owned(),
        union_party: "工会".to_owned(),
        signed_on: start - DAY,
        starts_on: start,
        ends_on: end,
        enterprises: vec![firm("91320621MA1Q000011", "精工机械", 120)],
    }
}

pub async fn contracts_are_registered_listed_and_counted(store: Arc<dyn Store>) {
    let s = &*store;
    let mut own = contract(
        "精工机械集体合同",
        "enterprise",
        "collective",
        T0,
        T0 + 30 * DAY,
    );
    own.enterprises = vec![firm("91320621MA1Q000011", "精工机械", 120)];
    let mut industry = contract(
        "机械制造行业集体合同",
        "industry",
        "wage",
        T0 + DAY,
        T0 + 900 * DAY,
    );
    industry.enterprises = vec![
        firm("91320621MA1Q000011", "精工机械", 118),
        firm("91320621MA1Q000022", "纺织科技", 80),
    ];
    let n = s
        .register_contracts(&admin_ctx(T0), vec![own.clone()])
        .await
        .unwrap();
    assert_eq!(n, 1);
    // A contract naming an enterprise twice writes nothing, not even the others.
    let mut twice = contract("重复", "industry", "collective", T0, T0 + DAY);
    twice
        .enterprises
        .push(firm("91320621MA1Q000011", "又一次", 5));
    expect_conflict(
        s.register_contracts(&admin_ctx(T0), vec![industry.clone(), twice])
            .await,
        "credit_code",
    );
    assert!(s.contract(industry.id).await.unwrap().is_none());
    let old = contract("上一期", "enterprise", "collective", T0 - 900 * DAY, T0);
    assert_eq!(
        s.register_contracts(&admin_ctx(T0 + 1), vec![industry.clone(), old])
            .await
            .unwrap(),
        2
    );

    let (c, covered) = s.contract(industry.id).await.unwrap().unwrap();
    assert_eq!((c.enterprises, c.employees), (2, 198));
    assert_eq!(c.industry, "机械制造");
    assert_eq!(covered[0].name, "精工机械", "by name");

    let list = |q: ContractQuery| async move {
        s.contracts(&q, Page::number(1, 10))
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|c| c.title)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        list(ContractQuery::default()).await,
        vec!["上一期", "精工机械集体合同", "机械制造行业集体合同"],
        "ending soonest first"
    );
    assert_eq!(
        list(ContractQuery {
            search: Some("91320621ma1q000022".to_owned()),
            ..ContractQuery::default()
        })
        .await,
        vec!["机械制造行业集体合同"]
    );
    assert_eq!(
        list(ContractQuery {
            search: Some("纺织".to_owned()),
            ..ContractQuery::default()
        })
        .await,
        vec!["机械制造行业集体合同"]
    );
    assert_eq!(
        list(ContractQuery {
            in_force_on: Some(T0),
            ..ContractQuery::default()
        })
        .await,
        vec!["精工机械集体合同"],
        "half-open: the old one ended at T0, the industry one starts a day later"
    );
    assert_eq!(
        list(ContractQuery {
            in_force_on: Some(T0 + DAY),
            ends_before: Some(T0 + 31 * DAY),
            ..ContractQuery::default()
        })
        .await,
        vec!["精工机械集体合同"]
    );
    assert_eq!(
        list(ContractQuery {
            scope: Some("industry".to_owned()),
            kind: Some("wage".to_owned()),
            ..ContractQuery::default()
        })
        .await,
        vec!["机械制造行业集体合同"]
    );

    let rows = s.coverage_rows(T0 + DAY).await.unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows.iter().map(|r| r.employees).sum::<i64>(), 318);
    assert!(s.coverage_rows(T0 + 900 * DAY).await.unwrap().is_empty());

    // The dashboards' facts: signed in the window (each signed a day
    // before it starts), oldest first.
    let fact = |signed_on: i64, scope: &str, kind: &str| ContractFact {
        signed_on,
        scope: scope.to_owned(),
        kind: kind.to_owned(),
    };
    assert_eq!(
        s.contract_facts(T0 - DAY, T0 + DAY).await.unwrap(),
        vec![
            fact(T0 - DAY, "enterprise", "collective"),
            fact(T0, "industry", "wage"),
        ]
    );
    assert_eq!(
        s.contract_facts(T0 - DAY, T0).await.unwrap(),
        vec![fact(T0 - DAY, "enterprise", "collective")],
        "half-open"
    );

    let chain = assert_chain(s).await;
    let actions: Vec<&str> = chain
        .iter()
        .filter(|r| r.action.starts_with("contract."))
        .map(|r| r.action.as_str())
        .collect();
    assert_eq!(actions, vec!["contract.register", "contract.import"]);
    let import = chain
        .iter()
        .find(|r| r.action == "contract.import")
        .unwrap();
    assert_eq!(detail(import)["contracts"], 2);
}

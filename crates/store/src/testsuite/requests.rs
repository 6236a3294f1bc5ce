//! Enterprise requests' part of the suite: a request is numbered per day and
//! stored with its parts; each department answers once and the last answer
//! makes it answered; it is rated once, only when answered; a need is taken
//! once; lists filter and search; every change is audited in its
//! transaction and a refused one writes nothing.

use std::sync::Arc;

use uuid::Uuid;
use yiwang_core::Role;

use super::{
    admin_ctx, assert_chain, audit_total, detail, expect_conflict, expect_not_found,
    new_enterprise, new_user, public_ctx, T0,
};
use crate::requests::{NewPart, NewRequest, PartQuery, ReplyOutcome, RequestFact, RequestQuery};
use crate::{AuditQuery, Page, Store};

const DAY: i64 = 86_400_000_000;

async fn enterprise(store: &dyn Store, name: &str, code: &str) -> (Uuid, Uuid) {
    let (e, u) = store
        .register_enterprise(
            &public_ctx(T0),
            new_enterprise(name, code),
            new_user(code, name, Role::Bidder),
        )
        .await
        .unwrap();
    (e.id, u.id)
}

fn request(
    enterprise: (Uuid, Uuid),
    name: &str,
    category: &str,
    title: &str,
    at: i64,
    depts: &[&str],
) -> NewRequest {
    NewRequest {
        id: Uuid::now_v7(),
        enterprise_id: enterprise.0,
        enterprise_name: name.to_owned(),
        submitter_id: enterprise.1,
        category: category.to_owned(),
        title: title.to_owned(),
        content: "请帮助解答".to_owned(),
        contact_name: "李四".to_owned(),
        contact_phone: "13900000000".to_owned(),
        share_contact: false,
        submitted_at: at,
        parts: depts
            .iter()
            .map(|d| NewPart {
                department: (*d).to_owned(),
                assigned_at: at,
                due_at: at + 7 * DAY,
            })
            .collect(),
    }
}

async fn actions(store: &dyn Store, action: &str) -> Vec<crate::AuditRecord> {
    store
        .audit_query(
            &AuditQuery {
                action: Some(action.to_owned()),
                ..Default::default()
            },
            Page::number(1, 50),
        )
        .await
        .unwrap()
        .items
}

pub async fn requests_are_routed_answered_rated_and_audited(store: Arc<dyn Store>) {
    let s = &*store;
    let ent = enterprise(s, "南通某机械有限公司", "91320600MA1REQ0001").await;
    let ctx = admin_ctx(T0);
    let a = s
        .create_request(
            &ctx,
            request(
                ent,
                "南通某机械有限公司",
                "tax",
                "研发费用加计扣除",
                T0,
                &["tax", "industry"],
            ),
        )
        .await
        .unwrap();
    assert_eq!(a.number, "QY20260101-0001");
    assert_eq!(a.state, "open");
    assert_eq!(a.next_due_at, Some(T0 + 7 * DAY));
    let b = s
        .create_request(
            &ctx,
            request(
                ent,
                "南通某机械有限公司",
                "policy",
                "技改补贴",
                T0 + 60_000_000,
                &["industry"],
            ),
        )
        .await
        .unwrap();
    assert_eq!(b.number, "QY20260101-0002");
    let next_day = s
        .create_request(
            &ctx,
            request(
                ent,
                "南通某机械有限公司",
                "policy",
                "次日诉求",
                T0 + DAY,
                &["industry"],
            ),
        )
        .await
        .unwrap();
    assert_eq!(next_day.number, "QY20260102-0001");
    let submitted = actions(s, "request.submit").await;
    assert_eq!(submitted.len(), 3);
    let d = detail(
        submitted
            .iter()
            .find(|r| r.object_id == a.id.to_string())
            .unwrap(),
    );
    assert_eq!(d["departments"], serde_json::json!(["tax", "industry"]));
    assert!(
        !submitted[0].detail.contains("13900000000"),
        "no contact data in the audit"
    );

    // A department not on the request, then the two that are.
    let before = audit_total(s).await;
    let out = s
        .reply_request_part(&admin_ctx(T0 + DAY), a.id, "land", "经办人甲", "无关")
        .await
        .unwrap();
    assert_eq!(out, ReplyOutcome::NotRouted);
    assert_eq!(
        audit_total(s).await,
        before,
        "a refused reply writes nothing"
    );
    // Rating before every part is answered is refused.
    expect_conflict(
        s.rate_request(&admin_ctx(T0 + DAY), a.id, 5, "").await,
        "state",
    );
    let out = s
        .reply_request_part(
            &admin_ctx(T0 + DAY),
            a.id,
            "tax",
            "经办人甲",
            "可享受加计扣除",
        )
        .await
        .unwrap();
    assert_eq!(
        out,
        ReplyOutcome::Stored {
            all_answered: false
        }
    );
    let again = s
        .reply_request_part(&admin_ctx(T0 + DAY), a.id, "tax", "经办人甲", "再答一次")
        .await
        .unwrap();
    assert_eq!(again, ReplyOutcome::AlreadyAnswered);
    let mid = s.request(a.id).await.unwrap().unwrap();
    assert_eq!(mid.request.state, "open");
    assert_eq!(mid.parts.iter().filter(|p| p.reply.is_empty()).count(), 1);
    let out = s
        .reply_request_part(
            &admin_ctx(T0 + 2 * DAY),
            a.id,
            "industry",
            "经办人甲",
            "工信局配合辅导",
        )
        .await
        .unwrap();
    assert_eq!(out, ReplyOutcome::Stored { all_answered: true });
    let done = s.request(a.id).await.unwrap().unwrap();
    assert_eq!(done.request.state, "answered");
    assert_eq!(done.request.answered_at, Some(T0 + 2 * DAY));
    assert_eq!(done.request.next_due_at, None);
    let tax = done.parts.iter().find(|p| p.department == "tax").unwrap();
    assert_eq!(tax.reply, "可享受加计扣除");
    assert_eq!(tax.answered_at, Some(T0 + DAY));
    assert_eq!(tax.replied_by_name, "经办人甲");

    // Departments cannot be added once answered; the rating is once.
    expect_conflict(
        s.add_request_part(
            &ctx,
            a.id,
            NewPart {
                department: "land".into(),
                assigned_at: T0,
                due_at: T0,
            },
        )
        .await,
        "state",
    );
    s.rate_request(&admin_ctx(T0 + 3 * DAY), a.id, 4, "答复及时")
        .await
        .unwrap();
    expect_conflict(
        s.rate_request(&admin_ctx(T0 + 3 * DAY), a.id, 5, "").await,
        "state",
    );
    let rated = s.request(a.id).await.unwrap().unwrap().request;
    assert_eq!(
        (
            rated.state.as_str(),
            rated.rating,
            rated.rating_comment.as_str()
        ),
        ("rated", Some(4), "答复及时")
    );
    assert_eq!(rated.rated_at, Some(T0 + 3 * DAY));

    // A department added to an open request; twice is a conflict.
    s.add_request_part(
        &ctx,
        b.id,
        NewPart {
            department: "tax".into(),
            assigned_at: T0 + DAY,
            due_at: T0 + 8 * DAY,
        },
    )
    .await
    .unwrap();
    expect_conflict(
        s.add_request_part(
            &ctx,
            b.id,
            NewPart {
                department: "tax".into(),
                assigned_at: T0 + DAY,
                due_at: T0 + 8 * DAY,
            },
        )
        .await,
        "department",
    );
    expect_not_found(
        s.add_request_part(
            &ctx,
            Uuid::now_v7(),
            NewPart {
                department: "tax".into(),
                assigned_at: T0,
                due_at: T0,
            },
        )
        .await,
    );
    assert_eq!(s.request(b.id).await.unwrap().unwrap().parts.len(), 2);

    // Taking a need: once, and only while open.
    s.take_request(&admin_ctx(T0 + DAY), b.id, "市科技服务中心")
        .await
        .unwrap();
    expect_conflict(
        s.take_request(&admin_ctx(T0 + DAY), b.id, "另一家").await,
        "taken_by",
    );
    expect_conflict(
        s.take_request(&admin_ctx(T0 + DAY), a.id, "另一家").await,
        "state",
    );
    let taken = s.request(b.id).await.unwrap().unwrap().request;
    assert_eq!(taken.taken_by_name, "市科技服务中心");
    assert_eq!(taken.taken_at, Some(T0 + DAY));

    for action in [
        "request.route",
        "request.reply",
        "request.rate",
        "request.take",
    ] {
        assert!(!actions(s, action).await.is_empty(), "{action} audited");
    }
    assert_eq!(actions(s, "request.reply").await.len(), 2);
    assert_chain(s).await;
}

pub async fn requests_are_listed_searched_and_counted(store: Arc<dyn Store>) {
    let s = &*store;
    let one = enterprise(s, "南通甲公司", "91320600MA1REQ0002").await;
    let two = enterprise(s, "南通乙公司", "91320600MA1REQ0003").await;
    let ctx = admin_ctx(T0);
    let a = s
        .create_request(
            &ctx,
            request(
                one,
                "南通甲公司",
                "tax",
                "出口退税进度",
                T0,
                &["tax", "industry"],
            ),
        )
        .await
        .unwrap();
    let b = s
        .create_request(
            &ctx,
            request(
                one,
                "南通甲公司",
                "financing",
                "流动资金贷款",
                T0 + 1,
                &["finance"],
            ),
        )
        .await
        .unwrap();
    let c = s
        .create_request(
            &ctx,
            request(two, "南通乙公司", "talent", "技工招聘", T0 + 2, &["hr"]),
        )
        .await
        .unwrap();
    s.reply_request_part(&admin_ctx(T0 + DAY), a.id, "tax", "经办人甲", "已办理")
        .await
        .unwrap();
    s.reply_request_part(&admin_ctx(T0 + DAY), c.id, "hr", "经办人甲", "已对接")
        .await
        .unwrap();

    let ids = |q: RequestQuery| async move {
        let p = s.list_requests(&q, Page::number(1, 10)).await.unwrap();
        (p.total, p.items.iter().map(|r| r.id).collect::<Vec<_>>())
    };
    // Newest first.
    assert_eq!(
        ids(RequestQuery::default()).await,
        (3, vec![c.id, b.id, a.id])
    );
    assert_eq!(
        ids(RequestQuery {
            enterprise_id: Some(one.0),
            ..Default::default()
        })
        .await,
        (2, vec![b.id, a.id])
    );
    assert_eq!(
        ids(RequestQuery {
            department: Some("industry".into()),
            ..Default::default()
        })
        .await,
        (1, vec![a.id])
    );
    // Tax answered its part: nothing pending for tax, still for industry.
    assert_eq!(
        ids(RequestQuery {
            department: Some("tax".into()),
            pending_only: true,
            ..Default::default()
        })
        .await
        .0,
        0
    );
    assert_eq!(
        ids(RequestQuery {
            department: Some("industry".into()),
            pending_only: true,
            ..Default::default()
        })
        .await
        .0,
        1
    );
    assert_eq!(
        ids(RequestQuery {
            state: Some("answered".into()),
            ..Default::default()
        })
        .await,
        (1, vec![c.id])
    );
    assert_eq!(
        ids(RequestQuery {
            category: Some("financing".into()),
            ..Default::default()
        })
        .await,
        (1, vec![b.id])
    );
    assert_eq!(
        ids(RequestQuery {
            search: Some("退税".into()),
            ..Default::default()
        })
        .await,
        (1, vec![a.id])
    );
    assert_eq!(
        ids(RequestQuery {
            search: Some("乙公司".into()),
            ..Default::default()
        })
        .await,
        (1, vec![c.id])
    );
    assert_eq!(
        ids(RequestQuery {
            search: Some(b.number.to_lowercase()),
            ..Default::default()
        })
        .await,
        (1, vec![b.id])
    );
    assert_eq!(
        ids(RequestQuery {
            search: Some("%".into()),
            ..Default::default()
        })
        .await
        .0,
        0
    );
    s.take_request(&admin_ctx(T0 + DAY), b.id, "某银行")
        .await
        .unwrap();
    assert_eq!(
        ids(RequestQuery {
            state: Some("open".into()),
            untaken_only: true,
            ..Default::default()
        })
        .await,
        (1, vec![a.id])
    );
    let page2 = s
        .list_requests(&RequestQuery::default(), Page::number(2, 2))
        .await
        .unwrap();
    assert_eq!((page2.total, page2.items.len()), (3, 1));

    let by_cat = s.open_requests_by_category().await.unwrap();
    assert_eq!(
        by_cat,
        vec![("financing".to_owned(), 1), ("tax".to_owned(), 1)]
    );

    // The dashboards' facts: submitted in the window, oldest first.
    let fact = |at: i64, state: &str, category: &str| RequestFact {
        submitted_at: at,
        state: state.to_owned(),
        category: category.to_owned(),
    };
    assert_eq!(
        s.request_facts(T0, T0 + 3).await.unwrap(),
        vec![
            fact(T0, "open", "tax"),
            fact(T0 + 1, "open", "financing"),
            fact(T0 + 2, "answered", "talent"),
        ]
    );
    assert_eq!(
        s.request_facts(T0 + 1, T0 + 2).await.unwrap(),
        vec![fact(T0 + 1, "open", "financing")]
    );
    assert!(s.request_facts(T0 + 3, T0 + DAY).await.unwrap().is_empty());

    // Parts: overdue ones, and those assigned in a window.
    let overdue = s
        .request_parts(&PartQuery {
            pending_due_before: Some(T0 + 8 * DAY),
            ..Default::default()
        })
        .await
        .unwrap();
    let depts: Vec<&str> = overdue.iter().map(|p| p.department.as_str()).collect();
    assert_eq!(depts, ["industry", "finance"]);
    assert_eq!(overdue[0].number, a.number);
    let window = s
        .request_parts(&PartQuery {
            assigned_from: Some(T0),
            assigned_to: Some(T0 + 2),
            department: None,
            pending_due_before: None,
        })
        .await
        .unwrap();
    assert_eq!(
        window.len(),
        3,
        "the talent request falls outside the window"
    );
    let tax = s
        .request_parts(&PartQuery {
            department: Some("tax".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(tax.len(), 1);
    assert_eq!(tax[0].answered_at, Some(T0 + DAY));
    assert_eq!(tax[0].rating, None);
}

//! Labour mediation's part of the suite: a case is numbered per day, linked
//! to the enterprise registered with the code it names, and stored with its
//! first event; each change checks the state under the case's lock, adds
//! its event and is audited in its transaction (a refused change writes
//! nothing); documents keep their bytes; lists keep to a worker's or an
//! enterprise's scope and search, filter and page; the statistics count the
//! window half-open.

use std::sync::Arc;

use uuid::Uuid;
use yiwang_core::Role;

use super::{
    admin_ctx, all_audit, assert_chain, audit_total, detail, expect_conflict, expect_not_found,
    new_enterprise, new_user, public_ctx, T0,
};
use crate::mediation::{ChangeKind, MediationChange, MediationQuery, NewMediation};
use crate::{AuditCtx, Page, Store};

const DAY: i64 = 86_400_000_000;

fn ctx_of(user: Uuid, name: &str, at: i64) -> AuditCtx {
    AuditCtx {
        actor_id: Some(user),
        actor_name: name.to_owned(),
        client_addr: Some("10.0.0.9".to_owned()),
        at,
    }
}

fn case(worker: Uuid, enterprise: &str, code: Option<&str>, kind: &str) -> NewMediation {
    NewMediation {
        id: Uuid::now_v7(),
        applicant_side: "worker".to_owned(),
        applicant_id: worker,
        applicant_name: "王建军".to_owned(),
        worker_user_id: Some(worker),
        worker_name: "王建军".to_owned(),
        worker_phone: "13912345678".to_owned(),
        enterprise_id: None,
        enterprise_name: enterprise.to_owned(),
        enterprise_code: code.map(str::to_owned),
        kind: kind.to_owned(),
        facts: "三个月工资未发".to_owned(),
        claims: "支付拖欠工资".to_owned(),
        amount_claimed_fen: Some(1_860_000),
    }
}

fn change(
    id: Uuid,
    from: &[&str],
    to: &str,
    side: &str,
    text: &str,
    kind: ChangeKind,
) -> MediationChange {
    MediationChange {
        case_id: id,
        from: from.iter().map(|s| (*s).to_owned()).collect(),
        to: to.to_owned(),
        side: side.to_owned(),
        actor_name: if side == "mediator" {
            "调解员刘"
        } else {
            side
        }
        .to_owned(),
        text: text.to_owned(),
        kind,
    }
}

pub async fn mediations_move_through_their_states_and_are_audited(store: Arc<dyn Store>) {
    let s = &*store;
    let worker = s
        .register_worker(&public_ctx(T0), new_user("wangjj", "王建军", Role::Admin))
        .await
        .unwrap();
    assert_eq!(
        worker.role,
        Role::Worker,
        "a worker account is a worker's whatever it asks"
    );
    let (firm, _) = s
        .register_enterprise(
            &public_ctx(T0),
            new_enterprise("南通精工机械有限公司", "91320621MA1Q000011"),
            new_user("jinggong", "南通精工机械有限公司", Role::Bidder),
        )
        .await
        .unwrap();
    let mediator = Uuid::now_v7();
    let wctx = ctx_of(worker.id, "wangjj", T0 + 10);

    let first = s
        .submit_mediation(
            &wctx,
            case(worker.id, "精工机械", Some("91320621MA1Q000011"), "wages"),
        )
        .await
        .unwrap();
    assert_eq!(first.number, "TJ20260101-0001");
    assert_eq!(first.state, "submitted");
    assert_eq!(
        first.enterprise_id,
        Some(firm.id),
        "linked by its credit code"
    );
    let second = s
        .submit_mediation(
            &wctx,
            case(worker.id, "无账户公司", Some("91320621MA1Q000020"), "hours"),
        )
        .await
        .unwrap();
    assert_eq!(second.number, "TJ20260101-0002");
    assert_eq!(second.enterprise_id, None);
    // A new Beijing day starts the count again (T0 is 08:00 in Beijing).
    let third = s
        .submit_mediation(
            &ctx_of(worker.id, "wangjj", T0 + 16 * 3_600_000_000),
            case(worker.id, "精工机械", None, "injury"),
        )
        .await
        .unwrap();
    assert_eq!(third.number, "TJ20260102-0001");

    // Nothing may be said before acceptance: a refused change writes nothing.
    let before = audit_total(s).await;
    expect_conflict(
        s.change_mediation(
            &wctx,
            change(
                first.id,
                &["mediating"],
                "mediating",
                "worker",
                "在吗",
                ChangeKind::Message,
            ),
        )
        .await,
        "state",
    );
    assert_eq!(audit_total(s).await, before);
    expect_not_found(
        s.change_mediation(
            &wctx,
            change(
                Uuid::now_v7(),
                &["submitted"],
                "mediating",
                "mediator",
                "",
                ChangeKind::Accept { due_at: 0 },
            ),
        )
        .await,
    );

    let mctx = ctx_of(mediator, "调解员刘", T0 + DAY);
    s.change_mediation(
        &mctx,
        change(
            first.id,
            &["submitted"],
            "mediating",
            "mediator",
            "",
            ChangeKind::Accept {
                due_at: T0 + 16 * DAY,
            },
        ),
    )
    .await
    .unwrap();
    // Accepting twice is refused: the case moved on.
    expect_conflict(
        s.change_mediation(
            &mctx,
            change(
                first.id,
                &["submitted"],
                "mediating",
                "mediator",
                "",
                ChangeKind::Accept { due_at: 0 },
            ),
        )
        .await,
        "state",
    );
    let msg = s
        .change_mediation(
            &ctx_of(mediator, "调解员刘", T0 + DAY + 1),
            change(
                first.id,
                &["mediating"],
                "mediating",
                "mediator",
                "请提供工资条",
                ChangeKind::Message,
            ),
        )
        .await
        .unwrap();
    assert_eq!(msg.seq, 3);
    let meeting = s
        .change_mediation(
            &ctx_of(mediator, "调解员刘", T0 + DAY + 2),
            change(
                first.id,
                &["mediating"],
                "mediating",
                "mediator",
                "",
                ChangeKind::Meeting {
                    at: T0 + 3 * DAY,
                    mode: "in_person".to_owned(),
                    place: "李堡镇调委会".to_owned(),
                },
            ),
        )
        .await
        .unwrap();
    assert_eq!(meeting.meeting_place, "李堡镇调委会");
    let doc_id = Uuid::now_v7();
    let pdf = b"%PDF-1.4 wage slips".to_vec();
    s.change_mediation(
        &ctx_of(worker.id, "wangjj", T0 + DAY + 3),
        change(
            first.id,
            &["mediating"],
            "mediating",
            "worker",
            "工资条",
            ChangeKind::Document {
                id: doc_id,
                name: "工资条.pdf".to_owned(),
                content_type: "application/pdf".to_owned(),
                bytes: pdf.clone(),
            },
        ),
    )
    .await
    .unwrap();
    let doc = s.mediation_document(doc_id).await.unwrap().unwrap();
    assert_eq!(
        (doc.case_id, doc.name.as_str(), doc.bytes),
        (first.id, "工资条.pdf", pdf)
    );
    assert!(s
        .mediation_document(Uuid::now_v7())
        .await
        .unwrap()
        .is_none());

    s.change_mediation(
        &ctx_of(mediator, "调解员刘", T0 + 5 * DAY),
        change(
            first.id,
            &["mediating"],
            "closed",
            "mediator",
            "公司于 1 月 20 日前支付 15000 元",
            ChangeKind::Close {
                outcome: "agreed".to_owned(),
                amount_agreed_fen: Some(1_500_000),
            },
        ),
    )
    .await
    .unwrap();
    let closed = s.mediation(first.id).await.unwrap().unwrap();
    assert_eq!(closed.state, "closed");
    assert_eq!(closed.outcome.as_deref(), Some("agreed"));
    assert_eq!(closed.amount_agreed_fen, Some(1_500_000));
    assert_eq!(closed.mediator_id, Some(mediator));
    assert_eq!(closed.mediator_name, "调解员刘");
    assert_eq!(closed.accepted_at, Some(T0 + DAY));
    assert_eq!(closed.due_at, Some(T0 + 16 * DAY));
    assert_eq!(closed.closed_at, Some(T0 + 5 * DAY));

    let events = s.mediation_events(first.id).await.unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "submitted",
            "accepted",
            "message",
            "meeting",
            "document",
            "outcome"
        ]
    );
    assert_eq!(events[4].document_name, "工资条.pdf");
    assert_eq!(events[4].document_id, Some(doc_id));
    assert_eq!(events[5].text, "公司于 1 月 20 日前支付 15000 元");

    // Refused with a reason; withdrawn by the applicant before acceptance.
    s.change_mediation(
        &mctx,
        change(
            second.id,
            &["submitted"],
            "refused",
            "mediator",
            "已向法院起诉，不属调解范围",
            ChangeKind::Refuse,
        ),
    )
    .await
    .unwrap();
    let refused = s.mediation(second.id).await.unwrap().unwrap();
    assert_eq!(refused.refusal_reason, "已向法院起诉，不属调解范围");
    assert_eq!(refused.closed_at, Some(T0 + DAY));
    s.change_mediation(
        &wctx,
        change(
            third.id,
            &["submitted", "mediating"],
            "closed",
            "worker",
            "已与公司协商解决",
            ChangeKind::Close {
                outcome: "withdrawn".to_owned(),
                amount_agreed_fen: None,
            },
        ),
    )
    .await
    .unwrap();

    let records = assert_chain(s).await;
    let actions: Vec<&str> = records
        .iter()
        .filter(|r| r.action.starts_with("mediation.") || r.action == "account.register_worker")
        .map(|r| r.action.as_str())
        .collect();
    assert_eq!(
        actions,
        [
            "account.register_worker",
            "mediation.submit",
            "mediation.submit",
            "mediation.submit",
            "mediation.accept",
            "mediation.message",
            "mediation.meeting",
            "mediation.document",
            "mediation.outcome",
            "mediation.refuse",
            "mediation.withdraw",
        ]
    );
    for r in records
        .iter()
        .filter(|r| r.action.starts_with("mediation."))
    {
        assert!(
            !r.detail.contains("13912345678"),
            "no phone in {}",
            r.action
        );
        assert!(!r.detail.contains("工资条"), "nothing said in {}", r.action);
    }
    let outcome = records
        .iter()
        .find(|r| r.action == "mediation.outcome")
        .unwrap();
    assert_eq!(detail(outcome)["amount_agreed_fen"], 1_500_000);
    assert_eq!(detail(outcome)["from"], "mediating");
    let all = all_audit(s).await;
    assert_eq!(all.len(), records.len());
    let _ = admin_ctx(T0);
}

pub async fn mediations_are_scoped_searched_and_counted(store: Arc<dyn Store>) {
    let s = &*store;
    let a = s
        .register_worker(&public_ctx(T0), new_user("worker-a", "甲", Role::Worker))
        .await
        .unwrap();
    let b = s
        .register_worker(&public_ctx(T0), new_user("worker-b", "乙", Role::Worker))
        .await
        .unwrap();
    let (firm, firm_user) = s
        .register_enterprise(
            &public_ctx(T0),
            new_enterprise("南通通州建筑劳务有限公司", "91320612MA1P000019"),
            new_user("laowu", "南通通州建筑劳务有限公司", Role::Bidder),
        )
        .await
        .unwrap();
    // Two of a's, one of b's naming the firm, one the firm brought itself.
    let mut ids = Vec::new();
    for (who, at, kind, code) in [
        (a.id, T0, "wages", Some("91320612MA1P000019")),
        (a.id, T0 + 40 * DAY, "contract", None),
        (b.id, T0 + 41 * DAY, "wages", Some("91320612MA1P000019")),
    ] {
        let mut c = case(who, "通州建筑劳务", code, kind);
        c.worker_name = if who == a.id { "甲某" } else { "乙某" }.to_owned();
        let m = s.submit_mediation(&ctx_of(who, "w", at), c).await.unwrap();
        ids.push(m.id);
    }
    let own = NewMediation {
        applicant_side: "enterprise".to_owned(),
        applicant_id: firm_user.id,
        worker_user_id: None,
        enterprise_id: Some(firm.id),
        worker_name: "丙某".to_owned(),
        ..case(firm_user.id, "南通通州建筑劳务有限公司", None, "dismissal")
    };
    let own = s
        .submit_mediation(&ctx_of(firm_user.id, "laowu", T0 + 42 * DAY), own)
        .await
        .unwrap();
    assert_eq!(own.worker_user_id, None);

    let page = Page::number(1, 10);
    let mine = s
        .mediations(
            &MediationQuery {
                worker_user_id: Some(a.id),
                ..Default::default()
            },
            page,
        )
        .await
        .unwrap();
    assert_eq!(mine.total, 2);
    assert_eq!(mine.items[0].id, ids[1], "newest first");
    let firms = s
        .mediations(
            &MediationQuery {
                enterprise_id: Some(firm.id),
                ..Default::default()
            },
            page,
        )
        .await
        .unwrap();
    let mut got: Vec<Uuid> = firms.items.iter().map(|m| m.id).collect();
    got.sort();
    let mut want = vec![ids[0], ids[2], own.id];
    want.sort();
    assert_eq!(got, want);
    let found = s
        .mediations(
            &MediationQuery {
                search: Some("乙某".into()),
                ..Default::default()
            },
            page,
        )
        .await
        .unwrap();
    assert_eq!(
        found.items.iter().map(|m| m.id).collect::<Vec<_>>(),
        [ids[2]]
    );
    let by_number = s
        .mediations(
            &MediationQuery {
                search: Some("tj2026".into()),
                kind: Some("wages".into()),
                ..Default::default()
            },
            page,
        )
        .await
        .unwrap();
    assert_eq!(by_number.total, 2);
    let paged = s
        .mediations(&MediationQuery::default(), Page::number(2, 3))
        .await
        .unwrap();
    assert_eq!((paged.total, paged.items.len()), (4, 1));

    // One accepted (due after 15 days), one agreed: overdue is judged at a moment.
    let m = Uuid::now_v7();
    let mctx = ctx_of(m, "调解员", T0 + 41 * DAY);
    s.change_mediation(
        &mctx,
        change(
            ids[1],
            &["submitted"],
            "mediating",
            "mediator",
            "",
            ChangeKind::Accept {
                due_at: T0 + 56 * DAY,
            },
        ),
    )
    .await
    .unwrap();
    s.change_mediation(
        &mctx,
        change(
            ids[0],
            &["submitted"],
            "mediating",
            "mediator",
            "",
            ChangeKind::Accept {
                due_at: T0 + 56 * DAY,
            },
        ),
    )
    .await
    .unwrap();
    s.change_mediation(
        &ctx_of(m, "调解员", T0 + 45 * DAY),
        change(
            ids[0],
            &["mediating"],
            "closed",
            "mediator",
            "协议",
            ChangeKind::Close {
                outcome: "agreed".into(),
                amount_agreed_fen: Some(300_000),
            },
        ),
    )
    .await
    .unwrap();
    for (at, want) in [(T0 + 56 * DAY - 1, 0), (T0 + 56 * DAY, 1)] {
        let overdue = s
            .mediations(
                &MediationQuery {
                    overdue_at: Some(at),
                    ..Default::default()
                },
                page,
            )
            .await
            .unwrap();
        assert_eq!(overdue.total, want, "overdue at {at}");
    }
    let state = s
        .mediations(
            &MediationQuery {
                state: Some("closed".into()),
                ..Default::default()
            },
            page,
        )
        .await
        .unwrap();
    assert_eq!(
        state.items.iter().map(|m| m.id).collect::<Vec<_>>(),
        [ids[0]]
    );

    // The window is half-open: the first case is at T0 exactly.
    let stats = s.mediation_stats(T0, T0 + 42 * DAY).await.unwrap();
    assert_eq!(stats.total, 3);
    assert_eq!(stats.by_kind["wages"], 2);
    assert_eq!(stats.by_state["mediating"], 1);
    assert_eq!(stats.by_outcome["agreed"], 1);
    assert_eq!(stats.amount_agreed_fen, 300_000);
    assert_eq!(stats.mediated, 1);
    assert_eq!(stats.average_days, Some(4.0));
    let months: Vec<(&str, u64)> = stats
        .by_month
        .iter()
        .map(|m| (m.month.as_str(), m.submitted))
        .collect();
    assert_eq!(months, [("2026-01", 1), ("2026-02", 2)]);
    assert_eq!(
        s.mediation_stats(T0 + 1, T0 + 42 * DAY + 1)
            .await
            .unwrap()
            .total,
        3
    );
    assert_eq!(
        s.mediation_stats(T0 + 42 * DAY + 1, T0 + 99 * DAY)
            .await
            .unwrap()
            .total,
        0
    );
}

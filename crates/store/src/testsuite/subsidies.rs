//! Subsidies' part of the suite: apprentices registered once per
//! enterprise, claims submitted with their lines, one line per person and
//! year across enterprises unless refused, lines decided once, the claim
//! decided with its last line, the payment list of a year, and every write
//! audited without ID numbers.

use std::sync::Arc;

use uuid::Uuid;

use super::{
    admin_ctx, assert_chain, detail, expect_conflict, expect_not_found, new_enterprise, new_user,
    T0,
};
use crate::subsidies::{
    ApprenticeQuery, Certificate, ClaimQuery, LineDecision, NewApprentice, NewClaim, NewClaimLine,
};
use crate::{AuditQuery, Page, Store};
use yiwang_core::Role;

const ID_A: &str = "320612199001011232";
const ID_B: &str = "320683195005050017";
const DAY: i64 = 86_400_000_000;

async fn enterprise(store: &dyn Store, name: &str, code: &str, user: &str) -> Uuid {
    store
        .register_enterprise(
            &admin_ctx(T0),
            new_enterprise(name, code),
            new_user(user, user, Role::Bidder),
        )
        .await
        .unwrap()
        .0
        .id
}

fn apprentice(enterprise_id: Uuid, name: &str, id_number: &str, level: &str) -> NewApprentice {
    NewApprentice {
        id: Uuid::now_v7(),
        enterprise_id,
        name: name.to_owned(),
        id_number: id_number.to_owned(),
        intake: "new_hire".to_owned(),
        level: level.to_owned(),
        certificate_no: "S2025320600001".to_owned(),
        certificate_date: Some(T0 - 30 * DAY),
        start_date: T0 - 300 * DAY,
    }
}

fn line(apprentice_id: Uuid, level: &str, amount_fen: i64) -> NewClaimLine {
    NewClaimLine {
        apprentice_id,
        level: level.to_owned(),
        amount_fen,
    }
}

pub async fn subsidies_are_claimed_once_a_year_and_decided_per_line(store: Arc<dyn Store>) {
    let s = &*store;
    let ctx = admin_ctx(T0);
    let e1 = enterprise(s, "李堡机械有限公司", "91320600000000001A", "libao").await;
    let e2 = enterprise(s, "海安纺织有限公司", "91320600000000002B", "haian").await;
    expect_not_found(
        s.register_apprentice(&ctx, apprentice(Uuid::now_v7(), "无主", ID_A, "advanced"))
            .await,
    );
    let a = s
        .register_apprentice(&ctx, apprentice(e1, "王小明", ID_A, "intermediate"))
        .await
        .unwrap();
    assert_eq!(a.enterprise_name, "李堡机械有限公司");
    assert_eq!(a.id_number, ID_A);
    let mut no_cert = apprentice(e1, "赵丽", ID_B, "advanced");
    no_cert.certificate_no = String::new();
    no_cert.certificate_date = None;
    let b = s.register_apprentice(&ctx, no_cert).await.unwrap();
    expect_conflict(
        s.register_apprentice(&ctx, apprentice(e1, "王小明", ID_A, "advanced"))
            .await,
        "id_number",
    );
    // The same person at another enterprise (a transfer) registers there.
    let a2 = s
        .register_apprentice(&ctx, apprentice(e2, "王小明", ID_A, "advanced"))
        .await
        .unwrap();

    let b = s
        .update_certificate(
            &admin_ctx(T0 + 1),
            b.id,
            Certificate {
                level: "technician".to_owned(),
                certificate_no: "J2025320600009".to_owned(),
                certificate_date: Some(T0 - DAY),
            },
        )
        .await
        .unwrap();
    assert_eq!(b.level, "technician");
    assert_eq!(b.updated_at, T0 + 1);
    expect_not_found(
        s.update_certificate(
            &ctx,
            Uuid::now_v7(),
            Certificate {
                level: "advanced".to_owned(),
                certificate_no: String::new(),
                certificate_date: None,
            },
        )
        .await,
    );

    let mine = s
        .apprentices(
            &ApprenticeQuery {
                enterprise_id: Some(e1),
                search: None,
            },
            Page::number(1, 1),
        )
        .await
        .unwrap();
    assert_eq!(mine.total, 2);
    assert_eq!(mine.items.len(), 1);
    let found = s
        .apprentices(
            &ApprenticeQuery {
                enterprise_id: None,
                search: Some(ID_A.to_owned()),
            },
            Page::number(1, 10),
        )
        .await
        .unwrap();
    assert_eq!(
        found.total, 2,
        "a whole ID number finds the person everywhere"
    );
    let found = s
        .apprentices(
            &ApprenticeQuery {
                enterprise_id: None,
                search: Some("赵".to_owned()),
            },
            Page::number(1, 10),
        )
        .await
        .unwrap();
    assert_eq!(
        found.items.iter().map(|a| a.id).collect::<Vec<_>>(),
        vec![b.id]
    );

    // A claim of another enterprise's apprentice, or of nobody, writes nothing.
    expect_not_found(
        s.submit_claim(
            &ctx,
            NewClaim {
                id: Uuid::now_v7(),
                enterprise_id: e1,
                year: 2025,
                lines: vec![line(a2.id, "advanced", 600_000)],
            },
        )
        .await,
    );
    expect_conflict(
        s.submit_claim(
            &ctx,
            NewClaim {
                id: Uuid::now_v7(),
                enterprise_id: e1,
                year: 2025,
                lines: vec![],
            },
        )
        .await,
        "lines",
    );
    let claim_id = Uuid::now_v7();
    let claim = s
        .submit_claim(
            &admin_ctx(T0 + 2),
            NewClaim {
                id: claim_id,
                enterprise_id: e1,
                year: 2025,
                lines: vec![
                    line(a.id, "intermediate", 400_000),
                    line(b.id, "technician", 800_000),
                ],
            },
        )
        .await
        .unwrap();
    assert_eq!(claim.status, "submitted");
    assert_eq!(
        (claim.lines, claim.claimed_fen, claim.approved_fen),
        (2, 1_200_000, 0)
    );
    assert_eq!(claim.credit_code, "91320600000000001A");

    // The same person, claimed by the other enterprise for the same year.
    let dup = Uuid::now_v7();
    expect_conflict(
        s.submit_claim(
            &ctx,
            NewClaim {
                id: dup,
                enterprise_id: e2,
                year: 2025,
                lines: vec![line(a2.id, "advanced", 600_000)],
            },
        )
        .await,
        "person_year",
    );
    assert!(s.claim(dup).await.unwrap().is_none(), "nothing was written");
    assert_eq!(
        s.claimed_people(2025, &[ID_A.to_owned(), ID_B.to_owned()], None)
            .await
            .unwrap(),
        vec![ID_A.to_owned(), ID_B.to_owned()]
    );
    assert!(s
        .claimed_people(2025, &[ID_A.to_owned()], Some(claim_id))
        .await
        .unwrap()
        .is_empty());
    assert!(s
        .claimed_people(2024, &[ID_A.to_owned()], None)
        .await
        .unwrap()
        .is_empty());
    // Another year is another claim.
    s.submit_claim(
        &ctx,
        NewClaim {
            id: Uuid::now_v7(),
            enterprise_id: e2,
            year: 2024,
            lines: vec![line(a2.id, "advanced", 600_000)],
        },
    )
    .await
    .unwrap();

    // Decisions: a refusal needs a reason, a line is decided once.
    let decide = |apprentice_id: Uuid, status: &str, reason: &str| LineDecision {
        claim_id,
        apprentice_id,
        status: status.to_owned(),
        reason: reason.to_owned(),
    };
    expect_conflict(
        s.decide_line(&ctx, decide(b.id, "refused", " ")).await,
        "reason",
    );
    let after = s
        .decide_line(
            &admin_ctx(T0 + 3),
            decide(b.id, "refused", "证书与申报岗位不符"),
        )
        .await
        .unwrap();
    assert_eq!(after.status, "submitted", "a line is still pending");
    expect_conflict(
        s.decide_line(&ctx, decide(b.id, "approved", "")).await,
        "status",
    );
    expect_not_found(s.decide_line(&ctx, decide(a2.id, "approved", "")).await);
    let after = s
        .decide_line(&admin_ctx(T0 + 4), decide(a.id, "approved", ""))
        .await
        .unwrap();
    assert_eq!(after.status, "decided");
    assert_eq!(after.decided_at, Some(T0 + 4));
    assert_eq!(after.approved_fen, 400_000);
    let (_, lines) = s.claim(claim_id).await.unwrap().unwrap();
    let refused = lines.iter().find(|l| l.apprentice_id == b.id).unwrap();
    assert_eq!(
        (refused.status.as_str(), refused.reason.as_str()),
        ("refused", "证书与申报岗位不符")
    );
    assert_eq!(refused.decided_by, "admin");

    // A refused line frees the person for the year.
    assert!(s
        .claimed_people(2025, &[ID_B.to_owned()], None)
        .await
        .unwrap()
        .is_empty());
    s.submit_claim(
        &ctx,
        NewClaim {
            id: Uuid::now_v7(),
            enterprise_id: e1,
            year: 2025,
            lines: vec![line(b.id, "technician", 800_000)],
        },
    )
    .await
    .unwrap();

    let listed = s
        .claims(
            &ClaimQuery {
                year: Some(2025),
                ..ClaimQuery::default()
            },
            Page::number(1, 10),
        )
        .await
        .unwrap();
    assert_eq!(listed.total, 2);
    let decided = s
        .claims(
            &ClaimQuery {
                status: Some("decided".to_owned()),
                search: Some("李堡".to_owned()),
                ..ClaimQuery::default()
            },
            Page::number(1, 10),
        )
        .await
        .unwrap();
    assert_eq!(
        decided.items.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![claim_id]
    );

    let paid = s.payment_list(2025).await.unwrap();
    assert_eq!(paid.len(), 1);
    assert_eq!(
        (
            paid[0].name.as_str(),
            paid[0].id_number.as_str(),
            paid[0].amount_fen
        ),
        ("王小明", ID_A, 400_000)
    );
    assert!(s.payment_list(2024).await.unwrap().is_empty());

    // The dashboards' facts: every line of the year's claims, by the
    // claim's submission.
    let facts = s.subsidy_facts(2025).await.unwrap();
    let mut seen: Vec<(i64, &str, &str, i64)> = facts
        .iter()
        .map(|f| {
            (
                f.submitted_at,
                f.level.as_str(),
                f.status.as_str(),
                f.amount_fen,
            )
        })
        .collect();
    assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0), "oldest first");
    seen.sort();
    assert_eq!(
        seen,
        vec![
            (T0, "technician", "pending", 800_000),
            (T0 + 2, "intermediate", "approved", 400_000),
            (T0 + 2, "technician", "refused", 800_000),
        ]
    );
    assert_eq!(s.subsidy_facts(2024).await.unwrap().len(), 1);
    assert!(s.subsidy_facts(2023).await.unwrap().is_empty());

    let records = s
        .audit_query(
            &AuditQuery {
                action: Some("subsidy.".to_owned()),
                ..AuditQuery::default()
            },
            Page::number(1, 50),
        )
        .await
        .unwrap();
    assert_eq!(records.total, 5, "three claims and two decisions");
    let chain = assert_chain(s).await;
    for r in &chain {
        assert!(
            !r.detail.contains(ID_A) && !r.detail.contains(ID_B),
            "{}",
            r.detail
        );
    }
    let refusal = chain
        .iter()
        .find(|r| r.action == "subsidy.decide" && detail(r)["status"] == "refused")
        .unwrap();
    assert_eq!(detail(refusal)["reason"], "证书与申报岗位不符");
}

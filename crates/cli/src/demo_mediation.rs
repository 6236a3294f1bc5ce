//! Demo labour mediation (不见面维权): a worker account (`zhigong`), a
//! mediator of the town's labour dispute mediation committee (`tiaojie`,
//! service staff), and a year of cases of the size the seed reports for
//! Libao town (a union that handled 8 labour disputes in nine months and
//! gave 4 workers legal aid): 14 cases in every state — waiting for
//! acceptance, being mediated (one past its fifteen days), refused, and
//! closed with each outcome — with their messages and meetings, against the
//! demo's manufacturers.
//!
//! Everything follows from the clock's now and the case's index; the cases
//! go through the same store calls the pages use, each audited. Loading is
//! idempotent: a database with cases is left as it is.

use uuid::Uuid;
use yiwang_core::{Role, Timestamp};
use yiwang_store::mediation::{ChangeKind, MediationChange, MediationQuery, NewMediation};
use yiwang_store::{AuditCtx, NewUser, Page, StoreError};
use yiwang_web::AppState;

use crate::demo::Login;

/// The demo worker's login.
pub const WORKER_USERNAME: &str = "zhigong";
const WORKER_NAME: &str = "王建军";
const WORKER_PHONE: &str = "13962771234";
/// The demo mediator's login.
pub const MEDIATOR_USERNAME: &str = "tiaojie";
const MEDIATOR_NAME: &str = "陈红梅（李堡镇劳动争议调解委员会）";

const HOUR: i64 = 3_600_000_000;
const DAY: i64 = 24 * HOUR;

/// Cases loaded.
pub const CASES: usize = 14;

/// How a demo case ends up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Submitted,
    Mediating,
    Refused,
    Closed(&'static str),
}

/// One demo case: days before now it was submitted, who applied (the
/// demo worker, another worker, or the enterprise), its kind, the
/// worker, the facts, the claims, the amount claimed and agreed (yuan),
/// how it ends, and the days from acceptance to its end.
struct Case {
    days_ago: i64,
    by: By,
    kind: &'static str,
    worker: (&'static str, &'static str),
    facts: &'static str,
    claims: &'static str,
    claimed: Option<i64>,
    agreed: Option<i64>,
    end: End,
    took_days: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum By {
    DemoWorker,
    OtherWorker,
    Enterprise,
}

const CASE_LIST: [Case; CASES] = [
    Case {
        days_ago: 345,
        by: By::DemoWorker,
        kind: "wages",
        worker: (WORKER_NAME, WORKER_PHONE),
        facts:
            "2025 年 10 月至 12 月在车间任数控操作工，三个月工资共 18600 元未发放，多次催要无果。",
        claims: "支付拖欠的三个月工资 18600 元。",
        claimed: Some(18_600),
        agreed: Some(18_600),
        end: End::Closed("agreed"),
        took_days: 6,
    },
    Case {
        days_ago: 318,
        by: By::OtherWorker,
        kind: "dismissal",
        worker: ("李秀英", "13812345601"),
        facts: "在公司工作四年，春节后公司以订单减少为由口头通知解除劳动合同，未支付经济补偿。",
        claims: "支付解除劳动合同经济补偿金四个月工资。",
        claimed: Some(24_000),
        agreed: Some(20_000),
        end: End::Closed("agreed"),
        took_days: 9,
    },
    Case {
        days_ago: 290,
        by: By::OtherWorker,
        kind: "insurance",
        worker: ("周国庆", "13812345602"),
        facts: "入职两年公司一直未缴纳社会保险，现因病住院无法报销。",
        claims: "补缴社会保险，赔偿医疗费损失。",
        claimed: Some(35_000),
        agreed: None,
        end: End::Closed("legal_aid"),
        took_days: 7,
    },
    Case {
        days_ago: 262,
        by: By::OtherWorker,
        kind: "injury",
        worker: ("钱海峰", "13812345603"),
        facts:
            "在冲压岗位作业时右手受伤，已认定工伤，公司对停工留薪期工资和一次性伤残补助金有异议。",
        claims: "支付停工留薪期工资和一次性伤残补助金。",
        claimed: Some(96_000),
        agreed: None,
        end: End::Closed("arbitration"),
        took_days: 15,
    },
    Case {
        days_ago: 230,
        by: By::OtherWorker,
        kind: "hours",
        worker: ("孙丽娟", "13812345604"),
        facts: "旺季连续两个月每周工作六天，每天加班三小时，加班费未按规定计发。",
        claims: "补发加班工资。",
        claimed: Some(6_800),
        agreed: Some(5_200),
        end: End::Closed("agreed"),
        took_days: 4,
    },
    Case {
        days_ago: 198,
        by: By::DemoWorker,
        kind: "contract",
        worker: (WORKER_NAME, WORKER_PHONE),
        facts: "入职满三个月公司仍未签订书面劳动合同。",
        claims: "签订书面劳动合同。",
        claimed: None,
        agreed: None,
        end: End::Closed("withdrawn"),
        took_days: 3,
    },
    Case {
        days_ago: 170,
        by: By::OtherWorker,
        kind: "wages",
        worker: ("吴志刚", "13812345605"),
        facts: "劳务分包班组解散后，最后两个月工资未结清，公司称应由班组长支付。",
        claims: "支付拖欠工资 9400 元。",
        claimed: Some(9_400),
        agreed: None,
        end: End::Closed("failed"),
        took_days: 15,
    },
    Case {
        days_ago: 140,
        by: By::OtherWorker,
        kind: "other",
        worker: ("郑晓东", "13812345606"),
        facts: "与公司就竞业限制补偿发生争议。",
        claims: "支付竞业限制补偿。",
        claimed: Some(12_000),
        agreed: None,
        end: End::Refused,
        took_days: 0,
    },
    Case {
        days_ago: 104,
        by: By::Enterprise,
        kind: "dismissal",
        worker: ("冯建平", "13812345607"),
        facts:
            "职工严重违反劳动纪律，公司依规章制度解除劳动合同，职工要求支付赔偿金，公司申请调解。",
        claims: "确认解除劳动合同合法，协商办理离职手续。",
        claimed: None,
        agreed: Some(3_000),
        end: End::Closed("agreed"),
        took_days: 8,
    },
    Case {
        days_ago: 72,
        by: By::OtherWorker,
        kind: "wages",
        worker: ("陈美华", "13812345608"),
        facts: "八月份绩效工资被无故扣发 2100 元。",
        claims: "补发被扣绩效工资。",
        claimed: Some(2_100),
        agreed: Some(2_100),
        end: End::Closed("agreed"),
        took_days: 5,
    },
    Case {
        days_ago: 40,
        by: By::DemoWorker,
        kind: "wages",
        worker: (WORKER_NAME, WORKER_PHONE),
        facts: "九月至十月的夜班津贴共 3200 元未发放。",
        claims: "支付夜班津贴 3200 元。",
        claimed: Some(3_200),
        agreed: None,
        end: End::Mediating,
        took_days: 0,
    },
    Case {
        days_ago: 9,
        by: By::OtherWorker,
        kind: "hours",
        worker: ("褚春燕", "13812345609"),
        facts: "公司安排国庆节期间上班三天，未安排补休也未支付三倍工资。",
        claims: "支付法定节假日加班工资。",
        claimed: Some(1_650),
        agreed: None,
        end: End::Mediating,
        took_days: 0,
    },
    Case {
        days_ago: 3,
        by: By::OtherWorker,
        kind: "insurance",
        worker: ("卫红兵", "13812345610"),
        facts: "公司按最低基数缴纳社会保险，与实际工资不符。",
        claims: "按实际工资补缴社会保险费。",
        claimed: None,
        agreed: None,
        end: End::Submitted,
        took_days: 0,
    },
    Case {
        days_ago: 1,
        by: By::DemoWorker,
        kind: "hours",
        worker: (WORKER_NAME, WORKER_PHONE),
        facts: "十一月每周六被安排上班，未安排补休也未支付加班费。",
        claims: "支付十一月休息日加班工资。",
        claimed: Some(2_480),
        agreed: None,
        end: End::Submitted,
        took_days: 0,
    },
];

/// The enterprises named, by demo username, cycled.
const ENTERPRISES: &[&str] = &["firm1", "firm2", "firm3", "qiye"];

fn ctx(actor: Uuid, name: &str, at: i64) -> AuditCtx {
    AuditCtx {
        actor_id: Some(actor),
        actor_name: name.to_owned(),
        client_addr: None,
        at,
    }
}

async fn account(
    app: &AppState,
    user: NewUser,
    worker: bool,
) -> anyhow::Result<Option<yiwang_store::User>> {
    let ctx = AuditCtx::system("demo", app.clock.now().micros());
    let username = user.username.clone();
    let made = if worker {
        app.store.register_worker(&ctx, user).await
    } else {
        app.store.create_staff(&ctx, user).await
    };
    match made {
        Ok(_) | Err(StoreError::Conflict { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(app.store.credentials(&username).await?.map(|c| c.user))
}

/// Loads the demo worker, the mediator and the cases; returns the two
/// logins.
pub async fn load(app: &AppState, password_hash: &str) -> anyhow::Result<Vec<Login>> {
    let store = &*app.store;
    let now = app.clock.now().micros();
    let new = |username: &str, name: &str, role: Role, phone: &str| NewUser {
        username: username.to_owned(),
        display_name: name.to_owned(),
        role,
        phone: Some(phone.to_owned()),
        password_hash: password_hash.to_owned(),
    };
    let worker = account(
        app,
        new(WORKER_USERNAME, WORKER_NAME, Role::Worker, WORKER_PHONE),
        true,
    )
    .await?;
    let mediator = account(
        app,
        new(
            MEDIATOR_USERNAME,
            MEDIATOR_NAME,
            Role::ServiceStaff,
            "0513-88511234",
        ),
        false,
    )
    .await?;
    let logins = vec![
        Login {
            username: WORKER_USERNAME,
            role: Role::Worker,
            name: WORKER_NAME.to_owned(),
            other_department: false,
        },
        Login {
            username: MEDIATOR_USERNAME,
            role: Role::ServiceStaff,
            name: MEDIATOR_NAME.to_owned(),
            other_department: false,
        },
    ];
    let (Some(worker), Some(mediator)) = (worker, mediator) else {
        return Ok(logins);
    };
    let existing = store
        .mediations(&MediationQuery::default(), Page::number(1, 1))
        .await?;
    if existing.total > 0 {
        return Ok(logins);
    }
    let mut firms = Vec::new();
    for username in ENTERPRISES {
        let Some(c) = store.credentials(username).await? else {
            continue;
        };
        let Some(e) = c.user.enterprise_id else {
            continue;
        };
        if let Some(e) = store.enterprise(e).await? {
            firms.push((c.user, e));
        }
    }
    if firms.is_empty() {
        return Ok(logins);
    }
    let rules = &app.mediation;
    for (i, c) in CASE_LIST.iter().enumerate() {
        let (firm_user, firm) = &firms[i % firms.len()];
        // In office hours of the day, `days_ago` days back.
        let day = Timestamp::from_micros(now - c.days_ago * DAY).shanghai_date();
        let at = Timestamp::from_shanghai(day, 9 + (i % 6) as u8, (i * 13 % 60) as u8, 0).micros();
        if at >= now {
            continue;
        }
        let applicant = match c.by {
            By::DemoWorker => Some(worker.clone()),
            By::OtherWorker => {
                account(
                    app,
                    new(
                        &format!("worker-{:02}", i + 1),
                        c.worker.0,
                        Role::Worker,
                        c.worker.1,
                    ),
                    true,
                )
                .await?
            }
            By::Enterprise => None,
        };
        let (side, applicant_id, applicant_name) = match &applicant {
            Some(u) => ("worker", u.id, u.display_name.clone()),
            None => ("enterprise", firm_user.id, firm.name.clone()),
        };
        let id = Uuid::now_v7();
        store
            .submit_mediation(
                &ctx(applicant_id, "demo", at),
                NewMediation {
                    id,
                    applicant_side: side.to_owned(),
                    applicant_id,
                    applicant_name: applicant_name.clone(),
                    worker_user_id: applicant.as_ref().map(|u| u.id),
                    worker_name: c.worker.0.to_owned(),
                    worker_phone: c.worker.1.to_owned(),
                    enterprise_id: Some(firm.id),
                    enterprise_name: firm.name.clone(),
                    enterprise_code: Some(firm.credit_code.clone()),
                    kind: c.kind.to_owned(),
                    facts: c.facts.to_owned(),
                    claims: c.claims.to_owned(),
                    amount_claimed_fen: c.claimed.map(|y| y * 100),
                },
            )
            .await?;
        let change =
            |from: &str, to: &str, side: &str, name: &str, text: &str, kind| MediationChange {
                case_id: id,
                from: vec![from.to_owned()],
                to: to.to_owned(),
                side: side.to_owned(),
                actor_name: name.to_owned(),
                text: text.to_owned(),
                kind,
            };
        let m = |t: i64| ctx(mediator.id, MEDIATOR_USERNAME, t);
        if c.end == End::Submitted {
            continue;
        }
        let decided = at + DAY / 2;
        if c.end == End::Refused {
            store
                .change_mediation(
                    &m(decided),
                    change(
                        "submitted",
                        "refused",
                        "mediator",
                        MEDIATOR_NAME,
                        "该争议已向人民法院起诉，依法不属于调解委员会受理范围，请关注法院审理进展。",
                        ChangeKind::Refuse,
                    ),
                )
                .await?;
            continue;
        }
        // Accepted half a day after, except the overdue one: accepted 30
        // days ago, its fifteen days have run out.
        let accepted = if c.days_ago == 40 {
            now - 30 * DAY
        } else {
            decided
        };
        let due_at = rules.due_at(Timestamp::from_micros(accepted)).micros();
        store
            .change_mediation(
                &m(accepted),
                change(
                    "submitted",
                    "mediating",
                    "mediator",
                    MEDIATOR_NAME,
                    "",
                    ChangeKind::Accept { due_at },
                ),
            )
            .await?;
        let say = [
            (
                accepted + 2 * HOUR,
                "mediator",
                mediator.id,
                MEDIATOR_NAME.to_owned(),
                "已受理。请双方在三日内上传工资发放记录、考勤等材料，我们将电话联系双方了解情况。",
            ),
            (
                accepted + DAY,
                "enterprise",
                firm_user.id,
                firm.name.clone(),
                "公司已收到通知，愿意配合调解，材料正在整理。",
            ),
        ];
        for (t, side, actor, name, text) in say {
            if t >= now {
                continue;
            }
            store
                .change_mediation(
                    &ctx(actor, "demo", t),
                    change(
                        "mediating",
                        "mediating",
                        side,
                        &name,
                        text,
                        ChangeKind::Message,
                    ),
                )
                .await?;
        }
        let meeting_at = accepted + 3 * DAY + HOUR;
        if accepted + DAY + HOUR < now {
            let (mode, place) = if i % 2 == 0 {
                ("in_person", "李堡镇职工服务中心二楼调解室")
            } else {
                ("online", "线上视频调解，会议号由调解员短信告知")
            };
            store
                .change_mediation(
                    &m(accepted + DAY + HOUR),
                    change(
                        "mediating",
                        "mediating",
                        "mediator",
                        MEDIATOR_NAME,
                        "",
                        ChangeKind::Meeting {
                            at: Timestamp::from_micros(meeting_at).micros(),
                            mode: mode.to_owned(),
                            place: place.to_owned(),
                        },
                    ),
                )
                .await?;
        }
        let End::Closed(outcome) = c.end else {
            continue;
        };
        let ended = accepted + c.took_days * DAY - 2 * HOUR;
        let (side, actor, name, text) = match outcome {
            "agreed" => (
                "mediator",
                mediator.id,
                MEDIATOR_NAME.to_owned(),
                format!(
                    "经调解，双方自愿达成如下协议：{}于协议签订之日起十日内一次性支付{} {} 元，双方再无其他劳动争议。",
                    firm.name,
                    c.worker.0,
                    c.agreed.unwrap_or(0)
                ),
            ),
            "withdrawn" => (
                "worker",
                applicant_id,
                applicant_name.clone(),
                "公司已与我签订劳动合同，撤回调解申请。".to_owned(),
            ),
            "arbitration" => (
                "mediator",
                mediator.id,
                MEDIATOR_NAME.to_owned(),
                "双方对伤残补助金计算基数分歧较大，十五日内未达成协议，已告知申请人可向劳动人事争议仲裁委员会申请仲裁，并告知仲裁时效。".to_owned(),
            ),
            "legal_aid" => (
                "mediator",
                mediator.id,
                MEDIATOR_NAME.to_owned(),
                "案情涉及社会保险补缴和医疗费赔偿，已转镇职工法律援助站，由援助律师代理后续仲裁。".to_owned(),
            ),
            _ => (
                "mediator",
                mediator.id,
                MEDIATOR_NAME.to_owned(),
                "用人单位不同意支付，调解不成。已告知申请人可申请劳动仲裁。".to_owned(),
            ),
        };
        store
            .change_mediation(
                &ctx(actor, "demo", ended),
                change(
                    "mediating",
                    "closed",
                    side,
                    &name,
                    &text,
                    ChangeKind::Close {
                        outcome: outcome.to_owned(),
                        amount_agreed_fen: c
                            .agreed
                            .filter(|_| outcome == "agreed")
                            .map(|y| y * 100),
                    },
                ),
            )
            .await?;
    }
    Ok(logins)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use yiwang_core::ManualClock;
    use yiwang_services::mediation::{MediationState, Standing};
    use yiwang_store::NewEnterprise;
    use yiwang_web::Config;

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_demo_has_a_year_of_cases_in_every_state_and_loads_once() {
        let (store, _dir) = yiwang_store_sqlite::testing::fresh().await;
        let mut config = Config::default();
        config.auth.argon2_memory_kib = 64;
        config.auth.argon2_iterations = 1;
        // 2026-11-26 10:00 in Shanghai.
        let clock = ManualClock::new(Timestamp::from_micros(1_795_658_400_000_000));
        let app = AppState::new(Arc::new(store), config, Arc::new(clock)).unwrap();
        let ctx = AuditCtx::system("test", app.clock.now().micros());
        app.store
            .register_enterprise(
                &ctx,
                NewEnterprise {
                    name: "海安李堡精工机械有限公司".into(),
                    credit_code: "91320621MA1Q000011".into(),
                    legal_rep: "张三".into(),
                    contact_name: "李四".into(),
                    contact_phone: "0513-88500000".into(),
                },
                NewUser {
                    username: "firm1".into(),
                    display_name: "海安李堡精工机械有限公司".into(),
                    role: Role::Bidder,
                    phone: None,
                    password_hash: "x".into(),
                },
            )
            .await
            .unwrap();
        let logins = load(&app, "x").await.unwrap();
        let names: Vec<&str> = logins.iter().map(|l| l.username).collect();
        assert_eq!(names, [WORKER_USERNAME, MEDIATOR_USERNAME]);
        let worker = app
            .store
            .credentials("zhigong")
            .await
            .unwrap()
            .unwrap()
            .user;
        assert_eq!(worker.role, Role::Worker);
        let mediator = app
            .store
            .credentials("tiaojie")
            .await
            .unwrap()
            .unwrap()
            .user;
        assert_eq!(mediator.role, Role::ServiceStaff);

        let all = app
            .store
            .mediations(&MediationQuery::default(), Page::number(1, 100))
            .await
            .unwrap();
        assert_eq!(all.total, CASES as u64);
        let now = app.clock.now();
        let count = |state: &str| all.items.iter().filter(|m| m.state == state).count();
        assert_eq!(count("submitted"), 2);
        assert_eq!(count("mediating"), 2);
        assert_eq!(count("refused"), 1);
        assert_eq!(count("closed"), 9);
        let standings: Vec<Standing> = all
            .items
            .iter()
            .filter(|m| m.state == "mediating")
            .map(|m| {
                Standing::of(
                    MediationState::Mediating,
                    m.due_at.map(Timestamp::from_micros),
                    now,
                )
            })
            .collect();
        assert!(standings.contains(&Standing::Overdue), "{standings:?}");
        assert!(standings.contains(&Standing::InTime) || standings.contains(&Standing::DueSoon));
        // Within the last year, with every outcome, about the seed's size.
        let stats = app
            .store
            .mediation_stats(now.micros() - 366 * DAY, now.micros() + 1)
            .await
            .unwrap();
        assert_eq!(stats.total, CASES as u64);
        for outcome in ["agreed", "arbitration", "legal_aid", "withdrawn", "failed"] {
            assert!(stats.by_outcome.contains_key(outcome), "{outcome}");
        }
        assert_eq!(stats.by_outcome["agreed"], 5);
        assert_eq!(
            stats.amount_agreed_fen,
            (18_600 + 20_000 + 5_200 + 2_100) * 100 + 3_000 * 100
        );
        assert!(stats.by_month.len() >= 10, "{:?}", stats.by_month);
        let days = stats.average_days.unwrap();
        assert!((3.0..=15.0).contains(&days), "{days}");
        // The demo worker follows its own four cases.
        let mine = app
            .store
            .mediations(
                &MediationQuery {
                    worker_user_id: Some(worker.id),
                    ..Default::default()
                },
                Page::number(1, 10),
            )
            .await
            .unwrap();
        assert_eq!(mine.total, 4);
        let events = app.store.mediation_events(mine.items[2].id).await.unwrap();
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds[..2], ["submitted", "accepted"]);
        assert!(
            kinds.contains(&"message") && kinds.contains(&"meeting"),
            "{kinds:?}"
        );

        // Loading again adds nothing.
        load(&app, "x").await.unwrap();
        let again = app
            .store
            .mediations(&MediationQuery::default(), Page::number(1, 1))
            .await
            .unwrap();
        assert_eq!(again.total, CASES as u64);
    }
}

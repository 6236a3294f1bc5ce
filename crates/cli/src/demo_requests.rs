//! Demo enterprise requests (政企通 诉求): a manufacturing enterprise
//! account (`qiye`), and three dozen requests of the last two months from
//! it and the demo bidders, in every state: answered on time and late,
//! rated and waiting for a rating, open and due soon, overdue and
//! escalated, some taken from the matching board, so that the lists, the
//! board, the escalation list and the departments' indicators show
//! something real.
//!
//! Everything follows from the clock's now and the request's index; the
//! requests go through the same store calls the pages use, each audited.
//! Loading is idempotent: a database with requests is left as it is.

use uuid::Uuid;
use yiwang_core::{CreditCode, Role, Timestamp};
use yiwang_store::requests::{NewPart, NewRequest, RequestQuery};
use yiwang_store::{AuditCtx, NewEnterprise, NewUser, Page, StoreError};
use yiwang_web::AppState;

use crate::demo::Login;

/// The demo enterprise's login.
pub const ENTERPRISE_USERNAME: &str = "qiye";
const ENTERPRISE_NAME: &str = "南通通州精密机械有限公司";
const ENTERPRISE_CODE17: &str = "91320612MA1XPJ8R6";

const HOUR: i64 = 3_600_000_000;
const DAY: i64 = 24 * HOUR;

/// Requests loaded.
pub const REQUESTS: usize = 36;

/// (category, title, content) of the demo requests, cycled.
const TOPICS: &[(&str, &str, &str)] = &[
    (
        "tax",
        "研发费用加计扣除如何申报",
        "公司今年研发投入较大，想确认加计扣除的口径和汇算清缴时需要准备的资料。",
    ),
    (
        "policy",
        "智能化改造奖补政策咨询",
        "计划对两条生产线做智能化改造，想了解市级奖补的条件、比例和申报时间。",
    ),
    (
        "financing",
        "设备购置流动资金贷款",
        "新购数控设备需资金约八百万元，希望对接银行的技改专项贷款。",
    ),
    (
        "talent",
        "招聘数控技工和学徒",
        "订单增加，缺少熟练数控技工，希望对接职业院校开展新型学徒制培养。",
    ),
    (
        "land",
        "厂区扩建用地规划咨询",
        "现有厂区不够用，想了解相邻地块的规划用途和供地方式。",
    ),
    (
        "safety",
        "危化品仓库安全评价",
        "新建涂装车间需配套危化品仓库，想请专家指导安全评价流程。",
    ),
    (
        "tech_transformation",
        "工业互联网平台接入",
        "希望把设备数据接入工业互联网平台，需要技术服务商和补贴政策支持。",
    ),
    (
        "tax",
        "出口退税办理进度",
        "上季度出口退税申报已提交，想了解目前的审核进度和预计到账时间。",
    ),
    (
        "policy",
        "专精特新企业认定条件",
        "公司主营精密零部件，想了解省级专精特新中小企业的认定条件。",
    ),
];

/// A department's demo reply.
fn reply_text(department: &str) -> &'static str {
    match department {
        "tax" => "经核实，贵公司符合政策条件，可在汇算清缴时自行申报享受；如有疑问可到办税服务厅专窗咨询。",
        "industry" => "已安排企业服务专员上门对接，政策申报材料清单已发至联系人，申报窗口期内我局全程辅导。",
        "finance" => "已将需求推送至合作银行，三家银行将在五个工作日内联系贵公司提供授信方案。",
        "hr" => "已对接区职业技术学校，可按新型学徒制开展订单式培养，补贴申报流程已告知联系人。",
        "land" => "相邻地块规划为工业用地，拟于明年挂牌出让，届时可通过网上交易系统参与竞买。",
        "safety" => "已安排安全生产专家到现场指导，评价流程和资质机构名单已告知联系人。",
        "technology" => "已推荐两家工业互联网服务商，平台接入费用可申报科技创新券抵扣。",
        _ => "已收悉，正在办理。",
    }
}

/// Who signs a department's demo reply: the demo handler where there is
/// one.
fn replier(department: &str, department_name: &str) -> String {
    match department {
        "tax" => "钱伟（市税务局）".to_owned(),
        "industry" => "吴静（市工信局）".to_owned(),
        _ => format!("{department_name}经办人"),
    }
}

/// Loads the demo enterprise and requests; returns the enterprise's login.
pub async fn load(app: &AppState, password_hash: &str) -> anyhow::Result<Vec<Login>> {
    let store = &*app.store;
    let now = app.clock.now().micros();
    let ctx = AuditCtx::system("demo", now);
    let code = CreditCode::with_check_char(ENTERPRISE_CODE17)
        .map_err(|e| anyhow::anyhow!("demo credit code {ENTERPRISE_CODE17}: {e}"))?;
    let enterprise = NewEnterprise {
        name: ENTERPRISE_NAME.to_owned(),
        credit_code: code.as_str().to_owned(),
        legal_rep: "顾建国".to_owned(),
        contact_name: "陈晓燕".to_owned(),
        contact_phone: "13862771234".to_owned(),
    };
    let user = NewUser {
        username: ENTERPRISE_USERNAME.to_owned(),
        display_name: ENTERPRISE_NAME.to_owned(),
        role: Role::Bidder,
        phone: Some(enterprise.contact_phone.clone()),
        password_hash: password_hash.to_owned(),
    };
    match store.register_enterprise(&ctx, enterprise, user).await {
        Ok(_) | Err(StoreError::Conflict { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    let login = Login {
        username: ENTERPRISE_USERNAME,
        role: Role::Bidder,
        name: ENTERPRISE_NAME.to_owned(),
        other_department: false,
    };
    let existing = store
        .list_requests(&RequestQuery::default(), Page::number(1, 1))
        .await?;
    if existing.total > 0 {
        return Ok(vec![login]);
    }
    let mut askers = Vec::new();
    for username in [ENTERPRISE_USERNAME, "bidder1", "bidder2"] {
        let Some(c) = store.credentials(username).await? else {
            continue;
        };
        let Some(eid) = c.user.enterprise_id else {
            continue;
        };
        let Some(e) = store.enterprise(eid).await? else {
            continue;
        };
        askers.push((c.user.id, e));
    }
    if askers.is_empty() {
        return Ok(vec![login]);
    }
    let service_staff = store.credentials("service").await?.map(|c| c.user.id);
    let rules = &app.requests;
    let calendar = &app.calendar;
    for i in 0..REQUESTS {
        let (user_id, e) = &askers[if i % 3 == 2 { i % askers.len() } else { 0 }];
        let (category, title, content) = TOPICS[i % TOPICS.len()];
        // Spread over the last 60 days, oldest first, in office hours.
        let day = Timestamp::from_micros(now - (60 - (i as i64 * 60 / REQUESTS as i64)) * DAY)
            .shanghai_date();
        let at = Timestamp::from_shanghai(day, 9 + (i % 7) as u8, (i * 7 % 60) as u8, 0);
        let at_us = at.micros();
        if at_us >= now {
            continue;
        }
        let routes = rules
            .route(category, at, calendar)
            .map_err(|r| anyhow::anyhow!("demo category {category}: {r}"))?;
        let id = Uuid::now_v7();
        let ask = AuditCtx {
            actor_id: Some(*user_id),
            actor_name: "demo".to_owned(),
            client_addr: None,
            at: at_us,
        };
        store
            .create_request(
                &ask,
                NewRequest {
                    id,
                    enterprise_id: e.id,
                    enterprise_name: e.name.clone(),
                    submitter_id: *user_id,
                    category: category.to_owned(),
                    title: title.to_owned(),
                    content: content.to_owned(),
                    contact_name: e.contact_name.clone(),
                    contact_phone: e.contact_phone.clone(),
                    share_contact: i % 2 == 0,
                    submitted_at: at_us,
                    parts: routes
                        .iter()
                        .map(|r| NewPart {
                            department: r.department.clone(),
                            assigned_at: at_us,
                            due_at: r.due_at.micros(),
                        })
                        .collect(),
                },
            )
            .await?;
        // Every fourth need is taken from the board within the hour.
        if let (1, Some(staff)) = (i % 4, service_staff) {
            let take = AuditCtx {
                actor_id: Some(staff),
                actor_name: "service".to_owned(),
                client_addr: None,
                at: at_us + HOUR,
            };
            store.take_request(&take, id, "孙立新（工信局）").await?;
        }
        // Each department answers after a few days (every fifth late),
        // unless that is still ahead; the older requests are rated.
        let mut all_answered = true;
        let mut last = at_us;
        for (k, r) in routes.iter().enumerate() {
            let late = (i + k) % 5 == 0;
            let answer_at = if late {
                r.due_at.micros() + (1 + (i % 3) as i64) * DAY
            } else {
                at_us + (1 + ((i + k) % 4) as i64) * DAY + 2 * HOUR
            };
            // The most recent requests and a few overdue ones stay open.
            if answer_at >= now || (i % 11 == 4 && k == 0) {
                all_answered = false;
                continue;
            }
            let reply = AuditCtx {
                actor_id: None,
                actor_name: format!("demo-{}", r.department),
                client_addr: None,
                at: answer_at,
            };
            store
                .reply_request_part(
                    &reply,
                    id,
                    &r.department,
                    &replier(&r.department, rules.department_name(&r.department)),
                    reply_text(&r.department),
                )
                .await?;
            last = last.max(answer_at);
        }
        let rate_at = last + DAY;
        if all_answered && i % 6 != 5 && rate_at < now {
            let score = [5, 4, 5, 3, 5, 4, 2, 5][i % 8];
            let comment = match score {
                5 => "答复及时，问题已解决",
                4 => "答复清楚，还需跟进落实",
                3 => "基本解决，希望加快进度",
                _ => "答复较笼统，希望更具体",
            };
            let rate = AuditCtx {
                actor_id: Some(*user_id),
                actor_name: "demo".to_owned(),
                client_addr: None,
                at: rate_at,
            };
            store.rate_request(&rate, id, score, comment).await?;
        }
    }
    Ok(vec![login])
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use yiwang_core::ManualClock;
    use yiwang_services::requests::Standing;
    use yiwang_store::requests::PartQuery;
    use yiwang_web::Config;

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_demo_has_requests_in_every_state_and_loads_once() {
        let (store, _dir) = yiwang_store_sqlite::testing::fresh().await;
        let mut config = Config::default();
        config.auth.argon2_memory_kib = 64;
        config.auth.argon2_iterations = 1;
        // 2026-11-26 10:00 in Shanghai.
        let clock = ManualClock::new(Timestamp::from_micros(1_795_658_400_000_000));
        let app = AppState::new(Arc::new(store), config, Arc::new(clock)).unwrap();
        let ctx = AuditCtx::system("test", app.clock.now().micros());
        app.store
            .create_staff(
                &ctx,
                NewUser {
                    username: "service".into(),
                    display_name: "孙立新（工信局）".into(),
                    role: Role::ServiceStaff,
                    phone: None,
                    password_hash: "x".into(),
                },
            )
            .await
            .unwrap();
        let logins = load(&app, "x").await.unwrap();
        assert_eq!(logins[0].username, ENTERPRISE_USERNAME);
        let user = app.store.credentials("qiye").await.unwrap().unwrap().user;
        assert_eq!(user.role, Role::Bidder);

        let all = app
            .store
            .list_requests(&RequestQuery::default(), Page::number(1, 100))
            .await
            .unwrap();
        assert_eq!(all.total, REQUESTS as u64);
        for state in ["open", "answered", "rated"] {
            assert!(
                all.items.iter().any(|r| r.state == state),
                "no {state} request"
            );
        }
        assert!(all.items.iter().any(|r| r.taken_by_id.is_some()));
        let now = app.clock.now();
        let pending = app
            .store
            .request_parts(&PartQuery {
                pending_due_before: Some(now.micros()),
                ..PartQuery::default()
            })
            .await
            .unwrap();
        let standings: Vec<Standing> = pending
            .iter()
            .map(|p| {
                app.requests.standing(
                    &yiwang_services::requests::PartTimes {
                        assigned_at: p.assigned_at,
                        due_at: p.due_at,
                        answered_at: None,
                    },
                    now,
                    &app.calendar,
                )
            })
            .collect();
        assert!(standings.contains(&Standing::Escalated));

        // Again: nothing more.
        load(&app, "x").await.unwrap();
        let again = app
            .store
            .list_requests(&RequestQuery::default(), Page::number(1, 1))
            .await
            .unwrap();
        assert_eq!(again.total, REQUESTS as u64);
    }
}

//! The services' figures: what enterprises, workers and staff did through
//! the pages is counted by month in the open JSON, on the dashboard and in its
//! workbook; a bad year is refused with a stable code; the dashboard is
//! the staff's.

mod common;

use axum::http::StatusCode;
use calamine::{Data, Reader, Xlsx};
use common::TestApp;
use yiwang_core::{CreditCode, Role};

const ID_A: &str = "320612199001011232";
const ID_B: &str = "320683195005050017";

fn code(n: u32) -> String {
    CreditCode::with_check_char(&format!("91320621MA1Q{n:05}"))
        .unwrap()
        .as_str()
        .to_owned()
}

async fn submit_request(app: &TestApp, session: &str, category: &str, title: &str) {
    let a = app
        .post_form(
            "/services/requests",
            &[
                ("category", category),
                ("title", title),
                ("content", "想了解相关政策怎么申报，请有关部门答复"),
                ("contact_name", "周敏"),
                ("contact_phone", "13912345678"),
            ],
            Some(session),
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
}

async fn apprentice(app: &TestApp, session: &str, name: &str, id: &str, level: &str) -> String {
    let a = app
        .post_form(
            "/services/subsidies/apprentices",
            &[
                ("name", name),
                ("id_number", id),
                ("intake", "new_hire"),
                ("level", level),
                ("certificate_no", "S2026001"),
                ("certificate_date", "2026-06-30"),
                ("start_date", "2026-03-01"),
            ],
            Some(session),
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    a.location().unwrap().rsplit('/').next().unwrap().to_owned()
}

#[tokio::test]
async fn the_year_is_counted_by_month_for_everyone_and_shown_to_staff() {
    let app = TestApp::new().await; // 2026-11-26, Beijing time
    let firm_user = app.user("machinery", Role::Bidder).await;
    let firm = app.session_for(&firm_user).await;
    let staff_user = app.user("service", Role::ServiceStaff).await;
    let staff = app.session_for(&staff_user).await;

    // Nothing yet: every figure is there, and zero.
    let empty = app.get("/api/v1/services/stats", None).await;
    assert_eq!(empty.status, StatusCode::OK);
    let e = empty.json();
    assert_eq!(e["year"], 2026);
    assert_eq!(e["months"].as_array().unwrap().len(), 12);
    assert_eq!(e["months"][0], "2026-01");
    assert_eq!(e["requests"]["submitted"], 0);
    assert_eq!(e["subsidies"]["approved_yuan"], "0.00");
    assert_eq!(e["contracts"]["in_force"], 0);

    // Two requests in November, one of them answered by two departments.
    submit_request(&app, &firm, "tax", "出口退税进度").await;
    submit_request(&app, &firm, "talent", "技工招聘").await;

    // A claim for two apprentices; one line approved, one refused.
    let a = apprentice(&app, &firm, "王小明", ID_A, "intermediate").await;
    let b = apprentice(&app, &firm, "赵丽", ID_B, "technician").await;
    let claim = app
        .post_form(
            "/services/subsidies/claims",
            &[("year", "2026"), ("apprentice", &a), ("apprentice", &b)],
            Some(&firm),
        )
        .await;
    assert_eq!(claim.status, StatusCode::SEE_OTHER, "{}", claim.body);
    let decide = format!("{}/decide", claim.location().unwrap());
    for (who, decision, reason) in [(&a, "approve", ""), (&b, "refuse", "证书与岗位不符")] {
        let d = app
            .post_form(
                &decide,
                &[
                    ("apprentice", who.as_str()),
                    ("decision", decision),
                    ("reason", reason),
                ],
                Some(&staff),
            )
            .await;
        assert_eq!(d.status, StatusCode::SEE_OTHER, "{}", d.body);
    }

    // A contract signed in March, in force now, covering two enterprises.
    let covered = format!("{} 精工机械 120\n{} 纺织科技 80", code(1), code(2));
    let c = app
        .post_form(
            "/services/contracts",
            &[
                ("title", "机械制造行业工资专项集体协议"),
                ("scope", "industry"),
                ("kind", "wage"),
                ("industry", "机械制造"),
                ("employer_party", "李堡镇机械制造行业企业方协商代表"),
                ("union_party", "李堡镇机械制造行业工会联合会"),
                ("signed_on", "2026-03-05"),
                ("starts_on", "2026-03-10"),
                ("last_day", "2029-03-09"),
                ("enterprises", &covered),
            ],
            Some(&staff),
        )
        .await;
    assert_eq!(c.status, StatusCode::SEE_OTHER, "{}", c.body);

    // A visit recorded today with two findings.
    let firm_code = app
        .store
        .enterprise(firm_user.enterprise_id.unwrap())
        .await
        .unwrap()
        .unwrap()
        .credit_code;
    let staff_id = staff_user.id.to_string();
    let planned = app
        .post_form(
            "/services/visits",
            &[
                ("enterprise", firm_code.as_str()),
                ("planned_on", "2026-11-26"),
                ("staff", &staff_id),
                ("purpose", "了解智能化改造需求"),
            ],
            Some(&staff),
        )
        .await;
    assert_eq!(planned.status, StatusCode::SEE_OTHER, "{}", planned.body);
    let visit = planned
        .location()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let recorded = app
        .post_form(
            &format!("{visit}/record"),
            &[
                ("visited_on", "2026-11-26"),
                ("people_met", "张伟（总经理）"),
                ("staff", &staff_id),
                ("kind_0", "financing"),
                ("text_0", "流动资金缺口约 500 万元"),
                ("kind_1", "talent"),
                ("text_1", "缺数控技工"),
            ],
            Some(&staff),
        )
        .await;
    assert_eq!(recorded.status, StatusCode::SEE_OTHER, "{}", recorded.body);

    // A worker applies for mediation.
    let worker = app.user("wangjj", Role::Worker).await;
    let worker = app.session_for(&worker).await;
    let applied = app
        .post_form(
            "/services/mediation",
            &[
                ("worker_name", "王建军"),
                ("worker_phone", "13912345678"),
                ("enterprise_name", "精工机械"),
                ("enterprise_code", firm_code.as_str()),
                ("kind", "wages"),
                ("facts", "九月至十一月工资未发"),
                ("claims", "支付拖欠工资"),
                ("amount", "18600"),
            ],
            Some(&worker),
        )
        .await;
    assert_eq!(applied.status, StatusCode::SEE_OTHER, "{}", applied.body);

    let s = app
        .get("/api/v1/services/stats?year=2026", None)
        .await
        .json();
    let r = &s["requests"];
    assert_eq!(r["submitted"], 2);
    assert_eq!(r["by_month"][10], 2, "November");
    assert_eq!(
        r["by_month"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| *n != 0)
            .count(),
        1
    );
    let count = |list: &serde_json::Value, code: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|c| c["code"] == code)
            .map(|c| c["count"].clone())
    };
    assert_eq!(count(&r["by_state"], "open"), Some(2.into()));
    assert_eq!(count(&r["by_state"], "rated"), Some(0.into()));
    assert_eq!(count(&r["by_category"], "tax"), Some(1.into()));
    assert_eq!(count(&r["by_category"], "talent"), Some(1.into()));
    assert_eq!(count(&r["by_category"], "land"), Some(0.into()));

    let v = &s["visits"];
    assert_eq!(
        (
            v["visits"].clone(),
            v["enterprises"].clone(),
            v["findings"].clone()
        ),
        (1.into(), 1.into(), 2.into())
    );
    assert_eq!(v["by_month"][10], 1);
    let m = &s["mediation"];
    assert_eq!(m["cases"], 1);
    assert_eq!(count(&m["by_state"], "submitted"), Some(1.into()));
    assert_eq!(count(&m["by_kind"], "wages"), Some(1.into()));
    assert_eq!(m["by_month"][10], 1);
    assert_eq!(m["claimed_yuan"], "18600.00");
    assert_eq!(m["agreed_yuan"], "0.00");
    // The lecture hall: the seven areas the catalogue starts with, no
    // learning yet.
    let l = &s["lectures"];
    assert_eq!(l["areas"], 7);
    assert_eq!(l["by_area"].as_array().unwrap().len(), 7);
    assert_eq!(
        (l["trainees"].clone(), l["hours"].clone()),
        (0.into(), "0.0".into())
    );
    assert_eq!(l["minutes_by_month"].as_array().unwrap().len(), 12);
    // Tax goes to two departments, talent to one: three parts.
    let parts: u64 = r["departments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["parts"].as_u64().unwrap())
        .sum();
    assert_eq!(parts, 3);

    let sub = &s["subsidies"];
    assert_eq!(
        (sub["lines"].clone(), sub["approved"].clone()),
        (2.into(), 1.into())
    );
    assert_eq!(sub["refused"], 1);
    assert_eq!(sub["claimed_yuan"], "12000.00");
    assert_eq!(sub["approved_yuan"], "4000.00");
    assert_eq!(sub["by_month"][10], 2);
    let level = |code: &str| {
        sub["by_level"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["level"] == code)
            .unwrap()
            .clone()
    };
    assert_eq!(level("intermediate")["approved_yuan"], "4000.00");
    assert_eq!(level("technician")["lines"], 1);
    assert_eq!(level("technician")["approved_yuan"], "0.00");

    let con = &s["contracts"];
    assert_eq!(
        con["coverage_on"], "2026-11-26",
        "today, while the year runs"
    );
    assert_eq!(
        (
            con["in_force"].clone(),
            con["enterprises"].clone(),
            con["employees"].clone()
        ),
        (1.into(), 2.into(), 200.into())
    );
    assert_eq!(con["signed_by_month"][2], 1, "March");

    // Another year has none of it; the JSON holds no names.
    let last = app
        .get("/api/v1/services/stats?year=2025", None)
        .await
        .json();
    assert_eq!(last["requests"]["submitted"], 0);
    assert_eq!(last["contracts"]["in_force"], 0, "not yet signed then");
    assert_eq!(last["contracts"]["coverage_on"], "2025-12-31");
    let text = s.to_string();
    for private in [
        "周敏",
        "13912345678",
        "王小明",
        ID_A,
        "精工机械",
        "王建军",
        "张伟",
    ] {
        assert!(!text.contains(private), "{private} leaked");
    }

    // A bad year: a stable code and a Chinese message.
    for bad in ["20x6", "1999", "2028", "26"] {
        let a = app
            .get(&format!("/api/v1/services/stats?year={bad}"), None)
            .await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(a.json()["error"]["code"], "invalid_input");
        assert!(a.body.contains("年份应为"), "{}", a.body);
    }

    // The dashboard shows the same figures, with a chart per service.
    let page = app.get("/services/dashboard?year=2026", Some(&staff)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("全年提交 <strong>2</strong> 件"),
        "{}",
        page.body
    );
    assert!(page.body.contains("核准金额 <strong>4000.00</strong> 元"));
    assert!(page.body.contains("覆盖企业 <strong>2</strong> 家"));
    assert_eq!(page.body.matches("<svg").count(), 6);
    let bad = app.get("/services/dashboard?year=abc", Some(&staff)).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("年份应为"));

    // The workbook: a sheet per service, months across.
    let (answer, bytes) = app
        .download("/services/dashboard.xlsx?year=2026", Some(&staff))
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(
        book.sheet_names(),
        vec![
            "企业诉求",
            "学徒补贴",
            "集体合同",
            "千企询访",
            "大讲堂",
            "劳动争议调解"
        ]
    );
    let requests = book.worksheet_range("企业诉求").unwrap();
    assert_eq!(requests.get((2, 0)), Some(&Data::String("提交诉求".into())));
    assert_eq!(requests.get((2, 11)), Some(&Data::Float(2.0)), "November");
    assert_eq!(requests.get((2, 13)), Some(&Data::Float(2.0)), "the year");
    let contracts = book.worksheet_range("集体合同").unwrap();
    assert_eq!(contracts.get((2, 3)), Some(&Data::Float(1.0)), "March");
    let mediation = book.worksheet_range("劳动争议调解").unwrap();
    assert_eq!(mediation.get((2, 11)), Some(&Data::Float(1.0)), "November");

    // An enterprise does not see the dashboard.
    let denied = app.get("/services/dashboard", Some(&firm)).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
}

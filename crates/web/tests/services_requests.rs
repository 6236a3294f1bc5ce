//! Enterprise requests on the web: an enterprise submits a request that is
//! routed to two departments, both answer, the enterprise reads the answers
//! and rates them; nobody reads or acts on a request that is not theirs;
//! bad input is refused in Chinese and kept; the board hides what the
//! enterprise did not share and a need is taken once; the escalation list
//! and the indicators follow the clock.

mod common;

use calamine::{Data, Reader, Xlsx};
use common::TestApp;
use yiwang_core::Role;
use yiwang_store::{AuditQuery, Page};

const DAY_S: i64 = 86_400;

struct World {
    app: TestApp,
    users: Vec<yiwang_store::User>,
    /// The enterprise's session.
    ent: String,
    /// Another enterprise's.
    other: String,
    tax: String,
    industry: String,
    staff: String,
}

async fn world() -> World {
    let app = TestApp::new().await;
    let ent = app.user("machinery", Role::Bidder).await;
    let other = app.user("textile", Role::Bidder).await;
    let tax = app.user("handler-tax", Role::DeptHandler).await;
    let industry = app.user("handler-industry", Role::DeptHandler).await;
    let staff = app.user("service", Role::ServiceStaff).await;
    World {
        users: vec![
            ent.clone(),
            other.clone(),
            tax.clone(),
            industry.clone(),
            staff.clone(),
        ],
        ent: app.session_for(&ent).await,
        other: app.session_for(&other).await,
        tax: app.session_for(&tax).await,
        industry: app.session_for(&industry).await,
        staff: app.session_for(&staff).await,
        app,
    }
}

impl World {
    /// Moves the clock on and signs everyone in again (sessions last an
    /// hour).
    async fn advance_days(&mut self, days: i64) {
        self.app.clock.advance_secs(days * DAY_S);
        let mut s = Vec::new();
        for u in &self.users {
            s.push(self.app.session_for(u).await);
        }
        self.ent = s[0].clone();
        self.other = s[1].clone();
        self.tax = s[2].clone();
        self.industry = s[3].clone();
        self.staff = s[4].clone();
    }
}

/// Submits a request of `category`; returns its page's path.
async fn submit(w: &World, session: &str, category: &str, title: &str, share: bool) -> String {
    let mut fields = vec![
        ("category", category),
        ("title", title),
        (
            "content",
            "今年新上一条生产线，想了解研发费用加计扣除和技改补贴怎么申报",
        ),
        ("contact_name", "周敏"),
        ("contact_phone", "13912345678"),
    ];
    if share {
        fields.push(("share_contact", "on"));
    }
    let a = w
        .app
        .post_form("/services/requests", &fields, Some(session))
        .await;
    assert_eq!(a.status, 303, "{}", a.body);
    let to = a.location().unwrap();
    assert!(to.ends_with("?ok=submit"), "{to}");
    to.trim_end_matches("?ok=submit").to_owned()
}

async fn audit_count(app: &TestApp, action: &str) -> u64 {
    app.store
        .audit_query(
            &AuditQuery {
                action: Some(action.to_owned()),
                ..Default::default()
            },
            Page::number(1, 1),
        )
        .await
        .unwrap()
        .total
}

#[tokio::test]
async fn a_request_goes_to_two_departments_both_answer_and_the_enterprise_rates() {
    let mut w = world().await;
    let path = submit(&w, &w.ent, "tax", "研发费用加计扣除政策咨询", false).await;

    // Routed at once to the tax bureau and the industry bureau, due five
    // working days later (Thursday 26 November → Thursday 3 December).
    let page = w.app.get(&format!("{path}?ok=submit"), Some(&w.ent)).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("诉求已提交，已分派到责任部门"));
    assert!(page.body.contains("市税务局"));
    assert!(page.body.contains("市工业和信息化局"));
    assert!(
        page.body.contains("2026年12月03日 10:00:00"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("13912345678"),
        "the enterprise sees its contact"
    );
    assert!(
        !page.body.contains("评价答复"),
        "no rating before the answers"
    );

    // Each department finds it on its list.
    for s in [&w.tax, &w.industry] {
        let list = w.app.get("/services/requests", Some(s)).await;
        assert_eq!(list.status, 200);
        assert!(list.body.contains("研发费用加计扣除政策咨询"));
    }

    // The tax bureau answers; the request stays open.
    w.advance_days(1).await;
    let a = w
        .app
        .post_form(
            &format!("{path}/reply"),
            &[(
                "reply",
                "符合条件的研发费用可按100%加计扣除，请在汇算清缴时申报。",
            )],
            Some(&w.tax),
        )
        .await;
    assert_eq!(a.status, 303, "{}", a.body);
    let page = w.app.get(&path, Some(&w.ent)).await;
    assert!(page.body.contains("按100%加计扣除"));
    assert!(
        page.body.contains("handler-tax 名称 答复于"),
        "signed by the handler"
    );
    // Off the tax bureau's list of what it still owes, still on the
    // industry bureau's.
    let owed = w
        .app
        .get("/services/requests?pending=1", Some(&w.tax))
        .await;
    assert!(owed.body.contains("共 0 件"), "{}", owed.body);
    let owed = w
        .app
        .get("/services/requests?pending=1", Some(&w.industry))
        .await;
    assert!(owed.body.contains("研发费用加计扣除政策咨询"));
    assert!(page.body.contains("办理中"));
    // Rating now is refused, in Chinese.
    let early = w
        .app
        .post_form(&format!("{path}/rating"), &[("rating", "5")], Some(&w.ent))
        .await;
    assert_eq!(early.status, 409);
    assert!(early.body.contains("各部门答复完毕后才能评价"));
    // Answering twice is refused.
    let twice = w
        .app
        .post_form(
            &format!("{path}/reply"),
            &[("reply", "再答一次")],
            Some(&w.tax),
        )
        .await;
    assert_eq!(twice.status, 409);
    assert!(twice.body.contains("本部门已答复此诉求"));

    // The industry bureau answers: every part is answered.
    let a = w
        .app
        .post_form(
            &format!("{path}/reply"),
            &[("reply", "技改项目可申报市级技改综合奖补，我局将上门辅导。")],
            Some(&w.industry),
        )
        .await;
    assert_eq!(a.status, 303);
    let page = w.app.get(&path, Some(&w.ent)).await;
    assert!(page.body.contains("按100%加计扣除"));
    assert!(page.body.contains("上门辅导"));
    assert!(page.body.contains("已答复待评价"));
    assert!(page.body.contains("已按期答复"));
    assert!(page.body.contains("评价答复"));

    // The enterprise rates it, once.
    let a = w
        .app
        .post_form(
            &format!("{path}/rating"),
            &[("rating", "5"), ("comment", "答复及时、具体")],
            Some(&w.ent),
        )
        .await;
    assert_eq!(a.status, 303);
    let page = w.app.get(&path, Some(&w.ent)).await;
    assert!(page.body.contains("已评价办结"));
    assert!(page.body.contains("5 星：答复及时、具体"));
    let again = w
        .app
        .post_form(&format!("{path}/rating"), &[("rating", "1")], Some(&w.ent))
        .await;
    assert_eq!(again.status, 409);
    assert!(again.body.contains("已评价"));

    assert_eq!(audit_count(&w.app, "request.submit").await, 1);
    assert_eq!(audit_count(&w.app, "request.reply").await, 2);
    assert_eq!(audit_count(&w.app, "request.rate").await, 1);

    // The indicators count both departments on time, rated 5.
    let kpi = w
        .app
        .get("/services/requests/kpi?month=2026-11", Some(&w.staff))
        .await;
    assert_eq!(kpi.status, 200);
    assert!(kpi.body.contains("市税务局"));
    assert!(kpi.body.contains("100.0%"));
    assert!(kpi.body.contains("5.0"));
    assert!(kpi.body.contains("1.0 天"));
}

#[tokio::test]
async fn nobody_reads_or_acts_on_a_request_that_is_not_theirs() {
    let w = world().await;
    // A policy request goes to the industry bureau only.
    let path = submit(&w, &w.ent, "policy", "技改奖补申报咨询", false).await;
    let other = w.app.get(&path, Some(&w.other)).await;
    assert_eq!(other.status, 403, "another enterprise");
    assert_eq!(
        w.app.get(&path, Some(&w.tax)).await.status,
        403,
        "a department not on it"
    );
    let r = w
        .app
        .post_form(
            &format!("{path}/reply"),
            &[("reply", "越权答复")],
            Some(&w.tax),
        )
        .await;
    assert_eq!(r.status, 403);
    let r = w
        .app
        .post_form(
            &format!("{path}/rating"),
            &[("rating", "1")],
            Some(&w.other),
        )
        .await;
    assert_eq!(r.status, 403);
    // Other enterprises' requests are not on one's list.
    let list = w.app.get("/services/requests", Some(&w.other)).await;
    assert!(!list.body.contains("技改奖补申报咨询"));
    // A department handler for no request department sees nothing.
    let grid_handler = w.app.user("handler", Role::DeptHandler).await;
    let s = w.app.session_for(&grid_handler).await;
    let list = w.app.get("/services/requests", Some(&s)).await;
    assert_eq!(list.status, 404);
    assert!(list.body.contains("尚未对应诉求办理部门"));
    // Service staff see it but do not answer for a department.
    assert_eq!(w.app.get(&path, Some(&w.staff)).await.status, 200);
    let r = w
        .app
        .post_form(
            &format!("{path}/reply"),
            &[("reply", "代答")],
            Some(&w.staff),
        )
        .await;
    assert_eq!(r.status, 403);
    // The other enterprise's submitted nothing; a supervisor has no access.
    let sup = w.app.user("supervisor", Role::Supervisor).await;
    let s = w.app.session_for(&sup).await;
    assert_eq!(w.app.get("/services/requests", Some(&s)).await.status, 403);
    assert_eq!(audit_count(&w.app, "request.reply").await, 0);
}

#[tokio::test]
async fn service_staff_add_a_department_which_then_answers() {
    let w = world().await;
    let path = submit(&w, &w.ent, "policy", "出口退税与技改补贴", false).await;
    let page = w.app.get(&path, Some(&w.staff)).await;
    assert!(page.body.contains("增派部门"));
    let bad = w
        .app
        .post_form(
            &format!("{path}/departments"),
            &[("department", "mars")],
            Some(&w.staff),
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("部门不存在"));
    let a = w
        .app
        .post_form(
            &format!("{path}/departments"),
            &[("department", "tax")],
            Some(&w.staff),
        )
        .await;
    assert_eq!(a.status, 303);
    let twice = w
        .app
        .post_form(
            &format!("{path}/departments"),
            &[("department", "tax")],
            Some(&w.staff),
        )
        .await;
    assert_eq!(twice.status, 409);
    assert!(twice.body.contains("该部门已在办理此诉求"));
    // The tax bureau now sees and answers it.
    let page = w.app.get(&path, Some(&w.tax)).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("本部门答复"));
    let a = w
        .app
        .post_form(
            &format!("{path}/reply"),
            &[("reply", "退税已受理")],
            Some(&w.tax),
        )
        .await;
    assert_eq!(a.status, 303);
    assert_eq!(audit_count(&w.app, "request.route").await, 1);
}

#[tokio::test]
async fn bad_input_is_refused_in_chinese_and_kept() {
    let w = world().await;
    let a = w
        .app
        .post_form(
            "/services/requests",
            &[
                ("category", "nonsense"),
                ("title", ""),
                ("content", "留着的内容"),
                ("contact_name", "周敏"),
                ("contact_phone", "abc"),
            ],
            Some(&w.ent),
        )
        .await;
    assert_eq!(a.status, 422);
    assert!(a.body.contains("诉求类型不存在"));
    assert!(a.body.contains("请填写诉求标题"));
    assert!(a.body.contains("请填写联系电话"));
    assert!(a.body.contains("留着的内容"), "what was typed is kept");
    assert_eq!(audit_count(&w.app, "request.submit").await, 0);

    let path = submit(&w, &w.ent, "policy", "惠企政策", false).await;
    let r = w
        .app
        .post_form(
            &format!("{path}/reply"),
            &[("reply", "   ")],
            Some(&w.industry),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("请填写答复内容"));
    w.app
        .post_form(
            &format!("{path}/reply"),
            &[("reply", "已答复")],
            Some(&w.industry),
        )
        .await;
    let r = w
        .app
        .post_form(
            &format!("{path}/rating"),
            &[("rating", "9"), ("comment", "保留的意见")],
            Some(&w.ent),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("请选择 1 至 5 星的评价"));
    assert!(r.body.contains("保留的意见"));
    let r = w
        .app
        .get("/services/requests?state=bogus", Some(&w.ent))
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("办理状态不存在"));
    let r = w
        .app
        .get("/services/requests/kpi?month=2026-13", Some(&w.staff))
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("月份格式应为 YYYY-MM"));
    assert_eq!(
        w.app
            .get("/services/requests/not-an-id", Some(&w.ent))
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn lists_search_filter_and_page() {
    let w = world().await;
    for i in 0..22 {
        submit(&w, &w.ent, "policy", &format!("政策咨询第{i:02}号"), false).await;
    }
    submit(&w, &w.ent, "financing", "流动资金贷款需求", false).await;
    let list = w.app.get("/services/requests", Some(&w.ent)).await;
    assert!(list.body.contains("共 23 件"));
    assert!(list.body.contains("下一页"));
    let found = w
        .app
        .get("/services/requests?q=%E8%B4%B7%E6%AC%BE", Some(&w.ent))
        .await;
    assert!(found.body.contains("共 1 件"), "search 贷款");
    let cat = w
        .app
        .get("/services/requests?category=financing", Some(&w.staff))
        .await;
    assert!(cat.body.contains("流动资金贷款需求"));
    assert!(!cat.body.contains("政策咨询第"));
    let page2 = w.app.get("/services/requests?page=2", Some(&w.ent)).await;
    assert!(page2.body.contains("第 2 / 2 页"));
}

#[tokio::test]
async fn the_board_shows_open_needs_hides_unshared_contacts_and_a_need_is_taken_once() {
    let w = world().await;
    let shared = submit(&w, &w.ent, "financing", "设备融资租赁需求", true).await;
    let unshared = submit(&w, &w.other, "talent", "数控技工招聘", false).await;
    let board = w.app.get("/services/requests/board", Some(&w.staff)).await;
    assert_eq!(board.status, 200);
    assert!(board.body.contains("设备融资租赁需求"));
    assert!(board.body.contains("数控技工招聘"));
    assert!(
        board.body.contains("machinery 有限公司"),
        "shared: the enterprise is named"
    );
    assert!(
        !board.body.contains("textile 有限公司"),
        "not shared: not named"
    );
    assert!(board.body.contains("139****5678"), "the phone is masked");
    assert!(!board.body.contains("13912345678"));
    assert!(board.body.contains("融资需求（1）"));
    let only = w
        .app
        .get("/services/requests/board?category=talent", Some(&w.tax))
        .await;
    assert!(only.body.contains("数控技工招聘"));
    assert!(!only.body.contains("设备融资租赁需求"));

    let a = w
        .app
        .post_form(&format!("{shared}/take"), &[], Some(&w.tax))
        .await;
    assert_eq!(a.status, 303);
    let again = w
        .app
        .post_form(&format!("{shared}/take"), &[], Some(&w.staff))
        .await;
    assert_eq!(again.status, 409);
    assert!(again.body.contains("此需求已被认领"));
    assert_eq!(audit_count(&w.app, "request.take").await, 1);
    // The taker reads it now; the board marks it taken.
    let page = w.app.get(&shared, Some(&w.tax)).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("handler-tax 名称（市税务局）"));
    let untaken = w
        .app
        .get("/services/requests/board?untaken=1", Some(&w.staff))
        .await;
    assert!(!untaken.body.contains("设备融资租赁需求"));
    assert!(untaken.body.contains("数控技工招聘"));
    // Who takes a need the enterprise did not share reads neither its
    // name nor its contact.
    let a = w
        .app
        .post_form(&format!("{unshared}/take"), &[], Some(&w.industry))
        .await;
    assert_eq!(a.status, 303);
    let page = w.app.get(&unshared, Some(&w.industry)).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("数控技工招聘"));
    assert!(!page.body.contains("textile 有限公司"));
    assert!(!page.body.contains("13912345678"));
    assert!(page.body.contains("企业未公开联系方式"));
    // Enterprises have no board.
    assert_eq!(
        w.app
            .get("/services/requests/board", Some(&w.ent))
            .await
            .status,
        403
    );
}

#[tokio::test]
async fn overdue_parts_are_escalated_and_counted_late() {
    let mut w = world().await;
    let path = submit(&w, &w.ent, "tax", "留抵退税进度", false).await;
    let none = w
        .app
        .get("/services/requests/escalations", Some(&w.staff))
        .await;
    assert!(none.body.contains("共 0 项"));
    w.app
        .post_form(
            &format!("{path}/reply"),
            &[("reply", "已受理")],
            Some(&w.tax),
        )
        .await;
    // Wednesday 2 December: due tomorrow, a reminder on the list.
    w.advance_days(6).await;
    let list = w.app.get("/services/requests", Some(&w.industry)).await;
    assert!(list.body.contains("即将到期"), "{}", list.body);
    // Friday 4 December: overdue, not yet escalated.
    w.advance_days(2).await;
    let e = w
        .app
        .get("/services/requests/escalations", Some(&w.staff))
        .await;
    assert!(e.body.contains("共 1 项，其中升级督办 0 项"), "{}", e.body);
    assert!(e.body.contains("市工业和信息化局"));
    assert!(e.body.contains("留抵退税进度"));
    // Tuesday 8 December, past 10:00: three working days late, escalated.
    w.advance_days(4).await;
    let e = w
        .app
        .get("/services/requests/escalations", Some(&w.staff))
        .await;
    assert!(e.body.contains("其中升级督办 1 项"));
    assert!(e.body.contains("超期升级督办"));

    let kpi = w
        .app
        .get("/services/requests/kpi?month=2026-11", Some(&w.staff))
        .await;
    assert!(kpi.body.contains("0.0%"), "industry: overdue, none on time");
    let (answer, bytes) = w
        .app
        .download("/services/requests/kpi.xlsx?month=2026-11", Some(&w.staff))
        .await;
    assert_eq!(answer.status, 200);
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    let rows: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::Float(f) => f.to_string(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect();
    assert_eq!(rows[0][0], "部门");
    assert_eq!(rows[1][0], "市工业和信息化局");
    assert_eq!(rows[1][3], "1", "one overdue part");
    assert_eq!(rows[1][4], "0.0%");
    assert_eq!(rows[2][0], "市税务局");
    assert_eq!(rows[2][4], "100.0%");
    // Answering takes it off the list.
    w.app
        .post_form(
            &format!("{path}/reply"),
            &[("reply", "迟到的答复")],
            Some(&w.industry),
        )
        .await;
    let e = w
        .app
        .get("/services/requests/escalations", Some(&w.staff))
        .await;
    assert!(e.body.contains("共 0 项"));
    let page = w.app.get(&path, Some(&w.ent)).await;
    assert!(page.body.contains("超期后答复"));
}

//! Labour mediation on the web: a worker registers and applies (bad input
//! refused in Chinese, nothing lost), the enterprise it names reads and
//! replies with the worker's phone masked, a mediator accepts, talks,
//! schedules a meeting, takes documents and records the agreement, which
//! the worker reads and prints; cases are refused and withdrawn; the limit
//! shows overdue; the statistics count it all, on the page and in the
//! workbook; nobody reads a case outside their scope.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use calamine::{Data, Reader, Xlsx};
use common::{TestApp, CSRF};
use yiwang_core::Role;
use yiwang_store::{AuditQuery, Page};

const DAY_S: i64 = 86_400;

fn case_id(location: &str) -> String {
    location
        .trim_start_matches("/services/mediation/")
        .split('?')
        .next()
        .unwrap()
        .to_owned()
}

async fn upload(
    app: &TestApp,
    id: &str,
    session: &str,
    name: &str,
    bytes: &[u8],
) -> common::Answer {
    let boundary = "XyZmediationBoundary";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\n工资条\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
             Content-Type: application/pdf\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    app.send(
        Request::post(format!("/services/mediation/{id}/documents?_csrf={CSRF}"))
            .header(
                header::COOKIE,
                format!("yiwang_csrf={CSRF}; yiwang_session={session}"),
            )
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn a_worker_registers_with_its_own_form() {
    let app = TestApp::new().await;
    let page = app.get("/register?as=worker", None).await;
    assert!(page.body.contains("职工账户注册"), "{}", page.body);
    assert!(app
        .get("/register", None)
        .await
        .body
        .contains("企业账户注册"));

    let bad = app
        .post_form(
            "/register",
            &[
                ("as", "worker"),
                ("contact_name", "王建军"),
                ("contact_phone", "0513-85000000"),
                ("username", "wangjj"),
                ("password", "abc12345"),
                ("password2", "abc12346"),
            ],
            None,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("手机号码应为 11 位"), "{}", bad.body);
    assert!(bad.body.contains("两次输入的密码不一致"));
    assert!(
        bad.body.contains("value=\"王建军\""),
        "nothing typed is lost"
    );
    assert!(bad.body.contains("职工账户注册"));

    let ok = app
        .post_form(
            "/register",
            &[
                ("as", "worker"),
                ("contact_name", "王建军"),
                ("contact_phone", "139 1234 5678"),
                ("username", "wangjj"),
                ("password", "abc12345"),
                ("password2", "abc12345"),
            ],
            None,
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert_eq!(ok.location(), Some("/account?ok=registered"));
    let session = ok.set_cookie("yiwang_session").unwrap();
    let account = app.get("/account", Some(&session)).await;
    assert!(account.body.contains("职工"), "{}", account.body);
    // The worker's form comes filled with its name and phone.
    let form = app.get("/services/mediation/new", Some(&session)).await;
    assert!(form.body.contains("value=\"13912345678\""), "{}", form.body);
    // A worker is no enterprise and no staff.
    assert_eq!(
        app.get("/services/subsidies", Some(&session)).await.status,
        StatusCode::FORBIDDEN
    );
    let again = app
        .post_form(
            "/register",
            &[
                ("as", "worker"),
                ("contact_name", "王二"),
                ("contact_phone", "13912345679"),
                ("username", "wangjj"),
                ("password", "abc12345"),
                ("password2", "abc12345"),
            ],
            None,
        )
        .await;
    assert!(again.body.contains("该用户名已被使用"), "{}", again.body);
    let audit = app
        .store
        .audit_query(&AuditQuery::default(), Page::number(1, 50))
        .await
        .unwrap();
    let registered: Vec<_> = audit
        .items
        .iter()
        .filter(|r| r.action == "account.register_worker")
        .collect();
    assert_eq!(registered.len(), 1);
}

#[tokio::test]
async fn a_dispute_is_mediated_to_an_agreement() {
    let app = TestApp::new().await;
    let worker = app.user("zhigong", Role::Worker).await;
    let w = app.session_for(&worker).await;
    let other_worker = app.user("other", Role::Worker).await;
    let ow = app.session_for(&other_worker).await;
    let firm = app.user("jinggong", Role::Bidder).await;
    let f = app.session_for(&firm).await;
    let code = app
        .store
        .enterprise(firm.enterprise_id.unwrap())
        .await
        .unwrap()
        .unwrap()
        .credit_code;
    let stranger = app.user("stranger", Role::Bidder).await;
    let s = app.session_for(&stranger).await;
    let mediator = app.user("tiaojie", Role::ServiceStaff).await;
    let m = app.session_for(&mediator).await;

    // Bad input is refused, in Chinese, with everything typed kept.
    let bad = app
        .post_form(
            "/services/mediation",
            &[
                ("worker_name", "王建军"),
                ("worker_phone", "12"),
                ("enterprise_name", "精工机械"),
                ("enterprise_code", &code),
                ("kind", "wages"),
                ("facts", "九月至十一月工资未发"),
                ("claims", ""),
                ("amount", "18,600"),
            ],
            Some(&w),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    for msg in ["请填写职工的联系电话", "请写明请求事项", "千分位逗号"] {
        assert!(bad.body.contains(msg), "{msg}: {}", bad.body);
    }
    assert!(bad.body.contains("九月至十一月工资未发"));

    let sent = app
        .post_form(
            "/services/mediation",
            &[
                ("worker_name", "王建军"),
                ("worker_phone", "13912345678"),
                ("enterprise_name", "精工机械"),
                ("enterprise_code", &code),
                ("kind", "wages"),
                ("facts", "九月至十一月工资未发"),
                ("claims", "支付拖欠工资"),
                ("amount", "18600"),
            ],
            Some(&w),
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let id = case_id(sent.location().unwrap());
    let path = format!("/services/mediation/{id}");
    let page = app.get(sent.location().unwrap(), Some(&w)).await;
    assert!(page.body.contains("TJ20261126-0001"), "{}", page.body);
    assert!(page.body.contains("待受理"));
    assert!(
        page.body.contains("13912345678"),
        "the worker sees its phone"
    );
    assert!(page.body.contains("18,600.00 元"));
    // Nothing may be said before acceptance: the worker has no forms yet.
    assert!(!page.body.contains("/messages\""));

    // The enterprise named reads it with the phone masked; others get 404.
    let seen = app.get(&path, Some(&f)).await;
    assert_eq!(seen.status, StatusCode::OK);
    assert!(seen.body.contains("139****5678"), "{}", seen.body);
    assert!(!seen.body.contains("13912345678"));
    assert_eq!(app.get(&path, Some(&s)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get(&path, Some(&ow)).await.status,
        StatusCode::NOT_FOUND
    );
    let theirs = app.get("/services/mediation", Some(&ow)).await;
    assert!(theirs.body.contains("共 0 件"), "{}", theirs.body);
    let firms = app.get("/services/mediation", Some(&f)).await;
    assert!(firms.body.contains("TJ20261126-0001"));

    // The mediator accepts; the limit is 15 days.
    let list = app
        .get("/services/mediation?state=submitted", Some(&m))
        .await;
    assert!(list.body.contains("TJ20261126-0001"), "{}", list.body);
    let accepted = app
        .post_form(&format!("{path}/accept"), &[], Some(&m))
        .await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{}", accepted.body);
    let again = app
        .post_form(&format!("{path}/accept"), &[], Some(&m))
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.body.contains("已受理或已办结"), "{}", again.body);
    let page = app.get(&path, Some(&m)).await;
    assert!(page.body.contains("调解中"));
    assert!(page.body.contains("2026年12月11日"), "{}", page.body);
    assert!(page.body.contains("13912345678"), "mediators see the phone");

    // Messages from all three sides; an empty one is refused.
    let empty = app
        .post_form(&format!("{path}/messages"), &[("text", "  ")], Some(&w))
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.body.contains("请填写留言内容"));
    for (session, text) in [
        (&m, "请双方提供工资发放记录"),
        (&f, "公司资金紧张，同意分期支付"),
        (&w, "希望一次付清"),
    ] {
        let r = app
            .post_form(
                &format!("{path}/messages"),
                &[("text", text)],
                Some(session),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    assert_eq!(
        app.post_form(&format!("{path}/messages"), &[("text", "x")], Some(&s))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // A meeting in the past is refused and the form keeps what was typed.
    let past = app
        .post_form(
            &format!("{path}/meetings"),
            &[
                ("at", "2026-11-25T09:30"),
                ("mode", "in_person"),
                ("place", "李堡镇劳动争议调解委员会"),
            ],
            Some(&m),
        )
        .await;
    assert_eq!(past.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(past.body.contains("调解会时间应晚于现在"));
    assert!(past.body.contains("value=\"李堡镇劳动争议调解委员会\""));
    let meet = app
        .post_form(
            &format!("{path}/meetings"),
            &[
                ("at", "2026-11-30T09:30"),
                ("mode", "in_person"),
                ("place", "李堡镇劳动争议调解委员会"),
            ],
            Some(&m),
        )
        .await;
    assert_eq!(meet.status, StatusCode::SEE_OTHER, "{}", meet.body);

    // Documents: a PDF is taken, a program is not; only the case's parties
    // download it.
    let exe = upload(&app, &id, &w, "a.exe", b"MZ\x90\x00").await;
    assert_eq!(exe.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(exe.body.contains("只接受 PDF、JPEG 或 PNG"), "{}", exe.body);
    let pdf = upload(&app, &id, &w, "工资条.pdf", b"%PDF-1.4 slips").await;
    assert_eq!(pdf.status, StatusCode::SEE_OTHER, "{}", pdf.body);
    let page = app.get(&path, Some(&f)).await;
    let at = page.body.find("/services/mediation/documents/").unwrap();
    let doc = &page.body[at..at + "/services/mediation/documents/".len() + 36];
    let (got, bytes) = app.download(doc, Some(&f)).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(bytes, b"%PDF-1.4 slips");
    assert_eq!(
        got.headers.get(header::CONTENT_TYPE).unwrap(),
        "application/pdf"
    );
    assert_eq!(app.get(doc, Some(&ow)).await.status, StatusCode::NOT_FOUND);

    // The timeline, as the worker sees it.
    let page = app.get(&path, Some(&w)).await;
    for text in [
        "提交申请",
        "受理",
        "请双方提供工资发放记录",
        "公司资金紧张，同意分期支付",
        "2026年11月30日 09:30",
        "现场调解，李堡镇劳动争议调解委员会",
        "工资条.pdf",
    ] {
        assert!(page.body.contains(text), "{text}: {}", page.body);
    }

    // The outcome: an agreement needs its text and amount.
    let missing = app
        .post_form(
            &format!("{path}/outcome"),
            &[("outcome", "agreed"), ("text", ""), ("amount", "")],
            Some(&m),
        )
        .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(missing.body.contains("请填写调解协议的内容"));
    assert!(missing.body.contains("请填写协议金额"));
    // Neither party records an outcome.
    assert_eq!(
        app.post_form(
            &format!("{path}/outcome"),
            &[("outcome", "agreed"), ("text", "x"), ("amount", "1")],
            Some(&w)
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let done = app
        .post_form(
            &format!("{path}/outcome"),
            &[
                ("outcome", "agreed"),
                (
                    "text",
                    "公司于 2026 年 12 月 20 日前一次性支付工资 15000 元",
                ),
                ("amount", "15000"),
            ],
            Some(&m),
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let page = app.get(&path, Some(&w)).await;
    assert!(page.body.contains("已结案：调解成功"), "{}", page.body);
    assert!(page.body.contains("协议金额 15,000.00 元"));
    assert!(
        !page.body.contains("/messages\""),
        "a closed case takes no message"
    );
    let printed = app.get(&format!("{path}/agreement"), Some(&w)).await;
    assert_eq!(printed.status, StatusCode::OK);
    assert!(printed.body.contains("劳动争议调解协议书"));
    assert!(printed.body.contains("15,000.00 元"));
    let late = app
        .post_form(&format!("{path}/withdraw"), &[], Some(&w))
        .await;
    assert_eq!(late.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(late.body.contains("已办结，不能再撤回"));

    // Every change is audited, with no phone in the details.
    let audit = app
        .store
        .audit_query(&AuditQuery::default(), Page::number(1, 200))
        .await
        .unwrap();
    let actions: Vec<&str> = audit
        .items
        .iter()
        .filter(|r| r.action.starts_with("mediation."))
        .map(|r| r.action.as_str())
        .collect();
    for a in [
        "mediation.submit",
        "mediation.accept",
        "mediation.message",
        "mediation.meeting",
        "mediation.document",
        "mediation.outcome",
    ] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
    assert_eq!(actions.len(), 8);
    assert!(audit
        .items
        .iter()
        .all(|r| !r.detail.contains("13912345678")));

    // Statistics: the page and the workbook.
    let stats = app.get("/services/mediation/stats", Some(&m)).await;
    assert!(stats.body.contains("2026-11"), "{}", stats.body);
    assert!(stats.body.contains("15,000.00 元"));
    assert!(stats.body.contains("100.0%"));
    let (got, bytes) = app
        .download("/services/mediation/stats.xlsx", Some(&m))
        .await;
    assert_eq!(got.status, StatusCode::OK);
    let mut book = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let months = book.worksheet_range("按月").unwrap();
    assert_eq!(months.get((1, 0)), Some(&Data::String("2026-11".into())));
    assert_eq!(months.get((1, 4)), Some(&Data::Float(15_000.0)));
    let summary = book.worksheet_range("汇总").unwrap();
    assert_eq!(summary.get((2, 1)), Some(&Data::Float(1.0)));
    let bad = app
        .get("/services/mediation/stats?from=2026-13-01", Some(&m))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("起始日期格式"));
}

#[tokio::test]
async fn cases_are_refused_withdrawn_and_run_late() {
    let app = TestApp::new().await;
    let worker = app.user("zhigong", Role::Worker).await;
    let w = app.session_for(&worker).await;
    let firm = app.user("laowu", Role::Bidder).await;
    let f = app.session_for(&firm).await;
    let mediator = app.user("tiaojie", Role::ServiceStaff).await;
    let m = app.session_for(&mediator).await;
    let apply = |session: String, kind: &'static str| {
        let app = &app;
        async move {
            let r = app
                .post_form(
                    "/services/mediation",
                    &[
                        ("worker_name", "李秀英"),
                        ("worker_phone", "13800001111"),
                        ("enterprise_name", "不理会"),
                        ("kind", kind),
                        ("facts", "加班费未结算"),
                        ("claims", "支付加班费"),
                    ],
                    Some(&session),
                )
                .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
            format!("/services/mediation/{}", case_id(r.location().unwrap()))
        }
    };
    // The enterprise applies as itself, whatever the form says.
    let own = apply(f.clone(), "dismissal").await;
    let page = app.get(&own, Some(&f)).await;
    assert!(page.body.contains("laowu 有限公司"), "{}", page.body);
    assert!(!page.body.contains("不理会"));
    assert!(page.body.contains("138****1111"));

    // Refused with a reason the applicant reads; a reason is required.
    let refused = apply(w.clone(), "other").await;
    let no_reason = app
        .post_form(&format!("{refused}/refuse"), &[("reason", "")], Some(&m))
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post_form(
            &format!("{refused}/refuse"),
            &[("reason", "已向人民法院起诉，不属于调解范围")],
            Some(&m),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = app.get(&refused, Some(&w)).await;
    assert!(page.body.contains("不予受理"));
    assert!(page.body.contains("已向人民法院起诉"));

    // Withdrawn by the worker while submitted; the enterprise may not
    // withdraw the worker's case.
    let withdrawn = apply(w.clone(), "hours").await;
    let r = app
        .post_form(
            &format!("{withdrawn}/withdraw"),
            &[("text", "已与公司协商解决")],
            Some(&w),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(app
        .get(&withdrawn, Some(&w))
        .await
        .body
        .contains("已结案：撤回"));

    // Accepted and left: overdue from the 15th day on, half-open.
    let late = apply(w.clone(), "wages").await;
    app.post_form(&format!("{late}/accept"), &[], Some(&m))
        .await;
    app.clock.advance_secs(15 * DAY_S - 1);
    let m = app.session_for(&mediator).await;
    let list = app.get("/services/mediation?overdue=1", Some(&m)).await;
    assert!(list.body.contains("共 0 件"), "{}", list.body);
    let all = app
        .get("/services/mediation?state=mediating", Some(&m))
        .await;
    assert!(all.body.contains("即将到期"), "{}", all.body);
    assert!(!all.body.contains("已超期"));
    app.clock.advance_secs(1);
    let m = app.session_for(&mediator).await;
    let list = app.get("/services/mediation?overdue=1", Some(&m)).await;
    assert!(list.body.contains("共 1 件"), "{}", list.body);
    assert!(list.body.contains("已超期"));
    let f = app.session_for(&firm).await;
    let r = app
        .post_form(&format!("{own}/withdraw"), &[], Some(&f))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = app
        .post_form(&format!("{late}/withdraw"), &[], Some(&f))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "not the firm's case");
    let stats = app.get("/services/mediation/stats", Some(&m)).await;
    assert!(stats.body.contains("4 件"), "{}", stats.body);
}

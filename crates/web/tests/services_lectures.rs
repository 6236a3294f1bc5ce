//! The lecture hall on the web: service staff keep the areas and courses
//! (bad input refused in Chinese, nothing typed lost; only https links),
//! the public browses published courses only; an enterprise registers a
//! trainee (phone masked), enrols them, records lessons until the course
//! is completed, prints the certificate, and anyone checks it by number
//! with the name masked; another enterprise sees none of it; the
//! statistics count it on the page and in the workbook.

mod common;

use axum::http::StatusCode;
use calamine::{Data, Reader, Xlsx};
use common::TestApp;
use yiwang_core::Role;
use yiwang_store::{AuditQuery, Page};

/// The first `/services/lectures/…/{id}` path in a page after `prefix`.
fn id_after<'a>(body: &'a str, prefix: &str) -> &'a str {
    let at = body
        .find(prefix)
        .unwrap_or_else(|| panic!("{prefix} in {body}"))
        + prefix.len();
    &body[at..at + 36]
}

#[tokio::test]
async fn catalogue_enrolment_completion_and_certificate() {
    let app = TestApp::new().await;
    let staff = app.user("service", Role::ServiceStaff).await;
    let staff = app.session_for(&staff).await;

    // Areas: seven seeded, names unique.
    let areas = app.get("/services/lectures/areas", Some(&staff)).await;
    assert_eq!(areas.status, StatusCode::OK);
    for name in ["人力资源管理", "市场营销", "财务税务"] {
        assert!(areas.body.contains(name), "{name}");
    }
    let hr = id_after(&areas.body, "/services/lectures/areas/").to_owned();
    let dup = app
        .post_form(
            "/services/lectures/areas",
            &[("name", "市场营销")],
            Some(&staff),
        )
        .await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        dup.body.contains("已有名为“市场营销”的方面"),
        "{}",
        dup.body
    );
    let added = app
        .post_form(
            "/services/lectures/areas",
            &[("name", "数字化转型")],
            Some(&staff),
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);

    // A course: refused with what is wrong, keeping what was typed.
    let bad = app
        .post_form(
            "/services/lectures/courses",
            &[
                ("area", ""),
                ("title", ""),
                ("teacher", "贲友华"),
                ("summary", "企业用工的常见风险与防范"),
            ],
            Some(&staff),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("请填写课程名称"));
    assert!(bad.body.contains("请选择课程所属方面"));
    assert!(bad.body.contains("企业用工的常见风险与防范"));
    let created = app
        .post_form(
            "/services/lectures/courses",
            &[
                ("area", &hr),
                ("title", "企业用工风险防范"),
                ("teacher", "贲友华"),
                ("summary", "企业用工的常见风险与防范"),
            ],
            Some(&staff),
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let edit = created.location().unwrap().to_owned();
    let course = edit
        .trim_start_matches("/services/lectures/courses/")
        .trim_end_matches("/edit")
        .to_owned();

    // Lessons: https only, whole minutes.
    let lessons = format!("/services/lectures/courses/{course}/lessons");
    let bad = app
        .post_form(
            &lessons,
            &[
                ("title", "劳动合同"),
                ("kind", "video"),
                ("url", "http://edu.example.cn/v/1"),
                ("minutes", "0"),
            ],
            Some(&staff),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body.contains("链接必须以 https:// 开头"),
        "{}",
        bad.body
    );
    assert!(bad.body.contains("时长应为 1 至 600 之间的整数"));
    assert!(bad.body.contains("劳动合同"), "the title typed is kept");
    for (title, kind, minutes) in [("劳动合同", "video", "45"), ("社会保险", "document", "50")]
    {
        let ok = app
            .post_form(
                &lessons,
                &[
                    ("title", title),
                    ("kind", kind),
                    ("url", "https://edu.example.cn/v/1"),
                    ("minutes", minutes),
                ],
                Some(&staff),
            )
            .await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    }

    // A draft is not public.
    let public = app.get("/services/lectures", None).await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(!public.body.contains("企业用工风险防范"));
    let page = format!("/services/lectures/courses/{course}");
    assert_eq!(app.get(&page, None).await.status, StatusCode::NOT_FOUND);
    let publish = app
        .post_form(
            &format!("/services/lectures/courses/{course}"),
            &[
                ("area", &hr),
                ("title", "企业用工风险防范"),
                ("teacher", "贲友华"),
                ("summary", "企业用工的常见风险与防范"),
                ("published", "1"),
            ],
            Some(&staff),
        )
        .await;
    assert_eq!(publish.status, StatusCode::SEE_OTHER, "{}", publish.body);
    let public = app.get("/services/lectures?q=用工", None).await;
    assert!(public.body.contains("企业用工风险防范"));
    let shown = app.get(&page, None).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(shown.body.contains("社会保险"));
    assert!(
        shown.body.contains("1.6 小时"),
        "95 minutes: {}",
        shown.body
    );

    // An enterprise registers a trainee; the phone is masked.
    let firm = app.user("firm", Role::Bidder).await;
    let firm = app.session_for(&firm).await;
    let bad = app
        .post_form(
            "/services/lectures/trainees",
            &[("name", "王晓东"), ("phone", "0513-8500")],
            Some(&firm),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("手机号码应为 11 位数字"));
    assert!(bad.body.contains("王晓东"));
    let registered = app
        .post_form(
            "/services/lectures/trainees",
            &[("name", "王晓东"), ("phone", "13905130001")],
            Some(&firm),
        )
        .await;
    assert_eq!(
        registered.status,
        StatusCode::SEE_OTHER,
        "{}",
        registered.body
    );
    let trainee = registered.location().unwrap().to_owned();
    let again = app
        .post_form(
            "/services/lectures/trainees",
            &[("name", "王小东"), ("phone", "139 0513 0001")],
            Some(&firm),
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.body.contains("已登记过使用该手机号码的学员"));
    let list = app.get("/services/lectures/trainees", Some(&firm)).await;
    assert!(list.body.contains("139****0001"), "{}", list.body);
    assert!(!list.body.contains("13905130001"));

    // Enrolled in the course, lessons recorded; the last completes it.
    let enrolled = app
        .post_form(
            &format!("{trainee}/enrolments"),
            &[("course", &course)],
            Some(&firm),
        )
        .await;
    assert_eq!(enrolled.status, StatusCode::SEE_OTHER, "{}", enrolled.body);
    let enrolment = enrolled.location().unwrap().to_owned();
    let twice = app
        .post_form(
            &format!("{trainee}/enrolments"),
            &[("course", &course)],
            Some(&firm),
        )
        .await;
    assert!(twice.body.contains("该学员已报名这门课程"));
    let body = app.get(&enrolment, Some(&firm)).await.body;
    let first = id_after(&body, "name=\"lesson\" value=\"").to_owned();
    let records = format!("{enrolment}/records");
    let future = app
        .post_form(
            &records,
            &[("lesson", &first), ("learned_on", "2026-11-27")],
            Some(&firm),
        )
        .await;
    assert_eq!(future.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(future.body.contains("学习日期不能晚于今天"));
    let none = app
        .post_form(&records, &[("learned_on", "2026-11-26")], Some(&firm))
        .await;
    assert!(none.body.contains("请勾选已学完的课时"));
    let half = app
        .post_form(
            &records,
            &[("lesson", &first), ("learned_on", "2026-11-26")],
            Some(&firm),
        )
        .await;
    assert_eq!(half.status, StatusCode::SEE_OTHER, "{}", half.body);
    let body = app.get(&enrolment, Some(&firm)).await.body;
    assert!(body.contains("已学 1 / 2 课时，0.8 小时"), "{body}");
    let second = id_after(&body, "name=\"lesson\" value=\"").to_owned();
    let done = app
        .post_form(
            &records,
            &[("lesson", &second), ("learned_on", "2026-11-26")],
            Some(&firm),
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let body = app.get(&enrolment, Some(&firm)).await.body;
    assert!(
        body.contains("已于 2026年11月26日 结业") || body.contains("结业，证书编号"),
        "{body}"
    );
    let number = id_after(&body, "证书编号 <span class=\"code\">");
    let number = &number[..number.find('<').unwrap_or(number.len())];
    assert!(number.starts_with("JY-") && number.len() == 22, "{number}");

    // The printable certificate, for the enterprise: the whole name.
    let print = app
        .get(&format!("{enrolment}/certificate"), Some(&firm))
        .await;
    assert_eq!(print.status, StatusCode::OK);
    assert!(print.body.contains("王晓东"));
    assert!(print.body.contains("1.6 小时"));
    assert!(print.body.contains("data-print"));

    // The enterprise's service page lists the course with its progress.
    let me = app
        .get("/services/enterprises/mine", Some(&firm))
        .await
        .location()
        .unwrap()
        .trim_end_matches("/card")
        .to_owned();
    let service_page = app.get(&me, Some(&firm)).await;
    assert_eq!(service_page.status, StatusCode::OK);
    assert!(
        service_page.body.contains("工信E通大讲堂"),
        "{}",
        service_page.body
    );
    assert!(
        service_page.body.contains(
            "企业用工风险防范</a>（人力资源管理｜1 人报名，1 人结业，累计学习 1.6 小时）"
        ),
        "{}",
        service_page.body
    );

    // The services' open figures count the learning in its month.
    let figures = app
        .get("/api/v1/services/stats?year=2026", None)
        .await
        .json();
    assert_eq!(figures["lectures"]["hours"], "1.6");
    assert_eq!(figures["lectures"]["completions"], 1);
    assert_eq!(
        figures["lectures"]["minutes_by_month"][10], figures["lectures"]["minutes"],
        "all of it in November"
    );

    // Anyone checks it by number: the name masked.
    let check = app
        .get(&format!("/services/lectures/certificates/{number}"), None)
        .await;
    assert_eq!(check.status, StatusCode::OK);
    assert!(check.body.contains("王*东"), "{}", check.body);
    assert!(!check.body.contains("王晓东"));
    assert!(check.body.contains("企业用工风险防范"));
    assert!(check.body.contains("1.6 小时"));
    assert!(check.body.contains("证书核验通过"));
    for wrong in [
        "JY-0000-0000-0000-0000",
        "not-a-number",
        "1%27%20OR%201%3D1",
    ] {
        let answer = app
            .get(&format!("/services/lectures/certificates/{wrong}"), None)
            .await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{wrong}");
        assert!(answer.body.contains("未查到该编号的结业证书"));
    }

    // Another enterprise sees none of it.
    let other = app.user("other", Role::Bidder).await;
    let other = app.session_for(&other).await;
    for path in [
        trainee.clone(),
        enrolment.clone(),
        format!("{enrolment}/certificate"),
    ] {
        assert_eq!(
            app.get(&path, Some(&other)).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let theirs = app
        .post_form(
            &records,
            &[("lesson", &first), ("learned_on", "2026-11-26")],
            Some(&other),
        )
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    let list = app.get("/services/lectures/enrolments", Some(&other)).await;
    assert!(!list.body.contains("王晓东"));
    let mine = app.get("/services/lectures/enrolments", Some(&firm)).await;
    assert!(mine.body.contains("企业用工风险防范"));
    assert!(mine.body.contains("139****0001"));

    // Statistics, on the page and in the workbook.
    let stats = app.get("/services/lectures/stats", Some(&staff)).await;
    assert_eq!(stats.status, StatusCode::OK);
    assert!(
        stats
            .body
            .contains("累计培训 1 人，报名 1 人次，结业 1 人次，培训时长 1.6 小时"),
        "{}",
        stats.body
    );
    assert!(stats.body.contains("2026 年 11 月"));
    let (answer, bytes) = app
        .download("/services/lectures/stats.xlsx", Some(&staff))
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let range = book.worksheet_range("按方面").unwrap();
    let rows: Vec<Vec<Data>> = range.rows().map(<[Data]>::to_vec).collect();
    assert_eq!(rows[1][0], Data::String("人力资源管理".into()));
    assert_eq!(rows[1][1], Data::Float(1.0));
    assert_eq!(rows[1][5], Data::Float(1.6));
    let total = rows.last().unwrap();
    assert_eq!(total[0], Data::String("合计".into()));
    assert_eq!(total[5], Data::Float(1.6));
    let range = book.worksheet_range("按企业").unwrap();
    assert_eq!(
        range.rows().count(),
        3,
        "a heading, one enterprise, the total"
    );

    // Each lesson recorded is audited.
    let audited = app
        .store
        .audit_query(
            &AuditQuery {
                action: Some("lecture.record".into()),
                ..AuditQuery::default()
            },
            Page::number(1, 10),
        )
        .await
        .unwrap();
    assert_eq!(audited.total, 2);
}

#[tokio::test]
async fn areas_are_renamed_and_archived_out_of_the_catalogue() {
    let app = TestApp::new().await;
    let admin = app.user("admin", Role::Admin).await;
    let admin = app.session_for(&admin).await;
    let areas = app.get("/services/lectures/areas", Some(&admin)).await;
    let hr = id_after(&areas.body, "/services/lectures/areas/").to_owned();
    let renamed = app
        .post_form(
            &format!("/services/lectures/areas/{hr}"),
            &[("name", "人力资源"), ("archived", "1")],
            Some(&admin),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::SEE_OTHER, "{}", renamed.body);
    let public = app.get("/services/lectures", None).await;
    assert!(!public.body.contains("人力资源"));
    let areas = app.get("/services/lectures/areas", Some(&admin)).await;
    assert!(areas.body.contains("已停用"));
    let refused = app
        .post_form(
            "/services/lectures/courses",
            &[
                ("area", &hr),
                ("title", "招聘面试技巧"),
                ("teacher", "徐蔚冰"),
                ("summary", "面试"),
            ],
            Some(&admin),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("该方面已停用"));
    assert!(refused.body.contains("招聘面试技巧"));
}

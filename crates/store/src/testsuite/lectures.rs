//! The lecture hall's part of the suite: the seven seeded areas, areas
//! added, renamed and archived; courses and their ordered lessons; trainees
//! registered once per phone and enterprise; enrolment in published
//! courses only; lessons recorded once, the last completing the enrolment
//! with its certificate; the figures by area, course, enterprise and month;
//! a bulk load; every write audited without phones.

use std::sync::Arc;

use uuid::Uuid;

use super::{
    admin_ctx, assert_chain, detail, expect_conflict, expect_not_found, new_enterprise, new_user,
    T0,
};
use crate::lectures::{
    month_of, CourseInput, CourseQuery, EnrolmentQuery, ImportEnrolment, ImportRecord,
    LectureImport, LessonsDone, NewEnrolment, NewLesson, NewTrainee, TraineeQuery,
};
use crate::{AuditQuery, Page, Store};
use yiwang_core::Role;

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

fn course(area_id: Uuid, title: &str, published: bool) -> CourseInput {
    CourseInput {
        id: Uuid::now_v7(),
        area_id,
        title: title.to_owned(),
        teacher: "贲友华".to_owned(),
        summary: "政策宣讲".to_owned(),
        published,
    }
}

fn lesson(course_id: Uuid, title: &str, minutes: i64) -> NewLesson {
    NewLesson {
        id: Uuid::now_v7(),
        course_id,
        title: title.to_owned(),
        kind: "video".to_owned(),
        url: "https://edu.example.cn/v/1".to_owned(),
        minutes,
    }
}

fn trainee(enterprise_id: Uuid, name: &str, phone: &str) -> NewTrainee {
    NewTrainee {
        id: Uuid::now_v7(),
        enterprise_id,
        name: name.to_owned(),
        phone: phone.to_owned(),
    }
}

pub async fn lectures_are_studied_completed_and_audited(store: Arc<dyn Store>) {
    let s = &*store;
    let areas = s.lecture_areas().await.unwrap();
    let names: Vec<&str> = areas.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names.len(), 7);
    assert_eq!(&names[..3], &["人力资源管理", "市场营销", "财务税务"]);
    let hr = areas[0].id;

    // Areas: added at the end, names unique, renamed and archived.
    let extra = s
        .add_lecture_area(&admin_ctx(T0), Uuid::now_v7(), "数字化转型")
        .await
        .unwrap();
    assert_eq!(extra.position, 8);
    expect_conflict(
        s.add_lecture_area(&admin_ctx(T0), Uuid::now_v7(), "市场营销")
            .await,
        "name",
    );
    expect_conflict(
        s.update_lecture_area(&admin_ctx(T0), extra.id, "财务税务", false)
            .await,
        "name",
    );
    let archived = s
        .update_lecture_area(&admin_ctx(T0), extra.id, "数字化转型（停用）", true)
        .await
        .unwrap();
    assert!(archived.archived);
    assert_eq!(archived.name, "数字化转型（停用）");
    expect_conflict(
        s.add_course(&admin_ctx(T0), course(extra.id, "停用方面的课程", true))
            .await,
        "area",
    );
    expect_not_found(
        s.add_course(&admin_ctx(T0), course(Uuid::now_v7(), "无此方面", true))
            .await,
    );

    // A course and its lessons, numbered in order.
    let draft = s
        .add_course(&admin_ctx(T0), course(hr, "企业用工风险防范", false))
        .await
        .unwrap();
    assert!(!draft.published);
    let l1 = s
        .add_lesson(&admin_ctx(T0), lesson(draft.id, "劳动合同", 45))
        .await
        .unwrap();
    let l2 = s
        .add_lesson(&admin_ctx(T0), lesson(draft.id, "社会保险", 50))
        .await
        .unwrap();
    assert_eq!((l1.position, l2.position), (1, 2));
    expect_not_found(
        s.add_lesson(&admin_ctx(T0), lesson(Uuid::now_v7(), "无此课程", 5))
            .await,
    );
    let (c, lessons) = s.course(draft.id).await.unwrap().unwrap();
    assert_eq!((c.lessons, c.minutes), (2, 95));
    assert_eq!(lessons, vec![l1.clone(), l2.clone()]);
    let public = s
        .courses(
            &CourseQuery {
                published_only: true,
                ..CourseQuery::default()
            },
            Page::number(1, 10),
        )
        .await
        .unwrap();
    assert_eq!(public.total, 0, "a draft is not in the public catalogue");

    // Trainees: a phone once per enterprise.
    let firm = enterprise(s, "精工机械", "91320621MA1Q000011", "firm").await;
    let other = enterprise(s, "纺织科技", "91320621MA1Q000022", "other").await;
    let wang = s
        .register_trainee(&admin_ctx(T0), trainee(firm, "王晓东", "13905130001"))
        .await
        .unwrap();
    expect_conflict(
        s.register_trainee(&admin_ctx(T0), trainee(firm, "王小东", "13905130001"))
            .await,
        "phone",
    );
    s.register_trainee(&admin_ctx(T0), trainee(other, "王晓东", "13905130001"))
        .await
        .unwrap();
    let li = s
        .register_trainee(&admin_ctx(T0), trainee(firm, "李春燕", "13905130002"))
        .await
        .unwrap();
    let found = s
        .trainees(
            &TraineeQuery {
                enterprise_id: Some(firm),
                search: Some("13905130002".into()),
            },
            Page::number(1, 10),
        )
        .await
        .unwrap();
    assert_eq!(found.total, 1);
    assert_eq!(found.items[0].name, "李春燕");

    // Enrolment: published courses only, once, the enterprise's own trainees.
    let enrol = |trainee_id, enterprise_id, course_id| NewEnrolment {
        id: Uuid::now_v7(),
        enterprise_id,
        trainee_id,
        course_id,
    };
    expect_conflict(
        s.enrol(&admin_ctx(T0), enrol(wang.id, firm, draft.id))
            .await,
        "course",
    );
    let mut published = course(hr, "企业用工风险防范", true);
    published.id = draft.id;
    s.update_course(&admin_ctx(T0), published).await.unwrap();
    expect_not_found(
        s.enrol(&admin_ctx(T0), enrol(wang.id, other, draft.id))
            .await,
    );
    let e = s
        .enrol(&admin_ctx(T0 + DAY), enrol(wang.id, firm, draft.id))
        .await
        .unwrap();
    assert_eq!((e.lessons, e.done, e.minutes), (2, 0, 0));
    expect_conflict(
        s.enrol(&admin_ctx(T0), enrol(wang.id, firm, draft.id))
            .await,
        "enrolment",
    );
    let e_li = s
        .enrol(&admin_ctx(T0 + DAY), enrol(li.id, firm, draft.id))
        .await
        .unwrap();

    // Lessons recorded: once each, by the enterprise only; the last
    // completes the course with the certificate number given.
    let done = |enterprise_id, lesson_ids: Vec<Uuid>, number: &str| LessonsDone {
        enrolment_id: e.id,
        enterprise_id,
        lesson_ids,
        learned_at: T0 + 2 * DAY,
        certificate_no: number.to_owned(),
    };
    expect_not_found(
        s.record_lessons(&admin_ctx(T0), done(other, vec![l1.id], "JY-X"))
            .await,
    );
    expect_not_found(
        s.record_lessons(&admin_ctx(T0), done(firm, vec![Uuid::now_v7()], "JY-X"))
            .await,
    );
    expect_conflict(
        s.record_lessons(&admin_ctx(T0), done(firm, vec![], "JY-X"))
            .await,
        "lessons",
    );
    let half = s
        .record_lessons(&admin_ctx(T0 + 2 * DAY), done(firm, vec![l1.id], "JY-A"))
        .await
        .unwrap();
    assert_eq!((half.done, half.minutes, half.completed_at), (1, 45, None));
    expect_conflict(
        s.record_lessons(&admin_ctx(T0), done(firm, vec![l1.id], "JY-A"))
            .await,
        "lesson",
    );
    let full = s
        .record_lessons(&admin_ctx(T0 + 3 * DAY), done(firm, vec![l2.id], "JY-B"))
        .await
        .unwrap();
    assert_eq!(full.done, 2);
    assert_eq!(full.minutes, 95);
    assert_eq!(full.completed_at, Some(T0 + 3 * DAY));
    assert_eq!(full.certificate_no.as_deref(), Some("JY-B"));
    let cert = s.certificate("JY-B").await.unwrap().unwrap();
    assert_eq!(cert.trainee_name, "王晓东");
    assert_eq!(cert.course_title, "企业用工风险防范");
    assert_eq!(s.certificate("JY-A").await.unwrap(), None);
    let (_, progress) = s.enrolment(e.id).await.unwrap().unwrap();
    assert!(progress.iter().all(|p| p.learned_at == Some(T0 + 2 * DAY)));
    // A second trainee's last lesson cannot reuse a certificate number.
    s.record_lessons(
        &admin_ctx(T0),
        LessonsDone {
            enrolment_id: e_li.id,
            ..done(firm, vec![l1.id], "JY-C")
        },
    )
    .await
    .unwrap();
    expect_conflict(
        s.record_lessons(
            &admin_ctx(T0),
            LessonsDone {
                enrolment_id: e_li.id,
                ..done(firm, vec![l2.id], "JY-B")
            },
        )
        .await,
        "certificate_no",
    );
    let (li_now, _) = s.enrolment(e_li.id).await.unwrap().unwrap();
    assert_eq!(li_now.done, 1, "the refused record was rolled back");

    let completed = s
        .enrolments(
            &EnrolmentQuery {
                enterprise_id: Some(firm),
                completed: Some(true),
                ..EnrolmentQuery::default()
            },
            Page::number(1, 10),
        )
        .await
        .unwrap();
    assert_eq!(completed.total, 1);
    let open = s
        .enrolments(
            &EnrolmentQuery {
                enterprise_id: Some(firm),
                completed: Some(false),
                search: Some("李".into()),
                ..EnrolmentQuery::default()
            },
            Page::number(1, 10),
        )
        .await
        .unwrap();
    assert_eq!(open.total, 1);
    assert_eq!(open.items[0].trainee_name, "李春燕");

    // Audited, without phones.
    let records = assert_chain(s).await;
    let mine: Vec<_> = records
        .iter()
        .filter(|r| r.action.starts_with("lecture."))
        .collect();
    for action in [
        "lecture.area_add",
        "lecture.area_update",
        "lecture.course_add",
        "lecture.course_update",
        "lecture.lesson_add",
        "lecture.trainee_register",
        "lecture.enrol",
        "lecture.record",
        "lecture.complete",
    ] {
        assert!(mine.iter().any(|r| r.action == action), "{action}");
    }
    assert!(mine.iter().all(|r| !r.detail.contains("1390513")));
    let records_of_wang = s
        .audit_query(
            &AuditQuery {
                action: Some("lecture.record".into()),
                object_id: Some(e.id.to_string()),
                ..AuditQuery::default()
            },
            Page::number(1, 10),
        )
        .await
        .unwrap();
    assert_eq!(records_of_wang.total, 2, "one record per lesson");
    let complete = mine
        .iter()
        .find(|r| r.action == "lecture.complete")
        .unwrap();
    assert_eq!(detail(complete)["minutes"], 95);
}

pub async fn lectures_are_counted_by_area_course_enterprise_and_month(store: Arc<dyn Store>) {
    let s = &*store;
    let areas = s.lecture_areas().await.unwrap();
    let (hr, tax) = (areas[0].id, areas[2].id);
    let firm = enterprise(s, "精工机械", "91320621MA1Q000011", "firm").await;
    let other = enterprise(s, "纺织科技", "91320621MA1Q000022", "other").await;
    let c1 = course(hr, "劳动关系", true);
    let c2 = course(tax, "增值税实务", true);
    let c3 = course(tax, "个税汇算", false);
    let lessons = vec![
        lesson(c1.id, "一", 60),
        lesson(c1.id, "二", 30),
        lesson(c2.id, "一", 90),
    ];
    let trainees = vec![
        trainee(firm, "甲", "13900000001"),
        trainee(firm, "乙", "13900000002"),
        trainee(other, "丙", "13900000003"),
    ];
    let e = |i: usize, t: usize, c: &CourseInput, completed: Option<&str>| ImportEnrolment {
        id: Uuid::from_u128(1000 + i as u128),
        enterprise_id: trainees[t].enterprise_id,
        trainee_id: trainees[t].id,
        course_id: c.id,
        enrolled_at: T0,
        completed: completed.map(|n| (T0 + 40 * DAY, n.to_owned())),
    };
    let enrolments = vec![
        e(0, 0, &c1, Some("JY-1")),
        e(1, 0, &c2, None),
        e(2, 1, &c1, None),
        e(3, 2, &c2, Some("JY-2")),
    ];
    let r = |enrolment: usize, lesson: usize, at: i64| ImportRecord {
        enrolment_id: enrolments[enrolment].id,
        lesson_id: lessons[lesson].id,
        learned_at: at,
    };
    // January and February 2026 (Shanghai).
    let records = vec![
        r(0, 0, T0 + DAY),
        r(0, 1, T0 + 40 * DAY),
        r(2, 0, T0 + 2 * DAY),
        r(3, 2, T0 + 40 * DAY),
    ];
    // A record of a lesson of another course is refused, and nothing stays.
    let mut bad = LectureImport {
        courses: vec![c1.clone(), c2.clone(), c3.clone()],
        lessons: lessons.clone(),
        trainees: trainees.clone(),
        enrolments: enrolments.clone(),
        records: records.clone(),
    };
    bad.records.push(r(1, 0, T0));
    expect_not_found(s.import_lectures(&admin_ctx(T0), bad).await);
    assert_eq!(s.lecture_stats().await.unwrap().courses, 0);

    s.import_lectures(
        &admin_ctx(T0 + 50 * DAY),
        LectureImport {
            courses: vec![c1.clone(), c2.clone(), c3.clone()],
            lessons,
            trainees,
            enrolments,
            records,
        },
    )
    .await
    .unwrap();
    let stats = s.lecture_stats().await.unwrap();
    assert_eq!(stats.areas, 7);
    assert_eq!((stats.courses, stats.published_courses), (3, 2));
    assert_eq!(stats.trainees, 3);
    assert_eq!((stats.enrolments, stats.completions), (4, 2));
    assert_eq!(stats.minutes, 60 + 30 + 60 + 90);
    let hr_line = &stats.by_area[0];
    assert_eq!(hr_line.name, "人力资源管理");
    assert_eq!(
        (
            hr_line.courses,
            hr_line.trainees,
            hr_line.enrolments,
            hr_line.completions,
            hr_line.minutes
        ),
        (1, 2, 2, 1, 150)
    );
    let tax_line = &stats.by_area[2];
    assert_eq!(
        (
            tax_line.courses,
            tax_line.trainees,
            tax_line.enrolments,
            tax_line.minutes
        ),
        (2, 2, 2, 90)
    );
    assert_eq!(stats.by_area[1].enrolments, 0);
    assert_eq!(stats.by_course.len(), 3);
    let c1_line = stats.by_course.iter().find(|t| t.id == c1.id).unwrap();
    assert_eq!(c1_line.area, "人力资源管理");
    assert_eq!((c1_line.trainees, c1_line.minutes), (2, 150));
    let names: Vec<&str> = stats
        .by_enterprise
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    assert_eq!(names, vec!["精工机械", "纺织科技"]);
    assert_eq!(
        (
            stats.by_enterprise[0].trainees,
            stats.by_enterprise[0].minutes
        ),
        (2, 150)
    );
    let months: Vec<(i64, i64, i64, i64)> = stats
        .by_month
        .iter()
        .map(|m| (m.month, m.trainees, m.records, m.minutes))
        .collect();
    assert_eq!(month_of(T0 + DAY), 202601);
    assert_eq!(months, vec![(202601, 2, 2, 120), (202602, 2, 2, 120)]);

    let mine = s.enterprise_courses(firm).await.unwrap();
    assert_eq!(mine.len(), 2);
    assert_eq!(mine[0].course_title, "劳动关系");
    assert_eq!(
        (mine[0].trainees, mine[0].completions, mine[0].minutes),
        (2, 1, 150)
    );
    assert_eq!((mine[1].trainees, mine[1].minutes), (1, 0));
    assert!(s
        .enterprise_courses(Uuid::now_v7())
        .await
        .unwrap()
        .is_empty());
    let cert = s.certificate("JY-2").await.unwrap().unwrap();
    assert_eq!((cert.trainee_name.as_str(), cert.minutes), ("丙", 90));

    let imports = s
        .audit_query(
            &AuditQuery {
                action: Some("lecture.import".into()),
                ..AuditQuery::default()
            },
            Page::number(1, 10),
        )
        .await
        .unwrap();
    assert_eq!(
        imports.total, 1,
        "one record for the load, none for the refused one"
    );
    assert_eq!(detail(&imports.items[0])["minutes"], 240);
    assert_chain(s).await;
}

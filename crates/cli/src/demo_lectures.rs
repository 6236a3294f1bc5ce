//! The lecture hall (工信E通 大讲堂) for the demo, of the seed's size:
//! "7个方面46门精品课程 … 累计培训人数11915人，培训时长达35666小时".
//!
//! 46 published courses in the seven seeded areas, each with four to six
//! lessons of 30 to 90 minutes, and a micro-course of twelve 15-minute
//! policy briefings; [`TRAINEES`] trainees spread over every enterprise
//! account of the demo, each enrolled in one course and part-way or all
//! through it, and as many as it takes in the micro-course to make
//! exactly [`HOURS`] hours of learning over the last year. Trainees who
//! finished a course hold a certificate with a random number.
//!
//! Everything but the certificate numbers is fixed data and the clock's
//! now. It is written with `LectureStore::import_lectures` in one
//! transaction of multi-row inserts (one `lecture.import` audit record).
//! Loading is idempotent: a hall with courses is left as it is.

use uuid::Uuid;
use yiwang_core::Role;
use yiwang_services::lectures::SEED_AREAS;
use yiwang_store::lectures::{
    CourseInput, ImportEnrolment, ImportRecord, LectureImport, NewLesson, NewTrainee,
};
use yiwang_store::{AuditCtx, Page, UserQuery};
use yiwang_web::services::lectures::new_certificate_number;
use yiwang_web::AppState;

const DAY: i64 = 86_400_000_000;

/// Courses, the micro-course among them.
pub const COURSES: usize = 46;
/// Trainees in all.
pub const TRAINEES: usize = 11_915;
/// Hours of learning in all.
pub const HOURS: i64 = 35_666;

/// The courses of each area, in [`SEED_AREAS`]' order: 7 + 7 + 7 + 7 + 6
/// + 6 + 5, and the micro-course in the last area makes 46.
const TITLES: [&[&str]; 7] = [
    &[
        "企业用工风险防范",
        "劳动合同管理实务",
        "薪酬体系设计",
        "绩效考核与激励",
        "招聘与面试技巧",
        "员工培训体系建设",
        "新型学徒制政策解读",
    ],
    &[
        "工业品市场开拓",
        "品牌建设与推广",
        "电子商务与直播营销",
        "客户关系管理",
        "外贸出口实务",
        "营销团队管理",
        "展会营销策划",
    ],
    &[
        "增值税实务",
        "企业所得税汇算清缴",
        "研发费用加计扣除",
        "减税降费政策解读",
        "成本控制与管理会计",
        "企业融资与财务规划",
        "出口退税实务",
    ],
    &[
        "中小企业战略管理",
        "精益生产管理",
        "质量管理体系",
        "供应链管理",
        "企业文化建设",
        "班组长管理能力提升",
        "项目管理实务",
    ],
    &[
        "智能制造概论",
        "工业互联网应用",
        "智能化改造与数字化转型",
        "工业机器人应用",
        "制造执行系统",
        "两化融合管理体系",
    ],
    &[
        "安全生产法律责任",
        "企业合同法律风险",
        "知识产权保护",
        "劳动争议预防与处理",
        "环境保护法规",
        "企业合规经营",
    ],
    &[
        "惠企政策汇编解读",
        "非公企业党建工作",
        "专精特新企业培育",
        "高新技术企业认定",
        "企业上市政策与路径",
    ],
];

/// The micro-course: twelve lessons of [`MICRO_MINUTES`] minutes.
const MICRO_TITLE: &str = "政策解读微课";
const MICRO_LESSONS: usize = 12;
const MICRO_MINUTES: i64 = 15;

const TEACHERS: [&str; 8] = [
    "贲友华",
    "徐蔚冰",
    "王晓红",
    "陈立新",
    "周海燕",
    "吴建军",
    "刘春梅",
    "张志刚",
];

const LESSON_MINUTES: [i64; 4] = [45, 60, 30, 90];

const SURNAMES: [&str; 24] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋",
];
const GIVEN: [&str; 30] = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀英", "霞", "平", "刚", "桂英", "晓东", "春燕", "建华", "海燕", "志强", "文静", "国平",
    "丽萍",
];

/// The enterprises of the demo's enterprise accounts, by account name.
async fn enterprises(app: &AppState) -> anyhow::Result<Vec<Uuid>> {
    let users = app
        .store
        .list_users(
            &UserQuery {
                role: Some(Role::Bidder),
                ..UserQuery::default()
            },
            Page::number(1, Page::MAX_LIMIT),
        )
        .await?;
    let mut accounts: Vec<(String, Uuid)> = users
        .items
        .into_iter()
        .filter_map(|u| u.enterprise_id.map(|e| (u.username, e)))
        .collect();
    accounts.sort();
    let mut out: Vec<Uuid> = Vec::new();
    for (_, e) in accounts {
        if !out.contains(&e) {
            out.push(e);
        }
    }
    Ok(out)
}

/// The catalogue, its learners and their learning, for these enterprises.
fn plan(areas: &[Uuid], firms: &[Uuid], now: i64) -> LectureImport {
    let mut import = LectureImport::default();
    // (course, its lessons' ids and minutes)
    let mut catalogue: Vec<(Uuid, Vec<(Uuid, i64)>)> = Vec::new();
    let mut n = 0usize;
    for (a, titles) in TITLES.iter().enumerate() {
        for title in titles.iter() {
            let id = Uuid::now_v7();
            import.courses.push(CourseInput {
                id,
                area_id: areas[a],
                title: (*title).to_owned(),
                teacher: TEACHERS[n % TEACHERS.len()].to_owned(),
                summary: format!(
                    "“{}”方面精品课程：{title}。由市工信局各支部“第一书记”组织，面向全市企业免费开放。",
                    SEED_AREAS[a]
                ),
                published: true,
            });
            let count = 4 + n % 3;
            let lessons = (0..count)
                .map(|k| {
                    (
                        Uuid::now_v7(),
                        LESSON_MINUTES[(n + k) % LESSON_MINUTES.len()],
                    )
                })
                .collect::<Vec<_>>();
            for (k, (lesson, minutes)) in lessons.iter().enumerate() {
                import.lessons.push(NewLesson {
                    id: *lesson,
                    course_id: id,
                    title: format!("第{}讲", k + 1),
                    kind: if k % 3 == 2 { "document" } else { "video" }.to_owned(),
                    url: format!("https://video.example.cn/gxet/{}/{}", n + 1, k + 1),
                    minutes: *minutes,
                });
            }
            catalogue.push((id, lessons));
            n += 1;
        }
    }
    let micro = Uuid::now_v7();
    import.courses.push(CourseInput {
        id: micro,
        area_id: areas[6],
        title: MICRO_TITLE.to_owned(),
        teacher: TEACHERS[0].to_owned(),
        summary: "每讲一刻钟，解读一项惠企政策。".to_owned(),
        published: true,
    });
    let micro_lessons: Vec<Uuid> = (0..MICRO_LESSONS).map(|_| Uuid::now_v7()).collect();
    for (k, lesson) in micro_lessons.iter().enumerate() {
        import.lessons.push(NewLesson {
            id: *lesson,
            course_id: micro,
            title: format!("政策解读第{}讲", k + 1),
            kind: "video".to_owned(),
            url: format!("https://video.example.cn/gxet/micro/{}", k + 1),
            minutes: MICRO_MINUTES,
        });
    }

    let target = HOURS * 60;
    let mut total = 0;
    // Each trainee in one course, part-way or all through it.
    let mut placed: Vec<(Uuid, Uuid, i64)> = Vec::with_capacity(TRAINEES);
    for i in 0..TRAINEES {
        let firm = firms[i % firms.len()];
        let trainee = Uuid::now_v7();
        import.trainees.push(NewTrainee {
            id: trainee,
            enterprise_id: firm,
            name: format!(
                "{}{}",
                SURNAMES[i % SURNAMES.len()],
                GIVEN[(i / SURNAMES.len() + i) % GIVEN.len()]
            ),
            phone: format!("13{:09}", 600_000_000 + i),
        });
        let (course, lessons) = &catalogue[(i * 7) % catalogue.len()];
        let days_ago = ((i * 37) % 340) as i64;
        let enrolled_at = now - (days_ago + 20) * DAY;
        // Part-way or all through, paced so that the main courses take
        // nine tenths of the hours and the micro-course the rest.
        let paced = target * 9 / 10 * (i as i64 + 1) / TRAINEES as i64;
        let mut k = 0;
        let mut minutes_here = 0;
        for (_, minutes) in lessons.iter().take(1 + (i % lessons.len())) {
            if k > 0 && total + minutes_here + minutes > paced {
                break;
            }
            k += 1;
            minutes_here += minutes;
        }
        let enrolment = Uuid::now_v7();
        let mut last = enrolled_at;
        for (j, (lesson, minutes)) in lessons.iter().take(k).enumerate() {
            last = enrolled_at + (j as i64 + 1) * DAY + 3_600_000_000;
            import.records.push(ImportRecord {
                enrolment_id: enrolment,
                lesson_id: *lesson,
                learned_at: last,
            });
            total += minutes;
        }
        import.enrolments.push(ImportEnrolment {
            id: enrolment,
            enterprise_id: firm,
            trainee_id: trainee,
            course_id: *course,
            enrolled_at,
            completed: (k == lessons.len()).then(|| (last, new_certificate_number())),
        });
        placed.push((trainee, firm, enrolled_at));
    }
    // The micro-course makes up the rest, a quarter-hour at a time, one
    // to twelve briefings for every third trainee until it is made.
    let mut rest = (target - total) / MICRO_MINUTES;
    for (i, (trainee, firm, enrolled_at)) in placed.iter().enumerate().step_by(3) {
        if rest <= 0 {
            break;
        }
        let k = (1 + (i / 3) % MICRO_LESSONS).min(rest as usize);
        rest -= k as i64;
        let enrolment = Uuid::now_v7();
        let mut last = *enrolled_at;
        for (j, lesson) in micro_lessons.iter().take(k).enumerate() {
            last = enrolled_at + (j as i64 + 1) * DAY + 7_200_000_000;
            import.records.push(ImportRecord {
                enrolment_id: enrolment,
                lesson_id: *lesson,
                learned_at: last,
            });
        }
        import.enrolments.push(ImportEnrolment {
            id: enrolment,
            enterprise_id: *firm,
            trainee_id: *trainee,
            course_id: micro,
            enrolled_at: *enrolled_at,
            completed: (k == MICRO_LESSONS).then(|| (last, new_certificate_number())),
        });
    }
    import
}

/// Loads the hall.
pub async fn load(app: &AppState) -> anyhow::Result<()> {
    let store = &*app.store;
    if store.lecture_stats().await?.courses > 0 {
        return Ok(());
    }
    let firms = enterprises(app).await?;
    if firms.is_empty() {
        anyhow::bail!("the lecture hall's demo needs the demo enterprises loaded first");
    }
    let areas = store.lecture_areas().await?;
    let by_name: Vec<Uuid> = SEED_AREAS
        .iter()
        .map(|name| {
            areas
                .iter()
                .find(|a| a.name == *name)
                .map(|a| a.id)
                .ok_or_else(|| anyhow::anyhow!("the seeded area {name} is missing"))
        })
        .collect::<anyhow::Result<_>>()?;
    let now = app.clock.now().micros();
    let import = plan(&by_name, &firms, now);
    anyhow::ensure!(
        import.courses.len() == COURSES,
        "the demo catalogue has {} courses, not {COURSES}",
        import.courses.len()
    );
    store
        .import_lectures(&AuditCtx::system("demo", now), import)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use yiwang_core::{CreditCode, ManualClock, Timestamp};
    use yiwang_store::{NewEnterprise, NewUser};
    use yiwang_web::Config;

    #[tokio::test]
    async fn the_demo_hall_reports_the_seed_s_figures() {
        let (store, _dir) = yiwang_store_sqlite::testing::fresh().await;
        let mut config = Config::default();
        config.auth.argon2_memory_kib = 64;
        config.auth.argon2_iterations = 1;
        let clock =
            ManualClock::new(Timestamp::parse_rfc3339("2020-12-20T10:00:00+08:00").unwrap());
        let app = AppState::new(Arc::new(store), config, Arc::new(clock)).unwrap();
        assert!(load(&app).await.is_err(), "no enterprise to train");
        let ctx = AuditCtx::system("test", 0);
        for i in 0..6 {
            let code = CreditCode::with_check_char(&format!("91320621MA1R{i:05}")).unwrap();
            app.store
                .register_enterprise(
                    &ctx,
                    NewEnterprise {
                        name: format!("演示企业{i}"),
                        credit_code: code.as_str().to_owned(),
                        legal_rep: "张三".into(),
                        contact_name: "李四".into(),
                        contact_phone: "13900000000".into(),
                    },
                    NewUser {
                        username: format!("firm{i}"),
                        display_name: format!("演示企业{i}"),
                        role: Role::Bidder,
                        phone: None,
                        password_hash: "x".into(),
                    },
                )
                .await
                .unwrap();
        }
        let started = std::time::Instant::now();
        load(&app).await.unwrap();
        let took = started.elapsed();
        load(&app).await.unwrap();
        let s = app.store.lecture_stats().await.unwrap();
        assert_eq!(s.courses, COURSES as i64);
        assert_eq!(s.published_courses, COURSES as i64);
        assert_eq!(s.areas, 7);
        assert_eq!(s.trainees, TRAINEES as i64);
        assert_eq!(s.minutes, HOURS * 60, "{took:?}");
        assert!(s.by_area.iter().all(|a| a.courses >= 5 && a.minutes > 0));
        assert_eq!(s.by_enterprise.len(), 6);
        assert!(s.by_enterprise.iter().all(|e| e.trainees >= 1985));
        assert!(s.completions > 1000, "{} completions", s.completions);
        assert!(s.by_month.len() >= 12, "a year of learning");
        // A certificate of the demo checks out by its number.
        let done = app
            .store
            .enrolments(
                &yiwang_store::lectures::EnrolmentQuery {
                    completed: Some(true),
                    ..Default::default()
                },
                Page::number(1, 1),
            )
            .await
            .unwrap();
        let number = done.items[0].certificate_no.clone().unwrap();
        assert!(yiwang_services::lectures::is_certificate_number(&number));
        let cert = app.store.certificate(&number).await.unwrap().unwrap();
        assert_eq!(cert.done, cert.lessons);
    }

    #[test]
    fn the_catalogue_has_the_seed_s_46_courses_in_7_areas() {
        let areas: Vec<Uuid> = (0..7).map(|_| Uuid::now_v7()).collect();
        let import = plan(&areas, &[Uuid::now_v7()], 1_700_000_000_000_000);
        assert_eq!(import.courses.len(), COURSES);
        for a in &areas {
            assert!(import.courses.iter().any(|c| c.area_id == *a));
        }
        assert_eq!(import.trainees.len(), TRAINEES);
        let titles: std::collections::BTreeSet<&str> =
            import.courses.iter().map(|c| c.title.as_str()).collect();
        assert_eq!(titles.len(), COURSES, "titles are unique");
    }
}

//! Storage for the lecture hall (工信E通 大讲堂): areas, courses and their
//! ordered lessons; enterprises' trainees, their enrolments, the lessons
//! each has done, and the certificates of completion.
//!
//! The rules (links, phones, hours, certificate numbers) are
//! `yiwang_services::lectures`; the store keeps the facts and decides one
//! thing itself, in the transaction that records a lesson: an enrolment
//! whose every lesson is done is completed at that moment and given the
//! certificate number the caller drew.
//!
//! # Tables
//!
//! `lecture_areas` (seeded with seven areas), `lecture_courses`,
//! `lecture_lessons`, `lecture_trainees`, `lecture_enrolments`,
//! `lecture_records` (migration 0018). Every write is audited in its
//! transaction: `lecture.area_add`, `lecture.area_update`,
//! `lecture.course_add`, `lecture.course_update`, `lecture.lesson_add`,
//! `lecture.trainee_register`, `lecture.enrol`, `lecture.record` (one per
//! lesson recorded), `lecture.complete`, and one `lecture.import` for a
//! bulk load. Details carry ids and minutes, never phones.
//!
//! # For other services
//!
//! [`LectureStore::lecture_stats`] answers the hall's figures (courses,
//! areas, trainees, hours, completions; by area, course, enterprise and
//! month of learning), and [`LectureStore::enterprise_courses`] one
//! enterprise's courses with its trainees and hours.

use async_trait::async_trait;
use serde::Serialize;
use uuid::Uuid;
use yiwang_core::Timestamp;

use crate::{AuditCtx, Page, Paged, StoreResult};

/// The Shanghai month of an instant, as `YYYYMM` (202611).
pub fn month_of(at: i64) -> i64 {
    let d = Timestamp::from_micros(at).shanghai_date();
    i64::from(d.year()) * 100 + i64::from(u8::from(d.month()))
}

/// An area of the catalogue, with its courses counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LectureArea {
    pub id: Uuid,
    pub name: String,
    pub position: i64,
    pub archived: bool,
    pub courses: i64,
    pub published_courses: i64,
}

/// A course to add, or a course's new details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourseInput {
    pub id: Uuid,
    pub area_id: Uuid,
    pub title: String,
    pub teacher: String,
    pub summary: String,
    pub published: bool,
}

/// A course with its lessons and learners counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Course {
    pub id: Uuid,
    pub area_id: Uuid,
    pub area_name: String,
    pub title: String,
    pub teacher: String,
    pub summary: String,
    pub published: bool,
    pub lessons: i64,
    /// The lessons' minutes together.
    pub minutes: i64,
    pub enrolments: i64,
    pub completions: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Which courses a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CourseQuery {
    /// A fragment of the title or the teacher's name.
    pub search: Option<String>,
    pub area_id: Option<Uuid>,
    /// Published courses only (the public catalogue).
    pub published_only: bool,
}

/// A lesson to add at the end of its course.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLesson {
    pub id: Uuid,
    pub course_id: Uuid,
    pub title: String,
    /// `video` or `document`.
    pub kind: String,
    /// An https link.
    pub url: String,
    pub minutes: i64,
}

/// A lesson of a course.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lesson {
    pub id: Uuid,
    pub course_id: Uuid,
    /// 1, 2, 3… in the course.
    pub position: i64,
    pub title: String,
    pub kind: String,
    pub url: String,
    pub minutes: i64,
}

/// A trainee to register for an enterprise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTrainee {
    pub id: Uuid,
    pub enterprise_id: Uuid,
    pub name: String,
    /// A mobile phone, whole: pages mask it.
    pub phone: String,
}

/// A registered trainee with what they have studied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trainee {
    pub id: Uuid,
    pub enterprise_id: Uuid,
    pub enterprise_name: String,
    pub name: String,
    /// Whole: mask it on pages.
    pub phone: String,
    pub enrolments: i64,
    pub completions: i64,
    pub minutes: i64,
    pub created_at: i64,
}

/// Which trainees a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TraineeQuery {
    pub enterprise_id: Option<Uuid>,
    /// A fragment of the name, or a whole phone.
    pub search: Option<String>,
}

/// A trainee to enrol: the trainee must be the enterprise's and the
/// course published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEnrolment {
    pub id: Uuid,
    pub enterprise_id: Uuid,
    pub trainee_id: Uuid,
    pub course_id: Uuid,
}

/// A trainee in a course, with progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Enrolment {
    pub id: Uuid,
    pub trainee_id: Uuid,
    pub trainee_name: String,
    /// Whole: mask it on pages.
    pub trainee_phone: String,
    pub enterprise_id: Uuid,
    pub enterprise_name: String,
    pub course_id: Uuid,
    pub course_title: String,
    pub area_name: String,
    pub enrolled_at: i64,
    pub completed_at: Option<i64>,
    pub certificate_no: Option<String>,
    /// The course's lessons now.
    pub lessons: i64,
    /// The lessons done.
    pub done: i64,
    /// The minutes credited.
    pub minutes: i64,
}

/// Which enrolments a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnrolmentQuery {
    pub enterprise_id: Option<Uuid>,
    pub course_id: Option<Uuid>,
    pub trainee_id: Option<Uuid>,
    /// Completed (true), in progress (false), or both.
    pub completed: Option<bool>,
    /// A fragment of the trainee's name or the course's title.
    pub search: Option<String>,
}

/// One lesson of an enrolment and whether it is done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LessonProgress {
    pub lesson: Lesson,
    /// When it was learned, if done.
    pub learned_at: Option<i64>,
}

/// Lessons done, to record for one enrolment of `enterprise_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LessonsDone {
    pub enrolment_id: Uuid,
    pub enterprise_id: Uuid,
    pub lesson_ids: Vec<Uuid>,
    /// When they were learned (µs).
    pub learned_at: i64,
    /// The number the certificate gets if these complete the course.
    pub certificate_no: String,
}

/// Figures of a group: an area, a course or an enterprise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LectureTally {
    pub id: Uuid,
    pub name: String,
    /// The area, for a course; empty otherwise.
    pub area: String,
    /// Courses (for an area); 0 otherwise.
    pub courses: i64,
    /// Trainees enrolled at least once, each counted once.
    pub trainees: i64,
    pub enrolments: i64,
    pub completions: i64,
    pub minutes: i64,
}

/// Learning in one Shanghai month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthTally {
    /// `YYYYMM`.
    pub month: i64,
    /// Trainees who did a lesson in the month.
    pub trainees: i64,
    /// Lessons done.
    pub records: i64,
    pub minutes: i64,
}

/// The lecture hall's figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LectureStats {
    /// Areas not archived.
    pub areas: i64,
    pub courses: i64,
    pub published_courses: i64,
    /// Trainees enrolled at least once.
    pub trainees: i64,
    pub enrolments: i64,
    pub completions: i64,
    pub minutes: i64,
    /// Every area in catalogue order (archived ones too: their learning
    /// happened).
    pub by_area: Vec<LectureTally>,
    /// Every course, by area and title.
    pub by_course: Vec<LectureTally>,
    /// Enterprises with an enrolment, by name.
    pub by_enterprise: Vec<LectureTally>,
    /// Months with learning, oldest first.
    pub by_month: Vec<MonthTally>,
}

/// One course an enterprise's trainees study.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnterpriseCourse {
    pub course_id: Uuid,
    pub course_title: String,
    pub area_name: String,
    /// The enterprise's trainees enrolled.
    pub trainees: i64,
    pub completions: i64,
    /// Their minutes in the course.
    pub minutes: i64,
}

/// An enrolment for a bulk load, as it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportEnrolment {
    pub id: Uuid,
    pub enterprise_id: Uuid,
    pub trainee_id: Uuid,
    pub course_id: Uuid,
    pub enrolled_at: i64,
    /// Completion and certificate number, together.
    pub completed: Option<(i64, String)>,
}

/// A lesson done, for a bulk load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRecord {
    pub enrolment_id: Uuid,
    pub lesson_id: Uuid,
    pub learned_at: i64,
}

/// A whole catalogue and its learning, loaded at once (the demo).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LectureImport {
    pub courses: Vec<CourseInput>,
    pub lessons: Vec<NewLesson>,
    pub trainees: Vec<NewTrainee>,
    pub enrolments: Vec<ImportEnrolment>,
    pub records: Vec<ImportRecord>,
}

/// SQL text shared by the SQL backends.
pub mod sql {
    pub const AREA_COLUMNS: &str = "a.id AS id, a.name AS name, a.position AS position, \
         a.archived AS archived, \
         (SELECT COUNT(*) FROM lecture_courses c WHERE c.area_id = a.id) AS courses, \
         (SELECT COUNT(*) FROM lecture_courses c WHERE c.area_id = a.id AND c.published = ";

    pub const COURSE_COLUMNS: &str = "c.id AS id, c.area_id AS area_id, a.name AS area_name, \
         c.title AS title, c.teacher AS teacher, c.summary AS summary, \
         c.published AS published, \
         (SELECT COUNT(*) FROM lecture_lessons l WHERE l.course_id = c.id) AS lessons, \
         (SELECT CAST(COALESCE(SUM(l.minutes), 0) AS BIGINT) FROM lecture_lessons l \
          WHERE l.course_id = c.id) AS minutes, \
         (SELECT COUNT(*) FROM lecture_enrolments e WHERE e.course_id = c.id) AS enrolments, \
         (SELECT COUNT(*) FROM lecture_enrolments e WHERE e.course_id = c.id \
          AND e.completed_at IS NOT NULL) AS completions, \
         c.created_at AS created_at, c.updated_at AS updated_at";

    pub const COURSE_FROM: &str =
        " FROM lecture_courses c JOIN lecture_areas a ON a.id = c.area_id WHERE 1 = 1";

    pub const LESSON_COLUMNS: &str = "l.id AS id, l.course_id AS course_id, \
         l.position AS position, l.title AS title, l.kind AS kind, l.url AS url, \
         l.minutes AS minutes";

    pub const TRAINEE_COLUMNS: &str = "t.id AS id, t.enterprise_id AS enterprise_id, \
         ent.name AS enterprise_name, t.name AS name, t.phone AS phone, \
         (SELECT COUNT(*) FROM lecture_enrolments e WHERE e.trainee_id = t.id) AS enrolments, \
         (SELECT COUNT(*) FROM lecture_enrolments e WHERE e.trainee_id = t.id \
          AND e.completed_at IS NOT NULL) AS completions, \
         (SELECT CAST(COALESCE(SUM(r.minutes), 0) AS BIGINT) FROM lecture_records r \
          WHERE r.trainee_id = t.id) AS minutes, \
         t.created_at AS created_at";

    pub const TRAINEE_FROM: &str =
        " FROM lecture_trainees t JOIN enterprises ent ON ent.id = t.enterprise_id WHERE 1 = 1";

    pub const ENROLMENT_COLUMNS: &str = "e.id AS id, e.trainee_id AS trainee_id, \
         t.name AS trainee_name, t.phone AS trainee_phone, e.enterprise_id AS enterprise_id, \
         ent.name AS enterprise_name, e.course_id AS course_id, c.title AS course_title, \
         a.name AS area_name, e.enrolled_at AS enrolled_at, e.completed_at AS completed_at, \
         e.certificate_no AS certificate_no, \
         (SELECT COUNT(*) FROM lecture_lessons l WHERE l.course_id = e.course_id) AS lessons, \
         (SELECT COUNT(*) FROM lecture_records r WHERE r.enrolment_id = e.id) AS done, \
         (SELECT CAST(COALESCE(SUM(r.minutes), 0) AS BIGINT) FROM lecture_records r \
          WHERE r.enrolment_id = e.id) AS minutes";

    pub const ENROLMENT_FROM: &str = " FROM lecture_enrolments e \
         JOIN lecture_trainees t ON t.id = e.trainee_id \
         JOIN enterprises ent ON ent.id = e.enterprise_id \
         JOIN lecture_courses c ON c.id = e.course_id \
         JOIN lecture_areas a ON a.id = c.area_id WHERE 1 = 1";
}

/// Storage for the lecture hall.
#[async_trait]
pub trait LectureStore: Send + Sync {
    /// Every area, archived too, in catalogue order.
    async fn lecture_areas(&self) -> StoreResult<Vec<LectureArea>>;

    /// Adds an area at the end (`lecture.area_add`). Conflict on `name`.
    async fn add_lecture_area(
        &self,
        ctx: &AuditCtx,
        id: Uuid,
        name: &str,
    ) -> StoreResult<LectureArea>;

    /// Renames and archives or restores an area (`lecture.area_update`).
    /// Conflict on `name`; NotFound.
    async fn update_lecture_area(
        &self,
        ctx: &AuditCtx,
        id: Uuid,
        name: &str,
        archived: bool,
    ) -> StoreResult<LectureArea>;

    /// Adds a course (`lecture.course_add`). NotFound for an unknown area,
    /// Conflict on `area` for an archived one.
    async fn add_course(&self, ctx: &AuditCtx, course: CourseInput) -> StoreResult<Course>;

    /// Replaces a course's details (`lecture.course_update`). A course
    /// may move only to an area not archived (Conflict on `area`).
    async fn update_course(&self, ctx: &AuditCtx, course: CourseInput) -> StoreResult<Course>;

    /// A course and its lessons in order.
    async fn course(&self, id: Uuid) -> StoreResult<Option<(Course, Vec<Lesson>)>>;

    /// Courses matching the query, by area and title.
    async fn courses(&self, query: &CourseQuery, page: Page) -> StoreResult<Paged<Course>>;

    /// Adds a lesson after the course's last (`lecture.lesson_add`).
    async fn add_lesson(&self, ctx: &AuditCtx, lesson: NewLesson) -> StoreResult<Lesson>;

    /// Registers a trainee (`lecture.trainee_register`). Conflict on
    /// `phone` when the enterprise has the phone already.
    async fn register_trainee(&self, ctx: &AuditCtx, trainee: NewTrainee) -> StoreResult<Trainee>;

    async fn trainee(&self, id: Uuid) -> StoreResult<Option<Trainee>>;

    /// Trainees matching the query, by name.
    async fn trainees(&self, query: &TraineeQuery, page: Page) -> StoreResult<Paged<Trainee>>;

    /// Enrols a trainee (`lecture.enrol`). NotFound when the trainee is
    /// not the enterprise's or the course unknown; Conflict on `course`
    /// when it is not published, on `enrolment` when enrolled already.
    async fn enrol(&self, ctx: &AuditCtx, enrolment: NewEnrolment) -> StoreResult<Enrolment>;

    /// An enrolment and its course's lessons, each with when it was done.
    async fn enrolment(&self, id: Uuid) -> StoreResult<Option<(Enrolment, Vec<LessonProgress>)>>;

    /// Enrolments matching the query, newest first.
    async fn enrolments(&self, query: &EnrolmentQuery, page: Page)
        -> StoreResult<Paged<Enrolment>>;

    /// Records lessons done (`lecture.record` each) and, when they are
    /// the last of the course, completes the enrolment with the number
    /// given (`lecture.complete`). NotFound when the enrolment is not the
    /// enterprise's or a lesson is not of its course; Conflict on `lesson`
    /// when one is recorded already, on `lessons` when none is given.
    async fn record_lessons(&self, ctx: &AuditCtx, done: LessonsDone) -> StoreResult<Enrolment>;

    /// The completed enrolment holding a certificate number.
    async fn certificate(&self, number: &str) -> StoreResult<Option<Enrolment>>;

    /// The hall's figures, in few queries whatever its size.
    async fn lecture_stats(&self) -> StoreResult<LectureStats>;

    /// One enterprise's courses: its trainees enrolled, completions and
    /// minutes per course, by area and title.
    async fn enterprise_courses(&self, enterprise_id: Uuid) -> StoreResult<Vec<EnterpriseCourse>>;

    /// Loads courses, lessons, trainees, enrolments and records at once,
    /// all or nothing, with one `lecture.import` record. Positions of the
    /// lessons follow their order per course.
    async fn import_lectures(&self, ctx: &AuditCtx, import: LectureImport) -> StoreResult<()>;
}

/// Rows as the SQL backends read them.
#[cfg(feature = "sql")]
pub mod rows {
    use super::{Course, Enrolment, LectureArea, Lesson, Trainee};
    use crate::sql_rows::parse_uuid;
    use crate::StoreError;

    #[derive(Debug, sqlx::FromRow)]
    pub struct AreaRow {
        id: String,
        name: String,
        position: i64,
        archived: bool,
        courses: i64,
        published_courses: i64,
    }

    impl TryFrom<AreaRow> for LectureArea {
        type Error = StoreError;

        fn try_from(r: AreaRow) -> Result<LectureArea, StoreError> {
            Ok(LectureArea {
                id: parse_uuid("lecture_areas.id", &r.id)?,
                name: r.name,
                position: r.position,
                archived: r.archived,
                courses: r.courses,
                published_courses: r.published_courses,
            })
        }
    }

    #[derive(Debug, sqlx::FromRow)]
    pub struct CourseRow {
        id: String,
        area_id: String,
        area_name: String,
        title: String,
        teacher: String,
        summary: String,
        published: bool,
        lessons: i64,
        minutes: i64,
        enrolments: i64,
        completions: i64,
        created_at: i64,
        updated_at: i64,
    }

    impl TryFrom<CourseRow> for Course {
        type Error = StoreError;

        fn try_from(r: CourseRow) -> Result<Course, StoreError> {
            Ok(Course {
                id: parse_uuid("lecture_courses.id", &r.id)?,
                area_id: parse_uuid("lecture_courses.area_id", &r.area_id)?,
                area_name: r.area_name,
                title: r.title,
                teacher: r.teacher,
                summary: r.summary,
                published: r.published,
                lessons: r.lessons,
                minutes: r.minutes,
                enrolments: r.enrolments,
                completions: r.completions,
                created_at: r.created_at,
                updated_at: r.updated_at,
            })
        }
    }

    #[derive(Debug, sqlx::FromRow)]
    pub struct LessonRow {
        id: String,
        course_id: String,
        position: i64,
        title: String,
        kind: String,
        url: String,
        minutes: i64,
    }

    impl TryFrom<LessonRow> for Lesson {
        type Error = StoreError;

        fn try_from(r: LessonRow) -> Result<Lesson, StoreError> {
            Ok(Lesson {
                id: parse_uuid("lecture_lessons.id", &r.id)?,
                course_id: parse_uuid("lecture_lessons.course_id", &r.course_id)?,
                position: r.position,
                title: r.title,
                kind: r.kind,
                url: r.url,
                minutes: r.minutes,
            })
        }
    }

    #[derive(Debug, sqlx::FromRow)]
    pub struct TraineeRow {
        id: String,
        enterprise_id: String,
        enterprise_name: String,
        name: String,
        phone: String,
        enrolments: i64,
        completions: i64,
        minutes: i64,
        created_at: i64,
    }

    impl TryFrom<TraineeRow> for Trainee {
        type Error = StoreError;

        fn try_from(r: TraineeRow) -> Result<Trainee, StoreError> {
            Ok(Trainee {
                id: parse_uuid("lecture_trainees.id", &r.id)?,
                enterprise_id: parse_uuid("lecture_trainees.enterprise_id", &r.enterprise_id)?,
                enterprise_name: r.enterprise_name,
                name: r.name,
                phone: r.phone,
                enrolments: r.enrolments,
                completions: r.completions,
                minutes: r.minutes,
                created_at: r.created_at,
            })
        }
    }

    #[derive(Debug, sqlx::FromRow)]
    pub struct EnrolmentRow {
        id: String,
        trainee_id: String,
        trainee_name: String,
        trainee_phone: String,
        enterprise_id: String,
        enterprise_name: String,
        course_id: String,
        course_title: String,
        area_name: String,
        enrolled_at: i64,
        completed_at: Option<i64>,
        certificate_no: Option<String>,
        lessons: i64,
        done: i64,
        minutes: i64,
    }

    impl TryFrom<EnrolmentRow> for Enrolment {
        type Error = StoreError;

        fn try_from(r: EnrolmentRow) -> Result<Enrolment, StoreError> {
            Ok(Enrolment {
                id: parse_uuid("lecture_enrolments.id", &r.id)?,
                trainee_id: parse_uuid("lecture_enrolments.trainee_id", &r.trainee_id)?,
                trainee_name: r.trainee_name,
                trainee_phone: r.trainee_phone,
                enterprise_id: parse_uuid("lecture_enrolments.enterprise_id", &r.enterprise_id)?,
                enterprise_name: r.enterprise_name,
                course_id: parse_uuid("lecture_enrolments.course_id", &r.course_id)?,
                course_title: r.course_title,
                area_name: r.area_name,
                enrolled_at: r.enrolled_at,
                completed_at: r.completed_at,
                certificate_no: r.certificate_no,
                lessons: r.lessons,
                done: r.done,
                minutes: r.minutes,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::month_of;

    #[test]
    fn months_are_shanghai_months() {
        // 2026-11-30T16:00:00Z is 2026-12-01 00:00 in Shanghai.
        assert_eq!(month_of(1_796_054_400_000_000), 202612);
        assert_eq!(month_of(1_796_054_399_999_999), 202611);
    }
}

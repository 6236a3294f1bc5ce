//! [`LectureStore`] on SQLite: the lecture hall (工信E通 大讲堂). The code
//! is kept once for both backends, in `crates/store/shared/lectures.rs`,
//! with the SQL text `yiwang_store::lectures::sql` holds.

use async_trait::async_trait;
use serde_json::json;
use sqlx::{QueryBuilder, Sqlite};
use uuid::Uuid;
use yiwang_store::lectures::rows::{AreaRow, CourseRow, EnrolmentRow, LessonRow, TraineeRow};
use yiwang_store::lectures::{
    month_of, sql, Course, CourseInput, CourseQuery, Enrolment, EnrolmentQuery, EnterpriseCourse,
    ImportEnrolment, LectureArea, LectureImport, LectureStats, LectureStore, LectureTally, Lesson,
    LessonProgress, LessonsDone, MonthTally, NewEnrolment, NewLesson, NewTrainee, Trainee,
    TraineeQuery,
};
use yiwang_store::{AuditCtx, NewAudit, Page, Paged, StoreError, StoreResult};

use crate::{append_audit, clamp, db, escape_like, SqliteStore as Backend, Tx};

type Db = Sqlite;

/// A read transaction on the reader pool.
async fn read(backend: &Backend) -> StoreResult<Tx> {
    backend.reader.begin().await.map_err(db)
}

// Everything else is the same on both backends, and kept once:
// `crates/store/shared/lectures.rs`, compiled here against this backend's
// `Db`, `Backend` and `read`.
include!("../../shared/lectures.rs");

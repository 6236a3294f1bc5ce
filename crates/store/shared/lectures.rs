// The LectureStore implementation shared by both backends: `include!`d by
// `store-sqlite/src/lectures.rs` and `store-postgres/src/lectures.rs` after each
// has named its `Db`, `Backend`, `Tx` and `read`, so the statements are
// written once and compiled for each backend.

/// Rows per multi-row INSERT of a bulk load (at most 10 binds a row, well
/// under either backend's limit of bound parameters).
const CHUNK: usize = 1000;

fn unique_as(field: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict { field },
        _ => db(e),
    }
}

fn search_pattern(search: &Option<String>) -> Option<(String, String)> {
    search
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| (format!("%{}%", escape_like(t)), t.to_owned()))
}

async fn area_in(tx: &mut Tx, id: Uuid) -> StoreResult<Option<LectureArea>> {
    let mut q = QueryBuilder::<Db>::new("SELECT ");
    q.push(sql::AREA_COLUMNS)
        .push_bind(true)
        .push(") AS published_courses FROM lecture_areas a WHERE a.id = ")
        .push_bind(id.to_string());
    let row: Option<AreaRow> = q
        .build_query_as()
        .fetch_optional(&mut **tx)
        .await
        .map_err(db)?;
    row.map(LectureArea::try_from).transpose()
}

async fn course_in(tx: &mut Tx, id: Uuid) -> StoreResult<Option<Course>> {
    let mut q = QueryBuilder::<Db>::new("SELECT ");
    q.push(sql::COURSE_COLUMNS)
        .push(sql::COURSE_FROM)
        .push(" AND c.id = ")
        .push_bind(id.to_string());
    let row: Option<CourseRow> = q
        .build_query_as()
        .fetch_optional(&mut **tx)
        .await
        .map_err(db)?;
    row.map(Course::try_from).transpose()
}

async fn lessons_in(tx: &mut Tx, course_id: Uuid) -> StoreResult<Vec<Lesson>> {
    let mut q = QueryBuilder::<Db>::new("SELECT ");
    q.push(sql::LESSON_COLUMNS)
        .push(" FROM lecture_lessons l WHERE l.course_id = ")
        .push_bind(course_id.to_string())
        .push(" ORDER BY l.position");
    let rows: Vec<LessonRow> = q.build_query_as().fetch_all(&mut **tx).await.map_err(db)?;
    rows.into_iter().map(Lesson::try_from).collect()
}

async fn trainee_in(tx: &mut Tx, id: Uuid) -> StoreResult<Option<Trainee>> {
    let mut q = QueryBuilder::<Db>::new("SELECT ");
    q.push(sql::TRAINEE_COLUMNS)
        .push(sql::TRAINEE_FROM)
        .push(" AND t.id = ")
        .push_bind(id.to_string());
    let row: Option<TraineeRow> = q
        .build_query_as()
        .fetch_optional(&mut **tx)
        .await
        .map_err(db)?;
    row.map(Trainee::try_from).transpose()
}

async fn enrolment_where(
    tx: &mut Tx,
    column: &str,
    value: String,
) -> StoreResult<Option<Enrolment>> {
    let mut q = QueryBuilder::<Db>::new("SELECT ");
    q.push(sql::ENROLMENT_COLUMNS)
        .push(sql::ENROLMENT_FROM)
        .push(" AND e.")
        .push(column)
        .push(" = ")
        .push_bind(value);
    let row: Option<EnrolmentRow> = q
        .build_query_as()
        .fetch_optional(&mut **tx)
        .await
        .map_err(db)?;
    row.map(Enrolment::try_from).transpose()
}

/// Whether the area exists and is open for courses.
async fn check_area(tx: &mut Tx, area_id: Uuid) -> StoreResult<()> {
    let mut q = QueryBuilder::<Db>::new("SELECT archived FROM lecture_areas WHERE id = ");
    q.push_bind(area_id.to_string());
    let found: Option<(bool,)> = q
        .build_query_as()
        .fetch_optional(&mut **tx)
        .await
        .map_err(db)?;
    match found {
        None => Err(StoreError::NotFound),
        Some((true,)) => Err(StoreError::Conflict { field: "area" }),
        Some((false,)) => Ok(()),
    }
}

fn push_course_filters(q: &mut QueryBuilder<'_, Db>, query: &CourseQuery) {
    if let Some(area) = query.area_id {
        q.push(" AND c.area_id = ").push_bind(area.to_string());
    }
    if query.published_only {
        q.push(" AND c.published = ")
            .push_bind(true)
            .push(" AND a.archived = ")
            .push_bind(false);
    }
    if let Some((pattern, _)) = search_pattern(&query.search) {
        q.push(" AND (c.title LIKE ")
            .push_bind(pattern.clone())
            .push(" ESCAPE '\\' OR c.teacher LIKE ")
            .push_bind(pattern)
            .push(" ESCAPE '\\')");
    }
}

fn push_trainee_filters(q: &mut QueryBuilder<'_, Db>, query: &TraineeQuery) {
    if let Some(e) = query.enterprise_id {
        q.push(" AND t.enterprise_id = ").push_bind(e.to_string());
    }
    if let Some((pattern, text)) = search_pattern(&query.search) {
        q.push(" AND (t.name LIKE ")
            .push_bind(pattern)
            .push(" ESCAPE '\\' OR t.phone = ")
            .push_bind(text)
            .push(")");
    }
}

fn push_enrolment_filters(q: &mut QueryBuilder<'_, Db>, query: &EnrolmentQuery) {
    if let Some(e) = query.enterprise_id {
        q.push(" AND e.enterprise_id = ").push_bind(e.to_string());
    }
    if let Some(c) = query.course_id {
        q.push(" AND e.course_id = ").push_bind(c.to_string());
    }
    if let Some(t) = query.trainee_id {
        q.push(" AND e.trainee_id = ").push_bind(t.to_string());
    }
    match query.completed {
        Some(true) => {
            q.push(" AND e.completed_at IS NOT NULL");
        }
        Some(false) => {
            q.push(" AND e.completed_at IS NULL");
        }
        None => {}
    }
    if let Some((pattern, _)) = search_pattern(&query.search) {
        q.push(" AND (t.name LIKE ")
            .push_bind(pattern.clone())
            .push(" ESCAPE '\\' OR c.title LIKE ")
            .push_bind(pattern)
            .push(" ESCAPE '\\')");
    }
}

/// A count and a page of rows of one list query.
async fn paged<R, T>(
    backend: &Backend,
    mut count: QueryBuilder<'_, Db>,
    mut select: QueryBuilder<'_, Db>,
    page: Page,
) -> StoreResult<Paged<T>>
where
    R: for<'r> sqlx::FromRow<'r, <Db as sqlx::Database>::Row> + Send + Unpin,
    T: TryFrom<R, Error = StoreError>,
{
    select
        .push(" LIMIT ")
        .push_bind(i64::from(page.limit))
        .push(" OFFSET ")
        .push_bind(i64::from(page.offset));
    let mut tx = read(backend).await?;
    let (total,): (i64,) = count
        .build_query_as()
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
    let rows: Vec<R> = select
        .build_query_as()
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(Paged {
        items: rows
            .into_iter()
            .map(T::try_from)
            .collect::<StoreResult<_>>()?,
        total: total.max(0) as u64,
        offset: page.offset,
        limit: page.limit,
    })
}

fn uuid_of(table: &str, text: &str) -> StoreResult<Uuid> {
    Uuid::parse_str(text).map_err(|_| StoreError::Corrupt(format!("{table}: bad id {text:?}")))
}

#[async_trait]
impl LectureStore for Backend {
    async fn lecture_areas(&self) -> StoreResult<Vec<LectureArea>> {
        let mut q = QueryBuilder::<Db>::new("SELECT ");
        q.push(sql::AREA_COLUMNS)
            .push_bind(true)
            .push(") AS published_courses FROM lecture_areas a ORDER BY a.position, a.id");
        let mut tx = read(self).await?;
        let rows: Vec<AreaRow> = q.build_query_as().fetch_all(&mut *tx).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        rows.into_iter().map(LectureArea::try_from).collect()
    }

    async fn add_lecture_area(
        &self,
        ctx: &AuditCtx,
        id: Uuid,
        name: &str,
    ) -> StoreResult<LectureArea> {
        let mut tx = self.write().await?;
        let (last,): (i64,) =
            sqlx::query_as("SELECT CAST(COALESCE(MAX(position), 0) AS BIGINT) FROM lecture_areas")
                .fetch_one(&mut *tx)
                .await
                .map_err(db)?;
        let mut q = QueryBuilder::<Db>::new(
            "INSERT INTO lecture_areas (id, name, position, archived, created_at, updated_at) VALUES (",
        );
        let mut v = q.separated(", ");
        v.push_bind(id.to_string())
            .push_bind(name.to_owned())
            .push_bind(last + 1)
            .push_bind(false)
            .push_bind(ctx.at)
            .push_bind(ctx.at);
        q.push(")");
        q.build()
            .execute(&mut *tx)
            .await
            .map_err(unique_as("name"))?;
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("lecture.area_add", "lecture_area", id.to_string())
                .with_detail(json!({ "name": name })),
        )
        .await?;
        let area = area_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await.map_err(db)?;
        Ok(area)
    }

    async fn update_lecture_area(
        &self,
        ctx: &AuditCtx,
        id: Uuid,
        name: &str,
        archived: bool,
    ) -> StoreResult<LectureArea> {
        let mut tx = self.write().await?;
        let before = area_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        let mut q = QueryBuilder::<Db>::new("UPDATE lecture_areas SET name = ");
        q.push_bind(name.to_owned())
            .push(", archived = ")
            .push_bind(archived)
            .push(", updated_at = ")
            .push_bind(ctx.at)
            .push(" WHERE id = ")
            .push_bind(id.to_string());
        q.build()
            .execute(&mut *tx)
            .await
            .map_err(unique_as("name"))?;
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("lecture.area_update", "lecture_area", id.to_string()).with_detail(
                json!({
                    "name": name,
                    "previous_name": before.name,
                    "archived": archived,
                }),
            ),
        )
        .await?;
        let area = area_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await.map_err(db)?;
        Ok(area)
    }

    async fn add_course(&self, ctx: &AuditCtx, c: CourseInput) -> StoreResult<Course> {
        let mut tx = self.write().await?;
        check_area(&mut tx, c.area_id).await?;
        let mut q = QueryBuilder::<Db>::new(
            "INSERT INTO lecture_courses (id, area_id, title, teacher, summary, published, \
             created_at, updated_at) VALUES (",
        );
        let mut v = q.separated(", ");
        v.push_bind(c.id.to_string())
            .push_bind(c.area_id.to_string())
            .push_bind(c.title.clone())
            .push_bind(c.teacher.clone())
            .push_bind(c.summary.clone())
            .push_bind(c.published)
            .push_bind(ctx.at)
            .push_bind(ctx.at);
        q.push(")");
        q.build().execute(&mut *tx).await.map_err(db)?;
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("lecture.course_add", "lecture_course", c.id.to_string()).with_detail(
                json!({ "area_id": c.area_id, "title": c.title, "published": c.published }),
            ),
        )
        .await?;
        let course = course_in(&mut tx, c.id)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await.map_err(db)?;
        Ok(course)
    }

    async fn update_course(&self, ctx: &AuditCtx, c: CourseInput) -> StoreResult<Course> {
        let mut tx = self.write().await?;
        let before = course_in(&mut tx, c.id)
            .await?
            .ok_or(StoreError::NotFound)?;
        if before.area_id != c.area_id {
            check_area(&mut tx, c.area_id).await?;
        }
        let mut q = QueryBuilder::<Db>::new("UPDATE lecture_courses SET area_id = ");
        q.push_bind(c.area_id.to_string())
            .push(", title = ")
            .push_bind(c.title.clone())
            .push(", teacher = ")
            .push_bind(c.teacher.clone())
            .push(", summary = ")
            .push_bind(c.summary.clone())
            .push(", published = ")
            .push_bind(c.published)
            .push(", updated_at = ")
            .push_bind(ctx.at)
            .push(" WHERE id = ")
            .push_bind(c.id.to_string());
        q.build().execute(&mut *tx).await.map_err(db)?;
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("lecture.course_update", "lecture_course", c.id.to_string()).with_detail(
                json!({
                    "area_id": c.area_id,
                    "title": c.title,
                    "published": c.published,
                    "was_published": before.published,
                }),
            ),
        )
        .await?;
        let course = course_in(&mut tx, c.id)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await.map_err(db)?;
        Ok(course)
    }

    async fn course(&self, id: Uuid) -> StoreResult<Option<(Course, Vec<Lesson>)>> {
        let mut tx = read(self).await?;
        let Some(course) = course_in(&mut tx, id).await? else {
            tx.commit().await.map_err(db)?;
            return Ok(None);
        };
        let lessons = lessons_in(&mut tx, id).await?;
        tx.commit().await.map_err(db)?;
        Ok(Some((course, lessons)))
    }

    async fn courses(&self, query: &CourseQuery, page: Page) -> StoreResult<Paged<Course>> {
        let page = clamp(page);
        let mut count = QueryBuilder::<Db>::new("SELECT COUNT(*)");
        count.push(sql::COURSE_FROM);
        push_course_filters(&mut count, query);
        let mut select = QueryBuilder::<Db>::new("SELECT ");
        select.push(sql::COURSE_COLUMNS).push(sql::COURSE_FROM);
        push_course_filters(&mut select, query);
        select.push(" ORDER BY a.position, c.title, c.id");
        paged::<CourseRow, Course>(self, count, select, page).await
    }

    async fn add_lesson(&self, ctx: &AuditCtx, l: NewLesson) -> StoreResult<Lesson> {
        let mut tx = self.write().await?;
        let mut q = QueryBuilder::<Db>::new("SELECT id FROM lecture_courses WHERE id = ");
        q.push_bind(l.course_id.to_string());
        let found: Option<(String,)> = q
            .build_query_as()
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
        if found.is_none() {
            return Err(StoreError::NotFound);
        }
        let mut q = QueryBuilder::<Db>::new(
            "SELECT CAST(COALESCE(MAX(position), 0) AS BIGINT) FROM lecture_lessons WHERE course_id = ",
        );
        q.push_bind(l.course_id.to_string());
        let (last,): (i64,) = q.build_query_as().fetch_one(&mut *tx).await.map_err(db)?;
        let mut q = QueryBuilder::<Db>::new(
            "INSERT INTO lecture_lessons (id, course_id, position, title, kind, url, minutes, \
             created_at) VALUES (",
        );
        let mut v = q.separated(", ");
        v.push_bind(l.id.to_string())
            .push_bind(l.course_id.to_string())
            .push_bind(last + 1)
            .push_bind(l.title.clone())
            .push_bind(l.kind.clone())
            .push_bind(l.url.clone())
            .push_bind(l.minutes)
            .push_bind(ctx.at);
        q.push(")");
        q.build().execute(&mut *tx).await.map_err(db)?;
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new(
                "lecture.lesson_add",
                "lecture_course",
                l.course_id.to_string(),
            )
            .with_detail(json!({
                "lesson_id": l.id,
                "position": last + 1,
                "kind": l.kind,
                "minutes": l.minutes,
            })),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(Lesson {
            id: l.id,
            course_id: l.course_id,
            position: last + 1,
            title: l.title,
            kind: l.kind,
            url: l.url,
            minutes: l.minutes,
        })
    }

    async fn register_trainee(&self, ctx: &AuditCtx, t: NewTrainee) -> StoreResult<Trainee> {
        let mut tx = self.write().await?;
        let mut q = QueryBuilder::<Db>::new("SELECT id FROM enterprises WHERE id = ");
        q.push_bind(t.enterprise_id.to_string());
        let found: Option<(String,)> = q
            .build_query_as()
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
        if found.is_none() {
            return Err(StoreError::NotFound);
        }
        let mut q = QueryBuilder::<Db>::new(
            "INSERT INTO lecture_trainees (id, enterprise_id, name, phone, created_at) VALUES (",
        );
        let mut v = q.separated(", ");
        v.push_bind(t.id.to_string())
            .push_bind(t.enterprise_id.to_string())
            .push_bind(t.name.clone())
            .push_bind(t.phone.clone())
            .push_bind(ctx.at);
        q.push(")");
        q.build()
            .execute(&mut *tx)
            .await
            .map_err(unique_as("phone"))?;
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new(
                "lecture.trainee_register",
                "lecture_trainee",
                t.id.to_string(),
            )
            .with_detail(json!({ "enterprise_id": t.enterprise_id })),
        )
        .await?;
        let row = trainee_in(&mut tx, t.id)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await.map_err(db)?;
        Ok(row)
    }

    async fn trainee(&self, id: Uuid) -> StoreResult<Option<Trainee>> {
        let mut tx = read(self).await?;
        let row = trainee_in(&mut tx, id).await?;
        tx.commit().await.map_err(db)?;
        Ok(row)
    }

    async fn trainees(&self, query: &TraineeQuery, page: Page) -> StoreResult<Paged<Trainee>> {
        let page = clamp(page);
        let mut count = QueryBuilder::<Db>::new("SELECT COUNT(*)");
        count.push(sql::TRAINEE_FROM);
        push_trainee_filters(&mut count, query);
        let mut select = QueryBuilder::<Db>::new("SELECT ");
        select.push(sql::TRAINEE_COLUMNS).push(sql::TRAINEE_FROM);
        push_trainee_filters(&mut select, query);
        select.push(" ORDER BY t.name, t.id");
        paged::<TraineeRow, Trainee>(self, count, select, page).await
    }

    async fn enrol(&self, ctx: &AuditCtx, n: NewEnrolment) -> StoreResult<Enrolment> {
        let mut tx = self.write().await?;
        let trainee = trainee_in(&mut tx, n.trainee_id)
            .await?
            .filter(|t| t.enterprise_id == n.enterprise_id)
            .ok_or(StoreError::NotFound)?;
        let course = course_in(&mut tx, n.course_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        if !course.published {
            return Err(StoreError::Conflict { field: "course" });
        }
        let mut q = QueryBuilder::<Db>::new(
            "INSERT INTO lecture_enrolments (id, trainee_id, course_id, enterprise_id, \
             enrolled_at, completed_at, certificate_no) VALUES (",
        );
        let mut v = q.separated(", ");
        v.push_bind(n.id.to_string())
            .push_bind(trainee.id.to_string())
            .push_bind(course.id.to_string())
            .push_bind(n.enterprise_id.to_string())
            .push_bind(ctx.at)
            .push_bind(None::<i64>)
            .push_bind(None::<String>);
        q.push(")");
        q.build()
            .execute(&mut *tx)
            .await
            .map_err(unique_as("enrolment"))?;
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("lecture.enrol", "lecture_enrolment", n.id.to_string()).with_detail(
                json!({
                    "enterprise_id": n.enterprise_id,
                    "trainee_id": n.trainee_id,
                    "course_id": n.course_id,
                }),
            ),
        )
        .await?;
        let row = enrolment_where(&mut tx, "id", n.id.to_string())
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await.map_err(db)?;
        Ok(row)
    }

    async fn enrolment(&self, id: Uuid) -> StoreResult<Option<(Enrolment, Vec<LessonProgress>)>> {
        let mut tx = read(self).await?;
        let Some(e) = enrolment_where(&mut tx, "id", id.to_string()).await? else {
            tx.commit().await.map_err(db)?;
            return Ok(None);
        };
        let lessons = lessons_in(&mut tx, e.course_id).await?;
        let mut q = QueryBuilder::<Db>::new(
            "SELECT lesson_id, learned_at FROM lecture_records WHERE enrolment_id = ",
        );
        q.push_bind(id.to_string());
        let done: Vec<(String, i64)> = q.build_query_as().fetch_all(&mut *tx).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        let progress = lessons
            .into_iter()
            .map(|lesson| {
                let learned_at = done
                    .iter()
                    .find(|(l, _)| *l == lesson.id.to_string())
                    .map(|(_, at)| *at);
                LessonProgress { lesson, learned_at }
            })
            .collect();
        Ok(Some((e, progress)))
    }

    async fn enrolments(
        &self,
        query: &EnrolmentQuery,
        page: Page,
    ) -> StoreResult<Paged<Enrolment>> {
        let page = clamp(page);
        let mut count = QueryBuilder::<Db>::new("SELECT COUNT(*)");
        count.push(sql::ENROLMENT_FROM);
        push_enrolment_filters(&mut count, query);
        let mut select = QueryBuilder::<Db>::new("SELECT ");
        select
            .push(sql::ENROLMENT_COLUMNS)
            .push(sql::ENROLMENT_FROM);
        push_enrolment_filters(&mut select, query);
        select.push(" ORDER BY e.enrolled_at DESC, e.id DESC");
        paged::<EnrolmentRow, Enrolment>(self, count, select, page).await
    }

    async fn record_lessons(&self, ctx: &AuditCtx, d: LessonsDone) -> StoreResult<Enrolment> {
        if d.lesson_ids.is_empty() {
            return Err(StoreError::Conflict { field: "lessons" });
        }
        let mut tx = self.write().await?;
        let e = enrolment_where(&mut tx, "id", d.enrolment_id.to_string())
            .await?
            .filter(|e| e.enterprise_id == d.enterprise_id)
            .ok_or(StoreError::NotFound)?;
        let lessons = lessons_in(&mut tx, e.course_id).await?;
        let month = month_of(d.learned_at);
        for lesson_id in &d.lesson_ids {
            let lesson = lessons
                .iter()
                .find(|l| l.id == *lesson_id)
                .ok_or(StoreError::NotFound)?;
            let mut q = QueryBuilder::<Db>::new(
                "INSERT INTO lecture_records (enrolment_id, lesson_id, course_id, enterprise_id, \
                 trainee_id, minutes, learned_at, month, recorded_at, recorded_by) VALUES (",
            );
            let mut v = q.separated(", ");
            v.push_bind(e.id.to_string())
                .push_bind(lesson.id.to_string())
                .push_bind(e.course_id.to_string())
                .push_bind(e.enterprise_id.to_string())
                .push_bind(e.trainee_id.to_string())
                .push_bind(lesson.minutes)
                .push_bind(d.learned_at)
                .push_bind(month)
                .push_bind(ctx.at)
                .push_bind(ctx.actor_name.clone());
            q.push(")");
            q.build()
                .execute(&mut *tx)
                .await
                .map_err(unique_as("lesson"))?;
            append_audit(
                &mut tx,
                ctx,
                NewAudit::new("lecture.record", "lecture_enrolment", e.id.to_string()).with_detail(
                    json!({
                        "lesson_id": lesson.id,
                        "minutes": lesson.minutes,
                        "learned_at": d.learned_at,
                    }),
                ),
            )
            .await?;
        }
        let after = enrolment_where(&mut tx, "id", e.id.to_string())
            .await?
            .ok_or(StoreError::NotFound)?;
        let row =
            if after.completed_at.is_none() && after.lessons > 0 && after.done >= after.lessons {
                let mut q =
                    QueryBuilder::<Db>::new("UPDATE lecture_enrolments SET completed_at = ");
                q.push_bind(ctx.at)
                    .push(", certificate_no = ")
                    .push_bind(d.certificate_no.clone())
                    .push(" WHERE id = ")
                    .push_bind(e.id.to_string())
                    .push(" AND completed_at IS NULL");
                q.build()
                    .execute(&mut *tx)
                    .await
                    .map_err(unique_as("certificate_no"))?;
                append_audit(
                    &mut tx,
                    ctx,
                    NewAudit::new("lecture.complete", "lecture_enrolment", e.id.to_string())
                        .with_detail(json!({
                            "course_id": e.course_id,
                            "trainee_id": e.trainee_id,
                            "minutes": after.minutes,
                            "certificate_no": d.certificate_no,
                        })),
                )
                .await?;
                enrolment_where(&mut tx, "id", e.id.to_string())
                    .await?
                    .ok_or(StoreError::NotFound)?
            } else {
                after
            };
        tx.commit().await.map_err(db)?;
        Ok(row)
    }

    async fn certificate(&self, number: &str) -> StoreResult<Option<Enrolment>> {
        let mut tx = read(self).await?;
        let row = enrolment_where(&mut tx, "certificate_no", number.to_owned()).await?;
        tx.commit().await.map_err(db)?;
        Ok(row.filter(|e| e.completed_at.is_some()))
    }

    async fn lecture_stats(&self) -> StoreResult<LectureStats> {
        let mut tx = read(self).await?;
        let mut q = QueryBuilder::<Db>::new("SELECT ");
        q.push(sql::AREA_COLUMNS)
            .push_bind(true)
            .push(") AS published_courses FROM lecture_areas a ORDER BY a.position, a.id");
        let areas: Vec<AreaRow> = q.build_query_as().fetch_all(&mut *tx).await.map_err(db)?;
        let courses: Vec<(String, String, String, bool, String)> = sqlx::query_as(
            "SELECT c.id, c.title, c.area_id, c.published, a.name FROM lecture_courses c \
             JOIN lecture_areas a ON a.id = c.area_id ORDER BY a.position, c.title, c.id",
        )
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        // (course, enrolments, completions, trainees)
        let by_course: Vec<(String, i64, i64, i64)> = sqlx::query_as(
            "SELECT course_id, COUNT(*), \
             CAST(SUM(CASE WHEN completed_at IS NULL THEN 0 ELSE 1 END) AS BIGINT), \
             COUNT(DISTINCT trainee_id) FROM lecture_enrolments GROUP BY course_id",
        )
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        let minutes_by_course: Vec<(String, i64)> = sqlx::query_as(
            "SELECT course_id, CAST(SUM(minutes) AS BIGINT) FROM lecture_records GROUP BY course_id",
        )
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        let trainees_by_area: Vec<(String, i64)> = sqlx::query_as(
            "SELECT c.area_id, COUNT(DISTINCT e.trainee_id) FROM lecture_enrolments e \
             JOIN lecture_courses c ON c.id = e.course_id GROUP BY c.area_id",
        )
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        let by_enterprise: Vec<(String, String, i64, i64, i64)> = sqlx::query_as(
            "SELECT e.enterprise_id, ent.name, COUNT(*), \
             CAST(SUM(CASE WHEN e.completed_at IS NULL THEN 0 ELSE 1 END) AS BIGINT), \
             COUNT(DISTINCT e.trainee_id) FROM lecture_enrolments e \
             JOIN enterprises ent ON ent.id = e.enterprise_id \
             GROUP BY e.enterprise_id, ent.name ORDER BY ent.name, e.enterprise_id",
        )
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        let minutes_by_enterprise: Vec<(String, i64)> = sqlx::query_as(
            "SELECT enterprise_id, CAST(SUM(minutes) AS BIGINT) FROM lecture_records \
             GROUP BY enterprise_id",
        )
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        let by_month: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT month, COUNT(DISTINCT trainee_id), COUNT(*), CAST(SUM(minutes) AS BIGINT) \
             FROM lecture_records GROUP BY month ORDER BY month",
        )
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        let (trainees,): (i64,) =
            sqlx::query_as("SELECT COUNT(DISTINCT trainee_id) FROM lecture_enrolments")
                .fetch_one(&mut *tx)
                .await
                .map_err(db)?;
        tx.commit().await.map_err(db)?;

        let find = |rows: &[(String, i64)], id: &str| {
            rows.iter().find(|(k, _)| k == id).map_or(0, |(_, v)| *v)
        };
        let mut course_lines = Vec::with_capacity(courses.len());
        for (id, title, area_id, _, area_name) in &courses {
            let (enrolments, completions, trainees) = by_course
                .iter()
                .find(|(k, ..)| k == id)
                .map_or((0, 0, 0), |(_, e, c, t)| (*e, *c, *t));
            course_lines.push((
                area_id.clone(),
                LectureTally {
                    id: uuid_of("lecture_courses", id)?,
                    name: title.clone(),
                    area: area_name.clone(),
                    courses: 0,
                    trainees,
                    enrolments,
                    completions,
                    minutes: find(&minutes_by_course, id),
                },
            ));
        }
        let mut area_lines = Vec::with_capacity(areas.len());
        for row in areas {
            let area = LectureArea::try_from(row)?;
            let key = area.id.to_string();
            let mine: Vec<&LectureTally> = course_lines
                .iter()
                .filter(|(a, _)| *a == key)
                .map(|(_, t)| t)
                .collect();
            area_lines.push((
                area.archived,
                LectureTally {
                    id: area.id,
                    name: area.name,
                    area: String::new(),
                    courses: area.courses,
                    trainees: find(&trainees_by_area, &key),
                    enrolments: mine.iter().map(|t| t.enrolments).sum(),
                    completions: mine.iter().map(|t| t.completions).sum(),
                    minutes: mine.iter().map(|t| t.minutes).sum(),
                },
            ));
        }
        let mut enterprise_lines = Vec::with_capacity(by_enterprise.len());
        for (id, name, enrolments, completions, trainees) in &by_enterprise {
            enterprise_lines.push(LectureTally {
                id: uuid_of("enterprises", id)?,
                name: name.clone(),
                area: String::new(),
                courses: 0,
                trainees: *trainees,
                enrolments: *enrolments,
                completions: *completions,
                minutes: find(&minutes_by_enterprise, id),
            });
        }
        Ok(LectureStats {
            areas: area_lines.iter().filter(|(archived, _)| !archived).count() as i64,
            courses: courses.len() as i64,
            published_courses: courses.iter().filter(|c| c.3).count() as i64,
            trainees,
            enrolments: by_course.iter().map(|r| r.1).sum(),
            completions: by_course.iter().map(|r| r.2).sum(),
            minutes: minutes_by_course.iter().map(|r| r.1).sum(),
            by_area: area_lines.into_iter().map(|(_, t)| t).collect(),
            by_course: course_lines.into_iter().map(|(_, t)| t).collect(),
            by_enterprise: enterprise_lines,
            by_month: by_month
                .into_iter()
                .map(|(month, trainees, records, minutes)| MonthTally {
                    month,
                    trainees,
                    records,
                    minutes,
                })
                .collect(),
        })
    }

    async fn enterprise_courses(&self, enterprise_id: Uuid) -> StoreResult<Vec<EnterpriseCourse>> {
        let mut q = QueryBuilder::<Db>::new(
            "SELECT e.course_id, c.title, a.name, COUNT(DISTINCT e.trainee_id), \
             CAST(SUM(CASE WHEN e.completed_at IS NULL THEN 0 ELSE 1 END) AS BIGINT) \
             FROM lecture_enrolments e JOIN lecture_courses c ON c.id = e.course_id \
             JOIN lecture_areas a ON a.id = c.area_id WHERE e.enterprise_id = ",
        );
        q.push_bind(enterprise_id.to_string()).push(
            " GROUP BY e.course_id, c.title, a.name, a.position ORDER BY a.position, c.title, e.course_id",
        );
        let mut m = QueryBuilder::<Db>::new(
            "SELECT course_id, CAST(SUM(minutes) AS BIGINT) FROM lecture_records WHERE enterprise_id = ",
        );
        m.push_bind(enterprise_id.to_string())
            .push(" GROUP BY course_id");
        let mut tx = read(self).await?;
        let rows: Vec<(String, String, String, i64, i64)> =
            q.build_query_as().fetch_all(&mut *tx).await.map_err(db)?;
        let minutes: Vec<(String, i64)> =
            m.build_query_as().fetch_all(&mut *tx).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        rows.into_iter()
            .map(|(id, title, area, trainees, completions)| {
                Ok(EnterpriseCourse {
                    minutes: minutes
                        .iter()
                        .find(|(k, _)| *k == id)
                        .map_or(0, |(_, v)| *v),
                    course_id: uuid_of("lecture_courses", &id)?,
                    course_title: title,
                    area_name: area,
                    trainees,
                    completions,
                })
            })
            .collect()
    }

    async fn import_lectures(&self, ctx: &AuditCtx, import: LectureImport) -> StoreResult<()> {
        let mut tx = self.write().await?;
        for chunk in import.courses.chunks(CHUNK) {
            let mut q = QueryBuilder::<Db>::new(
                "INSERT INTO lecture_courses (id, area_id, title, teacher, summary, published, \
                 created_at, updated_at) ",
            );
            q.push_values(chunk, |mut row, c| {
                row.push_bind(c.id.to_string())
                    .push_bind(c.area_id.to_string())
                    .push_bind(c.title.clone())
                    .push_bind(c.teacher.clone())
                    .push_bind(c.summary.clone())
                    .push_bind(c.published)
                    .push_bind(ctx.at)
                    .push_bind(ctx.at);
            });
            q.build().execute(&mut *tx).await.map_err(db)?;
        }
        // Lessons are numbered in the order given, per course; their
        // minutes are kept for the records below.
        let mut positions: std::collections::HashMap<Uuid, i64> = Default::default();
        let mut lesson_minutes: std::collections::HashMap<Uuid, (Uuid, i64)> = Default::default();
        let numbered: Vec<(i64, &NewLesson)> = import
            .lessons
            .iter()
            .map(|l| {
                let p = positions.entry(l.course_id).or_insert(0);
                *p += 1;
                lesson_minutes.insert(l.id, (l.course_id, l.minutes));
                (*p, l)
            })
            .collect();
        for chunk in numbered.chunks(CHUNK) {
            let mut q = QueryBuilder::<Db>::new(
                "INSERT INTO lecture_lessons (id, course_id, position, title, kind, url, minutes, \
                 created_at) ",
            );
            q.push_values(chunk, |mut row, (position, l)| {
                row.push_bind(l.id.to_string())
                    .push_bind(l.course_id.to_string())
                    .push_bind(*position)
                    .push_bind(l.title.clone())
                    .push_bind(l.kind.clone())
                    .push_bind(l.url.clone())
                    .push_bind(l.minutes)
                    .push_bind(ctx.at);
            });
            q.build().execute(&mut *tx).await.map_err(db)?;
        }
        for chunk in import.trainees.chunks(CHUNK) {
            let mut q = QueryBuilder::<Db>::new(
                "INSERT INTO lecture_trainees (id, enterprise_id, name, phone, created_at) ",
            );
            q.push_values(chunk, |mut row, t| {
                row.push_bind(t.id.to_string())
                    .push_bind(t.enterprise_id.to_string())
                    .push_bind(t.name.clone())
                    .push_bind(t.phone.clone())
                    .push_bind(ctx.at);
            });
            q.build()
                .execute(&mut *tx)
                .await
                .map_err(unique_as("phone"))?;
        }
        let mut enrolled: std::collections::HashMap<Uuid, &ImportEnrolment> = Default::default();
        for chunk in import.enrolments.chunks(CHUNK) {
            let mut q = QueryBuilder::<Db>::new(
                "INSERT INTO lecture_enrolments (id, trainee_id, course_id, enterprise_id, \
                 enrolled_at, completed_at, certificate_no) ",
            );
            q.push_values(chunk, |mut row, e| {
                row.push_bind(e.id.to_string())
                    .push_bind(e.trainee_id.to_string())
                    .push_bind(e.course_id.to_string())
                    .push_bind(e.enterprise_id.to_string())
                    .push_bind(e.enrolled_at)
                    .push_bind(e.completed.as_ref().map(|c| c.0))
                    .push_bind(e.completed.as_ref().map(|c| c.1.clone()));
            });
            q.build()
                .execute(&mut *tx)
                .await
                .map_err(unique_as("enrolment"))?;
            for e in chunk {
                enrolled.insert(e.id, e);
            }
        }
        let mut minutes = 0;
        for chunk in import.records.chunks(CHUNK) {
            let mut rows = Vec::with_capacity(chunk.len());
            for r in chunk {
                let e = enrolled.get(&r.enrolment_id).ok_or(StoreError::NotFound)?;
                let (course, m) = lesson_minutes
                    .get(&r.lesson_id)
                    .copied()
                    .filter(|(c, _)| *c == e.course_id)
                    .ok_or(StoreError::NotFound)?;
                minutes += m;
                rows.push((r, *e, course, m));
            }
            let mut q = QueryBuilder::<Db>::new(
                "INSERT INTO lecture_records (enrolment_id, lesson_id, course_id, enterprise_id, \
                 trainee_id, minutes, learned_at, month, recorded_at, recorded_by) ",
            );
            q.push_values(rows, |mut row, (r, e, course, m)| {
                row.push_bind(r.enrolment_id.to_string())
                    .push_bind(r.lesson_id.to_string())
                    .push_bind(course.to_string())
                    .push_bind(e.enterprise_id.to_string())
                    .push_bind(e.trainee_id.to_string())
                    .push_bind(m)
                    .push_bind(r.learned_at)
                    .push_bind(month_of(r.learned_at))
                    .push_bind(ctx.at)
                    .push_bind(ctx.actor_name.clone());
            });
            q.build()
                .execute(&mut *tx)
                .await
                .map_err(unique_as("lesson"))?;
        }
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("lecture.import", "lecture_hall", "import").with_detail(json!({
                "courses": import.courses.len(),
                "lessons": import.lessons.len(),
                "trainees": import.trainees.len(),
                "enrolments": import.enrolments.len(),
                "records": import.records.len(),
                "minutes": minutes,
            })),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(())
    }
}

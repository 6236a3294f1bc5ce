-- The lecture hall (工信E通 大讲堂): areas, courses and their lessons,
-- enterprises' trainees, enrolments and the lessons each trainee has done.
-- Numbered 0018: 0017 and 0019 belong to other services.
--
-- Times are µs since the Unix epoch; durations are whole minutes; `month`
-- is the Shanghai month of learning as YYYYMM, kept with each record so
-- that the statistics group by it on both backends alike.

CREATE TABLE lecture_areas (
    id         TEXT    NOT NULL PRIMARY KEY,
    name       TEXT    NOT NULL,
    position   BIGINT  NOT NULL,
    archived   BOOLEAN NOT NULL,
    created_at BIGINT  NOT NULL,
    updated_at BIGINT  NOT NULL,
    CONSTRAINT lecture_areas_name_key UNIQUE (name)
);

-- The seven areas the catalogue starts with (yiwang_services::lectures::SEED_AREAS).
INSERT INTO lecture_areas (id, name, position, archived, created_at, updated_at) VALUES
    ('00000000-0000-7000-8000-000000000001', '人力资源管理', 1, FALSE, 0, 0),
    ('00000000-0000-7000-8000-000000000002', '市场营销', 2, FALSE, 0, 0),
    ('00000000-0000-7000-8000-000000000003', '财务税务', 3, FALSE, 0, 0),
    ('00000000-0000-7000-8000-000000000004', '企业管理', 4, FALSE, 0, 0),
    ('00000000-0000-7000-8000-000000000005', '智能制造', 5, FALSE, 0, 0),
    ('00000000-0000-7000-8000-000000000006', '法律法规', 6, FALSE, 0, 0),
    ('00000000-0000-7000-8000-000000000007', '党建与政策', 7, FALSE, 0, 0);

CREATE TABLE lecture_courses (
    id         TEXT    NOT NULL PRIMARY KEY,
    area_id    TEXT    NOT NULL REFERENCES lecture_areas (id),
    title      TEXT    NOT NULL,
    teacher    TEXT    NOT NULL,
    summary    TEXT    NOT NULL,
    published  BOOLEAN NOT NULL,
    created_at BIGINT  NOT NULL,
    updated_at BIGINT  NOT NULL
);

CREATE INDEX lecture_courses_area_idx ON lecture_courses (area_id, title);

-- A course's lessons in order; `url` is an https link (checked by the
-- caller), `minutes` what a lesson done credits.
CREATE TABLE lecture_lessons (
    id         TEXT   NOT NULL PRIMARY KEY,
    course_id  TEXT   NOT NULL REFERENCES lecture_courses (id),
    position   BIGINT NOT NULL,
    title      TEXT   NOT NULL,
    kind       TEXT   NOT NULL CHECK (kind IN ('video', 'document')),
    url        TEXT   NOT NULL CHECK (url LIKE 'https://%'),
    minutes    BIGINT NOT NULL CHECK (minutes > 0),
    created_at BIGINT NOT NULL,
    CONSTRAINT lecture_lessons_position_key UNIQUE (course_id, position)
);

-- An enterprise's staff who study; a phone once per enterprise.
CREATE TABLE lecture_trainees (
    id            TEXT   NOT NULL PRIMARY KEY,
    enterprise_id TEXT   NOT NULL REFERENCES enterprises (id),
    name          TEXT   NOT NULL,
    phone         TEXT   NOT NULL,
    created_at    BIGINT NOT NULL,
    CONSTRAINT lecture_trainees_phone_key UNIQUE (enterprise_id, phone)
);

-- A trainee in a course, once. Completed (with its certificate number)
-- when the last lesson is recorded.
CREATE TABLE lecture_enrolments (
    id             TEXT   NOT NULL PRIMARY KEY,
    trainee_id     TEXT   NOT NULL REFERENCES lecture_trainees (id),
    course_id      TEXT   NOT NULL REFERENCES lecture_courses (id),
    enterprise_id  TEXT   NOT NULL REFERENCES enterprises (id),
    enrolled_at    BIGINT NOT NULL,
    completed_at   BIGINT,
    certificate_no TEXT,
    CONSTRAINT lecture_enrolments_once_key UNIQUE (trainee_id, course_id),
    CONSTRAINT lecture_enrolments_certificate_key UNIQUE (certificate_no),
    CHECK ((completed_at IS NULL) = (certificate_no IS NULL))
);

CREATE INDEX lecture_enrolments_course_idx ON lecture_enrolments (course_id);
CREATE INDEX lecture_enrolments_enterprise_idx ON lecture_enrolments (enterprise_id, enrolled_at);

-- A lesson a trainee has done, once; the course, enterprise and trainee
-- are copied from the enrolment for the statistics.
CREATE TABLE lecture_records (
    enrolment_id  TEXT   NOT NULL REFERENCES lecture_enrolments (id),
    lesson_id     TEXT   NOT NULL REFERENCES lecture_lessons (id),
    course_id     TEXT   NOT NULL,
    enterprise_id TEXT   NOT NULL,
    trainee_id    TEXT   NOT NULL,
    minutes       BIGINT NOT NULL CHECK (minutes > 0),
    learned_at    BIGINT NOT NULL,
    month         BIGINT NOT NULL,
    recorded_at   BIGINT NOT NULL,
    recorded_by   TEXT   NOT NULL,
    PRIMARY KEY (enrolment_id, lesson_id)
);

CREATE INDEX lecture_records_course_idx ON lecture_records (course_id);
CREATE INDEX lecture_records_enterprise_idx ON lecture_records (enterprise_id);
CREATE INDEX lecture_records_month_idx ON lecture_records (month);

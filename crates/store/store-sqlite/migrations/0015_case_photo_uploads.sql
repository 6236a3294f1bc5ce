-- Photos sent with a report form that came back to its reporter (a
-- possible duplicate to look at, a field to correct). They are kept here,
-- for that reporter only, so that the next submission cites them without
-- choosing them again; the report that cites one moves it to case_photos
-- in its own transaction. Uploads older than a day are dropped whenever
-- new ones are kept.
CREATE TABLE case_photo_uploads (
    id           TEXT   NOT NULL PRIMARY KEY,
    content_type TEXT   NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png')),
    size         BIGINT NOT NULL,
    bytes        BLOB  NOT NULL,
    uploaded_by  TEXT   NOT NULL,
    created_at   BIGINT NOT NULL
);

CREATE INDEX case_photo_uploads_created_idx ON case_photo_uploads (created_at);

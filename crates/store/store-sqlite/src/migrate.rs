//! The schema migrations, embedded in the binary.
//!
//! The SQL files in `migrations/` are compiled in with `include_str!` and run
//! through sqlx's [`Migrator`], built at run time from [`Embedded`]: the
//! binary needs no migrations folder next to it, the build needs no database
//! and no `migrate!` macro, and sqlx still records each applied version and
//! its checksum in `_sqlx_migrations`, so running them again is a no-op and
//! an edited, already-applied migration is refused instead of half-applied.
//!
//! A new migration is a new numbered file plus one line in [`MIGRATIONS`]; a
//! test checks the two agree. Versions increase but may leave a gap (a
//! migration numbered on another branch fills it when merged).

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;

use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};

/// `(version, description, SQL)`, in order; the file name is
/// `{version:04}_{description with spaces as underscores}.sql`.
pub(crate) const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "accounts and audit",
        include_str!("../migrations/0001_accounts_and_audit.sql"),
    ),
    (
        2,
        "exchange",
        include_str!("../migrations/0002_exchange.sql"),
    ),
    (
        3,
        "listing secrets",
        include_str!("../migrations/0003_listing_secrets.sql"),
    ),
    (4, "refunds", include_str!("../migrations/0004_refunds.sql")),
    (
        5,
        "idempotency",
        include_str!("../migrations/0005_idempotency.sql"),
    ),
    (6, "grid", include_str!("../migrations/0006_grid.sql")),
    (7, "cases", include_str!("../migrations/0007_cases.sql")),
    (
        8,
        "residents",
        include_str!("../migrations/0008_residents.sql"),
    ),
    (
        9,
        "grid kpi",
        include_str!("../migrations/0009_grid_kpi.sql"),
    ),
    (
        10,
        "grid duties",
        include_str!("../migrations/0010_grid_duties.sql"),
    ),
    (
        11,
        "grid data quality",
        include_str!("../migrations/0011_grid_data_quality.sql"),
    ),
    (
        12,
        "grid kpi indexes",
        include_str!("../migrations/0012_grid_kpi_indexes.sql"),
    ),
    (
        13,
        "services requests",
        include_str!("../migrations/0013_services_requests.sql"),
    ),
    (
        14,
        "worker services",
        include_str!("../migrations/0014_worker_services.sql"),
    ),
    (
        15,
        "case photo uploads",
        include_str!("../migrations/0015_case_photo_uploads.sql"),
    ),
    (
        16,
        "case kpi months",
        include_str!("../migrations/0016_case_kpi_months.sql"),
    ),
    (
        17,
        "services visits",
        include_str!("../migrations/0017_services_visits.sql"),
    ),
    (
        18,
        "lectures",
        include_str!("../migrations/0018_lectures.sql"),
    ),
    (
        19,
        "labour mediation",
        include_str!("../migrations/0019_labour_mediation.sql"),
    ),
];

/// [`MIGRATIONS`] as a sqlx migration source.
#[derive(Debug)]
struct Embedded;

impl MigrationSource<'static> for Embedded {
    fn resolve(
        self,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, BoxDynError>> + Send + 'static>> {
        Box::pin(async {
            Ok(MIGRATIONS
                .iter()
                .map(|&(version, description, sql)| {
                    Migration::new(
                        version,
                        Cow::Borrowed(description),
                        MigrationType::Simple,
                        Cow::Borrowed(sql),
                        false,
                    )
                })
                .collect())
        })
    }
}

/// The migrator for this backend.
pub(crate) async fn migrator() -> Result<Migrator, sqlx::migrate::MigrateError> {
    Migrator::new(Embedded).await
}

#[cfg(test)]
mod tests {
    use super::MIGRATIONS;

    /// Every file in `migrations/` is embedded, in order, and nothing else is.
    #[test]
    fn embedded_list_matches_the_folder() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|name| name.ends_with(".sql"))
            .collect();
        files.sort();
        let expected: Vec<String> = MIGRATIONS
            .iter()
            .map(|(v, d, _)| format!("{v:04}_{}.sql", d.replace(' ', "_")))
            .collect();
        assert_eq!(files, expected);
        for (i, (version, _, sql)) in MIGRATIONS.iter().enumerate() {
            if i > 0 {
                assert!(*version > MIGRATIONS[i - 1].0, "versions increase");
            }
            let on_disk = std::fs::read_to_string(format!("{dir}/{}", expected[i])).unwrap();
            assert_eq!(&on_disk, sql);
        }
    }
}

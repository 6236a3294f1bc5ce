//! A fresh store for tests, in this crate and in the crates above it.
//!
//! Each call to [`fresh`] makes its own directory under the system's
//! temporary directory, so tests run in parallel without sharing a file, and
//! the returned [`TempDir`] removes the directory when dropped. It needs no
//! extra dependencies, so it is always compiled rather than hidden behind a
//! feature.

use std::path::{Path, PathBuf};

use uuid::Uuid;
use yiwang_store::Store;

use crate::SqliteStore;

/// The database file's name inside the directory [`fresh`] makes.
pub const DB_FILE: &str = "yiwang.db";

/// A temporary directory, removed with everything in it when dropped.
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Makes a new, empty directory with a unique name.
    pub fn new() -> TempDir {
        let path = std::env::temp_dir().join(format!("yiwang-test-{}", Uuid::now_v7().simple()));
        std::fs::create_dir_all(&path)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
        TempDir { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Default for TempDir {
    fn default() -> Self {
        TempDir::new()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // Best effort: a leftover directory in /tmp is harmless, and a panic
        // in drop would hide the test's own failure.
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A new, migrated store in a new temporary directory. Keep the guard alive
/// as long as the store is used.
///
/// # Panics
///
/// When the database cannot be created or migrated: a test cannot go on.
pub async fn fresh() -> (SqliteStore, TempDir) {
    let dir = TempDir::new();
    let url = format!("sqlite://{}", dir.path().join(DB_FILE).display());
    let store = SqliteStore::open(&url)
        .await
        .unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
    store
        .migrate()
        .await
        .unwrap_or_else(|e| panic!("cannot migrate {url}: {e}"));
    (store, dir)
}

/// A second store on the database [`fresh`] made in `dir`, with pools of
/// its own: what another server process on the same file would have.
///
/// # Panics
///
/// When the database cannot be opened.
pub async fn open_again(dir: &TempDir) -> SqliteStore {
    let url = format!("sqlite://{}", dir.path().join(DB_FILE).display());
    SqliteStore::open(&url)
        .await
        .unwrap_or_else(|e| panic!("cannot open {url} again: {e}"))
}

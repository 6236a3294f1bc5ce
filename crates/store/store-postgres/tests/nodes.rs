//! Two stores on one database, each with its own connection pool, standing
//! in for two `yiwang serve` processes: appends to one listing from both
//! still make one gap-free log, and each hears the other's appends.

use std::sync::Arc;

use yiwang_store::Store;
use yiwang_store_postgres::testing;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appends_from_two_processes_make_one_log() {
    let (first, db) = testing::fresh().await;
    let second = testing::another_store(&db).await;
    let stores: Vec<Arc<dyn Store>> = vec![Arc::new(first), Arc::new(second)];
    yiwang_store::testsuite::concurrent_appends_from_several_nodes(stores).await;
}

/// A subscriber on each of two stores hears the appends committed through
/// the other: the change feed crosses processes on PostgreSQL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appends_are_heard_by_every_process() {
    let (first, db) = testing::fresh().await;
    let second = testing::another_store(&db).await;
    let stores: Vec<Arc<dyn Store>> = vec![Arc::new(first), Arc::new(second)];
    yiwang_store::testsuite::append_feed_crosses_stores(stores).await;
}

//! Two stores on one SQLite file, as two processes would have: appends to
//! one listing from both still make one gap-free log.

use std::sync::Arc;

use yiwang_store::Store;
use yiwang_store_sqlite::testing;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appends_from_two_stores_make_one_log() {
    let (first, dir) = testing::fresh().await;
    let second = testing::open_again(&dir).await;
    let stores: Vec<Arc<dyn Store>> = vec![Arc::new(first), Arc::new(second)];
    yiwang_store::testsuite::concurrent_appends_from_several_nodes(stores).await;
}

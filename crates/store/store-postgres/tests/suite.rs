//! The shared storage test suite, against PostgreSQL: each test gets a
//! database of its own (see `yiwang_store_postgres::testing`).

yiwang_store::store_tests!(yiwang_store_postgres::testing::fresh());

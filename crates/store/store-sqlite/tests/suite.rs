//! The shared storage test suite, against SQLite.

yiwang_store::store_tests!(yiwang_store_sqlite::testing::fresh());

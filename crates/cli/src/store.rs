//! Opens the store a database URL names.

use std::sync::Arc;
use yiwang_store::Store;

/// `sqlite://PATH` opens (and creates) an SQLite file; `postgres://…` or
/// `postgresql://…` connects to PostgreSQL. Anything else is refused with a
/// message saying what is accepted.
/// Opens the database for a command that only reads it: a SQLite file that
/// does not exist is an error, not a new empty database.
pub async fn open_existing(url: &str) -> anyhow::Result<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        let path = yiwang_store_sqlite::file_path(url)
            .map_err(|e| anyhow::anyhow!("无法打开 SQLite 数据库 {url}：{e}"))?;
        if !path.exists() {
            anyhow::bail!(
                "SQLite 数据库文件 {} 不存在：请检查数据库地址，或先运行 yiwang migrate / yiwang serve",
                path.display()
            );
        }
    }
    open(url).await
}

pub async fn open(url: &str) -> anyhow::Result<Arc<dyn Store>> {
    if url.starts_with("sqlite://") || url.starts_with("sqlite:") {
        let store = yiwang_store_sqlite::SqliteStore::open(url)
            .await
            .map_err(|e| anyhow::anyhow!("无法打开 SQLite 数据库 {url}：{e}"))?;
        Ok(Arc::new(store))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let store = yiwang_store_postgres::PgStore::connect(url)
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "无法连接 PostgreSQL 数据库 {}：{e}",
                    yiwang_web::config::mask_url_password(url)
                )
            })?;
        Ok(Arc::new(store))
    } else {
        anyhow::bail!(
            "不支持的数据库地址“{}”：请使用 sqlite://路径 或 postgres://用户@主机/数据库",
            yiwang_web::config::mask_url_password(url)
        )
    }
}

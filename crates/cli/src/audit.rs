//! `yiwang audit verify`: walks the audit log's hash chain from the first
//! record and reports the first broken link.

use std::process::ExitCode;
use yiwang_store::audit::ChainVerifier;
use yiwang_web::Config;

pub async fn verify(config: &Config) -> anyhow::Result<ExitCode> {
    let store = crate::store::open(&config.database_url).await?;
    store.migrate().await?;
    let mut verifier = ChainVerifier::default();
    let mut after = 0;
    loop {
        let batch = store.audit_after(after, 1000).await?;
        if batch.is_empty() {
            break;
        }
        for record in &batch {
            if let Err(broken) = verifier.check(record) {
                println!(
                    "审计日志校验失败：{broken}（此前 {} 条记录完整）",
                    verifier.checked()
                );
                return Ok(ExitCode::from(1));
            }
        }
        after = batch.last().map_or(after, |r| r.seq);
    }
    println!(
        "审计日志完整：共 {} 条记录，链头哈希 {}",
        verifier.checked(),
        verifier.head()
    );
    Ok(ExitCode::SUCCESS)
}

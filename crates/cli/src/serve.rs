//! `yiwang serve`: migrations, optional demo data, then the web server until
//! Ctrl-C or SIGTERM, finishing requests in flight.

use std::sync::Arc;
use tracing_subscriber::EnvFilter;
use yiwang_core::SystemClock;
use yiwang_web::config::LogFormat;
use yiwang_web::{AppState, Config};

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_env("YIWANG_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    // Logs go to standard error: standard output carries what `serve`
    // prints for people and scripts (the address, the demo logins).
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}

pub async fn run(config: Config, demo: bool) -> anyhow::Result<()> {
    init_logging(config.log_format);
    let store = crate::store::open(&config.database_url).await?;
    store.migrate().await?;
    let listen = config.listen;
    let state = AppState::new(store, config, Arc::new(SystemClock))?;
    let logins = if demo {
        Some(crate::demo::load(&state).await?)
    } else {
        None
    };
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| anyhow::anyhow!("无法监听 {listen}：{e}"))?;
    let addr = listener.local_addr()?;
    println!("一网已启动：http://{addr}/");
    println!(
        "数据库：{}",
        yiwang_web::config::mask_url_password(&state.config.database_url)
    );
    if let Some(logins) = &logins {
        crate::demo::print_logins(logins);
    }
    tracing::info!(%addr, backend = state.store.backend(), "listening");
    yiwang_web::serve(state, listener, shutdown_signal()).await
}

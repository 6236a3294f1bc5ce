//! The server's configuration.
//!
//! Read from a TOML file (optional) with `YIWANG_…` environment variables on
//! top: `YIWANG_DATABASE_URL` sets `database_url`, `YIWANG_AUTH__MAX_FAILED_LOGINS`
//! sets `auth.max_failed_logins` (a double underscore descends into a
//! section). Unknown keys are errors, so a typo never silently falls back to a
//! default.

use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

/// Everything `yiwang serve` can be told.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address the HTTP server listens on.
    pub listen: SocketAddr,
    /// `sqlite://PATH` or `postgres://…`.
    pub database_url: String,
    /// The address users reach this site at, for links printed on paper
    /// (QR codes, slips) and for the Origin check on forms.
    pub public_url: String,
    /// `text` or `json` log lines.
    pub log_format: LogFormat,
    /// Trust `X-Forwarded-For` from a reverse proxy for the client address.
    pub trust_forwarded_for: bool,
    /// A TOML file of public holidays and adjusted working days that adds to
    /// or overrides the shipped calendar.
    pub calendar_file: Option<String>,
    pub auth: AuthConfig,
    pub bank: BankConfig,
    pub demo: DemoConfig,
    /// Grid events: handlers' departments, the public form's rate limit.
    pub grid_events: crate::cases::EventsConfig,
    /// Open311 GeoReport v2: the API keys that may post requests.
    pub open311: crate::cases::open311::Open311Config,
    /// Grid indicators: the zombie-grid rules and the performance pay formula.
    pub grid_kpi: crate::grid::kpi::KpiConfig,
    /// Grid duties: the rules of patrols, visits and attendance.
    pub grid_duties: crate::grid::duties::DutiesConfig,
    /// Apprenticeship subsidies: the amounts per level, by year, in fen.
    pub services_subsidies: yiwang_services::subsidies::SubsidyConfig,
    /// Collective contracts: how long before its end a contract is listed
    /// for renewal.
    pub services_contracts: yiwang_services::contracts::ContractsConfig,
    /// Enterprise requests: the handlers' departments, the rules file.
    pub services_requests: crate::services::requests::RequestsConfig,
    /// Labour mediation: the rules file (kinds of dispute, time limit).
    pub services_mediation: crate::services::mediation::MediationConfig,
}

/// Where `serve --demo` places its rehearsal listing (网上竞价演练), so that
/// whoever runs the demo can go through the quote stop, a timed round and
/// the result the same day: the listing ends `drill_end_s` seconds after
/// the demo is loaded, quotes stop `drill_quote_stop_s` before that, and
/// its timed round counts down `drill_countdown_s` from each accepted bid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DemoConfig {
    pub drill_end_s: u32,
    pub drill_quote_stop_s: u32,
    pub drill_countdown_s: u32,
    /// Grid events the demo generates over the past year (0: none).
    pub events_per_year: u32,
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig {
            drill_end_s: 7200,
            drill_quote_stop_s: 1800,
            drill_countdown_s: 240,
            events_per_year: 15_000,
        }
    }
}

/// The bank's deposit callbacks (`POST /api/v1/bank/deposits`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BankConfig {
    /// The shared secret of the HMAC-SHA256 signature. Empty: callbacks
    /// are refused.
    pub hmac_secret: String,
    /// How far a callback's timestamp may be from the server clock.
    pub max_skew_s: u32,
}

impl Default for BankConfig {
    fn default() -> Self {
        BankConfig {
            hmac_secret: String::new(),
            max_skew_s: 300,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// Logins, sessions and their protection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// Mark cookies `Secure` and send HSTS; set when served over HTTPS.
    pub secure_cookies: bool,
    /// A session ends after this long without a request.
    pub session_idle_minutes: u32,
    /// A session ends this long after login, however active.
    pub session_max_hours: u32,
    /// Failed logins in a row that lock an account.
    pub max_failed_logins: u32,
    /// How long a locked account stays locked.
    pub lockout_minutes: u32,
    /// Login attempts allowed per client address per minute.
    pub login_attempts_per_minute: u32,
    /// Argon2id memory cost in KiB (OWASP: at least 19456).
    pub argon2_memory_kib: u32,
    /// Argon2id passes.
    pub argon2_iterations: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: "sqlite://data/yiwang.db".to_owned(),
            public_url: "http://127.0.0.1:8080".to_owned(),
            log_format: LogFormat::Text,
            trust_forwarded_for: false,
            calendar_file: None,
            auth: AuthConfig::default(),
            bank: BankConfig::default(),
            demo: DemoConfig::default(),
            grid_events: crate::cases::EventsConfig::default(),
            open311: crate::cases::open311::Open311Config::default(),
            grid_kpi: crate::grid::kpi::KpiConfig::default(),
            grid_duties: crate::grid::duties::DutiesConfig::default(),
            services_subsidies: yiwang_services::subsidies::SubsidyConfig::default(),
            services_contracts: yiwang_services::contracts::ContractsConfig::default(),
            services_requests: crate::services::requests::RequestsConfig::default(),
            services_mediation: crate::services::mediation::MediationConfig::default(),
        }
    }
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            secure_cookies: false,
            session_idle_minutes: 60,
            session_max_hours: 12,
            max_failed_logins: 5,
            lockout_minutes: 15,
            login_attempts_per_minute: 10,
            argon2_memory_kib: 19456,
            argon2_iterations: 2,
        }
    }
}

/// Why the configuration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("无法读取配置文件 {path}：{source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("配置文件 {path} 有误：{message}")]
    File { path: String, message: String },
    #[error("环境变量 {var} 有误：{message}")]
    Env { var: String, message: String },
    #[error("配置有误：{0}")]
    Invalid(String),
}

/// The prefix of the environment variables that configure Yiwang.
pub const ENV_PREFIX: &str = "YIWANG_";

/// Variables with the prefix that are not configuration keys.
const ENV_NOT_CONFIG: &[&str] = &["YIWANG_CONFIG", "YIWANG_LOG"];

/// Variables of the test tooling (`YIWANG_TEST_BACKEND`, …), not configuration.
const ENV_TEST_PREFIX: &str = "YIWANG_TEST_";

impl Config {
    /// Reads the file (if given) and applies `vars` (normally
    /// `std::env::vars()`) on top.
    pub fn load(
        file: Option<&str>,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let mut table = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_owned(),
                    source,
                })?;
                text.parse::<toml::Table>().map_err(|e| ConfigError::File {
                    path: path.to_owned(),
                    message: e.message().to_owned(),
                })?
            }
            None => toml::Table::new(),
        };
        let mut vars: Vec<_> = vars
            .into_iter()
            .filter(|(k, _)| {
                k.starts_with(ENV_PREFIX)
                    && !k.starts_with(ENV_TEST_PREFIX)
                    && !ENV_NOT_CONFIG.contains(&k.as_str())
            })
            .collect();
        vars.sort();
        for (var, value) in vars {
            let key = var[ENV_PREFIX.len()..].to_ascii_lowercase();
            let path: Vec<&str> = key.split("__").collect();
            set_path(&mut table, &path, env_value(&value)).map_err(|message| ConfigError::Env {
                var: var.clone(),
                message,
            })?;
            // Check each variable on its own so the error names it.
            Config::deserialize(toml::Value::Table(table.clone())).map_err(|e| {
                ConfigError::Env {
                    var: var.clone(),
                    message: e.to_string(),
                }
            })?;
        }
        let config =
            Config::deserialize(toml::Value::Table(table)).map_err(|e| ConfigError::File {
                path: file.unwrap_or("(默认)").to_owned(),
                message: e.to_string(),
            })?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let a = &self.auth;
        if a.max_failed_logins == 0 {
            return Err(ConfigError::Invalid(
                "auth.max_failed_logins 必须大于 0".into(),
            ));
        }
        if a.login_attempts_per_minute == 0 {
            return Err(ConfigError::Invalid(
                "auth.login_attempts_per_minute 必须大于 0".into(),
            ));
        }
        if a.session_idle_minutes == 0 || a.session_max_hours == 0 {
            return Err(ConfigError::Invalid("会话时长必须大于 0".into()));
        }
        if a.argon2_memory_kib < 8 || a.argon2_iterations == 0 {
            return Err(ConfigError::Invalid("argon2 参数过小".into()));
        }
        if !(self.public_url.starts_with("http://") || self.public_url.starts_with("https://")) {
            return Err(ConfigError::Invalid(
                "public_url 必须以 http:// 或 https:// 开头".into(),
            ));
        }
        self.services_subsidies
            .validate()
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        let d = &self.demo;
        if d.drill_countdown_s == 0 || d.drill_quote_stop_s == 0 {
            return Err(ConfigError::Invalid(
                "demo.drill_quote_stop_s 与 demo.drill_countdown_s 必须大于 0".into(),
            ));
        }
        if d.drill_quote_stop_s >= d.drill_end_s {
            return Err(ConfigError::Invalid(
                "demo.drill_quote_stop_s 必须小于 demo.drill_end_s（演练须先有挂牌报价时间）"
                    .into(),
            ));
        }
        Ok(())
    }

    /// The configuration as TOML with secrets masked, for `yiwang config print`.
    pub fn to_masked_toml(&self) -> String {
        let mut shown = self.clone();
        shown.database_url = mask_url_password(&self.database_url);
        if !shown.bank.hmac_secret.is_empty() {
            shown.bank.hmac_secret = "***".to_owned();
        }
        for key in &mut shown.open311.api_keys {
            *key = "***".to_owned();
        }
        toml::to_string_pretty(&shown).unwrap_or_default()
    }
}

/// An environment value is read as a TOML value when it parses as one
/// (numbers, booleans), and as a string otherwise.
fn env_value(raw: &str) -> toml::Value {
    match format!("v = {raw}").parse::<toml::Table>() {
        Ok(mut t) => match t.remove("v") {
            Some(
                v @ (toml::Value::Integer(_) | toml::Value::Boolean(_) | toml::Value::Float(_)),
            ) => v,
            _ => toml::Value::String(raw.to_owned()),
        },
        Err(_) => toml::Value::String(raw.to_owned()),
    }
}

fn set_path(table: &mut toml::Table, path: &[&str], value: toml::Value) -> Result<(), String> {
    match path {
        [] => Err("变量名为空".into()),
        [last] => {
            table.insert((*last).to_owned(), value);
            Ok(())
        }
        [first, rest @ ..] => {
            let entry = table
                .entry((*first).to_owned())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            match entry {
                toml::Value::Table(t) => set_path(t, rest, value),
                _ => Err(format!("{first} 不是一个配置节")),
            }
        }
    }
}

/// Replaces the password in `scheme://user:password@host/…` with `***`.
pub fn mask_url_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_without_file_or_env() {
        assert_eq!(Config::load(None, vec![]).unwrap(), Config::default());
    }

    #[test]
    fn env_overrides_nested_keys_with_types() {
        let c = Config::load(
            None,
            vars(&[
                ("YIWANG_DATABASE_URL", "postgres://u:pw@db/yiwang"),
                ("YIWANG_AUTH__MAX_FAILED_LOGINS", "3"),
                ("YIWANG_AUTH__SECURE_COOKIES", "true"),
                ("YIWANG_LISTEN", "0.0.0.0:9000"),
                ("YIWANG_CONFIG", "ignored.toml"),
                ("YIWANG_TEST_BACKEND", "postgres"),
                ("PATH", "/bin"),
            ]),
        )
        .unwrap();
        assert_eq!(c.database_url, "postgres://u:pw@db/yiwang");
        assert_eq!(c.auth.max_failed_logins, 3);
        assert!(c.auth.secure_cookies);
        assert_eq!(c.listen.port(), 9000);
    }

    #[test]
    fn unknown_or_mistyped_env_is_named() {
        let e = Config::load(None, vars(&[("YIWANG_LISTN", "x")])).unwrap_err();
        assert!(e.to_string().contains("YIWANG_LISTN"), "{e}");
        let e =
            Config::load(None, vars(&[("YIWANG_AUTH__MAX_FAILED_LOGINS", "many")])).unwrap_err();
        assert!(
            e.to_string().contains("YIWANG_AUTH__MAX_FAILED_LOGINS"),
            "{e}"
        );
    }

    #[test]
    fn file_then_env() {
        let dir = std::env::temp_dir().join(format!("yiwang-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("y.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:7000\"\n[auth]\nlockout_minutes = 30\n",
        )
        .unwrap();
        let c = Config::load(
            Some(path.to_str().unwrap()),
            vars(&[("YIWANG_AUTH__LOCKOUT_MINUTES", "45")]),
        )
        .unwrap();
        assert_eq!(c.listen.port(), 7000);
        assert_eq!(c.auth.lockout_minutes, 45);
        std::fs::write(&path, "listen = 7\n").unwrap();
        let e = Config::load(Some(path.to_str().unwrap()), vec![]).unwrap_err();
        assert!(e.to_string().contains("y.toml"), "{e}");
    }

    #[test]
    fn masks_passwords_only() {
        assert_eq!(
            mask_url_password("postgres://yiwang:s3cret@db:5432/yiwang"),
            "postgres://yiwang:***@db:5432/yiwang"
        );
        assert_eq!(
            mask_url_password("sqlite://data/y.db"),
            "sqlite://data/y.db"
        );
        let mut c = Config {
            database_url: "postgres://a:b@h/d".into(),
            ..Config::default()
        };
        c.bank.hmac_secret = "bank-secret".into();
        c.open311.api_keys = vec!["open311-key".into()];
        let shown = c.to_masked_toml();
        assert!(!shown.contains(":b@"));
        assert!(
            !shown.contains("open311-key") && shown.contains("api_keys = [\"***\"]"),
            "{shown}"
        );
        assert!(!shown.contains("bank-secret") && shown.contains("hmac_secret = \"***\""));
    }
}

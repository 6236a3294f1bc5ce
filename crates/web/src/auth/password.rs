//! Password hashing with argon2id.
//!
//! Hashing is deliberately slow, so it runs on the blocking thread pool and
//! never stalls the async runtime. Unknown usernames are checked against a
//! dummy hash so that a login's timing does not reveal whether the account
//! exists.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Params, PasswordVerifier, Version};
use std::sync::Arc;

use crate::error::{AppError, FieldError};

/// Hashes and verifies passwords with fixed argon2id parameters.
#[derive(Clone)]
pub struct Hasher {
    params: Params,
    dummy: Arc<String>,
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hasher").finish_non_exhaustive()
    }
}

impl Hasher {
    /// `memory_kib` and `iterations` as in the configuration; one lane.
    pub fn new(memory_kib: u32, iterations: u32) -> anyhow::Result<Hasher> {
        let params = Params::new(memory_kib, iterations, 1, None)
            .map_err(|e| anyhow::anyhow!("argon2 parameters: {e}"))?;
        let mut h = Hasher {
            params,
            dummy: Arc::new(String::new()),
        };
        h.dummy = Arc::new(h.hash_now("yiwang-dummy-password")?);
        Ok(h)
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    fn hash_now(&self, password: &str) -> anyhow::Result<String> {
        let salt = SaltString::generate(&mut OsRng);
        self.argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("argon2: {e}"))
    }

    /// The PHC string for `password`.
    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        let me = self.clone();
        tokio::task::spawn_blocking(move || me.hash_now(&password))
            .await
            .map_err(|e| AppError::Internal(e.into()))?
            .map_err(AppError::Internal)
    }

    /// Whether `password` matches `phc`; with `None`, checks against a dummy
    /// hash and answers false, taking the same time.
    pub async fn verify(&self, password: String, phc: Option<String>) -> Result<bool, AppError> {
        let me = self.clone();
        tokio::task::spawn_blocking(move || {
            let real = phc.is_some();
            let phc = phc.unwrap_or_else(|| me.dummy.as_str().to_owned());
            let parsed =
                PasswordHash::new(&phc).map_err(|e| anyhow::anyhow!("stored hash: {e}"))?;
            // Verify with the parameters stored in the hash itself.
            let ok = Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok();
            Ok::<bool, anyhow::Error>(real && ok)
        })
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(AppError::Internal)
    }
}

/// The password rules: 8 to 64 characters with at least one letter and one
/// digit, and not the username.
pub fn check_policy(field: &str, password: &str, username: &str) -> Result<(), FieldError> {
    let n = password.chars().count();
    if n < 8 {
        return Err(FieldError::new(field, "密码至少需要 8 个字符"));
    }
    if n > 64 {
        return Err(FieldError::new(field, "密码不能超过 64 个字符"));
    }
    if !password.chars().any(|c| c.is_ascii_alphabetic())
        || !password.chars().any(|c| c.is_ascii_digit())
    {
        return Err(FieldError::new(field, "密码必须同时包含字母和数字"));
    }
    if password.eq_ignore_ascii_case(username) {
        return Err(FieldError::new(field, "密码不能与用户名相同"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_and_verify() {
        let h = Hasher::new(64, 1).unwrap();
        let phc = h.hash("Secret123".into()).await.unwrap();
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(h
            .verify("Secret123".into(), Some(phc.clone()))
            .await
            .unwrap());
        assert!(!h.verify("secret123".into(), Some(phc)).await.unwrap());
        assert!(!h
            .verify("yiwang-dummy-password".into(), None)
            .await
            .unwrap());
    }

    #[test]
    fn policy() {
        assert!(check_policy("p", "abc12345", "user").is_ok());
        assert_eq!(
            check_policy("p", "abc1234", "u").unwrap_err().message,
            "密码至少需要 8 个字符"
        );
        assert!(check_policy("p", "abcdefgh", "u").is_err());
        assert!(check_policy("p", "12345678", "u").is_err());
        assert!(check_policy("p", "User1234", "user1234").is_err());
    }
}

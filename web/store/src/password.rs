//! Password hashing: Argon2id in PHC string form, with a length-only policy.
//!
//! Argon2id is memory-hard, so a stolen database costs an attacker memory per guess, not just
//! GPU time. The defaults are OWASP's first recommendation (19 MiB, 2 passes, 1 lane): about
//! 30 ms on a server core, which the login rate limit and lockout keep from becoming a DoS
//! lever. The PHC string carries its own parameters, so raising them later still verifies old
//! hashes. The policy is length only (NIST SP 800-63B: long passphrases, no composition rules).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::Store;
use crate::error::{Result, StoreError};

#[derive(Debug, Clone)]
pub struct PasswordPolicy {
    /// Shortest accepted password, in characters.
    pub min_chars: usize,
    /// Longest accepted password (bounds hashing work per request).
    pub max_chars: usize,
    /// Argon2id memory in KiB.
    pub memory_kib: u32,
    pub iterations: u32,
    pub lanes: u32,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy { min_chars: 12, max_chars: 1024, memory_kib: 19 * 1024, iterations: 2, lanes: 1 }
    }
}

impl PasswordPolicy {
    fn argon2(&self) -> Result<Argon2<'static>> {
        let params = Params::new(self.memory_kib, self.iterations, self.lanes, None)
            .map_err(|e| StoreError::Invalid(format!("Argon2 parameters: {e}")))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }

    /// Checks the length rule.
    pub fn check(&self, password: &str) -> Result<()> {
        let n = password.chars().count();
        if n < self.min_chars {
            return Err(StoreError::PasswordTooShort { min: self.min_chars });
        }
        if n > self.max_chars {
            return Err(StoreError::Invalid(format!("password longer than {} characters", self.max_chars)));
        }
        Ok(())
    }

    /// The PHC string (`$argon2id$v=19$m=…`) of a password that meets the policy.
    pub fn hash(&self, password: &str) -> Result<String> {
        self.check(password)?;
        let salt = SaltString::encode_b64(&crate::random_bytes::<16>()?)
            .map_err(|e| StoreError::Invalid(format!("salt: {e}")))?;
        let hash = self
            .argon2()?
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| StoreError::Invalid(format!("Argon2: {e}")))?;
        Ok(hash.to_string())
    }

    /// Whether `password` matches the PHC string (parameters come from the string).
    pub fn verify(&self, password: &str, phc: &str) -> bool {
        if password.chars().count() > self.max_chars {
            return false;
        }
        let Ok(parsed) = PasswordHash::new(phc) else { return false };
        Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok()
    }
}

impl Store {
    /// Hashes off the async threads (Argon2 is deliberately slow).
    pub(crate) async fn hash_password(&self, password: &str) -> Result<String> {
        let policy = self.config.password.clone();
        let password = password.to_string();
        tokio::task::spawn_blocking(move || policy.hash(&password))
            .await
            .map_err(|e| StoreError::Corrupt(format!("hashing task: {e}")))?
    }

    pub(crate) async fn verify_password(&self, password: &str, phc: String) -> bool {
        let policy = self.config.password.clone();
        let password = password.to_string();
        tokio::task::spawn_blocking(move || policy.verify(&password, &phc)).await.unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2id_phc_round_trip_and_policy() {
        let policy = PasswordPolicy { memory_kib: 1024, iterations: 1, ..Default::default() };
        let phc = policy.hash("correct horse battery").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"), "{phc}");
        assert!(policy.verify("correct horse battery", &phc));
        assert!(!policy.verify("correct horse batterY", &phc));
        assert!(!policy.verify("correct horse battery", "not a phc string"));
        assert!(matches!(policy.hash("short"), Err(StoreError::PasswordTooShort { min: 12 })));
        // two hashes of one password differ (random salt)
        assert_ne!(phc, policy.hash("correct horse battery").unwrap());
    }

    #[test]
    fn default_parameters_are_owasp_argon2id() {
        let phc = PasswordPolicy::default().hash("a long enough passphrase").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
    }
}

//! Passwords: argon2id hashes (parameters and salt inside the PHC string,
//! so they can be raised later) and the password policy.

use crate::error::{AppError, AppResult};
use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use std::sync::OnceLock;

pub const MIN_LENGTH: usize = 12;
const MAX_LENGTH: usize = 256;
const COMMON: &str = include_str!("common-passwords.txt");

/// Checks the policy: length, not a common password, not the username or email.
pub fn check_policy(field: &str, password: &str, personal: &[&str]) -> AppResult<()> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(AppError::invalid(field, format!("must be at least {MIN_LENGTH} characters")));
    }
    if length > MAX_LENGTH {
        return Err(AppError::invalid(field, format!("must be at most {MAX_LENGTH} characters")));
    }
    let lower = password.to_lowercase();
    if COMMON.lines().filter(|l| !l.starts_with('#')).any(|common| common.trim() == lower) {
        return Err(AppError::invalid(field, "is one of the most common passwords; choose another"));
    }
    if personal.iter().any(|p| !p.is_empty() && lower.contains(&p.to_lowercase())) {
        return Err(AppError::invalid(field, "must not contain the username or email"));
    }
    Ok(())
}

/// An argon2id hash (PHC string) with a fresh random salt.
pub fn hash(password: &str) -> AppResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(anyhow::anyhow!("hashing a password: {e}")))
}

/// Whether `password` matches the PHC string `hash`; a malformed hash never matches.
pub fn verify(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// Spends the time of one verification, so that an unknown account answers
/// as slowly as a wrong password.
pub fn verify_dummy(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let hash = DUMMY.get_or_init(|| hash("a dummy password nobody has").unwrap_or_default());
    let _ = verify(password, hash);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_with_their_parameters() {
        let h = hash("a long enough passphrase").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m="), "{h}");
        assert!(verify("a long enough passphrase", &h));
        assert!(!verify("another passphrase!", &h));
        assert_ne!(h, hash("a long enough passphrase").unwrap(), "salts differ");
    }

    #[test]
    fn the_policy_refuses_short_common_and_personal_passwords() {
        assert!(check_policy("p", "short", &[]).is_err());
        assert!(check_policy("p", "Password1234", &[]).is_err());
        assert!(check_policy("p", "marie-dupont-2026", &["marie-dupont"]).is_err());
        assert!(check_policy("p", "Correct-Horse-Battery-9", &["chef"]).is_ok());
    }
}

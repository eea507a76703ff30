//! Passwords: argon2id hashes (made and checked on a blocking thread) and the rules a new
//! password must meet.

use mamori_locale::Message;

use crate::ErrorCode;
use argon2::{Argon2, PasswordHasher, PasswordVerifier};

use crate::error::{Error, Refusal};

pub const MIN_PASSWORD_LENGTH: usize = 12;

/// A hash of nothing anyone knows, verified for unknown logins so that both answers take
/// the same time.
pub const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0V2ZQkM8ZJ1Yd6kcmp3Xy8q0t0pXl9l3pVw3zq4o7nU";

/// Hashes a password with Argon2id on a blocking thread.
pub async fn hash_password(password: String) -> Result<String, Error> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| Error::Internal(format!("password hashing failed: {e}")))
    })
    .await
    .map_err(|e| Error::Internal(format!("hashing task failed: {e}")))?
}

pub async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .verify_password(password.as_bytes(), hash.as_str())
            .is_ok()
    })
    .await
    .unwrap_or(false)
}

/// The password rules: at least 12 characters, at most 200, and not a common or easily
/// guessed password (checked against the bundled dictionaries of zxcvbn, which include the
/// most common passwords, keyboard patterns and the user's own login).
pub fn check_new_password(password: &str, login: &str) -> Result<(), Error> {
    let length = password.chars().count();
    if length < MIN_PASSWORD_LENGTH {
        return Err(Error::rejected(
            Refusal::Invalid,
            ErrorCode::PasswordTooShort,
            Message::new("errors-password-too-short").with("min_length", MIN_PASSWORD_LENGTH),
        ));
    }
    if length > 200 {
        return Err(Error::rejected(
            Refusal::Invalid,
            ErrorCode::PasswordTooLong,
            Message::new("errors-password-too-long"),
        ));
    }
    let contains_login =
        login.chars().count() >= 3 && password.to_lowercase().contains(&login.to_lowercase());
    let strength = zxcvbn::zxcvbn(password, &[login, "mamori"]);
    if contains_login || u8::from(strength.score()) < 3 {
        return Err(Error::rejected(
            Refusal::Invalid,
            ErrorCode::PasswordTooCommon,
            Message::new("errors-password-too-common"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn passwords_hash_with_argon2id_and_verify() {
        let hash = hash_password("correct horse battery".into())
            .await
            .expect("hash");
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("correct horse battery".into(), hash.clone()).await);
        assert!(!verify_password("wrong horse battery".into(), hash).await);
        assert!(!verify_password("anything".into(), DUMMY_HASH.into()).await);
    }

    #[test]
    fn common_and_short_passwords_are_refused() {
        for weak in [
            "password1234",
            "123456789012",
            "qwertyuiopas",
            "tanaka-password",
            "Passw0rd!Passw0rd!",
        ] {
            assert!(
                check_new_password(weak, "tanaka").is_err(),
                "{weak} must be refused"
            );
        }
        assert!(check_new_password("short", "tanaka").is_err());
        for strong in [
            "correct horse battery staple",
            "a long enough password phrase",
            "みなと中央病院の鍵は青い",
        ] {
            assert!(
                check_new_password(strong, "tanaka").is_ok(),
                "{strong} must be accepted"
            );
        }
    }
}

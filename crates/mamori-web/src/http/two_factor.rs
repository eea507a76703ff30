//! Two-factor authentication with TOTP (RFC 6238, any authenticator app) and one-time
//! recovery codes, and the password rules (length, not a common or guessable password).

use axum::http::StatusCode;
use mamori_domain::Role;
use mamori_store::User;
use qrcode::QrCode;
use qrcode::render::svg;
use sha2::{Digest, Sha256};
use totp_rs::{Builder, Secret, Totp};

use crate::AppState;
use crate::http::error::AppError;
use crate::http::error::ErrorCode;
use crate::http::i18n::Message;

pub const ISSUER: &str = "mamori";
pub const RECOVERY_CODES: usize = 10;

/// Whether the user must use a second factor: national administrators, inspectors,
/// prefecture officers, support desk operators and vendors' users (who hold remote access
/// to many hospitals) always, an institution's users when it requires it. Demo accounts are
/// exempt.
pub fn required(user: &User, institution_requires: bool) -> bool {
    !user.is_demo
        && (matches!(
            user.role,
            Role::NationalAdmin
                | Role::Inspector
                | Role::PrefectureOfficer
                | Role::SupportOperator
                | Role::VendorUser
        ) || institution_requires)
}

pub fn new_secret() -> String {
    Secret::generate().to_base32()
}

pub fn totp(secret_base32: &str, login: &str) -> Result<Totp, AppError> {
    let secret = Secret::try_from_base32(secret_base32)
        .map_err(|e| AppError::Internal(format!("stored TOTP secret: {e}")))?;
    Builder::new()
        .with_secret(secret)
        .with_account_name(login.to_owned())
        .with_issuer(Some(ISSUER.to_owned()))
        .build()
        .map_err(|e| AppError::Internal(format!("TOTP: {e}")))
}

/// The otpauth:// address and its QR code as an SVG image (no script, no external file).
pub fn enrolment(secret_base32: &str, login: &str) -> Result<(String, String), AppError> {
    let url = totp(secret_base32, login)?
        .to_url()
        .map_err(|e| AppError::Internal(format!("TOTP URL: {e}")))?;
    let code =
        QrCode::new(url.as_bytes()).map_err(|e| AppError::Internal(format!("QR code: {e}")))?;
    let image = code
        .render::<svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    Ok((url, image))
}

/// The time step a 6-digit code matches now (allowing one step of clock skew), if any.
pub fn check_code(secret_base32: &str, login: &str, code: &str) -> Result<Option<i64>, AppError> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    Ok(totp(secret_base32, login)?
        .check_current(&code)
        .and_then(|step| i64::try_from(step).ok()))
}

/// New recovery codes: shown once, stored only as hashes.
pub fn new_recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let bytes: [u8; 5] = rand::random();
            let hex = hex::encode(bytes);
            format!("{}-{}", &hex[..5], &hex[5..])
        })
        .collect()
}

pub fn hash_recovery_code(code: &str) -> String {
    let normal: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    hex::encode(Sha256::digest(normal.as_bytes()))
}

/// Checks a second factor: a 6-digit code from the app (each accepted once) or an unused
/// recovery code.
pub async fn verify(state: &AppState, user: &User, input: &str) -> Result<bool, AppError> {
    let Some((secret, last_step)) = state.store.totp(user.id).await? else {
        return Ok(false);
    };
    if let Some(step) = check_code(&secret, &user.login, input)? {
        return Ok(step > last_step && state.store.use_totp_step(user.id, step).await?);
    }
    let trimmed = input.trim();
    if trimmed.len() >= 10 {
        return Ok(state
            .store
            .use_recovery_code(user.id, &hash_recovery_code(trimmed))
            .await?);
    }
    Ok(false)
}

/// The password rules: at least 12 characters, at most 200, and not a common or easily
/// guessed password (checked against the bundled dictionaries of zxcvbn, which include the
/// most common passwords, keyboard patterns and the user's own login).
pub fn check_new_password(password: &str, login: &str) -> Result<(), AppError> {
    let length = password.chars().count();
    if length < crate::http::auth::MIN_PASSWORD_LENGTH {
        return Err(AppError::rejected(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::PasswordTooShort,
            Message::new("errors-password-too-short")
                .with("min_length", crate::http::auth::MIN_PASSWORD_LENGTH),
        ));
    }
    if length > 200 {
        return Err(AppError::rejected(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::PasswordTooLong,
            Message::new("errors-password-too-long"),
        ));
    }
    let contains_login =
        login.chars().count() >= 3 && password.to_lowercase().contains(&login.to_lowercase());
    let strength = zxcvbn::zxcvbn(password, &[login, "mamori"]);
    if contains_login || u8::from(strength.score()) < 3 {
        return Err(AppError::rejected(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::PasswordTooCommon,
            Message::new("errors-password-too-common"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_from_the_secret_are_accepted_once_per_step() {
        let secret = new_secret();
        let t = totp(&secret, "tanaka").expect("totp");
        let code = t.generate_current().to_string();
        assert!(
            check_code(&secret, "tanaka", &code)
                .expect("check")
                .is_some()
        );
        assert!(
            check_code(&secret, "tanaka", "000000x")
                .expect("check")
                .is_none()
        );
        assert!(
            check_code(&secret, "tanaka", "12345")
                .expect("check")
                .is_none()
        );
        let (url, svg) = enrolment(&secret, "tanaka").expect("enrolment");
        assert!(
            url.starts_with("otpauth://totp/") && url.contains("issuer=mamori"),
            "{url}"
        );
        assert!(svg.contains("<svg"));
    }

    #[test]
    fn recovery_codes_are_random_and_hashed_loosely() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        assert_ne!(codes[0], codes[1]);
        assert_eq!(
            hash_recovery_code(&codes[0]),
            hash_recovery_code(&codes[0].to_uppercase().replace('-', " "))
        );
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

    #[test]
    fn who_needs_a_second_factor() {
        let mut user = User {
            id: 1,
            login: "x".into(),
            role: Role::Inspector,
            institution_id: None,
            prefecture: None,
            is_demo: false,
            disabled: false,
            created_at: String::new(),
            last_login_at: None,
            totp_enabled: false,
        };
        assert!(required(&user, false));
        user.is_demo = true;
        assert!(!required(&user, true), "demo accounts are exempt");
        user.is_demo = false;
        user.role = Role::VendorUser;
        assert!(required(&user, false), "vendors hold remote access");
        user.role = Role::InstitutionStaff;
        assert!(!required(&user, false));
        assert!(required(&user, true));
    }
}

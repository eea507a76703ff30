//! Two-factor authentication with TOTP (RFC 6238, any authenticator app) and one-time
//! recovery codes: checking a code, the enrolment's QR code. New secrets and codes, and the
//! password rules, come from `mamori_app`.

use mamori_domain::Role;
use mamori_store::User;
use qrcode::QrCode;
use qrcode::render::svg;
use totp_rs::{Builder, Secret, Totp};

use crate::AppState;
use crate::http::error::AppError;

// New secrets and recovery codes, and the password rules, are the use cases' (the command
// line makes them too).
pub use mamori_app::passwords::check_new_password;
pub use mamori_app::two_factor::{
    RECOVERY_CODES, hash_recovery_code, new_recovery_codes, new_secret,
};

pub const ISSUER: &str = "mamori";

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

pub fn totp(secret_base32: &str, login: &str) -> Result<Totp, AppError> {
    let secret = Secret::try_from_base32(secret_base32)
        .map_err(|e| AppError::internal(format!("stored TOTP secret: {e}")))?;
    Builder::new()
        .with_secret(secret)
        .with_account_name(login.to_owned())
        .with_issuer(Some(ISSUER.to_owned()))
        .build()
        .map_err(|e| AppError::internal(format!("TOTP: {e}")))
}

/// The otpauth:// address and its QR code as an SVG image (no script, no external file).
pub fn enrolment(secret_base32: &str, login: &str) -> Result<(String, String), AppError> {
    let url = totp(secret_base32, login)?
        .to_url()
        .map_err(|e| AppError::internal(format!("TOTP URL: {e}")))?;
    let code =
        QrCode::new(url.as_bytes()).map_err(|e| AppError::internal(format!("QR code: {e}")))?;
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

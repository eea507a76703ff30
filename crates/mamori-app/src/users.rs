//! Adding a user (the institution pages, the API and `mamori user add`): the login's form,
//! the password rules, and who needs an institution or a prefecture.

use mamori_locale::Message;

use crate::ErrorCode;
use mamori_domain::{Prefecture, Principal, Role};
use mamori_store::NewUser;

use crate::App;
use crate::error::{Error, Refusal};
use crate::passwords::{check_new_password, hash_password};

/// Checks a new login's form.
pub fn check_login(login: &str) -> Result<(), Error> {
    let valid_login = (3..=64).contains(&login.chars().count())
        && login
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'));
    if valid_login {
        Ok(())
    } else {
        Err(Error::rejected(
            Refusal::Invalid,
            ErrorCode::InvalidLogin,
            Message::new("errors-invalid-login"),
        ))
    }
}

/// Creates a user after checking the login and the password.
pub async fn add_user(
    app: &App,
    actor: Option<i64>,
    login: &str,
    password: &str,
    role: Role,
    institution_id: Option<i64>,
    prefecture: Option<Prefecture>,
) -> Result<i64, Error> {
    let login = login.trim();
    check_login(login)?;
    check_new_password(password, login)?;
    match role {
        Role::VendorUser => {
            return Err(Error::rejected(
                Refusal::Invalid,
                ErrorCode::VendorByInvitation,
                Message::new("errors-vendor-by-invitation"),
            ));
        }
        Role::InstitutionAdmin | Role::InstitutionStaff if institution_id.is_none() => {
            return Err(Error::rejected(
                Refusal::Invalid,
                ErrorCode::InstitutionRequired,
                Message::new("errors-institution-required"),
            ));
        }
        r if Principal::role_needs_prefecture(r) && prefecture.is_none() => {
            return Err(Error::rejected(
                Refusal::Invalid,
                ErrorCode::PrefectureRequired,
                Message::new("errors-prefecture-required"),
            ));
        }
        _ => {}
    }
    let hash = hash_password(password.to_owned()).await?;
    let new = NewUser {
        login: login.to_owned(),
        password_hash: hash,
        role,
        institution_id: institution_id
            .filter(|_| matches!(role, Role::InstitutionAdmin | Role::InstitutionStaff)),
        prefecture: prefecture.filter(|_| Principal::role_needs_prefecture(role)),
        is_demo: false,
    };
    app.store
        .create_user(&new, actor)
        .await
        .map_err(|e| match e {
            mamori_store::StoreError::Conflict(_) => login_taken(login),
            other => other.into(),
        })
}

/// A new login that another account has already, counting logins that differ only in
/// case or width (`Demo-Hospital`, `ｄｅｍｏ－ｈｏｓｐｉｔａｌ`) as the same.
pub fn login_taken(login: &str) -> Error {
    Error::Fields(vec![mamori_domain::contact_chart::FieldProblem::new(
        "login",
        "login_taken",
        Message::new("domain-input-login-already-taken-logins").with("login", login),
    )])
}

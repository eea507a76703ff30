//! Finding an institution the caller may see (anything else is "not found", so that the
//! existence of other institutions is not revealed), recording the read in the access log,
//! and checking an institution's fields.

use mamori_locale::Message;

use crate::ErrorCode;
use chrono::Utc;
use mamori_domain::Principal;
use mamori_store::{Institution, NewInstitution};

use crate::App;
use crate::error::{Error, Refusal};

/// The institution, if the caller may see it. Anything else is "not found", so that the
/// existence of other institutions is not revealed.
pub async fn visible_institution(
    app: &App,
    principal: &Principal,
    id: i64,
) -> Result<Institution, Error> {
    let institution = app.store.institution(id).await?.ok_or(Error::NotFound)?;
    if principal.can_view(institution.id, institution.prefecture) {
        Ok(institution)
    } else {
        Err(Error::NotFound)
    }
}

/// Records in the access log that the caller read `resource` of the institution.
pub async fn record_read(
    app: &App,
    principal: &Principal,
    institution_id: i64,
    resource: &str,
) -> Result<(), Error> {
    let bucket = mamori_store::access_bucket(&Utc::now());
    let key = (principal.user_id, institution_id, resource.to_owned());
    {
        // A poisoned lock only means another request panicked while holding it; the set
        // is still a valid (at worst incomplete) memo.
        let seen = app
            .access_seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if seen.bucket == bucket && seen.entries.contains(&key) {
            return Ok(());
        }
    }
    app.store
        .record_access(principal.user_id, institution_id, resource)
        .await?;
    let mut seen = app
        .access_seen
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if seen.bucket != bucket {
        seen.bucket = bucket;
        seen.entries.clear();
    }
    seen.entries.insert(key);
    Ok(())
}

/// The institution, if the caller may administer it (its admin, the national office):
/// "not found" outside the caller's scope, "forbidden" inside it without the right.
pub async fn administered_institution(
    app: &App,
    principal: &Principal,
    id: i64,
) -> Result<Institution, Error> {
    let institution = visible_institution(app, principal, id).await?;
    if principal.can_administer(institution.id) {
        Ok(institution)
    } else {
        Err(Error::Forbidden)
    }
}

/// Checks a change of an institution against what depends on it: a hospital that has
/// answered a 確保事業 survey keeps a 医療機関コード, since its applications are judged and
/// listed by it.
pub async fn check_institution_change(
    app: &App,
    institution: &Institution,
    new: &NewInstitution,
) -> Result<(), Error> {
    if institution.medical_institution_code.is_some()
        && new.medical_institution_code.is_none()
        && app
            .store
            .institution_has_application(institution.id)
            .await?
    {
        return Err(Error::rejected(
            Refusal::Invalid,
            ErrorCode::InstitutionCodeInUse,
            Message::new("errors-institution-code-in-use"),
        ));
    }
    Ok(())
}

/// Checks a new or changed institution's fields together.
pub fn check_institution(new: &NewInstitution) -> Result<(), Error> {
    if new.name.trim().is_empty() || new.name.chars().count() > 200 {
        return Err(Error::rejected(
            Refusal::Invalid,
            ErrorCode::InvalidName,
            Message::new("errors-invalid-name"),
        ));
    }
    let beds = i32::try_from(new.beds).map_err(|_| {
        Error::rejected(
            Refusal::Invalid,
            ErrorCode::InvalidBeds,
            Message::new("errors-invalid-beds"),
        )
    })?;
    new.kind.check_beds(beds)?;
    if let Some(code) = &new.medical_institution_code {
        mamori_domain::MedicalInstitutionCode::parse(code)?;
    }
    if let Some(code) = &new.municipality_code {
        let code = mamori_domain::oversight::MunicipalityCode::parse(code)?;
        if code.prefecture() != new.prefecture {
            return Err(mamori_domain::ParseError::new(
                "municipality_code",
                Message::new("domain-parse-municipality-code-other-prefecture")
                    .with("text", code.as_str())
                    .with("prefecture", new.prefecture.code()),
            )
            .into());
        }
    }
    for (field, text, most) in [
        ("municipality_name", &new.municipality_name, 50),
        ("address", &new.address, 300),
    ] {
        if text.chars().count() > most {
            return Err(mamori_domain::ParseError::new(
                field,
                Message::new("errors-oversight-text-too-long").with("most", most),
            )
            .into());
        }
    }
    Ok(())
}

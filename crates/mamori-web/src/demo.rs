//! Demo data a newcomer can log into: a hospital, a clinic, a pharmacy and a hospital in
//! another prefecture, two inspectors and a national administrator, all with the password
//! `demo-password`, and a year of answers.

use chrono::{Duration, NaiveDate};
use mamori_domain::{
    Answer, FiscalYear, InstitutionKind, ItemAnswer, ItemStatus, Prefecture, Role, Round,
};
use mamori_store::{NewInstitution, NewUser};

use crate::AppState;
use crate::error::AppError;
use crate::service::{today_in_japan, version_and_rules};

pub const DEMO_PASSWORD: &str = "demo-password";

/// The demo logins, for the README and the login page: (login, Japanese description, English).
pub const DEMO_LOGINS: [(&str, &str, &str); 8] = [
    (
        "demo-hospital",
        "病院の管理者（東京都・250床・事業者契約あり）",
        "Hospital admin (Tokyo, 250 beds, vendor contracts)",
    ),
    (
        "demo-hospital-staff",
        "同じ病院の職員",
        "Staff of the same hospital",
    ),
    (
        "demo-clinic",
        "無床診療所の管理者（東京都）",
        "Clinic without beds, admin (Tokyo)",
    ),
    (
        "demo-pharmacy",
        "薬局の管理者（東京都）",
        "Pharmacy admin (Tokyo)",
    ),
    (
        "demo-hospital-46",
        "病院の管理者（鹿児島県）",
        "Hospital admin (Kagoshima)",
    ),
    (
        "demo-inspector-13",
        "立入検査担当者（東京都）",
        "Inspector (Tokyo)",
    ),
    (
        "demo-inspector-46",
        "立入検査担当者（鹿児島県）",
        "Inspector (Kagoshima)",
    ),
    (
        "demo-national",
        "厚生労働省 管理者",
        "National administrator",
    ),
];

fn prefecture(code: &str) -> Result<Prefecture, AppError> {
    Ok(Prefecture::parse(code)?)
}

/// The fiscal year the demo is set in: the current one if the catalog has it, else the latest.
pub fn demo_fiscal_year(state: &AppState) -> Option<FiscalYear> {
    let current = FiscalYear::containing(today_in_japan());
    let years = state.catalog.fiscal_years();
    if years.contains(&current) {
        Some(current)
    } else {
        years.first().copied()
    }
}

/// Loads the demo data unless it is there already. Returns whether anything was added.
pub async fn load(state: &AppState) -> Result<bool, AppError> {
    if state.store.user_for_login("demo-national").await?.is_some() {
        return Ok(false);
    }
    let hash = crate::auth::hash_password(DEMO_PASSWORD.to_owned()).await?;
    let tokyo = prefecture("13")?;
    let kagoshima = prefecture("46")?;
    let institution =
        |name: &str, kind, prefecture, beds, mis, vendors, code: Option<&str>| NewInstitution {
            name: name.to_owned(),
            kind,
            prefecture,
            beds,
            has_medical_information_system: mis,
            has_vendor_contracts: vendors,
            medical_institution_code: code.map(str::to_owned),
        };
    let store = &state.store;
    let hospital = store
        .create_institution(
            &institution(
                "みなと中央病院",
                InstitutionKind::Hospital,
                tokyo,
                250,
                true,
                true,
                Some("1311234567"),
            ),
            None,
        )
        .await?;
    let clinic = store
        .create_institution(
            &institution(
                "さくら内科クリニック",
                InstitutionKind::ClinicWithoutBeds,
                tokyo,
                0,
                true,
                false,
                Some("1317654321"),
            ),
            None,
        )
        .await?;
    let pharmacy = store
        .create_institution(
            &institution(
                "あおば薬局 本町店",
                InstitutionKind::Pharmacy,
                tokyo,
                0,
                true,
                true,
                Some("1341234567"),
            ),
            None,
        )
        .await?;
    let hospital_46 = store
        .create_institution(
            &institution(
                "桜島記念病院",
                InstitutionKind::Hospital,
                kagoshima,
                120,
                true,
                true,
                Some("4611234567"),
            ),
            None,
        )
        .await?;
    store
        .create_institution(
            &institution(
                "かもめ眼科医院",
                InstitutionKind::ClinicWithoutBeds,
                tokyo,
                0,
                false,
                false,
                None,
            ),
            None,
        )
        .await?;
    let user = |login: &str, role, institution_id, prefecture| NewUser {
        login: login.to_owned(),
        password_hash: hash.clone(),
        role,
        institution_id,
        prefecture,
        is_demo: true,
    };
    let hospital_admin = store
        .create_user(
            &user(
                "demo-hospital",
                Role::InstitutionAdmin,
                Some(hospital),
                None,
            ),
            None,
        )
        .await?;
    let clinic_admin = store
        .create_user(
            &user("demo-clinic", Role::InstitutionAdmin, Some(clinic), None),
            None,
        )
        .await?;
    let pharmacy_admin = store
        .create_user(
            &user(
                "demo-pharmacy",
                Role::InstitutionAdmin,
                Some(pharmacy),
                None,
            ),
            None,
        )
        .await?;
    let hospital_46_admin = store
        .create_user(
            &user(
                "demo-hospital-46",
                Role::InstitutionAdmin,
                Some(hospital_46),
                None,
            ),
            None,
        )
        .await?;
    store
        .create_user(
            &user(
                "demo-hospital-staff",
                Role::InstitutionStaff,
                Some(hospital),
                None,
            ),
            None,
        )
        .await?;
    let inspector = store
        .create_user(
            &user("demo-inspector-13", Role::Inspector, None, Some(tokyo)),
            None,
        )
        .await?;
    store
        .create_user(
            &user("demo-inspector-46", Role::Inspector, None, Some(kagoshima)),
            None,
        )
        .await?;
    store
        .create_user(
            &user("demo-national", Role::NationalAdmin, None, None),
            None,
        )
        .await?;

    let Some(year) = demo_fiscal_year(state) else {
        return Ok(true);
    };
    // The previous year is complete and was inspected; the current one is under way, with
    // the last three items of the form left for the user to fill.
    let previous = year.previous();
    if state.catalog.fiscal_years().contains(&previous) {
        fill(state, hospital, previous, hospital_admin, 0, false).await?;
        store
            .set_observation(hospital, previous, true, inspector)
            .await?;
    }
    fill(state, hospital, year, hospital_admin, 3, true).await?;
    fill(state, clinic, year, clinic_admin, 0, true).await?;
    fill(state, pharmacy, year, pharmacy_admin, 5, false).await?;
    fill(state, hospital_46, year, hospital_46_admin, 8, false).await?;
    Ok(true)
}

/// Answers the required items of an institution's form, leaving the last `leave_open`
/// unanswered; with `with_no`, one item is いいえ with a target date.
async fn fill(
    state: &AppState,
    institution_id: i64,
    year: FiscalYear,
    actor: i64,
    leave_open: usize,
    with_no: bool,
) -> Result<(), AppError> {
    let institution = state
        .store
        .institution(institution_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let (version, _) = version_and_rules(state, &institution, year)?;
    let profile = institution.profile();
    let required: Vec<_> = version
        .items
        .iter()
        .filter(|i| version.status_of(i, year, &profile) == ItemStatus::Required)
        .collect();
    let today = today_in_japan();
    let end = year.last_day().min(today);
    let checked_on: NaiveDate = (year.first_day() + Duration::days(45)).min(end);
    let count = required.len().saturating_sub(leave_open);
    for (n, item) in required.into_iter().take(count).enumerate() {
        let is_no = with_no && n == 3 && item.has_target_date;
        let answer = ItemAnswer {
            answer: if is_no { Answer::No } else { Answer::Yes },
            checked_on,
            target_date: is_no.then(|| (checked_on + Duration::days(120)).min(year.last_day())),
        };
        state
            .store
            .set_answer(
                institution_id,
                year,
                &item.key,
                Round::First,
                &answer,
                actor,
            )
            .await?;
    }
    Ok(())
}

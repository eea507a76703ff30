//! Saving and clearing an institution's answers and a vendor's, and recording what the
//! inspector saw.

use mamori_locale::Message;

use crate::ErrorCode;
use mamori_domain::answer::{validate_answer, validate_removal};
use mamori_domain::{
    AnswerInput, ChecklistItem, ChecklistVersion, FiscalYear, FormKind, InstitutionProfile,
    ItemAnswers, ItemStatus, Principal, Round,
};
use mamori_store::{Institution, StoredContract};

use crate::assessment::ItemState;
use crate::coverage::{serves, vendor_version};
use crate::error::{Error, Refusal};
use crate::fiscal_years::version_and_rules;
use crate::{App, today_in_japan};

pub(crate) fn unknown_item(version: &ChecklistVersion, key: &str) -> Error {
    let message = match version.form {
        FormKind::Vendor => "errors-unknown-vendor-item",
        _ => "errors-unknown-item",
    };
    Error::rejected(
        Refusal::NotFound,
        ErrorCode::UnknownItem,
        Message::new(message)
            .with("key", key)
            .with("version_ja", &version.version_label_ja)
            .with("form_ja", version.form.label_ja())
            .with("version_en", &version.version_label_en)
            .with("form_en", version.form.label_en()),
    )
}

/// Validates and records one round's answer to one item.
pub async fn save_answer(
    app: &App,
    principal: &Principal,
    institution: &Institution,
    fiscal_year: FiscalYear,
    key: &str,
    input: AnswerInput,
) -> Result<ItemState<'static>, Error> {
    if !principal.can_answer(institution.id) {
        return Err(Error::Forbidden);
    }
    let (version, _) = version_and_rules(app, institution, fiscal_year)?;
    let item = version
        .item(key)
        .ok_or_else(|| unknown_item(version, key))?;
    let status = version.status_of(item, fiscal_year, &institution.profile());
    let answer = input.recorded();
    // Judged inside the writing transaction, against the answers as they stand there.
    let today = today_in_japan();
    let round = input.round;
    let check: mamori_store::AnswerCheck =
        Box::new(move |existing| validate_answer(item, status, &input, existing, today));
    let answers = app
        .store
        .set_answer_checked(
            institution.id,
            fiscal_year,
            key,
            round,
            &answer,
            principal.user_id,
            check,
        )
        .await??;
    Ok(ItemState {
        item,
        status,
        answers,
    })
}

/// The 事業者確認用 in force in the fiscal year and its item `key`.
pub fn vendor_form_item(
    app: &App,
    fiscal_year: FiscalYear,
    key: &str,
) -> Result<(&'static ChecklistVersion, &'static ChecklistItem), Error> {
    let version = vendor_version(app, fiscal_year)?;
    let item = version
        .item(key)
        .ok_or_else(|| unknown_item(version, key))?;
    Ok((version, item))
}

/// The item of a vendor form a vendor answers, with its status for the institution: the
/// serving vendor's users only. The form is judged as for an institution with a contract.
pub async fn vendor_item(
    app: &App,
    principal: &Principal,
    contract: &StoredContract,
    institution: &Institution,
    fiscal_year: FiscalYear,
    key: &str,
) -> Result<(&'static ChecklistItem, ItemStatus), Error> {
    if !serves(app, principal, contract).await? {
        return Err(Error::Forbidden);
    }
    let (version, item) = vendor_form_item(app, fiscal_year, key)?;
    let profile = InstitutionProfile {
        has_vendor_contracts: true,
        ..institution.profile()
    };
    Ok((item, version.status_of(item, fiscal_year, &profile)))
}

/// Validates and records one round of one vendor answer: only the serving vendor's users.
pub async fn save_vendor_answer(
    app: &App,
    principal: &Principal,
    contract: &StoredContract,
    institution: &Institution,
    fiscal_year: FiscalYear,
    key: &str,
    input: AnswerInput,
) -> Result<ItemAnswers, Error> {
    let (item, status) =
        vendor_item(app, principal, contract, institution, fiscal_year, key).await?;
    let answer = input.recorded();
    // Judged inside the writing transaction, against the answers as they stand there.
    let today = today_in_japan();
    let round = input.round;
    let check =
        move |existing: &ItemAnswers| validate_answer(item, status, &input, existing, today);
    let saved = app
        .store
        .set_vendor_answer(
            contract.contract.id.0,
            institution.id,
            fiscal_year,
            key,
            round,
            &answer,
            principal.user_id,
            &check,
        )
        .await??;
    Ok(saved)
}

/// Removes one round's answer (the history keeps it).
pub async fn clear_answer(
    app: &App,
    principal: &Principal,
    institution: &Institution,
    fiscal_year: FiscalYear,
    key: &str,
    round: Round,
) -> Result<(), Error> {
    if !principal.can_answer(institution.id) {
        return Err(Error::Forbidden);
    }
    let (version, _) = version_and_rules(app, institution, fiscal_year)?;
    version
        .item(key)
        .ok_or_else(|| unknown_item(version, key))?;
    let existing = app
        .store
        .item_answers(institution.id, fiscal_year, key)
        .await?;
    validate_removal(round, &existing)?;
    app.store
        .clear_answer(institution.id, fiscal_year, key, round, principal.user_id)
        .await?;
    Ok(())
}

/// Records whether the inspector saw the contact chart (inspectors of the institution's
/// prefecture only).
pub async fn record_observation(
    app: &App,
    principal: &Principal,
    institution: &Institution,
    fiscal_year: FiscalYear,
    contact_chart_seen: bool,
) -> Result<(), Error> {
    if !principal.can_record_observations(institution.prefecture) {
        return Err(Error::Forbidden);
    }
    version_and_rules(app, institution, fiscal_year)?;
    app.store
        .set_observation(
            institution.id,
            fiscal_year,
            contact_chart_seen,
            principal.user_id,
        )
        .await?;
    Ok(())
}

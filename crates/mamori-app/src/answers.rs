//! Saving and clearing an institution's answers, and recording what the inspector saw.

use mamori_locale::Message;

use crate::ErrorCode;
use mamori_domain::answer::{validate_answer, validate_removal};
use mamori_domain::{AnswerInput, ChecklistVersion, FiscalYear, Principal, Round};
use mamori_store::Institution;

use crate::assessment::ItemState;
use crate::error::{Error, Refusal};
use crate::fiscal_years::version_and_rules;
use crate::{App, today_in_japan};

fn unknown_item(version: &ChecklistVersion, key: &str) -> Error {
    Error::rejected(
        Refusal::NotFound,
        ErrorCode::UnknownItem,
        Message::new("errors-unknown-item")
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

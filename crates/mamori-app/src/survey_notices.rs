//! The 確保事業 survey's notices: the prefecture officer's view of the hospitals that have not
//! answered and the reminder sent to them in one step (at most once a day per hospital), and
//! what each applicant is told of its result when the prefecture submits its list.

use mamori_domain::assurance::{ApplicationId, ApplicationStatus, Selection};
use mamori_domain::{FiscalYear, Lang, Message, Prefecture, Principal};
use mamori_store::{NonResponder, PrefectureBook, SurveyResultNotice};
use serde::{Deserialize, Serialize};

use crate::{App, Error};

/// The hospitals of the prefecture that have not answered, with the last reminder; for
/// whoever runs the prefecture's survey (others: not found).
pub async fn non_responders(
    app: &App,
    principal: &Principal,
    fiscal_year: FiscalYear,
    prefecture: Prefecture,
) -> Result<Vec<NonResponder>, Error> {
    if !principal.can_manage_survey(prefecture) {
        return Err(Error::NotFound);
    }
    Ok(app
        .store
        .survey_non_responders(fiscal_year, prefecture)
        .await?)
}

/// Reminds the admins of the hospitals that have not answered; how many people were told
/// (none again on the same day). Not found without the programme year.
pub async fn remind(
    app: &App,
    principal: &Principal,
    fiscal_year: FiscalYear,
    prefecture: Prefecture,
) -> Result<u64, Error> {
    if !principal.can_manage_survey(prefecture) {
        return Err(Error::NotFound);
    }
    if app.store.program(fiscal_year).await?.is_none() {
        return Err(Error::NotFound);
    }
    Ok(app
        .store
        .remind_survey_non_responders(
            fiscal_year,
            prefecture,
            crate::today_in_japan(),
            principal.user_id,
        )
        .await?)
}

/// A survey's result as a notification keeps it: decided at submission, in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveyResult {
    /// `selected`, `waitlisted`, `ineligible` or `withdrawn`.
    pub status: String,
    /// The place among the waiting hospitals of its band.
    pub position: Option<u32>,
    pub reason_ja: Option<String>,
    pub reason_en: Option<String>,
}

/// What each applicant of the book is told when the list is submitted with `selection`.
pub fn result_notices(book: &PrefectureBook, selection: &Selection) -> Vec<SurveyResultNotice> {
    book.applications
        .iter()
        .filter_map(|record| {
            let outcome = selection.outcome(ApplicationId(record.id))?;
            let reasons = |lang: Lang| {
                let text: Vec<String> = outcome
                    .eligibility
                    .reasons
                    .iter()
                    .map(|r| r.message.render(lang))
                    .collect();
                (!text.is_empty()).then(|| text.join(" / "))
            };
            let result = SurveyResult {
                status: outcome.status.as_str().to_owned(),
                position: outcome.waitlist_position,
                reason_ja: reasons(Lang::Ja),
                reason_en: reasons(Lang::En),
            };
            Some(SurveyResultNotice {
                institution_id: record.institution_id,
                detail: serde_json::to_string(&result).ok()?,
            })
        })
        .collect()
}

/// The title of a result notification (its institution added by the caller).
pub fn result_title(detail: Option<&str>) -> Message {
    let result: Option<SurveyResult> = detail.and_then(|d| serde_json::from_str(d).ok());
    let Some(result) = result else {
        return Message::new("notifications-rule-survey-result-unknown");
    };
    let status = ApplicationStatus::ALL
        .into_iter()
        .find(|s| s.as_str() == result.status);
    match status {
        Some(ApplicationStatus::Selected) => {
            Message::new("notifications-rule-survey-result-selected")
        }
        Some(ApplicationStatus::Waitlisted) => {
            Message::new("notifications-rule-survey-result-waitlisted")
                .with("position", result.position.unwrap_or(0))
        }
        Some(ApplicationStatus::Ineligible) => {
            Message::new("notifications-rule-survey-result-ineligible").with(
                "reason",
                mamori_domain::bilingual(
                    result.reason_ja.unwrap_or_default(),
                    result.reason_en.unwrap_or_default(),
                ),
            )
        }
        Some(ApplicationStatus::Withdrawn) => {
            Message::new("notifications-rule-survey-result-withdrawn")
        }
        None => Message::new("notifications-rule-survey-result-unknown"),
    }
}

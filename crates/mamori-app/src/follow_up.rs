//! What follows the on-site inspection (立入検査): the inspector or a prefecture officer of
//! the institution's prefecture schedules it; the inspector records a remark per item and
//! notifies the result; the institution sees the result once notified and files an
//! improvement report (改善報告) on each 指導; the inspector accepts or returns it. Every step is audited by the store, and
//! every read of the record is written to the access log.

use mamori_domain::follow_up::{
    ImprovementReport, InspectionSchedule, RemarkLevel, ReportDecision, parse_note,
};
use mamori_domain::{FiscalYear, Principal};
use mamori_locale::Message;
use mamori_store::{FollowUp, FollowUpRefusal, Institution};

use crate::error::{Error, Refusal};
use crate::{App, ErrorCode, record_read, today_in_japan, version_and_rules};

/// The name the access log records reads of the follow-up under.
const ACCESS_RESOURCE: &str = "inspection-follow-up";

/// The follow-up of an institution's fiscal year as the caller may see it: the institution's
/// own users see the schedule, and the remarks and reports only once the result is notified.
pub async fn follow_up(
    app: &App,
    principal: &Principal,
    institution: &Institution,
    fiscal_year: FiscalYear,
) -> Result<FollowUp, Error> {
    let record = seen_follow_up(app, principal, institution, fiscal_year).await?;
    record_read(app, principal, institution.id, ACCESS_RESOURCE).await?;
    Ok(record)
}

/// As [`follow_up`], for a page whose own read is in the access log already (the checklist
/// shows the schedule and each item's 指摘).
pub async fn seen_follow_up(
    app: &App,
    principal: &Principal,
    institution: &Institution,
    fiscal_year: FiscalYear,
) -> Result<FollowUp, Error> {
    let (version, _) = version_and_rules(app, institution, fiscal_year)?;
    let mut record = app.store.follow_up(institution.id, fiscal_year).await?;
    if principal.can_answer(institution.id) && !record.is_notified() {
        record.remarks.clear();
        record.reports.clear();
    }
    // In the order of the form, not of the keys' text.
    let position = |key: &str| version.items.iter().position(|i| i.key == key);
    record.remarks.sort_by_key(|r| position(&r.item_key));
    Ok(record)
}

/// Only the inspector of the institution's prefecture acts for the inspection; asked before
/// anything the caller sent is read.
pub fn inspector_only(principal: &Principal, institution: &Institution) -> Result<(), Error> {
    if principal.can_record_observations(institution.prefecture) {
        Ok(())
    } else {
        Err(Error::Forbidden)
    }
}

/// Only an inspector or a prefecture officer of the institution's prefecture schedules its
/// inspection; asked before anything the caller sent is read.
pub fn scheduler_only(principal: &Principal, institution: &Institution) -> Result<(), Error> {
    if principal.can_schedule_inspections(institution.prefecture) {
        Ok(())
    } else {
        Err(Error::Forbidden)
    }
}

/// A step refused by what is stored, in the caller's words.
fn refused(refusal: FollowUpRefusal) -> Error {
    let (code, key) = match refusal {
        FollowUpRefusal::NotScheduled => (
            ErrorCode::InspectionNotScheduled,
            "errors-follow-up-not-scheduled",
        ),
        FollowUpRefusal::AlreadyNotified => (
            ErrorCode::ResultAlreadyNotified,
            "errors-follow-up-already-notified",
        ),
        FollowUpRefusal::NotHeldYet => (
            ErrorCode::InspectionNotHeld,
            "errors-follow-up-not-held-yet",
        ),
        FollowUpRefusal::NoReportAwaited => (
            ErrorCode::NoReportAwaited,
            "errors-follow-up-no-report-awaited",
        ),
        FollowUpRefusal::NoReportToDecide => (
            ErrorCode::NoReportToDecide,
            "errors-follow-up-no-report-to-decide",
        ),
    };
    Error::rejected(Refusal::Conflict, code, Message::new(key))
}

/// The item `item_key` of the year's form, or "not found".
fn known_item(
    app: &App,
    institution: &Institution,
    fiscal_year: FiscalYear,
    item_key: &str,
) -> Result<(), Error> {
    let (version, _) = version_and_rules(app, institution, fiscal_year)?;
    version.item(item_key).map(|_| ()).ok_or(Error::NotFound)
}

pub async fn schedule(
    app: &App,
    principal: &Principal,
    institution: &Institution,
    fiscal_year: FiscalYear,
    date: &str,
    starts_at: &str,
    inspectors: &str,
) -> Result<(), Error> {
    scheduler_only(principal, institution)?;
    version_and_rules(app, institution, fiscal_year)?;
    let schedule = InspectionSchedule::parse(date, starts_at, inspectors)?;
    app.store
        .schedule_inspection(institution.id, fiscal_year, &schedule, principal.user_id)
        .await?
        .map_err(refused)
}

pub async fn record_remark(
    app: &App,
    principal: &Principal,
    institution: &Institution,
    fiscal_year: FiscalYear,
    item_key: &str,
    level: &str,
    note: &str,
) -> Result<(), Error> {
    inspector_only(principal, institution)?;
    if item_key.is_empty() {
        return Err(mamori_domain::ParseError::new(
            "item_key",
            Message::new("follow-up-choose-item"),
        )
        .into());
    }
    known_item(app, institution, fiscal_year, item_key)?;
    let level = RemarkLevel::parse(level)?;
    let note = parse_note("note", note)?;
    app.store
        .record_remark(
            institution.id,
            fiscal_year,
            item_key,
            level,
            &note,
            principal.user_id,
        )
        .await?
        .map_err(refused)
}

/// Notifies the result; it cannot be undone.
pub async fn notify_result(
    app: &App,
    principal: &Principal,
    institution: &Institution,
    fiscal_year: FiscalYear,
    overall_comment: &str,
) -> Result<(), Error> {
    inspector_only(principal, institution)?;
    version_and_rules(app, institution, fiscal_year)?;
    let comment = parse_note("overall_comment", overall_comment)?;
    app.store
        .notify_result(
            institution.id,
            fiscal_year,
            &comment,
            today_in_japan(),
            principal.user_id,
        )
        .await?
        .map_err(refused)
}

/// Files the institution's improvement report on an open 指導; its own users only.
pub async fn file_report(
    app: &App,
    principal: &Principal,
    institution: &Institution,
    fiscal_year: FiscalYear,
    item_key: &str,
    action_taken: &str,
    done_on: &str,
) -> Result<i64, Error> {
    if !principal.can_answer(institution.id) {
        return Err(Error::Forbidden);
    }
    known_item(app, institution, fiscal_year, item_key)?;
    let report = ImprovementReport::parse(action_taken, done_on, today_in_japan())?;
    app.store
        .file_improvement_report(
            institution.id,
            fiscal_year,
            item_key,
            &report,
            principal.user_id,
        )
        .await?
        .map_err(refused)
}

/// Accepts or returns the latest report on an item.
#[allow(clippy::too_many_arguments)]
pub async fn decide_report(
    app: &App,
    principal: &Principal,
    institution: &Institution,
    fiscal_year: FiscalYear,
    item_key: &str,
    report_id: i64,
    decision: &str,
    note: &str,
) -> Result<(), Error> {
    inspector_only(principal, institution)?;
    known_item(app, institution, fiscal_year, item_key)?;
    let decision = ReportDecision::parse(decision)?;
    let note = parse_note("note", note)?;
    app.store
        .decide_improvement_report(
            institution.id,
            fiscal_year,
            item_key,
            report_id,
            decision,
            &note,
            principal.user_id,
        )
        .await?
        .map_err(refused)
}

use std::collections::HashMap;

use super::*;
use crate::checklist::tests::{fy, profile};
use crate::inspection::InspectionInput;
use crate::inspection::tests::{no, r5, rules, yes};
use crate::testing::date as d;
use crate::{ItemAnswer, ItemAnswers};

fn status(answers: &[(&str, ItemAnswers)], has_system: bool, seen: Option<bool>) -> YearStatus {
    let version = r5();
    let rules = rules("r5", false);
    let answers: HashMap<String, ItemAnswers> = answers
        .iter()
        .map(|(k, a)| ((*k).to_owned(), a.clone()))
        .collect();
    year_status(&InspectionInput {
        fiscal_year: fy(2023),
        version: &version,
        rules: &rules,
        profile: profile(has_system, false),
        answers: &answers,
        contact_chart_seen: seen,
        today: d(2023, 7, 1),
    })
}

#[test]
fn the_state_follows_the_answers_and_the_inspectors_record() {
    let on = d(2023, 7, 1);
    assert_eq!(status(&[], true, None).state, YearState::NotStarted);
    assert_eq!(
        status(&[("1-1", yes(on))], true, None).state,
        YearState::InProgress
    );
    // A reference item alone is something answered, not the form done.
    assert_eq!(
        status(&[("2-7-server", yes(on))], true, None).state,
        YearState::InProgress
    );
    // Every required item answered; the contact chart is not yet seen on site.
    let all = [("1-1", yes(on)), ("3-1", yes(on))];
    assert_eq!(status(&all, true, None).state, YearState::Completed);
    assert_eq!(status(&all, true, Some(false)).state, YearState::Completed);
    assert_eq!(status(&all, true, Some(true)).state, YearState::Ready);
    // Without a medical information system nothing needs an answer.
    assert_eq!(status(&[], false, None).state, YearState::Ready);
}

#[test]
fn an_open_target_date_is_the_latest_no_until_a_yes() {
    let on = d(2023, 7, 1);
    let target = d(2023, 12, 1);
    let open = status(&[("1-1", no(on, Some(target)))], true, None);
    assert_eq!(open.open_targets, vec![("1-1".to_owned(), target)]);
    // Still いいえ at the second check: its own date if it gives one, else the first's.
    let later = d(2024, 2, 1);
    let mut again = no(on, Some(target));
    again.second = Some(ItemAnswer {
        answer: Answer::No,
        checked_on: d(2023, 12, 2),
        target_date: Some(later),
    });
    assert_eq!(
        status(&[("1-1", again.clone())], true, None).open_targets,
        vec![("1-1".to_owned(), later)]
    );
    again.second.as_mut().expect("set above").target_date = None;
    assert_eq!(
        status(&[("1-1", again.clone())], true, None).open_targets,
        vec![("1-1".to_owned(), target)]
    );
    // Met at the second check.
    again.second.as_mut().expect("set above").answer = Answer::Yes;
    assert!(
        status(&[("1-1", again)], true, None)
            .open_targets
            .is_empty()
    );
    // An item that does not apply keeps no target: 2(2) without a vendor contract.
    assert!(
        status(&[("2-2-all", no(on, Some(target)))], true, None)
            .open_targets
            .is_empty()
    );
}

#[test]
fn dental_clinics_are_told_apart_by_the_point_table_digit() {
    use InstitutionKind as K;
    assert_eq!(
        OversightKind::of(K::ClinicWithoutBeds, Some("1331234567")),
        OversightKind::DentalClinic
    );
    assert_eq!(
        OversightKind::of(K::ClinicWithBeds, Some("1331234567")),
        OversightKind::DentalClinic
    );
    assert_eq!(
        OversightKind::of(K::ClinicWithoutBeds, Some("1311234567")),
        OversightKind::ClinicWithoutBeds
    );
    assert_eq!(
        OversightKind::of(K::ClinicWithBeds, None),
        OversightKind::ClinicWithBeds
    );
    assert_eq!(
        OversightKind::of(K::Hospital, Some("1331234567")),
        OversightKind::Hospital
    );
    assert_eq!(
        OversightKind::of(K::Pharmacy, Some("1341234567")),
        OversightKind::Pharmacy
    );
    for kind in OversightKind::ALL {
        assert_eq!(OversightKind::parse(kind.as_str()), Ok(kind));
        assert!(!kind.label_ja().is_empty() && !kind.label_en().is_empty());
    }
}

#[test]
fn municipality_codes_carry_their_check_digit() {
    // 札幌市, 室蘭市 (remainder 1: check digit 0), 苫小牧市 (remainder 0: check digit 1),
    // 千代田区, 横浜市, 京都市, 大阪市, 那覇市.
    for code in [
        "011002", "012050", "012131", "131016", "141003", "261009", "271004", "472018",
    ] {
        let parsed = MunicipalityCode::parse(code).expect(code);
        assert_eq!(parsed.as_str(), code);
        assert_eq!(parsed.prefecture().code(), &code[..2]);
    }
    assert_eq!(
        MunicipalityCode::parse(" １３１０１６ ")
            .expect("full-width digits")
            .as_str(),
        "131016"
    );
    for (text, key) in [
        ("131017", "domain-parse-municipality-code-check-digit"),
        ("13101", "domain-parse-municipality-code-six-digits"),
        ("13101a", "domain-parse-municipality-code-six-digits"),
        ("481001", "domain-parse-municipality-code-prefecture"),
        ("001007", "domain-parse-municipality-code-prefecture"),
    ] {
        let e = MunicipalityCode::parse(text).expect_err(text);
        assert_eq!(e.field, "municipality_code");
        assert_eq!(e.message.key, key, "{text}");
    }
}

#[test]
fn states_read_back_their_wire_names() {
    for state in YearState::ALL {
        assert_eq!(YearState::parse(state.as_str()), Ok(state));
        assert!(!state.label_ja().is_empty() && !state.label_en().is_empty());
    }
    assert!(YearState::parse("done").is_err());
}

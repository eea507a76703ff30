//! Answers to checklist items: はい / いいえ with the date checked, a target date (目標日)
//! for いいえ, in a first round (1回目) and a later second round (2回目).

use chrono::NaiveDate;
use mamori_locale::Message;
use serde::{Deserialize, Serialize};

use crate::{ChecklistItem, ItemStatus, NotApplicableReason, ParseError};

crate::wire_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Answer {
        /// はい
        Yes | "はい",
        /// いいえ
        No | "いいえ",
    }
    parse(trim_lowercase) -> Err("answer", "domain-parse-answer-yes", text);
}

impl Answer {
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Yes => "はい",
            Self::No => "いいえ",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Self::Yes => "Yes",
            Self::No => "No",
        }
    }
}

/// 1回目 or 2回目.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Round {
    First,
    Second,
}

impl Round {
    pub fn from_number(n: i64) -> Result<Self, ParseError> {
        match n {
            1 => Ok(Self::First),
            2 => Ok(Self::Second),
            _ => Err(ParseError::new(
                "round",
                mamori_locale::Message::new("domain-parse-round-first-check-second")
                    .with("n", crate::arg(n)),
            )),
        }
    }

    pub fn number(self) -> i64 {
        match self {
            Self::First => 1,
            Self::Second => 2,
        }
    }
}

/// Parses a `YYYY-MM-DD` date given by a user.
pub fn parse_date(field: &'static str, text: &str) -> Result<NaiveDate, ParseError> {
    let t = text.trim();
    // Exactly YYYY-MM-DD: chrono alone would take signs, more digits and unpadded parts.
    let shape_ok = t.len() == 10
        && t.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    let parsed = if shape_ok {
        NaiveDate::parse_from_str(t, "%Y-%m-%d").ok()
    } else {
        None
    };
    parsed
        .filter(|d| (1900..=2999).contains(&chrono::Datelike::year(d)))
        .ok_or_else(|| {
            ParseError::new(
                field,
                mamori_locale::Message::new("domain-parse-date-yyyy-mm-dd")
                    .with("text", crate::arg(text)),
            )
        })
}

/// One round's recorded answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemAnswer {
    pub answer: Answer,
    pub checked_on: NaiveDate,
    pub target_date: Option<NaiveDate>,
}

/// Both rounds of one item.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemAnswers {
    pub first: Option<ItemAnswer>,
    pub second: Option<ItemAnswer>,
}

impl ItemAnswers {
    pub fn round(&self, round: Round) -> Option<&ItemAnswer> {
        match round {
            Round::First => self.first.as_ref(),
            Round::Second => self.second.as_ref(),
        }
    }

    /// The latest answer: the second round's if any.
    pub fn latest(&self) -> Option<&ItemAnswer> {
        self.second.as_ref().or(self.first.as_ref())
    }
}

/// An answer someone wants to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerInput {
    pub round: Round,
    pub answer: Answer,
    pub checked_on: NaiveDate,
    pub target_date: Option<NaiveDate>,
}

impl AnswerInput {
    /// The answer as it is recorded.
    pub fn recorded(&self) -> ItemAnswer {
        ItemAnswer {
            answer: self.answer,
            checked_on: self.checked_on,
            target_date: self.target_date,
        }
    }
}

/// Why an answer is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    #[error("the item does not apply: {}", .0.message().render(mamori_locale::Lang::En))]
    NotApplicable(NotApplicableReason),
    #[error("a target date is only given for a 'no' answer")]
    TargetDateOnYes,
    #[error("the target date {target} is before the check date {checked}")]
    TargetDateBeforeCheck {
        target: NaiveDate,
        checked: NaiveDate,
    },
    #[error("this item has no target date on the form")]
    NoTargetDateColumn,
    #[error("the check date {0} is in the future")]
    CheckDateInFuture(NaiveDate),
    #[error("the second check needs a first check")]
    SecondWithoutFirst,
    #[error("the second check ({second}) is dated before the first ({first})")]
    SecondBeforeFirst { first: NaiveDate, second: NaiveDate },
    #[error("the first check cannot be removed while a second check exists")]
    FirstRemovedBeforeSecond,
    #[error("round {} is recorded and is not withdrawn this way: send it as recorded", .0.number())]
    RecordedRoundLeftOut(Round),
}

impl AnswerError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotApplicable(_) => "item_not_applicable",
            Self::TargetDateOnYes => "target_date_on_yes",
            Self::TargetDateBeforeCheck { .. } => "target_date_before_check",
            Self::NoTargetDateColumn => "no_target_date_column",
            Self::CheckDateInFuture(_) => "check_date_in_future",
            Self::SecondWithoutFirst => "second_without_first",
            Self::SecondBeforeFirst { .. } => "second_before_first",
            Self::FirstRemovedBeforeSecond => "first_removed_before_second",
            Self::RecordedRoundLeftOut(_) => "recorded_round_left_out",
        }
    }

    pub fn message(&self) -> Message {
        match self {
            Self::NotApplicable(reason) => {
                Message::new("domain-answer-not-applicable").with("reason", reason.message())
            }
            Self::TargetDateOnYes => Message::new("domain-answer-target-date-on-yes"),
            Self::TargetDateBeforeCheck { target, checked } => {
                Message::new("domain-answer-target-before-check")
                    .with("target", target.to_string())
                    .with("checked", checked.to_string())
            }
            Self::NoTargetDateColumn => Message::new("domain-answer-no-target-date-column"),
            Self::CheckDateInFuture(d) => {
                Message::new("domain-answer-check-date-in-future").with("date", d.to_string())
            }
            Self::SecondWithoutFirst => Message::new("domain-answer-second-without-first"),
            Self::SecondBeforeFirst { first, second } => {
                Message::new("domain-answer-second-before-first")
                    .with("first", first.to_string())
                    .with("second", second.to_string())
            }
            Self::FirstRemovedBeforeSecond => {
                Message::new("domain-answer-first-removed-before-second")
            }
            Self::RecordedRoundLeftOut(round) => {
                Message::new("domain-answer-recorded-round-left-out").with("round", round.number())
            }
        }
    }
}

/// Checks an answer against the item, its status this year and what is already recorded.
/// `today` is the server's date, so that a check cannot be dated in the future.
pub fn validate_answer(
    item: &ChecklistItem,
    status: ItemStatus,
    input: &AnswerInput,
    existing: &ItemAnswers,
    today: NaiveDate,
) -> Result<(), AnswerError> {
    if let ItemStatus::NotApplicable(reason) = status {
        return Err(AnswerError::NotApplicable(reason));
    }
    if input.checked_on > today {
        return Err(AnswerError::CheckDateInFuture(input.checked_on));
    }
    if let Some(target) = input.target_date {
        if !item.has_target_date {
            return Err(AnswerError::NoTargetDateColumn);
        }
        if input.answer == Answer::Yes {
            return Err(AnswerError::TargetDateOnYes);
        }
        if target < input.checked_on {
            return Err(AnswerError::TargetDateBeforeCheck {
                target,
                checked: input.checked_on,
            });
        }
    }
    match input.round {
        Round::First => {
            if let Some(second) = existing
                .second
                .as_ref()
                .filter(|s| s.checked_on < input.checked_on)
            {
                return Err(AnswerError::SecondBeforeFirst {
                    first: input.checked_on,
                    second: second.checked_on,
                });
            }
        }
        Round::Second => {
            let Some(first) = &existing.first else {
                return Err(AnswerError::SecondWithoutFirst);
            };
            if input.checked_on < first.checked_on {
                return Err(AnswerError::SecondBeforeFirst {
                    first: first.checked_on,
                    second: input.checked_on,
                });
            }
        }
    }
    Ok(())
}

/// Both rounds of an item given at once (the item as it is read, sent back with changes):
/// the rounds that differ from those recorded, each checked against the item as it will
/// stand, in an order in which each can be recorded after the other. A recorded round given
/// as none is refused: this way records answers and withdraws none.
pub fn rounds_to_record(
    item: &ChecklistItem,
    status: ItemStatus,
    (first, second): (Option<AnswerInput>, Option<AnswerInput>),
    existing: &ItemAnswers,
    today: NaiveDate,
) -> Result<Vec<AnswerInput>, AnswerError> {
    for (given, round) in [(&first, Round::First), (&second, Round::Second)] {
        if given.is_none() && existing.round(round).is_some() {
            return Err(AnswerError::RecordedRoundLeftOut(round));
        }
    }
    let after = ItemAnswers {
        first: first.as_ref().map(AnswerInput::recorded),
        second: second.as_ref().map(AnswerInput::recorded),
    };
    let moves_later = match (&after.first, &existing.first) {
        (Some(new), Some(old)) => new.checked_on > old.checked_on,
        _ => false,
    };
    let mut changed: Vec<AnswerInput> = [first, second]
        .into_iter()
        .flatten()
        .filter(|input| existing.round(input.round) != Some(&input.recorded()))
        .collect();
    for input in &changed {
        validate_answer(item, status, input, &after, today)?;
    }
    // A first round moved later than the recorded one would come after the recorded second:
    // the second goes first.
    if moves_later {
        changed.reverse();
    }
    Ok(changed)
}

/// Checks that a round's answer may be removed.
pub fn validate_removal(round: Round, existing: &ItemAnswers) -> Result<(), AnswerError> {
    if round == Round::First && existing.second.is_some() {
        return Err(AnswerError::FirstRemovedBeforeSecond);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Scope;
    use crate::checklist::tests::{fy, required};
    use crate::testing::{assert_says, date as d};
    use mamori_locale::Lang::{En, Ja};

    fn input(
        round: Round,
        answer: Answer,
        checked: NaiveDate,
        target: Option<NaiveDate>,
    ) -> AnswerInput {
        AnswerInput {
            round,
            answer,
            checked_on: checked,
            target_date: target,
        }
    }

    fn patch() -> ChecklistItem {
        required("2-7-server", "2(7)", Scope::Server, 2024)
    }

    const TODAY: (i32, u32, u32) = (2025, 12, 1);

    fn today() -> NaiveDate {
        d(TODAY.0, TODAY.1, TODAY.2)
    }

    #[test]
    fn a_first_answer_is_checked_against_its_item() {
        let patch = patch();
        let mut chart = required("3-1", "3(1)", Scope::None, 2023);
        chart.has_target_date = false;
        let required = ItemStatus::Required;
        let no_vendor = NotApplicableReason::NoVendorContract;
        let reference = ItemStatus::Reference {
            required_from: Some(fy(2024)),
        };
        let (june, target) = (d(2025, 6, 1), Some(d(2025, 12, 31)));
        let cases = [
            (
                "a no with a target date",
                &patch,
                required,
                Answer::No,
                june,
                target,
                Ok(()),
            ),
            (
                "a target date on yes",
                &patch,
                required,
                Answer::Yes,
                june,
                target,
                Err(AnswerError::TargetDateOnYes),
            ),
            (
                "a target date before the check",
                &patch,
                required,
                Answer::No,
                june,
                Some(d(2025, 5, 31)),
                Err(AnswerError::TargetDateBeforeCheck {
                    target: d(2025, 5, 31),
                    checked: june,
                }),
            ),
            (
                "an item that does not apply",
                &patch,
                ItemStatus::NotApplicable(no_vendor),
                Answer::Yes,
                june,
                None,
                Err(AnswerError::NotApplicable(no_vendor)),
            ),
            (
                "a reference item",
                &patch,
                reference,
                Answer::No,
                d(2023, 6, 1),
                Some(d(2024, 6, 1)),
                Ok(()),
            ),
            (
                "a target date on an item without a target column",
                &chart,
                required,
                Answer::No,
                d(2023, 6, 1),
                Some(d(2023, 9, 1)),
                Err(AnswerError::NoTargetDateColumn),
            ),
            (
                "a check in the future",
                &patch,
                required,
                Answer::Yes,
                d(2026, 1, 1),
                None,
                Err(AnswerError::CheckDateInFuture(d(2026, 1, 1))),
            ),
        ];
        for (case, item, status, answer, checked, target, expected) in cases {
            let given = input(Round::First, answer, checked, target);
            let fresh = ItemAnswers::default();
            let checked = validate_answer(item, status, &given, &fresh, today());
            assert_eq!(checked, expected, "{case}");
        }
    }

    #[test]
    fn the_second_round_follows_the_first() {
        let second = input(Round::Second, Answer::Yes, d(2025, 10, 1), None);
        assert_eq!(
            validate_answer(
                &patch(),
                ItemStatus::Required,
                &second,
                &ItemAnswers::default(),
                today()
            ),
            Err(AnswerError::SecondWithoutFirst)
        );
        let existing = ItemAnswers {
            first: Some(ItemAnswer {
                answer: Answer::No,
                checked_on: d(2025, 11, 1),
                target_date: Some(d(2026, 1, 1)),
            }),
            second: None,
        };
        assert!(matches!(
            validate_answer(&patch(), ItemStatus::Required, &second, &existing, today()),
            Err(AnswerError::SecondBeforeFirst { .. })
        ));
        let later = input(Round::Second, Answer::Yes, d(2025, 11, 20), None);
        assert_eq!(
            validate_answer(&patch(), ItemStatus::Required, &later, &existing, today()),
            Ok(())
        );
    }

    #[test]
    fn the_first_round_cannot_move_after_the_second() {
        let existing = ItemAnswers {
            first: Some(ItemAnswer {
                answer: Answer::No,
                checked_on: d(2025, 6, 1),
                target_date: None,
            }),
            second: Some(ItemAnswer {
                answer: Answer::Yes,
                checked_on: d(2025, 8, 1),
                target_date: None,
            }),
        };
        let moved = input(Round::First, Answer::No, d(2025, 9, 1), None);
        assert!(matches!(
            validate_answer(&patch(), ItemStatus::Required, &moved, &existing, today()),
            Err(AnswerError::SecondBeforeFirst { .. })
        ));
        assert_eq!(
            validate_removal(Round::First, &existing),
            Err(AnswerError::FirstRemovedBeforeSecond)
        );
        assert_eq!(validate_removal(Round::Second, &existing), Ok(()));
    }

    #[test]
    fn rounds_given_together_record_only_what_changed_in_an_order_that_works() {
        let yes = |round, day| input(round, Answer::Yes, d(2025, 6, day), None);
        let plan = |first, second, existing: &ItemAnswers| {
            rounds_to_record(
                &patch(),
                ItemStatus::Required,
                (first, second),
                existing,
                today(),
            )
        };
        let existing = ItemAnswers {
            first: Some(yes(Round::First, 10).recorded()),
            second: Some(yes(Round::Second, 20).recorded()),
        };
        // Sent back as read: nothing to record.
        let same = plan(
            Some(yes(Round::First, 10)),
            Some(yes(Round::Second, 20)),
            &existing,
        );
        assert_eq!(same, Ok(vec![]));
        // One round changed: that round only.
        let one = plan(
            Some(yes(Round::First, 10)),
            Some(yes(Round::Second, 25)),
            &existing,
        );
        assert_eq!(one, Ok(vec![yes(Round::Second, 25)]));
        // Both moved later: the second first, or the new first would follow the old second.
        let later = plan(
            Some(yes(Round::First, 22)),
            Some(yes(Round::Second, 28)),
            &existing,
        );
        assert_eq!(
            later,
            Ok(vec![yes(Round::Second, 28), yes(Round::First, 22)])
        );
        // Both moved earlier: the first first, or the new second would precede the old first.
        let earlier = plan(
            Some(yes(Round::First, 1)),
            Some(yes(Round::Second, 5)),
            &existing,
        );
        assert_eq!(
            earlier,
            Ok(vec![yes(Round::First, 1), yes(Round::Second, 5)])
        );
        // Each order leaves every step valid, checked as the store checks each write.
        for (steps, start) in [(later, &existing), (earlier, &existing)] {
            let mut state = start.clone();
            for step in steps.expect("a plan") {
                validate_answer(&patch(), ItemStatus::Required, &step, &state, today())
                    .expect("each step is valid");
                match step.round {
                    Round::First => state.first = Some(step.recorded()),
                    Round::Second => state.second = Some(step.recorded()),
                }
            }
        }
        // The whole is checked before anything is recorded.
        assert_eq!(
            plan(
                Some(yes(Round::First, 22)),
                Some(yes(Round::Second, 21)),
                &existing
            ),
            Err(AnswerError::SecondBeforeFirst {
                first: d(2025, 6, 22),
                second: d(2025, 6, 21)
            })
        );
        assert_eq!(
            plan(None, Some(yes(Round::Second, 21)), &ItemAnswers::default()),
            Err(AnswerError::SecondWithoutFirst)
        );
        // A recorded round is not withdrawn by leaving it out.
        let left_out = plan(Some(yes(Round::First, 10)), None, &existing);
        assert_eq!(
            left_out,
            Err(AnswerError::RecordedRoundLeftOut(Round::Second))
        );
        let e = left_out.expect_err("refused");
        assert_says(
            "round 2 left out",
            &e.message(),
            &[(Ja, "2回目"), (En, "round 2")],
        );
    }

    #[test]
    fn answers_and_dates_parse() {
        assert_eq!(Answer::parse("yes"), Ok(Answer::Yes));
        assert_eq!(Answer::parse("いいえ"), Ok(Answer::No));
        assert!(Answer::parse("maybe").is_err());
        assert!(parse_date("checked_on", "2025-02-30").is_err());
        assert!(parse_date("checked_on", "2025/02/03").is_err());
        for loose in [
            "-9999-01-01",
            "+99999-12-31",
            "+002025-06-01",
            "2025-6-1",
            "2025-06-1",
            "1899-12-31",
        ] {
            assert!(
                parse_date("checked_on", loose).is_err(),
                "{loose} must be refused"
            );
        }
        assert_eq!(parse_date("checked_on", "2025-02-03"), Ok(d(2025, 2, 3)));
        assert!(Round::from_number(3).is_err());
    }
}

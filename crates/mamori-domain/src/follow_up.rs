//! What follows the on-site inspection (立入検査): the inspector's remark on each item
//! (指摘なし / 助言 / 指導), the result notified to the institution (立入検査結果), and the
//! improvement reports (改善報告) the institution files until each 指導 is resolved.
//!
//! A 指導 asks the institution to improve and report; it stays open until the inspector
//! accepts a report. A 助言 is advice: shown to the institution, asking no report. Remarks are
//! the inspector's draft until the result is notified (結果の確定); only then does the
//! institution see them and do they count as open.

use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};

use crate::{Message, ParseError};

crate::wire_enum! {
    /// What the inspector recorded of one checklist item.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum RemarkLevel {
        /// 指摘なし
        NoRemark,
        /// 助言: advice, no report asked.
        Advice,
        /// 指導: to be improved and reported (改善報告).
        Guidance,
    }
    parse(exact) -> Err("level", "domain-parse-remark-level", text);
}

crate::labels!(RemarkLevel {
    NoRemark => "domain-labels-remark-level-no-remark",
    Advice => "domain-labels-remark-level-advice",
    Guidance => "domain-labels-remark-level-guidance",
});

crate::wire_enum! {
    /// The inspector's decision on an improvement report.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum ReportDecision {
        /// 受理: the improvement is confirmed; the 指導 is resolved.
        Accepted,
        /// 差戻し: not enough; the institution reports again.
        Returned,
    }
    parse(exact) -> Err("decision", "domain-parse-report-decision", text);
}

crate::labels!(ReportDecision {
    Accepted => "domain-labels-report-decision-accepted",
    Returned => "domain-labels-report-decision-returned",
});

crate::wire_enum! {
    /// Where a remark stands; kept with the remark so that open ones are counted from an index.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum RemarkProgress {
        /// 記録中: the result is not notified yet; the institution does not see it.
        Draft,
        /// 対応不要: 指摘なし or 助言.
        NoReportAsked,
        /// 改善報告待ち
        AwaitingReport,
        /// 確認待ち: a report is filed and not yet decided.
        Reported,
        /// 差戻し: the latest report was returned; a new one is awaited.
        Returned,
        /// 改善確認済み
        Accepted,
    }
    parse(exact) -> Err("progress", "domain-parse-remark-progress", text);
}

crate::labels!(RemarkProgress {
    Draft => "domain-labels-remark-progress-draft",
    NoReportAsked => "domain-labels-remark-progress-no-report-asked",
    AwaitingReport => "domain-labels-remark-progress-awaiting-report",
    Reported => "domain-labels-remark-progress-reported",
    Returned => "domain-labels-remark-progress-returned",
    Accepted => "domain-labels-remark-progress-accepted",
});

impl RemarkProgress {
    /// The wire names of the progress an open 指摘 has, for the stores' `IN (…)`.
    pub const OPEN: [RemarkProgress; 3] = [Self::AwaitingReport, Self::Reported, Self::Returned];

    /// Whether the remark is an open 指摘: a notified 指導 not yet resolved.
    pub fn is_open(self) -> bool {
        Self::OPEN.contains(&self)
    }
}

/// Where a remark stands, from its level, whether the result is notified, and the decision
/// on its latest report (`None`: no report; `Some(None)`: a report not yet decided).
pub fn remark_progress(
    level: RemarkLevel,
    notified: bool,
    latest_report: Option<Option<ReportDecision>>,
) -> RemarkProgress {
    if !notified {
        return RemarkProgress::Draft;
    }
    if level != RemarkLevel::Guidance {
        return RemarkProgress::NoReportAsked;
    }
    match latest_report {
        None => RemarkProgress::AwaitingReport,
        Some(None) => RemarkProgress::Reported,
        Some(Some(ReportDecision::Returned)) => RemarkProgress::Returned,
        Some(Some(ReportDecision::Accepted)) => RemarkProgress::Accepted,
    }
}

/// The result as notified: the weightiest remark of the inspection (指摘事項なし when no item
/// was remarked on).
pub fn overall_result(levels: impl IntoIterator<Item = RemarkLevel>) -> RemarkLevel {
    levels.into_iter().max().unwrap_or(RemarkLevel::NoRemark)
}

/// The overall result's own words for the weightiest remark: 指摘事項なし / 助言事項あり /
/// 指導事項あり.
pub fn result_label(weightiest: RemarkLevel) -> Message {
    Message::new(match weightiest {
        RemarkLevel::NoRemark => "domain-labels-overall-result-no-remark",
        RemarkLevel::Advice => "domain-labels-overall-result-advice",
        RemarkLevel::Guidance => "domain-labels-overall-result-guidance",
    })
}

/// The longest note on a remark, an overall comment or a decision, in characters.
pub const MAX_NOTE_CHARS: usize = 2000;
/// The most inspectors named on one schedule, and the longest name.
pub const MAX_INSPECTORS: usize = 10;
pub const MAX_INSPECTOR_NAME_CHARS: usize = 60;

/// When and by whom an inspection is to be held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InspectionSchedule {
    pub date: NaiveDate,
    /// The starting time, Japan time, where fixed.
    pub starts_at: Option<NaiveTime>,
    /// The inspectors' names as the notice prints them.
    pub inspectors: Vec<String>,
}

impl InspectionSchedule {
    /// Reads a schedule as typed: a date (`YYYY-MM-DD`), an optional time (`HH:MM`) and the
    /// inspectors' names, one per line or separated by 、 or commas.
    pub fn parse(date: &str, starts_at: &str, inspectors: &str) -> Result<Self, ParseError> {
        let date = crate::answer::parse_date("date", date)?;
        let starts_at = match starts_at.trim() {
            "" => None,
            t => Some(NaiveTime::parse_from_str(t, "%H:%M").map_err(|_| {
                ParseError::new(
                    "starts_at",
                    Message::new("domain-parse-inspection-time").with("text", crate::arg(t)),
                )
            })?),
        };
        let inspectors = parse_inspectors(inspectors)?;
        Ok(Self {
            date,
            starts_at,
            inspectors,
        })
    }

    /// The names as stored: one per line.
    pub fn inspectors_text(&self) -> String {
        self.inspectors.join("\n")
    }
}

/// 、 and ，, the commas names are typed apart with.
const IDEOGRAPHIC_COMMA: char = '\u{3001}';
const FULLWIDTH_COMMA: char = '\u{FF0C}';

fn parse_inspectors(text: &str) -> Result<Vec<String>, ParseError> {
    let names: Vec<String> = text
        .split(['\n', ',', IDEOGRAPHIC_COMMA, FULLWIDTH_COMMA])
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect();
    let refuse = |key: &'static str| {
        ParseError::new(
            "inspectors",
            Message::new(key)
                .with("most", MAX_INSPECTORS)
                .with("longest", MAX_INSPECTOR_NAME_CHARS),
        )
    };
    if names.is_empty() {
        return Err(refuse("domain-parse-inspectors-none"));
    }
    if names.len() > MAX_INSPECTORS {
        return Err(refuse("domain-parse-inspectors-too-many"));
    }
    if names
        .iter()
        .any(|n| n.chars().count() > MAX_INSPECTOR_NAME_CHARS)
    {
        return Err(refuse("domain-parse-inspectors-name-too-long"));
    }
    Ok(names)
}

/// A note as typed, trimmed; refused when longer than [`MAX_NOTE_CHARS`].
pub fn parse_note(field: &'static str, text: &str) -> Result<String, ParseError> {
    let note = text.trim();
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err(ParseError::new(
            field,
            Message::new("domain-parse-note-too-long").with("most", MAX_NOTE_CHARS),
        ));
    }
    Ok(note.to_owned())
}

/// What an institution reports it did about a 指導 (改善報告).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImprovementReport {
    /// 改善内容: what was done.
    pub action_taken: String,
    /// 改善日: when it was done; not after the day it is reported.
    pub done_on: NaiveDate,
}

impl ImprovementReport {
    pub fn parse(action_taken: &str, done_on: &str, today: NaiveDate) -> Result<Self, ParseError> {
        let action_taken = parse_note("action_taken", action_taken)?;
        if action_taken.is_empty() {
            return Err(ParseError::new(
                "action_taken",
                Message::new("domain-parse-improvement-action-empty"),
            ));
        }
        let done_on = crate::answer::parse_date("done_on", done_on)?;
        if done_on > today {
            return Err(ParseError::new(
                "done_on",
                Message::new("domain-parse-improvement-done-in-future"),
            ));
        }
        Ok(Self {
            action_taken,
            done_on,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a date")
    }

    #[test]
    fn only_a_notified_guidance_awaits_a_report_until_one_is_accepted() {
        use RemarkLevel::*;
        use RemarkProgress as P;
        assert_eq!(remark_progress(Guidance, false, None), P::Draft);
        assert_eq!(remark_progress(Advice, true, None), P::NoReportAsked);
        assert_eq!(remark_progress(NoRemark, true, None), P::NoReportAsked);
        assert_eq!(remark_progress(Guidance, true, None), P::AwaitingReport);
        assert_eq!(remark_progress(Guidance, true, Some(None)), P::Reported);
        let returned = Some(Some(ReportDecision::Returned));
        assert_eq!(remark_progress(Guidance, true, returned), P::Returned);
        let accepted = Some(Some(ReportDecision::Accepted));
        assert_eq!(remark_progress(Guidance, true, accepted), P::Accepted);
        let open: Vec<_> = RemarkProgress::ALL
            .into_iter()
            .filter(|p| p.is_open())
            .collect();
        assert_eq!(open, [P::AwaitingReport, P::Reported, P::Returned]);
    }

    #[test]
    fn the_result_is_the_weightiest_remark() {
        use RemarkLevel::*;
        assert_eq!(overall_result([]), NoRemark);
        assert_eq!(overall_result([NoRemark, Advice, NoRemark]), Advice);
        assert_eq!(overall_result([Advice, Guidance, NoRemark]), Guidance);
    }

    #[test]
    fn a_schedule_names_its_inspectors_and_refuses_what_it_cannot_read() {
        let s = InspectionSchedule::parse("2026-12-10", "10:00", "佐藤 一郎、鈴木 花子\n田中")
            .expect("read");
        assert_eq!(s.date, day("2026-12-10"));
        assert_eq!(s.starts_at, NaiveTime::from_hms_opt(10, 0, 0));
        assert_eq!(s.inspectors, ["佐藤 一郎", "鈴木 花子", "田中"]);
        assert_eq!(s.inspectors_text(), "佐藤 一郎\n鈴木 花子\n田中");
        let without_time = InspectionSchedule::parse("2026-12-10", " ", "佐藤").expect("read");
        assert_eq!(without_time.starts_at, None);
        let field = |r: Result<InspectionSchedule, ParseError>| r.expect_err("refused").field;
        assert_eq!(
            field(InspectionSchedule::parse("12/10", "", "佐藤")),
            "date"
        );
        assert_eq!(
            field(InspectionSchedule::parse("2026-12-10", "25:00", "佐藤")),
            "starts_at"
        );
        assert_eq!(
            field(InspectionSchedule::parse("2026-12-10", "", " 、 ")),
            "inspectors"
        );
        let many = ["佐藤"; MAX_INSPECTORS + 1].join("\n");
        assert_eq!(
            field(InspectionSchedule::parse("2026-12-10", "", &many)),
            "inspectors"
        );
        let long = "長".repeat(MAX_INSPECTOR_NAME_CHARS + 1);
        assert_eq!(
            field(InspectionSchedule::parse("2026-12-10", "", &long)),
            "inspectors"
        );
    }

    #[test]
    fn a_report_says_what_was_done_and_not_in_the_future() {
        let today = day("2026-12-20");
        let r = ImprovementReport::parse(" 保守端末のパスワードを変更 ", "2026-12-18", today)
            .expect("read");
        assert_eq!(r.action_taken, "保守端末のパスワードを変更");
        assert_eq!(r.done_on, day("2026-12-18"));
        assert!(ImprovementReport::parse("変更", "2026-12-20", today).is_ok());
        let field = |r: Result<ImprovementReport, ParseError>| r.expect_err("refused").field;
        assert_eq!(
            field(ImprovementReport::parse("  ", "2026-12-18", today)),
            "action_taken"
        );
        assert_eq!(
            field(ImprovementReport::parse("変更", "2026-12-21", today)),
            "done_on"
        );
        assert_eq!(
            field(ImprovementReport::parse("変更", "昨日", today)),
            "done_on"
        );
        let long = "あ".repeat(MAX_NOTE_CHARS + 1);
        assert_eq!(
            field(ImprovementReport::parse(&long, "2026-12-18", today)),
            "action_taken"
        );
    }
}

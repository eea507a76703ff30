//! 証跡 (evidence): the documents and links an institution keeps as proof of a checklist
//! item — a backup log for 3(2), the list of removed accounts for 2(5) — each with a title,
//! who is responsible for it (責任者), the day it was produced and, when it has one, the
//! day it stops being valid (有効期限).
//!
//! What a file is, is read from its content (`mamori_reports::document`), never from its
//! name; this module says which kinds are kept, checks what the user typed, and tells an
//! evidence's standing on a day.

use chrono::{Months, NaiveDate};

use crate::answer::parse_date;
use crate::field_problem::{FieldProblem, clean_file_name, required_past_date};
use crate::text::first_forbidden;
use crate::{FiscalYear, Message};

/// The largest file kept as evidence (10 MiB).
pub const MAX_EVIDENCE_BYTES: usize = 10 * 1024 * 1024;
/// The longest title (characters).
pub const TITLE_MAX: usize = 200;
/// The longest name of who is responsible (characters).
pub const OWNER_MAX: usize = 100;
/// The longest link (characters).
pub const URL_MAX: usize = 2000;
/// The longest file name kept (characters).
pub const FILE_NAME_MAX: usize = 200;
/// How many days before its end an evidence is said to expire soon.
pub const EXPIRES_SOON_DAYS: i64 = 30;

crate::wire_enum! {
    /// The kinds of document kept as evidence, each told by a parser of its format.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum DocumentKind {
        Pdf,
        Xlsx,
        Docx,
        Png,
        Jpeg,
        /// Plain text, UTF-8 or Shift_JIS.
        Text,
    }
    parse(exact) -> Option;
}

impl DocumentKind {
    /// The file name's ending a download is given.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Pdf => "pdf",
            Self::Xlsx => "xlsx",
            Self::Docx => "docx",
            Self::Png => "png",
            Self::Jpeg => "jpg",
            Self::Text => "txt",
        }
    }

    /// The media type a download is sent as.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Self::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Text => "text/plain; charset=utf-8",
        }
    }
}

crate::labels!(DocumentKind {
    Pdf => "domain-document-kind-pdf",
    Xlsx => "domain-document-kind-xlsx",
    Docx => "domain-document-kind-docx",
    Png => "domain-document-kind-png",
    Jpeg => "domain-document-kind-jpeg",
    Text => "domain-document-kind-text",
});

/// What an evidence holds: a file or a link to where the proof is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    File { name: String, kind: DocumentKind },
    Link { url: String },
}

/// An evidence as typed into the form, before it is checked. `file` is the name and kind
/// of an uploaded file (its kind already read from its bytes), `None` when none was sent.
#[derive(Debug, Clone, Copy, Default)]
pub struct EvidenceInput<'a> {
    pub title: &'a str,
    pub owner: &'a str,
    pub produced_on: &'a str,
    pub valid_until: &'a str,
    pub url: &'a str,
    pub file: Option<(&'a str, DocumentKind)>,
}

/// An evidence's description, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceFacts {
    pub title: String,
    pub owner: String,
    pub produced_on: NaiveDate,
    pub valid_until: Option<NaiveDate>,
    pub content: Content,
}

/// Checks an evidence's fields, every problem named by its field: a title and who is
/// responsible (plain text, not too long), the day it was produced (not after today), the
/// day it stops being valid (not before it was produced), and exactly one of a file and an
/// `http(s)` link.
pub fn validate(
    input: EvidenceInput<'_>,
    today: NaiveDate,
) -> Result<EvidenceFacts, Vec<FieldProblem>> {
    let mut problems = Vec::new();
    let title = required_text(&mut problems, "title", input.title, TITLE_MAX);
    let owner = required_text(&mut problems, "owner", input.owner, OWNER_MAX);
    let produced_on = required_past_date(
        "produced_on",
        input.produced_on,
        today,
        "domain-evidence-produced-on-required",
        "domain-evidence-produced-on-in-future",
    )
    .map_err(|problem| problems.push(problem))
    .ok();
    let valid_until = if input.valid_until.trim().is_empty() {
        None
    } else {
        match parse_date("valid_until", input.valid_until) {
            Ok(d) if produced_on.is_some_and(|p| d < p) => {
                problems.push(FieldProblem::new(
                    "valid_until",
                    "before_produced",
                    Message::new("domain-evidence-valid-until-before-produced"),
                ));
                None
            }
            Ok(d) => Some(d),
            Err(e) => {
                problems.push(FieldProblem::new("valid_until", "invalid_date", e.message));
                None
            }
        }
    };
    let url = input.url.trim();
    let content = match (input.file, url.is_empty()) {
        (Some(_), false) => {
            problems.push(FieldProblem::new(
                "url",
                "file_and_link",
                Message::new("domain-evidence-file-or-link"),
            ));
            None
        }
        (None, true) => {
            problems.push(FieldProblem::new(
                "file",
                "file_required",
                Message::new("domain-evidence-file-or-link-required"),
            ));
            None
        }
        (Some((name, kind)), true) => {
            let name = clean_file_name(name);
            if name.chars().count() > FILE_NAME_MAX {
                problems.push(FieldProblem::new(
                    "file",
                    "too_long",
                    Message::new("domain-evidence-file-name-too-long").with("max", FILE_NAME_MAX),
                ));
                None
            } else {
                Some(Content::File { name, kind })
            }
        }
        (None, false) => match link_problem(url) {
            Some(problem) => {
                problems.push(problem);
                None
            }
            None => Some(Content::Link {
                url: url.to_owned(),
            }),
        },
    };
    match (title, owner, produced_on, content) {
        (Some(title), Some(owner), Some(produced_on), Some(content)) if problems.is_empty() => {
            Ok(EvidenceFacts {
                title,
                owner,
                produced_on,
                valid_until,
                content,
            })
        }
        _ => Err(problems),
    }
}

fn required_text(
    problems: &mut Vec<FieldProblem>,
    field: &'static str,
    text: &str,
    max: usize,
) -> Option<String> {
    let text = text.trim();
    if text.is_empty() {
        problems.push(FieldProblem::new(
            field,
            "required",
            Message::new(match field {
                "title" => "domain-evidence-title-required",
                _ => "domain-evidence-owner-required",
            }),
        ));
        None
    } else if text.chars().count() > max {
        problems.push(FieldProblem::new(
            field,
            "too_long",
            Message::new("domain-evidence-text-too-long").with("max", max),
        ));
        None
    } else if let Some(c) = first_forbidden(text) {
        problems.push(FieldProblem::new(
            field,
            "forbidden_character",
            Message::new("domain-evidence-forbidden-character").with("code", c.code_point()),
        ));
        None
    } else {
        Some(text.to_owned())
    }
}

/// A link must be `http://` or `https://`, with a host, no spaces, not too long.
fn link_problem(url: &str) -> Option<FieldProblem> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or_default());
    if url.chars().count() > URL_MAX {
        Some(FieldProblem::new(
            "url",
            "too_long",
            Message::new("domain-evidence-url-too-long").with("max", URL_MAX),
        ))
    } else if host.is_none_or(str::is_empty)
        || url.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        Some(FieldProblem::new(
            "url",
            "invalid_url",
            Message::new("domain-evidence-url-invalid"),
        ))
    } else {
        None
    }
}

/// A file name for a download: the one given, or the title with the kind's ending.
pub fn download_name(name: &str, title: &str, kind: DocumentKind) -> String {
    if name.is_empty() {
        let stem: String = title
            .chars()
            .map(|c| if "/\\:*?\"<>|".contains(c) { '_' } else { c })
            .take(100)
            .collect();
        format!("{stem}.{}", kind.extension())
    } else {
        name.to_owned()
    }
}

/// An evidence's standing on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Valid,
    /// Valid for [`EXPIRES_SOON_DAYS`] days or fewer.
    ExpiresSoon,
    /// Its 有効期限 has passed.
    Expired,
    /// Without a 有効期限, produced more than a year ago: to be looked at again.
    OlderThanAYear,
}

impl Standing {
    pub fn of(produced_on: NaiveDate, valid_until: Option<NaiveDate>, today: NaiveDate) -> Self {
        match valid_until {
            Some(until) if until < today => Self::Expired,
            Some(until) if (until - today).num_days() <= EXPIRES_SOON_DAYS => Self::ExpiresSoon,
            Some(_) => Self::Valid,
            None if review_due(produced_on).is_some_and(|due| due <= today) => Self::OlderThanAYear,
            None => Self::Valid,
        }
    }

    /// Whether the evidence needs the institution's attention.
    pub fn is_stale(self) -> bool {
        matches!(self, Self::Expired | Self::OlderThanAYear)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::ExpiresSoon => "expires_soon",
            Self::Expired => "expired",
            Self::OlderThanAYear => "older_than_a_year",
        }
    }
}

crate::labels!(Standing {
    Valid => "domain-evidence-standing-valid",
    ExpiresSoon => "domain-evidence-standing-expires-soon",
    Expired => "domain-evidence-standing-expired",
    OlderThanAYear => "domain-evidence-standing-older-than-a-year",
});

/// The first day an evidence stops being current: the day after its 有効期限, or, without
/// one, the day it is a year old. The notification of stale evidence is sent that day.
pub fn stale_from(produced_on: NaiveDate, valid_until: Option<NaiveDate>) -> Option<NaiveDate> {
    match valid_until {
        Some(until) => until.succ_opt(),
        None => review_due(produced_on),
    }
}

/// The day a year after `produced_on` (28 February for 29 February).
pub fn review_due(produced_on: NaiveDate) -> Option<NaiveDate> {
    produced_on.checked_add_months(Months::new(12))
}

/// Whether an evidence may be carried into the next fiscal year: it is still valid on the
/// day the next year opens (1 April), or has no end.
pub fn carries_into(valid_until: Option<NaiveDate>, next: FiscalYear) -> bool {
    valid_until.is_none_or(|until| until >= next.first_day())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn input<'a>() -> EvidenceInput<'a> {
        EvidenceInput {
            title: "バックアップ復元テスト記録",
            owner: "情報システム課 佐藤",
            produced_on: "2026-11-02",
            valid_until: "2027-11-01",
            url: "",
            file: Some(("C:\\fakepath\\restore.pdf", DocumentKind::Pdf)),
        }
    }

    #[test]
    fn a_file_and_its_facts_are_kept() {
        let facts = validate(input(), day("2026-12-07")).expect("valid");
        assert_eq!(facts.title, "バックアップ復元テスト記録");
        assert_eq!(facts.produced_on, day("2026-11-02"));
        assert_eq!(facts.valid_until, Some(day("2027-11-01")));
        assert_eq!(
            facts.content,
            Content::File {
                name: "restore.pdf".into(),
                kind: DocumentKind::Pdf
            }
        );
        let link = validate(
            EvidenceInput {
                file: None,
                url: " https://intra.example.jp/backup/log ",
                valid_until: "",
                ..input()
            },
            day("2026-12-07"),
        )
        .expect("a link");
        assert_eq!(
            link.content,
            Content::Link {
                url: "https://intra.example.jp/backup/log".into()
            }
        );
        assert_eq!(link.valid_until, None);
    }

    #[test]
    fn every_problem_is_named_by_its_field() {
        let problems = validate(
            EvidenceInput {
                title: " ",
                owner: &"x".repeat(OWNER_MAX + 1),
                produced_on: "2026-12-08",
                valid_until: "2026-13-01",
                url: "ftp://example.jp/a",
                file: None,
            },
            day("2026-12-07"),
        )
        .expect_err("refused");
        let fields: Vec<_> = problems.iter().map(|p| (p.path.as_str(), p.code)).collect();
        assert_eq!(
            fields,
            [
                ("title", "required"),
                ("owner", "too_long"),
                ("produced_on", "in_future"),
                ("valid_until", "invalid_date"),
                ("url", "invalid_url"),
            ]
        );
        let both = validate(
            EvidenceInput {
                url: "https://example.jp",
                ..input()
            },
            day("2026-12-07"),
        )
        .expect_err("both refused");
        assert_eq!(both[0].code, "file_and_link");
        let neither = validate(
            EvidenceInput {
                file: None,
                ..input()
            },
            day("2026-12-07"),
        )
        .expect_err("neither refused");
        assert_eq!(neither[0].path, "file");
        let backwards = validate(
            EvidenceInput {
                valid_until: "2026-11-01",
                ..input()
            },
            day("2026-12-07"),
        )
        .expect_err("ends before it starts");
        assert_eq!(backwards[0].code, "before_produced");
        let control = validate(
            EvidenceInput {
                title: "a\u{0007}b",
                ..input()
            },
            day("2026-12-07"),
        )
        .expect_err("a bell refused");
        assert_eq!(control[0].code, "forbidden_character");
    }

    #[test]
    fn links_need_a_host_and_no_spaces() {
        for bad in [
            "https://",
            "http:///path",
            "https://a b",
            "javascript:alert(1)",
            "intra/backup",
        ] {
            assert!(link_problem(bad).is_some(), "{bad}");
        }
        for good in ["https://example.jp", "http://10.0.0.5:8080/share?x=1#top"] {
            assert!(link_problem(good).is_none(), "{good}");
        }
    }

    #[test]
    fn the_standing_follows_the_dates() {
        let made = day("2025-12-01");
        let today = day("2026-12-07");
        assert_eq!(
            Standing::of(made, Some(day("2026-12-06")), today),
            Standing::Expired
        );
        assert_eq!(
            Standing::of(made, Some(day("2026-12-07")), today),
            Standing::ExpiresSoon
        );
        assert_eq!(
            Standing::of(made, Some(day("2027-01-06")), today),
            Standing::ExpiresSoon
        );
        assert_eq!(
            Standing::of(made, Some(day("2027-01-07")), today),
            Standing::Valid
        );
        assert_eq!(Standing::of(made, None, today), Standing::OlderThanAYear);
        assert_eq!(
            Standing::of(day("2025-12-08"), None, today),
            Standing::Valid
        );
        assert_eq!(
            Standing::of(day("2025-12-07"), None, today),
            Standing::OlderThanAYear
        );
    }

    #[test]
    fn stale_from_is_the_first_day_the_standing_is_stale() {
        for (made, until) in [
            (day("2024-02-29"), None),
            (day("2025-06-30"), None),
            (day("2025-06-30"), Some(day("2026-03-31"))),
        ] {
            let first = stale_from(made, until).expect("a day");
            assert!(
                Standing::of(made, until, first).is_stale(),
                "{made} {until:?}"
            );
            let before = first.pred_opt().expect("a day");
            assert!(
                !Standing::of(made, until, before).is_stale(),
                "{made} {until:?}"
            );
        }
    }

    #[test]
    fn evidence_valid_on_the_first_of_april_carries_into_the_year() {
        let next = FiscalYear::new(2027).expect("a year");
        assert!(carries_into(None, next));
        assert!(carries_into(Some(day("2027-04-01")), next));
        assert!(!carries_into(Some(day("2027-03-31")), next));
    }

    #[test]
    fn download_names_come_from_the_title_when_none_was_given() {
        assert_eq!(
            download_name("", "ログ/2026", DocumentKind::Png),
            "ログ_2026.png"
        );
        assert_eq!(download_name("a.pdf", "t", DocumentKind::Pdf), "a.pdf");
        assert_eq!(clean_file_name("C:\\fakepath\\証跡.docx"), "証跡.docx");
    }
}

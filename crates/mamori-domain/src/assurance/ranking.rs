//! 順位指定: the prefecture ranks every applicant, beyond the quota. Seed 001:
//! 「希望する全ての病院に対して、別紙 1 …に記載をして下さい（各都道府県別病床規模別に示す数
//! （支援枠数）を超える希望があった場合でもすべての病院を記載下さい）。その際、各都道府県で記載
//! した病院について順位を指定してください。」 and 「順位指定は、原則、各都道府県の判断に委ねる」.
//!
//! A ranking is valid when its ranks are exactly 1..n (no gap, no tie) and it names each of the
//! prefecture's applications exactly once and nothing else.

use std::collections::HashMap;

use mamori_locale::Message;
use serde::{Deserialize, Serialize};

use super::{Application, ApplicationId, Eligibility, Program};
use crate::Prefecture;

/// Why a hospital is ranked where it is (順位指定に当たっての考え方の例, seed 001).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RankReason {
    /// 「地域における救急等の主要な診療機能を担っており、サイバー攻撃の影響により診療停止等と
    /// なった場合に地域医療に与える影響が大きいと思われる病院」
    RegionalEmergencyRole,
    /// 「立入検査等においてセキュリティ対策が不十分と思われる病院」
    WeakSecurityAtInspection,
    /// 「令和 6 年度事業に応募して事前調査資料を提出まで完了したが、現地調査の日程が調整つかずに
    /// 辞退となった病院」 (the previous year's project)
    WithdrewLastYearAfterPreSurvey,
    /// Anything else, in the prefecture's words.
    Other { text: String },
}

impl RankReason {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::RegionalEmergencyRole => "regional_emergency_role",
            Self::WeakSecurityAtInspection => "weak_security_at_inspection",
            Self::WithdrewLastYearAfterPreSurvey => "withdrew_last_year_after_pre_survey",
            Self::Other { .. } => "other",
        }
    }

    /// The reason as users read it; the prefecture's own words for "other".
    pub fn label(&self) -> Message {
        match self {
            Self::RegionalEmergencyRole => {
                Message::new("domain-labels-rank-reason-regional-emergency-role")
            }
            Self::WeakSecurityAtInspection => {
                Message::new("domain-labels-rank-reason-weak-security-at-inspection")
            }
            Self::WithdrewLastYearAfterPreSurvey => {
                Message::new("domain-labels-rank-reason-withdrew-last-year")
            }
            Self::Other { text } => {
                Message::new("domain-labels-rank-reason-other").with("text", text.trim())
            }
        }
    }

    pub fn label_ja(&self) -> String {
        self.label().render(crate::Lang::Ja)
    }

    /// Reads a reason as a spreadsheet cell or a form gives it: the code
    /// (`regional_emergency_role`), the Japanese or English label ([`Self::label_ja`], the
    /// short labels of the ranking page), or 「その他（…）」 / `other: …` with its text. `None`
    /// when the text is none of these.
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim();
        let plain: String = t.chars().filter(|c| !c.is_whitespace()).collect();
        let lower = plain.to_ascii_lowercase();
        let fixed = [
            Self::RegionalEmergencyRole,
            Self::WeakSecurityAtInspection,
            Self::WithdrewLastYearAfterPreSurvey,
        ];
        for reason in fixed {
            let short_ja = match reason {
                Self::RegionalEmergencyRole => "地域の救急等の主要な診療機能",
                Self::WeakSecurityAtInspection => "立入検査等で対策が不十分",
                _ => "前年度に事前調査後辞退",
            };
            let short_en = match reason {
                Self::RegionalEmergencyRole => "regionalemergencyrole",
                Self::WeakSecurityAtInspection => "weaksecurityatinspection",
                _ => "withdrewlastyearafterthepre-survey",
            };
            let label: String = reason
                .label_ja()
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            let label_en: String = reason
                .label_en()
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_ascii_lowercase();
            if lower == reason.as_str()
                || plain == label
                || plain == short_ja
                || lower == label_en
                || lower == short_en
            {
                return Some(reason);
            }
        }
        // その他（text） / その他(text) / その他: text / other: text / other (text)
        let rest = t
            .strip_prefix("その他")
            .or_else(|| {
                t.get(..5)
                    .filter(|head| head.eq_ignore_ascii_case("other"))
                    .map(|_| &t[5..])
            })?
            .trim();
        let inner = rest
            .strip_prefix('（')
            .and_then(|r| r.strip_suffix('）'))
            .or_else(|| rest.strip_prefix('(').and_then(|r| r.strip_suffix(')')))
            .or_else(|| rest.strip_prefix('：'))
            .or_else(|| rest.strip_prefix(':'))
            .or(if rest.is_empty() { Some("") } else { None })?
            .trim();
        Some(Self::Other {
            text: if inner.is_empty() {
                "その他".to_owned()
            } else {
                inner.to_owned()
            },
        })
    }

    pub fn label_en(&self) -> String {
        self.label().render(crate::Lang::En)
    }
}

/// The prefecture's decision on an application whose flags call for one (e.g. a renewal whose
/// on-site survey cannot finish by January: 「…見込みがある病院を選定してください」).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagDecision {
    /// Put forward despite the flags.
    Accept,
    /// Not put forward: listed as ineligible with the reason `declined_by_prefecture`.
    Decline,
}

/// One line of the ranking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RankEntry {
    pub application_id: ApplicationId,
    /// 1 is the first to be supported.
    pub rank: u32,
    #[serde(default)]
    pub reasons: Vec<RankReason>,
    /// Only for applications with a flag that needs a decision.
    #[serde(default)]
    pub decision: Option<FlagDecision>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RankingProblemCode {
    /// The id is no application at all.
    UnknownApplication,
    /// The application belongs to another prefecture.
    ForeignApplication,
    /// Named more than once.
    DuplicateApplication,
    /// One of the prefecture's applications is not ranked.
    MissingApplication,
    /// Rank 0, or above the number of applications.
    RankOutOfRange,
    /// Two or more applications share a rank.
    TiedRank,
    /// No application has this rank.
    MissingRank,
    /// A reason `other` without text.
    EmptyOtherReason,
    /// A decision on an application with no flag that needs one.
    DecisionWithoutFlag,
}

/// One problem of a ranking, naming the applications and ranks concerned (sorted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RankingProblem {
    pub code: RankingProblemCode,
    pub application_ids: Vec<ApplicationId>,
    pub ranks: Vec<u32>,
    pub message: Message,
}

/// Every problem of a ranking, in a fixed order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", english(.prefecture, .problems))]
pub struct RankingError {
    pub prefecture: Prefecture,
    pub problems: Vec<RankingProblem>,
}

fn english(prefecture: &Prefecture, problems: &[RankingProblem]) -> String {
    RankingError {
        prefecture: *prefecture,
        problems: problems.to_vec(),
    }
    .message()
    .render(mamori_locale::Lang::En)
}

impl RankingError {
    pub fn message(&self) -> Message {
        Message::new("domain-assurance-ranking-invalid")
            .with(
                "prefecture",
                crate::bilingual(self.prefecture.name_ja(), self.prefecture.name_en()),
            )
            .with(
                "problems",
                crate::joined(
                    self.problems.iter().map(|p| p.message.clone()),
                    "domain-join-slash",
                ),
            )
    }

    pub fn codes(&self) -> Vec<RankingProblemCode> {
        self.problems.iter().map(|p| p.code).collect()
    }
}

/// How many ids or ranks a message lists before "and N more" (the fields keep them all).
const LIST_IN_MESSAGE: usize = 20;

fn list<T: std::fmt::Display>(items: &[T]) -> Message {
    let shown: Vec<String> = items
        .iter()
        .take(LIST_IN_MESSAGE)
        .map(ToString::to_string)
        .collect();
    let rest = items.len().saturating_sub(LIST_IN_MESSAGE);
    let (ja, en) = (shown.join("、"), shown.join(", "));
    if rest > 0 {
        Message::new("domain-assurance-list-more")
            .with("ja", ja)
            .with("en", en)
            .with("rest", rest)
    } else {
        crate::bilingual(ja, en)
    }
}

fn problem(
    code: RankingProblemCode,
    mut ids: Vec<ApplicationId>,
    mut ranks: Vec<u32>,
) -> RankingProblem {
    ids.sort_unstable();
    ids.dedup();
    ranks.sort_unstable();
    ranks.dedup();
    let key = match code {
        RankingProblemCode::UnknownApplication => "domain-assurance-ranking-unknown-application",
        RankingProblemCode::ForeignApplication => "domain-assurance-ranking-foreign-application",
        RankingProblemCode::DuplicateApplication => {
            "domain-assurance-ranking-duplicate-application"
        }
        RankingProblemCode::MissingApplication => "domain-assurance-ranking-missing-application",
        RankingProblemCode::RankOutOfRange => "domain-assurance-ranking-rank-out-of-range",
        RankingProblemCode::TiedRank => "domain-assurance-ranking-tied-rank",
        RankingProblemCode::MissingRank => "domain-assurance-ranking-missing-rank",
        RankingProblemCode::EmptyOtherReason => "domain-assurance-ranking-empty-other-reason",
        RankingProblemCode::DecisionWithoutFlag => "domain-assurance-ranking-decision-without-flag",
    };
    let message = Message::new(key)
        .with("ids", list(&ids))
        .with("ranks", list(&ranks));
    RankingProblem {
        code,
        application_ids: ids,
        ranks,
        message,
    }
}

/// The prefecture's applications and what the ranking check needs of them.
pub(crate) struct Local<'a> {
    pub apps: &'a [Application],
    pub by_id: &'a HashMap<ApplicationId, usize>,
    /// Indexes into `apps` of the prefecture's applications.
    pub members: &'a [usize],
    /// Index into `apps` → position in `members`.
    pub position: &'a HashMap<usize, usize>,
    /// Aligned with `members`.
    pub eligibility: &'a [Eligibility],
}

/// Checks a ranking; on success returns, for each rank 1..=n in order, the index of its entry.
pub(crate) fn check(
    prefecture: Prefecture,
    local: &Local<'_>,
    entries: &[RankEntry],
) -> Result<Vec<usize>, RankingError> {
    let n = local.members.len();
    let mut seen = vec![0u32; n];
    let mut unknown = Vec::new();
    let mut foreign = Vec::new();
    let mut duplicate = Vec::new();
    let mut empty_other = Vec::new();
    let mut needless_decision = Vec::new();
    let mut by_rank: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut out_of_range = (Vec::new(), Vec::new());

    for (i, entry) in entries.iter().enumerate() {
        let id = entry.application_id;
        match local.by_id.get(&id) {
            None => unknown.push(id),
            Some(&g) if local.apps[g].prefecture != prefecture => foreign.push(id),
            Some(g) => {
                if let Some(&pos) = local.position.get(g) {
                    seen[pos] += 1;
                    if seen[pos] == 2 {
                        duplicate.push(id);
                    }
                    if seen[pos] == 1
                        && entry.decision.is_some()
                        && !local.eligibility[pos].needs_decision()
                    {
                        needless_decision.push(id);
                    }
                }
            }
        }
        if entry
            .reasons
            .iter()
            .any(|r| matches!(r, RankReason::Other { text } if text.trim().is_empty()))
        {
            empty_other.push(id);
        }
        match usize::try_from(entry.rank) {
            Ok(r) if (1..=n).contains(&r) => by_rank[r - 1].push(i),
            _ => {
                out_of_range.0.push(id);
                out_of_range.1.push(entry.rank);
            }
        }
    }

    let mut problems = Vec::new();
    let mut push = |code, ids: Vec<ApplicationId>, ranks: Vec<u32>| {
        if !ids.is_empty() || !ranks.is_empty() {
            problems.push(problem(code, ids, ranks));
        }
    };
    push(RankingProblemCode::UnknownApplication, unknown, vec![]);
    push(RankingProblemCode::ForeignApplication, foreign, vec![]);
    push(RankingProblemCode::DuplicateApplication, duplicate, vec![]);
    let missing: Vec<ApplicationId> = seen
        .iter()
        .zip(local.members)
        .filter(|(count, _)| **count == 0)
        .map(|(_, &g)| local.apps[g].id)
        .collect();
    push(RankingProblemCode::MissingApplication, missing, vec![]);
    push(
        RankingProblemCode::RankOutOfRange,
        out_of_range.0,
        out_of_range.1,
    );
    // One problem per tied rank, so that each names its own applications.
    for (r, holders) in by_rank.iter().enumerate() {
        if holders.len() > 1 {
            let ids = holders.iter().map(|&i| entries[i].application_id).collect();
            push(RankingProblemCode::TiedRank, ids, vec![rank_of(r)]);
        }
    }
    let gaps: Vec<u32> = by_rank
        .iter()
        .enumerate()
        .filter(|(_, holders)| holders.is_empty())
        .map(|(r, _)| rank_of(r))
        .collect();
    push(RankingProblemCode::MissingRank, vec![], gaps);
    push(RankingProblemCode::EmptyOtherReason, empty_other, vec![]);
    push(
        RankingProblemCode::DecisionWithoutFlag,
        needless_decision,
        vec![],
    );

    if problems.is_empty() {
        // Exactly one entry per rank, and n entries naming n distinct local applications.
        Ok(by_rank
            .into_iter()
            .filter_map(|h| h.first().copied())
            .collect())
    } else {
        Err(RankingError {
            prefecture,
            problems,
        })
    }
}

fn rank_of(index: usize) -> u32 {
    u32::try_from(index + 1).unwrap_or(u32::MAX)
}

/// Checks a prefecture's ranking against its applications (the slice may hold every
/// prefecture's: the others are used to tell a foreign id from an unknown one).
pub fn validate_ranking(
    program: &Program,
    prefecture: Prefecture,
    applications: &[Application],
    entries: &[RankEntry],
) -> Result<(), RankingError> {
    let assessor = super::Assessor::new(program);
    let mut by_id = HashMap::with_capacity(applications.len());
    for (i, app) in applications.iter().enumerate() {
        by_id.entry(app.id).or_insert(i);
    }
    let members: Vec<usize> = applications
        .iter()
        .enumerate()
        .filter(|(i, a)| a.prefecture == prefecture && by_id.get(&a.id) == Some(i))
        .map(|(i, _)| i)
        .collect();
    let position: HashMap<usize, usize> =
        members.iter().enumerate().map(|(p, &g)| (g, p)).collect();
    let eligibility: Vec<Eligibility> = members
        .iter()
        .map(|&g| assessor.assess(&applications[g]))
        .collect();
    let local = Local {
        apps: applications,
        by_id: &by_id,
        members: &members,
        position: &position,
        eligibility: &eligibility,
    };
    check(prefecture, &local, entries).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::super::SystemRenewal;
    use super::super::application::tests::application;
    use super::super::eligibility::tests::program;
    use super::*;
    use mamori_locale::Lang;

    fn entry(id: i64, rank: u32) -> RankEntry {
        RankEntry {
            application_id: ApplicationId(id),
            rank,
            reasons: vec![],
            decision: None,
        }
    }

    fn tokyo() -> Prefecture {
        Prefecture::parse("13").expect("valid")
    }

    fn apps() -> Vec<Application> {
        vec![
            application(1, "13", 100),
            application(2, "13", 250),
            application(3, "13", 500),
            application(4, "46", 100),
        ]
    }

    #[test]
    fn a_complete_ranking_is_valid() {
        let entries = vec![entry(3, 1), entry(1, 2), entry(2, 3)];
        assert_eq!(
            validate_ranking(&program(), tokyo(), &apps(), &entries),
            Ok(())
        );
        // An empty prefecture has an empty ranking.
        let none = Prefecture::parse("01").expect("valid");
        assert_eq!(validate_ranking(&program(), none, &apps(), &[]), Ok(()));
    }

    #[test]
    fn missing_duplicate_foreign_unknown_are_named() {
        let entries = vec![entry(1, 1), entry(1, 2), entry(4, 3), entry(99, 3)];
        let e = validate_ranking(&program(), tokyo(), &apps(), &entries).expect_err("invalid");
        assert_eq!(
            e.codes(),
            vec![
                RankingProblemCode::UnknownApplication,
                RankingProblemCode::ForeignApplication,
                RankingProblemCode::DuplicateApplication,
                RankingProblemCode::MissingApplication,
                RankingProblemCode::TiedRank,
            ]
        );
        let ids = |i: usize| e.problems[i].application_ids.clone();
        assert_eq!(ids(0), vec![ApplicationId(99)]);
        assert_eq!(ids(1), vec![ApplicationId(4)]);
        assert_eq!(ids(2), vec![ApplicationId(1)]);
        assert_eq!(ids(3), vec![ApplicationId(2), ApplicationId(3)]);
        assert_eq!(ids(4), vec![ApplicationId(4), ApplicationId(99)]);
        assert_eq!(e.problems[4].ranks, vec![3]);
        assert!(e.problems[3].message.render(Lang::Ja).contains("2、3"));
        assert!(
            e.message()
                .render(Lang::Ja)
                .starts_with("東京都の順位指定に誤りがあります")
        );
        assert!(e.to_string().contains("Tokyo"));
    }

    #[test]
    fn ranks_must_run_from_one_without_gaps_or_ties() {
        let e = validate_ranking(
            &program(),
            tokyo(),
            &apps(),
            &[entry(1, 0), entry(2, 2), entry(3, 2)],
        )
        .expect_err("invalid");
        assert_eq!(
            e.codes(),
            vec![
                RankingProblemCode::RankOutOfRange,
                RankingProblemCode::TiedRank,
                RankingProblemCode::MissingRank,
            ]
        );
        assert_eq!(e.problems[0].ranks, vec![0]);
        assert_eq!(e.problems[2].ranks, vec![1, 3]);

        let e = validate_ranking(
            &program(),
            tokyo(),
            &apps(),
            &[entry(1, 1), entry(2, 2), entry(3, 4)],
        )
        .expect_err("invalid");
        assert_eq!(
            e.codes(),
            vec![
                RankingProblemCode::RankOutOfRange,
                RankingProblemCode::MissingRank
            ]
        );
    }

    #[test]
    fn reasons_are_read_from_codes_and_labels() {
        for reason in [
            RankReason::RegionalEmergencyRole,
            RankReason::WeakSecurityAtInspection,
            RankReason::WithdrewLastYearAfterPreSurvey,
        ] {
            assert_eq!(RankReason::parse(reason.as_str()), Some(reason.clone()));
            assert_eq!(RankReason::parse(&reason.label_ja()), Some(reason.clone()));
            assert_eq!(RankReason::parse(&reason.label_en()), Some(reason.clone()));
        }
        assert_eq!(
            RankReason::parse(" 地域の救急等の主要な診療機能 "),
            Some(RankReason::RegionalEmergencyRole)
        );
        let other = |t: &str| Some(RankReason::Other { text: t.into() });
        assert_eq!(
            RankReason::parse("その他（へき地医療拠点）"),
            other("へき地医療拠点")
        );
        assert_eq!(
            RankReason::parse("other: island clinic"),
            other("island clinic")
        );
        assert_eq!(RankReason::parse("Other (island)"), other("island"));
        assert_eq!(RankReason::parse("その他"), other("その他"));
        // The label written back reads as the same reason (the 別紙1 round trip).
        let written = RankReason::Other {
            text: "災害拠点".into(),
        }
        .label_ja();
        assert_eq!(RankReason::parse(&written), other("災害拠点"));
        for bad in ["", "救急", "otherwise", "1"] {
            assert_eq!(RankReason::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn reasons_and_decisions_are_checked() {
        let mut list = apps();
        list[1].renewal = SystemRenewal::Planned {
            onsite_survey_by_deadline: Some(false),
        };
        let mut entries = vec![entry(1, 1), entry(2, 2), entry(3, 3)];
        entries[0].reasons = vec![
            RankReason::RegionalEmergencyRole,
            RankReason::Other { text: " ".into() },
        ];
        entries[1].decision = Some(FlagDecision::Decline);
        entries[2].decision = Some(FlagDecision::Accept);
        let e = validate_ranking(&program(), tokyo(), &list, &entries).expect_err("invalid");
        assert_eq!(
            e.codes(),
            vec![
                RankingProblemCode::EmptyOtherReason,
                RankingProblemCode::DecisionWithoutFlag
            ]
        );
        assert_eq!(e.problems[0].application_ids, vec![ApplicationId(1)]);
        assert_eq!(e.problems[1].application_ids, vec![ApplicationId(3)]);
    }

    #[test]
    fn reason_labels() {
        assert_eq!(
            RankReason::Other {
                text: " 災害拠点病院 ".into()
            }
            .label_ja(),
            "その他（災害拠点病院）"
        );
        assert_eq!(
            RankReason::RegionalEmergencyRole.as_str(),
            "regional_emergency_role"
        );
    }
}

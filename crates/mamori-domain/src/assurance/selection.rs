//! Selection (選定): walk the prefecture's ranking from the top; an eligible hospital is
//! selected while its bed band has quota left, the other eligible ones wait in rank order
//! (次点), the ineligible ones are listed with their reasons.
//!
//! Seed 001: 「指定された順位に基づいて、都道府県毎に支援対象病院数の病院が選定されます。」
//! Withdrawals: 「選定された支援対象病院が事業途中で辞退した場合は、同都道府県の順位に基づき、
//! 次点の病院が支援対象病院として新たに選定される場合があります。」 — the best-ranked waiting
//! hospital of the same band (the quota is per band) takes the place; with none, the slot stays
//! open, because 「二次選定などの追加募集を行う予定はございません」.
//!
//! What holds (checked by the property tests below):
//! - no band ever has more selected hospitals than its quota; it has exactly
//!   `min(quota, eligible hospitals of the band not withdrawn)`;
//! - within a band, every selected hospital ranks above every waiting one — before withdrawals
//!   and after any valid sequence of them (withdrawn hospitals are out of the comparison; they
//!   may rank above selected ones);
//! - a withdrawal changes the status of the withdrawn hospital and of at most one other: the
//!   best-ranked waiting hospital of its band, which becomes selected and ranks below it; the
//!   rest keep their status and order, so the final lists depend on the set of withdrawals,
//!   not on their order (the order only decides whether each one was valid when recorded);
//! - the result depends only on the inputs, not on the order of the application slice.
//!
//! Cost: O(n) hashing plus O(n) walking per prefecture after an O(n) ranking check;
//! [`select_national`] indexes the nation's applications once.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use chrono::NaiveDate;
use mamori_locale::Message;
use serde::{Deserialize, Serialize};

use super::eligibility::{Ineligibility, IneligibilityCode};
use super::ranking::{self, Local};
use super::{
    Application, ApplicationId, Assessor, BedBand, Eligibility, FlagDecision, Program, RankEntry,
    RankReason, RankingError,
};
use crate::{ParseError, Prefecture};

/// 辞退: a selected hospital withdraws during the project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Withdrawal {
    pub application_id: ApplicationId,
    pub date: NaiveDate,
    pub reason: String,
}

crate::wire_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum ApplicationStatus {
        /// 支援対象 (selected within the quota)
        Selected,
        /// 次点: eligible, waiting for a slot of its band
        Waitlisted,
        /// 対象外
        Ineligible,
        /// 辞退
        Withdrawn,
    }
}

labels!(ApplicationStatus {
    Selected => "domain-labels-application-status-selected",
    Waitlisted => "domain-labels-application-status-waitlisted",
    Ineligible => "domain-labels-application-status-ineligible",
    Withdrawn => "domain-labels-application-status-withdrawn",
});

/// Everything decided about one application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationOutcome {
    pub application_id: ApplicationId,
    pub rank: u32,
    /// The bed band's index, `None` when the beds fit no band.
    pub band: Option<usize>,
    pub status: ApplicationStatus,
    /// 1-based place among the waiting hospitals of its band.
    pub waitlist_position: Option<u32>,
    /// With `declined_by_prefecture` added when the prefecture declined it.
    pub eligibility: Eligibility,
    pub rank_reasons: Vec<RankReason>,
    pub decision: Option<FlagDecision>,
    /// For a hospital selected after a withdrawal: whose place it took.
    pub replaced: Option<ApplicationId>,
    /// For a withdrawn hospital: who took its place, if anyone.
    pub replaced_by: Option<ApplicationId>,
    pub withdrawal: Option<Withdrawal>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IneligibleEntry {
    pub application_id: ApplicationId,
    pub rank: u32,
    pub reasons: Vec<Ineligibility>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithdrawnEntry {
    pub application_id: ApplicationId,
    pub rank: u32,
    pub band: usize,
    pub date: NaiveDate,
    pub reason: String,
    pub replaced_by: Option<ApplicationId>,
}

/// The quota of one band and how it is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BandSummary {
    pub band: BedBand,
    pub quota: u32,
    pub selected: u32,
    pub waitlisted: u32,
    pub withdrawn: u32,
    /// Slots left open (未使用枠): no eligible hospital is waiting for them.
    pub unused: u32,
}

/// The outcome of a prefecture's selection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    pub prefecture: Prefecture,
    /// In rank order.
    pub selected: Vec<ApplicationId>,
    /// In rank order (all bands).
    pub waitlisted: Vec<ApplicationId>,
    /// In rank order.
    pub ineligible: Vec<IneligibleEntry>,
    /// In the order recorded.
    pub withdrawn: Vec<WithdrawnEntry>,
    /// One per band, in band order.
    pub bands: Vec<BandSummary>,
    /// Eligible applications whose flags still await the prefecture's decision (counted as
    /// accepted meanwhile), in rank order.
    pub undecided: Vec<ApplicationId>,
    /// Every application, in rank order.
    pub applications: Vec<ApplicationOutcome>,
}

impl Selection {
    pub fn outcome(&self, id: ApplicationId) -> Option<&ApplicationOutcome> {
        self.applications.iter().find(|o| o.application_id == id)
    }

    /// 未使用枠 per band.
    pub fn unused_quota(&self) -> Vec<u32> {
        self.bands.iter().map(|b| b.unused).collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WithdrawalProblemCode {
    UnknownApplication,
    ForeignApplication,
    /// Only a selected hospital can withdraw.
    NotSelected,
    AlreadyWithdrawn,
    EmptyReason,
}

/// The first withdrawal that cannot be applied (later ones depend on it, so they are not
/// looked at).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("withdrawal #{} (application {application_id}): {}", .index + 1, .message.render(mamori_locale::Lang::En))]
pub struct WithdrawalError {
    /// 0-based position in the recorded withdrawals.
    pub index: usize,
    pub application_id: ApplicationId,
    pub code: WithdrawalProblemCode,
    pub message: Message,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectionError {
    #[error("the program is not valid: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    InvalidProgram(Vec<ParseError>),
    #[error("{}", self.message().render(crate::Lang::En))]
    NoQuota(Prefecture),
    #[error("application id {0} is given more than once")]
    DuplicateApplicationId(ApplicationId),
    #[error(transparent)]
    Ranking(#[from] RankingError),
    #[error(transparent)]
    Withdrawal(#[from] WithdrawalError),
}

impl SelectionError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidProgram(_) => "invalid_program",
            Self::NoQuota(_) => "no_quota",
            Self::DuplicateApplicationId(_) => "duplicate_application_id",
            Self::Ranking(_) => "invalid_ranking",
            Self::Withdrawal(_) => "invalid_withdrawal",
        }
    }

    pub fn message(&self) -> Message {
        match self {
            Self::InvalidProgram(errors) => {
                Message::new("domain-assurance-selection-invalid-program").with(
                    "errors",
                    crate::joined(
                        errors.iter().map(|e| e.message.clone()),
                        "domain-join-slash",
                    ),
                )
            }
            Self::NoQuota(p) => Message::new("domain-assurance-selection-no-quota")
                .with("prefecture", crate::bilingual(p.name_ja(), p.name_en())),
            Self::DuplicateApplicationId(id) => {
                Message::new("domain-assurance-selection-duplicate-id").with("id", id.to_string())
            }
            Self::Ranking(e) => e.message(),
            Self::Withdrawal(e) => Message::new("domain-assurance-selection-withdrawal")
                .with("number", e.index + 1)
                .with("id", e.application_id.to_string())
                .with("problem", e.message.clone()),
        }
    }
}

/// The applications indexed by id.
struct Index<'a> {
    apps: &'a [Application],
    by_id: HashMap<ApplicationId, usize>,
}

impl<'a> Index<'a> {
    fn build(apps: &'a [Application]) -> Result<Self, SelectionError> {
        let mut by_id = HashMap::with_capacity(apps.len());
        for (i, app) in apps.iter().enumerate() {
            if by_id.insert(app.id, i).is_some() {
                return Err(SelectionError::DuplicateApplicationId(app.id));
            }
        }
        Ok(Self { apps, by_id })
    }
}

/// Selects a prefecture's hospitals.
///
/// `applications` may hold every prefecture's (only `prefecture`'s are selected; the others
/// tell a foreign id in the ranking from an unknown one). `ranking` must rank each of the
/// prefecture's applications exactly once, 1..n. `withdrawals` are applied in the order given.
pub fn select(
    program: &Program,
    prefecture: Prefecture,
    applications: &[Application],
    ranking: &[RankEntry],
    withdrawals: &[Withdrawal],
) -> Result<Selection, SelectionError> {
    program.validate().map_err(SelectionError::InvalidProgram)?;
    let index = Index::build(applications)?;
    let members: Vec<usize> = applications
        .iter()
        .enumerate()
        .filter(|(_, a)| a.prefecture == prefecture)
        .map(|(i, _)| i)
        .collect();
    run(
        program,
        &Assessor::new(program),
        &index,
        prefecture,
        &members,
        ranking,
        withdrawals,
    )
}

/// Selects every prefecture at once: those with an application, a ranking or a withdrawal.
/// An error of the whole input (invalid program, duplicate id) is the outer `Err`; each
/// prefecture's own problems are in its entry.
#[allow(clippy::type_complexity)]
pub fn select_national(
    program: &Program,
    applications: &[Application],
    rankings: &BTreeMap<Prefecture, Vec<RankEntry>>,
    withdrawals: &BTreeMap<Prefecture, Vec<Withdrawal>>,
) -> Result<BTreeMap<Prefecture, Result<Selection, SelectionError>>, SelectionError> {
    program.validate().map_err(SelectionError::InvalidProgram)?;
    let index = Index::build(applications)?;
    let assessor = Assessor::new(program);
    let mut groups: BTreeMap<Prefecture, Vec<usize>> = BTreeMap::new();
    for (i, app) in applications.iter().enumerate() {
        groups.entry(app.prefecture).or_default().push(i);
    }
    let prefectures: BTreeSet<Prefecture> = groups
        .keys()
        .chain(rankings.keys())
        .chain(withdrawals.keys())
        .copied()
        .collect();
    Ok(prefectures
        .into_iter()
        .map(|p| {
            let members = groups.get(&p).map_or(&[][..], Vec::as_slice);
            let ranking = rankings.get(&p).map_or(&[][..], Vec::as_slice);
            let withdrawn = withdrawals.get(&p).map_or(&[][..], Vec::as_slice);
            let result = run(program, &assessor, &index, p, members, ranking, withdrawn);
            (p, result)
        })
        .collect())
}

fn run(
    program: &Program,
    assessor: &Assessor<'_>,
    index: &Index<'_>,
    prefecture: Prefecture,
    members: &[usize],
    ranking: &[RankEntry],
    withdrawals: &[Withdrawal],
) -> Result<Selection, SelectionError> {
    let quotas = program
        .quota_for(prefecture)
        .ok_or(SelectionError::NoQuota(prefecture))?;
    let position: HashMap<usize, usize> =
        members.iter().enumerate().map(|(p, &g)| (g, p)).collect();
    let eligibility: Vec<Eligibility> = members
        .iter()
        .map(|&g| assessor.assess(&index.apps[g]))
        .collect();
    let local = Local {
        apps: index.apps,
        by_id: &index.by_id,
        members,
        position: &position,
        eligibility: &eligibility,
    };
    let order = ranking::check(prefecture, &local, ranking)?;

    // One outcome per rank, then the walk down the ranking.
    let band_count = program.bands.len();
    let mut selected_count = vec![0u32; band_count];
    let mut waiting: Vec<VecDeque<usize>> = vec![VecDeque::new(); band_count];
    let mut rows: Vec<ApplicationOutcome> = Vec::with_capacity(order.len());
    let mut eligibility = eligibility;
    for (r, &entry_index) in order.iter().enumerate() {
        let entry = &ranking[entry_index];
        let pos = index
            .by_id
            .get(&entry.application_id)
            .and_then(|g| position.get(g))
            .copied()
            .unwrap_or_default();
        let mut elig = std::mem::replace(
            &mut eligibility[pos],
            Eligibility {
                band: None,
                reasons: vec![],
                flags: vec![],
            },
        );
        if entry.decision == Some(FlagDecision::Decline) {
            elig.reasons.push(declined(&elig));
        }
        let band = elig.band;
        let status = match band {
            Some(b) if elig.is_eligible() => {
                if selected_count[b] < quotas[b] {
                    selected_count[b] += 1;
                    ApplicationStatus::Selected
                } else {
                    waiting[b].push_back(r);
                    ApplicationStatus::Waitlisted
                }
            }
            _ => ApplicationStatus::Ineligible,
        };
        rows.push(ApplicationOutcome {
            application_id: entry.application_id,
            rank: entry.rank,
            band,
            status,
            waitlist_position: None,
            eligibility: elig,
            rank_reasons: entry.reasons.clone(),
            decision: entry.decision,
            replaced: None,
            replaced_by: None,
            withdrawal: None,
        });
    }

    let row_of: HashMap<ApplicationId, usize> = rows
        .iter()
        .enumerate()
        .map(|(r, o)| (o.application_id, r))
        .collect();
    let mut withdrawn = Vec::with_capacity(withdrawals.len());
    let mut withdrawn_count = vec![0u32; band_count];
    for (i, w) in withdrawals.iter().enumerate() {
        let fail = |code, message: Message| {
            Err(SelectionError::Withdrawal(WithdrawalError {
                index: i,
                application_id: w.application_id,
                code,
                message,
            }))
        };
        if w.reason.trim().is_empty() {
            return fail(
                WithdrawalProblemCode::EmptyReason,
                Message::new("domain-assurance-withdrawal-empty-reason"),
            );
        }
        let Some(&r) = row_of.get(&w.application_id) else {
            return if index.by_id.contains_key(&w.application_id) {
                fail(
                    WithdrawalProblemCode::ForeignApplication,
                    Message::new("domain-assurance-withdrawal-foreign")
                        .with("id", w.application_id.to_string())
                        .with(
                            "prefecture",
                            crate::bilingual(prefecture.name_ja(), prefecture.name_en()),
                        ),
                )
            } else {
                fail(
                    WithdrawalProblemCode::UnknownApplication,
                    Message::new("domain-assurance-withdrawal-unknown")
                        .with("id", w.application_id.to_string()),
                )
            };
        };
        let status = rows[r].status;
        match status {
            ApplicationStatus::Selected => {}
            ApplicationStatus::Withdrawn => {
                return fail(
                    WithdrawalProblemCode::AlreadyWithdrawn,
                    Message::new("domain-assurance-withdrawal-already"),
                );
            }
            ApplicationStatus::Waitlisted | ApplicationStatus::Ineligible => {
                return fail(
                    WithdrawalProblemCode::NotSelected,
                    Message::new("domain-assurance-withdrawal-not-selected").with(
                        "status",
                        crate::bilingual(status.label_ja(), status.label_en().to_lowercase()),
                    ),
                );
            }
        }
        // A selected row always has a band.
        let b = rows[r].band.unwrap_or_default();
        rows[r].status = ApplicationStatus::Withdrawn;
        rows[r].withdrawal = Some(w.clone());
        withdrawn_count[b] += 1;
        let replaced_by = match waiting[b].pop_front() {
            Some(next) => {
                rows[next].status = ApplicationStatus::Selected;
                rows[next].replaced = Some(w.application_id);
                Some(rows[next].application_id)
            }
            None => {
                selected_count[b] -= 1;
                None
            }
        };
        rows[r].replaced_by = replaced_by;
        withdrawn.push(WithdrawnEntry {
            application_id: w.application_id,
            rank: rows[r].rank,
            band: b,
            date: w.date,
            reason: w.reason.clone(),
            replaced_by,
        });
    }

    let mut waitlisted_count = vec![0u32; band_count];
    let mut selected = Vec::new();
    let mut waitlisted = Vec::new();
    let mut ineligible = Vec::new();
    let mut undecided = Vec::new();
    for row in &mut rows {
        match row.status {
            ApplicationStatus::Selected => selected.push(row.application_id),
            ApplicationStatus::Waitlisted => {
                let b = row.band.unwrap_or_default();
                waitlisted_count[b] += 1;
                row.waitlist_position = Some(waitlisted_count[b]);
                waitlisted.push(row.application_id);
            }
            ApplicationStatus::Ineligible => ineligible.push(IneligibleEntry {
                application_id: row.application_id,
                rank: row.rank,
                reasons: row.eligibility.reasons.clone(),
            }),
            ApplicationStatus::Withdrawn => {}
        }
        if row.eligibility.is_eligible()
            && row.eligibility.needs_decision()
            && row.decision.is_none()
        {
            undecided.push(row.application_id);
        }
    }
    let bands = program
        .bands
        .as_slice()
        .iter()
        .enumerate()
        .map(|(b, &band)| BandSummary {
            band,
            quota: quotas[b],
            selected: selected_count[b],
            waitlisted: waitlisted_count[b],
            withdrawn: withdrawn_count[b],
            unused: quotas[b] - selected_count[b],
        })
        .collect();
    Ok(Selection {
        prefecture,
        selected,
        waitlisted,
        ineligible,
        withdrawn,
        bands,
        undecided,
        applications: rows,
    })
}

fn declined(elig: &Eligibility) -> Ineligibility {
    let flags = elig
        .flags
        .iter()
        .filter(|f| f.needs_decision)
        .map(|f| f.message.clone());
    Ineligibility {
        code: IneligibilityCode::DeclinedByPrefecture,
        message: Message::new("domain-assurance-declined")
            .with("flags", crate::joined(flags, "domain-join-slash")),
    }
}

#[cfg(test)]
mod tests;

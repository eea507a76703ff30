//! Keeping institutions' fiscal-year states (`year_states`, their counts and `open_targets`)
//! in the transaction that changes what they are computed from.
//!
//! A batch of institution years is read with three queries per fiscal year in it (the
//! profiles with the inspector's record and the kept state, the answers, the open target
//! dates), computed by the domain's rules, and written only where something changed: most
//! answers change neither the state nor the open dates, and then nothing is written. The
//! statements per batch do not grow with its size, which keeps the group-commit writer's
//! cost per answer close to what it was before states were kept.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, OnceLock};

use mamori_domain::oversight::YearStatus;
use mamori_domain::{Answer, FiscalYear, InstitutionKind, InstitutionProfile, ItemAnswers};

use crate::vendors::{AnswerRow, fold_answers};
use crate::{BeginWrite, Pool, Result, Store, StoreError};

/// What the store knows of an institution's fiscal year when it recomputes its status.
pub struct YearFacts<'a> {
    pub fiscal_year: FiscalYear,
    pub profile: InstitutionProfile,
    pub answers: &'a HashMap<String, ItemAnswers>,
    /// What the inspector recorded of the contact chart on site: `None` until recorded.
    pub contact_chart_seen: Option<bool>,
}

/// The domain's rules for a year's status, given to the store by the service layer (which
/// holds the catalog): `None` when no checklist covers that year for the institution.
pub type YearRules = Arc<dyn Fn(&YearFacts<'_>) -> Option<YearStatus> + Send + Sync>;

/// Where a store keeps its [`YearRules`] once given.
#[derive(Clone, Default)]
pub(crate) struct RulesSlot(Arc<OnceLock<YearRules>>);

impl RulesSlot {
    pub(crate) fn get(&self) -> Option<&YearRules> {
        self.0.get()
    }
}

impl std::fmt::Debug for RulesSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.get().is_some() {
            "RulesSlot(given)"
        } else {
            "RulesSlot(none)"
        })
    }
}

/// An institution as its year is kept: its profile, the inspector's record of the year, and
/// the state kept for the year (with the profile it was counted under), if any.
#[derive(sqlx::FromRow)]
pub(crate) struct KeptYear {
    pub(crate) id: i64,
    pub(crate) kind: String,
    pub(crate) has_medical_information_system: bool,
    pub(crate) has_vendor_contracts: bool,
    pub(crate) prefecture: String,
    pub(crate) oversight_kind: String,
    pub(crate) contact_chart_seen: Option<bool>,
    pub(crate) state: Option<String>,
    pub(crate) counted_prefecture: Option<String>,
    pub(crate) counted_oversight_kind: Option<String>,
    pub(crate) counted_kind: Option<String>,
    pub(crate) counted_has_medical_information_system: Option<bool>,
    pub(crate) counted_has_vendor_contracts: Option<bool>,
    /// The items counted as answered いいえ in the first round, as [`answered_no`] writes them.
    pub(crate) counted_answered_no: Option<String>,
    /// The year's answers in one text, as [`split_answers`] reads them.
    pub(crate) answers: Option<String>,
    /// The year's open target dates in one text, as [`split_targets`] reads them.
    pub(crate) targets: Option<String>,
}

/// What [`write_year_statuses`] reads of each institution of a batch, in one statement: rows
/// cost more to carry than to read, so the year's answers and open target dates come joined
/// into one text each (`string_agg`, which both engines have; SQLite since 3.44). Answers are
/// `key:round:answer:checked_on:target_date`, target dates `key:date`, comma-separated; item
/// keys hold neither separator. The year is bound between the pieces, then the ids follow.
pub(crate) const KEPT_YEAR_SQL: [&str; 5] = [
    "SELECT i.id, i.kind, i.has_medical_information_system, i.has_vendor_contracts, i.prefecture, i.oversight_kind, o.contact_chart_seen, s.state, s.prefecture AS counted_prefecture, s.oversight_kind AS counted_oversight_kind, s.kind AS counted_kind, s.has_medical_information_system AS counted_has_medical_information_system, s.has_vendor_contracts AS counted_has_vendor_contracts, s.answered_no AS counted_answered_no, \
     (SELECT string_agg(a.item_key || ':' || a.round || ':' || a.answer || ':' || a.checked_on || ':' || COALESCE(a.target_date, ''), ',') FROM answers a WHERE a.institution_id = i.id AND a.fiscal_year = ",
    ") AS answers, (SELECT string_agg(t.item_key || ':' || t.target_date || ':' || t.prefecture || ':' || t.oversight_kind, ',') FROM open_targets t WHERE t.institution_id = i.id AND t.fiscal_year = ",
    ") AS targets FROM institutions i LEFT JOIN inspection_observations o ON o.institution_id = i.id AND o.fiscal_year = ",
    " LEFT JOIN year_states s ON s.institution_id = i.id AND s.fiscal_year = ",
    " WHERE i.id IN (",
];

/// The open target dates of [`KEPT_YEAR_SQL`]'s text, as kept rows of `institution_id`.
fn split_targets(institution_id: i64, text: &str) -> Result<BTreeSet<TargetRow>> {
    text.split(',')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let fields: Vec<&str> = part.split(':').collect();
            let [key, date, prefecture, kind] = fields.as_slice() else {
                return Err(StoreError::Corrupt(format!("open target date {part}")));
            };
            Ok((
                institution_id,
                (*key).to_owned(),
                (*date).to_owned(),
                (*prefecture).to_owned(),
                (*kind).to_owned(),
            ))
        })
        .collect()
}

/// The answer rows of [`KEPT_YEAR_SQL`]'s text.
fn split_answers(text: &str) -> Result<Vec<AnswerRow>> {
    text.split(',')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let fields: Vec<&str> = part.split(':').collect();
            let [key, round, answer, checked_on, target] = fields.as_slice() else {
                return Err(StoreError::Corrupt(format!("answer {part}")));
            };
            Ok(AnswerRow {
                item_key: (*key).to_owned(),
                round: round
                    .parse()
                    .map_err(|_| StoreError::Corrupt(format!("answer round {part}")))?,
                answer: (*answer).to_owned(),
                checked_on: (*checked_on).to_owned(),
                target_date: (!target.is_empty()).then(|| (*target).to_owned()),
            })
        })
        .collect()
}

/// An open target date as kept: (institution, item, date, prefecture, kind).
pub(crate) type TargetRow = (i64, String, String, String, String);

/// What counts a state: (prefecture, oversight kind, kind, has a system, has vendors, state).
pub(crate) type CountedAs = (String, String, String, bool, bool, String);

/// What counts open target dates: (prefecture, oversight kind, date).
pub(crate) type TargetsOn = (String, String, String);

/// The items answered いいえ in the first round (1回目), sorted and comma-separated: how a
/// state row keeps what it was counted in `answered_no_counts` under.
fn answered_no(answers: &HashMap<String, ItemAnswers>) -> String {
    let mut keys: Vec<&str> = answers
        .iter()
        .filter(|(_, a)| a.first.as_ref().is_some_and(|f| f.answer == Answer::No))
        .map(|(key, _)| key.as_str())
        .collect();
    keys.sort_unstable();
    keys.join(",")
}

/// Adds `sign` to the counts of `targets` (an institution's open target dates): one target
/// per row, and the institution once, at its earliest date.
fn count_targets(
    counts: &mut BTreeMap<TargetsOn, (i64, i64)>,
    targets: &BTreeSet<TargetRow>,
    sign: i64,
) {
    for (_, _, date, prefecture, kind) in targets {
        counts
            .entry((prefecture.clone(), kind.clone(), date.clone()))
            .or_default()
            .0 += sign;
    }
    if let Some((_, _, date, prefecture, kind)) = targets.iter().min_by(|a, b| a.2.cmp(&b.2)) {
        counts
            .entry((prefecture.clone(), kind.clone(), date.clone()))
            .or_default()
            .1 += sign;
    }
}

/// What a batch must write.
#[derive(Default)]
pub(crate) struct YearChanges {
    /// Institutions whose state row is written (inserted or replaced), with the items they
    /// answered いいえ.
    pub(crate) states: Vec<(i64, CountedAs, String)>,
    /// Institutions whose state row goes (no checklist covers the year for them).
    pub(crate) gone: Vec<i64>,
    /// Changes to the kept counts.
    pub(crate) counts: Vec<(CountedAs, i64)>,
    /// Institutions whose open target dates are replaced by `targets`.
    pub(crate) retargeted: Vec<i64>,
    pub(crate) targets: Vec<TargetRow>,
    /// Changes to the kept counts of open target dates: (targets, institutions at their
    /// earliest).
    pub(crate) target_counts: Vec<(TargetsOn, (i64, i64))>,
    /// Changes to the kept counts of items answered いいえ: (prefecture, item key).
    pub(crate) no_counts: Vec<((String, String), i64)>,
}

impl YearChanges {
    pub(crate) fn is_empty(&self) -> bool {
        self.states.is_empty()
            && self.gone.is_empty()
            && self.counts.is_empty()
            && self.retargeted.is_empty()
            && self.target_counts.is_empty()
            && self.no_counts.is_empty()
    }
}

/// The answers of a kept year, read from their text.
pub(crate) fn kept_answers(year: &KeptYear) -> Result<HashMap<String, ItemAnswers>> {
    fold_answers(split_answers(year.answers.as_deref().unwrap_or(""))?)
}

/// What the rules make of one fiscal year's batch, against what is kept: each kept year
/// with its answers as they now stand.
pub(crate) fn year_changes<'a>(
    rules: &YearRules,
    fiscal_year: FiscalYear,
    kept: impl IntoIterator<Item = (KeptYear, &'a HashMap<String, ItemAnswers>)>,
) -> Result<YearChanges> {
    let mut counts: BTreeMap<CountedAs, i64> = BTreeMap::new();
    let mut target_counts: BTreeMap<TargetsOn, (i64, i64)> = BTreeMap::new();
    let mut no_counts: BTreeMap<(String, String), i64> = BTreeMap::new();
    let mut out = YearChanges::default();
    for (year, answers) in kept {
        let profile = InstitutionProfile {
            kind: InstitutionKind::parse(&year.kind)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            has_medical_information_system: year.has_medical_information_system,
            has_vendor_contracts: year.has_vendor_contracts,
        };
        let targets = split_targets(year.id, year.targets.as_deref().unwrap_or(""))?;
        let status = rules(&YearFacts {
            fiscal_year,
            profile,
            answers,
            contact_chart_seen: year.contact_chart_seen,
        });
        let before: Option<CountedAs> = match (
            year.state,
            year.counted_prefecture,
            year.counted_oversight_kind,
            year.counted_kind,
            year.counted_has_medical_information_system,
            year.counted_has_vendor_contracts,
        ) {
            (Some(state), Some(p), Some(o), Some(k), Some(m), Some(v)) => {
                Some((p, o, k, m, v, state))
            }
            _ => None,
        };
        let after: Option<CountedAs> = status.as_ref().map(|s| {
            (
                year.prefecture.clone(),
                year.oversight_kind.clone(),
                year.kind.clone(),
                year.has_medical_information_system,
                year.has_vendor_contracts,
                s.state.as_str().to_owned(),
            )
        });
        let no_before = year.counted_answered_no.unwrap_or_default();
        let no_after = after
            .as_ref()
            .map(|_| answered_no(answers))
            .unwrap_or_default();
        let counted_changed = before != after;
        let no_changed = (before.as_ref().map(|b| &b.0), &no_before)
            != (after.as_ref().map(|a| &a.0), &no_after);
        if counted_changed {
            if let Some(key) = &before {
                *counts.entry(key.clone()).or_default() -= 1;
            }
            if let Some(key) = &after {
                *counts.entry(key.clone()).or_default() += 1;
            }
        }
        if no_changed {
            for (counted, keys, sign) in [(&before, &no_before, -1), (&after, &no_after, 1)] {
                if let Some((prefecture, ..)) = counted {
                    for key in keys.split(',').filter(|k| !k.is_empty()) {
                        *no_counts
                            .entry((prefecture.clone(), key.to_owned()))
                            .or_default() += sign;
                    }
                }
            }
        }
        if counted_changed || no_changed {
            match &after {
                Some(key) => out.states.push((year.id, key.clone(), no_after)),
                None => out.gone.push(year.id),
            }
        }
        let wanted: BTreeSet<TargetRow> = status
            .map(|s| s.open_targets)
            .unwrap_or_default()
            .into_iter()
            .map(|(key, date)| {
                (
                    year.id,
                    key,
                    date.to_string(),
                    year.prefecture.clone(),
                    year.oversight_kind.clone(),
                )
            })
            .collect();
        if targets != wanted {
            count_targets(&mut target_counts, &targets, -1);
            count_targets(&mut target_counts, &wanted, 1);
            out.retargeted.push(year.id);
            out.targets.extend(wanted);
        }
    }
    out.counts = counts.into_iter().filter(|(_, n)| *n != 0).collect();
    out.target_counts = target_counts
        .into_iter()
        .filter(|(_, n)| *n != (0, 0))
        .collect();
    out.no_counts = no_counts.into_iter().filter(|(_, n)| *n != 0).collect();
    Ok(out)
}

/// Pushes `$ids` as bound parameters, comma-separated, and the `)` that closes an `IN (`.
macro_rules! push_ids {
    ($q:expr, $ids:expr) => {{
        let mut list = $q.separated(", ");
        for id in $ids {
            list.push_bind(*id);
        }
        $q.push(")");
    }};
}
pub(crate) use push_ids;

/// Reads the kept years of `$ids` (institution ids) for the fiscal year `$year` (an `i64`)
/// inside `$tx`: a `Vec<KeptYear>`, one statement.
macro_rules! read_kept_years {
    ($tx:expr, $year:expr, $ids:expr) => {{
        let [head, rest @ ..] = $crate::year_states::KEPT_YEAR_SQL;
        let mut q = sqlx::QueryBuilder::new(head);
        for piece in rest {
            q.push_bind($year).push(piece);
        }
        $crate::year_states::push_ids!(q, $ids);
        let kept: Vec<$crate::year_states::KeptYear> =
            q.build_query_as().fetch_all(&mut *$tx).await?;
        kept
    }};
}
pub(crate) use read_kept_years;

/// Writes what [`year_changes`] found for the fiscal year `$year` (an `i64`) inside `$tx`.
macro_rules! write_year_changes {
    ($tx:expr, $year:expr, $changes:expr) => {{
        let year: i64 = $year;
        let changes: $crate::year_states::YearChanges = $changes;
        if !changes.is_empty() {
            if !changes.states.is_empty() {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO year_states (institution_id, fiscal_year, state, prefecture, oversight_kind, kind, has_medical_information_system, has_vendor_contracts, answered_no) ",
                );
                q.push_values(&changes.states, |mut b, (id, (p, o, k, m, v, state), no)| {
                    b.push_bind(*id)
                        .push_bind(year)
                        .push_bind(state.clone())
                        .push_bind(p.clone())
                        .push_bind(o.clone())
                        .push_bind(k.clone())
                        .push_bind(*m)
                        .push_bind(*v)
                        .push_bind(no.clone());
                });
                q.push(" ON CONFLICT (institution_id, fiscal_year) DO UPDATE SET state = excluded.state, prefecture = excluded.prefecture, oversight_kind = excluded.oversight_kind, kind = excluded.kind, has_medical_information_system = excluded.has_medical_information_system, has_vendor_contracts = excluded.has_vendor_contracts, answered_no = excluded.answered_no");
                q.build().execute(&mut *$tx).await?;
            }
            if !changes.gone.is_empty() {
                let mut q = sqlx::QueryBuilder::new("DELETE FROM year_states WHERE fiscal_year = ");
                q.push_bind(year).push(" AND institution_id IN (");
                $crate::year_states::push_ids!(q, &changes.gone);
                q.build().execute(&mut *$tx).await?;
            }
            if !changes.counts.is_empty() {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO year_state_counts (fiscal_year, prefecture, oversight_kind, kind, has_medical_information_system, has_vendor_contracts, state, n) ",
                );
                q.push_values(&changes.counts, |mut b, ((p, o, k, m, v, state), n)| {
                    b.push_bind(year)
                        .push_bind(p.clone())
                        .push_bind(o.clone())
                        .push_bind(k.clone())
                        .push_bind(*m)
                        .push_bind(*v)
                        .push_bind(state.clone())
                        .push_bind(*n);
                });
                q.push(" ON CONFLICT (fiscal_year, prefecture, oversight_kind, kind, has_medical_information_system, has_vendor_contracts, state) DO UPDATE SET n = year_state_counts.n + excluded.n");
                q.build().execute(&mut *$tx).await?;
            }
            if !changes.retargeted.is_empty() {
                let mut q = sqlx::QueryBuilder::new("DELETE FROM open_targets WHERE fiscal_year = ");
                q.push_bind(year).push(" AND institution_id IN (");
                $crate::year_states::push_ids!(q, &changes.retargeted);
                q.build().execute(&mut *$tx).await?;
            }
            if !changes.targets.is_empty() {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO open_targets (institution_id, fiscal_year, item_key, target_date, prefecture, oversight_kind) ",
                );
                q.push_values(&changes.targets, |mut b, (id, key, date, p, o)| {
                    b.push_bind(*id)
                        .push_bind(year)
                        .push_bind(key.clone())
                        .push_bind(date.clone())
                        .push_bind(p.clone())
                        .push_bind(o.clone());
                });
                q.build().execute(&mut *$tx).await?;
            }
            if !changes.target_counts.is_empty() {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO open_target_counts (fiscal_year, prefecture, oversight_kind, target_date, targets, institutions) ",
                );
                q.push_values(&changes.target_counts, |mut b, ((p, o, date), (targets, institutions))| {
                    b.push_bind(year)
                        .push_bind(p.clone())
                        .push_bind(o.clone())
                        .push_bind(date.clone())
                        .push_bind(*targets)
                        .push_bind(*institutions);
                });
                q.push(" ON CONFLICT (fiscal_year, prefecture, oversight_kind, target_date) DO UPDATE SET targets = open_target_counts.targets + excluded.targets, institutions = open_target_counts.institutions + excluded.institutions");
                q.build().execute(&mut *$tx).await?;
            }
            if !changes.no_counts.is_empty() {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO answered_no_counts (fiscal_year, prefecture, item_key, n) ",
                );
                q.push_values(&changes.no_counts, |mut b, ((p, key), n)| {
                    b.push_bind(year)
                        .push_bind(p.clone())
                        .push_bind(key.clone())
                        .push_bind(*n);
                });
                q.push(" ON CONFLICT (fiscal_year, prefecture, item_key) DO UPDATE SET n = answered_no_counts.n + excluded.n");
                q.build().execute(&mut *$tx).await?;
            }
        }
    }};
}
pub(crate) use write_year_changes;

/// Recomputes the fiscal years `$years` (a `&[(i64, FiscalYear)]` of institution and year)
/// inside the write transaction `$tx`, from the answers, profiles and inspector's records as
/// they stand there, if the store has its rules (`$slot`). Unless `$locked` (the caller holds
/// it already), takes the audit head's lock first, which orders it with every other writer.
macro_rules! write_year_statuses {
    ($slot:expr, $tx:expr, $years:expr, $locked:expr) => {{
        let years: &[(i64, mamori_domain::FiscalYear)] = $years;
        if let Some(rules) = $slot.get()
            && !years.is_empty()
        {
            if !$locked {
                sqlx::query("UPDATE audit_chain_head SET seq = seq WHERE id = 1")
                    .execute(&mut *$tx)
                    .await?;
            }
            let mut by_year: std::collections::BTreeMap<
                mamori_domain::FiscalYear,
                std::collections::BTreeSet<i64>,
            > = std::collections::BTreeMap::new();
            for (id, fiscal_year) in years {
                by_year.entry(*fiscal_year).or_default().insert(*id);
            }
            for (fiscal_year, ids) in by_year {
                let year = i64::from(fiscal_year.start_year());
                let kept = $crate::year_states::read_kept_years!($tx, year, &ids);
                let answers = kept
                    .iter()
                    .map($crate::year_states::kept_answers)
                    .collect::<$crate::Result<Vec<_>>>()?;
                let changes = $crate::year_states::year_changes(
                    rules,
                    fiscal_year,
                    kept.into_iter().zip(&answers),
                )?;
                $crate::year_states::write_year_changes!($tx, year, changes);
            }
        }
    }};
}
pub(crate) use write_year_statuses;

/// Recomputes one institution's fiscal year inside the write transaction `$tx`: a batch of
/// one for [`crate::year_states::write_year_statuses`], which takes the audit head's lock.
macro_rules! write_year_status {
    ($slot:expr, $tx:expr, $institution_id:expr, $fiscal_year:expr) => {{
        let years: [(i64, mamori_domain::FiscalYear); 1] = [($institution_id, $fiscal_year)];
        $crate::year_states::write_year_statuses!($slot, $tx, &years, false);
    }};
}
pub(crate) use write_year_status;

impl Store {
    /// Recomputes one institution's fiscal year in its own transaction, for the changes that
    /// are not answers (a cleared answer, the institution's profile, the inspector's record).
    pub async fn refresh_year_status(
        &self,
        institution_id: i64,
        fiscal_year: FiscalYear,
    ) -> Result<()> {
        let _turn = self.write_turn().await;
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            write_year_status!(self.year_rules, tx, institution_id, fiscal_year);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Gives the store the rules it keeps each institution's year with. Given once; the
    /// store keeps no year states without them.
    pub fn keep_year_states(&self, rules: YearRules) {
        let _ = self.year_rules.0.set(rules);
    }

    /// Recomputes every institution's year that has answers and no state yet (answers
    /// stored before states were kept, or while the store had no rules).
    pub async fn fill_year_states(&self) -> Result<usize> {
        let missing: Vec<(i64, i64)> = self
            .select_all(
                "SELECT DISTINCT a.institution_id, a.fiscal_year FROM answers a WHERE NOT EXISTS (SELECT 1 FROM year_states s WHERE s.institution_id = a.institution_id AND s.fiscal_year = a.fiscal_year) ORDER BY 1, 2",
            )
            .await?;
        for (institution_id, year) in &missing {
            let fiscal_year = i32::try_from(*year)
                .ok()
                .and_then(|y| FiscalYear::new(y).ok())
                .ok_or_else(|| StoreError::Corrupt(format!("fiscal year {year}")))?;
            self.refresh_year_status(*institution_id, fiscal_year)
                .await?;
        }
        Ok(missing.len())
    }
}

//! What oversight reads: where each institution stands with a fiscal year (`year_states`),
//! its open target dates (`open_targets`), and the search over institutions.
//!
//! A year's state is written in the transaction that changes what it is computed from (an
//! answer, a cleared answer, the institution's profile, the inspector's record), under the
//! audit head's lock, which every writer takes: a state is always computed from what every
//! earlier transaction left, whichever server wrote it. The computation is the domain's
//! ([`mamori_domain::oversight::year_status`]), handed to the store as [`YearRules`] by the
//! service layer, which holds the catalog.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use chrono::NaiveDate;
use mamori_domain::oversight::{OversightKind, YearState, YearStatus};
use mamori_domain::text::fold::search_key;
use mamori_domain::{
    FiscalYear, InstitutionKind, InstitutionProfile, InstitutionScope, ItemAnswers, Prefecture,
};
use sqlx::QueryBuilder;

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

/// What a count is kept by: the institution's prefecture, kind and profile, and (for a kept
/// state) the state; `state` is empty for the count of institutions.
#[derive(sqlx::FromRow)]
pub(crate) struct CountKey {
    pub(crate) prefecture: String,
    pub(crate) oversight_kind: String,
    pub(crate) kind: String,
    pub(crate) has_medical_information_system: bool,
    pub(crate) has_vendor_contracts: bool,
    pub(crate) state: String,
}

/// Adds `$delta` to the count of kept states of `$key` in fiscal year `$year`, inside `$tx`.
macro_rules! count_state {
    ($tx:expr, $year:expr, $key:expr, $delta:expr) => {{
        let key: $crate::oversight::CountKey = $key;
        sqlx::query(
            "INSERT INTO year_state_counts (fiscal_year, prefecture, oversight_kind, kind, has_medical_information_system, has_vendor_contracts, state, n) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (fiscal_year, prefecture, oversight_kind, kind, has_medical_information_system, has_vendor_contracts, state) DO UPDATE SET n = year_state_counts.n + excluded.n",
        )
        .bind($year)
        .bind(key.prefecture)
        .bind(key.oversight_kind)
        .bind(key.kind)
        .bind(key.has_medical_information_system)
        .bind(key.has_vendor_contracts)
        .bind(key.state)
        .bind(i64::from($delta))
        .execute(&mut *$tx)
        .await?;
    }};
}
pub(crate) use count_state;

/// Adds `$delta` to the count of institutions with the profile of institution `$id` as it
/// stands inside `$tx`.
macro_rules! count_institution {
    ($tx:expr, $id:expr, $delta:expr) => {{
        sqlx::query(
            "INSERT INTO institution_counts (prefecture, oversight_kind, kind, has_medical_information_system, has_vendor_contracts, n) SELECT prefecture, oversight_kind, kind, has_medical_information_system, has_vendor_contracts, $2 FROM institutions WHERE id = $1 ON CONFLICT (prefecture, oversight_kind, kind, has_medical_information_system, has_vendor_contracts) DO UPDATE SET n = institution_counts.n + excluded.n",
        )
        .bind($id)
        .bind(i64::from($delta))
        .execute(&mut *$tx)
        .await?;
    }};
}
pub(crate) use count_institution;

/// The separator of the parts of a search key; the input guard refuses control characters in
/// what people type, so a search cannot match across two parts.
const KEY_PARTS: char = '\u{1F}';

/// The key an institution is searched by: its name and its municipality's, folded.
pub(crate) fn institution_search_key(name: &str, municipality_name: &str) -> String {
    format!(
        "{}{KEY_PARTS}{}",
        search_key(name),
        search_key(municipality_name)
    )
}

/// Recomputes one institution's fiscal year inside the write transaction `$tx`, from the
/// answers, profile and inspector's record as they stand there, if the store has its rules.
/// Takes the audit head's lock first, which orders it with every other writer.
macro_rules! write_year_status {
    ($slot:expr, $tx:expr, $institution_id:expr, $fiscal_year:expr) => {{
        if let Some(rules) = $slot.get() {
            let institution_id: i64 = $institution_id;
            let fiscal_year: mamori_domain::FiscalYear = $fiscal_year;
            let year = i64::from(fiscal_year.start_year());
            sqlx::query("UPDATE audit_chain_head SET seq = seq WHERE id = 1")
                .execute(&mut *$tx)
                .await?;
            let profile: Option<(String, bool, bool, String, String)> = sqlx::query_as(
                "SELECT kind, has_medical_information_system, has_vendor_contracts, prefecture, oversight_kind FROM institutions WHERE id = $1",
            )
            .bind(institution_id)
            .fetch_optional(&mut *$tx)
            .await?;
            if let Some((kind_text, has_system, has_vendors, prefecture, oversight_kind)) = profile {
                let seen: Option<(bool,)> = sqlx::query_as(
                    "SELECT contact_chart_seen FROM inspection_observations WHERE institution_id = $1 AND fiscal_year = $2",
                )
                .bind(institution_id)
                .bind(year)
                .fetch_optional(&mut *$tx)
                .await?;
                let rows: Vec<$crate::vendors::AnswerRow> = sqlx::query_as(
                    "SELECT item_key, round, answer, checked_on, target_date FROM answers WHERE institution_id = $1 AND fiscal_year = $2",
                )
                .bind(institution_id)
                .bind(year)
                .fetch_all(&mut *$tx)
                .await?;
                let answers = $crate::vendors::fold_answers(rows)?;
                let profile = mamori_domain::InstitutionProfile {
                    kind: mamori_domain::InstitutionKind::parse(&kind_text)
                        .map_err(|e| $crate::StoreError::Corrupt(e.to_string()))?,
                    has_medical_information_system: has_system,
                    has_vendor_contracts: has_vendors,
                };
                let status = rules(&$crate::oversight::YearFacts {
                    fiscal_year,
                    profile,
                    answers: &answers,
                    contact_chart_seen: seen.map(|(s,)| s),
                });
                sqlx::query("DELETE FROM open_targets WHERE institution_id = $1 AND fiscal_year = $2")
                    .bind(institution_id)
                    .bind(year)
                    .execute(&mut *$tx)
                    .await?;
                // The state as it was leaves the counts; the new one joins them below.
                let before: Option<$crate::oversight::CountKey> = sqlx::query_as(
                    "SELECT prefecture, oversight_kind, kind, has_medical_information_system, has_vendor_contracts, state FROM year_states WHERE institution_id = $1 AND fiscal_year = $2",
                )
                .bind(institution_id)
                .bind(year)
                .fetch_optional(&mut *$tx)
                .await?;
                if let Some(key) = before {
                    $crate::oversight::count_state!($tx, year, key, -1);
                }
                match status {
                    None => {
                        sqlx::query("DELETE FROM year_states WHERE institution_id = $1 AND fiscal_year = $2")
                            .bind(institution_id)
                            .bind(year)
                            .execute(&mut *$tx)
                            .await?;
                    }
                    Some(status) => {
                        sqlx::query(
                            "INSERT INTO year_states (institution_id, fiscal_year, state, prefecture, oversight_kind, kind, has_medical_information_system, has_vendor_contracts) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (institution_id, fiscal_year) DO UPDATE SET state = excluded.state, prefecture = excluded.prefecture, oversight_kind = excluded.oversight_kind, kind = excluded.kind, has_medical_information_system = excluded.has_medical_information_system, has_vendor_contracts = excluded.has_vendor_contracts",
                        )
                        .bind(institution_id)
                        .bind(year)
                        .bind(status.state.as_str())
                        .bind(prefecture.clone())
                        .bind(oversight_kind.clone())
                        .bind(kind_text.clone())
                        .bind(has_system)
                        .bind(has_vendors)
                        .execute(&mut *$tx)
                        .await?;
                        $crate::oversight::count_state!(
                            $tx,
                            year,
                            $crate::oversight::CountKey {
                                prefecture: prefecture.clone(),
                                oversight_kind: oversight_kind.clone(),
                                kind: kind_text.clone(),
                                has_medical_information_system: has_system,
                                has_vendor_contracts: has_vendors,
                                state: status.state.as_str().to_owned(),
                            },
                            1
                        );
                        if !status.open_targets.is_empty() {
                            let mut insert = sqlx::QueryBuilder::new(
                                "INSERT INTO open_targets (institution_id, fiscal_year, item_key, target_date, prefecture, oversight_kind) ",
                            );
                            insert.push_values(&status.open_targets, |mut b, (key, date)| {
                                b.push_bind(institution_id)
                                    .push_bind(year)
                                    .push_bind(key.clone())
                                    .push_bind(date.to_string())
                                    .push_bind(prefecture.clone())
                                    .push_bind(oversight_kind.clone());
                            });
                            insert.build().execute(&mut *$tx).await?;
                        }
                    }
                }
            }
        }
    }};
}
pub(crate) use write_year_status;

/// The state of an institution without a row for the year, by its profile: what the domain
/// computes from no answers at all (ready without a medical information system, where the
/// year's form asks that first; not started otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnansweredState {
    pub kind: InstitutionKind,
    pub has_medical_information_system: bool,
    pub has_vendor_contracts: bool,
    pub state: YearState,
}

/// What the list and the counts may be narrowed to.
#[derive(Debug, Clone, Default)]
pub struct OversightFilter {
    /// Part of the name or the municipality (folded as [`search_key`]), or a whole
    /// 医療機関コード or 全国地方公共団体コード.
    pub query: Option<String>,
    pub kind: Option<OversightKind>,
    pub state: Option<YearState>,
    /// Only institutions with a target date past and not met.
    pub overdue_only: bool,
    /// Only institutions with a device in use with a high-severity flag.
    pub flagged_only: bool,
    /// Only institutions with this many beds (病床規模).
    pub beds: Option<mamori_domain::assurance::BedBand>,
    /// Only institutions that have (`true`) or have not (`false`) answered the year's
    /// security-assurance survey (確保事業).
    pub survey_answered: Option<bool>,
}

/// How the list is ordered; ties go by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OversightSort {
    #[default]
    Prefecture,
    Name,
    Beds,
    State,
    Overdue,
}

/// One institution of the oversight list.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OversightRow {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub prefecture: String,
    pub municipality_name: String,
    pub beds: i64,
    pub medical_institution_code: Option<String>,
    pub state: String,
    pub overdue_targets: i64,
    pub flagged_devices: i64,
}

/// Institutions, overdue target dates and open 指摘 counted for one prefecture and kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StateCounts {
    pub institutions: i64,
    pub not_started: i64,
    pub in_progress: i64,
    pub completed: i64,
    pub ready: i64,
    pub overdue_targets: i64,
    pub institutions_with_overdue: i64,
    /// Open 指摘: notified 指導 not yet resolved by an accepted improvement report.
    pub open_remarks: i64,
    pub institutions_with_open_remarks: i64,
    /// Devices in use with a high-severity flag, and by flag.
    pub flagged_devices: i64,
    pub institutions_with_flagged_devices: i64,
    pub end_of_support: i64,
    pub known_exploited: i64,
    pub vulnerable_vpn: i64,
}

impl StateCounts {
    fn add_state(&mut self, state: YearState, n: i64) {
        self.institutions += n;
        *match state {
            YearState::NotStarted => &mut self.not_started,
            YearState::InProgress => &mut self.in_progress,
            YearState::Completed => &mut self.completed,
            YearState::Ready => &mut self.ready,
        } += n;
    }

    /// The sum of two counts.
    pub fn add(&mut self, other: &StateCounts) {
        self.institutions += other.institutions;
        self.not_started += other.not_started;
        self.in_progress += other.in_progress;
        self.completed += other.completed;
        self.ready += other.ready;
        self.overdue_targets += other.overdue_targets;
        self.institutions_with_overdue += other.institutions_with_overdue;
        self.open_remarks += other.open_remarks;
        self.institutions_with_open_remarks += other.institutions_with_open_remarks;
        self.flagged_devices += other.flagged_devices;
        self.institutions_with_flagged_devices += other.institutions_with_flagged_devices;
        self.end_of_support += other.end_of_support;
        self.known_exploited += other.known_exploited;
        self.vulnerable_vpn += other.vulnerable_vpn;
    }
}

/// Where one query over institutions and their year stands starts: the year, today, the
/// scope and the states of institutions without a row.
pub struct YearView<'a> {
    pub fiscal_year: FiscalYear,
    pub today: NaiveDate,
    pub scope: InstitutionScope,
    pub unanswered: &'a [UnansweredState],
}

/// `FROM institutions i` joined with its year, each row's `state` and `overdue_targets`;
/// binds the year, today and the unanswered states.
fn push_year_from<DB: sqlx::Database>(q: &mut QueryBuilder<DB>, view: &YearView<'_>)
where
    for<'t> i64: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> bool: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> String: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> &'static str: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    let year = i64::from(view.fiscal_year.start_year());
    q.push(" FROM (SELECT i.*, COALESCE(s.state, CASE");
    for u in view.unanswered {
        q.push(" WHEN i.kind = ")
            .push_bind(u.kind.as_str())
            .push(" AND i.has_medical_information_system = ")
            .push_bind(u.has_medical_information_system)
            .push(" AND i.has_vendor_contracts = ")
            .push_bind(u.has_vendor_contracts)
            .push(" THEN ")
            .push_bind(u.state.as_str());
    }
    q.push(" ELSE 'not_started' END) AS state, (SELECT COUNT(*) FROM open_targets t WHERE t.institution_id = i.id AND t.fiscal_year = ")
        .push_bind(year)
        .push(" AND t.target_date < ")
        .push_bind(view.today.to_string())
        .push(") AS overdue_targets, COALESCE((SELECT f.flagged_devices FROM device_flag_counts f WHERE f.institution_id = i.id), 0) AS flagged_devices FROM institutions i LEFT JOIN year_states s ON s.institution_id = i.id AND s.fiscal_year = ")
        .push_bind(year);
    match view.scope {
        InstitutionScope::All => q.push(" WHERE TRUE"),
        InstitutionScope::Prefecture(p) => q.push(" WHERE i.prefecture = ").push_bind(p.code()),
        InstitutionScope::Only(id) => q.push(" WHERE i.id = ").push_bind(id),
        InstitutionScope::None => q.push(" WHERE FALSE"),
    };
    q.push(") y WHERE TRUE");
}

/// The filter's conditions on the rows of [`push_year_from`].
fn push_filter<DB: sqlx::Database>(
    q: &mut QueryBuilder<DB>,
    view: &YearView<'_>,
    filter: &OversightFilter,
) where
    for<'t> i64: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> String: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> &'static str: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    if let Some(query) = filter
        .query
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty())
    {
        let key = search_key(query);
        let pattern = format!("%{}%", escape_like(&key));
        q.push(" AND (y.search_key LIKE ")
            .push_bind(pattern)
            .push(" ESCAPE '\\' OR y.medical_institution_code = ")
            .push_bind(key.clone())
            .push(" OR y.municipality_code = ")
            .push_bind(key)
            .push(")");
    }
    if let Some(kind) = filter.kind {
        q.push(" AND y.oversight_kind = ").push_bind(kind.as_str());
    }
    if let Some(state) = filter.state {
        q.push(" AND y.state = ").push_bind(state.as_str());
    }
    if filter.flagged_only {
        q.push(" AND y.flagged_devices > 0");
    }
    if let Some(band) = filter.beds {
        q.push(" AND y.beds >= ")
            .push_bind(i64::from(band.min_beds));
        if let Some(max) = band.max_beds {
            q.push(" AND y.beds <= ").push_bind(i64::from(max));
        }
    }
    if let Some(answered) = filter.survey_answered {
        q.push(if answered { " AND EXISTS" } else { " AND NOT EXISTS" })
            .push(" (SELECT 1 FROM assurance_applications a WHERE a.institution_id = y.id AND a.fiscal_year = ")
            .push_bind(i64::from(view.fiscal_year.start_year()))
            .push(")");
    }
    if filter.overdue_only {
        // A semi-join, which PostgreSQL runs from the index instead of counting every row.
        q.push(" AND EXISTS (SELECT 1 FROM open_targets t WHERE t.institution_id = y.id AND t.fiscal_year = ")
            .push_bind(i64::from(view.fiscal_year.start_year()))
            .push(" AND t.target_date < ")
            .push_bind(view.today.to_string())
            .push(")");
    }
}

/// `text` with LIKE's wildcards and its escape character taken literally.
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[derive(sqlx::FromRow)]
struct ProfileCount {
    prefecture: String,
    oversight_kind: String,
    kind: String,
    has_medical_information_system: bool,
    has_vendor_contracts: bool,
    n: i64,
}

#[derive(sqlx::FromRow)]
struct StateCount {
    prefecture: String,
    oversight_kind: String,
    kind: String,
    has_medical_information_system: bool,
    has_vendor_contracts: bool,
    state: String,
    n: i64,
}

#[derive(sqlx::FromRow)]
struct OverdueCount {
    prefecture: String,
    oversight_kind: String,
    targets: i64,
    institutions: i64,
}

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

    /// Institutions and overdue target dates per prefecture and kind, for the view's year:
    /// the kept counts of institutions and of states by profile, and the open target dates
    /// before today from their index. An institution without a state counts in its
    /// profile's.
    pub async fn oversight_counts(
        &self,
        view: &YearView<'_>,
    ) -> Result<HashMap<(Prefecture, OversightKind), StateCounts>> {
        let year = i64::from(view.fiscal_year.start_year());
        let prefecture = match view.scope {
            InstitutionScope::All => None,
            InstitutionScope::Prefecture(p) => Some(p.code()),
            InstitutionScope::Only(_) | InstitutionScope::None => return Ok(HashMap::new()),
        };
        // The prefecture is the last parameter, numbered `n`, where there is one.
        let scope = |n: usize| {
            prefecture
                .as_ref()
                .map_or_else(String::new, |_| format!(" AND prefecture = ${n}"))
        };
        let profiles_sql = format!(
            "SELECT prefecture, oversight_kind, kind, has_medical_information_system, has_vendor_contracts, n FROM institution_counts WHERE n <> 0{}",
            scope(1)
        );
        let states_sql = format!(
            "SELECT prefecture, oversight_kind, kind, has_medical_information_system, has_vendor_contracts, state, n FROM year_state_counts WHERE fiscal_year = $1 AND n <> 0{}",
            scope(2)
        );
        let overdue_sql = format!(
            "SELECT prefecture, oversight_kind, COUNT(*) AS targets, COUNT(DISTINCT institution_id) AS institutions FROM open_targets WHERE fiscal_year = $1 AND target_date < $2{} GROUP BY prefecture, oversight_kind",
            scope(3)
        );
        let today = view.today.to_string();
        let (profiles, states, overdue): (Vec<ProfileCount>, Vec<StateCount>, Vec<OverdueCount>) = on_pool!(self, pool => {
            // The prefecture is bound only where the text names it.
            macro_rules! scoped {
                ($query:expr) => {{
                    let query = $query;
                    match &prefecture {
                        Some(p) => query.bind(p.clone()),
                        None => query,
                    }
                }};
            }
            let profiles = scoped!(sqlx::query_as(sqlx::AssertSqlSafe(profiles_sql)))
                .fetch_all(pool)
                .await?;
            let states = scoped!(sqlx::query_as(sqlx::AssertSqlSafe(states_sql)).bind(year))
                .fetch_all(pool)
                .await?;
            let overdue = scoped!(sqlx::query_as(sqlx::AssertSqlSafe(overdue_sql))
                .bind(year)
                .bind(today.clone()))
            .fetch_all(pool)
            .await?;
            (profiles, states, overdue)
        });
        let corrupt = |e: mamori_domain::ParseError| StoreError::Corrupt(e.to_string());
        let key_of = |prefecture: &str, kind: &str| -> Result<(Prefecture, OversightKind)> {
            Ok((
                Prefecture::parse(prefecture).map_err(corrupt)?,
                OversightKind::parse(kind).map_err(corrupt)?,
            ))
        };
        let mut out: HashMap<(Prefecture, OversightKind), StateCounts> = HashMap::new();
        // Institutions with a state, then those without one, by their profile.
        let mut kept: HashMap<(String, String, String, bool, bool), i64> = HashMap::new();
        for row in states {
            let state = YearState::parse(&row.state).map_err(corrupt)?;
            out.entry(key_of(&row.prefecture, &row.oversight_kind)?)
                .or_default()
                .add_state(state, row.n);
            *kept
                .entry((
                    row.prefecture,
                    row.oversight_kind,
                    row.kind,
                    row.has_medical_information_system,
                    row.has_vendor_contracts,
                ))
                .or_default() += row.n;
        }
        for row in profiles {
            let kind = InstitutionKind::parse(&row.kind).map_err(corrupt)?;
            let key = key_of(&row.prefecture, &row.oversight_kind)?;
            let with_state = kept
                .get(&(
                    row.prefecture,
                    row.oversight_kind,
                    row.kind,
                    row.has_medical_information_system,
                    row.has_vendor_contracts,
                ))
                .copied()
                .unwrap_or(0);
            let state = view
                .unanswered
                .iter()
                .find(|u| {
                    u.kind == kind
                        && u.has_medical_information_system == row.has_medical_information_system
                        && u.has_vendor_contracts == row.has_vendor_contracts
                })
                .map_or(YearState::NotStarted, |u| u.state);
            out.entry(key)
                .or_default()
                .add_state(state, row.n - with_state);
        }
        for row in overdue {
            let counts = out
                .entry(key_of(&row.prefecture, &row.oversight_kind)?)
                .or_default();
            counts.overdue_targets += row.targets;
            counts.institutions_with_overdue += row.institutions;
        }
        Ok(out)
    }

    /// The items most often answered いいえ in the first round (1回目) of `fiscal_year`, in a
    /// scope: each item's key and how many institutions answered it so, most first (ties by
    /// key); at most `most`. An aggregate over the answers' いいえ index.
    pub async fn items_answered_no(
        &self,
        fiscal_year: FiscalYear,
        scope: InstitutionScope,
        most: i64,
    ) -> Result<Vec<(String, i64)>> {
        let year = i64::from(fiscal_year.start_year());
        let (join, prefecture) = match scope {
            InstitutionScope::All => ("", None),
            InstitutionScope::Prefecture(p) => (
                " JOIN institutions i ON i.id = a.institution_id AND i.prefecture = $3",
                Some(p.code()),
            ),
            InstitutionScope::Only(_) | InstitutionScope::None => return Ok(Vec::new()),
        };
        let sql = format!(
            "SELECT a.item_key, COUNT(*) AS n FROM answers a{join} WHERE a.fiscal_year = $1 AND a.round = 1 AND a.answer = 'no' GROUP BY a.item_key ORDER BY n DESC, a.item_key LIMIT $2"
        );
        Ok(on_pool!(self, pool => {
            let query = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(year).bind(most);
            match &prefecture {
                Some(p) => query.bind(p.clone()).fetch_all(pool).await?,
                None => query.fetch_all(pool).await?,
            }
        }))
    }

    /// One page of the institutions the filter finds, and how many it finds in all.
    pub async fn oversight_list(
        &self,
        view: &YearView<'_>,
        filter: &OversightFilter,
        sort: OversightSort,
        descending: bool,
        limit: i64,
        offset: i64,
    ) -> Result<(i64, Vec<OversightRow>)> {
        let order = match sort {
            OversightSort::Prefecture => "y.prefecture",
            OversightSort::Name => "y.search_key",
            OversightSort::Beds => "y.beds",
            OversightSort::State => {
                "CASE y.state WHEN 'not_started' THEN 0 WHEN 'in_progress' THEN 1 WHEN 'completed' THEN 2 ELSE 3 END"
            }
            OversightSort::Overdue => "y.overdue_targets",
        };
        let direction = if descending { " DESC" } else { " ASC" };
        on_pool!(self, pool => {
            let unfiltered = filter.query.as_deref().is_none_or(|q| q.trim().is_empty())
                && filter.kind.is_none()
                && filter.state.is_none()
                && !filter.overdue_only
                && !filter.flagged_only
                && filter.beds.is_none()
                && filter.survey_answered.is_none();
            let mut count = if unfiltered {
                // Every institution of the scope: the kept count, not a scan.
                QueryBuilder::new(
                    "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM institution_counts WHERE TRUE",
                )
            } else {
                QueryBuilder::new("SELECT COUNT(*)")
            };
            if unfiltered {
                match view.scope {
                    InstitutionScope::All => {}
                    InstitutionScope::Prefecture(p) => {
                        count.push(" AND prefecture = ").push_bind(p.code());
                    }
                    InstitutionScope::Only(_) | InstitutionScope::None => {
                        count = QueryBuilder::new("SELECT COUNT(*)");
                        push_year_from(&mut count, view);
                    }
                }
            } else {
                push_year_from(&mut count, view);
                push_filter(&mut count, view, filter);
            }
            let (total,): (i64,) = count.build_query_as().fetch_one(pool).await?;
            let mut q = QueryBuilder::new(
                "SELECT y.id, y.name, y.oversight_kind AS kind, y.prefecture, y.municipality_name, y.beds, y.medical_institution_code, y.state, y.overdue_targets, y.flagged_devices",
            );
            push_year_from(&mut q, view);
            push_filter(&mut q, view, filter);
            q.push(" ORDER BY ").push(order).push(direction).push(", y.id").push(direction);
            q.push(" LIMIT ").push_bind(limit).push(" OFFSET ").push_bind(offset);
            let rows: Vec<OversightRow> = q.build_query_as().fetch_all(pool).await?;
            Ok((total, rows))
        })
    }

    /// Counts anew what the summaries read, from the tables they count, under the audit
    /// head's lock (so no writer changes a state meanwhile).
    pub(crate) async fn rebuild_oversight_counts(&self) -> Result<()> {
        let _turn = self.write_turn().await;
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            for sql in [
                "UPDATE audit_chain_head SET seq = seq WHERE id = 1",
                "DELETE FROM institution_counts",
                "DELETE FROM year_state_counts",
                "INSERT INTO institution_counts (prefecture, oversight_kind, kind, has_medical_information_system, has_vendor_contracts, n) SELECT prefecture, oversight_kind, kind, has_medical_information_system, has_vendor_contracts, COUNT(*) FROM institutions GROUP BY prefecture, oversight_kind, kind, has_medical_information_system, has_vendor_contracts",
                "INSERT INTO year_state_counts (fiscal_year, prefecture, oversight_kind, kind, has_medical_information_system, has_vendor_contracts, state, n) SELECT fiscal_year, prefecture, oversight_kind, kind, has_medical_information_system, has_vendor_contracts, state, COUNT(*) FROM year_states GROUP BY fiscal_year, prefecture, oversight_kind, kind, has_medical_information_system, has_vendor_contracts, state",
            ] {
                sqlx::query(sql).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Fills the search key and the oversight kind of institutions that lack them (rows
    /// written before they existed).
    pub(crate) async fn fill_oversight_keys(&self) -> Result<()> {
        let rows: Vec<(i64, String, String, Option<String>, String)> = self
            .select_all(
                "SELECT id, name, kind, medical_institution_code, municipality_name FROM institutions WHERE search_key = '' OR oversight_kind = ''",
            )
            .await?;
        for (id, name, kind, code, municipality) in rows {
            let kind =
                InstitutionKind::parse(&kind).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            on_pool!(self, pool => {
                sqlx::query("UPDATE institutions SET search_key = $1, oversight_kind = $2 WHERE id = $3")
                    .bind(institution_search_key(&name, &municipality))
                    .bind(OversightKind::of(kind, code.as_deref()).as_str())
                    .bind(id)
                    .execute(pool)
                    .await?;
            });
        }
        Ok(())
    }
}

//! What oversight reads: where each institution stands with a fiscal year (`year_states`),
//! its open target dates (`open_targets`), and the search over institutions.
//!
//! A year's state is written in the transaction that changes what it is computed from (an
//! answer, a cleared answer, the institution's profile, the inspector's record), under the
//! audit head's lock, which every writer takes: a state is always computed from what every
//! earlier transaction left, whichever server wrote it. The computation is the domain's
//! ([`mamori_domain::oversight::year_status`]), handed to the store as [`crate::YearRules`] by the
//! service layer, which holds the catalog.

use std::collections::HashMap;

use chrono::NaiveDate;
use mamori_domain::oversight::{OversightKind, YearState};
use mamori_domain::text::fold::search_key;
use mamori_domain::{FiscalYear, InstitutionKind, InstitutionScope, Prefecture};
use sqlx::QueryBuilder;

use crate::search_grams::{NamePlan, institution_search_key};
use crate::{BeginWrite, Pool, Result, Store, StoreError};

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

/// A row of a filtered list, with how many rows the filter finds.
#[derive(sqlx::FromRow)]
struct Found {
    #[sqlx(flatten)]
    row: OversightRow,
    found: i64,
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

/// A search's folded query and how it finds names.
struct NameSearch {
    key: String,
    plan: NamePlan,
}

/// ` FROM` [`push_year_rows`]` WHERE TRUE`, for the conditions that follow.
fn push_year_from<DB: sqlx::Database>(
    q: &mut QueryBuilder<DB>,
    view: &YearView<'_>,
    search: Option<&NameSearch>,
    overdue_only: bool,
) where
    for<'t> i64: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> bool: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> String: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> &'static str: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    q.push(" FROM");
    push_year_rows(q, view, search, overdue_only);
    q.push(" WHERE TRUE");
}

/// The institutions of the view's scope as a table `y`, each row with its year's `state`,
/// `overdue_targets` and `flagged_devices`; binds the year, today and the unanswered states.
/// With a search, only the institutions its grams or codes name are read; with
/// `overdue_only`, only those the open target dates' index names (instead of asking each
/// institution of the scope).
fn push_year_rows<DB: sqlx::Database>(
    q: &mut QueryBuilder<DB>,
    view: &YearView<'_>,
    search: Option<&NameSearch>,
    overdue_only: bool,
) where
    for<'t> i64: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> bool: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> String: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> &'static str: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    let year = i64::from(view.fiscal_year.start_year());
    // The kept state is a subquery, not a join: a page in the order of an index reads the
    // states of its rows only (SQLite builds a join's Bloom filter from every state first).
    q.push(" (SELECT i.*, COALESCE((SELECT s.state FROM year_states s WHERE s.institution_id = i.id AND s.fiscal_year = ")
        .push_bind(year)
        .push("), CASE");
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
        .push(") AS overdue_targets, COALESCE((SELECT f.flagged_devices FROM device_flag_counts f WHERE f.institution_id = i.id), 0) AS flagged_devices FROM institutions i");
    match view.scope {
        InstitutionScope::All => q.push(" WHERE TRUE"),
        InstitutionScope::Prefecture(p) => q.push(" WHERE i.prefecture = ").push_bind(p.code()),
        InstitutionScope::Only(id) => q.push(" WHERE i.id = ").push_bind(id),
        InstitutionScope::None => q.push(" WHERE FALSE"),
    };
    if overdue_only {
        q.push(" AND i.id IN (SELECT t.institution_id FROM open_targets t WHERE t.fiscal_year = ")
            .push_bind(year)
            .push(" AND t.target_date < ")
            .push_bind(view.today.to_string());
        if let InstitutionScope::Prefecture(p) = view.scope {
            q.push(" AND t.prefecture = ").push_bind(p.code());
        }
        q.push(")");
    }
    if let Some(search) = search {
        match &search.plan {
            NamePlan::Scan => {}
            NamePlan::Grams(grams) => {
                q.push(" AND i.id IN (SELECT g0.institution_id FROM search_grams g0");
                for (n, gram) in grams.iter().enumerate().skip(1) {
                    q.push(format!(" JOIN search_grams g{n} ON g{n}.institution_id = g0.institution_id AND g{n}.gram = "))
                        .push_bind(gram.clone());
                }
                q.push(" WHERE g0.gram = ")
                    .push_bind(grams.first().cloned().unwrap_or_default());
                push_code_ids(q, &search.key);
                q.push(")");
            }
            NamePlan::NoName => {
                q.push(" AND i.id IN (SELECT id FROM institutions WHERE FALSE");
                push_code_ids(q, &search.key);
                q.push(")");
            }
        }
    }
    q.push(") y");
}

/// `UNION` the institutions whose 医療機関コード or 全国地方公共団体コード is `key`, each from
/// its index.
fn push_code_ids<DB: sqlx::Database>(q: &mut QueryBuilder<DB>, key: &str)
where
    for<'t> String: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    q.push(" UNION SELECT id FROM institutions WHERE medical_institution_code = ")
        .push_bind(key.to_owned())
        .push(" UNION SELECT id FROM institutions WHERE municipality_code = ")
        .push_bind(key.to_owned());
}

/// The filter's conditions on the rows of [`push_year_from`] (which takes the overdue filter
/// from its index): the search's whole query is checked here, on the rows its grams found.
fn push_filter<DB: sqlx::Database>(
    q: &mut QueryBuilder<DB>,
    view: &YearView<'_>,
    filter: &OversightFilter,
    search: Option<&NameSearch>,
) where
    for<'t> i64: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> String: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> &'static str: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    if let Some(search) = search {
        let key = search.key.clone();
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

/// The institutions of one prefecture and kind by state.
#[derive(sqlx::FromRow)]
struct StateCount {
    prefecture: String,
    oversight_kind: String,
    not_started: i64,
    in_progress: i64,
    completed: i64,
    ready: i64,
}

#[derive(sqlx::FromRow)]
struct OverdueCount {
    prefecture: String,
    oversight_kind: String,
    targets: i64,
    institutions: i64,
}

impl Store {
    /// Institutions and overdue target dates per prefecture and kind, for the view's year:
    /// the kept counts of institutions and of states by profile, added up by the database
    /// (an institution without a state counts in its profile's), and the kept counts of open
    /// target dates by date, those before today added up. One row per prefecture and kind
    /// comes back: rows cost more to carry than to add up.
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
        let overdue_sql = format!(
            "SELECT prefecture, oversight_kind, CAST(SUM(targets) AS BIGINT) AS targets, CAST(SUM(institutions) AS BIGINT) AS institutions FROM open_target_counts WHERE fiscal_year = $1 AND target_date < $2{} GROUP BY prefecture, oversight_kind",
            if prefecture.is_some() {
                " AND prefecture = $3"
            } else {
                ""
            }
        );
        let today = view.today.to_string();
        let (states, overdue): (Vec<StateCount>, Vec<OverdueCount>) = on_pool!(self, pool => {
            let mut q = QueryBuilder::new(
                "WITH kept AS (SELECT prefecture, oversight_kind, kind, has_medical_information_system, has_vendor_contracts, state, n FROM year_state_counts WHERE n <> 0 AND fiscal_year = ",
            );
            q.push_bind(year);
            if let Some(p) = &prefecture {
                q.push(" AND prefecture = ").push_bind(p.clone());
            }
            q.push("), profiles AS (SELECT prefecture, oversight_kind, kind, has_medical_information_system, has_vendor_contracts, n FROM institution_counts WHERE n <> 0");
            if let Some(p) = &prefecture {
                q.push(" AND prefecture = ").push_bind(p.clone());
            }
            q.push("), every_state AS (SELECT prefecture, oversight_kind, state, n FROM kept UNION ALL SELECT p.prefecture, p.oversight_kind, CASE");
            for u in view.unanswered {
                q.push(" WHEN p.kind = ")
                    .push_bind(u.kind.as_str())
                    .push(" AND p.has_medical_information_system = ")
                    .push_bind(u.has_medical_information_system)
                    .push(" AND p.has_vendor_contracts = ")
                    .push_bind(u.has_vendor_contracts)
                    .push(" THEN ")
                    .push_bind(u.state.as_str());
            }
            q.push(" ELSE 'not_started' END, p.n - COALESCE(k.n, 0) FROM profiles p LEFT JOIN (SELECT prefecture, oversight_kind, kind, has_medical_information_system, has_vendor_contracts, SUM(n) AS n FROM kept GROUP BY prefecture, oversight_kind, kind, has_medical_information_system, has_vendor_contracts) k ON k.prefecture = p.prefecture AND k.oversight_kind = p.oversight_kind AND k.kind = p.kind AND k.has_medical_information_system = p.has_medical_information_system AND k.has_vendor_contracts = p.has_vendor_contracts) SELECT prefecture, oversight_kind");
            for state in YearState::ALL {
                q.push(", CAST(SUM(CASE WHEN state = ")
                    .push_bind(state.as_str())
                    .push(format!(" THEN n ELSE 0 END) AS BIGINT) AS {}", state.as_str()));
            }
            q.push(" FROM every_state GROUP BY prefecture, oversight_kind");
            let states: Vec<StateCount> = q.build_query_as().fetch_all(pool).await?;
            let query = sqlx::query_as(sqlx::AssertSqlSafe(overdue_sql.clone()))
                .bind(year)
                .bind(today.clone());
            let overdue = match &prefecture {
                Some(p) => query.bind(p.clone()).fetch_all(pool).await?,
                None => query.fetch_all(pool).await?,
            };
            (states, overdue)
        });
        let corrupt = |e: mamori_domain::ParseError| StoreError::Corrupt(e.to_string());
        let key_of = |prefecture: &str, kind: &str| -> Result<(Prefecture, OversightKind)> {
            Ok((
                Prefecture::parse(prefecture).map_err(corrupt)?,
                OversightKind::parse(kind).map_err(corrupt)?,
            ))
        };
        let mut out: HashMap<(Prefecture, OversightKind), StateCounts> = HashMap::new();
        for row in states {
            let counts = out
                .entry(key_of(&row.prefecture, &row.oversight_kind)?)
                .or_default();
            counts.add_state(YearState::NotStarted, row.not_started);
            counts.add_state(YearState::InProgress, row.in_progress);
            counts.add_state(YearState::Completed, row.completed);
            counts.add_state(YearState::Ready, row.ready);
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
    /// key); at most `most`. The kept counts by prefecture, added up.
    pub async fn items_answered_no(
        &self,
        fiscal_year: FiscalYear,
        scope: InstitutionScope,
        most: i64,
    ) -> Result<Vec<(String, i64)>> {
        let year = i64::from(fiscal_year.start_year());
        let (within, prefecture) = match scope {
            InstitutionScope::All => ("", None),
            InstitutionScope::Prefecture(p) => (" AND prefecture = $3", Some(p.code())),
            InstitutionScope::Only(_) | InstitutionScope::None => return Ok(Vec::new()),
        };
        let sql = format!(
            "SELECT item_key, CAST(SUM(n) AS BIGINT) AS institutions FROM answered_no_counts WHERE fiscal_year = $1{within} GROUP BY item_key HAVING SUM(n) > 0 ORDER BY institutions DESC, item_key LIMIT $2"
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
        let search = match filter
            .query
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
        {
            Some(query) => {
                let key = search_key(query);
                let plan = self.name_plan(&key).await?;
                Some(NameSearch { key, plan })
            }
            None => None,
        };
        let search = search.as_ref();
        on_pool!(self, pool => {
            let unfiltered = search.is_none()
                && filter.kind.is_none()
                && filter.state.is_none()
                && !filter.overdue_only
                && !filter.flagged_only
                && filter.beds.is_none()
                && filter.survey_answered.is_none();
            // The page is chosen first, reading only what the filter and the order need; its
            // rows' other columns are computed for the page alone. A filtered list counts what
            // it finds in the same scan (a window over the rows before the page is cut).
            let mut q = QueryBuilder::new(
                "SELECT y.id, y.name, y.oversight_kind AS kind, y.prefecture, y.municipality_name, y.beds, y.medical_institution_code, y.state, y.overdue_targets, y.flagged_devices, page.found FROM (SELECT y.id, ",
            );
            // The overdue filter is counted apart: counting every row it finds makes
            // PostgreSQL probe the open dates once per institution of the scope (it expects
            // half of them to match), where the page alone stops at its fiftieth.
            let windowed = !unfiltered && !filter.overdue_only;
            q.push(order).push(" AS ord").push(if windowed {
                ", COUNT(*) OVER () AS found"
            } else {
                ", CAST(0 AS BIGINT) AS found"
            });
            push_year_from(&mut q, view, search, filter.overdue_only);
            push_filter(&mut q, view, filter, search);
            q.push(" ORDER BY ").push(order).push(direction).push(", y.id").push(direction);
            q.push(" LIMIT ").push_bind(limit).push(" OFFSET ").push_bind(offset);
            q.push(") page JOIN");
            push_year_rows(&mut q, view, None, false);
            q.push(" ON y.id = page.id ORDER BY page.ord").push(direction).push(", page.id").push(direction);
            let found: Vec<Found> = q.build_query_as().fetch_all(pool).await?;
            let total = match found.first() {
                Some(first) if windowed => first.found,
                None if windowed && offset == 0 => 0,
                _ => {
                    // A whole country's or prefecture's count is kept; anything else (the
                    // overdue filter, a page past the last) is counted.
                    let kept = "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM institution_counts WHERE TRUE";
                    let mut count = match (unfiltered, view.scope) {
                        (true, InstitutionScope::All) => QueryBuilder::new(kept),
                        (true, InstitutionScope::Prefecture(p)) => {
                            let mut count = QueryBuilder::new(kept);
                            count.push(" AND prefecture = ").push_bind(p.code());
                            count
                        }
                        _ => {
                            let mut count = QueryBuilder::new("SELECT COUNT(*)");
                            push_year_from(&mut count, view, search, filter.overdue_only);
                            push_filter(&mut count, view, filter, search);
                            count
                        }
                    };
                    let (total,): (i64,) = count.build_query_as().fetch_one(pool).await?;
                    total
                }
            };
            let rows = found.into_iter().map(|f| f.row).collect();
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
                "DELETE FROM open_target_counts",
                "DELETE FROM answered_no_counts",
                "INSERT INTO institution_counts (prefecture, oversight_kind, kind, has_medical_information_system, has_vendor_contracts, n) SELECT prefecture, oversight_kind, kind, has_medical_information_system, has_vendor_contracts, COUNT(*) FROM institutions GROUP BY prefecture, oversight_kind, kind, has_medical_information_system, has_vendor_contracts",
                "INSERT INTO year_state_counts (fiscal_year, prefecture, oversight_kind, kind, has_medical_information_system, has_vendor_contracts, state, n) SELECT fiscal_year, prefecture, oversight_kind, kind, has_medical_information_system, has_vendor_contracts, state, COUNT(*) FROM year_states GROUP BY fiscal_year, prefecture, oversight_kind, kind, has_medical_information_system, has_vendor_contracts, state",
                // Each date's targets, and each institution once at its earliest.
                "INSERT INTO open_target_counts (fiscal_year, prefecture, oversight_kind, target_date, targets, institutions) SELECT fiscal_year, prefecture, oversight_kind, target_date, SUM(targets), SUM(institutions) FROM (SELECT fiscal_year, prefecture, oversight_kind, target_date, COUNT(*) AS targets, 0 AS institutions FROM open_targets GROUP BY fiscal_year, prefecture, oversight_kind, target_date UNION ALL SELECT fiscal_year, prefecture, oversight_kind, earliest, 0, COUNT(*) FROM (SELECT fiscal_year, prefecture, oversight_kind, MIN(target_date) AS earliest FROM open_targets GROUP BY institution_id, fiscal_year, prefecture, oversight_kind) e GROUP BY fiscal_year, prefecture, oversight_kind, earliest) c GROUP BY fiscal_year, prefecture, oversight_kind, target_date",
                // A kept state's いいえ are its answers' (the write that changes one keeps both).
                "INSERT INTO answered_no_counts (fiscal_year, prefecture, item_key, n) SELECT a.fiscal_year, s.prefecture, a.item_key, COUNT(*) FROM answers a JOIN year_states s ON s.institution_id = a.institution_id AND s.fiscal_year = a.fiscal_year WHERE a.round = 1 AND a.answer = 'no' GROUP BY a.fiscal_year, s.prefecture, a.item_key",
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

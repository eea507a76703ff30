//! An institution's file for a fiscal year, read in one query: the institution, its answers,
//! what was seen on site, and what the checklist shows beside them (vendor contracts and
//! their 事業者確認用 answers, MDS/SDS deliveries, the contact chart, the backup / BCP
//! records, whether there is a device ledger).
//!
//! Each part comes back aggregated into one JSON value of the row, so the whole file is one
//! row and one trip to the database. On SQLite every trip is a hand-off to the connection's
//! thread and back, which costs about as much as a small query itself; the checklist page
//! and the assessment API used to make up to ten of them.

use std::collections::HashMap;

use mamori_domain::vendor::ContractId;
use mamori_domain::{FiscalYear, ItemAnswers};

use crate::vendors::{
    AnswerRow, ContractRow, VendorAnswerRow, contract_from_row, fold_answers, fold_vendor_answers,
};
use crate::{
    Delivery, Document, Institution, InstitutionRow, Observation, Pool, Result, Store, StoreError,
    StoredContract, institution_from_row,
};

/// What [`Store::institution_file`] returns.
#[derive(Debug, Clone)]
pub struct InstitutionFile {
    pub institution: Institution,
    pub answers: HashMap<String, ItemAnswers>,
    pub observation: Option<Observation>,
    /// Every contract of the institution, oldest first (as
    /// [`Store::vendor_contracts_of_institution`]).
    pub contracts: Vec<StoredContract>,
    /// The year's answers of each contract; a contract without any has no entry (as
    /// [`Store::vendor_answers_of_institution`]).
    pub vendor_answers: HashMap<ContractId, HashMap<String, ItemAnswers>>,
    /// Every MDS/SDS delivery, by contract then oldest first (as
    /// [`Store::vendor_deliveries_of_institution`]).
    pub deliveries: Vec<Delivery>,
    pub contact_chart: Option<Document>,
    pub continuity_records: Option<Document>,
    /// Whether the device ledger has any device; the ledger itself is read only when it has.
    pub has_devices: bool,
}

/// The observation's cells: (seen, recorded by, recorded at).
type ObservationCells = (Option<bool>, Option<String>, Option<String>);

const SELECT: &str = "SELECT i.id, i.name, i.kind, i.prefecture, i.beds, i.has_medical_information_system, i.has_vendor_contracts, i.medical_institution_code, i.created_at, i.updated_at, \
     o.contact_chart_seen, u.login, o.recorded_at, \
     {answers}, {contracts}, {vendor_answers}, {deliveries}, {chart}, {continuity}, \
     CAST(CASE WHEN EXISTS (SELECT 1 FROM devices v WHERE v.institution_id = i.id) THEN 1 ELSE 0 END AS BIGINT), \
     i.municipality_code, i.municipality_name, i.address \
     FROM institutions i \
     LEFT JOIN inspection_observations o ON o.institution_id = i.id AND o.fiscal_year = $2 \
     LEFT JOIN users u ON u.id = o.recorded_by \
     WHERE i.id = $1";

/// The parts as SQLite aggregates them (`json_group_array` gives `[]` for no rows).
const SQLITE_PARTS: [(&str, &str); 6] = [
    (
        "{answers}",
        "(SELECT json_group_array(json_array(a.item_key, a.round, a.answer, a.checked_on, a.target_date)) FROM answers a WHERE a.institution_id = i.id AND a.fiscal_year = $2)",
    ),
    (
        "{vendor_answers}",
        "(SELECT json_group_array(json_array(a.contract_id, a.item_key, a.round, a.answer, a.checked_on, a.target_date)) FROM vendor_answers a JOIN vendor_contracts c ON c.id = a.contract_id WHERE c.institution_id = i.id AND a.fiscal_year = $2)",
    ),
    (
        "{contracts}",
        "(SELECT json_group_array(json_array(c.id, c.institution_id, c.vendor_organization_id, c.vendor_name, c.systems, c.remote_maintenance, c.scopes, c.start_on, c.end_on, c.created_at) ORDER BY c.id) FROM vendor_contracts c WHERE c.institution_id = i.id)",
    ),
    (
        "{deliveries}",
        "(SELECT json_group_array(json_array(d.id, d.contract_id, d.kind, d.delivered_on, d.file_name, LENGTH(d.content), d.created_at) ORDER BY d.contract_id, d.id) FROM vendor_deliveries d JOIN vendor_contracts c ON c.id = d.contract_id WHERE c.institution_id = i.id)",
    ),
    (
        "{chart}",
        "(SELECT json_array(d.document, d.updated_at, w.login) FROM contact_charts d JOIN users w ON w.id = d.updated_by WHERE d.institution_id = i.id)",
    ),
    (
        "{continuity}",
        "(SELECT json_array(d.document, d.updated_at, w.login) FROM continuity_records d JOIN users w ON w.id = d.updated_by WHERE d.institution_id = i.id)",
    ),
];

/// The same parts on PostgreSQL (`json_agg` gives NULL for no rows, hence the `COALESCE`).
const POSTGRES_PARTS: [(&str, &str); 6] = [
    (
        "{answers}",
        "(SELECT COALESCE(json_agg(json_build_array(a.item_key, a.round, a.answer, a.checked_on, a.target_date)), '[]'::json)::text FROM answers a WHERE a.institution_id = i.id AND a.fiscal_year = $2)",
    ),
    (
        "{vendor_answers}",
        "(SELECT COALESCE(json_agg(json_build_array(a.contract_id, a.item_key, a.round, a.answer, a.checked_on, a.target_date)), '[]'::json)::text FROM vendor_answers a JOIN vendor_contracts c ON c.id = a.contract_id WHERE c.institution_id = i.id AND a.fiscal_year = $2)",
    ),
    (
        "{contracts}",
        "(SELECT COALESCE(json_agg(json_build_array(c.id, c.institution_id, c.vendor_organization_id, c.vendor_name, c.systems, c.remote_maintenance, c.scopes, c.start_on, c.end_on, c.created_at) ORDER BY c.id), '[]'::json)::text FROM vendor_contracts c WHERE c.institution_id = i.id)",
    ),
    (
        "{deliveries}",
        "(SELECT COALESCE(json_agg(json_build_array(d.id, d.contract_id, d.kind, d.delivered_on, d.file_name, LENGTH(d.content), d.created_at) ORDER BY d.contract_id, d.id), '[]'::json)::text FROM vendor_deliveries d JOIN vendor_contracts c ON c.id = d.contract_id WHERE c.institution_id = i.id)",
    ),
    (
        "{chart}",
        "(SELECT json_build_array(d.document, d.updated_at, w.login)::text FROM contact_charts d JOIN users w ON w.id = d.updated_by WHERE d.institution_id = i.id)",
    ),
    (
        "{continuity}",
        "(SELECT json_build_array(d.document, d.updated_at, w.login)::text FROM continuity_records d JOIN users w ON w.id = d.updated_by WHERE d.institution_id = i.id)",
    ),
];

fn sql_with(parts: &[(&str, &str)]) -> String {
    parts.iter().fold(SELECT.to_owned(), |sql, (name, part)| {
        sql.replace(name, part)
    })
}

type Row = (
    InstitutionRow,
    ObservationCells,
    (
        String,
        String,
        String,
        String,
        Option<String>,
        Option<String>,
    ),
    i64,
);

impl Store {
    /// One institution's file for a fiscal year in one query (see the module's comment).
    /// `None` if there is no such institution.
    pub async fn institution_file(
        &self,
        institution_id: i64,
        fiscal_year: FiscalYear,
    ) -> Result<Option<InstitutionFile>> {
        static SQLITE_SQL: std::sync::LazyLock<String> =
            std::sync::LazyLock::new(|| sql_with(&SQLITE_PARTS));
        static POSTGRES_SQL: std::sync::LazyLock<String> =
            std::sync::LazyLock::new(|| sql_with(&POSTGRES_PARTS));
        let fy = i64::from(fiscal_year.start_year());
        let sql: &'static str = match self.pool {
            Pool::Sqlite(_) => SQLITE_SQL.as_str(),
            Pool::Postgres(_) => POSTGRES_SQL.as_str(),
        };
        let row: Option<Row> = on_pool!(self, pool => {
            use sqlx::Row as _;
            let raw = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(institution_id).bind(fy).fetch_optional(pool).await?;
            raw.map(|r| -> std::result::Result<Row, sqlx::Error> {
                Ok((
                    InstitutionRow { id: r.try_get(0)?, name: r.try_get(1)?, kind: r.try_get(2)?, prefecture: r.try_get(3)?, beds: r.try_get(4)?, has_medical_information_system: r.try_get(5)?, has_vendor_contracts: r.try_get(6)?, medical_institution_code: r.try_get(7)?, municipality_code: r.try_get(20)?, municipality_name: r.try_get(21)?, address: r.try_get(22)?, created_at: r.try_get(8)?, updated_at: r.try_get(9)? },
                    (r.try_get(10)?, r.try_get(11)?, r.try_get(12)?),
                    (r.try_get(13)?, r.try_get(14)?, r.try_get(15)?, r.try_get(16)?, r.try_get(17)?, r.try_get(18)?),
                    r.try_get(19)?,
                ))
            })
            .transpose()?
        });
        let Some((institution, (seen, recorded_by, recorded_at), parts, has_devices)) = row else {
            return Ok(None);
        };
        let (answers, contracts, vendor_answers, deliveries, chart, continuity) = parts;
        let corrupt = |part: &'static str| {
            move |e: serde_json::Error| {
                StoreError::Corrupt(format!("{part} of institution {institution_id}: {e}"))
            }
        };
        let observation = match (seen, recorded_at) {
            (Some(seen), Some(at)) => Some(Observation {
                contact_chart_seen: seen,
                recorded_by: recorded_by.unwrap_or_default(),
                recorded_at: at,
            }),
            _ => None,
        };
        let institution = institution_from_row(institution)?;

        let cells: Vec<AnswerRow> = serde_json::from_str(&answers).map_err(corrupt("answers"))?;
        let answers = fold_answers(cells)?;

        let cells: Vec<ContractRow> =
            serde_json::from_str(&contracts).map_err(corrupt("contracts"))?;
        let contracts = cells
            .into_iter()
            .map(|mut row| {
                row.institution_name.clone_from(&institution.name);
                contract_from_row(row)
            })
            .collect::<Result<Vec<_>>>()?;

        let cells: Vec<VendorAnswerRow> =
            serde_json::from_str(&vendor_answers).map_err(corrupt("vendor answers"))?;
        let vendor_answers = fold_vendor_answers(cells)?;

        let deliveries: Vec<Delivery> =
            serde_json::from_str(&deliveries).map_err(corrupt("deliveries"))?;

        let document = |text: Option<String>, part: &'static str| -> Result<Option<Document>> {
            text.map(|t| serde_json::from_str(&t).map_err(corrupt(part)))
                .transpose()
        };
        Ok(Some(InstitutionFile {
            institution,
            answers,
            observation,
            contracts,
            vendor_answers,
            deliveries,
            contact_chart: document(chart, "contact chart")?,
            continuity_records: document(continuity, "continuity records")?,
            has_devices: has_devices != 0,
        }))
    }
}

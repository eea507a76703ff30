//! Vendors (事業者): organisations and their users, the institutions' contracts with them and
//! the invitations that link the two, the 事業者確認用 answers of each contract with their
//! history, MDS/SDS deliveries, and the institutions' contact charts (連絡体制図) and backup /
//! BCP records, kept as JSON documents versioned by `updated_at`.
//!
//! Vendor answers are written in a plain transaction (answer, history row, audit entry): they
//! are few beside the institutions' answers, which go through `group_commit`.

use std::collections::HashMap;

use chrono::NaiveDate;
use mamori_domain::login::login_key;
use mamori_domain::vendor::{ContractId, SystemKind, VendorContract};
use mamori_domain::{AnswerError, FiscalYear, ItemAnswer, ItemAnswers, Role, Round, Scope};

use serde::Deserialize;

use crate::{
    Audit, Pool, Result, Store, StoreError, Written, is_unique_violation, now, parse_date,
    parse_item_answer,
};

/// The largest MDS/SDS file kept (bytes). The documents are a few pages of PDF or Excel.
pub const MAX_DELIVERY_BYTES: usize = 1024 * 1024;

/// A contract as stored, with the institution it belongs to and the vendor organisation that
/// accepted it (none before the invitation is accepted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredContract {
    pub contract: VendorContract,
    pub institution_id: i64,
    pub institution_name: String,
    pub vendor_organization_id: Option<i64>,
    pub created_at: String,
}

/// A new contract's fields; the id is given by the store.
#[derive(Debug, Clone)]
pub struct NewContract {
    pub vendor_name: String,
    pub systems: Vec<SystemKind>,
    pub remote_maintenance: bool,
    pub scopes: Vec<Scope>,
    pub start_on: Option<chrono::NaiveDate>,
    pub end_on: Option<chrono::NaiveDate>,
}

/// An invitation to be stored with a contract: only the token's hash is kept.
#[derive(Debug, Clone)]
pub struct NewInvitation {
    pub token_hash: String,
    pub email: String,
    /// RFC 3339.
    pub expires_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Invitation {
    pub contract_id: i64,
    pub institution_name: String,
    pub vendor_name: String,
    pub email: String,
    pub expires_at: String,
    pub used_at: Option<String>,
}

/// Who accepts an invitation.
#[derive(Debug, Clone)]
pub enum Joining {
    /// A new user of the vendor organisation (created with the contract's vendor name when the
    /// contract has none yet).
    NewUser {
        login: String,
        password_hash: String,
        is_demo: bool,
    },
    /// An existing vendor user: the contract joins that user's organisation.
    ExistingUser { user_id: i64, organization_id: i64 },
}

/// Why an invitation cannot be accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationRefusal {
    Unknown,
    Expired,
    Used,
    /// The contract already belongs to another vendor organisation.
    OtherOrganization,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accepted {
    pub user_id: i64,
    pub organization_id: i64,
    pub contract_id: i64,
}

/// An MDS/SDS delivery, without its bytes. Read from a row, or from the JSON array of one
/// (`file`), in the order of the fields.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Deserialize)]
pub struct Delivery {
    pub id: i64,
    pub contract_id: i64,
    /// `mds` or `sds`.
    pub kind: String,
    pub delivered_on: String,
    pub file_name: String,
    pub size: i64,
    pub created_at: String,
}

/// A JSON document and its version (from a row, or from the JSON array of one).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Deserialize)]
pub struct Document {
    pub json: String,
    pub updated_at: String,
    pub updated_by: String,
}

/// A row of `vendor_contracts` (`contract_select!`), or the JSON array of one (`file`), which
/// leaves out the institution's name.
#[derive(sqlx::FromRow, Deserialize)]
pub(crate) struct ContractRow {
    id: i64,
    institution_id: i64,
    vendor_organization_id: Option<i64>,
    vendor_name: String,
    systems: String,
    #[serde(deserialize_with = "json_bool")]
    remote_maintenance: bool,
    scopes: String,
    start_on: Option<String>,
    end_on: Option<String>,
    created_at: String,
    #[serde(default)]
    pub(crate) institution_name: String,
}

/// The `SELECT` of [`ContractRow`], for `concat!` to finish.
macro_rules! contract_select {
    () => {
        "SELECT c.id, c.institution_id, c.vendor_organization_id, c.vendor_name, c.systems, c.remote_maintenance, c.scopes, c.start_on, c.end_on, c.created_at, i.name AS institution_name FROM vendor_contracts c JOIN institutions i ON i.id = c.institution_id"
    };
}

/// A boolean as either engine's JSON gives it: SQLite has no boolean type and stores 0 / 1.
pub(crate) fn json_bool<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Cell {
        Bool(bool),
        Int(i64),
    }
    Ok(match Cell::deserialize(d)? {
        Cell::Bool(b) => b,
        Cell::Int(i) => i != 0,
    })
}

pub(crate) fn contract_from_row(row: ContractRow) -> Result<StoredContract> {
    let id = row.id;
    let corrupt = |e: serde_json::Error| StoreError::Corrupt(format!("contract {id}: {e}"));
    Ok(StoredContract {
        contract: VendorContract {
            id: ContractId(id),
            vendor_name: row.vendor_name,
            systems: serde_json::from_str(&row.systems).map_err(corrupt)?,
            remote_maintenance: row.remote_maintenance,
            scopes: serde_json::from_str(&row.scopes).map_err(corrupt)?,
            start_on: row.start_on.as_deref().map(parse_date).transpose()?,
            end_on: row.end_on.as_deref().map(parse_date).transpose()?,
        },
        institution_id: row.institution_id,
        institution_name: row.institution_name,
        vendor_organization_id: row.vendor_organization_id,
        created_at: row.created_at,
    })
}

/// One round of one item's answer, from a row or the JSON array of one.
#[derive(sqlx::FromRow, Deserialize)]
pub(crate) struct AnswerRow {
    pub(crate) item_key: String,
    pub(crate) round: i64,
    pub(crate) answer: String,
    pub(crate) checked_on: String,
    pub(crate) target_date: Option<String>,
}

/// The same with the contract it answers for.
#[derive(sqlx::FromRow, Deserialize)]
pub(crate) struct VendorAnswerRow {
    contract_id: i64,
    item_key: String,
    round: i64,
    answer: String,
    checked_on: String,
    target_date: Option<String>,
}

/// (contract, expires at, used at, contract's organisation, vendor name, institution)
type InvitationCheckRow = (i64, String, Option<String>, Option<i64>, String, i64);

pub(crate) fn fold_answers(rows: Vec<AnswerRow>) -> Result<HashMap<String, ItemAnswers>> {
    let mut out: HashMap<String, ItemAnswers> = HashMap::with_capacity(rows.len());
    for row in rows {
        let a = parse_item_answer(&row.answer, &row.checked_on, row.target_date.as_deref())?;
        let entry = out.entry(row.item_key).or_default();
        match row.round {
            1 => entry.first = Some(a),
            2 => entry.second = Some(a),
            other => return Err(StoreError::Corrupt(format!("round {other}"))),
        }
    }
    Ok(out)
}

/// Vendor answers folded contract by contract; a contract with no answer has no entry.
pub(crate) fn fold_vendor_answers(
    rows: Vec<VendorAnswerRow>,
) -> Result<HashMap<ContractId, HashMap<String, ItemAnswers>>> {
    let mut grouped: HashMap<i64, Vec<AnswerRow>> = HashMap::new();
    for row in rows {
        grouped.entry(row.contract_id).or_default().push(AnswerRow {
            item_key: row.item_key,
            round: row.round,
            answer: row.answer,
            checked_on: row.checked_on,
            target_date: row.target_date,
        });
    }
    grouped
        .into_iter()
        .map(|(id, rows)| Ok((ContractId(id), fold_answers(rows)?)))
        .collect()
}

/// Validation of a vendor answer against the item's answers as they stand in the transaction.
pub type VendorAnswerCheck<'a> =
    &'a (dyn Fn(&ItemAnswers) -> Result<(), AnswerError> + Send + Sync);

impl Store {
    // ----- contracts and invitations ----------------------------------------------------

    /// Records a contract of the institution, with its invitation if one is given.
    pub async fn create_vendor_contract(
        &self,
        institution_id: i64,
        new: &NewContract,
        invitation: Option<&NewInvitation>,
        actor: i64,
    ) -> Result<i64> {
        let at = now();
        let systems =
            serde_json::to_string(&new.systems).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let scopes =
            serde_json::to_string(&new.scopes).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let detail = format!(
            "vendor={} systems={} remote_maintenance={} invited={}",
            new.vendor_name,
            systems,
            new.remote_maintenance,
            invitation.map_or("-", |i| i.email.as_str())
        );
        let id = on_pool!(self, pool => self.write(pool, async |tx| {
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO vendor_contracts (institution_id, vendor_organization_id, vendor_name, systems, remote_maintenance, scopes, start_on, end_on, created_at, updated_at) VALUES ($1, NULL, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
            )
            .bind(institution_id)
            .bind(new.vendor_name.clone())
            .bind(systems.clone())
            .bind(new.remote_maintenance)
            .bind(scopes.clone())
            .bind(new.start_on.map(|d| d.to_string()))
            .bind(new.end_on.map(|d| d.to_string()))
            .bind(at.clone())
            .fetch_one(&mut *tx)
            .await?;
            if let Some(inv) = invitation {
                sqlx::query("INSERT INTO vendor_invitations (token_hash, contract_id, email, expires_at, used_at, used_by, created_by, created_at) VALUES ($1, $2, $3, $4, NULL, NULL, $5, $6)")
                    .bind(inv.token_hash.clone())
                    .bind(id)
                    .bind(inv.email.clone())
                    .bind(inv.expires_at.clone())
                    .bind(actor)
                    .bind(at.clone())
                    .execute(&mut *tx)
                    .await?;
            }
            Ok(Written::audited(id, Audit::new(&at, actor, "vendor_contract.create", institution_id, format!("contract={id} {detail}"))))
        }).await?);
        Ok(id)
    }

    /// Every contract of the institution, oldest first.
    pub async fn vendor_contracts_of_institution(
        &self,
        institution_id: i64,
    ) -> Result<Vec<StoredContract>> {
        let sql = concat!(
            contract_select!(),
            " WHERE c.institution_id = $1 ORDER BY c.id"
        );
        self.select_by_as(sql, institution_id, contract_from_row)
            .await
    }

    /// Every contract a vendor organisation serves, by institution.
    pub async fn vendor_contracts_of_organization(
        &self,
        organization_id: i64,
    ) -> Result<Vec<StoredContract>> {
        let sql = concat!(
            contract_select!(),
            " WHERE c.vendor_organization_id = $1 ORDER BY i.name, c.id"
        );
        self.select_by_as(sql, organization_id, contract_from_row)
            .await
    }

    pub async fn vendor_contract(&self, contract_id: i64) -> Result<Option<StoredContract>> {
        let sql = concat!(contract_select!(), " WHERE c.id = $1");
        self.select_one_by_as(sql, contract_id, contract_from_row)
            .await
    }

    /// The vendor organisation of a vendor user.
    pub async fn vendor_organization_of_user(&self, user_id: i64) -> Result<Option<(i64, String)>> {
        self.select_one_by(
            "SELECT o.id, o.name FROM users u JOIN vendor_organizations o ON o.id = u.vendor_organization_id WHERE u.id = $1",
            user_id,
        )
        .await
    }

    /// The invitation of a token hash, used or not.
    pub async fn vendor_invitation(&self, token_hash: &str) -> Result<Option<Invitation>> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as("SELECT v.contract_id, i.name AS institution_name, c.vendor_name, v.email, v.expires_at, v.used_at FROM vendor_invitations v JOIN vendor_contracts c ON c.id = v.contract_id JOIN institutions i ON i.id = c.institution_id WHERE v.token_hash = $1")
                .bind(token_hash.to_owned()).fetch_optional(pool).await?
        }))
    }

    /// Accepts an invitation in one transaction: checks it is unused and unexpired (at `at`,
    /// RFC 3339), creates the user (and the organisation) or takes the existing vendor
    /// user's, links the contract to the organisation, and marks the invitation used.
    pub async fn accept_vendor_invitation(
        &self,
        token_hash: &str,
        joining: &Joining,
    ) -> Result<std::result::Result<Accepted, InvitationRefusal>> {
        let at = now();
        // Accounts that shared a folded login before migration 0011 are outside the unique
        // index; no new account joins them.
        if let Joining::NewUser { login, .. } = joining
            && self.login_key_in_use(&login_key(login)).await?
        {
            return Err(StoreError::Conflict(login.clone()));
        }
        let outcome = on_pool!(self, pool => self.write(pool, async |tx| {
            let mut audit = Vec::new();
            let row: Option<InvitationCheckRow> = sqlx::query_as(
                "SELECT v.contract_id, v.expires_at, v.used_at, c.vendor_organization_id, c.vendor_name, c.institution_id FROM vendor_invitations v JOIN vendor_contracts c ON c.id = v.contract_id WHERE v.token_hash = $1",
            )
            .bind(token_hash.to_owned())
            .fetch_optional(&mut *tx)
            .await?;
            let Some((contract_id, expires_at, used_at, contract_org, vendor_name, institution_id)) = row else {
                return Ok(Written::dropped(Err(InvitationRefusal::Unknown)));
            };
            if used_at.is_some() {
                return Ok(Written::dropped(Err(InvitationRefusal::Used)));
            }
            // RFC 3339 UTC instants of the same format compare as text.
            if expires_at <= at {
                return Ok(Written::dropped(Err(InvitationRefusal::Expired)));
            }
            let (user_id, organization_id) = match joining {
                Joining::ExistingUser { user_id, organization_id } => {
                    if contract_org.is_some_and(|o| o != *organization_id) {
                        return Ok(Written::dropped(Err(InvitationRefusal::OtherOrganization)));
                    }
                    (*user_id, *organization_id)
                }
                Joining::NewUser { login, password_hash, is_demo } => {
                    let organization_id = match contract_org {
                        Some(o) => o,
                        None => {
                            let (o,): (i64,) = sqlx::query_as("INSERT INTO vendor_organizations (name, created_at) VALUES ($1, $2) RETURNING id")
                                .bind(vendor_name.clone()).bind(at.clone()).fetch_one(&mut *tx).await?;
                            audit.push(Audit::new(&at, None::<i64>, "vendor_organization.create", None::<i64>, format!("organization={o} name={vendor_name}")));
                            o
                        }
                    };
                    let (user_id,): (i64,) = sqlx::query_as(
                        "INSERT INTO users (login, password_hash, role, institution_id, prefecture, is_demo, disabled, created_at, vendor_organization_id, login_key) VALUES ($1, $2, $3, NULL, NULL, $6, FALSE, $4, $5, $7) RETURNING id",
                    )
                    .bind(login.clone())
                    .bind(password_hash.clone())
                    .bind(Role::VendorUser.as_str())
                    .bind(at.clone())
                    .bind(organization_id)
                    .bind(*is_demo)
                    .bind(login_key(login))
                    .fetch_one(&mut *tx)
                    .await?;
                    audit.push(Audit::new(&at, Some(user_id), "user.create", None::<i64>, format!("login={login} role=vendor_user organization={organization_id}")));
                    (user_id, organization_id)
                }
            };
            sqlx::query("UPDATE vendor_contracts SET vendor_organization_id = $1, updated_at = $2 WHERE id = $3")
                .bind(organization_id).bind(at.clone()).bind(contract_id).execute(&mut *tx).await?;
            sqlx::query("UPDATE vendor_invitations SET used_at = $1, used_by = $2 WHERE token_hash = $3")
                .bind(at.clone()).bind(user_id).bind(token_hash.to_owned()).execute(&mut *tx).await?;
            audit.push(Audit::new(&at, Some(user_id), "vendor_invitation.accept", Some(institution_id), format!("contract={contract_id} organization={organization_id}")));
            Ok(Written::audited_all(Ok(Accepted { user_id, organization_id, contract_id }), audit))
        }).await);
        match outcome {
            Err(StoreError::Database(e)) if is_unique_violation(&e) => match joining {
                Joining::NewUser { login, .. } => Err(StoreError::Conflict(login.clone())),
                Joining::ExistingUser { .. } => Err(e.into()),
            },
            other => other,
        }
    }

    // ----- vendor answers ---------------------------------------------------------------

    /// Every answer on one contract's 事業者確認用 of a fiscal year, by item key.
    pub async fn vendor_answers(
        &self,
        contract_id: i64,
        fiscal_year: FiscalYear,
    ) -> Result<HashMap<String, ItemAnswers>> {
        self.answers_by_key(
            "SELECT item_key, round, answer, checked_on, target_date FROM vendor_answers WHERE contract_id = $1 AND fiscal_year = $2",
            contract_id,
            fiscal_year,
        )
        .await
    }

    /// The answers `sql` selects (as [`AnswerRow`]) for one institution or contract (`$1`) in
    /// a fiscal year (`$2`), by item key.
    pub(crate) async fn answers_by_key(
        &self,
        sql: &'static str,
        owner: i64,
        fiscal_year: FiscalYear,
    ) -> Result<HashMap<String, ItemAnswers>> {
        let rows: Vec<AnswerRow> = on_pool!(self, pool => {
            sqlx::query_as(sql).bind(owner).bind(i64::from(fiscal_year.start_year())).fetch_all(pool).await?
        });
        fold_answers(rows)
    }

    /// The answers of every contract of the institution in a fiscal year; a contract with no
    /// answer has no entry (its form is missing).
    pub async fn vendor_answers_of_institution(
        &self,
        institution_id: i64,
        fiscal_year: FiscalYear,
    ) -> Result<HashMap<ContractId, HashMap<String, ItemAnswers>>> {
        let rows: Vec<VendorAnswerRow> = on_pool!(self, pool => {
            sqlx::query_as("SELECT a.contract_id, a.item_key, a.round, a.answer, a.checked_on, a.target_date FROM vendor_answers a JOIN vendor_contracts c ON c.id = a.contract_id WHERE c.institution_id = $1 AND a.fiscal_year = $2")
                .bind(institution_id).bind(i64::from(fiscal_year.start_year())).fetch_all(pool).await?
        });
        fold_vendor_answers(rows)
    }

    /// Records one round of one vendor answer with its history row and audit entry; `check`
    /// judges it against the item's answers as they stand inside the transaction. Returns
    /// the item's answers after the change, or the refusal.
    #[allow(clippy::too_many_arguments)]
    pub async fn set_vendor_answer(
        &self,
        contract_id: i64,
        institution_id: i64,
        fiscal_year: FiscalYear,
        item_key: &str,
        round: Round,
        answer: &ItemAnswer,
        actor: i64,
        check: VendorAnswerCheck<'_>,
    ) -> Result<std::result::Result<ItemAnswers, AnswerError>> {
        let at = now();
        let fy = i64::from(fiscal_year.start_year());
        let outcome = on_pool!(self, pool => self.write(pool, async |tx| {
            let rows: Vec<AnswerRow> = sqlx::query_as(
                "SELECT item_key, round, answer, checked_on, target_date FROM vendor_answers WHERE contract_id = $1 AND fiscal_year = $2 AND item_key = $3",
            )
            .bind(contract_id).bind(fy).bind(item_key.to_owned())
            .fetch_all(&mut *tx).await?;
            let mut existing = fold_answers(rows)?.remove(item_key).unwrap_or_default();
            if let Err(refusal) = check(&existing) {
                return Ok(Written::dropped(Err(refusal)));
            }
            let previous = existing.round(round).cloned();
            sqlx::query(
                "INSERT INTO vendor_answers (contract_id, fiscal_year, item_key, round, answer, checked_on, target_date, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 ON CONFLICT (contract_id, fiscal_year, item_key, round) DO UPDATE SET answer = excluded.answer, checked_on = excluded.checked_on, target_date = excluded.target_date, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
            )
            .bind(contract_id).bind(fy).bind(item_key.to_owned()).bind(round.number())
            .bind(answer.answer.as_str()).bind(answer.checked_on.to_string()).bind(answer.target_date.map(|d| d.to_string()))
            .bind(actor).bind(at.clone())
            .execute(&mut *tx).await?;
            sqlx::query(
                "INSERT INTO vendor_answer_history (contract_id, fiscal_year, item_key, round, action, answer, checked_on, target_date, previous_answer, previous_checked_on, previous_target_date, changed_by, changed_at) VALUES ($1, $2, $3, $4, 'set', $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(contract_id).bind(fy).bind(item_key.to_owned()).bind(round.number())
            .bind(answer.answer.as_str()).bind(answer.checked_on.to_string()).bind(answer.target_date.map(|d| d.to_string()))
            .bind(previous.as_ref().map(|p| p.answer.as_str())).bind(previous.as_ref().map(|p| p.checked_on.to_string())).bind(previous.as_ref().and_then(|p| p.target_date.map(|d| d.to_string())))
            .bind(actor).bind(at.clone())
            .execute(&mut *tx).await?;
            let detail = format!(
                "contract={contract_id} fy={fy} item={item_key} round={} answer={} checked_on={} target={}",
                round.number(),
                answer.answer.as_str(),
                answer.checked_on,
                answer.target_date.map_or_else(|| "-".to_owned(), |d| d.to_string())
            );
            match round {
                Round::First => existing.first = Some(answer.clone()),
                Round::Second => existing.second = Some(answer.clone()),
            }
            Ok(Written::audited(Ok(existing), Audit::new(&at, actor, "vendor_answer.set", institution_id, detail)))
        }).await?);
        Ok(outcome)
    }

    /// Copies every answer of one contract's form of a fiscal year onto other contracts'
    /// forms (a vendor answering once for many institutions), replacing theirs item by item,
    /// with a history row per answer and an audit entry per contract, in one transaction.
    /// `targets` are (contract id, institution id). Returns how many answers were written.
    pub async fn copy_vendor_answers(
        &self,
        from_contract: i64,
        targets: &[(i64, i64)],
        fiscal_year: FiscalYear,
        actor: i64,
    ) -> Result<usize> {
        let at = now();
        let fy = i64::from(fiscal_year.start_year());
        let written = on_pool!(self, pool => self.write(pool, async |tx| {
            let source: Vec<AnswerRow> = sqlx::query_as(
                "SELECT item_key, round, answer, checked_on, target_date FROM vendor_answers WHERE contract_id = $1 AND fiscal_year = $2 ORDER BY item_key, round",
            )
            .bind(from_contract).bind(fy).fetch_all(&mut *tx).await?;
            let mut written = 0usize;
            let mut audit = Vec::new();
            for (target, institution_id) in targets {
                for AnswerRow { item_key: key, round, answer, checked_on, target_date } in &source {
                    let previous: Option<(String, String, Option<String>)> = sqlx::query_as(
                        "SELECT answer, checked_on, target_date FROM vendor_answers WHERE contract_id = $1 AND fiscal_year = $2 AND item_key = $3 AND round = $4",
                    )
                    .bind(*target).bind(fy).bind(key.clone()).bind(*round)
                    .fetch_optional(&mut *tx).await?;
                    sqlx::query(
                        "INSERT INTO vendor_answers (contract_id, fiscal_year, item_key, round, answer, checked_on, target_date, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                         ON CONFLICT (contract_id, fiscal_year, item_key, round) DO UPDATE SET answer = excluded.answer, checked_on = excluded.checked_on, target_date = excluded.target_date, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                    )
                    .bind(*target).bind(fy).bind(key.clone()).bind(*round)
                    .bind(answer.clone()).bind(checked_on.clone()).bind(target_date.clone())
                    .bind(actor).bind(at.clone())
                    .execute(&mut *tx).await?;
                    sqlx::query(
                        "INSERT INTO vendor_answer_history (contract_id, fiscal_year, item_key, round, action, answer, checked_on, target_date, previous_answer, previous_checked_on, previous_target_date, changed_by, changed_at) VALUES ($1, $2, $3, $4, 'copy', $5, $6, $7, $8, $9, $10, $11, $12)",
                    )
                    .bind(*target).bind(fy).bind(key.clone()).bind(*round)
                    .bind(answer.clone()).bind(checked_on.clone()).bind(target_date.clone())
                    .bind(previous.as_ref().map(|p| p.0.clone())).bind(previous.as_ref().map(|p| p.1.clone())).bind(previous.as_ref().and_then(|p| p.2.clone()))
                    .bind(actor).bind(at.clone())
                    .execute(&mut *tx).await?;
                    written += 1;
                }
                audit.push(Audit::new(&at, actor, "vendor_answer.copy", *institution_id, format!("contract={target} from={from_contract} fy={fy} answers={}", source.len())));
            }
            Ok(Written::audited_all(written, audit))
        }).await?);
        Ok(written)
    }

    /// How many history rows one vendor item has (for tests and the audit page).
    pub async fn vendor_answer_history_count(
        &self,
        contract_id: i64,
        fiscal_year: FiscalYear,
        item_key: &str,
    ) -> Result<i64> {
        let (n,): (i64,) = on_pool!(self, pool => {
            sqlx::query_as("SELECT COUNT(*) FROM vendor_answer_history WHERE contract_id = $1 AND fiscal_year = $2 AND item_key = $3")
                .bind(contract_id).bind(i64::from(fiscal_year.start_year())).bind(item_key.to_owned()).fetch_one(pool).await?
        });
        Ok(n)
    }

    // ----- MDS/SDS deliveries -----------------------------------------------------------

    /// Records an MDS/SDS handed to the institution; files over [`MAX_DELIVERY_BYTES`] are
    /// refused with `Conflict` naming the limit.
    #[allow(clippy::too_many_arguments)]
    pub async fn add_vendor_delivery(
        &self,
        contract_id: i64,
        institution_id: i64,
        kind: &str,
        delivered_on: chrono::NaiveDate,
        file_name: &str,
        content: &[u8],
        actor: i64,
    ) -> Result<i64> {
        if content.len() > MAX_DELIVERY_BYTES {
            return Err(StoreError::Conflict(format!(
                "file larger than {MAX_DELIVERY_BYTES} bytes"
            )));
        }
        let at = now();
        let detail = format!(
            "contract={contract_id} kind={kind} on={delivered_on} file={file_name} bytes={}",
            content.len()
        );
        let id = on_pool!(self, pool => self.write(pool, async |tx| {
            let (id,): (i64,) = sqlx::query_as("INSERT INTO vendor_deliveries (contract_id, kind, delivered_on, file_name, content, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
                .bind(contract_id).bind(kind.to_owned()).bind(delivered_on.to_string()).bind(file_name.to_owned()).bind(content.to_vec()).bind(actor).bind(at.clone())
                .fetch_one(&mut *tx).await?;
            Ok(Written::audited(id, Audit::new(&at, actor, "vendor_delivery.add", institution_id, detail)))
        }).await?);
        Ok(id)
    }

    pub async fn vendor_deliveries(&self, contract_id: i64) -> Result<Vec<Delivery>> {
        self.select_by(
            "SELECT id, contract_id, kind, delivered_on, file_name, CAST(LENGTH(content) AS BIGINT) AS size, created_at FROM vendor_deliveries WHERE contract_id = $1 ORDER BY id",
            contract_id,
        )
        .await
    }

    /// Every MDS/SDS delivery to the institution, across its contracts, by contract then
    /// oldest first.
    pub async fn vendor_deliveries_of_institution(
        &self,
        institution_id: i64,
    ) -> Result<Vec<Delivery>> {
        self.select_by(
            "SELECT d.id, d.contract_id, d.kind, d.delivered_on, d.file_name, CAST(LENGTH(d.content) AS BIGINT) AS size, d.created_at FROM vendor_deliveries d JOIN vendor_contracts c ON c.id = d.contract_id WHERE c.institution_id = $1 ORDER BY d.contract_id, d.id",
            institution_id,
        )
        .await
    }

    /// A delivery's file name and bytes.
    pub async fn vendor_delivery_file(
        &self,
        contract_id: i64,
        delivery_id: i64,
    ) -> Result<Option<(String, Vec<u8>)>> {
        let row: Option<(String, Vec<u8>)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT file_name, content FROM vendor_deliveries WHERE contract_id = $1 AND id = $2")
                .bind(contract_id).bind(delivery_id).fetch_optional(pool).await?
        });
        Ok(row)
    }

    // ----- contact chart and continuity records -----------------------------------------

    pub async fn contact_chart(&self, institution_id: i64) -> Result<Option<Document>> {
        self.document("contact_charts", institution_id).await
    }

    /// Replaces the institution's contact chart. With `expected`, refuses (`Conflict`) when
    /// the stored version is not that one, so that two editors do not overwrite each other.
    pub async fn put_contact_chart(
        &self,
        institution_id: i64,
        json: &str,
        expected: Option<&str>,
        actor: i64,
    ) -> Result<String> {
        self.put_document(
            "contact_charts",
            "contact_chart.put",
            (institution_id, json, None),
            expected,
            actor,
        )
        .await
    }

    pub async fn continuity_records(&self, institution_id: i64) -> Result<Option<Document>> {
        self.document("continuity_records", institution_id).await
    }

    /// Replaces the institution's backup and BCP records (see [`Store::put_contact_chart`]),
    /// with the first day a restore test among them is older than a year, which the
    /// scheduler tells of.
    pub async fn put_continuity_records(
        &self,
        institution_id: i64,
        (json, restore_test_due): (&str, Option<NaiveDate>),
        expected: Option<&str>,
        actor: i64,
    ) -> Result<String> {
        self.put_document(
            "continuity_records",
            "continuity.put",
            (institution_id, json, Some(restore_test_due)),
            expected,
            actor,
        )
        .await
    }

    async fn document(&self, table: &'static str, institution_id: i64) -> Result<Option<Document>> {
        let sql = format!(
            "SELECT d.document AS json, d.updated_at, u.login AS updated_by FROM {table} d JOIN users u ON u.id = d.updated_by WHERE d.institution_id = $1"
        );
        Ok(on_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(institution_id).fetch_optional(pool).await?
        }))
    }

    /// Replaces a document; `due` is the continuity records' restore-test day (`None` for a
    /// document without one).
    async fn put_document(
        &self,
        table: &'static str,
        action: &'static str,
        (institution_id, json, due): (i64, &str, Option<Option<NaiveDate>>),
        expected: Option<&str>,
        actor: i64,
    ) -> Result<String> {
        let at = now();
        let select = format!("SELECT updated_at FROM {table} WHERE institution_id = $1");
        let (due_column, due_value, due_update) = match due {
            Some(_) => (
                ", restore_test_due",
                ", $5",
                ", restore_test_due = excluded.restore_test_due",
            ),
            None => ("", "", ""),
        };
        let upsert = format!(
            "INSERT INTO {table} (institution_id, document, updated_by, updated_at{due_column}) VALUES ($1, $2, $3, $4{due_value}) \
             ON CONFLICT (institution_id) DO UPDATE SET document = excluded.document, updated_by = excluded.updated_by, updated_at = excluded.updated_at{due_update}"
        );
        let detail = {
            use sha2::{Digest, Sha256};
            format!(
                "sha256={} bytes={}",
                hex::encode(Sha256::digest(json.as_bytes())),
                json.len()
            )
        };
        on_pool!(self, pool => self.write(pool, async |tx| {
            let current: Option<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(select))
                .bind(institution_id).fetch_optional(&mut *tx).await?;
            if let Some(expected) = expected
                && current.as_ref().map(|c| c.0.as_str()) != Some(expected)
            {
                return Err(StoreError::Conflict(current.map(|c| c.0).unwrap_or_default()));
            }
            let mut upsert = sqlx::query(sqlx::AssertSqlSafe(upsert))
                .bind(institution_id).bind(json.to_owned()).bind(actor).bind(at.clone());
            if let Some(day) = due {
                upsert = upsert.bind(day.map(|d| d.to_string()));
            }
            upsert.execute(&mut *tx).await?;
            Ok(Written::audited((), Audit::new(&at, actor, action, institution_id, detail)))
        }).await?);
        Ok(at)
    }
}

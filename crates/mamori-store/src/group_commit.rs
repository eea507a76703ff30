//! Group commit of answers.
//!
//! Many people answer at once near a deadline, and every answer is stored with its history
//! and a keyed, hash-chained audit entry. One transaction per answer would hold the database's write
//! lock (SQLite) or the audit head's row lock (PostgreSQL) for a transaction's whole length,
//! once per answer. Instead, one writer task per store takes answers from a queue; those that
//! arrive while it writes a batch wait, and it stores all of them in the next transaction: one `UPSERT` per answer
//! (the history row is written by a trigger), one multi-row insert into the audit log and one
//! update of the chain head for the whole batch. Each caller still gets its own result, and
//! returns only after its answer is committed.
//!
//! The transaction takes the audit head's row first, which orders it with every other writer
//! (on PostgreSQL, those of other servers too), and only then reads the answers as they stand.
//! Each answer carries its validation ([`AnswerCheck`]), which runs against them, earlier
//! answers of the same batch included: two people saving the same item at the same moment are
//! judged in order, never both against the same stale state. The same read brings each
//! institution's whole fiscal year, from which the years an answer moved are recomputed
//! (`crate::year_states`) before the commit.
//!
//! If a batch fails in the database, its answers are retried one per transaction, so that
//! one bad answer cannot fail the others.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use mamori_domain::{AnswerError, ItemAnswer, ItemAnswers, Round};
use sqlx::QueryBuilder;
use tokio::sync::{mpsc, oneshot};

use crate::audit::KeySlot;
use crate::year_states::{KeptYear, RulesSlot, kept_answers, year_changes};
use crate::{
    AuditEntry, AuditProblem, BeginWrite, Pool, Result, Store, StoreError, parse_item_answer,
};

/// Where answers are queued for the writer task.
pub(crate) type AnswerSender = mpsc::UnboundedSender<PendingAnswer>;

/// Decides whether an answer may be stored, given the item's answers as they stand.
pub type AnswerCheck = Box<dyn Fn(&ItemAnswers) -> Result<(), AnswerError> + Send + Sync>;

/// What one queued answer came to: stored (with the item's answers after it) or refused.
pub type AnswerOutcome = Result<ItemAnswers, AnswerError>;

/// The most answers written in one transaction; keeps the statement under every engine's
/// bind-parameter limit (8 per audit row).
const MAX_BATCH: usize = 256;

/// One answer waiting to be stored.
pub(crate) struct AnswerWrite {
    pub institution_id: i64,
    pub fiscal_year: i64,
    pub item_key: String,
    pub round: Round,
    pub answer: ItemAnswer,
    pub actor: i64,
    pub at: String,
    pub check: AnswerCheck,
}

impl std::fmt::Debug for AnswerWrite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnswerWrite")
            .field("institution_id", &self.institution_id)
            .field("fiscal_year", &self.fiscal_year)
            .field("item_key", &self.item_key)
            .field("round", &self.round)
            .field("answer", &self.answer)
            .finish_non_exhaustive()
    }
}

type ItemId = (i64, i64, String);

/// (institution, fiscal year, item key, round, answer, checked on, target date)
type AnswerRow = (i64, i64, String, i64, String, String, Option<String>);

impl AnswerWrite {
    fn item_id(&self) -> ItemId {
        (self.institution_id, self.fiscal_year, self.item_key.clone())
    }

    fn answer_text(&self) -> &'static str {
        self.answer.answer.as_str()
    }

    fn checked_on(&self) -> String {
        self.answer.checked_on.to_string()
    }

    fn target_date(&self) -> Option<String> {
        self.answer.target_date.map(|d| d.to_string())
    }

    fn audit_detail(&self) -> String {
        format!(
            "fiscal_year={} item={} round={} answer={} checked_on={} target_date={}",
            self.fiscal_year,
            self.item_key,
            self.round.number(),
            self.answer_text(),
            self.checked_on(),
            self.target_date().as_deref().unwrap_or("-")
        )
    }
}

#[derive(Debug)]
pub(crate) struct PendingAnswer {
    write: AnswerWrite,
    done: oneshot::Sender<Result<AnswerOutcome>>,
}

impl Store {
    /// Queues one answer and returns once it is committed (or has failed). The writer task
    /// finishes the batch even if this caller goes away.
    pub(crate) async fn write_answer(&self, write: AnswerWrite) -> Result<AnswerOutcome> {
        let (done, result) = oneshot::channel();
        self.answers
            .send(PendingAnswer { write, done })
            .map_err(|_| StoreError::Corrupt("the answer writer has stopped".into()))?;
        result
            .await
            .map_err(|_| StoreError::Corrupt("answer batch ended without a result".into()))?
    }
}

/// Starts the writer task of a store. It ends when the last sender (the last clone of the
/// store) is dropped.
pub(crate) fn start_writer(
    pool: Pool,
    turn: std::sync::Arc<tokio::sync::Mutex<()>>,
    audit_key: KeySlot,
    year_rules: RulesSlot,
) -> AnswerSender {
    let (sender, receiver) = mpsc::unbounded_channel();
    tokio::spawn(
        BatchWriter {
            pool,
            turn,
            audit_key,
            year_rules,
        }
        .run(receiver),
    );
    sender
}

struct BatchWriter {
    pool: Pool,
    /// The store's write turn (SQLite: one writer at a time in this process).
    turn: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// The store's audit key (see `Store::open_audit_log`).
    audit_key: KeySlot,
    /// The rules each institution's year is kept with (see `crate::oversight`).
    year_rules: RulesSlot,
}

impl BatchWriter {
    async fn run(self, mut queue: mpsc::UnboundedReceiver<PendingAnswer>) {
        while let Some(first) = queue.recv().await {
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match queue.try_recv() {
                    Ok(next) => batch.push(next),
                    Err(_) => break,
                }
            }
            let _turn = self.turn.lock().await;
            self.commit_batch(batch).await;
        }
    }

    async fn commit_batch(&self, batch: Vec<PendingAnswer>) {
        let writes: Vec<&AnswerWrite> = batch.iter().map(|p| &p.write).collect();
        match self.store_answers(&writes).await {
            Ok(outcomes) => {
                for (p, outcome) in batch.into_iter().zip(outcomes) {
                    let _ = p.done.send(Ok(outcome));
                }
            }
            Err(e) if batch.len() == 1 => {
                if let Some(p) = batch.into_iter().next() {
                    let _ = p.done.send(Err(e));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, size = batch.len(), "answer batch failed; storing one by one");
                for p in batch {
                    let result = self
                        .store_answers(&[&p.write])
                        .await
                        .and_then(|mut outcomes| {
                            outcomes.pop().ok_or_else(|| {
                                StoreError::Corrupt("answer batch gave no outcome".into())
                            })
                        });
                    let _ = p.done.send(result);
                }
            }
        }
    }

    /// Validates and stores the answers, their history (by trigger) and their audit entries
    /// in one transaction; one outcome per answer, in order.
    async fn store_answers(&self, writes: &[&AnswerWrite]) -> Result<Vec<AnswerOutcome>> {
        if writes.is_empty() {
            return Ok(Vec::new());
        }
        let key = self.audit_key.get().ok_or(AuditProblem::NoKey)?;
        let rules = self.year_rules.get();
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;

            // The audit head first: its row lock orders this batch with every other writer
            // (other servers on PostgreSQL), so what is read next stands until the commit.
            let (head_seq, mut prev_hash, recorded): (i64, String, Option<String>) =
                sqlx::query_as("UPDATE audit_chain_head SET seq = seq WHERE id = 1 RETURNING seq, last_hash, key_fingerprint")
                    .fetch_one(&mut *tx)
                    .await?;
            key.check_recorded(recorded.as_deref())?;

            // The answers as they stand, by institution year and item. With the year rules,
            // one read per fiscal year brings each institution's whole year (its answers, kept
            // state and open dates): it serves both the judging and the recount.
            let mut years: HashMap<(i64, i64), HashMap<String, ItemAnswers>> = HashMap::new();
            let mut kept: BTreeMap<i64, Vec<KeptYear>> = BTreeMap::new();
            if rules.is_some() {
                let mut by_year: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
                for w in writes {
                    by_year.entry(w.fiscal_year).or_default().insert(w.institution_id);
                }
                for (year, ids) in by_year {
                    let rows = crate::year_states::read_kept_years!(tx, year, &ids);
                    for row in &rows {
                        years.insert((row.id, year), kept_answers(row)?);
                    }
                    kept.insert(year, rows);
                }
            } else {
                // Only the batch's items. Each column gets its own IN list so that both
                // engines probe the primary key; rows of other combinations are harmless extras.
                let institutions: HashSet<i64> = writes.iter().map(|w| w.institution_id).collect();
                let fiscal_years: HashSet<i64> = writes.iter().map(|w| w.fiscal_year).collect();
                let keys: HashSet<&str> = writes.iter().map(|w| w.item_key.as_str()).collect();
                let mut select = QueryBuilder::new(
                    "SELECT institution_id, fiscal_year, item_key, round, answer, checked_on, target_date FROM answers WHERE institution_id IN (",
                );
                let mut list = select.separated(", ");
                for id in institutions {
                    list.push_bind(id);
                }
                select.push(") AND fiscal_year IN (");
                let mut list = select.separated(", ");
                for fy in fiscal_years {
                    list.push_bind(fy);
                }
                select.push(") AND item_key IN (");
                let mut list = select.separated(", ");
                for key in keys {
                    list.push_bind(key);
                }
                select.push(")");
                let rows: Vec<AnswerRow> =
                    select.build_query_as().fetch_all(&mut *tx).await?;
                for (institution_id, fiscal_year, key, round, answer, checked_on, target) in rows {
                    let a = parse_item_answer(&answer, &checked_on, target.as_deref())?;
                    let entry = years
                        .entry((institution_id, fiscal_year))
                        .or_default()
                        .entry(key)
                        .or_default();
                    match round {
                        1 => entry.first = Some(a),
                        2 => entry.second = Some(a),
                        other => return Err(StoreError::Corrupt(format!("round {other}"))),
                    }
                }
            }

            // Judge each answer in order against the state the earlier ones left.
            let mut outcomes = Vec::with_capacity(writes.len());
            let mut accepted: Vec<&AnswerWrite> = Vec::with_capacity(writes.len());
            // The institutions' years an answer of the batch may move: a year's state, open
            // target dates and いいえ follow from which rounds are answered, and how (the
            // answer and its target date), never from the day of checking alone.
            let mut moved: BTreeSet<(i64, i64)> = BTreeSet::new();
            for w in writes {
                let answers = years
                    .entry((w.institution_id, w.fiscal_year))
                    .or_default()
                    .entry(w.item_key.clone())
                    .or_default();
                match (w.check)(answers) {
                    Ok(()) => {
                        let before = answers.round(w.round).map(|a| (a.answer, a.target_date));
                        if before != Some((w.answer.answer, w.answer.target_date)) {
                            moved.insert((w.institution_id, w.fiscal_year));
                        }
                        match w.round {
                            Round::First => answers.first = Some(w.answer.clone()),
                            Round::Second => answers.second = Some(w.answer.clone()),
                        }
                        outcomes.push(Ok(answers.clone()));
                        accepted.push(w);
                    }
                    Err(e) => outcomes.push(Err(e)),
                }
            }
            if accepted.is_empty() {
                tx.rollback().await?;
                return Ok(outcomes);
            }

            // One multi-row upsert per run of answers with distinct keys: PostgreSQL refuses
            // to update the same row twice in one statement.
            let mut start = 0;
            while start < accepted.len() {
                let mut keys = HashSet::new();
                let end = accepted[start..]
                    .iter()
                    .position(|w| !keys.insert((w.item_id(), w.round.number())))
                    .map_or(accepted.len(), |n| start + n);
                let mut upsert = QueryBuilder::new(
                    "INSERT INTO answers (institution_id, fiscal_year, item_key, round, answer, checked_on, target_date, updated_by, updated_at) ",
                );
                upsert.push_values(&accepted[start..end], |mut b, w| {
                    b.push_bind(w.institution_id)
                        .push_bind(w.fiscal_year)
                        .push_bind(w.item_key.as_str())
                        .push_bind(w.round.number())
                        .push_bind(w.answer_text())
                        .push_bind(w.checked_on())
                        .push_bind(w.target_date())
                        .push_bind(w.actor)
                        .push_bind(w.at.as_str());
                });
                upsert.push(
                    " ON CONFLICT (institution_id, fiscal_year, item_key, round) DO UPDATE SET answer = excluded.answer, checked_on = excluded.checked_on, target_date = excluded.target_date, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                );
                upsert.build().execute(&mut *tx).await?;
                start = end;
            }

            // The sequence numbers follow the head read above.
            let count = i64::try_from(accepted.len())
                .map_err(|_| StoreError::Corrupt("answer batch too large".into()))?;
            let first_seq = head_seq + 1;
            let mut rows = Vec::with_capacity(accepted.len());
            for (seq, w) in (first_seq..).zip(&accepted) {
                let entry = AuditEntry {
                    seq,
                    at: w.at.clone(),
                    user_id: Some(w.actor),
                    action: "answer.set".to_owned(),
                    institution_id: Some(w.institution_id),
                    detail: w.audit_detail(),
                };
                let hash = key.chain_hash(&entry, &prev_hash);
                rows.push((entry, std::mem::replace(&mut prev_hash, hash.clone()), hash));
            }
            let mut insert = QueryBuilder::new(
                "INSERT INTO audit_log (seq, at, user_id, action, institution_id, detail, prev_hash, hash) ",
            );
            insert.push_values(rows, |mut b, (entry, prev, hash)| {
                b.push_bind(entry.seq)
                    .push_bind(entry.at)
                    .push_bind(entry.user_id)
                    .push_bind(entry.action)
                    .push_bind(entry.institution_id)
                    .push_bind(entry.detail)
                    .push_bind(prev)
                    .push_bind(hash);
            });
            insert.build().execute(&mut *tx).await?;
            sqlx::query("UPDATE audit_chain_head SET seq = $1, last_hash = $2 WHERE id = 1")
                .bind(head_seq + count)
                .bind(prev_hash)
                .execute(&mut *tx)
                .await?;
            // Each moved institution's year once, from the answers the whole batch left.
            if let Some(rules) = rules {
                let none = HashMap::new();
                for (year, rows) in kept {
                    let fiscal_year = i32::try_from(year)
                        .ok()
                        .and_then(|y| mamori_domain::FiscalYear::new(y).ok())
                        .ok_or_else(|| StoreError::Corrupt(format!("fiscal year {year}")))?;
                    let moved_years = rows
                        .into_iter()
                        .filter(|row| moved.contains(&(row.id, year)))
                        .map(|row| {
                            let answers = years.get(&(row.id, year)).unwrap_or(&none);
                            (row, answers)
                        });
                    let changes = year_changes(rules, fiscal_year, moved_years)?;
                    crate::year_states::write_year_changes!(tx, year, changes);
                }
            }
            tx.commit().await?;
            Ok(outcomes)
        })
    }
}

//! The name search's index: every piece of two and of three characters (a gram) of each
//! institution's folded search key, and how many institutions hold each gram.
//!
//! Japanese names have no spaces to split words at, and `LIKE '%…%'` reads every name (no
//! B-tree serves it), so the search reads the institutions holding the query's rarest grams
//! instead and checks only those against the whole query: its cost follows how many names
//! share the query's rarest pieces, not how many institutions there are. Grams of two serve
//! two-character words (中央, 港区); grams of three are far rarer for longer queries. A query
//! of one character still reads every name.
//!
//! The grams are written in the transaction that writes the institution's key; an
//! institution whose `search_grams_of` differs from its key (rows written before the index,
//! or straight into the table) is indexed when the store opens.

use std::collections::{BTreeSet, HashMap};

use sqlx::QueryBuilder;

use mamori_domain::text::fold::search_key;

use crate::{BeginWrite, Pool, Result, Store};

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

/// The grams of a folded key: its pieces of two and of three characters, none across the
/// separator of the key's parts.
pub(crate) fn grams(key: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for part in key.split(KEY_PARTS) {
        let chars: Vec<char> = part.chars().collect();
        for width in [2, 3] {
            out.extend(chars.windows(width).map(|w| w.iter().collect::<String>()));
        }
    }
    out
}

/// How a folded query finds names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NamePlan {
    /// One character: every name is read.
    Scan,
    /// The names holding these grams (one or two, the rarest of the query's) are read, then
    /// checked against the whole query.
    Grams(Vec<String>),
    /// A gram of the query is in no name: no name matches (a code still may).
    NoName,
}

/// Rows per statement when grams are written in bulk: two parameters each, well under
/// SQLite's 32,766 and PostgreSQL's 65,535.
pub(crate) const ROWS_PER_STATEMENT: usize = 5_000;

/// Institutions indexed per transaction when the store opens.
const INSTITUTIONS_PER_FILL: i64 = 2_000;

/// Writes anew the grams of the institutions `$ids` (a `&[i64]`) from their keys as they stand
/// in the transaction `$tx`, with the counts of the grams they leave and join.
macro_rules! index_search_keys {
    ($tx:expr, $ids:expr) => {{
        let ids: &[i64] = $ids;
        if !ids.is_empty() {
            let mut deltas: std::collections::HashMap<String, i64> =
                std::collections::HashMap::new();
            let mut old =
                sqlx::QueryBuilder::new("SELECT gram FROM search_grams WHERE institution_id IN (");
            $crate::year_states::push_ids!(old, ids);
            let left: Vec<(String,)> = old.build_query_as().fetch_all(&mut *$tx).await?;
            for (gram,) in left {
                *deltas.entry(gram).or_default() -= 1;
            }
            let mut delete =
                sqlx::QueryBuilder::new("DELETE FROM search_grams WHERE institution_id IN (");
            $crate::year_states::push_ids!(delete, ids);
            delete.build().execute(&mut *$tx).await?;
            let mut keys =
                sqlx::QueryBuilder::new("SELECT id, search_key FROM institutions WHERE id IN (");
            $crate::year_states::push_ids!(keys, ids);
            let keys: Vec<(i64, String)> = keys.build_query_as().fetch_all(&mut *$tx).await?;
            let mut rows: Vec<(String, i64)> = Vec::new();
            for (id, key) in &keys {
                for gram in $crate::search_grams::grams(key) {
                    *deltas.entry(gram.clone()).or_default() += 1;
                    rows.push((gram, *id));
                }
            }
            for chunk in rows.chunks($crate::search_grams::ROWS_PER_STATEMENT) {
                let mut insert =
                    sqlx::QueryBuilder::new("INSERT INTO search_grams (gram, institution_id) ");
                insert.push_values(chunk, |mut b, (gram, id)| {
                    b.push_bind(gram.clone()).push_bind(*id);
                });
                insert.build().execute(&mut *$tx).await?;
            }
            let deltas: Vec<(String, i64)> = deltas.into_iter().filter(|(_, n)| *n != 0).collect();
            for chunk in deltas.chunks($crate::search_grams::ROWS_PER_STATEMENT) {
                let mut count =
                    sqlx::QueryBuilder::new("INSERT INTO search_gram_counts (gram, n) ");
                count.push_values(chunk, |mut b, (gram, n)| {
                    b.push_bind(gram.clone()).push_bind(*n);
                });
                count.push(
                    " ON CONFLICT (gram) DO UPDATE SET n = search_gram_counts.n + excluded.n",
                );
                count.build().execute(&mut *$tx).await?;
            }
            let mut done = sqlx::QueryBuilder::new(
                "UPDATE institutions SET search_grams_of = search_key WHERE id IN (",
            );
            $crate::year_states::push_ids!(done, ids);
            done.build().execute(&mut *$tx).await?;
        }
    }};
}
pub(crate) use index_search_keys;

impl Store {
    /// Indexes every institution whose grams were not made from its present key, a batch per
    /// transaction; how many it indexed.
    pub(crate) async fn fill_search_grams(&self) -> Result<usize> {
        let mut indexed = 0;
        let mut after = 0i64;
        loop {
            let ids: Vec<i64> = on_pool!(self, pool => {
                sqlx::query_scalar(
                    "SELECT id FROM institutions WHERE id > $1 AND search_grams_of <> search_key ORDER BY id LIMIT $2",
                )
                .bind(after)
                .bind(INSTITUTIONS_PER_FILL)
                .fetch_all(pool)
                .await?
            });
            let Some(last) = ids.last().copied() else {
                return Ok(indexed);
            };
            let _turn = self.write_turn().await;
            on_pool!(self, pool => {
                let mut tx = pool.begin_write().await?;
                index_search_keys!(tx, &ids);
                tx.commit().await?;
            });
            indexed += ids.len();
            after = last;
        }
    }

    /// How a folded query finds names: by its rarest grams, as counted.
    pub(crate) async fn name_plan(&self, key: &str) -> Result<NamePlan> {
        if key.chars().count() < 2 {
            return Ok(NamePlan::Scan);
        }
        let wanted = grams(key);
        // A query of two characters has one gram; a longer one is served by its grams of three.
        let wanted: Vec<String> = if key.chars().count() == 2 {
            wanted.into_iter().collect()
        } else {
            wanted
                .into_iter()
                .filter(|g| g.chars().count() == 3)
                .collect()
        };
        if wanted.is_empty() {
            return Ok(NamePlan::Scan);
        }
        let counts: Vec<(String, i64)> = on_pool!(self, pool => {
            let mut q = QueryBuilder::new("SELECT gram, n FROM search_gram_counts WHERE gram IN (");
            let mut list = q.separated(", ");
            for gram in &wanted {
                list.push_bind(gram.clone());
            }
            q.push(")");
            q.build_query_as().fetch_all(pool).await?
        });
        let counted: HashMap<String, i64> = counts.into_iter().collect();
        let mut ranked: Vec<(i64, String)> = wanted
            .into_iter()
            .map(|g| (counted.get(&g).copied().unwrap_or(0), g))
            .collect();
        ranked.sort();
        if ranked.first().is_some_and(|(n, _)| *n <= 0) {
            return Ok(NamePlan::NoName);
        }
        Ok(NamePlan::Grams(
            ranked.into_iter().take(2).map(|(_, g)| g).collect(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grams_are_the_pieces_of_two_and_three_within_each_part() {
        let key = format!("みなと中央{KEY_PARTS}港区");
        let found = grams(&key);
        for expected in ["みな", "なと", "中央", "みなと", "と中央", "港区"] {
            assert!(
                found.contains(expected),
                "{expected} missing from {found:?}"
            );
        }
        assert!(!found.iter().any(|g| g.contains(KEY_PARTS)));
        assert!(grams("a").is_empty());
    }
}

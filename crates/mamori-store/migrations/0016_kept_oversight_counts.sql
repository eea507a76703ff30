-- What the summaries and the dashboards read, kept in the transactions that change it, so that
-- neither the overdue target dates nor the items answered いいえ are counted from their rows at
-- each request. Both are rebuilt from the tables they count when the store opens.
--
-- Open target dates by prefecture, kind and date: how many (`targets`), and how many
-- institutions have it as their earliest (`institutions`). The overdue ones before a day are the
-- rows before it added up, and an institution has one overdue exactly when its earliest is.
CREATE TABLE open_target_counts (
    fiscal_year {{int}} NOT NULL,
    prefecture TEXT NOT NULL,
    oversight_kind TEXT NOT NULL,
    target_date TEXT NOT NULL,
    targets {{int}} NOT NULL,
    institutions {{int}} NOT NULL,
    PRIMARY KEY (fiscal_year, prefecture, oversight_kind, target_date)
);
-- The items an institution answered いいえ in the first round (1回目) of the year, their keys
-- sorted and comma-separated, as they were counted.
ALTER TABLE year_states ADD COLUMN answered_no TEXT NOT NULL DEFAULT '';
-- One pass over the いいえ, grouped: a subquery per state row would read them once per row.
UPDATE year_states SET answered_no = n.keys FROM (SELECT institution_id, fiscal_year, string_agg(item_key, ',' ORDER BY item_key) AS keys FROM answers WHERE round = 1 AND answer = 'no' GROUP BY institution_id, fiscal_year) n WHERE n.institution_id = year_states.institution_id AND n.fiscal_year = year_states.fiscal_year;
-- Institutions that answered each item いいえ in the first round, by prefecture.
CREATE TABLE answered_no_counts (
    fiscal_year {{int}} NOT NULL,
    prefecture TEXT NOT NULL,
    item_key TEXT NOT NULL,
    n {{int}} NOT NULL,
    PRIMARY KEY (fiscal_year, prefecture, item_key)
);

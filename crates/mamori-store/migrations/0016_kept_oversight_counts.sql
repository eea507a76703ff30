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
UPDATE year_states SET answered_no = COALESCE((SELECT string_agg(a.item_key, ',' ORDER BY a.item_key) FROM answers a WHERE a.institution_id = year_states.institution_id AND a.fiscal_year = year_states.fiscal_year AND a.round = 1 AND a.answer = 'no'), '');
-- Institutions that answered each item いいえ in the first round, by prefecture.
CREATE TABLE answered_no_counts (
    fiscal_year {{int}} NOT NULL,
    prefecture TEXT NOT NULL,
    item_key TEXT NOT NULL,
    n {{int}} NOT NULL,
    PRIMARY KEY (fiscal_year, prefecture, item_key)
);

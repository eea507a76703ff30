-- Oversight at the size of the country: the name search's index, and what the summaries add up
-- without reading every institution.
--
-- The name search's index: every piece of two and of three characters (a gram) of each
-- institution's folded search key. `LIKE '%…%'` reads every name; the search reads the
-- institutions holding the query's rarest grams instead (see the store's `search_grams`).
CREATE TABLE search_grams (
    gram TEXT NOT NULL,
    institution_id {{int}} NOT NULL REFERENCES institutions (id),
    PRIMARY KEY (gram, institution_id)
);
-- How many institutions hold each gram: which of a query's grams are the rarest.
CREATE TABLE search_gram_counts (
    gram TEXT PRIMARY KEY,
    n {{int}} NOT NULL
);
-- The search key the institution's grams were made from: a row whose key differs is indexed
-- when the store opens (every row, the first time).
ALTER TABLE institutions ADD COLUMN search_grams_of TEXT NOT NULL DEFAULT '';
-- A search also finds a whole 医療機関コード or 全国地方公共団体コード.
CREATE INDEX institutions_by_code ON institutions (medical_institution_code);
CREATE INDEX institutions_by_municipality_code ON institutions (municipality_code);
-- A ledger's flag counts carry the institution's prefecture and kind, so that the summaries
-- add them up without reading every institution; a profile change deletes the row, which the
-- web tier counts again.
ALTER TABLE device_flag_counts ADD COLUMN prefecture TEXT NOT NULL DEFAULT '';
ALTER TABLE device_flag_counts ADD COLUMN oversight_kind TEXT NOT NULL DEFAULT '';
UPDATE device_flag_counts SET prefecture = (SELECT i.prefecture FROM institutions i WHERE i.id = device_flag_counts.institution_id), oversight_kind = (SELECT i.oversight_kind FROM institutions i WHERE i.id = device_flag_counts.institution_id);
CREATE INDEX device_flag_counts_counted ON device_flag_counts (prefecture, oversight_kind);

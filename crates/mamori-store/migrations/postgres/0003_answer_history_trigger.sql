-- Every stored answer leaves its history row, written by the database in the same statement
-- as the answer itself: no code path can change an answer without its history, and a batch of
-- answers costs one statement each instead of a read, a write and a history insert.
-- (An upsert that takes its DO UPDATE path fires the UPDATE trigger only.)
CREATE FUNCTION answers_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO answer_history (institution_id, fiscal_year, item_key, round, action, answer, checked_on, target_date, changed_by, changed_at)
        VALUES (NEW.institution_id, NEW.fiscal_year, NEW.item_key, NEW.round, 'set', NEW.answer, NEW.checked_on, NEW.target_date, NEW.updated_by, NEW.updated_at);
    ELSE
        INSERT INTO answer_history (institution_id, fiscal_year, item_key, round, action, answer, checked_on, target_date, previous_answer, previous_checked_on, previous_target_date, changed_by, changed_at)
        VALUES (NEW.institution_id, NEW.fiscal_year, NEW.item_key, NEW.round, 'set', NEW.answer, NEW.checked_on, NEW.target_date, OLD.answer, OLD.checked_on, OLD.target_date, NEW.updated_by, NEW.updated_at);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER answers_history AFTER INSERT OR UPDATE ON answers
    FOR EACH ROW EXECUTE FUNCTION answers_history();

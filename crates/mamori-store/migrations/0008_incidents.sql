-- インシデントかも?: consultation cases of institutions that fear an incident, the desk's
-- and the institution's notes, and every state change. Free text stays here; the audit log
-- keeps only what changed (case, state, urgency), not what was written.
CREATE TABLE incident_cases (
    id {{id}},
    institution_id {{int}} NOT NULL REFERENCES institutions (id),
    reported_by {{int}} NOT NULL REFERENCES users (id),
    -- JSON arrays of symptom and system codes.
    symptoms TEXT NOT NULL,
    systems TEXT NOT NULL,
    -- Japan time as written in the form: YYYY-MM-DDTHH:MM:SS.
    started_at TEXT NOT NULL,
    care_affected TEXT NOT NULL,
    details TEXT NOT NULL,
    callback_phone TEXT,
    urgency TEXT NOT NULL,
    -- 0 = critical … 3 = low: the desk's order.
    urgency_rank {{int}} NOT NULL,
    state TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX incident_cases_by_institution ON incident_cases (institution_id, id);
CREATE INDEX incident_cases_by_state ON incident_cases (state, urgency_rank, id);

CREATE TABLE incident_notes (
    id {{id}},
    case_id {{int}} NOT NULL REFERENCES incident_cases (id),
    -- 'desk' or 'institution'.
    side TEXT NOT NULL,
    body TEXT NOT NULL,
    created_by {{int}} NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL
);
CREATE INDEX incident_notes_by_case ON incident_notes (case_id, id);

CREATE TABLE incident_state_changes (
    id {{id}},
    case_id {{int}} NOT NULL REFERENCES incident_cases (id),
    from_state TEXT,
    to_state TEXT NOT NULL,
    changed_by {{int}} NOT NULL REFERENCES users (id),
    changed_at TEXT NOT NULL
);
CREATE INDEX incident_state_changes_by_case ON incident_state_changes (case_id, id);

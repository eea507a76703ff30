-- Training (研修): courses by audience and format, their sessions, the institutions'
-- registrations (a seat, the waitlist, cancelled, attended), and the operator's list of
-- lecturers and technicians (講師・技術者リスト).
CREATE TABLE training_courses (
    id {{id}},
    title_ja TEXT NOT NULL,
    title_en TEXT NOT NULL,
    -- executive / manager / beginner / introductory
    audience TEXT NOT NULL,
    -- online / e_learning / workshop / site_visit
    format TEXT NOT NULL,
    description_ja TEXT NOT NULL,
    description_en TEXT NOT NULL,
    created_by {{int}} REFERENCES users (id),
    created_at TEXT NOT NULL
);

-- Times are Japan time, `YYYY-MM-DDTHH:MM:SS`, so that they compare as text.
CREATE TABLE training_sessions (
    id {{id}},
    course_id {{int}} NOT NULL REFERENCES training_courses (id),
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    deadline TEXT NOT NULL,
    capacity {{int}} NOT NULL CHECK (capacity > 0),
    venue TEXT NOT NULL,
    created_by {{int}} REFERENCES users (id),
    created_at TEXT NOT NULL,
    -- Touched by every registration and cancellation: the row lock that orders them.
    updated_at TEXT NOT NULL
);
CREATE INDEX training_sessions_by_start ON training_sessions (starts_at, id);

-- The waitlist is the session's 'waitlisted' rows in id order (order of arrival).
CREATE TABLE training_registrations (
    id {{id}},
    session_id {{int}} NOT NULL REFERENCES training_sessions (id),
    institution_id {{int}} NOT NULL REFERENCES institutions (id),
    participant_name TEXT NOT NULL,
    -- The name as compared (spaces removed, case folded): one live place per person.
    name_key TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('registered', 'waitlisted', 'cancelled', 'attended')),
    created_by {{int}} NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    updated_by {{int}} NOT NULL REFERENCES users (id),
    updated_at TEXT NOT NULL
);
CREATE INDEX training_registrations_by_session ON training_registrations (session_id, status, id);
CREATE INDEX training_registrations_by_institution ON training_registrations (institution_id, session_id);
CREATE UNIQUE INDEX training_registrations_one_live_place
    ON training_registrations (session_id, institution_id, name_key) WHERE status <> 'cancelled';

CREATE TABLE training_lecturers (
    id {{id}},
    name TEXT NOT NULL,
    -- lecturer / technician
    kind TEXT NOT NULL,
    affiliation TEXT NOT NULL,
    -- The fields they teach or support, as one line of text.
    fields TEXT NOT NULL,
    created_by {{int}} NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL
);

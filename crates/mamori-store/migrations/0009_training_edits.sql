-- Editing and withdrawing (中止) published training: a version per course and session that
-- every edit raises (a form sends the version it was loaded with; another is a stale edit),
-- and the instant of withdrawal. A withdrawn session keeps its registrations: registrants
-- see that it was withdrawn. Lecturers and technicians can be edited and removed.
ALTER TABLE training_courses ADD COLUMN version {{int}} NOT NULL DEFAULT 1;
ALTER TABLE training_courses ADD COLUMN withdrawn_at TEXT;
ALTER TABLE training_sessions ADD COLUMN version {{int}} NOT NULL DEFAULT 1;
ALTER TABLE training_sessions ADD COLUMN withdrawn_at TEXT;
ALTER TABLE training_lecturers ADD COLUMN updated_at TEXT;

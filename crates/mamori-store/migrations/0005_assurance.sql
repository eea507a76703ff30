-- 医療機関におけるサイバーセキュリティ確保事業 (the security-assurance project): one programme per
-- fiscal year with its bed bands and quotas (支援枠数, 別紙2), the hospitals' answers to the
-- prefectural survey with every change logged, each prefecture's ranking (順位指定),
-- withdrawals (辞退) and submission of the list (別紙1).
CREATE TABLE assurance_programs (
--@postgres     fiscal_year BIGINT PRIMARY KEY,
--@sqlite     fiscal_year INTEGER PRIMARY KEY,
    -- JSON [{"min_beds": 20, "max_beds": 199}, ...]
    bands TEXT NOT NULL,
    -- Hospitals answer until this day (JST); afterwards only the prefecture changes answers.
    deadline TEXT NOT NULL,
    onsite_survey_deadline TEXT NOT NULL,
    allow_backup_only BOOLEAN NOT NULL,
    created_by {{int}} NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE assurance_quotas (
    fiscal_year {{int}} NOT NULL REFERENCES assurance_programs (fiscal_year),
    prefecture TEXT NOT NULL,
    band {{int}} NOT NULL,
    quota {{int}} NOT NULL,
    PRIMARY KEY (fiscal_year, prefecture, band)
);

-- Institutions whose survey was completed in an earlier year's project.
CREATE TABLE assurance_excluded (
    fiscal_year {{int}} NOT NULL REFERENCES assurance_programs (fiscal_year),
    institution_id {{int}} NOT NULL REFERENCES institutions (id),
    PRIMARY KEY (fiscal_year, institution_id)
);

CREATE TABLE assurance_applications (
    id {{id}},
    fiscal_year {{int}} NOT NULL REFERENCES assurance_programs (fiscal_year),
    institution_id {{int}} NOT NULL REFERENCES institutions (id),
    prefecture TEXT NOT NULL,
    -- JSON of the survey answers (mamori_domain::assurance::SurveyAnswers)
    answers TEXT NOT NULL,
    created_by {{int}} NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    updated_by {{int}} NOT NULL REFERENCES users (id),
    updated_at TEXT NOT NULL,
    UNIQUE (fiscal_year, institution_id)
);
CREATE INDEX assurance_applications_by_prefecture ON assurance_applications (fiscal_year, prefecture, id);

-- Every change of an application: who, when, what (the answers before and after).
CREATE TABLE assurance_application_changes (
    id {{id}},
    application_id {{int}} NOT NULL REFERENCES assurance_applications (id),
    action TEXT NOT NULL,
    answers TEXT,
    previous_answers TEXT,
    changed_by {{int}} NOT NULL REFERENCES users (id),
    changed_at TEXT NOT NULL
);
CREATE INDEX assurance_application_changes_by_application ON assurance_application_changes (application_id, id);

CREATE TABLE assurance_rankings (
    fiscal_year {{int}} NOT NULL REFERENCES assurance_programs (fiscal_year),
    prefecture TEXT NOT NULL,
    application_id {{int}} NOT NULL REFERENCES assurance_applications (id),
    rank {{int}} NOT NULL,
    -- JSON [RankReason]
    reasons TEXT NOT NULL,
    -- accept | decline | NULL (for applications flagged for the prefecture's decision)
    decision TEXT,
    PRIMARY KEY (fiscal_year, prefecture, application_id)
);

CREATE TABLE assurance_withdrawals (
    id {{id}},
    fiscal_year {{int}} NOT NULL REFERENCES assurance_programs (fiscal_year),
    prefecture TEXT NOT NULL,
    application_id {{int}} NOT NULL UNIQUE REFERENCES assurance_applications (id),
    withdrawn_on TEXT NOT NULL,
    reason TEXT NOT NULL,
    recorded_by {{int}} NOT NULL REFERENCES users (id),
    recorded_at TEXT NOT NULL
);

-- After submission a prefecture's list is frozen, except for withdrawals.
CREATE TABLE assurance_submissions (
    fiscal_year {{int}} NOT NULL REFERENCES assurance_programs (fiscal_year),
    prefecture TEXT NOT NULL,
    submitted_by {{int}} NOT NULL REFERENCES users (id),
    submitted_at TEXT NOT NULL,
    PRIMARY KEY (fiscal_year, prefecture)
);

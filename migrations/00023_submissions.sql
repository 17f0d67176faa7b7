-- +goose Up

-- The unit's head (单位负责人) signs off a round of self-assessment.
ALTER TABLE staff DROP CONSTRAINT staff_role_check;
ALTER TABLE staff ADD CONSTRAINT staff_role_check CHECK (role IN ('admin', 'staff', 'head', 'reviewer'));

-- A round signed off by the unit's head and submitted to the region for
-- its review (市级复核): signed → submitted → under_review → returned
-- (with opinions) or accepted. A resubmission is a new round.
CREATE TABLE submissions (
    id           bigserial PRIMARY KEY,
    unit_id      bigint NOT NULL REFERENCES units (id) ON DELETE CASCADE,
    round_id     bigint NOT NULL UNIQUE REFERENCES rounds (id) ON DELETE CASCADE,
    status       text NOT NULL CHECK (status IN ('signed', 'submitted', 'under_review', 'returned', 'accepted')),
    signed_by    text NOT NULL,
    signed_at    timestamptz NOT NULL DEFAULT now(),
    submitted_by text,
    submitted_at timestamptz,
    decided_by   text,
    decided_at   timestamptz,
    conclusion   text NOT NULL DEFAULT ''
);
CREATE INDEX submissions_unit ON submissions (unit_id);

-- The reviewers' opinion on each indicator of a submission.
CREATE TABLE review_opinions (
    submission_id bigint NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    indicator     text NOT NULL,
    opinion       text NOT NULL CHECK (opinion IN ('agree', 'disagree', 'needs_evidence')),
    reason        text NOT NULL DEFAULT '',
    by_name       text NOT NULL,
    at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (submission_id, indicator),
    CHECK (opinion = 'agree' OR length(reason) > 0)
);

-- +goose Down
DROP TABLE review_opinions, submissions;
ALTER TABLE staff DROP CONSTRAINT staff_role_check;
ALTER TABLE staff ADD CONSTRAINT staff_role_check CHECK (role IN ('admin', 'staff', 'reviewer'));

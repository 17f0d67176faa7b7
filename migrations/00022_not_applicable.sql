-- +goose Up

-- A county's declaration that a check does not apply (不适用): a
-- per-school check with nothing in its scope by the county's
-- circumstances. It counts as met only once a reviewer accepts it; a new
-- declaration (another reason) clears the acceptance.
CREATE TABLE not_applicable (
    id          bigserial PRIMARY KEY,
    unit_id     bigint NOT NULL REFERENCES units (id) ON DELETE CASCADE,
    year        integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    check_key   text NOT NULL,
    reason      text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    declared_by text NOT NULL,
    declared_at timestamptz NOT NULL DEFAULT now(),
    accepted_by text,
    accepted_at timestamptz,
    UNIQUE (unit_id, year, check_key)
);

ALTER TABLE evidence DROP CONSTRAINT evidence_subject_check;
ALTER TABLE evidence ADD CONSTRAINT evidence_subject_check CHECK (subject IN ('problem', 'task', 'not_applicable'));

-- +goose Down
ALTER TABLE evidence DROP CONSTRAINT evidence_subject_check;
ALTER TABLE evidence ADD CONSTRAINT evidence_subject_check CHECK (subject IN ('problem', 'task'));
DROP TABLE not_applicable;

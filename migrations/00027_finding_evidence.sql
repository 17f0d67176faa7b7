-- +goose Up

-- Evidence of a finding the bureau enters (a judgement, a scored item, a
-- veto item) for a school year: subject 'finding', subject_id the year,
-- subject_key the finding ("j:layout_plan", "s:23.2", "v:school_choice").
ALTER TABLE evidence ADD COLUMN subject_key text NOT NULL DEFAULT '';
ALTER TABLE evidence DROP CONSTRAINT evidence_subject_check;
ALTER TABLE evidence ADD CONSTRAINT evidence_subject_check CHECK (subject IN ('problem', 'task', 'not_applicable', 'finding'));

-- +goose Down
DELETE FROM evidence WHERE subject = 'finding';
ALTER TABLE evidence DROP CONSTRAINT evidence_subject_check;
ALTER TABLE evidence ADD CONSTRAINT evidence_subject_check CHECK (subject IN ('problem', 'task', 'not_applicable'));
ALTER TABLE evidence DROP COLUMN subject_key;

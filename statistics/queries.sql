-- name: DeleteYearStats :exec
DELETE FROM school_stats st USING schools s
WHERE st.school_id = s.id AND s.unit_id = $1 AND st.year = $2;

-- name: ListSchoolStats :many
SELECT s.id, s.name, s.type, s.locale, s.public, st.stats
FROM school_stats st JOIN schools s ON s.id = st.school_id
WHERE s.unit_id = $1 AND st.year = $2
ORDER BY s.id;

-- name: StatsYears :many
SELECT DISTINCT st.year FROM school_stats st JOIN schools s ON s.id = st.school_id
WHERE s.unit_id = $1
UNION
SELECT year FROM evaluation_inputs WHERE unit_id = $1
ORDER BY year DESC;

-- name: GetEvaluationInputs :one
SELECT * FROM evaluation_inputs WHERE unit_id = $1 AND year = $2;

-- name: SaveEvaluationInputs :exec
INSERT INTO evaluation_inputs (unit_id, year, profile, campaign_id, figures, judgements, scores, vetoes, series)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (unit_id, year) DO UPDATE
SET profile = EXCLUDED.profile, campaign_id = EXCLUDED.campaign_id, figures = EXCLUDED.figures,
    judgements = EXCLUDED.judgements, scores = EXCLUDED.scores, vetoes = EXCLUDED.vetoes, series = EXCLUDED.series, updated_at = now();

-- name: UpsertSchoolStats :exec
INSERT INTO school_stats (school_id, year, stats) VALUES ($1, $2, $3)
ON CONFLICT (school_id, year) DO UPDATE SET stats = EXCLUDED.stats, updated_at = now();

-- name: ListNotApplicable :many
SELECT na.*, (SELECT count(*) FROM evidence e WHERE e.unit_id = na.unit_id AND e.subject = 'not_applicable' AND e.subject_id = na.id)::int AS files
FROM not_applicable na WHERE na.unit_id = @unit_id AND na.year = @year ORDER BY na.check_key;

-- name: DeclareNotApplicable :one
INSERT INTO not_applicable (unit_id, year, check_key, reason, declared_by)
VALUES (@unit_id, @year, @check_key, @reason, @declared_by)
ON CONFLICT (unit_id, year, check_key) DO UPDATE
SET reason = EXCLUDED.reason, declared_by = EXCLUDED.declared_by, declared_at = now(), accepted_by = NULL, accepted_at = NULL
RETURNING id;

-- name: AcceptNotApplicable :exec
UPDATE not_applicable SET accepted_by = @accepted_by::text, accepted_at = now() WHERE id = @id;

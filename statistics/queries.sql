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

-- name: EvaluationStamps :many
-- What a unit's evaluation is made from, summed up by content (never by
-- a time the application sets, so a change made by SQL counts too): any
-- change to its statistics, schools, findings, declarations of 不适用 or
-- surveys' logs and status changes its row.
WITH st AS (
    SELECT s.unit_id, count(*)::bigint AS n, sum(hashtext(st.year || ':' || st.stats::text))::bigint AS h
    FROM school_stats st JOIN schools s ON s.id = st.school_id
    WHERE s.unit_id = ANY(@unit_ids::bigint[]) GROUP BY s.unit_id
), sc AS (
    SELECT unit_id, count(*)::bigint AS n,
        sum(hashtext(name || '|' || type || '|' || locale || '|' || public::text || '|' || enrol_primary || '|' || enrol_junior))::bigint AS h
    FROM schools WHERE unit_id = ANY(@unit_ids::bigint[]) GROUP BY unit_id
), ei AS (
    SELECT e.unit_id, count(*)::bigint AS n,
        sum(hashtext(e.year || '|' || e.profile || '|' || coalesce(e.campaign_id, 0) || '|' || e.figures::text || e.judgements::text ||
            e.scores::text || e.vetoes::text || e.series::text))::bigint AS h
    FROM evaluation_inputs e
    WHERE e.unit_id = ANY(@unit_ids::bigint[]) GROUP BY e.unit_id
), cp AS (
    -- every survey of the unit: the findings may name one, or read the newest started
    SELECT unit_id, count(*)::bigint AS n, sum(hashtext(id || '|' || status || '|' || log_size))::bigint AS h
    FROM campaigns WHERE unit_id = ANY(@unit_ids::bigint[]) GROUP BY unit_id
), na AS (
    SELECT unit_id, count(*)::bigint AS n,
        sum(hashtext(year || '|' || check_key || '|' || reason || '|' || coalesce(accepted_by, '')))::bigint AS h
    FROM not_applicable WHERE unit_id = ANY(@unit_ids::bigint[]) GROUP BY unit_id
)
SELECT u.id AS unit_id,
    coalesce(st.n, 0)::bigint AS stats_n, coalesce(st.h, 0)::bigint AS stats_hash,
    coalesce(sc.n, 0)::bigint AS schools_n, coalesce(sc.h, 0)::bigint AS schools_hash,
    coalesce(ei.n, 0)::bigint AS inputs_n, coalesce(ei.h, 0)::bigint AS inputs_hash,
    coalesce(cp.n, 0)::bigint AS surveys_n, coalesce(cp.h, 0)::bigint AS surveys_hash,
    coalesce(na.n, 0)::bigint AS na_n, coalesce(na.h, 0)::bigint AS na_hash
FROM units u LEFT JOIN st ON st.unit_id = u.id LEFT JOIN sc ON sc.unit_id = u.id
    LEFT JOIN ei ON ei.unit_id = u.id LEFT JOIN cp ON cp.unit_id = u.id LEFT JOIN na ON na.unit_id = u.id
WHERE u.id = ANY(@unit_ids::bigint[]);

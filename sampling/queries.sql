-- name: CreateQuotaCells :exec
INSERT INTO quota_cells (campaign_id, category, locale, target)
SELECT @campaign_id::bigint, unnest(@categories::text[]), unnest(@locales::text[]), unnest(@targets::int[]);

-- name: ListQuotaCells :many
SELECT * FROM quota_cells WHERE campaign_id = $1 ORDER BY category, locale;

-- From the response counts the group commits keep (survey/tally.go).
-- name: CountGradeBands :many
SELECT grade_band::text AS band, sum(n)::bigint AS n
FROM response_counts
WHERE campaign_id = $1 AND status = 'admitted' AND grade_band <> ''
GROUP BY grade_band HAVING sum(n) <> 0;

-- Taken by a group commit: the cells' row locks serialise admissions across
-- server processes, and the counts read under them are exact.
-- name: LockQuotaCells :many
SELECT * FROM quota_cells WHERE campaign_id = $1 FOR UPDATE;

-- name: AddToCells :exec
UPDATE quota_cells q SET admitted = q.admitted + t.n
FROM (SELECT unnest(@categories::text[]) AS category, unnest(@locales::text[]) AS locale, unnest(@ns::int[]) AS n) t
WHERE q.campaign_id = @campaign_id AND q.category = t.category AND q.locale = t.locale;

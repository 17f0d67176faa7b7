-- name: CreateQuotaCells :exec
INSERT INTO quota_cells (campaign_id, category, locale, target)
SELECT @campaign_id::bigint, unnest(@categories::text[]), unnest(@locales::text[]), unnest(@targets::int[]);

-- name: ListQuotaCells :many
SELECT * FROM quota_cells WHERE campaign_id = $1 ORDER BY category, locale;

-- AdmitToCell takes a place in a cell if one is free. The row lock taken by
-- the UPDATE serialises concurrent admissions to the same cell, and the
-- condition is re-checked on the locked row, so the cell never overshoots.
-- name: AdmitToCell :execrows
UPDATE quota_cells SET admitted = admitted + 1
WHERE campaign_id = $1 AND category = $2 AND locale = $3
  AND (admitted < target OR @floor::boolean);

-- name: CountGradeBands :many
SELECT grade_band::text AS band, count(*) AS n
FROM responses
WHERE campaign_id = $1 AND status = 'admitted' AND grade_band IS NOT NULL
GROUP BY grade_band;

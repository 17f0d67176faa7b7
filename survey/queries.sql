-- name: CreateCampaign :one
INSERT INTO campaigns (unit_id, title, opens_at, closes_at, rate_ppm, min_sample, quota_policy, scoring_method, threshold)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
RETURNING *;

-- name: GetCampaign :one
SELECT * FROM campaigns
WHERE id = @id AND (@all_units::boolean OR unit_id = ANY(@unit_ids::bigint[]));

-- name: ListCampaigns :many
SELECT * FROM campaigns WHERE unit_id = $1 ORDER BY id;

-- name: UpdateDraftCampaign :one
UPDATE campaigns SET title = $2, opens_at = $3, closes_at = $4, rate_ppm = $5, min_sample = $6,
    quota_policy = $7, scoring_method = $8, threshold = $9
WHERE id = $1 AND status = 'draft'
RETURNING *;

-- name: UpdateCampaignSchedule :one
UPDATE campaigns SET title = $2, opens_at = $3, closes_at = $4, scoring_method = $5, threshold = $6
WHERE id = $1
RETURNING *;

-- name: OpenCampaign :one
UPDATE campaigns SET status = 'open', sample_size = $2, opened_at = now()
WHERE id = $1 AND status = 'draft'
RETURNING *;

-- name: CloseCampaign :one
UPDATE campaigns SET status = 'closed', closed_at = now()
WHERE id = $1 AND status = 'open'
RETURNING *;

-- name: CreateQuestionnaire :one
INSERT INTO questionnaires (campaign_id, kind, definition) VALUES ($1, $2, $3)
RETURNING *;

-- name: ListQuestionnaires :many
SELECT * FROM questionnaires WHERE campaign_id = $1 ORDER BY id;

-- name: UpdateQuestionnaire :one
UPDATE questionnaires SET definition = $3, version = version + 1
WHERE campaign_id = $1 AND kind = $2
RETURNING *;

-- name: CreateLink :one
INSERT INTO links (campaign_id, code, school_id, questionnaire_kind, label)
VALUES ($1, $2, $3, $4, $5)
RETURNING *;

-- name: ListLinks :many
SELECT * FROM links WHERE campaign_id = $1 ORDER BY id;

-- name: GetLinkByCode :one
SELECT * FROM links WHERE code = $1;

-- name: InsertResponse :one
INSERT INTO responses (campaign_id, questionnaire_id, link_id, submission_id, receipt, category, locale,
    grade_band, school_id, status, suggestion, ip_hash, ua_family, fill_ms)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
ON CONFLICT (submission_id) DO NOTHING
RETURNING id, receipt, status;

-- name: GetResponseBySubmission :one
SELECT id, receipt, status, campaign_id FROM responses WHERE submission_id = $1;

-- name: InsertAnswers :exec
INSERT INTO answers (response_id, item, option)
SELECT @response_id::bigint, unnest(@items::text[]), unnest(@options::text[]);

-- name: TallyAnswers :many
SELECT a.item, a.option, r.category, r.locale, coalesce(s.name, '')::text AS school, count(*) AS n
FROM responses r
JOIN answers a ON a.response_id = r.id
LEFT JOIN schools s ON s.id = r.school_id
WHERE r.campaign_id = $1 AND r.status = 'admitted'
GROUP BY a.item, a.option, r.category, r.locale, s.name;

-- name: CountResponsesByStatus :many
SELECT status, count(*) AS n FROM responses WHERE campaign_id = $1 GROUP BY status;

-- Taken by every submit: a campaign cannot close while a response is being
-- admitted, and no response is admitted after it closed.
-- name: LockCampaignForSubmit :one
SELECT * FROM campaigns WHERE id = $1 FOR SHARE;

-- name: HourlySubmissions :many
SELECT date_trunc('hour', submitted_at)::timestamptz AS hour, status, count(*) AS n
FROM responses WHERE campaign_id = $1
GROUP BY 1, 2 ORDER BY 1;

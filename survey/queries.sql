-- name: CreateCampaign :one
INSERT INTO campaigns (unit_id, title, opens_at, closes_at, rate_ppm, min_sample, quota_policy, scoring_method, threshold,
    min_fill_seconds, pow_bits, token_hours, wechat_only, organiser, blind)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
RETURNING *;

-- name: GetCampaign :one
SELECT * FROM campaigns
WHERE id = @id AND (@all_units::boolean OR unit_id = ANY(@unit_ids::bigint[]));

-- name: ListCampaigns :many
SELECT * FROM campaigns WHERE unit_id = $1 ORDER BY id;

-- name: UpdateDraftCampaign :one
UPDATE campaigns SET title = $2, opens_at = $3, closes_at = $4, rate_ppm = $5, min_sample = $6,
    quota_policy = $7, scoring_method = $8, threshold = $9, min_fill_seconds = $10, pow_bits = $11, token_hours = $12,
    wechat_only = $13
WHERE id = $1 AND status = 'draft'
RETURNING *;

-- name: UpdateCampaignSchedule :one
UPDATE campaigns SET title = $2, opens_at = $3, closes_at = $4, scoring_method = $5, threshold = $6,
    min_fill_seconds = $7, pow_bits = $8, token_hours = $9, wechat_only = $10
WHERE id = $1
RETURNING *;

-- Opening fixes the sample size and keeps the population and locale
-- shares it was designed on.
-- name: OpenCampaign :one
UPDATE campaigns SET status = 'open', sample_size = @sample_size, opened_at = now(), population = @population,
    shares = @shares::integer[]
WHERE id = @id AND status = 'draft'
RETURNING *;

-- Closing seals the log at its size and root: no submit can add to it
-- afterwards, since each one locks the campaign row and checks the status
-- under the lock.
-- name: CloseCampaign :one
UPDATE campaigns SET status = 'closed', closed_at = now(), sealed_size = log_size, sealed_root = log_root
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

-- A group of responses to one campaign in one statement, with the log
-- leaves of the admitted ones. Each response's answers come as one
-- 'item=option,…' list. Run under the campaign's lock, after
-- FindSubmissions: a submission id stored before is an error, and the group
-- is retried member by member.
-- name: StoreResponses :exec
WITH r AS (
    INSERT INTO responses (campaign_id, questionnaire_id, link_id, submission_id, receipt, category, locale,
        grade_band, school_id, status, suggestion, ip_hash, ua_family, fill_ms, submitted_at, device_hash, answer_sig, flags, answers,
        wechat_hash, identity)
    SELECT @campaign_id::bigint, t.questionnaire_id, t.link_id, t.submission_id, t.receipt, t.category, t.locale,
        nullif(t.grade_band, ''), nullif(t.school_id, 0), t.status, t.suggestion, t.ip_hash, t.ua_family, t.fill_ms,
        t.submitted_at, nullif(t.device_hash, ''::bytea), t.answer_sig, coalesce(string_to_array(nullif(t.flags, ''), ','), '{}'),
        coalesce(string_to_array(nullif(t.answers, ''), ','), '{}'), nullif(t.wechat_hash, ''::bytea), t.identity
    FROM (SELECT unnest(@questionnaire_ids::bigint[]) AS questionnaire_id,
        unnest(@link_ids::bigint[]) AS link_id,
        unnest(@submission_ids::text[]) AS submission_id,
        unnest(@receipts::text[]) AS receipt,
        unnest(@categories::text[]) AS category,
        unnest(@locales::text[]) AS locale,
        unnest(@grade_bands::text[]) AS grade_band,
        unnest(@school_ids::bigint[]) AS school_id,
        unnest(@statuses::text[]) AS status,
        unnest(@suggestions::text[]) AS suggestion,
        unnest(@ip_hashes::bytea[]) AS ip_hash,
        unnest(@ua_families::text[]) AS ua_family,
        unnest(@fill_ms::int[]) AS fill_ms,
        unnest(@submitted_ats::timestamptz[]) AS submitted_at,
        unnest(@device_hashes::bytea[]) AS device_hash,
        unnest(@answer_sigs::text[]) AS answer_sig,
        unnest(@flag_lists::text[]) AS flags,
        unnest(@answer_lists::text[]) AS answers,
        unnest(@wechat_hashes::bytea[]) AS wechat_hash,
        unnest(@identities::text[]) AS identity) t
    RETURNING id, submission_id
)
INSERT INTO log_leaves (campaign_id, idx, response_id, hash)
SELECT @campaign_id::bigint, x.idx, r.id, x.hash FROM r
JOIN (SELECT unnest(@logged_submission_ids::text[]) AS submission_id, unnest(@leaf_indexes::bigint[]) AS idx,
    unnest(@leaf_hashes::bytea[]) AS hash) x ON x.submission_id = r.submission_id;

-- Submissions stored before, with their receipt, their leaf and the
-- checkpoint it was admitted under.
-- name: FindSubmissions :many
SELECT r.submission_id, r.campaign_id, r.receipt, r.status, coalesce(e.idx + 1, 0)::bigint AS pos, e.hash,
    coalesce(k.size, 0)::bigint AS tree_size, k.root AS tree_root
FROM responses r
LEFT JOIN log_leaves e ON e.response_id = r.id AND e.review_id IS NULL
LEFT JOIN LATERAL (SELECT size, root FROM log_checkpoints
    WHERE campaign_id = r.campaign_id AND size > e.idx ORDER BY size LIMIT 1) k ON true
WHERE r.submission_id = ANY(@submission_ids::text[]);

-- The log grows: its new size, root and right edge, and the checkpoint
-- signed over them, in one statement.
-- name: AdvanceLog :exec
WITH c AS (UPDATE campaigns SET log_size = @size, log_root = @root::bytea, log_frontier = @frontier::bytea[]
    WHERE id = @campaign_id)
INSERT INTO log_checkpoints (campaign_id, size, root, note) VALUES (@campaign_id, @size, @root::bytea, @note);

-- The interior hashes a log's growth completed.
-- name: InsertLogNodes :exec
INSERT INTO log_nodes (campaign_id, level, idx, hash)
SELECT @campaign_id::bigint, unnest(@levels::smallint[]), unnest(@idxs::bigint[]), unnest(@hashes::bytea[])
ON CONFLICT (campaign_id, level, idx) DO UPDATE SET hash = excluded.hash;

-- The hashes a proof needs: leaves by index, interior nodes by level and
-- index.
-- name: LeavesAt :many
SELECT idx, hash FROM log_leaves WHERE campaign_id = @campaign_id AND idx = ANY(@idxs::bigint[]);

-- name: LogNodesAt :many
SELECT n.level::int AS level, n.idx, n.hash FROM log_nodes n
JOIN (SELECT unnest(@levels::smallint[]) AS level, unnest(@idxs::bigint[]) AS idx) w ON w.level = n.level AND w.idx = n.idx
WHERE n.campaign_id = @campaign_id;

-- Campaigns whose log has fewer interior hashes than its size makes.
-- name: CampaignsMissingNodes :many
SELECT c.id, c.log_size FROM campaigns c
WHERE c.log_size > 1 AND (SELECT count(*) FROM log_nodes n WHERE n.campaign_id = c.id) < c.log_size - length(replace(c.log_size::bit(64)::text, '0', ''));

-- name: DeleteLogNodes :exec
DELETE FROM log_nodes WHERE campaign_id = $1;

-- name: InsertLeaf :exec
INSERT INTO log_leaves (campaign_id, idx, response_id, review_id, hash) VALUES (@campaign_id, @idx, @response_id::bigint, @review_id, @hash);

-- A leaf that is neither an admission nor a decision: it keeps its body.
-- name: InsertEntry :exec
INSERT INTO log_leaves (campaign_id, idx, kind, body, event_id, hash) VALUES ($1, $2, $3, $4, $5, $6);

-- name: LatestEntry :one
SELECT idx, body, hash FROM log_leaves WHERE campaign_id = $1 AND kind = $2 ORDER BY idx DESC LIMIT 1;

-- Open campaigns whose log has not grown since before @before.
-- name: QuietOpenLogs :many
SELECT c.id FROM campaigns c
WHERE c.status = 'open' AND coalesce((SELECT k.signed_at FROM log_checkpoints k WHERE k.campaign_id = c.id ORDER BY k.size DESC LIMIT 1),
    'epoch') < @before::timestamptz
ORDER BY c.id;

-- name: StateCampaigns :many
SELECT id FROM campaigns WHERE log_version = 2 ORDER BY id;

-- name: FinishStateUpgrade :exec
UPDATE campaigns SET log_version = 3 WHERE id = $1;

-- Devices that have answered a campaign before.
-- name: SeenDevices :many
SELECT DISTINCT device_hash::bytea FROM responses
WHERE campaign_id = $1 AND device_hash = ANY(@device_hashes::bytea[]);

-- For burst detection: the newest responses (at most per_source of each)
-- of the given links and schools, after the given response ids. A group
-- commit reads only what was stored since it last looked at a source.
-- name: RecentTraces :many
SELECT t.id, t.link_id, coalesce(t.school_id, 0)::bigint AS school_id, t.answer_sig, t.submitted_at, t.receipt
FROM (SELECT unnest(@link_ids::bigint[]) AS id, unnest(@link_after::bigint[]) AS after) AS l
CROSS JOIN LATERAL (SELECT r.id, r.link_id, r.school_id, r.answer_sig, r.submitted_at, r.receipt FROM responses r
    WHERE r.campaign_id = @campaign_id AND r.link_id = l.id AND r.id > l.after ORDER BY r.id DESC LIMIT @per_source) t
UNION
SELECT t.id, t.link_id, coalesce(t.school_id, 0)::bigint AS school_id, t.answer_sig, t.submitted_at, t.receipt
FROM (SELECT unnest(@school_ids::bigint[]) AS id, unnest(@school_after::bigint[]) AS after) AS s
CROSS JOIN LATERAL (SELECT r.id, r.link_id, r.school_id, r.answer_sig, r.submitted_at, r.receipt FROM responses r
    WHERE r.campaign_id = @campaign_id AND r.school_id = s.id AND r.id > s.after ORDER BY r.id DESC LIMIT @per_source) t
ORDER BY id;

-- Flags stored responses, and moves those that had no flag before to the
-- flagged side of the source counts.
-- A concentrated source's responses to a campaign since a time that do
-- not carry the flag yet.
-- name: SourceResponses :many
SELECT id, receipt, ip_hash, submitted_at FROM responses
WHERE campaign_id = @campaign_id AND ip_hash = ANY(@ip_hashes::bytea[]) AND submitted_at >= @since::timestamptz
  AND NOT ('concentration' = ANY(flags))
ORDER BY id;

-- name: AddFlag :exec
WITH f AS (
    UPDATE responses SET flags = array_append(flags, @flag::text)
    WHERE id = ANY(@ids::bigint[]) AND NOT (@flag::text = ANY(flags))
    RETURNING link_id, coalesce(school_id, 0) AS school_id, status, cardinality(flags) = 1 AS newly
), moved AS (
    SELECT link_id, school_id, status, count(*) AS n FROM f WHERE newly GROUP BY 1, 2, 3
)
INSERT INTO source_counts (campaign_id, link_id, school_id, status, flagged, reviewed, n)
SELECT @campaign_id::bigint, m.link_id, m.school_id, m.status, side.flagged, false, CASE WHEN side.flagged THEN m.n ELSE -m.n END
FROM moved m CROSS JOIN (VALUES (true), (false)) AS side (flagged)
ON CONFLICT (campaign_id, link_id, school_id, status, flagged, reviewed) DO UPDATE SET n = source_counts.n + excluded.n;

-- The counts a report needs, as kept by the group commits and review
-- decisions: one row per item, option, category, locale and school.
-- name: TallyCells :many
SELECT t.item, t.option, t.category, t.locale, coalesce(s.name, '')::text AS school, t.n
FROM answer_tallies t LEFT JOIN schools s ON s.id = t.school_id
WHERE t.campaign_id = $1 AND t.n > 0;

-- Adds (or, with negative counts, takes away) answers to a campaign's
-- tallies, and their sums over locale and school to its totals, in one
-- statement. Each key appears once; the totals are written in key order.
-- name: AddTallies :exec
WITH cells AS (
    SELECT unnest(@items::text[]) AS item, unnest(@options::text[]) AS option, unnest(@categories::text[]) AS category,
        unnest(@locales::text[]) AS locale, unnest(@school_ids::bigint[]) AS school_id, unnest(@ns::bigint[]) AS n
), tallied AS (
    INSERT INTO answer_tallies (campaign_id, item, option, category, locale, school_id, n)
    SELECT @campaign_id::bigint, item, option, category, locale, school_id, n FROM cells
    ON CONFLICT (campaign_id, item, option, category, locale, school_id) DO UPDATE SET n = answer_tallies.n + excluded.n
)
INSERT INTO answer_totals (campaign_id, item, option, category, n)
SELECT @campaign_id::bigint, item, option, category, sum(n) FROM cells
GROUP BY item, option, category HAVING sum(n) <> 0 ORDER BY item, option, category
ON CONFLICT (campaign_id, item, option, category) DO UPDATE SET n = answer_totals.n + excluded.n;

-- Recounts a campaign's tallies from its responses: for data loaded
-- around the application (tests, benchmarks, a repair).
-- Adds (or takes away) responses to a campaign's counts. Each key once.
-- name: AddResponseCounts :exec
INSERT INTO response_counts (campaign_id, hour, status, category, locale, grade_band, n)
SELECT @campaign_id::bigint, unnest(@hours::timestamptz[]), unnest(@statuses::text[]), unnest(@categories::text[]),
    unnest(@locales::text[]), unnest(@grade_bands::text[]), unnest(@ns::bigint[])
ON CONFLICT (campaign_id, hour, status, category, locale, grade_band) DO UPDATE SET n = response_counts.n + excluded.n;

-- Adds (or, with negative counts, takes away) respondents to a campaign's
-- respondent sums (survey/cluster.go), in key order.
-- name: AddRespondentSums :exec
INSERT INTO respondent_sums (campaign_id, dimension, key, respondents, answers, answers_sq, top2, top2_sq, top2_x,
    top3, top3_sq, top3_x, points, points_sq, points_x)
SELECT @campaign_id::bigint, unnest(@dimensions::text[]), unnest(@keys::text[]), unnest(@respondents::bigint[]),
    unnest(@answers::bigint[]), unnest(@answers_sq::bigint[]), unnest(@top2::bigint[]), unnest(@top2_sq::bigint[]),
    unnest(@top2_x::bigint[]), unnest(@top3::bigint[]), unnest(@top3_sq::bigint[]), unnest(@top3_x::bigint[]),
    unnest(@points::bigint[]), unnest(@points_sq::bigint[]), unnest(@points_x::bigint[])
ON CONFLICT (campaign_id, dimension, key) DO UPDATE SET respondents = respondent_sums.respondents + excluded.respondents,
    answers = respondent_sums.answers + excluded.answers, answers_sq = respondent_sums.answers_sq + excluded.answers_sq,
    top2 = respondent_sums.top2 + excluded.top2, top2_sq = respondent_sums.top2_sq + excluded.top2_sq,
    top2_x = respondent_sums.top2_x + excluded.top2_x, top3 = respondent_sums.top3 + excluded.top3,
    top3_sq = respondent_sums.top3_sq + excluded.top3_sq, top3_x = respondent_sums.top3_x + excluded.top3_x,
    points = respondent_sums.points + excluded.points, points_sq = respondent_sums.points_sq + excluded.points_sq,
    points_x = respondent_sums.points_x + excluded.points_x;

-- A campaign's respondent sums, schools by name.
-- name: RespondentSums :many
SELECT t.dimension, CASE WHEN t.dimension = 'school' THEN coalesce(s.name, '') ELSE t.key END::text AS key,
    t.respondents, t.answers, t.answers_sq, t.top2, t.top2_sq, t.top2_x, t.top3, t.top3_sq, t.top3_x,
    t.points, t.points_sq, t.points_x
FROM respondent_sums t LEFT JOIN schools s ON t.dimension = 'school' AND s.id::text = t.key
WHERE t.campaign_id = $1 AND t.respondents > 0;

-- The category sums of many campaigns: a region's overall rates.
-- name: RegionRespondentSums :many
SELECT campaign_id, key, respondents, answers, answers_sq, top2, top2_sq, top2_x, top3, top3_sq, top3_x,
    points, points_sq, points_x
FROM respondent_sums WHERE campaign_id = ANY(@campaign_ids::bigint[]) AND dimension = 'category' AND respondents > 0;

-- The kept figures as stored, for Verify to recount.
-- name: KeptTallies :many
SELECT * FROM answer_tallies WHERE campaign_id = $1 AND n <> 0;

-- name: KeptTotals :many
SELECT * FROM answer_totals WHERE campaign_id = $1 AND n <> 0;

-- name: KeptRespondentSums :many
SELECT * FROM respondent_sums WHERE campaign_id = $1;

-- name: KeptSourceCounts :many
SELECT link_id, school_id, status, flagged, reviewed, sum(n)::bigint AS n FROM source_counts
WHERE campaign_id = $1 GROUP BY 1, 2, 3, 4, 5 HAVING sum(n) <> 0;

-- name: DeleteRespondentSums :exec
DELETE FROM respondent_sums WHERE campaign_id = $1;

-- The same arithmetic as survey.Marks, over the stored responses: for data
-- loaded around the application, and the check on the kept sums.
-- name: RecountRespondentSums :exec
WITH ans AS (
    SELECT r.campaign_id, r.id, r.category, r.locale, coalesce(r.school_id, 0) AS school_id, it ->> 'area' AS area,
        NOT coalesce((o ->> 'dont_know')::boolean, false) AS rated, coalesce((o ->> 'rank')::int, 0) AS rank,
        round(coalesce((o ->> 'points')::numeric, 0) * 100)::bigint AS cp
    FROM responses r
    JOIN questionnaires q ON q.id = r.questionnaire_id
    CROSS JOIN LATERAL unnest(r.answers) AS a (pair)
    CROSS JOIN LATERAL jsonb_array_elements(q.definition -> 'scale') AS o
    CROSS JOIN LATERAL jsonb_array_elements(q.definition -> 'items') AS it
    WHERE r.campaign_id = @campaign_id AND r.status = 'admitted'
        AND o ->> 'value' = split_part(a.pair, '=', 2) AND it ->> 'id' = split_part(a.pair, '=', 1)
), per AS (
    SELECT campaign_id, id, category, locale, school_id, area, grouping(area) AS whole,
        count(*) FILTER (WHERE rated) AS a, count(*) FILTER (WHERE rated AND rank <= 2) AS t2,
        count(*) FILTER (WHERE rated AND rank <= 3) AS t3, coalesce(sum(cp) FILTER (WHERE rated), 0)::bigint AS p
    FROM ans GROUP BY GROUPING SETS ((campaign_id, id, category, locale, school_id), (campaign_id, id, category, locale, school_id, area))
), keyed AS (
    SELECT campaign_id, 'area' AS dimension, area AS key, a, t2, t3, p FROM per WHERE whole = 0
    UNION ALL SELECT campaign_id, 'category', category, a, t2, t3, p FROM per WHERE whole = 1
    UNION ALL SELECT campaign_id, 'locale', locale, a, t2, t3, p FROM per WHERE whole = 1
    UNION ALL SELECT campaign_id, 'school', school_id::text, a, t2, t3, p FROM per WHERE whole = 1 AND school_id <> 0
)
INSERT INTO respondent_sums (campaign_id, dimension, key, respondents, answers, answers_sq, top2, top2_sq, top2_x,
    top3, top3_sq, top3_x, points, points_sq, points_x)
SELECT campaign_id, dimension, key, count(*), sum(a), sum(a * a), sum(t2), sum(t2 * t2), sum(t2 * a),
    sum(t3), sum(t3 * t3), sum(t3 * a), sum(p), sum(p * p), sum(p * a)
FROM keyed WHERE a > 0 GROUP BY campaign_id, dimension, key;

-- name: DeleteTallies :exec
WITH totals AS (DELETE FROM answer_totals o WHERE o.campaign_id = $1)
DELETE FROM answer_tallies t WHERE t.campaign_id = $1;

-- name: DeleteResponseCounts :exec
DELETE FROM response_counts WHERE campaign_id = @campaign_id;

-- Adds (or takes away) responses to a campaign's source counts; each key
-- once. The last arrival only ever moves later.
-- name: AddSourceCounts :exec
INSERT INTO source_counts (campaign_id, link_id, school_id, status, flagged, reviewed, n, last_at)
SELECT @campaign_id::bigint, unnest(@link_ids::bigint[]), unnest(@school_ids::bigint[]), unnest(@statuses::text[]),
    unnest(@flagged::boolean[]), unnest(@reviewed::boolean[]), unnest(@ns::bigint[]), unnest(@last_ats::timestamptz[])
ON CONFLICT (campaign_id, link_id, school_id, status, flagged, reviewed)
DO UPDATE SET n = source_counts.n + excluded.n, last_at = greatest(source_counts.last_at, excluded.last_at);

-- name: DeleteSourceCounts :exec
DELETE FROM source_counts WHERE campaign_id = @campaign_id;

-- name: RecountSources :exec
INSERT INTO source_counts (campaign_id, link_id, school_id, status, flagged, reviewed, n, last_at)
SELECT r.campaign_id, r.link_id, coalesce(r.school_id, 0), r.status, r.flags <> '{}',
    EXISTS (SELECT 1 FROM reviews v WHERE v.response_id = r.id), count(*), max(r.submitted_at)
FROM responses r WHERE r.campaign_id = @campaign_id GROUP BY 1, 2, 3, 4, 5, 6;

-- name: RecountResponses :exec
INSERT INTO response_counts (campaign_id, hour, status, category, locale, grade_band, n)
SELECT r.campaign_id, date_trunc('hour', r.submitted_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', r.status, r.category, r.locale,
    coalesce(r.grade_band, ''), count(*)
FROM responses r WHERE r.campaign_id = @campaign_id GROUP BY 1, 2, 3, 4, 5, 6;

-- name: RecountTallies :exec
WITH cells AS (
    SELECT r.campaign_id, split_part(a.pair, '=', 1) AS item, split_part(a.pair, '=', 2) AS option, r.category, r.locale,
        coalesce(r.school_id, 0) AS school_id, count(*) AS n
    FROM responses r CROSS JOIN LATERAL unnest(r.answers) AS a (pair)
    WHERE r.campaign_id = @campaign_id AND r.status = 'admitted'
    GROUP BY 1, 2, 3, 4, 5, 6
), tallied AS (
    INSERT INTO answer_tallies (campaign_id, item, option, category, locale, school_id, n)
    SELECT campaign_id, item, option, category, locale, school_id, n FROM cells
)
INSERT INTO answer_totals (campaign_id, item, option, category, n)
SELECT campaign_id, item, option, category, sum(n) FROM cells GROUP BY 1, 2, 3, 4;

-- The raw tally over every admitted answer: the check on TallyCells.
-- name: TallyAnswers :many
SELECT split_part(a.pair, '=', 1)::text AS item, split_part(a.pair, '=', 2)::text AS option,
    r.category, r.locale, coalesce(s.name, '')::text AS school, count(*) AS n
FROM responses r
CROSS JOIN LATERAL unnest(r.answers) AS a (pair)
LEFT JOIN schools s ON s.id = r.school_id
WHERE r.campaign_id = $1 AND r.status = 'admitted'
GROUP BY 1, 2, r.category, r.locale, s.name;

-- name: CountResponsesByStatus :many
SELECT status, sum(n)::bigint AS n FROM response_counts WHERE campaign_id = $1 GROUP BY status;

-- Taken by every group commit: a campaign cannot close while responses are
-- being admitted, none is admitted after it closed, and the log grows
-- one group at a time, across server processes too.
-- name: LockCampaignForSubmit :one
SELECT * FROM campaigns WHERE id = $1 FOR UPDATE;

-- name: HourlySubmissions :many
SELECT hour, status, sum(n)::bigint AS n
FROM response_counts WHERE campaign_id = $1
GROUP BY 1, 2 HAVING sum(n) <> 0 ORDER BY 1;

-- name: LogLeaves :many
SELECT idx, coalesce(response_id, 0)::bigint AS response_id, review_id, hash, kind, body, event_id FROM log_leaves
WHERE campaign_id = $1 ORDER BY idx;

-- name: LeafHashes :many
SELECT hash FROM log_leaves WHERE campaign_id = $1 AND idx >= @start::bigint AND idx < @stop::bigint ORDER BY idx;

-- Every review decision on the campaign's responses, oldest first.
-- name: CampaignReviews :many
SELECT v.id, v.response_id, v.decision, v.reason, v.username, v.decided_at, v.outcome
FROM reviews v JOIN responses r ON r.id = v.response_id
WHERE r.campaign_id = $1 ORDER BY v.id;

-- name: LatestCheckpoint :one
SELECT size, root, note, signed_at FROM log_checkpoints WHERE campaign_id = $1 ORDER BY size DESC LIMIT 1;

-- name: CheckpointAt :one
SELECT size, root, note, signed_at FROM log_checkpoints WHERE campaign_id = $1 AND size = $2;

-- The checkpoint a leaf was admitted under: the first one that covers it.
-- name: CheckpointCovering :one
SELECT size, root, note, signed_at FROM log_checkpoints WHERE campaign_id = $1 AND size > @idx::bigint
ORDER BY size LIMIT 1;

-- name: Checkpoints :many
SELECT size, root, note, signed_at FROM log_checkpoints WHERE campaign_id = $1 ORDER BY size;

-- name: AddCosignature :exec
INSERT INTO log_cosignatures (campaign_id, size, witness, note, cosigned_at) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (campaign_id, witness, size) DO UPDATE SET note = excluded.note, cosigned_at = excluded.cosigned_at;

-- name: Cosignatures :many
SELECT size, witness, note, cosigned_at FROM log_cosignatures WHERE campaign_id = $1 ORDER BY size, witness;

-- Campaigns whose admitted responses are still in the old linear chain.
-- name: LegacyLogCampaigns :many
SELECT id FROM campaigns WHERE log_version = 1 ORDER BY id;

-- name: LegacyChain :many
SELECT response_id FROM chain_entries WHERE campaign_id = $1 ORDER BY pos;

-- name: FinishLogUpgrade :exec
WITH d AS (DELETE FROM chain_entries WHERE campaign_id = @campaign_id)
UPDATE campaigns SET log_version = 2,
    sealed_size = CASE WHEN status = 'closed' THEN log_size END,
    sealed_root = CASE WHEN status = 'closed' THEN log_root END
WHERE id = @campaign_id;

-- Every response that is or was in the sample, as the database holds it,
-- with its answers and latest review decision.
-- name: ChainedResponses :many
SELECT r.id, r.receipt, r.questionnaire_id, r.link_id, r.category, r.locale, coalesce(r.grade_band, '')::text AS grade_band,
    coalesce(r.school_id, 0)::bigint AS school_id, r.suggestion, r.fill_ms, r.submitted_at, r.status,
    r.answers, r.flags
FROM responses r
WHERE r.campaign_id = $1
  AND (r.status <> 'over_quota' OR EXISTS (SELECT 1 FROM log_leaves e WHERE e.response_id = r.id));

-- name: ResponseByReceipt :one
SELECT r.id, r.campaign_id, r.receipt, r.status, r.submitted_at, coalesce(e.idx + 1, 0)::bigint AS pos, e.hash
FROM responses r LEFT JOIN log_leaves e ON e.response_id = r.id AND e.review_id IS NULL
WHERE r.receipt = $1;

-- The same columns as ChainedResponses, for one response.
-- name: ChainedResponseByID :one
SELECT r.id, r.receipt, r.questionnaire_id, r.link_id, r.category, r.locale, coalesce(r.grade_band, '')::text AS grade_band,
    coalesce(r.school_id, 0)::bigint AS school_id, r.suggestion, r.fill_ms, r.submitted_at, r.status,
    r.answers, r.flags
FROM responses r WHERE r.id = $1;

-- Flagged responses in the sample (or taken out of it), oldest first, with
-- their latest decision.
-- name: FlaggedResponses :many
SELECT r.id, r.receipt, r.submitted_at, r.category, r.locale, coalesce(s.name, '')::text AS school, l.label AS link_label,
    l.code AS link_code, r.flags, r.fill_ms, r.status, r.answer_sig,
    coalesce(v.decision, '')::text AS decision, coalesce(v.reason, '')::text AS reason,
    coalesce(v.username, '')::text AS decided_by, coalesce(v.decided_at, 'epoch')::timestamptz AS decided_at
FROM responses r
JOIN links l ON l.id = r.link_id
LEFT JOIN schools s ON s.id = r.school_id
LEFT JOIN LATERAL (SELECT * FROM reviews WHERE response_id = r.id ORDER BY id DESC LIMIT 1) v ON true
WHERE r.campaign_id = $1 AND r.flags <> '{}' AND (r.status IN ('admitted', 'invalidated', 'held') OR v.decision IS NOT NULL)
ORDER BY (v.decision IS NOT NULL), r.id
LIMIT 1000;

-- name: LockFlaggedResponse :one
SELECT r.id, r.status, r.flags, EXISTS (SELECT 1 FROM reviews v WHERE v.response_id = r.id) AS reviewed FROM responses r
WHERE r.id = $1 AND r.campaign_id = $2 AND r.flags <> '{}' AND r.status IN ('admitted', 'invalidated', 'held')
FOR UPDATE OF r;

-- name: InsertReview :one
INSERT INTO reviews (response_id, decision, reason, staff_id, username, outcome) VALUES ($1, $2, $3, $4, $5, $6)
RETURNING id, decided_at;

-- name: SetResponseStatus :exec
UPDATE responses SET status = $2 WHERE id = $1;

-- Why responses left the sample: the latest decision's reason, counted.
-- name: Exclusions :many
SELECT v.reason, count(*) AS n
FROM responses r
JOIN LATERAL (SELECT * FROM reviews WHERE response_id = r.id ORDER BY id DESC LIMIT 1) v ON true
WHERE r.campaign_id = $1 AND r.status = 'invalidated' AND v.decision = 'invalid'
GROUP BY v.reason ORDER BY n DESC, v.reason;

-- name: ReviewCounts :one
SELECT coalesce(sum(n) FILTER (WHERE flagged), 0)::bigint AS flagged,
    coalesce(sum(n) FILTER (WHERE flagged AND NOT reviewed), 0)::bigint AS pending,
    coalesce(sum(n) FILTER (WHERE status = 'invalidated'), 0)::bigint AS excluded
FROM source_counts WHERE campaign_id = $1 AND status IN ('admitted', 'invalidated', 'held');

-- name: CreateCampaignKey :exec
INSERT INTO campaign_keys (campaign_id, key) VALUES ($1, $2);

-- name: CampaignKey :one
SELECT key FROM campaign_keys WHERE campaign_id = $1;

-- name: DeleteCampaignKey :exec
DELETE FROM campaign_keys WHERE campaign_id = $1;

-- Reopening a closed campaign lifts its seal; the log goes on from where
-- it stopped.
-- name: ReopenCampaign :one
UPDATE campaigns SET status = 'open', closed_at = NULL, sealed_size = NULL, sealed_root = NULL
WHERE id = $1 AND status = 'closed'
RETURNING *;

-- name: AddCampaignEvent :one
INSERT INTO campaign_events (campaign_id, action, reason, username) VALUES ($1, $2, $3, $4) RETURNING id, at;

-- name: AddSettingEvent :one
INSERT INTO campaign_events (campaign_id, action, reason, username, setting, old_value, new_value)
VALUES (@campaign_id, 'setting', @reason, @username, @setting, @old_value, @new_value) RETURNING id, at;

-- name: CampaignEvents :many
SELECT id, at, action, reason, username, setting, old_value, new_value FROM campaign_events WHERE campaign_id = $1 ORDER BY id;

-- name: CountResponsesByCategory :many
SELECT category, locale, status, sum(n)::bigint AS n FROM response_counts WHERE campaign_id = $1 GROUP BY category, locale, status;

-- Every school of the unit with what its respondents sent to the campaign,
-- answered or not.
-- name: SchoolProgress :many
SELECT s.id, s.name, s.locale,
       coalesce(sum(c.n), 0)::bigint AS answers,
       coalesce(sum(c.n) FILTER (WHERE c.status = 'admitted'), 0)::bigint AS counted,
       coalesce(sum(c.n) FILTER (WHERE c.flagged), 0)::bigint AS flagged,
       coalesce(max(c.last_at), 'epoch'::timestamptz)::timestamptz AS last_at
FROM schools s LEFT JOIN source_counts c ON c.school_id = s.id AND c.campaign_id = @campaign_id
WHERE s.unit_id = @unit_id
GROUP BY s.id, s.name, s.locale
ORDER BY s.name;

-- Every link of the campaign with what came through it.
-- name: LinkProgress :many
SELECT l.id, l.code, l.label, l.school_id, l.questionnaire_kind,
       coalesce(sum(c.n), 0)::bigint AS answers,
       coalesce(sum(c.n) FILTER (WHERE c.status = 'admitted'), 0)::bigint AS counted,
       coalesce(sum(c.n) FILTER (WHERE c.flagged), 0)::bigint AS flagged,
       coalesce(max(c.last_at), 'epoch'::timestamptz)::timestamptz AS last_at
FROM links l LEFT JOIN source_counts c ON c.link_id = l.id AND c.campaign_id = l.campaign_id
WHERE l.campaign_id = $1
GROUP BY l.id
ORDER BY l.id;

-- Responses of a campaign by the WeChat users who sent them, with their
-- receipt, leaf and checkpoint: one response per WeChat user.
-- name: FindWeChatResponses :many
SELECT r.wechat_hash::bytea AS wechat_hash, r.receipt, r.status, coalesce(e.idx + 1, 0)::bigint AS pos, e.hash,
    coalesce(k.size, 0)::bigint AS tree_size, k.root AS tree_root
FROM responses r
LEFT JOIN log_leaves e ON e.response_id = r.id AND e.review_id IS NULL
LEFT JOIN LATERAL (SELECT size, root FROM log_checkpoints
    WHERE campaign_id = r.campaign_id AND size > e.idx ORDER BY size LIMIT 1) k ON true
WHERE r.campaign_id = @campaign_id AND r.wechat_hash = ANY(@hashes::bytea[]);

-- name: ResponseLeaf :one
SELECT e.idx, r.receipt FROM responses r
JOIN log_leaves e ON e.response_id = r.id AND e.review_id IS NULL
WHERE r.id = $1;

-- The decision leaves of one response, with the decisions they name.
-- name: DecisionLeaves :many
SELECT e.idx, e.review_id, e.hash FROM log_leaves e
WHERE e.campaign_id = $1 AND e.response_id = @response_id::bigint AND e.review_id IS NOT NULL ORDER BY e.idx;

-- name: LeafAt :one
SELECT idx, coalesce(response_id, 0)::bigint AS response_id, review_id, hash FROM log_leaves WHERE campaign_id = $1 AND idx = $2;

-- name: DecisionLeafCount :one
SELECT count(*) FROM log_leaves WHERE campaign_id = $1 AND response_id = @response_id::bigint AND review_id IS NOT NULL;

-- name: ReviewsOfResponse :many
SELECT id, response_id, decision, reason, username, decided_at, outcome FROM reviews WHERE response_id = $1 ORDER BY id;

-- A region's dashboard: each unit's newest campaign, and what its counts
-- say, for many campaigns in one statement each.
-- name: NewestCampaigns :many
SELECT DISTINCT ON (unit_id) * FROM campaigns WHERE unit_id = ANY(@unit_ids::bigint[]) ORDER BY unit_id, id DESC;

-- name: RegionResponseCounts :many
SELECT campaign_id, category, locale, status, sum(n)::bigint AS n FROM response_counts
WHERE campaign_id = ANY(@campaign_ids::bigint[]) GROUP BY 1, 2, 3, 4;

-- name: RegionSourceCounts :many
SELECT campaign_id,
    coalesce(sum(n) FILTER (WHERE flagged AND status IN ('admitted', 'invalidated', 'held')), 0)::bigint AS flagged,
    coalesce(sum(n) FILTER (WHERE flagged AND NOT reviewed AND status IN ('admitted', 'invalidated', 'held')), 0)::bigint AS pending,
    coalesce(max(last_at), 'epoch'::timestamptz)::timestamptz AS last_at
FROM source_counts WHERE campaign_id = ANY(@campaign_ids::bigint[]) GROUP BY 1;

-- The tallies without locale and school: all a campaign's overall rate needs.
-- name: RegionTallies :many
SELECT campaign_id, item, option, category, n FROM answer_totals
WHERE campaign_id = ANY(@campaign_ids::bigint[]) AND n <> 0;

-- name: RegionQuestionnaires :many
SELECT * FROM questionnaires WHERE campaign_id = ANY(@campaign_ids::bigint[]) ORDER BY campaign_id, id;

-- name: RegionQuotaTargets :many
SELECT campaign_id, category, sum(target)::bigint AS target FROM quota_cells
WHERE campaign_id = ANY(@campaign_ids::bigint[]) GROUP BY 1, 2;

-- name: RegionLatestCheckpoints :many
SELECT DISTINCT ON (campaign_id) campaign_id, size, root, note, signed_at FROM log_checkpoints
WHERE campaign_id = ANY(@campaign_ids::bigint[]) ORDER BY campaign_id, size DESC;

-- name: RecordVerification :exec
INSERT INTO verifications (campaign_id, at, size, problems, first) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (campaign_id) DO UPDATE SET at = excluded.at, size = excluded.size, problems = excluded.problems, first = excluded.first;

-- name: LastVerification :one
SELECT at, size, problems, first FROM verifications WHERE campaign_id = $1;

-- The counted sample by how strongly its respondents are identified.
-- name: ExposureByIdentity :many
SELECT identity, count(*)::bigint AS n FROM responses WHERE campaign_id = $1 AND status = 'admitted' GROUP BY identity;

-- The largest sources (the keyed, truncated address hashes) of all the
-- responses received, with how many of each are counted: at most 49
-- sources can each send more than 2%.
-- name: ExposureBySource :many
SELECT coalesce(ip_hash, ''::bytea)::bytea AS ip_hash, count(*)::bigint AS n,
    count(*) FILTER (WHERE status = 'admitted')::bigint AS counted
FROM responses WHERE campaign_id = $1 GROUP BY ip_hash ORDER BY n DESC, ip_hash LIMIT 50;

-- name: CountReceived :one
SELECT count(*)::bigint FROM responses WHERE campaign_id = $1;

-- name: LockUnitYear :one
SELECT (SELECT coalesce(max(r.no), 0) FROM rounds r WHERE r.unit_id = u.id)::int AS last_no
FROM units u WHERE u.id = @unit_id
FOR UPDATE OF u;

-- name: InsertRound :one
INSERT INTO rounds (unit_id, no, year, profile, frozen_by, note, verdict, schools, findings, result, measures,
    campaign_id, checkpoint, statement)
VALUES (@unit_id, @no, @year, @profile, @frozen_by, @note, @verdict, @schools, @findings, @result, @measures,
    @campaign_id, @checkpoint, @statement)
RETURNING id, frozen_at;

-- name: ListRounds :many
SELECT id, unit_id, no, year, profile, frozen_at, frozen_by, note, verdict, measures, campaign_id, checkpoint
FROM rounds WHERE unit_id = @unit_id ORDER BY no;

-- name: GetRound :one
SELECT * FROM rounds WHERE unit_id = @unit_id AND no = @no;

-- name: ListRegionRounds :many
SELECT id, unit_id, no, year, verdict, measures, frozen_at
FROM rounds WHERE unit_id = ANY(@unit_ids::bigint[])
ORDER BY unit_id, no;

-- name: UpsertProblems :many
INSERT INTO problems (unit_id, key, school_id, school, indicator, title, judged, status, opened_round)
SELECT @unit_id::bigint, t.key, t.school_id, t.school, t.indicator, t.title, t.judged, 'open', @round_id::bigint
FROM (SELECT unnest(@keys::text[]) AS key, unnest(@school_ids::bigint[]) AS school_id,
        unnest(@schools::text[]) AS school, unnest(@indicators::text[]) AS indicator,
        unnest(@titles::text[]) AS title, unnest(@judged::boolean[]) AS judged) t
ON CONFLICT (unit_id, key, school_id) DO UPDATE SET school = EXCLUDED.school, title = EXCLUDED.title
RETURNING id, key, school_id, status, opened_round = @round_id::bigint AS opened;

-- name: ListProblems :many
SELECT * FROM problems WHERE unit_id = @unit_id ORDER BY id;

-- name: ListRegionProblems :many
SELECT unit_id, status, count(*)::int AS n FROM problems
WHERE unit_id = ANY(@unit_ids::bigint[]) GROUP BY unit_id, status;

-- name: GetProblem :one
SELECT * FROM problems WHERE unit_id = @unit_id AND id = @id;

-- name: LockProblem :one
SELECT * FROM problems WHERE unit_id = @unit_id AND id = @id FOR UPDATE;

-- name: InsertProblemRounds :exec
INSERT INTO problem_rounds (problem_id, round_id, status, figure, gap)
SELECT unnest(@problem_ids::bigint[]), @round_id::bigint, unnest(@statuses::text[]), unnest(@figures::text[]), unnest(@gaps::text[]);

-- name: ProblemRounds :many
SELECT pr.problem_id, r.no, pr.status, pr.figure, pr.gap
FROM problem_rounds pr JOIN rounds r ON r.id = pr.round_id
WHERE r.unit_id = @unit_id
ORDER BY pr.problem_id, r.no;

-- name: StrikeProblems :exec
UPDATE problems SET status = 'struck', struck_round = @round_id::bigint, struck_by = NULL, struck_at = now(), reason = ''
WHERE id = ANY(@ids::bigint[]);

-- name: ReopenProblems :exec
UPDATE problems SET status = 'open', struck_round = NULL, struck_by = NULL, struck_at = NULL, reason = ''
WHERE id = ANY(@ids::bigint[]);

-- name: DecideProblem :exec
UPDATE problems SET status = 'struck', struck_round = NULL, struck_by = @struck_by::text, struck_at = now(), reason = @reason
WHERE id = @id;

-- name: InsertEvents :exec
INSERT INTO ledger_events (unit_id, problem_id, task_id, round_id, username, kind, detail)
SELECT @unit_id::bigint, nullif(unnest(@problem_ids::bigint[]), 0), nullif(unnest(@task_ids::bigint[]), 0),
    nullif(@round_id::bigint, 0), @username::text, unnest(@kinds::text[]), unnest(@details::text[]);

-- name: ListEvents :many
SELECT e.id, e.problem_id, e.task_id, r.no AS round_no, e.at, e.username, e.kind, e.detail
FROM ledger_events e LEFT JOIN rounds r ON r.id = e.round_id
WHERE e.unit_id = @unit_id
ORDER BY e.id;

-- name: ListDepartments :many
SELECT name FROM departments WHERE unit_id = @unit_id ORDER BY name;

-- name: AddDepartments :exec
INSERT INTO departments (unit_id, name) SELECT @unit_id::bigint, unnest(@names::text[])
ON CONFLICT DO NOTHING;

-- name: LockTasks :many
SELECT * FROM tasks WHERE unit_id = @unit_id ORDER BY no FOR UPDATE;

-- name: ListTasks :many
SELECT * FROM tasks WHERE unit_id = @unit_id ORDER BY no;

-- name: ListRegionTasks :many
SELECT * FROM tasks WHERE unit_id = ANY(@unit_ids::bigint[]) ORDER BY unit_id, no;

-- name: InsertTask :one
INSERT INTO tasks (unit_id, no, title, goal, lead, partners, due_text, due)
VALUES (@unit_id, @no, @title, @goal, @lead, @partners, @due_text, @due)
RETURNING id;

-- name: UpdateTask :exec
UPDATE tasks SET title = @title, goal = @goal, lead = @lead, partners = @partners, due_text = @due_text, due = @due
WHERE id = @id;

-- name: SetTaskProgress :exec
UPDATE tasks SET progress = @progress WHERE id = @id;

-- name: StrikeTask :exec
UPDATE tasks SET struck_at = now(), struck_by = @struck_by, reason = @reason WHERE id = @id;

-- name: ReopenTask :exec
UPDATE tasks SET struck_at = NULL, struck_by = NULL, reason = '' WHERE id = @id;

-- name: TaskLinks :many
SELECT tp.task_id, tp.problem_id FROM task_problems tp JOIN tasks t ON t.id = tp.task_id
WHERE t.unit_id = @unit_id;

-- name: TaskIndicators :many
SELECT ti.task_id, ti.indicator FROM task_indicators ti JOIN tasks t ON t.id = ti.task_id
WHERE t.unit_id = @unit_id ORDER BY ti.task_id, ti.indicator;

-- name: LinkTaskProblems :exec
INSERT INTO task_problems (task_id, problem_id) SELECT @task_id::bigint, unnest(@problem_ids::bigint[])
ON CONFLICT DO NOTHING;

-- name: LinkTaskIndicators :exec
INSERT INTO task_indicators (task_id, indicator) SELECT @task_id::bigint, unnest(@indicators::text[])
ON CONFLICT DO NOTHING;

-- name: PutEvidenceBlob :exec
INSERT INTO evidence_blobs (sha256, media_type, size, content) VALUES (@sha256, @media_type, @size, @content)
ON CONFLICT (sha256) DO NOTHING;

-- name: InsertEvidence :one
INSERT INTO evidence (unit_id, sha256, name, subject, subject_id, subject_key, uploaded_by)
VALUES (@unit_id, @sha256, @name, @subject, @subject_id, @subject_key, @uploaded_by)
RETURNING id, uploaded_at;

-- name: EvidenceUsage :one
SELECT coalesce(sum(b.size), 0)::bigint FROM (SELECT DISTINCT sha256 FROM evidence WHERE unit_id = @unit_id) e
JOIN evidence_blobs b ON b.sha256 = e.sha256;

-- name: ListEvidence :many
SELECT e.id, e.sha256, e.name, e.subject, e.subject_id, e.subject_key, e.uploaded_by, e.uploaded_at, b.media_type, b.size
FROM evidence e JOIN evidence_blobs b ON b.sha256 = e.sha256
WHERE e.unit_id = @unit_id ORDER BY e.id;

-- name: GetEvidenceFile :one
SELECT e.id, e.name, b.media_type, b.size, b.content, e.sha256
FROM evidence e JOIN evidence_blobs b ON b.sha256 = e.sha256
WHERE e.unit_id = @unit_id AND e.id = @id;

-- name: NotApplicableOf :one
SELECT id FROM not_applicable WHERE unit_id = @unit_id AND id = @id FOR UPDATE;

-- name: ListSubmissions :many
SELECT s.*, r.no AS round_no FROM submissions s JOIN rounds r ON r.id = s.round_id
WHERE s.unit_id = @unit_id ORDER BY s.id;

-- name: LockSubmissions :many
SELECT s.*, r.no AS round_no FROM submissions s JOIN rounds r ON r.id = s.round_id
WHERE s.unit_id = @unit_id ORDER BY s.id FOR UPDATE OF s;

-- name: InsertSubmission :one
INSERT INTO submissions (unit_id, round_id, status, signed_by) VALUES (@unit_id, @round_id, 'signed', @signed_by)
RETURNING id;

-- name: SetSubmissionStatus :exec
UPDATE submissions SET status = @status,
    submitted_by = CASE WHEN @status = 'submitted' THEN @by_name::text ELSE submitted_by END,
    submitted_at = CASE WHEN @status = 'submitted' THEN now() ELSE submitted_at END,
    decided_by = CASE WHEN @status IN ('returned', 'accepted') THEN @by_name::text ELSE decided_by END,
    decided_at = CASE WHEN @status IN ('returned', 'accepted') THEN now() ELSE decided_at END,
    conclusion = CASE WHEN @status IN ('returned', 'accepted') THEN @conclusion::text ELSE conclusion END
WHERE id = @id;

-- name: PutOpinion :exec
INSERT INTO review_opinions (submission_id, indicator, opinion, reason, by_name)
VALUES (@submission_id, @indicator, @opinion, @reason, @by_name)
ON CONFLICT (submission_id, indicator) DO UPDATE
SET opinion = EXCLUDED.opinion, reason = EXCLUDED.reason, by_name = EXCLUDED.by_name, at = now();

-- name: ListOpinions :many
SELECT o.* FROM review_opinions o JOIN submissions s ON s.id = o.submission_id
WHERE s.unit_id = @unit_id ORDER BY o.submission_id, o.indicator;

-- name: RegionSubmissions :many
SELECT DISTINCT ON (s.unit_id) s.unit_id, s.status, r.no AS round_no
FROM submissions s JOIN rounds r ON r.id = s.round_id
WHERE s.unit_id = ANY(@unit_ids::bigint[])
ORDER BY s.unit_id, s.id DESC;

-- name: InsertReviewProblem :one
INSERT INTO problems (unit_id, key, school_id, school, indicator, title, judged, status, opened_round)
VALUES (@unit_id, @key, 0, '', @indicator, @title, true, 'open', @round_id)
ON CONFLICT (unit_id, key, school_id) DO UPDATE
SET title = EXCLUDED.title, status = 'open', struck_round = NULL, struck_by = NULL, struck_at = NULL, reason = ''
RETURNING id;

-- name: StrikeReviewProblems :many
UPDATE problems SET status = 'struck', struck_by = @struck_by::text, struck_at = now(), reason = @reason::text
WHERE unit_id = @unit_id AND status = 'open' AND key LIKE '复核/%'
RETURNING id;

-- name: SetSubmissionPackage :exec
UPDATE submissions SET manifest = @manifest::text, log_campaign = @log_campaign, log_pos = @log_pos WHERE id = @id;

-- name: PutPackageFiles :exec
INSERT INTO package_files (submission_id, path, sha256)
SELECT @submission_id::bigint, unnest(@paths::text[]), unnest(@sums::bytea[]);

-- name: ListPackageFiles :many
SELECT path, sha256 FROM package_files WHERE submission_id = @submission_id ORDER BY path;

-- name: BlobContent :one
SELECT content FROM evidence_blobs WHERE sha256 = @sha256;

-- name: ListNarratives :many
SELECT section, text FROM round_narratives WHERE round_id = @round_id;

-- name: PutNarrative :exec
INSERT INTO round_narratives (round_id, section, text, updated_by) VALUES (@round_id, @section, @text, @updated_by)
ON CONFLICT (round_id, section) DO UPDATE SET text = EXCLUDED.text, updated_by = EXCLUDED.updated_by, updated_at = now();

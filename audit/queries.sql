-- name: RecordAudit :exec
INSERT INTO audit_log (staff_id, username, client, unit_id, action, detail, status)
VALUES ($1, $2, $3, $4, $5, $6, $7);

-- name: ListAudit :many
-- Ticks (the log's own entries) are left out unless asked for.
SELECT a.*, coalesce(u.name, '') AS unit_name, l.idx AS leaf_index
FROM audit_log a LEFT JOIN units u ON u.id = a.unit_id LEFT JOIN audit_leaves l ON l.entry_id = a.id
WHERE (sqlc.narg('unit_id')::bigint IS NULL OR a.unit_id = sqlc.narg('unit_id'))
  AND (sqlc.arg('ticks')::bool OR a.action <> 'log_tick')
  AND a.at >= sqlc.arg('from')::timestamptz AND a.at < sqlc.arg('to')::timestamptz
ORDER BY a.at DESC, a.id DESC
LIMIT sqlc.arg('max')::int;

-- name: RecentLoginFailures :many
-- Failed logins since a time from a client: those of the account (after
-- its last successful login) are marked. Newest first.
WITH last AS (
    SELECT coalesce(max(at), '-infinity'::timestamptz) AS at FROM audit_log
    WHERE action = 'login' AND lower(username) = lower(sqlc.arg('username')::text)
)
SELECT f.at,
       (lower(f.username) = lower(sqlc.arg('username')::text) AND f.at > last.at)::bool AS same_account
FROM audit_log f, last
WHERE f.action = 'login_failed' AND f.at > sqlc.arg('since')::timestamptz AND f.client = sqlc.arg('client')::text
ORDER BY f.at DESC
LIMIT 100;

-- name: LockLogin :exec
-- Serialises the logins of one client address across servers until the
-- transaction ends, so that concurrent attempts are counted one by one.
SELECT pg_advisory_xact_lock(hashtext('login:' || sqlc.arg('client')::text));

-- name: RecordLoginAttempt :one
-- An attempt is recorded as failed before its password is checked; a
-- correct password turns it into a login (MarkLogin).
INSERT INTO audit_log (username, client, action, status) VALUES ($1, $2, 'login_failed', 401)
RETURNING id;

-- name: MarkLogin :exec
UPDATE audit_log SET action = 'login', status = 200, staff_id = $2, username = $3 WHERE id = $1;

-- name: LockAuditSeal :exec
-- One sealing of the audit log at a time, across servers.
SELECT pg_advisory_xact_lock(hashtext('audit-log-seal'));

-- name: LatestAuditCheckpoint :one
SELECT size, root, frontier, note, signed_at FROM audit_checkpoints ORDER BY size DESC LIMIT 1;

-- name: AuditCheckpointAt :one
SELECT size, root, frontier, note, signed_at FROM audit_checkpoints WHERE size = $1;

-- name: AuditCheckpoints :many
SELECT size, root, note, signed_at FROM audit_checkpoints ORDER BY size;

-- name: UnsealedAudit :many
-- Entries at least min_age old not yet leaves, in id order. Entries are
-- sealed in id order, and one commits within moments of taking its id,
-- so only the ids near the newest sealed one need looking at.
SELECT a.id, a.at, a.staff_id, a.username, a.client, a.unit_id, a.action, a.detail, a.status
FROM audit_log a
WHERE a.id > (SELECT coalesce(max(entry_id), 0) - 10000 FROM audit_leaves)
  AND a.at < now() - make_interval(secs => sqlc.arg('min_age_seconds')::float8)
  AND NOT EXISTS (SELECT 1 FROM audit_leaves l WHERE l.entry_id = a.id)
ORDER BY a.id
LIMIT sqlc.arg('max')::int;

-- name: InsertAuditLeaves :exec
INSERT INTO audit_leaves (idx, entry_id, at, hash)
SELECT unnest(sqlc.arg('idxs')::bigint[]), unnest(sqlc.arg('entry_ids')::bigint[]),
       unnest(sqlc.arg('ats')::timestamptz[]), unnest(sqlc.arg('hashes')::bytea[]);

-- The interior hashes a sealing completed (survey.Extend).
-- name: InsertAuditNodes :exec
INSERT INTO audit_nodes (level, idx, hash)
SELECT unnest(sqlc.arg('levels')::smallint[]), unnest(sqlc.arg('idxs')::bigint[]), unnest(sqlc.arg('hashes')::bytea[]);

-- The hashes a proof needs (survey.StoredHashes): leaves by index,
-- interior nodes by level and index.
-- name: AuditLeavesAt :many
SELECT idx, hash FROM audit_leaves WHERE idx = ANY(sqlc.arg('idxs')::bigint[]);

-- name: AuditNodesAt :many
SELECT n.level::int AS level, n.idx, n.hash FROM audit_nodes n
JOIN (SELECT unnest(sqlc.arg('levels')::smallint[]) AS level, unnest(sqlc.arg('idxs')::bigint[]) AS idx) w
  ON w.level = n.level AND w.idx = n.idx;

-- name: InsertAuditCheckpoint :exec
INSERT INTO audit_checkpoints (size, root, frontier, note) VALUES ($1, $2, $3, $4);

-- name: RecordAuditTick :one
-- A tick: the audit log keeps advancing on quiet days, for its witnesses.
INSERT INTO audit_log (username, action, detail, status) VALUES ('', 'log_tick', '', 0)
RETURNING *;

-- name: AuditLeafHashes :many
SELECT hash FROM audit_leaves WHERE idx >= sqlc.arg('start')::bigint AND idx < sqlc.arg('stop')::bigint ORDER BY idx;

-- name: AuditLeavesWithEntries :many
-- Every leaf with its entry as the database holds it now (none when the
-- entry is gone), in leaf order.
SELECT l.idx, l.entry_id, l.at AS leaf_at, l.hash,
       a.id AS found_id, a.at, a.staff_id, a.username, a.client, a.unit_id, a.action, a.detail, a.status
FROM audit_leaves l LEFT JOIN audit_log a ON a.id = l.entry_id
ORDER BY l.idx;

-- name: LateUnsealedAudit :many
-- Entries made before a time that are not leaves.
SELECT a.id, a.at FROM audit_log a
WHERE a.at < sqlc.arg('before')::timestamptz
  AND NOT EXISTS (SELECT 1 FROM audit_leaves l WHERE l.entry_id = a.id)
ORDER BY a.id LIMIT 100;

-- name: AddAuditCosignature :exec
INSERT INTO audit_cosignatures (size, witness, note, cosigned_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (witness, size) DO UPDATE SET note = EXCLUDED.note, cosigned_at = EXCLUDED.cosigned_at, received_at = now();

-- name: AuditCosignatures :many
SELECT size, witness, note, cosigned_at FROM audit_cosignatures ORDER BY size, witness;

-- name: AuditWitnesses :many
-- Each witness's newest cosignature of the audit log.
SELECT DISTINCT ON (witness) size, witness, note, cosigned_at FROM audit_cosignatures ORDER BY witness, size DESC;

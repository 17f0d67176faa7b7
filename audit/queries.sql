-- name: RecordAudit :exec
INSERT INTO audit_log (staff_id, username, client, unit_id, action, detail, status)
VALUES ($1, $2, $3, $4, $5, $6, $7);

-- name: ListAudit :many
SELECT a.*, coalesce(u.name, '') AS unit_name
FROM audit_log a LEFT JOIN units u ON u.id = a.unit_id
WHERE (sqlc.narg('unit_id')::bigint IS NULL OR a.unit_id = sqlc.narg('unit_id'))
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

-- name: CreateStaff :one
INSERT INTO staff (username, password_hash, role) VALUES ($1, $2, $3)
RETURNING id, username, role, created_at;

-- name: GetStaffByUsername :one
SELECT * FROM staff WHERE username = $1;

-- name: GetStaff :one
SELECT s.id, s.username, s.role, s.created_at, (s.disabled_at IS NOT NULL)::bool AS disabled,
    EXISTS (SELECT 1 FROM staff_second_factors f WHERE f.staff_id = s.id AND f.confirmed_at IS NOT NULL)::bool AS second_factor
FROM staff s WHERE s.id = $1;

-- name: ListStaff :many
SELECT s.id, s.username, s.role, s.created_at, (s.disabled_at IS NOT NULL)::bool AS disabled,
    EXISTS (SELECT 1 FROM staff_second_factors f WHERE f.staff_id = s.id AND f.confirmed_at IS NOT NULL)::bool AS second_factor
FROM staff s ORDER BY s.id;

-- name: StaffUnits :many
SELECT unit_id FROM staff_units WHERE staff_id = $1 ORDER BY unit_id;

-- name: AllStaffUnits :many
SELECT staff_id, unit_id FROM staff_units ORDER BY staff_id, unit_id;

-- name: ClearStaffUnits :exec
DELETE FROM staff_units WHERE staff_id = $1;

-- name: AddStaffUnit :exec
INSERT INTO staff_units (staff_id, unit_id) VALUES ($1, $2);

-- name: SetStaffRole :execrows
UPDATE staff SET role = $2 WHERE id = $1;

-- name: SetStaffPassword :execrows
UPDATE staff SET password_hash = $2 WHERE id = $1;

-- name: StaffLogin :one
-- The account a login names, with its hash and whether it is disabled.
SELECT id, password_hash, (disabled_at IS NOT NULL)::bool AS disabled FROM staff WHERE username = $1;

-- name: SetStaffDisabled :execrows
UPDATE staff SET disabled_at = CASE WHEN @disabled::bool THEN now() ELSE NULL END WHERE id = @id;

-- name: DisabledStaff :many
SELECT id FROM staff WHERE disabled_at IS NOT NULL ORDER BY id;

-- name: StartSession :exec
INSERT INTO staff_sessions (id, staff_id, client, user_agent) VALUES ($1, $2, $3, $4);

-- name: LiveSession :one
-- A session that is not ended, whose account is not disabled, used since
-- idle_since and begun since born_since.
SELECT s.staff_id, (s.second_factor_at IS NOT NULL)::bool AS passed FROM staff_sessions s JOIN staff a ON a.id = s.staff_id
WHERE s.id = @id AND s.ended_at IS NULL AND a.disabled_at IS NULL
  AND s.seen_at > @idle_since::timestamptz AND s.created_at > @born_since::timestamptz;

-- name: TouchSession :exec
-- Marks a session used; at most once a minute, to spare the writes.
UPDATE staff_sessions SET seen_at = now() WHERE id = $1 AND seen_at < now() - interval '1 minute';

-- name: EndSession :execrows
UPDATE staff_sessions SET ended_at = now(), ended_why = @why WHERE id = @id AND ended_at IS NULL;

-- name: EndAccountSession :execrows
UPDATE staff_sessions SET ended_at = now(), ended_why = @why WHERE id = @id AND staff_id = @staff_id AND ended_at IS NULL;

-- name: EndAccountSessions :exec
UPDATE staff_sessions SET ended_at = now(), ended_why = @why WHERE staff_id = @staff_id AND ended_at IS NULL;

-- name: LiveSessions :many
SELECT id, staff_id, created_at, seen_at, client, user_agent FROM staff_sessions
WHERE ended_at IS NULL AND seen_at > @idle_since::timestamptz AND created_at > @born_since::timestamptz
ORDER BY staff_id, created_at DESC;

-- name: StaffRegions :many
SELECT prefix FROM staff_regions WHERE staff_id = $1 ORDER BY prefix;

-- name: AllStaffRegions :many
SELECT staff_id, prefix FROM staff_regions ORDER BY staff_id, prefix;

-- name: ClearStaffRegions :exec
DELETE FROM staff_regions WHERE staff_id = $1;

-- name: AddStaffRegion :exec
INSERT INTO staff_regions (staff_id, prefix) VALUES ($1, $2);

-- The units an account reaches through its regions.
-- name: UnitsInRegions :many
SELECT u.id FROM units u JOIN staff_regions r ON u.code LIKE r.prefix || '%'
WHERE r.staff_id = $1 ORDER BY u.id;

-- name: SecondFactorForUpdate :one
SELECT secret, confirmed_at, last_step FROM staff_second_factors WHERE staff_id = $1 FOR UPDATE;

-- name: BeginSecondFactor :exec
-- A new secret for an account not yet confirmed (an unconfirmed one is
-- replaced).
INSERT INTO staff_second_factors (staff_id, secret) VALUES ($1, $2)
ON CONFLICT (staff_id) DO UPDATE SET secret = EXCLUDED.secret, created_at = now(), last_step = 0
WHERE staff_second_factors.confirmed_at IS NULL;

-- name: UnconfirmedSecret :one
SELECT secret FROM staff_second_factors WHERE staff_id = $1 AND confirmed_at IS NULL;

-- name: ConfirmSecondFactor :exec
UPDATE staff_second_factors SET confirmed_at = now(), last_step = @last_step WHERE staff_id = @staff_id;

-- name: AcceptStep :exec
UPDATE staff_second_factors SET last_step = @last_step WHERE staff_id = @staff_id;

-- name: DeleteRecoveryCodes :exec
DELETE FROM staff_recovery_codes WHERE staff_id = $1;

-- name: AddRecoveryCode :exec
INSERT INTO staff_recovery_codes (staff_id, hash) VALUES ($1, $2);

-- name: UseRecoveryCode :execrows
UPDATE staff_recovery_codes SET used_at = now() WHERE staff_id = $1 AND hash = $2 AND used_at IS NULL;

-- name: RecoveryCodesLeft :one
SELECT count(*) FROM staff_recovery_codes WHERE staff_id = $1 AND used_at IS NULL;

-- name: DeleteSecondFactor :execrows
DELETE FROM staff_second_factors WHERE staff_id = $1;

-- name: PassSession :exec
UPDATE staff_sessions SET second_factor_at = now() WHERE id = $1 AND ended_at IS NULL;

-- name: RecordPassword :exec
INSERT INTO staff_password_history (staff_id, hash) VALUES ($1, $2);

-- name: RecentPasswords :many
-- The hashes of the account's last n passwords, the current one first
-- (every password set is recorded, the first one at creation).
SELECT hash FROM staff_password_history WHERE staff_id = @staff_id ORDER BY set_at DESC LIMIT @n::int;

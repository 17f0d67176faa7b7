-- name: CreateStaff :one
INSERT INTO staff (username, password_hash, role) VALUES ($1, $2, $3)
RETURNING id, username, role, created_at;

-- name: GetStaffByUsername :one
SELECT * FROM staff WHERE username = $1;

-- name: GetStaff :one
SELECT id, username, role, created_at FROM staff WHERE id = $1;

-- name: ListStaff :many
SELECT id, username, role, created_at FROM staff ORDER BY id;

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

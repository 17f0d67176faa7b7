-- name: CreateStaff :one
INSERT INTO staff (username, password_hash, role) VALUES ($1, $2, $3)
RETURNING id, username, role, created_at;

-- name: GetStaffByUsername :one
SELECT * FROM staff WHERE username = $1;

-- name: GetStaff :one
SELECT id, username, role, created_at FROM staff WHERE id = $1;

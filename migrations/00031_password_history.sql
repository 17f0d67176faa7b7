-- +goose Up
-- The bcrypt hashes of the passwords an account had, so a new password
-- is not one of the last few (the deployment's password policy).
CREATE TABLE staff_password_history (
    staff_id bigint NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    hash     text NOT NULL,
    set_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX staff_password_history_staff ON staff_password_history (staff_id, set_at DESC);
INSERT INTO staff_password_history (staff_id, hash) SELECT id, password_hash FROM staff;

-- +goose Down
DROP TABLE staff_password_history;

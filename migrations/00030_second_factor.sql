-- +goose Up
-- A second factor for staff sign-in (二次验证): a TOTP secret (RFC 6238)
-- per account, confirmed by a first code; the newest time step accepted,
-- so a code is good once; ten recovery codes, kept as SHA-256, each good
-- once; and, per session, when it passed the second factor.
CREATE TABLE staff_second_factors (
    staff_id     bigint PRIMARY KEY REFERENCES staff (id) ON DELETE CASCADE,
    secret       text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    confirmed_at timestamptz,
    last_step    bigint NOT NULL DEFAULT 0
);
CREATE TABLE staff_recovery_codes (
    staff_id bigint NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    hash     bytea NOT NULL,
    used_at  timestamptz,
    PRIMARY KEY (staff_id, hash)
);
ALTER TABLE staff_sessions ADD COLUMN second_factor_at timestamptz;

-- +goose Down
ALTER TABLE staff_sessions DROP COLUMN second_factor_at;
DROP TABLE staff_recovery_codes, staff_second_factors;

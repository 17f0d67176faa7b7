-- +goose Up

-- Every staff action: who, when, from where, on which unit, what.
-- Failed logins are here too (staff_id NULL, the name tried in username),
-- and login throttling counts them.
CREATE TABLE audit_log (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    staff_id  bigint REFERENCES staff (id) ON DELETE SET NULL,
    username  text NOT NULL CHECK (length(username) <= 100),
    client    text NOT NULL DEFAULT '',            -- the client address Echo's IP extractor yields
    unit_id   bigint REFERENCES units (id) ON DELETE SET NULL,
    action    text NOT NULL CHECK (length(action) BETWEEN 1 AND 64),
    detail    text NOT NULL DEFAULT '' CHECK (length(detail) <= 2000),
    status    integer NOT NULL DEFAULT 0           -- the HTTP status of the request
);
CREATE INDEX audit_log_at ON audit_log (at DESC);
CREATE INDEX audit_log_unit_at ON audit_log (unit_id, at DESC);
CREATE INDEX audit_log_logins ON audit_log (lower(username), at DESC) WHERE action IN ('login', 'login_failed');
CREATE INDEX audit_log_failed ON audit_log (at DESC) WHERE action = 'login_failed';

-- +goose Down
DROP TABLE audit_log;

-- +goose Up

-- Staff sessions live on the server: the cookie carries only a random
-- token, whose SHA-256 is the session's id here. Logging out, a new
-- password, a new role or units, and disabling the account end them at
-- once, on every server.
ALTER TABLE staff ADD COLUMN disabled_at timestamptz;
CREATE TABLE staff_sessions (
    id         bytea PRIMARY KEY,                 -- SHA-256 of the cookie's token
    staff_id   bigint NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    seen_at    timestamptz NOT NULL DEFAULT now(),
    ended_at   timestamptz,
    ended_why  text NOT NULL DEFAULT '',
    client     text NOT NULL DEFAULT '',          -- address at sign-in, for the admin
    user_agent text NOT NULL DEFAULT ''
);
CREATE INDEX staff_sessions_live ON staff_sessions (staff_id) WHERE ended_at IS NULL;

-- The keys of the address and device hashes, one per open campaign. A
-- campaign's key is made when it opens and destroyed when it closes, so
-- afterwards no one, the holder of SESSION_KEY included, can tell which
-- address or device a stored hash came from.
CREATE TABLE campaign_keys (
    campaign_id bigint PRIMARY KEY REFERENCES campaigns (id) ON DELETE CASCADE,
    key         bytea NOT NULL
);
INSERT INTO campaign_keys (campaign_id, key)
SELECT id, sha256((gen_random_uuid()::text || gen_random_uuid()::text)::bytea) FROM campaigns WHERE status = 'open';
-- Closed campaigns' hashes were keyed by SESSION_KEY: rehash them under a
-- random salt per campaign that is not kept. Equal hashes stay equal
-- within a campaign; none can be matched to an address any more.
WITH salt AS (
    SELECT id, sha256((gen_random_uuid()::text || gen_random_uuid()::text)::bytea) AS s FROM campaigns WHERE status = 'closed'
)
UPDATE responses r SET ip_hash = substring(sha256(salt.s || r.ip_hash) FOR 16),
                       device_hash = CASE WHEN r.device_hash IS NULL THEN NULL ELSE substring(sha256(salt.s || r.device_hash) FOR 16) END
FROM salt WHERE r.campaign_id = salt.id;

-- +goose Down
DROP TABLE campaign_keys, staff_sessions;
ALTER TABLE staff DROP COLUMN disabled_at;

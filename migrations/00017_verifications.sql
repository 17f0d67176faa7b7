-- +goose Up

-- The latest check of each campaign's sample log and figures (survey.Store
-- Verify, from the console, the API, the dossier or `renke verify`): when it
-- ran and what it found, so the dashboard, which reads the kept tallies,
-- can say when they were last recounted against the log.
CREATE TABLE verifications (
    campaign_id bigint PRIMARY KEY REFERENCES campaigns (id) ON DELETE CASCADE,
    at          timestamptz NOT NULL,
    size        bigint NOT NULL,
    problems    integer NOT NULL,
    first       text NOT NULL DEFAULT ''  -- the first problem, in words
);

-- +goose Down
DROP TABLE verifications;

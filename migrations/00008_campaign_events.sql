-- +goose Up

-- What staff did to a campaign's life that a reviewer should see: who
-- closed it, and who reopened it and why. The dossier prints them.
CREATE TABLE campaign_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    at          timestamptz NOT NULL DEFAULT now(),
    action      text NOT NULL CHECK (action IN ('close', 'reopen')),
    reason      text NOT NULL DEFAULT '',
    username    text NOT NULL DEFAULT ''
);
CREATE INDEX campaign_events_campaign ON campaign_events (campaign_id, id);

-- +goose Down
DROP TABLE campaign_events;

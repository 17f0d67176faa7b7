-- +goose Up

-- A response's answers move into the response row, as 'item=option' pairs
-- sorted by item. They are written once, with the response, and never on
-- their own; twelve rows, twelve index entries and twelve foreign-key
-- checks per response were most of the database's work at peak.
ALTER TABLE responses ADD COLUMN answers text[] NOT NULL DEFAULT '{}';
UPDATE responses r SET answers = a.pairs
FROM (SELECT response_id, array_agg(item || '=' || option ORDER BY item) AS pairs FROM answers GROUP BY response_id) a
WHERE a.response_id = r.id;
DROP TABLE answers;

-- Burst detection reads the newest responses of one link or one school in
-- a campaign. One index per source lets each read stop after its limit,
-- where the time index read every response of the window.
CREATE INDEX responses_link_recent ON responses (campaign_id, link_id, id);
CREATE INDEX responses_school_recent ON responses (campaign_id, school_id, id) WHERE school_id IS NOT NULL;
DROP INDEX responses_recent;

-- +goose Down
CREATE INDEX responses_recent ON responses (campaign_id, submitted_at);
DROP INDEX responses_link_recent, responses_school_recent;
CREATE TABLE answers (
    response_id bigint NOT NULL REFERENCES responses (id) ON DELETE CASCADE,
    item        text NOT NULL,
    option      text NOT NULL,
    PRIMARY KEY (response_id, item)
);
INSERT INTO answers (response_id, item, option)
SELECT r.id, split_part(p, '=', 1), split_part(p, '=', 2) FROM responses r, unnest(r.answers) p;
ALTER TABLE responses DROP COLUMN answers;

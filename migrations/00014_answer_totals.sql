-- +goose Up

-- The answer tallies without locale and school: all a campaign's overall
-- recognition rate needs, kept by the same statement that keeps
-- answer_tallies (AddTallies), so a region's roll-up reads one row per
-- item, option and category instead of grouping the tallies.
CREATE TABLE answer_totals (
    campaign_id bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    item        text NOT NULL,
    option      text NOT NULL,
    category    text NOT NULL,
    n           bigint NOT NULL,
    PRIMARY KEY (campaign_id, item, option, category)
);

INSERT INTO answer_totals (campaign_id, item, option, category, n)
SELECT campaign_id, item, option, category, sum(n) FROM answer_tallies GROUP BY 1, 2, 3, 4;

-- +goose Down
DROP TABLE answer_totals;

-- +goose Up

-- The counts a recognition report needs, kept up to date in the
-- transaction that admits a response (and in the one that records a
-- review decision moving it in or out of the sample), so that a report
-- costs in proportion to its cells, not to its answers. The raw tally
-- over responses stays as the check (survey.Store.RawTally).
CREATE TABLE answer_tallies (
    campaign_id bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    item        text NOT NULL,
    option      text NOT NULL,
    category    text NOT NULL,
    locale      text NOT NULL,
    school_id   bigint NOT NULL DEFAULT 0,  -- 0: none
    n           bigint NOT NULL,  -- no CHECK (n >= 0): a decrement goes in as an insert of a negative count first
    PRIMARY KEY (campaign_id, item, option, category, locale, school_id)
);

INSERT INTO answer_tallies (campaign_id, item, option, category, locale, school_id, n)
SELECT r.campaign_id, split_part(a.pair, '=', 1), split_part(a.pair, '=', 2), r.category, r.locale,
    coalesce(r.school_id, 0), count(*)
FROM responses r CROSS JOIN LATERAL unnest(r.answers) AS a (pair)
WHERE r.status = 'admitted'
GROUP BY 1, 2, 3, 4, 5, 6;

-- +goose Down
DROP TABLE answer_tallies;

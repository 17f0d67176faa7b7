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

-- Responses counted by hour of arrival, status, category, locale and grade
-- band ('' for none): progress, the parent share, grade balance and the
-- hourly chart read these, kept the same way.
CREATE TABLE response_counts (
    campaign_id bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    hour        timestamptz NOT NULL,
    status      text NOT NULL,
    category    text NOT NULL,
    locale      text NOT NULL,
    grade_band  text NOT NULL DEFAULT '',
    n           bigint NOT NULL,
    PRIMARY KEY (campaign_id, hour, status, category, locale, grade_band)
);

INSERT INTO response_counts (campaign_id, hour, status, category, locale, grade_band, n)
SELECT campaign_id, date_trunc('hour', submitted_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', status, category, locale,
    coalesce(grade_band, ''), count(*)
FROM responses GROUP BY 1, 2, 3, 4, 5, 6;

-- Responses counted by link, school, status, whether flagged and whether
-- reviewed, with the last arrival: the schools' and links' progress and the
-- review queue's counts read these. Retroactive flags (AddFlag) and
-- decisions move responses between them.
CREATE TABLE source_counts (
    campaign_id bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    link_id     bigint NOT NULL,
    school_id   bigint NOT NULL DEFAULT 0,  -- 0: none
    status      text NOT NULL,
    flagged     boolean NOT NULL,
    reviewed    boolean NOT NULL,
    n           bigint NOT NULL,
    last_at     timestamptz,
    PRIMARY KEY (campaign_id, link_id, school_id, status, flagged, reviewed)
);

INSERT INTO source_counts (campaign_id, link_id, school_id, status, flagged, reviewed, n, last_at)
SELECT r.campaign_id, r.link_id, coalesce(r.school_id, 0), r.status, r.flags <> '{}',
    EXISTS (SELECT 1 FROM reviews v WHERE v.response_id = r.id), count(*), max(r.submitted_at)
FROM responses r GROUP BY 1, 2, 3, 4, 5, 6;

-- +goose Down
DROP TABLE source_counts, response_counts, answer_tallies;

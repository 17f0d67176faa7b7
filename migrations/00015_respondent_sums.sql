-- +goose Up

-- What an interval over respondents needs, kept beside the answer tallies
-- by the same statements. A respondent's answers are correlated, so the
-- recognition rate is a ratio of two sums over respondents (the answers
-- they rated favourably over the answers they rated) and its variance is
-- estimated from per-respondent sums (survey/cluster.go). For each group
-- (a category, a locale, a school, a content area) this keeps, over the
-- respondents who rated anything in it: how many they are; the sums of
-- a (answers rated, 不了解 excluded), of the top-two and top-three counts
-- and of the points (in hundredths); and the sums of their squares and of
-- their products with a.
CREATE TABLE respondent_sums (
    campaign_id bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    dimension   text NOT NULL CHECK (dimension IN ('category', 'locale', 'school', 'area')),
    key         text NOT NULL,
    respondents bigint NOT NULL,
    answers     bigint NOT NULL,
    answers_sq  bigint NOT NULL,
    top2        bigint NOT NULL,
    top2_sq     bigint NOT NULL,
    top2_x      bigint NOT NULL,
    top3        bigint NOT NULL,
    top3_sq     bigint NOT NULL,
    top3_x      bigint NOT NULL,
    points      bigint NOT NULL,  -- hundredths of a point
    points_sq   bigint NOT NULL,
    points_x    bigint NOT NULL,
    PRIMARY KEY (campaign_id, dimension, key)
);

-- The sums of the responses admitted so far (the same arithmetic as
-- survey.RecountTallies, over every campaign).
INSERT INTO respondent_sums (campaign_id, dimension, key, respondents, answers, answers_sq, top2, top2_sq, top2_x,
    top3, top3_sq, top3_x, points, points_sq, points_x)
WITH ans AS (
    SELECT r.campaign_id, r.id, r.category, r.locale, coalesce(r.school_id, 0) AS school_id, it ->> 'area' AS area,
        NOT coalesce((o ->> 'dont_know')::boolean, false) AS rated, coalesce((o ->> 'rank')::int, 0) AS rank,
        round(coalesce((o ->> 'points')::numeric, 0) * 100)::bigint AS cp
    FROM responses r
    JOIN questionnaires q ON q.id = r.questionnaire_id
    CROSS JOIN LATERAL unnest(r.answers) AS a (pair)
    CROSS JOIN LATERAL jsonb_array_elements(q.definition -> 'scale') AS o
    CROSS JOIN LATERAL jsonb_array_elements(q.definition -> 'items') AS it
    WHERE r.status = 'admitted' AND o ->> 'value' = split_part(a.pair, '=', 2) AND it ->> 'id' = split_part(a.pair, '=', 1)
), per AS (
    SELECT campaign_id, id, category, locale, school_id, area, grouping(area) AS whole,
        count(*) FILTER (WHERE rated) AS a, count(*) FILTER (WHERE rated AND rank <= 2) AS t2,
        count(*) FILTER (WHERE rated AND rank <= 3) AS t3, coalesce(sum(cp) FILTER (WHERE rated), 0)::bigint AS p
    FROM ans GROUP BY GROUPING SETS ((campaign_id, id, category, locale, school_id), (campaign_id, id, category, locale, school_id, area))
), keyed AS (
    SELECT campaign_id, 'area' AS dimension, area AS key, a, t2, t3, p FROM per WHERE whole = 0
    UNION ALL SELECT campaign_id, 'category', category, a, t2, t3, p FROM per WHERE whole = 1
    UNION ALL SELECT campaign_id, 'locale', locale, a, t2, t3, p FROM per WHERE whole = 1
    UNION ALL SELECT campaign_id, 'school', school_id::text, a, t2, t3, p FROM per WHERE whole = 1 AND school_id <> 0
)
SELECT campaign_id, dimension, key, count(*), sum(a), sum(a * a), sum(t2), sum(t2 * t2), sum(t2 * a),
    sum(t3), sum(t3 * t3), sum(t3 * a), sum(p), sum(p * p), sum(p * a)
FROM keyed WHERE a > 0 GROUP BY campaign_id, dimension, key;

-- The verdict's settings are frozen when a campaign opens: the population
-- and its locale shares it was designed on are kept with it, and every
-- later change of a verdict-deciding setting is an event with its old and
-- new value.
ALTER TABLE campaigns ADD COLUMN population bigint, ADD COLUMN shares integer[];
UPDATE campaigns c SET population = u.population, shares = ARRAY[u.share_urban, u.share_town, u.share_rural]
FROM units u WHERE u.id = c.unit_id AND c.status <> 'draft';

ALTER TABLE campaign_events DROP CONSTRAINT campaign_events_action_check;
ALTER TABLE campaign_events ADD CONSTRAINT campaign_events_action_check
    CHECK (action IN ('open', 'close', 'reopen', 'log_upgrade', 'setting'));
ALTER TABLE campaign_events ADD COLUMN setting text NOT NULL DEFAULT '',
    ADD COLUMN old_value text NOT NULL DEFAULT '', ADD COLUMN new_value text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE campaign_events DROP COLUMN setting, DROP COLUMN old_value, DROP COLUMN new_value;
DELETE FROM campaign_events WHERE action IN ('open', 'setting');
ALTER TABLE campaign_events DROP CONSTRAINT campaign_events_action_check;
ALTER TABLE campaign_events ADD CONSTRAINT campaign_events_action_check CHECK (action IN ('close', 'reopen', 'log_upgrade'));
ALTER TABLE campaigns DROP COLUMN population, DROP COLUMN shares;
DROP TABLE respondent_sums;

-- +goose Up

-- One school's statistics for one school year (教育事业统计, 教育经费统计):
-- the figures of evaluation.School as a JSON object, validated by the
-- application before it is written. A year's import replaces the year.
CREATE TABLE school_stats (
    school_id  bigint NOT NULL REFERENCES schools (id) ON DELETE CASCADE,
    year       integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    stats      jsonb NOT NULL CHECK (jsonb_typeof(stats) = 'object'),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (school_id, year)
);

-- The county-level findings of one unit and year, the profile they are
-- judged by and the survey campaign that gives social recognition.
CREATE TABLE evaluation_inputs (
    unit_id     bigint NOT NULL REFERENCES units (id) ON DELETE CASCADE,
    year        integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    profile     text NOT NULL,
    campaign_id bigint REFERENCES campaigns (id) ON DELETE SET NULL,
    figures     jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(figures) = 'object'),
    judgements  jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(judgements) = 'object'),
    scores      jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(scores) = 'object'),
    vetoes      jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(vetoes) = 'object'),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (unit_id, year)
);

-- +goose Down
DROP TABLE evaluation_inputs, school_stats;

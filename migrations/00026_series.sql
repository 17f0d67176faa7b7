-- +goose Up

-- County figures entered year by year (evaluation.SeriesInput): five
-- years of general public budget education spending, in total and per
-- pupil, for "逐年只增不减" (by key, then calendar year).
ALTER TABLE evaluation_inputs ADD COLUMN series jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(series) = 'object');

-- +goose Down
ALTER TABLE evaluation_inputs DROP COLUMN series;

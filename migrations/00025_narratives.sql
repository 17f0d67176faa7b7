-- +goose Up

-- The sections of a round's self-assessment report the bureau writes
-- itself (基本情况, 主要做法与成效, …): editable until the round is
-- signed off.
CREATE TABLE round_narratives (
    round_id   bigint NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    section    text NOT NULL,
    text       text NOT NULL,
    updated_by text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (round_id, section)
);

-- +goose Down
DROP TABLE round_narratives;

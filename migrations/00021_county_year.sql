-- +goose Up

-- The county's year (issue 28): rounds of self-assessment (自查自评), the
-- problem list (问题清单), the task and responsibility lists (任务清单,
-- 责任清单), and the evidence that strikes a problem off (佐证材料).

-- A round freezes one unit's year: the school statistics and findings as
-- they stood, the evaluation under its profile, what it found short, and
-- the linked survey's latest signed checkpoint and result statement.
-- Rounds are numbered per unit and never change (the trigger below).
CREATE TABLE rounds (
    id          bigserial PRIMARY KEY,
    unit_id     bigint NOT NULL REFERENCES units (id) ON DELETE CASCADE,
    no          integer NOT NULL CHECK (no > 0),
    year        integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    profile     text NOT NULL,
    frozen_at   timestamptz NOT NULL DEFAULT now(),
    frozen_by   text NOT NULL,
    note        text NOT NULL DEFAULT '',
    verdict     text NOT NULL,
    schools     jsonb NOT NULL,
    findings    jsonb NOT NULL,
    result      jsonb NOT NULL,
    measures    jsonb NOT NULL,
    -- The survey as the round saw it: the campaign (not a reference: the
    -- round keeps what it saw), its newest signed checkpoint (a signed
    -- note) and its newest result statement.
    campaign_id bigint,
    checkpoint  text NOT NULL DEFAULT '',
    statement   jsonb,
    UNIQUE (unit_id, no)
);

-- +goose StatementBegin
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is kept as it was written', TG_TABLE_NAME USING ERRCODE = 'P0001';
END $$;
-- +goose StatementEnd

CREATE TRIGGER rounds_frozen BEFORE UPDATE ON rounds FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- A problem is one check found short, for the county or one school
-- (school_id 0: the county), the same record across rounds.
CREATE TABLE problems (
    id           bigserial PRIMARY KEY,
    unit_id      bigint NOT NULL REFERENCES units (id) ON DELETE CASCADE,
    key          text NOT NULL,
    school_id    bigint NOT NULL DEFAULT 0,
    school       text NOT NULL DEFAULT '',
    indicator    text NOT NULL,
    title        text NOT NULL,
    judged       boolean NOT NULL,
    status       text NOT NULL CHECK (status IN ('open', 'struck')),
    opened_round bigint NOT NULL REFERENCES rounds (id),
    -- How it was struck off: by a round whose check passed, or by a
    -- staff decision with its reason.
    struck_round bigint REFERENCES rounds (id),
    struck_by    text,
    struck_at    timestamptz,
    reason       text NOT NULL DEFAULT '',
    UNIQUE (unit_id, key, school_id)
);

-- What each round found of each problem the unit has.
CREATE TABLE problem_rounds (
    problem_id bigint NOT NULL REFERENCES problems (id) ON DELETE CASCADE,
    round_id   bigint NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    status     text NOT NULL CHECK (status IN ('fail', 'missing', 'pass')),
    figure     text NOT NULL DEFAULT '',
    gap        text NOT NULL DEFAULT '',
    PRIMARY KEY (problem_id, round_id)
);
CREATE INDEX problem_rounds_round ON problem_rounds (round_id);

-- The history of problems and tasks: every change, who and why.
CREATE TABLE ledger_events (
    id         bigserial PRIMARY KEY,
    unit_id    bigint NOT NULL REFERENCES units (id) ON DELETE CASCADE,
    problem_id bigint REFERENCES problems (id) ON DELETE CASCADE,
    task_id    bigint,
    round_id   bigint REFERENCES rounds (id) ON DELETE CASCADE,
    at         timestamptz NOT NULL DEFAULT now(),
    username   text NOT NULL,
    kind       text NOT NULL,
    detail     text NOT NULL DEFAULT ''
);
CREATE INDEX ledger_events_problem ON ledger_events (problem_id) WHERE problem_id IS NOT NULL;
CREATE INDEX ledger_events_task ON ledger_events (task_id) WHERE task_id IS NOT NULL;
CREATE TRIGGER ledger_events_kept BEFORE UPDATE ON ledger_events FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- The departments a bureau assigns tasks to (区财政局, 区发改委, …).
CREATE TABLE departments (
    unit_id bigint NOT NULL REFERENCES units (id) ON DELETE CASCADE,
    name    text NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
    PRIMARY KEY (unit_id, name)
);

-- The 年度任务清单: 序号, 主要任务, 工作目标, 责任部门, 配合部门, 完成时间,
-- with its progress; struck off (已销号) when its problems are, or by a
-- decision when it addresses none.
CREATE TABLE tasks (
    id         bigserial PRIMARY KEY,
    unit_id    bigint NOT NULL REFERENCES units (id) ON DELETE CASCADE,
    no         integer NOT NULL CHECK (no > 0),
    title      text NOT NULL,
    goal       text NOT NULL DEFAULT '',
    lead       text[] NOT NULL,
    partners   text[] NOT NULL DEFAULT '{}',
    due_text   text NOT NULL DEFAULT '',
    due        date,
    progress   text NOT NULL DEFAULT 'not_started' CHECK (progress IN ('not_started', 'in_progress', 'awaiting')),
    struck_at  timestamptz,
    struck_by  text,
    reason     text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (unit_id, no)
);

CREATE TABLE task_problems (
    task_id    bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    problem_id bigint NOT NULL REFERENCES problems (id) ON DELETE CASCADE,
    PRIMARY KEY (task_id, problem_id)
);
CREATE INDEX task_problems_problem ON task_problems (problem_id);

CREATE TABLE task_indicators (
    task_id   bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    indicator text NOT NULL,
    PRIMARY KEY (task_id, indicator)
);

-- Evidence (佐证材料): files kept once by their SHA-256, and each
-- attachment of one to a problem or a task, never changed.
CREATE TABLE evidence_blobs (
    sha256     bytea PRIMARY KEY CHECK (length(sha256) = 32),
    media_type text NOT NULL,
    size       bigint NOT NULL CHECK (size > 0),
    content    bytea NOT NULL
);
CREATE TRIGGER evidence_blobs_kept BEFORE UPDATE ON evidence_blobs FOR EACH ROW EXECUTE FUNCTION refuse_change();

CREATE TABLE evidence (
    id          bigserial PRIMARY KEY,
    unit_id     bigint NOT NULL REFERENCES units (id) ON DELETE CASCADE,
    sha256      bytea NOT NULL REFERENCES evidence_blobs (sha256),
    name        text NOT NULL,
    subject     text NOT NULL CHECK (subject IN ('problem', 'task')),
    subject_id  bigint NOT NULL,
    uploaded_by text NOT NULL,
    uploaded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX evidence_subject ON evidence (unit_id, subject, subject_id);
CREATE TRIGGER evidence_kept BEFORE UPDATE ON evidence FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- +goose Down
DROP TABLE evidence, evidence_blobs, task_indicators, task_problems, tasks, departments, ledger_events,
    problem_rounds, problems, rounds;
DROP FUNCTION refuse_change();

-- +goose Up

-- 评价单位: a county, district or town evaluated as one unit.
CREATE TABLE units (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code              text NOT NULL UNIQUE CHECK (code ~ '^[0-9A-Za-z_-]{1,32}$'),
    name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    kind              text NOT NULL CHECK (kind IN ('county', 'district', 'city', 'town')),
    population        bigint NOT NULL CHECK (population > 0),          -- 常住人口
    population_source text NOT NULL DEFAULT '',                        -- e.g. 第七次人口普查
    population_year   integer CHECK (population_year BETWEEN 1950 AND 2100),
    share_urban       integer NOT NULL CHECK (share_urban >= 0),       -- basis points
    share_town        integer NOT NULL CHECK (share_town >= 0),
    share_rural       integer NOT NULL CHECK (share_rural >= 0),
    created_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (share_urban + share_town + share_rural = 10000)
);

CREATE TABLE schools (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    unit_id       bigint NOT NULL REFERENCES units (id) ON DELETE CASCADE,
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    type          text NOT NULL CHECK (type IN ('primary', 'junior', 'nine_year', 'twelve_year',
                                                'complete_middle', 'special', 'teaching_point')),
    locale        text NOT NULL CHECK (locale IN ('urban', 'town', 'rural')),
    public        boolean NOT NULL DEFAULT true,
    enrol_primary integer NOT NULL DEFAULT 0 CHECK (enrol_primary >= 0),
    enrol_junior  integer NOT NULL DEFAULT 0 CHECK (enrol_junior >= 0),
    UNIQUE (unit_id, name),
    UNIQUE (unit_id, id)
);

CREATE TABLE campaigns (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    unit_id        bigint NOT NULL REFERENCES units (id) ON DELETE CASCADE,
    title          text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    status         text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'open', 'closed')),
    opens_at       timestamptz,
    closes_at      timestamptz,
    rate_ppm       integer NOT NULL DEFAULT 1500 CHECK (rate_ppm BETWEEN 1 AND 1000000),
    min_sample     integer NOT NULL DEFAULT 0 CHECK (min_sample >= 0),
    quota_policy   text NOT NULL DEFAULT 'cap' CHECK (quota_policy IN ('cap', 'floor')),
    scoring_method text NOT NULL DEFAULT 'top2' CHECK (scoring_method IN ('top2', 'top3', 'points', 'category')),
    threshold      numeric(5, 4) NOT NULL DEFAULT 0.85 CHECK (threshold > 0 AND threshold <= 1),
    sample_size    integer,                                            -- fixed when opened
    created_at     timestamptz NOT NULL DEFAULT now(),
    opened_at      timestamptz,
    closed_at      timestamptz,
    CHECK (closes_at IS NULL OR opens_at IS NULL OR closes_at > opens_at)
);
CREATE INDEX campaigns_unit ON campaigns (unit_id);

-- A campaign's own copy of each questionnaire. Edited while the campaign is
-- a draft, frozen when it opens (see the trigger below).
CREATE TABLE questionnaires (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('social', 'staff', 'student')),
    version     integer NOT NULL DEFAULT 1,
    definition  jsonb NOT NULL,
    UNIQUE (campaign_id, kind)
);

-- +goose StatementBegin
CREATE FUNCTION questionnaire_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT status FROM campaigns WHERE id = OLD.campaign_id) <> 'draft' THEN
        RAISE EXCEPTION 'questionnaire % is frozen: its campaign is no longer a draft', OLD.id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER questionnaires_frozen BEFORE UPDATE ON questionnaires
    FOR EACH ROW EXECUTE FUNCTION questionnaire_frozen();

-- Quota cells (category × locale), created when a campaign opens. admitted
-- counts the responses in the official sample; the conditional UPDATE in
-- AdmitToCell is what keeps it at or below target.
CREATE TABLE quota_cells (
    campaign_id bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    category    text NOT NULL CHECK (category IN ('student', 'parent', 'teacher', 'principal', 'npc', 'cppcc', 'resident')),
    locale      text NOT NULL CHECK (locale IN ('urban', 'town', 'rural')),
    target      integer NOT NULL CHECK (target >= 0),
    admitted    integer NOT NULL DEFAULT 0 CHECK (admitted >= 0),
    PRIMARY KEY (campaign_id, category, locale)
);

-- A published link behind a QR code.
CREATE TABLE links (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id        bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    code               text NOT NULL UNIQUE,
    school_id          bigint REFERENCES schools (id) ON DELETE RESTRICT,
    questionnaire_kind text CHECK (questionnaire_kind IN ('social', 'staff', 'student')),
    label              text NOT NULL DEFAULT '',
    created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX links_campaign ON links (campaign_id);

-- One submitted questionnaire. No name, phone or raw IP is ever stored.
CREATE TABLE responses (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id      bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    questionnaire_id bigint NOT NULL REFERENCES questionnaires (id),
    link_id          bigint NOT NULL REFERENCES links (id),
    submission_id    text NOT NULL UNIQUE,      -- from the rendered form: makes a resubmit idempotent
    receipt          text NOT NULL UNIQUE,
    category         text NOT NULL,
    locale           text NOT NULL CHECK (locale IN ('urban', 'town', 'rural')),
    grade_band       text CHECK (grade_band IN ('1-2', '3-4', '5-6', '7-9')),
    school_id        bigint REFERENCES schools (id) ON DELETE RESTRICT,
    status           text NOT NULL CHECK (status IN ('admitted', 'over_quota', 'invalidated')),
    suggestion       text NOT NULL DEFAULT '',
    ip_hash          bytea NOT NULL,            -- keyed hash, never the address
    ua_family        text NOT NULL,
    fill_ms          integer NOT NULL,          -- from render to submit
    submitted_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX responses_campaign ON responses (campaign_id, status);

-- Answers at option level.
CREATE TABLE answers (
    response_id bigint NOT NULL REFERENCES responses (id) ON DELETE CASCADE,
    item        text NOT NULL,
    option      text NOT NULL,
    PRIMARY KEY (response_id, item)
);

CREATE TABLE staff (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      text NOT NULL UNIQUE CHECK (username ~ '^[A-Za-z0-9_.@-]{3,64}$'),
    password_hash text NOT NULL,
    role          text NOT NULL DEFAULT 'admin' CHECK (role IN ('admin', 'staff', 'reviewer')),
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE staff, answers, responses, links, quota_cells, questionnaires, campaigns, schools, units;
DROP FUNCTION questionnaire_frozen;

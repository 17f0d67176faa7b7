-- +goose Up
-- A survey a region runs for its units may be blind (盲评): the assessed
-- unit's staff see its progress and nothing of its answers. Only a
-- region-organised survey can be blind, and the choice is made when the
-- survey is created and never changes (survey.Campaign.BlindTo).
ALTER TABLE campaigns ADD COLUMN blind boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT campaigns_blind_organised CHECK (NOT blind OR organiser <> '');
-- +goose StatementBegin
CREATE FUNCTION campaigns_blind_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.blind IS DISTINCT FROM OLD.blind THEN
        RAISE EXCEPTION 'campaign %: whether it is blind is fixed when it is created', OLD.id USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER campaigns_blind_fixed BEFORE UPDATE OF blind ON campaigns FOR EACH ROW EXECUTE FUNCTION campaigns_blind_fixed();

-- +goose Down
DROP TRIGGER campaigns_blind_fixed ON campaigns;
DROP FUNCTION campaigns_blind_fixed;
ALTER TABLE campaigns DROP COLUMN blind;

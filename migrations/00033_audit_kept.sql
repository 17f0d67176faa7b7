-- +goose Up
-- The audit log is kept (网络安全法 art. 21: at least six months): no
-- entry younger than 180 days can be deleted, and no entry changed but
-- in the two ways the application itself changes one: a login attempt
-- becomes a login (audit.Succeeded), and the id of a deleted account or
-- unit goes (ON DELETE SET NULL).
-- +goose StatementBegin
CREATE FUNCTION audit_log_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.at > now() - interval '180 days' THEN
            RAISE EXCEPTION 'audit entry % is younger than 180 days and is kept', OLD.id USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF NEW.id = OLD.id AND NEW.at = OLD.at AND NEW.client = OLD.client AND NEW.detail = OLD.detail
       AND (NEW.unit_id IS NOT DISTINCT FROM OLD.unit_id OR NEW.unit_id IS NULL)
       AND ((NEW.action = OLD.action AND NEW.status = OLD.status AND NEW.username = OLD.username
             AND (NEW.staff_id IS NOT DISTINCT FROM OLD.staff_id OR NEW.staff_id IS NULL))
            OR (OLD.action = 'login_failed' AND NEW.action = 'login' AND NEW.status = 200)) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit entry % cannot be changed', OLD.id USING ERRCODE = 'integrity_constraint_violation';
END $$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_kept BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_kept();

-- +goose Down
DROP TRIGGER audit_log_kept ON audit_log;
DROP FUNCTION audit_log_kept;

-- +goose Up
-- 三员分立: the security administrator (安全管理员) and the audit
-- administrator (审计管理员) beside the system administrator ('admin').
ALTER TABLE staff DROP CONSTRAINT staff_role_check;
ALTER TABLE staff ADD CONSTRAINT staff_role_check CHECK (role IN ('admin', 'staff', 'head', 'reviewer', 'security', 'auditor'));

-- +goose Down
DELETE FROM staff WHERE role IN ('security', 'auditor');
ALTER TABLE staff DROP CONSTRAINT staff_role_check;
ALTER TABLE staff ADD CONSTRAINT staff_role_check CHECK (role IN ('admin', 'staff', 'head', 'reviewer'));

-- +goose Up
-- A unit whose six-digit code is not on the embedded division list (a
-- county set up after the list's date, say) keeps the reason staff gave.
ALTER TABLE units ADD COLUMN code_reason text NOT NULL DEFAULT '' CHECK (length(code_reason) <= 200);

-- +goose Down
ALTER TABLE units DROP COLUMN code_reason;

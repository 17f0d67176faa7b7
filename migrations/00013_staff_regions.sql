-- +goose Up

-- A reviewer may be granted regions (地区) as well as units: a province or
-- city by the prefix of its GB/T 2260 code (2 or 4 digits). The account
-- then reaches every unit whose code starts with it, units added later
-- included.
CREATE TABLE staff_regions (
    staff_id bigint NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    prefix   text NOT NULL CHECK (prefix ~ '^[0-9]{2}([0-9]{2})?$'),
    PRIMARY KEY (staff_id, prefix)
);

-- +goose Down
DROP TABLE staff_regions;

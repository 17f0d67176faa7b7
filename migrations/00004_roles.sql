-- +goose Up

-- Which units a unit staff or reviewer account may reach. Admins reach
-- every unit and have no rows here.
CREATE TABLE staff_units (
    staff_id bigint NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    unit_id  bigint NOT NULL REFERENCES units (id) ON DELETE CASCADE,
    PRIMARY KEY (staff_id, unit_id)
);
CREATE INDEX staff_units_unit ON staff_units (unit_id);

-- +goose Down
DROP TABLE staff_units;

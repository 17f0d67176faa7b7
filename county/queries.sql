-- name: CreateUnit :one
INSERT INTO units (code, name, kind, population, population_source, population_year, share_urban, share_town, share_rural, code_reason)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
RETURNING *;

-- Units are reached only through a scope: every unit (all_units) or the
-- caller's own (unit_ids).

-- name: GetUnit :one
SELECT * FROM units
WHERE id = @id AND (@all_units::boolean OR id = ANY(@unit_ids::bigint[]));

-- name: ListUnits :many
SELECT * FROM units
WHERE @all_units::boolean OR id = ANY(@unit_ids::bigint[])
ORDER BY id;

-- name: UpdateUnit :one
UPDATE units SET code = $2, name = $3, kind = $4, population = $5, population_source = $6,
    population_year = $7, share_urban = $8, share_town = $9, share_rural = $10, code_reason = $11
WHERE id = $1
RETURNING *;

-- name: CreateSchool :one
INSERT INTO schools (unit_id, name, type, locale, public, enrol_primary, enrol_junior)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING *;

-- name: GetSchool :one
SELECT * FROM schools WHERE unit_id = $1 AND id = $2;

-- name: ListSchools :many
SELECT * FROM schools WHERE unit_id = $1 ORDER BY id;

-- name: UpdateSchool :one
UPDATE schools SET name = $3, type = $4, locale = $5, public = $6, enrol_primary = $7, enrol_junior = $8
WHERE unit_id = $1 AND id = $2
RETURNING *;

-- name: DeleteSchool :execrows
DELETE FROM schools WHERE unit_id = $1 AND id = $2;

-- name: UpsertSchoolByName :one
INSERT INTO schools (unit_id, name, type, locale, public, enrol_primary, enrol_junior)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (unit_id, name) DO UPDATE
SET type = EXCLUDED.type, locale = EXCLUDED.locale, public = EXCLUDED.public,
    enrol_primary = EXCLUDED.enrol_primary, enrol_junior = EXCLUDED.enrol_junior
RETURNING id;

-- name: UpsertUnitByCode :one
INSERT INTO units (code, name, kind, population, population_source, population_year, share_urban, share_town, share_rural, code_reason)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (code) DO UPDATE
SET name = EXCLUDED.name, code_reason = EXCLUDED.code_reason, kind = EXCLUDED.kind, population = EXCLUDED.population,
    population_source = EXCLUDED.population_source, population_year = EXCLUDED.population_year,
    share_urban = EXCLUDED.share_urban, share_town = EXCLUDED.share_town, share_rural = EXCLUDED.share_rural
RETURNING id, (xmax = 0)::boolean AS inserted;

-- name: ListSchoolsOfUnits :many
SELECT * FROM schools WHERE unit_id = ANY(@unit_ids::bigint[]) ORDER BY unit_id, id;

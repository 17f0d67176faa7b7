-- +goose Up

-- The audit log becomes a signed Merkle log, like a campaign's sample log
-- (audit/log.go): every entry, once it is SealAge old, is a leaf in the
-- order it was sealed; each sealing signs a checkpoint that witnesses
-- outside the deployment keep and cosign. Deliberately no foreign key to
-- audit_log: an entry deleted behind the application's back leaves its
-- leaf, and verify-audit names it.
CREATE TABLE audit_leaves (
    idx      bigint PRIMARY KEY CHECK (idx >= 0),
    entry_id bigint NOT NULL UNIQUE,
    at       timestamptz NOT NULL,   -- the entry's time, to tell a kept entry's expiry from a deletion
    hash     bytea NOT NULL          -- RFC 6962 leaf hash of the entry's canonical form
);

-- The interior hashes of the tree, as each sealing completes them, so a
-- proof reads O(log n) hashes, as a sample log's (log_nodes).
CREATE TABLE audit_nodes (
    level smallint NOT NULL CHECK (level >= 1),
    idx   bigint NOT NULL CHECK (idx >= 0),
    hash  bytea NOT NULL,
    PRIMARY KEY (level, idx)
);

-- Every checkpoint the audit log signed, with the right edge of its tree
-- (a compact range over [0, size)) so the next sealing need not read the
-- leaves.
CREATE TABLE audit_checkpoints (
    size      bigint PRIMARY KEY CHECK (size > 0),
    root      bytea NOT NULL,
    frontier  bytea[] NOT NULL,
    note      text NOT NULL,
    signed_at timestamptz NOT NULL DEFAULT now()
);

-- Checkpoints of the audit log that witnesses cosigned and sent back.
CREATE TABLE audit_cosignatures (
    size        bigint NOT NULL,
    witness     text NOT NULL,
    note        text NOT NULL,
    cosigned_at timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (witness, size)
);

-- Leaves, interior hashes and checkpoints are written once.
-- +goose StatementBegin
CREATE FUNCTION audit_log_sealed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% of the signed audit log cannot be changed or deleted', TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
END $$;
-- +goose StatementEnd
CREATE TRIGGER audit_leaves_sealed BEFORE UPDATE OR DELETE ON audit_leaves FOR EACH ROW EXECUTE FUNCTION audit_log_sealed();
CREATE TRIGGER audit_nodes_sealed BEFORE UPDATE OR DELETE ON audit_nodes FOR EACH ROW EXECUTE FUNCTION audit_log_sealed();
CREATE TRIGGER audit_checkpoints_sealed BEFORE UPDATE OR DELETE ON audit_checkpoints FOR EACH ROW EXECUTE FUNCTION audit_log_sealed();

-- +goose Down
DROP TABLE audit_cosignatures, audit_checkpoints, audit_nodes, audit_leaves;
DROP FUNCTION audit_log_sealed;

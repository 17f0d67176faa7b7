-- +goose Up

-- The sample log's interior hashes: every perfect subtree of 2^level
-- leaves (level ≥ 1; the leaves are in log_leaves), written by the
-- statement that appends the leaves. An inclusion or consistency proof then
-- reads O(log n) hashes (golang.org/x/mod/sumdb/tlog's stored hashes)
-- instead of rebuilding the tree from every leaf. They are derived data:
-- a proof made from them is checked against the signed roots, so a wrong
-- hash makes a proof fail, never pass. Logs from before are filled in at
-- the server's start (survey.Store.StoreLogNodes).
CREATE TABLE log_nodes (
    campaign_id bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    level       smallint NOT NULL CHECK (level >= 1),
    idx         bigint NOT NULL CHECK (idx >= 0),
    hash        bytea NOT NULL,
    PRIMARY KEY (campaign_id, level, idx)
);

-- +goose Down
DROP TABLE log_nodes;

-- +goose Up

-- The respondent intake (package intake). A response's client address is
-- kept only as a 22-bit keyed hash of its source (an IPv4 address or an
-- IPv6 /64): each value stands for about 1,024 IPv4 addresses, enough to
-- see concentration, too coarse to name a household even with the key.
-- Hashes stored before are cut down the same way.
UPDATE responses SET ip_hash = set_byte(substring(ip_hash FROM 1 FOR 3), 2, get_byte(ip_hash, 2) & 252)
WHERE length(ip_hash) > 3;

-- How strongly a response's respondent is identified, for the exposure
-- table of the dashboard and the dossier: wechat (a WeChat user, one
-- response each), returning (a device cookie from an earlier visit, come
-- back with the form), new (a device cookie given with the form, come
-- back), none (the form's cookie did not come back); '' before this.
ALTER TABLE responses ADD COLUMN identity text NOT NULL DEFAULT ''
    CHECK (identity IN ('', 'wechat', 'returning', 'new', 'none'));

-- Responses by source, for flagging a concentrated source's earlier ones.
CREATE INDEX responses_source ON responses (campaign_id, ip_hash, submitted_at);

-- +goose Down
DROP INDEX responses_source;
ALTER TABLE responses DROP COLUMN identity;

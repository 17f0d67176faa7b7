-- +goose Up

-- A campaign may require WeChat sign-in (微信静默授权, snsapi_base): then
-- it takes one response per WeChat user. Only a keyed hash of the openid,
-- under the campaign's own key, is kept.
ALTER TABLE campaigns ADD COLUMN wechat_only boolean NOT NULL DEFAULT false;
ALTER TABLE responses ADD COLUMN wechat_hash bytea;
CREATE UNIQUE INDEX responses_wechat ON responses (campaign_id, wechat_hash) WHERE wechat_hash IS NOT NULL;

-- +goose Down
DROP INDEX responses_wechat;
ALTER TABLE responses DROP COLUMN wechat_hash;
ALTER TABLE campaigns DROP COLUMN wechat_only;

package server

import (
	"context"
	"testing"

	"renke/dbtest"
)

// fillSample gives a campaign a realistic sample straight in the
// database: share of every quota cell filled, schools matched by locale,
// answers mostly satisfied with a few weaker items, spread over the last
// 36 hours, plus a few over-quota responses. The quota counters are set
// from the responses, as admission would have left them.
func fillSample(t *testing.T, e *env, campaignID int64, share float64) {
	t.Helper()
	ctx := context.Background()
	_, err := e.pool.Exec(ctx, `
		WITH link AS (SELECT min(id) AS id FROM links WHERE campaign_id = $1),
		want AS (
			SELECT q.category, q.locale, g, fq.id AS form
			FROM quota_cells q
			JOIN questionnaires fq ON fq.campaign_id = q.campaign_id AND fq.kind =
				CASE q.category WHEN 'student' THEN 'student' WHEN 'teacher' THEN 'staff' WHEN 'principal' THEN 'staff' ELSE 'social' END
			CROSS JOIN LATERAL generate_series(1, ceil(q.target * $2::float8)::int) g
			WHERE q.campaign_id = $1)
		INSERT INTO responses (campaign_id, questionnaire_id, link_id, submission_id, receipt, category, locale,
			grade_band, school_id, status, ip_hash, ua_family, fill_ms, submitted_at)
		SELECT $1, w.form, (SELECT id FROM link), md5(random()::text), upper(substr(md5(random()::text), 1, 10)),
			w.category, w.locale,
			CASE WHEN w.category = 'parent' THEN (ARRAY['1-2','3-4','5-6','7-9'])[1 + w.g % 4]
			     WHEN w.category = 'student' THEN (ARRAY['3-4','5-6','7-9'])[1 + w.g % 3] END,
			CASE WHEN w.category IN ('parent', 'student', 'teacher', 'principal') THEN
				(SELECT s.id FROM schools s JOIN campaigns c ON c.unit_id = s.unit_id
				 WHERE c.id = $1 AND s.locale = w.locale ORDER BY s.id OFFSET w.g % greatest(1,
					(SELECT count(*) FROM schools s2 JOIN campaigns c2 ON c2.unit_id = s2.unit_id WHERE c2.id = $1 AND s2.locale = w.locale)) LIMIT 1) END,
			'admitted', '\x00', 'wechat', 60000 + (random() * 240000)::int,
			now() - random() * interval '36 hours'
		FROM want w`, campaignID, share)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.pool.Exec(ctx, `
		UPDATE responses r SET answers = (SELECT array_agg(it.id || '=' ||
			CASE WHEN x < p.a THEN 'A' WHEN x < p.b THEN 'B' WHEN x < p.c THEN 'C' WHEN x < 0.97 THEN 'D' ELSE 'X' END ORDER BY it.id)
		FROM questionnaires q
		CROSS JOIN LATERAL (SELECT e->>'id' AS id FROM jsonb_array_elements(q.definition->'items') e) it
		CROSS JOIN LATERAL (SELECT random() + 0 * length(it.id) AS x) rnd -- per item: it.id makes it correlated
		CROSS JOIN LATERAL (SELECT
			CASE WHEN it.id IN ('S07', 'T09', 'P06') THEN 0.40 WHEN r.locale = 'rural' THEN 0.52 ELSE 0.62 END AS a,
			CASE WHEN it.id IN ('S07', 'T09', 'P06') THEN 0.72 WHEN r.locale = 'rural' THEN 0.84 ELSE 0.90 END AS b,
			0.94 AS c) p
		WHERE q.id = r.questionnaire_id)
		WHERE r.campaign_id = $1 AND r.answers = '{}'`, campaignID)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.pool.Exec(ctx, `
		INSERT INTO responses (campaign_id, questionnaire_id, link_id, submission_id, receipt, category, locale,
			status, ip_hash, ua_family, fill_ms, submitted_at)
		SELECT campaign_id, questionnaire_id, link_id, md5(random()::text), upper(substr(md5(random()::text), 1, 10)),
			category, locale, 'over_quota', ip_hash, ua_family, fill_ms, submitted_at + interval '1 minute'
		FROM responses WHERE campaign_id = $1 AND category = 'npc' LIMIT 12`, campaignID)
	if err != nil {
		t.Fatal(err)
	}
	dbtest.RecountTallies(t, e.pool, campaignID)
	_, err = e.pool.Exec(ctx, `
		UPDATE quota_cells q SET admitted = (SELECT count(*) FROM responses r WHERE r.campaign_id = q.campaign_id
			AND r.category = q.category AND r.locale = q.locale AND r.status = 'admitted')
		WHERE q.campaign_id = $1`, campaignID)
	if err != nil {
		t.Fatal(err)
	}
}

-- Every response of a campaign with its answers, in submission order, for
-- the exports. Read row by row (never collected), so 200,000 responses
-- stream in constant memory.
SELECT r.receipt, r.submitted_at, q.kind, r.category, r.locale,
       coalesce(r.grade_band, ''), coalesce(s.name, ''), r.status, r.fill_ms, r.suggestion,
       coalesce((SELECT array_agg(split_part(p, '=', 1) ORDER BY n) FROM unnest(r.answers) WITH ORDINALITY a (p, n)), '{}'::text[]),
       coalesce((SELECT array_agg(split_part(p, '=', 2) ORDER BY n) FROM unnest(r.answers) WITH ORDINALITY a (p, n)), '{}'::text[]),
       r.flags, coalesce(v.decision, ''), coalesce(v.reason, '')
FROM responses r
LEFT JOIN LATERAL (SELECT decision, reason FROM reviews WHERE response_id = r.id ORDER BY id DESC LIMIT 1) v ON true
JOIN questionnaires q ON q.id = r.questionnaire_id
LEFT JOIN schools s ON s.id = r.school_id
WHERE r.campaign_id = $1
ORDER BY r.id

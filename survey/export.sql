-- Every response of a campaign with its answers, in submission order, for
-- the exports. Read row by row (never collected), so 200,000 responses
-- stream in constant memory.
SELECT r.receipt, r.submitted_at, q.kind, r.category, r.locale,
       coalesce(r.grade_band, ''), coalesce(s.name, ''), r.status, r.fill_ms, r.suggestion,
       coalesce((SELECT array_agg(a.item ORDER BY a.item) FROM answers a WHERE a.response_id = r.id), '{}'::text[]),
       coalesce((SELECT array_agg(a.option ORDER BY a.item) FROM answers a WHERE a.response_id = r.id), '{}'::text[])
FROM responses r
JOIN questionnaires q ON q.id = r.questionnaire_id
LEFT JOIN schools s ON s.id = r.school_id
WHERE r.campaign_id = $1
ORDER BY r.id

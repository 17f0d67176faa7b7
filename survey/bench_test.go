package survey

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"renke/county"
	"renke/dbtest"
	"renke/sampling"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// BenchmarkScore100k scores 100,000 admitted responses (1.2 million
// answers over 300 schools) the way the report does: one aggregate query,
// then the pure scoring.
func BenchmarkScore100k(b *testing.B) {
	ctx := context.Background()
	pool := dbtest.New(b)
	units, store := county.NewStore(pool), NewStore(pool)
	u, err := units.CreateUnit(ctx, county.Unit{Code: "bench", Name: "压测县", Kind: "county", Population: 70_000_000,
		Shares: sampling.Shares{Urban: 5000, Town: 3000, Rural: 2000}})
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 300; i++ {
		if _, err := units.CreateSchool(ctx, county.School{UnitID: u.ID, Name: fmt.Sprintf("学校%03d", i), Type: county.Primary,
			Locale: sampling.Locales[i%3], EnrolPrimary: 500}); err != nil {
			b.Fatal(err)
		}
	}
	c, err := store.CreateCampaign(ctx, u.ID, Titled("bench"))
	if err != nil {
		b.Fatal(err)
	}
	forms, _ := store.Forms(ctx, c.ID)
	dbtest.SocialResponses(b, pool, c.ID, forms[0].ID, 100_000)
	sc := Scoring{Method: TopTwo, Threshold: 0.85}
	for _, f := range forms {
		sc.Questionnaires = append(sc.Questionnaires, f.Questionnaire)
	}
	var counts []Count
	var people []GroupSums
	b.Run("tally+score", func(b *testing.B) {
		for b.Loop() {
			counts, err = store.Tally(ctx, c.ID)
			if err != nil {
				b.Fatal(err)
			}
			if people, err = store.RespondentSums(ctx, c.ID); err != nil {
				b.Fatal(err)
			}
			r := Score(sc, counts, people)
			if r.Answers+r.DontKnow != 1_200_000 {
				b.Fatalf("scored %d answers", r.Answers+r.DontKnow)
			}
		}
	})
	// What the unit dashboard reads, uncached: progress, the report, the
	// schools, the review queue's counts and the hourly arrivals.
	b.Run("dashboard", func(b *testing.B) {
		for b.Loop() {
			p, err := store.Progress(ctx, c)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := store.Recognition(ctx, c, forms, p); err != nil {
				b.Fatal(err)
			}
			if _, err := store.SchoolProgress(ctx, county.Everything, c); err != nil {
				b.Fatal(err)
			}
			if _, err := store.Review(ctx, c.ID); err != nil {
				b.Fatal(err)
			}
			if _, err := store.Hourly(ctx, c.ID); err != nil {
				b.Fatal(err)
			}
		}
	})
	for name, step := range map[string]func() error{
		"progress": func() error { _, err := store.Progress(ctx, c); return err },
		"schools":  func() error { _, err := store.SchoolProgress(ctx, county.Everything, c); return err },
		"review":   func() error { _, err := store.Review(ctx, c.ID); return err },
		"hourly":   func() error { _, err := store.Hourly(ctx, c.ID); return err },
	} {
		b.Run("part-"+name, func(b *testing.B) {
			for b.Loop() {
				if err := step(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("score", func(b *testing.B) {
		b.ReportMetric(float64(len(counts)), "count-rows")
		for b.Loop() {
			Score(sc, counts, people)
		}
	})
}

// BenchmarkVerifyLog is the pure verification of a campaign of 100,000
// responses admitted one group commit each (a checkpoint per response,
// the slowest case): leaves recomputed, tree, every checkpoint's
// signature and root.
func BenchmarkVerifyLog(b *testing.B) {
	k := testKey(b)
	in := LogInput{CampaignID: 1, Origin: k.Origin(1), Verifier: k.Verifier()}
	at := time.Date(2026, 11, 20, 20, 0, 0, 0, time.UTC)
	r := ranges.NewEmptyRange(0)
	for i := range 100_000 {
		resp := StoredResponse{ID: int64(i + 1), Status: Admitted, Chained: Chained{CampaignID: 1, Receipt: fmt.Sprintf("R%09d", i),
			FormID: 1, LinkID: 2, Category: "parent", Locale: "urban", SubmittedAt: at.Add(time.Duration(i) * time.Second),
			Answers: map[string]string{"S01": "A", "S02": "B", "S03": "C", "S04": "A", "S05": "B", "S06": "A"}}}
		h := LeafHash(resp.Canonical())
		in.Responses = append(in.Responses, resp)
		in.Leaves = append(in.Leaves, LeafRow{Index: int64(i), ResponseID: resp.ID, Hash: h})
		_ = r.Append(h, nil)
		root, _ := r.GetRootHash(nil)
		signed, _ := k.Sign(in.Origin, int64(i+1), root)
		in.Checkpoints = append(in.Checkpoints, StoredCheckpoint{Size: int64(i + 1), Root: root, Note: signed})
	}
	in.StoredSize, in.StoredRoot = 100_000, in.Checkpoints[99_999].Root
	b.ResetTimer()
	for b.Loop() {
		if v := Verify(in); !v.OK() {
			b.Fatal(v.Problems[0].Text)
		}
	}
}

// BenchmarkProof100k is a proof's work on a log of 100,000 leaves: the
// tree over them, then an inclusion and a consistency proof.
func BenchmarkProof100k(b *testing.B) {
	leaves := make([][]byte, 100_000)
	for i := range leaves {
		leaves[i] = LeafHash([]byte(fmt.Sprint(i)))
	}
	for b.Loop() {
		t := NewTree(leaves)
		if _, err := t.Inclusion(12345, 100_000); err != nil {
			b.Fatal(err)
		}
		if _, err := t.Consistency(50_000, 100_000); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRegion100 is a province's dashboard: 100 units of one region,
// each with an open campaign of 1,500 responses (150,000 in all), read as
// one row per unit with progress and recognition.
func BenchmarkRegion100(b *testing.B) {
	ctx := context.Background()
	pool := dbtest.New(b)
	units, store := county.NewStore(pool), NewStore(pool)
	for i := range 100 {
		u, err := units.CreateUnit(ctx, county.Unit{Code: fmt.Sprintf("43%04d", i+1), Name: fmt.Sprintf("县%03d", i), Kind: "county",
			Population: 2_000_000, Shares: sampling.Shares{Urban: 5000, Town: 3000, Rural: 2000}, CodeReason: "测试用代码"})
		if err != nil {
			b.Fatal(err)
		}
		for j := range 3 {
			if _, err := units.CreateSchool(ctx, county.School{UnitID: u.ID, Name: fmt.Sprintf("学校%d", j), Type: county.Primary,
				Locale: sampling.Locales[j], EnrolPrimary: 500}); err != nil {
				b.Fatal(err)
			}
		}
		c, err := store.CreateCampaign(ctx, u.ID, Titled("调查"))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := store.CreateLink(ctx, Link{CampaignID: c.ID}); err != nil {
			b.Fatal(err)
		}
		if c, err = store.Open(ctx, c.ID, "测试"); err != nil {
			b.Fatal(err)
		}
		forms, _ := store.Forms(ctx, c.ID)
		dbtest.SocialResponses(b, pool, c.ID, forms[0].ID, 1_500)
	}
	for b.Loop() {
		rows, err := store.Region(ctx, county.Everything, "43")
		if err != nil {
			b.Fatal(err)
		}
		if len(rows) != 100 || rows[0].Answers == 0 {
			b.Fatalf("%d rows", len(rows))
		}
	}
}

// BenchmarkRegionNational is the ministry's roll-up: 2,900 units, each with
// an open campaign, 2.1 million responses in all (724 each), read as one
// row per unit. The first unit is set up through the store; the others are
// copied from it in bulk SQL, with their counts recounted, to keep the set
// up to minutes.
func BenchmarkRegionNational(b *testing.B) {
	ctx := context.Background()
	pool := dbtest.New(b)
	units, store := county.NewStore(pool), NewStore(pool)
	u, err := units.CreateUnit(ctx, county.Unit{Code: "110101", Name: "县0000", Kind: "county", Population: 500_000,
		Shares: sampling.Shares{Urban: 5000, Town: 3000, Rural: 2000}})
	if err != nil {
		b.Fatal(err)
	}
	c, err := store.CreateCampaign(ctx, u.ID, Titled("调查"))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := store.CreateLink(ctx, Link{CampaignID: c.ID}); err != nil {
		b.Fatal(err)
	}
	if c, err = store.Open(ctx, c.ID, "测试"); err != nil {
		b.Fatal(err)
	}
	forms, _ := store.Forms(ctx, c.ID)
	dbtest.SocialResponses(b, pool, c.ID, forms[0].ID, 724)
	for _, sql := range []string{
		// 2,899 more units, campaigns, questionnaires, links and quota cells like the first.
		`INSERT INTO units (code, name, kind, population, population_source, share_urban, share_town, share_rural)
		 SELECT lpad((110101 + g)::text, 6, '0'), '县' || lpad(g::text, 4, '0'), kind, population, population_source, share_urban, share_town, share_rural
		 FROM units, generate_series(1, 2899) g WHERE id = %[1]d`,
		`INSERT INTO campaigns (unit_id, title, status, opens_at, closes_at, rate_ppm, min_sample, quota_policy, scoring_method, threshold,
		     sample_size, opened_at, min_fill_seconds, pow_bits, token_hours, wechat_only)
		 SELECT u.id, c.title, c.status, c.opens_at, c.closes_at, c.rate_ppm, c.min_sample, c.quota_policy, c.scoring_method, c.threshold,
		     c.sample_size, c.opened_at, c.min_fill_seconds, c.pow_bits, c.token_hours, c.wechat_only
		 FROM units u, campaigns c WHERE c.id = %[2]d AND u.id <> %[1]d`,
		`INSERT INTO questionnaires (campaign_id, kind, definition)
		 SELECT c.id, q.kind, q.definition FROM campaigns c, questionnaires q WHERE q.campaign_id = %[2]d AND c.id <> %[2]d`,
		`INSERT INTO links (campaign_id, code) SELECT id, 'n' || id FROM campaigns WHERE id <> %[2]d`,
		`INSERT INTO quota_cells (campaign_id, category, locale, target)
		 SELECT c.id, q.category, q.locale, q.target FROM campaigns c, quota_cells q WHERE q.campaign_id = %[2]d AND c.id <> %[2]d`,
		// Their responses, copied from the first campaign's.
		`INSERT INTO responses (campaign_id, questionnaire_id, link_id, submission_id, receipt, category, locale, grade_band, status,
		     ip_hash, ua_family, fill_ms, suggestion, answers)
		 SELECT c.id, (SELECT id FROM questionnaires q WHERE q.campaign_id = c.id AND q.kind = 'social'), l.id,
		     c.id || '-' || r.submission_id, c.id || '-' || r.receipt, r.category, r.locale, r.grade_band, r.status,
		     r.ip_hash, r.ua_family, r.fill_ms, r.suggestion, r.answers
		 FROM campaigns c JOIN links l ON l.campaign_id = c.id, responses r WHERE r.campaign_id = %[2]d AND c.id <> %[2]d`,
		`INSERT INTO answer_tallies SELECT c.id, t.item, t.option, t.category, t.locale, t.school_id, t.n
		 FROM campaigns c, answer_tallies t WHERE t.campaign_id = %[2]d AND c.id <> %[2]d`,
		`INSERT INTO answer_totals SELECT c.id, t.item, t.option, t.category, t.n
		 FROM campaigns c, answer_totals t WHERE t.campaign_id = %[2]d AND c.id <> %[2]d`,
		`INSERT INTO response_counts SELECT c.id, t.hour, t.status, t.category, t.locale, t.grade_band, t.n
		 FROM campaigns c, response_counts t WHERE t.campaign_id = %[2]d AND c.id <> %[2]d`,
		`INSERT INTO source_counts SELECT c.id, l.id, 0, t.status, t.flagged, t.reviewed, t.n, t.last_at
		 FROM campaigns c JOIN links l ON l.campaign_id = c.id, source_counts t WHERE t.campaign_id = %[2]d AND c.id <> %[2]d`,
		`INSERT INTO respondent_sums SELECT c.id, t.dimension, t.key, t.respondents, t.answers, t.answers_sq, t.top2, t.top2_sq, t.top2_x,
		     t.top3, t.top3_sq, t.top3_x, t.points, t.points_sq, t.points_x
		 FROM campaigns c, respondent_sums t WHERE t.campaign_id = %[2]d AND c.id <> %[2]d`,
	} {
		if _, err := pool.Exec(ctx, fmt.Sprintf(sql, u.ID, c.ID)); err != nil {
			b.Fatalf("%v\n%s", err, sql)
		}
	}
	if _, err := pool.Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM responses`).Scan(&n); err != nil || n != 2900*724 {
		b.Fatalf("%d responses (%v)", n, err)
	}
	b.ResetTimer()
	for b.Loop() {
		rows, err := store.Region(ctx, county.Everything, "")
		if err != nil {
			b.Fatal(err)
		}
		if len(rows) != 2900 || rows[0].Answers == 0 || rows[0].Respondents == 0 || rows[2899].Counted != 724 {
			b.Fatalf("%d rows, first %+v", len(rows), rows[0])
		}
	}
}

// BenchmarkProofs1M: inclusion and consistency proofs on a log of a
// million leaves, read from the stored hashes (log_leaves and log_nodes):
// O(log n) hashes each, however long the log.
func BenchmarkProofs1M(b *testing.B) {
	ctx := context.Background()
	pool := dbtest.New(b)
	units, store := county.NewStore(pool), NewStore(pool)
	u, err := units.CreateUnit(ctx, county.Unit{Code: "110101", Name: "县", Kind: "county", Population: 500_000,
		Shares: sampling.Shares{Urban: 5000, Town: 3000, Rural: 2000}})
	if err != nil {
		b.Fatal(err)
	}
	c, err := store.CreateCampaign(ctx, u.ID, Titled("百万条日志"))
	if err != nil {
		b.Fatal(err)
	}
	const n = 1_000_000
	leaves := make([][]byte, n)
	for i := range leaves {
		leaves[i] = LeafHash([]byte(fmt.Sprintf(`{"leaf":%d}`, i)))
	}
	root, edge, nodes, err := Extend(0, nil, nil, leaves)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"log_leaves"}, []string{"campaign_id", "idx", "response_id", "hash"},
		pgx.CopyFromSlice(n, func(i int) ([]any, error) { return []any{c.ID, int64(i), int64(i + 1), leaves[i]}, nil })); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"log_nodes"}, []string{"campaign_id", "level", "idx", "hash"},
		pgx.CopyFromSlice(len(nodes.Idxs), func(i int) ([]any, error) {
			return []any{c.ID, nodes.Levels[i], nodes.Idxs[i], nodes.Hashes[i]}, nil
		})); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE campaigns SET log_size = $2, log_root = $3, log_frontier = $4 WHERE id = $1`, c.ID, int64(n), root, edge); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	tree := NewTree(leaves) // to check every proof against, outside the timing
	b.ResetTimer()
	b.Run("inclusion", func(b *testing.B) {
		for b.Loop() {
			i := rng.Int64N(n)
			p, err := store.InclusionProof(ctx, c.ID, i, n)
			if err != nil {
				b.Fatal(err)
			}
			if err := VerifyInclusion(i, n, leaves[i], p, root); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("consistency", func(b *testing.B) {
		for b.Loop() {
			from := 1 + rng.Int64N(n-1)
			p, err := store.ConsistencyProof(ctx, c.ID, from, n)
			if err != nil {
				b.Fatal(err)
			}
			old, _ := tree.Root(from)
			if err := VerifyConsistency(from, n, p, old, root); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkStatement100k is a result statement of 100,000 logged
// responses computed from the replayed log: what Close and DeclareResult
// compute, and what verify computes again for each statement.
func BenchmarkStatement100k(b *testing.B) {
	form := Bank()[0]
	forms := map[int64]*Questionnaire{1: &form}
	st := newLogState()
	st.settings = &VerdictSettings{Threshold: 0.85, Method: TopTwo, RatePPM: 1500, SampleSize: 100_000, Population: 66_666_667,
		Shares: sampling.Shares{Urban: 5000, Town: 3000, Rural: 2000}}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 100_000 {
		answers := map[string]string{}
		for _, it := range form.Items {
			answers[it.ID] = []string{"A", "A", "B", "B", "C", "D", "X"}[r.IntN(7)]
		}
		resp := &StoredResponse{ID: int64(i + 1), Status: Admitted, Chained: Chained{Receipt: fmt.Sprintf("R%09d", i), FormID: 1,
			Category: string(sampling.Categories[i%len(sampling.Categories)]), Locale: string(sampling.Locales[i%3]), SchoolID: int64(i % 300),
			Answers: answers}}
		st.admit(resp, int64(i))
	}
	b.ResetTimer()
	for b.Loop() {
		res, err := st.statement(forms, 100_000, false)
		if err != nil || res.Responses.Counted != 100_000 {
			b.Fatal(res.Responses, err)
		}
	}
}

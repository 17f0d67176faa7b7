package survey

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

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
	b.Run("tally+score", func(b *testing.B) {
		for b.Loop() {
			counts, err = store.Tally(ctx, c.ID)
			if err != nil {
				b.Fatal(err)
			}
			r := Score(sc, counts)
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
			if _, err := store.SchoolProgress(ctx, c); err != nil {
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
		"schools":  func() error { _, err := store.SchoolProgress(ctx, c); return err },
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
			Score(sc, counts)
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
			Population: 2_000_000, Shares: sampling.Shares{Urban: 5000, Town: 3000, Rural: 2000}})
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
		if c, err = store.Open(ctx, c.ID); err != nil {
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

package survey

import (
	"context"
	"fmt"
	"os"
	"testing"

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
	b.Run("score", func(b *testing.B) {
		b.ReportMetric(float64(len(counts)), "count-rows")
		for b.Loop() {
			Score(sc, counts)
		}
	})
}

package statistics_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"renke/county"
	"renke/dbtest"
	"renke/demo"
	"renke/evaluation"
	"renke/sampling"
	"renke/statistics"
	"renke/survey"
)

// BenchmarkRegionEvaluation100 is a city's evaluation roll-up at a
// province's scale: 100 units of 60 schools each, every unit evaluated in
// full as its own page does.
func BenchmarkRegionEvaluation100(b *testing.B) {
	ctx := context.Background()
	pool := dbtest.New(b)
	units, st := county.NewStore(pool), statistics.NewStore(pool)
	var list []county.Unit
	for i := range 100 {
		u, err := units.CreateUnit(ctx, county.Unit{Code: fmt.Sprintf("43%04d", i+1), Name: fmt.Sprintf("县%d", i+1), Kind: "county",
			Population: 500_000, Shares: sampling.Shares{Urban: 5000, Town: 3000, Rural: 2000}})
		if err != nil {
			b.Fatal(err)
		}
		if err := st.Import(ctx, u.ID, 2025, demo.County(60, uint64(i+1))); err != nil {
			b.Fatal(err)
		}
		list = append(list, u)
	}
	profiles, err := evaluation.LoadProfiles("")
	if err != nil {
		b.Fatal(err)
	}
	ev := &statistics.Evaluations{Stats: st, Surveys: survey.NewStore(pool), Profiles: profiles}
	b.ResetTimer()
	for b.Loop() {
		rows, err := ev.Region(ctx, list, time.Now())
		if err != nil || len(rows) != 100 || rows[0].Schools != 60 {
			b.Fatalf("%d rows, %v", len(rows), err)
		}
	}
}

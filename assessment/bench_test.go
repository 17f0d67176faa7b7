package assessment_test

import (
	"testing"

	"renke/demo"
)

// BenchmarkFreeze300 freezes a round of a county of 300 schools: load,
// evaluate, store the round and update a problem list of hundreds of
// lines (the issue asks under 1 s).
func BenchmarkFreeze300(b *testing.B) {
	f := newFixture(b)
	f.schools = demo.County(300, 7)
	if err := f.stats.Import(f.ctx, f.unit.ID, 2025, f.schools); err != nil {
		b.Fatal(err)
	}
	if err := f.stats.SaveFindings(f.ctx, f.unit.ID, f.find); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := f.store.Freeze(f.ctx, f.unit, 2025, "bench", "", f.now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompare300 reads two frozen rounds of 300 schools and compares
// them (the issue asks under 200 ms).
func BenchmarkCompare300(b *testing.B) {
	f := newFixture(b)
	f.schools = demo.County(300, 7)
	f.put(b)
	f.freeze(b, "")
	f.schools = demo.County(300, 8)
	f.put(b)
	f.freeze(b, "")
	b.ResetTimer()
	for b.Loop() {
		if _, err := f.store.Compare(f.ctx, f.unit.ID, 1, 2); err != nil {
			b.Fatal(err)
		}
	}
}

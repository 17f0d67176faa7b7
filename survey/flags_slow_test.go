package survey

import (
	"testing"
	"time"
)

// A fill time far outside the campaign's own: 4 × its 99th percentile and
// at least 2 hours, once 100 are known.
func TestSlowAfter(t *testing.T) {
	var f fillTimes
	for i := range FillSample - 1 {
		f.add(time.Duration(60+i) * time.Second)
	}
	if f.slowAfter() != 0 {
		t.Error("a threshold from fewer than FillSample fill times")
	}
	f.add(158 * time.Second) // 100 of 60 s … 158 s: the 99th percentile is 158 s
	if got := f.slowAfter(); got != SlowFloor {
		t.Errorf("4 × 158 s is under the floor: %v, want %v", got, SlowFloor)
	}
	for range fillRing {
		f.add(time.Hour) // a campaign whose parents take an hour
	}
	if got := f.slowAfter(); got != 4*time.Hour {
		t.Errorf("4 × 1 h: %v", got)
	}
	if len(f.ring) != fillRing {
		t.Errorf("the ring holds %d, want at most %d", len(f.ring), fillRing)
	}
}

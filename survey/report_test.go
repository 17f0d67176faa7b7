package survey

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Staff watching one dashboard share one tally. The first to ask starts
// it; when that browser goes away, the others still get the report, and
// the tally runs once.
func TestSharedTallySurvivesTheFirstCallerLeaving(t *testing.T) {
	rc := newReportCache(time.Minute)
	cp := Campaign{ID: 7, Method: TopTwo, Threshold: 0.85}
	p := Progress{Responses: map[ResponseStatus]int64{Admitted: 3}}
	started, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	var tallies atomic.Int32
	compute := func(ctx context.Context) (RecognitionReport, error) {
		tallies.Add(1)
		once.Do(func() { close(started) })
		select {
		case <-release:
		case <-ctx.Done():
			return RecognitionReport{}, ctx.Err()
		}
		return RecognitionReport{Report: Report{Method: TopTwo, Threshold: 0.85, Answers: 42}, Responses: p.Responses, At: time.Now()}, nil
	}

	ctx1, leave := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() { _, err := rc.get(ctx1, cp, p, compute); first <- err }()
	<-started

	type result struct {
		r   RecognitionReport
		err error
	}
	others := make(chan result, 3)
	for range 3 {
		go func() { r, err := rc.get(context.Background(), cp, p, compute); others <- result{r, err} }()
	}
	leave() // the first browser goes away while the tally runs
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Errorf("the caller that left got %v, want context.Canceled", err)
	}
	close(release)
	for range 3 {
		res := <-others
		if res.err != nil || res.r.Answers != 42 {
			t.Errorf("a waiting caller got %+v, %v", res.r.Report, res.err)
		}
	}
	if n := tallies.Load(); n != 1 {
		t.Errorf("tallied %d times, want once", n)
	}
	// Cached now: exact while the counts are unchanged.
	if r, err := rc.get(context.Background(), cp, p, compute); err != nil || r.Answers != 42 || tallies.Load() != 1 {
		t.Errorf("from the cache: %+v %v, %d tallies", r.Report, err, tallies.Load())
	}
	// A staff action that changes the campaign drops it.
	rc.forget(cp.ID)
	if _, err := rc.get(context.Background(), cp, p, compute); err != nil || tallies.Load() != 2 {
		t.Errorf("after forget: %v, %d tallies, want 2", err, tallies.Load())
	}
}

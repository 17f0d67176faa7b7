package survey

import (
	"context"
	"maps"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// RecognitionReport is a campaign's recognition result with its responses
// by status beside it.
type RecognitionReport struct {
	Report
	Responses map[ResponseStatus]int64 `json:"responses"`
	// At is when the tally behind the report was read.
	At time.Time `json:"computed_at"`
	// Verified is when the kept figures behind it were last recounted
	// against the sample log, and what that found; nil: never.
	Verified *Verified `json:"last_verified"`
}

// Recognition scores a campaign's admitted answers afresh, from its forms
// and its progress (which gives the quota shares and the status counts).
func (s *Store) Recognition(ctx context.Context, cp Campaign, forms []Form, p Progress) (RecognitionReport, error) {
	at := time.Now()
	counts, err := s.Tally(ctx, cp.ID)
	if err != nil {
		return RecognitionReport{}, err
	}
	people, err := s.RespondentSums(ctx, cp.ID)
	if err != nil {
		return RecognitionReport{}, err
	}
	verified, err := s.LastVerified(ctx, cp.ID)
	if err != nil {
		return RecognitionReport{}, err
	}
	sc := Scoring{Method: cp.Method, Threshold: cp.Threshold, QuotaShares: p.quotaShares, Sample: p.State()}
	for _, f := range forms {
		sc.Questionnaires = append(sc.Questionnaires, f.Questionnaire)
	}
	return RecognitionReport{Report: Score(sc, counts, people), Responses: p.Responses, At: at, Verified: verified}, nil
}

// ReportMaxAge is how long a cached report may be reused after the
// campaign's counts changed.
const ReportMaxAge = 15 * time.Second

// CachedRecognition is Recognition for the pages viewed often (the
// self-refreshing dashboard, the evaluation): the tally reads every
// answer. A cached report is exact while the campaign's counts by status
// are unchanged, and is reused for at most ReportMaxAge after they
// change, so a busy evening costs one tally per campaign per ReportMaxAge
// however many staff watch. A staff action that changes the campaign
// (settings, a review decision) drops it at once in this process.
//
// Callers asking together share one tally. It runs to the end even when
// the caller that started it goes away; each caller stops waiting when its
// own context ends.
func (s *Store) CachedRecognition(ctx context.Context, cp Campaign, forms []Form, p Progress) (RecognitionReport, error) {
	return s.reports.get(ctx, cp, p, func(ctx context.Context) (RecognitionReport, error) {
		return s.Recognition(ctx, cp, forms, p)
	})
}

type reportCache struct {
	maxAge  time.Duration
	mu      sync.Mutex
	entries map[int64]RecognitionReport
	flight  singleflight.Group
}

func newReportCache(maxAge time.Duration) *reportCache {
	return &reportCache{maxAge: maxAge, entries: map[int64]RecognitionReport{}}
}

// tallyTimeout bounds a shared tally that no caller waits for any more.
const tallyTimeout = 2 * time.Minute

func (rc *reportCache) get(ctx context.Context, cp Campaign, p Progress, compute func(context.Context) (RecognitionReport, error)) (RecognitionReport, error) {
	rc.mu.Lock()
	e, ok := rc.entries[cp.ID]
	rc.mu.Unlock()
	same := ok && maps.Equal(e.Responses, p.Responses) && e.Method == cp.Method && e.Threshold == cp.Threshold
	if ok && (same || time.Since(e.At) < rc.maxAge) {
		return e, nil
	}
	ch := rc.flight.DoChan(strconv.FormatInt(cp.ID, 10), func() (any, error) {
		// Not the caller's context: others may be waiting on this tally.
		tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), tallyTimeout)
		defer cancel()
		r, err := compute(tctx)
		if err != nil {
			return nil, err
		}
		rc.mu.Lock()
		rc.entries[cp.ID] = r
		rc.mu.Unlock()
		return r, nil
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return RecognitionReport{}, res.Err
		}
		return res.Val.(RecognitionReport), nil
	case <-ctx.Done():
		return RecognitionReport{}, ctx.Err()
	}
}

// forget drops a campaign's report, so the next view scores it afresh.
func (rc *reportCache) forget(campaignID int64) {
	rc.mu.Lock()
	delete(rc.entries, campaignID)
	rc.mu.Unlock()
	rc.flight.Forget(strconv.FormatInt(campaignID, 10))
}

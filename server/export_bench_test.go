package server

import (
	"context"
	"io"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"renke/county"
	"renke/dbtest"
	"renke/sampling"
	"renke/survey"
	"renke/workbook"
)

// BenchmarkExportResponses200k exports 200,000 responses (2.4 million
// answers) to XLSX and to CSV the way the console does, streaming from
// PostgreSQL to the writer, and reports the peak Go heap while it runs
// and the process's peak resident memory, under the server's soft memory
// limit. The target is under 200 MB.
//
//	go test ./server -run '^$' -bench ExportResponses200k -benchtime 1x
func BenchmarkExportResponses200k(b *testing.B) {
	ctx := context.Background()
	pool := dbtest.New(b)
	units, store := county.NewStore(pool), survey.NewStore(pool)
	u, err := units.CreateUnit(ctx, county.Unit{Code: "bench", Name: "压测县", Kind: "county", Population: 140_000_000,
		Shares: sampling.Shares{Urban: 5000, Town: 3000, Rural: 2000}})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO schools (unit_id, name, type, locale, enrol_primary)
		SELECT $1, '学校' || g, 'primary', (ARRAY['urban','town','rural'])[1 + g % 3], 500 FROM generate_series(1, 300) g`, u.ID); err != nil {
		b.Fatal(err)
	}
	c, err := store.CreateCampaign(ctx, u.ID, survey.Titled("bench"))
	if err != nil {
		b.Fatal(err)
	}
	forms, _ := store.Forms(ctx, c.ID)
	dbtest.SocialResponses(b, pool, c.ID, forms[0].ID, 200_000)
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(MemoryLimit)) // as main sets it
	t := survey.NewResponseTable(forms)
	each := func(fn func(*survey.Row) error) error { return store.EachResponse(ctx, c.ID, fn) }

	for _, format := range []struct {
		name  string
		write func(io.Writer, *survey.ResponseTable, workbook.EachResponse) error
	}{{"xlsx", workbook.Responses}, {"csv", workbook.ResponsesCSV}} {
		b.Run(format.name, func(b *testing.B) {
			var peak atomic.Uint64
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(1)
			go func() { // sample the heap while the export runs
				defer wg.Done()
				var m runtime.MemStats
				for {
					runtime.ReadMemStats(&m)
					if h := m.HeapInuse + m.StackInuse; h > peak.Load() {
						peak.Store(h)
					}
					select {
					case <-stop:
						return
					case <-time.After(20 * time.Millisecond):
					}
				}
			}()
			var written int64
			for b.Loop() {
				cw := &countingWriter{}
				if err := format.write(cw, t, each); err != nil {
					b.Fatal(err)
				}
				written = cw.n
			}
			close(stop)
			wg.Wait()
			var ru syscall.Rusage
			_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
			b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MB")
			b.ReportMetric(float64(ru.Maxrss)/1024, "max-RSS-MB")
			b.ReportMetric(float64(written)/(1<<20), "file-MB")
		})
	}
}

type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

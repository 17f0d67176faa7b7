package witness

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"renke/survey"
)

// fakeLog serves a sample log as renke does (checkpoint, consistency
// proofs, leaf hashes), signed with a key it can be told to swap, under an
// origin it can be told to change, or answering 503.
type fakeLog struct {
	mu     sync.Mutex
	key    *survey.LogKey
	origin string
	leaves [][]byte
	down   bool
	status string // what /status says: open unless told otherwise
}

func newFakeLog(t *testing.T, n int) (*fakeLog, *httptest.Server) {
	skey, _ := survey.GenerateLogKey("county.example")
	k, _ := survey.ParseLogKey(skey)
	l := &fakeLog{key: k, origin: k.Origin(7), status: "open"}
	l.grow(n)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /log/campaigns/7/checkpoint", func(rw http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.down {
			http.Error(rw, "数据库不可用", http.StatusServiceUnavailable)
			return
		}
		tree := survey.NewTree(l.leaves)
		root, _ := tree.Root(tree.Size())
		text, err := l.key.Sign(l.origin, tree.Size(), root)
		if err != nil {
			t.Error(err)
		}
		_, _ = rw.Write([]byte(text))
	})
	mux.HandleFunc("GET /log/campaigns/7/proof/consistency", func(rw http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		defer l.mu.Unlock()
		from, _ := strconv.ParseInt(r.URL.Query().Get("from"), 10, 64)
		to, _ := strconv.ParseInt(r.URL.Query().Get("to"), 10, 64)
		hashes, err := survey.NewTree(l.leaves).Consistency(from, to)
		if err != nil {
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		_ = json.NewEncoder(rw).Encode(map[string]any{"hashes": hashes})
	})
	mux.HandleFunc("GET /log/campaigns/7/leaves", func(rw http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		defer l.mu.Unlock()
		start, _ := strconv.Atoi(r.URL.Query().Get("start"))
		end, _ := strconv.Atoi(r.URL.Query().Get("end"))
		_ = json.NewEncoder(rw).Encode(map[string]any{"hashes": l.leaves[start:min(end, len(l.leaves))]})
	})
	mux.HandleFunc("GET /log/campaigns/7/status", func(rw http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		defer l.mu.Unlock()
		_ = json.NewEncoder(rw).Encode(map[string]any{"status": l.status, "size": len(l.leaves)})
	})
	mux.HandleFunc("POST /log/campaigns/7/cosignatures", func(rw http.ResponseWriter, r *http.Request) { rw.WriteHeader(http.StatusCreated) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return l, srv
}

func (l *fakeLog) grow(n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for range n {
		h := sha256.Sum256([]byte(fmt.Sprint("response ", len(l.leaves))))
		l.leaves = append(l.leaves, survey.LeafHash(h[:]))
	}
}

// A witness cannot be silenced: a checkpoint under a new key, one under a
// new origin, and a log that answers 503 for longer than the allowed
// silence are each an alarm (the -once exit status, /healthz 503, the
// page), and nothing of them is cosigned.
func TestWitnessCannotBeSilenced(t *testing.T) {
	for _, tc := range []struct {
		name   string
		breaks func(l *fakeLog)
		want   string
	}{
		{"new key", func(l *fakeLog) {
			skey, _ := survey.GenerateLogKey("county.example") // same name, another key
			l.key, _ = survey.ParseLogKey(skey)
		}, "not signed by its pinned key"},
		{"new origin", func(l *fakeLog) { l.origin = l.key.Origin(8) }, "under origin"},
		{"silent", func(l *fakeLog) { l.down = true }, "has not answered for"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, srv := newFakeLog(t, 5)
			cfg, err := ParseConfig(strings.NewReader(fmt.Sprintf("log 示范县 %s/log/campaigns/7 %s\nsilence 2h\n", srv.URL, l.key.VerifierKey())))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Logs[0].Origin != l.origin {
				t.Fatalf("pinned origin %q, the log's %q", cfg.Logs[0].Origin, l.origin)
			}
			w, err := Open(t.TempDir(), "city.example", cfg)
			if err != nil {
				t.Fatal(err)
			}
			now := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
			w.Clock = func() time.Time { return now }
			ctx := context.Background()
			if alarms, errs := w.Poll(ctx); len(alarms) != 0 || len(errs) != 0 {
				t.Fatalf("healthy log: %v %v", alarms, errs)
			}
			pinned := l.origin
			held, _, _, _ := Load(w.Dir, pinned)
			tc.breaks(l)
			l.grow(3) // the rewritten log moves on

			alarms, _ := w.Poll(ctx)
			if tc.name == "silent" {
				// An outage is an error, not yet an alarm; past the limit it is.
				if len(alarms) != 0 {
					t.Fatalf("a log down for a moment: %v", alarms)
				}
				now = now.Add(2*time.Hour + time.Minute)
				alarms, _ = w.Poll(ctx)
			}
			if len(alarms) != 1 || !strings.Contains(alarms[0].Text, tc.want) {
				t.Fatalf("alarms %+v, want one saying %q", alarms, tc.want)
			}
			after, _, _, _ := Load(w.Dir, pinned)
			if after.Size != held.Size || after.Checkpoint != held.Checkpoint {
				t.Errorf("cosigned %d leaves after the alarm (held %d)", after.Size, held.Size)
			}
			if all, _ := w.HeldAll(); len(all) != 1 {
				t.Errorf("the witness holds %d logs: it took up another origin", len(all))
			}
			h := httptest.NewServer(w.Handler())
			defer h.Close()
			for _, path := range []string{"/healthz", "/"} {
				resp, err := http.Get(h.URL + path)
				if err != nil || resp.StatusCode != http.StatusServiceUnavailable {
					t.Errorf("GET %s: %v %v, want 503", path, resp, err)
				}
			}
			// The alarm stands: a later poll does not repeat it (one per
			// outage) but the store keeps it, which is what -once exits 1 on.
			if stored, _ := w.Alarms(); len(stored) != 1 {
				t.Errorf("%d alarms stored", len(stored))
			}
			if tc.name == "silent" {
				now = now.Add(time.Hour)
				if again, _ := w.Poll(ctx); len(again) != 0 {
					t.Errorf("the same outage alarmed twice: %v", again)
				}
			}
		})
	}
}

// A log back within the silence allowed raises nothing, and its outage
// clock starts again.
func TestBriefOutageIsNoAlarm(t *testing.T) {
	l, srv := newFakeLog(t, 3)
	cfg, _ := ParseConfig(strings.NewReader(fmt.Sprintf("log a %s/log/campaigns/7 %s\nsilence 30m\n", srv.URL, l.key.VerifierKey())))
	w, _ := Open(t.TempDir(), "city.example", cfg)
	now := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	w.Clock = func() time.Time { return now }
	ctx := context.Background()
	for _, step := range []struct {
		down bool
		at   time.Duration
	}{{false, 0}, {true, 10 * time.Minute}, {true, 29 * time.Minute}, {false, 35 * time.Minute}, {true, 50 * time.Minute}, {true, 60 * time.Minute}} {
		l.mu.Lock()
		l.down = step.down
		l.mu.Unlock()
		now = time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC).Add(step.at)
		if alarms, _ := w.Poll(ctx); len(alarms) != 0 {
			t.Fatalf("at +%s: %v", step.at, alarms)
		}
	}
}

// An open log that stands still for longer than the stall allowed is an
// alarm, once; one that ticks every hour through a quiet night, or one
// that is closed, is none.
func TestOpenLogThatStandsStillIsAnAlarm(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status string
		ticks  bool
		alarm  bool
	}{
		{"open and frozen", "open", false, true},
		{"open, ticking through the night", "open", true, false},
		{"closed", "closed", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, srv := newFakeLog(t, 4)
			l.status = tc.status
			cfg, err := ParseConfig(strings.NewReader(fmt.Sprintf("log a %s/log/campaigns/7 %s\n", srv.URL, l.key.VerifierKey())))
			if err != nil || cfg.Stall != DefaultStall {
				t.Fatalf("config: %+v %v", cfg, err)
			}
			w, _ := Open(t.TempDir(), "city.example", cfg)
			start := time.Date(2026, 12, 5, 22, 0, 0, 0, time.UTC)
			now := start
			w.Clock = func() time.Time { return now }
			var alarms []Alarm
			for step := range 7 { // every 30 minutes for three hours
				now = start.Add(time.Duration(step) * 30 * time.Minute)
				if tc.ticks && step%2 == 1 {
					l.grow(1)
				}
				got, errs := w.Poll(context.Background())
				if len(errs) != 0 {
					t.Fatal(errs)
				}
				alarms = append(alarms, got...)
			}
			if tc.alarm != (len(alarms) == 1) || len(alarms) > 1 {
				t.Fatalf("alarms %+v, want one: %v", alarms, tc.alarm)
			}
			if tc.alarm && !strings.Contains(alarms[0].Text, "stood at 4 leaves for 2h30m0s") {
				t.Errorf("alarm: %s", alarms[0].Text)
			}
		})
	}
}

// A log that signs its checkpoints with SM2 beside Ed25519 is witnessed as
// before: the witness checks the Ed25519 line it pinned, passes over the
// SM2 one, and cosigns.
func TestWitnessCosignsBesideSM2(t *testing.T) {
	l, srv := newFakeLog(t, 5)
	sm2key, err := survey.GenerateSM2Key("county.example")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.key.WithSM2(sm2key); err != nil {
		t.Fatal(err)
	}
	cfg, err := ParseConfig(strings.NewReader(fmt.Sprintf("log 示范县 %s/log/campaigns/7 %s\n", srv.URL, l.key.VerifierKey())))
	if err != nil {
		t.Fatal(err)
	}
	w, err := Open(t.TempDir(), "city.example", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if alarms, errs := w.Poll(context.Background()); len(alarms) != 0 || len(errs) != 0 {
		t.Fatalf("a log with SM2 lines: %v %v", alarms, errs)
	}
	held, _, ok, err := Load(w.Dir, l.origin)
	if err != nil || !ok || held.Size != 5 || !strings.Contains(held.Checkpoint, "— city.example ") {
		t.Fatalf("held %+v %v %v", held, ok, err)
	}
}

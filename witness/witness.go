// Package witness keeps watch over renke's sample logs from outside the
// bureau that runs them: it polls each log's signed checkpoint, accepts a
// newer one only with a consistency proof that it extends the one it
// holds (and the leaf hashes in between, which it keeps), cosigns what it
// accepts (C2SP tlog-cosignature, cosignature/v1) and sends the cosignature
// back, serves what it holds, compares notes with other witnesses, and
// raises an alarm (log line, exit status, page, a file of evidence) when a
// log contradicts itself: a rollback, a second root for a size it already
// signed, a tree that does not extend the last one, or leaf hashes that do
// not add up to the checkpoint.
package witness

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"renke/audit"
	"renke/survey"
)

// Log is a log the witness watches. Its origin and key are pinned: a
// checkpoint under another origin, or signed by another key, is an alarm
// and is never cosigned.
type Log struct {
	Name     string // what the witness calls it: a county, a campaign
	URL      string // the log's base, e.g. https://survey.example.gov.cn/log/campaigns/12
	VKey     string // the log's verifier key (GET /log/key)
	Origin   string // the origin its checkpoints carry, e.g. survey.example.gov.cn/campaigns/12
	verifier note.Verifier
}

// DefaultSilence is how long a log may go unanswered before the witness
// raises an alarm: a bureau that takes its log offline while it rewrites
// the database must not pass unnoticed.
const DefaultSilence = 2 * time.Hour

// DefaultStall is how long a log that says it is open may go without
// advancing: renke appends a tick every survey.TickEvery (an hour) while
// a campaign is open, so an open log that stands still for longer is
// being shown frozen to this witness while it may grow elsewhere.
const DefaultStall = 2 * time.Hour

// Config is a witness's configuration file: one line per log or peer.
//
//	# comments and blank lines are ignored
//	log  <name> <log URL> <log verifier key> [<origin>]
//	peer <URL of another witness>
//	silence <duration>   # default 2h: a log unreachable for longer is an alarm
//	stall <duration>     # default 2h: an open log not advancing for longer is an alarm
//
// A log's origin defaults to the one renke gives a campaign's log,
// "<key name>/campaigns/<id>", for a URL ending in /campaigns/<id>, and to
// the audit log's, "<key name>/audit", for a URL ending in /log/audit.
type Config struct {
	Logs    []Log
	Peers   []string
	Silence time.Duration
	Stall   time.Duration
}

var campaignURL = regexp.MustCompile(`/campaigns/([0-9]+)$`)

// ParseConfig reads a configuration file; an error names the line.
func ParseConfig(r io.Reader) (Config, error) {
	var c Config
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if i := strings.Index(line, "#"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		f := strings.Fields(line)
		switch {
		case len(f) == 0:
		case f[0] == "log" && (len(f) == 4 || len(f) == 5):
			v, err := note.NewVerifier(f[3])
			if err != nil {
				return c, fmt.Errorf("line %d: log %s: %q is not a verifier key: %v", n, f[1], f[3], err)
			}
			if !strings.HasPrefix(f[2], "http://") && !strings.HasPrefix(f[2], "https://") {
				return c, fmt.Errorf("line %d: log %s: %q is not an http(s) URL", n, f[1], f[2])
			}
			l := Log{Name: f[1], URL: strings.TrimRight(f[2], "/"), VKey: f[3], verifier: v}
			if len(f) == 5 {
				l.Origin = f[4]
			} else if m := campaignURL.FindStringSubmatch(l.URL); m != nil {
				id, _ := strconv.ParseInt(m[1], 10, 64)
				l.Origin = survey.LogOrigin(v.Name(), id)
			} else if strings.HasSuffix(l.URL, "/log/audit") {
				l.Origin = audit.LogOrigin(v.Name())
			} else {
				return c, fmt.Errorf("line %d: log %s: give the log's origin as a fifth field (its URL ends neither in /campaigns/ID nor in /log/audit)", n, f[1])
			}
			c.Logs = append(c.Logs, l)
		case f[0] == "peer" && len(f) == 2:
			c.Peers = append(c.Peers, strings.TrimRight(f[1], "/"))
		case f[0] == "silence" && len(f) == 2:
			d, err := time.ParseDuration(f[1])
			if err != nil || d <= 0 {
				return c, fmt.Errorf("line %d: silence %q is not a positive duration such as 2h or 30m", n, f[1])
			}
			c.Silence = d
		case f[0] == "stall" && len(f) == 2:
			d, err := time.ParseDuration(f[1])
			if err != nil || d <= 0 {
				return c, fmt.Errorf("line %d: stall %q is not a positive duration such as 2h or 3h", n, f[1])
			}
			c.Stall = d
		default:
			return c, fmt.Errorf("line %d: want \"log NAME URL KEY [ORIGIN]\", \"peer URL\", \"silence DURATION\" or \"stall DURATION\", got %q", n, line)
		}
	}
	if c.Silence == 0 {
		c.Silence = DefaultSilence
	}
	if c.Stall == 0 {
		c.Stall = DefaultStall
	}
	return c, sc.Err()
}

// Witness watches logs. Its store is a directory: the witness's key, and
// per log (by origin) the latest checkpoint it cosigned, every leaf hash it
// has checked, its history, and alarms with their evidence.
type Witness struct {
	Dir    string
	Config Config
	Client *http.Client
	// Clock is the time now (time.Now): when a log was last heard from.
	Clock func() time.Time

	signer *fnote.Signer
	vkey   string
	mu     sync.Mutex
}

// Open opens (or creates) a witness store in dir. A new store gets a new
// cosigning key named name.
func Open(dir, name string, cfg Config) (*Witness, error) {
	if err := os.MkdirAll(filepath.Join(dir, "logs"), 0o700); err != nil {
		return nil, err
	}
	keyFile := filepath.Join(dir, "witness.key")
	skey, err := os.ReadFile(keyFile)
	if errors.Is(err, os.ErrNotExist) {
		s, _, err := note.GenerateKey(rand.Reader, name)
		if err != nil {
			return nil, fmt.Errorf("witness name %q: %v", name, err)
		}
		if err := os.WriteFile(keyFile, []byte(s+"\n"), 0o600); err != nil {
			return nil, err
		}
		skey = []byte(s)
	} else if err != nil {
		return nil, err
	}
	signer, err := fnote.NewSignerForCosignatureV1(strings.TrimSpace(string(skey)))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", keyFile, err)
	}
	w := &Witness{Dir: dir, Config: cfg, Client: &http.Client{Timeout: 30 * time.Second}, Clock: time.Now, signer: signer}
	// The verifier key in the cosignature/v1 form that logs configure.
	_, std, _ := strings.Cut(strings.TrimSpace(string(skey)), "PRIVATE+KEY+")
	name, rest, _ := strings.Cut(std, "+")
	_, key, _ := strings.Cut(rest, "+")
	if w.vkey, err = publicKey(name, key); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *Witness) now() time.Time {
	if w.Clock != nil {
		return w.Clock()
	}
	return time.Now()
}

// Name is the witness's name, as its cosignatures carry it.
func (w *Witness) Name() string { return w.signer.Name() }

// VerifierKey is the witness's public key (cosignature/v1), for a log's
// WITNESS_KEYS and for anyone checking its cosignatures.
func (w *Witness) VerifierKey() string { return w.vkey }

// Held is what the witness holds of one log.
type Held struct {
	Log        string    `json:"log"`
	Origin     string    `json:"origin"`
	Size       int64     `json:"size"`
	Root       []byte    `json:"root"`
	Checkpoint string    `json:"checkpoint"` // the log's note with the witness's cosignature
	At         time.Time `json:"at"`
}

func (w *Witness) logDir(origin string) string {
	sum := sha256.Sum256([]byte(origin))
	return filepath.Join(w.Dir, "logs", hex.EncodeToString(sum[:12]))
}

// Load reads what a witness store holds of the log origin: its cosigned
// checkpoint and the leaf hashes it checked. ok is false when it holds
// nothing of that log.
func Load(dir, origin string) (held Held, leaves [][]byte, ok bool, err error) {
	w := &Witness{Dir: dir}
	return w.load(origin)
}

func (w *Witness) load(origin string) (Held, [][]byte, bool, error) {
	d := w.logDir(origin)
	b, err := os.ReadFile(filepath.Join(d, "held.json"))
	if errors.Is(err, os.ErrNotExist) {
		return Held{}, nil, false, nil
	} else if err != nil {
		return Held{}, nil, false, err
	}
	var h Held
	if err := json.Unmarshal(b, &h); err != nil {
		return Held{}, nil, false, fmt.Errorf("%s: %v", d, err)
	}
	raw, err := os.ReadFile(filepath.Join(d, "leaves"))
	if err != nil {
		return Held{}, nil, false, err
	}
	if int64(len(raw)) < 32*h.Size {
		return Held{}, nil, false, fmt.Errorf("%s: %d leaf hashes kept for a checkpoint of %d", d, len(raw)/32, h.Size)
	}
	leaves := make([][]byte, h.Size)
	for i := range leaves {
		leaves[i] = raw[32*i : 32*i+32]
	}
	return h, leaves, true, nil
}

// HeldAll is every log the witness holds a checkpoint of.
func (w *Witness) HeldAll() ([]Held, error) {
	dirs, err := os.ReadDir(filepath.Join(w.Dir, "logs"))
	if err != nil {
		return nil, err
	}
	var out []Held
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(w.Dir, "logs", d.Name(), "held.json"))
		if err != nil {
			continue
		}
		var h Held
		if json.Unmarshal(b, &h) == nil {
			out = append(out, h)
		}
	}
	return out, nil
}

// save keeps a newly accepted checkpoint and the leaves it adds; the leaf
// file is written before the checkpoint that vouches for it, so a crash
// in between leaves the old checkpoint with spare leaves, never the reverse.
func (w *Witness) save(h Held, leaves [][]byte, from int64) error {
	d := w.logDir(h.Origin)
	if err := os.MkdirAll(d, 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(d, "leaves"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	for _, l := range leaves[from:] {
		buf.Write(l)
	}
	if _, err := f.WriteAt(buf.Bytes(), 32*from); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	f.Close()
	b, _ := json.MarshalIndent(h, "", "  ")
	tmp := filepath.Join(d, "held.json.tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(d, "held.json")); err != nil {
		return err
	}
	hist, err := os.OpenFile(filepath.Join(d, "history"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer hist.Close()
	_, err = fmt.Fprintf(hist, "%s %d %s\n", h.At.UTC().Format(time.RFC3339), h.Size, hex.EncodeToString(h.Root))
	return err
}

// Alarm is a log caught contradicting itself, changing the origin or key
// it is pinned to, or silent for longer than allowed, with the evidence.
type Alarm struct {
	Log      string    `json:"log"`
	Origin   string    `json:"origin"`
	At       time.Time `json:"at"`
	Text     string    `json:"text"`
	Evidence []string  `json:"evidence"` // signed notes that contradict each other, and what else shows it
}

func (a Alarm) Error() string { return fmt.Sprintf("log %s (%s): %s", a.Log, a.Origin, a.Text) }

// raise records an alarm: a log line, a file of evidence, the page.
func (w *Witness) raise(a Alarm) error {
	a.At = w.now()
	slog.Error("WITNESS ALARM: a sample log contradicts what this witness holds, or cannot be watched", "log", a.Log, "origin", a.Origin, "problem", a.Text)
	b, _ := json.MarshalIndent(a, "", "  ")
	f, err := os.OpenFile(filepath.Join(w.Dir, "alarms.jsonl"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err == nil {
		var line bytes.Buffer
		_ = json.Compact(&line, b)
		line.WriteByte('\n')
		_, err = f.Write(line.Bytes())
		f.Close()
	}
	if err != nil {
		return err
	}
	return a
}

// Alarms is every alarm raised so far, oldest first.
func (w *Witness) Alarms() ([]Alarm, error) {
	b, err := os.ReadFile(filepath.Join(w.Dir, "alarms.jsonl"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var out []Alarm
	for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var a Alarm
		if json.Unmarshal(line, &a) == nil {
			out = append(out, a)
		}
	}
	return out, nil
}

func (w *Witness) get(ctx context.Context, url string, into any) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := w.Client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %s", url, resp.Status, bytes.TrimSpace(body[:min(len(body), 200)]))
	}
	if into != nil {
		return body, json.Unmarshal(body, into)
	}
	return body, nil
}

// Poll checks every log once. It returns the alarms raised and the logs
// that could not be reached: an error, until a log has not answered for
// longer than the configured silence, which is an alarm.
func (w *Witness) Poll(ctx context.Context) (alarms []Alarm, unreachable []error) {
	seen := w.loadSeen()
	for _, l := range w.Config.Logs {
		size, err := w.pollLog(ctx, l)
		var a Alarm
		switch {
		case errors.As(err, &a):
			alarms = append(alarms, a)
		case err != nil:
			slog.Warn("log not checked", "log", l.Name, "error", err)
			unreachable = append(unreachable, fmt.Errorf("log %s: %w", l.Name, err))
			if a, ok := w.silent(seen, l, err); ok {
				alarms = append(alarms, a)
			}
		default:
			h := seen[l.Origin]
			h.OK, h.Failing, h.Alarmed = w.now(), time.Time{}, false
			if h.Advanced.IsZero() || size != h.Size {
				h.Size, h.Advanced, h.Stalled = size, w.now(), false
			}
			if a, ok := w.stalled(ctx, l, &h); ok {
				alarms = append(alarms, a)
			}
			seen[l.Origin] = h
		}
	}
	w.saveSeen(seen)
	as, errs := w.Compare(ctx)
	return append(alarms, as...), append(unreachable, errs...)
}

// Compare checks what each peer witness holds against what this one
// holds (see compare).
func (w *Witness) Compare(ctx context.Context) (alarms []Alarm, unreachable []error) {
	for _, p := range w.Config.Peers {
		as, err := w.compare(ctx, p)
		alarms = append(alarms, as...)
		if err != nil {
			slog.Warn("peer not compared", "peer", p, "error", err)
			unreachable = append(unreachable, fmt.Errorf("peer %s: %w", p, err))
		}
	}
	return alarms, unreachable
}

// pollLog checks a log's latest checkpoint and cosigns it when it extends
// what the witness holds, and returns the log's size.
func (w *Witness) pollLog(ctx context.Context, l Log) (int64, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	text, err := w.get(ctx, l.URL+"/checkpoint", nil)
	if err != nil {
		return 0, err
	}
	origin := l.Origin
	held, leaves, ok, err := w.load(origin)
	if err != nil {
		return 0, err
	}
	alarm := func(f string, a ...any) error {
		ev := []string{string(text)}
		if ok {
			ev = append([]string{held.Checkpoint}, ev...)
		}
		return w.raise(Alarm{Log: l.Name, Origin: origin, Text: fmt.Sprintf(f, a...), Evidence: ev})
	}
	// The origin and the key are pinned: a log that changes either could
	// start a new, rewritten tree that no witness holds anything of.
	if served, _, _ := strings.Cut(string(text), "\n"); served != origin {
		return 0, alarm("the log served a checkpoint under origin %q, not the pinned %q; it was not cosigned", served, origin)
	}
	cp, _, err := survey.OpenCheckpoint(string(text), origin, l.verifier)
	if err != nil {
		return 0, alarm("the log served a checkpoint not signed by its pinned key %s (%v); it was not cosigned", l.verifier.Name(), err)
	}
	switch {
	case ok && cp.Size < held.Size:
		return 0, alarm("the log went back from %d leaves to %d", held.Size, cp.Size)
	case ok && cp.Size == held.Size && !bytes.Equal(cp.Root, held.Root):
		return 0, alarm("the log signed a second root for size %d: %s, after %s", cp.Size, hex.EncodeToString(cp.Root), hex.EncodeToString(held.Root))
	case ok && cp.Size == held.Size:
		return cp.Size, nil // nothing new
	}
	from := int64(0)
	if ok {
		var p struct{ Hashes [][]byte }
		if _, err := w.get(ctx, fmt.Sprintf("%s/proof/consistency?from=%d&to=%d", l.URL, held.Size, cp.Size), &p); err != nil {
			return 0, err
		}
		if err := survey.VerifyConsistency(held.Size, cp.Size, p.Hashes, held.Root, cp.Root); err != nil {
			return 0, alarm("the checkpoint of %d leaves does not extend the one of %d this witness holds: %v", cp.Size, held.Size, err)
		}
		from = held.Size
	}
	for start := from; start < cp.Size; {
		end := min(cp.Size, start+survey.MaxLeafRange)
		var r struct{ Hashes [][]byte }
		if _, err := w.get(ctx, fmt.Sprintf("%s/leaves?start=%d&end=%d", l.URL, start, end), &r); err != nil {
			return 0, err
		}
		if len(r.Hashes) == 0 {
			return 0, fmt.Errorf("the log served no leaves from %d", start)
		}
		for _, h := range r.Hashes {
			if len(h) != 32 {
				return 0, alarm("the log served a leaf hash of %d bytes at %d", len(h), start)
			}
		}
		leaves = append(leaves[:start], r.Hashes...)
		start += int64(len(r.Hashes))
	}
	leaves = leaves[:cp.Size]
	if root, _ := survey.NewTree(leaves).Root(cp.Size); !bytes.Equal(root, cp.Root) {
		return 0, alarm("the leaf hashes the log served do not add up to its checkpoint of %d leaves", cp.Size)
	}

	// Accepted: cosign, keep, send back.
	n, err := note.Open(text, note.VerifierList(l.verifier))
	if err != nil {
		return 0, err
	}
	cosigned, err := note.Sign(n, w.signer)
	if err != nil {
		return 0, err
	}
	h := Held{Log: l.Name, Origin: origin, Size: cp.Size, Root: cp.Root, Checkpoint: string(cosigned), At: w.now()}
	if err := w.save(h, leaves, from); err != nil {
		return 0, err
	}
	slog.Info("checkpoint cosigned", "log", l.Name, "size", cp.Size, "root", hex.EncodeToString(cp.Root)[:12])
	w.send(ctx, l, cosigned)
	return cp.Size, nil
}

// heard is when a log last answered with a checkpoint the witness could
// check, and since when it has not, kept in the store (seen.json) so that
// a witness run from cron (-once) measures an outage across its runs.
type heard struct {
	OK      time.Time `json:"ok,omitzero"`      // the last good answer
	Failing time.Time `json:"failing,omitzero"` // the first failure since
	Alarmed bool      `json:"alarmed,omitempty"`
	// The log's size, since when it has had it, and whether standing
	// still while open has been alarmed (once per stall).
	Size     int64     `json:"size,omitempty"`
	Advanced time.Time `json:"advanced,omitzero"`
	Stalled  bool      `json:"stalled,omitempty"`
}

func (w *Witness) seenFile() string { return filepath.Join(w.Dir, "seen.json") }

func (w *Witness) loadSeen() map[string]heard {
	m := map[string]heard{}
	if b, err := os.ReadFile(w.seenFile()); err == nil {
		_ = json.Unmarshal(b, &m)
	}
	return m
}

func (w *Witness) saveSeen(m map[string]heard) {
	b, _ := json.MarshalIndent(m, "", "  ")
	tmp := w.seenFile() + ".tmp"
	if os.WriteFile(tmp, b, 0o600) == nil {
		_ = os.Rename(tmp, w.seenFile())
	}
}

// silent notes in seen that a log did not answer, and raises an alarm
// (once per outage) when it has not answered for longer than the silence
// allowed.
func (w *Witness) silent(seen map[string]heard, l Log, cause error) (Alarm, bool) {
	now := w.now()
	s := seen[l.Origin]
	if s.Failing.IsZero() {
		s.Failing = now
	}
	since := s.Failing
	if !s.OK.IsZero() && s.OK.Before(since) {
		since = s.OK
	}
	var out Alarm
	raised := false
	if silence := w.Config.Silence; silence > 0 && now.Sub(since) > silence && !s.Alarmed {
		err := w.raise(Alarm{Log: l.Name, Origin: l.Origin, Text: fmt.Sprintf("the log has not answered for %s (since %s; the limit is %s): %v",
			now.Sub(since).Round(time.Second), since.UTC().Format(time.RFC3339), silence, cause)})
		raised = errors.As(err, &out)
		s.Alarmed = true
	}
	seen[l.Origin] = s
	return out, raised
}

// stalled raises an alarm (once per stall) when a log that says it is open
// has not advanced for longer than the configured stall. The log's word
// on being open is asked only then; a log that cannot say (an older
// server) is a warning, not an alarm.
func (w *Witness) stalled(ctx context.Context, l Log, h *heard) (Alarm, bool) {
	limit := w.Config.Stall
	if limit <= 0 || h.Stalled || w.now().Sub(h.Advanced) <= limit {
		return Alarm{}, false
	}
	var st struct {
		Status string `json:"status"`
	}
	if _, err := w.get(ctx, l.URL+"/status", &st); err != nil {
		slog.Warn("log status not read: cannot tell a closed log from a stalled one", "log", l.Name, "error", err)
		return Alarm{}, false
	}
	if st.Status != "open" {
		return Alarm{}, false // closed (or not started): nothing to add
	}
	h.Stalled = true
	var out Alarm
	err := w.raise(Alarm{Log: l.Name, Origin: l.Origin, Text: fmt.Sprintf("the log says it is open but has stood at %d leaves for %s (since %s; the limit is %s): an open log advances at least hourly, so this witness is shown a frozen view",
		h.Size, w.now().Sub(h.Advanced).Round(time.Second), h.Advanced.UTC().Format(time.RFC3339), limit)})
	return out, errors.As(err, &out)
}

// send gives the log back the cosigned checkpoint, so its dossier can
// print it; a log that refuses it (not configured with this witness) is
// only a warning.
func (w *Witness) send(ctx context.Context, l Log, cosigned []byte) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.URL+"/cosignatures", bytes.NewReader(cosigned))
	if err != nil {
		return
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	resp, err := w.Client.Do(req)
	if err != nil {
		slog.Warn("cosignature not delivered", "log", l.Name, "error", err)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		slog.Warn("cosignature not accepted by the log", "log", l.Name, "status", resp.Status, "answer", string(bytes.TrimSpace(body)))
	}
}

// compare fetches what a peer witness holds and checks it against what
// this one holds: for a log both watch, two roots of one size, or a
// smaller checkpoint that the larger does not extend, is a split view.
func (w *Witness) compare(ctx context.Context, peer string) ([]Alarm, error) {
	var theirs []Held
	if _, err := w.get(ctx, peer+"/checkpoints", &theirs); err != nil {
		return nil, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	var alarms []Alarm
	for _, t := range theirs {
		var l *Log
		for i := range w.Config.Logs {
			if _, _, err := survey.OpenCheckpoint(t.Checkpoint, t.Origin, w.Config.Logs[i].verifier); err == nil {
				l = &w.Config.Logs[i]
				break
			}
		}
		if l == nil {
			continue // a log this witness does not watch, or a note its log did not sign
		}
		cp, _, _ := survey.OpenCheckpoint(t.Checkpoint, t.Origin, l.verifier)
		mine, leaves, ok, err := w.load(t.Origin)
		if err != nil || !ok {
			continue
		}
		alarm := func(f string, a ...any) {
			err := w.raise(Alarm{Log: l.Name, Origin: t.Origin, Text: fmt.Sprintf(f, a...), Evidence: []string{mine.Checkpoint, t.Checkpoint}})
			var a2 Alarm
			if errors.As(err, &a2) {
				alarms = append(alarms, a2)
			}
		}
		switch {
		case cp.Size == mine.Size && !bytes.Equal(cp.Root, mine.Root):
			alarm("split view: witness %s holds a checkpoint of %d leaves with root %s; this witness holds root %s for the same size, both signed by the log",
				peer, cp.Size, hex.EncodeToString(cp.Root), hex.EncodeToString(mine.Root))
		case cp.Size < mine.Size:
			if root, _ := survey.NewTree(leaves).Root(cp.Size); !bytes.Equal(root, cp.Root) {
				alarm("split view: witness %s holds a checkpoint of %d leaves that the one of %d this witness holds does not extend", peer, cp.Size, mine.Size)
			}
		case cp.Size > mine.Size:
			var p struct{ Hashes [][]byte }
			if _, err := w.get(ctx, fmt.Sprintf("%s/proof/consistency?from=%d&to=%d", l.URL, mine.Size, cp.Size), &p); err != nil {
				continue
			}
			if survey.VerifyConsistency(mine.Size, cp.Size, p.Hashes, mine.Root, cp.Root) != nil {
				alarm("split view: witness %s holds a checkpoint of %d leaves that does not extend the one of %d this witness holds", peer, cp.Size, mine.Size)
			}
		}
	}
	return alarms, nil
}

// publicKey is the cosignature/v1 verifier key of a witness from the
// name and key parts of its signed-note private key.
func publicKey(name, key string) (string, error) {
	seed, err := base64.StdEncoding.DecodeString(key)
	if err != nil || len(seed) != 1+ed25519.SeedSize {
		return "", errors.New("witness.key is not an Ed25519 signed-note key")
	}
	vkey, err := note.NewEd25519VerifierKey(name, ed25519.NewKeyFromSeed(seed[1:]).Public().(ed25519.PublicKey))
	if err != nil {
		return "", err
	}
	return fnote.VKeyToCosignatureV1(vkey)
}

// Evidence is what a witness store holds of a log, as evidence for
// survey.Verify: the checkpoint it cosigned, checked against the log's key
// and the witness's own, and the leaf hashes it checked.
func Evidence(dir, origin string, logVerifier note.Verifier) (survey.Evidence, error) {
	held, leaves, ok, err := Load(dir, origin)
	if err != nil {
		return survey.Evidence{}, err
	}
	if !ok {
		return survey.Evidence{}, fmt.Errorf("the witness store %s holds nothing of the log %s", dir, origin)
	}
	w, err := Open(dir, "", Config{})
	if err != nil {
		return survey.Evidence{}, err
	}
	own, err := fnote.NewVerifierForCosignatureV1(w.VerifierKey())
	if err != nil {
		return survey.Evidence{}, err
	}
	cp, cosigs, err := survey.OpenCheckpoint(held.Checkpoint, origin, logVerifier, own)
	if err != nil {
		return survey.Evidence{}, fmt.Errorf("the checkpoint the witness store %s holds does not verify: %v", dir, err)
	}
	if len(cosigs) == 0 {
		return survey.Evidence{}, fmt.Errorf("the checkpoint the witness store %s holds lacks the witness's own cosignature", dir)
	}
	return survey.Evidence{Source: "见证方 " + w.Name() + " ", Size: cp.Size, Root: cp.Root, Leaves: leaves,
		Witnessed: true, Witness: w.Name()}, nil
}

// Command loadgen does what phones do: GET a form (gzip accepted, the
// device cookie kept), then POST answers with the form's token and the
// cookie, at a given concurrency for a given time, each client a new
// respondent on a kept-alive connection, following the redirect to its
// receipt page as a browser does. It prints
// admitted/s, latency percentiles of the POST (to the receipt page),
// over-quota count and errors.
//
//	loadgen -spawn -c 64 -d 30s            start a database and a server process, then load it
//	loadgen -url http://127.0.0.1:8080/s/CODE -c 64 -d 30s
//
// -spawn starts a durable PostgreSQL (fsync on), measures its own
// single-row insert rate with pgbench, at one client and at the load's
// concurrency, as the baseline, builds and starts the renke binary as a
// separate process on a campaign large enough (N = 300,000) that no cell
// fills, loads it, and prints the ratios of admitted submissions per second
// to the pgbench rates, the processor time the server, PostgreSQL and the
// load generator used, the server's peak RSS, whether any quota cell
// overshot, and whether the sample chain verifies. Run it from the
// repository root (make load).
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/klauspost/compress/gzip"

	"renke/county"
	"renke/database"
	"renke/pgcluster"
	"renke/sampling"
	"renke/survey"
)

func main() {
	target := flag.String("url", "", "form URL of a link bound to a school (…/s/CODE)")
	spawn := flag.Bool("spawn", false, "start a throwaway PostgreSQL and a server process on 127.0.0.1, with a pgbench baseline")
	conc := flag.Int("c", 64, "concurrent clients")
	dur := flag.Duration("d", 30*time.Second, "duration")
	baseline := flag.Duration("baseline", 15*time.Second, "duration of the pgbench baseline (with -spawn)")
	flag.IntVar(&proofClients, "proofs", 0, "clients asking the sample log for inclusion and consistency proofs meanwhile (with -spawn), as witnesses and respondents do")
	flag.Parse()
	if *conc < 1 || *conc > 4096 || *dur <= 0 || *dur > 10*time.Minute {
		fmt.Fprintln(os.Stderr, "-c must be 1..4096 and -d at most 10m")
		os.Exit(2)
	}
	if !*spawn {
		if *target == "" || !strings.Contains(*target, "/s/") {
			fmt.Fprintln(os.Stderr, "give -url …/s/CODE or -spawn")
			os.Exit(2)
		}
		run(*target, *conc, *dur)
		return
	}
	if err := spawned(*conc, *dur, *baseline); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

// spawned runs the whole measurement on a throwaway cluster.
func spawned(conc int, dur, baseline time.Duration) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "renke-load-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	pgDir, err := os.MkdirTemp("", "renke-load-pg-") // the postgres user must reach it
	if err != nil {
		return err
	}
	cluster, err := pgcluster.Start(ctx, pgDir, pgcluster.Options{Durable: true})
	if err != nil {
		return err
	}
	defer cluster.Remove()

	// The baseline at one client is each insert paying its own commit:
	// the rate a server committing each submission alone could not pass,
	// and the one the target (ratio ≥ 1.0) is measured against. At the
	// load's concurrency PostgreSQL already flushes many commits together,
	// and pgbench's one-row inserts take both cores; that ratio is printed
	// to be tracked.
	if err := createInsertTable(ctx, cluster); err != nil {
		return err
	}
	var tps []float64
	for _, clients := range []int{1, conc} {
		t, err := pgbenchInserts(ctx, cluster, clients, baseline)
		if err != nil {
			return fmt.Errorf("pgbench: %w", err)
		}
		fmt.Printf("pgbench: single-row INSERT, %d clients, %s, fsync on: %.1f tps\n", clients, baseline, t)
		tps = append(tps, t)
	}

	if err := cluster.CreateDatabase(ctx, "renke", ""); err != nil {
		return err
	}
	pool, err := database.Open(ctx, cluster.URL("renke"))
	if err != nil {
		return err
	}
	defer pool.Close()
	logKey, err := survey.GenerateLogKey("loadgen.localhost")
	if err != nil {
		return err
	}
	key, err := survey.ParseLogKey(logKey)
	if err != nil {
		return err
	}
	code, campaignID, err := loadCampaign(ctx, pool, key)
	if err != nil {
		return err
	}
	bin := filepath.Join(dir, "renke")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		return fmt.Errorf("build renke (run loadgen from the repository root): %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := l.Addr().String()
	l.Close()
	srv := exec.Command(bin)
	// SUBMIT_RATE at its default: each respondent comes from an address of
	// its own in 127.0.0.0/8 (see phone.spread), as real phones do.
	srv.Env = append(os.Environ(), "DATABASE_URL="+cluster.URL("renke"), "LISTEN_ADDR="+addr,
		"SESSION_KEY=loadgen-session-key-0123456789abcdef", "LOG_KEY="+logKey)
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() { _ = srv.Process.Kill(); _ = srv.Wait() }()
	base := "http://" + addr
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			return errors.New("server did not start")
		}
	}
	before := cpuSeconds(srv.Process.Pid)
	stopProofs := askProofs(base, campaignID, proofClients)
	admitted := run(base+"/s/"+code, conc, dur)
	stopProofs()
	used := cpuSeconds(srv.Process.Pid)
	fmt.Printf("CPU used in the load, of %.0f core-seconds: server %.1f s, PostgreSQL %.1f s, loadgen %.1f s\n",
		dur.Seconds()*float64(runtime.NumCPU()), used.server-before.server, used.postgres-before.postgres, used.loadgen-before.loadgen)
	rss := peakRSS(srv.Process.Pid)
	fmt.Printf("server peak RSS %.1f MB\n", float64(rss)/(1<<20))
	fmt.Printf("ratio admitted/s ÷ pgbench tps: %.2f (1 client; target ≥ 1.0), %.2f (%d clients)\n", admitted/tps[0], admitted/tps[1], conc)
	var over, mismatch int
	if err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE admitted > target),
		count(*) FILTER (WHERE admitted <> (SELECT count(*) FROM responses r WHERE r.campaign_id = q.campaign_id
			AND r.category = q.category AND r.locale = q.locale AND r.status = 'admitted'))
		FROM quota_cells q WHERE campaign_id = $1`, campaignID).Scan(&over, &mismatch); err != nil {
		return err
	}
	st := survey.NewStore(pool)
	st.UseLogKey(key)
	v, err := st.Verify(ctx, campaignID)
	if err != nil {
		return err
	}
	kept, err := st.Tally(ctx, campaignID)
	if err != nil {
		return err
	}
	raw, err := st.RawTally(ctx, campaignID)
	if err != nil {
		return err
	}
	sums, err := st.RespondentSumsDiffer(ctx, campaignID)
	if err != nil {
		return err
	}
	fmt.Printf("quota cells overshooting: %d, disagreeing with the responses: %d; sample log: %d leaves, %d signed checkpoints, %d problems; "+
		"answer tallies: %d cells, %d differing from the raw count; respondent sums: %d cells differing from a recount\n",
		over, mismatch, v.Size, v.Checkpoints, len(v.Problems), len(kept), tallyDiff(kept, raw), sums)
	for i, p := range v.Problems {
		if i == 5 {
			fmt.Printf("  … and %d more\n", len(v.Problems)-i)
			break
		}
		fmt.Printf("  problem: %s\n", p.Text)
	}
	return nil
}

func createInsertTable(ctx context.Context, cluster *pgcluster.Cluster) error {
	if err := cluster.CreateDatabase(ctx, "bench", ""); err != nil {
		return err
	}
	conn, err := pgxpool.New(ctx, cluster.URL("bench"))
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = conn.Exec(ctx, `CREATE TABLE single_insert (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, x integer, at timestamptz DEFAULT now())`)
	return err
}

// pgbenchInserts measures PostgreSQL's own rate of single-row inserts, one
// transaction each, on the same cluster.
func pgbenchInserts(ctx context.Context, cluster *pgcluster.Cluster, clients int, d time.Duration) (float64, error) {
	bin, err := pgcluster.BinDir()
	if err != nil {
		return 0, err
	}
	script := filepath.Join(os.TempDir(), fmt.Sprintf("renke-pgbench-%d.sql", os.Getpid()))
	if err := os.WriteFile(script, []byte("INSERT INTO single_insert (x) VALUES (1);\n"), 0o644); err != nil {
		return 0, err
	}
	defer os.Remove(script)
	out, err := exec.CommandContext(ctx, filepath.Join(bin, "pgbench"), "-n", "-c", fmt.Sprint(clients), "-j", fmt.Sprint(min(clients, 2)),
		"-T", fmt.Sprint(int(d.Seconds())), "-f", script, cluster.URL("bench")).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("%v: %s", err, out)
	}
	m := regexp.MustCompile(`tps = ([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("no tps in %s", out)
	}
	return strconv.ParseFloat(string(m[1]), 64)
}

// cpuUse is the processor time, in seconds, used so far by the server, the
// PostgreSQL processes and this load generator.
type cpuUse struct{ server, postgres, loadgen float64 }

func cpuSeconds(server int) cpuUse {
	var u cpuUse
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + p.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid … utime stime: fields 14 and 15, in clock ticks (100 a second).
		open, end := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
		if open < 0 || end < open {
			continue
		}
		f := strings.Fields(string(b[end+1:]))
		if len(f) < 13 {
			continue
		}
		user, _ := strconv.ParseFloat(f[11], 64)
		sys, _ := strconv.ParseFloat(f[12], 64)
		secs := (user + sys) / 100
		switch {
		case pid == server:
			u.server += secs
		case pid == os.Getpid():
			u.loadgen += secs
		case string(b[open+1:end]) == "postgres":
			u.postgres += secs
		}
	}
	return u
}

// peakRSS is the process's peak resident set (VmHWM) in bytes.
func peakRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

var tokenField = []byte(`name="token" value="`)

type result struct {
	latency  time.Duration
	admitted bool
	full     bool
	err      bool
}

// proofClients is -proofs.
var proofClients int

// askProofs starts n clients asking for proofs of random leaves of the
// campaign's log at its latest checkpoint, until the returned function is
// called, which prints how many were answered and their latency.
func askProofs(base string, campaignID int64, n int) (stop func()) {
	if n <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	var mu sync.Mutex
	var lat []time.Duration
	errs := 0
	var wg sync.WaitGroup
	logURL := fmt.Sprintf("%s/log/campaigns/%d", base, campaignID)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Timeout: 30 * time.Second}
			get := func(u string) bool {
				resp, err := c.Get(u)
				if err != nil {
					return false
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				return resp.StatusCode == http.StatusOK
			}
			for {
				select {
				case <-done:
					return
				default:
				}
				resp, err := c.Get(logURL + "/checkpoint")
				if err != nil {
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				lines := strings.Split(string(body), "\n")
				size := int64(0)
				if len(lines) > 1 {
					size, _ = strconv.ParseInt(lines[1], 10, 64)
				}
				if size < 2 {
					time.Sleep(100 * time.Millisecond)
					continue
				}
				start := time.Now()
				ok := get(fmt.Sprintf("%s/proof/inclusion?index=%d&size=%d", logURL, rand.Int64N(size), size)) &&
					get(fmt.Sprintf("%s/proof/consistency?from=%d&to=%d", logURL, 1+rand.Int64N(size-1), size))
				mu.Lock()
				if ok {
					lat = append(lat, time.Since(start))
				} else {
					errs++
				}
				mu.Unlock()
			}
		}()
	}
	return func() {
		close(done)
		wg.Wait()
		slices.Sort(lat)
		p99 := time.Duration(0)
		if len(lat) > 0 {
			p99 = lat[min(len(lat)-1, len(lat)*99/100)]
		}
		fmt.Printf("proof clients %d: %d inclusion + consistency pairs answered, %d failed, p99 %s\n", n, len(lat), errs, p99.Round(100*time.Microsecond))
	}
}

func run(target string, conc int, dur time.Duration) float64 {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		fmt.Fprintln(os.Stderr, "loadgen: -url must be an http or https address")
		os.Exit(2)
	}
	deadline := time.Now().Add(dur)
	results := make(chan result, 1024)
	var wg sync.WaitGroup
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := &phone{url: u, spread: loopback(u)}
			defer p.hangUp()
			for time.Now().Before(deadline) {
				results <- p.submitOnce()
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()
	var lat []time.Duration
	admitted, full, errs := 0, 0, 0
	for r := range results {
		if r.err {
			errs++
			continue
		}
		lat = append(lat, r.latency)
		if r.admitted {
			admitted++
		}
		if r.full {
			full++
		}
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))]
	}
	fmt.Printf("clients %d, %s: submitted %d, admitted %d (%.1f/s), over-quota %d, errors %d\n",
		conc, dur, len(lat), admitted, float64(admitted)/dur.Seconds(), full, errs)
	fmt.Printf("POST latency p50 %s p95 %s p99 %s max %s\n",
		pct(0.50).Round(100*time.Microsecond), pct(0.95).Round(100*time.Microsecond), pct(0.99).Round(100*time.Microsecond), pct(1).Round(100*time.Microsecond))
	return float64(admitted) / dur.Seconds()
}

// phone is one client connection, kept alive as a browser keeps it, over
// which one respondent after another GETs the form and POSTs answers. It
// writes each request and reads each response on its connection itself
// (http.Request.Write, http.ReadResponse) rather than through an
// http.Client, whose two goroutines per connection and gzip reader per
// response doubled the load generator's processor time, which on one
// machine is taken from the server it measures.
type phone struct {
	url *url.URL
	// spread: each respondent comes from an address of its own in
	// 127.0.0.0/8 (a target on loopback only), as phones do, so the
	// server's budgets and proofs of work per source stay on.
	spread bool
	conn   net.Conn
	r      *bufio.Reader
	w      *bufio.Writer
	zr     *gzip.Reader
	page   []byte
}

func (p *phone) hangUp() {
	if p.conn != nil {
		p.conn.Close()
		p.conn = nil
	}
}

// roundTrip sends one request and reads the response's head; the caller
// reads the body to its end before the next request.
func (p *phone) roundTrip(req *http.Request) (*http.Response, error) {
	if p.conn == nil {
		var err error
		var d net.Dialer
		if p.spread {
			d.LocalAddr = &net.TCPAddr{IP: net.IPv4(127, byte(rand.IntN(256)), byte(rand.IntN(256)), byte(1+rand.IntN(254)))}
		}
		if p.url.Scheme == "https" {
			p.conn, err = tls.DialWithDialer(&d, "tcp", hostPort(p.url), &tls.Config{ServerName: p.url.Hostname()})
		} else {
			p.conn, err = d.Dial("tcp", hostPort(p.url))
		}
		if err != nil {
			return nil, err
		}
		p.r, p.w = bufio.NewReaderSize(p.conn, 16<<10), bufio.NewWriterSize(p.conn, 4<<10)
	}
	err := p.conn.SetDeadline(time.Now().Add(30 * time.Second))
	if err == nil {
		err = req.Write(p.w)
	}
	if err == nil {
		err = p.w.Flush()
	}
	var resp *http.Response
	if err == nil {
		resp, err = http.ReadResponse(p.r, req)
	}
	if err != nil {
		p.hangUp()
		return nil, err
	}
	return resp, nil
}

// done finishes a response: its body read to the end, the connection
// closed when the server asked for that.
func (p *phone) done(resp *http.Response) {
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.Close {
		p.hangUp()
	}
}

// loopback reports whether a target is on this machine's loopback, where
// respondents can be given addresses of their own.
func loopback(u *url.URL) bool {
	ip := net.ParseIP(u.Hostname())
	return ip != nil && ip.IsLoopback() && ip.To4() != nil
}

func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	if u.Scheme == "https" {
		return net.JoinHostPort(u.Hostname(), "443")
	}
	return net.JoinHostPort(u.Hostname(), "80")
}

// submitOnce is one respondent: a new device that GETs the form, keeps the
// cookie the server gives it and POSTs twelve answers with the form's
// token.
func (p *phone) submitOnce() result {
	if p.spread {
		p.hangUp() // a new respondent: a new phone, from an address of its own
	}
	token, cookies, err := p.formToken()
	if err != nil {
		return result{err: true}
	}
	form := url.Values{"token": {token}, "category": {"parent"}, "band": {[]string{"1-2", "3-4", "5-6"}[rand.IntN(3)]}}
	for i := 1; i <= 12; i++ {
		form.Set(fmt.Sprintf("a_S%02d", i), []string{"A", "A", "B", "B", "C", "D", "X"}[rand.IntN(7)])
	}
	body := form.Encode()
	req, _ := http.NewRequest(http.MethodPost, p.url.String(), strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range cookies {
		req.AddCookie(c)
	}
	start := time.Now()
	resp, err := p.roundTrip(req)
	if err != nil {
		return result{err: true}
	}
	if resp.StatusCode == http.StatusSeeOther {
		// Stored: the phone follows the redirect to its receipt page.
		loc, lerr := resp.Location()
		p.done(resp)
		if lerr != nil {
			return result{err: true}
		}
		get, _ := http.NewRequest(http.MethodGet, loc.String(), nil)
		if resp, err = p.roundTrip(get); err != nil {
			return result{err: true}
		}
	}
	p.page = p.page[:0]
	buf := bytes.NewBuffer(p.page)
	_, err = buf.ReadFrom(resp.Body)
	p.done(resp)
	p.page = buf.Bytes()
	r := result{latency: time.Since(start)}
	switch {
	case err != nil || resp.StatusCode != 200:
		r.err = true
	case bytes.Contains(p.page, []byte("提交成功")):
		r.admitted = true
	case bytes.Contains(p.page, []byte("样本名额已满")):
		r.full = true
	default:
		r.err = true
	}
	return r
}

// formToken GETs the parents' form as a phone does, gzip accepted, and
// returns its token and the cookies the server set. The server renders,
// compresses and sends the whole page; the phone inflates it only as far
// as the token, which is near the top, and drains the rest unread.
func (p *phone) formToken() (string, []*http.Cookie, error) {
	u := *p.url
	u.RawQuery = "c=parent"
	req, _ := http.NewRequest(http.MethodGet, u.String(), nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := p.roundTrip(req)
	if err != nil {
		return "", nil, err
	}
	defer p.done(resp)
	if resp.StatusCode != 200 {
		return "", nil, fmt.Errorf("GET form: %s", resp.Status)
	}
	var page io.Reader = resp.Body
	if resp.Header.Get("Content-Encoding") == "gzip" {
		if p.zr == nil {
			p.zr, err = gzip.NewReader(resp.Body)
		} else {
			err = p.zr.Reset(resp.Body)
		}
		if err != nil {
			return "", nil, err
		}
		page = p.zr
	}
	p.page = p.page[:0]
	buf := make([]byte, 2048)
	for {
		n, err := page.Read(buf)
		p.page = append(p.page, buf[:n]...)
		if _, rest, ok := bytes.Cut(p.page, tokenField); ok {
			if token, _, ok := bytes.Cut(rest, []byte(`"`)); ok {
				return string(token), resp.Cookies(), nil
			}
		}
		if err != nil {
			return "", nil, errors.New("no token in the form")
		}
	}
}

// loadCampaign creates a unit, a school and an open campaign too large to
// fill, and returns the school's parent link.
func loadCampaign(ctx context.Context, pool *pgxpool.Pool, key *survey.LogKey) (string, int64, error) {
	units, surveys := county.NewStore(pool), survey.NewStore(pool)
	surveys.UseLogKey(key) // the opening is the log's first leaf, signed with the server's key
	u, err := units.CreateUnit(ctx, county.Unit{Code: "load", Name: "压测县", Kind: "county", Population: 200_000_000,
		Shares: sampling.Shares{Urban: 10000}})
	if err != nil {
		return "", 0, err
	}
	sc, err := units.CreateSchool(ctx, county.School{UnitID: u.ID, Name: "压测小学", Type: county.Primary, Locale: sampling.Urban, EnrolPrimary: 1000})
	if err != nil {
		return "", 0, err
	}
	c, err := surveys.CreateCampaign(ctx, u.ID, survey.Titled("压测"))
	if err != nil {
		return "", 0, err
	}
	social := survey.SocialForm
	link, err := surveys.CreateLink(ctx, survey.Link{CampaignID: c.ID, SchoolID: &sc.ID, Kind: &social})
	if err != nil {
		return "", 0, err
	}
	if _, err = surveys.Open(ctx, c.ID, "loadgen"); err != nil {
		return "", 0, err
	}
	// The load's respondents post the moment they have the form, where a
	// parent takes minutes: no minimum fill time, or every one would be
	// held for review as "fast" and the load would never admit.
	_, err = pool.Exec(ctx, `UPDATE campaigns SET min_fill_seconds = 0 WHERE id = $1`, c.ID)
	return link.Code, c.ID, err
}

// tallyDiff is how many cells of the kept tallies differ from the raw count.
func tallyDiff(kept, raw []survey.Count) int {
	m := map[survey.Count]int{}
	for _, c := range kept {
		m[c]++
	}
	for _, c := range raw {
		m[c]--
	}
	n := 0
	for _, d := range m {
		if d != 0 {
			n++
		}
	}
	return n
}

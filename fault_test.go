package main

// Fault tests: the real binary killed during load, PostgreSQL restarted
// under a running server, and two server processes on one database.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"renke/database"
	"renke/dbtest"
	"renke/demo"
	"renke/pgcluster"
	"renke/server"
	"renke/survey"
)

var binary string // the renke binary built for these tests

// testLogKey signs the checkpoints of every server these tests start.
var testLogKey = func() string {
	k, err := survey.GenerateLogKey("test.localhost")
	if err != nil {
		panic(err)
	}
	return k
}()

// testSM2Key is the SM2 key of the same name: the transparency tests'
// servers sign every checkpoint and manifest with both.
var testSM2Key = func() string {
	k, err := survey.GenerateSM2Key("test.localhost")
	if err != nil {
		panic(err)
	}
	return k
}()

// seedHonest seeds the demo county under testLogKey, with no minimum fill
// time: these tests' phones answer at once, where a parent takes minutes,
// and a "fast" response would be held for review.
func seedHonest(pool *pgxpool.Pool) (*demo.Seeded, error) {
	d, err := demo.SeedWith(context.Background(), pool, demo.Options{LogKey: testKey()})
	if err == nil {
		_, err = pool.Exec(context.Background(), `UPDATE campaigns SET min_fill_seconds = 0`)
	}
	return d, err
}

// testKey is testLogKey parsed.
func testKey() *survey.LogKey {
	k, err := survey.ParseLogKey(testLogKey)
	if err != nil {
		panic(err)
	}
	return k
}

// logStore is a survey store that checks the logs with testLogKey.
func logStore(pool *pgxpool.Pool) *survey.Store {
	k, err := survey.ParseLogKey(testLogKey)
	if err != nil {
		panic(err)
	}
	st := survey.NewStore(pool)
	st.UseLogKey(k)
	return st
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "renke-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "renke")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build renke: %v\n%s", err, out)
		os.Exit(1)
	}
	code := dbtest.Main(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

// startServer runs the binary against a database and waits until it
// answers; it is killed when the test ends.
func startServer(t *testing.T, dbURL string) (*exec.Cmd, string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(binary)
	// The phones come through a proxy on loopback that names each one's
	// address (X-Forwarded-For), as real phones come from many addresses.
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL, "LISTEN_ADDR="+addr, "SUBMIT_RATE=off",
		"SESSION_KEY=fault-test-session-key-0123456789abcdef", "LOG_KEY="+testLogKey, "TRUSTED_PROXIES=127.0.0.1")
	if os.Getenv("RENKE_TEST_LOG") != "" {
		cmd.Stderr = os.Stderr
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	base := "http://" + addr
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return cmd, base
			}
		}
	}
	t.Fatal("server did not start")
	return nil, ""
}

var (
	tokenRE   = regexp.MustCompile(`name="token" value="([^"]+)"`)
	receiptRE = regexp.MustCompile(`class="receipt">([A-Z0-9]+)<`)
)

// errGroupFull: the form is not offered, the parents' places being taken.
var errGroupFull = errors.New("the parents' group is full")

// phone is one parent's visit: the form and its token, then the answers.
// phone is one respondent after another at a form, each a new phone: its
// own device cookie (kept from the form to the submit), its own address
// (X-Forwarded-For through the trusted proxy on loopback), its own
// answers. The tests' phones answer at once: their campaigns ask no
// minimum fill time (honest).
type phone struct {
	client *http.Client
	form   string // …/s/CODE
	ip     *string
}

func newPhone(form string) phone {
	ip := ""
	return phone{client: &http.Client{Timeout: 10 * time.Second}, form: form, ip: &ip}
}

func (p phone) do(req *http.Request) (*http.Response, error) {
	req.Header.Set("X-Forwarded-For", *p.ip)
	return p.client.Do(req)
}

// token is a new respondent's form: a new device and a new address.
func (p phone) token() (string, error) {
	p.client.Jar, _ = cookiejar.New(nil)
	*p.ip = fmt.Sprintf("10.%d.%d.%d", rand.IntN(256), rand.IntN(256), 1+rand.IntN(254))
	req, _ := http.NewRequest(http.MethodGet, p.form+"?c=parent", nil)
	resp, err := p.do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := tokenRE.FindSubmatch(b)
	if resp.StatusCode == http.StatusOK && m == nil && strings.Contains(string(b), "名额已满") {
		return "", errGroupFull
	}
	if resp.StatusCode != http.StatusOK || m == nil {
		return "", fmt.Errorf("form: %d", resp.StatusCode)
	}
	return string(m[1]), nil
}

// submit posts the answers of token; it returns the receipt of a 200, or
// the status and body.
func (p phone) submit(token string, i int) (string, int, string, error) {
	v := url.Values{"token": {token}, "category": {"parent"}, "band": {"3-4"}}
	r := rand.New(rand.NewPCG(uint64(i), 17)) // a respondent's own answers
	for j := 1; j <= 12; j++ {
		v.Set(fmt.Sprintf("a_S%02d", j), []string{"A", "B", "C", "A", "X"}[r.IntN(5)])
	}
	req, _ := http.NewRequest(http.MethodPost, p.form, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := p.do(req)
	if err != nil {
		return "", 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if m := receiptRE.FindSubmatch(b); resp.StatusCode == http.StatusOK && m != nil {
		return string(m[1]), 200, "", nil
	}
	return "", resp.StatusCode, string(b), nil
}

func schoolLink(t *testing.T, d *demo.Seeded) string {
	for _, l := range d.Links {
		if l.Label == "示范县实验小学家长" {
			return l.Code
		}
	}
	t.Fatal("no demo school link")
	return ""
}

// consistent checks that the quota counts match the stored responses and
// that the sample chain verifies.
func consistent(t *testing.T, pool *pgxpool.Pool, campaignID int64) {
	t.Helper()
	ctx := context.Background()
	var bad int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM quota_cells q WHERE campaign_id = $1 AND (admitted > target OR admitted <>
		(SELECT count(*) FROM responses r WHERE r.campaign_id = q.campaign_id AND r.category = q.category AND r.locale = q.locale AND r.status = 'admitted'))`,
		campaignID).Scan(&bad); err != nil || bad != 0 {
		t.Errorf("%d quota cells disagree with the responses or overshoot (%v)", bad, err)
	}
	v, err := logStore(pool).Verify(ctx, campaignID)
	if err != nil || !v.OK() {
		t.Errorf("sample log: %v %+v", err, v.Problems)
	}
}

// TestKillDuringLoad kills the server with SIGKILL while phones submit,
// and finds every response whose receipt was delivered in the database.
func TestKillDuringLoad(t *testing.T) {
	pool := dbtest.New(t)
	d, err := seedHonest(pool)
	if err != nil {
		t.Fatal(err)
	}
	cmd, base := startServer(t, dbtest.URL(pool))
	form := base + "/s/" + schoolLink(t, d)
	var mu sync.Mutex
	var receipts []string
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 24 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := newPhone(form)
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				tok, err := p.token()
				if err != nil {
					continue
				}
				if rc, _, _, err := p.submit(tok, w*1000+i); err == nil && rc != "" {
					mu.Lock()
					receipts = append(receipts, rc)
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	time.Sleep(200 * time.Millisecond)
	close(stop)
	wg.Wait()
	if len(receipts) < 50 {
		t.Fatalf("only %d receipts before the kill: the load did not run", len(receipts))
	}
	var found int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM responses WHERE receipt = ANY($1)`, receipts).Scan(&found); err != nil {
		t.Fatal(err)
	}
	if found != len(receipts) {
		t.Fatalf("%d receipts were delivered, %d of them are in the database", len(receipts), found)
	}
	t.Logf("%d receipts delivered before SIGKILL, all stored", len(receipts))
	consistent(t, pool, d.Campaign.ID)
}

// TestDatabaseRestartDuringLoad stops PostgreSQL under a running server and
// starts it again: meanwhile clients get a retryable 503, the server
// recovers on its own, and every form resent with its token is stored
// exactly once.
func TestDatabaseRestartDuringLoad(t *testing.T) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "renke-restart-") // the postgres user must reach it
	if err != nil {
		t.Fatal(err)
	}
	cluster, err := pgcluster.Start(ctx, dir, pgcluster.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Remove)
	if err := cluster.CreateDatabase(ctx, "renke", ""); err != nil {
		t.Fatal(err)
	}
	pool, err := database.Open(ctx, cluster.URL("renke"))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	d, err := seedHonest(pool)
	if err != nil {
		t.Fatal(err)
	}
	h, err := server.New(server.Config{SessionKey: []byte("restart-test-session-key-0123456789"), LogKey: testLogKey}, pool)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	form := srv.URL + "/s/" + schoolLink(t, d)

	var mu sync.Mutex
	receipts := map[string]string{} // token → receipt
	retryable := 0
	var other []string
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := newPhone(form)
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				tok, err := p.token()
				if err != nil {
					time.Sleep(100 * time.Millisecond)
					continue
				}
				// Like a parent told to try again: the same form, resent
				// until it is stored.
				for attempt := 0; attempt < 400; attempt++ {
					rc, status, body, err := p.submit(tok, w*1000+i)
					mu.Lock()
					switch {
					case err == nil && rc != "":
						if prev, ok := receipts[tok]; ok && prev != rc {
							other = append(other, "token answered with two receipts")
						}
						receipts[tok] = rc
					case err == nil && status == http.StatusServiceUnavailable && strings.Contains(body, "尚未保存"):
						retryable++
					case err == nil:
						other = append(other, fmt.Sprintf("%d %.200s", status, body))
					}
					mu.Unlock()
					if rc != "" {
						break
					}
					time.Sleep(50 * time.Millisecond)
				}
			}
		}()
	}
	time.Sleep(700 * time.Millisecond)
	cluster.Stop()
	time.Sleep(1500 * time.Millisecond) // clients meet the stopped database
	mu.Lock()
	during := retryable
	mu.Unlock()
	restarted, err := pgcluster.Start(ctx, cluster.Dir, pgcluster.Options{Port: cluster.Port})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(restarted.Stop)
	time.Sleep(1500 * time.Millisecond) // the server recovers without a restart
	close(stop)
	wg.Wait()

	if during == 0 {
		t.Error("no client was told to retry while the database was down")
	}
	if len(other) > 0 {
		t.Errorf("%d unexpected answers, first: %s", len(other), other[0])
	}
	var stored int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM responses`).Scan(&stored); err != nil {
		t.Fatalf("after the restart: %v", err)
	}
	distinct := map[string]bool{}
	for _, rc := range receipts {
		distinct[rc] = true
	}
	if stored != len(receipts) || len(distinct) != len(receipts) {
		t.Fatalf("%d forms acknowledged (%d distinct receipts), %d responses stored", len(receipts), len(distinct), stored)
	}
	t.Logf("%d forms stored once each; %d retryable answers while the database was down", stored, retryable)
	consistent(t, pool, d.Campaign.ID)
}

// TestTwoServersOneDatabase runs two server processes on one database and
// overfills a quota cell through both: the cell stops exactly at its
// target and the chain stays whole.
func TestTwoServersOneDatabase(t *testing.T) {
	ctx := context.Background()
	pool := dbtest.New(t)
	d, err := seedHonest(pool)
	if err != nil {
		t.Fatal(err)
	}
	const target = 60
	if _, err := pool.Exec(ctx, `UPDATE quota_cells SET target = $1 WHERE category = 'parent' AND locale = 'urban'`, target); err != nil {
		t.Fatal(err)
	}
	_, a := startServer(t, dbtest.URL(pool))
	_, b := startServer(t, dbtest.URL(pool))
	code := schoolLink(t, d)
	var wg sync.WaitGroup
	var mu sync.Mutex
	admitted, full, failed := 0, 0, 0
	var firstFailure string
	for w := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := newPhone([]string{a, b}[w%2] + "/s/" + code)
			for i := range 5 {
				tok, err := p.token()
				if errors.Is(err, errGroupFull) {
					mu.Lock()
					full++ // told before answering: the cell had filled
					mu.Unlock()
					continue
				}
				if err != nil {
					mu.Lock()
					failed++
					if firstFailure == "" {
						firstFailure = "form: " + err.Error()
					}
					mu.Unlock()
					continue
				}
				rc, status, body, err := p.submit(tok, w*10+i)
				mu.Lock()
				switch {
				case err != nil || (rc == "" && status != 200):
					failed++
					if firstFailure == "" {
						firstFailure = fmt.Sprintf("%d %v %.300s", status, err, body)
					}
				case strings.Contains(body, "名额已满"):
					full++
				case rc != "":
					var st string
					_ = pool.QueryRow(ctx, `SELECT status FROM responses WHERE receipt = $1`, rc).Scan(&st)
					if st == "admitted" {
						admitted++
					} else {
						full++
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if failed > 0 {
		t.Fatalf("%d submissions failed; the first: %s", failed, firstFailure)
	}
	var cell int
	if err := pool.QueryRow(ctx, `SELECT admitted FROM quota_cells WHERE category = 'parent' AND locale = 'urban'`).Scan(&cell); err != nil {
		t.Fatal(err)
	}
	if cell != target || admitted != target || admitted+full != 160 {
		t.Fatalf("cell %d, admitted receipts %d, over quota %d; want exactly %d admitted of 160", cell, admitted, full, target)
	}
	consistent(t, pool, d.Campaign.ID)
}

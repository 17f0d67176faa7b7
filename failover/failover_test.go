//go:build failover

// Package failover holds the province fault test (make failover): a
// pg_auto_failover monitor, a primary and a synchronous standby, two renke
// servers on a multi-host DATABASE_URL, parents submitting at load, and the
// primary's machine lost (SIGKILL of its postmaster and its pg_autoctl).
package failover

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"renke/database"
	"renke/demo"
	"renke/pgcluster"
	"renke/sampling"
	"renke/survey"
)

// cluster is the pg_auto_failover formation the test runs.
type cluster struct {
	t       *testing.T
	dir     string
	bin     string
	cred    *syscall.Credential
	monitor int    // port
	nodes   [2]int // ports
	procs   []*exec.Cmd
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// autoctl runs pg_autoctl as PostgreSQL's user, with its configuration and
// state under the test's directory; run starts it and leaves it running.
func (c *cluster) autoctl(name string, args ...string) *exec.Cmd {
	cmd := exec.Command("pg_autoctl", args...)
	cmd.Env = []string{"PATH=" + c.bin + ":/usr/bin:/bin", "HOME=" + c.dir, "XDG_CONFIG_HOME=" + filepath.Join(c.dir, "config"),
		"XDG_DATA_HOME=" + filepath.Join(c.dir, "data"), "XDG_RUNTIME_DIR=" + filepath.Join(c.dir, "run"), "LANG=C"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred, Setpgid: true}
	if name != "" {
		f, err := os.Create(filepath.Join(c.dir, name+".log"))
		if err != nil {
			c.t.Fatal(err)
		}
		cmd.Stdout, cmd.Stderr = f, f
	}
	return cmd
}

func (c *cluster) run(name string, args ...string) *exec.Cmd {
	cmd := c.autoctl(name, args...)
	if err := cmd.Start(); err != nil {
		c.t.Fatalf("pg_autoctl %s: %v", name, err)
	}
	c.procs = append(c.procs, cmd)
	return cmd
}

func (c *cluster) url(port int, db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", port, db)
}

// states is each data node's reported state, by port, as the monitor has it.
func (c *cluster) states(ctx context.Context) map[int]string {
	conn, err := pgx.Connect(ctx, c.url(c.monitor, "pg_auto_failover"))
	if err != nil {
		return nil
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT nodeport, reportedstate::text FROM pgautofailover.node`)
	if err != nil {
		return nil
	}
	out := map[int]string{}
	for rows.Next() {
		var port int
		var state string
		if rows.Scan(&port, &state) == nil {
			out[port] = state
		}
	}
	return out
}

// waitFor polls until ok or the deadline, failing with what it last saw.
func (c *cluster) waitFor(what string, within time.Duration, ok func() (bool, string)) {
	c.t.Helper()
	var last string
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		var done bool
		if done, last = ok(); done {
			return
		}
	}
	c.t.Fatalf("%s: not within %s (last: %s); logs in %s", what, within, last, c.dir)
}

func (c *cluster) exec(ctx context.Context, port int, db, sql string) error {
	conn, err := pgx.Connect(ctx, c.url(port, db))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

// startCluster starts the monitor, the primary and the standby, as the
// README's province set-up does, and waits until the standby is
// synchronous.
func startCluster(t *testing.T) *cluster {
	bin, err := pgcluster.BinDir()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("pg_autoctl"); err != nil {
		t.Fatal("pg_autoctl not found: install pg_auto_failover (Debian: apt-get install postgresql-15-auto-failover)")
	}
	dir, err := os.MkdirTemp("", "renke-failover-")
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{t: t, dir: dir, bin: bin, monitor: freePort(t), nodes: [2]int{freePort(t), freePort(t)}}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatal("running as root needs a postgres user to run PostgreSQL as")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		_ = os.Chmod(dir, 0o755)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(c.stop)
	ctx := context.Background()

	c.run("monitor", "create", "monitor", "--pgdata", filepath.Join(dir, "monitor"), "--pgport", strconv.Itoa(c.monitor),
		"--hostname", "127.0.0.1", "--auth", "trust", "--no-ssl", "--run")
	c.waitFor("the monitor", time.Minute, func() (bool, string) {
		return c.states(ctx) != nil, "no answer"
	})
	// Failover in seconds rather than the defaults' half minute: health
	// checks every second, a node unhealthy after three, and the old
	// primary given five to demote itself before the standby is promoted.
	for _, set := range []string{"health_check_period = 1000", "health_check_timeout = 1000", "health_check_max_retries = 1",
		"health_check_retry_delay = 500", "node_considered_unhealthy_timeout = 3000", "primary_demote_timeout = 5000"} {
		if err := c.exec(ctx, c.monitor, "pg_auto_failover", "ALTER SYSTEM SET pgautofailover."+set); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.exec(ctx, c.monitor, "pg_auto_failover", "SELECT pg_reload_conf()"); err != nil {
		t.Fatal(err)
	}
	monitorURL := fmt.Sprintf("postgres://autoctl_node@127.0.0.1:%d/pg_auto_failover?sslmode=disable", c.monitor)
	for i, port := range c.nodes {
		name := fmt.Sprintf("node%d", i+1)
		c.run(name, "create", "postgres", "--pgdata", filepath.Join(dir, name), "--pgport", strconv.Itoa(port),
			"--hostname", "127.0.0.1", "--name", name, "--auth", "trust", "--no-ssl", "--dbname", "renke", "--monitor", monitorURL, "--run")
		want := map[int]string{0: "single", 1: "secondary"}[i] // single until a standby joins
		c.waitFor(name+" "+want, 3*time.Minute, func() (bool, string) {
			// The standby's base backup waits for a checkpoint; ask for it now.
			_ = c.exec(ctx, c.nodes[0], "postgres", "CHECKPOINT")
			s := c.states(ctx)
			return s[port] == want, fmt.Sprint(s)
		})
	}
	c.waitFor("a synchronous standby", time.Minute, func() (bool, string) {
		s := c.states(ctx)
		var sync string
		if conn, err := pgx.Connect(ctx, c.url(c.nodes[0], "postgres")); err == nil {
			_ = conn.QueryRow(ctx, "SHOW synchronous_standby_names").Scan(&sync)
			conn.Close(ctx)
		}
		return s[c.nodes[0]] == "primary" && s[c.nodes[1]] == "secondary" && sync != "", fmt.Sprint(s, " sync=", sync)
	})
	return c
}

// kill is the loss of a node's machine: its pg_autoctl and every process
// under it, and its postmaster, killed with SIGKILL.
func (c *cluster) kill(node int) {
	pidFile, err := os.ReadFile(filepath.Join(c.dir, fmt.Sprintf("node%d", node+1), "postmaster.pid"))
	if err != nil {
		c.t.Fatal(err)
	}
	postmaster, _ := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(pidFile), "\n", 2)[0]))
	keeper := c.procs[1+node]
	_ = syscall.Kill(-keeper.Process.Pid, syscall.SIGKILL)
	_ = syscall.Kill(postmaster, syscall.SIGKILL)
}

func (c *cluster) stop() {
	for _, p := range c.procs {
		if p.Process != nil {
			_ = syscall.Kill(-p.Process.Pid, syscall.SIGKILL)
			_ = p.Wait()
		}
	}
	for _, d := range []string{"monitor", "node1", "node2"} {
		stop := exec.Command(filepath.Join(c.bin, "pg_ctl"), "-D", filepath.Join(c.dir, d), "stop", "-m", "immediate")
		stop.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
		_ = stop.Run()
	}
	if !c.t.Failed() {
		_ = os.RemoveAll(c.dir)
	}
}

var (
	tokenRE   = regexp.MustCompile(`name="token" value="([^"]+)"`)
	receiptRE = regexp.MustCompile(`class="receipt">([A-Z0-9]+)<`)
)

// sent is one parent's submission: its token (the submission id rides in
// it), the receipt delivered, and how many attempts failed before it.
type sent struct {
	token, receipt string
	failed         int
	server         string
}

func TestFailover(t *testing.T) {
	ctx := context.Background()
	c := startCluster(t)
	dbURL := fmt.Sprintf("postgres://postgres@127.0.0.1:%d,127.0.0.1:%d/renke?target_session_attrs=read-write&sslmode=disable&connect_timeout=2",
		c.nodes[0], c.nodes[1])
	pool, err := database.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	logKey, err := survey.GenerateLogKey("failover.test")
	if err != nil {
		t.Fatal(err)
	}
	key, _ := survey.ParseLogKey(logKey)
	// Quotas as a floor: every answer counts, so the form stays open and
	// the load goes on through and after the failover.
	d, err := demo.SeedWith(ctx, pool, demo.Options{LogKey: key, Policy: sampling.Floor})
	if err != nil {
		t.Fatal(err)
	}
	pool.Close()
	var link string
	for _, l := range d.Links {
		if l.Label == "示范县实验小学家长" {
			link = l.Code
		}
	}

	// Two renke servers, as a proxy would have them behind it.
	bin := filepath.Join(c.dir, "renke")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	var servers []*exec.Cmd
	var bases []string
	for i := range 2 {
		port := freePort(t)
		cmd := exec.Command(bin)
		cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL, "LISTEN_ADDR=127.0.0.1:"+strconv.Itoa(port), "SUBMIT_RATE=off",
			"SESSION_KEY=failover-test-session-key-0123456789", "LOG_KEY="+logKey, "DATA_DIR="+filepath.Join(c.dir, "renke"))
		f, _ := os.Create(filepath.Join(c.dir, fmt.Sprintf("renke%d.log", i+1)))
		cmd.Stdout, cmd.Stderr = f, f
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		servers = append(servers, cmd)
		bases = append(bases, fmt.Sprintf("http://127.0.0.1:%d", port))
	}
	client := &http.Client{Timeout: 10 * time.Second}
	status := func(u string) int {
		resp, err := client.Get(u)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, b := range bases {
		c.waitFor("renke at "+b+" ready", time.Minute, func() (bool, string) {
			s := status(b + "/readyz")
			return s == http.StatusOK, strconv.Itoa(s)
		})
	}

	// Parents at load: each gets a form and submits it until it is
	// stored, resending the same form (and submission id) after an error.
	var (
		mu        sync.Mutex
		done      []sent
		stop      atomic.Bool
		failures  atomic.Int64
		firstOK   atomic.Int64 // unix nanos of the first receipt after the kill
		killedAt  atomic.Int64
		wg        sync.WaitGroup
		otherErrs []string
		formErrs  = map[string]int{}
	)
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			base := bases[w%2]
			form := base + "/s/" + link
			for i := 0; !stop.Load(); i++ {
				resp, err := client.Get(form + "?c=parent")
				if err != nil {
					time.Sleep(200 * time.Millisecond)
					continue
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				m := tokenRE.FindSubmatch(b)
				if m == nil {
					mu.Lock()
					formErrs[fmt.Sprintf("%d %.80s", resp.StatusCode, b)]++
					mu.Unlock()
					time.Sleep(200 * time.Millisecond)
					continue
				}
				s := sent{token: string(m[1]), server: base}
				v := url.Values{"token": {s.token}, "category": {"parent"}, "band": {"3-4"}}
				for j := 1; j <= 12; j++ {
					v.Set(fmt.Sprintf("a_S%02d", j), []string{"A", "B", "C", "A", "X"}[(w+i+j)%5])
				}
				for attempt := 0; ; attempt++ {
					if attempt > 600 {
						mu.Lock()
						otherErrs = append(otherErrs, "a submission never stored after 600 attempts")
						mu.Unlock()
						return
					}
					resp, err := client.PostForm(form, v)
					if err == nil {
						b, _ := io.ReadAll(resp.Body)
						resp.Body.Close()
						if rc := receiptRE.FindSubmatch(b); resp.StatusCode == http.StatusOK && rc != nil {
							s.receipt = string(rc[1])
							if k := killedAt.Load(); k != 0 && time.Now().UnixNano() > k+int64(time.Second) {
								firstOK.CompareAndSwap(0, time.Now().UnixNano())
							}
							break
						}
						if resp.StatusCode != http.StatusServiceUnavailable {
							mu.Lock()
							otherErrs = append(otherErrs, fmt.Sprintf("%d %.200s", resp.StatusCode, b))
							mu.Unlock()
						}
					}
					s.failed++
					failures.Add(1)
					time.Sleep(250 * time.Millisecond)
				}
				mu.Lock()
				done = append(done, s)
				mu.Unlock()
			}
		}()
	}

	time.Sleep(4 * time.Second)
	mu.Lock()
	before := len(done)
	mu.Unlock()
	pids := []int{servers[0].Process.Pid, servers[1].Process.Pid}
	killedAt.Store(time.Now().UnixNano())
	c.kill(0)
	t.Logf("killed the primary (node1: pg_autoctl and postmaster, SIGKILL) after %d receipts", before)

	// Readiness goes down, then up on the new primary.
	sawDown := false
	var promoted time.Duration
	c.waitFor("node2 promoted", 2*time.Minute, func() (bool, string) {
		if status(bases[0]+"/readyz") == http.StatusServiceUnavailable {
			sawDown = true
		}
		s := c.states(ctx)
		ok := s[c.nodes[1]] == "wait_primary" || s[c.nodes[1]] == "primary"
		if ok {
			promoted = time.Since(time.Unix(0, killedAt.Load()))
		}
		return ok, fmt.Sprint(s)
	})
	c.waitFor("both servers ready again", time.Minute, func() (bool, string) {
		a, b := status(bases[0]+"/readyz"), status(bases[1]+"/readyz")
		return a == http.StatusOK && b == http.StatusOK, fmt.Sprint(a, b)
	})
	c.waitFor("receipts after the failover", time.Minute, func() (bool, string) {
		return firstOK.Load() != 0, "none yet"
	})
	time.Sleep(5 * time.Second) // load on the new primary
	stop.Store(true)
	wg.Wait()
	if len(otherErrs) > 0 {
		t.Errorf("answers other than a receipt or a retryable 503: %q", otherErrs[:min(5, len(otherErrs))])
	}
	if len(formErrs) > 0 {
		t.Logf("forms not served: %v", formErrs)
	}
	if !sawDown {
		t.Error("/readyz never said the database was not writable during the failover")
	}

	// The servers rode through: the same processes, still running.
	for i, s := range servers {
		if s.Process.Pid != pids[i] || s.ProcessState != nil || syscall.Kill(s.Process.Pid, 0) != nil {
			t.Errorf("server %d was restarted or stopped", i+1)
		}
	}

	// Every delivered receipt is on the new primary, once.
	np, err := pgxpool.New(ctx, c.url(c.nodes[1], "renke"))
	if err != nil {
		t.Fatal(err)
	}
	defer np.Close()
	var receipts []string
	retried := 0
	for _, s := range done {
		receipts = append(receipts, s.receipt)
		if s.failed > 0 {
			retried++
		}
	}
	var found, total int
	if err := np.QueryRow(ctx, `SELECT count(*) FILTER (WHERE receipt = ANY($1)), count(*) FROM responses`, receipts).Scan(&found, &total); err != nil {
		t.Fatal(err)
	}
	lost := len(receipts) - found
	if lost != 0 || total != len(receipts) {
		t.Errorf("receipts delivered %d, on the new primary %d, responses stored %d: %d lost", len(receipts), found, total, lost)
	}
	// A resubmission of every request that failed, with its id, stores
	// nothing new and answers the first receipt.
	for _, s := range done {
		if s.failed == 0 {
			continue
		}
		v := url.Values{"token": {s.token}, "category": {"parent"}, "band": {"3-4"}}
		for j := 1; j <= 12; j++ {
			v.Set(fmt.Sprintf("a_S%02d", j), "A")
		}
		resp, err := client.PostForm(s.server+"/s/"+link, v)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if rc := receiptRE.FindSubmatch(b); rc == nil || string(rc[1]) != s.receipt {
			t.Errorf("resubmitting %s: %d %.200s", s.receipt, resp.StatusCode, b)
		}
	}
	var after int
	_ = np.QueryRow(ctx, `SELECT count(*) FROM responses`).Scan(&after)
	if after != total {
		t.Errorf("resubmissions stored %d more responses", after-total)
	}
	// Quotas exact, and the sample log verifies on the new primary.
	var bad int
	// (A floor lets a cell pass its target; its count must still be exact.)
	if err := np.QueryRow(ctx, `SELECT count(*) FROM quota_cells q WHERE admitted <>
		(SELECT count(*) FROM responses r WHERE r.campaign_id = q.campaign_id AND r.category = q.category AND r.locale = q.locale AND r.status = 'admitted')`).Scan(&bad); err != nil || bad != 0 {
		t.Errorf("%d quota cells disagree with the responses (%v)", bad, err)
	}
	st := survey.NewStore(np)
	st.UseLogKey(key)
	v, err := st.Verify(ctx, d.Campaign.ID)
	if err != nil || !v.OK() {
		t.Errorf("sample log on the new primary: %v %+v", err, v.Problems)
	}
	t.Logf("FAILOVER FIGURES: time to the new primary %.1f s (monitor reports node2 %s); first receipt after the kill %.1f s after it; "+
		"%d failed requests retried (%d submissions needed a retry); %d receipts checked on the new primary; responses lost: %d; "+
		"sample log: %d leaves, %d problems",
		promoted.Seconds(), c.states(ctx)[c.nodes[1]], time.Duration(firstOK.Load()-killedAt.Load()).Seconds(),
		failures.Load(), retried, len(receipts), lost, v.Size, len(v.Problems))
	if errors.Is(ctx.Err(), context.Canceled) {
		t.Fatal("cancelled")
	}
}

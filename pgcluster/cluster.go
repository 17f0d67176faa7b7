// Package pgcluster runs a private PostgreSQL cluster from the machine's own
// PostgreSQL binaries: for `make run` when DATABASE_URL is unset, and for the
// test suite. When the process runs as root, initdb and postgres run as the
// "postgres" user, since PostgreSQL refuses to run as root.
package pgcluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Cluster is a running PostgreSQL server listening on 127.0.0.1, with no
// Unix socket. Its one role, renke, signs in with a password generated
// when the cluster is made (SCRAM-SHA-256; nothing is trusted), kept in
// the file beside the data directory (PasswordFile, mode 0600), so another
// user of the machine cannot connect.
type Cluster struct {
	Dir      string
	Port     int
	password string
	cmd      *exec.Cmd
	done     chan error
	stop     sync.Once
}

// PasswordFile is where the password of the cluster in dir is kept.
func PasswordFile(dir string) string { return filepath.Clean(dir) + ".password" }

// hba is the cluster's whole client authentication: a password over TCP
// from this machine, nothing else.
const hba = "# renke: a password over TCP from this machine only; never trust.\nhost all all 127.0.0.1/32 scram-sha-256\n"

// Options tune a cluster.
type Options struct {
	Port int // 0 picks a free port
	// Durable keeps fsync on. Tests turn it off for speed; a dev cluster
	// that keeps data between runs leaves it on.
	Durable bool
}

// BinDir finds the directory holding initdb and postgres: PATH first, then
// the newest /usr/lib/postgresql/*/bin.
func BinDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if _, err := exec.LookPath("postgres"); err == nil {
			if real, err := filepath.EvalSymlinks(p); err == nil {
				p = real // the directory that also holds psql and pgbench
			}
			return filepath.Dir(p), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "postgres")); err == nil {
			return d, nil
		}
	}
	return "", errors.New("PostgreSQL server binaries (initdb, postgres) not found: install PostgreSQL 15 or newer (Debian: apt-get install postgresql)")
}

func version(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// Start initialises dir when it holds no cluster yet and starts PostgreSQL
// on it. The server is a child of this process and dies with it.
func Start(ctx context.Context, dir string, opt Options) (*Cluster, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	cred, err := runAs()
	if err != nil {
		return nil, err
	}
	// The parents must be traversable by the postgres user when we are root.
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, err
		}
	}
	password, legacy := "", false
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if password, err = newPassword(dir); err != nil {
			return nil, err
		}
		if err := initdb(ctx, bin, dir, password, cred); err != nil {
			return nil, err
		}
	} else if b, err := os.ReadFile(PasswordFile(dir)); err == nil {
		password = strings.TrimSpace(string(b))
	} else if errors.Is(err, os.ErrNotExist) {
		legacy = true // made by an older renke, with trust: given a password below
	} else {
		return nil, err
	}
	if !legacy {
		if err := writeHBA(dir, cred); err != nil {
			return nil, err
		}
	}
	if err := makeWay(ctx, bin, dir, cred); err != nil {
		return nil, err
	}
	port := opt.Port
	if port == 0 {
		if port, err = freePort(); err != nil {
			return nil, err
		}
	}
	args := []string{"-D", dir, "-p", strconv.Itoa(port), "-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories=", "-c", "max_connections=200", "-c", "shared_buffers=128MB"}
	if !opt.Durable {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	cmd := exec.Command(filepath.Join(bin, "postgres"), args...)
	logFile, err := os.OpenFile(filepath.Join(dir, "server.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	c := &Cluster{Dir: dir, Port: port, password: password, cmd: cmd, done: make(chan error, 1)}
	go func() { c.done <- cmd.Wait(); logFile.Close() }()
	if err := c.waitReady(ctx); err != nil {
		c.Stop()
		log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
		return nil, fmt.Errorf("%w\n%s", err, tail(string(log), 2000))
	}
	if legacy {
		if err := c.secure(ctx, cred); err != nil {
			c.Stop()
			return nil, fmt.Errorf("give the development cluster a password: %w", err)
		}
	}
	return c, nil
}

// makeWay clears dir for a postmaster of this process's own. A
// postmaster started on dir from outside (pg_ctl restart, which leaves
// the server no longer this process's child) is stopped with pg_ctl; a
// lock file (postmaster.pid) left by a server that is gone is removed once
// no process of that server is left: PostgreSQL's processes keep the data
// directory as their working directory, so any live one is found by it,
// and an orphaned backend is shut down (SIGQUIT) before the lock goes, as
// two servers on one directory would corrupt it.
func makeWay(ctx context.Context, bin, dir string, cred *syscall.Credential) error {
	lock := filepath.Join(dir, "postmaster.pid")
	b, err := os.ReadFile(lock)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	procs := serverProcesses(dir)
	first, _, _ := strings.Cut(string(b), "\n")
	if pid, err := strconv.Atoi(strings.TrimSpace(first)); err == nil && slices.Contains(procs, pid) {
		cmd := exec.CommandContext(ctx, filepath.Join(bin, "pg_ctl"), "stop", "-D", dir, "-m", "fast", "-w", "-t", "60")
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("stop the PostgreSQL started on %s from outside: %v\n%s", dir, err, out)
		}
		return nil
	}
	for _, pid := range procs {
		_ = syscall.Kill(pid, syscall.SIGQUIT)
	}
	for deadline := time.Now().Add(30 * time.Second); len(serverProcesses(dir)) > 0; {
		if time.Now().After(deadline) {
			return fmt.Errorf("processes of an earlier PostgreSQL on %s do not exit: %v", dir, serverProcesses(dir))
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := os.Remove(lock); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// serverProcesses lists the live processes whose working directory is
// dir: a PostgreSQL server's on that data directory.
func serverProcesses(dir string) []int {
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		if cwd, err := os.Readlink(filepath.Join("/proc", e.Name(), "cwd")); err == nil && cwd == dir {
			out = append(out, pid)
		}
	}
	return out
}

// newPassword makes the cluster's password and keeps it in its file,
// readable by this user only.
func newPassword(dir string) (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	password := hex.EncodeToString(b)
	return password, os.WriteFile(PasswordFile(dir), []byte(password+"\n"), 0o600)
}

// initdb makes a cluster in dir whose role renke has the password.
func initdb(ctx context.Context, bin, dir, password string, cred *syscall.Credential) error {
	// initdb reads the password from a file, as the postgres user when we
	// are root: a file of its own, removed at once.
	pw, err := os.CreateTemp("", "renke-pw-")
	if err != nil {
		return err
	}
	defer os.Remove(pw.Name())
	if _, err := pw.WriteString(password + "\n"); err != nil {
		return err
	}
	pw.Close()
	if cred != nil {
		if err := os.Chown(pw.Name(), int(cred.Uid), int(cred.Gid)); err != nil {
			return err
		}
	}
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "-D", dir, "-U", "renke", "--pwfile="+pw.Name(),
		"--auth=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-sync")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb %s: %v\n%s", dir, err, out)
	}
	return nil
}

// writeHBA makes the cluster's client authentication hba, whatever it was.
func writeHBA(dir string, cred *syscall.Credential) error {
	path := filepath.Join(dir, "pg_hba.conf")
	if err := os.WriteFile(path, []byte(hba), 0o600); err != nil {
		return err
	}
	if cred != nil {
		return os.Chown(path, int(cred.Uid), int(cred.Gid))
	}
	return nil
}

// secure gives a cluster made with trust by an older renke its password
// and the password-only client authentication, and reloads it.
func (c *Cluster) secure(ctx context.Context, cred *syscall.Credential) error {
	password, err := newPassword(c.Dir)
	if err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, c.URL("postgres")) // still trusted, for the last time
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "SET password_encryption = 'scram-sha-256'"); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "ALTER ROLE renke PASSWORD "+quoteLiteral(password)); err != nil {
		return err
	}
	if err := writeHBA(c.Dir, cred); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "SELECT pg_reload_conf()"); err != nil {
		return err
	}
	c.password = password
	return nil
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// URL is the connection string of database db on this cluster.
func (c *Cluster) URL(db string) string {
	u := url.URL{Scheme: "postgres", Host: fmt.Sprintf("127.0.0.1:%d", c.Port), Path: "/" + db, RawQuery: "sslmode=disable"}
	if c.password != "" {
		u.User = url.UserPassword("renke", c.password)
	} else {
		u.User = url.User("renke")
	}
	return u.String()
}

// CreateDatabase creates database name unless it exists.
func (c *Cluster) CreateDatabase(ctx context.Context, name, template string) error {
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil || exists {
		return err
	}
	sql := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize()
	if template != "" {
		sql += " TEMPLATE " + pgx.Identifier{template}.Sanitize()
	}
	_, err = conn.Exec(ctx, sql)
	return err
}

func (c *Cluster) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-c.done:
			c.done <- err
			return fmt.Errorf("postgres exited during start: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		conn, err := pgx.Connect(ctx, c.URL("postgres"))
		if err == nil {
			conn.Close(ctx)
			return nil
		}
	}
	return errors.New("postgres did not accept connections within 60 s")
}

// Stop shuts the server down (fast shutdown) and waits for it. Stopping
// again does nothing.
func (c *Cluster) Stop() {
	c.stop.Do(func() {
		if c.cmd.Process == nil {
			return
		}
		_ = c.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-c.done:
		case <-time.After(30 * time.Second):
			_ = c.cmd.Process.Kill()
			<-c.done
		}
	})
}

// Remove stops the server and deletes its data directory.
func (c *Cluster) Remove() {
	c.Stop()
	_ = os.RemoveAll(c.Dir)
	_ = os.Remove(PasswordFile(c.Dir))
}

// runAs returns the credential of the postgres user when running as root.
func runAs() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, errors.New(`running as root, and PostgreSQL refuses to run as root: create a "postgres" user (it comes with Debian's postgresql package)`)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[strings.LastIndex(s[:len(s)-n], "\n")+1:]
}

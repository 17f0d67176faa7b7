package pgcluster

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
)

// The development cluster trusts no one: without its password nobody can
// connect, the password file is the owner's alone, and there is no Unix
// socket to reach it by.
func TestClusterNeedsItsPassword(t *testing.T) {
	ctx := context.Background()
	dir := clusterDir(t)
	c, err := Start(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Remove()

	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		t.Fatalf("with the password: %v", err)
	}
	conn.Close(ctx)

	for name, url := range map[string]string{
		"no password":    strings.Replace(c.URL("postgres"), ":"+c.password+"@", "@", 1),
		"wrong password": strings.Replace(c.URL("postgres"), c.password, "wrong", 1),
		"another role":   strings.Replace(c.URL("postgres"), "renke:", "postgres:", 1),
	} {
		if conn, err := pgx.Connect(ctx, url); err == nil {
			conn.Close(ctx)
			t.Errorf("%s: connected", name)
		}
	}
	if fi, err := os.Stat(PasswordFile(dir)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("password file: %v %v", fi.Mode(), err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("data directory: %v %v", fi.Mode(), err)
	}
	hba, _ := os.ReadFile(filepath.Join(dir, "pg_hba.conf"))
	if strings.Contains(string(hba), "trust") && !strings.Contains(string(hba), "never trust") {
		t.Errorf("pg_hba.conf trusts someone:\n%s", hba)
	}
	// Another user of the machine: psql as nobody, without the password
	// file, is refused.
	if os.Geteuid() == 0 {
		bin, _ := BinDir()
		cmd := exec.Command("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
			filepath.Join(bin, "psql"), "-h", "127.0.0.1", "-p", itoa(c.Port), "-U", "renke", "-w", "-c", "SELECT 1", "postgres")
		cmd.Env = []string{"PGCONNECT_TIMEOUT=5"}
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Errorf("another local user connected: %s", out)
		} else if !strings.Contains(string(out), "password") {
			t.Errorf("psql as nobody failed, but not for want of the password: %s", out)
		}
	}
}

// A cluster made by an older renke, with trust, gets a password on its
// next start.
func TestLegacyTrustClusterIsSecured(t *testing.T) {
	ctx := context.Background()
	dir := clusterDir(t)
	c, err := Start(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	c.Stop()
	// Undo: trust, and no password file, as the old code left it.
	if err := os.WriteFile(filepath.Join(dir, "pg_hba.conf"), []byte("host all all 127.0.0.1/32 trust\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if cred, _ := runAs(); cred != nil {
		_ = os.Chown(filepath.Join(dir, "pg_hba.conf"), int(cred.Uid), int(cred.Gid))
	}
	os.Remove(PasswordFile(dir))
	c, err = Start(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Remove()
	if _, err := os.Stat(PasswordFile(dir)); err != nil {
		t.Fatalf("no password file: %v", err)
	}
	if conn, err := pgx.Connect(ctx, c.URL("postgres")); err != nil {
		t.Errorf("with the new password: %v", err)
	} else {
		conn.Close(ctx)
	}
	if conn, err := pgx.Connect(ctx, strings.Replace(c.URL("postgres"), ":"+c.password+"@", "@", 1)); err == nil {
		conn.Close(ctx)
		t.Error("still trusted without a password")
	}
}

// The cluster starts again after its PostgreSQL was restarted from
// outside (pg_ctl restart: a server no longer this process's child, still
// holding postmaster.pid), and after a server that left its lock file
// behind is gone (killed with its lock file in place).
func TestStartsOverAStaleServer(t *testing.T) {
	ctx := context.Background()
	dir := clusterDir(t)
	c, err := Start(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	bin, _ := BinDir()
	cred, _ := runAs()
	restart := exec.Command(filepath.Join(bin, "pg_ctl"), "restart", "-D", dir, "-m", "fast", "-w", "-l", filepath.Join(dir, "outside.log"))
	if cred != nil {
		restart = exec.Command("setpriv", append([]string{"--reuid=postgres", "--regid=postgres", "--init-groups", restart.Path}, restart.Args[1:]...)...)
	}
	if out, err := restart.CombinedOutput(); err != nil {
		t.Fatalf("pg_ctl restart: %v\n%s", err, out)
	}
	c.Stop() // our child is gone already; the outside server stays
	if len(serverProcesses(dir)) == 0 {
		t.Fatal("no outside server to make way for")
	}
	c, err = Start(ctx, dir, Options{})
	if err != nil {
		t.Fatalf("start over a server started from outside: %v", err)
	}
	if conn, err := pgx.Connect(ctx, c.URL("postgres")); err != nil {
		t.Errorf("connect: %v", err)
	} else {
		conn.Close(ctx)
	}
	// Killed outright, the server leaves postmaster.pid behind.
	_ = c.cmd.Process.Kill()
	<-c.done
	for _, pid := range serverProcesses(dir) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	if _, err := os.Stat(filepath.Join(dir, "postmaster.pid")); err != nil {
		t.Fatalf("no stale lock file to test: %v", err)
	}
	c, err = Start(ctx, dir, Options{})
	if err != nil {
		t.Fatalf("start over a stale lock file: %v", err)
	}
	c.Remove()
}

func itoa(i int) string { return strconv.Itoa(i) }

// clusterDir is a fresh directory for a cluster whose parent the postgres
// user may traverse (t.TempDir is root's alone when we are root).
func clusterDir(t *testing.T) string {
	parent, err := os.MkdirTemp("", "renke-pgcluster-test-")
	if err != nil {
		t.Fatal(err)
	}
	_ = os.Chmod(parent, 0o755)
	t.Cleanup(func() { os.RemoveAll(parent) })
	return filepath.Join(parent, "pg")
}

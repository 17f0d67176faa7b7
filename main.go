// Command renke serves the social-recognition survey (社会认可度调查) of the
// county compulsory-education quality-balanced evaluation.
//
//	renke                        serve (the default)
//	renke create-admin NAME      create a platform admin; the password is read from stdin
//	renke migrate                apply the database migrations and exit
//	renke verify CAMPAIGN_ID     recompute a campaign's sample chain; exit 1 naming every discrepancy
//	renke healthcheck            exit 0 when the local server answers /healthz (for containers)
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/text/width"

	"renke/database"
	"renke/demo"
	"renke/pgcluster"
	"renke/server"
	"renke/staff"
	"renke/survey"
)

func main() {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, nil)))
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(server.MemoryLimit)
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(server.GCPercent)
	}
	if err := run(os.Args[1:]); err != nil {
		slog.Error("renke stopped", "error", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := server.ConfigFromEnv(os.Getenv)
	if err != nil {
		return err
	}
	cmd := "serve"
	if len(args) > 0 {
		cmd = args[0]
	}
	switch cmd {
	case "serve", "migrate", "create-admin", "verify":
	case "healthcheck":
		return healthcheck(cfg)
	default:
		return fmt.Errorf("unknown command %q: want serve, migrate, create-admin, verify or healthcheck", cmd)
	}

	local := cfg.DatabaseURL == ""
	if local {
		cluster, err := startLocal(ctx, &cfg)
		if err != nil {
			return err
		}
		defer cluster.Stop()
	} else if len(cfg.SessionKey) == 0 {
		return errors.New("SESSION_KEY must be set (at least 32 random characters) when DATABASE_URL is set")
	}
	pool, err := database.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()

	switch cmd {
	case "migrate":
		return nil
	case "create-admin":
		return createAdmin(ctx, pool, args[1:])
	case "verify":
		return verify(ctx, pool, args[1:], os.Stdout)
	}
	if local {
		if err := seedDemo(ctx, pool, cfg); err != nil {
			return err
		}
	}
	return serve(ctx, cfg, pool)
}

// startLocal runs the development cluster under DATA_DIR/pg and keeps a
// session key beside it, so logins survive restarts.
func startLocal(ctx context.Context, cfg *server.Config) (*pgcluster.Cluster, error) {
	dir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	slog.Info("DATABASE_URL is unset: starting a local PostgreSQL", "dir", filepath.Join(dir, "pg"))
	cluster, err := pgcluster.Start(ctx, filepath.Join(dir, "pg"), pgcluster.Options{Durable: true})
	if err != nil {
		return nil, err
	}
	if err := cluster.CreateDatabase(ctx, "renke", ""); err != nil {
		cluster.Stop()
		return nil, err
	}
	cfg.DatabaseURL = cluster.URL("renke")
	if len(cfg.SessionKey) == 0 {
		keyFile := filepath.Join(dir, "session.key")
		key, err := os.ReadFile(keyFile)
		if err != nil {
			b := make([]byte, 32)
			_, _ = rand.Read(b)
			key = []byte(hex.EncodeToString(b))
			if err := os.WriteFile(keyFile, key, 0o600); err != nil {
				cluster.Stop()
				return nil, err
			}
		}
		cfg.SessionKey = key
	}
	return cluster, nil
}

func seedDemo(ctx context.Context, pool *pgxpool.Pool, cfg server.Config) error {
	seeded, err := demo.Seed(ctx, pool)
	if err != nil {
		return err
	}
	first := seeded != nil
	if !first {
		// Started before: say where things are all the same.
		if seeded, err = demo.Find(ctx, pool); err != nil || seeded == nil {
			return err
		}
	}
	base := cfg.BaseURL
	if base == "" {
		base = "http://" + cfg.ListenAddr
	}
	var b strings.Builder
	if first {
		fmt.Fprintf(&b, "\nDemo county %q seeded with an open campaign. Respondent links:\n", seeded.Unit.Name)
	} else {
		fmt.Fprintf(&b, "\nDemo county %q (seeded on the first start). Respondent links:\n", seeded.Unit.Name)
	}
	width := 0
	for _, l := range seeded.Links {
		width = max(width, displayWidth(l.Label))
	}
	for _, l := range seeded.Links {
		pad := strings.Repeat(" ", width-displayWidth(l.Label))
		fmt.Fprintf(&b, "  %s%s  %s/s/%s   (poster: %s/s/%s/poster)\n", l.Label, pad, base, l.Code, base, l.Code)
	}
	fmt.Fprintf(&b, "Staff console: %s/console   login (local demo only): %s / %s\n", base, demo.Username, demo.Password)
	fmt.Fprintf(&b, "Survey of the demo county (setup, QR posters, dashboard): %s/console/campaigns/%d\n", base, seeded.Campaign.ID)
	fmt.Fprintf(&b, "Indicator evaluation of the demo county: %s/console/units/%d/evaluation\n\n", base, seeded.Unit.ID)
	fmt.Fprint(os.Stderr, b.String())
	return nil
}

func createAdmin(ctx context.Context, pool *pgxpool.Pool, args []string) error {
	if len(args) != 1 {
		return errors.New("usage: renke create-admin USERNAME (the password is read from standard input)")
	}
	fmt.Fprint(os.Stderr, "Password (at least 10 characters): ")
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return errors.New("no password on standard input")
	}
	acct, err := staff.NewStore(pool).Create(ctx, args[0], strings.TrimRight(line, "\r\n"), staff.Grant{Role: staff.Admin})
	if err != nil {
		return err
	}
	slog.Info("admin created", "username", acct.Username)
	return nil
}

// verify recomputes a campaign's chain and prints the result; any
// discrepancy is an error, so the exit status tells a script.
func verify(ctx context.Context, pool *pgxpool.Pool, args []string, out io.Writer) error {
	if len(args) != 1 {
		return errors.New("usage: renke verify CAMPAIGN_ID")
	}
	id, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil {
		return fmt.Errorf("campaign id %q is not a number", args[0])
	}
	v, err := survey.NewStore(pool).Verify(ctx, id)
	if errors.Is(err, survey.ErrNotFound) {
		return fmt.Errorf("campaign %d not found", id)
	} else if err != nil {
		return err
	}
	fmt.Fprintf(out, "campaign %d: %d entries, head %s\n", id, v.Length, v.Head)
	if v.SealedLength != nil {
		fmt.Fprintf(out, "sealed at close: %d entries, head %s\n", *v.SealedLength, v.SealedHead)
	}
	for _, p := range v.Problems {
		fmt.Fprintf(out, "%s\t%s\n", p.Kind, p.Text)
	}
	if !v.OK() {
		return fmt.Errorf("campaign %d: %d discrepancies in the sample chain", id, len(v.Problems))
	}
	fmt.Fprintln(out, "ok: every entry matches its response; nothing changed, removed or inserted")
	return nil
}

func serve(ctx context.Context, cfg server.Config, pool *pgxpool.Pool) error {
	e, err := server.New(cfg, pool)
	if err != nil {
		return err
	}
	srv := &http.Server{Addr: cfg.ListenAddr, Handler: e, ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	slog.Info("listening", "addr", cfg.ListenAddr)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	slog.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}

// healthcheck asks the server on LISTEN_ADDR for /healthz.
func healthcheck(cfg server.Config) error {
	host, port, err := net.SplitHostPort(cfg.ListenAddr)
	if err != nil {
		return err
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("http://" + net.JoinHostPort(host, port) + "/healthz")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthz: %s", resp.Status)
	}
	return nil
}

// displayWidth is how many terminal columns s takes: East Asian wide and
// full-width characters take two.
func displayWidth(s string) int {
	w := 0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			w += 2
		default:
			w++
		}
	}
	return w
}

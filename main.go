// Command renke serves the social-recognition survey (社会认可度调查) of the
// county compulsory-education quality-balanced evaluation.
//
//	renke                        serve (the default)
//	renke create-admin [-role admin|security|auditor] NAME
//	                             create one of the three administrators (系统、安全、审计管理员; default
//	                             admin); the password is read from stdin
//	renke migrate                apply the database migrations and exit
//	renke verify [flags] CAMPAIGN_ID
//	                             recompute a campaign's sample log and check it against its checkpoints
//	                             and outside evidence (-witness DIR, -checkpoint FILE, -receipts FILE);
//	                             exit 1 naming every discrepancy
//	renke verify-audit [-witness DIR]... [-checkpoint FILE]...   (also: renke verify [flags] audit)
//	                             recompute the signed audit log from the audit entries and check it against
//	                             its checkpoints and outside evidence; exit 1 naming every changed, deleted
//	                             or unsealed entry
//	renke witness -config FILE -dir DIR [-name NAME] [-listen ADDR] [-every 1m] [-once]
//	                             watch sample logs from outside: cosign consistent checkpoints, alarm on
//	                             inconsistent ones (exit 1 with -once)
//	renke verify-package [-key VERIFIER_KEY] [-sm2-key SM2_VERIFIER_KEY] FILE
//	                             check a self-assessment package (申报材料): its manifest signed by the
//	                             deployment's key (-key: its verifier key, as GET /log/key gives it; else the
//	                             key of LOG_KEY or DATA_DIR), every file listed and intact, none extra;
//	                             exit 1 naming every changed, missing or extra file
//	renke log-key [-sm2] NAME   print a new checkpoint signing key for LOG_KEY (-sm2: an SM2 key of
//	                             the same name for LOG_SM2_KEY)
//	renke healthcheck            exit 0 when the local server answers /healthz (for containers)
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/text/width"

	"renke/assessment"
	"renke/audit"
	"renke/database"
	"renke/demo"
	"renke/pgcluster"
	"renke/server"
	"renke/staff"
	"renke/survey"
	"renke/witness"
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
	if cmd == "verify" && len(args) > 1 && args[len(args)-1] == "audit" {
		// renke verify [flags] audit: the audit log, as verify-audit.
		cmd, args = "verify-audit", append([]string{"verify-audit"}, args[1:len(args)-1]...)
	}
	switch cmd {
	case "serve", "migrate", "create-admin", "verify", "verify-audit":
	case "healthcheck":
		return healthcheck(cfg)
	case "witness":
		return runWitness(ctx, args[1:], os.Stdout)
	case "verify-package":
		return verifyPackage(cfg, args[1:], os.Stdout)
	case "log-key":
		generate := survey.GenerateLogKey
		if len(args) == 3 && args[1] == "-sm2" {
			generate, args = survey.GenerateSM2Key, args[1:]
		}
		if len(args) != 2 {
			return errors.New("usage: renke log-key [-sm2] NAME (the deployment's host name, e.g. survey.province.example; -sm2: an SM2 key for LOG_SM2_KEY, named as LOG_KEY)")
		}
		k, err := generate(args[1])
		if err != nil {
			return err
		}
		_, err = fmt.Println(k)
		return err
	default:
		return fmt.Errorf("unknown command %q: want serve, migrate, create-admin, verify, verify-audit, verify-package, witness, log-key or healthcheck", cmd)
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
	if err := loadLogKey(&cfg); err != nil {
		return err
	}
	pool, err := database.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	key, err := cfg.ParseLogKey()
	if err != nil {
		return err
	}
	upgrade := survey.NewStore(pool)
	upgrade.UseLogKey(key)
	if err := upgrade.UpgradeLogs(ctx); err != nil {
		return err
	}
	if err := upgrade.StoreLogNodes(ctx); err != nil {
		return err
	}

	switch cmd {
	case "migrate":
		return nil
	case "create-admin":
		return createAdmin(ctx, pool, args[1:])
	case "verify":
		return verify(ctx, pool, key, cfg.WitnessKeys, args[1:], os.Stdout)
	}
	auditLog := audit.NewStore(pool)
	if err := auditLog.UseLogKey(key, cfg.WitnessKeys); err != nil {
		return fmt.Errorf("WITNESS_KEYS: %w", err)
	}
	if cmd == "verify-audit" {
		return verifyAudit(ctx, auditLog, key, args[1:], os.Stdout)
	}
	if local {
		if err := seedDemo(ctx, pool, cfg); err != nil {
			return err
		}
	}
	go upgrade.KeepTicking(ctx)  // open logs keep advancing on quiet nights, for the witnesses
	go auditLog.KeepSealing(ctx) // every audit entry becomes a leaf of the signed audit log
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
	key, err := cfg.ParseLogKey()
	if err != nil {
		return err
	}
	seeded, err := demo.SeedWith(ctx, pool, demo.Options{LogKey: key})
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
	fmt.Fprintf(&b, "  The other two administrators (三员分立), same password: %s (安全管理员: accounts' locks, sessions, second factors),\n  %s (审计管理员: the audit log)\n", demo.SecurityUsername, demo.AuditorUsername)
	fmt.Fprintf(&b, "  An administrator binds an authenticator app at the first sign-in (二次验证): scan the QR code it shows,\n  or type its secret into any TOTP app (or: oathtool --totp -b SECRET).\n")
	fmt.Fprintf(&b, "Survey of the demo county (setup, QR posters, dashboard): %s/console/campaigns/%d\n", base, seeded.Campaign.ID)
	fmt.Fprintf(&b, "Indicator evaluation of the demo county: %s/console/units/%d/evaluation\n\n", base, seeded.Unit.ID)
	fmt.Fprint(os.Stderr, b.String())
	return nil
}

func createAdmin(ctx context.Context, pool *pgxpool.Pool, args []string) error {
	fs := flag.NewFlagSet("create-admin", flag.ContinueOnError)
	role := fs.String("role", string(staff.Admin), "admin (系统管理员), security (安全管理员) or auditor (审计管理员)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || !staff.Role(*role).Administrator() {
		return errors.New("usage: renke create-admin [-role admin|security|auditor] USERNAME (the password is read from standard input)")
	}
	store := staff.NewStore(pool)
	fmt.Fprintf(os.Stderr, "Password (at least %d characters, %d kinds of lower case, upper case, digits and symbols): ",
		store.Policy().MinLength, store.Policy().Classes)
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return errors.New("no password on standard input")
	}
	acct, err := store.Create(ctx, fs.Arg(0), strings.TrimRight(line, "\r\n"), staff.Grant{Role: staff.Role(*role)})
	if err != nil {
		return err
	}
	slog.Info("administrator created; it binds an authenticator app at its first sign-in", "username", acct.Username, "role", acct.Role)
	return nil
}

// verify recomputes a campaign's log and checks it against the checkpoints
// stored and the evidence given; any discrepancy is an error, so the exit
// status tells a script.
func verify(ctx context.Context, pool *pgxpool.Pool, key *survey.LogKey, witnessKeys []string, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	var witnesses, checkpoints listFlag
	fs.Var(&witnesses, "witness", "a witness's store directory (repeatable): its cosigned checkpoint and leaf hashes")
	fs.Var(&checkpoints, "checkpoint", "a file holding a signed checkpoint of the log, e.g. from the dossier (repeatable)")
	receipts := fs.String("receipts", "", "a file of receipts, one per line: CODE POSITION SIZE ROOT (as on the receipt page)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: renke verify [-witness DIR]... [-checkpoint FILE]... [-receipts FILE] CAMPAIGN_ID")
	}
	id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
	if err != nil {
		return fmt.Errorf("campaign id %q is not a number", fs.Arg(0))
	}
	surveys := survey.NewStore(pool)
	surveys.UseLogKey(key)
	if err := surveys.UseWitnesses(witnessKeys); err != nil {
		return err
	}
	evidence, err := outsideEvidence(witnesses, checkpoints, key.Origin(id), key.Verifier(), func(text, source string) (survey.Evidence, error) {
		return surveys.CheckpointEvidence(id, text, source)
	})
	if err != nil {
		return err
	}
	if *receipts != "" {
		b, err := os.ReadFile(*receipts)
		if err != nil {
			return err
		}
		for n, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) == 0 || strings.HasPrefix(f[0], "#") {
				continue
			}
			pos, err1 := strconv.ParseInt(f[min(1, len(f)-1)], 10, 64)
			size, err2 := strconv.ParseInt(f[min(2, len(f)-1)], 10, 64)
			if len(f) != 4 || err1 != nil || err2 != nil {
				return fmt.Errorf("%s line %d: want CODE POSITION SIZE ROOT", *receipts, n+1)
			}
			e, err := survey.ReceiptEvidence(f[0], pos, size, f[3])
			if err != nil {
				return fmt.Errorf("%s line %d: %w", *receipts, n+1, err)
			}
			evidence = append(evidence, e)
		}
	}
	v, err := surveys.Verify(ctx, id, evidence...)
	if errors.Is(err, survey.ErrNotFound) {
		return fmt.Errorf("campaign %d not found", id)
	} else if err != nil {
		return err
	}
	fmt.Fprintf(out, "campaign %d: log %s\n%d leaves, root %s, %d signed checkpoints checked\n", id, v.Origin, v.Size, v.Root, v.Checkpoints)
	if v.SealedSize != nil {
		fmt.Fprintf(out, "sealed at close: %d leaves, root %s\n", *v.SealedSize, v.SealedRoot)
	}
	for _, e := range v.Evidence {
		verdict := "agrees"
		if !e.Agrees {
			verdict = "DISAGREES"
		}
		fmt.Fprintf(out, "evidence %s: %d leaves, root %s: %s\n", strings.TrimSpace(e.Source), e.Size, e.Root, verdict)
	}
	for _, iv := range v.Intervals {
		w := "not witnessed yet"
		if iv.Witnessed {
			w = "witnessed by " + strings.Join(iv.Witnesses, ", ")
		}
		fmt.Fprintf(out, "leaves %d to %d (%s): %d responses, %d flagged, %d review decisions, %d flags/events/statements\n",
			iv.From+1, iv.To, w, iv.Responses, iv.Flagged, iv.Decisions, iv.Entries)
	}
	for _, p := range v.Problems {
		fmt.Fprintf(out, "%s\t%s\n", p.Kind, p.Text)
	}
	if !v.OK() {
		return fmt.Errorf("campaign %d: %d discrepancies in the sample log", id, len(v.Problems))
	}
	fmt.Fprintln(out, "ok: every leaf matches its response or decision, and the log agrees with every checkpoint")
	return nil
}

// verifyAudit is renke verify-audit: the signed audit log recomputed from
// the entries and checked against its checkpoints and outside evidence.
func verifyAudit(ctx context.Context, log *audit.Store, key *survey.LogKey, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("verify-audit", flag.ContinueOnError)
	var witnesses, checkpoints listFlag
	fs.Var(&witnesses, "witness", "a witness's store directory (repeatable): its cosigned checkpoint and leaf hashes of the audit log")
	fs.Var(&checkpoints, "checkpoint", "a file holding a signed checkpoint of the audit log, e.g. from an export (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return errors.New("usage: renke verify-audit [-witness DIR]... [-checkpoint FILE]...")
	}
	evidence, err := outsideEvidence(witnesses, checkpoints, log.Origin(), key.Verifier(), log.CheckpointEvidence)
	if err != nil {
		return err
	}
	c, err := log.VerifyLog(ctx, time.Now(), evidence...)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "audit log %s: %d leaves, %d signed checkpoints checked, %d of %d outside checkpoints agree, %d entries deleted after %d days as allowed\n",
		log.Origin(), c.Size, c.Checkpoints, c.Evidence, len(evidence), c.Expired, int(audit.KeepFor.Hours()/24))
	for _, p := range c.Problems {
		fmt.Fprintln(out, p)
	}
	if !c.OK() {
		return fmt.Errorf("audit log: %d discrepancies", len(c.Problems))
	}
	fmt.Fprintln(out, "ok: every entry matches its leaf, and the log agrees with every checkpoint")
	return nil
}

// outsideEvidence reads what verify is given of a log from outside: each
// witness store's cosigned checkpoint and leaf hashes, and each file's
// signed checkpoint, read by checkpoint.
func outsideEvidence(witnessDirs, checkpointFiles []string, origin string, logVerifier note.Verifier,
	checkpoint func(text, source string) (survey.Evidence, error)) ([]survey.Evidence, error) {
	var evidence []survey.Evidence
	for _, dir := range witnessDirs {
		e, err := witness.Evidence(dir, origin, logVerifier)
		if err != nil {
			return nil, err
		}
		evidence = append(evidence, e)
	}
	for _, f := range checkpointFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		e, err := checkpoint(string(b), "文件 "+filepath.Base(f)+" 中的检查点")
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		evidence = append(evidence, e)
	}
	return evidence, nil
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// loadLogKey fills cfg.LogKey from DATA_DIR/log.key when LOG_KEY is unset,
// making the key on the first start (named after BASE_URL's host), as the
// session key is made for the local cluster.
func loadLogKey(cfg *server.Config) error {
	if cfg.LogKey != "" {
		return nil
	}
	dir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return err
	}
	keyFile := filepath.Join(dir, "log.key")
	b, err := os.ReadFile(keyFile)
	if errors.Is(err, os.ErrNotExist) {
		name := "renke.localhost"
		if u, err := url.Parse(cfg.BaseURL); err == nil && u.Hostname() != "" {
			name = u.Hostname()
		}
		skey, err := survey.GenerateLogKey(name)
		if err != nil {
			return err
		}
		// The directory may also hold the local cluster, which PostgreSQL's
		// own user must reach; the key file itself is private.
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(keyFile, []byte(skey+"\n"), 0o600); err != nil {
			return err
		}
		slog.Info("made the key that signs the sample logs' checkpoints; back it up, and set LOG_KEY on every server of this deployment", "file", keyFile)
		b = []byte(skey)
	} else if err != nil {
		return err
	}
	if _, err := survey.ParseLogKey(string(b)); err != nil {
		return fmt.Errorf("%s: %w", keyFile, err)
	}
	cfg.LogKey = strings.TrimSpace(string(b))
	return nil
}

// runWitness is the witness command.
func runWitness(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("witness", flag.ContinueOnError)
	config := fs.String("config", "", "the witness's configuration: lines \"log NAME URL KEY [ORIGIN]\", \"peer URL\" and \"silence 2h\"")
	dir := fs.String("dir", "witness-data", "the witness's store: its key, the checkpoints and leaf hashes it holds, alarms")
	host, _ := os.Hostname()
	name := fs.String("name", host, "the witness's name in its cosignatures, when its key is made")
	listen := fs.String("listen", "127.0.0.1:8090", "address to serve the witness's page and checkpoints on; empty: none")
	every := fs.Duration("every", time.Minute, "how often to poll the logs")
	once := fs.Bool("once", false, "poll once and exit: status 1 when any log is inconsistent")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *config == "" {
		return errors.New("usage: renke witness -config FILE -dir DIR [-name NAME] [-listen ADDR] [-every 1m] [-once]")
	}
	f, err := os.Open(*config)
	if err != nil {
		return err
	}
	cfg, err := witness.ParseConfig(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", *config, err)
	}
	w, err := witness.Open(*dir, *name, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "witness %s, verifier key (give it to the logs for WITNESS_KEYS):\n%s\n", w.Name(), w.VerifierKey())
	if !*once {
		return w.Run(ctx, *listen, *every)
	}
	w.Poll(ctx)
	alarms, err := w.Alarms()
	if err != nil {
		return err
	}
	held, _ := w.HeldAll()
	for _, h := range held {
		fmt.Fprintf(out, "%s\t%s\t%d leaves\troot %x\n", h.Log, h.Origin, h.Size, h.Root)
	}
	for _, a := range alarms {
		fmt.Fprintf(out, "INCONSISTENT\t%s\n", a.Error())
	}
	if len(alarms) > 0 {
		return fmt.Errorf("%d inconsistencies found; evidence in %s", len(alarms), filepath.Join(*dir, "alarms.jsonl"))
	}
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

// verifyPackage is renke verify-package: it checks a package against the
// deployment's verifier key, given with -key or read from LOG_KEY or the
// key file in DATA_DIR (never from the package), and prints what it found;
// any problem is an error (exit 1).
func verifyPackage(cfg server.Config, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("verify-package", flag.ContinueOnError)
	vkey := fs.String("key", "", "the deployment's verifier key (name+hash+key, as GET /log/key gives it)")
	sm2key := fs.String("sm2-key", "", "also check the manifest's SM2 signature with this SM2 verifier key (GET /log/key?alg=sm2)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: renke verify-package [-key VERIFIER_KEY] [-sm2-key SM2_VERIFIER_KEY] FILE")
	}
	if *vkey == "" {
		if cfg.LogKey == "" {
			b, err := os.ReadFile(filepath.Join(cfg.DataDir, "log.key"))
			if err != nil {
				return errors.New("no verifier key: give the deployment's with -key (GET /log/key), or set LOG_KEY")
			}
			cfg.LogKey = string(b)
		}
		k, err := survey.ParseLogKey(cfg.LogKey)
		if err != nil {
			return fmt.Errorf("LOG_KEY: %w", err)
		}
		*vkey = k.VerifierKey()
	}
	verifier, err := note.NewVerifier(strings.TrimSpace(*vkey))
	if err != nil {
		return fmt.Errorf("-key: not a signed-note verifier key: %v", err)
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	pc, err := assessment.VerifyPackage(f, st.Size(), verifier)
	if err != nil {
		fmt.Fprintln(out, "不通过："+err.Error())
		return errors.New("the package does not verify")
	}
	for _, h := range pc.Header {
		fmt.Fprintln(out, h)
	}
	fmt.Fprintf(out, "签名清单 SHA-256：%s（签名密钥 %s，指纹 %s）\n", pc.Manifest, pc.Signer, survey.Fingerprint(strings.TrimSpace(*vkey)))
	if len(pc.Problems) > 0 {
		for _, p := range pc.Problems {
			fmt.Fprintln(out, "问题："+p)
		}
		return fmt.Errorf("the package does not verify: %d problems", len(pc.Problems))
	}
	if *sm2key != "" {
		sv, err := survey.NewSM2Verifier(*sm2key)
		if err != nil {
			return fmt.Errorf("-sm2-key: %v", err)
		}
		if _, err := assessment.VerifyPackage(f, st.Size(), sv); err != nil {
			fmt.Fprintln(out, "不通过：SM2 签名："+err.Error())
			return errors.New("the package's SM2 signature does not verify")
		}
		fmt.Fprintln(out, "SM2 签名：通过")
	}
	if pc.SM3 {
		fmt.Fprintln(out, "SM3 摘要：每个文件的 SM3 与签名清单一致")
	}
	fmt.Fprintf(out, "通过：%d 个文件与签名清单一致\n", pc.Files)
	return nil
}

# The two commands of the quick start are `make run` and `make test`.
GO ?= go

.PHONY: run test build bench load generate vet fuzz failover

# Each target first installs what it needs and the machine lacks (as root
# on Debian), or names the command that would (scripts/prereqs).
run:
	@bash scripts/prereqs postgresql
	@echo "Building and starting renke (the first build downloads and compiles the modules: a few minutes)…"
	$(GO) run .

test:
	@bash scripts/prereqs postgresql chromium zbar-tools fonts-noto-cjk pandoc
	$(GO) test -count=1 -timeout 20m ./...

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w' -o renke .

vet:
	gofmt -l . | (! grep .) && $(GO) vet ./...

# Benchmarks (not tests): scoring 100,000 responses, evaluating a county
# of 300 schools, and exporting 200,000 responses (peak memory).
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./survey ./sampling ./evaluation ./statistics ./assessment
	$(GO) test -run '^$$' -bench ExportResponses200k -benchtime 1x ./server

# Load: pgbench single-row INSERT baselines (1 client and 64) on a fresh
# durable cluster, then real forms submitted for 30 s by 64 clients to the
# renke binary on it; prints admitted/s, p50/p95/p99, errors, the ratios to
# pgbench, the processor time of server, PostgreSQL and load generator, and
# the server's peak RSS.
load:
	$(GO) run ./cmd/loadgen -spawn -c 64 -d 30s -baseline 15s

# The province fault test: a pg_auto_failover monitor, a primary and a
# synchronous standby (Debian: postgresql-15-auto-failover), two renke
# servers, parents at load, and the primary's machine lost; prints the time
# to the new primary, the requests retried, the receipts checked and the
# responses lost. Loopback only, about two minutes.
failover:
	@bash scripts/prereqs postgresql postgresql-15-auto-failover
	$(GO) test -tags failover -count=1 -timeout 10m -run TestFailover -v ./failover/

# A short, bounded fuzz run of every fuzz target (their seed corpora also
# run in `make test`). The budget is a count of executions, not a duration:
# Go 1.26's fuzz coordinator can report its own -fuzztime deadline as a
# failure ("context deadline exceeded", no crasher; go.dev/issue/75804, fixed
# in Go 1.27). FUZZTIME=1000000x for a longer hunt.
FUZZTIME ?= 20000x
fuzz:
	$(GO) test ./survey -run '^$$' -fuzz '^FuzzCheck$$' -fuzztime $(FUZZTIME)
	$(GO) test ./workbook -run '^$$' -fuzz '^FuzzParseRows$$' -fuzztime $(FUZZTIME)
	$(GO) test ./workbook -run '^$$' -fuzz '^FuzzParseRoster$$' -fuzztime $(FUZZTIME)
	$(GO) test ./server -run '^$$' -fuzz '^FuzzReadAnswerForm$$' -fuzztime $(FUZZTIME)

# Regenerate dbq/ from the queries.sql files (needs sqlc:
# go install github.com/sqlc-dev/sqlc/cmd/sqlc@v1.31.1).
generate:
	sqlc generate

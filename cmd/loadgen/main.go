// Command loadgen does what phones do: GET a form, then POST answers with
// the form's token, at a given concurrency for a given time. It prints
// admitted/s, latency percentiles of the POST, over-quota count and errors.
//
//	loadgen -spawn -c 64 -d 30s            start a local database and server, then load it
//	loadgen -url http://127.0.0.1:8080/s/CODE -c 64 -d 30s
//
// -spawn makes a campaign large enough (N = 300,000) that no cell fills
// during the run, so every submission goes through admission.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"renke/county"
	"renke/database"
	"renke/pgcluster"
	"renke/sampling"
	"renke/server"
	"renke/survey"
)

func main() {
	target := flag.String("url", "", "form URL of a link bound to a school (…/s/CODE)")
	spawn := flag.Bool("spawn", false, "start a throwaway PostgreSQL and server on 127.0.0.1")
	conc := flag.Int("c", 64, "concurrent clients")
	dur := flag.Duration("d", 30*time.Second, "duration")
	flag.Parse()
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	if *spawn {
		u, stop, err := spawnServer()
		if err != nil {
			fmt.Fprintln(os.Stderr, "spawn:", err)
			os.Exit(1)
		}
		defer stop()
		*target = u
	}
	if *target == "" || !strings.Contains(*target, "/s/") {
		fmt.Fprintln(os.Stderr, "give -url …/s/CODE or -spawn")
		os.Exit(2)
	}
	if *conc < 1 || *conc > 4096 || *dur <= 0 || *dur > 10*time.Minute {
		fmt.Fprintln(os.Stderr, "-c must be 1..4096 and -d at most 10m")
		os.Exit(2)
	}
	run(*target, *conc, *dur)
}

var tokenRE = regexp.MustCompile(`name="token" value="([^"]+)"`)

type result struct {
	latency  time.Duration
	admitted bool
	full     bool
	err      bool
}

func run(target string, conc int, dur time.Duration) {
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: conc}}
	deadline := time.Now().Add(dur)
	results := make(chan result, 1024)
	var wg sync.WaitGroup
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				results <- submitOnce(client, target)
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
}

func submitOnce(client *http.Client, target string) result {
	resp, err := client.Get(target + "?c=parent")
	if err != nil {
		return result{err: true}
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := tokenRE.FindSubmatch(page)
	if resp.StatusCode != 200 || m == nil {
		return result{err: true}
	}
	form := url.Values{"token": {string(m[1])}, "category": {"parent"}, "band": {[]string{"1-2", "3-4", "5-6"}[rand.IntN(3)]}}
	for i := 1; i <= 12; i++ {
		form.Set(fmt.Sprintf("a_S%02d", i), []string{"A", "A", "B", "B", "C", "D", "X"}[rand.IntN(7)])
	}
	start := time.Now()
	resp, err = client.PostForm(target, form)
	if err != nil {
		return result{err: true}
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	r := result{latency: time.Since(start)}
	switch {
	case resp.StatusCode != 200:
		r.err = true
	case strings.Contains(string(body), "提交成功"):
		r.admitted = true
	case strings.Contains(string(body), "样本名额已满"):
		r.full = true
	default:
		r.err = true
	}
	return r
}

// spawnServer starts a durable throwaway cluster and the real server on
// 127.0.0.1, with a campaign too large to fill, and returns a school link.
func spawnServer() (string, func(), error) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "renke-load-")
	if err != nil {
		return "", nil, err
	}
	cluster, err := pgcluster.Start(ctx, dir, pgcluster.Options{Durable: true})
	if err != nil {
		return "", nil, err
	}
	stop := func() { cluster.Remove() }
	if err := cluster.CreateDatabase(ctx, "renke", ""); err != nil {
		stop()
		return "", nil, err
	}
	pool, err := database.Open(ctx, cluster.URL("renke"))
	if err != nil {
		stop()
		return "", nil, err
	}
	units, surveys := county.NewStore(pool), survey.NewStore(pool)
	u, err := units.CreateUnit(ctx, county.Unit{Code: "load", Name: "压测县", Kind: "county", Population: 200_000_000,
		Shares: sampling.Shares{Urban: 10000}})
	if err != nil {
		stop()
		return "", nil, err
	}
	sc, err := units.CreateSchool(ctx, county.School{UnitID: u.ID, Name: "压测小学", Type: county.Primary, Locale: sampling.Urban, EnrolPrimary: 1000})
	if err != nil {
		stop()
		return "", nil, err
	}
	c := survey.Campaign{UnitID: u.ID, Title: "压测"}
	c.Defaults()
	c, err = surveys.CreateCampaign(ctx, c)
	if err == nil {
		var a sampling.Allocation
		if a, err = sampling.Allocate(c.Design(u.Population, u.Shares)); err == nil {
			_, err = surveys.Open(ctx, c.ID, a)
		}
	}
	if err != nil {
		stop()
		return "", nil, err
	}
	social := survey.SocialForm
	link, err := surveys.CreateLink(ctx, survey.Link{CampaignID: c.ID, SchoolID: &sc.ID, Kind: &social})
	if err != nil {
		stop()
		return "", nil, err
	}
	h, err := server.New(server.Config{SessionKey: []byte("loadgen-session-key-0123456789abcdef")}, pool)
	if err != nil {
		stop()
		return "", nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		stop()
		return "", nil, err
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(l)
	return fmt.Sprintf("http://%s/s/%s", l.Addr(), link.Code), func() { srv.Close(); pool.Close(); stop() }, nil
}

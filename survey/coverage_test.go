package survey

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"renke/sampling"
)

// The coverage simulation: respondents of heterogeneous personal
// satisfaction, whose answers to the 11 items are correlated within the
// person (intra-respondent correlation 0.3), sampled 2,000 times at each
// size. The 95% interval of every method must cover the true rate in at
// least 93% of the samples; the per-answer Wilson interval used before is
// printed beside it.
//
// The model: person i's chance of a top-two answer is pᵢ ~ Beta(α, β) with
// mean μ = 0.85 and α + β = 1/ρ − 1 (ρ = 0.3), so the correlation of two of
// their answers being top-two is ρ. Each answer is 不了解 with chance 0.05;
// otherwise top-two with chance pᵢ (满意 or 比较满意, evenly), else 一般
// (0.6) or 不满意 (0.4). Categories are drawn by the quota's shares (parents
// half, the other six a twelfth each), all with the same μ. True rates:
//   - top two: μ = 0.85;
//   - top three: μ + 0.6(1 − μ) = 0.94;
//   - points: μ(100 + 80)/2/100 + 0.6·(1 − μ)·0.6 = 0.765 + 0.054 = 0.819;
//   - category-weighted: μ = 0.85.
func TestIntervalCoverage(t *testing.T) {
	const (
		mu, rho  = 0.85, 0.3
		samples  = 2000
		items    = 11
		dontKnow = 0.05
	)
	q := Bank()[0]
	q.Items = q.Items[:items]
	truth := map[Method]float64{TopTwo: mu, TopThree: mu + 0.6*(1-mu), WeightedPoints: mu*0.9 + 0.6*(1-mu)*0.6, CategoryWeighted: mu}
	shares := map[sampling.Category]float64{}
	for _, c := range sampling.Categories {
		shares[c] = 1.0 / 12
	}
	shares[sampling.Parent] = 0.5
	ab := 1/rho - 1
	alpha, beta := mu*ab, (1-mu)*ab

	for _, n := range []int{10, 30, 100, 1000} {
		var mu2 sync.Mutex
		covered := map[Method]int{}
		perAnswer := 0
		var wg sync.WaitGroup
		for w := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(n), uint64(w)))
				local := map[Method]int{}
				localPA := 0
				for range samples / 2 {
					rs := make([]Respondent, n)
					for i := range rs {
						p := betaSample(rng, alpha, beta)
						a := make(map[string]string, items)
						for _, it := range q.Items {
							switch u := rng.Float64(); {
							case u < dontKnow:
								a[it.ID] = "X"
							case rng.Float64() < p:
								a[it.ID] = []string{"A", "B"}[rng.IntN(2)]
							case rng.Float64() < 0.6:
								a[it.ID] = "C"
							default:
								a[it.ID] = "D"
							}
						}
						cat := sampling.Parent
						if rng.Float64() >= 0.5 {
							cat = sampling.Categories[1+rng.IntN(len(sampling.Categories)-1)]
							if cat == sampling.Parent {
								cat = sampling.Categories[0]
							}
						}
						rs[i] = Respondent{Form: &q, Category: cat, Locale: sampling.Urban, Answers: a}
					}
					counts, people := Tabulate(rs)
					r := Score(Scoring{Questionnaires: []Questionnaire{q}, QuotaShares: shares, Method: TopTwo, Threshold: 0.85}, counts, people)
					for _, m := range r.Methods {
						if m.Low <= truth[m.Method] && truth[m.Method] <= m.High {
							local[m.Method]++
						}
					}
					var top, all int64
					for _, c := range counts {
						if o, ok := q.Option(c.Option); ok && !o.DontKnow {
							all += c.N
							if o.Rank <= 2 {
								top += c.N
							}
						}
					}
					if iv := Wilson(float64(top), float64(all)); iv.Low <= mu && mu <= iv.High {
						localPA++
					}
				}
				mu2.Lock()
				for m, k := range local {
					covered[m] += k
				}
				perAnswer += localPA
				mu2.Unlock()
			}()
		}
		wg.Wait()
		for _, m := range Methods {
			c := float64(covered[m]) / samples
			t.Logf("n = %4d respondents, %-8s coverage %.1f%%", n, m, 100*c)
			if c < 0.93 {
				t.Errorf("n = %d, %s: the 95%% interval covers the true rate in %.1f%% of %d samples, want ≥ 93%%", n, m, 100*c, samples)
			}
		}
		t.Logf("n = %4d respondents, per-answer Wilson (before) coverage %.1f%%", n, 100*float64(perAnswer)/samples)
	}
}

// betaSample draws from Beta(a, b) as X/(X+Y) of two gamma variates.
func betaSample(rng *rand.Rand, a, b float64) float64 {
	x, y := gammaSample(rng, a), gammaSample(rng, b)
	return x / (x + y)
}

// gammaSample draws from Gamma(k, 1) by Marsaglia and Tsang's method, with
// Gamma(k) = Gamma(k+1)·U^(1/k) for k < 1.
func gammaSample(rng *rand.Rand, k float64) float64 {
	if k < 1 {
		return gammaSample(rng, k+1) * math.Pow(rng.Float64(), 1/k)
	}
	d := k - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := rng.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := rng.Float64()
		if math.Log(u) < 0.5*x*x+d-d*v+d*math.Log(v) {
			return d * v
		}
	}
}

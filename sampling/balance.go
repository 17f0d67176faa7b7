package sampling

// GradeBand is a band of compulsory-education grades. Parents and students
// name the band of their (own) child's grade; the national notices ask that
// bands be roughly equal (义务教育各年级段调查对象数量大体相当).
type GradeBand string

const (
	Grades12 GradeBand = "1-2"
	Grades34 GradeBand = "3-4"
	Grades56 GradeBand = "5-6"
	Grades79 GradeBand = "7-9"
)

// GradeBands lists the four bands in order.
var GradeBands = []GradeBand{Grades12, Grades34, Grades56, Grades79}

var gradeBandNames = map[GradeBand]string{
	Grades12: "一至二年级", Grades34: "三至四年级", Grades56: "五至六年级", Grades79: "七至九年级",
}

// Name is the band's Chinese name.
func (g GradeBand) Name() string { return gradeBandNames[g] }

// Valid reports whether g is one of the four bands.
func (g GradeBand) Valid() bool { _, ok := gradeBandNames[g]; return ok }

// Primary reports whether the band is in primary school (grades 1–6).
func (g GradeBand) Primary() bool { return g != Grades79 }

// BandBalance is how far one grade band is from an equal share.
type BandBalance struct {
	Band      GradeBand `json:"band"`
	Count     int       `json:"count"`
	Share     float64   `json:"share"`     // of all respondents with a band
	Deviation float64   `json:"deviation"` // Share − 1/4, in share points
}

// GradeBalance reports each band's share against an equal split. Balance is
// reported, not enforced: the rule says "roughly equal" and gives no limit.
func GradeBalance(counts map[GradeBand]int) []BandBalance {
	total := 0
	for _, b := range GradeBands {
		total += counts[b]
	}
	equal := 1 / float64(len(GradeBands))
	out := make([]BandBalance, 0, len(GradeBands))
	for _, b := range GradeBands {
		bb := BandBalance{Band: b, Count: counts[b]}
		if total > 0 {
			bb.Share = float64(counts[b]) / float64(total)
			bb.Deviation = bb.Share - equal
		}
		out = append(out, bb)
	}
	return out
}

// Policy says what happens when a quota cell is full.
type Policy string

const (
	// Cap admits a response only while its cell has room; later ones are
	// stored and marked over-quota. The default.
	Cap Policy = "cap"
	// Floor treats every target as a minimum: all responses are admitted
	// and the balance is reported.
	Floor Policy = "floor"
)

// Valid reports whether p is a known policy.
func (p Policy) Valid() bool { return p == Cap || p == Floor }

// Name is the policy in Chinese.
func (p Policy) Name() string {
	return map[Policy]string{Cap: "满额后不再纳入", Floor: "配额为下限"}[p]
}

// LocaleGap is how far the admitted sample's share of one locale is from
// the resident population's share: the rule asks that respondents'
// rural/town/urban mix match the population's own (乡村 / 镇区 / 城区),
// and gives no tolerance, so the gap is reported, not judged.
type LocaleGap struct {
	Locale    Locale  `json:"locale"`
	Count     int     `json:"count"`
	Share     float64 `json:"share"`     // of the admitted responses
	Target    float64 `json:"target"`    // the population's share
	Deviation float64 `json:"deviation"` // Share − Target, in share points
}

// LocaleBalance is each locale's gap, in the order of Locales; with no
// responses every share is 0 and the gap is −Target.
func LocaleBalance(counts map[Locale]int, s Shares) []LocaleGap {
	total := 0
	for _, l := range Locales {
		total += counts[l]
	}
	out := make([]LocaleGap, 0, len(Locales))
	for _, l := range Locales {
		g := LocaleGap{Locale: l, Count: counts[l], Target: float64(s.Of(l)) / 10000}
		if total > 0 {
			g.Share = float64(counts[l]) / float64(total)
		}
		g.Deviation = g.Share - g.Target
		out = append(out, g)
	}
	return out
}

// WidestGap is the locale furthest from its share (the first of equals).
func WidestGap(gaps []LocaleGap) LocaleGap {
	var w LocaleGap
	for i, g := range gaps {
		if i == 0 || abs(g.Deviation) > abs(w.Deviation)+1e-12 {
			w = g
		}
	}
	return w
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

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

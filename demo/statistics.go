package demo

import (
	"fmt"
	"math"
	"math/rand/v2"

	"renke/county"
	"renke/evaluation"
	"renke/sampling"
)

// StatsYear is the school year of the demo statistics.
const StatsYear = 2025

// SchoolStats makes plausible statistics for a school of the given type
// and enrolment: every resource at factor × its national standard
// (factor 1 meets each standard with a little to spare).
func SchoolStats(name string, t county.SchoolType, l sampling.Locale, primary, junior int, factor float64) evaluation.School {
	s := evaluation.School{Name: name, Type: t, Locale: l, Public: true, EnrolPrimary: primary, EnrolJunior: junior}
	per100 := func(n int, std float64) int { return int(math.Ceil(float64(n) * std * factor / 100)) }
	s.ClassesPrimary = (primary + 41) / 42
	s.ClassesJunior = (junior + 47) / 48
	if primary > 0 {
		s.LargestClassPrimary = min(primary, 44)
	}
	if junior > 0 {
		s.LargestClassJunior = min(junior, 49)
	}
	s.QualifiedPrimary, s.KeyPrimary, s.PEArtsPrimary = per100(primary, 4.2), per100(primary, 1.0), per100(primary, 0.9)
	s.QualifiedJunior, s.KeyJunior, s.PEArtsJunior = per100(junior, 5.3), per100(junior, 1.0), per100(junior, 0.9)
	s.TeachersPrimary = max(s.QualifiedPrimary, per100(primary, 5.3))
	s.TeachersJunior = max(s.QualifiedJunior, per100(junior, 7.4))
	s.Certified = s.Teachers()
	// Physical resources for the weighted stages (1 : 1.1), so the split
	// gives each stage its standard.
	p, j := float64(primary), float64(junior)
	area := func(sp, sj float64) float64 { return math.Ceil((sp*p + sj*j) * factor) }
	s.TeachingArea = area(4.5, 5.8)
	s.SportsArea = area(7.5, 10.2)
	s.EquipmentValue = area(2000, 2500)
	s.MultimediaRooms = int(math.Ceil((2.3*p + 2.4*j) * factor / 100))
	rooms := (s.ClassesPrimary + s.ClassesJunior + 11) / 12
	s.MusicRooms, s.ArtRooms, s.MusicRoomMinArea, s.ArtRoomMinArea = rooms, rooms, 98, 92
	if t == county.TeachingPoint {
		s.MusicRooms, s.ArtRooms, s.MusicRoomMinArea, s.ArtRoomMinArea = 0, 0, 0, 0
	}
	s.OperatingFunds = math.Max(100, p+j) * 720
	s.TrainingFunds = math.Round(s.OperatingFunds * 0.06)
	return s
}

// Statistics are the demo county's school statistics: most schools meet
// the standards, a few fall short where real counties do.
func Statistics(schools []county.School) []evaluation.School {
	short := map[string]func(*evaluation.School){
		// A village school: too few key teachers and classrooms.
		"河口村小学": func(s *evaluation.School) { s.KeyPrimary, s.MultimediaRooms = 0, 2 },
		// A town middle school on a cramped site.
		"城关镇中学": func(s *evaluation.School) { s.SportsArea *= 0.7 },
	}
	out := make([]evaluation.School, len(schools))
	for i, sc := range schools {
		factor := 1.05 + 0.1*float64(i%3)
		out[i] = SchoolStats(sc.Name, sc.Type, sc.Locale, int(sc.EnrolPrimary), int(sc.EnrolJunior), factor)
		if f, ok := short[sc.Name]; ok {
			f(&out[i])
		}
	}
	return out
}

// County makes a synthetic county of n schools for benchmarks and tests:
// mostly primary schools, with junior, nine-year, special schools and
// teaching points, resources scattered around the standards.
func County(n int, seed uint64) []evaluation.School {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	locales := []sampling.Locale{sampling.Urban, sampling.Town, sampling.Rural}
	out := make([]evaluation.School, n)
	for i := range out {
		l := locales[r.IntN(3)]
		factor := 0.8 + 0.7*r.Float64()
		name := fmt.Sprintf("第%03d学校", i+1)
		switch k := i % 20; {
		case k < 12:
			out[i] = SchoolStats(name, county.Primary, l, 200+r.IntN(1600), 0, factor)
		case k < 16:
			out[i] = SchoolStats(name, county.Junior, l, 0, 300+r.IntN(1500), factor)
		case k < 18:
			out[i] = SchoolStats(name, county.NineYear, l, 200+r.IntN(900), 150+r.IntN(700), factor)
		case k < 19:
			out[i] = SchoolStats(name, county.TeachingPoint, sampling.Rural, 20+r.IntN(80), 0, factor)
		default:
			out[i] = SchoolStats(name, county.Special, l, 40+r.IntN(60), 20+r.IntN(40), factor)
		}
		out[i].ID = int64(i + 1)
	}
	return out
}

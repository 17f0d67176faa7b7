package statistics

import (
	"context"
	"fmt"
	"testing"
	"time"

	"renke/county"
	"renke/dbtest"
	"renke/evaluation"
	"renke/sampling"
	"renke/survey"
)

// The roll-up evaluates a unit again only when what its evaluation is
// made from changed: its statistics, a school, its findings, a
// declaration of 不适用; and then shows the change.
func TestRegionKeepsUnchangedUnits(t *testing.T) {
	ctx := context.Background()
	pool := dbtest.New(t)
	units, st := county.NewStore(pool), NewStore(pool)
	var list []county.Unit
	for i := range 3 {
		u, err := units.CreateUnit(ctx, county.Unit{Code: fmt.Sprintf("4303%02d", i+2), Name: fmt.Sprintf("县%d", i+1), Kind: "county",
			Population: 300_000, Shares: sampling.Shares{Urban: 5000, Town: 3000, Rural: 2000}, CodeReason: "测试用代码"})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Import(ctx, u.ID, 2025, schoolsOf(8, 1)); err != nil {
			t.Fatal(err)
		}
		list = append(list, u)
	}
	profiles, _ := evaluation.LoadProfiles("")
	e := &Evaluations{Stats: st, Surveys: survey.NewStore(pool), Profiles: profiles}
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	roll := func() map[string]UnitEvaluation {
		t.Helper()
		rows, err := e.Region(ctx, county.Everything, list, now)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]UnitEvaluation{}
		for _, r := range rows {
			out[r.Unit.Code] = r
		}
		return out
	}
	first := roll()
	if n := e.summary.evaluated.Load(); n != 3 {
		t.Fatalf("first roll-up evaluated %d units, want 3", n)
	}
	if again := roll(); e.summary.evaluated.Load() != 3 || again["430302"].Verdict != first["430302"].Verdict {
		t.Fatalf("an unchanged roll-up evaluated %d units", e.summary.evaluated.Load()-3)
	}
	// 县1's statistics change: all its schools far short of every standard.
	short := schoolsOf(8, 0.5)
	if err := st.Import(ctx, list[0].ID, 2025, short); err != nil {
		t.Fatal(err)
	}
	after := roll()
	if n := e.summary.evaluated.Load(); n != 4 {
		t.Errorf("after one unit's import, %d units evaluated in all, want 4", n)
	}
	if len(after["430302"].FailingSchools) != 8 {
		t.Errorf("县1 after the import: %d failing schools, want 8", len(after["430302"].FailingSchools))
	}
	// A school renamed (no statistics touched) and findings saved: each
	// evaluates its unit again.
	schools, _ := units.Schools(ctx, list[1].ID)
	sc := schools[0]
	sc.Name = "改名小学"
	if _, err := units.UpdateSchool(ctx, sc); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveFindings(ctx, list[2].ID, Findings{Year: 2025, Profile: "national-2017", Figures: map[string]float64{"retention_junior_pct": 99}}); err != nil {
		t.Fatal(err)
	}
	roll()
	if n := e.summary.evaluated.Load(); n != 6 {
		t.Errorf("after a rename and a save, %d units evaluated in all, want 6", n)
	}
}

// schoolsOf is n primary schools of 600 pupils with every resource at
// factor × its national standard (1.1: all met; 0.5: all short).
func schoolsOf(n int, factor float64) []evaluation.School {
	out := make([]evaluation.School, n)
	for i := range out {
		f := func(x float64) int { return int(x * factor) }
		out[i] = evaluation.School{Name: fmt.Sprintf("第%d小学", i+1), Type: county.Primary, Locale: sampling.Urban, Public: true,
			EnrolPrimary: 600, ClassesPrimary: 14, LargestClassPrimary: 44, TeachersPrimary: 40,
			QualifiedPrimary: f(4.2 * 6 * 1.05), KeyPrimary: f(6.5), PEArtsPrimary: f(5.9), Certified: 40,
			TeachingArea: 4.5 * 600 * factor * 1.02, SportsArea: 7.5 * 600 * factor * 1.02, EquipmentValue: 2000 * 600 * factor * 1.02,
			MultimediaRooms: f(14.5), MusicRooms: 2, ArtRooms: 2, MusicRoomMinArea: 98, ArtRoomMinArea: 92,
			OperatingFunds: 600 * 720, TrainingFunds: 600 * 720 * 0.06}
	}
	return out
}

// A unit whose findings name no survey reads its newest started one (a
// city's survey run for its counties), not 未关联调查; a draft is not read,
// and opening it changes the unit's row.
func TestEvaluationReadsTheNewestStartedSurvey(t *testing.T) {
	ctx := context.Background()
	pool := dbtest.New(t)
	units, st, surveys := county.NewStore(pool), NewStore(pool), survey.NewStore(pool)
	u, err := units.CreateUnit(ctx, county.Unit{Code: "430302", Name: "雨湖区", Kind: "county", Population: 300_000,
		Shares: sampling.Shares{Urban: 5000, Town: 3000, Rural: 2000}})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Import(ctx, u.ID, 2025, schoolsOf(3, 1.1)); err != nil {
		t.Fatal(err)
	}
	profiles, _ := evaluation.LoadProfiles("")
	e := &Evaluations{Stats: st, Surveys: surveys, Profiles: profiles}
	c, err := surveys.CreateCampaign(ctx, u.ID, survey.Titled("湘潭市 2026 年社会认可度调查"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	rows, err := e.Region(ctx, county.Everything, []county.Unit{u}, now)
	if err != nil || rows[0].Recognition != nil {
		t.Fatalf("a draft survey read: %+v %v", rows[0].Recognition, err)
	}
	if _, err := surveys.CreateLink(ctx, survey.Link{CampaignID: c.ID, Label: "全区通用链接"}); err != nil {
		t.Fatal(err)
	}
	if _, err := surveys.Open(ctx, c.ID, "city"); err != nil {
		t.Fatal(err)
	}
	rows, err = e.Region(ctx, county.Everything, []county.Unit{u}, now)
	if err != nil || rows[0].Recognition == nil || rows[0].Recognition.Campaign != "湘潭市 2026 年社会认可度调查" {
		t.Fatalf("the city's open survey not read: %+v %v", rows[0].Recognition, err)
	}
	run, err := e.Load(ctx, county.Everything, u, 0, now)
	if err != nil || run.Campaign == nil || run.CampaignChosen {
		t.Errorf("the run's survey: %+v chosen %v", run.Campaign, run.CampaignChosen)
	}
}

// A change made by SQL, leaving every time stamp as it was, still makes
// the roll-up evaluate the unit again: the stamps sum up content.
func TestRegionSeesAChangeBySQL(t *testing.T) {
	ctx := context.Background()
	pool := dbtest.New(t)
	units, st := county.NewStore(pool), NewStore(pool)
	// 东城区 (110101): national rules, which these schools meet.
	u, err := units.CreateUnit(ctx, county.Unit{Code: "110101", Name: "县1", Kind: "county", Population: 300_000,
		Shares: sampling.Shares{Urban: 5000, Town: 3000, Rural: 2000}})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Import(ctx, u.ID, 2025, schoolsOf(4, 1.1)); err != nil {
		t.Fatal(err)
	}
	profiles, _ := evaluation.LoadProfiles("")
	e := &Evaluations{Stats: st, Surveys: survey.NewStore(pool), Profiles: profiles}
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	rows, err := e.Region(ctx, county.Everything, []county.Unit{u}, now)
	if err != nil || len(rows[0].FailingSchools) != 0 {
		t.Fatalf("before: %v %v", rows, err)
	}
	if _, err := pool.Exec(ctx, `UPDATE school_stats SET stats = jsonb_set(stats, '{key_primary}', '0')`); err != nil {
		t.Fatal(err)
	}
	rows, err = e.Region(ctx, county.Everything, []county.Unit{u}, now)
	if err != nil || len(rows[0].FailingSchools) != 4 || e.summary.evaluated.Load() != 2 {
		t.Errorf("after a change by SQL: %d failing schools, %d evaluations, %v", len(rows[0].FailingSchools), e.summary.evaluated.Load(), err)
	}
}

// A unit under 湘潭市 whose findings name no profile is evaluated by the
// city's rules; once its findings name the national ones, by those.
func TestProfileByRegion(t *testing.T) {
	ctx := context.Background()
	pool := dbtest.New(t)
	units, st := county.NewStore(pool), NewStore(pool)
	u, err := units.CreateUnit(ctx, county.Unit{Code: "430321", Name: "湘潭县", Kind: "county", Population: 800_000,
		Shares: sampling.Shares{Urban: 3000, Town: 3000, Rural: 4000}})
	if err != nil {
		t.Fatal(err)
	}
	profiles, _ := evaluation.LoadProfiles("")
	e := &Evaluations{Stats: st, Surveys: survey.NewStore(pool), Profiles: profiles}
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	run, err := e.Load(ctx, county.Everything, u, 2025, now)
	if err != nil || run.Profile.ID != "hunan-xiangtan-2018" {
		t.Fatalf("no findings: %s, %v", run.Profile.ID, err)
	}
	if err := e.SaveFindings(ctx, run, Findings{Profile: "national-2017"}); err != nil {
		t.Fatal(err)
	}
	if run, err = e.Load(ctx, county.Everything, u, 2025, now); err != nil || run.Profile.ID != "national-2017" {
		t.Errorf("findings naming the national rules: %s, %v", run.Profile.ID, err)
	}
}

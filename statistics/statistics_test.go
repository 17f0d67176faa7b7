package statistics_test

import (
	"context"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"renke/county"
	"renke/dbtest"
	"renke/demo"
	"renke/evaluation"
	"renke/sampling"
	"renke/statistics"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

func TestImportIsAllOrNothing(t *testing.T) {
	ctx := context.Background()
	pool := dbtest.New(t)
	units, st := county.NewStore(pool), statistics.NewStore(pool)
	u, err := units.CreateUnit(ctx, county.Unit{Code: "t1", Name: "测试县", Kind: "county", Population: 500_000,
		Shares: sampling.Shares{Urban: 5000, Town: 3000, Rural: 2000}})
	if err != nil {
		t.Fatal(err)
	}
	first := demo.County(20, 3)
	if err := st.Import(ctx, u.ID, 2025, first); err != nil {
		t.Fatal(err)
	}
	got, err := st.Schools(ctx, u.ID, 2025)
	if err != nil || len(got) != 20 || got[0].Name != first[0].Name || got[0].EquipmentValue != first[0].EquipmentValue {
		t.Fatalf("after import: %d schools, %v", len(got), err)
	}
	schools, _ := units.Schools(ctx, u.ID)
	if len(schools) != 20 || schools[0].EnrolPrimary != int32(first[0].EnrolPrimary) {
		t.Fatalf("schools table: %+v", schools[:1])
	}

	// A second import whose last school breaks a database rule changes nothing.
	second := demo.County(25, 4)
	second[24].Name = strings.Repeat("长", 101)
	if err := st.Import(ctx, u.ID, 2025, second); err == nil {
		t.Fatal("an over-long name was saved")
	}
	after, _ := st.Schools(ctx, u.ID, 2025)
	if !reflect.DeepEqual(after, got) {
		t.Error("a failed import changed the year's statistics")
	}
	if schools, _ := units.Schools(ctx, u.ID); len(schools) != 20 {
		t.Errorf("a failed import left %d schools, want 20", len(schools))
	}

	// A good re-import replaces the year: schools matched by name keep their ids.
	second = demo.County(5, 4)
	second[0].Name = first[0].Name
	if err := st.Import(ctx, u.ID, 2025, second); err != nil {
		t.Fatal(err)
	}
	got2, _ := st.Schools(ctx, u.ID, 2025)
	if len(got2) != 5 || got2[0].ID != got[0].ID || got2[0].EquipmentValue != second[0].EquipmentValue {
		t.Errorf("re-import: %d schools, first %+v", len(got2), got2[0])
	}
	if ys, _ := st.Years(ctx, u.ID); !reflect.DeepEqual(ys, []int{2025}) {
		t.Errorf("years %v", ys)
	}
}

func TestFindings(t *testing.T) {
	ctx := context.Background()
	pool := dbtest.New(t)
	ps, _ := evaluation.LoadProfiles("")
	p, _ := ps.Get("hunan-xiangtan-2018")
	yes := true
	good := statistics.Findings{Year: 2025, Profile: p.ID, Figures: map[string]float64{"retention_junior_pct": 99.5},
		Judgements: map[string]evaluation.Judgement{"layout_plan": {Met: &yes}}, Scores: map[string]float64{"8.1": 3},
		Vetoes: map[string]evaluation.Judgement{"key_schools": {Met: &yes, Note: "某校"}}}
	if err := good.Validate(p); err == nil || !strings.Contains(err.Error(), "layout_plan") {
		t.Errorf("Hunan has no layout_plan judgement (it is scored as B 9): %v", err)
	}
	delete(good.Judgements, "layout_plan")
	good.Judgements["unified_standards"] = evaluation.Judgement{Met: &yes, Note: "文件"}
	if err := good.Validate(p); err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]func(*statistics.Findings){
		"percent over 100":   func(f *statistics.Findings) { f.Figures = map[string]float64{"retention_junior_pct": 100.1} },
		"negative figure":    func(f *statistics.Findings) { f.Figures = map[string]float64{"teacher_pay": -1} },
		"unknown figure":     func(f *statistics.Findings) { f.Figures = map[string]float64{"gdp": 1} },
		"score over points":  func(f *statistics.Findings) { f.Scores = map[string]float64{"8.1": 3.5} },
		"survey item scored": func(f *statistics.Findings) { f.Scores = map[string]float64{"8.4": 2} },
		"unknown veto":       func(f *statistics.Findings) { f.Vetoes = map[string]evaluation.Judgement{"x": {}} },
		"long note": func(f *statistics.Findings) {
			f.Judgements = map[string]evaluation.Judgement{"unified_standards": {Met: &yes, Note: strings.Repeat("字", 501)}}
		},
	} {
		bad := good
		f(&bad)
		if err := bad.Validate(p); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	units, st := county.NewStore(pool), statistics.NewStore(pool)
	u, _ := units.CreateUnit(ctx, county.Unit{Code: "t2", Name: "测试县", Kind: "county", Population: 500_000,
		Shares: sampling.Shares{Urban: 5000, Town: 3000, Rural: 2000}})
	if _, ok, err := st.Findings(ctx, u.ID, 2025); ok || err != nil {
		t.Fatalf("findings before any: %v %v", ok, err)
	}
	if err := st.SaveFindings(ctx, u.ID, good); err != nil {
		t.Fatal(err)
	}
	back, ok, err := st.Findings(ctx, u.ID, 2025)
	if err != nil || !ok || back.Profile != p.ID || back.Scores["8.1"] != 3 || *back.Vetoes["key_schools"].Met != true || back.Vetoes["key_schools"].Note != "某校" {
		t.Errorf("back %+v %v", back, err)
	}
	if err := st.SaveFindings(ctx, u.ID, statistics.Findings{Year: 2025, Profile: p.ID}); err != nil || errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	if back, _, _ := st.Findings(ctx, u.ID, 2025); len(back.Scores) != 0 {
		t.Errorf("saving empty findings kept scores %v", back.Scores)
	}
}

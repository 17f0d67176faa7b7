package assessment_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/xuri/excelize/v2"

	"renke/assessment"
	"renke/county"
	"renke/dbtest"
	"renke/demo"
	"renke/evaluation"
	"renke/sampling"
	"renke/statistics"
	"renke/survey"
	"renke/workbook"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// county is a unit of ten schools that meet every standard, with every
// county finding entered and met: nothing is short until a test makes it.
type fixture struct {
	ctx     context.Context
	pool    *pgxpool.Pool
	units   *county.Store
	stats   *statistics.Store
	evals   *statistics.Evaluations
	store   *assessment.Store
	unit    county.Unit
	schools []evaluation.School
	find    statistics.Findings
	now     time.Time
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	pool := dbtest.New(t)
	ps, err := evaluation.LoadProfiles("")
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{ctx: ctx, pool: pool, units: county.NewStore(pool), stats: statistics.NewStore(pool), now: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	f.evals = &statistics.Evaluations{Stats: f.stats, Surveys: survey.NewStore(pool), Profiles: ps}
	f.store = assessment.NewStore(pool, f.evals)
	if f.unit, err = f.units.CreateUnit(ctx, county.Unit{Code: "430302", Name: "测试区", Kind: "county", Population: 400_000,
		Shares: sampling.Shares{Urban: 5000, Town: 3000, Rural: 2000}}); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		name := fmt.Sprintf("第%d小学", i+1)
		if i >= 7 {
			f.schools = append(f.schools, demo.SchoolStats(fmt.Sprintf("第%d中学", i+1), county.Junior, sampling.Urban, 0, 900, 1.1))
			continue
		}
		f.schools = append(f.schools, demo.SchoolStats(name, county.Primary, sampling.Locales[i%3], 600+40*i, 0, 1.1))
	}
	p, _ := ps.Get("national-2017")
	yes, no := true, false
	f.find = statistics.Findings{Year: 2025, Profile: p.ID, Judgements: map[string]evaluation.Judgement{},
		Vetoes: map[string]evaluation.Judgement{}, Figures: map[string]float64{
			"funding_norm_primary": 720, "funding_norm_junior": 940, "teacher_pay": 98_600, "civil_pay": 97_900,
			"training_completion_pct": 100, "rotation_eligible": 412, "rotation_teachers": 45, "rotation_key": 11,
			"zoning_primary_pct": 100, "zoning_junior_pct": 97.2, "hs_quota_pct": 55, "migrant_public_pct": 91.5,
			"retention_junior_pct": 97.8, "disabled_enrol_pct": 96.1, "monitoring_diff_rate": 0.05}}
	for _, c := range p.Judgements() {
		f.find.Judgements[c.Key] = evaluation.Judgement{Met: &yes}
	}
	for _, v := range p.Vetoes {
		f.find.Vetoes[v.Key] = evaluation.Judgement{Met: &no}
	}
	return f
}

// put imports the schools and saves the findings for 2025.
func (f *fixture) put(t testing.TB) {
	t.Helper()
	if err := f.stats.Import(f.ctx, f.unit.ID, 2025, f.schools); err != nil {
		t.Fatal(err)
	}
	if err := f.stats.SaveFindings(f.ctx, f.unit.ID, f.find); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) freeze(t testing.TB, note string) assessment.Round {
	t.Helper()
	r, err := f.store.Freeze(f.ctx, f.unit, 2025, "区教育局", note, f.now)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// problem finds the unit's problem of the check key for the school name
// ("" for the county).
func problem(t *testing.T, ps []assessment.Problem, key, school string) assessment.Problem {
	t.Helper()
	for _, p := range ps {
		if p.Key == key && p.School == school {
			return p
		}
	}
	t.Fatalf("no problem %s %q among %d", key, school, len(ps))
	return assessment.Problem{}
}

func pngFile(t *testing.T) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// taskBook is an annual task list as seed 000 has it: a title row, the
// six columns (完成时间 split over two lines), three tasks.
func taskBook(t *testing.T, rows [][]any) []byte {
	t.Helper()
	x := excelize.NewFile()
	_ = x.SetSheetRow("Sheet1", "A1", &[]any{"测试区创建全国义务教育优质均衡发展区年度任务清单"})
	_ = x.SetSheetRow("Sheet1", "A2", &[]any{"序号", "主要任务", "工作目标", "责任部门", "配合部门", "完成\n时间"})
	for i, r := range rows {
		_ = x.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i+3), &r)
	}
	var b bytes.Buffer
	if _, err := x.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestThreeRounds walks a county through its year: round 1 fails five
// checks (and waits for its survey); tasks come from a workbook and are
// linked; round 2 strikes off three by itself and leaves two; the judged
// one is struck off by a decision with evidence; round 3 strikes off the
// last, and is compared with round 1.
func TestThreeRounds(t *testing.T) {
	f := newFixture(t)
	if _, err := f.store.Freeze(f.ctx, f.unit, 2025, "x", "", f.now); err == nil || !strings.Contains(err.Error(), "尚无学校统计数据") {
		t.Fatalf("a round of nothing: %v", err)
	}
	// Five things short: a class of 60, a school without music rooms, a
	// school without training funds, retention at 90%, the left-behind
	// children's care judged not met.
	no := false
	f.schools[0].LargestClassPrimary = 60
	f.schools[1].MusicRooms = 0
	f.schools[2].TrainingFunds = 0
	f.find.Figures["retention_junior_pct"] = 90
	f.find.Judgements["left_behind_care"] = evaluation.Judgement{Met: &no}
	f.put(t)
	r1 := f.freeze(t, "第一轮")
	if r1.No != 1 || r1.Verdict != evaluation.Fail {
		t.Fatalf("round 1: no %d verdict %s", r1.No, r1.Verdict)
	}
	ps, err := f.store.Problems(f.ctx, f.unit.ID)
	if err != nil {
		t.Fatal(err)
	}
	var fails, missing []string
	for _, p := range ps {
		switch p.Latest().Status {
		case evaluation.Fail:
			fails = append(fails, p.Key+" "+p.School)
		case evaluation.Missing:
			missing = append(missing, p.Key)
		}
	}
	// Five failures; the two survey checks wait for a linked survey, and
	// 2.7 for a special school the county has not (不适用 is issue 29's).
	if len(fails) != 5 || !slices.Equal(missing, []string{"2.7/1", "4.1/1", "4.1/2"}) {
		t.Fatalf("round 1 found %d failing %v and missing %v", len(fails), fails, missing)
	}
	class := problem(t, ps, "2.5/1", "第1小学")
	music := problem(t, ps, "2.3/1", "第2小学")
	training := problem(t, ps, "3.4/1", "第3小学")
	retention := problem(t, ps, "3.1/1", "")
	care := problem(t, ps, "2.15/1", "")
	if !care.Judged || class.Judged || class.SchoolID == 0 || class.OpenedNo != 1 || class.State() != "未达标" {
		t.Errorf("problems: care %+v class %+v", care, class)
	}
	if !strings.Contains(class.Latest().Figure, "60 人") {
		t.Errorf("the class problem's figure: %q", class.Latest().Figure)
	}

	// The task list from a workbook in the seed's columns, then linked.
	book := taskBook(t, [][]any{
		{1, "着力化解“大校额”“大班额”", "小学、初中所有班级学生数分别不超过45人、50人。", "区教体局", "区发改委、区财政局", "2025年底"},
		{2, "关爱留守儿童", "建立留守儿童关爱体系。", "区民政局", "区教体局", "2026年6月"},
		{3, "提高初中巩固率", "初中三年巩固率达到95%以上。", "区教体局", "", "长期坚持"},
	})
	tasks, err := workbook.ParseTasks(bytes.NewReader(book))
	if err != nil {
		t.Fatal(err)
	}
	if added, updated, err := f.store.ImportTasks(f.ctx, f.unit.ID, tasks, "区教育局"); err != nil || added != 3 || updated != 0 {
		t.Fatalf("import: %d added %d updated, %v", added, updated, err)
	}
	ts, _ := f.store.Tasks(f.ctx, f.unit.ID, f.now)
	if len(ts) != 3 || !slices.Equal(ts[0].Partners, []string{"区发改委", "区财政局"}) || ts[0].Due.Format("2006-01-02") != "2025-12-31" || ts[2].Due != nil {
		t.Fatalf("tasks: %+v", ts)
	}
	// On 1 March 2026, the task due at the end of 2025 is overdue.
	if ts[0].Status != "逾期" || ts[1].Status != "未开始" || ts[2].Status != "未开始" {
		t.Errorf("statuses %s %s %s", ts[0].Status, ts[1].Status, ts[2].Status)
	}
	depts, _ := f.store.Departments(f.ctx, f.unit.ID)
	if !slices.Contains(depts, "区民政局") || !slices.Contains(depts, "区财政局") {
		t.Errorf("departments %v", depts)
	}
	link := func(task int64, problems []int64, inds ...string) {
		t.Helper()
		if err := f.store.Link(f.ctx, f.unit, task, problems, inds, "区教育局"); err != nil {
			t.Fatal(err)
		}
	}
	link(ts[0].ID, []int64{class.ID, music.ID, training.ID}, "2.5")
	link(ts[1].ID, []int64{care.ID}, "2.15")
	link(ts[2].ID, []int64{retention.ID}, "3.1")
	if err := f.store.Link(f.ctx, f.unit, ts[2].ID, []int64{999999}, nil, "x"); err == nil {
		t.Error("a problem of no unit was linked")
	}
	if err := f.store.SetProgress(f.ctx, f.unit.ID, ts[1].ID, assessment.InProgress, "区教育局"); err != nil {
		t.Fatal(err)
	}

	// Round 2: the schools are mended and the care judged met; retention
	// is still short.
	f.schools[0].LargestClassPrimary = 44
	f.schools[1].MusicRooms = 2
	f.schools[2].TrainingFunds = f.schools[2].OperatingFunds * 0.06
	yes := true
	f.find.Judgements["left_behind_care"] = evaluation.Judgement{Met: &yes}
	f.put(t)
	r2 := f.freeze(t, "第二轮")
	ps, _ = f.store.Problems(f.ctx, f.unit.ID)
	for _, id := range []int64{class.ID, music.ID, training.ID} {
		p := problem(t, ps, keyOf(ps, id), schoolOf(ps, id))
		if !p.Struck || p.StruckNo != 2 || p.StruckBy != nil || p.How() != "第 2 轮自查自评达标，自动销号" {
			t.Errorf("problem %d after round 2: %+v", id, p)
		}
	}
	care = problem(t, ps, "2.15/1", "")
	retention = problem(t, ps, "3.1/1", "")
	if care.Struck || care.State() != "待销号" || retention.Struck || retention.State() != "未达标" {
		t.Errorf("left after round 2: care %s, retention %s", care.State(), retention.State())
	}
	ts, _ = f.store.Tasks(f.ctx, f.unit.ID, f.now)
	if ts[0].StruckAt == nil || ts[1].StruckAt != nil || ts[0].Status != "已销号" {
		t.Errorf("tasks after round 2: %s %s", ts[0].Status, ts[1].Status)
	}

	// A judged problem: no strike without evidence, none for a figure.
	if err := f.store.StrikeOff(f.ctx, f.unit.ID, care.ID, "区教育局", "已建立关爱体系"); err == nil || !strings.Contains(err.Error(), "佐证材料") {
		t.Fatalf("struck off without evidence: %v", err)
	}
	if err := f.store.StrikeOff(f.ctx, f.unit.ID, retention.ID, "区教育局", "已好转"); err == nil {
		t.Fatal("a figure's problem was struck off by decision")
	}
	if _, err := f.store.Attach(f.ctx, f.unit.ID, assessment.SubjectProblem, care.ID, "关爱.exe", []byte("MZ\x90\x00"), "区教育局"); err == nil {
		t.Fatal("a program was kept as evidence")
	}
	e, err := f.store.Attach(f.ctx, f.unit.ID, assessment.SubjectProblem, care.ID, "关爱制度.png", pngFile(t), "区教育局")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.StrikeOff(f.ctx, f.unit.ID, care.ID, "区教育局", "已出台留守儿童关爱工作制度"); err != nil {
		t.Fatal(err)
	}
	ps, _ = f.store.Problems(f.ctx, f.unit.ID)
	care = problem(t, ps, "2.15/1", "")
	if !care.Struck || care.StruckBy == nil || *care.StruckBy != "区教育局" || len(care.Evidence) != 1 || care.Evidence[0].SHA256 != e.SHA256 {
		t.Errorf("care after the decision: %+v", care)
	}
	ts, _ = f.store.Tasks(f.ctx, f.unit.ID, f.now)
	if ts[1].StruckAt == nil {
		t.Error("the care task was not struck off with its problem")
	}

	// Round 3: retention mended; compared with round 1.
	f.find.Figures["retention_junior_pct"] = 96
	f.put(t)
	r3 := f.freeze(t, "第三轮")
	ps, _ = f.store.Problems(f.ctx, f.unit.ID)
	if p := problem(t, ps, "3.1/1", ""); !p.Struck || p.StruckNo != 3 {
		t.Errorf("retention after round 3: %+v", p)
	}
	cmp, err := f.store.Compare(f.ctx, f.unit.ID, r1.No, r3.No)
	if err != nil {
		t.Fatal(err)
	}
	if cmp.NowPasses != 5 || cmp.StillShort != 3 || cmp.NowShort != 0 {
		t.Errorf("round 3 against round 1: %d now pass, %d still short, %d newly short", cmp.NowPasses, cmp.StillShort, cmp.NowShort)
	}
	if cmp.A.Measures.UpToStandard != 7 || cmp.B.Measures.UpToStandard != 10 {
		t.Errorf("schools up to standard %d → %d", cmp.A.Measures.UpToStandard, cmp.B.Measures.UpToStandard)
	}
	for _, ic := range cmp.Indicators {
		if ic.No == "2.5" && (ic.A != evaluation.Fail || ic.B != evaluation.Pass || ic.Change != assessment.NowPasses) {
			t.Errorf("indicator 2.5: %+v", ic)
		}
	}
	if r2.No != 2 || r3.No != 3 {
		t.Errorf("numbers %d %d", r2.No, r3.No)
	}
	// A round never changes once frozen.
	if _, err := f.pool.Exec(f.ctx, "UPDATE rounds SET verdict = 'pass' WHERE id = $1", r1.ID); err == nil {
		t.Error("a frozen round was changed")
	}
	// The history has every step.
	evs, _ := f.store.Events(f.ctx, f.unit.ID)
	kinds := map[string]int{}
	for _, e := range evs {
		kinds[e.Kind]++
	}
	if kinds[assessment.EventStruck] != 4 || kinds[assessment.EventDecided] != 1 || kinds[assessment.EventTaskDone] != 3 || kinds[assessment.EventOpened] != 8 {
		t.Errorf("history: %v", kinds)
	}
	// The ledger reads it all.
	l, err := f.store.Ledger(f.ctx, f.unit, f.now)
	if err != nil {
		t.Fatal(err)
	}
	if l.Total.Struck != 5 || l.Total.Open != 3 || l.Total.Tasks != 3 || l.Total.Overdue != 0 {
		t.Errorf("ledger totals %+v", l.Total)
	}
	sl, err := f.store.SchoolLedger(f.ctx, f.unit, class.SchoolID, f.now)
	if err != nil {
		t.Fatal(err)
	}
	if sl.School != "第1小学" || len(sl.Rounds) != 3 || sl.Rounds[0].UpToStandard || !sl.Rounds[2].UpToStandard || len(sl.Problems) != 1 || len(sl.Tasks) != 1 {
		t.Errorf("school ledger: %s, %d rounds, %d problems, %d tasks", sl.School, len(sl.Rounds), len(sl.Problems), len(sl.Tasks))
	}
}

func keyOf(ps []assessment.Problem, id int64) string {
	for _, p := range ps {
		if p.ID == id {
			return p.Key
		}
	}
	return ""
}

func schoolOf(ps []assessment.Problem, id int64) string {
	for _, p := range ps {
		if p.ID == id {
			return p.School
		}
	}
	return ""
}

// A round is the county's own self-assessment: a blind survey (盲评) the
// city ran for it is in the round as withheld, its sample counts only,
// and its result statement stays out, whoever froze the round.
func TestRoundWithholdsABlindSurvey(t *testing.T) {
	f := newFixture(t)
	f.put(t)
	surveys := survey.NewStore(f.pool)
	title, blind := "湘潭市社会认可度调查（盲评）", true
	if _, err := surveys.CreateRegionCampaigns(f.ctx, county.Everything, "4303", survey.Settings{Title: &title, Blind: &blind},
		survey.LinkBatch{Kinds: []*survey.Kind{nil}, UnitWide: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := surveys.OpenRegion(f.ctx, county.Everything, "4303", "city"); err != nil {
		t.Fatal(err)
	}
	cps, err := surveys.Campaigns(f.ctx, f.unit.ID)
	if err != nil || len(cps) != 1 || !cps[0].Blind || cps[0].Status != survey.Open {
		t.Fatalf("campaigns %+v, %v", cps, err)
	}
	if _, err := surveys.DeclareResult(f.ctx, cps[0].ID, "city"); err != nil {
		t.Fatal(err)
	}
	r := f.freeze(t, "")
	rec := r.Result.Recognition
	if rec == nil || !strings.Contains(rec.Withheld, "由上级组织，不向本单位公开") || !strings.Contains(rec.Withheld, "湘潭市教育局") || rec.Rate != 0 || rec.SampleSize == 0 {
		t.Errorf("the round's recognition: %+v", rec)
	}
	if r.Statement != nil || r.CampaignID == nil || *r.CampaignID != cps[0].ID || r.Checkpoint == "" {
		t.Errorf("the round keeps the survey's checkpoint, not its statement: statement %v, campaign %v", r.Statement != nil, r.CampaignID)
	}
	checked := 0
	for _, ir := range r.Result.Indicators {
		for _, cr := range ir.Results {
			if cr.Rule == evaluation.RuleRecognition {
				checked++
				if cr.Status != evaluation.Missing || !strings.Contains(cr.Value, "不向本单位公开") {
					t.Errorf("the recognition check: %s %q", cr.Status, cr.Value)
				}
			}
		}
	}
	if checked == 0 {
		t.Error("no recognition check in the round")
	}
}

package assessment

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"renke/county"
	"renke/dbq"
	"renke/refusal"
)

// Progress is how far a task has come, as staff report it.
type Progress string

const (
	NotStarted Progress = "not_started" // 未开始
	InProgress Progress = "in_progress" // 推进中
	Awaiting   Progress = "awaiting"    // 待销号: done, waiting for its problems or a decision
)

// Progresses lists the progress a task can report.
var Progresses = []Progress{NotStarted, InProgress, Awaiting}

// Name is the progress in Chinese.
func (p Progress) Name() string {
	return map[Progress]string{NotStarted: "未开始", InProgress: "推进中", Awaiting: "待销号"}[p]
}

// Task is one line of the annual task list (年度任务清单, seed 000 附件2):
// 序号, 主要任务, 工作目标, 责任部门, 配合部门, 完成时间; with its progress,
// the problems and indicators it addresses, and how it was struck off.
type Task struct {
	ID         int64      `json:"id"`
	No         int        `json:"no"`       // 序号
	Title      string     `json:"title"`    // 主要任务
	Goal       string     `json:"goal"`     // 工作目标
	Lead       []string   `json:"lead"`     // 责任部门
	Partners   []string   `json:"partners"` // 配合部门
	DueText    string     `json:"due_text"` // 完成时间, as the county wrote it
	Due        *time.Time `json:"due"`      // its last day; nil for a standing task (长期)
	Progress   Progress   `json:"progress"`
	StruckAt   *time.Time `json:"struck_at,omitempty"`
	StruckBy   *string    `json:"struck_by,omitempty"` // "": when its problems were all struck off
	Reason     string     `json:"reason,omitempty"`
	Problems   []int64    `json:"problems"`
	Indicators []string   `json:"indicators"`
	Evidence   []Evidence `json:"evidence"`
	Status     string     `json:"status"` // 未开始, 推进中, 待销号, 已销号 or 逾期, on the day read
}

// TaskStatus is a task's status on day now: 已销号 once struck off; else
// 逾期 after its completion date (from the day after); else its progress.
func TaskStatus(t Task, now time.Time) string {
	switch {
	case t.StruckAt != nil:
		return "已销号"
	case t.Due != nil && dayOf(now).After(*t.Due):
		return "逾期"
	}
	if t.Progress == "" {
		return NotStarted.Name()
	}
	return t.Progress.Name()
}

// Overdue reports whether the task is 逾期 on day now.
func (t Task) Overdue(now time.Time) bool { return TaskStatus(t, now) == "逾期" }

// China is the time zone completion dates are read in.
var China = time.FixedZone("CST", 8*3600)

// dayOf is the calendar day of t in China, as a UTC midnight.
func dayOf(t time.Time) time.Time {
	y, m, d := t.In(China).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

var (
	dueYearEnd   = regexp.MustCompile(`^(\d{4})\s*年?\s*(底|末|年底|年末|全年|)$`)
	dueHalf      = regexp.MustCompile(`^(\d{4})\s*年\s*(上|下)半年(底|末)?$`)
	dueQuarter   = regexp.MustCompile(`^(\d{4})\s*年\s*(?:第)?\s*([一二三四1-4])\s*季度(底|末)?$`)
	dueMonth     = regexp.MustCompile(`^(\d{4})\s*(?:年|[-./])\s*(\d{1,2})\s*(?:月)?\s*(底|末|份)?$`)
	dueDay       = regexp.MustCompile(`^(\d{4})\s*(?:年|[-./])\s*(\d{1,2})\s*(?:月|[-./])\s*(\d{1,2})\s*日?$`)
	standingWord = []string{"长期", "长期坚持", "持续推进", "常态化", "持续", "长期推进"}
)

// ParseDue reads a completion time (完成时间) as counties write it, to the
// last day it allows: "2024年底" and "2024年" are 31 December 2024;
// "2024年6月" and "2024-06" the month's last day; "2024年上半年" 30 June;
// "2024年第三季度" 30 September; "2024年6月30日", "2024-06-30" and
// "2024/6/30" that day; an Excel date serial (as a date cell reads) its
// day. "长期", "长期坚持", "持续推进" and "常态化" set no date (standing
// tasks are never overdue). Anything else is refused with the forms it
// takes.
func ParseDue(text string) (*time.Time, error) {
	s := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		if r >= '０' && r <= '９' {
			return r - '０' + '0'
		}
		return r
	}, text)
	s = strings.TrimSuffix(s, "完成")
	s = strings.TrimSuffix(strings.TrimSuffix(s, "以前"), "前")
	day := func(y, m, d int) (*time.Time, error) {
		if y < 2000 || y > 2100 || m < 1 || m > 12 || d < 1 {
			return nil, fmt.Errorf("完成时间“%s”不是有效的日期", text)
		}
		t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
		if t.Month() != time.Month(m) {
			return nil, fmt.Errorf("完成时间“%s”不是有效的日期", text)
		}
		return &t, nil
	}
	monthEnd := func(y, m int) (*time.Time, error) {
		if m < 1 || m > 12 {
			return nil, fmt.Errorf("完成时间“%s”的月份无效", text)
		}
		return day(y, m, time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day())
	}
	atoi := func(x string) int { n, _ := strconv.Atoi(x); return n }
	switch {
	case s == "":
		return nil, fmt.Errorf("请填写完成时间，如“2025年底”“2025年6月”或“长期坚持”")
	case slices.Contains(standingWord, s):
		return nil, nil
	case dueYearEnd.MatchString(s):
		m := dueYearEnd.FindStringSubmatch(s)
		return day(atoi(m[1]), 12, 31)
	case dueHalf.MatchString(s):
		m := dueHalf.FindStringSubmatch(s)
		if m[2] == "上" {
			return day(atoi(m[1]), 6, 30)
		}
		return day(atoi(m[1]), 12, 31)
	case dueQuarter.MatchString(s):
		m := dueQuarter.FindStringSubmatch(s)
		q := strings.Index("一二三四", m[2])/len("一") + 1
		if n, err := strconv.Atoi(m[2]); err == nil {
			q = n
		}
		return monthEnd(atoi(m[1]), q*3)
	case dueDay.MatchString(s):
		m := dueDay.FindStringSubmatch(s)
		return day(atoi(m[1]), atoi(m[2]), atoi(m[3]))
	case dueMonth.MatchString(s):
		m := dueMonth.FindStringSubmatch(s)
		return monthEnd(atoi(m[1]), atoi(m[2]))
	}
	if serial, err := strconv.ParseFloat(s, 64); err == nil && serial > 36526 && serial < 73051 { // 2000–2099
		t := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(serial))
		return &t, nil
	}
	return nil, fmt.Errorf("无法识别完成时间“%s”，请写作“2025年底”“2025年6月”“2025年6月30日”“2025年上半年”或“长期坚持”", text)
}

// Departments splits a cell of departments (区财政局、区发改委) into names.
func Departments(cell string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(cell, func(r rune) bool {
		return r == '、' || r == '，' || r == ',' || r == '；' || r == ';' || r == '\n' || r == '/' || r == '／'
	}) {
		if f = strings.TrimSpace(f); f != "" && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// Limits of a task's text.
const (
	MaxTitle      = 200
	MaxGoal       = 2000
	MaxDepartment = 60
)

// Validate checks a task as staff or a workbook give it, and reads its
// completion date; messages name the column (列) they are about.
func (t *Task) Validate() []FieldError {
	var out []FieldError
	bad := func(col, f string, a ...any) {
		out = append(out, FieldError{Column: col, Message: fmt.Sprintf(f, a...)})
	}
	t.Title, t.Goal, t.DueText = strings.TrimSpace(t.Title), strings.TrimSpace(t.Goal), strings.TrimSpace(t.DueText)
	switch n := len([]rune(t.Title)); {
	case n == 0:
		bad("主要任务", "不能为空")
	case n > MaxTitle:
		bad("主要任务", "不超过 %d 字", MaxTitle)
	}
	if len([]rune(t.Goal)) > MaxGoal {
		bad("工作目标", "不超过 %d 字", MaxGoal)
	}
	if len(t.Lead) == 0 {
		bad("责任部门", "不能为空")
	}
	for col, names := range map[string][]string{"责任部门": t.Lead, "配合部门": t.Partners} {
		for _, d := range names {
			if len([]rune(d)) > MaxDepartment || strings.ContainsFunc(d, unicode.IsControl) {
				bad(col, "部门名称“%s”过长或含有无法识别的字符（不超过 %d 字）", d, MaxDepartment)
			}
		}
	}
	for _, s := range []string{t.Title, t.Goal} {
		if strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }) {
			bad("主要任务", "含有无法识别的字符")
		}
	}
	due, err := ParseDue(t.DueText)
	if err != nil {
		bad("完成时间", "%s", err.Error())
	}
	t.Due = due
	if t.No < 0 || t.No > 100000 {
		bad("序号", "应为 1 至 100000 的整数")
	}
	slices.SortFunc(out, func(a, b FieldError) int { return strings.Compare(a.Column, b.Column) })
	return out
}

// FieldError is a problem with one field of a task.
type FieldError struct {
	Column  string `json:"column"`
	Message string `json:"message"`
}

func refuseFields(errs []FieldError) error {
	var parts []string
	for _, e := range errs {
		parts = append(parts, e.Column+"："+e.Message)
	}
	return refusal.Invalidf("%s", strings.Join(parts, "；"))
}

func date(t *time.Time) pgtype.Date {
	if t == nil {
		return pgtype.Date{}
	}
	return pgtype.Date{Time: *t, Valid: true}
}

func tasksOf(rows []dbq.Task) []Task {
	out := make([]Task, len(rows))
	for i, x := range rows {
		t := Task{ID: x.ID, No: int(x.No), Title: x.Title, Goal: x.Goal, Lead: x.Lead, Partners: x.Partners, DueText: x.DueText,
			Progress: Progress(x.Progress), StruckAt: x.StruckAt, StruckBy: x.StruckBy, Reason: x.Reason,
			Problems: []int64{}, Indicators: []string{}, Evidence: []Evidence{}}
		if x.Due.Valid {
			d := x.Due.Time
			t.Due = &d
		}
		out[i] = t
	}
	return out
}

// Tasks lists the unit's tasks in the order of their numbers, each with
// its links, evidence and status on day now.
func (s *Store) Tasks(ctx context.Context, unitID int64, now time.Time) ([]Task, error) {
	links, err := s.q.TaskLinks(ctx, unitID)
	if err != nil {
		return nil, err
	}
	files, err := s.Evidence(ctx, unitID)
	if err != nil {
		return nil, err
	}
	return s.tasks(ctx, unitID, now, links, files)
}

// tasks is Tasks given the unit's task links and evidence.
func (s *Store) tasks(ctx context.Context, unitID int64, now time.Time, links []dbq.TaskProblem, files []Evidence) ([]Task, error) {
	rows, err := s.q.ListTasks(ctx, unitID)
	if err != nil {
		return nil, err
	}
	ts := tasksOf(rows)
	byID := map[int64]*Task{}
	for i := range ts {
		byID[ts[i].ID] = &ts[i]
		ts[i].Status = TaskStatus(ts[i], now)
	}
	for _, l := range links {
		byID[l.TaskID].Problems = append(byID[l.TaskID].Problems, l.ProblemID)
	}
	inds, err := s.q.TaskIndicators(ctx, unitID)
	if err != nil {
		return nil, err
	}
	for _, l := range inds {
		byID[l.TaskID].Indicators = append(byID[l.TaskID].Indicators, l.Indicator)
	}
	for _, f := range files {
		if t := byID[f.SubjectID]; t != nil && f.Subject == SubjectTask {
			t.Evidence = append(t.Evidence, f)
		}
	}
	return ts, nil
}

// Task reads one task of the unit.
func (s *Store) Task(ctx context.Context, unitID, id int64, now time.Time) (Task, error) {
	ts, err := s.Tasks(ctx, unitID, now)
	if err != nil {
		return Task{}, err
	}
	for _, t := range ts {
		if t.ID == id {
			return t, nil
		}
	}
	return Task{}, ErrNotFound
}

// SaveTask creates a task (ID 0; numbered after the last when No is 0)
// or changes one of the unit's. Its departments join the unit's list.
func (s *Store) SaveTask(ctx context.Context, unitID int64, t Task, by string) (Task, error) {
	if errs := t.Validate(); len(errs) > 0 {
		return Task{}, refuseFields(errs)
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := dbq.New(tx)
		ts, err := q.LockTasks(ctx, unitID)
		if err != nil {
			return err
		}
		ev := events{unit: unitID, by: by}
		if t.ID == 0 {
			if t.No == 0 {
				for _, x := range ts {
					t.No = max(t.No, int(x.No))
				}
				t.No++
			}
			for _, x := range ts {
				if int(x.No) == t.No {
					return refusal.Conflictf("序号 %d 已有任务“%s”", t.No, x.Title)
				}
			}
			if t.ID, err = q.InsertTask(ctx, dbq.InsertTaskParams{UnitID: unitID, No: int32(t.No), Title: t.Title, Goal: t.Goal,
				Lead: t.Lead, Partners: orEmpty(t.Partners), DueText: t.DueText, Due: date(t.Due)}); err != nil {
				return err
			}
			ev.task(t.ID, EventTaskNew, fmt.Sprintf("%d. %s", t.No, t.Title))
		} else {
			i := slices.IndexFunc(ts, func(x dbq.Task) bool { return x.ID == t.ID })
			if i < 0 {
				return ErrNotFound
			}
			t.No = int(ts[i].No)
			if err := q.UpdateTask(ctx, dbq.UpdateTaskParams{ID: t.ID, Title: t.Title, Goal: t.Goal, Lead: t.Lead,
				Partners: orEmpty(t.Partners), DueText: t.DueText, Due: date(t.Due)}); err != nil {
				return err
			}
			ev.task(t.ID, EventTaskEdit, taskLine(t))
		}
		if err := q.AddDepartments(ctx, dbq.AddDepartmentsParams{UnitID: unitID, Names: append(slices.Clone(t.Lead), t.Partners...)}); err != nil {
			return err
		}
		return ev.write(ctx, q)
	})
	return t, err
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func taskLine(t Task) string {
	return fmt.Sprintf("%d. %s｜%s｜责任部门：%s｜配合部门：%s｜完成时间：%s", t.No, t.Title, t.Goal,
		strings.Join(t.Lead, "、"), strings.Join(t.Partners, "、"), t.DueText)
}

// ImportTasks writes a task list read from a workbook: a task whose 序号
// the unit has already is updated, a new one added; none is deleted. All
// or nothing. It returns how many were added and updated.
func (s *Store) ImportTasks(ctx context.Context, unitID int64, tasks []Task, by string) (added, updated int, err error) {
	for i := range tasks {
		if errs := tasks[i].Validate(); len(errs) > 0 {
			return 0, 0, refuseFields(errs)
		}
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := dbq.New(tx)
		ts, err := q.LockTasks(ctx, unitID)
		if err != nil {
			return err
		}
		byNo := map[int]int64{}
		for _, x := range ts {
			byNo[int(x.No)] = x.ID
		}
		ev := events{unit: unitID, by: by}
		var depts []string
		for _, t := range tasks {
			depts = append(depts, t.Lead...)
			depts = append(depts, t.Partners...)
			if id, ok := byNo[t.No]; ok {
				if err := q.UpdateTask(ctx, dbq.UpdateTaskParams{ID: id, Title: t.Title, Goal: t.Goal, Lead: t.Lead,
					Partners: orEmpty(t.Partners), DueText: t.DueText, Due: date(t.Due)}); err != nil {
					return err
				}
				ev.task(id, EventTaskEdit, "导入："+taskLine(t))
				updated++
				continue
			}
			id, err := q.InsertTask(ctx, dbq.InsertTaskParams{UnitID: unitID, No: int32(t.No), Title: t.Title, Goal: t.Goal,
				Lead: t.Lead, Partners: orEmpty(t.Partners), DueText: t.DueText, Due: date(t.Due)})
			if err != nil {
				return err
			}
			byNo[t.No] = id
			ev.task(id, EventTaskNew, "导入："+taskLine(t))
			added++
		}
		if err := q.AddDepartments(ctx, dbq.AddDepartmentsParams{UnitID: unitID, Names: depts}); err != nil {
			return err
		}
		return ev.write(ctx, q)
	})
	if err != nil {
		return 0, 0, err
	}
	return added, updated, nil
}

// SetProgress records a task's progress (未开始, 推进中, 待销号).
func (s *Store) SetProgress(ctx context.Context, unitID, taskID int64, p Progress, by string) error {
	if !slices.Contains(Progresses, p) {
		return refusal.Invalidf("进展应为未开始、推进中或待销号")
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := dbq.New(tx)
		ts, err := q.LockTasks(ctx, unitID)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(ts, func(x dbq.Task) bool { return x.ID == taskID }) {
			return ErrNotFound
		}
		if err := q.SetTaskProgress(ctx, dbq.SetTaskProgressParams{ID: taskID, Progress: string(p)}); err != nil {
			return err
		}
		ev := events{unit: unitID, by: by}
		ev.task(taskID, EventProgress, p.Name())
		return ev.write(ctx, q)
	})
}

// Indicators are the indicator numbers of the unit's profile, as its
// findings of the default year choose it: what a task may address.
func (s *Store) Indicators(ctx context.Context, u county.Unit, now time.Time) ([]string, error) {
	run, err := s.evaluations.Load(ctx, county.Scope{}, u, 0, now)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(run.Profile.Indicators))
	for i, ind := range run.Profile.Indicators {
		out[i] = ind.No
	}
	return out, nil
}

// Link links a task to problems of the unit and to indicators of its
// profile (Indicators). A task whose linked problems are all struck off
// is struck off.
func (s *Store) Link(ctx context.Context, u county.Unit, taskID int64, problems []int64, indicators []string, by string) error {
	unitID := u.ID
	known, err := s.Indicators(ctx, u, time.Now())
	if err != nil {
		return err
	}
	for _, in := range indicators {
		if !slices.Contains(known, in) {
			return refusal.Invalidf("没有编号为“%s”的指标", in)
		}
	}
	if len(problems) == 0 && len(indicators) == 0 {
		return refusal.Invalidf("请选择要关联的问题或指标")
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := dbq.New(tx)
		ts, err := q.LockTasks(ctx, unitID)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(ts, func(x dbq.Task) bool { return x.ID == taskID }) {
			return ErrNotFound
		}
		ps, err := q.ListProblems(ctx, unitID)
		if err != nil {
			return err
		}
		var names []string
		for _, id := range problems {
			i := slices.IndexFunc(ps, func(p dbq.Problem) bool { return p.ID == id })
			if i < 0 {
				return refusal.Invalidf("问题 %d 不在本单位的问题清单中", id)
			}
			names = append(names, fmt.Sprintf("问题 %d（%s %s）", id, ps[i].Indicator, ps[i].Title))
		}
		if err := q.LinkTaskProblems(ctx, dbq.LinkTaskProblemsParams{TaskID: taskID, ProblemIds: orEmptyIDs(problems)}); err != nil {
			return err
		}
		if err := q.LinkTaskIndicators(ctx, dbq.LinkTaskIndicatorsParams{TaskID: taskID, Indicators: orEmpty(indicators)}); err != nil {
			return err
		}
		for _, in := range indicators {
			names = append(names, "指标 "+in)
		}
		ev := events{unit: unitID, by: by}
		ev.task(taskID, EventLinked, strings.Join(names, "、"))
		if err := s.settleTasks(ctx, q, unitID, &ev); err != nil {
			return err
		}
		return ev.write(ctx, q)
	})
}

func orEmptyIDs(s []int64) []int64 {
	if s == nil {
		return []int64{}
	}
	return s
}

// StrikeTask strikes off a task that addresses no problem, by a staff
// decision with a reason and evidence attached to it; a task with
// problems is struck off when they are.
func (s *Store) StrikeTask(ctx context.Context, unitID, taskID int64, by, reason string) error {
	reason, err := decisionReason(reason)
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := dbq.New(tx)
		ts, err := q.LockTasks(ctx, unitID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(ts, func(x dbq.Task) bool { return x.ID == taskID })
		if i < 0 {
			return ErrNotFound
		}
		links, err := q.TaskLinks(ctx, unitID)
		if err != nil {
			return err
		}
		files, err := q.ListEvidence(ctx, unitID)
		if err != nil {
			return err
		}
		switch {
		case ts[i].StruckAt != nil:
			return refusal.Conflictf("该任务已销号")
		case slices.ContainsFunc(links, func(l dbq.TaskProblem) bool { return l.TaskID == taskID }):
			return refusal.Invalidf("该任务关联了问题：所涉问题全部销号后，任务自动销号")
		case !slices.ContainsFunc(files, func(f dbq.ListEvidenceRow) bool { return f.Subject == SubjectTask && f.SubjectID == taskID }):
			return refusal.Invalidf("请先上传佐证材料，再决定销号")
		}
		if err := q.StrikeTask(ctx, dbq.StrikeTaskParams{ID: taskID, StruckBy: &by, Reason: reason}); err != nil {
			return err
		}
		ev := events{unit: unitID, by: by}
		ev.task(taskID, EventTaskDone, reason)
		return ev.write(ctx, q)
	})
}

// settleTasks strikes off every task whose linked problems are all struck
// off, and reopens a task struck off so when one of them reopens.
func (s *Store) settleTasks(ctx context.Context, q *dbq.Queries, unitID int64, ev *events) error {
	ts, err := q.LockTasks(ctx, unitID)
	if err != nil || len(ts) == 0 {
		return err
	}
	links, err := q.TaskLinks(ctx, unitID)
	if err != nil || len(links) == 0 {
		return err
	}
	ps, err := q.ListProblems(ctx, unitID)
	if err != nil {
		return err
	}
	struck := map[int64]bool{}
	for _, p := range ps {
		struck[p.ID] = p.Status == "struck"
	}
	done := map[int64]bool{}
	for _, l := range links {
		if _, seen := done[l.TaskID]; !seen {
			done[l.TaskID] = true
		}
		done[l.TaskID] = done[l.TaskID] && struck[l.ProblemID]
	}
	auto := ""
	for _, t := range ts {
		all, linked := done[t.ID]
		switch {
		case !linked:
		case all && t.StruckAt == nil:
			if err := q.StrikeTask(ctx, dbq.StrikeTaskParams{ID: t.ID, StruckBy: &auto, Reason: "所涉问题均已销号"}); err != nil {
				return err
			}
			ev.task(t.ID, EventTaskDone, "所涉问题均已销号，任务自动销号")
		case !all && t.StruckAt != nil && t.StruckBy != nil && *t.StruckBy == "":
			if err := q.ReopenTask(ctx, t.ID); err != nil {
				return err
			}
			ev.task(t.ID, EventTaskAgain, "所涉问题重新列入问题清单，任务重新打开")
		}
	}
	return nil
}

// Departments is the unit's list of departments.
func (s *Store) Departments(ctx context.Context, unitID int64) ([]string, error) {
	return s.q.ListDepartments(ctx, unitID)
}

// AddDepartment adds a department to the unit's list.
func (s *Store) AddDepartment(ctx context.Context, unitID int64, name string) error {
	name = strings.TrimSpace(name)
	if name == "" || len([]rune(name)) > MaxDepartment || strings.ContainsFunc(name, unicode.IsControl) {
		return refusal.Invalidf("部门名称不能为空，不超过 %d 字", MaxDepartment)
	}
	return s.q.AddDepartments(ctx, dbq.AddDepartmentsParams{UnitID: unitID, Names: []string{name}})
}

type unitTask struct {
	Task
	unit int64
}

func tasksOfRegion(rows []dbq.Task) []unitTask {
	ts := tasksOf(rows)
	out := make([]unitTask, len(ts))
	for i, t := range ts {
		out[i] = unitTask{Task: t, unit: rows[i].UnitID}
	}
	return out
}

// How says how the task was struck off, if it was.
func (t Task) How() string {
	switch {
	case t.StruckAt == nil:
		return ""
	case t.StruckBy == nil || *t.StruckBy == "":
		return "所涉问题均已销号，任务自动销号（" + t.StruckAt.In(China).Format("2006-01-02") + "）"
	}
	return *t.StruckBy + " 决定销号（" + t.StruckAt.In(China).Format("2006-01-02") + "）：" + t.Reason
}

package survey

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"renke/sampling"
)

// Besides admissions and review decisions, everything else that moves a
// campaign's result is a leaf of its log too (log version 3), each an
// Entry whose canonical body the database keeps beside the leaf:
//
//   - open: the campaign opened, with the verdict's settings it froze and
//     a digest of each questionnaire;
//   - setting: a verdict-deciding setting changed after that (old → new,
//     who, why), with the settings after the change;
//   - close and reopen, with who and why;
//   - flags: the flags a group commit raised, on the responses it
//     admitted and on stored ones (a burst);
//   - state: a log begun before these leaves existed, brought up to them:
//     the campaign's flags, settings and status as they stood then;
//   - result: a result statement (ResultStatement), computed from the
//     log itself, at close and whenever staff ask for one;
//   - tick: nothing but the time, appended while the campaign is open and
//     its log has not grown for TickEvery, so that a witness can tell a
//     quiet night from a log frozen in front of it (Store.Tick).
//
// Replaying the leaves in order gives what the log says the campaign's
// sample, flags, settings and status are at any point; verify compares
// that with what the database holds now, and recomputes every result
// statement from the replay at the point it was made.

// Entry kinds.
const (
	EntryState   = "state"
	EntryOpen    = "open"
	EntrySetting = "setting"
	EntryClose   = "close"
	EntryReopen  = "reopen"
	EntryFlags   = "flags"
	EntryResult  = "result"
	EntryTick    = "tick"
	// EntryPackage records a unit's self-assessment package (申报材料) as
	// submitted: the SHA-256 of its signed manifest. It changes nothing of
	// the campaign; a reviewer holding the package finds it in the log.
	EntryPackage = "package"
)

// entryNames are the kinds in Chinese.
var entryNames = map[string]string{EntryState: "日志升级时的状态", EntryOpen: "开始调查", EntrySetting: "修改设置",
	EntryClose: "结束调查", EntryReopen: "重新开放", EntryFlags: "标记", EntryResult: "结果声明", EntryTick: "计时", EntryPackage: "申报材料"}

// Entry is what a leaf other than an admission or a decision says. Its
// canonical body is its JSON in field order; the leaf hash is over that.
// Flags name responses by receipt, never by their answers.
type Entry struct {
	V         int              `json:"v"`
	Campaign  int64            `json:"campaign"`
	Kind      string           `json:"kind"`
	At        int64            `json:"at_us"`
	By        string           `json:"by"`
	Event     int64            `json:"event,omitempty"` // the campaign event it records
	Reason    string           `json:"reason,omitempty"`
	Setting   string           `json:"setting,omitempty"`
	Old       string           `json:"old,omitempty"`
	New       string           `json:"new,omitempty"`
	Settings  *VerdictSettings `json:"settings,omitempty"` // after the event; nil for a draft's state
	Status    Status           `json:"status,omitempty"`   // state: the campaign's status then
	LastEvent int64            `json:"last_event,omitempty"`
	Forms     []FormDigest     `json:"forms,omitempty"`
	Flags     [][2]string      `json:"flags,omitempty"` // [receipt, flag], sorted
	// Held: the receipts of the responses the group commit held (flagged
	// on arrival: no place, not counted until a reviewer admits them).
	Held    []string         `json:"held,omitempty"`
	Result  *ResultStatement `json:"result,omitempty"`
	Package *PackageRecord   `json:"package,omitempty"`
}

// PackageRecord is what the log keeps of a submitted package.
type PackageRecord struct {
	Unit     string `json:"unit"`     // the unit's code
	Round    int    `json:"round"`    // the round of self-assessment
	Manifest string `json:"manifest"` // hex SHA-256 of the signed manifest, as in the package
}

// Time is when the entry was made.
func (e Entry) Time() time.Time { return time.UnixMicro(e.At) }

// Rates is the statement's rate by each method, in the order of Methods.
func (r ResultStatement) Rates() []MethodRate {
	out := make([]MethodRate, 0, len(Methods))
	for _, m := range Methods {
		if v, ok := r.Methods[m]; ok {
			out = append(out, MethodRate{Method: m, StatementRate: v, Chosen: m == r.Method})
		}
	}
	return out
}

// MethodRate is one method's line of a statement.
type MethodRate struct {
	Method Method
	StatementRate
	Chosen bool // the campaign's method: the verdict's
}

// Canonical is the entry's body.
func (e *Entry) Canonical() []byte {
	b, _ := json.Marshal(e)
	return b
}

// entryVersion is the version of entry bodies.
const entryVersion = 3

func newEntry(campaignID int64, kind, by string, at time.Time) Entry {
	return Entry{V: entryVersion, Campaign: campaignID, Kind: kind, By: by, At: at.UnixMicro()}
}

// VerdictSettings are the settings a campaign's verdict depends on, as
// the log records them, and whether the survey is blind (盲评): a reviewer
// trusts a sample more whose answers the assessed unit could not watch,
// so the log binds that too (absent from surveys that are not blind, whose
// entries stay as they were).
type VerdictSettings struct {
	Threshold  float64         `json:"threshold"`
	Method     Method          `json:"method"`
	RatePPM    int             `json:"rate_ppm"`
	MinSample  int             `json:"min_sample"`
	Policy     sampling.Policy `json:"quota_policy"`
	SampleSize int             `json:"sample_size"`
	Population int64           `json:"population"`
	Shares     sampling.Shares `json:"shares"`
	Blind      bool            `json:"blind,omitempty"`
}

// Verdict is the campaign's verdict settings; nil while a draft (nothing
// is fixed yet).
func (c Campaign) Verdict() *VerdictSettings {
	if c.Status == Draft || c.SampleSize == nil || c.Population == nil || c.Shares == nil {
		return nil
	}
	return &VerdictSettings{Threshold: c.Threshold, Method: c.Method, RatePPM: c.RatePPM, MinSample: c.MinSample, Policy: c.Policy,
		SampleSize: *c.SampleSize, Population: *c.Population, Shares: *c.Shares, Blind: c.Blind}
}

// differences names the settings that differ between what the log says
// (v) and what the database holds (now).
func (v VerdictSettings) differences(now VerdictSettings) []string {
	var out []string
	add := func(name, logged, stored string) {
		if logged != stored {
			out = append(out, fmt.Sprintf("%s：日志记为 %s，数据库中为 %s", name, logged, stored))
		}
	}
	add("达标线", percent(v.Threshold)+"%", percent(now.Threshold)+"%")
	add("计分方法", v.Method.Name()+"（"+string(v.Method)+"）", now.Method.Name()+"（"+string(now.Method)+"）")
	add("抽样比例", strconv.Itoa(v.RatePPM)+" ppm", strconv.Itoa(now.RatePPM)+" ppm")
	add("最低样本量", strconv.Itoa(v.MinSample), strconv.Itoa(now.MinSample))
	add("配额策略", string(v.Policy), string(now.Policy))
	add("样本量", strconv.Itoa(v.SampleSize), strconv.Itoa(now.SampleSize))
	add("常住人口", strconv.FormatInt(v.Population, 10), strconv.FormatInt(now.Population, 10))
	sh := func(s sampling.Shares) string { return fmt.Sprintf("%s/%s/%s", bp(s.Urban), bp(s.Town), bp(s.Rural)) }
	add("城区/镇区/乡村人口占比", sh(v.Shares), sh(now.Shares))
	return out
}

// FormDigest is a questionnaire as the log records it: its id and the
// SHA-256 of its definition as stored.
type FormDigest struct {
	ID     int64  `json:"id"`
	SHA256 string `json:"sha256"`
}

// DigestForm is the digest of a questionnaire's stored definition.
func DigestForm(id int64, definition []byte) FormDigest {
	sum := sha256.Sum256(definition)
	return FormDigest{ID: id, SHA256: hex.EncodeToString(sum[:])}
}

// ResultStatement is a campaign's result as computed from its log: over
// the log's first Size leaves, with the verdict's settings the log
// records at that point (Entry.Settings beside it).
type ResultStatement struct {
	Final       bool                     `json:"final"` // made at close; otherwise provisional
	Size        int64                    `json:"size"`
	Sample      SampleState              `json:"sample"`
	Cells       []StatementCell          `json:"cells"`
	Responses   StatementCounts          `json:"responses"`
	Respondents int64                    `json:"respondents"`
	Answers     int64                    `json:"answers"`
	Methods     map[Method]StatementRate `json:"methods"`
	Method      Method                   `json:"method"`
	Pass        bool                     `json:"pass"`
	Margin      Margin                   `json:"margin"`
	Provisional bool                     `json:"provisional"`
	Shortfall   string                   `json:"shortfall,omitempty"`
}

// StatementCell is one quota cell: its target, the places its responses
// took, and those counted in the sample.
type StatementCell struct {
	Category sampling.Category `json:"category"`
	Locale   sampling.Locale   `json:"locale"`
	Target   int               `json:"target"`
	Admitted int               `json:"admitted"`
	Counted  int               `json:"counted"`
}

// StatementCounts is the log's responses by what became of them.
type StatementCounts struct {
	Logged      int64 `json:"logged"`      // in the log: admitted, or held for review
	Counted     int64 `json:"counted"`     // in the sample: admitted and not invalidated
	Held        int64 `json:"held"`        // held for review: not counted, no place
	Invalidated int64 `json:"invalidated"` // judged invalid by a logged decision
	Flagged     int64 `json:"flagged"`     // carrying a logged flag
	Pending     int64 `json:"pending"`     // flagged, no decision yet
}

// StatementRate is one method's rate with its 95% interval, as decimal
// fractions to six places: the same figures however they are recomputed.
type StatementRate struct {
	Rate string `json:"rate"`
	Low  string `json:"low"`
	High string `json:"high"`
	Pass bool   `json:"pass"`
}

func fraction(v float64) string { return strconv.FormatFloat(v, 'f', 6, 64) }

// Percent is a statement's fraction as a percentage to one decimal.
func (StatementRate) Percent(f string) string {
	v, err := strconv.ParseFloat(f, 64)
	if err != nil {
		return f
	}
	return strconv.FormatFloat(v*100, 'f', 1, 64) + "%"
}

// replayed is a response as the log's leaves describe it.
type replayed struct {
	r       *StoredResponse
	leaf    int64
	status  ResponseStatus // what the log says it is now
	placed  bool           // it took a quota place (kept when judged invalid)
	decided bool
	flags   map[string]bool
}

// logState is what the log says of a campaign up to a point of it.
type logState struct {
	settings  *VerdictSettings
	status    Status
	forms     []FormDigest
	baseline  bool  // an open or state leaf was seen: flags and events are logged from it on
	lastEvent int64 // events up to this id came before the log recorded them
	responses []*replayed
	byReceipt map[string]*replayed
	byID      map[int64]*replayed
	events    map[int64]Entry // campaign event id → the entry recording it
}

func newLogState() *logState {
	return &logState{byReceipt: map[string]*replayed{}, byID: map[int64]*replayed{}, events: map[int64]Entry{}}
}

// apply takes an entry into the state.
func (st *logState) apply(e Entry) {
	switch e.Kind {
	case EntryState:
		st.baseline, st.lastEvent, st.status, st.settings, st.forms = true, e.LastEvent, e.Status, e.Settings, e.Forms
	case EntryOpen:
		st.baseline, st.status, st.settings, st.forms = true, Open, e.Settings, e.Forms
	case EntrySetting:
		st.settings = e.Settings
	case EntryClose:
		st.status = Closed
	case EntryReopen:
		st.status = Open
	}
	for _, f := range e.Flags {
		if r := st.byReceipt[f[0]]; r != nil {
			r.flags[f[1]] = true
		}
	}
	for _, receipt := range e.Held {
		if r := st.byReceipt[receipt]; r != nil && !r.decided {
			r.status, r.placed = Held, false
		}
	}
	if e.Event != 0 {
		st.events[e.Event] = e
	}
}

// admit takes a response leaf into the state.
func (st *logState) admit(r *StoredResponse, leaf int64) {
	x := &replayed{r: r, leaf: leaf, status: Admitted, placed: true, flags: map[string]bool{}}
	st.responses = append(st.responses, x)
	st.byReceipt[r.Receipt], st.byID[r.ID] = x, x
}

// decide takes a decision leaf into the state. A decision on a held
// response carries its outcome: admitted (with a place), over quota (its
// cell full) or invalidated; on any other, invalid takes the response out
// of the sample (keeping its place) and valid keeps or puts it back.
func (st *logState) decide(d *StoredReview) {
	x := st.byID[d.ResponseID]
	if x == nil {
		return
	}
	x.decided = true
	switch o := ResponseStatus(d.Outcome); {
	case o == Admitted:
		x.status, x.placed = Admitted, true
	case o == OverQuota || o == Invalidated:
		x.status = o
	case d.Decision == string(Invalid):
		x.status = Invalidated
	default:
		x.status = Admitted
	}
}

// step takes one leaf into the state: an entry (e, parsed from its body),
// a decision, or an admission. A leaf whose body did not parse, or whose
// response or decision is gone, changes nothing: Verify names it.
func (st *logState) step(l LeafRow, e *Entry, responses map[int64]*StoredResponse, reviews map[int64]*StoredReview) {
	switch {
	case e != nil:
		st.apply(*e)
	case l.Body != nil:
	case l.ReviewID != nil:
		if d := reviews[*l.ReviewID]; d != nil {
			st.decide(d)
		}
	default:
		if r := responses[l.ResponseID]; r != nil && st.byID[r.ID] == nil {
			st.admit(r, l.Index)
		}
	}
}

// statement computes the result statement of the state with the
// questionnaires forms: what Score gives over the counted respondents,
// with the quota shares of the logged settings.
func (st *logState) statement(forms map[int64]*Questionnaire, size int64, final bool) (ResultStatement, error) {
	if st.settings == nil {
		return ResultStatement{}, fmt.Errorf("日志中没有开始调查时冻结的设置，无法计算结果")
	}
	set := *st.settings
	a, err := sampling.Allocate(sampling.Design{Population: set.Population, RatePPM: set.RatePPM, MinSample: set.MinSample, Shares: set.Shares})
	if err != nil {
		return ResultStatement{}, err
	}
	out := ResultStatement{Final: final, Size: size, Methods: map[Method]StatementRate{}, Method: set.Method}
	type place struct {
		c sampling.Category
		l sampling.Locale
	}
	admitted, counted := map[place]int{}, map[place]int{}
	var people []Respondent
	parents := 0
	for _, x := range st.responses {
		r := x.r
		p := place{sampling.Category(r.Category), sampling.Locale(r.Locale)}
		if x.placed {
			admitted[p]++
		}
		out.Responses.Logged++
		if len(x.flags) > 0 {
			out.Responses.Flagged++
			if !x.decided {
				out.Responses.Pending++
			}
		}
		switch x.status {
		case Held:
			out.Responses.Held++
			continue
		case Invalidated:
			out.Responses.Invalidated++
			continue
		case OverQuota:
			continue
		}
		out.Responses.Counted++
		counted[p]++
		if p.c == sampling.Parent {
			parents++
		}
		if f := forms[r.FormID]; f != nil {
			school := ""
			if r.SchoolID != 0 {
				school = strconv.FormatInt(r.SchoolID, 10)
			}
			people = append(people, Respondent{Form: f, Category: p.c, Locale: p.l, School: school, Answers: r.Answers})
		}
	}
	for _, c := range a.Cells {
		p := place{c.Category, c.Locale}
		out.Cells = append(out.Cells, StatementCell{Category: c.Category, Locale: c.Locale, Target: c.Target,
			Admitted: admitted[p], Counted: counted[p]})
		delete(admitted, p)
		delete(counted, p)
	}
	for _, p := range slices.SortedFunc(maps.Keys(admitted), func(x, y place) int {
		return cmp.Or(cmp.Compare(x.c, y.c), cmp.Compare(x.l, y.l))
	}) { // a response in no cell of the allocation: shown, never dropped
		out.Cells = append(out.Cells, StatementCell{Category: p.c, Locale: p.l, Admitted: admitted[p], Counted: counted[p]})
	}
	sc := Scoring{Method: set.Method, Threshold: set.Threshold, QuotaShares: map[sampling.Category]float64{},
		Sample: SampleState{Designed: set.SampleSize, Counted: int(out.Responses.Counted),
			ParentFloorMet: sampling.ParentFloorMet(parents, int(out.Responses.Counted))}}
	for c, n := range a.ByCategory {
		if a.SampleSize > 0 {
			sc.QuotaShares[c] = float64(n) / float64(a.SampleSize)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(forms)) {
		sc.Questionnaires = append(sc.Questionnaires, *forms[id])
	}
	counts, sums := Tabulate(people)
	rep := Score(sc, counts, sums)
	out.Sample, out.Respondents, out.Answers = rep.Sample, rep.Respondents, rep.Answers
	for _, m := range rep.Methods {
		out.Methods[m.Method] = StatementRate{Rate: fraction(m.Rate), Low: fraction(m.Low), High: fraction(m.High), Pass: m.Pass}
	}
	out.Pass, out.Margin, out.Provisional, out.Shortfall = rep.Result.Pass, rep.Margin, rep.Provisional, rep.Shortfall
	return out, nil
}

// StoredEvent is a campaign event as the database holds it.
type StoredEvent struct {
	ID                 int64
	At                 time.Time
	Action, Reason, By string
	Setting, Old, New  string
}

// entryKind is the kind of entry that records an event of this action; ""
// for one the log does not record (log_upgrade).
func entryKind(action string) string {
	switch action {
	case "setting":
		return EntrySetting // the open event is a setting event with no old value
	case "close":
		return EntryClose
	case "reopen":
		return EntryReopen
	}
	return ""
}

// matches reports whether an entry records the event as it is stored.
func (e Entry) matches(ev StoredEvent) bool {
	kind := entryKind(ev.Action)
	if kind == EntrySetting && ev.Old == "" && e.Kind == EntryOpen {
		return e.By == ev.By && e.At == ev.At.UnixMicro() && e.New == ev.New
	}
	return e.Kind == kind && e.By == ev.By && e.At == ev.At.UnixMicro() && e.Reason == ev.Reason &&
		e.Setting == ev.Setting && e.Old == ev.Old && e.New == ev.New
}

// maxStateProblems bounds the flags named one by one; the rest are counted.
const maxStateProblems = 20

// checkEntries replays the log and names everything the database holds
// now that the log does not say: result statements whose figures differ
// from a recomputation at their point of the log, flags raised or cleared
// outside it, settings, status, events and questionnaires changed outside
// it. entries are the parsed bodies by leaf index.
func checkEntries(in LogInput, size int64, rows map[int64]LeafRow, entries map[int64]Entry,
	responses map[int64]*StoredResponse, reviews map[int64]*StoredReview) []LogProblem {
	var out []LogProblem
	problem := func(kind string, pos int64, f string, a ...any) {
		out = append(out, LogProblem{Kind: kind, Pos: pos, Text: fmt.Sprintf(f, a...)})
	}
	forms := map[int64]*Questionnaire{}
	for i := range in.Forms {
		forms[in.Forms[i].ID] = &in.Forms[i].Questionnaire
	}
	// Result statements, by the size they were computed over.
	due := map[int64][]int64{}
	for i, e := range entries {
		if e.Kind == EntryResult && e.Result != nil {
			if e.Result.Size < 0 || e.Result.Size > i {
				problem(Malformed, i+1, "第 %d 条记录（结果声明）声称按日志前 %d 条计算，超出它自己的位置", i+1, e.Result.Size)
				continue
			}
			due[e.Result.Size] = append(due[e.Result.Size], i)
		}
	}
	st := newLogState()
	check := func(at int64) {
		for _, i := range due[at] {
			e := entries[i]
			want, err := st.statement(forms, at, e.Result.Final)
			if err != nil {
				problem(Figure, i+1, "第 %d 条记录（结果声明）无法按日志重算：%v", i+1, err)
				continue
			}
			if e.Settings == nil || *e.Settings != *st.settings {
				problem(Figure, i+1, "第 %d 条记录（结果声明）所用的设置与日志在该处记录的设置不一致", i+1)
			}
			for _, d := range statementDiff(*e.Result, want) {
				problem(Figure, i+1, "第 %d 条记录（结果声明）%s", i+1, d)
			}
		}
	}
	for i := int64(0); i < size; i++ {
		check(i)
		if l, ok := rows[i]; ok {
			var e *Entry
			if x, ok := entries[i]; ok {
				e = &x
			}
			st.step(l, e, responses, reviews)
		}
	}
	check(size)

	// Each response's status: what the log's admissions, holds and
	// decisions leave it.
	for _, x := range st.responses {
		r, want := x.r, x.status
		if r.Status == want {
			continue
		}
		p := LogProblem{Kind: Excluded, Pos: x.leaf + 1, ResponseID: r.ID, Receipt: r.Receipt}
		switch {
		case r.Status == Invalidated:
			p.Text = fmt.Sprintf("第 %d 条记录（回执 %s）被移出样本，但日志中没有相应的审核决定", p.Pos, r.Receipt)
		case r.Status == Admitted && want == Invalidated:
			p.Text = fmt.Sprintf("第 %d 条记录（回执 %s）被重新计入样本，但日志中最后的审核决定是“无效”", p.Pos, r.Receipt)
		case r.Status == Admitted && want == Held:
			p.Text = fmt.Sprintf("第 %d 条记录（回执 %s）未经审核即被计入样本：日志记录它入样时带有标记、暂未计入", p.Pos, r.Receipt)
		default:
			p.Text = fmt.Sprintf("第 %d 条记录（回执 %s）状态被改为“%s”，但日志记录的是“%s”", p.Pos, r.Receipt, r.Status.Name(), want.Name())
		}
		out = append(out, p)
	}

	if !st.baseline {
		if size > 0 && in.Version >= entryVersion {
			problem(Removed, 0, "样本日志中没有开始调查（或日志升级）时记录设置与标记的条目，无法核验设置、标记和事件")
		}
		return out
	}
	// Flags: the database's against the log's.
	n := 0
	for _, x := range st.responses {
		stored := map[string]bool{}
		for _, f := range x.r.Flags {
			stored[f] = true
		}
		for _, f := range slices.Sorted(maps.Keys(stored)) {
			if !x.flags[f] {
				if n++; n <= maxStateProblems {
					out = append(out, LogProblem{Kind: Excluded, Pos: x.leaf + 1, ResponseID: x.r.ID, Receipt: x.r.Receipt,
						Text: fmt.Sprintf("第 %d 条记录（回执 %s）带有标记“%s”，但日志中没有记录这个标记", x.leaf+1, x.r.Receipt, Flag(f).Name())})
				}
			}
		}
		for _, f := range slices.Sorted(maps.Keys(x.flags)) {
			if !stored[f] {
				if n++; n <= maxStateProblems {
					out = append(out, LogProblem{Kind: Excluded, Pos: x.leaf + 1, ResponseID: x.r.ID, Receipt: x.r.Receipt,
						Text: fmt.Sprintf("第 %d 条记录（回执 %s）的标记“%s”已被清除，日志中记录了这个标记", x.leaf+1, x.r.Receipt, Flag(f).Name())})
				}
			}
		}
	}
	if n > maxStateProblems {
		problem(Excluded, 0, "另有 %d 处标记与日志不符", n-maxStateProblems)
	}
	// Settings, status and questionnaires.
	switch {
	case st.settings != nil && in.Settings == nil:
		problem(Figure, 0, "日志记录了开始调查时冻结的设置，但调查现在没有这些设置（状态为“%s”）", in.Status.Name())
	case st.settings != nil:
		for _, d := range st.settings.differences(*in.Settings) {
			problem(Figure, 0, "计算结论所用的设置被改动而未记入日志——%s", d)
		}
		if blind := map[bool]string{true: "盲评", false: "非盲评"}; st.settings.Blind != in.Settings.Blind {
			problem(Figure, 0, "是否盲评被改动而未记入日志——日志记为%s，数据库中为%s", blind[st.settings.Blind], blind[in.Settings.Blind])
		}
	}
	if st.status != "" && in.Status != st.status {
		problem(Excluded, 0, "调查状态为“%s”，日志记录的是“%s”", in.Status.Name(), st.status.Name())
	}
	if st.forms != nil {
		now := map[int64]string{}
		for _, d := range in.FormDigests {
			now[d.ID] = d.SHA256
		}
		for _, d := range st.forms {
			if now[d.ID] != d.SHA256 {
				problem(Changed, 0, "问卷（编号 %d）在开始调查后被改动或删除：与日志记录的摘要 %s 不一致", d.ID, hexPrefix(d.SHA256))
			}
			delete(now, d.ID)
		}
		for _, id := range slices.Sorted(maps.Keys(now)) {
			problem(Inserted, 0, "问卷（编号 %d）不在开始调查时记录的问卷中", id)
		}
	}
	// Events: each recorded, as recorded.
	stored := map[int64]bool{}
	for _, ev := range in.Events {
		if entryKind(ev.Action) == "" || ev.ID <= st.lastEvent {
			continue
		}
		stored[ev.ID] = true
		e, ok := st.events[ev.ID]
		switch {
		case !ok:
			problem(Inserted, 0, "%s 的事件“%s”（编号 %d）不在样本日志中", ev.At.In(Beijing).Format("2006-01-02 15:04"), eventWords(ev), ev.ID)
		case !e.matches(ev):
			problem(Changed, 0, "事件“%s”（编号 %d）与记入日志时不一致", eventWords(ev), ev.ID)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(st.events)) {
		if !stored[id] {
			e := st.events[id]
			problem(Removed, 0, "日志记录的事件“%s”（编号 %d）已从调查记录中删除", entryNames[e.Kind], id)
		}
	}
	return out
}

func eventWords(ev StoredEvent) string {
	return Event{Action: ev.Action, Setting: ev.Setting, Old: ev.Old}.Name()
}

// statementDiff names each figure of a statement that differs from its
// recomputation, in words for staff.
func statementDiff(got, want ResultStatement) []string {
	var out []string
	add := func(name, g, w string) {
		if g != w {
			out = append(out, fmt.Sprintf("的%s记为 %s，按日志重算应为 %s", name, g, w))
		}
	}
	i64 := func(v int64) string { return strconv.FormatInt(v, 10) }
	yes := func(v bool) string { return map[bool]string{true: "是", false: "否"}[v] }
	add("计算所依据的日志条数", i64(got.Size), i64(want.Size))
	add("样本设计量", strconv.Itoa(got.Sample.Designed), strconv.Itoa(want.Sample.Designed))
	add("纳入样本数", strconv.Itoa(got.Sample.Counted), strconv.Itoa(want.Sample.Counted))
	add("家长占比是否达 50%", yes(got.Sample.ParentFloorMet), yes(want.Sample.ParentFloorMet))
	add("入样答卷数", i64(got.Responses.Logged), i64(want.Responses.Logged))
	add("计入答卷数", i64(got.Responses.Counted), i64(want.Responses.Counted))
	add("待审核（暂未计入）数", i64(got.Responses.Held), i64(want.Responses.Held))
	add("审核判为无效数", i64(got.Responses.Invalidated), i64(want.Responses.Invalidated))
	add("被标记答卷数", i64(got.Responses.Flagged), i64(want.Responses.Flagged))
	add("待审核数", i64(got.Responses.Pending), i64(want.Responses.Pending))
	add("作答人数", i64(got.Respondents), i64(want.Respondents))
	add("有效回答数", i64(got.Answers), i64(want.Answers))
	add("计分方法", string(got.Method), string(want.Method))
	add("是否达标", yes(got.Pass), yes(want.Pass))
	add("区间与达标线的关系", got.Margin.Name(), want.Margin.Name())
	add("是否为暂定结论", yes(got.Provisional), yes(want.Provisional))
	cell := func(c StatementCell) string {
		return fmt.Sprintf("目标 %d、占名额 %d、纳入 %d", c.Target, c.Admitted, c.Counted)
	}
	type place struct {
		c sampling.Category
		l sampling.Locale
	}
	cells := map[place][2]*StatementCell{}
	for i := range got.Cells {
		c := &got.Cells[i]
		v := cells[place{c.Category, c.Locale}]
		v[0] = c
		cells[place{c.Category, c.Locale}] = v
	}
	for i := range want.Cells {
		c := &want.Cells[i]
		v := cells[place{c.Category, c.Locale}]
		v[1] = c
		cells[place{c.Category, c.Locale}] = v
	}
	for _, p := range slices.SortedFunc(maps.Keys(cells), func(x, y place) int {
		return cmp.Or(cmp.Compare(x.c, y.c), cmp.Compare(x.l, y.l))
	}) {
		g, w := "无", "无"
		if v := cells[p][0]; v != nil {
			g = cell(*v)
		}
		if v := cells[p][1]; v != nil {
			w = cell(*v)
		}
		add(p.c.Name()+"·"+p.l.Name()+"配额格", g, w)
	}
	for _, m := range Methods {
		g, w := got.Methods[m], want.Methods[m]
		rate := func(r StatementRate) string {
			if r.Rate == "" {
				return "无"
			}
			return fmt.Sprintf("%s（%s–%s）", r.Percent(r.Rate), r.Percent(r.Low), r.Percent(r.High))
		}
		if g != w {
			out = append(out, fmt.Sprintf("的认可度（%s）记为 %s，按日志重算应为 %s", m.Name(), rate(g), rate(w)))
		}
	}
	return out
}

// parseEntry reads a leaf's body; an error says why it is not an entry.
func parseEntry(body []byte, campaignID int64) (Entry, error) {
	var e Entry
	if err := json.Unmarshal(body, &e); err != nil {
		return e, err
	}
	switch {
	case e.Campaign != campaignID:
		return e, fmt.Errorf("属于另一个调查（%d）", e.Campaign)
	case entryNames[e.Kind] == "":
		return e, fmt.Errorf("类型“%s”不是日志写入的类型", e.Kind)
	case e.Kind == EntryResult && e.Result == nil:
		return e, fmt.Errorf("结果声明没有内容")
	}
	return e, nil
}

// flagPairs is the flags of the given responses as an entry lists them:
// [receipt, flag], sorted.
func flagPairs(byReceipt map[string][]Flag) [][2]string {
	var out [][2]string
	for r, fs := range byReceipt {
		for _, f := range fs {
			out = append(out, [2]string{r, string(f)})
		}
	}
	slices.SortFunc(out, func(a, b [2]string) int { return cmp.Or(strings.Compare(a[0], b[0]), strings.Compare(a[1], b[1])) })
	return slices.CompactFunc(out, func(a, b [2]string) bool { return a == b })
}

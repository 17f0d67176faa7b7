package assessment

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"renke/county"
	"renke/dbq"
	"renke/document"
	"renke/evaluation"
	"renke/refusal"
)

// Sections are the parts of the self-assessment report (自评报告) the
// bureau writes itself, in their order.
var Sections = []string{"基本情况", "主要做法与成效", "存在的问题", "整改措施与下一步工作"}

// RegistrationKey is where a field of the registration form (申报登记表)
// is kept among the round's written sections.
func RegistrationKey(field string) string { return "登记表:" + field }

// MaxSection bounds one written section.
const MaxSection = 20000

// SelfReport composes the self-assessment report of a frozen round: 基本
// 情况, the verdict, each dimension's indicators with what was found, the
// survey's result and method, the problems and the rectification tasks,
// with the sections the bureau wrote (narratives, by Sections).
func SelfReport(u county.Unit, r *Round, p *evaluation.Profile, l Ledger, narratives map[string]string) *document.Doc {
	d := document.New(fmt.Sprintf("%s县域义务教育优质均衡发展自评报告", u.Name))
	d.Para(fmt.Sprintf("第 %d 轮自查自评 · %d—%d 学年 · 评估标准：%s · 冻结于 %s", r.No, r.Year, r.Year+1, p.Name,
		r.FrozenAt.In(China).Format("2006年1月2日")))
	written := func(section string) {
		if t := strings.TrimSpace(narratives[section]); t != "" {
			d.Para(t)
		} else {
			d.Para("（此部分待填写。）")
		}
	}
	d.Heading(1, "一、基本情况")
	d.Para(fmt.Sprintf("%s（行政区划代码 %s），常住人口 %d 人。本轮参评义务教育学校 %d 所，其中达到标准的 %d 所。",
		u.Name, u.Code, u.Population, r.Measures.Schools, r.Measures.UpToStandard))
	written("基本情况")
	d.Heading(1, "二、自评结论")
	var rows [][]string
	for _, dim := range r.Result.Dimensions {
		rows = append(rows, []string{dim.Name, dim.Status.Name()})
	}
	if sc := r.Result.Score; sc != nil {
		grade := sc.Grade
		if grade == "" {
			grade = sc.Why
		}
		rows = append(rows, []string{"B类指标计分", fmt.Sprintf("%s 分 %s", sc.TotalShown, grade)})
	}
	rows = append(rows, []string{"总体结论", r.Result.Verdict.Name()})
	d.Table([]string{"维度", "结论"}, rows)
	d.Heading(1, "三、各维度指标")
	for _, dim := range r.Result.Dimensions {
		d.Heading(2, dim.Name)
		var rows [][]string
		for _, ir := range r.Result.Indicators {
			if ir.Dimension != dim.Key {
				continue
			}
			var found []string
			for _, cr := range ir.Results {
				line := cr.Label
				if cr.Value != "" {
					line += "：" + cr.Value
				}
				found = append(found, line)
			}
			if ir.Class == "B" {
				found = append(found, fmt.Sprintf("得分 %s / %s 分", ir.ScoreShown, evaluation.Num(ir.Points())))
			}
			rows = append(rows, []string{ir.No, ir.Name, ir.Status.Name(), strings.Join(found, "\n")})
		}
		d.Table([]string{"序号", "指标", "结论", "核查情况"}, rows)
	}
	d.Heading(1, "四、社会认可度调查")
	if rec := r.Result.Recognition; rec != nil && rec.Withheld != "" {
		d.Para(fmt.Sprintf("调查“%s”：%s。样本量 %d，已纳入 %d 份，其中家长 %d 份。", rec.Campaign, rec.Withheld, rec.SampleSize, rec.Admitted, rec.Parents))
	} else if rec != nil {
		d.Para(fmt.Sprintf("调查“%s”按%s计算，认可度 %s%%（95%% 置信区间 %s%%–%s%%），%d 人作答、%d 个有效回答；样本量 %d，已纳入 %d 份，其中家长 %d 份。",
			rec.Campaign, rec.Method, evaluation.Num(rec.Rate*100), evaluation.Num(rec.Low*100), evaluation.Num(rec.High*100),
			rec.Respondents, rec.Answers, rec.SampleSize, rec.Admitted, rec.Parents))
		if !rec.Complete {
			d.Para("样本尚未完成：" + rec.Shortfall + "。")
		}
	} else {
		d.Para("本轮未关联有答卷的社会认可度调查。")
	}
	if r.Statement != nil {
		d.Para(fmt.Sprintf("冻结时的结果声明为样本日志第 %d 条（覆盖前 %d 条记录），叶哈希 %s。", r.Statement.Pos, r.Statement.Result.Size, r.Statement.Hash))
	}
	d.Heading(1, "五、主要做法与成效")
	written("主要做法与成效")
	d.Heading(1, "六、存在的问题")
	written("存在的问题")
	var open [][]string
	for i := range l.Problems {
		pr := &l.Problems[i]
		if pr.Struck {
			continue
		}
		open = append(open, []string{pr.Indicator, pr.Title, pr.Scope(), pr.State(), pr.Latest().Figure})
	}
	if len(open) > 0 {
		d.Table([]string{"指标", "问题", "范围", "状态", "最新一轮发现"}, open)
	} else {
		d.Para("问题清单中没有未销号的问题。")
	}
	d.Heading(1, "七、整改措施与下一步工作")
	written("整改措施与下一步工作")
	var tasks [][]string
	for _, t := range l.Tasks {
		tasks = append(tasks, []string{fmt.Sprint(t.No), t.Title, strings.Join(t.Lead, "、"), strings.Join(t.Partners, "、"), t.DueText, t.Status})
	}
	if len(tasks) > 0 {
		d.Table([]string{"序号", "主要任务", "责任部门", "配合部门", "完成时间", "状态"}, tasks)
	}
	return d
}

// Narratives are the sections the bureau wrote for round no.
func (s *Store) Narratives(ctx context.Context, unitID int64, no int) (map[string]string, error) {
	r, err := s.Round(ctx, unitID, no)
	if err != nil {
		return nil, err
	}
	rows, err := s.q.ListNarratives(ctx, r.ID)
	out := map[string]string{}
	for _, x := range rows {
		out[x.Section] = x.Text
	}
	return out, err
}

// SaveNarratives saves the sections the bureau writes for round no's
// report (by the names in Sections), until the round is signed off: what
// the head signs is what is submitted.
func (s *Store) SaveNarratives(ctx context.Context, unitID int64, no int, texts map[string]string, by string) error {
	r, err := s.Round(ctx, unitID, no)
	if err != nil {
		return err
	}
	allowed := slices.Clone(Sections)
	for _, f := range s.evaluations.ProfileOf(r.Profile).RegistrationFields() {
		allowed = append(allowed, RegistrationKey(f.Key))
	}
	for k, v := range texts {
		switch {
		case !slices.Contains(allowed, k):
			return refusal.Invalidf("自评报告和申报登记表没有“%s”一项", k)
		case utf8.RuneCountInString(v) > MaxSection:
			return refusal.Invalidf("“%s”不超过 %d 字", k, MaxSection)
		}
	}
	return s.move(ctx, unitID, no, by, func(q *dbq.Queries, own *dbq.LockSubmissionsRow, _ []dbq.LockSubmissionsRow) error {
		if own != nil {
			return refusal.Conflictf("第 %d 轮已签发，自评报告不能再修改：请冻结新的一轮", no)
		}
		for _, k := range allowed {
			if v, ok := texts[k]; ok {
				if err := q.PutNarrative(ctx, dbq.PutNarrativeParams{RoundID: r.ID, Section: k, Text: strings.TrimSpace(v), UpdatedBy: by}); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

package survey

import (
	"testing"
	"time"
)

func TestResponseTableShowsLabels(t *testing.T) {
	forms := []Form{{Questionnaire: Questionnaire{Kind: SocialForm,
		Scale: []Option{{Value: "A", Label: "满意"}, {Value: "X", Label: "不了解"}},
		Items: []Item{{ID: "S01", Text: "就近入学"}, {ID: "S02", Text: "课后服务"}}}},
		{Questionnaire: Questionnaire{Kind: StaffForm, Scale: []Option{{Value: "A", Label: "非常满意"}},
			Items: []Item{{ID: "T01", Text: "培训"}}}}}
	tb := NewResponseTable(forms)
	if len(tb.Header) != 17 || tb.Header[10] != "系统标记" || tb.Header[13] != "S01 就近入学" || tb.Header[16] != "意见建议" {
		t.Fatalf("header %v", tb.Header)
	}
	r := &Row{Receipt: "R1", SubmittedAt: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC), Kind: SocialForm, Category: "parent",
		Locale: "rural", GradeBand: "3-4", Status: OverQuota, FillMS: 95_500, Suggestion: "好",
		Answers: map[string]string{"S01": "A", "S02": "X", "T01": "A"}, Flags: []string{"fast", "burst"}, Decision: "invalid", Reason: "雷同答卷"}
	got := tb.Record(7, r, nil)
	want := map[int]string{0: "7", 2: "2026-11-01 20:00:00", 3: "社会问卷", 4: "家长", 5: "乡村", 6: "三至四年级", 8: "超出配额", 9: "95.5",
		10: "填写过快；短时间内同一链接或学校出现雷同答卷", 11: "无效", 12: "雷同答卷",
		13: "满意", 14: "不了解", 15: "满意", 16: "好"} // T01 is shown with the social scale it was answered on
	for i, w := range want {
		if got[i] != w {
			t.Errorf("column %d (%s) = %q, want %q", i, tb.Header[i], got[i], w)
		}
	}
}

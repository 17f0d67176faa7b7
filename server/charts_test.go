package server

import (
	"strings"
	"testing"

	"renke/survey"
)

func TestIntervalChartColoursAgainstTheLine(t *testing.T) {
	rows := []intervalRow{
		{Label: "低于", Interval: survey.Interval{Rate: 0.70, Low: 0.65, High: 0.80}},
		{Label: "跨线", Interval: survey.Interval{Rate: 0.86, Low: 0.83, High: 0.89}},
		{Label: "达标", Interval: survey.Interval{Rate: 0.95, Low: 0.85, High: 0.97}}, // low exactly on the line clears it
		{Label: `<script>`, Interval: survey.Interval{Rate: 0.9, Low: 0.88, High: 0.92}},
	}
	out := string(intervalChart(rows, 0.85))
	for _, want := range []string{`class="iv bad" title="低于`, `class="iv warn" title="跨线`, `class="iv ok" title="达标`, "&lt;script&gt;", "60%"} {
		if !strings.Contains(out, want) {
			t.Errorf("chart lacks %s", want)
		}
	}
	if strings.Contains(out, "<script>") {
		t.Error("a label is not escaped")
	}
	if !strings.Contains(string(intervalChart(nil, 0.85)), "还没有答卷") {
		t.Error("an empty chart says nothing")
	}
}

func TestMeter(t *testing.T) {
	for _, tc := range []struct {
		share, mark float64
		want        string
	}{
		{0.3, 0.5, `width="30.00" height="10" fill="#c77700"`}, // short of the mark
		{0.6, 0.5, `width="60.00" height="10" fill="#2f7d4a"`},
		{1.7, 0, `width="100.00"`}, // clamped
		{-1, 0, `width="0.00"`},
	} {
		if got := string(meter(tc.share, tc.mark)); !strings.Contains(got, tc.want) {
			t.Errorf("meter(%v, %v) = %s, want %s", tc.share, tc.mark, got, tc.want)
		}
	}
}

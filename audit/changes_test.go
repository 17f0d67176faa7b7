package audit

import (
	"slices"
	"testing"
)

func TestChanges(t *testing.T) {
	type shares struct {
		Urban int `json:"urban"`
		Rural int `json:"rural"`
	}
	type unit struct {
		ID         int64  `json:"id"`
		Name       string `json:"name"`
		Population int64  `json:"population"`
		Source     string `json:"source"`
		Shares     shares `json:"shares"`
	}
	a := unit{ID: 1, Name: "示范县", Population: 800_000, Shares: shares{6000, 4000}}
	b := unit{ID: 2, Name: "示范县", Population: 812_345, Source: "七普", Shares: shares{5000, 5000}}
	got := Changes(a, b, map[string]string{"population": "常住人口", "shares": "城乡人口占比"}, "id")
	want := []string{"常住人口：800000 → 812345", `城乡人口占比：{"urban":6000,"rural":4000} → {"urban":5000,"rural":5000}`, "source：空 → 七普"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if got := Changes(a, a, nil); len(got) != 0 {
		t.Errorf("no change: %q", got)
	}
}

package county

import (
	"testing"

	"renke/sampling"
)

func TestUnitValidate(t *testing.T) {
	ok := Unit{Code: "430304", Name: "岳塘区", Kind: "district", Population: 300_000, Shares: sampling.Shares{Urban: 7000, Town: 2000, Rural: 1000}}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid unit: %v", err)
	}
	year := int32(1800)
	for name, mod := range map[string]func(*Unit){
		"code with spaces": func(u *Unit) { u.Code = "43 03" },
		"no name":          func(u *Unit) { u.Name = "  " },
		"unknown kind":     func(u *Unit) { u.Kind = "province" },
		"no population":    func(u *Unit) { u.Population = 0 },
		"shares 99%":       func(u *Unit) { u.Shares.Rural = 900 },
		"year 1800":        func(u *Unit) { u.PopulationYear = &year },
		"unlisted code":    func(u *Unit) { u.Code = "430399" }, // six digits, not a county on the division list
		"a city's code":    func(u *Unit) { u.Code = "430300" },
	} {
		u := ok
		mod(&u)
		if err := u.Validate(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// An unlisted code stands with a reason, which is kept; a listed code
	// or the deployment's own (demo) needs none and keeps none.
	for _, c := range []struct{ code, reason, kept string }{
		{"430399", "2026 年新设立，国务院批复", "2026 年新设立，国务院批复"},
		{"430304", "不需要", ""},
		{"demo", "不需要", ""},
	} {
		u := ok
		u.Code, u.CodeReason = c.code, c.reason
		if err := u.Validate(); err != nil || u.CodeReason != c.kept {
			t.Errorf("%s with a reason: %v, kept %q", c.code, err, u.CodeReason)
		}
	}
}

func TestBureau(t *testing.T) {
	u := Unit{Name: "雨湖区"}
	for region, want := range map[string]string{"": "雨湖区教育局", "430300": "湘潭市教育局", "430000": "湖南省教育厅",
		"000000": "教育部", "110100": "北京市教育局", "439900": "地区 439900 教育行政部门"} {
		if got := Bureau(u, region); got != want {
			t.Errorf("Bureau(%q) = %q, want %q", region, got, want)
		}
	}
}

func TestSchoolValidateAndTeaches(t *testing.T) {
	for _, tc := range []struct {
		s     School
		valid bool
	}{
		{School{Name: "一小", Type: Primary, Locale: sampling.Urban, EnrolPrimary: 800}, true},
		{School{Name: "一小", Type: Primary, Locale: sampling.Urban, EnrolJunior: 1}, false},
		{School{Name: "一中", Type: Junior, Locale: sampling.Town, EnrolPrimary: 1}, false},
		{School{Name: "九年制", Type: NineYear, Locale: sampling.Rural, EnrolPrimary: 300, EnrolJunior: 200}, true},
		{School{Name: "x", Type: "college", Locale: sampling.Rural}, false},
		{School{Name: "x", Type: Primary, Locale: "suburb"}, false},
		{School{Name: "", Type: Primary, Locale: sampling.Rural}, false},
		{School{Name: "x", Type: Primary, Locale: sampling.Rural, EnrolPrimary: -1}, false},
		{School{Name: "\uffff", Type: TeachingPoint, Locale: sampling.Rural, EnrolPrimary: 1}, false}, // found by FuzzParseRoster
		{School{Name: "一小\t分校", Type: Primary, Locale: sampling.Rural}, false},
		{School{Name: "一小\u3000分校", Type: Primary, Locale: sampling.Rural}, true}, // the ideographic space is fine
	} {
		if err := tc.s.Validate(); (err == nil) != tc.valid {
			t.Errorf("%+v: err %v, want valid %v", tc.s, err, tc.valid)
		}
	}
	for _, tc := range []struct {
		t       SchoolType
		band    sampling.GradeBand
		teaches bool
	}{
		{Primary, sampling.Grades56, true}, {Primary, sampling.Grades79, false},
		{Junior, sampling.Grades79, true}, {Junior, sampling.Grades12, false},
		{NineYear, sampling.Grades12, true}, {NineYear, sampling.Grades79, true},
		{CompleteMiddle, sampling.Grades79, true}, {CompleteMiddle, sampling.Grades34, false},
		{TeachingPoint, sampling.Grades34, true}, {TeachingPoint, sampling.Grades79, false},
	} {
		s := School{Type: tc.t}
		if got := s.Teaches(tc.band); got != tc.teaches {
			t.Errorf("%s teaches %s: %v", tc.t, tc.band, got)
		}
	}
}

func TestRegionPrefixAndCities(t *testing.T) {
	for code, want := range map[string]string{"43": "43", "4303": "4303", "430000": "43", "430300": "4303", "430302": "", "4": "", "43a3": "", "": ""} {
		got, ok := RegionPrefix(code)
		if got != want || ok != (want != "") {
			t.Errorf("RegionPrefix(%q) = %q %v, want %q", code, got, ok, want)
		}
	}
	if p, ok := RegionPrefix("000000"); !ok || p != "" || RegionName(p) != "全国" || DivisionCode(p) != "000000" {
		t.Errorf("the whole country: %q %v", p, ok)
	}
	if RegionName("4303") != "湘潭市 (430300)" || RegionName("43") != "湖南省 (430000)" || RegionName("4399") != "地区 439900" || DivisionCode("43") != "430000" {
		t.Errorf("names: %s %s %s %s", RegionName("4303"), RegionName("43"), RegionName("4399"), DivisionCode("43"))
	}
	// A county-level code has six digits and does not end in 00 (a city's
	// or province's own code does).
	for code, want := range map[string]bool{"430302": true, "430300": false, "430000": false, "43030": false, "4303a2": false, "4303021": false} {
		if CountyLevel(code) != want {
			t.Errorf("CountyLevel(%q) = %v", code, !want)
		}
	}
	// The country holds division codes, not a unit's own code like demo.
	for _, tt := range []struct {
		code, prefix string
		in           bool
	}{{"430302", "4303", true}, {"430302", "43", true}, {"110101", "4303", false}, {"430302", "", true}, {"demo", "", false}, {"4303xx", "", false}} {
		if InRegion(tt.code, tt.prefix) != tt.in {
			t.Errorf("InRegion(%q, %q) = %v", tt.code, tt.prefix, !tt.in)
		}
	}
	units := []Unit{{Code: "430302"}, {Code: "430321"}, {Code: "110101"}, {Code: "demo"}, {Code: "4303xx"}}
	if got := Cities(units, 2); len(got) != 1 || got[0] != "4303" {
		t.Errorf("Cities = %v", got)
	}
	if got := Cities(units, 1); len(got) != 2 {
		t.Errorf("Cities(1) = %v", got)
	}
}

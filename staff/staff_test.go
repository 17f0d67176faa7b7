package staff

import (
	"slices"
	"strings"
	"testing"
)

func TestGrantValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		g     Grant
		ok    bool
		units []int64
	}{
		{"admin drops units", Grant{Role: Admin, Units: []int64{3}}, true, nil},
		{"unit staff needs one unit", Grant{Role: UnitStaff}, false, nil},
		{"unit staff with one unit", Grant{Role: UnitStaff, Units: []int64{7}}, true, []int64{7}},
		{"unit staff with two units", Grant{Role: UnitStaff, Units: []int64{7, 8}}, false, nil},
		{"reviewer needs a unit", Grant{Role: Reviewer}, false, nil},
		{"reviewer's units sorted and unique", Grant{Role: Reviewer, Units: []int64{9, 2, 9}}, true, []int64{2, 9}},
		{"unknown role", Grant{Role: "root", Units: []int64{1}}, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.g.Validate()
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if tc.ok && !slices.Equal(tc.g.Units, tc.units) {
				t.Errorf("units %v, want %v", tc.g.Units, tc.units)
			}
			if !tc.ok {
				if _, refusal := err.(Refusal); !refusal {
					t.Errorf("%v is not a Refusal the console can show", err)
				}
			}
		})
	}
}

func TestScope(t *testing.T) {
	admin := Account{Role: Admin}
	if !admin.Scope().All || !admin.Scope().Includes(42) {
		t.Error("an admin reaches every unit")
	}
	rev := Account{Role: Reviewer, Units: []int64{3, 5}}
	if rev.Scope().All || !rev.Scope().Includes(5) || rev.Scope().Includes(4) || !rev.ReadOnly() {
		t.Errorf("reviewer scope %+v", rev.Scope())
	}
	if (Account{Role: UnitStaff}).Scope().Includes(1) {
		t.Error("unit staff without units reach a unit")
	}
}

// A grant's regions fit its role and become code prefixes: 430000 is the
// province 43, 430300 the city 4303; unit staff have one unit or regions.
func TestGrantRegions(t *testing.T) {
	for _, tt := range []struct {
		g       Grant
		regions []string
		refused string
	}{
		{Grant{Role: Reviewer, Regions: []string{"430300", "43", "4303"}}, []string{"43", "4303"}, ""},
		{Grant{Role: Reviewer, Units: []int64{2}, Regions: []string{"430000"}}, []string{"43"}, ""},
		{Grant{Role: Reviewer}, nil, "至少指定一个评价单位或地区"},
		{Grant{Role: Reviewer, Regions: []string{"430302"}}, nil, "地区代码“430302”无效"},
		{Grant{Role: Reviewer, Regions: []string{"4a"}}, nil, "无效"},
		{Grant{Role: UnitStaff, Units: []int64{1}, Regions: []string{"43"}}, nil, "二者只选其一"},
		{Grant{Role: UnitStaff, Units: []int64{1, 2}}, nil, "二者只选其一"},
		{Grant{Role: UnitStaff}, nil, "二者只选其一"},
		{Grant{Role: UnitStaff, Regions: []string{"430300"}}, []string{"4303"}, ""},
		{Grant{Role: Admin, Regions: []string{"43"}}, nil, ""},
	} {
		err := tt.g.Validate()
		switch {
		case tt.refused != "" && (err == nil || !strings.Contains(err.Error(), tt.refused)):
			t.Errorf("%+v: %v, want %q", tt.g, err, tt.refused)
		case tt.refused == "" && (err != nil || !slices.Equal(tt.g.Regions, tt.regions)):
			t.Errorf("%+v: %v, regions %v, want %v", tt.g, err, tt.g.Regions, tt.regions)
		}
	}
}

// A unit's head (单位负责人) is granted exactly one unit, no region.
func TestHeadGrant(t *testing.T) {
	for _, c := range []struct {
		g  Grant
		ok bool
	}{
		{Grant{Role: Head, Units: []int64{3}}, true},
		{Grant{Role: Head}, false},
		{Grant{Role: Head, Units: []int64{3, 4}}, false},
		{Grant{Role: Head, Units: []int64{3}, Regions: []string{"4303"}}, false},
	} {
		if err := c.g.Validate(); (err == nil) != c.ok {
			t.Errorf("%+v: %v", c.g, err)
		}
	}
	if Head.Name() != "单位负责人（签发自评）" || !Head.Valid() || (Account{Role: Head}).ReadOnly() {
		t.Error("the head's role")
	}
}

func TestPolicy(t *testing.T) {
	p := DefaultPolicy // 10 characters, 3 kinds
	for pw, ok := range map[string]bool{
		"renke-demo-2026":         true,  // a, 0, -
		"Abcdefgh12":              true,  // A, a, 0
		"abcdefgh12":              false, // two kinds
		"Ab1-xyz":                 false, // 7 characters
		"密码密码密码密码密码1a":            true,  // 中 counts as a symbol (not a letter of either case): -, 0, a
		strings.Repeat("a1-", 25): false, // 75 bytes: past bcrypt's 72
	} {
		if err := p.Check(pw); (err == nil) != ok {
			t.Errorf("Check(%q) = %v, want ok %v", pw, err, ok)
		}
	}
	if err := p.Check("abcdefgh12"); err == nil || !strings.Contains(err.Error(), "至少 3 种（现为 2 种）") {
		t.Errorf("the refusal says what is missing: %v", err)
	}
	for _, bad := range []Policy{{MinLength: 6, Classes: 3, Idle: IdleCeiling}, {MinLength: 10, Classes: 1, Idle: IdleCeiling},
		{MinLength: 10, Classes: 3, History: 30, Idle: IdleCeiling}, {MinLength: 10, Classes: 3, Idle: 2 * IdleCeiling}} {
		if bad.Validate() == nil {
			t.Errorf("%+v passes", bad)
		}
	}
	if DefaultPolicy.Validate() != nil {
		t.Error("the default policy is under the floors")
	}
}

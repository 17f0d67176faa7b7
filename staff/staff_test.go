package staff

import (
	"slices"
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

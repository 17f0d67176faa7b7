package division

import "testing"

func TestName(t *testing.T) {
	for _, c := range []struct {
		code, name string
		ok         bool
	}{
		{"43", "湖南省", true},
		{"430000", "湖南省", true},
		{"4303", "湘潭市", true},
		{"430300", "湘潭市", true},
		{"430302", "雨湖区", true},
		{"430373", "湘潭九华示范区", true}, // a functional zone (71–79) of the statistical list
		{"1101", "北京市", true},       // 市辖区: the municipality's districts
		{"110105", "朝阳区", true},
		{"4290", "湖北省省直辖县级行政区划", true},
		{"430399", "", false}, // not a division
		{"4399", "", false},
		{"99", "", false},
	} {
		name, ok := Name(c.code)
		if name != c.name || ok != c.ok {
			t.Errorf("Name(%s) = %q, %v; want %q, %v", c.code, name, ok, c.name, c.ok)
		}
	}
}

func TestCountyAndRegion(t *testing.T) {
	for code, want := range map[string]bool{"430302": true, "430321": true, "430300": false, "430399": false, "43030": false, "demo": false} {
		if County(code) != want {
			t.Errorf("County(%s) = %v", code, !want)
		}
	}
	for prefix, want := range map[string]bool{"43": true, "4303": true, "4399": false, "99": false, "430300": false, "": false} {
		if Region(prefix) != want {
			t.Errorf("Region(%q) = %v", prefix, !want)
		}
	}
	// The whole list: 31 provinces, and every county's city and province are on it.
	provinces, counties := 0, 0
	for code := range names {
		switch len(code) {
		case 2:
			provinces++
		case 6:
			counties++
			if _, ok := names[code[:2]]; !ok {
				t.Errorf("%s has no province", code)
			}
		}
	}
	if provinces != 31 || counties < 2800 {
		t.Errorf("%d provinces, %d counties", provinces, counties)
	}
}

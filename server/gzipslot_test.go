package server

import (
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"testing"
)

func TestGzipSlot(t *testing.T) {
	page := strings.Repeat("<p>您对学校的满意程度</p>\n", 300)
	cases := []struct {
		name, before, slot, after string
	}{
		{"form", page, "vOa3kz9Q-token", page},
		{"empty slot", page, "", page},
		{"nothing before", "", "token", page},
		{"nothing after", page, "token", ""},
		{"all empty", "", "", ""},
		{"longest slot", "a", strings.Repeat("x", 0xffff), "b"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g, err := newGzipSlot(tc.before, tc.after)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := g.writeTo(&out, tc.slot); err != nil {
				t.Fatal(err)
			}
			zr, err := gzip.NewReader(&out)
			if err != nil {
				t.Fatal(err)
			}
			zr.Multistream(false)      // one gzip member, as browsers expect
			got, err := io.ReadAll(zr) // checks the CRC-32 and the size
			if err != nil {
				t.Fatal(err)
			}
			if want := tc.before + tc.slot + tc.after; string(got) != want {
				t.Fatalf("inflated %d bytes, want %d", len(got), len(want))
			}
			if rest, _ := io.ReadAll(&out); len(rest) != 0 {
				t.Fatalf("%d bytes after the gzip member", len(rest))
			}
		})
	}
	g, _ := newGzipSlot("a", "b")
	if err := g.writeTo(io.Discard, strings.Repeat("x", 0x10000)); err == nil {
		t.Fatal("a slot over 65535 bytes was written")
	}
}

// The page around the slot is still compressed: a repetitive one shrinks
// at least five-fold.
func TestGzipSlotCompresses(t *testing.T) {
	page := strings.Repeat("<label><input type=radio name=a_S01 value=A>非常满意</label>\n", 200)
	g, _ := newGzipSlot(page, page)
	var out bytes.Buffer
	_ = g.writeTo(&out, "token")
	if out.Len() > len(page)/5 {
		t.Fatalf("%d compressed bytes for a %d-byte page", out.Len(), 2*len(page))
	}
}

package witness

import (
	"strings"
	"testing"

	"renke/survey"
)

func TestParseConfig(t *testing.T) {
	skey, _ := survey.GenerateLogKey("county.example")
	k, _ := survey.ParseLogKey(skey)
	good := "# a city's witness\n\nlog 示范县 https://survey.county.example/log/campaigns/1/ " + k.VerifierKey() + "  # 2026\npeer http://127.0.0.1:8091\n"
	c, err := ParseConfig(strings.NewReader(good))
	if err != nil || len(c.Logs) != 1 || c.Logs[0].URL != "https://survey.county.example/log/campaigns/1" || c.Logs[0].Name != "示范县" ||
		len(c.Peers) != 1 {
		t.Fatalf("%+v %v", c, err)
	}
	for in, want := range map[string]string{
		"log a https://x/log/campaigns/1 notakey\n":   "line 1: log a: \"notakey\" is not a verifier key",
		"\nlog a ftp://x/1 " + k.VerifierKey() + "\n": "line 2: log a: \"ftp://x/1\" is not an http(s) URL",
		"witness everything\n":                        "line 1: want",
		"log a https://x/log/campaigns/1\n":           "line 1: want",
	} {
		if _, err := ParseConfig(strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
}

// A witness keeps its key: a second start cosigns under the same name and
// key, and a store without a key cannot be opened nameless.
func TestWitnessKeyPersists(t *testing.T) {
	dir := t.TempDir()
	a, err := Open(dir, "city.example", Config{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(dir, "ignored", Config{})
	if err != nil || b.Name() != "city.example" || b.VerifierKey() != a.VerifierKey() {
		t.Fatalf("reopened: %v %q %q", err, b.Name(), b.VerifierKey())
	}
	if _, err := survey.NewWitnessVerifier(a.VerifierKey()); err != nil {
		t.Errorf("the witness's key is not a cosignature verifier key: %v", err)
	}
	if _, err := Open(t.TempDir(), "", Config{}); err == nil {
		t.Error("a new witness without a name")
	}
	if _, _, ok, err := Load(dir, "nothing/campaigns/1"); ok || err != nil {
		t.Errorf("a log never seen: %v %v", ok, err)
	}
}

package survey

import (
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

// A checkpoint signed with SM2 beside Ed25519 carries both lines: Go's
// note verifier with the Ed25519 key accepts it (the SM2 line unknown to
// it), the SM2 verifier key checks the SM2 line with gmsm, the SM2 line
// is not taken for a witness's cosignature, and a changed body fails both.
func TestSM2BesideEd25519(t *testing.T) {
	skey, _ := GenerateLogKey("survey.example.gov.cn")
	k, _ := ParseLogKey(skey)
	other, _ := GenerateSM2Key("another.example")
	if err := k.WithSM2(other); err == nil {
		t.Error("an SM2 key of another name was taken")
	}
	sm2key, err := GenerateSM2Key("survey.example.gov.cn")
	if err != nil {
		t.Fatal(err)
	}
	if err := k.WithSM2(sm2key); err != nil {
		t.Fatal(err)
	}
	root := LeafHash([]byte("leaf"))
	text, err := k.Sign(k.Origin(7), 1, root)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(text, "— survey.example.gov.cn "); n != 2 {
		t.Fatalf("%d signature lines:\n%s", n, text)
	}
	n, err := note.Open([]byte(text), note.VerifierList(k.Verifier()))
	if err != nil || len(n.Sigs) != 1 || len(n.UnverifiedSigs) != 1 {
		t.Fatalf("Go's note verifier with the Ed25519 key: %v, %d verified, %d unknown", err, len(n.Sigs), len(n.UnverifiedSigs))
	}
	sv, err := NewSM2Verifier(k.SM2VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	if n, err := note.Open([]byte(text), note.VerifierList(sv)); err != nil || len(n.Sigs) != 1 || n.Sigs[0].Hash != sv.KeyHash() {
		t.Errorf("the SM2 line: %v", err)
	}
	if _, cosigs, err := OpenCheckpoint(text, k.Origin(7), k.Verifier()); err != nil || len(cosigs) != 0 {
		t.Errorf("the SM2 line taken for a cosignature: %v %v", cosigs, err)
	}
	forged := strings.Replace(text, "\n1\n", "\n2\n", 1)
	for _, v := range []note.Verifier{k.Verifier(), sv} {
		if _, err := note.Open([]byte(forged), note.VerifierList(v)); err == nil {
			t.Errorf("%T accepted a changed checkpoint", v)
		}
	}
	if _, err := NewSM2Verifier(strings.Replace(k.SM2VerifierKey(), "survey.", "survey2.", 1)); err == nil {
		t.Error("an SM2 verifier key whose hash does not match its name was taken")
	}
}

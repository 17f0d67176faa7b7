package survey

// SM2 signatures (GB/T 32918.2-2016, with SM3) on checkpoints and other
// signed notes, beside the Ed25519 one, for a deployment whose
// cryptography is assessed under 商用密码应用安全性评估 (GB/T 39786-2021).
// A signed note carries several signature lines; a reader with the
// Ed25519 verifier (a standard witness, Go's note package) verifies that
// line and passes over the SM2 one, and a reader with the SM2 verifier
// key checks the SM2 one with gmsm. Keys are written like signed-note
// keys: PRIVATE+KEY+name+hash+base64(0xD2 ‖ d) and name+hash+base64(0xD2 ‖
// 04 ‖ X ‖ Y), the hash being the first four bytes of SHA-256(name, a
// newline, and the key's public bytes with their algorithm byte), as for
// Ed25519. Signing goes through crypto.Signer, so the key can move into a
// hardware module.

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/emmansun/gmsm/sm2"
	"golang.org/x/mod/sumdb/note"
)

// algSM2 is the algorithm byte of an SM2 key in its signed-note form (not
// one the note package knows: readers without it pass over the line).
const algSM2 = 0xD2

// GenerateSM2Key makes a new SM2 signing key named name (the deployment's
// log key name) in the private key form.
func GenerateSM2Key(name string) (string, error) {
	priv, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		return "", err
	}
	d := make([]byte, 32)
	priv.D.FillBytes(d)
	pub := sm2Public(&priv.PublicKey)
	return fmt.Sprintf("PRIVATE+KEY+%s+%08x+%s", name, sm2KeyHash(name, pub), base64.StdEncoding.EncodeToString(append([]byte{algSM2}, d...))), nil
}

// sm2Signer signs notes with an SM2 key held behind crypto.Signer.
type sm2Signer struct {
	name string
	hash uint32
	key  crypto.Signer
}

func (s *sm2Signer) Name() string    { return s.name }
func (s *sm2Signer) KeyHash() uint32 { return s.hash }
func (s *sm2Signer) Sign(msg []byte) ([]byte, error) {
	return s.key.Sign(rand.Reader, msg, sm2.DefaultSM2SignerOpts) // SM3 over Z_A ‖ msg, default user id
}

// NewSM2Signer is a note signer of an SM2 key in its private key form,
// and its verifier key.
func NewSM2Signer(skey string) (note.Signer, string, error) {
	parts := strings.SplitN(strings.TrimSpace(skey), "+", 5) // base64 may hold +
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" {
		return nil, "", errors.New("not an SM2 private key (PRIVATE+KEY+name+hash+key)")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 33 || raw[0] != algSM2 {
		return nil, "", errors.New("not an SM2 private key: the key is not 0xD2 and 32 bytes in base64")
	}
	priv, err := sm2.NewPrivateKey(raw[1:])
	if err != nil {
		return nil, "", err
	}
	name, pub := parts[2], sm2Public(&priv.PublicKey)
	hash := sm2KeyHash(name, pub)
	if h, err := strconv.ParseUint(parts[3], 16, 32); err != nil || uint32(h) != hash {
		return nil, "", errors.New("SM2 private key: its hash does not match its name and key")
	}
	vkey := fmt.Sprintf("%s+%08x+%s", name, hash, base64.StdEncoding.EncodeToString(append([]byte{algSM2}, pub...)))
	return &sm2Signer{name: name, hash: hash, key: priv}, vkey, nil
}

// sm2Verifier checks SM2 signature lines.
type sm2Verifier struct {
	name string
	hash uint32
	pub  *ecdsa.PublicKey
}

func (v *sm2Verifier) Name() string    { return v.name }
func (v *sm2Verifier) KeyHash() uint32 { return v.hash }
func (v *sm2Verifier) Verify(msg, sig []byte) bool {
	return sm2.VerifyASN1WithSM2(v.pub, nil, msg, sig)
}

// NewSM2Verifier reads an SM2 verifier key (name+hash+key).
func NewSM2Verifier(vkey string) (note.Verifier, error) {
	parts := strings.SplitN(strings.TrimSpace(vkey), "+", 3)
	if len(parts) != 3 {
		return nil, errors.New("not an SM2 verifier key (name+hash+key)")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) != 66 || raw[0] != algSM2 {
		return nil, errors.New("not an SM2 verifier key: the key is not 0xD2 and a 65-byte point in base64")
	}
	pub, err := sm2.NewPublicKey(raw[1:])
	if err != nil {
		return nil, err
	}
	hash := sm2KeyHash(parts[0], raw[1:])
	if h, err := strconv.ParseUint(parts[1], 16, 32); err != nil || uint32(h) != hash {
		return nil, errors.New("SM2 verifier key: its hash does not match its name and key")
	}
	return &sm2Verifier{name: parts[0], hash: hash, pub: pub}, nil
}

// sm2Public is a public key's uncompressed point, 04 ‖ X ‖ Y.
func sm2Public(pub *ecdsa.PublicKey) []byte {
	b := make([]byte, 65)
	b[0] = 4
	pub.X.FillBytes(b[1:33])
	pub.Y.FillBytes(b[33:])
	return b
}

// sm2KeyHash is the key hash of a signed-note key: the first four bytes
// of SHA-256 over the name, a newline and the algorithm byte with the
// public key.
func sm2KeyHash(name string, pub []byte) uint32 {
	h := sha256.New()
	h.Write([]byte(name + "\n"))
	h.Write([]byte{algSM2})
	h.Write(pub)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

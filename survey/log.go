package survey

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/transparency-dev/formats/log"
	fnote "github.com/transparency-dev/formats/note"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"

	"renke/dbq"
)

// The sample log (样本日志): every campaign keeps an append-only Merkle tree
// of what entered and left its counted sample, hashed as RFC 6962 and
// Certificate Transparency do: one leaf per admitted response, over its
// canonical form, and one per review decision. The tree's size and root
// advance in the group commit that admits the responses, and each new size
// is signed as a checkpoint in the C2SP tlog-checkpoint signed-note format
// with the deployment's Ed25519 key (LogKey).
//
// What this buys a reviewer who does not trust the bureau running the
// server: witnesses (package witness) keep the checkpoints they saw and
// accept a newer one only with a consistency proof that it extends the
// older. Once a witness holds a checkpoint, no leaf below its size can be
// changed, removed or slipped in, even by someone who holds the database
// and the signing key, without the witness, a receipt holder or verify
// given the witness's store noticing. What it does not buy: responses
// fabricated and appended between two witnessed checkpoints look like any
// others; Intervals says how many leaves each witnessed interval added and
// how many of those carry flags.

// Hasher is the log's hash: SHA-256 with RFC 6962's leaf and node prefixes.
var Hasher = rfc6962.DefaultHasher

var ranges = compact.RangeFactory{Hash: Hasher.HashChildren}

// Chained is what a response leaf commits to: a response as it was
// admitted. Its review status is not part of it, since a recorded decision
// may change that; decision leaves record those.
type Chained struct {
	CampaignID  int64
	Receipt     string
	FormID      int64
	LinkID      int64
	Category    string
	Locale      string
	GradeBand   string
	SchoolID    int64 // 0 when none
	Suggestion  string
	FillMS      int32
	SubmittedAt time.Time
	Answers     map[string]string
}

// Canonical is the byte form of a response leaf: JSON of fixed field order,
// answers sorted by item, time in UTC microseconds. It names no position,
// so a group commit hashes it before it takes the campaign's lock. The
// random receipt inside keeps a leaf hash from being matched to answers
// by trying them all.
func (r *Chained) Canonical() []byte {
	items := make([]string, 0, len(r.Answers))
	for k := range r.Answers {
		items = append(items, k)
	}
	slices.Sort(items)
	answers := make([][2]string, len(items))
	for i, k := range items {
		answers[i] = [2]string{k, r.Answers[k]}
	}
	b, _ := json.Marshal(struct {
		V           int         `json:"v"`
		Campaign    int64       `json:"campaign"`
		Kind        string      `json:"kind"`
		Receipt     string      `json:"receipt"`
		Form        int64       `json:"form"`
		Link        int64       `json:"link"`
		Category    string      `json:"category"`
		Locale      string      `json:"locale"`
		GradeBand   string      `json:"grade_band"`
		School      int64       `json:"school"`
		Suggestion  string      `json:"suggestion"`
		FillMS      int32       `json:"fill_ms"`
		SubmittedAt int64       `json:"submitted_at_us"`
		Answers     [][2]string `json:"answers"`
	}{2, r.CampaignID, "response", r.Receipt, r.FormID, r.LinkID, r.Category, r.Locale, r.GradeBand, r.SchoolID,
		r.Suggestion, r.FillMS, r.SubmittedAt.UnixMicro(), answers})
	return b
}

// Decided is what a decision leaf commits to: a review decision on a
// response, naming the leaf that admitted it.
type Decided struct {
	CampaignID   int64
	ReviewID     int64
	Receipt      string
	ResponseLeaf int64 // index of the response's own leaf
	Decision     string
	Reason       string
	Username     string
	DecidedAt    time.Time
	// Outcome is the status a decision gave a held response: admitted,
	// over_quota (its cell full) or invalidated; "" for a decision on any
	// other response, whose outcome the decision itself says. Omitted
	// when empty, so decisions logged before it keep their hashes.
	Outcome string
}

// Canonical is the byte form of a decision leaf.
func (d *Decided) Canonical() []byte {
	b, _ := json.Marshal(struct {
		V         int    `json:"v"`
		Campaign  int64  `json:"campaign"`
		Kind      string `json:"kind"`
		Review    int64  `json:"review"`
		Receipt   string `json:"receipt"`
		Leaf      int64  `json:"response_leaf"`
		Decision  string `json:"decision"`
		Reason    string `json:"reason"`
		By        string `json:"by"`
		DecidedAt int64  `json:"decided_at_us"`
		Outcome   string `json:"outcome,omitempty"`
	}{2, d.CampaignID, "decision", d.ReviewID, d.Receipt, d.ResponseLeaf, d.Decision, d.Reason, d.Username,
		d.DecidedAt.UnixMicro(), d.Outcome})
	return b
}

// LeafHash is the RFC 6962 hash of a leaf's canonical form.
func LeafHash(canonical []byte) []byte { return Hasher.HashLeaf(canonical) }

// Extend appends leaf hashes to a tree of size n whose right edge is
// frontier and whose root is stored as root, and returns the new root and
// right edge, and the interior nodes the new leaves completed (stored
// beside the leaves for StoredHashes; CampaignID is the caller's to set).
// A right edge that does not add up to the stored root was changed behind
// the application's back: the log is not extended (ErrLogDamaged). Both
// kinds of log grow by it: a campaign's sample log and the audit log.
func Extend(n int64, frontier [][]byte, stored []byte, leaves [][]byte) (root []byte, edge [][]byte, nodes dbq.InsertLogNodesParams, err error) {
	r, err := ranges.NewRange(0, uint64(n), frontier)
	if err != nil {
		return nil, nil, nodes, fmt.Errorf("%w: the stored right edge of the log does not fit its size %d: %v", ErrLogDamaged, n, err)
	}
	if n > 0 {
		if got, err := r.GetRootHash(nil); err != nil || !equalHash(got, stored) {
			return nil, nil, nodes, fmt.Errorf("%w: the stored right edge of the log does not add up to its root", ErrLogDamaged)
		}
	}
	visit := func(id compact.NodeID, hash []byte) {
		if id.Level > 0 {
			nodes.Levels = append(nodes.Levels, int16(id.Level))
			nodes.Idxs = append(nodes.Idxs, int64(id.Index))
			nodes.Hashes = append(nodes.Hashes, hash)
		}
	}
	for _, h := range leaves {
		if err := r.Append(h, visit); err != nil {
			return nil, nil, nodes, err
		}
	}
	root, err = r.GetRootHash(nil)
	return root, r.Hashes(), nodes, err
}

// ErrLogDamaged says the stored state of a log cannot be extended: it was
// changed behind the application's back. Submissions to a campaign whose
// sample log it is fail until someone looks; verify names what changed.
var ErrLogDamaged = errors.New("the log is damaged")

// Tree is a log's leaf hashes, in order, with what proofs need.
type Tree struct {
	levels [][][]byte // levels[0] the leaves; levels[k][i] the perfect subtree of 2^k leaves from i·2^k
}

// NewTree builds the perfect subtrees over leaves once, so that each
// proof or root afterwards costs only its own nodes.
func NewTree(leaves [][]byte) *Tree {
	t := &Tree{levels: [][][]byte{leaves}}
	for prev := leaves; len(prev) > 1; {
		next := make([][]byte, len(prev)/2)
		for i := range next {
			next[i] = Hasher.HashChildren(prev[2*i], prev[2*i+1])
		}
		t.levels = append(t.levels, next)
		prev = next
	}
	return t
}

// Size is the number of leaves.
func (t *Tree) Size() int64 { return int64(len(t.levels[0])) }

// Leaf is the hash of leaf i.
func (t *Tree) Leaf(i int64) []byte { return t.levels[0][i] }

func (t *Tree) node(id compact.NodeID) []byte { return t.levels[id.Level][id.Index] }

func (t *Tree) nodes(n proof.Nodes) ([][]byte, error) {
	hashes := make([][]byte, len(n.IDs))
	for i, id := range n.IDs {
		if int(id.Level) >= len(t.levels) || id.Index >= uint64(len(t.levels[id.Level])) {
			return nil, fmt.Errorf("proof node %d/%d outside the tree", id.Level, id.Index)
		}
		hashes[i] = t.node(id)
	}
	return n.Rehash(hashes, Hasher.HashChildren)
}

func (t *Tree) check(size int64) error {
	if size < 0 || size > t.Size() {
		return fmt.Errorf("the log has %d leaves, not %d", t.Size(), size)
	}
	return nil
}

// Root is the root hash of the first size leaves.
func (t *Tree) Root(size int64) ([]byte, error) {
	if err := t.check(size); err != nil {
		return nil, err
	}
	if size == 0 {
		return Hasher.EmptyRoot(), nil
	}
	r := ranges.NewEmptyRange(0)
	// The perfect subtrees that make up [0, size), largest first.
	for begin := uint64(0); begin < uint64(size); {
		level := uint(63)
		for ; level > 0; level-- {
			if begin%(1<<level) == 0 && begin+1<<level <= uint64(size) {
				break
			}
		}
		sub, err := ranges.NewRange(begin, begin+1<<level, [][]byte{t.node(compact.NewNodeID(level, begin>>level))})
		if err != nil {
			return nil, err
		}
		if err := r.AppendRange(sub, nil); err != nil {
			return nil, err
		}
		begin += 1 << level
	}
	return r.GetRootHash(nil)
}

// Inclusion is the proof that leaf index is in the tree of the first size
// leaves (RFC 9162 §2.1.3).
func (t *Tree) Inclusion(index, size int64) ([][]byte, error) {
	if err := t.check(size); err != nil {
		return nil, err
	}
	if index < 0 || index >= size {
		return nil, fmt.Errorf("leaf %d is not in a tree of %d leaves", index, size)
	}
	n, err := proof.Inclusion(uint64(index), uint64(size))
	if err != nil {
		return nil, err
	}
	return t.nodes(n)
}

// Consistency is the proof that the tree of size2 leaves extends the tree
// of size1 (RFC 9162 §2.1.4).
func (t *Tree) Consistency(size1, size2 int64) ([][]byte, error) {
	if err := t.check(size2); err != nil {
		return nil, err
	}
	if size1 < 0 || size1 > size2 {
		return nil, fmt.Errorf("a tree of %d leaves cannot extend one of %d", size2, size1)
	}
	n, err := proof.Consistency(uint64(size1), uint64(size2))
	if err != nil {
		return nil, err
	}
	return t.nodes(n)
}

// LogKey is a deployment's checkpoint signing key: an Ed25519 signed-note
// key whose name prefixes the origin of each campaign's log.
type LogKey struct {
	signer   note.Signer
	verifier note.Verifier
	vkey     string
	// An SM2 key of the same name, when the deployment adds an SM2
	// signature line to every note it signs (WithSM2).
	sm2     note.Signer
	sm2vkey string
}

// WithSM2 makes the key sign every checkpoint and note with an SM2 line
// too, by an SM2 private key (GenerateSM2Key) of the same name.
func (k *LogKey) WithSM2(skey string) error {
	s, vkey, err := NewSM2Signer(skey)
	if err != nil {
		return err
	}
	if s.Name() != k.Name() {
		return fmt.Errorf("the SM2 key is named %q; it must carry the log key's name, %q", s.Name(), k.Name())
	}
	k.sm2, k.sm2vkey = s, vkey
	return nil
}

// SM2VerifierKey is the SM2 key's verifier key, "" without one.
func (k *LogKey) SM2VerifierKey() string { return k.sm2vkey }

// signers are the key's signers: Ed25519, and SM2 when set.
func (k *LogKey) signers() []note.Signer {
	if k.sm2 != nil {
		return []note.Signer{k.signer, k.sm2}
	}
	return []note.Signer{k.signer}
}

// GenerateLogKey makes a new signing key named name (a host name such as
// survey.example.gov.cn) and returns it in the signed-note private key
// form, PRIVATE+KEY+name+hash+key.
func GenerateLogKey(name string) (string, error) {
	skey, _, err := note.GenerateKey(rand.Reader, name)
	return skey, err
}

// ParseLogKey reads a signed-note private key.
func ParseLogKey(skey string) (*LogKey, error) {
	signer, err := note.NewSigner(strings.TrimSpace(skey))
	if err != nil {
		return nil, fmt.Errorf("not a signed-note Ed25519 private key (PRIVATE+KEY+name+hash+key): %v", err)
	}
	// The verifier key follows from the private key's seed.
	parts := strings.SplitN(strings.TrimSpace(skey), "+", 5)
	seed, _ := base64.StdEncoding.DecodeString(parts[4])
	vkey, err := note.NewEd25519VerifierKey(signer.Name(), ed25519Public(seed[1:]))
	if err != nil {
		return nil, err
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, err
	}
	return &LogKey{signer: signer, verifier: verifier, vkey: vkey}, nil
}

// Name is the key's name.
func (k *LogKey) Name() string { return k.signer.Name() }

// VerifierKey is the public key in signed-note form (name+hash+key): what a
// witness or a reviewer needs to check checkpoints.
func (k *LogKey) VerifierKey() string { return k.vkey }

// Verifier checks the key's signatures.
func (k *LogKey) Verifier() note.Verifier { return k.verifier }

// Fingerprint is the first 16 hex digits of SHA-256 of the verifier key,
// in groups of four: short enough to print on a poster and read aloud.
func (k *LogKey) Fingerprint() string { return Fingerprint(k.vkey) }

// Fingerprint is the printed form of a verifier key.
func Fingerprint(vkey string) string {
	sum := sha256.Sum256([]byte(vkey))
	h := hex.EncodeToString(sum[:8])
	return h[0:4] + " " + h[4:8] + " " + h[8:12] + " " + h[12:16]
}

// Origin is the name of a campaign's log, the first line of each of its
// checkpoints.
func (k *LogKey) Origin(campaignID int64) string { return LogOrigin(k.Name(), campaignID) }

// LogOrigin is the origin of a campaign's log under a key named name.
func LogOrigin(name string, campaignID int64) string {
	return fmt.Sprintf("%s/campaigns/%d", name, campaignID)
}

// Sign makes the signed checkpoint of a tree: the C2SP tlog-checkpoint
// body (origin, size, base64 root) and the key's signature line.
func (k *LogKey) Sign(origin string, size int64, root []byte) (string, error) {
	body := log.Checkpoint{Origin: origin, Size: uint64(size), Hash: root}.Marshal()
	b, err := note.Sign(&note.Note{Text: string(body)}, k.signers()...)
	return string(b), err
}

// SignNote signs a text (ending in a newline) as a signed note: the
// deployment's signature on a document other than a checkpoint, such as a
// package's manifest.
func (k *LogKey) SignNote(text string) (string, error) {
	b, err := note.Sign(&note.Note{Text: text}, k.signers()...)
	return string(b), err
}

// Checkpoint is a signed checkpoint as a reader checked it.
type Checkpoint struct {
	Origin string
	Size   int64
	Root   []byte
	Note   string // the signed note as given, signatures and all
}

// OpenCheckpoint checks a signed checkpoint of the log origin against the
// log's verifier, and returns it with the witnesses' cosignatures that
// verify against witnesses (each a cosignature/v1 verifier).
func OpenCheckpoint(text, origin string, logVerifier note.Verifier, witnesses ...note.Verifier) (Checkpoint, []note.Signature, error) {
	cp, _, n, err := log.ParseCheckpoint([]byte(text), origin, logVerifier, witnesses...)
	if err != nil {
		return Checkpoint{}, nil, err
	}
	if cp.Size > 1<<62 || len(cp.Hash) != sha256.Size {
		return Checkpoint{}, nil, fmt.Errorf("checkpoint of %d leaves with a %d-byte root", cp.Size, len(cp.Hash))
	}
	var cosigs []note.Signature
	for _, s := range n.Sigs {
		if s.Name != logVerifier.Name() { // the log's own lines (Ed25519, SM2) share its name
			cosigs = append(cosigs, s)
		}
	}
	return Checkpoint{Origin: cp.Origin, Size: int64(cp.Size), Root: cp.Hash, Note: text}, cosigs, nil
}

// VerifyInclusion checks an inclusion proof with the Merkle library's own
// verifier.
func VerifyInclusion(index, size int64, leaf []byte, hashes [][]byte, root []byte) error {
	return proof.VerifyInclusion(Hasher, uint64(index), uint64(size), leaf, hashes, root)
}

// VerifyConsistency checks a consistency proof with the Merkle library's
// own verifier.
func VerifyConsistency(size1, size2 int64, hashes [][]byte, root1, root2 []byte) error {
	return proof.VerifyConsistency(Hasher, uint64(size1), uint64(size2), hashes, root1, root2)
}

// hexPrefix is the first 12 digits of a hex string, or all of a shorter one.
func hexPrefix(h string) string { return h[:min(12, len(h))] }

// HashPrefix is the short form of a hash shown on receipts: 12 hex digits;
// "" for no hash.
func HashPrefix(h []byte) string {
	s := hex.EncodeToString(h)
	return s[:min(12, len(s))]
}

// equalHash compares two hashes, a malformed one never equal.
func equalHash(a, b []byte) bool { return len(a) == sha256.Size && bytes.Equal(a, b) }

func ed25519Public(seed []byte) ed25519.PublicKey {
	if len(seed) != ed25519.SeedSize {
		return nil
	}
	return ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
}

// ephemeralLogKey is a key made for one process.
func ephemeralLogKey() *LogKey {
	skey, err := GenerateLogKey("renke.invalid")
	if err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	k, err := ParseLogKey(skey)
	if err != nil {
		panic(err)
	}
	return k
}

// grown is a campaign's log extended: the statement that stores its new
// size, root, right edge and signed checkpoint, and the one that stores the
// interior hashes the new leaves completed.
type grown struct {
	dbq.AdvanceLogParams
	nodes dbq.InsertLogNodesParams
}

// queue adds both statements to b.
func (g grown) queue(ctx context.Context, b *pgx.Batch) {
	dbq.Queue(b, func(q *dbq.Queries) { q.AdvanceLog(ctx, g.AdvanceLogParams) })
	if len(g.nodes.Idxs) > 0 {
		dbq.Queue(b, func(q *dbq.Queries) { q.InsertLogNodes(ctx, g.nodes) })
	}
}

// store runs both statements.
func (g grown) store(ctx context.Context, q *dbq.Queries) error {
	if err := q.AdvanceLog(ctx, g.AdvanceLogParams); err != nil {
		return err
	}
	if len(g.nodes.Idxs) == 0 {
		return nil
	}
	return q.InsertLogNodes(ctx, g.nodes)
}

// advance extends a campaign's log by leaves and signs the checkpoint of
// the new tree.
func (k *LogKey) advance(cp Campaign, leaves [][]byte) (grown, error) {
	root, edge, nodes, err := Extend(cp.LogSize, cp.LogFrontier, cp.LogRoot, leaves)
	if err != nil {
		return grown{}, err
	}
	nodes.CampaignID = cp.ID
	size := cp.LogSize + int64(len(leaves))
	signed, err := k.Sign(k.Origin(cp.ID), size, root)
	return grown{dbq.AdvanceLogParams{CampaignID: cp.ID, Size: size, Root: root, Frontier: edge, Note: signed}, nodes}, err
}

// NewWitnessVerifier checks a witness's cosignatures (C2SP
// tlog-cosignature, cosignature/v1) from its verifier key.
func NewWitnessVerifier(vkey string) (note.Verifier, error) {
	return fnote.NewVerifierForCosignatureV1(strings.TrimSpace(vkey))
}

// CosignedAt is the time a witness put in its cosignature.
func CosignedAt(s note.Signature) (time.Time, error) { return fnote.CoSigV1Timestamp(s) }

package survey

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"renke/dbq"
	"renke/refusal"
)

// What the store serves of its campaigns' logs: checkpoints, proofs, leaf
// hashes, witnesses' cosignatures; and the checks made from them.

// MaxLeafRange is the most leaf hashes one request returns.
const MaxLeafRange = 10000

// UseWitnesses sets the witnesses whose cosignatures the store accepts and
// names, each a signed-note verifier key (name+hash+key).
func (s *Store) UseWitnesses(vkeys []string) error {
	var vs []note.Verifier
	for _, k := range vkeys {
		v, err := NewWitnessVerifier(k)
		if err != nil {
			return fmt.Errorf("witness key %q: %v", k, err)
		}
		vs = append(vs, v)
	}
	s.witnesses = vs
	return nil
}

// storedFrom reads a response as the database holds it now. An answer that
// is not item=option is kept whole, so the leaf no longer matches and
// verify names the response: a problem, never an error.
func storedFrom(campaignID int64, r dbq.ChainedResponsesRow) StoredResponse {
	out := StoredResponse{ID: r.ID, Status: ResponseStatus(r.Status), Flagged: len(r.Flags) > 0, Flags: r.Flags, Chained: Chained{
		CampaignID: campaignID, Receipt: r.Receipt, FormID: r.QuestionnaireID, LinkID: r.LinkID, Category: r.Category,
		Locale: r.Locale, GradeBand: r.GradeBand, SchoolID: r.SchoolID, Suggestion: r.Suggestion, FillMS: r.FillMs,
		SubmittedAt: r.SubmittedAt, Answers: map[string]string{}}}
	for _, a := range r.Answers {
		item, opt, ok := strings.Cut(a, "=")
		if !ok {
			item, opt = "\x00"+a, ""
		}
		out.Answers[item] = opt
	}
	return out
}

func checkpointFrom(size int64, root []byte, note string, at time.Time) StoredCheckpoint {
	return StoredCheckpoint{Size: size, Root: root, Note: note, SignedAt: at}
}

// Verify recomputes a campaign's log from the database and checks it
// against the checkpoints stored, those witnesses cosigned, and the
// evidence given; see Verify.
func (s *Store) Verify(ctx context.Context, campaignID int64, evidence ...Evidence) (Verification, error) {
	var v Verification
	var bad []LogProblem
	err := s.inTx(ctx, func(q *dbq.Queries, tx pgx.Tx) error {
		// One snapshot for the campaign, its log and its responses.
		if _, err := tx.Exec(ctx, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"); err != nil {
			return err
		}
		in, err := s.loadLog(ctx, q, campaignID)
		if err != nil {
			return err
		}
		cps, err := q.Checkpoints(ctx, campaignID)
		if err != nil {
			return err
		}
		for _, k := range cps {
			in.Checkpoints = append(in.Checkpoints, checkpointFrom(k.Size, k.Root, k.Note, k.SignedAt))
		}
		cos, err := q.Cosignatures(ctx, campaignID)
		if err != nil {
			return err
		}
		for _, w := range cos {
			e, err := s.witnessed(campaignID, w.Note)
			if err != nil {
				bad = append(bad, LogProblem{Kind: Malformed, Text: fmt.Sprintf("见证方 %s 对第 %d 版检查点的联署无法核验：%v", w.Witness, w.Size, err)})
				continue
			}
			in.Evidence = append(in.Evidence, e...)
		}
		in.Evidence = append(in.Evidence, evidence...)
		v = Verify(in)
		// The figures the reports are computed from, recounted from the
		// responses in the sample (which the log vouches for).
		kept, err := keptFigures(ctx, q, campaignID)
		if err != nil {
			return err
		}
		bad = append(bad, CheckFigures(in.Forms, in.Responses, in.Reviews, kept)...)
		return nil
	})
	v.Problems = append(v.Problems, bad...)
	if err == nil {
		s.recordVerification(ctx, campaignID, v)
	}
	return v, err
}

// Verified is the latest check of a campaign's log and figures: when it
// ran, the log's size then, and how many problems it found (the first in
// words).
type Verified struct {
	At       time.Time `json:"at"`
	Size     int64     `json:"size"`
	Problems int       `json:"problems"`
	First    string    `json:"first,omitempty"`
}

// recordVerification keeps what a verification found, for the dashboard;
// a failure to keep it is logged, not the verification's.
func (s *Store) recordVerification(ctx context.Context, campaignID int64, v Verification) {
	first := ""
	if len(v.Problems) > 0 {
		first = v.Problems[0].Text
	}
	if err := s.q.RecordVerification(ctx, dbq.RecordVerificationParams{CampaignID: campaignID, At: time.Now(), Size: v.Size,
		Problems: int32(len(v.Problems)), First: first}); err != nil {
		slog.Warn("verification not recorded", "campaign", campaignID, "error", err)
		return
	}
	s.reports.forget(campaignID) // the reports say when the log was last checked
}

// LastVerified is the latest check of a campaign's log and figures; nil
// when it was never checked.
func (s *Store) LastVerified(ctx context.Context, campaignID int64) (*Verified, error) {
	r, err := s.q.LastVerification(ctx, campaignID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	return &Verified{At: r.At, Size: r.Size, Problems: int(r.Problems), First: r.First}, nil
}

// witnessed reads a cosigned checkpoint of a campaign's log as evidence,
// one per known witness that cosigned it.
func (s *Store) witnessed(campaignID int64, text string) ([]Evidence, error) {
	cp, cosigs, err := OpenCheckpoint(text, s.logKey.Origin(campaignID), s.logKey.Verifier(), s.witnesses...)
	if err != nil {
		return nil, err
	}
	var out []Evidence
	for _, c := range cosigs {
		out = append(out, Evidence{Source: "见证方 " + c.Name + " ", Size: cp.Size, Root: cp.Root, Witnessed: true, Witness: c.Name})
	}
	if len(out) == 0 {
		return nil, errors.New("没有已知见证方的联署")
	}
	return out, nil
}

// LatestCheckpoint is the newest signed checkpoint of a campaign's log;
// ErrNotFound while the log is empty.
func (s *Store) LatestCheckpoint(ctx context.Context, campaignID int64) (StoredCheckpoint, error) {
	r, err := s.q.LatestCheckpoint(ctx, campaignID)
	return checkpointFrom(r.Size, r.Root, r.Note, r.SignedAt), notFound(err)
}

// LatestCheckpoints is each campaign's latest signed checkpoint, by
// campaign id; a campaign with none is absent.
func (s *Store) LatestCheckpoints(ctx context.Context, campaignIDs []int64) (map[int64]StoredCheckpoint, error) {
	rows, err := s.q.RegionLatestCheckpoints(ctx, campaignIDs)
	out := make(map[int64]StoredCheckpoint, len(rows))
	for _, r := range rows {
		out[r.CampaignID] = checkpointFrom(r.Size, r.Root, r.Note, r.SignedAt)
	}
	return out, err
}

// CheckpointAt is the signed checkpoint of a campaign's log at size.
func (s *Store) CheckpointAt(ctx context.Context, campaignID, size int64) (StoredCheckpoint, error) {
	r, err := s.q.CheckpointAt(ctx, dbq.CheckpointAtParams{CampaignID: campaignID, Size: size})
	return checkpointFrom(r.Size, r.Root, r.Note, r.SignedAt), notFound(err)
}

// Checkpoints is every signed checkpoint of a campaign's log, oldest first.
func (s *Store) Checkpoints(ctx context.Context, campaignID int64) ([]StoredCheckpoint, error) {
	rows, err := s.q.Checkpoints(ctx, campaignID)
	out := make([]StoredCheckpoint, len(rows))
	for i, r := range rows {
		out[i] = checkpointFrom(r.Size, r.Root, r.Note, r.SignedAt)
	}
	return out, err
}

// StoredHashes reads a log's hashes by their tlog stored-hash index: leaf
// hashes by index, and the interior nodes its growth completed (Extend)
// by level and index, each a single statement, so a proof reads O(log n)
// hashes and never the whole tree. Both kinds of log prove from it: a
// campaign's sample log (log_leaves, log_nodes) and the audit log. A
// missing hash is an error: the proof cannot be made, never made up.
type StoredHashes struct {
	Log    string // the log in words, for the refusal: 样本日志, 审计日志
	Leaves func(idxs []int64) ([]NodeHash, error)
	Nodes  func(levels []int16, idxs []int64) ([]NodeHash, error)
}

// NodeHash is a stored hash of a log: a leaf's (Level 0) or an interior
// node's.
type NodeHash struct {
	Level int
	Idx   int64
	Hash  []byte
}

// ReadHashes is tlog's HashReader.
func (r StoredHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	type at struct {
		level int
		n     int64
	}
	var leafIdx, nodeIdx []int64
	var nodeLevels []int16
	want := make([]at, len(indexes))
	for i, x := range indexes {
		l, n := tlog.SplitStoredHashIndex(x)
		want[i] = at{l, n}
		if l == 0 {
			leafIdx = append(leafIdx, n)
		} else {
			nodeLevels, nodeIdx = append(nodeLevels, int16(l)), append(nodeIdx, n)
		}
	}
	got := map[at][]byte{}
	for _, read := range []func() ([]NodeHash, error){
		func() ([]NodeHash, error) { return r.Leaves(leafIdx) },
		func() ([]NodeHash, error) { return r.Nodes(nodeLevels, nodeIdx) },
	} {
		hashes, err := read()
		if err != nil {
			return nil, err
		}
		for _, h := range hashes {
			got[at{h.Level, h.Idx}] = h.Hash
		}
	}
	out := make([]tlog.Hash, len(indexes))
	for i, w := range want {
		h := got[w]
		if len(h) != len(tlog.Hash{}) {
			return nil, refusal.Conflictf("%s缺少第 %d 层第 %d 个哈希：日志被改动过，无法给出证明", r.Log, w.level, w.n)
		}
		copy(out[i][:], h)
	}
	return out, nil
}

// Inclusion proves that leaf index is in the tree of size, which the
// caller checked the log has.
func (r StoredHashes) Inclusion(index, size int64) ([][]byte, error) {
	p, err := tlog.ProveRecord(size, index, r)
	return hashList(p), err
}

// Consistency proves that the tree of size to extends the tree of size
// from, 0 ≤ from ≤ to, which the caller checked the log has.
func (r StoredHashes) Consistency(from, to int64) ([][]byte, error) {
	if from == 0 || from == to {
		return [][]byte{}, nil // the empty tree, or the same tree, needs no proof
	}
	p, err := tlog.ProveTree(to, from, r)
	return hashList(p), err
}

// storedHashes are a campaign's sample log's hashes.
func (s *Store) storedHashes(ctx context.Context, campaignID int64) StoredHashes {
	return StoredHashes{Log: "样本日志",
		Leaves: func(idxs []int64) ([]NodeHash, error) {
			if len(idxs) == 0 {
				return nil, nil
			}
			rows, err := s.q.LeavesAt(ctx, dbq.LeavesAtParams{CampaignID: campaignID, Idxs: idxs})
			out := make([]NodeHash, len(rows))
			for i, r := range rows {
				out[i] = NodeHash{0, r.Idx, r.Hash}
			}
			return out, err
		},
		Nodes: func(levels []int16, idxs []int64) ([]NodeHash, error) {
			if len(idxs) == 0 {
				return nil, nil
			}
			rows, err := s.q.LogNodesAt(ctx, dbq.LogNodesAtParams{CampaignID: campaignID, Levels: levels, Idxs: idxs})
			out := make([]NodeHash, len(rows))
			for i, r := range rows {
				out[i] = NodeHash{int(r.Level), r.Idx, r.Hash}
			}
			return out, err
		}}
}

// provable checks that the campaign's log has size leaves.
func (s *Store) provable(ctx context.Context, campaignID, size int64) error {
	c, err := s.q.GetCampaign(ctx, dbq.GetCampaignParams{ID: campaignID, AllUnits: true})
	if err != nil {
		return notFound(err)
	}
	if size < 0 || size > c.LogSize {
		return refusal.Invalidf("样本日志现有 %d 条记录，没有第 %d 版检查点", c.LogSize, size)
	}
	return nil
}

// InclusionProof proves that leaf index is in the campaign's tree of size,
// from the stored hashes.
func (s *Store) InclusionProof(ctx context.Context, campaignID, index, size int64) ([][]byte, error) {
	if index < 0 || index >= size {
		return nil, refusal.Invalidf("第 %d 条记录不在 %d 条的树中", index+1, size)
	}
	if err := s.provable(ctx, campaignID, size); err != nil {
		return nil, err
	}
	return s.storedHashes(ctx, campaignID).Inclusion(index, size)
}

// ConsistencyProof proves that the campaign's tree of size to extends its
// tree of size from, from the stored hashes.
func (s *Store) ConsistencyProof(ctx context.Context, campaignID, from, to int64) ([][]byte, error) {
	if from < 0 || from > to {
		return nil, refusal.Invalidf("一致性证明要求 0 ≤ 起点（%d）≤ 终点（%d）", from, to)
	}
	if err := s.provable(ctx, campaignID, to); err != nil {
		return nil, err
	}
	return s.storedHashes(ctx, campaignID).Consistency(from, to)
}

func hashList[H ~[]tlog.Hash](p H) [][]byte {
	out := make([][]byte, len(p))
	for i := range p {
		out[i] = p[i][:]
	}
	return out
}

// StoreLogNodes fills in the interior hashes of every log that lacks some
// (logs from before they were kept), from its leaves: run at start.
func (s *Store) StoreLogNodes(ctx context.Context) error {
	missing, err := s.q.CampaignsMissingNodes(ctx)
	if err != nil {
		return err
	}
	for _, c := range missing {
		err := s.inTx(ctx, func(q *dbq.Queries, _ pgx.Tx) error {
			hashes, err := q.LeafHashes(ctx, dbq.LeafHashesParams{CampaignID: c.ID, Start: 0, Stop: c.LogSize})
			if err != nil {
				return err
			}
			if int64(len(hashes)) != c.LogSize {
				return fmt.Errorf("campaign %d: %d leaves stored for a log of %d", c.ID, len(hashes), c.LogSize)
			}
			_, _, nodes, err := Extend(0, nil, nil, hashes)
			if err != nil {
				return err
			}
			nodes.CampaignID = c.ID
			if err := q.DeleteLogNodes(ctx, c.ID); err != nil {
				return err
			}
			return q.InsertLogNodes(ctx, nodes)
		})
		if err != nil {
			slog.Error("sample log: interior hashes not filled in", "campaign", c.ID, "error", err)
			continue // a damaged log is verify's to name; the others go on
		}
		slog.Info("sample log: interior hashes filled in", "campaign", c.ID, "size", c.LogSize)
	}
	return nil
}

// LeafHashes is leaves [start, stop) of the campaign's log, at most
// MaxLeafRange of them.
func (s *Store) LeafHashes(ctx context.Context, campaignID, start, stop int64) ([][]byte, error) {
	if start < 0 || stop < start || stop-start > MaxLeafRange {
		return nil, refusal.Invalidf("记录范围须满足 0 ≤ 起点 ≤ 终点，且一次最多 %d 条", MaxLeafRange)
	}
	return s.q.LeafHashes(ctx, dbq.LeafHashesParams{CampaignID: campaignID, Start: start, Stop: stop})
}

// Cosigned is a checkpoint a witness cosigned and sent back.
type Cosigned struct {
	Size       int64
	Root       []byte
	Witness    string
	Note       string
	CosignedAt time.Time
}

// AddCosignature keeps a checkpoint of a campaign's log that known
// witnesses cosigned. The log's own signature and at least one known
// witness's must verify, and the log must have signed that very
// checkpoint: a cosigned checkpoint this log never issued is refused.
func (s *Store) AddCosignature(ctx context.Context, campaignID int64, text string) ([]Cosigned, error) {
	cp, out, err := OpenCosigned(text, s.logKey.Origin(campaignID), s.logKey.Verifier(), s.witnesses)
	if err != nil {
		return nil, err
	}
	own, err := s.CheckpointAt(ctx, campaignID, cp.Size)
	if errors.Is(err, ErrNotFound) || (err == nil && !equalHash(own.Root, cp.Root)) {
		return nil, refusal.Conflictf("本日志没有签发过这个检查点（%d 条，根 %s）", cp.Size, HashPrefix(cp.Root))
	} else if err != nil {
		return nil, err
	}
	for _, w := range out {
		if err := s.q.AddCosignature(ctx, dbq.AddCosignatureParams{CampaignID: campaignID, Size: cp.Size, Witness: w.Witness,
			Note: text, CosignedAt: w.CosignedAt}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// OpenCosigned reads a checkpoint of the log origin that witnesses
// cosigned and sent back: the log's own signature and at least one known
// witness's cosignature must verify, each cosignature with its time. The
// caller checks that its log signed that very checkpoint.
func OpenCosigned(text, origin string, logVerifier note.Verifier, witnesses []note.Verifier) (Checkpoint, []Cosigned, error) {
	cp, cosigs, err := OpenCheckpoint(text, origin, logVerifier, witnesses...)
	if err != nil {
		return Checkpoint{}, nil, refusal.Invalidf("检查点无法核验：%v", err)
	}
	if len(cosigs) == 0 {
		return Checkpoint{}, nil, refusal.Invalidf("检查点上没有本系统认可的见证方联署（见证方公钥须在 WITNESS_KEYS 中配置）")
	}
	out := make([]Cosigned, 0, len(cosigs))
	for _, c := range cosigs {
		at, err := CosignedAt(c)
		if err != nil {
			return Checkpoint{}, nil, refusal.Invalidf("见证方 %s 的联署没有时间戳：%v", c.Name, err)
		}
		out = append(out, Cosigned{Size: cp.Size, Root: cp.Root, Witness: c.Name, Note: text, CosignedAt: at})
	}
	return cp, out, nil
}

// Recheck is a kept cosignature of the log origin checked again as it is
// read; ok is false when the note no longer verifies or lacks the named
// witness's cosignature (verify names it).
func Recheck(text, witness string, at time.Time, origin string, logVerifier note.Verifier, witnesses []note.Verifier) (Cosigned, bool) {
	cp, cosigs, err := OpenCheckpoint(text, origin, logVerifier, witnesses...)
	if err != nil {
		return Cosigned{}, false
	}
	for _, c := range cosigs {
		if c.Name == witness {
			return Cosigned{Size: cp.Size, Root: cp.Root, Witness: witness, Note: text, CosignedAt: at}, true
		}
	}
	return Cosigned{}, false
}

// Cosignatures is the checkpoints of a campaign's log that witnesses
// cosigned, each checked again as it is read; one that no longer verifies
// is left out (and verify names it).
func (s *Store) Cosignatures(ctx context.Context, campaignID int64) ([]Cosigned, error) {
	rows, err := s.q.Cosignatures(ctx, campaignID)
	var out []Cosigned
	for _, r := range rows {
		if c, ok := Recheck(r.Note, r.Witness, r.CosignedAt, s.logKey.Origin(campaignID), s.logKey.Verifier(), s.witnesses); ok {
			out = append(out, c)
		}
	}
	return out, err
}

// ReceiptClaim is what a respondent's saved receipt says of the log: the
// checkpoint the response was admitted under.
type ReceiptClaim struct {
	Size int64
	Root []byte
	// Where the receipt's link says the response was admitted: its
	// campaign and its place in the log (leaf index + 1), so that a
	// response gone from the database can still be accounted for.
	CampaignID int64
	Pos        int64
}

// ReceiptCheck is what a respondent learns from their receipt. It says the
// response is in the sample only when the log supports it.
type ReceiptCheck struct {
	Receipt     string
	CampaignID  int64
	Status      ResponseStatus
	SubmittedAt time.Time
	Pos         int64  // leaf index + 1; 0 when not in the log
	Hash        string // the leaf hash's prefix
	Under       StoredCheckpoint
	Latest      StoredCheckpoint
	Origin      string
	Included    bool // the response as stored now is proved in the latest signed checkpoint
	Extends     bool // the latest checkpoint is proved to extend the one the response was admitted under
	Decisions   []string
	Problems    []string
	// Removed: the receipt's response is gone from the sample; RemovedWhy
	// says what the log shows about it.
	Removed    bool
	RemovedWhy string
}

// InSample reports whether the log supports that the response counts.
func (c ReceiptCheck) InSample() bool {
	return c.Status == Admitted && c.Included && c.Extends && len(c.Problems) == 0
}

// CheckReceipt checks a receipt against the log: the response as stored
// now is proved in the latest signed checkpoint, which is proved to extend
// the checkpoint the receipt was admitted under (the one the respondent
// kept, when given), and every move of it in or out of the sample is a
// logged decision.
func (s *Store) CheckReceipt(ctx context.Context, receipt string, claim *ReceiptClaim) (ReceiptCheck, error) {
	r, err := s.q.ResponseByReceipt(ctx, receipt)
	if errors.Is(err, pgx.ErrNoRows) && claim != nil && claim.CampaignID > 0 && claim.Pos > 0 {
		return s.checkRemoved(ctx, receipt, *claim)
	}
	if err != nil {
		return ReceiptCheck{}, notFound(err)
	}
	out := ReceiptCheck{Receipt: r.Receipt, CampaignID: r.CampaignID, Status: ResponseStatus(r.Status), SubmittedAt: r.SubmittedAt,
		Pos: r.Pos, Hash: HashPrefix(r.Hash), Origin: s.logKey.Origin(r.CampaignID)}
	problem := func(f string, a ...any) { out.Problems = append(out.Problems, fmt.Sprintf(f, a...)) }
	if r.Pos == 0 {
		if out.Status == Admitted || out.Status == Invalidated || out.Status == Held {
			problem("这份答卷计入了样本，但不在样本日志中")
		}
		return out, nil
	}
	index := r.Pos - 1
	latest, err := s.LatestCheckpoint(ctx, r.CampaignID)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			problem("样本日志没有签名的检查点")
			return out, nil
		}
		return out, err
	}
	out.Latest = latest
	if cp, _, err := OpenCheckpoint(latest.Note, out.Origin, s.logKey.Verifier()); err != nil || cp.Size != latest.Size || !equalHash(cp.Root, latest.Root) {
		problem("最新检查点的签名无法核验")
		return out, nil
	}
	// The response as stored now, in the latest checkpoint.
	cr, err := s.q.ChainedResponseByID(ctx, r.ID)
	if err != nil {
		return out, err
	}
	st := storedFrom(r.CampaignID, dbq.ChainedResponsesRow(cr))
	if index >= latest.Size {
		problem("第 %d 条记录不在最新检查点（%d 条）中", r.Pos, latest.Size)
	} else if p, err := s.InclusionProof(ctx, r.CampaignID, index, latest.Size); err == nil &&
		VerifyInclusion(index, latest.Size, LeafHash(st.Canonical()), p, latest.Root) == nil {
		out.Included = true
	} else {
		problem("您的答卷现在的内容与入样时不一致，或已被替换")
	}

	// The checkpoint it was admitted under, extended by the latest.
	under := ReceiptClaim{}
	if k, err := s.q.CheckpointCovering(ctx, dbq.CheckpointCoveringParams{CampaignID: r.CampaignID, Idx: index}); err == nil {
		out.Under = checkpointFrom(k.Size, k.Root, k.Note, k.SignedAt)
		under = ReceiptClaim{Size: k.Size, Root: k.Root}
	} else if !errors.Is(err, pgx.ErrNoRows) {
		return out, err
	}
	if claim != nil {
		if claim.Size != under.Size || !equalHash(claim.Root, under.Root) {
			problem("您保存的回执记为第 %d 版检查点（根 %s），日志现存的是第 %d 版（根 %s）", claim.Size, HashPrefix(claim.Root), under.Size, HashPrefix(under.Root))
		}
		under = *claim
	}
	switch {
	case under.Size == 0:
		problem("找不到这份答卷入样时的检查点")
	case index >= under.Size:
		problem("回执所记的检查点（%d 条）不包含第 %d 条记录", under.Size, r.Pos)
	case under.Size > latest.Size:
		problem("回执所记的检查点有 %d 条，日志现只有 %d 条：记录被删除过", under.Size, latest.Size)
	default:
		p, err := s.ConsistencyProof(ctx, r.CampaignID, under.Size, latest.Size)
		if err == nil && VerifyConsistency(under.Size, latest.Size, p, under.Root, latest.Root) == nil {
			out.Extends = true
		} else {
			problem("最新检查点不是您入样时检查点（第 %d 版）的延续：之前的记录被改写过", under.Size)
		}
	}

	// Its decisions, each a leaf; the status follows the last.
	leaves, err := s.q.DecisionLeaves(ctx, dbq.DecisionLeavesParams{CampaignID: r.CampaignID, ResponseID: r.ID})
	if err != nil {
		return out, err
	}
	revs, err := s.q.ReviewsOfResponse(ctx, r.ID)
	if err != nil {
		return out, err
	}
	// What the decisions leave it: held on arrival (the log's flags leaf
	// of its group says so, which verify checks) until one is made.
	want := Admitted
	if out.Status == Held {
		want = Held
	}
	for _, l := range leaves {
		var d *dbq.ReviewsOfResponseRow
		for i := range revs {
			if l.ReviewID != nil && revs[i].ID == *l.ReviewID {
				d = &revs[i]
			}
		}
		if d == nil {
			problem("第 %d 条记录的审核决定已被删除", l.Idx+1)
			continue
		}
		h := LeafHash((&Decided{CampaignID: r.CampaignID, ReviewID: d.ID, Receipt: r.Receipt, ResponseLeaf: index,
			Decision: d.Decision, Reason: d.Reason, Username: d.Username, DecidedAt: d.DecidedAt, Outcome: d.Outcome}).Canonical())
		if !equalHash(h, l.Hash) {
			problem("第 %d 条记录的审核决定与记入日志时不一致", l.Idx+1)
			continue
		}
		switch {
		case d.Outcome != "":
			want = ResponseStatus(d.Outcome)
		case d.Decision == string(Invalid):
			want = Invalidated
		default:
			want = Admitted
		}
		word := "有效，保留在样本中"
		switch {
		case d.Decision == string(Invalid):
			word = "无效，移出样本"
		case d.Outcome == string(Admitted):
			word = "有效，计入样本"
		case d.Outcome == string(OverQuota):
			word = "有效，但所属类别和城乡的配额已满，未能计入"
		}
		out.Decisions = append(out.Decisions, fmt.Sprintf("%s 审核认定%s（日志第 %d 条）：%s",
			d.DecidedAt.In(Beijing).Format("2006-01-02 15:04"), word, l.Idx+1, d.Reason))
	}
	switch {
	case out.Status == want:
	case out.Status == Invalidated:
		problem("答卷被移出样本，但日志中没有相应的审核决定")
	case out.Status == Admitted && want == Invalidated:
		problem("答卷被重新计入样本，但日志中最后的审核决定是“无效”")
	default:
		problem("答卷状态被改为“%s”，但日志中没有相应的审核决定", out.Status.Name())
	}
	return out, nil
}

// RootHex is a root in the hex form receipts and dossiers print.
func RootHex(root []byte) string { return hex.EncodeToString(root) }

// UpgradeLogs rebuilds the log of each campaign whose admitted responses
// are still in the linear chain of earlier versions: one leaf per chained
// response, in chain order, then one per review decision, signed as one
// checkpoint and recorded as a campaign event. The leaves are made from the
// responses as stored at the upgrade; witnesses vouch only for what they
// see from then on.
func (s *Store) UpgradeLogs(ctx context.Context) error {
	ids, err := s.q.LegacyLogCampaigns(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		err := s.inTx(ctx, func(q *dbq.Queries, _ pgx.Tx) error {
			row, err := q.LockCampaignForSubmit(ctx, id)
			if err != nil || row.LogVersion != 1 {
				return err // upgraded meanwhile by another server
			}
			chain, err := q.LegacyChain(ctx, id)
			if err != nil {
				return err
			}
			resp, err := q.ChainedResponses(ctx, id)
			if err != nil {
				return err
			}
			byID := map[int64]StoredResponse{}
			for _, r := range resp {
				byID[r.ID] = storedFrom(id, r)
			}
			var leaves [][]byte
			at := map[int64]int64{}
			missing := 0
			for _, rid := range chain {
				r, ok := byID[rid]
				if !ok {
					missing++
					continue
				}
				at[rid] = int64(len(leaves))
				h := LeafHash(r.Canonical())
				if err := q.InsertLeaf(ctx, dbq.InsertLeafParams{CampaignID: id, Idx: int64(len(leaves)), ResponseID: rid, Hash: h}); err != nil {
					return err
				}
				leaves = append(leaves, h)
			}
			revs, err := q.CampaignReviews(ctx, id)
			if err != nil {
				return err
			}
			for _, d := range revs {
				idx, ok := at[d.ResponseID]
				if !ok {
					continue
				}
				h := LeafHash((&Decided{CampaignID: id, ReviewID: d.ID, Receipt: byID[d.ResponseID].Receipt, ResponseLeaf: idx,
					Decision: d.Decision, Reason: d.Reason, Username: d.Username, DecidedAt: d.DecidedAt}).Canonical())
				if err := q.InsertLeaf(ctx, dbq.InsertLeafParams{CampaignID: id, Idx: int64(len(leaves)), ResponseID: d.ResponseID,
					ReviewID: &d.ID, Hash: h}); err != nil {
					return err
				}
				leaves = append(leaves, h)
			}
			cp := campaignFrom(row)
			cp.LogSize, cp.LogFrontier = 0, nil
			if len(leaves) > 0 {
				adv, err := s.logKey.advance(cp, leaves)
				if err != nil {
					return err
				}
				if err := adv.store(ctx, q); err != nil {
					return err
				}
			}
			if err := q.FinishLogUpgrade(ctx, id); err != nil {
				return err
			}
			reason := fmt.Sprintf("样本链升级为 Merkle 样本日志：%d 条答卷、%d 条审核决定", len(at), len(leaves)-len(at))
			if missing > 0 {
				reason += fmt.Sprintf("；旧样本链中 %d 条记录的答卷已不存在，未记入", missing)
			}
			_, err = q.AddCampaignEvent(ctx, dbq.AddCampaignEventParams{CampaignID: id, Action: "log_upgrade", Reason: reason, Username: "system"})
			return err
		})
		if err != nil {
			return fmt.Errorf("campaign %d: upgrading its sample chain to a log: %w", id, err)
		}
	}
	return s.upgradeState(ctx)
}

// CheckpointEvidence reads a signed checkpoint of a campaign's log given
// from outside (printed, saved, cosigned) as evidence for Verify. It must
// carry the log's signature; a known witness's cosignature makes it a
// witnessed one.
func (s *Store) CheckpointEvidence(campaignID int64, text, source string) (Evidence, error) {
	return EvidenceFrom(text, source, s.logKey.Origin(campaignID), s.logKey.Verifier(), s.witnesses)
}

// EvidenceFrom reads a signed checkpoint of the log origin given as
// evidence (source says where from), with the first known witness that
// cosigned it.
func EvidenceFrom(text, source, origin string, logVerifier note.Verifier, witnesses []note.Verifier) (Evidence, error) {
	cp, cosigs, err := OpenCheckpoint(strings.ReplaceAll(text, "\r\n", "\n"), origin, logVerifier, witnesses...)
	if err != nil {
		return Evidence{}, refusal.Invalidf("%s无法核验（须是本日志签名的检查点）：%v", source, err)
	}
	e := Evidence{Source: source, Size: cp.Size, Root: cp.Root}
	if len(cosigs) > 0 {
		e.Witnessed, e.Witness = true, cosigs[0].Name
	}
	return e, nil
}

// ReceiptEvidence is a receipt a respondent kept, as evidence for Verify:
// its code, its place in the log (leaf index + 1) and the checkpoint it
// was admitted under.
func ReceiptEvidence(code string, pos, size int64, rootHex string) (Evidence, error) {
	root, err := hex.DecodeString(strings.TrimSpace(rootHex))
	if err != nil || len(root) != 32 || pos < 1 || size < pos {
		return Evidence{}, refusal.Invalidf("回执 %s 的记录不完整：须有位置、入样时的条数和 64 位十六进制根值", code)
	}
	return Evidence{Source: "回执 " + code + " ", Receipt: code, Index: pos - 1, Size: size, Root: root}, nil
}

// checkRemoved accounts for a receipt whose response the database no
// longer holds, from what its link carries: the campaign, the place in the
// log and the checkpoint it was admitted under. Either the log as stored
// now no longer adds up to that signed checkpoint (it was rewritten after
// the response was admitted), or it still does and the leaf is there but
// its response was deleted from the database; in both cases the response
// was taken out of the sample, and a recorded decision explains it or not.
func (s *Store) checkRemoved(ctx context.Context, receipt string, claim ReceiptClaim) (ReceiptCheck, error) {
	out := ReceiptCheck{Receipt: receipt, CampaignID: claim.CampaignID, Pos: claim.Pos, Removed: true,
		Origin: s.logKey.Origin(claim.CampaignID), Under: StoredCheckpoint{Size: claim.Size, Root: claim.Root}}
	latest, err := s.LatestCheckpoint(ctx, claim.CampaignID)
	if errors.Is(err, ErrNotFound) {
		return ReceiptCheck{}, ErrNotFound // no such log: nothing to account for
	} else if err != nil {
		return out, err
	}
	out.Latest = latest
	removed := func(f string, a ...any) (ReceiptCheck, error) {
		out.RemovedWhy = fmt.Sprintf(f, a...)
		out.Problems = append(out.Problems, out.RemovedWhy)
		return out, nil
	}
	switch {
	case claim.Pos > claim.Size:
		return ReceiptCheck{}, ErrNotFound // the link contradicts itself: not evidence
	case claim.Size > latest.Size:
		return removed("已从样本中移除：您的回执记为第 %d 版检查点（%d 条），日志现只有 %d 条，此后的记录被删除过", claim.Size, claim.Size, latest.Size)
	}
	if cp, _, err := OpenCheckpoint(latest.Note, out.Origin, s.logKey.Verifier()); err != nil || cp.Size != latest.Size || !equalHash(cp.Root, latest.Root) {
		return removed("已从样本中移除，且最新检查点的签名无法核验")
	}
	// Does the latest signed tree extend the receipt's checkpoint? A
	// consistency proof cannot be made up: if it fails, the log was
	// rewritten after the response was admitted.
	if p, err := s.ConsistencyProof(ctx, claim.CampaignID, claim.Size, latest.Size); err != nil ||
		VerifyConsistency(claim.Size, latest.Size, p, claim.Root, latest.Root) != nil {
		return removed("已从样本中移除：样本日志在您的答卷入样后被改写——最新签名检查点（%d 条，根 %s）不是您回执所记检查点（第 %d 版，根 %s）的延续，没有任何审核决定可以解释这种改写",
			latest.Size, HashPrefix(latest.Root), claim.Size, HashPrefix(claim.Root))
	}
	// The signed log still extends the receipt's checkpoint: its leaf is
	// there, and only the database row behind it is gone.
	var reviews int
	if leaf, err := s.q.LeafAt(ctx, dbq.LeafAtParams{CampaignID: claim.CampaignID, Idx: claim.Pos - 1}); err == nil {
		n, err := s.q.DecisionLeafCount(ctx, dbq.DecisionLeafCountParams{CampaignID: claim.CampaignID, ResponseID: leaf.ResponseID})
		if err != nil {
			return out, err
		}
		reviews = int(n)
	}
	if reviews > 0 {
		return removed("已从样本中移除：日志第 %d 条仍在且与您的回执一致，日志中有 %d 条针对它的审核决定，但数据库中已没有这份答卷——答卷被删除，审核决定不能解释删除", claim.Pos, reviews)
	}
	return removed("已从样本中移除：日志第 %d 条仍在且与您的回执一致，但数据库中已没有这份答卷，也没有任何记录的审核决定", claim.Pos)
}

// TileHeight is the height of the tiles the log serves: tlog's tiles of
// 2^8 hashes, as the Go checksum database serves them.
const TileHeight = 8

// Tile is a tile of a campaign's log in tlog's tile format (tile/H/L/N or
// tile/H/L/N.p/W), read from the stored hashes: what a witness or a
// client fetches to make its own proofs (tlog.TileHashReader checks each
// against a signed tree head). Data tiles are not served: the log's
// leaves are hashes.
func (s *Store) Tile(ctx context.Context, campaignID int64, path string) ([]byte, error) {
	t, err := tlog.ParseTilePath(path)
	if err != nil || t.H != TileHeight || t.L < 0 {
		return nil, refusal.Invalidf("不是本日志提供的瓦片路径（tile/%d/层/编号[.p/宽度]）：%s", TileHeight, path)
	}
	c, err := s.q.GetCampaign(ctx, dbq.GetCampaignParams{ID: campaignID, AllUnits: true})
	if err != nil {
		return nil, notFound(err)
	}
	// The tile's last hash covers leaves up to (N·2^H + W) · 2^(L·H).
	if t.L*t.H >= 62 || (t.N<<t.H+int64(t.W))<<(t.L*t.H) > c.LogSize {
		return nil, ErrNotFound
	}
	return tlog.ReadTileData(t, s.storedHashes(ctx, campaignID))
}

package survey

import (
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"
)

// LeafRow is a leaf as the database holds it.
type LeafRow struct {
	Index      int64
	ResponseID int64
	ReviewID   *int64 // set on a decision leaf
	Hash       []byte
	Body       []byte // an entry's canonical body (logstate.go); nil for an admission or a decision
}

// StoredResponse is a response as the database holds it now.
type StoredResponse struct {
	ID int64
	Chained
	Status  ResponseStatus
	Flagged bool
	Flags   []string
}

// StoredReview is a review decision as the database holds it now.
type StoredReview struct {
	ID, ResponseID             int64
	Decision, Reason, Username string
	DecidedAt                  time.Time
	Outcome                    string // for a held response: the status the decision gave it
}

// StoredCheckpoint is a signed checkpoint as the database holds it.
type StoredCheckpoint struct {
	Size     int64     `json:"size"`
	Root     []byte    `json:"root"`
	Note     string    `json:"note"` // the signed note
	SignedAt time.Time `json:"signed_at"`
}

// Evidence is a checkpoint held outside the database: cosigned by a
// witness, printed in a dossier, or named by a respondent's receipt.
type Evidence struct {
	Source    string   // in words for staff: 见证方 …、打印的检查点、回执 …
	Size      int64    // leaves the checkpoint covers
	Root      []byte   // its root
	Leaves    [][]byte // the leaf hashes [0, Size), when the source keeps them (a witness's store)
	Witnessed bool     // a witness cosigned it: it bounds a witnessed interval
	Witness   string   // the witness's name, when Witnessed
	Receipt   string   // a receipt's code, with the leaf it named
	Index     int64
}

// LogInput is everything Verify reads: the log, what its leaves name, the
// campaign's record of it, and outside evidence.
type LogInput struct {
	CampaignID  int64
	Origin      string
	Verifier    note.Verifier // the deployment's; nil: signatures are not checked
	Leaves      []LeafRow
	Responses   []StoredResponse // every response that is or was in the sample
	Reviews     []StoredReview
	StoredSize  int64
	StoredRoot  []byte
	SealedSize  *int64
	SealedRoot  []byte
	Checkpoints []StoredCheckpoint
	Evidence    []Evidence
	// What the log's entries are checked against: the campaign as the
	// database holds it now (Settings nil for a draft), its events, and
	// its questionnaires with the digests of their stored definitions.
	Version     int
	Status      Status
	Settings    *VerdictSettings
	Events      []StoredEvent
	Forms       []Form
	FormDigests []FormDigest
}

// Problem kinds found by Verify.
const (
	Changed   = "changed"   // a response or decision differs from what its leaf committed to
	Removed   = "removed"   // a leaf, or the response or decision it names, is gone
	Inserted  = "inserted"  // in the sample or the review record, but not in the log; or slipped in before a witnessed checkpoint
	Excluded  = "excluded"  // moved in or out of the sample without a logged decision
	Diverged  = "diverged"  // the tree does not have the root a checkpoint says it had
	Malformed = "malformed" // a stored row is not what the log writes: a short hash, a bad index, a forged signature
)

// LogProblem is one discrepancy, in words for staff.
type LogProblem struct {
	Kind       string `json:"kind"`
	Pos        int64  `json:"pos,omitempty"` // leaf index + 1, when it concerns one leaf
	ResponseID int64  `json:"response_id,omitempty"`
	Receipt    string `json:"receipt,omitempty"`
	Text       string `json:"text"`
}

// EvidenceResult is one outside checkpoint as Verify found it.
type EvidenceResult struct {
	Source string `json:"source"`
	Size   int64  `json:"size"`
	Root   string `json:"root"`
	Agrees bool   `json:"agrees"`
}

// LogInterval is the leaves added between two witnessed checkpoints (or after
// the last one): what a host could have fabricated unnoticed, with how many
// of those carry flags.
type LogInterval struct {
	From      int64    `json:"from"` // leaves [From, To)
	To        int64    `json:"to"`
	Witnessed bool     `json:"witnessed"` // a witness cosigned the checkpoint at To
	Witnesses []string `json:"witnesses"`
	Responses int64    `json:"responses"`
	Decisions int64    `json:"decisions"`
	Entries   int64    `json:"entries"` // flags, events and result statements
	Flagged   int64    `json:"flagged"`
}

// Verification is the result of recomputing a campaign's log.
type Verification struct {
	CampaignID  int64            `json:"campaign_id"`
	Origin      string           `json:"origin"`
	Size        int64            `json:"size"` // leaves found
	Root        string           `json:"root"` // recomputed from the responses and decisions as stored now, hex
	StoredSize  int64            `json:"stored_size"`
	StoredRoot  string           `json:"stored_root"`
	SealedSize  *int64           `json:"sealed_size"` // fixed at close
	SealedRoot  string           `json:"sealed_root"`
	Checkpoints int              `json:"checkpoints"` // signed checkpoints in the database, each checked
	Evidence    []EvidenceResult `json:"evidence"`
	Intervals   []LogInterval    `json:"intervals"`
	Problems    []LogProblem     `json:"problems"`
}

// OK reports whether the log is intact and agrees with every checkpoint.
func (v Verification) OK() bool { return len(v.Problems) == 0 }

// At is the problems found with the leaf at pos (leaf index + 1).
func (v Verification) At(pos int64) []LogProblem {
	var out []LogProblem
	for _, p := range v.Problems {
		if p.Pos == pos {
			out = append(out, p)
		}
	}
	return out
}

// MatchesRoot reports whether a root printed elsewhere (the dossier, a
// receipt holder's note), in full or as a prefix of at least 8 hex digits,
// is the recomputed root.
func (v Verification) MatchesRoot(printed string) bool {
	printed = strings.ToLower(strings.TrimSpace(printed))
	return len(printed) >= 8 && strings.HasPrefix(v.Root, printed)
}

// Verify recomputes a campaign's log from the responses and decisions the
// database holds now. It names every leaf whose response or decision
// changed or is gone, every row the log never wrote, every response in the
// sample or decision with no leaf, every move in or out of the sample that
// no logged decision explains, and every checkpoint (stored, sealed or
// given from outside) whose root the recomputed tree does not have. Given
// a witness's leaf hashes, it names the leaves that changed, vanished or
// were slipped in below the witnessed size. A malformed row is a named
// problem, never a crash.
func Verify(in LogInput) Verification {
	v := Verification{CampaignID: in.CampaignID, Origin: in.Origin, StoredSize: in.StoredSize,
		StoredRoot: hex.EncodeToString(in.StoredRoot), SealedSize: in.SealedSize, SealedRoot: hex.EncodeToString(in.SealedRoot),
		Checkpoints: len(in.Checkpoints), Evidence: []EvidenceResult{}, Intervals: []LogInterval{}, Problems: []LogProblem{}}
	problem := func(p LogProblem) { v.Problems = append(v.Problems, p) }
	responses := make(map[int64]*StoredResponse, len(in.Responses))
	for i := range in.Responses {
		responses[in.Responses[i].ID] = &in.Responses[i]
	}
	reviews := make(map[int64]*StoredReview, len(in.Reviews))
	for i := range in.Reviews {
		reviews[in.Reviews[i].ID] = &in.Reviews[i]
	}

	// The slots of the log: as many as the campaign says, or as there are
	// rows. A row placed beyond both was not written by the log.
	size := max(in.StoredSize, int64(len(in.Leaves)))
	rows := map[int64]LeafRow{}
	for _, l := range in.Leaves {
		switch _, dup := rows[l.Index]; {
		case l.Index < 0 || l.Index >= size:
			problem(LogProblem{Kind: Malformed, ResponseID: l.ResponseID,
				Text: fmt.Sprintf("一条日志记录的序号为 %d，超出日志的 %d 条，不是日志写入的序号", l.Index+1, size)})
		case dup:
			problem(LogProblem{Kind: Malformed, Pos: l.Index + 1, ResponseID: l.ResponseID, Text: fmt.Sprintf("第 %d 条记录出现了两次", l.Index+1)})
		default:
			rows[l.Index] = l
		}
	}

	leaves := make([][]byte, size) // recomputed
	leafOf := map[int64]int64{}    // response id → its response leaf
	decided := map[int64]bool{}    // review ids with a leaf
	var decisions, flagged []bool  // per slot: a decision or entry leaf; a flagged response's leaf
	decisions, flagged = make([]bool, size), make([]bool, size)
	entries := map[int64]Entry{} // slot → the entry its body holds
	isEntry := make([]bool, size)
	for i := int64(0); i < size; i++ {
		l, ok := rows[i]
		pos := i + 1
		if !ok {
			problem(LogProblem{Kind: Removed, Pos: pos, Text: fmt.Sprintf("第 %d 条记录已被删除", pos)})
			leaves[i] = make([]byte, 32) // no content to hash: every root over it differs
			continue
		}
		if len(l.Hash) != 32 {
			problem(LogProblem{Kind: Malformed, Pos: pos, ResponseID: l.ResponseID,
				Text: fmt.Sprintf("第 %d 条记录的校验值长度异常（%d 字节，应为 32 字节），该记录已被改动", pos, len(l.Hash))})
		}
		stored := l.Hash
		if len(stored) != 32 {
			stored = make([]byte, 32)
		}
		leaves[i] = stored
		if l.Body != nil {
			leaves[i] = LeafHash(l.Body)
			e, err := parseEntry(l.Body, in.CampaignID)
			switch {
			case len(l.Hash) == 32 && !equalHash(leaves[i], l.Hash):
				problem(LogProblem{Kind: Changed, Pos: pos, Text: fmt.Sprintf("第 %d 条记录（%s）与记入日志时不一致", pos, entryNames[e.Kind])})
			case err != nil:
				problem(LogProblem{Kind: Malformed, Pos: pos, Text: fmt.Sprintf("第 %d 条记录不是日志写入的条目：%v", pos, err)})
			default:
				entries[i] = e
			}
			isEntry[i] = true
			continue
		}
		if l.ReviewID != nil {
			decisions[i] = true
			d, ok := reviews[*l.ReviewID]
			if !ok {
				problem(LogProblem{Kind: Removed, Pos: pos, ResponseID: l.ResponseID,
					Text: fmt.Sprintf("第 %d 条记录的审核决定（编号 %d）已被删除", pos, *l.ReviewID)})
				continue
			}
			decided[d.ID] = true
			at, ok := leafOf[d.ResponseID]
			r := responses[d.ResponseID]
			if !ok || r == nil || d.ResponseID != l.ResponseID {
				problem(LogProblem{Kind: Malformed, Pos: pos, ResponseID: d.ResponseID,
					Text: fmt.Sprintf("第 %d 条记录的审核决定指向的答卷（编号 %d）不在它之前的日志中", pos, d.ResponseID)})
				continue
			}
			leaves[i] = LeafHash((&Decided{CampaignID: in.CampaignID, ReviewID: d.ID, Receipt: r.Receipt, ResponseLeaf: at,
				Decision: d.Decision, Reason: d.Reason, Username: d.Username, DecidedAt: d.DecidedAt, Outcome: d.Outcome}).Canonical())
			if len(l.Hash) == 32 && !equalHash(leaves[i], l.Hash) {
				problem(LogProblem{Kind: Changed, Pos: pos, ResponseID: r.ID, Receipt: r.Receipt,
					Text: fmt.Sprintf("第 %d 条记录（回执 %s 的审核决定）与记入日志时不一致", pos, r.Receipt)})
			}
			continue
		}
		r, ok := responses[l.ResponseID]
		switch {
		case !ok:
			problem(LogProblem{Kind: Removed, Pos: pos, ResponseID: l.ResponseID,
				Text: fmt.Sprintf("第 %d 条记录的答卷（编号 %d）已被删除", pos, l.ResponseID)})
			continue
		case hasLeaf(leafOf, r.ID):
			problem(LogProblem{Kind: Inserted, Pos: pos, ResponseID: r.ID, Receipt: r.Receipt,
				Text: fmt.Sprintf("第 %d 条记录重复指向回执 %s", pos, r.Receipt)})
			continue
		}
		leafOf[r.ID] = i
		flagged[i] = r.Flagged
		leaves[i] = LeafHash(r.Canonical())
		if len(l.Hash) == 32 && !equalHash(leaves[i], l.Hash) { // a malformed one is named above
			problem(LogProblem{Kind: Changed, Pos: pos, ResponseID: r.ID, Receipt: r.Receipt,
				Text: fmt.Sprintf("第 %d 条记录（回执 %s）的内容与入样时不一致", pos, r.Receipt)})
		}
	}

	// What the log should hold but does not (the moves it does not explain
	// are checkEntries's, which replays the log).
	for _, r := range in.Responses {
		if _, ok := leafOf[r.ID]; !ok && (r.Status == Admitted || r.Status == Invalidated || r.Status == Held) {
			problem(LogProblem{Kind: Inserted, ResponseID: r.ID, Receipt: r.Receipt,
				Text: fmt.Sprintf("答卷（编号 %d，回执 %s）计入样本，但不在样本日志中", r.ID, r.Receipt)})
		}
	}
	for _, d := range in.Reviews {
		if !decided[d.ID] {
			problem(LogProblem{Kind: Inserted, ResponseID: d.ResponseID,
				Text: fmt.Sprintf("审核决定（编号 %d，%s）不在样本日志中", d.ID, d.Username)})
		}
	}

	v.Problems = append(v.Problems, checkEntries(in, size, rows, entries, responses, reviews)...)

	tree := NewTree(leaves)
	root, _ := tree.Root(size)
	v.Size, v.Root = size, hex.EncodeToString(root)
	rootAt := func(n int64) []byte {
		if n > size || n < 0 {
			return nil
		}
		r, _ := tree.Root(n)
		return r
	}
	if size != in.StoredSize || !equalHash(root, in.StoredRoot) && size > 0 {
		problem(LogProblem{Kind: Diverged, Text: fmt.Sprintf("日志实有 %d 条，重算的根为 %s；调查记录为 %d 条，根为 %s",
			size, hexPrefix(v.Root), in.StoredSize, HashPrefix(in.StoredRoot))})
	}
	if in.SealedSize != nil && !equalHash(rootAt(*in.SealedSize), in.SealedRoot) && *in.SealedSize > 0 {
		problem(LogProblem{Kind: Diverged, Text: fmt.Sprintf("结束调查时封存的日志为 %d 条、根 %s，与现存记录重算的结果不一致",
			*in.SealedSize, HashPrefix(in.SealedRoot))})
	}

	// Signed checkpoints in the database: each note's text that of its
	// size and root, each a root of the recomputed tree, and the
	// signatures of a bounded set verified (see signatureChecked).
	var differ []int64
	every := max(1, len(in.Checkpoints)/maxSignatureChecks)
	for i, c := range in.Checkpoints {
		body := string(log.Checkpoint{Origin: in.Origin, Size: uint64(max(c.Size, 0)), Hash: c.Root}.Marshal())
		bad := !strings.HasPrefix(c.Note, body+"\n")
		if !bad && in.Verifier != nil && (i%every == 0 || i == len(in.Checkpoints)-1 || witnessedAt(in, c.Size)) {
			cp, _, err := OpenCheckpoint(c.Note, in.Origin, in.Verifier)
			bad = err != nil || cp.Size != c.Size || !equalHash(cp.Root, c.Root)
		}
		if bad {
			problem(LogProblem{Kind: Malformed, Text: fmt.Sprintf("第 %d 版检查点的签名、格式或内容无效", c.Size)})
			continue
		}
		if !equalHash(rootAt(c.Size), c.Root) {
			differ = append(differ, c.Size)
		}
	}
	if len(differ) > 0 {
		problem(LogProblem{Kind: Diverged, Text: fmt.Sprintf("%d 个已签名的检查点与现存记录重算的树不一致，最早的是第 %d 版（%d 条）",
			len(differ), differ[0], differ[0])})
	}

	// Outside evidence.
	witnessed := map[int64][]string{}
	for _, e := range in.Evidence {
		res := EvidenceResult{Source: e.Source, Size: e.Size, Root: hex.EncodeToString(e.Root)}
		if e.Receipt != "" {
			l, ok := rows[e.Index]
			r := responses[l.ResponseID]
			if !ok || l.ReviewID != nil || r == nil || r.Receipt != e.Receipt {
				problem(LogProblem{Kind: Removed, Pos: e.Index + 1, Receipt: e.Receipt,
					Text: fmt.Sprintf("回执 %s 记为第 %d 条，但日志的第 %d 条已不是这份答卷", e.Receipt, e.Index+1, e.Index+1)})
			}
		}
		switch {
		case e.Size > size:
			problem(LogProblem{Kind: Removed, Text: fmt.Sprintf("%s记录日志有 %d 条，日志现只有 %d 条", e.Source, e.Size, size)})
		case equalHash(rootAt(e.Size), e.Root):
			res.Agrees = true
		case len(e.Leaves) > 0:
			v.Problems = append(v.Problems, diffLeaves(e, leaves, rows, responses)...)
			if len(e.Leaves) != int(e.Size) || !equalHash(rootOf(e.Leaves), e.Root) {
				problem(LogProblem{Kind: Diverged, Text: fmt.Sprintf("%s保存的记录与其检查点（%d 条）不符", e.Source, e.Size)})
			}
		default:
			problem(LogProblem{Kind: Diverged, Text: fmt.Sprintf("%s的检查点（%d 条，根 %s）与现存记录重算的树不一致",
				e.Source, e.Size, HashPrefix(e.Root))})
		}
		v.Evidence = append(v.Evidence, res)
		// A witness vouches for an interval only where it agrees with the
		// log as it stands: one that disagrees is a problem, not a witness.
		if e.Witnessed && e.Size <= size && res.Agrees {
			witnessed[e.Size] = append(witnessed[e.Size], e.Witness)
		}
	}

	// What each witnessed interval added, and how much of it is flagged.
	from := int64(0)
	bounds := append(sortedKeys(witnessed), size)
	for _, to := range bounds {
		if to <= from && !(to == 0 && len(witnessed[0]) > 0) {
			continue
		}
		iv := LogInterval{From: from, To: to, Witnessed: len(witnessed[to]) > 0, Witnesses: uniq(witnessed[to])}
		for i := from; i < to; i++ {
			switch {
			case decisions[i]:
				iv.Decisions++
			case isEntry[i]:
				iv.Entries++
			default:
				iv.Responses++
				if flagged[i] {
					iv.Flagged++
				}
			}
		}
		if iv.Witnesses == nil {
			iv.Witnesses = []string{}
		}
		v.Intervals = append(v.Intervals, iv)
		from = to
	}
	return v
}

// maxSignatureChecks bounds the checkpoint signatures one Verify checks:
// a campaign answered one parent at a time has a checkpoint per response,
// and checking 100,000 Ed25519 signatures took five seconds of a dossier.
// The text of every checkpoint and its root are checked; the signatures
// of the latest, of those at witnessed sizes and of an even spread of
// about this many. A note whose signature was forged in the database is
// refused by every witness and receipt check that reads it.
const maxSignatureChecks = 500

func witnessedAt(in LogInput, size int64) bool {
	for _, e := range in.Evidence {
		if e.Witnessed && e.Size == size {
			return true
		}
	}
	return false
}

func hasLeaf(m map[int64]int64, id int64) bool { _, ok := m[id]; return ok }

func sortedKeys(m map[int64][]string) []int64 {
	out := make([]int64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func uniq(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

func rootOf(leaves [][]byte) []byte {
	r, _ := NewTree(leaves).Root(int64(len(leaves)))
	return r
}

// diffLeaves names what differs between the leaves a source (a witness)
// holds and the log recomputed now. Leaves found in both, in order, anchor
// the comparison; between two anchors, a witnessed leaf and a leaf of the
// log now pair up as changed, a witnessed leaf left over vanished, and a
// leaf of the log left over was slipped in below the witnessed size.
// Leaves after the last anchor beyond the witnessed ones are the log's
// growth since, and no problem.
func diffLeaves(e Evidence, now [][]byte, rows map[int64]LeafRow, responses map[int64]*StoredResponse) []LogProblem {
	at := map[string][]int64{}
	for j, h := range now {
		at[string(h)] = append(at[string(h)], int64(j))
	}
	var out []LogProblem
	name := func(j int64) (int64, string) {
		l, ok := rows[j]
		if !ok {
			return 0, ""
		}
		if r := responses[l.ResponseID]; r != nil {
			return r.ID, r.Receipt
		}
		return l.ResponseID, ""
	}
	gap := func(ws, rs []int64, last bool) {
		k := min(len(ws), len(rs))
		for x := 0; x < k; x++ {
			id, receipt := name(rs[x])
			what := "答卷"
			if l := rows[rs[x]]; l.ReviewID != nil {
				what = "审核决定"
			}
			out = append(out, LogProblem{Kind: Changed, Pos: rs[x] + 1, ResponseID: id, Receipt: receipt,
				Text: fmt.Sprintf("第 %d 条记录（%s，回执 %s）与%s记录的第 %d 条不符：内容被改动或被替换", rs[x]+1, what, receipt, e.Source, ws[x]+1)})
		}
		for _, i := range ws[k:] {
			out = append(out, LogProblem{Kind: Removed, Pos: i + 1,
				Text: fmt.Sprintf("%s记录的第 %d 条已不在日志中", e.Source, i+1)})
		}
		if last {
			return
		}
		for _, j := range rs[k:] {
			id, receipt := name(j)
			out = append(out, LogProblem{Kind: Inserted, Pos: j + 1, ResponseID: id, Receipt: receipt,
				Text: fmt.Sprintf("第 %d 条记录（回执 %s）插在%s见证过的范围内，见证时并没有它", j+1, receipt, e.Source)})
		}
	}
	used := int64(-1)
	prevW := int64(-1)
	for i, h := range e.Leaves {
		list := at[string(h)]
		k := sort.Search(len(list), func(k int) bool { return list[k] > used })
		if k == len(list) {
			continue
		}
		j := list[k]
		gap(span(prevW+1, int64(i)), span(used+1, j), false)
		prevW, used = int64(i), j
	}
	ws := span(prevW+1, int64(len(e.Leaves)))
	gap(ws, span(used+1, min(int64(len(now)), used+1+int64(len(ws)))), true)
	return out
}

func span(from, to int64) []int64 {
	var out []int64
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

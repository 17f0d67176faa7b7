package survey

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The admitted responses of a campaign form a hash chain (样本链): entry n
// is SHA-256 of entry n−1 and the canonical form of the n-th admitted
// response. Changing, removing or inserting a response behind the
// application's back breaks the chain, and the head fixed when the campaign
// closes (printed in the dossier) anchors it outside the database.

// Chained is what a chain entry commits to: a response as it was admitted.
// Its review status is not part of it, since a recorded decision may change
// that; Verify checks status against the decisions instead.
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

// canonicalForm is the byte form of a chained response that is hashed:
// JSON of fixed field order, answers sorted by item, time in UTC
// microseconds; the entry's position goes between before and after. A
// group commit makes it before it knows the position, outside the
// campaign's lock.
type canonicalForm struct{ before, after []byte }

func (r *Chained) canonicalAround() canonicalForm {
	items := make([]string, 0, len(r.Answers))
	for k := range r.Answers {
		items = append(items, k)
	}
	slices.Sort(items)
	answers := make([][2]string, len(items))
	for i, k := range items {
		answers[i] = [2]string{k, r.Answers[k]}
	}
	rest, _ := json.Marshal(struct {
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
	}{r.Receipt, r.FormID, r.LinkID, r.Category, r.Locale, r.GradeBand, r.SchoolID,
		r.Suggestion, r.FillMS, r.SubmittedAt.UnixMicro(), answers})
	rest[0] = ',' // {"receipt":… continues the object after the position
	return canonicalForm{before: fmt.Appendf(nil, `{"v":1,"campaign":%d,"pos":`, r.CampaignID), after: rest}
}

// Genesis is the hash before a campaign's first entry.
func Genesis(campaignID int64) []byte {
	h := sha256.New()
	h.Write([]byte("renke sample chain v1\x00"))
	_ = binary.Write(h, binary.BigEndian, campaignID)
	return h.Sum(nil)
}

// EntryHash is the hash of entry pos, following prev.
func EntryHash(prev []byte, pos int64, r *Chained) []byte {
	return r.canonicalAround().entryHash(prev, pos)
}

func (c canonicalForm) entryHash(prev []byte, pos int64) []byte {
	h := sha256.New()
	h.Write(prev)
	h.Write(c.before)
	h.Write(strconv.AppendInt(nil, pos, 10))
	h.Write(c.after)
	return h.Sum(nil)
}

// hexPrefix is the first 12 digits of a hex string, or all of a shorter one.
func hexPrefix(h string) string { return h[:min(12, len(h))] }

// HashPrefix is the short form of a hash shown on receipts: 12 hex digits;
// "" for no hash.
func HashPrefix(h []byte) string {
	s := hex.EncodeToString(h)
	return s[:min(12, len(s))]
}

// ChainEntry is one stored entry.
type ChainEntry struct {
	Pos        int64
	ResponseID int64
	Hash       []byte
}

// StoredResponse is a response as the database holds it now, for Verify.
type StoredResponse struct {
	ID int64
	Chained
	Status   ResponseStatus
	Decision string // latest review decision: "valid", "invalid" or ""
}

// Problem kinds found by Verify.
const (
	Changed   = "changed"   // a response differs from what its entry committed to
	Removed   = "removed"   // an entry or its response is gone
	Inserted  = "inserted"  // a response in the sample that no entry covers, or an entry too many
	Excluded  = "excluded"  // left the sample without a recorded decision
	Head      = "head"      // the chain does not end where the campaign says it does
	Malformed = "malformed" // an entry's stored hash is not a SHA-256 at all
)

// ChainProblem is one discrepancy, in words for staff.
type ChainProblem struct {
	Kind       string `json:"kind"`
	Pos        int64  `json:"pos,omitempty"`
	ResponseID int64  `json:"response_id,omitempty"`
	Receipt    string `json:"receipt,omitempty"`
	Text       string `json:"text"`
}

// Verification is the result of recomputing a campaign's chain.
type Verification struct {
	CampaignID   int64          `json:"campaign_id"`
	Length       int64          `json:"length"`        // entries found
	Head         string         `json:"head"`          // recomputed head, hex
	StoredLength int64          `json:"stored_length"` // what the campaign row says
	StoredHead   string         `json:"stored_head"`
	SealedLength *int64         `json:"sealed_length"` // fixed at close
	SealedHead   string         `json:"sealed_head"`
	Problems     []ChainProblem `json:"problems"`
}

// OK reports whether the chain is intact.
func (v Verification) OK() bool { return len(v.Problems) == 0 }

// Verify recomputes a campaign's chain from its stored entries and
// responses. It names every entry whose response changed or is gone, every
// gap in the positions, every response counted in the sample that no entry
// covers, every chained response that left the sample without a recorded
// decision, and a head that differs from the campaign's or the sealed one.
func Verify(campaignID int64, entries []ChainEntry, responses []StoredResponse, storedLength int64, storedHead []byte,
	sealedLength *int64, sealedHead []byte) Verification {
	v := Verification{CampaignID: campaignID, StoredLength: storedLength, StoredHead: hex.EncodeToString(storedHead),
		SealedLength: sealedLength, SealedHead: hex.EncodeToString(sealedHead), Problems: []ChainProblem{}}
	byID := make(map[int64]*StoredResponse, len(responses))
	for i := range responses {
		byID[responses[i].ID] = &responses[i]
	}
	slices.SortFunc(entries, func(a, b ChainEntry) int { return int(a.Pos - b.Pos) })
	covered := map[int64]bool{}
	prev, want := Genesis(campaignID), int64(1)
	linked := true // prev is the recomputed hash of the entry before
	for _, e := range entries {
		for ; want < e.Pos; want++ {
			v.Problems = append(v.Problems, ChainProblem{Kind: Removed, Pos: want, Text: fmt.Sprintf("第 %d 条记录已被删除", want)})
			linked = false
		}
		want = e.Pos + 1
		if len(e.Hash) != sha256.Size {
			// A row rewritten by hand: named, never trusted, never a crash.
			v.Problems = append(v.Problems, ChainProblem{Kind: Malformed, Pos: e.Pos, ResponseID: e.ResponseID,
				Text: fmt.Sprintf("第 %d 条记录的校验值长度异常（%d 字节，应为 %d 字节），该记录已被改动", e.Pos, len(e.Hash), sha256.Size)})
		}
		r, ok := byID[e.ResponseID]
		switch {
		case !ok:
			v.Problems = append(v.Problems, ChainProblem{Kind: Removed, Pos: e.Pos, ResponseID: e.ResponseID,
				Text: fmt.Sprintf("第 %d 条记录的答卷（编号 %d）已被删除", e.Pos, e.ResponseID)})
		case covered[r.ID]:
			v.Problems = append(v.Problems, ChainProblem{Kind: Inserted, Pos: e.Pos, ResponseID: r.ID, Receipt: r.Receipt,
				Text: fmt.Sprintf("第 %d 条记录重复指向回执 %s", e.Pos, r.Receipt)})
		default:
			covered[r.ID] = true
			if linked && !bytes.Equal(EntryHash(prev, e.Pos, &r.Chained), e.Hash) {
				v.Problems = append(v.Problems, ChainProblem{Kind: Changed, Pos: e.Pos, ResponseID: r.ID, Receipt: r.Receipt,
					Text: fmt.Sprintf("第 %d 条记录（回执 %s）的内容与入链时不一致", e.Pos, r.Receipt)})
			}
			if r.Status != Admitted && !(r.Status == Invalidated && r.Decision == "invalid") {
				v.Problems = append(v.Problems, ChainProblem{Kind: Excluded, Pos: e.Pos, ResponseID: r.ID, Receipt: r.Receipt,
					Text: fmt.Sprintf("第 %d 条记录（回执 %s）状态被改为“%s”，但没有审核记录", e.Pos, r.Receipt, r.Status.Name())})
			}
		}
		// The next entry links to this one as stored: a change is reported
		// once, at the entry that changed.
		prev, linked = e.Hash, true
		v.Length = e.Pos
	}
	for _, r := range responses {
		if !covered[r.ID] && (r.Status == Admitted || r.Status == Invalidated) {
			v.Problems = append(v.Problems, ChainProblem{Kind: Inserted, ResponseID: r.ID, Receipt: r.Receipt,
				Text: fmt.Sprintf("答卷（编号 %d，回执 %s）计入样本，但不在样本链中", r.ID, r.Receipt)})
		}
	}
	if len(entries) > 0 {
		v.Head = hex.EncodeToString(entries[len(entries)-1].Hash)
	} else {
		v.Head = hex.EncodeToString(Genesis(campaignID))
	}
	if v.Length != storedLength || (storedLength > 0 && v.Head != v.StoredHead) {
		v.Problems = append(v.Problems, ChainProblem{Kind: Head,
			Text: fmt.Sprintf("样本链实有 %d 条，末端 %s；调查记录为 %d 条，末端 %s", v.Length, hexPrefix(v.Head), storedLength, HashPrefix(storedHead))})
	}
	if sealedLength != nil && (v.Length != *sealedLength || v.Head != v.SealedHead) {
		v.Problems = append(v.Problems, ChainProblem{Kind: Head,
			Text: fmt.Sprintf("样本链实有 %d 条，末端 %s；与结束调查时封存的 %d 条、末端 %s 不一致", v.Length, hexPrefix(v.Head), *sealedLength, HashPrefix(sealedHead))})
	}
	return v
}

// MatchesHead reports whether a head printed elsewhere (the dossier, a
// receipt holder's note), in full or as a prefix of at least 8 hex digits,
// is the recomputed head.
func (v Verification) MatchesHead(printed string) bool {
	printed = strings.ToLower(strings.TrimSpace(printed))
	return len(printed) >= 8 && strings.HasPrefix(v.Head, printed)
}

package audit

// The audit log as a signed log (审计日志): every entry, once it is
// SealAge old, becomes a leaf of one deployment-wide Merkle tree, in the
// order it was sealed, with the same hashing, signed checkpoints and
// witnesses as a campaign's sample log (survey/log.go). The log's origin
// is "<key name>/audit"; it is served at /log/audit like a campaign's log
// at /log/campaigns/ID, so a witness watches it unchanged.
//
// What this buys an inspector who does not trust the deployment's host:
// an entry changed or deleted in the database after it was sealed no
// longer hashes to its leaf, and VerifyLog names it; changing the leaf
// too changes the tree's root, which no longer matches the checkpoints
// the witnesses cosigned and keep. The trigger audit_log_kept refuses
// such changes through the database as well; the log is what still
// tells when someone with the host's superuser went round it.
//
// An entry waits SealAge before it is sealed because one entry changes
// once on purpose: a login attempt is recorded as failed before its
// password is checked and becomes a login moments later (Succeeded).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/mod/sumdb/note"

	"renke/dbq"
	"renke/refusal"
	"renke/survey"
)

// SealAge is how old an entry is before it is sealed.
const SealAge = 2 * time.Minute

// Tick is the action of the log's own entry, made when nothing else was
// sealed for TickEvery: the log keeps advancing on quiet days, so that a
// witness can tell a quiet weekend from a log frozen in front of it.
const Tick = "log_tick"

// TickEvery is as for the sample logs.
const TickEvery = survey.TickEvery

// KeepFor is how long an entry is kept (网络安全法 art. 21: at least six
// months); the trigger audit_log_kept refuses to delete a younger one.
const KeepFor = 180 * 24 * time.Hour

// maxSeal bounds one sealing.
const maxSeal = 5000

// LogOrigin is the origin of the audit log under a key named name.
func LogOrigin(name string) string { return name + "/audit" }

// UseLogKey sets the key that signs the audit log's checkpoints, and the
// witnesses whose cosignatures it accepts (verifier keys).
func (s *Store) UseLogKey(k *survey.LogKey, witnessKeys []string) error {
	var vs []note.Verifier
	for _, vk := range witnessKeys {
		v, err := survey.NewWitnessVerifier(vk)
		if err != nil {
			return fmt.Errorf("witness key %q: %v", vk, err)
		}
		vs = append(vs, v)
	}
	s.key, s.witnesses = k, vs
	return nil
}

// Origin is the audit log's origin.
func (s *Store) Origin() string { return LogOrigin(s.key.Name()) }

// leafBody is what a leaf commits to: the entry as recorded, in a fixed
// field order. Times are in microseconds, as PostgreSQL keeps them.
type leafBody struct {
	V        int    `json:"v"`
	ID       int64  `json:"id"`
	At       int64  `json:"at_us"`
	StaffID  *int64 `json:"staff"`
	Username string `json:"username"`
	Client   string `json:"client"`
	UnitID   *int64 `json:"unit"`
	Action   string `json:"action"`
	Detail   string `json:"detail"`
	Status   int    `json:"status"`
}

// Canonical is an entry's leaf body: JSON of fixed field order. Its RFC
// 6962 leaf hash (survey.LeafHash) is the entry's leaf.
func (e Entry) Canonical() []byte {
	b, _ := json.Marshal(leafBody{V: 1, ID: e.ID, At: e.At.UnixMicro(), StaffID: e.StaffID, Username: e.Username,
		Client: e.Client, UnitID: e.UnitID, Action: e.Action, Detail: e.Detail, Status: e.Status})
	return b
}

func entryFrom(r dbq.AuditLog) Entry {
	return Entry{ID: r.ID, At: r.At, StaffID: r.StaffID, Username: r.Username, Client: r.Client, UnitID: r.UnitID,
		Action: r.Action, Detail: r.Detail, Status: int(r.Status)}
}

// Seal makes leaves of the entries at least minAge old that are not yet
// leaves, in id order, and signs the checkpoint of the grown tree, in one
// transaction; when nothing was sealed for TickEvery it records a tick
// and seals it. It returns how many leaves it added.
func (s *Store) Seal(ctx context.Context, minAge time.Duration) (int, error) {
	if s.key == nil {
		return 0, errors.New("audit log: no signing key")
	}
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{})
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(ctx)
	q := s.q.WithTx(tx)
	if err := q.LockAuditSeal(ctx); err != nil {
		return 0, err
	}
	var size int64
	var frontier [][]byte
	latest, err := q.LatestAuditCheckpoint(ctx)
	switch {
	case err == nil:
		size, frontier = latest.Size, latest.Frontier
	case !errors.Is(err, pgx.ErrNoRows):
		return 0, err
	}
	rows, err := q.UnsealedAudit(ctx, dbq.UnsealedAuditParams{MinAgeSeconds: minAge.Seconds(), Max: maxSeal})
	if err != nil {
		return 0, err
	}
	if len(rows) == 0 {
		if size > 0 && time.Since(latest.SignedAt) < TickEvery {
			return 0, nil
		}
		tick, err := q.RecordAuditTick(ctx)
		if err != nil {
			return 0, err
		}
		rows = []dbq.AuditLog{tick}
	}
	leaves := dbq.InsertAuditLeavesParams{}
	for i, row := range rows {
		leaves.Idxs = append(leaves.Idxs, size+int64(i))
		leaves.EntryIds = append(leaves.EntryIds, row.ID)
		leaves.Ats = append(leaves.Ats, row.At)
		leaves.Hashes = append(leaves.Hashes, survey.LeafHash(entryFrom(row).Canonical()))
	}
	root, edge, nodes, err := survey.Extend(size, frontier, latest.Root, leaves.Hashes)
	if err != nil {
		return 0, fmt.Errorf("audit log: %w", err)
	}
	size += int64(len(rows))
	signed, err := s.key.Sign(s.Origin(), size, root)
	if err != nil {
		return 0, err
	}
	if err := q.InsertAuditLeaves(ctx, leaves); err != nil {
		return 0, err
	}
	if err := q.InsertAuditNodes(ctx, dbq.InsertAuditNodesParams{Levels: nodes.Levels, Idxs: nodes.Idxs, Hashes: nodes.Hashes}); err != nil {
		return 0, err
	}
	if err := q.InsertAuditCheckpoint(ctx, dbq.InsertAuditCheckpointParams{Size: size, Root: root, Frontier: edge, Note: signed}); err != nil {
		return 0, err
	}
	return len(rows), tx.Commit(ctx)
}

// KeepSealing seals the audit log every half minute until ctx ends.
func (s *Store) KeepSealing(ctx context.Context) {
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	for {
		if n, err := s.Seal(ctx, SealAge); err != nil && ctx.Err() == nil {
			slog.Warn("audit log: seal", "error", err)
		} else if n > 0 {
			slog.Debug("audit log: sealed", "entries", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// LogCheckpoint is a signed checkpoint of the audit log.
type LogCheckpoint struct {
	Size     int64
	Root     []byte
	Note     string
	SignedAt time.Time
}

// RootPrefix is the root's short form, as receipts print it.
func (c LogCheckpoint) RootPrefix() string { return survey.HashPrefix(c.Root) }

// LatestCheckpoint is the audit log's newest signed checkpoint;
// ErrNotSealed while nothing is sealed.
func (s *Store) LatestCheckpoint(ctx context.Context) (LogCheckpoint, error) {
	r, err := s.q.LatestAuditCheckpoint(ctx)
	if errors.Is(err, pgx.ErrNoRows) {
		return LogCheckpoint{}, ErrNotSealed
	}
	return LogCheckpoint{Size: r.Size, Root: r.Root, Note: r.Note, SignedAt: r.SignedAt}, err
}

// CheckpointAt is the audit log's checkpoint of size leaves.
func (s *Store) CheckpointAt(ctx context.Context, size int64) (LogCheckpoint, error) {
	r, err := s.q.AuditCheckpointAt(ctx, size)
	if errors.Is(err, pgx.ErrNoRows) {
		return LogCheckpoint{}, ErrNotSealed
	}
	return LogCheckpoint{Size: r.Size, Root: r.Root, Note: r.Note, SignedAt: r.SignedAt}, err
}

// ErrNotSealed: no such checkpoint (or none yet); a survey.ErrNotFound.
var ErrNotSealed = fmt.Errorf("audit log checkpoint: %w", survey.ErrNotFound)

// LeafHashes is leaves [start, stop) of the audit log, at most
// survey.MaxLeafRange of them.
func (s *Store) LeafHashes(ctx context.Context, start, stop int64) ([][]byte, error) {
	if stop > start+survey.MaxLeafRange {
		stop = start + survey.MaxLeafRange
	}
	return s.q.AuditLeafHashes(ctx, dbq.AuditLeafHashesParams{Start: start, Stop: stop})
}

// provable is the audit log's stored hashes, for a proof in its tree of
// size, which the latest checkpoint must cover.
func (s *Store) provable(ctx context.Context, size int64) (survey.StoredHashes, error) {
	latest, err := s.LatestCheckpoint(ctx)
	if err != nil {
		return survey.StoredHashes{}, err
	}
	if size > latest.Size {
		return survey.StoredHashes{}, refusal.Invalidf("审计日志只有 %d 片叶子", latest.Size)
	}
	return survey.StoredHashes{Log: "审计日志",
		Leaves: func(idxs []int64) ([]survey.NodeHash, error) {
			if len(idxs) == 0 {
				return nil, nil
			}
			rows, err := s.q.AuditLeavesAt(ctx, idxs)
			out := make([]survey.NodeHash, len(rows))
			for i, r := range rows {
				out[i] = survey.NodeHash{Level: 0, Idx: r.Idx, Hash: r.Hash}
			}
			return out, err
		},
		Nodes: func(levels []int16, idxs []int64) ([]survey.NodeHash, error) {
			if len(idxs) == 0 {
				return nil, nil
			}
			rows, err := s.q.AuditNodesAt(ctx, dbq.AuditNodesAtParams{Levels: levels, Idxs: idxs})
			out := make([]survey.NodeHash, len(rows))
			for i, r := range rows {
				out[i] = survey.NodeHash{Level: int(r.Level), Idx: r.Idx, Hash: r.Hash}
			}
			return out, err
		}}, nil
}

// leafTree is the tree of the first size stored leaves.
func (s *Store) leafTree(ctx context.Context, size int64) (*survey.Tree, error) {
	hashes, err := s.q.AuditLeafHashes(ctx, dbq.AuditLeafHashesParams{Start: 0, Stop: size})
	if err != nil {
		return nil, err
	}
	if int64(len(hashes)) != size {
		return nil, fmt.Errorf("audit log: %d leaf hashes stored of %d", len(hashes), size)
	}
	return survey.NewTree(hashes), nil
}

// InclusionProof proves leaf index is in the audit log's tree of size.
func (s *Store) InclusionProof(ctx context.Context, index, size int64) ([][]byte, error) {
	if index >= size {
		return nil, refusal.Invalidf("叶子序号须小于树的大小")
	}
	h, err := s.provable(ctx, size)
	if err != nil {
		return nil, err
	}
	return h.Inclusion(index, size)
}

// ConsistencyProof proves the audit log's tree of size to extends its
// tree of size from.
func (s *Store) ConsistencyProof(ctx context.Context, from, to int64) ([][]byte, error) {
	if from > to {
		return nil, refusal.Invalidf("from 不能大于 to")
	}
	h, err := s.provable(ctx, to)
	if err != nil {
		return nil, err
	}
	return h.Consistency(from, to)
}

// AddCosignature keeps a checkpoint of the audit log that known witnesses
// cosigned; the log must have signed that very checkpoint.
func (s *Store) AddCosignature(ctx context.Context, text string) ([]survey.Cosigned, error) {
	cp, out, err := survey.OpenCosigned(text, s.Origin(), s.key.Verifier(), s.witnesses)
	if err != nil {
		return nil, err
	}
	own, err := s.CheckpointAt(ctx, cp.Size)
	if errors.Is(err, ErrNotSealed) || (err == nil && string(own.Root) != string(cp.Root)) {
		return nil, refusal.Conflictf("审计日志没有签发过这个检查点（%d 条，根 %s）", cp.Size, survey.HashPrefix(cp.Root))
	} else if err != nil {
		return nil, err
	}
	for _, w := range out {
		if err := s.q.AddAuditCosignature(ctx, dbq.AddAuditCosignatureParams{Size: cp.Size, Witness: w.Witness, Note: text, CosignedAt: w.CosignedAt}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Cosignatures is the audit log's checkpoints that witnesses cosigned,
// each checked again as it is read.
func (s *Store) Cosignatures(ctx context.Context) ([]survey.Cosigned, error) {
	rows, err := s.q.AuditCosignatures(ctx)
	var out []survey.Cosigned
	for _, r := range rows {
		if c, ok := s.recheck(r.Note, r.Witness, r.CosignedAt); ok {
			out = append(out, c)
		}
	}
	return out, err
}

// Witnesses is each witness's newest cosignature of the audit log,
// checked again as it is read: what the audit page shows, without
// reading every cosignature a witness sent in half a year.
func (s *Store) Witnesses(ctx context.Context) ([]survey.Cosigned, error) {
	rows, err := s.q.AuditWitnesses(ctx)
	var out []survey.Cosigned
	for _, r := range rows {
		if c, ok := s.recheck(r.Note, r.Witness, r.CosignedAt); ok {
			out = append(out, c)
		}
	}
	return out, err
}

// recheck is a kept cosignature of the audit log checked again.
func (s *Store) recheck(text, witness string, at time.Time) (survey.Cosigned, bool) {
	return survey.Recheck(text, witness, at, s.Origin(), s.key.Verifier(), s.witnesses)
}

// CheckpointEvidence reads a signed checkpoint of the audit log given as
// evidence (a file an inspector kept, an export's checkpoint).
func (s *Store) CheckpointEvidence(text, source string) (survey.Evidence, error) {
	return survey.EvidenceFrom(text, source, s.Origin(), s.key.Verifier(), s.witnesses)
}

// LogCheck is what VerifyLog found.
type LogCheck struct {
	Size        int64    // leaves
	Checkpoints int      // signed checkpoints checked
	Expired     int      // leaves whose entries were deleted after KeepFor, as allowed
	Evidence    int      // outside checkpoints that agree
	Problems    []string // each names the entry or checkpoint, in Chinese
}

// OK reports whether nothing was found.
func (c LogCheck) OK() bool { return len(c.Problems) == 0 }

// VerifyLog recomputes the audit log from the entries the database holds
// now and checks it: every leaf against its entry, every stored
// checkpoint's signature and root, every entry old enough to be sealed
// being a leaf, and the evidence given (witness stores, kept
// checkpoints), whose leaf hashes name an entry changed together with
// its stored leaf.
func (s *Store) VerifyLog(ctx context.Context, now time.Time, evidence ...survey.Evidence) (LogCheck, error) {
	var out LogCheck
	problem := func(f string, a ...any) { out.Problems = append(out.Problems, fmt.Sprintf(f, a...)) }
	rows, err := s.q.AuditLeavesWithEntries(ctx)
	if err != nil {
		return out, err
	}
	leaves := make([][]byte, 0, len(rows))
	entries := make([]*Entry, 0, len(rows))
	for i, r := range rows {
		if r.Idx != int64(i) {
			problem("审计日志第 %d 片叶子缺失（下一片是第 %d 片）", i, r.Idx)
			return out, nil
		}
		if r.FoundID == nil {
			if now.Sub(r.LeafAt) > KeepFor {
				out.Expired++
			} else {
				problem("审计记录 #%d（第 %d 片叶子，%s）已被删除，未满 180 天的保存期", r.EntryID, r.Idx, r.LeafAt.In(survey.Beijing).Format("2006-01-02 15:04:05"))
			}
			leaves = append(leaves, r.Hash)
			entries = append(entries, nil)
			continue
		}
		e := Entry{ID: *r.FoundID, At: *r.At, StaffID: r.StaffID, Username: *r.Username, Client: *r.Client, UnitID: r.UnitID,
			Action: *r.Action, Detail: *r.Detail, Status: int(*r.Status)}
		h := survey.LeafHash(e.Canonical())
		if string(h) != string(r.Hash) {
			problem("审计记录 #%d（第 %d 片叶子）已被改动：现为「%s」", e.ID, r.Idx, e.describe())
		}
		leaves = append(leaves, h)
		entries = append(entries, &e)
	}
	out.Size = int64(len(leaves))
	tree := survey.NewTree(leaves)
	cps, err := s.q.AuditCheckpoints(ctx)
	if err != nil {
		return out, err
	}
	for _, c := range cps {
		out.Checkpoints++
		cp, _, err := survey.OpenCheckpoint(c.Note, s.Origin(), s.key.Verifier())
		if err != nil || cp.Size != c.Size || string(cp.Root) != string(c.Root) {
			problem("审计日志检查点（%d 片叶子）的签名无法核验，或与所记的根不符", c.Size)
			continue
		}
		if cp.Size > out.Size {
			problem("审计日志检查点签了 %d 片叶子，数据库中只有 %d 片", cp.Size, out.Size)
			continue
		}
		if root, _ := tree.Root(cp.Size); string(root) != string(cp.Root) {
			problem("按现有记录算出的前 %d 片叶子的根与签名的检查点不符：其间的记录或叶子被改动过", cp.Size)
		}
	}
	for _, ev := range evidence {
		if ev.Size > out.Size {
			problem("%s记有 %d 片叶子，数据库中只有 %d 片：日志被截短或回退", ev.Source, ev.Size, out.Size)
			continue
		}
		agrees := true
		for i, h := range ev.Leaves {
			if int64(i) >= ev.Size {
				break
			}
			if string(h) != string(leaves[i]) {
				agrees = false
				if e := entries[i]; e != nil {
					problem("审计记录 #%d（第 %d 片叶子）与%s所存的叶子不符：现为「%s」", e.ID, i, ev.Source, e.describe())
				}
			}
		}
		if root, _ := tree.Root(ev.Size); string(root) != string(ev.Root) {
			agrees = false
			problem("按现有记录算出的前 %d 片叶子的根与%s的检查点不符", ev.Size, ev.Source)
		}
		if agrees {
			out.Evidence++
		}
	}
	// An entry old enough when the latest checkpoint was signed should be
	// in it: one left out was skipped (or slipped in later, backdated).
	if len(cps) == 0 {
		return out, nil
	}
	last := cps[len(cps)-1].SignedAt.Add(-SealAge - time.Minute)
	late, err := s.q.LateUnsealedAudit(ctx, last)
	for _, r := range late {
		problem("审计记录 #%d（%s）早该入日志却不在其中", r.ID, r.At.In(survey.Beijing).Format("2006-01-02 15:04:05"))
	}
	return out, err
}

// describe is an entry in words for a problem.
func (e Entry) describe() string {
	return strings.Join([]string{e.At.In(survey.Beijing).Format("2006-01-02 15:04:05"), e.Username, e.Client, e.Action, e.Detail, strconv.Itoa(e.Status)}, " ")
}

// Proven is a listing of entries with what proves each is in the signed
// audit log: the latest checkpoint, and each sealed entry's inclusion
// proof against it (by entry id). An entry made within SealAge, or sealed
// after the checkpoint was read, has none yet.
type Proven struct {
	Entries    []Entry
	Checkpoint LogCheckpoint // Size 0 while nothing is sealed
	Proofs     map[int64][][]byte
}

// MaxProofs is the most entries one listing proves: a proof is some 20
// hashes, so a half year's export of a busy deployment would be mostly
// proofs. Beyond it (the oldest entries of the listing), a row carries its
// leaf and canonical form, and GET /log/audit/proof/inclusion its proof.
const MaxProofs = 20_000

// ListProven lists the entries of the filter, as List, with their proofs
// (the newest MaxProofs).
func (s *Store) ListProven(ctx context.Context, f Filter) (Proven, error) {
	out := Proven{Proofs: map[int64][][]byte{}}
	cp, err := s.LatestCheckpoint(ctx)
	if err != nil && !errors.Is(err, ErrNotSealed) {
		return out, err
	}
	out.Checkpoint = cp
	if out.Entries, err = s.List(ctx, f); err != nil || cp.Size == 0 {
		return out, err
	}
	t, err := s.leafTree(ctx, cp.Size) // cp is the latest: no need to read it again
	if err != nil {
		return out, err
	}
	for _, e := range out.Entries {
		if e.LeafIndex == nil || *e.LeafIndex >= cp.Size || len(out.Proofs) >= MaxProofs {
			continue
		}
		if out.Proofs[e.ID], err = t.Inclusion(*e.LeafIndex, cp.Size); err != nil {
			return out, err
		}
	}
	return out, nil
}

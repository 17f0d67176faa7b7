package survey

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"renke/dbq"
	"renke/refusal"
)

// The store's side of the log's entries (logstate.go): appending them with
// the staff actions they record, result statements, and bringing logs of
// version 2 up to them.

// appendEntries appends entries to the log of a campaign whose row the
// transaction holds locked (as read, or as just updated), with a new
// signed checkpoint, and returns the row's log as it now stands.
func (s *Store) appendEntries(ctx context.Context, q *dbq.Queries, row dbq.Campaign, entries ...Entry) (dbq.Campaign, error) {
	cp := campaignFrom(row)
	leaves := make([][]byte, len(entries))
	for i := range entries {
		body := entries[i].Canonical()
		leaves[i] = LeafHash(body)
		var event *int64
		if entries[i].Event != 0 {
			event = &entries[i].Event
		}
		if err := q.InsertEntry(ctx, dbq.InsertEntryParams{CampaignID: cp.ID, Idx: cp.LogSize + int64(i), Kind: &entries[i].Kind,
			Body: body, EventID: event, Hash: leaves[i]}); err != nil {
			return row, err
		}
	}
	adv, err := s.logKey.advance(cp, leaves)
	if err != nil {
		return row, err
	}
	if err := adv.store(ctx, q); err != nil {
		return row, err
	}
	row.LogSize, row.LogRoot, row.LogFrontier = adv.Size, adv.Root, adv.Frontier
	return row, nil
}

// loadLog reads everything Verify and the result statements read of a
// campaign's log, in the caller's transaction.
func (s *Store) loadLog(ctx context.Context, q *dbq.Queries, campaignID int64) (LogInput, error) {
	c, err := q.GetCampaign(ctx, dbq.GetCampaignParams{ID: campaignID, AllUnits: true})
	if err != nil {
		return LogInput{}, notFound(err)
	}
	cp := campaignFrom(c)
	in := LogInput{CampaignID: campaignID, Origin: s.logKey.Origin(campaignID), Verifier: s.logKey.Verifier(),
		StoredSize: c.LogSize, StoredRoot: c.LogRoot, SealedSize: c.SealedSize, SealedRoot: c.SealedRoot,
		Version: int(c.LogVersion), Status: cp.Status, Settings: cp.Verdict()}
	leaves, err := q.LogLeaves(ctx, campaignID)
	if err != nil {
		return in, err
	}
	for _, l := range leaves {
		in.Leaves = append(in.Leaves, LeafRow{Index: l.Idx, ResponseID: l.ResponseID, ReviewID: l.ReviewID, Hash: l.Hash, Body: l.Body})
	}
	resp, err := q.ChainedResponses(ctx, campaignID)
	if err != nil {
		return in, err
	}
	for _, r := range resp {
		in.Responses = append(in.Responses, storedFrom(campaignID, r))
	}
	revs, err := q.CampaignReviews(ctx, campaignID)
	if err != nil {
		return in, err
	}
	for _, r := range revs {
		in.Reviews = append(in.Reviews, StoredReview{ID: r.ID, ResponseID: r.ResponseID, Decision: r.Decision,
			Reason: r.Reason, Username: r.Username, DecidedAt: r.DecidedAt, Outcome: r.Outcome})
	}
	events, err := q.CampaignEvents(ctx, campaignID)
	if err != nil {
		return in, err
	}
	for _, e := range events {
		in.Events = append(in.Events, StoredEvent{ID: e.ID, At: e.At, Action: e.Action, Reason: e.Reason, By: e.Username,
			Setting: e.Setting, Old: e.OldValue, New: e.NewValue})
	}
	forms, err := q.ListQuestionnaires(ctx, campaignID)
	if err != nil {
		return in, err
	}
	for _, r := range forms {
		f, err := formFrom(r)
		if err != nil {
			return in, err
		}
		in.Forms = append(in.Forms, f)
		in.FormDigests = append(in.FormDigests, DigestForm(r.ID, r.Definition))
	}
	return in, nil
}

// formDigests is the digests of a campaign's questionnaires as stored.
func formDigests(ctx context.Context, q *dbq.Queries, campaignID int64) ([]FormDigest, error) {
	rows, err := q.ListQuestionnaires(ctx, campaignID)
	out := make([]FormDigest, 0, len(rows))
	for _, r := range rows {
		out = append(out, DigestForm(r.ID, r.Definition))
	}
	return out, err
}

// replay is the state the log's first size leaves describe, from what
// loadLog read; the log's own integrity is Verify's to judge.
func replay(in LogInput, size int64) (*logState, map[int64]*Questionnaire) {
	responses := map[int64]*StoredResponse{}
	for i := range in.Responses {
		responses[in.Responses[i].ID] = &in.Responses[i]
	}
	reviews := map[int64]*StoredReview{}
	for i := range in.Reviews {
		reviews[in.Reviews[i].ID] = &in.Reviews[i]
	}
	st := newLogState()
	for _, l := range in.Leaves { // in index order, as loadLog reads them
		if l.Index >= size {
			continue
		}
		var e *Entry
		if l.Body != nil {
			if x, err := parseEntry(l.Body, in.CampaignID); err == nil {
				e = &x
			}
		}
		st.step(l, e, responses, reviews)
	}
	forms := map[int64]*Questionnaire{}
	for i := range in.Forms {
		forms[in.Forms[i].ID] = &in.Forms[i].Questionnaire
	}
	return st, forms
}

// statementEntry computes the result statement of a campaign's log as it
// stands in the caller's transaction.
func (s *Store) statementEntry(ctx context.Context, q *dbq.Queries, campaignID int64, final bool, by string, at time.Time) (Entry, error) {
	in, err := s.loadLog(ctx, q, campaignID)
	if err != nil {
		return Entry{}, err
	}
	st, forms := replay(in, in.StoredSize)
	res, err := st.statement(forms, in.StoredSize, final)
	if err != nil {
		return Entry{}, refusal.Conflictf("无法生成结果声明：%v", err)
	}
	e := newEntry(campaignID, EntryResult, by, at)
	e.Settings, e.Result = st.settings, &res
	return e, nil
}

// ErrNotStarted refuses a result statement of a campaign not yet open.
var ErrNotStarted = refusal.Conflictf("调查尚未开始，没有可以声明的结果")

// DeclareResult appends a provisional result statement to an open or
// closed campaign's log, computed from the log as it stands: staff ask for
// one to print with a progress report. It is computed from a snapshot
// outside the campaign's lock, then appended under it, so admissions wait
// only for the append; it says how many leaves it was computed over.
func (s *Store) DeclareResult(ctx context.Context, campaignID int64, username string) (Statement, error) {
	var e Entry
	err := s.inTx(ctx, func(q *dbq.Queries, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"); err != nil {
			return err
		}
		c, err := q.GetCampaign(ctx, dbq.GetCampaignParams{ID: campaignID, AllUnits: true})
		if err != nil {
			return notFound(err)
		}
		if Status(c.Status) == Draft {
			return ErrNotStarted
		}
		e, err = s.statementEntry(ctx, q, campaignID, false, username, time.Now())
		return err
	})
	if err != nil {
		return Statement{}, err
	}
	err = s.inTx(ctx, func(q *dbq.Queries, _ pgx.Tx) error {
		row, err := q.LockCampaignForSubmit(ctx, campaignID)
		if err != nil {
			return notFound(err)
		}
		_, err = s.appendEntries(ctx, q, row, e)
		return err
	})
	if err != nil {
		return Statement{}, err
	}
	return s.LatestStatement(ctx, campaignID)
}

// Statement is a result statement as the log holds it: the entry, its
// place (leaf index + 1) and leaf hash, and the signed checkpoint that
// first contains it.
type Statement struct {
	Entry
	Pos        int64            `json:"pos"`
	Hash       string           `json:"leaf_hash"` // hex
	Body       string           `json:"body"`      // the canonical body, as hashed
	Checkpoint StoredCheckpoint `json:"checkpoint"`
}

// LatestStatement is the newest result statement of a campaign's log;
// ErrNotFound when it has none.
func (s *Store) LatestStatement(ctx context.Context, campaignID int64) (Statement, error) {
	kind := EntryResult
	r, err := s.q.LatestEntry(ctx, dbq.LatestEntryParams{CampaignID: campaignID, Kind: &kind})
	if err != nil {
		return Statement{}, notFound(err)
	}
	e, err := parseEntry(r.Body, campaignID)
	if err != nil {
		return Statement{}, fmt.Errorf("%w: the result statement at leaf %d does not parse: %v", ErrLogDamaged, r.Idx+1, err)
	}
	out := Statement{Entry: e, Pos: r.Idx + 1, Hash: RootHex(r.Hash), Body: string(r.Body)}
	if k, err := s.q.CheckpointCovering(ctx, dbq.CheckpointCoveringParams{CampaignID: campaignID, Idx: r.Idx}); err == nil {
		out.Checkpoint = checkpointFrom(k.Size, k.Root, k.Note, k.SignedAt)
	} else if !errors.Is(err, pgx.ErrNoRows) {
		return out, err
	}
	return out, nil
}

// TickEvery is how long an open campaign's log may go without growing
// before the server appends a tick: witnesses raise an alarm when an open
// log has not advanced for longer than their limit (2 hours by default),
// and a night without answers must not be one.
const TickEvery = time.Hour

// Tick appends a tick to the log of every open campaign that has not
// grown for TickEvery, and returns how many it ticked. Servers sharing a
// database may all run it: each campaign is checked again under its lock.
func (s *Store) Tick(ctx context.Context, now time.Time) (int, error) {
	ids, err := s.q.QuietOpenLogs(ctx, now.Add(-TickEvery))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		err := s.inTx(ctx, func(q *dbq.Queries, _ pgx.Tx) error {
			row, err := q.LockCampaignForSubmit(ctx, id)
			if err != nil {
				return err
			}
			if Status(row.Status) != Open {
				return nil
			}
			if k, err := q.LatestCheckpoint(ctx, id); err == nil && !k.SignedAt.Before(now.Add(-TickEvery)) {
				return nil // grown meanwhile, or ticked by another server
			}
			e := newEntry(id, EntryTick, "system", now)
			_, err = s.appendEntries(ctx, q, row, e)
			n++
			return err
		})
		if err != nil {
			return n, fmt.Errorf("campaign %d: tick: %w", id, err)
		}
	}
	return n, nil
}

// KeepTicking runs Tick every TickEvery/6 until ctx ends; a failure is
// logged and tried again next time.
func (s *Store) KeepTicking(ctx context.Context) {
	t := time.NewTicker(TickEvery / 6)
	defer t.Stop()
	for {
		if n, err := s.Tick(ctx, time.Now()); err != nil {
			slog.Warn("sample log: tick", "error", err)
		} else if n > 0 {
			slog.Info("sample log: ticked quiet open logs", "campaigns", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// upgradeState brings each campaign's log of version 2 to version 3: a
// campaign that has a log or is open gets a state leaf recording its
// flags, its settings, its status and its questionnaires as they stand,
// and the newest event before it; a draft with no log just moves on.
// What happened before the upgrade is not in the log; from it on, every
// flag, event and statement is.
func (s *Store) upgradeState(ctx context.Context) error {
	ids, err := s.q.StateCampaigns(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		err := s.inTx(ctx, func(q *dbq.Queries, _ pgx.Tx) error {
			row, err := q.LockCampaignForSubmit(ctx, id)
			if err != nil || row.LogVersion != 2 {
				return err // upgraded meanwhile by another server
			}
			cp := campaignFrom(row)
			if cp.LogSize == 0 && cp.Status == Draft {
				return q.FinishStateUpgrade(ctx, id)
			}
			in, err := s.loadLog(ctx, q, id)
			if err != nil {
				return err
			}
			e := newEntry(id, EntryState, "system", time.Now())
			e.Settings, e.Status, e.Forms = cp.Verdict(), cp.Status, in.FormDigests
			for _, ev := range in.Events {
				e.LastEvent = max(e.LastEvent, ev.ID)
			}
			logged := map[int64]bool{}
			for _, l := range in.Leaves {
				if l.Body == nil && l.ReviewID == nil {
					logged[l.ResponseID] = true
				}
			}
			flags := map[string][]Flag{}
			for _, r := range in.Responses {
				if logged[r.ID] {
					for _, f := range r.Flags {
						flags[r.Receipt] = append(flags[r.Receipt], Flag(f))
					}
				}
			}
			e.Flags = flagPairs(flags)
			if _, err := s.appendEntries(ctx, q, row, e); err != nil {
				return err
			}
			if _, err := q.AddCampaignEvent(ctx, dbq.AddCampaignEventParams{CampaignID: id, Action: "log_upgrade", Username: "system",
				Reason: fmt.Sprintf("样本日志开始记录标记、设置变更、开闭和结果声明：升级时的状态记为第 %d 条", cp.LogSize+1)}); err != nil {
				return err
			}
			return q.FinishStateUpgrade(ctx, id)
		})
		if err != nil {
			return fmt.Errorf("campaign %d: bringing its sample log to version 3: %w", id, err)
		}
		slog.Info("sample log: flags, events and statements are logged from now on", "campaign", id)
	}
	return nil
}

// RecordPackage appends a package leaf to the campaign's log: the unit's
// submitted self-assessment package, by its manifest's hash. It returns
// the leaf's place (index + 1).
func (s *Store) RecordPackage(ctx context.Context, campaignID int64, rec PackageRecord, username string) (int64, error) {
	var pos int64
	err := s.inTx(ctx, func(q *dbq.Queries, _ pgx.Tx) error {
		row, err := q.LockCampaignForSubmit(ctx, campaignID)
		if err != nil {
			return notFound(err)
		}
		if Status(row.Status) == Draft {
			return ErrNotStarted
		}
		e := newEntry(campaignID, EntryPackage, username, time.Now())
		e.Package = &rec
		row, err = s.appendEntries(ctx, q, row, e)
		pos = row.LogSize
		return err
	})
	return pos, err
}

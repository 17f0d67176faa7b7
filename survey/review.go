package survey

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"renke/dbq"
	"renke/refusal"
)

// Review: a flagged response stays in the sample until staff decide it is
// invalid, with a reason. Every decision is kept; the latest counts. Only
// flagged responses can be decided on, so an unflagged critic cannot be
// dropped, and a response taken out does not free its quota place, so it
// cannot be replaced by a friendlier one.

// Decision is a reviewer's verdict on a flagged response.
type Decision string

const (
	Valid   Decision = "valid"
	Invalid Decision = "invalid"
)

// ErrNotFlagged says a response is not open to review: not flagged, not in
// the sample, or not in the campaign.
var ErrNotFlagged = errors.New("response is not flagged for review")

// Flagged is a response in the review queue.
type Flagged struct {
	ID          int64
	Receipt     string
	SubmittedAt time.Time
	Category    string
	Locale      string
	School      string
	LinkLabel   string
	LinkCode    string
	Flags       []Flag
	FillTime    time.Duration
	Status      ResponseStatus
	Signature   string
	Decision    Decision // "" while pending
	Reason      string
	DecidedBy   string
	DecidedAt   time.Time
}

// Queue lists a campaign's flagged responses, undecided first.
func (s *Store) Queue(ctx context.Context, campaignID int64) ([]Flagged, error) {
	rows, err := s.q.FlaggedResponses(ctx, campaignID)
	out := make([]Flagged, 0, len(rows))
	for _, r := range rows {
		f := Flagged{ID: r.ID, Receipt: r.Receipt, SubmittedAt: r.SubmittedAt, Category: r.Category, Locale: r.Locale,
			School: r.School, LinkLabel: r.LinkLabel, LinkCode: r.LinkCode, FillTime: time.Duration(r.FillMs) * time.Millisecond,
			Status: ResponseStatus(r.Status), Signature: r.AnswerSig, Decision: Decision(r.Decision), Reason: r.Reason,
			DecidedBy: r.DecidedBy, DecidedAt: r.DecidedAt}
		for _, fl := range r.Flags {
			f.Flags = append(f.Flags, Flag(fl))
		}
		out = append(out, f)
	}
	return out, err
}

// CheckReason validates a decision's reason; the message is for staff.
func CheckReason(d Decision, reason string) error {
	n := utf8.RuneCountInString(strings.TrimSpace(reason))
	switch {
	case d != Valid && d != Invalid:
		return errors.New("请选择“有效”或“无效”")
	case n < 2 || n > 500:
		return errors.New("请填写审核理由（2 至 500 字），理由将写入审核记录和调查档案")
	}
	return nil
}

// Decide records a decision on a flagged response of a campaign and moves
// it into or out of the sample accordingly, in one transaction.
func (s *Store) Decide(ctx context.Context, campaignID, responseID int64, d Decision, reason string, staffID int64, username string) error {
	if err := CheckReason(d, reason); err != nil {
		return refusal.AsInvalid(err)
	}
	err := s.inTx(ctx, func(q *dbq.Queries, _ pgx.Tx) error {
		if _, err := q.LockFlaggedResponse(ctx, dbq.LockFlaggedResponseParams{ID: responseID, CampaignID: campaignID}); errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFlagged
		} else if err != nil {
			return err
		}
		var by *int64
		if staffID != 0 {
			by = &staffID
		}
		if err := q.InsertReview(ctx, dbq.InsertReviewParams{ResponseID: responseID, Decision: string(d),
			Reason: strings.TrimSpace(reason), StaffID: by, Username: username}); err != nil {
			return err
		}
		status := Admitted
		if d == Invalid {
			status = Invalidated
		}
		return q.SetResponseStatus(ctx, dbq.SetResponseStatusParams{ID: responseID, Status: string(status)})
	})
	if err == nil {
		s.changed(campaignID) // the counted sample changed
	}
	return err
}

// Exclusion is a reason responses were taken out of the sample, and how many.
type Exclusion struct {
	Reason string
	N      int64
}

// ReviewSummary is what the dossier says about review.
type ReviewSummary struct {
	Flagged, Pending, Excluded int64
	Reasons                    []Exclusion
}

// Review summarises a campaign's review for the dossier.
func (s *Store) Review(ctx context.Context, campaignID int64) (ReviewSummary, error) {
	c, err := s.q.ReviewCounts(ctx, campaignID)
	if err != nil {
		return ReviewSummary{}, err
	}
	out := ReviewSummary{Flagged: c.Flagged, Pending: c.Pending, Excluded: c.Excluded}
	rows, err := s.q.Exclusions(ctx, campaignID)
	for _, r := range rows {
		out.Reasons = append(out.Reasons, Exclusion{Reason: r.Reason, N: r.N})
	}
	return out, err
}

// storedFrom reads a response as the database holds it now.
func storedFrom(campaignID int64, r dbq.ChainedResponsesRow) (StoredResponse, error) {
	out := StoredResponse{ID: r.ID, Status: ResponseStatus(r.Status), Decision: r.Decision, Chained: Chained{
		CampaignID: campaignID, Receipt: r.Receipt, FormID: r.QuestionnaireID, LinkID: r.LinkID, Category: r.Category,
		Locale: r.Locale, GradeBand: r.GradeBand, SchoolID: r.SchoolID, Suggestion: r.Suggestion, FillMS: r.FillMs,
		SubmittedAt: r.SubmittedAt, Answers: map[string]string{}}}
	for _, a := range r.Answers {
		item, opt, ok := strings.Cut(a, "=")
		if !ok {
			return out, fmt.Errorf("response %d: malformed answer %q", r.ID, a)
		}
		out.Answers[item] = opt
	}
	return out, nil
}

// Verify recomputes a campaign's chain from the database; see Verify.
func (s *Store) Verify(ctx context.Context, campaignID int64) (Verification, error) {
	var v Verification
	err := s.inTx(ctx, func(q *dbq.Queries, tx pgx.Tx) error {
		// One snapshot for the campaign, its entries and its responses.
		if _, err := tx.Exec(ctx, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"); err != nil {
			return err
		}
		c, err := q.GetCampaign(ctx, dbq.GetCampaignParams{ID: campaignID, AllUnits: true})
		if err != nil {
			return notFound(err)
		}
		rows, err := q.ChainEntries(ctx, campaignID)
		if err != nil {
			return err
		}
		entries := make([]ChainEntry, len(rows))
		for i, r := range rows {
			entries[i] = ChainEntry{Pos: r.Pos, ResponseID: r.ResponseID, Hash: r.Hash}
		}
		resp, err := q.ChainedResponses(ctx, campaignID)
		if err != nil {
			return err
		}
		stored := make([]StoredResponse, len(resp))
		for i, r := range resp {
			if stored[i], err = storedFrom(campaignID, r); err != nil {
				return err
			}
		}
		v = Verify(campaignID, entries, stored, c.ChainLength, c.ChainHead, c.SealedLength, c.SealedHead)
		return nil
	})
	return v, err
}

// ReceiptCheck is what a respondent learns from their receipt.
type ReceiptCheck struct {
	Receipt     string
	CampaignID  int64
	Status      ResponseStatus
	SubmittedAt time.Time
	Pos         int64  // 0 when not on the chain
	Hash        string // the entry's hash prefix
	Intact      bool   // the entry still matches the stored response
	ChainLength int64
	ChainHead   string // prefix of the head now, or as sealed
	Sealed      bool
}

// CheckReceipt looks a receipt up and recomputes its own chain entry.
func (s *Store) CheckReceipt(ctx context.Context, receipt string) (ReceiptCheck, error) {
	r, err := s.q.ResponseByReceipt(ctx, receipt)
	if err != nil {
		return ReceiptCheck{}, notFound(err)
	}
	out := ReceiptCheck{Receipt: r.Receipt, CampaignID: r.CampaignID, Status: ResponseStatus(r.Status), SubmittedAt: r.SubmittedAt, Pos: r.Pos}
	c, err := s.q.GetCampaign(ctx, dbq.GetCampaignParams{ID: r.CampaignID, AllUnits: true})
	if err != nil {
		return out, err
	}
	out.ChainLength, out.ChainHead = c.ChainLength, HashPrefix(c.ChainHead)
	if c.SealedLength != nil {
		out.ChainLength, out.ChainHead, out.Sealed = *c.SealedLength, HashPrefix(c.SealedHead), true
	}
	if r.Pos == 0 {
		return out, nil
	}
	out.Hash = HashPrefix(r.Hash)
	prev := Genesis(r.CampaignID)
	if r.Pos > 1 {
		if prev, err = s.q.ChainEntryHash(ctx, dbq.ChainEntryHashParams{CampaignID: r.CampaignID, Pos: r.Pos - 1}); err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return out, err
		}
	}
	cr, err := s.q.ChainedResponseByID(ctx, r.ID)
	if err != nil {
		return out, err
	}
	st, err := storedFrom(r.CampaignID, dbq.ChainedResponsesRow(cr))
	if err != nil {
		return out, err
	}
	out.Intact = len(prev) > 0 && bytes.Equal(EntryHash(prev, r.Pos, &st.Chained), r.Hash)
	return out, nil
}

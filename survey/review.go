package survey

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"renke/dbq"
	"renke/refusal"
	"renke/sampling"
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

// Decide records a decision on a flagged response of a campaign, moves it
// into or out of the sample accordingly, and appends the decision to the
// campaign's log with a new signed checkpoint, in one transaction.
func (s *Store) Decide(ctx context.Context, campaignID, responseID int64, d Decision, reason string, staffID int64, username string) error {
	if err := CheckReason(d, reason); err != nil {
		return refusal.AsInvalid(err)
	}
	err := s.inTx(ctx, func(q *dbq.Queries, tx pgx.Tx) error {
		// The campaign's lock first, as a group commit takes it: the
		// decision is the log's next leaf.
		row, err := q.LockCampaignForSubmit(ctx, campaignID)
		if err != nil {
			return notFound(err)
		}
		locked, err := q.LockFlaggedResponse(ctx, dbq.LockFlaggedResponseParams{ID: responseID, CampaignID: campaignID})
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFlagged
		} else if err != nil {
			return err
		}
		var by *int64
		if staffID != 0 {
			by = &staffID
		}
		reason = strings.TrimSpace(reason)
		r, err := q.ChainedResponseByID(ctx, responseID)
		if err != nil {
			return err
		}
		st := storedFrom(campaignID, dbq.ChainedResponsesRow(r))
		was := ResponseStatus(locked.Status)
		status := Admitted
		if d == Invalid {
			status = Invalidated
		}
		// A response that never took a quota place (held on arrival, and
		// perhaps judged invalid since) takes one now if the reviewer
		// admits it, or is over quota when its cell is full; the outcome
		// is logged with the decision.
		placed, err := tookPlace(ctx, q, responseID, was)
		if err != nil {
			return err
		}
		outcome := ""
		if !placed {
			if d == Valid {
				got, err := sampling.NewStore(tx).Admit(ctx, campaignID,
					sampling.Place{Category: sampling.Category(st.Category), Locale: sampling.Locale(st.Locale)}, sampling.Policy(row.QuotaPolicy))
				if err != nil {
					return err
				}
				if !got {
					status = OverQuota
				}
			}
			outcome = string(status)
		}
		rev, err := q.InsertReview(ctx, dbq.InsertReviewParams{ResponseID: responseID, Decision: string(d),
			Reason: reason, StaffID: by, Username: username, Outcome: outcome})
		if err != nil {
			return err
		}
		if err := q.SetResponseStatus(ctx, dbq.SetResponseStatusParams{ID: responseID, Status: string(status)}); err != nil {
			return err
		}
		if was != status || !locked.Reviewed {
			// Reviewed now, and perhaps moved in or out of the sample.
			c := sourceCounts{}
			c.add(st.LinkID, st.SchoolID, was, true, locked.Reviewed, -1, st.SubmittedAt)
			c.add(st.LinkID, st.SchoolID, status, true, true, 1, st.SubmittedAt)
			if err := q.AddSourceCounts(ctx, c.params(campaignID)); err != nil {
				return err
			}
		}
		if (was == Admitted) != (status == Admitted) {
			// In or out of the sample: its answers in or out of the tallies.
			sign := int64(1)
			if status != Admitted {
				sign = -1
			}
			t := tallies{}
			t.add(st.Answers, sampling.Category(st.Category), sampling.Locale(st.Locale), st.SchoolID, sign)
			if err := q.AddTallies(ctx, t.params(campaignID)); err != nil {
				return err
			}
			form, err := formOf(ctx, q, campaignID, st.FormID)
			if err != nil {
				return err
			}
			whole, byArea := form.Marks(st.Answers)
			people := respondentSums{}
			people.add(whole, byArea, sampling.Category(st.Category), sampling.Locale(st.Locale), st.SchoolID, sign)
			if err := q.AddRespondentSums(ctx, people.params(campaignID)); err != nil {
				return err
			}
		}
		if was != status {
			c := responseCounts{}
			c.add(st.SubmittedAt, was, sampling.Category(st.Category), sampling.Locale(st.Locale), sampling.GradeBand(st.GradeBand), -1)
			c.add(st.SubmittedAt, status, sampling.Category(st.Category), sampling.Locale(st.Locale), sampling.GradeBand(st.GradeBand), 1)
			if err := q.AddResponseCounts(ctx, c.params(campaignID)); err != nil {
				return err
			}
		}
		at, err := q.ResponseLeaf(ctx, responseID)
		if err != nil {
			return fmt.Errorf("response %d has no leaf in the log: %w", responseID, err)
		}
		leaf := LeafHash((&Decided{CampaignID: campaignID, ReviewID: rev.ID, Receipt: at.Receipt, ResponseLeaf: at.Idx,
			Decision: string(d), Reason: reason, Username: username, DecidedAt: rev.DecidedAt, Outcome: outcome}).Canonical())
		cp := campaignFrom(row)
		adv, err := s.logKey.advance(cp, [][]byte{leaf})
		if err != nil {
			return err
		}
		if err := q.InsertLeaf(ctx, dbq.InsertLeafParams{CampaignID: campaignID, Idx: cp.LogSize, ResponseID: responseID,
			ReviewID: &rev.ID, Hash: leaf}); err != nil {
			return err
		}
		return adv.store(ctx, q)
	})
	if err == nil {
		s.changed(campaignID) // the counted sample changed
	}
	return err
}

// tookPlace reports whether a response under review holds a quota place:
// one held on arrival does not, nor one judged invalid since without ever
// being admitted; any other does (an invalidated response keeps its place).
func tookPlace(ctx context.Context, q *dbq.Queries, responseID int64, status ResponseStatus) (bool, error) {
	switch status {
	case Held:
		return false, nil
	case Admitted:
		return true, nil
	}
	revs, err := q.ReviewsOfResponse(ctx, responseID)
	if err != nil {
		return false, err
	}
	placed := true
	for _, r := range revs {
		if r.Outcome != "" {
			placed = r.Outcome == string(Admitted)
		}
	}
	return placed, nil
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

// formOf is the questionnaire with id formID of a campaign.
func formOf(ctx context.Context, q *dbq.Queries, campaignID, formID int64) (Questionnaire, error) {
	rows, err := q.ListQuestionnaires(ctx, campaignID)
	if err != nil {
		return Questionnaire{}, err
	}
	for _, r := range rows {
		if r.ID == formID {
			f, err := formFrom(r)
			return f.Questionnaire, err
		}
	}
	return Questionnaire{}, fmt.Errorf("questionnaire %d of campaign %d not found", formID, campaignID)
}

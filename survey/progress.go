package survey

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"renke/county"
	"renke/dbq"
	"renke/refusal"
	"renke/sampling"
)

// SourceProgress is what came from one school or one link of a campaign:
// every response, those counted in the sample, those flagged, and when
// the last one arrived (zero when none did: not started). To a viewer the
// campaign is blind to (盲评) the flagged count is Withheld: it tells
// which schools' answers the review queue holds.
type SourceProgress struct {
	ID       int64     `json:"id"`
	Name     string    `json:"name"`
	Locale   string    `json:"locale,omitempty"`
	Audience string    `json:"audience,omitempty"` // a link's questionnaire
	Code     string    `json:"code,omitempty"`     // a link's code
	Answers  int64     `json:"answers"`
	Counted  int64     `json:"counted"`
	Flagged  int64     `json:"flagged"`
	Withheld bool      `json:"withheld,omitempty"`
	Last     time.Time `json:"last,omitzero"`
}

// withholdReview blanks the flagged counts of rows the viewer may not
// see: a blind campaign's, to the assessed unit's staff.
func withholdReview(rows []SourceProgress, viewer county.Scope, cp Campaign) {
	if !cp.BlindTo(viewer) {
		return
	}
	for i := range rows {
		rows[i].Flagged, rows[i].Withheld = 0, true
	}
}

// NotStarted reports whether nothing came from the source yet.
func (p SourceProgress) NotStarted() bool { return p.Answers == 0 }

func lastAt(t time.Time) time.Time {
	if t.Unix() == 0 {
		return time.Time{}
	}
	return t
}

// SchoolProgress is every school of the campaign's unit, answered or not,
// the schools behind first: not started, then fewest counted, as the
// viewer may see it.
func (s *Store) SchoolProgress(ctx context.Context, viewer county.Scope, cp Campaign) ([]SourceProgress, error) {
	rows, err := s.q.SchoolProgress(ctx, dbq.SchoolProgressParams{CampaignID: cp.ID, UnitID: cp.UnitID})
	out := make([]SourceProgress, 0, len(rows))
	for _, r := range rows {
		out = append(out, SourceProgress{ID: r.ID, Name: r.Name, Locale: sampling.Locale(r.Locale).Name(), Answers: r.Answers,
			Counted: r.Counted, Flagged: r.Flagged, Last: lastAt(r.LastAt)})
	}
	withholdReview(out, viewer, cp)
	SortProgress(out, "behind")
	return out, err
}

// LinkProgress is every link of the campaign with what came through it,
// named by its school (or the whole unit) and questionnaire, as the
// viewer may see it.
func (s *Store) LinkProgress(ctx context.Context, viewer county.Scope, cp Campaign, unitWide string, schools []county.School, forms []Form) ([]SourceProgress, error) {
	rows, err := s.q.LinkProgress(ctx, cp.ID)
	names := map[int64]string{}
	for _, sc := range schools {
		names[sc.ID] = sc.Name
	}
	out := make([]SourceProgress, 0, len(rows))
	for _, r := range rows {
		l := Link{ID: r.ID, SchoolID: r.SchoolID, Code: r.Code, Label: r.Label}
		if r.QuestionnaireKind != nil {
			k := Kind(*r.QuestionnaireKind)
			l.Kind = &k
		}
		name := unitWide
		if l.SchoolID != nil {
			name = names[*l.SchoolID]
		}
		if l.Label != "" {
			name += "（" + l.Label + "）"
		}
		var who []string
		for _, c := range LinkCategories(forms, l) {
			who = append(who, c.Name())
		}
		out = append(out, SourceProgress{ID: r.ID, Name: name, Code: r.Code, Audience: strings.Join(who, "、"),
			Answers: r.Answers, Counted: r.Counted, Flagged: r.Flagged, Last: lastAt(r.LastAt)})
	}
	withholdReview(out, viewer, cp)
	SortProgress(out, "behind")
	return out, err
}

// ProgressOrders are the orders a progress table can be sorted in.
var ProgressOrders = []string{"behind", "name", "answers", "counted", "flagged", "last"}

// SortProgress sorts rows in place: "behind" (not started first, then the
// fewest counted), "name", or by a count or the last answer, largest or
// newest first.
func SortProgress(rows []SourceProgress, by string) {
	slices.SortStableFunc(rows, func(a, b SourceProgress) int {
		switch by {
		case "name":
			return strings.Compare(a.Name, b.Name)
		case "answers":
			return int(b.Answers - a.Answers)
		case "counted":
			return int(b.Counted - a.Counted)
		case "flagged":
			return int(b.Flagged - a.Flagged)
		case "last":
			return b.Last.Compare(a.Last)
		}
		if a.Counted != b.Counted {
			return int(a.Counted - b.Counted)
		}
		return strings.Compare(a.Name, b.Name)
	})
}

// Event is a staff action on a campaign's life that the dossier reports:
// its opening with the settings it froze, a change of a verdict-deciding
// setting after that (old → new), a close or a reopening.
type Event struct {
	At       time.Time `json:"at"`
	Action   string    `json:"action"` // setting, close, reopen, log_upgrade
	Reason   string    `json:"reason"`
	Username string    `json:"username"`
	Setting  string    `json:"setting,omitempty"`
	Old      string    `json:"old_value,omitempty"`
	New      string    `json:"new_value,omitempty"`
}

// Name is the action in Chinese.
func (e Event) Name() string {
	if e.Action == "setting" {
		if e.Old == "" {
			return e.Setting
		}
		return "修改" + e.Setting
	}
	return map[string]string{"close": "结束调查", "reopen": "重新开放", "log_upgrade": "样本日志升级"}[e.Action]
}

// Changed reports whether the event changed a setting after the opening.
func (e Event) Changed() bool { return e.Action == "setting" && e.Old != "" }

// SettingChanges is the events that changed a verdict-deciding setting
// after the opening, oldest first.
func SettingChanges(events []Event) []Event {
	var out []Event
	for _, e := range events {
		if e.Changed() {
			out = append(out, e)
		}
	}
	return out
}

// Events lists a campaign's events, oldest first.
func (s *Store) Events(ctx context.Context, campaignID int64) ([]Event, error) {
	rows, err := s.q.CampaignEvents(ctx, campaignID)
	out := make([]Event, 0, len(rows))
	for _, r := range rows {
		out = append(out, Event{At: r.At, Action: r.Action, Reason: r.Reason, Username: r.Username, Setting: r.Setting,
			Old: r.OldValue, New: r.NewValue})
	}
	return out, err
}

// ErrNotClosed refuses to reopen a campaign that is not closed.
var ErrNotClosed = refusal.Conflictf("只有已结束的调查可以重新开放")

// Reopen opens a closed campaign again, for a reason that is recorded
// with who gave it and printed in the dossier. The seal is lifted and the
// sample log goes on; the campaign gets a new hash key (the old one was
// destroyed at close), so a device or address seen before the close is
// not recognised after it.
func (s *Store) Reopen(ctx context.Context, id int64, reason, username string) (Campaign, error) {
	reason = strings.TrimSpace(reason)
	if n := utf8.RuneCountInString(reason); n < 2 || n > 500 {
		return Campaign{}, refusal.Invalidf("请填写重新开放的理由（2 至 500 字），理由将写入调查材料")
	}
	var out Campaign
	err := s.inTx(ctx, func(q *dbq.Queries, _ pgx.Tx) error {
		r, err := q.ReopenCampaign(ctx, id)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotClosed
		} else if err != nil {
			return err
		}
		out = campaignFrom(r)
		if err := q.CreateCampaignKey(ctx, dbq.CreateCampaignKeyParams{CampaignID: id, Key: newHashKey()}); err != nil {
			return err
		}
		ev, err := q.AddCampaignEvent(ctx, dbq.AddCampaignEventParams{CampaignID: id, Action: "reopen", Reason: reason, Username: username})
		if err != nil {
			return err
		}
		e := newEntry(id, EntryReopen, username, ev.At)
		e.Event, e.Reason, e.Settings = ev.ID, reason, out.Verdict()
		_, err = s.appendEntries(ctx, q, r, e)
		return err
	})
	if err != nil {
		return Campaign{}, err
	}
	s.changed(id)
	return out, nil
}

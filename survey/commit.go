package survey

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"renke/database"
	"renke/dbq"
	"renke/sampling"
)

// Group commit: submissions that arrive while a transaction is running wait
// for the next one, and each submitter is answered only after the
// transaction holding its response has committed. One transaction then
// carries many responses: one lock of the campaign row and its quota cells,
// one insert of the responses, one COPY of their answers, one fsync.

// MaxGroup is the most submissions committed in one transaction.
const MaxGroup = 128

type pending struct {
	env   Envelope
	sub   Submission
	now   time.Time
	flags []Flag
	out   Receipt
	err   error
	done  chan struct{}
}

type committer struct {
	once  sync.Once
	queue chan *pending
}

// Submit stores a checked submission exactly once and returns its receipt.
// It waits for the group commit that carries it: the campaign is confirmed
// to be taking answers, a place in the quota cell is taken when one is
// free, the response is flagged where its answers or arrival look stuffed,
// and an admitted response joins the campaign's hash chain. A submission id
// seen before returns the first receipt and stores nothing new.
func (s *Store) Submit(ctx context.Context, env Envelope, sub Submission, now time.Time) (Receipt, error) {
	s.commits.once.Do(func() {
		s.commits.queue = make(chan *pending, 4*MaxGroup)
		for range 2 { // one commits while the other gathers and waits for the lock
			go s.commitLoop()
		}
	})
	p := &pending{env: env, sub: sub, now: now.Truncate(time.Microsecond), done: make(chan struct{})}
	select {
	case s.commits.queue <- p:
	case <-ctx.Done():
		return Receipt{}, ctx.Err()
	}
	select {
	case <-p.done:
		return p.out, p.err
	case <-ctx.Done():
		// The group may still commit it; a resubmission finds it by id.
		return Receipt{}, ctx.Err()
	}
}

func (s *Store) commitLoop() {
	for p := range s.commits.queue {
		group := []*pending{p}
	gather:
		for len(group) < MaxGroup {
			select {
			case q := <-s.commits.queue:
				group = append(group, q)
			default:
				break gather
			}
		}
		s.commitGroup(group)
	}
}

// commitGroup commits a group, or, when the group as a whole fails (a
// submission id stored meanwhile by another server, say), each member on
// its own, so one bad submission cannot fail the others.
func (s *Store) commitGroup(group []*pending) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := s.inTx(ctx, func(q *dbq.Queries, tx pgx.Tx) error { return admitGroup(ctx, q, tx, group) })
	if database.Unavailable(err) {
		err = fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if err != nil && len(group) > 1 && !errors.Is(err, ErrUnavailable) {
		for _, p := range group {
			s.commitGroup([]*pending{p})
		}
		return
	}
	for _, p := range group {
		if err != nil {
			p.err, p.out = err, Receipt{}
		}
		close(p.done)
	}
}

// ErrUnavailable says the database could not be reached; the submission
// was not stored and may be sent again with the same id.
var ErrUnavailable = errors.New("database unavailable")

var errConflict = errors.New("a submission id of the group was stored meanwhile")

// admitGroup does the work of one group commit inside tx, setting each
// member's receipt or error.
func admitGroup(ctx context.Context, q *dbq.Queries, tx pgx.Tx, group []*pending) error {
	for _, p := range group {
		p.out, p.err, p.flags = Receipt{}, nil, nil
	}
	// Submission ids stored before, or repeated within the group.
	ids := make([]string, len(group))
	for i, p := range group {
		ids[i] = p.env.SubmissionID
	}
	stored, err := q.FindSubmissions(ctx, ids)
	if err != nil {
		return err
	}
	seen := make(map[string]dbq.FindSubmissionsRow, len(stored))
	for _, r := range stored {
		seen[r.SubmissionID] = r
	}
	first := map[string]*pending{}
	var fresh []*pending
	var repeats []*pending
	for _, p := range group {
		if r, ok := seen[p.env.SubmissionID]; ok {
			if r.CampaignID != p.env.CampaignID {
				p.err = ErrIDConflict
			} else {
				p.out = Receipt{Code: r.Receipt, Status: ResponseStatus(r.Status), Duplicate: true, Pos: r.Pos, Hash: HashPrefix(r.Hash)}
			}
			continue
		}
		if _, ok := first[p.env.SubmissionID]; ok {
			repeats = append(repeats, p)
			continue
		}
		first[p.env.SubmissionID] = p
		fresh = append(fresh, p)
	}
	// Campaigns in id order, so two groups never wait on each other's locks.
	byCampaign := map[int64][]*pending{}
	for _, p := range fresh {
		byCampaign[p.env.CampaignID] = append(byCampaign[p.env.CampaignID], p)
	}
	for _, id := range slices.Sorted(maps.Keys(byCampaign)) {
		if err := admitToCampaign(ctx, q, tx, id, byCampaign[id]); err != nil {
			return err
		}
	}
	for _, p := range repeats {
		f := first[p.env.SubmissionID]
		p.out, p.err = f.out, f.err
		p.out.Duplicate = true
	}
	return nil
}

func admitToCampaign(ctx context.Context, q *dbq.Queries, tx pgx.Tx, campaignID int64, group []*pending) error {
	row, err := q.LockCampaignForSubmit(ctx, campaignID)
	if err != nil {
		return notFound(err)
	}
	c := campaignFrom(row)
	var open []*pending
	for _, p := range group {
		if reason := c.Refusal(p.now); reason != "" {
			p.err = &ClosedError{Reason: reason}
		} else {
			open = append(open, p)
		}
	}
	if len(open) == 0 {
		return nil
	}
	wants := make([]sampling.Place, len(open))
	for i, p := range open {
		wants[i] = sampling.Place{Category: p.sub.Category, Locale: p.sub.Locale}
	}
	admitted, err := sampling.NewStore(tx).AdmitGroup(ctx, c.ID, wants, c.Policy)
	if err != nil {
		return err
	}
	retro, err := flagGroup(ctx, q, c, open)
	if err != nil {
		return err
	}

	// The chain: each admitted response, in arrival order, follows the head.
	prev := c.ChainHead
	if len(prev) == 0 {
		prev = Genesis(c.ID)
	}
	pos := c.ChainLength
	var chain dbq.InsertChainEntriesParams
	chain.CampaignID = c.ID
	arg := dbq.InsertResponsesParams{CampaignID: c.ID}
	bySubmission := map[string]*pending{}
	for i, p := range open {
		status := OverQuota
		if admitted[i] {
			status = Admitted
		}
		p.out = Receipt{Code: randomCode(receiptAlphabet, 10), Status: status}
		band, school := string(p.sub.GradeBand), int64(0)
		if p.sub.School != nil {
			school = p.sub.School.ID
		}
		fill := int32(min(p.env.FillTime.Milliseconds(), 1<<31-1))
		if admitted[i] {
			pos++
			h := EntryHash(prev, pos, &Chained{CampaignID: c.ID, Receipt: p.out.Code, FormID: p.env.FormID, LinkID: p.env.LinkID,
				Category: string(p.sub.Category), Locale: string(p.sub.Locale), GradeBand: band, SchoolID: school,
				Suggestion: p.sub.Suggestion, FillMS: fill, SubmittedAt: p.now, Answers: p.sub.Answers})
			p.out.Pos, p.out.Hash = pos, HashPrefix(h)
			chain.Positions = append(chain.Positions, pos)
			chain.Hashes = append(chain.Hashes, h)
			prev = h
		}
		flags := make([]string, len(p.flags))
		for j, f := range p.flags {
			flags[j] = string(f)
		}
		bySubmission[p.env.SubmissionID] = p
		arg.QuestionnaireIds = append(arg.QuestionnaireIds, p.env.FormID)
		arg.LinkIds = append(arg.LinkIds, p.env.LinkID)
		arg.SubmissionIds = append(arg.SubmissionIds, p.env.SubmissionID)
		arg.Receipts = append(arg.Receipts, p.out.Code)
		arg.Categories = append(arg.Categories, string(p.sub.Category))
		arg.Locales = append(arg.Locales, string(p.sub.Locale))
		arg.GradeBands = append(arg.GradeBands, band)
		arg.SchoolIds = append(arg.SchoolIds, school)
		arg.Statuses = append(arg.Statuses, string(status))
		arg.Suggestions = append(arg.Suggestions, p.sub.Suggestion)
		arg.IpHashes = append(arg.IpHashes, p.env.IPHash)
		arg.UaFamilies = append(arg.UaFamilies, p.env.UAFamily)
		arg.FillMs = append(arg.FillMs, fill)
		arg.SubmittedAts = append(arg.SubmittedAts, p.now)
		arg.DeviceHashes = append(arg.DeviceHashes, p.env.DeviceHash)
		arg.AnswerSigs = append(arg.AnswerSigs, p.env.Signature)
		arg.FlagLists = append(arg.FlagLists, strings.Join(flags, ","))
	}
	rows, err := q.InsertResponses(ctx, arg)
	if err != nil {
		return err
	}
	if len(rows) != len(open) {
		return errConflict
	}
	responseID := map[string]int64{}
	var answers [][]any
	for _, r := range rows {
		responseID[r.SubmissionID] = r.ID
		for item, opt := range bySubmission[r.SubmissionID].sub.Answers {
			answers = append(answers, []any{r.ID, item, opt})
		}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"answers"}, []string{"response_id", "item", "option"}, pgx.CopyFromRows(answers)); err != nil {
		return err
	}
	if len(chain.Positions) > 0 {
		for i, p := range open {
			if admitted[i] {
				chain.ResponseIds = append(chain.ResponseIds, responseID[p.env.SubmissionID])
			}
		}
		if err := q.InsertChainEntries(ctx, chain); err != nil {
			return err
		}
		if err := q.AdvanceChain(ctx, dbq.AdvanceChainParams{ID: c.ID, ChainLength: pos, ChainHead: prev}); err != nil {
			return err
		}
	}
	if len(retro) > 0 {
		return q.AddFlag(ctx, dbq.AddFlagParams{Flag: string(FlagBurst), Ids: retro})
	}
	return nil
}

// flagGroup sets the flags of a campaign's group before it is stored, and
// returns the stored responses that a burst in the group implicates.
func flagGroup(ctx context.Context, q *dbq.Queries, c Campaign, group []*pending) ([]int64, error) {
	minFill := time.Duration(c.MinFillSeconds) * time.Second
	var devices [][]byte
	links, schools := map[int64]bool{}, map[int64]bool{}
	oldest := group[0].now
	for _, p := range group {
		p.flags = Assess(p.env.Signature, p.env.FillTime, minFill)
		if p.env.DeviceHash != nil {
			devices = append(devices, p.env.DeviceHash)
		}
		links[p.env.LinkID] = true
		if p.sub.School != nil {
			schools[p.sub.School.ID] = true
		}
		if p.now.Before(oldest) {
			oldest = p.now
		}
	}
	// A device seen before in this campaign, or earlier in the group.
	if len(devices) > 0 {
		seen, err := q.SeenDevices(ctx, dbq.SeenDevicesParams{CampaignID: c.ID, DeviceHashes: devices})
		if err != nil {
			return nil, err
		}
		for _, p := range group {
			if p.env.DeviceHash == nil {
				continue
			}
			if slices.ContainsFunc(seen, func(d []byte) bool { return bytes.Equal(d, p.env.DeviceHash) }) {
				p.flags = append(p.flags, FlagDevice)
			}
			seen = append(seen, p.env.DeviceHash)
		}
	}
	// Bursts: each member against recent stored responses and the members
	// before it.
	recent, err := q.RecentTraces(ctx, dbq.RecentTracesParams{CampaignID: c.ID, Since: oldest.Add(-BurstWindow),
		LinkIds: slices.Collect(maps.Keys(links)), SchoolIds: slices.Collect(maps.Keys(schools))})
	if err != nil {
		return nil, err
	}
	traces := make([]Trace, 0, len(recent)+len(group))
	for _, r := range recent {
		traces = append(traces, Trace{ID: r.ID, LinkID: r.LinkID, SchoolID: r.SchoolID, Sig: r.AnswerSig, At: r.SubmittedAt})
	}
	member := map[int]*pending{} // index in traces → group member
	retro := map[int64]bool{}
	for _, p := range group {
		t := Trace{LinkID: p.env.LinkID, Sig: p.env.Signature, At: p.now}
		if p.sub.School != nil {
			t.SchoolID = p.sub.School.ID
		}
		if like := Burst(t, traces); like != nil {
			p.flags = appendFlag(p.flags, FlagBurst)
			for _, i := range like {
				if m, ok := member[i]; ok {
					m.flags = appendFlag(m.flags, FlagBurst)
				} else {
					retro[traces[i].ID] = true
				}
			}
		}
		member[len(traces)] = p
		traces = append(traces, t)
	}
	return slices.Sorted(maps.Keys(retro)), nil
}

func appendFlag(flags []Flag, f Flag) []Flag {
	if slices.Contains(flags, f) {
		return flags
	}
	return append(flags, f)
}

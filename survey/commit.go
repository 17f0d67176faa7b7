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
// carries many responses in two round trips: one lock of the campaign row
// and its quota cells, one statement storing the responses and their chain
// entries, one fsync.

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
	conn, err := s.pool.Acquire(ctx)
	if err == nil {
		if err = admitGroup(ctx, conn.Conn(), group); err != nil {
			// A connection left in a transaction is closed on release.
			_, _ = conn.Exec(ctx, "ROLLBACK")
		}
		conn.Release()
	}
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

// lockedCampaign is one campaign of a group, as the group's first round
// trip reads it under the campaign's lock.
type lockedCampaign struct {
	members []*pending
	row     dbq.Campaign
	cells   *sampling.Admission
	seen    [][]byte // devices of the members that answered before
	recent  []dbq.RecentTracesRow
}

// admitGroup does the work of one group commit, setting each member's
// receipt or error, in one transaction of two round trips: the first
// begins it, locks the campaigns and reads what admission and flagging
// need; the second stores the responses, their answers and chain entries
// and the counts, and commits.
func admitGroup(ctx context.Context, conn *pgx.Conn, group []*pending) error {
	byCampaign := map[int64][]*pending{}
	ids := make([]string, len(group))
	for i, p := range group {
		p.out, p.err, p.flags = Receipt{}, nil, nil
		byCampaign[p.env.CampaignID] = append(byCampaign[p.env.CampaignID], p)
		ids[i] = p.env.SubmissionID
	}
	// Campaigns in id order, so two groups never wait on each other's
	// locks; everything after the locks sees what the previous holder
	// committed.
	var b pgx.Batch
	b.Queue("BEGIN")
	var campaigns []*lockedCampaign
	for _, id := range slices.Sorted(maps.Keys(byCampaign)) {
		c := &lockedCampaign{members: byCampaign[id]}
		dbq.Queue(&b, func(q *dbq.Queries) { q.LockCampaignForSubmit(ctx, id) }).
			Query(dbq.One(&c.row, pgx.RowToStructByPos[dbq.Campaign]))
		c.cells = sampling.LockCells(&b, id)
		campaigns = append(campaigns, c)
	}
	var stored []dbq.FindSubmissionsRow
	dbq.Queue(&b, func(q *dbq.Queries) { q.FindSubmissions(ctx, ids) }).
		Query(dbq.Into(&stored, pgx.RowToStructByPos[dbq.FindSubmissionsRow]))
	for _, c := range campaigns {
		c.queueTraces(ctx, &b)
	}
	if err := conn.SendBatch(ctx, &b).Close(); err != nil {
		return notFound(err)
	}

	// Submission ids stored before, or repeated within the group.
	seen := make(map[string]dbq.FindSubmissionsRow, len(stored))
	for _, r := range stored {
		seen[r.SubmissionID] = r
	}
	first := map[string]*pending{}
	var repeats []*pending
	b = pgx.Batch{}
	for _, c := range campaigns {
		var fresh []*pending
		for _, p := range c.members {
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
		c.admit(ctx, &b, fresh)
	}
	b.Queue("COMMIT")
	if err := conn.SendBatch(ctx, &b).Close(); err != nil {
		return err
	}
	for _, p := range repeats {
		f := first[p.env.SubmissionID]
		p.out, p.err = f.out, f.err
		p.out.Duplicate = true
	}
	return nil
}

// queueTraces queues the look-ups that flagging needs: the members'
// devices seen before in the campaign, and the recent responses from their
// links and schools.
func (c *lockedCampaign) queueTraces(ctx context.Context, b *pgx.Batch) {
	var devices [][]byte
	links, schools := map[int64]bool{}, map[int64]bool{}
	oldest := c.members[0].now
	for _, p := range c.members {
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
	id := c.members[0].env.CampaignID
	if len(devices) > 0 {
		dbq.Queue(b, func(q *dbq.Queries) {
			q.SeenDevices(ctx, dbq.SeenDevicesParams{CampaignID: id, DeviceHashes: devices})
		}).Query(dbq.Into(&c.seen, pgx.RowTo[[]byte]))
	}
	dbq.Queue(b, func(q *dbq.Queries) {
		q.RecentTraces(ctx, dbq.RecentTracesParams{CampaignID: id, Since: oldest.Add(-BurstWindow),
			LinkIds: slices.Collect(maps.Keys(links)), SchoolIds: slices.Collect(maps.Keys(schools))})
	}).Query(dbq.Into(&c.recent, pgx.RowToStructByPos[dbq.RecentTracesRow]))
}

// admit decides on the fresh submissions to a campaign: refused when the
// campaign is not taking answers, admitted or over quota, flagged, and
// chained when admitted. It queues in b what stores them.
func (c *lockedCampaign) admit(ctx context.Context, b *pgx.Batch, fresh []*pending) {
	cp := campaignFrom(c.row)
	var open []*pending
	for _, p := range fresh {
		if reason := cp.Refusal(p.now); reason != "" {
			p.err = &ClosedError{Reason: reason}
		} else {
			open = append(open, p)
		}
	}
	if len(open) == 0 {
		return
	}
	wants := make([]sampling.Place, len(open))
	for i, p := range open {
		wants[i] = sampling.Place{Category: p.sub.Category, Locale: p.sub.Locale}
	}
	admitted := c.cells.Grant(b, wants, cp.Policy)
	retro := flagGroup(cp, open, c.seen, c.recent)

	// The chain: each admitted response, in arrival order, follows the head.
	prev := cp.ChainHead
	if len(prev) == 0 {
		prev = Genesis(cp.ID)
	}
	pos := cp.ChainLength
	arg := dbq.StoreResponsesParams{CampaignID: cp.ID}
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
			h := EntryHash(prev, pos, &Chained{CampaignID: cp.ID, Receipt: p.out.Code, FormID: p.env.FormID, LinkID: p.env.LinkID,
				Category: string(p.sub.Category), Locale: string(p.sub.Locale), GradeBand: band, SchoolID: school,
				Suggestion: p.sub.Suggestion, FillMS: fill, SubmittedAt: p.now, Answers: p.sub.Answers})
			p.out.Pos, p.out.Hash = pos, HashPrefix(h)
			arg.ChainedSubmissionIds = append(arg.ChainedSubmissionIds, p.env.SubmissionID)
			arg.Positions = append(arg.Positions, pos)
			arg.Hashes = append(arg.Hashes, h)
			prev = h
		}
		flags := make([]string, len(p.flags))
		for j, f := range p.flags {
			flags[j] = string(f)
		}
		arg.AnswerLists = append(arg.AnswerLists, answerList(p.sub.Answers))
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
	dbq.Queue(b, func(q *dbq.Queries) { q.StoreResponses(ctx, arg) })
	if pos > cp.ChainLength {
		dbq.Queue(b, func(q *dbq.Queries) {
			q.AdvanceChain(ctx, dbq.AdvanceChainParams{ID: cp.ID, ChainLength: pos, ChainHead: prev})
		})
	}
	if len(retro) > 0 {
		dbq.Queue(b, func(q *dbq.Queries) { q.AddFlag(ctx, dbq.AddFlagParams{Flag: string(FlagBurst), Ids: retro}) })
	}
}

// answerList is a response's answers as StoreResponses takes them:
// 'item=option' pairs, sorted by item, joined by commas. Item and option
// codes hold neither sign (Questionnaire.Validate).
func answerList(answers map[string]string) string {
	pairs := make([]string, 0, len(answers))
	for _, item := range slices.Sorted(maps.Keys(answers)) {
		pairs = append(pairs, item+"="+answers[item])
	}
	return strings.Join(pairs, ",")
}

// flagGroup sets the flags of a campaign's group before it is stored,
// given the devices of the group seen before and the recent responses from
// its links and schools, and returns the stored responses that a burst in
// the group implicates.
func flagGroup(c Campaign, group []*pending, seen [][]byte, recent []dbq.RecentTracesRow) []int64 {
	minFill := time.Duration(c.MinFillSeconds) * time.Second
	for _, p := range group {
		p.flags = Assess(p.env.Signature, p.env.FillTime, minFill)
		// A device seen before in this campaign, or earlier in the group.
		if p.env.DeviceHash == nil {
			continue
		}
		if slices.ContainsFunc(seen, func(d []byte) bool { return bytes.Equal(d, p.env.DeviceHash) }) {
			p.flags = append(p.flags, FlagDevice)
		}
		seen = append(seen, p.env.DeviceHash)
	}
	// Bursts: each member against recent stored responses and the members
	// before it.
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
	return slices.Sorted(maps.Keys(retro))
}

func appendFlag(flags []Flag, f Flag) []Flag {
	if slices.Contains(flags, f) {
		return flags
	}
	return append(flags, f)
}

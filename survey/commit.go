package survey

import (
	"bytes"
	"cmp"
	"context"
	"encoding/hex"
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
// and its quota cells, one statement storing the responses and their log
// leaves, one fsync.

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

	// Made before the group commit, outside the campaign's lock.
	receipt string
	school  int64 // 0 when none
	fill    int32 // milliseconds
	answers string
	leaf    []byte // its leaf hash, should it be admitted
	whole   Marks  // its marks for the respondent sums
	byArea  map[Area]Marks
}

func newPending(env Envelope, sub Submission, now time.Time) *pending {
	p := &pending{env: env, sub: sub, now: now.Truncate(time.Microsecond), done: make(chan struct{}),
		receipt: randomCode(receiptAlphabet, 10), fill: int32(min(env.FillTime.Milliseconds(), 1<<31-1)),
		answers: answerList(sub.Answers)}
	if sub.School != nil {
		p.school = sub.School.ID
	}
	p.whole, p.byArea = env.Form.Marks(sub.Answers) // Submit refuses an envelope without its questionnaire
	p.leaf = LeafHash((&Chained{CampaignID: env.CampaignID, Receipt: p.receipt, FormID: env.FormID, LinkID: env.LinkID,
		Category: string(sub.Category), Locale: string(sub.Locale), GradeBand: string(sub.GradeBand), SchoolID: p.school,
		Suggestion: sub.Suggestion, FillMS: p.fill, SubmittedAt: p.now, Answers: sub.Answers}).Canonical())
	return p
}

type committer struct {
	once  sync.Once
	queue chan *pending
}

// Submit stores a checked submission exactly once and returns its receipt.
// It waits for the group commit that carries it: the campaign is confirmed
// to be taking answers, a place in the quota cell is taken when one is
// free, the response is flagged where its answers or arrival look stuffed,
// and an admitted response becomes a leaf of the campaign's sample log. A submission id
// seen before returns the first receipt and stores nothing new.
func (s *Store) Submit(ctx context.Context, env Envelope, sub Submission, now time.Time) (Receipt, error) {
	s.commits.once.Do(func() {
		s.commits.queue = make(chan *pending, 4*MaxGroup)
		go s.commitLoop()
	})
	if env.Form == nil {
		return Receipt{}, errors.New("survey: a submission without its questionnaire")
	}
	p := newPending(env, sub, now)
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

// commitLoop commits one group at a time: a group is everything that
// arrived while the one before it was being stored. Groups of one campaign
// are stored one after another under its lock in any case, and a second
// worker, gathering while the first held the lock, only split the arrivals
// into smaller groups: each group pays for its round trips and its fsync,
// and under load a third fewer submissions a second were stored.
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
		if err = s.admitGroup(ctx, conn.Conn(), group); err != nil {
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
	traces  *campaignTraces
	sources []traceSource                // the members' links and schools
	read    []dbq.RecentTracesRow        // what was stored there since last read
	wechat  []dbq.FindWeChatResponsesRow // responses of the members' WeChat users
	// The responses of the members' concentrated sources since their
	// budgets were passed, not flagged for it yet.
	concentrated []dbq.SourceResponsesRow
}

// admitGroup does the work of one group commit, setting each member's
// receipt or error, in one transaction of two round trips: the first
// begins it, locks the campaigns and reads what admission and flagging
// need; the second stores the responses, their answers and log leaves
// and the counts, and commits.
func (s *Store) admitGroup(ctx context.Context, conn *pgx.Conn, group []*pending) error {
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
		c := &lockedCampaign{members: byCampaign[id], traces: s.campaignTraces(id)}
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
	repeatsOf := map[*pending]*pending{} // a WeChat user's later members → the first
	var kept pgx.Batch                   // statements that keep their plans
	b = pgx.Batch{}
	for _, c := range campaigns {
		var fresh []*pending
		byUser := map[string]*pending{} // a WeChat user's first member in the group
		for _, p := range c.members {
			if p.env.WeChatHash != nil {
				// One response per WeChat user: a later one gets the first's receipt.
				if i := slices.IndexFunc(c.wechat, func(r dbq.FindWeChatResponsesRow) bool { return bytes.Equal(r.WechatHash, p.env.WeChatHash) }); i >= 0 {
					r := c.wechat[i]
					p.out = Receipt{Code: r.Receipt, Status: ResponseStatus(r.Status), Duplicate: true, Pos: r.Pos, Hash: HashPrefix(r.Hash),
						TreeSize: r.TreeSize, Root: hex.EncodeToString(r.TreeRoot)}
					continue
				}
				if f, ok := byUser[string(p.env.WeChatHash)]; ok && f.env.SubmissionID != p.env.SubmissionID {
					repeatsOf[p] = f
					continue
				}
				byUser[string(p.env.WeChatHash)] = p
			}
			if r, ok := seen[p.env.SubmissionID]; ok {
				if r.CampaignID != p.env.CampaignID {
					p.err = ErrIDConflict
				} else {
					p.out = Receipt{Code: r.Receipt, Status: ResponseStatus(r.Status), Duplicate: true, Pos: r.Pos, Hash: HashPrefix(r.Hash),
						TreeSize: r.TreeSize, Root: hex.EncodeToString(r.TreeRoot)}
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
		if err := c.admit(ctx, &b, &kept, fresh, s.logKey); err != nil {
			return err
		}
	}
	// The writes keep their plans. Planning each anew, as the pool does
	// (database.Open), took a third of PostgreSQL's time under load, half
	// of it for the foreign-key checks of every inserted row, and all of it
	// inside the campaign's lock. Their plans do not depend on the size of
	// responses: they insert, or update rows of a small table by its key.
	b.Queue("SET LOCAL plan_cache_mode = auto")
	b.QueuedQueries = append(b.QueuedQueries, kept.QueuedQueries...)
	b.Queue("COMMIT")
	if err := conn.SendBatch(ctx, &b).Close(); err != nil {
		return err
	}
	for _, p := range repeats {
		f := first[p.env.SubmissionID]
		p.out, p.err = f.out, f.err
		p.out.Duplicate = true
	}
	for p, f := range repeatsOf {
		p.out, p.err = f.out, f.err
		p.out.Duplicate = true
	}
	return nil
}

// queueTraces queues the look-ups that flagging needs: the members'
// devices seen before in the campaign, and what was stored from their
// links and schools since they were last read.
func (c *lockedCampaign) queueTraces(ctx context.Context, b *pgx.Batch) {
	var devices [][]byte
	for _, p := range c.members {
		if p.env.DeviceHash != nil {
			devices = append(devices, p.env.DeviceHash)
		}
	}
	id := c.members[0].env.CampaignID
	var users [][]byte
	for _, p := range c.members {
		if p.env.WeChatHash != nil {
			users = append(users, p.env.WeChatHash)
		}
	}
	if len(users) > 0 {
		dbq.Queue(b, func(q *dbq.Queries) {
			q.FindWeChatResponses(ctx, dbq.FindWeChatResponsesParams{CampaignID: id, Hashes: users})
		}).Query(dbq.Into(&c.wechat, pgx.RowToStructByPos[dbq.FindWeChatResponsesRow]))
	}
	if len(devices) > 0 {
		dbq.Queue(b, func(q *dbq.Queries) {
			q.SeenDevices(ctx, dbq.SeenDevicesParams{CampaignID: id, DeviceHashes: devices})
		}).Query(dbq.Into(&c.seen, pgx.RowTo[[]byte]))
	}
	var since time.Time
	var hashes [][]byte
	for _, p := range c.members {
		if t := p.env.ConcentratedSince; !t.IsZero() && p.env.IPHash != nil {
			hashes = append(hashes, p.env.IPHash)
			if since.IsZero() || t.Before(since) {
				since = t
			}
		}
	}
	if hashes != nil {
		dbq.Queue(b, func(q *dbq.Queries) {
			q.SourceResponses(ctx, dbq.SourceResponsesParams{CampaignID: id, IpHashes: hashes, Since: since})
		}).Query(dbq.Into(&c.concentrated, pgx.RowToStructByPos[dbq.SourceResponsesRow]))
	}
	c.sources = groupSources(c.members)
	c.traces.queue(ctx, b, id, c.sources, &c.read)
}

// concentratedBefore is the stored responses that a concentrated source
// among the members sent since its budget was passed: flagged with it.
func (c *lockedCampaign) concentratedBefore() []Trace {
	var out []Trace
	for _, r := range c.concentrated {
		for _, p := range c.members {
			if t := p.env.ConcentratedSince; !t.IsZero() && bytes.Equal(p.env.IPHash, r.IpHash) && !r.SubmittedAt.Before(t) {
				out = append(out, Trace{ID: r.ID, Receipt: r.Receipt})
				break
			}
		}
	}
	return out
}

// recent is the responses from the members' links and schools that a
// burst among them may include.
func (c *lockedCampaign) recent() []Trace {
	oldest := c.members[0].now
	for _, p := range c.members {
		if p.now.Before(oldest) {
			oldest = p.now
		}
	}
	return c.traces.merge(c.sources, c.read, oldest.Add(-BurstWindow))
}

// admit decides on the fresh submissions to a campaign: refused when the
// campaign is not taking answers, admitted or over quota, flagged, and
// logged when admitted. It queues in b the flags that a burst adds to
// stored responses, and in kept the responses with their leaves, the
// cells' counts, the answer tallies, and the log's new size, root, right
// edge and signed checkpoint. An error (a damaged log) fails the group.
func (c *lockedCampaign) admit(ctx context.Context, b, kept *pgx.Batch, fresh []*pending, key *LogKey) error {
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
		return nil
	}
	c.traces.mu.Lock()
	slow := c.traces.fills.slowAfter()
	for _, p := range open {
		c.traces.fills.add(p.env.FillTime)
	}
	c.traces.mu.Unlock()
	retro := flagGroup(cp, open, c.seen, c.recent())
	concentrated := c.concentratedBefore()
	// Members from a source found concentrated later in the group go with
	// it (nothing to do in the usual group, where no source is).
	for _, q := range open {
		if t := q.env.ConcentratedSince; !t.IsZero() && q.env.IPHash != nil {
			for _, p := range open {
				if bytes.Equal(p.env.IPHash, q.env.IPHash) && !p.now.Before(t) {
					p.flags = appendFlag(p.flags, FlagConcentration)
				}
			}
		}
	}
	for flag, traces := range map[Flag][]Trace{FlagBurst: retro, FlagConcentration: concentrated} {
		if len(traces) == 0 {
			continue
		}
		ids := make([]int64, len(traces))
		for i, t := range traces {
			ids[i] = t.ID
		}
		dbq.Queue(b, func(q *dbq.Queries) {
			q.AddFlag(ctx, dbq.AddFlagParams{CampaignID: cp.ID, Flag: string(flag), Ids: ids})
		})
	}
	for _, p := range open {
		if slow > 0 && p.env.FillTime > slow {
			p.flags = appendFlag(p.flags, FlagSlow)
		}
	}
	// A place for each member that arrived unflagged; a flagged one is
	// held: logged, counted nowhere, no place until a reviewer admits it.
	var wants []sampling.Place
	var wanting []int
	for i, p := range open {
		if len(p.flags) == 0 {
			wants = append(wants, sampling.Place{Category: p.sub.Category, Locale: p.sub.Locale})
			wanting = append(wanting, i)
		}
	}
	admitted := make([]bool, len(open))
	for j, got := range c.cells.Grant(kept, wants, cp.Policy) {
		admitted[wanting[j]] = got
	}

	// The log: each admitted or held response, in arrival order, is the
	// next leaf.
	size := cp.LogSize
	arg := dbq.StoreResponsesParams{CampaignID: cp.ID}
	counted := tallies{}        // the admitted answers, for the report's tallies
	people := respondentSums{}  // and the admitted respondents, for its intervals
	arrived := responseCounts{} // every response stored, for progress and the hourly chart
	sources := sourceCounts{}   // and for the schools', the links' and the review queue's counts
	var held []string           // receipts
	for i, p := range open {
		status := OverQuota
		switch {
		case len(p.flags) > 0:
			status = Held
			held = append(held, p.receipt)
		case admitted[i]:
			status = Admitted
		}
		p.out = Receipt{Code: p.receipt, Status: status}
		arrived.add(p.now, status, p.sub.Category, p.sub.Locale, p.sub.GradeBand, 1)
		sources.add(p.env.LinkID, p.school, status, len(p.flags) > 0, false, 1, p.now)
		if admitted[i] {
			counted.add(p.sub.Answers, p.sub.Category, p.sub.Locale, p.school, 1)
			people.add(p.whole, p.byArea, p.sub.Category, p.sub.Locale, p.school, 1)
		}
		if status != OverQuota {
			p.out.Pos, p.out.Hash = size+1, HashPrefix(p.leaf)
			arg.LoggedSubmissionIds = append(arg.LoggedSubmissionIds, p.env.SubmissionID)
			arg.LeafIndexes = append(arg.LeafIndexes, size)
			arg.LeafHashes = append(arg.LeafHashes, p.leaf)
			size++
		}
		flags := make([]string, len(p.flags))
		for j, f := range p.flags {
			flags[j] = string(f)
		}
		arg.AnswerLists = append(arg.AnswerLists, p.answers)
		arg.QuestionnaireIds = append(arg.QuestionnaireIds, p.env.FormID)
		arg.LinkIds = append(arg.LinkIds, p.env.LinkID)
		arg.SubmissionIds = append(arg.SubmissionIds, p.env.SubmissionID)
		arg.Receipts = append(arg.Receipts, p.out.Code)
		arg.Categories = append(arg.Categories, string(p.sub.Category))
		arg.Locales = append(arg.Locales, string(p.sub.Locale))
		arg.GradeBands = append(arg.GradeBands, string(p.sub.GradeBand))
		arg.SchoolIds = append(arg.SchoolIds, p.school)
		arg.Statuses = append(arg.Statuses, string(status))
		arg.Suggestions = append(arg.Suggestions, p.sub.Suggestion)
		arg.IpHashes = append(arg.IpHashes, p.env.IPHash)
		arg.UaFamilies = append(arg.UaFamilies, p.env.UAFamily)
		arg.FillMs = append(arg.FillMs, p.fill)
		arg.SubmittedAts = append(arg.SubmittedAts, p.now)
		arg.DeviceHashes = append(arg.DeviceHashes, p.env.DeviceHash)
		arg.AnswerSigs = append(arg.AnswerSigs, p.env.Signature)
		arg.FlagLists = append(arg.FlagLists, strings.Join(flags, ","))
		arg.WechatHashes = append(arg.WechatHashes, p.env.WeChatHash)
		arg.Identities = append(arg.Identities, string(p.env.Identity()))
	}
	dbq.Queue(kept, func(q *dbq.Queries) { q.StoreResponses(ctx, arg) })
	counts, bySource := arrived.params(cp.ID), sources.params(cp.ID)
	dbq.Queue(kept, func(q *dbq.Queries) { q.AddResponseCounts(ctx, counts) })
	dbq.Queue(kept, func(q *dbq.Queries) { q.AddSourceCounts(ctx, bySource) })
	if len(counted) > 0 {
		add := counted.params(cp.ID)
		dbq.Queue(kept, func(q *dbq.Queries) { q.AddTallies(ctx, add) })
		sums := people.params(cp.ID)
		dbq.Queue(kept, func(q *dbq.Queries) { q.AddRespondentSums(ctx, sums) })
	}
	// The flags this group raised on what the log holds or is about to:
	// the admitted members' and a burst's on stored responses. They are
	// the leaf after the members'.
	leaves := arg.LeafHashes
	raised := map[string][]Flag{}
	for _, p := range open {
		if len(p.flags) > 0 { // held, and logged
			raised[p.receipt] = p.flags
		}
	}
	for _, t := range retro {
		raised[t.Receipt] = append(raised[t.Receipt], FlagBurst)
	}
	for _, t := range concentrated {
		raised[t.Receipt] = append(raised[t.Receipt], FlagConcentration)
	}
	if len(raised) > 0 {
		e := newEntry(cp.ID, EntryFlags, "system", open[len(open)-1].now)
		e.Flags, e.Held = flagPairs(raised), held
		slices.Sort(e.Held)
		body := e.Canonical()
		leaf := LeafHash(body)
		entry := dbq.InsertEntryParams{CampaignID: cp.ID, Idx: size, Kind: &e.Kind, Body: body, Hash: leaf}
		dbq.Queue(kept, func(q *dbq.Queries) { q.InsertEntry(ctx, entry) })
		leaves = append(slices.Clip(leaves), leaf)
	}
	if len(leaves) == 0 {
		return nil
	}
	adv, err := key.advance(cp, leaves)
	if err != nil {
		return err
	}
	for _, p := range open {
		if p.out.Pos > 0 {
			p.out.TreeSize, p.out.Root = adv.Size, hex.EncodeToString(adv.Root)
		}
	}
	adv.queue(ctx, kept)
	return nil
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
func flagGroup(c Campaign, group []*pending, seen [][]byte, recent []Trace) []Trace {
	minFill := time.Duration(c.MinFillSeconds) * time.Second
	for _, p := range group {
		p.flags = Assess(p.env.Signature, p.env.FillTime, minFill)
		if p.env.NoDevice {
			p.flags = append(p.flags, FlagNoDevice)
		}
		// A device seen before in this campaign, or earlier in the group.
		repeat := false
		if p.env.DeviceHash != nil {
			if slices.ContainsFunc(seen, func(d []byte) bool { return bytes.Equal(d, p.env.DeviceHash) }) {
				p.flags = append(p.flags, FlagDevice)
				repeat = true
			}
			seen = append(seen, p.env.DeviceHash)
		}
		if ConcentratedSource(p.env.FromAddress, p.env.NoDevice || repeat, !p.env.ConcentratedSince.IsZero()) {
			p.flags = append(p.flags, FlagConcentration)
		}
	}
	// Bursts: each member against recent stored responses and the members
	// before it.
	traces := newBurstIndex(recent)
	member := map[int]*pending{} // index in traces → group member
	retro := map[int64]Trace{}
	for _, p := range group {
		t := Trace{LinkID: p.env.LinkID, Sig: p.env.Signature, At: p.now}
		if p.sub.School != nil {
			t.SchoolID = p.sub.School.ID
		}
		if like := traces.burst(t); like != nil {
			p.flags = appendFlag(p.flags, FlagBurst)
			for _, i := range like {
				if m, ok := member[i]; ok {
					m.flags = appendFlag(m.flags, FlagBurst)
				} else {
					retro[traces.traces[i].ID] = traces.traces[i]
				}
			}
		}
		member[len(traces.traces)] = p
		traces.add(t)
	}
	out := slices.Collect(maps.Values(retro))
	slices.SortFunc(out, func(a, b Trace) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

func appendFlag(flags []Flag, f Flag) []Flag {
	if slices.Contains(flags, f) {
		return flags
	}
	return append(flags, f)
}

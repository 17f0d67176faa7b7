package assessment

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"renke/county"
	"renke/dbq"
	"renke/evaluation"
	"renke/refusal"
	"renke/survey"
)

// Stage is where a submitted round stands in the region's review (seed
// 000: "申报市级复核", "根据市级复核意见，及时制定整改方案").
type Stage string

const (
	Signed      Stage = "signed"       // 已签发: signed off by the unit's head
	Submitted   Stage = "submitted"    // 已报送
	UnderReview Stage = "under_review" // 复核中: a reviewer has given an opinion
	Returned    Stage = "returned"     // 退回整改: with opinions; a resubmission is a new round
	Accepted    Stage = "accepted"     // 复核通过
)

// Name is the stage in Chinese.
func (s Stage) Name() string {
	return map[Stage]string{Signed: "已签发，待报送", Submitted: "已报送，待复核", UnderReview: "复核中",
		Returned: "退回整改", Accepted: "复核通过"}[s]
}

// Opinion is a reviewer's view of one indicator of a submission.
type Opinion string

const (
	Agree         Opinion = "agree"          // 同意
	Disagree      Opinion = "disagree"       // 不同意, with a reason
	NeedsEvidence Opinion = "needs_evidence" // 需补充佐证材料, with what
)

// Opinions lists the opinions a reviewer may give.
var Opinions = []Opinion{Agree, Disagree, NeedsEvidence}

// Name is the opinion in Chinese.
func (o Opinion) Name() string {
	return map[Opinion]string{Agree: "同意", Disagree: "不同意", NeedsEvidence: "需补充佐证材料"}[o]
}

// ReviewKey is the problem key of a reviewer's opinion on an indicator:
// a problem of the ledger like any other, struck off by a decision with
// evidence, or when a later submission is accepted.
func ReviewKey(indicator string) string { return "复核/" + indicator }

// IndicatorOpinion is one indicator's opinion in a submission.
type IndicatorOpinion struct {
	Indicator string    `json:"indicator"`
	Opinion   Opinion   `json:"opinion"`
	Reason    string    `json:"reason"`
	By        string    `json:"by"`
	At        time.Time `json:"at"`
}

// Submission is a round signed off and submitted for review.
type Submission struct {
	ID          int64              `json:"id"`
	Round       int                `json:"round"`
	Stage       Stage              `json:"stage"`
	SignedBy    string             `json:"signed_by"`
	SignedAt    time.Time          `json:"signed_at"`
	SubmittedBy *string            `json:"submitted_by,omitempty"`
	SubmittedAt *time.Time         `json:"submitted_at,omitempty"`
	DecidedBy   *string            `json:"decided_by,omitempty"`
	DecidedAt   *time.Time         `json:"decided_at,omitempty"`
	Conclusion  string             `json:"conclusion,omitempty"`
	Opinions    []IndicatorOpinion `json:"opinions"`
	// Manifest is the hex SHA-256 of the package's signed manifest, and
	// LogCampaign and LogPos the sample-log leaf recording it.
	Manifest    string `json:"manifest,omitempty"`
	LogCampaign *int64 `json:"log_campaign,omitempty"`
	LogPos      *int64 `json:"log_pos,omitempty"`
}

// Submissions lists the unit's submissions, oldest first, with opinions.
func (s *Store) Submissions(ctx context.Context, unitID int64) ([]Submission, error) {
	rows, err := s.q.ListSubmissions(ctx, unitID)
	if err != nil {
		return nil, err
	}
	ops, err := s.q.ListOpinions(ctx, unitID)
	if err != nil {
		return nil, err
	}
	out := make([]Submission, len(rows))
	for i, x := range rows {
		out[i] = Submission{ID: x.ID, Round: int(x.RoundNo), Stage: Stage(x.Status), SignedBy: x.SignedBy, SignedAt: x.SignedAt,
			SubmittedBy: x.SubmittedBy, SubmittedAt: x.SubmittedAt, DecidedBy: x.DecidedBy, DecidedAt: x.DecidedAt,
			Conclusion: x.Conclusion, Opinions: []IndicatorOpinion{}, LogCampaign: x.LogCampaign, LogPos: x.LogPos}
		if x.Manifest != nil {
			out[i].Manifest = ManifestHash(*x.Manifest)
		}
		for _, o := range ops {
			if o.SubmissionID == x.ID {
				out[i].Opinions = append(out[i].Opinions, IndicatorOpinion{Indicator: o.Indicator, Opinion: Opinion(o.Opinion),
					Reason: o.Reason, By: o.ByName, At: o.At})
			}
		}
	}
	return out, nil
}

// SubmissionOf is the unit's submission of round no, if any.
func (s *Store) SubmissionOf(ctx context.Context, unitID int64, no int) (*Submission, error) {
	subs, err := s.Submissions(ctx, unitID)
	if err != nil {
		return nil, err
	}
	for i := range subs {
		if subs[i].Round == no {
			return &subs[i], nil
		}
	}
	return nil, nil
}

// move changes the stage of round no's submission under the unit's lock,
// after check approves the submissions as they stand (the round's own,
// nil when it has none).
func (s *Store) move(ctx context.Context, unitID int64, no int, by string,
	check func(q *dbq.Queries, own *dbq.LockSubmissionsRow, all []dbq.LockSubmissionsRow) error) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := dbq.New(tx)
		if _, err := q.LockUnitYear(ctx, unitID); err != nil {
			return notFound(err)
		}
		all, err := q.LockSubmissions(ctx, unitID)
		if err != nil {
			return err
		}
		var own *dbq.LockSubmissionsRow
		for i := range all {
			if int(all[i].RoundNo) == no {
				own = &all[i]
			}
		}
		return check(q, own, all)
	})
}

// SignOff is the unit's head signing off round no for submission: the
// unit's newest round, while no other submission of it waits for review.
func (s *Store) SignOff(ctx context.Context, unitID int64, no int, by string) error {
	r, err := s.Round(ctx, unitID, no)
	if err != nil {
		return err
	}
	rounds, err := s.Rounds(ctx, unitID)
	if err != nil {
		return err
	}
	if last := rounds[len(rounds)-1].No; last != no {
		return refusal.Invalidf("只能签发最新一轮（第 %d 轮）自查自评", last)
	}
	return s.move(ctx, unitID, no, by, func(q *dbq.Queries, own *dbq.LockSubmissionsRow, all []dbq.LockSubmissionsRow) error {
		if own != nil {
			return refusal.Conflictf("第 %d 轮已签发", no)
		}
		for _, x := range all {
			if st := Stage(x.Status); st == Signed || st == Submitted || st == UnderReview {
				return refusal.Conflictf("第 %d 轮的申报%s，复核结束前不能签发新的一轮", x.RoundNo, st.Name())
			}
		}
		_, err := q.InsertSubmission(ctx, dbq.InsertSubmissionParams{UnitID: unitID, RoundID: r.ID, SignedBy: by})
		return err
	})
}

// Submit sends a signed-off round to the region for review, with its
// package frozen: the documents docs makes of the round (the report, the
// form, the workbooks, as the server renders them) and every evidence
// file of the unit, listed with their SHA-256 in a manifest signed by the
// deployment's key, whose hash is appended to the linked survey's sample
// log (when the round has a survey that has started).
func (s *Store) Submit(ctx context.Context, u county.Unit, no int, by string, docs func(Round, *Submission) ([]PackFile, error)) error {
	r, err := s.Round(ctx, u.ID, no)
	if err != nil {
		return err
	}
	sub, err := s.SubmissionOf(ctx, u.ID, no)
	if err != nil {
		return err
	}
	if err := submittable(no, sub); err != nil {
		return err
	}
	made, err := docs(r, sub)
	if err != nil {
		return err
	}
	files, err := s.packageFiles(ctx, u.ID, made)
	if err != nil {
		return err
	}
	now := time.Now()
	header := packageHeader(u, r, sub, fmt.Sprintf("报送：%s %s", by, now.In(China).Format("2006-01-02 15:04:05")), s.surveys.LogKey().Name())
	text, err := Manifest(header, files, s.surveys.LogKey().SM2VerifierKey() != "")
	if err != nil {
		return err
	}
	signed, err := s.surveys.LogKey().SignNote(text)
	if err != nil {
		return err
	}
	var campaign, pos *int64
	if r.CampaignID != nil {
		p, err := s.surveys.RecordPackage(ctx, *r.CampaignID, survey.PackageRecord{Unit: u.Code, Round: no, Manifest: ManifestHash(signed)}, by)
		switch {
		case err == nil:
			campaign, pos = r.CampaignID, &p
		case !errors.Is(err, survey.ErrNotStarted) && !errors.Is(err, survey.ErrNotFound):
			return err
		}
	}
	return s.move(ctx, u.ID, no, by, func(q *dbq.Queries, own *dbq.LockSubmissionsRow, _ []dbq.LockSubmissionsRow) error {
		if own == nil {
			return submittable(no, nil)
		}
		if err := submittable(no, &Submission{Stage: Stage(own.Status)}); err != nil {
			return err
		}
		p := dbq.PutPackageFilesParams{SubmissionID: own.ID}
		for _, f := range files {
			if f.Load == nil { // a document made now: kept as a blob
				if err := q.PutEvidenceBlob(ctx, dbq.PutEvidenceBlobParams{Sha256: f.sum(), MediaType: "application/octet-stream",
					Size: int64(len(f.Data)), Content: f.Data}); err != nil {
					return err
				}
			}
			p.Paths = append(p.Paths, f.Path)
			p.Sums = append(p.Sums, f.sum())
		}
		if err := q.PutPackageFiles(ctx, p); err != nil {
			return err
		}
		if err := q.SetSubmissionPackage(ctx, dbq.SetSubmissionPackageParams{ID: own.ID, Manifest: signed, LogCampaign: campaign, LogPos: pos}); err != nil {
			return err
		}
		return q.SetSubmissionStatus(ctx, dbq.SetSubmissionStatusParams{ID: own.ID, Status: string(Submitted), ByName: by})
	})
}

// submittable says whether round no, with its submission, may be submitted.
func submittable(no int, sub *Submission) error {
	switch {
	case sub == nil:
		return refusal.Invalidf("第 %d 轮尚未由单位负责人签发，不能报送", no)
	case sub.Stage != Signed:
		return refusal.Conflictf("第 %d 轮的申报%s", no, sub.Stage.Name())
	}
	return nil
}

// packageHeader is the manifest's header of a round's package.
func packageHeader(u county.Unit, r Round, sub *Submission, state, key string) []string {
	h := []string{"单位：" + u.Code + " " + u.Name, fmt.Sprintf("轮次：第 %d 轮自查自评（%d 学年）", r.No, r.Year),
		"冻结：" + r.FrozenAt.In(China).Format("2006-01-02 15:04:05") + " " + r.FrozenBy}
	if sub != nil {
		h = append(h, "签发："+sub.SignedBy+" "+sub.SignedAt.In(China).Format("2006-01-02 15:04:05"))
	}
	return append(h, state, "签名：部署的日志密钥 "+key)
}

// packageFiles are the documents and every evidence file of the unit,
// the evidence read only when the package is written.
func (s *Store) packageFiles(ctx context.Context, unitID int64, docs []PackFile) ([]PackFile, error) {
	files := slices.Clone(docs)
	evs, err := s.Evidence(ctx, unitID)
	if err != nil {
		return nil, err
	}
	label := map[string]string{SubjectProblem: "问题", SubjectTask: "任务", SubjectNotApplicable: "不适用", SubjectFinding: "评定"}
	for _, e := range evs {
		sum, err := hex.DecodeString(e.SHA256)
		if err != nil {
			return nil, err
		}
		of := fmt.Sprintf("%s%d", label[e.Subject], e.SubjectID)
		if e.Subject == SubjectFinding {
			of = fmt.Sprintf("评定%d学年-%s", e.SubjectID, strings.ReplaceAll(e.SubjectKey, ":", "_"))
		}
		files = append(files, PackFile{Path: fmt.Sprintf("佐证材料/%s-%d-%s", of, e.ID, e.Name), Sum: sum, Load: s.blob(ctx, sum)})
	}
	return files, nil
}

// blob reads a kept file by its hash.
func (s *Store) blob(ctx context.Context, sum []byte) func() ([]byte, error) {
	return func() ([]byte, error) { return s.q.BlobContent(ctx, sum) }
}

// WritePackage writes round no's package: as frozen at its submission,
// or, before it, a draft made now (marked 草稿, signed, recorded nowhere)
// of the documents docs makes and the evidence as it stands.
func (s *Store) WritePackage(ctx context.Context, u county.Unit, no int, w io.Writer, docs func(Round, *Submission) ([]PackFile, error)) error {
	r, err := s.Round(ctx, u.ID, no)
	if err != nil {
		return err
	}
	rows, err := s.q.ListSubmissions(ctx, u.ID)
	if err != nil {
		return err
	}
	for _, x := range rows {
		if int(x.RoundNo) != no || x.Manifest == nil {
			continue
		}
		stored, err := s.q.ListPackageFiles(ctx, x.ID)
		if err != nil {
			return err
		}
		files := make([]PackFile, len(stored))
		for i, f := range stored {
			files[i] = PackFile{Path: f.Path, Sum: f.Sha256, Load: s.blob(ctx, f.Sha256)}
		}
		return Pack(w, *x.Manifest, files, *x.SubmittedAt)
	}
	sub, err := s.SubmissionOf(ctx, u.ID, no)
	if err != nil {
		return err
	}
	d, err := docs(r, sub)
	if err != nil {
		return err
	}
	files, err := s.packageFiles(ctx, u.ID, d)
	if err != nil {
		return err
	}
	now := time.Now()
	text, err := Manifest(packageHeader(u, r, sub, "状态：草稿，未报送（"+now.In(China).Format("2006-01-02 15:04:05")+"）", s.surveys.LogKey().Name()), files,
		s.surveys.LogKey().SM2VerifierKey() != "")
	if err != nil {
		return err
	}
	signed, err := s.surveys.LogKey().SignNote(text)
	if err != nil {
		return err
	}
	return Pack(w, signed, files, now)
}

// Review records a reviewer's opinion on an indicator of a submitted
// round: 同意, or 不同意 / 需补充佐证材料 with the reason.
func (s *Store) Review(ctx context.Context, unitID int64, no int, indicator string, op Opinion, reason, by string) error {
	reason = strings.TrimSpace(reason)
	switch n := len([]rune(reason)); {
	case !slices.Contains(Opinions, op):
		return refusal.Invalidf("意见应为同意、不同意或需补充佐证材料")
	case op != Agree && n == 0:
		return refusal.Invalidf("%s须写明理由", op.Name())
	case n > MaxNote:
		return refusal.Invalidf("理由不超过 %d 字", MaxNote)
	}
	r, err := s.Round(ctx, unitID, no)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(r.Result.Indicators, func(ir evaluation.IndicatorResult) bool { return ir.No == indicator }) {
		return refusal.Invalidf("第 %d 轮的评估中没有指标 %s", no, indicator)
	}
	return s.move(ctx, unitID, no, by, func(q *dbq.Queries, own *dbq.LockSubmissionsRow, _ []dbq.LockSubmissionsRow) error {
		if own == nil || (Stage(own.Status) != Submitted && Stage(own.Status) != UnderReview) {
			return refusal.Conflictf("第 %d 轮尚未报送或复核已结束，不能记录意见", no)
		}
		if err := q.PutOpinion(ctx, dbq.PutOpinionParams{SubmissionID: own.ID, Indicator: indicator, Opinion: string(op), Reason: reason, ByName: by}); err != nil {
			return err
		}
		return q.SetSubmissionStatus(ctx, dbq.SetSubmissionStatusParams{ID: own.ID, Status: string(UnderReview), ByName: by})
	})
}

// Conclude ends the review of a submitted round: returned with its
// opinions, each 不同意 or 需补充佐证材料 becoming a problem of the unit's
// ledger (judged: struck off on evidence); or accepted, which needs no
// standing 不同意, and strikes off the problems of earlier reviews.
func (s *Store) Conclude(ctx context.Context, unitID int64, no int, outcome Stage, conclusion, by string) error {
	conclusion = strings.TrimSpace(conclusion)
	switch {
	case outcome != Returned && outcome != Accepted:
		return refusal.Invalidf("复核结论应为退回整改或复核通过")
	case conclusion == "":
		return refusal.Invalidf("请填写复核结论")
	case len([]rune(conclusion)) > 2000:
		return refusal.Invalidf("复核结论不超过 2000 字")
	}
	return s.move(ctx, unitID, no, by, func(q *dbq.Queries, own *dbq.LockSubmissionsRow, _ []dbq.LockSubmissionsRow) error {
		if own == nil || (Stage(own.Status) != Submitted && Stage(own.Status) != UnderReview) {
			return refusal.Conflictf("第 %d 轮尚未报送或复核已结束", no)
		}
		ops, err := q.ListOpinions(ctx, unitID)
		if err != nil {
			return err
		}
		ev := events{unit: unitID, round: own.RoundID, by: by}
		var against []dbq.ReviewOpinion
		for _, o := range ops {
			if o.SubmissionID == own.ID && Opinion(o.Opinion) != Agree {
				against = append(against, o)
			}
		}
		switch outcome {
		case Accepted:
			if len(against) > 0 {
				return refusal.Invalidf("尚有 %d 个指标的意见为不同意或需补充佐证材料，不能复核通过：请改为同意或退回整改", len(against))
			}
			ids, err := q.StrikeReviewProblems(ctx, dbq.StrikeReviewProblemsParams{UnitID: unitID, StruckBy: by,
				Reason: fmt.Sprintf("第 %d 轮申报复核通过", no)})
			if err != nil {
				return err
			}
			for _, id := range ids {
				ev.problem(id, EventDecided, fmt.Sprintf("第 %d 轮申报复核通过", no))
			}
		case Returned:
			for _, o := range against {
				id, err := q.InsertReviewProblem(ctx, dbq.InsertReviewProblemParams{UnitID: unitID, Key: ReviewKey(o.Indicator),
					Indicator: o.Indicator, Title: fmt.Sprintf("市级复核意见（%s）：%s", Opinion(o.Opinion).Name(), o.Reason), RoundID: own.RoundID})
				if err != nil {
					return err
				}
				ev.problem(id, EventOpened, fmt.Sprintf("第 %d 轮申报退回整改：指标 %s %s", no, o.Indicator, Opinion(o.Opinion).Name()))
			}
		}
		if err := q.SetSubmissionStatus(ctx, dbq.SetSubmissionStatusParams{ID: own.ID, Status: string(outcome), ByName: by, Conclusion: conclusion}); err != nil {
			return err
		}
		if err := s.settleTasks(ctx, q, unitID, &ev); err != nil {
			return err
		}
		return ev.write(ctx, q)
	})
}

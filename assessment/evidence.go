package assessment

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	_ "image/jpeg" // decoders that check an image is whole
	_ "image/png"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"renke/dbq"
	"renke/refusal"
	"renke/statistics"
)

// What evidence is attached to.
const (
	SubjectProblem       = "problem"
	SubjectTask          = "task"
	SubjectNotApplicable = "not_applicable" // a declaration of 不适用 (statistics)
	SubjectFinding       = "finding"        // a judgement, scored item or veto of a year (FindingKey)
)

// FindingKey names a finding evidence backs: "j:" and a judgement's key,
// "s:" and a scored item's number, "v:" and a veto item's key.
func FindingKey(kind byte, key string) string { return string(kind) + ":" + key }

// Defaults of the evidence limits: 20 MB a file, 2 GB a unit.
const (
	DefaultMaxFile = 20 << 20
	DefaultQuota   = 2 << 30
)

// Evidence is one file (佐证材料) attached to a problem or a task.
type Evidence struct {
	ID         int64     `json:"id"`
	SHA256     string    `json:"sha256"`
	Name       string    `json:"name"`
	Subject    string    `json:"subject"`
	SubjectID  int64     `json:"subject_id"`            // the year, for a finding
	SubjectKey string    `json:"subject_key,omitempty"` // the finding (FindingKey)
	MediaType  string    `json:"media_type"`
	Size       int64     `json:"size"`
	UploadedBy string    `json:"uploaded_by"`
	UploadedAt time.Time `json:"uploaded_at"`
}

// Image reports whether the file is a picture shown as a thumbnail (PNG
// or JPEG; never an SVG, which may hold a script).
func (e Evidence) Image() bool { return e.MediaType == "image/png" || e.MediaType == "image/jpeg" }

// kinds are the files evidence may be: what they start with, their
// extensions, and the type they are served as.
var kinds = []struct {
	name  string
	magic []byte
	exts  []string
	media string
}{
	{"PDF", []byte("%PDF-"), []string{".pdf"}, "application/pdf"},
	{"PNG", []byte("\x89PNG\r\n\x1a\n"), []string{".png"}, "image/png"},
	{"JPEG", []byte("\xff\xd8\xff"), []string{".jpg", ".jpeg"}, "image/jpeg"},
	{"OOXML", []byte("PK\x03\x04"), []string{".docx", ".xlsx", ".pptx", ".wps", ".et", ".dps"}, ""},
	{"OLE", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), []string{".doc", ".xls", ".ppt", ".wps", ".et", ".dps"}, "application/octet-stream"},
	{"OFD", []byte("PK\x03\x04"), []string{".ofd"}, "application/ofd"},
}

// Sniff decides what an uploaded file is from its bytes and its name's
// extension: PDF, PNG or JPEG pictures, Word, Excel and PowerPoint files
// (.docx, .xlsx, .pptx, .doc, .xls, .ppt) and WPS's (.wps, .et, .dps), and
// OFD. Anything else (a web page, an SVG, a program) is refused, and so is
// a file whose bytes are not what its name says or that is broken.
func Sniff(name string, data []byte) (media string, err error) {
	ext := strings.ToLower(path.Ext(name))
	for _, k := range kinds {
		extOK := false
		for _, e := range k.exts {
			extOK = extOK || e == ext
		}
		if !extOK || !bytes.HasPrefix(data, k.magic) {
			continue
		}
		switch k.name {
		case "PNG", "JPEG":
			if _, _, err := image.DecodeConfig(bytes.NewReader(data)); err != nil {
				return "", refusal.Invalidf("图片“%s”已损坏，无法读取", name)
			}
		case "PDF":
			if !bytes.Contains(data[max(0, len(data)-2048):], []byte("%%EOF")) {
				return "", refusal.Invalidf("PDF 文件“%s”不完整（缺少文件结尾），请重新导出后上传", name)
			}
		case "OOXML", "OFD":
			zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				return "", refusal.Invalidf("文件“%s”已损坏，无法读取", name)
			}
			want := "[Content_Types].xml"
			if k.name == "OFD" {
				want = "OFD.xml"
			}
			found := false
			for _, f := range zr.File {
				found = found || f.Name == want
			}
			if !found {
				return "", refusal.Invalidf("文件“%s”不是有效的 %s 文件", name, strings.TrimPrefix(ext, "."))
			}
			return officeType(ext), nil
		}
		return k.media, nil
	}
	if page, ok := webPage(ext, data); ok {
		return page, nil
	}
	return "", refusal.Invalidf("不支持文件“%s”的类型：佐证材料可为 PDF、JPG、PNG 图片，Word、Excel、WPS 文件、OFD，或保存的网页（HTML、SVG），且扩展名须与内容一致", name)
}

// webPage accepts a saved web page or an SVG drawing (text that starts
// as one): kept as evidence like any file, but served only as a
// download, as bytes (Downloadable), so nothing in it ever runs.
func webPage(ext string, data []byte) (string, bool) {
	if !utf8.Valid(data) {
		return "", false
	}
	head := strings.ToLower(strings.TrimSpace(string(data[:min(len(data), 1024)])))
	head = strings.TrimPrefix(head, "\ufeff")
	switch ext {
	case ".html", ".htm":
		return "text/html", strings.HasPrefix(head, "<")
	case ".svg":
		return "image/svg+xml", strings.HasPrefix(head, "<?xml") || strings.HasPrefix(head, "<svg") || strings.HasPrefix(head, "<!--")
	}
	return "", false
}

// Downloadable is the type a file is served as: its own for the kinds
// that never run anything (PDF, pictures, office files), plain bytes for
// a web page or an SVG, which a browser would otherwise render and run.
func (e Evidence) Downloadable() string {
	switch e.MediaType {
	case "text/html", "image/svg+xml":
		return "application/octet-stream"
	}
	return e.MediaType
}

func officeType(ext string) string {
	switch ext {
	case ".docx":
		return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	case ".xlsx":
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case ".pptx":
		return "application/vnd.openxmlformats-officedocument.presentationml.presentation"
	case ".ofd":
		return "application/ofd"
	}
	return "application/octet-stream"
}

// cleanName is a file name fit to list and to offer back as a download.
func cleanName(name string) (string, error) {
	name = path.Base(strings.ReplaceAll(strings.TrimSpace(name), "\\", "/"))
	if !utf8.ValidString(name) || strings.ContainsFunc(name, unicode.IsControl) || name == "." || name == "/" || name == "" {
		return "", refusal.Invalidf("文件名无效，请改名后上传")
	}
	if r := []rune(name); len(r) > 120 {
		name = string(r[:60]) + "…" + string(r[len(r)-40:])
	}
	return name, nil
}

// FitsSize refuses a file over MaxFile, naming its size and the limit:
// what an upload of that size is told before it is read.
func (s *Store) FitsSize(name string, size int64) error {
	if size > s.MaxFile {
		return refusal.Invalidf("文件“%s”有 %.1f MB，超过每个文件 %d MB 的上限", name, float64(size)/(1<<20), s.MaxFile>>20)
	}
	return nil
}

// Attach keeps a file as evidence of a problem or task of the unit: at
// most MaxFile, within the unit's Quota, of a kind Sniff accepts. A file
// is stored once by its SHA-256, never changed; attaching it again is a
// new line naming the same bytes.
func (s *Store) Attach(ctx context.Context, unitID int64, subject string, subjectID int64, name string, data []byte, by string) (Evidence, error) {
	if subject == SubjectFinding {
		return Evidence{}, ErrNotFound // AttachFinding checks the finding first
	}
	return s.attach(ctx, unitID, subject, subjectID, "", name, data, by)
}

// AttachFinding keeps a file as evidence of a finding of run's year: a
// judgement ("j:" key), a scored item ("s:" number) or a veto item ("v:"
// key) of its profile — the 台账, plans and records a reviewer inspects
// (seed 004: "留守儿童管理台帐清楚明确", "有教师培训活动记录").
func (s *Store) AttachFinding(ctx context.Context, run *statistics.Run, key, name string, data []byte, by string) (Evidence, error) {
	known := false
	for _, j := range run.Profile.Judgements() {
		known = known || key == FindingKey('j', j.Key)
	}
	for _, it := range run.Profile.ScoredItems() {
		known = known || key == FindingKey('s', it.No)
	}
	for _, v := range run.Profile.Vetoes {
		known = known || key == FindingKey('v', v.Key)
	}
	if !known {
		return Evidence{}, refusal.Invalidf("评估标准中没有“%s”这一评定项", key)
	}
	return s.attach(ctx, run.Unit.ID, SubjectFinding, int64(run.Year), key, name, data, by)
}

func (s *Store) attach(ctx context.Context, unitID int64, subject string, subjectID int64, key, name string, data []byte, by string) (Evidence, error) {
	if err := s.FitsSize(name, int64(len(data))); err != nil {
		return Evidence{}, err
	}
	if len(data) == 0 {
		return Evidence{}, refusal.Invalidf("文件“%s”是空的", name)
	}
	name, err := cleanName(name)
	if err != nil {
		return Evidence{}, err
	}
	media, err := Sniff(name, data)
	if err != nil {
		return Evidence{}, err
	}
	sum := sha256.Sum256(data)
	e := Evidence{SHA256: hex.EncodeToString(sum[:]), Name: name, Subject: subject, SubjectID: subjectID, SubjectKey: key, MediaType: media,
		Size: int64(len(data)), UploadedBy: by}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := dbq.New(tx)
		switch subject {
		case SubjectProblem:
			if _, err := q.LockProblem(ctx, dbq.LockProblemParams{UnitID: unitID, ID: subjectID}); err != nil {
				return notFound(err)
			}
		case SubjectTask:
			ts, err := q.LockTasks(ctx, unitID)
			if err != nil {
				return err
			}
			found := false
			for _, t := range ts {
				found = found || t.ID == subjectID
			}
			if !found {
				return ErrNotFound
			}
		case SubjectNotApplicable:
			if _, err := q.NotApplicableOf(ctx, dbq.NotApplicableOfParams{UnitID: unitID, ID: subjectID}); err != nil {
				return notFound(err)
			}
		case SubjectFinding:
			if _, err := q.LockUnitYear(ctx, unitID); err != nil { // one unit's quota at a time
				return notFound(err)
			}
		default:
			return ErrNotFound
		}
		used, err := q.EvidenceUsage(ctx, unitID)
		if err != nil {
			return err
		}
		if used+e.Size > s.Quota {
			return refusal.Invalidf("本单位的佐证材料已用 %d MB，加上此文件将超过 %d MB 的配额", used>>20, s.Quota>>20)
		}
		if err := q.PutEvidenceBlob(ctx, dbq.PutEvidenceBlobParams{Sha256: sum[:], MediaType: media, Size: e.Size, Content: data}); err != nil {
			return err
		}
		row, err := q.InsertEvidence(ctx, dbq.InsertEvidenceParams{UnitID: unitID, Sha256: sum[:], Name: name, Subject: subject,
			SubjectID: subjectID, SubjectKey: key, UploadedBy: by})
		if err != nil {
			return err
		}
		e.ID, e.UploadedAt = row.ID, row.UploadedAt
		ev := events{unit: unitID, by: by}
		line := fmt.Sprintf("%s（SHA-256 %s）", name, e.SHA256[:16])
		switch subject {
		case SubjectProblem:
			ev.problem(subjectID, EventEvidence, line)
		case SubjectTask:
			ev.task(subjectID, EventEvidence, line)
		}
		return ev.write(ctx, q)
	})
	return e, err
}

// Evidence lists the unit's evidence files, oldest first.
func (s *Store) Evidence(ctx context.Context, unitID int64) ([]Evidence, error) {
	rows, err := s.q.ListEvidence(ctx, unitID)
	out := make([]Evidence, len(rows))
	for i, x := range rows {
		out[i] = Evidence{ID: x.ID, SHA256: hex.EncodeToString(x.Sha256), Name: x.Name, Subject: x.Subject, SubjectID: x.SubjectID,
			SubjectKey: x.SubjectKey, MediaType: x.MediaType, Size: x.Size, UploadedBy: x.UploadedBy, UploadedAt: x.UploadedAt}
	}
	return out, err
}

// File is one evidence file of the unit with its bytes.
func (s *Store) File(ctx context.Context, unitID, id int64) (Evidence, []byte, error) {
	x, err := s.q.GetEvidenceFile(ctx, dbq.GetEvidenceFileParams{UnitID: unitID, ID: id})
	if err != nil {
		return Evidence{}, nil, notFound(err)
	}
	return Evidence{ID: x.ID, Name: x.Name, MediaType: x.MediaType, Size: x.Size, SHA256: hex.EncodeToString(x.Sha256)}, x.Content, nil
}

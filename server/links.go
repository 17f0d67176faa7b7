package server

import (
	"archive/zip"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	qrcode "github.com/skip2/go-qrcode"

	"renke/county"
	"renke/survey"
	"renke/workbook"
)

// Links of a campaign, their QR codes and posters:
// /console/campaigns/:campaign/links|posters|qr.zip and
// /api/v1/campaigns/:campaign/links.

type linkRow struct {
	survey.Link
	School   string
	Audience string
	URL      string
}

// withLinks adds the unit's schools and the campaign's links.
func (s *Server) withLinks(c echo.Context, v *campaignView) error {
	var err error
	v.Schools, v.Links, err = s.linkRows(c, v.Unit, v.Campaign, v.Forms)
	return err
}

// linkRows is a unit's schools and its campaign's links, each with its
// school's name (or the unit-wide name), audience and address.
func (s *Server) linkRows(c echo.Context, u county.Unit, cp survey.Campaign, forms []survey.Form) ([]county.School, []linkRow, error) {
	ctx := c.Request().Context()
	schools, err := s.units.Schools(ctx, u.ID)
	if err != nil {
		return nil, nil, err
	}
	links, err := s.surveys.Links(ctx, cp.ID)
	if err != nil {
		return nil, nil, err
	}
	names := map[int64]string{}
	for _, sc := range schools {
		names[sc.ID] = sc.Name
	}
	var rows []linkRow
	for _, l := range links {
		r := linkRow{Link: l, Audience: audience(forms, l), URL: s.formURL(c, l.Code), School: u.WideName()}
		if l.SchoolID != nil {
			r.School = names[*l.SchoolID]
		}
		rows = append(rows, r)
	}
	return schools, rows, nil
}

// posterOf is a link's poster.
func posterOf(u county.Unit, cp survey.Campaign, l linkRow) poster {
	school := l.School
	if l.SchoolID == nil {
		school = ""
	}
	return poster{UnitName: u.Name, SchoolName: school, Audience: l.Audience, Code: l.Code, URL: l.URL,
		Organiser: organiser(u, cp), Period: period(cp)}
}

// audience is the line on a poster that says who the link is for.
func audience(forms []survey.Form, link survey.Link) string {
	var names []string
	for _, cat := range survey.LinkCategories(forms, link) {
		names = append(names, cat.Name())
	}
	return "调查对象：" + strings.Join(names, "、")
}

// createLinks makes the links a campaign needs in bulk: for every school,
// and/or one county-wide, for each questionnaire chosen ("any" lets the
// respondent pick). Links that exist already are kept, not repeated.
func (s *Server) createLinks(c echo.Context) error {
	cp, err := s.campaign(c)
	if err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	var b survey.LinkBatch
	for _, raw := range form["kind"] {
		if raw == "any" {
			b.Kinds = append(b.Kinds, nil)
			continue
		}
		k := survey.Kind(raw)
		b.Kinds = append(b.Kinds, &k)
	}
	for _, raw := range form["scope"] {
		b.Schools = b.Schools || raw == "schools"
		b.UnitWide = b.UnitWide || raw == "county"
	}
	made, err := s.surveys.CreateLinks(c.Request().Context(), cp.ID, b)
	if err != nil {
		return s.campaignRefused(c, err)
	}
	return s.done(c, fmt.Sprintf("/console/campaigns/%d#links", cp.ID), fmt.Sprintf("新生成 %d 个链接", made))
}

type linkView struct {
	survey.Link
	URL    string `json:"url"`
	QR     string `json:"qr"`
	Poster string `json:"poster"`
}

func (s *Server) viewLink(c echo.Context, l survey.Link) linkView {
	u := s.formURL(c, l.Code)
	return linkView{Link: l, URL: u, QR: u + "/qr.png", Poster: u + "/poster"}
}

func (s *Server) listLinks(c echo.Context) error {
	cp, err := s.campaignProgress(c)
	if err != nil {
		return err
	}
	links, err := s.surveys.Links(c.Request().Context(), cp.ID)
	if err != nil {
		return err
	}
	out := make([]linkView, 0, len(links))
	for _, l := range links {
		out = append(out, s.viewLink(c, l))
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) createLink(c echo.Context) error {
	cp, err := s.campaign(c)
	if err != nil {
		return err
	}
	var in struct {
		SchoolID *int64       `json:"school_id"`
		Kind     *survey.Kind `json:"questionnaire"`
		Label    string       `json:"label"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	l, err := s.surveys.CreateLink(c.Request().Context(), survey.Link{CampaignID: cp.ID, SchoolID: in.SchoolID, Kind: in.Kind, Label: in.Label})
	if err != nil {
		return storeError(err)
	}
	return c.JSON(http.StatusCreated, s.viewLink(c, l))
}

// posters is the print sheet: one A4 poster per link.
func (s *Server) posters(c echo.Context) error {
	v, err := s.campaignView(c, "调查二维码海报")
	if err != nil {
		return err
	}
	if err := s.withLinks(c, v); err != nil {
		return err
	}
	p := posterPage{Title: v.Title, Sheet: true, Back: fmt.Sprintf("/console/campaigns/%d#links", v.Campaign.ID),
		Fingerprint: s.surveys.LogKey().Fingerprint()}
	for _, l := range v.Links {
		p.Posters = append(p.Posters, posterOf(v.Unit, v.Campaign, l))
	}
	return s.render(c, http.StatusOK, "poster.html", p)
}

// qrZip is every link's QR code as a PNG, named by school and
// questionnaire, with a CSV list of the links, in one ZIP.
func (s *Server) qrZip(c echo.Context) error {
	v, err := s.campaignView(c, "调查二维码")
	if err != nil {
		return err
	}
	if err := s.withLinks(c, v); err != nil {
		return err
	}
	return s.writeQRZip(c, v.Unit.Name+"-"+v.Campaign.Title+"-二维码.zip", []qrFolder{{Unit: v.Unit.Name, Links: v.Links}})
}

// qrFolder is the QR codes of one unit's links in a ZIP: in its own
// folder when Dir is not empty (a region's ZIP), else at the top.
type qrFolder struct {
	Dir, Unit string
	Links     []linkRow
}

// writeQRZip streams every link's QR code as a PNG, named by school and
// questionnaire (in its unit's folder), with a CSV list of the links.
func (s *Server) writeQRZip(c echo.Context, filename string, folders []qrFolder) error {
	download(c, filename)
	c.Response().Header().Set(echo.HeaderContentType, "application/zip")
	c.Response().WriteHeader(http.StatusOK)
	z := zip.NewWriter(c.Response())
	list, err := z.CreateHeader(zipHeader("链接清单.csv", s.now(), zip.Deflate))
	if err != nil {
		return err
	}
	w, err := workbook.NewCSV(list)
	if err != nil {
		return err
	}
	_ = w.Write([]string{"文件", "单位", "学校", "调查对象", "链接"})
	clean := strings.NewReplacer("/", "-", "\\", "-", ":", "-")
	type file struct {
		name string
		row  linkRow
	}
	var files []file
	for _, f := range folders {
		used := map[string]int{}
		for _, l := range f.Links {
			name := clean.Replace(l.School + "-" + kindName(l.Kind))
			used[name]++
			if used[name] > 1 {
				name += "-" + strconv.Itoa(used[name])
			}
			name += ".png"
			if f.Dir != "" {
				name = clean.Replace(f.Dir) + "/" + name
			}
			_ = w.Write([]string{name, f.Unit, l.School, strings.TrimPrefix(l.Audience, "调查对象："), l.URL})
			files = append(files, file{name, l})
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	for _, f := range files {
		png, err := qrcode.Encode(f.row.URL, qrcode.Medium, 1024)
		if err != nil {
			return err
		}
		out, err := z.CreateHeader(zipHeader(f.name, f.row.CreatedAt, zip.Store))
		if err != nil {
			return err
		}
		if _, err := out.Write(png); err != nil {
			return err
		}
	}
	return z.Close()
}

// zipHeader is a ZIP entry's header that common unzip tools read right: a
// Beijing modification time (ZIP times have no zone; without one they show
// 1980), and the Chinese name both flagged as UTF-8 and in an Info-ZIP
// Unicode Path field (0x7075), which older tools that ignore the flag read.
func zipHeader(name string, modified time.Time, method uint16) *zip.FileHeader {
	// The MS-DOS time fields take the wall clock of Modified's zone; the
	// extended timestamp, the instant.
	h := &zip.FileHeader{Name: name, Method: method, Modified: modified.In(survey.Beijing)}
	extra := []byte{0x75, 0x70, 0, 0, 1} // id 0x7075, size (below), version 1
	extra = binary.LittleEndian.AppendUint32(extra, crc32.ChecksumIEEE([]byte(name)))
	extra = append(extra, name...)
	binary.LittleEndian.PutUint16(extra[2:4], uint16(len(extra)-4))
	h.Extra = extra
	return h
}

// kindName names a link's questionnaire.
func kindName(k *survey.Kind) string {
	if k == nil {
		return "不限身份"
	}
	return k.Name()
}

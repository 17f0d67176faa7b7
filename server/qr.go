package server

// A link's QR code and printable poster, public: /s/:code/qr.png and
// /s/:code/poster.

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	qrcode "github.com/skip2/go-qrcode"

	"renke/county"
	"renke/survey"
)

func (s *Server) formURL(c echo.Context, code string) string {
	base := s.cfg.BaseURL
	if base == "" {
		base = c.Scheme() + "://" + c.Request().Host
	}
	return base + "/s/" + code
}

// qrCode is GET /s/:code/qr.png?size=N: the QR code of the form's address.
func (s *Server) qrCode(c echo.Context) error {
	size := 512
	if q := c.QueryParam("size"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil || n < 128 || n > 2048 {
			return echo.NewHTTPError(http.StatusBadRequest, "二维码尺寸 size 须为 128 至 2048 之间的整数（像素）。")
		}
		size = n
	}
	link, err := s.surveys.LinkByCode(c.Request().Context(), c.Param("code"))
	if errors.Is(err, survey.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound)
	} else if err != nil {
		return err
	}
	png, err := qrcode.Encode(s.formURL(c, link.Code), qrcode.Medium, size)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=86400")
	return c.Blob(http.StatusOK, "image/png", png)
}

type posterPage struct {
	Title   string
	Posters []poster
	Sheet   bool // a print sheet of many posters, with a toolbar
	Back    string
	// Fingerprint is the deployment's log key's: a respondent or reviewer
	// compares it with the one on the receipt check page and the dossier.
	Fingerprint string
}

type poster struct {
	UnitName, SchoolName, Audience, Code, URL string
	Organiser, Period                         string
}

// organiser is who runs a unit's survey, as its posters and pages say it:
// the region's bureau when a city or province set it up, else the unit's.
func organiser(u county.Unit, cp survey.Campaign) string {
	return "主办：" + county.Bureau(u, cp.Organiser)
}

// period is when a campaign takes answers, as the poster says it; "" when
// it has no dates.
func period(cp survey.Campaign) string {
	const day = "2006年1月2日"
	switch {
	case cp.OpensAt != nil && cp.ClosesAt != nil:
		return "调查时间：" + cp.OpensAt.In(survey.Beijing).Format(day) + "至" + cp.ClosesAt.In(survey.Beijing).Format(day)
	case cp.ClosesAt != nil:
		return "调查时间：即日起至" + cp.ClosesAt.In(survey.Beijing).Format(day)
	case cp.OpensAt != nil:
		return "调查时间：" + cp.OpensAt.In(survey.Beijing).Format(day) + "起"
	}
	return ""
}

// poster is GET /s/:code/poster: a printable A4 poster for the link.
func (s *Server) poster(c echo.Context) error {
	v, err := s.loadVisit(c.Request().Context(), c.Param("code"))
	if err != nil {
		return err
	}
	p := poster{UnitName: v.unit.Name, Code: v.link.Code, URL: s.formURL(c, v.link.Code), Audience: audience(v.forms, v.link),
		Organiser: organiser(v.unit, v.campaign), Period: period(v.campaign)}
	if v.school != nil {
		p.SchoolName = v.school.Name
	}
	return s.render(c, http.StatusOK, "poster.html", posterPage{Title: v.unit.Name + " 调查二维码 " + p.SchoolName, Posters: []poster{p},
		Fingerprint: s.surveys.LogKey().Fingerprint()})
}

package server

// A region's posters: /console/regions/:region/posters (one print job)
// and /console/regions/:region/qr.zip (one ZIP, a folder per unit).

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"renke/county"
	"renke/survey"
)

// regionLinks is each unit's newest campaign that still takes or will
// take answers (draft or open), with its links, by unit code; units
// without one are skipped.
func (s *Server) regionLinkRows(c echo.Context) (string, []survey.UnitCampaign, [][]linkRow, error) {
	prefix, err := regionPrefix(c)
	if err != nil {
		return "", nil, nil, err
	}
	ucs, err := s.surveys.RegionCampaigns(c.Request().Context(), scope(c), prefix)
	if err != nil {
		return "", nil, nil, regionNotFound(err)
	}
	var live []survey.UnitCampaign
	var rows [][]linkRow
	for _, uc := range ucs {
		if uc.Campaign == nil || uc.Campaign.Status == survey.Closed {
			continue
		}
		forms, err := s.surveys.Forms(c.Request().Context(), uc.Campaign.ID)
		if err != nil {
			return "", nil, nil, err
		}
		_, links, err := s.linkRows(c, uc.Unit, *uc.Campaign, forms)
		if err != nil {
			return "", nil, nil, err
		}
		live, rows = append(live, uc), append(rows, links)
	}
	return prefix, live, rows, nil
}

// regionPosters is GET /console/regions/:region/posters: every unit's
// posters, unit by unit and school by school, as one print job.
func (s *Server) regionPosters(c echo.Context) error {
	prefix, ucs, rows, err := s.regionLinkRows(c)
	if err != nil {
		return err
	}
	p := posterPage{Title: county.RegionName(prefix) + " 调查二维码海报", Sheet: true, Back: "/console/regions/" + county.DivisionCode(prefix),
		Fingerprint: s.surveys.LogKey().Fingerprint()}
	for i, uc := range ucs {
		for _, l := range rows[i] {
			p.Posters = append(p.Posters, posterOf(uc.Unit, *uc.Campaign, l))
		}
	}
	if len(p.Posters) == 0 {
		return echo.NewHTTPError(http.StatusNotFound, "本地区还没有未结束的调查链接：请先为各单位创建调查")
	}
	return s.render(c, http.StatusOK, "poster.html", p)
}

// regionQRZip is GET /console/regions/:region/qr.zip: every unit's QR
// codes in a folder of its own (code and name), with one list of links.
func (s *Server) regionQRZip(c echo.Context) error {
	prefix, ucs, rows, err := s.regionLinkRows(c)
	if err != nil {
		return err
	}
	folders := make([]qrFolder, len(ucs))
	n := 0
	for i, uc := range ucs {
		folders[i] = qrFolder{Dir: fmt.Sprintf("%s-%s", uc.Unit.Code, uc.Unit.Name), Unit: uc.Unit.Name, Links: rows[i]}
		n += len(rows[i])
	}
	if n == 0 {
		return echo.NewHTTPError(http.StatusNotFound, "本地区还没有未结束的调查链接：请先为各单位创建调查")
	}
	return s.writeQRZip(c, regionFile(prefix)+"-调查二维码.zip", folders)
}

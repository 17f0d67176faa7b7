package server

// A region's dossier: /console/regions/:region/dossier, the overview on
// paper with each unit's latest signed checkpoint, so a reviewer holding
// the printout can later check each unit's log against it.

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"renke/county"
	"renke/survey"
)

type regionDossierPage struct {
	regionPage
	Checkpoints map[int64]survey.StoredCheckpoint // by campaign id
	Key         *survey.LogKey
	Generated   string
}

// regionDossier is GET /console/regions/:region/dossier.
func (s *Server) regionDossier(c echo.Context) error {
	p, err := s.regionView(c)
	if err != nil {
		return err
	}
	var ids []int64
	for _, r := range p.Rows {
		if r.Campaign != nil {
			ids = append(ids, r.Campaign.ID)
		}
	}
	cps, err := s.surveys.LatestCheckpoints(c.Request().Context(), ids)
	if err != nil {
		return err
	}
	d := regionDossierPage{regionPage: p, Checkpoints: cps, Key: s.surveys.LogKey(),
		Generated: s.now().In(survey.Beijing).Format(time.DateTime)}
	d.consolePage = s.consolePage(c, "地区调查材料 "+county.RegionName(p.Code))
	return s.render(c, http.StatusOK, "region_dossier.html", d)
}

package server

// The public side of the sample logs (/log/…): checkpoints, proofs and leaf
// hashes for anyone, unauthenticated, so that witnesses, reviewers and
// respondents need not trust the bureau running this server. See
// survey/log.go and openapi.yaml.

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"renke/county"
	"renke/survey"
)

// logCampaign is the campaign of a public log route, in any unit.
func (s *Server) logCampaign(c echo.Context) (survey.Campaign, error) {
	id, err := idParam(c, "campaign")
	if err != nil {
		return survey.Campaign{}, err
	}
	cp, err := s.surveys.Campaign(c.Request().Context(), county.Everything, id)
	return cp, storeError(err)
}

// int64Query reads a non-negative integer query parameter.
func int64Query(c echo.Context, name string) (int64, error) {
	n, err := strconv.ParseInt(c.QueryParam(name), 10, 64)
	if err != nil || n < 0 {
		return 0, echo.NewHTTPError(http.StatusBadRequest, "参数 "+name+" 须为非负整数")
	}
	return n, nil
}

// int64Pair reads two non-negative integer query parameters.
func int64Pair(c echo.Context, a, b string) (int64, int64, error) {
	x, err := int64Query(c, a)
	if err != nil {
		return 0, 0, err
	}
	y, err := int64Query(c, b)
	return x, y, err
}

// logKey is GET /log/key: the deployment's checkpoint verifier key.
func (s *Server) logKey(c echo.Context) error {
	k := s.surveys.LogKey()
	if c.QueryParam("alg") == "sm2" {
		if k.SM2VerifierKey() == "" {
			return echo.NewHTTPError(http.StatusNotFound, "本部署的检查点没有 SM2 签名")
		}
		return c.String(http.StatusOK, k.SM2VerifierKey()+"\n")
	}
	return c.String(http.StatusOK, k.VerifierKey()+"\n")
}

// logStatus is GET /log/campaigns/:campaign/status: whether the campaign
// is taking answers, so that a witness knows the log must keep advancing
// (it ticks at least every survey.TickEvery while open). The bureau's word:
// a campaign said closed while it admits answers is caught by the log's
// close leaf and by the receipts issued after it.
func (s *Server) logStatus(c echo.Context) error {
	cp, err := s.logCampaign(c)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, struct {
		Origin    string        `json:"origin"`
		Status    survey.Status `json:"status"`
		Size      int64         `json:"size"`
		TickEvery int64         `json:"tick_every_seconds"`
	}{s.surveys.LogKey().Origin(cp.ID), cp.Status, cp.LogSize, int64(survey.TickEvery.Seconds())})
}

// checkpointNote answers a signed checkpoint as the text it was signed as.
func checkpointNote(c echo.Context, cp survey.StoredCheckpoint, err error) error {
	if errors.Is(err, survey.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound, "样本日志还没有这个检查点")
	} else if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "text/plain; charset=utf-8", []byte(cp.Note))
}

// latestCheckpoint is GET /log/campaigns/:campaign/checkpoint.
func (s *Server) latestCheckpoint(c echo.Context) error {
	cp, err := s.logCampaign(c)
	if err != nil {
		return err
	}
	k, err := s.surveys.LatestCheckpoint(c.Request().Context(), cp.ID)
	return checkpointNote(c, k, err)
}

// checkpointAt is GET /log/campaigns/:campaign/checkpoints/:size.
func (s *Server) checkpointAt(c echo.Context) error {
	cp, err := s.logCampaign(c)
	if err != nil {
		return err
	}
	size, err := idParam(c, "size")
	if err != nil {
		return err
	}
	k, err := s.surveys.CheckpointAt(c.Request().Context(), cp.ID, size)
	return checkpointNote(c, k, err)
}

type proofJSON struct {
	Index  *int64   `json:"index,omitempty"`
	Size   int64    `json:"size,omitempty"`
	From   *int64   `json:"from,omitempty"`
	To     int64    `json:"to,omitempty"`
	Hashes [][]byte `json:"hashes"` // base64
}

// inclusionProof is GET /log/campaigns/:campaign/proof/inclusion?index=&size=.
func (s *Server) inclusionProof(c echo.Context) error {
	cp, err := s.logCampaign(c)
	if err != nil {
		return err
	}
	index, size, err := int64Pair(c, "index", "size")
	if err != nil {
		return err
	}
	p, err := s.surveys.InclusionProof(c.Request().Context(), cp.ID, index, size)
	return respond(c, http.StatusOK, proofJSON{Index: &index, Size: size, Hashes: nonNil(p)}, err)
}

// consistencyProof is GET /log/campaigns/:campaign/proof/consistency?from=&to=.
func (s *Server) consistencyProof(c echo.Context) error {
	cp, err := s.logCampaign(c)
	if err != nil {
		return err
	}
	from, to, err := int64Pair(c, "from", "to")
	if err != nil {
		return err
	}
	p, err := s.surveys.ConsistencyProof(c.Request().Context(), cp.ID, from, to)
	return respond(c, http.StatusOK, proofJSON{From: &from, To: to, Hashes: nonNil(p)}, err)
}

// leafHashes is GET /log/campaigns/:campaign/leaves?start=&end=.
func (s *Server) leafHashes(c echo.Context) error {
	cp, err := s.logCampaign(c)
	if err != nil {
		return err
	}
	start, end, err := int64Pair(c, "start", "end")
	if err != nil {
		return err
	}
	h, err := s.surveys.LeafHashes(c.Request().Context(), cp.ID, start, end)
	return respond(c, http.StatusOK, struct {
		Start  int64    `json:"start"`
		Hashes [][]byte `json:"hashes"`
	}{start, nonNil(h)}, err)
}

// tile is GET /log/campaigns/:campaign/tile/…: a tile of the log's hashes
// in tlog's format. A full tile never changes; a partial one (.p/W) does
// not either, and a larger one replaces it as the log grows.
func (s *Server) tile(c echo.Context) error {
	cp, err := s.logCampaign(c)
	if err != nil {
		return err
	}
	b, err := s.surveys.Tile(c.Request().Context(), cp.ID, "tile/"+c.Param("*"))
	if err != nil {
		return storeError(err)
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	return c.Blob(http.StatusOK, "application/octet-stream", b)
}

func nonNil(h [][]byte) [][]byte {
	if h == nil {
		return [][]byte{}
	}
	return h
}

type cosignedJSON struct {
	Size       int64  `json:"size"`
	Root       []byte `json:"root"`
	Witness    string `json:"witness"`
	CosignedAt string `json:"cosigned_at"`
	Note       string `json:"note"`
}

func cosignedList(w []survey.Cosigned) []cosignedJSON {
	out := make([]cosignedJSON, len(w))
	for i, x := range w {
		out[i] = cosignedJSON{Size: x.Size, Root: x.Root, Witness: x.Witness, CosignedAt: x.CosignedAt.UTC().Format("2006-01-02T15:04:05Z"), Note: x.Note}
	}
	return out
}

// addCosignature is POST /log/campaigns/:campaign/cosignatures: a witness
// sends back a checkpoint it cosigned (the signed note as the body).
func (s *Server) addCosignature(c echo.Context) error {
	cp, err := s.logCampaign(c)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, 64<<10))
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "读取请求内容失败")
	}
	w, err := s.surveys.AddCosignature(c.Request().Context(), cp.ID, strings.ReplaceAll(string(body), "\r\n", "\n"))
	return respond(c, http.StatusCreated, cosignedList(w), err)
}

// cosignatures is GET /log/campaigns/:campaign/cosignatures.
func (s *Server) cosignatures(c echo.Context) error {
	cp, err := s.logCampaign(c)
	if err != nil {
		return err
	}
	w, err := s.surveys.Cosignatures(c.Request().Context(), cp.ID)
	return respond(c, http.StatusOK, cosignedList(w), err)
}

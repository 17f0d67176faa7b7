package server

// The public side of the signed audit log (/log/audit/…): checkpoints,
// proofs and leaf hashes, served like a campaign's sample log so that a
// witness watches it unchanged (audit/log.go). Leaf hashes reveal nothing
// of the entries; the entries stay with the audit administrator.

import (
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"renke/audit"
)

// auditLogStatus is GET /log/audit/status: the audit log is always open
// and ticks at least every audit.TickEvery, so a witness may alarm when
// it stands still.
func (s *Server) auditLogStatus(c echo.Context) error {
	var size int64
	if cp, err := s.audit.LatestCheckpoint(c.Request().Context()); err == nil {
		size = cp.Size
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, struct {
		Origin    string `json:"origin"`
		Status    string `json:"status"`
		Size      int64  `json:"size"`
		TickEvery int64  `json:"tick_every_seconds"`
	}{s.audit.Origin(), "open", size, int64(audit.TickEvery.Seconds())})
}

// auditCheckpointNote answers a checkpoint of the audit log as signed.
func auditCheckpointNote(c echo.Context, cp audit.LogCheckpoint, err error) error {
	if err != nil {
		return storeError(err)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "text/plain; charset=utf-8", []byte(cp.Note))
}

// auditLatestCheckpoint is GET /log/audit/checkpoint.
func (s *Server) auditLatestCheckpoint(c echo.Context) error {
	cp, err := s.audit.LatestCheckpoint(c.Request().Context())
	return auditCheckpointNote(c, cp, err)
}

// auditCheckpointAt is GET /log/audit/checkpoints/:size.
func (s *Server) auditCheckpointAt(c echo.Context) error {
	size, err := idParam(c, "size")
	if err != nil {
		return err
	}
	cp, err := s.audit.CheckpointAt(c.Request().Context(), size)
	return auditCheckpointNote(c, cp, err)
}

// auditInclusionProof is GET /log/audit/proof/inclusion?index=&size=.
func (s *Server) auditInclusionProof(c echo.Context) error {
	index, size, err := int64Pair(c, "index", "size")
	if err != nil {
		return err
	}
	p, err := s.audit.InclusionProof(c.Request().Context(), index, size)
	return respond(c, http.StatusOK, proofJSON{Index: &index, Size: size, Hashes: nonNil(p)}, err)
}

// auditConsistencyProof is GET /log/audit/proof/consistency?from=&to=.
func (s *Server) auditConsistencyProof(c echo.Context) error {
	from, to, err := int64Pair(c, "from", "to")
	if err != nil {
		return err
	}
	p, err := s.audit.ConsistencyProof(c.Request().Context(), from, to)
	return respond(c, http.StatusOK, proofJSON{From: &from, To: to, Hashes: nonNil(p)}, err)
}

// auditLeafHashes is GET /log/audit/leaves?start=&end=.
func (s *Server) auditLeafHashes(c echo.Context) error {
	start, end, err := int64Pair(c, "start", "end")
	if err != nil {
		return err
	}
	h, err := s.audit.LeafHashes(c.Request().Context(), start, end)
	return respond(c, http.StatusOK, struct {
		Start  int64    `json:"start"`
		Hashes [][]byte `json:"hashes"`
	}{start, nonNil(h)}, err)
}

// auditAddCosignature is POST /log/audit/cosignatures: a witness sends
// back a checkpoint of the audit log it cosigned.
func (s *Server) auditAddCosignature(c echo.Context) error {
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, 64<<10))
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "读取请求内容失败")
	}
	w, err := s.audit.AddCosignature(c.Request().Context(), strings.ReplaceAll(string(body), "\r\n", "\n"))
	return respond(c, http.StatusCreated, cosignedList(w), err)
}

// auditCosignatures is GET /log/audit/cosignatures.
func (s *Server) auditCosignatures(c echo.Context) error {
	w, err := s.audit.Cosignatures(c.Request().Context())
	return respond(c, http.StatusOK, cosignedList(w), err)
}

package server

// The receipt a respondent gets, and the public check of a receipt:
// /check.

import (
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"renke/county"
	"renke/survey"
)

// The slots of a receipt page. What fills them is safe in any context of
// the page: a receipt code is letters and digits, a position and a size
// digits, a hash and a root hexadecimal.
const (
	codeSlot = "CODE-SLOT-5d2e8b"
	posSlot  = "POS-SLOT-5d2e8b"
	hashSlot = "HASH-SLOT-5d2e8b"
	sizeSlot = "SIZE-SLOT-5d2e8b"
	rootSlot = "ROOT-SLOT-5d2e8b"
)

// showReceipt renders the page that tells a respondent the answers were
// stored, from the visit's page with slots, rendered once: the template
// took a tenth of the server's time under load.
func (s *Server) showReceipt(c echo.Context, v *visit, rc survey.Receipt) error {
	page, err := v.done.get(rc.Status, func() (slottedPage, error) {
		var b strings.Builder
		err := s.views.ExecuteTemplate(&b, "done.html", donePage{page: v.page(), Status: rc.Status, CampaignID: v.campaign.ID,
			Code: codeSlot, Pos: posSlot, Hash: hashSlot, Size: sizeSlot, Root: rootSlot})
		return cutAtSlots(b.String(), codeSlot, posSlot, hashSlot, sizeSlot, rootSlot), err
	})
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.HTML(http.StatusOK, page.fill(rc.Code, strconv.FormatInt(rc.Pos, 10), rc.Hash,
		strconv.FormatInt(rc.TreeSize, 10), rc.Root))
}

// receiptRedirect answers a stored submission by sending the browser to
// its receipt page (POST, redirect, GET): going back to it, or reloading
// it, never offers to send the answers again.
func receiptRedirect(c echo.Context, rc survey.Receipt) error {
	q := url.Values{"r": {rc.Code}, "s": {string(rc.Status)}}
	if rc.Pos > 0 {
		q.Set("p", strconv.FormatInt(rc.Pos, 10))
		q.Set("h", rc.Hash)
		q.Set("n", strconv.FormatInt(rc.TreeSize, 10))
		q.Set("root", rc.Root)
	}
	return c.Redirect(http.StatusSeeOther, "/s/"+c.Param("code")+"/receipt?"+q.Encode())
}

var (
	receiptCodeRE = regexp.MustCompile(`^[A-Z2-9]{10}$`)
	hexRE         = regexp.MustCompile(`^[0-9a-f]{0,64}$`)
)

// receiptPage is GET /s/:code/receipt: the receipt a submission was
// redirected to, from what its address carries (checked to be a code,
// numbers and hex, so nothing else reaches the page). It proves nothing
// by itself; the check page does, against the log.
func (s *Server) receiptPage(c echo.Context) error {
	v, err := s.loadVisit(c.Request().Context(), c.Param("code"))
	if err != nil {
		return err
	}
	q := c.QueryParams()
	rc := survey.Receipt{Code: q.Get("r"), Status: survey.ResponseStatus(q.Get("s")), Hash: q.Get("h"), Root: q.Get("root")}
	rc.Pos, _ = strconv.ParseInt(q.Get("p"), 10, 64)
	rc.TreeSize, _ = strconv.ParseInt(q.Get("n"), 10, 64)
	if !receiptCodeRE.MatchString(rc.Code) || (rc.Status != survey.Admitted && rc.Status != survey.OverQuota && rc.Status != survey.Held) ||
		!hexRE.MatchString(rc.Hash) || !hexRE.MatchString(rc.Root) || rc.Pos < 0 || rc.TreeSize < 0 {
		return echo.NewHTTPError(http.StatusBadRequest, "回执地址不完整，请凭回执码在“回执查询”页面查询。")
	}
	return s.showReceipt(c, v, rc)
}

// slottedPage is a page cut where values go: parts[i] comes before the
// value of slot slots[i], and the last part ends the page.
type slottedPage struct {
	parts []string
	slots []int // index into the slots given to cutAtSlots
}

// cutAtSlots cuts page at every occurrence of the slots.
func cutAtSlots(page string, slots ...string) slottedPage {
	var p slottedPage
	for {
		at, which := len(page), -1
		for i, slot := range slots {
			if j := strings.Index(page, slot); j >= 0 && j < at {
				at, which = j, i
			}
		}
		if which < 0 {
			p.parts = append(p.parts, page)
			return p
		}
		p.parts = append(p.parts, page[:at])
		p.slots = append(p.slots, which)
		page = page[at+len(slots[which]):]
	}
}

// fill puts values, in the order of the slots, into the page.
func (p slottedPage) fill(values ...string) string {
	n := 0
	for _, part := range p.parts {
		n += len(part)
	}
	for _, i := range p.slots {
		n += len(values[i])
	}
	var b strings.Builder
	b.Grow(n)
	for i, slot := range p.slots {
		b.WriteString(p.parts[i])
		b.WriteString(values[slot])
	}
	b.WriteString(p.parts[len(p.parts)-1])
	return b.String()
}

type checkPage struct {
	page
	Code, Message  string
	Found          *survey.ReceiptCheck
	Claimed        bool // the receipt's own checkpoint came with the query
	KeyFingerprint string
}

// checkReceipt is GET /check?receipt=…[&n=…&root=…]: a respondent finds
// out whether their answer is in the sample and unchanged, against the
// checkpoint their receipt was admitted under when the link carries it.
func (s *Server) checkReceipt(c echo.Context) error {
	code := survey.ReceiptCode(c.QueryParam("receipt"))
	p := checkPage{page: page{Title: "回执查询"}, Code: code}
	if code == "" {
		return s.render(c, http.StatusOK, "check.html", p)
	}
	notFound := "没有找到回执码 " + code + "。回执码为 10 位大写字母和数字（不含 I、L、O、0、1），请核对后再查。" +
		"仅凭回执码无法证明答卷是否曾计入样本；若您保存了提交后页面上的“带校验信息的回执查询链接”，请用该链接查询，它能证明答卷是否被移除。"
	if len(code) > 20 {
		p.Code, p.Message = "", "回执码为 10 位大写字母和数字，请核对后再查。"
		return s.render(c, http.StatusBadRequest, "check.html", p)
	}
	var claim *survey.ReceiptClaim
	if n, err := strconv.ParseInt(c.QueryParam("n"), 10, 64); err == nil && n > 0 {
		if root, err := hex.DecodeString(c.QueryParam("root")); err == nil && len(root) == 32 {
			claim = &survey.ReceiptClaim{Size: n, Root: root}
			claim.CampaignID, _ = strconv.ParseInt(c.QueryParam("c"), 10, 64)
			claim.Pos, _ = strconv.ParseInt(c.QueryParam("p"), 10, 64)
		}
	}
	p.Claimed, p.KeyFingerprint = claim != nil, s.surveys.LogKey().Fingerprint()
	rc, err := s.surveys.CheckReceipt(c.Request().Context(), code, claim)
	if errors.Is(err, survey.ErrNotFound) {
		p.Message = notFound
		return s.render(c, http.StatusNotFound, "check.html", p)
	} else if err != nil {
		return err
	}
	p.Found = &rc
	if camp, err := s.surveys.Campaign(c.Request().Context(), county.Everything, rc.CampaignID); err == nil {
		if u, err := s.units.Unit(c.Request().Context(), county.Everything, camp.UnitID); err == nil {
			p.UnitName = u.Name
			if camp.Organiser != "" {
				p.Organiser = organiser(u, camp)
			}
		}
	}
	return s.render(c, http.StatusOK, "check.html", p)
}

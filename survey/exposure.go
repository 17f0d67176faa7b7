package survey

import (
	"context"
	"encoding/hex"
	"slices"
)

// The sample's exposure, for the reviewer: how much of the counted sample
// rests on weak identity, and how much on a few network sources. No
// defence that works by address can tell many honest parents behind one
// address from one person behind it, nor stop one person with many
// addresses and many devices; the table shows how far the sample depends
// on that not happening. WeChat identity (one response per WeChat user) is
// the answer to it.

// ConcentratedShare is the share of the counted sample above which one
// source is shown as concentrated: 2%.
const ConcentratedShare = 0.02

// Exposure is the counted sample by identity strength, and every response
// received by source (a stuffer's responses held for review still show).
type Exposure struct {
	Counted    int64           `json:"counted"`
	Received   int64           `json:"received"` // every response stored, whatever became of it
	ByIdentity []IdentityShare `json:"by_identity"`
	// Largest is the largest sources of the responses received, at most
	// five, largest first; a source is named by its truncated address
	// hash (intake.AddressHash), never by an address.
	Largest []SourceShare `json:"largest_sources"`
	// Concentrated is the sources each above ConcentratedShare of the
	// responses received, what they sent together and how much of it
	// counts.
	Concentrated struct {
		Sources   int     `json:"sources"`
		Responses int64   `json:"responses"`
		Share     float64 `json:"share"`
		Counted   int64   `json:"counted"`
	} `json:"concentrated"`
}

// IdentityShare is the counted responses of one identity strength.
type IdentityShare struct {
	Identity Identity `json:"identity"`
	Name     string   `json:"name"`
	N        int64    `json:"n"`
	Share    float64  `json:"share"`
}

// SourceShare is the responses received from one source, its share of
// all received, and how many of them count.
type SourceShare struct {
	Source  string  `json:"source"` // its hash, hex; "" for responses from before addresses were kept
	N       int64   `json:"n"`
	Share   float64 `json:"share"`
	Counted int64   `json:"counted"`
}

// Exposure reads a campaign's exposure.
func (s *Store) Exposure(ctx context.Context, campaignID int64) (Exposure, error) {
	var out Exposure
	ids, err := s.q.ExposureByIdentity(ctx, campaignID)
	if err != nil {
		return out, err
	}
	n := map[Identity]int64{}
	for _, r := range ids {
		n[Identity(r.Identity)] += r.N
		out.Counted += r.N
	}
	share := func(k int64) float64 {
		if out.Counted == 0 {
			return 0
		}
		return float64(k) / float64(out.Counted)
	}
	for _, id := range append(slices.Clone(Identities), "") {
		if n[id] > 0 || id != "" {
			out.ByIdentity = append(out.ByIdentity, IdentityShare{Identity: id, Name: id.Name(), N: n[id], Share: share(n[id])})
		}
	}
	if out.Received, err = s.q.CountReceived(ctx, campaignID); err != nil {
		return out, err
	}
	ofReceived := func(k int64) float64 {
		if out.Received == 0 {
			return 0
		}
		return float64(k) / float64(out.Received)
	}
	sources, err := s.q.ExposureBySource(ctx, campaignID)
	if err != nil {
		return out, err
	}
	for i, r := range sources {
		sh := SourceShare{Source: hex.EncodeToString(r.IpHash), N: r.N, Share: ofReceived(r.N), Counted: r.Counted}
		if i < 5 {
			out.Largest = append(out.Largest, sh)
		}
		if sh.Share > ConcentratedShare && len(r.IpHash) > 0 {
			out.Concentrated.Sources++
			out.Concentrated.Responses += r.N
			out.Concentrated.Counted += r.Counted
		}
	}
	out.Concentrated.Share = ofReceived(out.Concentrated.Responses)
	return out, nil
}

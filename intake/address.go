package intake

import (
	"crypto/hmac"
	"crypto/sha256"
	"net/netip"
	"strings"
)

// Source is what the intake counts a client's submissions by: its IPv4
// address, or its IPv6 /64 (a household or a phone gets a whole /64, and
// moving within it must not reset anything). An address that does not
// parse counts as itself.
func Source(ip string) string {
	a, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// AddressHashBits is how much of the keyed hash of a source is kept with
// a response: 22 bits, so each stored value stands for about 2^32 / 2^22
// = 1,024 IPv4 addresses (and each /64 for IPv6 is hashed whole). That is
// enough to see that many responses came from one source (the 22-bit
// values of a county's few thousand sources rarely collide) and too coarse
// to name a household, even for someone who holds the campaign's key.
const AddressHashBits = 22

// AddressHash is the truncated keyed hash of a client address's source,
// under the campaign's hash key: three bytes, the last two bits zero.
func AddressHash(key []byte, ip string) []byte {
	h := KeyedHash(key, "ip", Source(ip))[:3]
	h[2] &^= 0xFF >> (AddressHashBits - 16) // keep 22 of the 24 bits
	return h
}

// KeyedHash is a keyed hash of a device cookie or a WeChat user under the
// campaign's hash key (survey.Store.HashKey): enough to spot a second
// response from one phone or one user within the campaign, never the
// value itself, and unlinkable to it once the campaign closes and its key
// is destroyed. what names the kind of value, so two kinds never share a
// hash.
func KeyedHash(key []byte, what, value string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(what))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return m.Sum(nil)[:16]
}

// UAFamily reduces a User-Agent to a coarse family.
func UAFamily(ua string) string {
	for _, f := range []struct{ needle, family string }{
		{"MicroMessenger", "wechat"}, {"AlipayClient", "alipay"}, {"DingTalk", "dingtalk"},
		{"QQ/", "qq"}, {"HeadlessChrome", "headless"}, {"Edg/", "edge"}, {"Firefox/", "firefox"},
		{"Chrome/", "chrome"}, {"Safari/", "safari"}, {"curl/", "script"}, {"Go-http-client", "script"},
		{"python", "script"},
	} {
		if strings.Contains(ua, f.needle) {
			return f.family
		}
	}
	return "other"
}

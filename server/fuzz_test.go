package server

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzReadAnswerForm feeds arbitrary form bodies to the parsing of a
// respondent's POST. Anything accepted is valid UTF-8, holds at most
// maxAnswerFields answers taken from a_ fields only, and a school id only
// when positive; anything refused is a 400 with a Chinese message.
func FuzzReadAnswerForm(f *testing.F) {
	for _, seed := range []string{
		"token=abc&category=parent&band=3-4&a_S01=A&a_S02=B&suggestion=%E5%A5%BD",
		"category=resident&locale=rural&a_S01=X&a_S01=A&school=-3",
		"a_=A&a_%ff=B&suggestion=%ff%fe",
		"school=99999999999999999999&pow=12&pow=13",
		strings.Repeat("a_x=A&", 150),
		"%zz=1&&&=",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return // net/http refuses the body before we see it
		}
		in, err := readAnswerForm(form)
		if err != nil {
			if msg := err.Error(); !strings.Contains(msg, "请") {
				t.Fatalf("refusal without a message for the respondent: %v", err)
			}
			return
		}
		if len(in.Answers) > maxAnswerFields || in.School < 0 {
			t.Fatalf("accepted %d answers, school %d", len(in.Answers), in.School)
		}
		for k, v := range in.Answers {
			if !utf8.ValidString(k) || !utf8.ValidString(v) || form.Get("a_"+k) != v {
				t.Fatalf("answer %q=%q not as sent", k, v)
			}
		}
		for _, s := range []string{in.Token, in.Category, in.Band, in.Locale, in.Suggestion, in.Pow} {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 accepted: %q", s)
			}
		}
	})
}

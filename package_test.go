package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"golang.org/x/mod/sumdb/note"

	"renke/assessment"
	"renke/demo"
	"renke/server"
	"renke/staff"
	"renke/survey"
)

// apiClient logs an account in to the API.
func apiClient(t *testing.T, base, user, pass string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Post(base+"/api/v1/login", "application/json", strings.NewReader(`{"username":"`+user+`","password":"`+pass+`"}`))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("login %s: %v %v", user, resp, err)
	}
	resp.Body.Close()
	// An administrator enrols a second factor (once: each account here
	// logs in once) and its session passes with the first code.
	var me staff.Account
	if err := json.Unmarshal(send(t, c, "GET", base+"/api/v1/me", "", nil), &me); err != nil {
		t.Fatal(err)
	}
	if me.NeedsSecondFactor() {
		var en staff.Enrolment
		if err := json.Unmarshal(send(t, c, "POST", base+"/api/v1/second-factor/enrolment", "application/json", nil), &en); err != nil {
			t.Fatal(err)
		}
		code, err := totp.GenerateCode(en.Secret, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		send(t, c, "POST", base+"/api/v1/second-factor/enrolment/confirm", "application/json", strings.NewReader(`{"code":"`+code+`"}`))
	}
	return c
}

func send(t *testing.T, c *http.Client, method, url, ctype string, body io.Reader) []byte {
	t.Helper()
	req, _ := http.NewRequest(method, url, body)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %s", method, url, resp.StatusCode, b)
	}
	return b
}

// rezip rewrites a package with edit applied to each file (nil drops it).
func rezip(t *testing.T, pkg []byte, edit func(name string, data []byte) []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(pkg), int64(len(pkg)))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, f := range zr.File {
		rc, _ := f.Open()
		data, _ := io.ReadAll(rc)
		rc.Close()
		if data = edit(f.Name, data); data == nil {
			continue
		}
		w, _ := zw.Create(f.Name)
		_, _ = w.Write(data)
	}
	_ = zw.Close()
	return b.Bytes()
}

// A county's round submitted with its package: the package verifies with
// the deployment's verifier key, the survey's log records its manifest
// and still verifies; one byte of an evidence file changed, a file
// removed, or the manifest re-signed with another key, and renke
// verify-package names what is wrong.
func TestVerifyPackage(t *testing.T) {
	f := newLogFixture(t)
	ctx := context.Background()
	if _, err := staff.NewStore(f.pool).Create(ctx, "head", "head-password-2026", staff.Grant{Role: staff.Head, Units: []int64{unitOf(t, f)}}); err != nil {
		t.Fatal(err)
	}
	admin := apiClient(t, f.srv.URL, demo.Username, demo.Password)
	head := apiClient(t, f.srv.URL, "head", "head-password-2026")
	unit := fmt.Sprintf("%s/api/v1/units/%d", f.srv.URL, unitOf(t, f))
	send(t, admin, "POST", unit+"/rounds", "application/json", strings.NewReader(`{"year":2025}`))
	var problem int64
	if err := f.pool.QueryRow(ctx, `SELECT min(id) FROM problems`).Scan(&problem); err != nil {
		t.Fatal(err)
	}
	var img bytes.Buffer
	_ = png.Encode(&img, image.NewGray(image.Rect(0, 0, 16, 16)))
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "整改照片.png")
	_, _ = fw.Write(img.Bytes())
	_ = mw.Close()
	send(t, admin, "POST", fmt.Sprintf("%s/problems/%d/evidence", unit, problem), mw.FormDataContentType(), &body)
	send(t, head, "POST", unit+"/rounds/1/sign-off", "", nil)
	send(t, admin, "POST", unit+"/rounds/1/submit", "", nil)
	pkg := send(t, admin, "GET", unit+"/rounds/1/package.zip", "", nil)
	if again := send(t, admin, "GET", unit+"/rounds/1/package.zip", "", nil); !bytes.Equal(again, pkg) {
		t.Error("the submitted package reads differently the second time")
	}
	dir := t.TempDir()
	check := func(name string, b []byte) (string, error) {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		err := verifyPackage(server.Config{}, []string{"-key", f.key.VerifierKey(), p}, &out)
		return out.String(), err
	}
	out, err := check("fresh.zip", pkg)
	if err != nil || !strings.Contains(out, "通过") || !strings.Contains(out, "单位：") {
		t.Fatalf("a fresh package: %v\n%s", err, out)
	}
	// The manifest carries an SM2 signature beside the Ed25519 one; the
	// SM2 verifier key the server publishes checks it.
	sm2vkey := strings.TrimSpace(string(send(t, admin, "GET", f.srv.URL+"/log/key?alg=sm2", "", nil)))
	fresh := filepath.Join(dir, "fresh.zip")
	var sm2out bytes.Buffer
	if err := verifyPackage(server.Config{}, []string{"-key", f.key.VerifierKey(), "-sm2-key", sm2vkey, fresh}, &sm2out); err != nil || !strings.Contains(sm2out.String(), "SM2 签名：通过") || !strings.Contains(sm2out.String(), "SM3 摘要：每个文件的 SM3 与签名清单一致") {
		t.Errorf("the SM2 line of a fresh package: %v\n%s", err, sm2out.String())
	}
	otherSM2, _ := survey.GenerateSM2Key("test.localhost")
	_, otherVkey, _ := survey.NewSM2Signer(otherSM2)
	sm2out.Reset()
	if err := verifyPackage(server.Config{}, []string{"-key", f.key.VerifierKey(), "-sm2-key", otherVkey, fresh}, &sm2out); err == nil {
		t.Errorf("another SM2 key verified the package:\n%s", sm2out.String())
	}
	for _, want := range []string{"自评报告.html", "自评报告.docx", "申报登记表.html", "评估结果.xlsx", "年度任务清单.xlsx", "社会认可度调查/检查点.txt", "整改照片.png"} {
		if !bytes.Contains(pkg, []byte(want)) {
			t.Errorf("the package lacks %s", want)
		}
	}
	// The log holds the manifest's hash, and still verifies.
	var kind string
	if err := f.pool.QueryRow(ctx, `SELECT kind FROM log_leaves WHERE campaign_id = $1 ORDER BY idx DESC LIMIT 1`, f.campaign).Scan(&kind); err != nil || kind != "package" {
		t.Errorf("the log's newest leaf is %q (%v), want package", kind, err)
	}
	var vout bytes.Buffer
	if err := verify(ctx, f.pool, f.key, f.keys, []string{strconv.FormatInt(f.campaign, 10)}, &vout); err != nil {
		t.Errorf("the log with a package leaf: %v\n%s", err, vout.String())
	}
	evidence := ""
	zr, _ := zip.NewReader(bytes.NewReader(pkg), int64(len(pkg)))
	for _, zf := range zr.File {
		if strings.HasPrefix(zf.Name, "佐证材料/") {
			evidence = zf.Name
		}
	}
	changed := rezip(t, pkg, func(name string, data []byte) []byte {
		if name == evidence {
			data = bytes.Clone(data)
			data[len(data)-1] ^= 1
		}
		return data
	})
	if out, err := check("changed.zip", changed); err == nil || !strings.Contains(out, evidence) || !strings.Contains(out, "已被修改") {
		t.Errorf("one byte changed: %v\n%s", err, out)
	}
	removed := rezip(t, pkg, func(name string, data []byte) []byte {
		if name == "评估结果.xlsx" {
			return nil
		}
		return data
	})
	if out, err := check("removed.zip", removed); err == nil || !strings.Contains(out, "缺少文件“评估结果.xlsx”") {
		t.Errorf("a file removed: %v\n%s", err, out)
	}
	skey, _, _ := note.GenerateKey(rand.Reader, f.key.Name())
	other, _ := note.NewSigner(skey)
	resigned := rezip(t, pkg, func(name string, data []byte) []byte {
		if name != assessment.ManifestName {
			return data
		}
		n, err := note.Open(data, note.VerifierList(f.key.Verifier()))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := note.Sign(&note.Note{Text: n.Text + "0000000000000000000000000000000000000000000000000000000000000000  伪造.txt\n"}, other)
		return b
	})
	if out, err := check("resigned.zip", resigned); err == nil || !strings.Contains(out, "重新签名") {
		t.Errorf("re-signed with another key: %v\n%s", err, out)
	}
}

func unitOf(t *testing.T, f *logFixture) int64 {
	var id int64
	if err := f.pool.QueryRow(context.Background(), `SELECT unit_id FROM campaigns WHERE id = $1`, f.campaign).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

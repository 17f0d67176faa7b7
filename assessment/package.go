package assessment

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/emmansun/gmsm/sm3"
	"golang.org/x/mod/sumdb/note"
)

// The package (申报材料, seed 000: "形成自评报告、申报登记表、区级自评材料以及
// 公众满意度调查等材料…同时报送电子版") is one ZIP: the documents of a round,
// every evidence file, and ManifestName, a signed note listing the SHA-256
// of every other file. A reviewer checks it with VerifyPackage (renke
// verify-package) against the deployment's verifier key, never a key the
// package carries.

// ManifestName is the manifest's path in the package.
const ManifestName = "签名清单.txt"

// manifestTitle is the manifest's first line.
const manifestTitle = "renke 申报材料 v1"

// PackFile is one file of a package: its bytes, or (an evidence file,
// kept by its hash) its SHA-256 and a way to read it when it is written,
// so a package of large files is written one file at a time.
type PackFile struct {
	Path string
	Data []byte
	Sum  []byte
	Load func() ([]byte, error)
}

// sum is the file's SHA-256.
func (f PackFile) sum() []byte {
	if f.Sum != nil {
		return f.Sum
	}
	s := sha256.Sum256(f.Data)
	return s[:]
}

// bytes is the file's content.
func (f PackFile) bytes() ([]byte, error) {
	if f.Load != nil {
		return f.Load()
	}
	return f.Data, nil
}

// sm3Title opens the manifest's second list, of SM3 digests.
const sm3Title = "SM3（GB/T 32905-2016）"

// Manifest is the text of a package's manifest: the title, the header
// lines (unit, round, …), a blank line, then one line per file, sorted by
// path: its SHA-256 in hex, two spaces, its path (as sha256sum writes).
// With sm3 (a 国密 deployment, whose manifest is also signed with SM2),
// a blank line, sm3Title and the same list with each file's SM3 follow,
// so that the files are bound by 商用密码 too; evidence files are read
// for it.
func Manifest(header []string, files []PackFile, withSM3 bool) (string, error) {
	var b strings.Builder
	b.WriteString(manifestTitle + "\n")
	for _, h := range header {
		b.WriteString(strings.ReplaceAll(h, "\n", " ") + "\n")
	}
	b.WriteString("\n")
	sorted := slices.Clone(files)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Path < sorted[j].Path })
	for _, f := range sorted {
		b.WriteString(hex.EncodeToString(f.sum()) + "  " + f.Path + "\n")
	}
	if !withSM3 {
		return b.String(), nil
	}
	b.WriteString("\n" + sm3Title + "\n")
	for _, f := range sorted {
		data, err := f.bytes()
		if err != nil {
			return "", fmt.Errorf("%s: %w", f.Path, err)
		}
		sum := sm3.Sum(data)
		b.WriteString(hex.EncodeToString(sum[:]) + "  " + f.Path + "\n")
	}
	return b.String(), nil
}

// ManifestHash is the hex SHA-256 of a signed manifest, as the sample log
// records it.
func ManifestHash(signed string) string {
	sum := sha256.Sum256([]byte(signed))
	return hex.EncodeToString(sum[:])
}

// Pack writes the ZIP of the files and their signed manifest (first), in
// the order of the manifest, each dated at (so the same files and
// manifest give the same archive).
func Pack(w io.Writer, signedManifest string, files []PackFile, at time.Time) error {
	zw := zip.NewWriter(w)
	put := func(name string, data []byte) error {
		f, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: at.UTC()})
		if err != nil {
			return err
		}
		_, err = f.Write(data)
		return err
	}
	if err := put(ManifestName, []byte(signedManifest)); err != nil {
		return err
	}
	sorted := slices.Clone(files)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Path < sorted[j].Path })
	for _, f := range sorted {
		data, err := f.bytes()
		if err != nil {
			return fmt.Errorf("%s: %w", f.Path, err)
		}
		if err := put(f.Path, data); err != nil {
			return err
		}
	}
	return zw.Close()
}

// manifestLine reads a line of a manifest's list: a 256-bit digest in
// hex, two spaces, a clean path.
func manifestLine(line string) (sum []byte, name string, ok bool) {
	if len(line) < 67 || line[64:66] != "  " {
		return nil, "", false
	}
	sum, err := hex.DecodeString(line[:64])
	name = line[66:]
	return sum, name, err == nil && path.Clean(name) == name
}

// PackageCheck is what VerifyPackage found.
type PackageCheck struct {
	Header   []string // the manifest's header lines
	Files    int      // files listed and found intact
	Signer   string   // the key that signed, by name
	Manifest string   // hex SHA-256 of the signed manifest
	SM3      bool     // the manifest lists each file's SM3 too, and they were checked
	Problems []string // in Chinese, each naming the file
}

// MaxPackage bounds what VerifyPackage reads of one file (2 GiB).
const MaxPackage = 2 << 30

// VerifyPackage checks a package: its manifest is signed by the verifier,
// and every file it lists is in the archive with that SHA-256; a file
// changed, missing or not listed is named. A package whose manifest is
// missing or signed by another key fails at once.
func VerifyPackage(r io.ReaderAt, size int64, verifier note.Verifier) (PackageCheck, error) {
	var pc PackageCheck
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return pc, fmt.Errorf("不是有效的 ZIP 文件：%v", err)
	}
	found := map[string][]byte{}    // path → SHA-256
	foundSM3 := map[string][]byte{} // path → SM3
	var manifest []byte
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			pc.Problems = append(pc.Problems, fmt.Sprintf("文件“%s”无法读取：%v", f.Name, err))
			continue
		}
		h, h3 := sha256.New(), sm3.New()
		var buf bytes.Buffer
		var dst io.Writer = io.MultiWriter(h, h3)
		if f.Name == ManifestName {
			dst = io.MultiWriter(h, h3, &buf)
		}
		_, err = io.Copy(dst, io.LimitReader(rc, MaxPackage))
		rc.Close()
		if err != nil {
			pc.Problems = append(pc.Problems, fmt.Sprintf("文件“%s”已损坏：%v", f.Name, err))
			continue
		}
		if _, dup := found[f.Name]; dup {
			pc.Problems = append(pc.Problems, fmt.Sprintf("文件“%s”在包中出现了两次", f.Name))
		}
		found[f.Name] = h.Sum(nil)
		foundSM3[f.Name] = h3.Sum(nil)
		if f.Name == ManifestName {
			manifest = buf.Bytes()
		}
	}
	if manifest == nil {
		return pc, fmt.Errorf("包中没有签名清单（%s）", ManifestName)
	}
	n, err := note.Open(manifest, note.VerifierList(verifier))
	if err != nil {
		// Another key (of the same name or not), a changed text, or no
		// signature at all: the manifest is not the deployment's.
		return pc, fmt.Errorf("签名清单没有部署密钥 %s（哈希 %08x）的有效签名：清单被改动或重新签名（%v）", verifier.Name(), verifier.KeyHash(), err)
	}
	pc.Signer, pc.Manifest = verifier.Name(), ManifestHash(string(manifest))
	head, body, ok := strings.Cut(n.Text, "\n\n")
	lines := strings.Split(head, "\n")
	if !ok || len(lines) == 0 || lines[0] != manifestTitle {
		return pc, errors.New("签名清单的格式无法识别")
	}
	pc.Header = lines[1:]
	body, sm3List, hasSM3 := strings.Cut(body, "\n\n"+sm3Title+"\n")
	listed := map[string]bool{ManifestName: true}
	for _, line := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
		if line == "" {
			continue
		}
		want, name, ok := manifestLine(line)
		if !ok {
			pc.Problems = append(pc.Problems, fmt.Sprintf("签名清单中的一行无法识别：%q", line))
			continue
		}
		listed[name] = true
		got, ok := found[name]
		switch {
		case !ok:
			pc.Problems = append(pc.Problems, fmt.Sprintf("缺少文件“%s”", name))
		case !bytes.Equal(got, want):
			pc.Problems = append(pc.Problems, fmt.Sprintf("文件“%s”已被修改（SHA-256 与签名清单不符）", name))
		default:
			pc.Files++
		}
	}
	if hasSM3 {
		pc.SM3 = true
		inSM3 := map[string]bool{}
		for _, line := range strings.Split(strings.TrimSuffix(sm3List, "\n"), "\n") {
			want, name, ok := manifestLine(line)
			switch {
			case !ok || !listed[name] || name == ManifestName:
				pc.Problems = append(pc.Problems, fmt.Sprintf("签名清单的 SM3 列表中的一行无法识别：%q", line))
			case found[name] != nil && !bytes.Equal(foundSM3[name], want):
				pc.Problems = append(pc.Problems, fmt.Sprintf("文件“%s”已被修改（SM3 与签名清单不符）", name))
			}
			inSM3[name] = true
		}
		for name := range listed {
			if name != ManifestName && !inSM3[name] {
				pc.Problems = append(pc.Problems, fmt.Sprintf("文件“%s”不在签名清单的 SM3 列表中", name))
			}
		}
	}
	var extra []string
	for name := range found {
		if !listed[name] {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	for _, name := range extra {
		pc.Problems = append(pc.Problems, fmt.Sprintf("多出文件“%s”：签名清单中没有", name))
	}
	return pc, nil
}

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/exposure-research/exposure/pipeline/publish"
)

// TestHostileText builds datasets whose title, source name and caveats carry HTML, Markdown links
// and images, line breaks that would start blocks of their own, and control characters. The build
// must succeed and report.md must carry the text only as text: no tag, no link, no image, no
// heading or table row that the input made.
func TestHostileText(t *testing.T) {
	forbidden := []struct {
		name string
		re   *regexp.Regexp
	}{
		{"an HTML tag", regexp.MustCompile(`(?i)<\s*/?\s*(script|img|a|iframe|svg|style|details|b)\b`)},
		{"an HTML comment", regexp.MustCompile(`<!--`)},
		{"a Markdown link or image", regexp.MustCompile(`(^|[^\\])\]\((javascript|https?|data):`)},
		{"an autolink", regexp.MustCompile(`<(https?|javascript):`)},
		{"a reference definition", regexp.MustCompile(`(?m)^\s*\[[^\]]*\]:\s`)},
		{"a forged heading", regexp.MustCompile(`(?m)^#+ Forged`)},
		{"a forged table row", regexp.MustCompile(`(?m)^\| forged \|`)},
		{"an escape sequence", regexp.MustCompile("\x1b")},
		{"a bidirectional override", regexp.MustCompile("\u202e")},
	}
	tests := []struct {
		name, title, source, caveat string
	}{
		{"script tags", `<script>alert(1)</script> Exposure`, `<img src=x onerror=alert(1)>`, `<iframe src="https://evil.example/"></iframe>`},
		{"markdown links", `[Official figures](https://evil.example/)`, `![tracker](https://evil.example/t.png)`, `See [here](javascript:alert(1)) or <https://evil.example/>`},
		{"block injection", "Title\n\n# Forged heading", "Acme\n| forged |\n|---|", "A caveat\n\n[x]: https://evil.example/\n    code block"},
		{"html comment and entities", `<!-- hidden --> &lt;b&gt;`, `Acme <b>bold</b>`, `&#60;script&#62;`},
		{"control characters", "Title \x1b[2J\u202eevil", "Acme\x00\x07", "caveat \u2066isolate\u2069"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			ds := baseDir(t)
			yaml := strings.Replace(baseYAML, "title: A hostile submission", "title: "+yamlQuote("Readable "+tt.title), 1)
			yaml = strings.Replace(yaml, "name: Acme Scanning", "name: "+yamlQuote(tt.source), 1)
			yaml += "caveats:\n  - " + yamlQuote(tt.caveat) + "\n"
			ds.yaml(yaml)
			writeCase(t, dir, hostileCase{name: tt.name, dir: ds}, false)
			out := filepath.Join(dir, "report")
			var stdout, stderr bytes.Buffer
			if code := run([]string{"build", filepath.Join(dir, "ds"), "--out", out}, &stdout, &stderr); code != exitOK {
				t.Fatalf("exit %d:\n%s", code, stderr.String())
			}
			report, err := os.ReadFile(filepath.Join(out, publish.ReportFile))
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range forbidden {
				if loc := f.re.FindIndex(report); loc != nil {
					from, to := max(0, loc[0]-60), min(len(report), loc[1]+60)
					t.Errorf("report.md has %s: %q", f.name, report[from:to])
				}
			}
			// The text is still there for a reader, escaped.
			if !bytes.Contains(report, []byte("Readable")) {
				t.Error("report.md lost the title's plain text")
			}
		})
	}
}

// yamlQuote writes s as a double-quoted YAML scalar.
func yamlQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r < 0x20 || r == 0x7f:
			b.WriteString(`\x`)
			b.WriteString(strings.ToUpper(string("0123456789abcdef"[r>>4]) + string("0123456789abcdef"[r&15])))
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

package publish

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestEscapeText(t *testing.T) {
	for _, tt := range []struct {
		name, in, want string
	}{
		{"plain", "Greenbone Networks", "Greenbone Networks"},
		{"code with underscores", "exposed_systems", "exposed_systems"},
		{"script tag", "<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"},
		{"table pipe", "| x |", `\| x \|`},
		{"javascript link", "[a](javascript:alert(1))", `\[a\](javascript:alert(1))`},
		{"image link", "![a](http://x/y.png)", `!\[a\](http://x/y.png)`},
		{"backticks", "``code``", "\\`\\`code\\`\\`"},
		{"newlines", "line one\nline two\r\n\n# heading", `line one line two \# heading`},
		{"emphasis and heading marks", "*_#", `\*\_\#`},
		{"leading underscore", "_a_", `\_a\_`},
		{"html entity", "&lt;b&gt;", "&amp;lt;b&amp;gt;"},
		{"html comment", "<!-- x -->", "&lt;!-- x --&gt;"},
		{"backslash", `a\b`, `a\\b`},
		{"strikethrough", "~~gone~~", `\~\~gone\~\~`},
		{"list marker", "- item", `\- item`},
		{"ordered list marker", "1. item", `1\. item`},
		{"ordered list marker paren", "12) item", `12\) item`},
		{"version is not a list", "0.1.0", "0.1.0"},
		{"block quote", "> quoted", "&gt; quoted"},
		{"indented code", "    code", "code"},
		{"tabs and controls", "a\tb\x00c\x1bd", "a bcd"},
		{"bidi override", "abc\u202Edcba", "abcdcba"},
		{"invalid utf-8", "a\xffb", "a\uFFFDb"},
		{"unicode kept", "TU München – Zürich", "TU München – Zürich"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := escapeText(tt.in); got != tt.want {
				t.Errorf("escapeText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestFormatCount(t *testing.T) {
	for _, tt := range []struct {
		in   int64
		want string
	}{
		{0, "0"}, {7, "7"}, {999, "999"}, {1000, "1,000"}, {1234567, "1,234,567"}, {-1234, "-1,234"},
		{-100, "-100"}, {9223372036854775807, "9,223,372,036,854,775,807"}, {-9223372036854775808, "-9,223,372,036,854,775,808"},
	} {
		if got := formatCount(tt.in); got != tt.want {
			t.Errorf("formatCount(%d) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := formatSignedCount(1234); got != "+1,234" {
		t.Errorf("formatSignedCount(1234) = %q", got)
	}
}

func TestFormatPercent(t *testing.T) {
	for _, tt := range []struct {
		in     float64
		signed bool
		want   string
	}{
		{12.5, false, "12.5 %"}, {12.54, false, "12.5 %"}, {12.56, true, "+12.6 %"}, {-7.25, true, "-7.2 %"},
		{-0.04, true, "0.0 %"}, {0, true, "0.0 %"}, {1234.5, false, "1,234.5 %"}, {20.000000000000004, false, "20.0 %"},
	} {
		if got := formatPercent(tt.in, tt.signed); got != tt.want {
			t.Errorf("formatPercent(%v, %v) = %q, want %q", tt.in, tt.signed, got, tt.want)
		}
	}
}

// TestHostileReport publishes a dataset whose every piece of free text is hostile and checks that
// the report holds none of it raw: no tag, no link, no table broken by a pipe, no block opened by a
// newline.
// unescapedLink finds the "](" of a Markdown link whose bracket is not escaped.
var unescapedLink = regexp.MustCompile(`(^|[^\\])\]\(`)

// ownLink matches the start of a link to the report's own charts and pages.
var ownLink = regexp.MustCompile(`^(\.\./)?(charts/[a-z_/A-Z-]+\.svg|countries/[A-Z]{2}\.md|report\.md|[A-Z]{2}\.md)\)`)

func TestHostileReport(t *testing.T) {
	p := fixture(t)
	hostile := "<script>alert(1)</script> | x | [a](javascript:alert(1)) `code`\n# heading *_#"
	p.Provenance.Title = hostile
	p.Provenance.DatasetID = "evil\n```\nrm -rf /"
	p.Provenance.Licence = hostile
	p.Provenance.Caveats = []string{hostile, "1. not a list\n- nor this"}
	p.Provenance.Sources[0].Name = hostile
	p.Provenance.Inputs[0].File = "data/<img src=x onerror=alert(1)>.csv"
	out := filepath.Join(t.TempDir(), "report")
	if _, err := Publish(context.Background(), computed(t, p), Options{Out: out, Tool: ToolInfo{Name: "exposure", Version: "<b>1</b>"}}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(out, ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	report := string(data)
	pages := readFolder(t, out)
	for name, data := range pages {
		if !strings.HasSuffix(name, ".md") && !strings.HasSuffix(name, ".html") {
			continue
		}
		page := string(data)
		for _, raw := range []string{"<script", "<img src=x", "<b>", "\nrm -rf", "\n# heading", "\n1. not a list", "\n- nor this", `="javascript:`} {
			if strings.Contains(page, raw) {
				t.Errorf("%s contains %q unescaped", name, raw)
			}
		}
		if !strings.HasSuffix(name, ".md") {
			continue
		}
		// The only links are the report's own: to its charts and its pages.
		for _, at := range unescapedLink.FindAllStringIndex(page, -1) {
			if rest := page[at[1]:]; !ownLink.MatchString(rest) {
				t.Errorf("%s contains a link: %q", name, page[at[0]:min(at[1]+40, len(page))])
			}
		}
	}
	if !strings.HasPrefix(report, "# &lt;script&gt;alert(1)&lt;/script&gt; \\| x \\|") {
		t.Errorf("title not escaped as expected: %q", strings.SplitN(report, "\n", 2)[0])
	}
	if strings.Contains(report, "```") {
		t.Error("a dataset id that is not a plain name must not be put in a code block")
	}
	// Every row of every table must have as many cells as its header: an unescaped pipe would add one.
	var columns int
	for _, line := range strings.Split(report, "\n") {
		if !strings.HasPrefix(line, "|") {
			columns = 0
			continue
		}
		n := strings.Count(line, "|") - strings.Count(line, `\|`)
		if columns == 0 {
			columns = n
		} else if n != columns {
			t.Errorf("table row has %d cell borders, its header %d: %s", n, columns, line)
		}
	}
}

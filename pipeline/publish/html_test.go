package publish

import (
	"bytes"
	"encoding/base64"
	"regexp"
	"strings"
	"testing"
)

// imgSource finds the source of every image of an HTML page.
var imgSource = regexp.MustCompile(`<img src="([^"]*)"`)

// TestHTMLSelfContained publishes the fixture and checks report.html and every country's HTML page:
// a complete document with print styles, every chart inlined byte for byte as a data: URI, no
// script, style sheet or image fetched from anywhere, and links to the HTML pages, not the Markdown.
func TestHTMLSelfContained(t *testing.T) {
	dir, _ := publishFixture(t, computed(t, fixture(t)))
	files := readFolder(t, dir)
	pages := 0
	for name, data := range files {
		if !strings.HasSuffix(name, ".html") {
			continue
		}
		pages++
		md, ok := files[strings.TrimSuffix(name, ".html")+".md"]
		if !ok {
			t.Errorf("%s renders no Markdown page of the report", name)
		}
		page := string(data)
		for _, want := range []string{"<!DOCTYPE html>", `<meta charset="utf-8">`, "<title>", "@media print", "@page", "<table>", `style="text-align:right"`} {
			if !strings.Contains(page, want) {
				t.Errorf("%s lacks %q", name, want)
			}
		}
		for _, bad := range []string{"<script", "<link", "<iframe", "@import", "url(", `src="http`, `href="http`, `.md"`, `.md#`} {
			if strings.Contains(page, bad) {
				t.Errorf("%s contains %q", name, bad)
			}
		}
		images := imgSource.FindAllStringSubmatch(page, -1)
		if want := strings.Count(string(md), "]("+"../charts/") + strings.Count(string(md), "](charts/"); len(images) != want {
			t.Errorf("%s has %d images, its Markdown %d charts", name, len(images), want)
		}
		for _, img := range images {
			data, ok := strings.CutPrefix(img[1], "data:image/svg+xml;base64,")
			if !ok {
				t.Errorf("%s shows an image that is not inlined: %.60s", name, img[1])
				continue
			}
			svg, err := base64.StdEncoding.DecodeString(data)
			if err != nil {
				t.Errorf("%s: an inlined chart is not base64: %v", name, err)
				continue
			}
			found := false
			for chart, want := range files {
				if strings.HasPrefix(chart, "charts/") && bytes.Equal(svg, want) {
					found = true
				}
			}
			if !found {
				t.Errorf("%s inlines an image that is no chart of the report", name)
			}
		}
	}
	if pages != 5 {
		t.Errorf("%d HTML pages, want report.html and the 4 country pages", pages)
	}
	report := string(files["report.html"])
	for _, want := range []string{`<a href="countries/DE.html">Germany</a>`, `<h2 id="summary">Summary</h2>`, `<h2 id="methodology">Methodology</h2>`} {
		if !strings.Contains(report, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	us := string(files["countries/US.html"])
	for _, want := range []string{`<a href="../report.html">Back to the briefing</a>`, `<a href="DE.html">Germany</a>`} {
		if !strings.Contains(us, want) {
			t.Errorf("countries/US.html lacks %q", want)
		}
	}
}

// TestRenderHTMLRefusesOutsideImages checks that a page cannot show an image that is not one of the
// report's charts: the HTML page would have to fetch it.
func TestRenderHTMLRefusesOutsideImages(t *testing.T) {
	files := map[string][]byte{"charts/a.svg": []byte("<svg/>")}
	for _, tt := range []struct {
		name, page, markdown string
		ok                   bool
	}{
		{"a chart", "report.md", "![a](charts/a.svg)", true},
		{"a chart from a country page", "countries/DE.md", "![a](../charts/a.svg)", true},
		{"a missing chart", "report.md", "![a](charts/b.svg)", false},
		{"a URL", "report.md", "![a](https://example.org/a.svg)", false},
		{"a data URI", "report.md", "![a](data:image/svg+xml;base64,PHN2Zy8+)", false},
		{"outside the folder", "report.md", "![a](../charts/a.svg)", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := renderHTML(tt.page, "t", []byte(tt.markdown), files)
			if (err == nil) != tt.ok {
				t.Errorf("renderHTML: %v, want ok %v", err, tt.ok)
			}
		})
	}
}

// TestPageLink checks which links are turned into links to HTML pages.
func TestPageLink(t *testing.T) {
	for in, want := range map[string]string{
		"countries/DE.md":          "countries/DE.html",
		"../report.md":             "../report.html",
		"DE.md#history":            "DE.html#history",
		"https://example.org/a.md": "https://example.org/a.md",
		"/abs/a.md":                "/abs/a.md",
		"charts/a.svg":             "charts/a.svg",
		"#summary":                 "#summary",
	} {
		if got := string(pageLink([]byte(in))); got != want {
			t.Errorf("pageLink(%q) = %q, want %q", in, got, want)
		}
	}
}

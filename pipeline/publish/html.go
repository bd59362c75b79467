package publish

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html"
	"path"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	gmhtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// The HTML pages are for people who do not read Markdown: report.html and countries/<CC>.html are
// rendered from the very Markdown of report.md and the country pages by goldmark (CommonMark with
// GitHub's tables), and are self-contained: every chart is inlined as a data: URI, no style sheet,
// font or script is fetched, and a link to another page of the report points to its HTML. They
// print well (A4, tables that do not split a row, headings kept with what follows), so a reader can
// make a PDF with a browser's Print.

// htmlName is the HTML page of a Markdown page of the report: report.md -> report.html.
func htmlName(markdown string) string {
	return strings.TrimSuffix(markdown, ".md") + ".html"
}

// renderHTML renders the Markdown page at page (a path inside the report folder) as a complete HTML
// document titled title. files are the report's other files by path, from which every image the
// page shows is inlined; an image that is not one of them is an error, since the page would fetch it.
func renderHTML(page, title string, markdown []byte, files map[string][]byte) ([]byte, error) {
	md := goldmark.New(
		goldmark.WithExtensions(extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignStyle))),
		goldmark.WithParserOptions(parser.WithAutoHeadingID()),
		goldmark.WithRendererOptions(renderer.WithNodeRenderers(util.Prioritized(&inlineImages{page: page, files: files}, 100))),
	)
	doc := md.Parser().Parse(text.NewReader(markdown))
	err := ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if link, ok := n.(*ast.Link); ok && entering {
			link.Destination = pageLink(link.Destination)
		}
		return ast.WalkContinue, nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", page, err)
	}
	var body bytes.Buffer
	if err := md.Renderer().Render(&body, markdown, doc); err != nil {
		return nil, fmt.Errorf("rendering %s as HTML: %w", page, err)
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"+
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>%s</title>\n<style>\n%s</style>\n</head>\n<body>\n<main>\n",
		html.EscapeString(strings.Join(strings.Fields(title), " ")), pageStyle)
	out.Write(body.Bytes())
	out.WriteString("</main>\n</body>\n</html>\n")
	return out.Bytes(), nil
}

// pageLink turns a relative link to a Markdown page of the report into a link to its HTML page,
// keeping a fragment; every other link is left as it is.
func pageLink(dest []byte) []byte {
	s := string(dest)
	if strings.Contains(s, ":") || strings.HasPrefix(s, "/") {
		return dest // a URL with a scheme, or an absolute path: not a page of the report
	}
	file, fragment, hasFragment := strings.Cut(s, "#")
	if !strings.HasSuffix(file, ".md") {
		return dest
	}
	s = htmlName(file)
	if hasFragment {
		s += "#" + fragment
	}
	return []byte(s)
}

// inlineImages renders an image as an <img> whose source is the file's bytes, as a data: URI.
// goldmark's own renderer drops data: URIs of SVG images, which can carry scripts from an
// untrusted source; these are the report's own charts, drawn by gonum from published figures.
type inlineImages struct {
	page  string
	files map[string][]byte
}

// RegisterFuncs implements renderer.NodeRenderer.
func (r *inlineImages) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindImage, r.renderImage)
}

func (r *inlineImages) renderImage(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	img := node.(*ast.Image)
	dest := string(img.Destination)
	file := path.Join(path.Dir(r.page), dest)
	data, ok := r.files[file]
	if strings.Contains(dest, ":") || !ok || path.Ext(file) != ".svg" {
		return ast.WalkStop, fmt.Errorf("%s shows the image %q, which is not an SVG chart of the report", r.page, dest)
	}
	_, _ = w.WriteString(`<img src="data:image/svg+xml;base64,`)
	_, _ = w.WriteString(base64.StdEncoding.EncodeToString(data))
	_, _ = w.WriteString(`" alt="`)
	altText(w, source, img)
	_, _ = w.WriteString(`">`)
	return ast.WalkSkipChildren, nil
}

// altText writes the text of a node's children, HTML-escaped, with Markdown's escapes and entities
// resolved as goldmark writes text.
func altText(w util.BufWriter, source []byte, n ast.Node) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch t := c.(type) {
		case *ast.Text:
			gmhtml.DefaultWriter.Write(w, t.Segment.Value(source))
		case *ast.String:
			gmhtml.DefaultWriter.Write(w, t.Value)
		default:
			altText(w, source, c)
		}
	}
}

// pageStyle is the style sheet of every HTML page: readable on a screen, and on paper (A4).
const pageStyle = `:root { color-scheme: light; }
body { margin: 0; background: #fff; color: #1a1a1a;
  font: 15px/1.5 'Liberation Sans', Arial, Helvetica, 'DejaVu Sans', sans-serif; }
main { max-width: 74rem; margin: 0 auto; padding: 1.5rem 2rem 3rem; }
h1 { font-size: 1.7rem; line-height: 1.25; margin: 0.5rem 0 1rem; }
h2 { font-size: 1.35rem; margin: 2.2rem 0 0.7rem; padding-bottom: 0.2rem; border-bottom: 1px solid #bbb; }
h3 { font-size: 1.1rem; margin: 1.6rem 0 0.5rem; }
p, li { max-width: 60rem; }
a { color: #0b4a8b; }
table { border-collapse: collapse; margin: 0.6rem 0 0.9rem; font-size: 0.85rem;
  font-variant-numeric: tabular-nums; }
th, td { padding: 0.25rem 0.55rem; border-bottom: 1px solid #ddd; vertical-align: top; }
th { background: #f0f0f0; border-bottom: 1px solid #888; text-align: left; }
tbody tr:nth-child(even) { background: #fafafa; }
img { display: block; max-width: 100%; height: auto; margin: 0.8rem 0 0.3rem; }
p > em:only-child { display: block; color: #444; font-size: 0.88rem; }
code, pre { font-family: 'Liberation Mono', 'DejaVu Sans Mono', monospace; font-size: 0.88em; }
pre { background: #f5f5f5; padding: 0.6rem 0.8rem; overflow-x: auto; }
td:first-child { white-space: nowrap; }
@media screen { table { display: block; max-width: 100%; overflow-x: auto; } }
@page { size: A4; margin: 14mm 12mm 16mm; }
@media print {
  body { font-size: 9.5pt; }
  main { max-width: none; padding: 0; }
  h1 { font-size: 17pt; }
  h2 { font-size: 13pt; break-after: avoid; page-break-after: avoid; }
  h3 { font-size: 11pt; break-after: avoid; page-break-after: avoid; }
  table { font-size: 7.5pt; }
  thead { display: table-header-group; }
  tr, img { break-inside: avoid; page-break-inside: avoid; }
  img { max-height: 190mm; max-width: 100%; width: auto; }
  a { color: inherit; }
  pre { white-space: pre-wrap; }
}
`

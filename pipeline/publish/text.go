package publish

import (
	"math"
	"strconv"
	"strings"
	"unicode"
)

// escapeText makes a string from the inputs (a title, a name, a caveat, a code) safe to place in the
// Markdown of report.md, in running text, a list item, a heading or a table cell alike. It is the only
// way input text reaches the report. It
//   - folds every run of white space (newlines included) into one space, so that no input can start a
//     new block, end a table row or open a code block by indentation;
//   - drops control characters and the Unicode bidirectional overrides that can make text read
//     differently from what it is;
//   - writes <, > and & as HTML entities, so that no input becomes a tag, a comment or an entity;
//   - puts a backslash before every character that opens Markdown inline syntax (emphasis, code span,
//     link, strikethrough, table pipe, heading mark), and before list or block markers at the start.
//
// Underscores inside a word are left alone: CommonMark does not read them as emphasis, and codes such
// as exposed_systems stay readable in the raw file.
func escapeText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
	runes := make([]rune, 0, len(s))
	for _, r := range s {
		if unicode.IsControl(r) || isBidiControl(r) {
			continue
		}
		runes = append(runes, r)
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i, r := range runes {
		switch r {
		case '<':
			b.WriteString("&lt;")
			continue
		case '>':
			b.WriteString("&gt;")
			continue
		case '&':
			b.WriteString("&amp;")
			continue
		case '\\', '`', '*', '[', ']', '|', '~', '#':
			b.WriteByte('\\')
		case '_':
			if !(i > 0 && i+1 < len(runes) && isWordRune(runes[i-1]) && isWordRune(runes[i+1])) {
				b.WriteByte('\\')
			}
		case '-', '+', '=':
			if i == 0 {
				b.WriteByte('\\')
			}
		case '.', ')':
			// "1. " or "1) " at the start would open an ordered list.
			if i > 0 && allDigits(runes[:i]) && (i+1 == len(runes) || runes[i+1] == ' ') {
				b.WriteByte('\\')
			}
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

func allDigits(rs []rune) bool {
	for _, r := range rs {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// isBidiControl reports the explicit directional formatting characters (Unicode UAX #9), which can
// reorder how text is displayed ("Trojan Source", CVE-2021-42574).
func isBidiControl(r rune) bool {
	return r >= '\u202A' && r <= '\u202E' || r >= '\u2066' && r <= '\u2069' || r == '\u200E' || r == '\u200F' || r == '\u061C'
}

// formatCount writes a count for people, with thousands separators: 1234567 -> "1,234,567".
func formatCount(n int64) string {
	digits := strconv.FormatInt(n, 10)
	sign := ""
	if n < 0 {
		sign, digits = "-", digits[1:]
	}
	var b strings.Builder
	b.WriteString(sign)
	for i := range len(digits) {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(digits[i])
	}
	return b.String()
}

// formatSignedCount writes a change with its sign: +1,234, -56, 0.
func formatSignedCount(n int64) string {
	if n > 0 {
		return "+" + formatCount(n)
	}
	return formatCount(n)
}

// formatPercent writes a percentage with one decimal and the unit: 12.5 -> "12.5 %". A value that
// rounds to zero is written without a sign, so that -0.04 does not read as a fall.
func formatPercent(p float64, signed bool) string {
	s := strconv.FormatFloat(p, 'f', 1, 64)
	if s == "-0.0" {
		s = "0.0"
	}
	if signed && s != "0.0" && p > 0 {
		s = "+" + s
	}
	return groupThousands(s) + " %"
}

// groupThousands puts separators into the integer part of a decimal number written by strconv.
func groupThousands(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
		sign, s = s[:1], s[1:]
	}
	intPart, frac, hasFrac := strings.Cut(s, ".")
	n, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil {
		return sign + s
	}
	out := sign + formatCount(n)
	if hasFrac {
		out += "." + frac
	}
	return out
}

// formatNumber writes a parameter as given, without trailing zeros: 10 -> "10", 0.2 -> "0.2".
func formatNumber(f float64) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

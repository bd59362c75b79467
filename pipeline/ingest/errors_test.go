package ingest

import (
	"strings"
	"testing"
)

// TestQuote checks that a value named in a message is shown whole (a long path is exactly what
// tells the user which file is meant), escaped so that it stays on one line, and cut only beyond
// maxQuoted bytes, at a character boundary, saying how long it was.
func TestQuote(t *testing.T) {
	longPath := "/home/researcher/projects/" + strings.Repeat("nested-folder/", 20) + "_outside/leak.csv"
	tests := []struct {
		name, in, want string
	}{
		{"plain", "UK", `"UK"`},
		{"a long path stays whole", longPath, `"` + longPath + `"`},
		{"control characters are escaped", "a\nb\x1b[2J\u202e", `"a\nb\x1b[2J\u202e"`},
		{"invalid UTF-8 is escaped", "a\xffb", `"a\xffb"`},
		{"exactly the cap", strings.Repeat("x", maxQuoted), `"` + strings.Repeat("x", maxQuoted) + `"`},
		{"beyond the cap", strings.Repeat("x", maxQuoted+1), `"` + strings.Repeat("x", maxQuoted) + `"... (4097 bytes in all)`},
		{"cut at a character boundary", strings.Repeat("x", maxQuoted-1) + "é" + "tail", `"` + strings.Repeat("x", maxQuoted-1) + `"... (4101 bytes in all)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := quote(tt.in); got != tt.want {
				t.Errorf("quote(%.60q...) = %.200q..., want %.200q...", tt.in, got, tt.want)
			}
		})
	}
}

// TestErrorNamesFileWhole checks that an Error whose file name carries a line break or an escape
// sequence prints it quoted, on one line, and a long one whole.
func TestErrorNamesFileWhole(t *testing.T) {
	long := strings.Repeat("deep/", 60) + "dataset"
	tests := []struct {
		name string
		err  *Error
		want string
	}{
		{"long folder", &Error{File: long, Err: fail(ErrNoFile, "cannot open the dataset folder")}, long + ": cannot open the dataset folder"},
		{"line break", &Error{File: "ds\nexposure: forged", Err: fail(ErrNoFile, "x")}, `"ds\nexposure: forged": x`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestUnsafePathShownWhole checks the message that once read `path "/…/_outside/lea"...`: the
// whole path is named.
func TestUnsafePathShownWhole(t *testing.T) {
	p := "/srv/data/" + strings.Repeat("x", 100) + "/_outside/leak.csv"
	_, err := cleanRelPath(p)
	if err == nil || !strings.Contains(err.Error(), `"`+p+`"`) {
		t.Errorf("cleanRelPath(%q) = %v, want the whole path in the message", p, err)
	}
}

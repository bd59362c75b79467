package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestProgress checks that progress is drawn only on a terminal and never with --quiet, and that the
// bars name each stage.
func TestProgress(t *testing.T) {
	var buf bytes.Buffer
	if progressOn(&buf, false) {
		t.Error("progress drawn on a buffer, which is not a terminal")
	}
	if progressOn(os.Stderr, true) {
		t.Error("progress drawn with --quiet")
	}
	p := newProgress(&buf)
	p.Read("data/a.csv", "verify", 10, 10)
	p.Read("data/a.csv", "read", 5, 10)
	p.Protected(3, 4)
	p.Written("cells.parquet")
	out := buf.String()
	for _, want := range []string{"verifying data/a.csv", "reading   data/a.csv", "protecting tables", "(3/4)", "writing cells.parquet"} {
		if !strings.Contains(out, want) {
			t.Errorf("progress output lacks %q:\n%q", want, out)
		}
	}
}

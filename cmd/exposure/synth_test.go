package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestSynthExitStatus checks that options that describe no dataset are wrong usage (exit 2, nothing
// written) and that a folder synth cannot use is a failure (exit 1).
func TestSynthExitStatus(t *testing.T) {
	base := t.TempDir()
	full := filepath.Join(base, "full")
	if err := os.MkdirAll(full, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(full, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(base, "out")
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"no out", []string{"synth"}, exitUsage},
		{"zero periods", []string{"synth", "--out", out, "--periods", "0"}, exitUsage},
		{"zero countries", []string{"synth", "--out", out, "--countries", "0"}, exitUsage},
		{"density zero", []string{"synth", "--out", out, "--density", "0"}, exitUsage},
		{"too many countries", []string{"synth", "--out", out, "--countries", "250"}, exitUsage},
		{"unknown shape", []string{"synth", "--out", out, "--shape", "round"}, exitUsage},
		{"unknown cadence", []string{"synth", "--out", out, "--cadence", "daily"}, exitUsage},
		{"unknown relations", []string{"synth", "--out", out, "--relations", "all"}, exitUsage},
		{"unknown metric", []string{"synth", "--out", out, "--metrics", "open_ports"}, exitUsage},
		{"metric twice", []string{"synth", "--out", out, "--metrics", "exposed_systems,exposed_systems"}, exitUsage},
		{"identity without offline", []string{"synth", "--out", out, "--relations", "identity", "--metrics", "exposed_systems,new_systems"}, exitUsage},
		{"full grid of 40 countries", []string{"synth", "--out", out, "--shape", "full-grid", "--countries", "40"}, exitUsage},
		{"full grid of 2 sources", []string{"synth", "--out", out, "--shape", "full-grid", "--sources", "2"}, exitUsage},
		{"sparse full grid", []string{"synth", "--out", out, "--shape", "full-grid", "--density", "0.5"}, exitUsage},
		{"key folder inside", []string{"synth", "--out", out, "--periods", "1", "--countries", "2", "--key-out", filepath.Join(out, "k")}, exitUsage},
		{"folder not empty", []string{"synth", "--out", full, "--periods", "1", "--countries", "2"}, exitData},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if got := run(tc.args, &stdout, &stderr); got != tc.want {
				t.Errorf("exit status %d, want %d\nstderr: %s", got, tc.want, stderr.String())
			}
			if stderr.Len() == 0 {
				t.Error("a failure printed nothing on stderr")
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("a refused synth created the dataset folder")
			}
		})
	}
}

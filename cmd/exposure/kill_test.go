package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestKilledBuild builds a synthetic dataset large enough that a build takes seconds, publishes a
// good report, then starts `exposure build` again and kills it with SIGKILL at several moments: at
// fractions of a measured build's time and right after the temporary report folder appears. After
// each kill the previous report must be byte for byte as it was, and the next build must remove the
// leftover temporary folder and publish the same bytes again. It runs the real binary, since a kill
// must hit a process, and is skipped with -short.
func TestKilledBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the binary; skipped with -short")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "exposure")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dataset := filepath.Join(dir, "ds")
	if out, err := exec.Command(bin, "synth", "--out", dataset, "--periods", "10").CombinedOutput(); err != nil {
		t.Fatalf("synth: %v\n%s", err, out)
	}
	out := filepath.Join(dir, "out")
	report := filepath.Join(out, "report")
	build := func() time.Duration {
		t.Helper()
		start := time.Now()
		if msg, err := exec.Command(bin, "build", dataset, "--out", report).CombinedOutput(); err != nil {
			t.Fatalf("build: %v\n%s", err, msg)
		}
		return time.Since(start)
	}
	took := build()
	good := snapshot(t, report)
	t.Logf("a build takes %v", took.Round(time.Millisecond))

	tempFolder := func() string {
		entries, err := os.ReadDir(out)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".report.tmp-") {
				return e.Name()
			}
		}
		return ""
	}
	tests := []struct {
		name    string
		wait    func(started time.Time) // returns when the build is to be killed
		writing bool                    // the kill must find the temporary folder
	}{
		{"at 5%", after(took / 20), false},
		{"at 25%", after(took / 4), false},
		{"at 50%", after(took / 2), false},
		{"at 75%", after(took * 3 / 4), false},
		{"at 95%", after(took * 19 / 20), false},
		{"as it starts writing", func(started time.Time) {
			for tempFolder() == "" && time.Since(started) < 2*took {
				time.Sleep(time.Millisecond)
			}
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(bin, "build", dataset, "--out", report)
			started := time.Now()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			tt.wait(started)
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			err := cmd.Wait()
			if cmd.ProcessState.Success() {
				t.Logf("the build finished before the kill (%v)", err)
			}
			left := tempFolder()
			t.Logf("killed after %v; temporary folder left: %q", time.Since(started).Round(time.Millisecond), left)
			if tt.writing && left == "" {
				t.Error("the build was not killed while it wrote the report")
			}
			if got := snapshot(t, report); got != good {
				t.Fatalf("the report changed when a build was killed:\nbefore:\n%s\nafter:\n%s", good, got)
			}
			build()
			if left := tempFolder(); left != "" {
				t.Errorf("the next build left the temporary folder %s", left)
			}
			if got := snapshot(t, report); got != good {
				t.Errorf("the next build published different bytes:\nbefore:\n%s\nafter:\n%s", good, got)
			}
		})
	}
}

// after returns a wait that ends d after the build started.
func after(d time.Duration) func(time.Time) {
	return func(started time.Time) { time.Sleep(time.Until(started.Add(d))) }
}

// TestConcurrentBuilds starts two real builds of the same report folder at once: while the first
// holds the folder, the second must fail at once with exit status 1 and say that another build is
// writing it, and the first must publish a complete report, its temporary folder untouched by the
// second. Skipped with -short.
func TestConcurrentBuilds(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "exposure")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dataset := filepath.Join(dir, "ds")
	if out, err := exec.Command(bin, "synth", "--out", dataset, "--periods", "10").CombinedOutput(); err != nil {
		t.Fatalf("synth: %v\n%s", err, out)
	}
	report := filepath.Join(dir, "report")
	first := exec.Command(bin, "build", dataset, "--out", report)
	var firstOut strings.Builder
	first.Stdout, first.Stderr = &firstOut, &firstOut
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	lock := filepath.Join(dir, ".report.lock")
	for start := time.Now(); ; time.Sleep(time.Millisecond) {
		if _, err := os.Stat(lock); err == nil {
			break
		}
		if time.Since(start) > time.Minute {
			t.Fatal("the first build never took the lock")
		}
	}
	second, err := exec.Command(bin, "build", dataset, "--out", report).CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != exitData {
		t.Errorf("the second build: %v, want exit status %d", err, exitData)
	}
	if !strings.Contains(string(second), "another build is writing it") {
		t.Errorf("the second build said:\n%s", second)
	}
	if err := first.Wait(); err != nil {
		t.Fatalf("the first build failed: %v\n%s", err, firstOut.String())
	}
	if out, err := exec.Command(bin, "verify", dataset, report).CombinedOutput(); err != nil {
		t.Errorf("the first build's report does not verify: %v\n%s", err, out)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".report.") {
			t.Errorf("%s left beside the report", e.Name())
		}
	}
}

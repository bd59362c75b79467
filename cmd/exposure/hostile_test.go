package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// baselineCase is the folder of testdata/hostile that holds the valid dataset whose report each
// hostile build must leave as it was.
const baselineCase = "_baseline"

// TestHostile runs `exposure build <case>/ds --out <tmp>/report` on every case of testdata/hostile,
// where a good report already exists, and checks that the build fails with exit status 1, that stderr
// says what each line of the case's `want` says (file, and line where there is one), and that the
// report folder is byte for byte as it was, with no temporary folder left beside it.
func TestHostile(t *testing.T) {
	const root = "testdata/hostile"
	good := filepath.Join(t.TempDir(), "report")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"build", filepath.Join(root, baselineCase, "ds"), "--out", good}, &stdout, &stderr); code != exitOK {
		t.Fatalf("the baseline dataset does not build (exit %d):\n%s", code, stderr.String())
	}
	generated := map[string]hostileCase{}
	for _, c := range hostileCases(t) {
		generated[c.name] = c
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() == baselineCase {
			continue
		}
		t.Run(e.Name(), func(t *testing.T) {
			dir := t.TempDir()
			// The whole case folder is copied: some cases point out of ds/ at files beside it.
			copyTree(t, filepath.Join(root, e.Name()), filepath.Join(dir, "case"))
			if c, ok := generated[e.Name()]; ok && len(c.dir.big) > 0 {
				big := hostileCase{name: c.name, doc: c.doc, want: c.want, args: c.args,
					dir: caseFiles{big: c.dir.big}}
				writeCase(t, filepath.Join(dir, "case"), big, true)
			}
			want := readLines(t, filepath.Join(root, e.Name(), "want"))
			if len(want) == 0 {
				t.Fatal("the case has no expected message")
			}
			out := filepath.Join(dir, "out")
			report := filepath.Join(out, "report")
			copyTree(t, good, report)
			before := snapshot(t, out)

			args := []string{"build", filepath.Join(dir, "case", "ds"), "--out", report}
			if extra, err := os.ReadFile(filepath.Join(root, e.Name(), "args")); err == nil {
				args = append(args, strings.Fields(string(extra))...)
			}
			var stdout, stderr bytes.Buffer
			code := run(args, &stdout, &stderr)
			if code != exitData {
				t.Errorf("exit status %d, want %d", code, exitData)
			}
			lines := strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n")
			for _, pattern := range want {
				re, err := regexp.Compile(pattern)
				if err != nil {
					t.Fatalf("want %q: %v", pattern, err)
				}
				found := false
				for _, line := range lines {
					found = found || re.MatchString(line)
				}
				if !found {
					t.Errorf("no line of stderr matches %s", pattern)
				}
			}
			for _, line := range lines {
				if !strings.HasPrefix(line, "exposure: ") || !strings.ContainsFunc(line, func(r rune) bool { return r > ' ' }) {
					t.Errorf("stderr line %q does not stand alone as an error", line)
				}
			}
			if stdout.Len() > 0 {
				t.Errorf("a failed build wrote to stdout: %q", stdout.String())
			}
			after := snapshot(t, out)
			if before != after {
				t.Errorf("the output folder changed:\nbefore:\n%s\nafter:\n%s", before, after)
			}
			if t.Failed() {
				t.Logf("stderr:\n%s", stderr.String())
			}
		})
	}
}

// readLines returns the lines of a want file that are not comments or blank.
func readLines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, line := range strings.Split(string(data), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			lines = append(lines, line)
		}
	}
	return lines
}

// copyTree copies a folder, recreating symbolic links as links.
func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		target := filepath.Join(to, rel)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		default:
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			return os.WriteFile(target, data, 0o644)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}

// snapshot describes every entry beneath dir: path, kind and the SHA-256 of each file's bytes.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if d.IsDir() {
			b.WriteString(rel + "/\n")
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		b.WriteString(rel + " " + hex.EncodeToString(sum[:]) + "\n")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

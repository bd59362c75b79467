package publish

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// tree describes every entry beneath dir, symbolic links included (not followed), with each file's
// digest, so that a test can tell that nothing was changed, added or removed.
func tree(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			dest, err := os.Readlink(p)
			if err != nil {
				return err
			}
			b.WriteString(rel + " -> " + dest + "\n")
		case d.IsDir():
			b.WriteString(rel + "/\n")
		default:
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(data)
			b.WriteString(rel + " " + hex.EncodeToString(sum[:]) + "\n")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func mustWrite(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// copyReport copies a published report folder to dst.
func copyReport(t *testing.T, src, dst string) {
	t.Helper()
	for name, data := range readFolder(t, src) {
		mustWrite(t, filepath.Join(dst, filepath.FromSlash(name)), string(data))
	}
}

// TestOpenTarget checks which folders a build may replace (SPEC 5, "Safe target"): a missing or
// empty folder and an earlier report, nothing else; and that a refusal says why and changes nothing
// anywhere under the test's folder, not even a lock file.
func TestOpenTarget(t *testing.T) {
	report, _ := publishFixture(t, computed(t, fixture(t)))
	tests := []struct {
		name string
		// setup makes the situation under root and returns the report folder and the dataset folder.
		setup func(t *testing.T, root string) (out, dataset string)
		want  string // "" accepts; else the refusal contains it
	}{
		{"missing folder", func(t *testing.T, root string) (string, string) {
			return filepath.Join(root, "new", "deeper", "report"), filepath.Join(root, "ds")
		}, ""},
		{"empty folder", func(t *testing.T, root string) (string, string) {
			os.Mkdir(filepath.Join(root, "report"), 0o755)
			return filepath.Join(root, "report"), filepath.Join(root, "ds")
		}, ""},
		{"earlier report", func(t *testing.T, root string) (string, string) {
			copyReport(t, report, filepath.Join(root, "report"))
			return filepath.Join(root, "report"), filepath.Join(root, "ds")
		}, ""},
		{"earlier signed report", func(t *testing.T, root string) (string, string) {
			copyReport(t, report, filepath.Join(root, "report"))
			mustWrite(t, filepath.Join(root, "report", SignatureFile), "untrusted comment: x\n")
			return filepath.Join(root, "report"), filepath.Join(root, "ds")
		}, ""},
		{"earlier report with a listed file missing", func(t *testing.T, root string) (string, string) {
			copyReport(t, report, filepath.Join(root, "report"))
			os.Remove(filepath.Join(root, "report", "summary.parquet"))
			return filepath.Join(root, "report"), filepath.Join(root, "ds")
		}, ""},
		{"a foreign file", func(t *testing.T, root string) (string, string) {
			mustWrite(t, filepath.Join(root, "important", "notes.txt"), "my notes")
			return filepath.Join(root, "important"), filepath.Join(root, "ds")
		}, "it holds notes.txt and has no manifest.json, so it is not a report folder"},
		{"a foreign file beside a report", func(t *testing.T, root string) (string, string) {
			copyReport(t, report, filepath.Join(root, "report"))
			mustWrite(t, filepath.Join(root, "report", "notes.txt"), "my notes")
			return filepath.Join(root, "report"), filepath.Join(root, "ds")
		}, "it holds notes.txt, which its manifest.json does not list"},
		{"a foreign file among the charts", func(t *testing.T, root string) (string, string) {
			copyReport(t, report, filepath.Join(root, "report"))
			mustWrite(t, filepath.Join(root, "report", "charts", "mine.svg"), "<svg/>")
			return filepath.Join(root, "report"), filepath.Join(root, "ds")
		}, "it holds charts/mine.svg, which"},
		{"a foreign folder", func(t *testing.T, root string) (string, string) {
			copyReport(t, report, filepath.Join(root, "report"))
			os.Mkdir(filepath.Join(root, "report", "drafts"), 0o755)
			return filepath.Join(root, "report"), filepath.Join(root, "ds")
		}, "it holds drafts/, which"},
		{"an edited report", func(t *testing.T, root string) (string, string) {
			copyReport(t, report, filepath.Join(root, "report"))
			mustWrite(t, filepath.Join(root, "report", ReportFile), "# my edits\n")
			return filepath.Join(root, "report"), filepath.Join(root, "ds")
		}, "report.md changed since the build that wrote it"},
		{"a manifest of someone else", func(t *testing.T, root string) (string, string) {
			mustWrite(t, filepath.Join(root, "report", ManifestFile), `{"name": "my-package"}`)
			return filepath.Join(root, "report"), filepath.Join(root, "ds")
		}, "its manifest.json is not one this tool wrote"},
		{"a symbolic link", func(t *testing.T, root string) (string, string) {
			os.Mkdir(filepath.Join(root, "elsewhere"), 0o755)
			os.Symlink("elsewhere", filepath.Join(root, "report"))
			return filepath.Join(root, "report"), filepath.Join(root, "ds")
		}, "it is a symbolic link (to elsewhere)"},
		{"a file", func(t *testing.T, root string) (string, string) {
			mustWrite(t, filepath.Join(root, "report"), "x")
			return filepath.Join(root, "report"), filepath.Join(root, "ds")
		}, "it exists and is not a folder"},
		{"the dataset folder", func(t *testing.T, root string) (string, string) {
			mustWrite(t, filepath.Join(root, "ds", "dataset.yaml"), "id: x\n")
			return filepath.Join(root, "ds"), filepath.Join(root, "ds")
		}, "it is the folder the build reads"},
		{"the dataset folder by another name", func(t *testing.T, root string) (string, string) {
			mustWrite(t, filepath.Join(root, "ds", "dataset.yaml"), "id: x\n")
			os.Symlink("ds", filepath.Join(root, "link"))
			return filepath.Join(root, "ds", "..", "ds"), filepath.Join(root, "link")
		}, "it is the folder the build reads"},
		{"inside the dataset folder", func(t *testing.T, root string) (string, string) {
			mustWrite(t, filepath.Join(root, "ds", "dataset.yaml"), "id: x\n")
			return filepath.Join(root, "ds", "reports", "x"), filepath.Join(root, "ds")
		}, "it is inside the folder the build reads"},
		{"above the dataset folder", func(t *testing.T, root string) (string, string) {
			mustWrite(t, filepath.Join(root, "m", "ds", "dataset.yaml"), "id: x\n")
			return filepath.Join(root, "m"), filepath.Join(root, "m", "ds")
		}, "it holds the folder the build reads"},
		{"the home folder", func(t *testing.T, root string) (string, string) {
			t.Setenv("HOME", filepath.Join(root, "home"))
			os.Mkdir(filepath.Join(root, "home"), 0o755)
			return filepath.Join(root, "home"), filepath.Join(root, "ds")
		}, "it is your home folder"},
		{"the root", func(t *testing.T, root string) (string, string) {
			return "/", filepath.Join(root, "ds")
		}, "it is the root of the file system"},
		{"the current folder", func(t *testing.T, root string) (string, string) {
			return ".", filepath.Join(root, "ds")
		}, "it needs the folder's own name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			out, dataset := tt.setup(t, root)
			before := tree(t, root)
			target, err := OpenTarget(out, dataset)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if err := target.Close(); err != nil {
					t.Fatal(err)
				}
			} else {
				var te *TargetError
				if !errors.As(err, &te) || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("OpenTarget = %v, want a refusal containing %q", err, tt.want)
				}
				if !strings.HasPrefix(err.Error(), "cannot publish into ") {
					t.Errorf("the message does not start by naming the folder: %s", err)
				}
			}
			if after := tree(t, root); after != before {
				t.Errorf("the folders changed:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
}

// TestConcurrentPublish starts a build and, while it writes its temporary folder, a second build of
// the same report folder: the second is refused as busy, and the first one's temporary folder is
// left alone, so that the first build completes.
func TestConcurrentPublish(t *testing.T) {
	parent := t.TempDir()
	out := filepath.Join(parent, "report")
	writing, resume := make(chan struct{}), make(chan struct{})
	var once sync.Once
	testHookFileWritten = func(string) error {
		once.Do(func() {
			close(writing)
			<-resume
		})
		return nil
	}
	defer func() { testHookFileWritten = nil }()
	first := make(chan error, 1)
	go func() {
		_, err := Publish(context.Background(), computed(t, fixture(t)), Options{Out: out, Tool: testTool})
		first <- err
	}()
	<-writing
	temps := func() []string {
		var names []string
		entries, _ := os.ReadDir(parent)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), tempPrefix("report")) {
				names = append(names, e.Name())
			}
		}
		return names
	}
	during := temps()
	if len(during) != 1 {
		t.Fatalf("the first build's temporary folders: %v, want one", during)
	}
	_, err := Publish(context.Background(), computed(t, fixture(t)), Options{Out: out, Tool: testTool})
	if !errors.Is(err, ErrTargetBusy) || !strings.Contains(err.Error(), "another build is writing it") {
		t.Errorf("the second build returned %v, want it refused as busy", err)
	}
	if got := temps(); len(got) != 1 || got[0] != during[0] {
		t.Errorf("the second build touched the first one's temporary folder: %v, was %v", got, during)
	}
	close(resume)
	if err := <-first; err != nil {
		t.Fatalf("the first build failed: %v", err)
	}
	if _, err := ReadManifest(out); err != nil {
		t.Error(err)
	}
	entries, _ := os.ReadDir(parent)
	if len(entries) != 1 {
		t.Errorf("beside the report: %v, want nothing (no temporary folder, no lock file)", entries)
	}
}

// TestStaleTempFileKept checks that a file with the name of a temporary folder is not removed: only
// the folders the tool made are.
func TestStaleTempFileKept(t *testing.T) {
	parent := t.TempDir()
	name := filepath.Join(parent, tempPrefix("report")+"4242")
	mustWrite(t, name, "mine")
	if _, err := Publish(context.Background(), computed(t, fixture(t)), Options{Out: filepath.Join(parent, "report"), Tool: testTool}); err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(name); err != nil || string(data) != "mine" {
		t.Errorf("the file %s was changed: %q, %v", name, data, err)
	}
}

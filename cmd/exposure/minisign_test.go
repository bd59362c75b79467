package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exposure-research/exposure/pipeline/publish"
)

// minisignCLI returns the path of the minisign program, skipping the test without it (CI installs
// it with script/bootstrap).
func minisignCLI(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("minisign")
	if err != nil {
		t.Skip("minisign is not installed (apt-get install minisign)")
	}
	return path
}

// runMinisign runs the minisign program with input on its stdin (its passphrase prompt reads it there
// when stdin is not a terminal) and returns its combined output and error.
func runMinisign(t *testing.T, bin, dir, input string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(input)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// buildSigned builds a small dataset into dir/report, signed with the secret key file key.
func buildSigned(t *testing.T, dir, key string) (stdout, stderr string, code int) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, "ds")); err != nil {
		writeCase(t, dir, hostileCase{name: "signed", dir: baseDir(t)}, false)
	}
	var out, errOut bytes.Buffer
	code = run([]string{"build", filepath.Join(dir, "ds"), "--out", filepath.Join(dir, "report"), "--sign", key}, &out, &errOut)
	return out.String(), errOut.String(), code
}

// TestMinisignInterop checks the signatures against the real minisign program: a key that minisign
// -G made (unencrypted, and encrypted with a passphrase from EXPOSURE_SIGN_PASSWORD, which a wrong
// passphrase does not open) signs the manifest in a way that minisign -Vm accepts and verify
// --published accepts with minisign's public key, and minisign rejects it once the manifest changes. The encrypted key is skipped
// with -short: minisign's scrypt parameters take a few seconds and 1 GiB to open it.
func TestMinisignInterop(t *testing.T) {
	bin := minisignCLI(t)
	tests := []struct {
		name      string
		encrypted bool
		// wrong, when set, is tried first as EXPOSURE_SIGN_PASSWORD and must fail to open the key.
		wrong string
	}{
		{"unencrypted key", false, ""},
		{"encrypted key", true, "wrong horse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.encrypted && testing.Short() {
				t.Skip("opening an encrypted minisign key takes seconds; skipped with -short")
			}
			dir := t.TempDir()
			gen := []string{"-G", "-p", "publisher.pub", "-s", "publisher.key"}
			input := ""
			if tt.encrypted {
				input = "correct horse\ncorrect horse\n"
			} else {
				gen = append(gen, "-W")
			}
			if out, err := runMinisign(t, bin, dir, input, gen...); err != nil {
				t.Fatalf("minisign -G: %v\n%s", err, out)
			}
			if tt.wrong != "" {
				t.Setenv(signPasswordEnv, tt.wrong)
				_, stderr, code := buildSigned(t, dir, filepath.Join(dir, "publisher.key"))
				want := "cannot decrypt " + filepath.Join(dir, "publisher.key") + ": wrong passphrase, or not a minisign secret key"
				if code != exitData || !strings.Contains(stderr, want) {
					t.Errorf("with a wrong passphrase: exit %d, stderr %q; want exit 1 and %q", code, stderr, want)
				}
				if _, err := os.Stat(filepath.Join(dir, "report")); err == nil {
					t.Error("a build that could not sign published a report")
				}
			}
			if tt.encrypted {
				t.Setenv(signPasswordEnv, "correct horse")
			}
			stdout, stderr, code := buildSigned(t, dir, filepath.Join(dir, "publisher.key"))
			if code != exitOK {
				t.Fatalf("build --sign: exit %d\n%s", code, stderr)
			}
			if !strings.Contains(stdout, "signed manifest.json with key") {
				t.Errorf("build --sign said: %s", stdout)
			}
			report := filepath.Join(dir, "report")
			out, err := runMinisign(t, bin, report, "", "-Vm", publish.ManifestFile, "-p", filepath.Join(dir, "publisher.pub"))
			if err != nil {
				t.Fatalf("minisign -Vm manifest.json refused the signature: %v\n%s", err, out)
			}
			if !strings.Contains(out, "Trusted comment: dataset:hostile tool:exposure ") {
				t.Errorf("minisign printed no trusted comment naming the dataset and the tool:\n%s", out)
			}
			var vout, verr bytes.Buffer
			if code := run([]string{"verify", "--published", report, "--key", filepath.Join(dir, "publisher.pub")}, &vout, &verr); code != exitOK {
				t.Errorf("verify --published with minisign's public key: exit %d\n%s", code, verr.String())
			}
			manifest := filepath.Join(report, publish.ManifestFile)
			data, err := os.ReadFile(manifest)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(manifest, bytes.Replace(data, []byte(`"rows": `), []byte(`"rows":  `), 1), 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := runMinisign(t, bin, report, "", "-Vm", publish.ManifestFile, "-p", filepath.Join(dir, "publisher.pub")); err == nil {
				t.Errorf("minisign accepted a changed manifest:\n%s", out)
			}
		})
	}
}

// TestMinisignSignedManifest checks the other direction: a manifest that the minisign program signed
// (prehashed, with its own trusted comment) passes verify --published.
func TestMinisignSignedManifest(t *testing.T) {
	bin := minisignCLI(t)
	dir := t.TempDir()
	if out, err := runMinisign(t, bin, dir, "", "-G", "-W", "-p", "publisher.pub", "-s", "publisher.key"); err != nil {
		t.Fatalf("minisign -G: %v\n%s", err, out)
	}
	writeCase(t, dir, hostileCase{name: "plain", dir: baseDir(t)}, false)
	report := filepath.Join(dir, "report")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"build", filepath.Join(dir, "ds"), "--out", report}, &stdout, &stderr); code != exitOK {
		t.Fatalf("build: exit %d\n%s", code, stderr.String())
	}
	if out, err := runMinisign(t, bin, report, "", "-Sm", publish.ManifestFile, "-s", filepath.Join(dir, "publisher.key"), "-t", "signed by hand"); err != nil {
		t.Fatalf("minisign -Sm: %v\n%s", err, out)
	}
	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"verify", "--published", report, "--key", filepath.Join(dir, "publisher.pub")}, &stdout, &stderr); code != exitOK {
		t.Fatalf("verify --published: exit %d\n%s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "(trusted comment: signed by hand)") {
		t.Errorf("verify --published said: %s", stdout.String())
	}
}

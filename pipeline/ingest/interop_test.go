package ingest

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"aead.dev/minisign"

	"github.com/exposure-research/exposure/internal/signing"
)

// minisignCLI returns the path of the minisign program, or skips the test when it is not installed
// (CI installs it: apt-get install minisign).
func minisignCLI(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("minisign")
	if err != nil {
		t.Skip("the minisign program is not installed (apt-get install minisign); skipping the interoperability test")
	}
	return path
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stdin = strings.NewReader("")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// cliKey makes a key pair with the minisign program, without a password, and returns the paths of
// the public and the secret key.
func cliKey(t *testing.T, cli, dir, name string) (pub, sec string) {
	t.Helper()
	pub, sec = filepath.Join(dir, name+".pub"), filepath.Join(dir, name+".key")
	run(t, cli, "-G", "-W", "-p", pub, "-s", sec)
	return pub, sec
}

// TestMinisignCLISignatures checks that files the minisign program signs, prehashed (its default)
// and legacy (-l), verify, and that a changed file and a foreign key fail, with the kinds that say so.
func TestMinisignCLISignatures(t *testing.T) {
	cli := minisignCLI(t)
	keys := t.TempDir()
	pub, sec := cliKey(t, cli, keys, "alpha")
	_, strangerSec := cliKey(t, cli, keys, "stranger")
	tests := []struct {
		name   string
		args   []string // signing options besides -s and -m
		secret string
		tamper bool
		kind   error // nil: Load must succeed
	}{
		{"prehashed", nil, sec, false, nil},
		{"legacy", []string{"-l"}, sec, false, nil},
		{"prehashed with trusted comment", []string{"-t", "period 2019-09"}, sec, false, nil},
		{"prehashed, file changed", nil, sec, true, ErrTampered},
		{"legacy, file changed", []string{"-l"}, sec, true, ErrTampered},
		{"foreign key", nil, strangerSec, false, ErrForeignKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := csvInput("2019-09-01,DE,hospital,exposed_systems,10,3,,\n")
			in.signer = "-"
			dir := makeDataset(t, in)
			mustWrite(t, filepath.Join(dir, "keys/alpha.pub"), readFile(t, pub))
			file := filepath.Join(dir, "data/a.csv")
			run(t, cli, append([]string{"-S", "-s", tt.secret, "-m", file}, tt.args...)...)
			if tt.tamper {
				mustWrite(t, file, append(readFile(t, file), "2019-09-01,FR,hospital,exposed_systems,10,3,,\n"...))
			}
			list := loadErrors(t, dir, Options{})
			if tt.kind == nil {
				if list != nil {
					t.Fatalf("Load: %v", list)
				}
				return
			}
			if len(list) != 1 || !errors.Is(list[0], tt.kind) {
				t.Fatalf("got %v, want one error of kind %q", list, tt.kind)
			}
		})
	}
}

// TestSigningPackageVerifiesWithCLI checks the other direction: files signed by internal/signing,
// prehashed and legacy, verify with `minisign -V`, and a changed file does not.
func TestSigningPackageVerifiesWithCLI(t *testing.T) {
	cli := minisignCLI(t)
	key := keyFor(t, "alpha")
	dir := t.TempDir()
	pub := filepath.Join(dir, "alpha.pub")
	writePublicKey(t, pub, key.pub)
	for _, tt := range []struct {
		name string
		sign func(string, minisign.PrivateKey, string) error
	}{
		{"prehashed", signing.SignFile},
		{"legacy", signing.SignLegacyFile},
	} {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(dir, tt.name+".csv")
			mustWrite(t, file, []byte(header+"2019-09-01,DE,hospital,exposed_systems,10,3,,\n"))
			if err := tt.sign(file, key.priv, "test"); err != nil {
				t.Fatal(err)
			}
			run(t, cli, "-V", "-p", pub, "-m", file)
			mustWrite(t, file, []byte(header))
			cmd := exec.Command(cli, "-V", "-p", pub, "-m", file)
			if out, err := cmd.CombinedOutput(); err == nil {
				t.Errorf("minisign -V accepted a changed file:\n%s", out)
			}
		})
	}
}

// TestWritePublicKeyReadableByCLI checks that internal/signing.WritePublicKey writes a key file
// that the minisign program reads (and that Load reads too).
func TestWritePublicKeyReadableByCLI(t *testing.T) {
	cli := minisignCLI(t)
	key := keyFor(t, "alpha")
	dir := t.TempDir()
	pub := filepath.Join(dir, "alpha.pub")
	if err := signing.WritePublicKey(pub, key.pub); err != nil {
		t.Fatal(err)
	}
	if parsed, err := parsePublicKey(readFile(t, pub)); err != nil || !parsed.Equal(key.pub) {
		t.Fatalf("Load cannot read the key file of WritePublicKey: %v", err)
	}
	if n := strings.Count(string(readFile(t, pub)), "untrusted comment:"); n != 1 {
		t.Fatalf("the key file has %d comment lines; minisign reads exactly one", n)
	}
	file := filepath.Join(dir, "a.csv")
	mustWrite(t, file, []byte(header))
	if err := signing.SignFile(file, key.priv, "test"); err != nil {
		t.Fatal(err)
	}
	run(t, cli, "-V", "-p", pub, "-m", file)
}

package main

import (
	"bytes"
	"crypto/sha256"
	"flag"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"aead.dev/minisign"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/exposure-research/exposure/internal/signing"
	"github.com/exposure-research/exposure/pipeline/publish"
)

var update = flag.Bool("update", false, "rewrite the expected output in testdata/script/*.txtar")

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"exposure": func() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs the command-line scripts under testdata/script: each runs exposure on a small
// dataset and checks stdout, stderr, the exit status and the files written.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		UpdateScripts:       *update,
		RequireExplicitExec: true,
		Cmds: map[string]func(*testscript.TestScript, bool, []string){
			"keygen":   cmdKeygen,
			"sign":     cmdSign,
			"tree":     cmdTree,
			"holdlock": cmdHoldLock,
			"seckey":   cmdSecretKey,
			"flipbyte": cmdFlipByte,
		},
		Setup: func(env *testscript.Env) error {
			env.Setenv("TZ", "UTC")
			return nil
		},
	})
}

// keyFor returns the deterministic test key pair of a named source, so scripts can sign files
// without private keys in the repository.
func keyFor(name string) (minisign.PublicKey, minisign.PrivateKey) {
	var seed [32]byte
	copy(seed[:], "exposure test key "+name)
	pub, priv, err := signing.GenerateKey(rand.NewChaCha8(seed))
	if err != nil {
		panic(err) // a ChaCha8 stream never fails
	}
	return pub, priv
}

// cmdKeygen writes the public key of each named test source: keygen NAME FILE.
func cmdKeygen(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: keygen NAME PUBFILE")
	}
	pub, _ := keyFor(args[0])
	path := ts.MkAbs(args[1])
	ts.Check(os.MkdirAll(filepath.Dir(path), 0o755))
	ts.Check(signing.WritePublicKey(path, pub))
}

// cmdSign signs files with a named test source's key: sign [-legacy] NAME FILE...
func cmdSign(ts *testscript.TestScript, neg bool, args []string) {
	legacy := len(args) > 0 && args[0] == "-legacy"
	if legacy {
		args = args[1:]
	}
	if neg || len(args) < 2 {
		ts.Fatalf("usage: sign [-legacy] NAME FILE...")
	}
	_, priv := keyFor(args[0])
	for _, f := range args[1:] {
		path := ts.MkAbs(f)
		var err error
		if legacy {
			err = signing.SignLegacyFile(path, priv, "file:"+filepath.Base(f))
		} else {
			err = signing.SignFile(path, priv, "file:"+filepath.Base(f))
		}
		ts.Check(err)
	}
}

// cmdSecretKey writes the unencrypted minisign secret key of a named test source, as minisign -G -W
// would: seckey NAME FILE.
func cmdSecretKey(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: seckey NAME FILE")
	}
	_, priv := keyFor(args[0])
	text, err := priv.MarshalText()
	ts.Check(err)
	path := ts.MkAbs(args[1])
	ts.Check(os.MkdirAll(filepath.Dir(path), 0o755))
	ts.Check(os.WriteFile(path, append(text, '\n'), 0o600))
}

// cmdFlipByte changes one byte of a file in place, the one at the given offset from the start (or,
// when negative, from the end): flipbyte FILE OFFSET.
func cmdFlipByte(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: flipbyte FILE OFFSET")
	}
	path := ts.MkAbs(args[0])
	data, err := os.ReadFile(path)
	ts.Check(err)
	offset, err := strconv.Atoi(args[1])
	ts.Check(err)
	if offset < 0 {
		offset += len(data)
	}
	if offset < 0 || offset >= len(data) {
		ts.Fatalf("%s has %d bytes, no byte at %s", args[0], len(data), args[1])
	}
	data[offset] ^= 0x01
	ts.Check(os.WriteFile(path, data, 0o644))
}

// cmdTree prints every entry beneath a folder, with the SHA-256 of each file and the target of each
// symbolic link, so that a script can check that nothing in it changed: tree DIR, then cmp stdout.
func cmdTree(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: tree DIR")
	}
	root := ts.MkAbs(args[0])
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			dest, err := os.Readlink(path)
			if err != nil {
				return err
			}
			fmt.Fprintf(ts.Stdout(), "%s -> %s\n", filepath.ToSlash(rel), dest)
		case d.IsDir():
			fmt.Fprintf(ts.Stdout(), "%s/\n", filepath.ToSlash(rel))
		default:
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			fmt.Fprintf(ts.Stdout(), "%s %x\n", filepath.ToSlash(rel), sha256.Sum256(data))
		}
		return nil
	})
	ts.Check(err)
}

// cmdHoldLock reserves a report folder as a running build does (publish.OpenTarget: checked and
// locked) until the script ends, so that a script can start a second build while the first holds
// the folder: holdlock DIR.
func cmdHoldLock(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: holdlock DIR")
	}
	target, err := publish.OpenTarget(ts.MkAbs(args[0]))
	ts.Check(err)
	ts.Defer(func() { target.Close() })
}

// TestRunExitStatus checks the mapping of outcomes to exit statuses without a script.
func TestRunExitStatus(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"help", []string{"--help"}, exitOK},
		{"unknown command", []string{"frobnicate"}, exitUsage},
		{"unknown flag", []string{"validate", "--frobnicate", "x"}, exitUsage},
		{"missing argument", []string{"validate"}, exitUsage},
		{"too many arguments", []string{"verify", "a", "b", "c"}, exitUsage},
		{"missing dataset", []string{"validate", filepath.Join(t.TempDir(), "nope")}, exitData},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			defer func() {
				if t.Failed() {
					t.Logf("stdout: %s", stdout.String())
				}
			}()
			if got := run(tc.args, &stdout, &stderr); got != tc.want {
				t.Errorf("exit status %d, want %d\nstderr: %s", got, tc.want, stderr.String())
			}
			if tc.want != exitOK && stderr.Len() == 0 {
				t.Error("a failure printed nothing on stderr")
			}
		})
	}
}

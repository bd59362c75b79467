package main

import (
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadSecretKey checks where the passphrase of an encrypted key comes from (the environment
// first, else the terminal's prompt, else an error that says how to give it) and that an unencrypted
// key needs none. The encrypted key here has the header of one and no real ciphertext, so that no
// case spends seconds in scrypt: TestMinisignInterop opens real ones.
func TestReadSecretKey(t *testing.T) {
	dir := t.TempDir()
	_, priv := keyFor("publisher")
	text, err := priv.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "plain.key")
	header := make([]byte, 158)
	copy(header, "EdScB2")
	encrypted := filepath.Join(dir, "encrypted.key")
	garbage := filepath.Join(dir, "garbage.key")
	for path, data := range map[string]string{
		plain:     string(text),
		encrypted: "untrusted comment: minisign encrypted secret key\n" + base64.StdEncoding.EncodeToString(header) + "\n",
		garbage:   "not a key\n",
	} {
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	noEnv := func(string) (string, bool) { return "", false }
	env := func(string) (string, bool) { return "from the environment", true }
	var asked []string
	prompt := func(what string) (string, error) { asked = append(asked, what); return "typed", nil }
	failing := func(string) (string, error) { return "", errors.New("no tty") }
	tests := []struct {
		name      string
		path      string
		src       passphraseSource
		want      string // "" means the key is read
		wantAsked bool
	}{
		{"unencrypted key", plain, passphraseSource{env: noEnv}, "", false},
		{"encrypted key, no passphrase, no terminal", encrypted, passphraseSource{env: noEnv},
			"--sign: " + encrypted + " is encrypted: set EXPOSURE_SIGN_PASSWORD to its passphrase, or run on a terminal to be asked for it", false},
		{"encrypted key, passphrase from the environment", encrypted, passphraseSource{env: env, prompt: prompt},
			"--sign: cannot decrypt " + encrypted + ": wrong passphrase, or not a minisign secret key", false},
		{"encrypted key, passphrase typed", encrypted, passphraseSource{env: noEnv, prompt: prompt},
			"--sign: cannot decrypt " + encrypted + ": wrong passphrase, or not a minisign secret key", true},
		{"encrypted key, prompt fails", encrypted, passphraseSource{env: noEnv, prompt: failing}, "--sign: reading the passphrase: no tty", false},
		{"not a key", garbage, passphraseSource{env: noEnv}, "--sign: " + garbage + " is not a minisign secret key", false},
		{"missing file", filepath.Join(dir, "none.key"), passphraseSource{env: noEnv}, "no such file", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			asked = nil
			key, err := readSecretKey(tt.path, tt.src)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want == "" && key.ID() != priv.ID():
				t.Errorf("key id %X, want %X", key.ID(), priv.ID())
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
			if got := len(asked) > 0; got != tt.wantAsked {
				t.Errorf("prompted %v, want %v", asked, tt.wantAsked)
			}
		})
	}
}

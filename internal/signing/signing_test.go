package signing

import (
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"aead.dev/minisign"
)

func testKey(t *testing.T) (minisign.PublicKey, minisign.PrivateKey) {
	t.Helper()
	pub, priv, err := GenerateKey(rand.NewChaCha8([32]byte{1}))
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

// TestRoundTrip checks that what this package writes, the minisign library reads and verifies:
// public keys, prehashed and legacy signatures.
func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	pub, priv := testKey(t)
	keyPath := filepath.Join(dir, "k.pub")
	if err := WritePublicKey(keyPath, pub); err != nil {
		t.Fatal(err)
	}
	read, err := minisign.PublicKeyFromFile(keyPath)
	if err != nil {
		t.Fatalf("reading the written public key: %v", err)
	}
	if !read.Equal(pub) {
		t.Fatal("public key changed in the round trip")
	}
	data := filepath.Join(dir, "data.csv")
	if err := os.WriteFile(data, []byte("period,country\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		sign func(string, minisign.PrivateKey, string) error
	}{{"prehashed", SignFile}, {"legacy", SignLegacyFile}} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.sign(data, priv, "file:data.csv"); err != nil {
				t.Fatal(err)
			}
			sig, err := os.ReadFile(data + ".minisig")
			if err != nil {
				t.Fatal(err)
			}
			msg, _ := os.ReadFile(data)
			if !minisign.Verify(read, msg, sig) {
				t.Error("signature does not verify")
			}
			if minisign.Verify(read, append(msg, 'x'), sig) {
				t.Error("signature verifies a changed file")
			}
		})
	}
	if KeyID(pub.ID()) != KeyID(priv.ID()) || len(KeyID(pub.ID())) != 16 {
		t.Errorf("KeyID = %q", KeyID(pub.ID()))
	}
}

// TestMinisignCLI checks that the minisign tool itself accepts the keys and signatures.
func TestMinisignCLI(t *testing.T) {
	bin, err := exec.LookPath("minisign")
	if err != nil {
		t.Skip("minisign not installed (apt-get install minisign); CI installs it")
	}
	dir := t.TempDir()
	pub, priv := testKey(t)
	keyPath := filepath.Join(dir, "k.pub")
	data := filepath.Join(dir, "data.csv")
	if err := WritePublicKey(keyPath, pub); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(data, bytes.Repeat([]byte("2019-09-16,DE\n"), 1000), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, sign := range []func(string, minisign.PrivateKey, string) error{SignFile, SignLegacyFile} {
		if err := sign(data, priv, "file:data.csv"); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(bin, "-V", "-p", keyPath, "-m", data).CombinedOutput()
		if err != nil {
			t.Fatalf("minisign -V: %v\n%s", err, out)
		}
	}
}

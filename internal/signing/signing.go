// Package signing writes minisign keys and signatures the way the minisign tool does, for the code
// that makes signed datasets (the synthetic generator, the bundled dataset's tooling and tests) and
// for the publish stage, which signs a report's manifest with the publisher's key when asked to
// (exposure build --sign). The pipeline never signs an input; it only verifies them (pipeline/ingest).
package signing

import (
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"strings"

	"aead.dev/minisign"
)

// GenerateKey returns a new key pair from the given randomness (crypto/rand when nil). A deterministic
// reader gives a deterministic key, which tests and the synthetic generator use.
func GenerateKey(random io.Reader) (minisign.PublicKey, minisign.PrivateKey, error) {
	if random == nil {
		random = rand.Reader
	}
	pub, priv, err := minisign.GenerateKey(random)
	if err != nil {
		return minisign.PublicKey{}, minisign.PrivateKey{}, fmt.Errorf("generating minisign key: %w", err)
	}
	return pub, priv, nil
}

// KeyID formats a minisign key id as minisign prints it: 16 upper-case hexadecimal digits.
func KeyID(id uint64) string { return fmt.Sprintf("%016X", id) }

// WritePublicKey writes key to path in minisign's public key format: an untrusted comment line and
// the base64 key line.
func WritePublicKey(path string, key minisign.PublicKey) error {
	body := "untrusted comment: minisign public key " + KeyID(key.ID()) + "\n" + key.String() + "\n"
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		return fmt.Errorf("writing public key: %w", err)
	}
	return nil
}

// Sign returns a prehashed minisign signature (the default of minisign 0.11) of everything r yields,
// with the given trusted comment, which the signature covers.
func Sign(r io.Reader, key minisign.PrivateKey, trustedComment string) ([]byte, error) {
	if strings.ContainsAny(trustedComment, "\r\n") {
		return nil, fmt.Errorf("trusted comment must be one line")
	}
	reader := minisign.NewReader(r)
	if _, err := io.Copy(io.Discard, reader); err != nil {
		return nil, err
	}
	untrusted := "signature from minisign secret key " + KeyID(key.ID())
	return reader.SignWithComments(key, trustedComment, untrusted), nil
}

// SignFile writes path+".minisig", a prehashed minisign signature of the file at path.
func SignFile(path string, key minisign.PrivateKey, trustedComment string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("signing %s: %w", path, err)
	}
	defer f.Close()
	sig, err := Sign(f, key, trustedComment)
	if err != nil {
		return fmt.Errorf("signing %s: %w", path, err)
	}
	if err := os.WriteFile(path+".minisig", sig, 0o644); err != nil {
		return fmt.Errorf("signing %s: %w", path, err)
	}
	return nil
}

// SignLegacyFile writes path+".minisig", a legacy (not prehashed) minisign signature of the whole
// file, as `minisign -S -l` makes it.
func SignLegacyFile(path string, key minisign.PrivateKey, trustedComment string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("signing %s: %w", path, err)
	}
	sig := minisign.SignWithComments(key, data, trustedComment, "signature from minisign secret key "+KeyID(key.ID()))
	if err := os.WriteFile(path+".minisig", sig, 0o644); err != nil {
		return fmt.Errorf("signing %s: %w", path, err)
	}
	return nil
}

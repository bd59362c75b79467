package ingest

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"aead.dev/minisign"
)

// base64Line is a line of standard base64 and nothing else.
var base64Line = regexp.MustCompile(`^[A-Za-z0-9+/]+={0,2}$`)

// parsePublicKey reads a minisign public key file: optional "untrusted comment:" lines, then the
// base64 key (algorithm "Ed", key id, Ed25519 key), as `minisign -G` writes it. Blank lines and CRLF
// line ends are tolerated; anything else after the key is refused, so that a file holding two keys
// cannot be read as either.
func parsePublicKey(data []byte) (minisign.PublicKey, error) {
	var key minisign.PublicKey
	if !utf8.Valid(data) {
		return key, fmt.Errorf("not a text file")
	}
	var keyLine string
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, "\r")
		switch {
		case strings.TrimSpace(line) == "":
		case strings.HasPrefix(line, "untrusted comment:") && keyLine == "":
		case keyLine == "":
			keyLine = strings.TrimSpace(line)
		default:
			return key, fmt.Errorf("unexpected text after the key: %s", quote(line))
		}
	}
	if keyLine == "" {
		return key, fmt.Errorf("no key in the file")
	}
	// The decoder skips CR and LF inside its input; a key line must be base64 and nothing else.
	raw, err := base64.StdEncoding.Strict().DecodeString(keyLine)
	if err != nil || !base64Line.MatchString(keyLine) || len(raw) != 2+8+ed25519.PublicKeySize {
		return key, fmt.Errorf("the key line is not a base64 minisign public key")
	}
	if binary.LittleEndian.Uint16(raw) != minisign.EdDSA {
		return key, fmt.Errorf("the key's algorithm is not Ed25519 (\"Ed\")")
	}
	if err := key.UnmarshalText([]byte(keyLine)); err != nil {
		return key, err
	}
	return key, nil
}

// ed25519Key returns the raw Ed25519 key of a minisign public key.
func ed25519Key(key minisign.PublicKey) ed25519.PublicKey {
	raw, err := base64.StdEncoding.DecodeString(key.String())
	if err != nil || len(raw) != 2+8+ed25519.PublicKeySize {
		// key.String always encodes 42 bytes; a failure here is a broken minisign package.
		return nil
	}
	return ed25519.PublicKey(raw[10:])
}

// signatureCheck is a parsed detached signature whose structure, key and trusted comment have been
// verified; only the message itself remains to be checked (by checkMessage or a minisign.Reader).
type signatureCheck struct {
	text []byte             // the .minisig file, as minisign's verifiers take it
	sig  minisign.Signature // parsed
}

// prehashed reports whether the signature covers the BLAKE2b-512 hash of the file (minisign's
// default since 0.8, "ED") rather than the file itself (legacy, "Ed").
func (s *signatureCheck) prehashed() bool { return s.sig.Algorithm == minisign.HashEdDSA }

// checkSignature parses a .minisig file and checks everything that does not need the signed file:
// the format, that the key id is that of the source's key, and that the trusted comment carries the
// signer's global signature. sigFile and keyFile name the files for messages.
func checkSignature(text []byte, key minisign.PublicKey, sigFile, keyFile string) (*signatureCheck, error) {
	var sig minisign.Signature
	if err := sig.UnmarshalText(text); err != nil {
		return nil, fail(ErrSignatureMalformed, "%s is not a minisign signature: %s", sigFile, strings.TrimPrefix(err.Error(), "minisign: "))
	}
	if rest := trailingText(text); rest != "" {
		return nil, fail(ErrSignatureMalformed, "%s is not a minisign signature: unexpected text after the signature: %s", sigFile, quote(rest))
	}
	if sig.KeyID != key.ID() {
		return nil, fail(ErrForeignKey, "signed by key %s, but the source's key (%s) is %s",
			keyIDOf(sig.KeyID), keyFile, keyIDOf(key.ID()))
	}
	// The library checks the message and comment signatures together; checking the comment first,
	// on its own, tells an altered trusted comment (or signature line) from an altered file.
	global := append(append([]byte(nil), sig.Signature[:]...), sig.TrustedComment...)
	if !ed25519.Verify(ed25519Key(key), global, sig.CommentSignature[:]) {
		return nil, fail(ErrCommentTampered, "%s: the trusted comment or the signature line was changed after signing", sigFile)
	}
	return &signatureCheck{text: text, sig: sig}, nil
}

// trailingText returns what follows the fourth line of a signature file, which minisign never
// writes, with white space trimmed.
func trailingText(text []byte) string {
	lines := bytes.SplitN(text, []byte("\n"), 5)
	if len(lines) < 5 {
		return ""
	}
	return strings.TrimSpace(string(lines[4]))
}

// checkMessage verifies the whole signed file held in memory, legacy or prehashed.
func (s *signatureCheck) checkMessage(key minisign.PublicKey, message []byte) bool {
	return minisign.Verify(key, message, s.text)
}

package publish

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"aead.dev/minisign"

	"github.com/exposure-research/exposure/internal/signing"
)

// TrustedComment is the trusted comment of a report's signature: signed with the manifest, it names
// the dataset and the release of the tool, and no time, so that the same key signs the same
// manifest into the same bytes.
func TrustedComment(m *Manifest) string {
	return fmt.Sprintf("dataset:%s tool:%s %s file:%s", m.Dataset.ID, m.Tool.Name, m.Tool.Version, ManifestFile)
}

// signManifest returns the minisign signature of the manifest's bytes by key, prehashed as minisign
// -Sm writes it, after checking that the key's public half accepts it.
func signManifest(data []byte, m *Manifest, key minisign.PrivateKey) ([]byte, error) {
	comment := TrustedComment(m)
	if strings.ContainsAny(comment, "\r\n") {
		return nil, fmt.Errorf("signing %s: the dataset id or tool version holds a line break", ManifestFile)
	}
	sig, err := signing.Sign(bytes.NewReader(data), key, comment)
	if err != nil {
		return nil, fmt.Errorf("signing %s: %w", ManifestFile, err)
	}
	pub, ok := key.Public().(minisign.PublicKey)
	if !ok || !minisign.Verify(pub, data, sig) {
		return nil, fmt.Errorf("signing %s: the key's own public key does not accept the signature", ManifestFile)
	}
	return sig, nil
}

// PublishedCheck is what VerifyPublished found in a report folder: the signature, and every
// difference from the signed manifest, the first difference's cause as the summary.
type PublishedCheck struct {
	KeyID          string // the key id of the signature, as minisign prints it
	TrustedComment string // the signature's trusted comment, when the signature is valid
	Files          int    // files the manifest lists
	Mismatch
}

// VerifyPublished checks a published report folder without its dataset (SPEC 5, 7): that
// manifest.json.minisig is a valid signature of manifest.json by pub, that every file the manifest
// lists has the listed size and SHA-256, and that the folder holds no other file but the manifest
// and its signature. It returns every difference; an error is a folder that cannot be read at all.
func VerifyPublished(dir string, pub minisign.PublicKey) (*PublishedCheck, error) {
	check := &PublishedCheck{}
	data, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if errors.Is(err, os.ErrNotExist) {
		check.Summary = fmt.Sprintf("%s has no %s: it is not a report folder", showPath(dir), ManifestFile)
		check.Differences = []string{ManifestFile + ": missing"}
		return check, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", ManifestFile, err)
	}
	signatureOK := false
	sigText, err := os.ReadFile(filepath.Join(dir, SignatureFile))
	switch {
	case errors.Is(err, os.ErrNotExist):
		check.fail(fmt.Sprintf("the report is not signed: %s is missing", SignatureFile),
			SignatureFile+": missing; the publisher signs a release with exposure build --sign")
	case err != nil:
		return nil, fmt.Errorf("reading %s: %w", SignatureFile, err)
	default:
		var sig minisign.Signature
		switch err := sig.UnmarshalText(sigText); {
		case err != nil:
			check.fail(fmt.Sprintf("%s is not a minisign signature", SignatureFile),
				fmt.Sprintf("%s: %s", SignatureFile, strings.TrimPrefix(err.Error(), "minisign: ")))
		case sig.KeyID != pub.ID():
			check.KeyID = signing.KeyID(sig.KeyID)
			check.fail(fmt.Sprintf("the report is signed by another key: %s, not the key given (%s)", signing.KeyID(sig.KeyID), signing.KeyID(pub.ID())),
				fmt.Sprintf("%s: signed by key %s, the key given is %s", SignatureFile, signing.KeyID(sig.KeyID), signing.KeyID(pub.ID())))
		case !minisign.Verify(pub, data, sigText):
			check.KeyID = signing.KeyID(sig.KeyID)
			check.fail(fmt.Sprintf("the signature does not match %s: the manifest or its trusted comment was changed after signing", ManifestFile),
				fmt.Sprintf("%s: the signature by key %s does not match %s", SignatureFile, signing.KeyID(sig.KeyID), ManifestFile))
		default:
			check.KeyID = signing.KeyID(sig.KeyID)
			check.TrustedComment = sig.TrustedComment
			signatureOK = true
		}
	}
	m, err := parseManifest(data, ManifestFile)
	if err != nil {
		check.fail(fmt.Sprintf("%s cannot be read", ManifestFile), err.Error())
		return check, nil
	}
	check.Files = len(m.Outputs)
	diffs, err := checkFiles(dir, m)
	if err != nil {
		return nil, err
	}
	if len(diffs.lines) > 0 {
		what := "signed manifest"
		if !signatureOK {
			what = "manifest"
		}
		check.fail(fmt.Sprintf("the files differ from the %s: %s", what, diffs.summary()), diffs.lines...)
	}
	return check, nil
}

// fail records differences, and the summary if it is the first.
func (c *PublishedCheck) fail(summary string, diffs ...string) {
	if c.Summary == "" {
		c.Summary = summary
	}
	c.Differences = append(c.Differences, diffs...)
}

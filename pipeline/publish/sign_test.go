package publish

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"aead.dev/minisign"

	"github.com/exposure-research/exposure/internal/signing"
)

// testKeys returns a deterministic publisher key pair.
func testKeys(t *testing.T, name string) (minisign.PublicKey, minisign.PrivateKey) {
	t.Helper()
	var seed [32]byte
	copy(seed[:], "publish test key "+name)
	pub, priv, err := signing.GenerateKey(rand.NewChaCha8(seed))
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

// publishSigned publishes the fixture into a new folder, signed with priv.
func publishSigned(t *testing.T, priv minisign.PrivateKey) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "report")
	if _, err := Publish(context.Background(), computed(t, fixture(t)), Options{Out: out, Tool: testTool, Signer: &priv}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestVerifyPublished signs a report and checks it from the folder alone: as published it passes,
// and one byte changed in a file of each kind, a file added or removed, another key or no
// signature are each found and summed up in the first line.
func TestVerifyPublished(t *testing.T) {
	pub, priv := testKeys(t, "publisher")
	other, _ := testKeys(t, "mallory")
	flip := func(name string, at int) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) {
			path := filepath.Join(dir, filepath.FromSlash(name))
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if at < 0 {
				at += len(data)
			}
			data[at] ^= 1
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	tests := []struct {
		name    string
		change  func(t *testing.T, dir string)
		key     minisign.PublicKey
		summary string // "" means no difference
		diff    string // a difference must contain it
	}{
		{"as published", func(*testing.T, string) {}, pub, "", ""},
		{"cells.parquet", flip("cells.parquet", 200), pub, "the files differ from the signed manifest: 1 changed (cells.parquet)", "cells.parquet: "},
		{"trends.parquet", flip("trends.parquet", -30), pub, "the files differ from the signed manifest: 1 changed (trends.parquet)", "trends.parquet: "},
		{"series.parquet", flip("series.parquet", 10), pub, "1 changed (series.parquet)", ""},
		{"summary.parquet", flip("summary.parquet", 300), pub, "1 changed (summary.parquet)", ""},
		{"report.md", flip("report.md", 5), pub, "1 changed (report.md)", ""},
		{"a chart", flip("charts/exposed_systems-latest.svg", 100), pub, "1 changed (charts/exposed_systems-latest.svg)", ""},
		{"datapackage.json", flip("datapackage.json", 40), pub, "1 changed (datapackage.json)", ""},
		{"manifest.json", flip(ManifestFile, 3), pub,
			"the signature does not match manifest.json: the manifest or its trusted comment was changed after signing", "does not match manifest.json"},
		{"the trusted comment", func(t *testing.T, dir string) {
			path := filepath.Join(dir, SignatureFile)
			data, _ := os.ReadFile(path)
			os.WriteFile(path, bytes.Replace(data, []byte("dataset:pacs-test"), []byte("dataset:pacs-best"), 1), 0o644)
		}, pub, "the signature does not match manifest.json", ""},
		{"a file added", func(t *testing.T, dir string) { mustWrite(t, filepath.Join(dir, "charts", "extra.svg"), "<svg/>") }, pub,
			"the files differ from the signed manifest: 1 not listed (charts/extra.svg)", "charts/extra.svg: in the folder but not in the manifest"},
		{"a file removed", func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, "series.parquet")) }, pub,
			"the files differ from the signed manifest: 1 missing (series.parquet)", "series.parquet: listed in the manifest but missing"},
		{"another key", func(*testing.T, string) {}, other, "the report is signed by another key", "signed by key"},
		{"not signed", func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, SignatureFile)) }, pub,
			"the report is not signed: manifest.json.minisig is missing", ""},
		{"not a signature", func(t *testing.T, dir string) { mustWrite(t, filepath.Join(dir, SignatureFile), "hello\n") }, pub,
			"manifest.json.minisig is not a minisign signature", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := publishSigned(t, priv)
			tt.change(t, dir)
			check, err := VerifyPublished(dir, tt.key)
			if err != nil {
				t.Fatal(err)
			}
			if tt.summary == "" {
				if len(check.Differences) > 0 {
					t.Fatalf("differences: %s", check)
				}
				if check.TrustedComment != "dataset:pacs-test tool:exposure 0.0.0-test file:manifest.json" || check.Files < 12 {
					t.Errorf("check %+v", check)
				}
				return
			}
			if !strings.Contains(check.Summary, tt.summary) {
				t.Errorf("summary %q, want it to contain %q", check.Summary, tt.summary)
			}
			if !strings.Contains(strings.Join(check.Differences, "\n"), tt.diff) {
				t.Errorf("differences %q lack %q", check.Differences, tt.diff)
			}
		})
	}
}

// TestSignedLikeUnsigned checks that a signed build and an unsigned one agree on every byte but the
// signature, and that the same key signs the same manifest into the same signature.
func TestSignedLikeUnsigned(t *testing.T) {
	_, priv := testKeys(t, "publisher")
	signed, again := publishSigned(t, priv), publishSigned(t, priv)
	plain, _ := publishFixture(t, computed(t, fixture(t)))
	a, b := readFolder(t, signed), readFolder(t, plain)
	if len(a) != len(b)+1 {
		t.Errorf("signed report has %d files, unsigned %d; want exactly one more", len(a), len(b))
	}
	for name, data := range b {
		if !bytes.Equal(a[name], data) {
			t.Errorf("%s differs between a signed and an unsigned build", name)
		}
	}
	if !bytes.Equal(a[SignatureFile], readFolder(t, again)[SignatureFile]) {
		t.Error("signing the same manifest twice gave two signatures")
	}
	if diffs, err := CheckFiles(signed, mustManifest(t, signed)); err != nil || len(diffs) > 0 {
		t.Errorf("CheckFiles does not accept the signature: %v %v", diffs, err)
	}
}

func mustManifest(t *testing.T, dir string) *Manifest {
	t.Helper()
	m, err := ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

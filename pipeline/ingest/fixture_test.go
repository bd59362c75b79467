package ingest

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"aead.dev/minisign"

	"github.com/exposure-research/exposure/internal/signing"
)

// testKey is a source's key pair, made afresh from a fixed seed for every test run; no private key
// is ever written into the repository.
type testKey struct {
	pub  minisign.PublicKey
	priv minisign.PrivateKey
}

var (
	testKeysOnce sync.Once
	testKeys     map[string]testKey
)

// keyFor returns the test key pair of a source id.
func keyFor(t testing.TB, source string) testKey {
	t.Helper()
	testKeysOnce.Do(func() {
		testKeys = map[string]testKey{}
		for i, id := range []string{"alpha", "beta", "mallory"} {
			pub, priv, err := signing.GenerateKey(rand.NewChaCha8([32]byte{byte(i + 1)}))
			if err != nil {
				panic(err)
			}
			testKeys[id] = testKey{pub, priv}
		}
	})
	k, ok := testKeys[source]
	if !ok {
		t.Fatalf("no test key for %q", source)
	}
	return k
}

// writePublicKey writes a public key file exactly as `minisign -G` does.
func writePublicKey(t testing.TB, path string, key minisign.PublicKey) {
	t.Helper()
	body := "untrusted comment: minisign public key " + signing.KeyID(key.ID()) + "\n" + key.String() + "\n"
	mustWrite(t, path, []byte(body))
}

func mustWrite(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// baseYAML is the configuration of the test datasets: source alpha without scope, source beta limited
// to DE and FR, exposed_systems, and 2019.
const baseYAML = `id: test-set
title: Test dataset
licence: CC-BY-4.0
sources:
  - id: alpha
    name: Alpha Research
    key: keys/alpha.pub
  - id: beta
    name: Beta Scans
    key: keys/beta.pub
    scope:
      countries: [DE, FR]
      metrics: [exposed_systems]
      periods: {from: 2019-01-01, to: 2019-12-31}
inputs:
%s
`

// header is the full header of a CSV submission.
const header = "period,country,org_type,metric,value,contributors,largest,second_largest\n"

// input is one input file of a test dataset.
type input struct {
	file   string // relative path
	source string // the source whose entry names it
	signer string // the key that signs it: "" = source's key, "-" = unsigned, "legacy:" prefix = legacy signature
	data   []byte
}

// makeDataset writes a dataset folder with baseYAML, the keys of alpha and beta, and the inputs,
// signed as each says, and returns its path.
func makeDataset(t testing.TB, inputs ...input) string {
	t.Helper()
	dir := t.TempDir()
	writePublicKey(t, filepath.Join(dir, "keys/alpha.pub"), keyFor(t, "alpha").pub)
	writePublicKey(t, filepath.Join(dir, "keys/beta.pub"), keyFor(t, "beta").pub)
	var entries strings.Builder
	for _, in := range inputs {
		entries.WriteString("  - file: " + in.file + "\n    source: " + in.source + "\n")
		path := filepath.Join(dir, in.file)
		mustWrite(t, path, in.data)
		signer, legacy := in.signer, false
		if rest, ok := strings.CutPrefix(signer, "legacy:"); ok {
			signer, legacy = rest, true
		}
		if signer == "-" {
			continue
		}
		if signer == "" {
			signer = in.source
		}
		sign := signing.SignFile
		if legacy {
			sign = signing.SignLegacyFile
		}
		if err := sign(path, keyFor(t, signer).priv, "test signature"); err != nil {
			t.Fatal(err)
		}
	}
	mustWrite(t, filepath.Join(dir, ConfigFile), []byte(strings.Replace(baseYAML, "%s", entries.String(), 1)))
	return dir
}

// csvInput is an input of source alpha with the full header and the given rows.
func csvInput(rows string) input {
	return input{file: "data/a.csv", source: "alpha", data: []byte(header + rows)}
}

// loadErrors loads dir with no environment and returns the error list (nil when Load succeeds).
func loadErrors(t testing.TB, dir string, opts Options) ErrorList {
	t.Helper()
	if opts.Env == nil {
		opts.Env = []string{}
	}
	_, err := Load(context.Background(), dir, opts)
	if err == nil {
		return nil
	}
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("Load error is not an ErrorList: %T %v", err, err)
	}
	return list
}

// mustLoad loads dir with no environment and fails the test on error.
func mustLoad(t testing.TB, dir string) *Dataset {
	t.Helper()
	ds, err := Load(context.Background(), dir, Options{Env: []string{}})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return ds
}

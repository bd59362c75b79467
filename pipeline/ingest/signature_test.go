package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/exposure-research/exposure/internal/signing"
	"github.com/exposure-research/exposure/schemas"
)

// TestSignatureRules has one case per way a submission's signature can fail (SPEC 3.2). Each asserts
// the kind and the whole message, and that no row of the untrusted file was read: its rows break
// rules too, and none of those may be reported.
func TestSignatureRules(t *testing.T) {
	// Both rows are invalid; a file whose signature fails must not get that far.
	const rows = "2019-09-01,UK,hospital,exposed_systems,10,3,,\n2019-09-01,DE,hospital,exposed_systems,-1,3,,\n"
	alphaID := signing.KeyID(keyFor(t, "alpha").pub.ID())
	malloryID := signing.KeyID(keyFor(t, "mallory").pub.ID())
	betaID := signing.KeyID(keyFor(t, "beta").pub.ID())
	tests := []struct {
		name   string
		signer string
		change func(t *testing.T, dir string) // applied after signing
		kind   error
		want   string
	}{
		{"missing signature", "-", nil, ErrSignatureMissing,
			"data/a.csv: not signed: data/a.csv.minisig does not exist (every submission needs a detached minisign signature, e.g. minisign -Sm data/a.csv)"},
		{"malformed signature", "", func(t *testing.T, dir string) {
			mustWrite(t, filepath.Join(dir, "data/a.csv.minisig"), []byte("this is not a signature\n"))
		}, ErrSignatureMalformed, "data/a.csv: data/a.csv.minisig is not a minisign signature: invalid signature"},
		{"truncated signature", "", func(t *testing.T, dir string) {
			sig := readFile(t, filepath.Join(dir, "data/a.csv.minisig"))
			mustWrite(t, filepath.Join(dir, "data/a.csv.minisig"), sig[:len(sig)/2])
		}, ErrSignatureMalformed, "data/a.csv: data/a.csv.minisig is not a minisign signature: invalid signature"},
		{"text after the signature", "", func(t *testing.T, dir string) {
			sig := readFile(t, filepath.Join(dir, "data/a.csv.minisig"))
			mustWrite(t, filepath.Join(dir, "data/a.csv.minisig"), append(sig, "untrusted comment: x\n"...))
		}, ErrSignatureMalformed, "data/a.csv: data/a.csv.minisig is not a minisign signature: invalid signature: illegal base64 data at input byte 89"},
		{"signed by a stranger", "mallory", nil, ErrForeignKey,
			"data/a.csv: signed by key " + malloryID + ", but the source's key (keys/alpha.pub) is " + alphaID},
		{"signed by another source", "beta", nil, ErrForeignKey,
			"data/a.csv: signed by key " + betaID + ", but the source's key (keys/alpha.pub) is " + alphaID},
		{"file changed after signing", "", func(t *testing.T, dir string) {
			path := filepath.Join(dir, "data/a.csv")
			mustWrite(t, path, []byte(strings.Replace(string(readFile(t, path)), "10,3", "11,3", 1)))
		}, ErrTampered, "data/a.csv: the file does not match its signature data/a.csv.minisig: it was changed after it was signed, or the signature is of another file"},
		{"legacy signature, file changed", "legacy:", func(t *testing.T, dir string) {
			path := filepath.Join(dir, "data/a.csv")
			mustWrite(t, path, append(readFile(t, path), '\n'))
		}, ErrTampered, "data/a.csv: the file does not match its signature data/a.csv.minisig: it was changed after it was signed, or the signature is of another file"},
		{"trusted comment changed", "", func(t *testing.T, dir string) {
			path := filepath.Join(dir, "data/a.csv.minisig")
			mustWrite(t, path, []byte(strings.Replace(string(readFile(t, path)), "trusted comment: test signature", "trusted comment: other", 1)))
		}, ErrCommentTampered, "data/a.csv: data/a.csv.minisig: the trusted comment or the signature line was changed after signing"},
		{"legacy file above the limit", "legacy:", func(t *testing.T, dir string) {}, ErrTooLarge,
			"data/a.csv: 165 bytes is more than the limit of 100 (limits.max_file_bytes; raise it in dataset.yaml, with --max-file-bytes or --set limits.max_file_bytes=N)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := csvInput(rows)
			in.signer = tt.signer
			dir := makeDataset(t, in)
			if tt.change != nil {
				tt.change(t, dir)
			}
			opts := Options{}
			if tt.kind == ErrTooLarge {
				opts.MaxFileBytes = 100
			}
			list := loadErrors(t, dir, opts)
			if len(list) != 1 {
				t.Fatalf("got %d errors, want only the signature's:\n%v", len(list), list)
			}
			if !errors.Is(list[0], tt.kind) {
				t.Errorf("error %q is not of kind %q", list[0], tt.kind)
			}
			if got := list[0].Error(); got != tt.want {
				t.Errorf("message\n got: %s\nwant: %s", got, tt.want)
			}
		})
	}
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestSignatureAccepted checks that prehashed and legacy signatures verify and that the provenance
// of each input (key id, SHA-256 of the bytes, rows) is recorded.
func TestSignatureAccepted(t *testing.T) {
	const rows = "2019-09-01,DE,hospital,exposed_systems,10,3,,\n2019-09-01,FR,hospital,exposed_systems,4,2,,\n"
	for _, signer := range []string{"", "legacy:"} {
		t.Run("signer="+signer, func(t *testing.T) {
			in := csvInput(rows)
			in.signer = signer
			dir := makeDataset(t, in)
			ds := mustLoad(t, dir)
			sum := sha256.Sum256(readFile(t, filepath.Join(dir, "data/a.csv")))
			want := InputFile{File: "data/a.csv", Source: "alpha", SHA256: hex.EncodeToString(sum[:]),
				KeyID: signing.KeyID(keyFor(t, "alpha").pub.ID()), Rows: 2,
				Tables: []schemas.TableRef{{Period: mustDate(t, "2019-09-01"), Metric: exposedID(t, ds)}}}
			if len(ds.Inputs) != 1 || !reflect.DeepEqual(ds.Inputs[0], want) {
				t.Errorf("inputs: got %+v, want %+v", ds.Inputs, want)
			}
		})
	}
}

// TestSignatureStopsOnlyItsFile checks that a file with a bad signature does not stop the others
// from being verified and read: every error of every file is listed.
func TestSignatureStopsOnlyItsFile(t *testing.T) {
	bad := csvInput("2019-09-01,UK,hospital,exposed_systems,10,3,,\n")
	bad.signer = "mallory"
	other := input{file: "data/b.csv", source: "alpha", data: []byte(header + "2019-09-01,DE,hospital,exposed_systems,-1,3,,\n")}
	unsigned := input{file: "data/c.csv", source: "alpha", signer: "-", data: []byte(header)}
	list := loadErrors(t, makeDataset(t, bad, other, unsigned), Options{})
	if len(list) != 3 || !errors.Is(list[0], ErrForeignKey) || !errors.Is(list[1], ErrNegative) || !errors.Is(list[2], ErrSignatureMissing) {
		t.Fatalf("want foreign key, negative value, missing signature; got:\n%v", list)
	}
}

// TestParsePublicKey checks the key file formats that are accepted and refused.
func TestParsePublicKey(t *testing.T) {
	key := keyFor(t, "alpha").pub
	line := key.String()
	tests := []struct {
		name string
		text string
		ok   bool
	}{
		{"as minisign writes it", "untrusted comment: minisign public key X\n" + line + "\n", true},
		{"CRLF", "untrusted comment: minisign public key X\r\n" + line + "\r\n", true},
		{"key line only", line, true},
		{"two comment lines", "untrusted comment: a\nuntrusted comment: b\n" + line + "\n", true},
		{"two keys", "untrusted comment: a\n" + line + "\n" + line + "\n", false},
		{"not base64", "untrusted comment: a\nnot a key\n", false},
		{"empty", "", false},
		{"short key", "untrusted comment: a\n" + line[:40] + "\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parsePublicKey([]byte(tt.text))
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok = %v", err, tt.ok)
			}
			if tt.ok && !got.Equal(key) {
				t.Errorf("parsed another key")
			}
		})
	}
}

// exposedID is the id of exposed_systems in ds's vocabulary.
func exposedID(t *testing.T, ds *Dataset) schemas.MetricID {
	t.Helper()
	id, ok := ds.Vocab.MetricByCode("exposed_systems")
	if !ok {
		t.Fatal("no exposed_systems in the vocabulary")
	}
	return id
}

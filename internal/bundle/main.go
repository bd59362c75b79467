// Command bundle writes the submissions of the bundled dataset datasets/pacs-2019 from its reviewable
// tables: figures.csv (every published number, with its sources and basis) and allocation.csv (the
// countries of each snapshot and their illustrative weights). The rules that turn national and world
// figures into leaf cells (the allocation of world remainders, the new and offline systems that keep
// the stock-flow identity at every leaf, the split by organization type, contributors and largest
// parts) are in build.go and stated in the dataset's README.
//
//	go run ./internal/bundle                                   # rewrite data/*.csv
//	go run ./internal/bundle -check                            # fail if data/*.csv differ from the rules
//	go run ./internal/bundle -sign-key-dir /tmp/pacs-keys      # also (re)sign: keys/*.pub, data/*.minisig
//
// Signing is a separate, deliberate step: the private keys live outside the repository, in the
// folder given, where they are created on first use (from crypto/rand) and reused afterwards.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"aead.dev/minisign"

	"github.com/exposure-research/exposure/internal/signing"
)

func main() {
	dir := flag.String("dir", "datasets/pacs-2019", "the dataset folder")
	check := flag.Bool("check", false, "compare data/*.csv with the rules' output and write nothing")
	keyDir := flag.String("sign-key-dir", "", "folder outside the repository holding (or to hold) the sources' private keys; signs every data file")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "bundle: no arguments expected; see -help")
		os.Exit(2)
	}
	if err := run(*dir, *check, *keyDir); err != nil {
		fmt.Fprintln(os.Stderr, "bundle:", err)
		os.Exit(1)
	}
}

func run(dir string, check bool, keyDir string) error {
	t, err := readTables(dir)
	if err != nil {
		return err
	}
	files, err := build(t)
	if err != nil {
		return err
	}
	names := sortedNames(files)
	if check {
		var stale []string
		for _, name := range names {
			have, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil || !bytes.Equal(have, files[name]) {
				stale = append(stale, name)
			}
		}
		if len(stale) > 0 {
			return fmt.Errorf("%s differ from the rules' output; run go run ./internal/bundle", strings.Join(stale, ", "))
		}
		return nil
	}
	for _, name := range names {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, files[name], 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
	}
	if keyDir == "" {
		return nil
	}
	return signAll(dir, keyDir, names)
}

func sortedNames(files map[string][]byte) []string {
	var names []string
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// signAll signs every data file with the key of its snapshot's source, loading each private key from
// keyDir or creating it there, and writes the public keys to the dataset's keys folder.
func signAll(dir, keyDir string, names []string) error {
	inside, err := within(keyDir, dir)
	if err != nil {
		return err
	}
	if inside {
		return fmt.Errorf("key folder %s is inside the dataset folder: private keys must stay outside the repository", keyDir)
	}
	if err := os.MkdirAll(keyDir, 0o700); err != nil {
		return err
	}
	keys := map[string]minisign.PrivateKey{}
	for _, snap := range snapshots {
		if _, ok := keys[snap.Source]; ok {
			continue
		}
		priv, pub, err := loadOrCreateKey(filepath.Join(keyDir, snap.Source+".key"))
		if err != nil {
			return err
		}
		keys[snap.Source] = priv
		if err := os.MkdirAll(filepath.Join(dir, "keys"), 0o755); err != nil {
			return err
		}
		if err := signing.WritePublicKey(filepath.Join(dir, "keys", snap.Source+".pub"), pub); err != nil {
			return err
		}
	}
	for _, snap := range snapshots {
		comment := fmt.Sprintf("dataset pacs-2019, file %s, source %s", snap.File, snap.Source)
		if err := signing.SignFile(filepath.Join(dir, snap.File), keys[snap.Source], comment); err != nil {
			return err
		}
	}
	return nil
}

// loadOrCreateKey reads an unencrypted minisign private key, or creates one from crypto/rand: the
// bundled dataset's keys must not be derivable from anything in the repository.
func loadOrCreateKey(path string) (minisign.PrivateKey, minisign.PublicKey, error) {
	text, err := os.ReadFile(path)
	if err == nil {
		var priv minisign.PrivateKey
		if err := priv.UnmarshalText(text); err != nil {
			return priv, minisign.PublicKey{}, fmt.Errorf("reading %s: %w", path, err)
		}
		pub, ok := priv.Public().(minisign.PublicKey)
		if !ok {
			return priv, minisign.PublicKey{}, fmt.Errorf("reading %s: no public key", path)
		}
		return priv, pub, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return minisign.PrivateKey{}, minisign.PublicKey{}, err
	}
	pub, priv, err := signing.GenerateKey(nil)
	if err != nil {
		return priv, pub, err
	}
	text, err = priv.MarshalText()
	if err != nil {
		return priv, pub, err
	}
	if err := os.WriteFile(path, append(text, '\n'), 0o600); err != nil {
		return priv, pub, fmt.Errorf("writing %s: %w", path, err)
	}
	return priv, pub, nil
}

// within reports whether path is dir or lies below it, both made absolute.
func within(path, dir string) (bool, error) {
	p, err := filepath.Abs(path)
	if err != nil {
		return false, err
	}
	d, err := filepath.Abs(dir)
	if err != nil {
		return false, err
	}
	rel, err := filepath.Rel(d, p)
	if err != nil {
		return false, nil
	}
	return rel == "." || (rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))), nil
}

package publish

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// tempSuffix joins a report folder's base name and the random part of the name of its temporary
// folders: `.<base>.tmp-<random>`, beside the target, so that the final rename stays on one file system.
const tempSuffix = ".tmp-"

// tempPrefix is the start of the names of the temporary folders of the report folder base.
func tempPrefix(base string) string { return "." + base + tempSuffix }

// removeStale removes the temporary folders that earlier builds of the same report folder left
// behind when they were killed: folders named `.<base>.tmp-` and hexadecimal or decimal digits (the
// names tempName and, in earlier releases, os.MkdirTemp gave), and nothing else. It is called with
// the report folder's lock held, so no other build is writing any of them.
func removeStale(parent, base string) error {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return fmt.Errorf("looking for stale temporary folders: %w", err)
	}
	prefix := tempPrefix(base)
	for _, e := range entries {
		random, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || !e.IsDir() || random == "" || strings.Trim(random, "0123456789abcdef") != "" {
			continue
		}
		if err := os.RemoveAll(filepath.Join(parent, e.Name())); err != nil {
			return fmt.Errorf("removing stale temporary folder: %w", err)
		}
	}
	return nil
}

// syncDir flushes a folder's entries to stable storage, so that a crash after the rename does not
// leave a folder whose files were never recorded in it.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	return nil
}

// errExchangeUnsupported is what exchange returns when the platform or the file system cannot swap
// two folders in one step; swapIntoPlace then falls back to two renames.
var errExchangeUnsupported = errors.New("atomic exchange of folders is not supported here")

// swapIntoPlace makes the finished folder tmp the report folder out. When out does not exist it is a
// plain rename. When it does, the two are exchanged in one step where the system can (readers see the
// old folder or the new one, never none), and the old copy, now at tmp's name, is removed. Where it
// cannot, the old folder is renamed away, the new one renamed in and the old one removed; between the
// two renames out is briefly missing, but never partial.
//
// A failure to remove the old copy is not an error: the publication is in place, and the next
// Publish removes the leftover with the other stale temporary folders.
func swapIntoPlace(tmp, out string, exchange func(a, b string) error) error {
	info, err := os.Lstat(out)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.Rename(tmp, out); err != nil {
			return fmt.Errorf("moving the report into place: %w", err)
		}
		return syncDir(filepath.Dir(out))
	case err != nil:
		return fmt.Errorf("publishing: %w", err)
	case !info.IsDir():
		return fmt.Errorf("publishing: %s exists and is not a folder", out)
	}
	err = exchange(tmp, out)
	if err == nil {
		os.RemoveAll(tmp)
		return syncDir(filepath.Dir(out))
	}
	if !errors.Is(err, errExchangeUnsupported) {
		return fmt.Errorf("swapping the report into place: %w", err)
	}
	old, err := tempName(out)
	if err != nil {
		return err
	}
	if err := os.Rename(out, old); err != nil {
		return fmt.Errorf("moving the previous report aside: %w", err)
	}
	if err := os.Rename(tmp, out); err != nil {
		if rerr := os.Rename(old, out); rerr != nil {
			return fmt.Errorf("moving the report into place: %w (and restoring the previous report from %s: %v)", err, old, rerr)
		}
		return fmt.Errorf("moving the report into place: %w", err)
	}
	os.RemoveAll(old)
	return syncDir(filepath.Dir(out))
}

// tempName returns an unused temporary name beside out, of the form removeStale recognises.
func tempName(out string) (string, error) {
	var random [8]byte
	if _, err := rand.Read(random[:]); err != nil {
		return "", fmt.Errorf("naming a temporary folder: %w", err)
	}
	return filepath.Join(filepath.Dir(out), tempPrefix(filepath.Base(out))+hex.EncodeToString(random[:])), nil
}

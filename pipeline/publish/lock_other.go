//go:build !unix

package publish

import (
	"errors"
	"fmt"
	"os"
)

// errLocked is what lockFolder returns when another process holds the lock.
var errLocked = errors.New("locked by another process")

// folderLock is the lock file of one report folder, created exclusively where advisory locks are
// not available. A build that is killed leaves it behind, and the next build is refused until it
// is removed.
type folderLock struct{ path string }

func lockFolder(path string) (*folderLock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("%w (if no build is running, a killed build left %s: remove it)", errLocked, path)
	}
	if err != nil {
		return nil, err
	}
	return &folderLock{path: path}, f.Close()
}

func (l *folderLock) unlock() error { return os.Remove(l.path) }

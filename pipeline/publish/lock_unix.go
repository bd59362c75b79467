//go:build unix

package publish

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// errLocked is what lockFolder returns when another process holds the lock.
var errLocked = errors.New("locked by another process")

// folderLock is an advisory lock (flock) on the lock file of one report folder.
type folderLock struct {
	path string
	file *os.File
}

// lockFolder takes the lock file at path without waiting, creating it if needed. The kernel drops the
// lock when its holder dies, so a killed build never leaves a folder locked; the file it leaves is
// locked again by the next build.
//
// A holder removes the file when it is done. A process that opened the file just before that
// removal would hold a lock no one else sees, so after locking, lockFolder checks that path still
// names the file it locked, and tries again if not.
func lockFolder(path string) (*folderLock, error) {
	for range 10 {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
		if err != nil {
			return nil, err
		}
		if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
			f.Close()
			if errors.Is(err, unix.EWOULDBLOCK) {
				return nil, errLocked
			}
			return nil, err
		}
		held, err1 := f.Stat()
		named, err2 := os.Lstat(path)
		if err1 == nil && err2 == nil && os.SameFile(held, named) {
			return &folderLock{path: path, file: f}, nil
		}
		f.Close()
	}
	return nil, fmt.Errorf("the lock file %s keeps being replaced", path)
}

// unlock removes the lock file and then releases the lock, so that no other process can lock the
// removed file unseen (see lockFolder).
func (l *folderLock) unlock() error {
	err := os.Remove(l.path)
	if cerr := l.file.Close(); err == nil {
		err = cerr
	}
	return err
}

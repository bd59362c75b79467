//go:build linux

package publish

import (
	"errors"

	"golang.org/x/sys/unix"
)

// exchange swaps two folders in one step with renameat2(RENAME_EXCHANGE) (Linux 3.15 and later, on
// file systems that support it).
func exchange(a, b string) error {
	err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
	if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EOPNOTSUPP) {
		return errExchangeUnsupported
	}
	return err
}

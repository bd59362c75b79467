//go:build !linux

package publish

// exchange is not available on this platform; swapIntoPlace falls back to two renames.
func exchange(a, b string) error { return errExchangeUnsupported }

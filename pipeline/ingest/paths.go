package ingest

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"unicode/utf8"
)

// cleanRelPath checks a path that dataset.yaml names (an input or a key file) and returns it in
// canonical form: relative to the dataset folder, forward slashes, no `.` or empty components.
// Absolute paths, `..` components, backslashes, control characters and invalid UTF-8 are refused,
// so that a dataset folder can only point at files inside itself and every name prints on one line
// and means the same on every operating system. Symbolic links are checked when the file is opened
// (openInside).
func cleanRelPath(p string) (string, error) {
	if p == "" {
		return "", fail(ErrUnsafePath, "empty path")
	}
	if !utf8.ValidString(p) {
		return "", fail(ErrUnsafePath, "path %s is not valid UTF-8", quote(p))
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return "", fail(ErrUnsafePath, "path %s contains a control character", quote(p))
		}
	}
	if strings.ContainsRune(p, '\\') {
		return "", fail(ErrUnsafePath, "path %s contains a backslash; separate folders with /", quote(p))
	}
	if strings.HasPrefix(p, "/") || (len(p) >= 2 && p[1] == ':') {
		return "", fail(ErrUnsafePath, "path %s is absolute; give it relative to the dataset folder", quote(p))
	}
	for _, part := range strings.Split(p, "/") {
		if part == ".." {
			return "", fail(ErrUnsafePath, "path %s leaves the dataset folder (..)", quote(p))
		}
	}
	clean := path.Clean(p)
	if clean == "." {
		return "", fail(ErrUnsafePath, "path %s names the dataset folder itself, not a file", quote(p))
	}
	return clean, nil
}

// openInside opens the regular file rel beneath root. os.Root refuses a path that escapes the folder
// through a symbolic link (of the file or of any parent folder), so a link inside the dataset folder
// that points elsewhere is an error, not a way to read another file.
func openInside(root *os.Root, rel string) (*os.File, int64, error) {
	info, err := root.Stat(rel)
	if err != nil {
		return nil, 0, pathError(rel, err)
	}
	if !info.Mode().IsRegular() {
		// A folder, a pipe or a device has no place where a dataset expects a file, and a pipe
		// could block the build for ever.
		return nil, 0, fail(ErrUnsafePath, "%s is not a regular file", rel)
	}
	f, err := root.Open(rel)
	if err != nil {
		return nil, 0, pathError(rel, err)
	}
	info, err = f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("%s: %w", rel, err)
	}
	if !info.Mode().IsRegular() {
		f.Close()
		return nil, 0, fail(ErrUnsafePath, "%s is not a regular file", rel)
	}
	return f, info.Size(), nil
}

// readInside reads the whole regular file rel beneath root, refusing one larger than limit bytes.
func readInside(root *os.Root, rel string, limit int64) ([]byte, error) {
	f, size, err := openInside(root, rel)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if size > limit {
		return nil, fail(ErrTooLarge, "%s is %d bytes, more than the %d allowed", rel, size, limit)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", rel, err)
	}
	if int64(len(data)) > limit {
		return nil, fail(ErrTooLarge, "%s is more than the %d bytes allowed", rel, limit)
	}
	return data, nil
}

// pathError turns an error of os.Root into a message about the dataset: a missing file, or a path
// that escapes the folder.
func pathError(rel string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fail(ErrNoFile, "%s does not exist", rel)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) && strings.Contains(pe.Err.Error(), "escapes") {
		return fail(ErrUnsafePath, "%s resolves outside the dataset folder (symbolic link)", rel)
	}
	return fail(ErrIO, "cannot open %s: %v", rel, unwrapPath(err))
}

// unwrapPath drops the path that fs.PathError repeats, since messages name the file already.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

package publish

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// SignatureFile is the name of the publisher's minisign signature of manifest.json in a report
// folder. It cannot be listed in the manifest it signs; it is the one file of a report folder that
// the manifest does not list besides the manifest itself.
const SignatureFile = ManifestFile + ".minisig"

// lockSuffix ends the name of the lock file beside a report folder: `.<base>.lock`.
const lockSuffix = ".lock"

// lockName is the lock file of the report folder base, beside it.
func lockName(base string) string { return "." + base + lockSuffix }

// TargetError is a report folder that a build refuses to replace (SPEC 5, "Safe target"): Reason
// says why and what to do instead. Nothing was changed.
type TargetError struct {
	Dir    string // the report folder as given
	Reason string
}

// Error prints the folder and the reason on one line.
func (e *TargetError) Error() string {
	return fmt.Sprintf("cannot publish into %s: %s", showPath(e.Dir), e.Reason)
}

// ErrTargetBusy is what a TargetError wraps when another build holds the report folder's lock.
var ErrTargetBusy = errors.New("another build is writing the report folder")

// busyError is the TargetError of a folder another build is writing; errors.Is finds ErrTargetBusy.
type busyError struct{ TargetError }

func (e *busyError) Unwrap() error { return ErrTargetBusy }

// Target is a report folder reserved for one build: it was checked to be a folder the build may
// replace (missing, empty, or an earlier report folder and nothing else) and is locked against other
// builds until Close. Open it before the long work of a build, so that a refusal comes at once, and
// hand it to Publish in Options.Target.
type Target struct {
	out      string   // the report folder, cleaned, as given
	readFrom []string // folders the build reads, which the report folder must keep clear of
	lock     *folderLock
	created  []string // parent folders OpenTarget made, deepest last
	done     bool     // a report was published into it
}

// OpenTarget checks that out may be replaced by a build that reads the folders readFrom (the dataset
// folder; earlier releases), creates its parent folders if missing, and locks it against other
// builds with an advisory lock on the file `.<base>.lock` beside it. It refuses, with a
// *TargetError and nothing changed:
//   - `/`, the home folder, `.` and `..`, and a symbolic link;
//   - a folder of readFrom, a folder inside one, or a folder that holds one;
//   - anything that is not a folder, and a folder that holds anything but an earlier report: one
//     whose manifest.json this tool wrote and whose files are exactly those the manifest lists (with
//     the digests it lists) and the manifest's signature;
//   - a folder that another build holds (the error wraps ErrTargetBusy).
func OpenTarget(out string, readFrom ...string) (*Target, error) {
	if out == "" {
		return nil, &TargetError{Dir: out, Reason: "no report folder given"}
	}
	t := &Target{out: filepath.Clean(out), readFrom: readFrom}
	if err := t.checkPath(); err != nil {
		return nil, err
	}
	if err := t.makeParents(); err != nil {
		return nil, err
	}
	lock, err := lockFolder(filepath.Join(filepath.Dir(t.out), lockName(filepath.Base(t.out))))
	if errors.Is(err, errLocked) {
		t.removeParents()
		return nil, &busyError{TargetError{Dir: out, Reason: fmt.Sprintf(
			"another build is writing it (it holds the lock %s beside it); wait until that build ends, or publish into another folder",
			showPath(lockName(filepath.Base(t.out))))}}
	}
	if err != nil {
		t.removeParents()
		return nil, fmt.Errorf("locking %s: %w", showPath(out), err)
	}
	t.lock = lock
	// The contents are checked under the lock, so that no other build publishes in between; a
	// refusal removes the lock file and the parents made, leaving nothing behind.
	if err := t.checkContents(); err != nil {
		t.Close()
		return nil, err
	}
	return t, nil
}

// Dir returns the report folder.
func (t *Target) Dir() string { return t.out }

// Close releases the lock. When no report was published, it also removes the parent folders that
// OpenTarget created, if they are still empty.
func (t *Target) Close() error {
	var err error
	if t.lock != nil {
		err = t.lock.unlock()
		t.lock = nil
	}
	if !t.done {
		t.removeParents()
	}
	return err
}

// refuse is a TargetError for this target.
func (t *Target) refuse(format string, args ...any) error {
	return &TargetError{Dir: t.out, Reason: fmt.Sprintf(format, args...)}
}

// checkPath refuses a report folder by where it is, before anything is read or written.
func (t *Target) checkPath() error {
	base := filepath.Base(t.out)
	if base == "." || base == ".." {
		return t.refuse("a build replaces the report folder by renaming a new one into place, so it needs the folder's own name, e.g. reports/<dataset id>")
	}
	info, err := os.Lstat(t.out)
	switch {
	case err == nil && info.Mode()&fs.ModeSymlink != 0:
		dest, _ := os.Readlink(t.out)
		return t.refuse("it is a symbolic link (to %s); a build would replace the link, not the folder it points to: give the folder itself, or a new one", showPath(dest))
	case err == nil && !info.IsDir():
		return t.refuse("it exists and is not a folder; move it away or give a new folder")
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return t.refuse("%v", unwrapPathError(err))
	}
	real, err := realPath(t.out)
	if err != nil {
		return fmt.Errorf("resolving %s: %w", showPath(t.out), err)
	}
	if real == filepath.Dir(real) {
		return t.refuse("it is the root of the file system; a build replaces the whole report folder: give a new or empty folder, e.g. reports/<dataset id>")
	}
	if home, err := os.UserHomeDir(); err == nil && home != "" {
		if realHome, err := realPath(home); err == nil && realHome == real {
			return t.refuse("it is your home folder; a build replaces the whole report folder: give a new or empty folder inside it")
		}
	}
	for _, src := range t.readFrom {
		realSrc, err := realPath(src)
		if err != nil {
			return fmt.Errorf("resolving %s: %w", showPath(src), err)
		}
		switch {
		case realSrc == real:
			return t.refuse("it is the folder the build reads (%s); a build replaces the whole report folder, which would delete it: publish into a folder outside it, e.g. reports/<dataset id>", showPath(src))
		case within(real, realSrc):
			return t.refuse("it is inside the folder the build reads (%s); publish into a folder outside it, e.g. reports/<dataset id>", showPath(src))
		case within(realSrc, real):
			return t.refuse("it holds the folder the build reads (%s); a build replaces the whole report folder, which would delete it: publish into a new folder beside it", showPath(src))
		}
	}
	return nil
}

// within reports whether the cleaned absolute path p lies strictly inside the folder dir.
func within(p, dir string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// realPath returns p as an absolute path with every symbolic link of its existing part resolved;
// the part that does not exist yet is appended as given.
func realPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	var rest []string
	for cur := abs; ; cur = filepath.Dir(cur) {
		resolved, err := filepath.EvalSymlinks(cur)
		if err == nil {
			return filepath.Join(append([]string{resolved}, rest...)...), nil
		}
		if !errors.Is(err, fs.ErrNotExist) || cur == filepath.Dir(cur) {
			return "", err
		}
		rest = append([]string{filepath.Base(cur)}, rest...)
	}
}

// checkContents refuses a report folder that holds anything but an earlier report. A missing or
// empty folder may be replaced; so may a folder whose manifest.json this tool wrote, if every entry
// of the folder is a file the manifest lists, with the listed size and digest (a file changed since
// is the user's work), a folder holding such files, the manifest or its signature.
func (t *Target) checkContents() error {
	info, err := os.Lstat(t.out)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return t.refuse("%v", unwrapPathError(err))
	}
	if info.Mode()&fs.ModeSymlink != 0 || !info.IsDir() {
		return t.checkPath()
	}
	entries, err := os.ReadDir(t.out)
	if err != nil {
		return t.refuse("its contents cannot be read (%v); a build replaces only an empty folder or an earlier report", unwrapPathError(err))
	}
	if len(entries) == 0 {
		return nil
	}
	m, err := ReadManifest(t.out)
	if errors.Is(err, fs.ErrNotExist) {
		return t.refuse("it holds %s and has no manifest.json, so it is not a report folder; a build replaces the whole folder: give a new or empty folder, or move these files away", listNames(topNames(entries)))
	}
	if err != nil {
		return t.refuse("its manifest.json is not one this tool wrote (%v), so its files may be yours; give a new or empty folder, or move them away", err)
	}
	listed := map[string]OutputInfo{}
	folders := map[string]bool{}
	for _, o := range m.Outputs {
		listed[o.File] = o
		for dir := path.Dir(o.File); dir != "."; dir = path.Dir(dir) {
			folders[dir] = true
		}
	}
	var foreign, changed []string
	err = filepath.WalkDir(t.out, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(t.out, p)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		switch o, isListed := listed[rel]; {
		case d.IsDir():
			if !folders[rel] {
				foreign = append(foreign, rel+"/")
				return fs.SkipDir
			}
		case !d.Type().IsRegular():
			foreign = append(foreign, rel)
		case rel == ManifestFile || rel == SignatureFile:
		case !isListed:
			foreign = append(foreign, rel)
		default:
			digest, size, err := HashFile(p)
			if err != nil {
				return err
			}
			if size != o.Bytes || digest != o.SHA256 {
				changed = append(changed, rel)
			}
		}
		return nil
	})
	if err != nil {
		return t.refuse("its contents cannot be read (%v); a build replaces only an empty folder or an earlier report", unwrapPathError(err))
	}
	switch {
	case len(foreign) > 0:
		return t.refuse("it holds %s, which its manifest.json does not list; a build replaces the whole folder: move %s away first, or give a new folder",
			listNames(foreign), pronoun(len(foreign)))
	case len(changed) > 0:
		return t.refuse("%s changed since the build that wrote it (the manifest lists another size or SHA-256), so it may hold your edits: move %s away first, or give a new folder",
			listNames(changed), pronoun(len(changed)))
	}
	return nil
}

// topNames lists a folder's entries for a message, a folder with a trailing slash.
func topNames(entries []fs.DirEntry) []string {
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
		if e.IsDir() {
			names[i] += "/"
		}
	}
	return names
}

// listNames names up to five files for a message and counts the rest.
func listNames(names []string) string {
	const shown = 5
	names = slices.Sorted(slices.Values(names))
	quoted := make([]string, 0, shown)
	for _, n := range names[:min(len(names), shown)] {
		quoted = append(quoted, showPath(n))
	}
	text := strings.Join(quoted, ", ")
	if len(names) > shown {
		text += fmt.Sprintf(" and %d more", len(names)-shown)
	}
	return text
}

func pronoun(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

// makeParents creates the missing parent folders of the report folder and remembers them.
func (t *Target) makeParents() error {
	var missing []string
	for dir := filepath.Dir(t.out); ; dir = filepath.Dir(dir) {
		if _, err := os.Lstat(dir); err == nil || !errors.Is(err, fs.ErrNotExist) || dir == filepath.Dir(dir) {
			break
		}
		missing = append(missing, dir)
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if err := os.Mkdir(missing[i], 0o755); err != nil {
			t.removeParents()
			return fmt.Errorf("creating %s: %w", showPath(missing[i]), err)
		}
		t.created = append(t.created, missing[i])
	}
	return nil
}

// removeParents removes the parent folders makeParents created, deepest first, where still empty.
func (t *Target) removeParents() {
	for i := len(t.created) - 1; i >= 0; i-- {
		if os.Remove(t.created[i]) != nil {
			break
		}
	}
	t.created = nil
}

// showPath writes a path for a message: as it is when it is printable text without spaces at its
// ends, quoted and escaped otherwise, so that no file name can break the one-error-per-line output.
func showPath(p string) string {
	if p == "" || strings.TrimSpace(p) != p || strings.ContainsFunc(p, func(r rune) bool { return r == unicode.ReplacementChar || !unicode.IsPrint(r) }) {
		return strconv.Quote(p)
	}
	return p
}

// unwrapPathError drops the path that fs.PathError repeats, since the message names the folder.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

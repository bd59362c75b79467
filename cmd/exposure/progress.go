package main

import (
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/exposure-research/exposure/pipeline"
)

// progressOn reports whether progress should be drawn: only on a terminal, and not with --quiet, so
// that logs and pipes get the result and the errors and nothing else.
func progressOn(w io.Writer, quiet bool) bool {
	f, ok := w.(*os.File)
	return !quiet && ok && term.IsTerminal(int(f.Fd()))
}

// newProgress returns the progress bars of a build, drawn on w: bytes of each input file verified and
// read, tables protected, files written. A stage's bar is replaced by the next stage's.
func newProgress(w io.Writer) pipeline.Progress {
	var (
		mu  sync.Mutex
		bar *progressbar.ProgressBar
		key string
	)
	// start replaces the bar when the stage or file changes.
	start := func(k, description string, total int64) {
		if bar != nil && key == k {
			return
		}
		if bar != nil {
			_ = bar.Finish()
			fmt.Fprintln(w)
		}
		key = k
		bar = progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(description),
			progressbar.OptionSetWidth(30),
			progressbar.OptionShowCount(),
			progressbar.OptionThrottle(100_000_000),
			progressbar.OptionSetPredictTime(false),
		)
	}
	return pipeline.Progress{
		Read: func(file, phase string, done, total int64) {
			mu.Lock()
			defer mu.Unlock()
			verb := "reading"
			if phase == "verify" {
				verb = "verifying"
			}
			start(phase+" "+file, fmt.Sprintf("%-9s %s", verb, file), total)
			_ = bar.Set64(done)
		},
		Protected: func(done, total int) {
			mu.Lock()
			defer mu.Unlock()
			start("protect", "protecting tables", int64(total))
			_ = bar.Set(done)
		},
		Written: func(file string) {
			mu.Lock()
			defer mu.Unlock()
			start("publish", "writing report", -1)
			bar.Describe("writing " + file)
			_ = bar.Add(1)
		},
	}
}

// finishProgress ends the last bar's line so that what follows starts on a line of its own.
func finishProgress(w io.Writer, on bool) {
	if on {
		fmt.Fprintln(w)
	}
}

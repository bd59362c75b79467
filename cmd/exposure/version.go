package main

import (
	"fmt"
	"strings"

	"github.com/exposure-research/exposure/internal/buildinfo"
	"github.com/exposure-research/exposure/pipeline"
)

// versionText is what `exposure --version` prints: first the tool as every manifest records it
// (release, Go release, the modules that write the outputs), then what this binary knows of itself
// but no report records, since it depends on how the tool was built or started.
func versionText(info buildinfo.Info) string {
	tool := pipeline.Tool(info)
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", tool)
	b.WriteString("recorded in every manifest.json:\n")
	fmt.Fprintf(&b, "  release   %s %s\n", tool.Name, tool.Version)
	fmt.Fprintf(&b, "  go        %s\n", tool.Go)
	for i, m := range tool.Modules {
		label := ""
		if i == 0 {
			label = "modules"
		}
		fmt.Fprintf(&b, "  %-9s %s %s\n", label, m.Path, m.Version)
	}
	b.WriteString("this binary, not recorded (it depends on how the tool was built or started):\n")
	module := info.Path
	if module == "" {
		module = "unknown"
	}
	if info.Version != "" {
		module += " " + info.Version
	}
	fmt.Fprintf(&b, "  module    %s\n", module)
	switch {
	case info.Revision == "":
		b.WriteString("  revision  unknown: the binary has no VCS information (go run, go test, -buildvcs=false, or not built in a clone)\n")
	default:
		revision := info.Revision
		if info.Time != "" {
			revision += " (" + info.Time + ")"
		}
		if info.Modified {
			revision += ", modified"
		}
		fmt.Fprintf(&b, "  revision  %s\n", revision)
	}
	return b.String()
}

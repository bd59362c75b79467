package protect

import (
	"context"
	"os"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/exposure-research/exposure/pipeline/ingest"
)

func TestDebugLinked(t *testing.T) {
	ds, err := ingest.Load(context.Background(), "/tmp/lead/lk", ingest.Options{Env: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	f, _ := os.Create("/tmp/lead/cpu.prof")
	pprof.StartCPUProfile(f)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	done := make(chan error)
	go func() { _, err := Protect(ctx, ds, Options{Workers: 2}); done <- err }()
	select {
	case err = <-done:
	case <-time.After(40 * time.Second):
	}
	pprof.StopCPUProfile()
	t.Log(err)
}

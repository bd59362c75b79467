package lp

import (
	"math"
	"runtime"
	"testing"
)

// TestBounds solves x + y + z = 10, x - y <= 2, 3 <= z <= 6, x, y >= 0 for every column's range.
// By hand: x <= y + 2 = 12 - z - x, so x <= (12 - 3)/2 = 4.5; y >= x - 2 and x + y >= 4 give
// y >= 1; y <= 10 - 3 = 7; z takes its bounds.
func TestBounds(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	p, err := New(3)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	must(t, p.SetBounds(2, 3, 6))
	must(t, p.AddRow([]int{0, 1, 2}, []float64{1, 1, 1}, Eq, 10))
	must(t, p.AddRow([]int{0, 1}, []float64{1, -1}, Le, 2))
	tests := []struct {
		col      int
		max      bool
		want     float64
		wantStat Status
	}{
		{0, false, 0, Optimal}, {0, true, 4.5, Optimal},
		{1, false, 1, Optimal}, {1, true, 7, Optimal},
		{2, false, 3, Optimal}, {2, true, 6, Optimal},
	}
	for _, exact := range []bool{false, true} {
		for _, tc := range tests {
			got, st, err := p.Optimize(tc.col, tc.max, exact)
			if err != nil || st != tc.wantStat || math.Abs(got-tc.want) > 1e-9 {
				t.Errorf("column %d max=%v exact=%v: %v %v %v, want %v", tc.col, tc.max, exact, got, st, err, tc.want)
			}
		}
	}
}

func TestUnboundedAndInfeasible(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	p, err := New(2)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	must(t, p.AddRow([]int{0, 1}, []float64{1, -1}, Eq, 0))
	if _, st, err := p.Optimize(0, true, false); err != nil || st != Unbounded {
		t.Errorf("x = y, x >= 0: max x is %v (%v), want unbounded", st, err)
	}
	must(t, p.AddRow([]int{0, 1}, []float64{1, 1}, Eq, -1))
	if _, st, err := p.Optimize(0, false, false); err != nil || st != Infeasible {
		t.Errorf("x + y = -1 with x, y >= 0: %v (%v), want infeasible", st, err)
	}
}

func TestRefusesBadInput(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	p, err := New(2)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, err := range []error{
		p.SetBounds(2, 0, 1), p.SetBounds(0, 2, 1), p.SetBounds(0, math.NaN(), 1),
		p.AddRow([]int{0, 0}, []float64{1, 1}, Eq, 0), p.AddRow([]int{0}, []float64{1, 1}, Eq, 0),
		p.AddRow([]int{5}, []float64{1}, Eq, 0), p.AddRow([]int{0}, []float64{math.Inf(1)}, Le, 0),
	} {
		if err == nil {
			t.Error("bad input accepted")
		}
	}
	if _, _, err := p.Optimize(3, false, false); err == nil {
		t.Error("optimizing a column out of range succeeded")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestOtherThread checks that a problem used from another thread refuses instead of letting GLPK
// abort the process.
func TestOtherThread(t *testing.T) {
	runtime.LockOSThread()
	p, err := New(1)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		_, _, err := p.Optimize(0, false, false)
		done <- err
	}()
	if err := <-done; err == nil {
		t.Error("a call from another thread was accepted")
	}
	p.Close()
	runtime.UnlockOSThread()
}

func TestMinimize(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	p, err := New(2)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	must(t, p.AddRow([]int{0, 1}, []float64{1, 1}, Ge, 3))
	// min 2x + y with x + y >= 3: x = 0, y = 3.
	got, st, err := p.Minimize([]float64{2, 1})
	if err != nil || st != Optimal || math.Abs(got-3) > 1e-9 || math.Abs(p.Value(1)-3) > 1e-9 {
		t.Fatalf("Minimize: %v %v %v, y = %v", got, st, err, p.Value(1))
	}
	// A one-column optimization afterwards clears the weighted objective.
	if got, st, err := p.Optimize(0, true, false); err != nil || st != Unbounded {
		t.Fatalf("max x after Minimize: %v %v %v", got, st, err)
	}
	must(t, p.AddRow([]int{0, 1}, []float64{1, 1}, Le, 1))
	if _, st, err := p.Minimize([]float64{1, 1}); err != nil || st != Infeasible {
		t.Fatalf("x + y >= 3 and <= 1: %v %v, want infeasible", st, err)
	}
}

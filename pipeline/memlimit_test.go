package pipeline

import "testing"

// TestNextLimit checks the soft memory limit's policy: unchanged while the live heap is well below
// it, twice the live heap once it comes near or goes above, and never lowered.
func TestNextLimit(t *testing.T) {
	const mib = 1 << 20
	for _, tc := range []struct {
		name        string
		limit, live int64
		want        int64
	}{
		{"far below", 900 * mib, 300 * mib, 900 * mib},
		{"at three quarters", 900 * mib, 675 * mib, 900 * mib},
		{"near", 900 * mib, 700 * mib, 1400 * mib},
		{"above", 900 * mib, 3000 * mib, 6000 * mib},
		{"fallen back", 6000 * mib, 1000 * mib, 6000 * mib},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := nextLimit(tc.limit, tc.live); got != tc.want {
				t.Fatalf("nextLimit(%d MiB, %d MiB) = %d MiB, want %d MiB", tc.limit/mib, tc.live/mib, got/mib, tc.want/mib)
			}
		})
	}
}

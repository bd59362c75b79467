package parquetcheck

import (
	"strings"
	"testing"
)

// TestThriftStruct checks the walk that guards the Parquet library's decoder: sound structs pass
// with their length, and a list, string or map that claims more than the bytes left is refused.
func TestThriftStruct(t *testing.T) {
	tests := []struct {
		name    string
		b       []byte
		n       int    // bytes taken, when sound
		wantErr string // part of the error, when not
	}{
		{"empty struct", []byte{0x00}, 1, ""},
		{"i32 field then stop", []byte{0x15, 0x08, 0x00}, 3, ""},
		{"string field", []byte{0x18, 0x03, 'a', 'b', 'c', 0x00}, 6, ""},
		{"list of two i32", []byte{0x19, 0x25, 0x02, 0x04, 0x00}, 5, ""},
		{"nested struct", []byte{0x1c, 0x15, 0x02, 0x00, 0x00}, 5, ""},
		{"trailing bytes are not taken", []byte{0x00, 0xff}, 1, ""},
		{"list claims billions", []byte{0x19, 0xf5, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00}, 0, "list claims"},
		{"string claims more than left", []byte{0x18, 0x7f, 'a', 0x00}, 0, "string claims"},
		{"map claims more than left", []byte{0x1b, 0x7f, 0x55, 0x00}, 0, "map claims"},
		{"ends inside a value", []byte{0x15}, 0, "ends inside"},
		{"no stop", []byte{0x15, 0x08}, 0, "ends inside"},
		{"unknown type", []byte{0x1d, 0x00}, 0, "unknown type"},
		{"nested too deep", []byte(strings.Repeat("\x1c", 40) + strings.Repeat("\x00", 41)), 0, "nested more than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := thriftStruct(tc.b)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || n != tc.n {
				t.Fatalf("thriftStruct = %d, %v; want %d, nil", n, err, tc.n)
			}
		})
	}
}

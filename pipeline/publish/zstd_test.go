package publish

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow/go/v15/parquet/compress"
)

// TestReusedZstdSameBytes checks that the reused encoder compresses pages to the same bytes as Arrow's
// own EncodeLevel, which builds a fresh encoder per page, whatever came before: pages of several
// sizes (one block and several), compressible and not, in a row through the same encoder.
func TestReusedZstdSameBytes(t *testing.T) {
	codec, err := compress.GetCodec(compress.Codecs.Zstd)
	if err != nil {
		t.Fatal(err)
	}
	reused, ok := codec.(*reusedZstd)
	if !ok {
		t.Fatalf("the zstd codec is %T, not the reused one", codec)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, size := range []int{1, 100, 4096, 200_000, 1 << 20, 3<<20 + 17} {
		for _, compressible := range []bool{true, false} {
			page := make([]byte, size)
			for i := range page {
				if compressible {
					page[i] = byte(rng.IntN(4))
				} else {
					page[i] = byte(rng.Uint32())
				}
			}
			for _, level := range []int{compress.DefaultCompressionLevel, 1, 3, 9} {
				want := reused.Codec.EncodeLevel(nil, page, level)
				got := codec.EncodeLevel(make([]byte, 0, codec.CompressBound(int64(size))), page, level)
				if !bytes.Equal(got, want) {
					t.Errorf("page of %d bytes (compressible %v) at level %d: %d bytes, Arrow's codec gives %d", size, compressible, level, len(got), len(want))
				}
				if back := codec.Decode(nil, got); !bytes.Equal(back, page) {
					t.Errorf("page of %d bytes at level %d does not decode to itself", size, level)
				}
			}
		}
	}
}

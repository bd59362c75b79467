package parquetcheck

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// maxThriftDepth bounds the nesting of structs, lists and maps in Parquet metadata; the format nests
// a few levels deep (FileMetaData -> RowGroup -> ColumnChunk -> ColumnMetaData -> Statistics).
const maxThriftDepth = 32

// errThriftShort is returned when the bytes end inside the struct.
var errThriftShort = errors.New("metadata ends inside a value")

// thriftStruct walks one struct in Thrift's compact protocol, the encoding of Parquet's footer and
// page headers, without decoding it, and returns how many bytes it takes. The Thrift decoder of the
// Parquet library makes a slice of whatever length a list header claims before it reads one element,
// so a footer of a few bytes that claims a list of billions makes a reader allocate until it dies;
// this walk refuses any list, map or string longer than the bytes that remain, first.
func thriftStruct(b []byte) (int, error) {
	w := thriftWalker{b: b}
	if err := w.structure(0); err != nil {
		return 0, fmt.Errorf("at byte %d of the metadata: %w", w.at, err)
	}
	return w.at, nil
}

type thriftWalker struct {
	b  []byte
	at int
}

func (w *thriftWalker) byte() (byte, error) {
	if w.at >= len(w.b) {
		return 0, errThriftShort
	}
	w.at++
	return w.b[w.at-1], nil
}

func (w *thriftWalker) varint() (uint64, error) {
	v, n := binary.Uvarint(w.b[w.at:])
	if n <= 0 {
		return 0, errThriftShort
	}
	w.at += n
	return v, nil
}

// claim checks that n elements of at least one byte each can fit in what remains.
func (w *thriftWalker) claim(n uint64, what string) error {
	if n > uint64(len(w.b)-w.at) {
		return fmt.Errorf("a %s claims %d elements, but only %d bytes remain", what, n, len(w.b)-w.at)
	}
	return nil
}

func (w *thriftWalker) structure(depth int) error {
	if depth > maxThriftDepth {
		return fmt.Errorf("structs nested more than %d deep", maxThriftDepth)
	}
	for {
		h, err := w.byte()
		if err != nil {
			return err
		}
		typ := h & 0x0f
		if typ == 0 { // stop
			return nil
		}
		if h>>4 == 0 { // the field id follows as a zigzag varint
			if _, err := w.varint(); err != nil {
				return err
			}
		}
		if err := w.value(typ, depth+1, false); err != nil {
			return err
		}
	}
}

// value skips one value of a compact-protocol type; inList says it is an element of a list, where
// booleans take a byte of their own.
func (w *thriftWalker) value(typ byte, depth int, inList bool) error {
	switch typ {
	case 1, 2: // boolean true, false: in a field header the type is the value
		if inList {
			_, err := w.byte()
			return err
		}
		return nil
	case 3: // byte
		_, err := w.byte()
		return err
	case 4, 5, 6: // i16, i32, i64 as varints
		_, err := w.varint()
		return err
	case 7: // double
		if len(w.b)-w.at < 8 {
			return errThriftShort
		}
		w.at += 8
		return nil
	case 8: // binary
		n, err := w.varint()
		if err != nil {
			return err
		}
		if err := w.claim(n, "string"); err != nil {
			return err
		}
		w.at += int(n)
		return nil
	case 9, 10: // list, set
		if depth > maxThriftDepth {
			return fmt.Errorf("lists nested more than %d deep", maxThriftDepth)
		}
		h, err := w.byte()
		if err != nil {
			return err
		}
		n := uint64(h >> 4)
		if n == 15 {
			if n, err = w.varint(); err != nil {
				return err
			}
		}
		if err := w.claim(n, "list"); err != nil {
			return err
		}
		for range n {
			if err := w.value(h&0x0f, depth+1, true); err != nil {
				return err
			}
		}
		return nil
	case 11: // map
		if depth > maxThriftDepth {
			return fmt.Errorf("maps nested more than %d deep", maxThriftDepth)
		}
		n, err := w.varint()
		if err != nil || n == 0 {
			return err
		}
		if err := w.claim(n, "map"); err != nil {
			return err
		}
		kv, err := w.byte()
		if err != nil {
			return err
		}
		for range n {
			if err := w.value(kv>>4, depth+1, true); err != nil {
				return err
			}
			if err := w.value(kv&0x0f, depth+1, true); err != nil {
				return err
			}
		}
		return nil
	case 12: // struct
		return w.structure(depth)
	}
	return fmt.Errorf("unknown type %d", typ)
}

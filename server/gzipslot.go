package server

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
)

// gzipSlot is a page compressed once around a slot, so that serving it
// compresses only the slot's few bytes. Deflate blocks may follow one
// another freely once the stream is at a byte boundary: the part before the
// slot ends with a sync flush, the slot goes in a stored (uncompressed)
// block, and the part after it is compressed on its own and ends the
// stream. The gzip trailer's CRC-32 is continued over the slot and the part
// after it. A busy evening serves the same blank form thousands of times a
// minute, each with its own token; compressing it whole took a third of the
// server's processor time.
type gzipSlot struct {
	before    string // the page before and after the slot, uncompressed
	after     []byte
	head      []byte // gzip header and the part before the slot, flushed
	tail      []byte // the part after the slot, ending the deflate stream
	crcBefore uint32
}

func newGzipSlot(before, after string) (*gzipSlot, error) {
	g := &gzipSlot{before: before, after: []byte(after), crcBefore: crc32.ChecksumIEEE([]byte(before))}
	var head bytes.Buffer
	zw, err := gzip.NewWriterLevel(&head, gzipLevel)
	if err != nil {
		return nil, err
	}
	if _, err := io.WriteString(zw, before); err != nil {
		return nil, err
	}
	if err := zw.Flush(); err != nil { // ends with an empty stored block: byte-aligned
		return nil, err
	}
	var tail bytes.Buffer
	fw, err := flate.NewWriter(&tail, gzipLevel)
	if err != nil {
		return nil, err
	}
	if _, err := fw.Write(g.after); err != nil {
		return nil, err
	}
	if err := fw.Close(); err != nil {
		return nil, err
	}
	g.head, g.tail = head.Bytes(), tail.Bytes()
	return g, nil
}

// writeTo writes the page, gzip-compressed, with slot in its place.
func (g *gzipSlot) writeTo(w io.Writer, slot string) error {
	if len(slot) > 0xffff {
		return errors.New("gzip slot: at most 65535 bytes")
	}
	n := uint16(len(slot))
	// A stored block, not the last (BFINAL 0, BTYPE 00, padding), then its
	// length and the length's complement.
	block := binary.LittleEndian.AppendUint16(binary.LittleEndian.AppendUint16([]byte{0}, n), ^n)
	crc := crc32.Update(g.crcBefore, crc32.IEEETable, []byte(slot))
	crc = crc32.Update(crc, crc32.IEEETable, g.after)
	trailer := binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(nil, crc), uint32(len(g.before)+len(slot)+len(g.after)))
	for _, part := range [][]byte{g.head, block, []byte(slot), g.tail, trailer} {
		if _, err := w.Write(part); err != nil {
			return err
		}
	}
	return nil
}

package breach

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// The offline file: magic, the number of entries, then the entries sorted
// by key, each the first 8 bytes of a SHA-1 (big-endian) and its count
// (4 bytes). 12 bytes a password: 12 MB per million. Keeping 64 of the 160
// bits makes a false positive — a password taken for breached because
// another shares its first 64 bits — a chance of n/2^64 per check: about
// 5e-11 with the whole list of ~1e9 hashes.
var magic = []byte("UDBBRCH1")

const entrySize = 12

// File is an offline list loaded in memory.
type File struct {
	keys   []uint64
	counts []uint32
}

// Open loads a file made by Import.
func Open(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < 16 || !bytes.Equal(b[:8], magic) {
		return nil, fmt.Errorf("breach: %s is not a file made by userdb breach import", path)
	}
	n := binary.BigEndian.Uint64(b[8:16])
	if uint64(len(b)-16) != n*entrySize {
		return nil, fmt.Errorf("breach: %s is truncated", path)
	}
	f := &File{keys: make([]uint64, n), counts: make([]uint32, n)}
	for i := range f.keys {
		e := b[16+i*entrySize:]
		f.keys[i] = binary.BigEndian.Uint64(e)
		f.counts[i] = binary.BigEndian.Uint32(e[8:])
	}
	return f, nil
}

// Len returns the number of hashes held.
func (f *File) Len() int { return len(f.keys) }

// Count implements Checker.
func (f *File) Count(_ context.Context, password string) (int, error) {
	h := sha1Hex(password)
	b, _ := hex.DecodeString(h[:16])
	return f.count(binary.BigEndian.Uint64(b)), nil
}

func (f *File) count(key uint64) int {
	i, ok := slices.BinarySearch(f.keys, key)
	if !ok {
		return 0
	}
	return int(f.counts[i])
}

// Import reads the published list — lines "SHA1HEX:COUNT", any order, any
// case — keeps those seen at least minCount times, and writes the offline
// file to w. It returns how many hashes it wrote.
func Import(r io.Reader, w io.Writer, minCount int) (int, error) {
	type entry struct {
		key   uint64
		count uint32
	}
	var entries []entry
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		t := strings.TrimSpace(sc.Text())
		if t == "" {
			continue
		}
		h, c, ok := strings.Cut(t, ":")
		if !ok {
			h, c = t, "1"
		}
		b, err := hex.DecodeString(h)
		n, cerr := strconv.ParseUint(c, 10, 32)
		if err != nil || len(b) != 20 || cerr != nil {
			return 0, fmt.Errorf("breach: line %d is not SHA1HEX:COUNT", line)
		}
		if int(n) < max(minCount, 1) {
			continue
		}
		entries = append(entries, entry{binary.BigEndian.Uint64(b), uint32(n)})
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].key < entries[j].key })
	// Two hashes sharing 64 bits become one entry with the larger count.
	out := entries[:0]
	for _, e := range entries {
		if len(out) > 0 && out[len(out)-1].key == e.key {
			out[len(out)-1].count = max(out[len(out)-1].count, e.count)
			continue
		}
		out = append(out, e)
	}
	bw := bufio.NewWriter(w)
	bw.Write(magic)
	binary.Write(bw, binary.BigEndian, uint64(len(out)))
	var buf [entrySize]byte
	for _, e := range out {
		binary.BigEndian.PutUint64(buf[:], e.key)
		binary.BigEndian.PutUint32(buf[8:], e.count)
		bw.Write(buf[:])
	}
	if err := bw.Flush(); err != nil {
		return 0, errors.Join(errors.New("breach: writing the file"), err)
	}
	return len(out), nil
}

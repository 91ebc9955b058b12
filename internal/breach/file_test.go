package breach_test

import (
	"bytes"
	"crypto/sha1"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/userdb/userdb/internal/breach"
)

// BenchmarkOfflineLookup checks passwords against an offline file of one
// million hashes: ns per check (the password's SHA-1 included), and the
// live heap the loaded file takes per million hashes.
func BenchmarkOfflineLookup(b *testing.B) {
	const n = 1_000_000
	var list bytes.Buffer
	for i := range n {
		fmt.Fprintf(&list, "%X:%d\n", sha1.Sum([]byte(fmt.Sprint("pw", i))), i%100+1)
	}
	var out bytes.Buffer
	if _, err := breach.Import(&list, &out, 1); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "breached.bin")
	if err := os.WriteFile(path, out.Bytes(), 0o600); err != nil {
		b.Fatal(err)
	}
	list, out = bytes.Buffer{}, bytes.Buffer{}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f, err := breach.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if f.Len() != n {
		b.Fatalf("%d hashes", f.Len())
	}
	pws := make([]string, 1024)
	for i := range pws {
		if i%2 == 0 {
			pws[i] = fmt.Sprint("pw", i*977)
		} else {
			pws[i] = strings.Repeat("x", 12) + fmt.Sprint(i) // in no list
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	hits := 0
	for i := 0; b.Loop(); i++ {
		c, _ := f.Count(b.Context(), pws[i%len(pws)])
		if c > 0 {
			hits++
		}
	}
	b.StopTimer()
	if hits == 0 {
		b.Fatal("no password was found")
	}
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(n/1e6)/(1<<20), "MiB/million")
	runtime.KeepAlive(f)
}

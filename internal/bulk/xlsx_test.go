package bulk

import (
	"archive/zip"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/userdb/userdb"

	"github.com/userdb/userdb/internal/service"
)

// writeLargeXLSX writes a workbook of n user rows under a header with
// excelize's StreamWriter (inline strings, as exports of many tools) and
// returns its path.
func writeLargeXLSX(t *testing.T, n int) string {
	t.Helper()
	wb := excelize.NewFile()
	defer wb.Close()
	sw, err := wb.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	header := []any{"First Name", "Last Name", "Email", "Username", "Role", "custom.team"}
	if err := sw.SetRow("A1", header); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		row := []any{fmt.Sprintf("Given%07d", i), fmt.Sprintf("Surname%07d", i), fmt.Sprintf("user%07d@example.com", i),
			fmt.Sprintf("user%07d", i), "member", fmt.Sprintf("team %d", i%97)}
		if err := sw.SetRow(cell, row); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "large.xlsx")
	if err := wb.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// unzippedSheet returns the unzipped size of the workbook's first sheet.
func unzippedSheet(t *testing.T, path string) int64 {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.Name == "xl/worksheets/sheet1.xml" {
			return int64(f.UncompressedSize64)
		}
	}
	t.Fatal("no sheet1.xml in the workbook")
	return 0
}

// The memory tests below check that a workbook is streamed: that reading it
// holds no memory that grows with its sheet. They measure the live heap
// (after a collection) rather than the heap in use, which also counts
// garbage the collector has not reached yet and so depends on when it ran:
// under load it ran late, and the tests that sampled the heap in use failed
// with nothing held. And each runs alone in a process of its own, so that no
// other test allocates while it measures.

// aloneEnv names the test that a child process runs by itself.
const aloneEnv = "USERDB_BULK_TEST_ALONE"

// alone reports whether this process is the one that runs t by itself. In
// any other it runs the test binary again with only t selected, with a
// temporary directory of its own (the tests look for files left there),
// fails t if the child failed, logs what it logged, and returns false.
func alone(t *testing.T) bool {
	t.Helper()
	if os.Getenv(aloneEnv) == t.Name() {
		return true
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+regexp.QuoteMeta(t.Name())+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), aloneEnv+"="+t.Name(), "TMPDIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s, run alone in a process of its own: %v\n%s", t.Name(), err, out)
	}
	t.Logf("run alone in a process of its own:\n%s", out)
	return false
}

// heap returns the live heap, after a full collection, and the bytes
// allocated so far.
func heap() (live, allocated int64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc), int64(ms.TotalAlloc)
}

// readCost is what reading a workbook cost in memory.
type readCost struct {
	held    int64 // the most the live heap grew above where it stood before
	opening int64 // bytes allocated while opening the workbook, garbage included
}

// readXLSX reads the workbook at path passes times (Import checks the whole
// file, then reads it again), calling fn with each row of the last pass. It
// measures the live heap after opening, every 1,000 rows and at the end of
// each pass: what a reader holds, such as a sheet read whole or an index of
// shared strings, stays live while rows are read, so every measure shows
// it. The opening is measured by what it allocates, so that a sheet read
// into memory there and dropped before the first row counts too.
func readXLSX(t *testing.T, path string, passes int, fn func(*service.ImportRow)) readCost {
	t.Helper()
	var cost readCost
	base, _ := heap()
	grew := func() {
		live, _ := heap()
		cost.held = max(cost.held, live-base)
	}
	for pass := 1; pass <= passes; pass++ {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		_, before := heap()
		rd, err := NewReader(f, XLSX)
		if err != nil {
			t.Fatal(err)
		}
		_, after := heap()
		cost.opening = max(cost.opening, after-before)
		grew()
		for n := 1; ; n++ {
			row, err := rd.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if pass == passes {
				fn(row)
			}
			if n%1000 == 0 {
				grew()
			}
		}
		grew()
		if err := rd.Close(); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	return cost
}

// TestXLSXStreamsFromDisk reads a workbook whose sheet unzips to some 15 MB:
// the reader extracts the sheet to disk and streams it, so the heap holds
// nothing that grows with it. excelize's OpenReader with its defaults, which
// this package used before, held the zipped file and any sheet under 16 MB
// in memory at once (by the measures here: some 12 MB held, and 15 MB
// allocated to open the workbook; now under 1 MB each). The bound is on
// memory, not time.
func TestXLSXStreamsFromDisk(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 40,000-row workbook")
	}
	if !alone(t) {
		return
	}
	const rows = 40_000
	path := writeLargeXLSX(t, rows)
	sheet := unzippedSheet(t, path)
	// A sheet held whole, or read whole while opening, would take more
	// than the bound by itself.
	const bound = 4 << 20
	if sheet < 3*bound {
		t.Fatalf("the sheet unzips to %d bytes only; the test needs at least %d", sheet, 3*bound)
	}
	before, _ := os.ReadDir(os.TempDir())

	var n int
	var last string
	cost := readXLSX(t, path, 2, func(row *service.ImportRow) {
		n++
		last = row.User.Email + " " + row.Custom["team"]
	})
	if n != rows || last != fmt.Sprintf("user%07d@example.com team %d", rows, rows%97) {
		t.Fatalf("read %d rows, the last %q", n, last)
	}
	t.Logf("sheet %.1f MB unzipped; the live heap grew by %.2f MB at most; opening allocated %.2f MB",
		float64(sheet)/(1<<20), float64(cost.held)/(1<<20), float64(cost.opening)/(1<<20))
	if cost.held > bound {
		t.Errorf("reading the workbook held %d bytes more; a streamed sheet keeps it under %d", cost.held, bound)
	}
	if cost.opening > bound {
		t.Errorf("opening the workbook allocated %d bytes; one whose sheet is extracted to disk takes under %d", cost.opening, bound)
	}
	// The extracted sheet is gone once the readers are closed.
	after, _ := os.ReadDir(os.TempDir())
	if leaked := newNames(before, after, "userdb-xlsx-"); len(leaked) > 0 {
		t.Errorf("temporary files left behind: %v", leaked)
	}
}

func newNames(before, after []os.DirEntry, prefix string) []string {
	old := map[string]bool{}
	for _, e := range before {
		old[e.Name()] = true
	}
	var out []string
	for _, e := range after {
		if !old[e.Name()] && strings.HasPrefix(e.Name(), prefix) {
			out = append(out, e.Name())
		}
	}
	return out
}

// writeSharedStringsXLSX writes, part by part, a workbook as Excel saves one:
// every text cell refers to the shared-string table. Each of the n rows has
// four distinct strings and a number.
func writeSharedStringsXLSX(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "shared.xlsx")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	zw := zip.NewWriter(out)
	part := func(name, text string) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, text)
	}
	part("[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`)
	part("_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)
	part("xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Users" sheetId="1" r:id="rId1"/></sheets></workbook>`)
	part("xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`)
	strs := func(i int) []string {
		return []string{fmt.Sprintf("Given%07d", i), fmt.Sprintf("Surname%07d", i), fmt.Sprintf("user%07d@example.com", i), fmt.Sprintf("user%07d", i)}
	}
	header := []string{"First Name", "Last Name", "Email", "Username", "custom.shoeSize"}
	w, err := zw.Create("xl/sharedStrings.xml")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+"\n"+`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%[1]d" uniqueCount="%[1]d">`, 4*n+4)
	for _, s := range header[:4] {
		fmt.Fprintf(w, "<si><t>%s</t></si>", s)
	}
	for i := 1; i <= n; i++ {
		for _, s := range strs(i) {
			fmt.Fprintf(w, "<si><t>%s</t></si>", s)
		}
	}
	io.WriteString(w, "</sst>")
	w, err = zw.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+"\n"+`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	io.WriteString(w, `<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c><c r="E1" t="inlineStr"><is><t>custom.shoeSize</t></is></c></row>`)
	for i := 1; i <= n; i++ {
		r, s := i+1, 4*i
		fmt.Fprintf(w, `<row r="%[1]d"><c r="A%[1]d" t="s"><v>%[2]d</v></c><c r="B%[1]d" t="s"><v>%[3]d</v></c><c r="C%[1]d" t="s"><v>%[4]d</v></c><c r="D%[1]d" t="s"><v>%[5]d</v></c><c r="E%[1]d"><v>%[6]d</v></c></row>`,
			r, s, s+1, s+2, s+3, 30+i%20)
	}
	io.WriteString(w, "</sheetData></worksheet>")
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestXLSXSharedStrings reads a workbook whose text is in the shared-string
// table, as Excel writes it. Past 1 MB the table is extracted to disk too,
// but excelize keeps an index of it in memory, which grows with the table:
// about 40 bytes held per distinct string, where parsing the table in
// memory, as OpenReader did, held some 300 (docs/admin-api.md says so). The
// bound sits between.
func TestXLSXSharedStrings(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 40,000-row workbook")
	}
	if !alone(t) {
		return
	}
	const rows = 40_000
	path := writeSharedStringsXLSX(t, rows)
	var got []string
	var n int
	cost := readXLSX(t, path, 1, func(row *service.ImportRow) {
		n++
		if n == 1 || n == rows {
			got = append(got, fmt.Sprintf("%d %s %s %s %s %s", row.Line, row.User.GivenName, row.User.Surname, row.User.Email, row.User.Username, row.Custom["shoeSize"]))
		}
	})
	want := []string{"2 Given0000001 Surname0000001 user0000001@example.com user0000001 31",
		fmt.Sprintf("%d Given%07[2]d Surname%07[2]d user%07[2]d@example.com user%07[2]d %d", rows+1, rows, 30+rows%20)}
	if n != rows || strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("%d rows; first and last:\n%q\nwant\n%q", n, got, want)
	}
	distinct := int64(4 * rows)
	t.Logf("%d shared strings; the live heap grew by %.1f MB at most (%d bytes a string); opening allocated %.2f MB",
		distinct, float64(cost.held)/(1<<20), cost.held/distinct, float64(cost.opening)/(1<<20))
	if limit := 1<<20 + 120*distinct; cost.held > limit {
		t.Errorf("reading the workbook held %d bytes more, over %d", cost.held, limit)
	}
	if cost.opening > 4<<20 {
		t.Errorf("opening the workbook allocated %d bytes; one whose table is extracted to disk takes under %d", cost.opening, 4<<20)
	}
}

// TestXLSXZipBombRefused: a small file whose sheet unzips to more than the
// limit (40 times the file, at least 64 MB) is refused as malformed before
// it fills the disk, and leaves no temporary file behind.
func TestXLSXZipBombRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bomb.xlsx")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(out)
	w, err := zw.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		t.Fatal(err)
	}
	zeros := make([]byte, 1<<20)
	for range 70 {
		w.Write(zeros)
	}
	zw.Close()
	out.Close()
	// A temporary directory of its own: other tests, and other packages'
	// tests running meanwhile, open workbooks too.
	t.Setenv("TMPDIR", t.TempDir())
	fi, _ := os.Stat(path)
	if fi.Size() > 1<<20 {
		t.Fatalf("the bomb is %d bytes", fi.Size())
	}
	before, _ := os.ReadDir(os.TempDir())
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, err = NewReader(f, XLSX)
	if userdb.ErrorCode(err) != userdb.EINVALID || !strings.Contains(userdb.ErrorMessage(err), "unzips to more than 64 MB") {
		t.Fatalf("a zip bomb: %v", err)
	}
	after, _ := os.ReadDir(os.TempDir())
	if leaked := newNames(before, after, "userdb-xlsx-"); len(leaked) > 0 {
		t.Errorf("temporary files left behind: %v", leaked)
	}
}

// eachXLSXRow reads the workbook at path as Import does (first checking the
// whole file when check is set) and calls fn with each row.
func eachXLSXRow(path string, check bool, fn func(*service.ImportRow)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if check {
		if _, err := Check(f, XLSX); err != nil {
			return err
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return err
		}
	}
	rd, err := NewReader(f, XLSX)
	if err != nil {
		return err
	}
	defer rd.Close()
	for {
		row, err := rd.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		fn(row)
	}
}

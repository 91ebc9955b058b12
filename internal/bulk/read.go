// Package bulk reads the spreadsheets users are imported from (CSV and XLSX,
// in the original library's column order or with a header naming richer
// columns) and writes exports (CSV and JSON lines). It streams: a file of any
// size is read a row at a time.
package bulk

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/service"
)

// Format is a spreadsheet format.
type Format string

// The formats imports read.
const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
)

// Limits of what one row may hold.
const (
	MaxColumns   = 64
	MaxCellBytes = 64 << 10
)

// Column names (folded: lower case, without spaces, '_' and '-').
const (
	colGiven         = "givenname"
	colMiddle        = "middlename"
	colSurname       = "surname"
	colEmail         = "email"
	colUsername      = "username"
	colRoles         = "roles"
	colPassword      = "password"
	colPasswordHash  = "passwordhash"
	colAccount       = "account"
	colStatus        = "status"
	colVerified      = "emailverified"
	colCustomData    = "customdata"
	colIgnored       = "-"
	customPrefix     = "custom."
	customDataPrefix = "customdata."
)

// columnAliases maps folded header cells to columns. Export columns that an
// import cannot set (ids, times) are recognised and ignored, so an export
// imports back.
var columnAliases = map[string]string{
	"firstname": colGiven, "givenname": colGiven,
	"middlename": colMiddle,
	"lastname":   colSurname, "surname": colSurname, "familyname": colSurname,
	"email": colEmail, "emailaddress": colEmail,
	"username": colUsername, "login": colUsername,
	"role": colRoles, "roles": colRoles,
	"password":     colPassword,
	"passwordhash": colPasswordHash,
	"account":      colAccount, "accountname": colAccount,
	"status":        colStatus,
	"emailverified": colVerified, "emailverifiedat": colVerified, "verified": colVerified,
	"customdata": colCustomData,
	"id":         colIgnored, "fullname": colIgnored, "createdat": colIgnored, "lastloginat": colIgnored,
}

// originalColumns is the original library's column order, used when the
// file has no header row: First Name, Last Name, Email, Role, Password,
// Account Name.
var originalColumns = []string{colGiven, colSurname, colEmail, colRoles, colPassword, colAccount}

// Detect decides a file's format from its declared content type, its name
// and its first bytes. A content type that is neither a spreadsheet nor a
// generic one is refused: an image is not a user list (HTTP answers 415).
func Detect(contentType, name string, head []byte) (Format, error) {
	zip := bytes.HasPrefix(head, []byte("PK\x03\x04"))
	mt, _, _ := mime.ParseMediaType(contentType)
	switch mt {
	case "text/csv", "application/csv", "text/comma-separated-values", "text/plain":
		return CSV, nil
	case "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/xlsx":
		return XLSX, nil
	case "", "application/octet-stream", "application/vnd.ms-excel", "application/zip":
		// Generic types (browsers send these for CSV too): the name and
		// the content decide.
	default:
		return "", &userdb.Error{Code: userdb.EINVALID, Field: "file",
			Message: "The file must be a CSV or XLSX spreadsheet, not " + mt + "."}
	}
	switch ext := strings.ToLower(filepath.Ext(name)); {
	case ext == ".xlsx" || zip:
		return XLSX, nil
	case ext == ".csv" || ext == ".txt" || ext == "":
		return CSV, nil
	default:
		return "", &userdb.Error{Code: userdb.EINVALID, Field: "file",
			Message: "The file must be a CSV or XLSX spreadsheet (.csv or .xlsx), not " + ext + "."}
	}
}

// malformed is the error of a file that cannot be read as a spreadsheet.
func malformed(format string, args ...any) error {
	return &userdb.Error{Code: userdb.EINVALID, Field: "file", Message: fmt.Sprintf(format, args...)}
}

// Reader reads import rows from a spreadsheet. It implements
// service.ImportSource.
type Reader struct {
	cells   func() ([]string, error) // the next row's cells, io.EOF at the end
	lineOf  func() int               // the line the row cells returned starts on; nil: count rows
	close   func() error
	columns []string // per cell: a column, colIgnored or customPrefix+name
	line    int
	started bool
}

// NewReader reads f from r. An XLSX workbook is read from disk: r is
// opened by name when it is a regular *os.File, and spooled to a temporary
// file otherwise (a zip needs random access).
func NewReader(r io.Reader, f Format) (*Reader, error) {
	switch f {
	case CSV:
		cr := csv.NewReader(&bomSkipper{r: r})
		cr.FieldsPerRecord = -1 // rows may omit trailing cells, as the original allowed
		cr.ReuseRecord = true
		// Line numbers come from the parser: it skips empty lines, and a
		// quoted cell may span several.
		lineOf := func() int { line, _ := cr.FieldPos(0); return line }
		return &Reader{cells: cr.Read, lineOf: lineOf, close: func() error { return nil }}, nil
	case XLSX:
		return newXLSXReader(r)
	}
	return nil, malformed("Unknown format %q.", f)
}

// How XLSX workbooks are unpacked.
const (
	// xlsxInMemory is the largest worksheet or shared-string table kept in
	// memory; larger ones are extracted to a temporary file and read from
	// there as a stream, so a sheet of a million rows costs disk, not heap.
	xlsxInMemory = 1 << 20
	// xlsxRatio bounds how much larger than its file a workbook may unzip
	// to (its XML compresses some 5 to 10 times), so that a zip bomb within
	// server.max_upload fills neither the disk nor the time of an import.
	xlsxRatio = 40
	// xlsxMinUnzip is the unzip limit of small files.
	xlsxMinUnzip = 64 << 20
)

// newXLSXReader streams the first sheet of a workbook.
func newXLSXReader(r io.Reader) (*Reader, error) {
	// A directory of its own for excelize's temporary files: it leaves
	// them behind when a workbook fails to open.
	tmp, err := os.MkdirTemp("", "userdb-xlsx-*")
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(tmp)
		}
	}()
	path, size, err := xlsxFile(r, tmp)
	if err != nil {
		return nil, err
	}
	limit := max(size*xlsxRatio, xlsxMinUnzip)
	wb, err := excelize.OpenFile(path, excelize.Options{
		UnzipSizeLimit: limit, UnzipXMLSizeLimit: xlsxInMemory, TmpDir: tmp,
	})
	if err != nil {
		if strings.Contains(err.Error(), "unzip size exceeds") {
			return nil, malformed("The workbook unzips to more than %d MB; split it, or save it as CSV.", limit>>20)
		}
		return nil, malformed("The file is not a readable XLSX workbook.")
	}
	sheets := wb.GetSheetList()
	if len(sheets) == 0 {
		wb.Close()
		return nil, malformed("The workbook has no sheet.")
	}
	rows, err := wb.Rows(sheets[0])
	if err != nil {
		wb.Close()
		return nil, malformed("The first sheet of the workbook cannot be read.")
	}
	next := func() ([]string, error) {
		if !rows.Next() {
			if err := rows.Error(); err != nil {
				return nil, malformed("The workbook's sheet is damaged.")
			}
			return nil, io.EOF
		}
		cells, err := rows.Columns()
		if err != nil {
			return nil, malformed("The workbook's sheet is damaged.")
		}
		return cells, nil
	}
	ok = true
	return &Reader{cells: next, close: func() error {
		rows.Close()
		err := wb.Close()
		os.RemoveAll(tmp)
		return err
	}}, nil
}

// xlsxFile returns the path and size of a file holding r: r's own when it is
// a regular file, else a copy in dir.
func xlsxFile(r io.Reader, dir string) (string, int64, error) {
	if f, ok := r.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			return f.Name(), fi.Size(), nil
		}
	}
	f, err := os.CreateTemp(dir, "upload-*.xlsx")
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	n, err := io.Copy(f, r)
	if err != nil {
		return "", 0, err
	}
	return f.Name(), n, f.Close()
}

// Close releases the reader (the temporary files of a large workbook).
func (r *Reader) Close() error { return r.close() }

// Next returns the next non-empty row, io.EOF at the end, or an EINVALID
// error naming the line when the file is malformed.
func (r *Reader) Next() (*service.ImportRow, error) {
	for {
		cells, err := r.cells()
		if err == io.EOF {
			if !r.started {
				return nil, malformed("The file has no rows.")
			}
			return nil, io.EOF
		}
		r.line++
		if r.lineOf != nil && err == nil {
			r.line = r.lineOf()
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, malformed("Line %d is not valid CSV: %v.", pe.Line, pe.Err)
			}
			return nil, err
		}
		if err := checkCells(cells); err != nil {
			return nil, malformed("Row %d: %s", r.line, err.Error())
		}
		if blank(cells) {
			continue
		}
		if !r.started {
			r.started = true
			header, err := parseHeader(cells)
			if err != nil {
				return nil, err
			}
			if header != nil {
				r.columns = header
				continue
			}
			r.columns = originalColumns
		}
		return r.row(cells), nil
	}
}

// checkCells refuses what a spreadsheet of users never holds: binary data,
// text that is not UTF-8, huge cells, hundreds of columns.
func checkCells(cells []string) error {
	if len(cells) > MaxColumns {
		return fmt.Errorf("it has %d cells; at most %d are read", len(cells), MaxColumns)
	}
	for _, c := range cells {
		if len(c) > MaxCellBytes {
			return fmt.Errorf("a cell is longer than %d KB", MaxCellBytes>>10)
		}
		if !utf8.ValidString(c) || strings.ContainsRune(c, 0) {
			return errors.New("the file is not UTF-8 text (is it a CSV file?)")
		}
	}
	return nil
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// parseHeader returns the columns a header row names, or nil when the first
// row is data. A row is a header when no cell holds an '@' (every row of
// users has an email) and some cell names a column; a header naming an
// unknown column is an error, not data.
func parseHeader(cells []string) ([]string, error) {
	known := 0
	for _, c := range cells {
		if strings.Contains(c, "@") {
			return nil, nil
		}
		if _, ok := column(c); ok {
			known++
		}
	}
	if known == 0 {
		return nil, nil
	}
	cols := make([]string, len(cells))
	email := false
	for i, c := range cells {
		col, ok := column(c)
		switch {
		case strings.TrimSpace(c) == "":
			col = colIgnored
		case !ok:
			return nil, malformed("The header names an unknown column %q. Columns: First Name, Last Name, Email, Role, Password, Account Name, Username, Middle Name, Status, Password Hash, Email Verified, Custom Data, custom.<attribute>.", c)
		}
		for _, prev := range cols[:i] {
			if prev == col && col != colIgnored {
				return nil, malformed("The header names the column %q twice.", c)
			}
		}
		email = email || col == colEmail
		cols[i] = col
	}
	if !email {
		return nil, malformed("The header has no Email column.")
	}
	return cols, nil
}

// column maps a header cell to a column.
func column(cell string) (string, bool) {
	cell = strings.TrimSpace(cell)
	lower := strings.ToLower(cell)
	for _, p := range []string{customPrefix, customDataPrefix} {
		if strings.HasPrefix(lower, p) && len(cell) > len(p) {
			return customPrefix + strings.TrimSpace(cell[len(p):]), true
		}
	}
	folded := strings.NewReplacer(" ", "", "_", "", "-", "").Replace(lower)
	col, ok := columnAliases[folded]
	return col, ok
}

// row maps cells to an import row. Problems of this row alone (too many
// cells, bad JSON) become the row's Err, so the import reports it and goes on.
func (r *Reader) row(cells []string) *service.ImportRow {
	row := &service.ImportRow{Line: r.line}
	if len(cells) > len(r.columns) {
		for _, c := range cells[len(r.columns):] {
			if strings.TrimSpace(c) != "" {
				row.Err = userdb.Errorf(userdb.EINVALID, "The row has %d cells; there are only %d columns.", len(cells), len(r.columns))
				return row
			}
		}
	}
	n := &row.User
	for i, c := range cells {
		if i >= len(r.columns) {
			break
		}
		c = undefuse(strings.TrimSpace(c))
		if c == "" {
			continue
		}
		switch col := r.columns[i]; col {
		case colGiven:
			n.GivenName = c
		case colMiddle:
			n.MiddleName = c
		case colSurname:
			n.Surname = c
		case colEmail:
			n.Email = c
		case colUsername:
			n.Username = c
		case colRoles:
			n.Roles = strings.FieldsFunc(c, func(r rune) bool { return r == ',' || r == ';' || r == '|' })
		case colPassword:
			n.Password = c
		case colPasswordHash:
			n.PasswordHash = c
		case colAccount:
			n.Account = c
		case colStatus:
			n.Status = userdb.Status(strings.ToUpper(c))
		case colVerified:
			n.Verified = !strings.EqualFold(c, "false") && !strings.EqualFold(c, "no") && c != "0"
		case colCustomData:
			if err := json.Unmarshal([]byte(c), &n.CustomData); err != nil || n.CustomData == nil {
				row.Err = userdb.FieldError("customData", "Custom Data must be a JSON object.")
				return row
			}
		case colIgnored:
		default:
			if row.Custom == nil {
				row.Custom = map[string]string{}
			}
			row.Custom[strings.TrimPrefix(col, customPrefix)] = c
		}
	}
	return row
}

// Check reads every row of a file without importing anything, so that a
// malformed file is refused before its first row is written. It returns the
// number of rows.
func Check(r io.Reader, f Format) (int, error) {
	rd, err := NewReader(r, f)
	if err != nil {
		return 0, err
	}
	defer rd.Close()
	n := 0
	for {
		if _, err := rd.Next(); err == io.EOF {
			return n, nil
		} else if err != nil {
			return n, err
		}
		n++
	}
}

// bomSkipper drops a UTF-8 byte order mark at the start (Excel writes one).
type bomSkipper struct {
	r    io.Reader
	done bool
}

func (b *bomSkipper) Read(p []byte) (int, error) {
	if b.done {
		return b.r.Read(p)
	}
	b.done = true
	var head [3]byte
	n, err := io.ReadFull(b.r, head[:])
	rest := head[:n]
	if bytes.Equal(rest, []byte("\xef\xbb\xbf")) {
		rest = nil
	}
	if len(rest) > 0 {
		b.r = io.MultiReader(bytes.NewReader(rest), b.r)
	}
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return 0, err
	}
	return b.r.Read(p)
}

// undefuse drops the apostrophe an export put before text that starts like
// a formula (see defuse), so an export imports back unchanged.
func undefuse(s string) string {
	if len(s) > 1 && s[0] == '\'' && strings.ContainsRune("=+-@\t\r", rune(s[1])) {
		return s[1:]
	}
	return s
}

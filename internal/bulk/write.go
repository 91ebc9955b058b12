package bulk

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"strings"
	"time"

	"github.com/userdb/userdb"
)

// Export formats.
const (
	ExportCSV   = "csv"
	ExportJSONL = "jsonl"
)

// Record is one exported user. Its CSV columns import back (ids and times
// are ignored by an import; the password hash is kept).
type Record struct {
	ID            string         `json:"id"`
	Account       string         `json:"account"`
	Username      string         `json:"username"`
	Email         string         `json:"email"`
	GivenName     string         `json:"givenName"`
	MiddleName    string         `json:"middleName,omitempty"`
	Surname       string         `json:"surname"`
	Status        userdb.Status  `json:"status"`
	Roles         []string       `json:"roles"`
	EmailVerified bool           `json:"emailVerified"`
	CreatedAt     time.Time      `json:"createdAt"`
	LastLoginAt   *time.Time     `json:"lastLoginAt,omitempty"`
	PasswordHash  string         `json:"passwordHash,omitempty"`
	CustomData    map[string]any `json:"customData,omitempty"`
}

// NewRecord is the export record of a user of the named account.
func NewRecord(u *userdb.User, account string) Record {
	roles := u.Roles
	if roles == nil {
		roles = []string{}
	}
	return Record{
		ID: u.ID, Account: account, Username: u.Username, Email: u.Email,
		GivenName: u.GivenName, MiddleName: u.MiddleName, Surname: u.Surname, Status: u.Status,
		Roles: roles, EmailVerified: u.EmailVerifiedAt != nil, CreatedAt: u.CreatedAt,
		LastLoginAt: u.LastLoginAt, PasswordHash: u.PasswordHash, CustomData: u.CustomData,
	}
}

// Writer writes records in one export format.
type Writer struct {
	csv    *csv.Writer
	json   *json.Encoder
	hashes bool
}

// NewWriter starts an export to w; with hashes, CSV has a Password Hash column.
func NewWriter(w io.Writer, format string, hashes bool) (*Writer, error) {
	switch format {
	case ExportCSV, "":
		cw := csv.NewWriter(w)
		header := []string{"Id", "Account", "Username", "Email", "First Name", "Middle Name", "Last Name",
			"Status", "Roles", "Email Verified", "Created At", "Last Login At", "Custom Data"}
		if hashes {
			header = append(header, "Password Hash")
		}
		return &Writer{csv: cw, hashes: hashes}, cw.Write(header)
	case ExportJSONL:
		return &Writer{json: json.NewEncoder(w), hashes: hashes}, nil
	}
	return nil, userdb.FieldError("format", "format must be csv or jsonl.")
}

// Write writes one record.
func (w *Writer) Write(r Record) error {
	if !w.hashes {
		r.PasswordHash = ""
	}
	if w.json != nil {
		return w.json.Encode(r)
	}
	custom := ""
	if len(r.CustomData) > 0 {
		b, err := json.Marshal(r.CustomData)
		if err != nil {
			return err
		}
		custom = string(b)
	}
	last := ""
	if r.LastLoginAt != nil {
		last = r.LastLoginAt.UTC().Format(time.RFC3339)
	}
	verified := "false"
	if r.EmailVerified {
		verified = "true"
	}
	rec := []string{r.ID, r.Account, r.Username, r.Email, r.GivenName, r.MiddleName, r.Surname,
		string(r.Status), strings.Join(r.Roles, ";"), verified, r.CreatedAt.UTC().Format(time.RFC3339), last, custom}
	for i, c := range rec {
		rec[i] = defuse(c)
	}
	if w.hashes {
		rec = append(rec, r.PasswordHash)
	}
	return w.csv.Write(rec)
}

// Flush writes out buffered data and reports any write error.
func (w *Writer) Flush() error {
	if w.csv != nil {
		w.csv.Flush()
		return w.csv.Error()
	}
	return nil
}

// defuse stops a spreadsheet from running a cell as a formula (CSV
// injection): text a user typed, such as a name starting with '=', gets a
// leading apostrophe, which spreadsheets hide.
func defuse(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

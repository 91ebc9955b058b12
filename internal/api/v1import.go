package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/bulk"
	"github.com/userdb/userdb/internal/httpx"
	"github.com/userdb/userdb/internal/service"
)

// ImportPaths are the routes that take spreadsheets, whose bodies may be as
// large as server.max_upload.
var ImportPaths = []string{V1Prefix + "/users/import", "/users/import"}

// v1ImportUsers: POST /api/v1/users/import, multipart/form-data with the
// spreadsheet in "file" and the fields dry_run, invite, account and existing
// (skip|update) -> 200 with the report.
func (a *API) v1ImportUsers(w http.ResponseWriter, r *http.Request) {
	if err := a.svc.MayImport(r.Context()); err != nil {
		httpx.Error(w, r, err)
		return
	}
	ImportDeadlines(w, a.opts.MaxUpload, -1)
	up, err := bulk.ReadUpload(r, "file")
	if err != nil {
		uploadError(w, r, err)
		return
	}
	defer up.Close()
	ImportDeadlines(w, a.opts.MaxUpload, up.Size)
	opts := service.ImportOptions{Account: up.Fields["account"], Existing: up.Fields["existing"]}
	var ferr error
	opts.DryRun, ferr = formBool(up.Fields, "dry_run", ferr)
	opts.Invite, ferr = formBool(up.Fields, "invite", ferr)
	if ferr != nil {
		httpx.Error(w, r, ferr)
		return
	}
	report, err := bulk.Import(r.Context(), a.svc, up.File, up.Format, opts)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, report)
}

// rpcImportUsers: POST /users/import, the original's upload: multipart with
// the file and the fields accountId (a super-admin's target account for
// rows naming none), disableNewUserWorkflow and ignoreHeaders (a header row
// is recognised by its content instead). As the original, it answers 200
// "OK", or 400 with the first bad row's message; the other rows are imported.
func (a *API) rpcImportUsers(w http.ResponseWriter, r *http.Request) {
	if err := a.svc.MayImport(r.Context()); err != nil {
		httpx.Error(w, r, err)
		return
	}
	ImportDeadlines(w, a.opts.MaxUpload, -1)
	up, err := bulk.ReadUpload(r, "")
	if err != nil {
		var ue *bulk.UploadError
		if errors.As(err, &ue) {
			http.Error(w, ue.Message, ue.Status)
			return
		}
		httpx.Error(w, r, err)
		return
	}
	defer up.Close()
	ImportDeadlines(w, a.opts.MaxUpload, up.Size)
	noInvite, ferr := formBool(up.Fields, "disableNewUserWorkflow", nil)
	if ferr != nil {
		http.Error(w, userdb.ErrorMessage(ferr), http.StatusBadRequest)
		return
	}
	opts := service.ImportOptions{Account: up.Fields["accountId"], Invite: !noInvite}
	report, err := bulk.Import(r.Context(), a.svc, up.File, up.Format, opts)
	if err != nil {
		status := httpx.StatusOf(err)
		if status == http.StatusInternalServerError {
			httpx.Error(w, r, err)
			return
		}
		http.Error(w, userdb.ErrorMessage(err), status)
		return
	}
	for _, p := range report.Problems {
		if p.Outcome == "failed" {
			msg := fmt.Sprintf("Row %d: %s", p.Row, p.Reason)
			if report.Failed > 1 {
				msg += fmt.Sprintf(" (%d rows failed; %d users imported)", report.Failed, report.Created)
			}
			http.Error(w, msg, http.StatusBadRequest)
			return
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("OK"))
}

// The speeds import deadlines assume. The http.Server's ReadTimeout and
// WriteTimeout (30 s and 60 s) suit every other request, but a 25 MB
// spreadsheet takes longer to arrive on a slow link, and its ~500,000 rows
// take minutes to import (about 3,000 rows/s on two cores with SQLite), so
// the report would be lost to a closed connection.
const (
	// uploadSpeed is the slowest upload still waited for: 64 KiB/s, so a
	// 25 MiB file may take 400 s.
	uploadSpeed = 64 << 10
	// importSpeed is the slowest import still waited for, in bytes of file
	// per second: 8 KiB/s, some 150 rows of 50 bytes, a tenth of the
	// measured speed of rows without passwords (rows with plain-text
	// passwords are hashed one by one, and huge files of them are for
	// `userdb import`, which has no deadline).
	importSpeed = 8 << 10
	// deadlineSlack is added to both, for small files and busy servers.
	deadlineSlack = time.Minute
)

// ImportDeadlines gives an import request the time it needs, in place of
// the server's read and write timeouts. Call it once the caller is known to
// be allowed to import (an anonymous caller never gets more time), first
// with size -1, before the upload is read: the body may take as long as
// maxUpload bytes at uploadSpeed. Call it again with the size of the
// spooled file: the answer may then take as long as importing that many
// bytes at importSpeed. Writers without deadlines (tests' recorders) are
// left as they are.
func ImportDeadlines(w http.ResponseWriter, maxUpload, size int64) {
	rc := http.NewResponseController(w)
	now := time.Now()
	if size < 0 {
		read := now.Add(deadlineSlack + transfer(maxUpload, uploadSpeed))
		_ = rc.SetReadDeadline(read)
		// A refused upload is answered after it has been read.
		_ = rc.SetWriteDeadline(read.Add(deadlineSlack))
		return
	}
	_ = rc.SetWriteDeadline(now.Add(deadlineSlack + transfer(size, importSpeed)))
}

// transfer is the time n bytes take at speed bytes/s, in whole seconds
// (without overflow for any configured limit).
func transfer(n, speed int64) time.Duration {
	return time.Duration(min(n/speed+1, 1<<32)) * time.Second
}

// uploadError answers an upload refused before import.
func uploadError(w http.ResponseWriter, r *http.Request, err error) {
	var ue *bulk.UploadError
	if errors.As(err, &ue) {
		httpx.JSON(w, ue.Status, httpx.ErrorBody{Status: ue.Status, Message: ue.Message, Field: "file"})
		return
	}
	httpx.Error(w, r, err)
}

// formBool reads a true/false form field; "" is false. The first error is kept.
func formBool(fields map[string]string, name string, prev error) (bool, error) {
	v := fields[name]
	if v == "" || v == "on" { // "on": an HTML checkbox
		return v == "on", prev
	}
	b, err := strconv.ParseBool(v)
	if err != nil && prev == nil {
		prev = userdb.FieldError(name, "%s must be true or false.", name)
	}
	return b, prev
}

// v1ExportUsers: GET /api/v1/users/export?format=csv|jsonl&account=&hashes=
// streams every user the caller may see; password hashes for super-admins
// only.
func (a *API) v1ExportUsers(w http.ResponseWriter, r *http.Request) {
	q := &query{r: r}
	format := q.str("format")
	if format == "" {
		format = bulk.ExportCSV
	}
	opts := service.ExportOptions{Account: q.str("account"), Hashes: q.bool("hashes")}
	if format != bulk.ExportCSV && format != bulk.ExportJSONL {
		q.fail("format", "format must be csv or jsonl.")
	}
	if q.err != nil {
		httpx.Error(w, r, q.err)
		return
	}
	// The writer starts with the first user, so that a refusal is still an
	// error response rather than a truncated file.
	var out *bulk.Writer
	start := func() error {
		if out != nil {
			return nil
		}
		ct, ext := "text/csv; charset=utf-8", "csv"
		if format == bulk.ExportJSONL {
			ct, ext = "application/x-ndjson", "jsonl"
		}
		w.Header().Set("Content-Type", ct)
		w.Header().Set("Content-Disposition", `attachment; filename="users.`+ext+`"`)
		w.Header().Set("Cache-Control", "no-store")
		var err error
		out, err = bulk.NewWriter(w, format, opts.Hashes)
		return err
	}
	_, err := a.svc.ExportUsers(r.Context(), opts, func(u *userdb.User, account string) error {
		if err := start(); err != nil {
			return err
		}
		return out.Write(bulk.NewRecord(u, account))
	})
	if err != nil {
		if out == nil {
			httpx.Error(w, r, err)
			return
		}
		// Mid-stream: the status is sent; cut the response short so the
		// client sees an incomplete transfer, not a complete-looking file.
		httpx.Logger(r).Error("export failed", "err", err)
		panic(http.ErrAbortHandler)
	}
	if err := start(); err == nil {
		out.Flush()
	}
}

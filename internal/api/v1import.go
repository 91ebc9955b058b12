package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/bulk"
	"github.com/userdb/userdb/internal/httpx"
	"github.com/userdb/userdb/internal/service"
)

// ImportPaths are the routes that take spreadsheets, whose bodies may be as
// large as server.max_upload.
var ImportPaths = []string{V1Prefix + "/users/import", "/users/import"}

// v1ImportUsers: POST /api/v1/users/import, multipart/form-data with the
// spreadsheet in "file" and the fields dry_run, invite, verify_email, account
// and existing (skip|update) -> 200 with the report.
func (a *API) v1ImportUsers(w http.ResponseWriter, r *http.Request) {
	if err := a.svc.MayImport(r.Context()); err != nil {
		httpx.Error(w, r, err)
		return
	}
	up, err := bulk.ReadUpload(w, r, "file", a.opts.MaxUpload)
	if err != nil {
		uploadError(w, r, err)
		return
	}
	defer up.Close()
	opts := service.ImportOptions{Account: up.Fields["account"], Existing: up.Fields["existing"]}
	var ferr error
	opts.DryRun, ferr = formBool(up.Fields, "dry_run", ferr)
	opts.Invite, ferr = formBool(up.Fields, "invite", ferr)
	opts.VerifyEmail, ferr = formBool(up.Fields, "verify_email", ferr)
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
// Unless disableNewUserWorkflow is set, its new users are PENDING and get
// the original's email: the invitation without a password, the
// verification email with one.
func (a *API) rpcImportUsers(w http.ResponseWriter, r *http.Request) {
	if err := a.svc.MayImport(r.Context()); err != nil {
		httpx.Error(w, r, err)
		return
	}
	up, err := bulk.ReadUpload(w, r, "", a.opts.MaxUpload)
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
	noInvite, ferr := formBool(up.Fields, "disableNewUserWorkflow", nil)
	if ferr != nil {
		http.Error(w, userdb.ErrorMessage(ferr), http.StatusBadRequest)
		return
	}
	opts := service.ImportOptions{Account: up.Fields["accountId"], Invite: !noInvite, VerifyEmail: !noInvite}
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

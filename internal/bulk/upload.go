package bulk

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/httpx"
	"github.com/userdb/userdb/internal/service"
)

// UploadError is an upload refused before any row is read, with the HTTP
// status that says why (413 too large, 415 not a spreadsheet, 400 otherwise).
type UploadError struct {
	Status  int
	Message string
}

func (e *UploadError) Error() string { return e.Message }

// Upload is a spreadsheet received in a multipart request, spooled to a
// temporary file so it can be checked whole before anything is imported.
type Upload struct {
	File   *os.File
	Name   string
	Size   int64 // bytes
	Format Format
	Fields map[string]string // the form's other fields
}

// Close removes the temporary file.
func (u *Upload) Close() error {
	u.File.Close()
	return os.Remove(u.File.Name())
}

// Limits of the form fields that come with an upload.
const (
	maxFields     = 32
	maxFieldBytes = 4 << 10
)

// ReadUpload reads a multipart/form-data request holding one file in the
// part named field (any name if field is "") and small form fields. The
// request body must already be capped at maxUpload (httpx.LimitBody): going
// past the cap is a 413. The request gets the time a large upload and its
// import need, in place of the server's timeouts, so call it only once the
// caller may import: an anonymous caller never gets more time.
func ReadUpload(w http.ResponseWriter, r *http.Request, field string, maxUpload int64) (*Upload, error) {
	extendDeadlines(w, maxUpload, -1)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, &UploadError{http.StatusUnsupportedMediaType, "Send the spreadsheet as multipart/form-data, in a part named \"file\"."}
	}
	up := &Upload{Fields: map[string]string{}}
	fail := func(err error) (*Upload, error) {
		if up.File != nil {
			up.Close()
		}
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &UploadError{http.StatusRequestEntityTooLarge, "The file is too large: the limit is " + httpx.ByteSize(tooBig.Limit) + "."}
		}
		var ue *UploadError
		if errors.As(err, &ue) {
			return nil, ue
		}
		return nil, &UploadError{http.StatusBadRequest, "The upload could not be read as multipart/form-data."}
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fail(err)
		}
		if part.FileName() == "" {
			if len(up.Fields) >= maxFields {
				return fail(&UploadError{http.StatusBadRequest, "The form has too many fields."})
			}
			b, err := io.ReadAll(io.LimitReader(part, maxFieldBytes+1))
			if err != nil {
				return fail(err)
			}
			if len(b) > maxFieldBytes {
				return fail(&UploadError{http.StatusBadRequest, "The form field " + part.FormName() + " is too long."})
			}
			if bytes.IndexByte(b, 0) >= 0 || !utf8.Valid(b) { // PostgreSQL cannot compare text with NUL
				return fail(&UploadError{http.StatusBadRequest, "The form field " + part.FormName() + " is not text."})
			}
			up.Fields[part.FormName()] = strings.TrimSpace(string(b))
			continue
		}
		if up.File != nil || (field != "" && part.FormName() != field) {
			return fail(&UploadError{http.StatusBadRequest, "Send one file, in the part named \"file\"."})
		}
		if err := up.spool(part); err != nil {
			return fail(err)
		}
	}
	if up.File == nil {
		return nil, &UploadError{http.StatusBadRequest, "No file was sent: choose a CSV or XLSX file."}
	}
	extendDeadlines(w, maxUpload, up.Size)
	return up, nil
}

// spool copies the file part to a temporary file and decides its format.
func (up *Upload) spool(part *multipart.Part) error {
	f, err := os.CreateTemp("", "userdb-import-*")
	if err != nil {
		return err
	}
	up.File, up.Name = f, part.FileName()
	n, err := io.Copy(f, part)
	if err != nil {
		return err
	}
	up.Size = n
	if n == 0 {
		return &UploadError{http.StatusBadRequest, "The file is empty."}
	}
	head := make([]byte, 8)
	k, _ := f.ReadAt(head, 0)
	format, err := Detect(part.Header.Get("Content-Type"), part.FileName(), head[:k])
	if err != nil {
		return &UploadError{http.StatusUnsupportedMediaType, userdb.ErrorMessage(err)}
	}
	up.Format = format
	return nil
}

// Import checks the whole file first — a malformed file imports nothing —
// then imports it row by row.
func Import(ctx context.Context, svc *service.Service, f io.ReadSeeker, format Format, opts service.ImportOptions) (*service.ImportReport, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	if _, err := Check(f, format); err != nil {
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	rd, err := NewReader(f, format)
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	return svc.ImportUsers(ctx, rd, opts)
}

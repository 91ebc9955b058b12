package console

import (
	"errors"
	"net/http"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/bulk"
	"github.com/userdb/userdb/internal/httpx"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/internal/ui"
)

// ImportPath is the bulk import page; its uploads may be as large as
// server.max_upload.
const ImportPath = Prefix + "import"

// ExamplePath is the example spreadsheet, where the original library's
// import dialog fetched it.
const ExamplePath = "/import-users-example.csv"

// exampleCSV is the original's example: its column order, one user.
const exampleCSV = "First Name,Last Name,Email,Role,Password\r\n" +
	"John,Smith,john.smith@example.com,admin,InitialPassword3!2!1!\r\n"

// importData is the import page: the form and, after an upload, its report.
type importData struct {
	Accounts []ui.Option // super-admins: where rows naming no account go
	Existing []ui.Option
	Limit    string // the largest file accepted
	Report   *service.ImportReport
	FileName string
}

// importRoutes registers the import page and the example file.
func (c *Console) importRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET "+ImportPath, c.signedIn(c.importPage))
	mux.HandleFunc("POST "+ImportPath, c.signedIn(c.importPost))
	mux.HandleFunc("GET "+ExamplePath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="import-users-example.csv"`)
		w.Write([]byte(exampleCSV))
	})
}

func (c *Console) importPage(w http.ResponseWriter, r *http.Request, me *admin) {
	v := c.newView(r, me, "import", "import", "Import users")
	v.SetValue("account", userdb.DefaultAccountID)
	v.SetValue("existing", service.ImportSkipExisting)
	c.showImport(w, r, me, http.StatusOK, v, &importData{})
}

func (c *Console) showImport(w http.ResponseWriter, r *http.Request, me *admin, status int, v *view, d *importData) {
	if me.Super {
		_, accounts, err := c.accountNames(r, me)
		if err != nil {
			c.fail(w, r, me, err)
			return
		}
		d.Accounts = accounts[1:] // without "All accounts"
	}
	d.Limit = httpx.ByteSize(c.opts.MaxUpload)
	d.Existing = []ui.Option{{Value: service.ImportSkipExisting, Label: "Skip the row"},
		{Value: service.ImportUpdateExisting, Label: "Update its names, status, custom data and roles"}}
	v.Data = d
	c.render(w, r, status, v)
}

// importPost imports an uploaded spreadsheet (or checks it, for a dry run)
// and shows the report under the form.
func (c *Console) importPost(w http.ResponseWriter, r *http.Request, me *admin) {
	v := c.newView(r, me, "import", "import", "Import users")
	if err := c.svc.MayImport(r.Context()); err != nil {
		c.fail(w, r, me, err)
		return
	}
	up, err := bulk.ReadUpload(w, r, "file", c.opts.MaxUpload)
	if err != nil {
		var ue *bulk.UploadError
		if !errors.As(err, &ue) {
			c.fail(w, r, me, err)
			return
		}
		v.Invalid("file", ue.Message)
		c.showImport(w, r, me, ue.Status, v, &importData{})
		return
	}
	defer up.Close()
	for _, name := range []string{"account", "existing", "dry_run", "invite", "verify_email"} {
		if value, ok := up.Fields[name]; ok {
			v.Input.Set(name, value)
		}
	}
	opts := service.ImportOptions{
		Account: up.Fields["account"], Existing: up.Fields["existing"],
		DryRun: up.Fields["dry_run"] != "", Invite: up.Fields["invite"] != "",
		VerifyEmail: up.Fields["verify_email"] != "",
	}
	if !me.Super {
		opts.Account = ""
	}
	report, err := bulk.Import(r.Context(), c.svc, up.File, up.Format, opts)
	if err != nil {
		if userdb.ErrorCode(err) == userdb.EINTERNAL {
			c.fail(w, r, me, err)
			return
		}
		v.setError(r, err, "file", "account", "existing")
		c.showImport(w, r, me, ui.FormStatus(err), v, &importData{})
		return
	}
	c.showImport(w, r, me, http.StatusOK, v, &importData{Report: report, FileName: up.Name})
}

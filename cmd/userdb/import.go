package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/bulk"
	"github.com/userdb/userdb/internal/service"
)

// importCmd imports users from a CSV or XLSX file, as the system (every
// account; password hashes allowed).
func importCmd(e *env, args []string) error {
	var c common
	fs := c.flags("import", true)
	account := fs.String("account", "", "account (id or name) for rows that name none; default: the default account")
	dryRun := fs.Bool("dry-run", false, "check every row and report, without writing anything")
	invite := fs.Bool("invite", false, "send the invitation email to created users without a password")
	verifyEmail := fs.Bool("verify-email", false, "make created users with a password PENDING and send them the verification email (the original's add-users)")
	existing := fs.String("existing", "skip", "a row whose email exists: skip or update")
	format := fs.String("format", "", "csv or xlsx (default: from the file's name and content)")
	pos, err := parse(e, fs, args, 1, 1, "FILE [--account A] [--dry-run] [--invite] [--verify-email] [--existing skip|update]")
	if err != nil {
		return err
	}
	if *existing != service.ImportSkipExisting && *existing != service.ImportUpdateExisting {
		return usagef("import: --existing must be skip or update")
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return usagef("import: %v", err)
	}
	defer f.Close()
	var ft bulk.Format
	switch strings.ToLower(*format) {
	case "":
		head := make([]byte, 8)
		n, _ := f.ReadAt(head, 0)
		ft, err = bulk.Detect("", filepath.Base(pos[0]), head[:n])
		if err != nil {
			return usagef("import: %s", userdb.ErrorMessage(err))
		}
	case "csv":
		ft = bulk.CSV
	case "xlsx":
		ft = bulk.XLSX
	default:
		return usagef("import: --format must be csv or xlsx")
	}
	opts := service.ImportOptions{Account: *account, DryRun: *dryRun, Invite: *invite, VerifyEmail: *verifyEmail, Existing: *existing}
	return c.withServer(e, func(ctx context.Context, svc *service.Service) error {
		report, err := bulk.Import(ctx, svc, f, ft, opts)
		if err != nil {
			return err
		}
		if c.json {
			return printJSON(e.stdout, report)
		}
		verb, would := "imported", ""
		if report.DryRun {
			verb, would = "checked (dry run, nothing written)", "would be "
		}
		fmt.Fprintf(e.stdout, "%d rows %s: %d %screated, %d %supdated, %d skipped, %d failed\n",
			report.Rows, verb, report.Created, would, report.Updated, would, report.Skipped, report.Failed)
		if report.Wrapped > 0 {
			fmt.Fprintf(e.stdout, "%d weak password hashes %sstored wrapped in argon2id\n", report.Wrapped, would)
		}
		for _, p := range report.Problems {
			field := ""
			if p.Field != "" {
				field = " (" + p.Field + ")"
			}
			fmt.Fprintf(e.stdout, "row %d: %s%s: %s\n", p.Row, p.Outcome, field, p.Reason)
		}
		if report.MoreProblems > 0 {
			fmt.Fprintf(e.stdout, "... and %d more rows skipped or failed\n", report.MoreProblems)
		}
		if report.Failed > 0 {
			return fmt.Errorf("%d rows failed", report.Failed)
		}
		return nil
	})
}

// exportCmd writes every user (of one account) as CSV or JSON lines.
func exportCmd(e *env, args []string) error {
	var c common
	fs := c.flags("export", false)
	account := fs.String("account", "", "only this account (id or name)")
	format := fs.String("format", "csv", "csv or jsonl")
	hashes := fs.Bool("hashes", false, "include password hashes, to move users to another system (keep the file secret)")
	out := fs.String("out", "", "write to this `file` (created with mode 0600) instead of standard output")
	if _, err := parse(e, fs, args, 0, 0, "[--account A] [--format csv|jsonl] [--hashes] [--out FILE]"); err != nil {
		return err
	}
	if *format != bulk.ExportCSV && *format != bulk.ExportJSONL {
		return usagef("export: --format must be csv or jsonl")
	}
	dst := e.stdout
	if *out != "" {
		f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return usagef("export: %v", err)
		}
		defer f.Close()
		dst = f
	}
	bw := bufio.NewWriterSize(dst, 64<<10)
	w, err := bulk.NewWriter(bw, *format, *hashes)
	if err != nil {
		return err
	}
	return c.withServer(e, func(ctx context.Context, svc *service.Service) error {
		n, err := svc.ExportUsers(ctx, service.ExportOptions{Account: *account, Hashes: *hashes}, func(u *userdb.User, acc string) error {
			return w.Write(bulk.NewRecord(u, acc))
		})
		if err != nil {
			return err
		}
		if err := w.Flush(); err != nil {
			return err
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		if *out != "" {
			fmt.Fprintf(e.stderr, "%d users exported to %s\n", n, *out)
		}
		return nil
	})
}

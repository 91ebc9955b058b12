package nodeimport

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// Tables of the original schema, as named in Issue.Table.
const (
	TableAccounts     = "accounts"
	TableUsers        = "users"
	TableRoles        = "roles"
	TableMemberships  = "users_roles"
	TableOldPasswords = "old_passwords"
)

// Report is what an import did, or in a dry run would do.
type Report struct {
	DryRun bool
	// One count per original table. Every row of the table is counted once.
	Accounts, Users, Roles, Memberships, OldPasswords Counts
	// Wrapped counts the bcrypt hashes below cost 10 written (users' and
	// old passwords'), stored wrapped in argon2id (Options.Wrapper; ASVS
	// 2.4.4). The passwords are unchanged.
	Wrapped int
	// Issues lists every row not imported and every row imported with a
	// change or a caveat, in the order they were met.
	Issues []Issue
}

// Counts tally the rows of one original table.
type Counts struct {
	Created   int // written to userdb for the first time
	Updated   int // already in userdb, and changed to match the source
	Unchanged int // already in userdb as the source has it
	Failed    int // not imported; each has an Issue with Skipped set
}

// Total is the number of rows counted.
func (c Counts) Total() int { return c.Created + c.Updated + c.Unchanged + c.Failed }

// Issue is one row the import could not take as it is.
type Issue struct {
	Table string // one of the Table constants
	// ID identifies the row: its id, or "user_id/role_id" for a membership
	// and the user's id for an old password.
	ID      string
	Reason  string
	Skipped bool // the row was not imported (otherwise it was, as Reason says)
}

func (i Issue) String() string {
	s := i.Table + " " + i.ID + ": " + i.Reason
	if i.Skipped {
		s += " (not imported)"
	}
	return s
}

// Changes is the number of rows created or updated.
func (r *Report) Changes() int {
	n := 0
	for _, c := range r.tables() {
		n += c.counts.Created + c.counts.Updated
	}
	return n
}

// Failed is the number of rows not imported.
func (r *Report) Failed() int {
	n := 0
	for _, c := range r.tables() {
		n += c.counts.Failed
	}
	return n
}

type tableCounts struct {
	name   string
	counts Counts
}

func (r *Report) tables() []tableCounts {
	return []tableCounts{
		{TableAccounts, r.Accounts},
		{TableUsers, r.Users},
		{TableRoles, r.Roles},
		{TableMemberships, r.Memberships},
		{TableOldPasswords, r.OldPasswords},
	}
}

// WriteText writes the report for people: a table of counts, then the issues.
func (r *Report) WriteText(w io.Writer) error {
	title := "Import from userdb (Node)"
	if r.DryRun {
		title += ": dry run, nothing was written"
	}
	if _, err := fmt.Fprintln(w, title); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "table\tcreated\tupdated\tunchanged\tfailed\t")
	for _, t := range r.tables() {
		c := t.counts
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t\n", t.name, c.Created, c.Updated, c.Unchanged, c.Failed)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if r.Wrapped > 0 {
		if _, err := fmt.Fprintf(w, "%d weak bcrypt hashes (cost below 10) stored wrapped in argon2id\n", r.Wrapped); err != nil {
			return err
		}
	}
	if len(r.Issues) == 0 {
		return nil
	}
	if _, err := fmt.Fprintf(w, "%d issues:\n", len(r.Issues)); err != nil {
		return err
	}
	for _, i := range r.Issues {
		if _, err := fmt.Fprintln(w, "  "+i.String()); err != nil {
			return err
		}
	}
	return nil
}

// counts returns the counts of a table, for the importer to add to.
func (r *Report) counts(table string) *Counts {
	switch table {
	case TableAccounts:
		return &r.Accounts
	case TableUsers:
		return &r.Users
	case TableRoles:
		return &r.Roles
	case TableMemberships:
		return &r.Memberships
	case TableOldPasswords:
		return &r.OldPasswords
	}
	panic("nodeimport: unknown table " + table)
}

// skip counts a row as failed and records why.
func (r *Report) skip(table, id, format string, args ...any) {
	r.counts(table).Failed++
	r.Issues = append(r.Issues, Issue{Table: table, ID: id, Reason: fmt.Sprintf(format, args...), Skipped: true})
}

// note records a caveat about a row that is imported.
func (r *Report) note(table, id, format string, args ...any) {
	r.Issues = append(r.Issues, Issue{Table: table, ID: id, Reason: fmt.Sprintf(format, args...)})
}

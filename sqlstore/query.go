package sqlstore

import (
	"context"
	"database/sql"
	"math"
	"strconv"
	"strings"

	"github.com/userdb/userdb"
)

// where collects the conditions of a WHERE clause and their arguments.
// Conditions are constant SQL written in this package; input only ever
// reaches the arguments.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// sql returns " WHERE c1 AND c2 ..." or "" without conditions.
func (w *where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// sets collects the assignments of an UPDATE; columns are constants of
// this package.
type sets struct {
	cols []string
	args []any
}

func (s *sets) add(col string, arg any) {
	s.cols = append(s.cols, col+" = ?")
	s.args = append(s.args, arg)
}

// addSQL adds an assignment whose value is an SQL expression.
func (s *sets) addSQL(col, expr string) {
	s.cols = append(s.cols, col+" = "+expr)
}

func (s *sets) sql() string { return strings.Join(s.cols, ", ") }

// likeEscaper escapes the LIKE wildcards and the escape character itself,
// so a search matches its text literally. '!' is the escape character: a
// backslash would mean different things in MySQL and PostgreSQL literals.
var likeEscaper = strings.NewReplacer("!", "!!", "%", "!%", "_", "!_")

// containsPattern is a LIKE pattern (with ESCAPE '!') matching s anywhere.
func containsPattern(s string) string { return "%" + likeEscaper.Replace(s) + "%" }

// prefixEnd, appended to a prefix, bounds the strings that start with it:
// the largest code point sorts after every other in the byte order of UTF-8
// that all dialects compare the *_fold columns in.
const prefixEnd = "\U0010FFFF"

// prefixPattern is a LIKE pattern (with ESCAPE '!') matching s at the start.
func prefixPattern(s string) string { return likeEscaper.Replace(s) + "%" }

// collect scans every row with scan and closes rows.
func collect[T any](rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// exists reports whether the query returns a row.
func (s *Store) exists(ctx context.Context, q string, args ...any) (bool, error) {
	rows, err := s.query(ctx, q+" LIMIT 1", args...)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	found := rows.Next()
	return found, s.wrap(rows.Err())
}

// limitOffset appends LIMIT and OFFSET placeholders to q for a page of
// limit rows (0: all) after offset rows. SQLite and MySQL take an OFFSET
// only after a LIMIT, so "all" is then the largest LIMIT all three take.
func limitOffset(q string, args []any, limit, offset int) (string, []any) {
	if limit <= 0 && offset <= 0 {
		return q, args
	}
	if limit <= 0 {
		limit = math.MaxInt32
	}
	q += " LIMIT ?"
	args = append(args, limit)
	if offset > 0 {
		q += " OFFSET ?"
		args = append(args, offset)
	}
	return q, args
}

// Page sizes of FindUsers, FindEvents and FindEmails.
const (
	DefaultLimit = 50
	MaxLimit     = 1000
)

// pageLimit checks a requested page size: 0 asks for DefaultLimit, more
// than MaxLimit gets MaxLimit.
func pageLimit(n int) (int, error) {
	switch {
	case n < 0:
		return 0, userdb.FieldError("limit", "limit must not be negative")
	case n == 0:
		return DefaultLimit, nil
	case n > MaxLimit:
		return MaxLimit, nil
	}
	return n, nil
}

func quote(s string) string { return strconv.Quote(s) }

package sqlstore

import (
	"slices"
	"testing"
)

func TestSplitStatements(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
	}{
		{"one", "CREATE TABLE a (x INT);\n", []string{"CREATE TABLE a (x INT);"}},
		{"several lines", "CREATE TABLE a (\n\tx INT\n);\nCREATE INDEX i ON a (x);", []string{"CREATE TABLE a (\n\tx INT\n);", "CREATE INDEX i ON a (x);"}},
		// A comment ending in a semicolon ends no statement; comments stay
		// with the statement they precede, and trailing ones are dropped.
		{"comments", "-- a file comment;\n-- another\nINSERT INTO a VALUES (1);\n-- trailing\n", []string{"-- a file comment;\n-- another\nINSERT INTO a VALUES (1);"}},
		{"semicolon inside a line", "INSERT INTO a VALUES ('x;y');\n", []string{"INSERT INTO a VALUES ('x;y');"}},
		{"last without semicolon", "SELECT 1;\nSELECT 2\n", []string{"SELECT 1;", "SELECT 2"}},
		{"empty", "\n-- nothing\n", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := splitStatements(tc.text); !slices.Equal(got, tc.want) {
				t.Errorf("splitStatements = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestEmbeddedMigrations(t *testing.T) {
	for _, d := range []*dialect{sqliteDialect, postgresDialect, newMySQLDialect(true)} {
		t.Run(d.name, func(t *testing.T) {
			ms, err := d.migrations()
			if err != nil {
				t.Fatal(err)
			}
			if len(ms) < 2 {
				t.Fatalf("%d migrations, want at least 2", len(ms))
			}
			// Versions ascend from 1 with gaps allowed: parallel branches
			// number their migrations in ranges of their own.
			prev := 0
			for i, m := range ms {
				if m.version <= prev || (i == 0 && m.version != 1) || m.name == "" || len(m.statements) == 0 {
					t.Errorf("migration %d = version %d, name %q, %d statements", i, m.version, m.name, len(m.statements))
				}
				prev = m.version
			}
		})
	}
}

func TestRebind(t *testing.T) {
	tests := []struct {
		name string
		d    *dialect
		q    string
		want string
	}{
		{"postgres numbers", postgresDialect, "SELECT a FROM t WHERE b = ? AND c IN (?, ?)", "SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)"},
		{"postgres ten and more", postgresDialect, "? ? ? ? ? ? ? ? ? ? ?", "$1 $2 $3 $4 $5 $6 $7 $8 $9 $10 $11"},
		{"sqlite unchanged", sqliteDialect, "SELECT ? , ?", "SELECT ? , ?"},
		{"mysql unchanged", newMySQLDialect(false), "SELECT ?", "SELECT ?"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.d.rebind(tc.q); got != tc.want {
				t.Errorf("rebind(%q) = %q, want %q", tc.q, got, tc.want)
			}
		})
	}
}

func TestMySQLSkipLocked(t *testing.T) {
	tests := []struct {
		version string
		want    bool
	}{
		{"10.11.19-MariaDB-0+deb12u1", true},
		{"10.6.0-MariaDB", true},
		{"10.5.23-MariaDB-1:10.5.23+maria~ubu2004", false},
		{"11.4.2-MariaDB", true},
		{"8.0.36", true},
		{"8.4.0-commercial", true},
		{"5.7.44-log", false},
		{"garbage", false},
	}
	for _, tc := range tests {
		t.Run(tc.version, func(t *testing.T) {
			if got := mysqlSkipLocked(tc.version); got != tc.want {
				t.Errorf("mysqlSkipLocked(%q) = %v, want %v", tc.version, got, tc.want)
			}
		})
	}
}

func TestContainsPattern(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "%plain%"},
		{"50%", "%50!%%"},
		{"a_b", "%a!_b%"},
		{"wow!", "%wow!!%"},
		{`back\slash`, `%back\slash%`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := containsPattern(tc.in); got != tc.want {
				t.Errorf("containsPattern(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

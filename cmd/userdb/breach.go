package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/userdb/userdb/internal/breach"
)

// breachCmd: userdb breach import FILE — turns the published list of
// breached passwords' SHA-1s (lines HASH:COUNT) into the offline file named
// by password.breach.file, keeping those seen password.breach.min_count
// times.
func breachCmd(e *env, args []string) error {
	if len(args) == 0 || isHelp(args[0]) || args[0] != "import" {
		return usagef("breach: usage: userdb breach import FILE")
	}
	var c common
	fs := c.flags("breach import", false)
	pos, err := parse(e, fs, args[1:], 1, 1, "FILE")
	if err != nil {
		return err
	}
	cfg, err := c.load(e)
	if err != nil {
		return err
	}
	out := cfg.Password.Breach.File
	if out == "" {
		return usagef("breach import: set password.breach.file (USERDB_PASSWORD_BREACH_FILE) to the file to write")
	}
	in, err := os.Open(pos[0])
	if err != nil {
		return err
	}
	defer in.Close()
	tmp, err := os.CreateTemp(filepath.Dir(out), ".breach-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	n, err := breach.Import(in, tmp, cfg.Password.Breach.MinCount)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	// Replaced whole: a server opening the file never reads half of it.
	if err := os.Rename(tmp.Name(), out); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%d breached password hashes written to %s\n", n, out)
	return nil
}

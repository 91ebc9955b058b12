// Command userdb runs the userdb server and administers its users, accounts
// and roles from the command line.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// env is what a command may touch: no globals, so run is testable.
type env struct {
	ctx    context.Context
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// usageError is a mistake in the command line (exit 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// run runs one command line and returns its exit code. Errors are one line
// on stderr.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{ctx: ctx, getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	err := dispatch(e, args)
	if err == nil {
		return exitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	fmt.Fprintln(stderr, "userdb: "+oneLine(describe(err)))
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintln(stderr, "Run 'userdb help' for usage.")
		return exitUsage
	}
	return exitFailure
}

// describe turns an error into what the operator should read. The operator
// runs the command, so internal details are shown too — config.Problems and
// sqlstore already keep passwords out of them.
func describe(err error) string {
	var p *config.Problems
	if errors.As(err, &p) {
		return p.Error()
	}
	var ue *usageError
	if errors.As(err, &ue) {
		return ue.msg
	}
	var de *userdb.Error
	if errors.As(err, &de) && de.Code != userdb.EINTERNAL {
		return de.Message
	}
	return err.Error()
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func dispatch(e *env, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, usage)
		return usagef("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "help", "-h", "--help", "-help":
		fmt.Fprint(e.stdout, usage)
		return nil
	case "serve":
		return serve(e, rest)
	case "migrate":
		return migrate(e, rest)
	case "config":
		return configCmd(e, rest)
	case "user":
		return userCmd(e, rest)
	case "account":
		return accountCmd(e, rest)
	case "role":
		return roleCmd(e, rest)
	case "events":
		return eventsCmd(e, rest)
	}
	return usagef("unknown command %q", cmd)
}

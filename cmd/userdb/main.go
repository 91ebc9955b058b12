// Command userdb runs the userdb server and administers its users, accounts
// and roles from the command line. Run `userdb help` for the commands.
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
	"github.com/userdb/userdb/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := runEnv(&env{ctx: ctx, getenv: os.Getenv, environ: os.Environ, stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}, os.Args[1:])
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// env is everything a command may touch. There are no globals, so run can
// be called from tests.
type env struct {
	ctx    context.Context
	getenv func(string) string
	// environ lists the process's variables, to warn of mistyped USERDB_*
	// names (nil in tests that give getenv a map).
	environ func() []string
	stdin   io.Reader
	stdout  io.Writer
	stderr  io.Writer

	// secrets are passwords the command has seen (in a DSN, say); they are
	// masked wherever they would appear in an error.
	secrets []string
}

// usageError is a mistake in the command line: exit 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// usagef returns a usageError with a formatted message.
func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// run runs one command line and returns its exit code. An error is reported
// as one line on stderr.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runEnv(&env{ctx: ctx, getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}, args)
}

// runEnv is run in the environment e.
func runEnv(e *env, args []string) int {
	stderr := e.stderr
	err := dispatch(e, args)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	}
	fmt.Fprintln(stderr, "userdb: "+e.mask(oneLine(describe(err))))
	var ue *usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	return exitFailure
}

// describe turns an error into what the operator should read. Domain errors
// give their caller-safe message. The operator runs the command, so an
// internal error shows its cause too; config problems and the store's DSN
// errors keep passwords out of their text, and run masks those it knows.
func describe(err error) string {
	var ue *usageError
	if errors.As(err, &ue) {
		return ue.msg + " (see 'userdb help')"
	}
	var p *config.Problems
	if errors.As(err, &p) {
		return p.Error()
	}
	var de *userdb.Error
	if !errors.As(err, &de) {
		return err.Error()
	}
	if de.Code != userdb.EINTERNAL {
		return userdb.ErrorMessage(err)
	}
	if de.Err != nil {
		return de.Message + ": " + de.Err.Error()
	}
	return de.Message
}

// mask replaces every secret the command has seen in s.
func (e *env) mask(s string) string {
	for _, secret := range e.secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "xxxxx")
		}
	}
	return s
}

// oneLine folds s onto one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// dispatch runs the command named by args[0].
func dispatch(e *env, args []string) error {
	if len(args) == 0 {
		return usagef("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "help", "-h", "--help", "-help":
		fmt.Fprint(e.stdout, usage)
		return nil
	case "version", "--version":
		return versionCmd(e, rest)
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
	case "apikey":
		return apiKeyCmd(e, rest)
	case "connector":
		return connectorCmd(e, rest)
	case "client":
		return clientCmd(e, rest)
	case "keys":
		return keysCmd(e, rest)
	case "migrate-from":
		return migrateFrom(e, rest)
	case "import":
		return importCmd(e, rest)
	case "export":
		return exportCmd(e, rest)
	case "breach":
		return breachCmd(e, rest)
	}
	return usagef("unknown command %q", cmd)
}

// isHelp reports whether a sub-command group was asked for help instead of
// an action.
func isHelp(action string) bool {
	switch action {
	case "help", "-h", "--help", "-help":
		return true
	}
	return false
}

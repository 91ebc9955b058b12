package main

import (
	"fmt"
	"runtime/debug"
)

// version and commit are set at build time with -ldflags
// "-X main.version=v1.2.3 -X main.commit=abc1234"; left empty, they are read
// from the module and version-control information Go records in the binary.
var version, commit string

// versionCmd prints the version and the commit the binary was built from.
func versionCmd(e *env, args []string) error {
	if len(args) > 0 {
		return usagef("version takes no arguments")
	}
	v, c, modified := version, commit, false
	if info, ok := debug.ReadBuildInfo(); ok {
		if v == "" {
			v = info.Main.Version
		}
		for _, s := range info.Settings {
			switch {
			case s.Key == "vcs.revision" && c == "":
				c = s.Value
			case s.Key == "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if v == "" {
		v = "(devel)"
	}
	if c == "" {
		c = "unknown"
	} else if modified && commit == "" {
		c += " (modified)"
	}
	fmt.Fprintf(e.stdout, "userdb %s\ncommit %s\n", v, c)
	return nil
}

package config

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong with the configuration. Key is the key path
// (sessions.idle_timeout, custom_data.schema[0].name) or, for a bad
// environment variable, its name.
type Problem struct {
	Key     string
	Message string
}

// String returns "key: message".
func (p Problem) String() string {
	if p.Key == "" {
		return p.Message
	}
	return p.Key + ": " + p.Message
}

// Problems is the error of Load, Validate and ResolveKeys: every problem
// found, not just the first.
type Problems struct {
	List []Problem
}

// Error lists the problems on one line, separated by semicolons.
func (p *Problems) Error() string {
	s := make([]string, len(p.List))
	for i, pr := range p.List {
		s[i] = pr.String()
	}
	return strings.Join(s, "; ")
}

// add records a problem unless the key already has one: a value is reported
// for what is most wrong with it, once.
func (p *Problems) add(key, format string, args ...any) {
	for _, pr := range p.List {
		if pr.Key == key {
			return
		}
	}
	p.List = append(p.List, Problem{Key: key, Message: fmt.Sprintf(format, args...)})
}

// err returns p as an error, or nil when there are no problems.
func (p *Problems) err() error {
	if len(p.List) == 0 {
		return nil
	}
	return p
}

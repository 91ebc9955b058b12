package config

import (
	"reflect"
	"slices"
	"strings"
)

// testEnvPrefix names the variables of userdb's own tests, which are not
// settings.
const testEnvPrefix = EnvPrefix + "TEST_"

// UnknownEnv returns a warning for every variable among environ (KEY=value
// pairs, as os.Environ gives them) that starts with EnvPrefix but names no
// setting, such as USERDB_SESION_IDLE_TIMEOUT, with the closest variable
// that does: a mistyped name is otherwise ignored without a word.
func UnknownEnv(environ []string) []string {
	known := envNames()
	var warnings []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, EnvPrefix) || strings.HasPrefix(name, testEnvPrefix) || slices.Contains(known, name) {
			continue
		}
		w := name + " is not a setting and is ignored"
		if c := closest(name, known); c != "" {
			w += "; did you mean " + c + "?"
		}
		warnings = append(warnings, w)
	}
	return warnings
}

// envNames lists the variable of every key (and <VARIABLE>_FILE where the
// key can be read from a file).
func envNames() []string {
	var names []string
	walk(reflect.ValueOf(Default()).Elem(), "", func(key string, f reflect.StructField, v reflect.Value) {
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Struct {
			return // lists of mappings are set in the file only
		}
		names = append(names, EnvName(key))
		if fromFile(f) {
			names = append(names, EnvName(key)+"_FILE")
		}
	})
	return names
}

// closest returns the name among known nearest to name by edit distance,
// or "" when even that one is too far to be a typing mistake.
func closest(name string, known []string) string {
	best, bestD := "", len(name)/3+1
	for _, k := range known {
		if d := editDistance(name, k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of two ASCII names.
func editDistance(a, b string) int {
	prev, cur := make([]int, len(b)+1), make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

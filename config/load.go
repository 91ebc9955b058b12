package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// EnvPrefix starts the name of every environment variable Load reads.
const EnvPrefix = "USERDB_"

// Load returns the configuration: Default, overlaid with the YAML file at
// path (if path is not empty), then with environment variables, then
// validated. getenv looks variables up (os.Getenv, or a map in tests; nil
// reads none); an empty value counts as unset.
//
// Every key has a variable: EnvPrefix and the upper-cased key path with dots
// turned into underscores, such as USERDB_SESSIONS_IDLE_TIMEOUT. Lists are
// comma-separated; custom_data.schema has no variable. Secret keys (and
// database.dsn) can also be read from a file named by <key>_file in YAML or
// <VARIABLE>_FILE in the environment; one trailing newline is trimmed.
//
// A file that cannot be read or is not YAML is an error of its own; anything
// else wrong (unknown keys, bad values, failed validation) is reported
// together in a *Problems.
func Load(path string, getenv func(string) string) (*Config, error) {
	c := Default()
	p := &Problems{}
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			return nil, fmt.Errorf("config: %s: %w", path, err)
		}
		if len(doc.Content) > 0 {
			decodeMapping(doc.Content[0], reflect.ValueOf(c).Elem(), "", p)
		}
	}
	if getenv != nil {
		applyEnv(c, getenv, p)
	}
	c.validate(p)
	if err := p.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// decode sets v, the value of field f (or an element of a list field), from
// the YAML node n. Mappings decode onto structs key by key, keeping the
// values of keys they do not mention; anything else replaces the value.
// Problems are reported under the key path.
func decode(n *yaml.Node, f reflect.StructField, v reflect.Value, path string, p *Problems) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	switch {
	case v.Kind() == reflect.Struct:
		decodeMapping(n, v, path, p)
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Struct:
		decodeList(n, f, v, path, p)
	case kindOf(f) == kindDurations && n.Kind == yaml.SequenceNode:
		list := make([]time.Duration, 0, len(n.Content))
		for i, item := range n.Content {
			d, err := ParseDuration(item.Value)
			if item.Kind != yaml.ScalarNode || err != nil {
				p.add(fmt.Sprintf("%s[%d]", path, i), "must be a duration such as 15m")
				return
			}
			list = append(list, d)
		}
		v.Set(reflect.ValueOf(list))
	case kindOf(f) == kindDuration || kindOf(f) == kindSize || kindOf(f) == kindDurations:
		// Written as text (15m, 1MiB); a bare number is seconds or bytes.
		// A null leaves the value as it was, as for every other key.
		if n.Kind != yaml.ScalarNode {
			p.add(path, "must be %s", describe(f, v.Type()))
		} else if !isNull(n) {
			if err := setText(f, v, n.Value); err != nil {
				p.add(path, "%v", err)
			}
		}
	default:
		if err := n.Decode(v.Addr().Interface()); err != nil {
			var te *yaml.TypeError
			if errors.As(err, &te) {
				p.add(path, "must be %s", describe(f, v.Type()))
			} else {
				p.add(path, "%v", err)
			}
		}
	}
}

func decodeMapping(n *yaml.Node, v reflect.Value, path string, p *Problems) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		p.add(path, "must be a mapping of keys")
		return
	}
	fields := make(map[string]reflect.StructField)
	for _, f := range keyFields(v.Type()) {
		fields[keyName(f)] = f
	}
	present := make(map[string]bool)
	for i := 0; i < len(n.Content); i += 2 {
		present[n.Content[i].Value] = true
	}
	for i := 0; i < len(n.Content); i += 2 {
		name, value := n.Content[i].Value, n.Content[i+1]
		key := join(path, name)
		if f, ok := fields[name]; ok {
			decode(value, f, v.FieldByIndex(f.Index), key, p)
			continue
		}
		base, isFile := strings.CutSuffix(name, "_file")
		if f, ok := fields[base]; ok && isFile && fromFile(f) {
			if present[base] {
				p.add(key, "set either %s or %s, not both", base, name)
				continue
			}
			var file string
			if err := value.Decode(&file); err != nil {
				p.add(key, "must be a file name")
				continue
			}
			readSecretFile(file, v.FieldByIndex(f.Index), key, p)
			continue
		}
		p.add(key, "unknown key")
	}
}

func decodeList(n *yaml.Node, f reflect.StructField, v reflect.Value, path string, p *Problems) {
	if isNull(n) {
		v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		return
	}
	if n.Kind != yaml.SequenceNode {
		p.add(path, "must be a list")
		return
	}
	list := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		decode(item, f, list.Index(i), fmt.Sprintf("%s[%d]", path, i), p)
	}
	v.Set(list)
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names what a value of type t, of the field f, is written as, for
// problems.
func describe(f reflect.StructField, t reflect.Type) string {
	switch kindOf(f) {
	case kindDuration:
		return "a duration such as 15m"
	case kindSize:
		return "a size such as 1MiB"
	case kindDurations:
		return "a list of durations such as [14d, 3d]"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int:
		return "an integer"
	case reflect.Slice:
		return "a list of " + strings.TrimPrefix(describe(reflect.StructField{}, t.Elem()), "a ") + "s"
	case reflect.Struct:
		return "a mapping of keys"
	}
	return "a string"
}

// The kinds of leaf keys whose Go type does not say how they are written.
const (
	kindPlain     = ""
	kindDuration  = "duration"  // a time.Duration: 15m, 30d, or seconds
	kindSize      = "size"      // an int64 tagged config:"size": 1MiB, or bytes
	kindSecret    = "secret"    // a string tagged config:"secret": never printed
	kindDSN       = "dsn"       // the database address: printed without its password
	kindDurations = "durations" // a []time.Duration: [14d, 3d], or 14d,3d in the environment
)

// kindOf returns the kind of the key of field f.
func kindOf(f reflect.StructField) string {
	switch f.Type {
	case reflect.TypeFor[time.Duration]():
		return kindDuration
	case reflect.TypeFor[[]time.Duration]():
		return kindDurations
	}
	return f.Tag.Get("config")
}

// applyEnv overrides every key whose environment variable is set.
func applyEnv(c *Config, getenv func(string) string, p *Problems) {
	walk(reflect.ValueOf(c).Elem(), "", func(key string, f reflect.StructField, v reflect.Value) {
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Struct {
			return // lists of mappings are set in the file only
		}
		name := EnvName(key)
		value, file := getenv(name), ""
		if fromFile(f) {
			file = getenv(name + "_FILE")
		}
		switch {
		case value != "" && file != "":
			p.add(name+"_FILE", "set either %s or %s_FILE, not both", name, name)
		case file != "":
			readSecretFile(file, v, name+"_FILE", p)
		case value != "":
			if err := setText(f, v, value); err != nil {
				p.add(name, "%v", err)
			}
		}
	})
}

// EnvName returns the environment variable of a key path:
// sessions.idle_timeout gives USERDB_SESSIONS_IDLE_TIMEOUT.
func EnvName(key string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// setText sets the leaf v, the value of field f, from text: an environment
// variable, or a duration or size in the file.
func setText(f reflect.StructField, v reflect.Value, s string) error {
	switch kindOf(f) {
	case kindDuration:
		d, err := ParseDuration(s)
		if err != nil {
			return err
		}
		v.SetInt(int64(d))
		return nil
	case kindSize:
		n, err := ParseSize(s)
		if err != nil {
			return err
		}
		v.SetInt(n)
		return nil
	case kindDurations:
		var list []time.Duration
		for item := range strings.SplitSeq(s, ",") {
			if item = strings.TrimSpace(item); item == "" {
				continue
			}
			d, err := ParseDuration(item)
			if err != nil {
				return err
			}
			list = append(list, d)
		}
		v.Set(reflect.ValueOf(list))
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := parseBool(s)
		if err != nil {
			return err
		}
		v.SetBool(b)
	case reflect.Int:
		n, err := strconv.Atoi(s)
		if err != nil {
			return errors.New("must be an integer")
		}
		v.SetInt(int64(n))
	case reflect.Slice:
		var list []string
		for item := range strings.SplitSeq(s, ",") {
			if item = strings.TrimSpace(item); item != "" {
				list = append(list, item)
			}
		}
		v.Set(reflect.ValueOf(list))
	default:
		return fmt.Errorf("cannot be set from the environment")
	}
	return nil
}

// parseBool reads a boolean variable: what strconv.ParseBool accepts, and the
// yes, no, on and off that YAML accepts.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "yes", "on":
		return true, nil
	case "no", "off":
		return false, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, errors.New("must be true or false")
	}
	return b, nil
}

// fromFile reports whether the key of field f also accepts <key>_file.
func fromFile(f reflect.StructField) bool {
	k := kindOf(f)
	return k == kindSecret || k == kindDSN
}

// readSecretFile sets v to the contents of the file name, less one trailing
// newline. The contents never appear in a problem.
func readSecretFile(name string, v reflect.Value, key string, p *Problems) {
	data, err := os.ReadFile(name)
	if err != nil {
		p.add(key, "%v", err)
		return
	}
	s := string(data)
	if t, ok := strings.CutSuffix(s, "\n"); ok {
		s = strings.TrimSuffix(t, "\r")
	}
	v.SetString(s)
}

// walk calls fn with the key path, field and value of every leaf key under
// the struct v: each key that holds a value rather than further keys. A list
// of mappings counts as a leaf.
func walk(v reflect.Value, path string, fn func(key string, f reflect.StructField, v reflect.Value)) {
	for _, f := range keyFields(v.Type()) {
		key, fv := join(path, keyName(f)), v.FieldByIndex(f.Index)
		if fv.Kind() == reflect.Struct {
			walk(fv, key, fn)
		} else {
			fn(key, f, fv)
		}
	}
}

// keyFields returns the fields of struct type t that are keys, with those of
// inlined structs in their place.
func keyFields(t reflect.Type) []reflect.StructField {
	var fields []reflect.StructField
	for _, f := range reflect.VisibleFields(t) {
		if f.IsExported() && !f.Anonymous {
			fields = append(fields, f)
		}
	}
	return fields
}

func keyName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	return name
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

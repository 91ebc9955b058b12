package config

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// TestDefaultsFileIsDefault decodes defaults.yaml onto a zero Config, so a
// key missing from the file or with another value than Default's fails.
func TestDefaultsFileIsDefault(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal(Defaults(), &doc); err != nil {
		t.Fatal(err)
	}
	var got Config
	p := &Problems{}
	decodeMapping(doc.Content[0], reflect.ValueOf(&got).Elem(), "", p)
	if err := p.err(); err != nil {
		t.Fatalf("defaults.yaml: %v", err)
	}
	want := Default()
	walk(reflect.ValueOf(want).Elem(), "", func(key string, _ reflect.StructField, w reflect.Value) {
		g := fieldAt(reflect.ValueOf(&got).Elem(), key)
		if !reflect.DeepEqual(g.Interface(), w.Interface()) {
			t.Errorf("%s: defaults.yaml has %v, Default() %v", key, g, w)
		}
	})
	if !reflect.DeepEqual(&got, want) {
		t.Error("defaults.yaml decodes to something else than Default()")
	}
}

// TestDefaultsFileHasEveryKey checks that defaults.yaml spells out every
// key, even those whose default is the zero value.
func TestDefaultsFileHasEveryKey(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal(Defaults(), &doc); err != nil {
		t.Fatal(err)
	}
	var inFile []string
	var collect func(n *yaml.Node, path string)
	collect = func(n *yaml.Node, path string) {
		if n.Kind != yaml.MappingNode {
			inFile = append(inFile, path)
			return
		}
		for i := 0; i < len(n.Content); i += 2 {
			collect(n.Content[i+1], join(path, n.Content[i].Value))
		}
	}
	collect(doc.Content[0], "")
	var keys []string
	walk(reflect.ValueOf(Default()).Elem(), "", func(key string, _ reflect.StructField, _ reflect.Value) { keys = append(keys, key) })
	if !slices.Equal(inFile, keys) {
		t.Errorf("keys of defaults.yaml, in order:\n%s\nkeys of Config:\n%s", strings.Join(inFile, "\n"), strings.Join(keys, "\n"))
	}
}

func TestEnvNamesAreUnique(t *testing.T) {
	seen := make(map[string]string)
	walk(reflect.ValueOf(Default()).Elem(), "", func(key string, f reflect.StructField, _ reflect.Value) {
		names := []string{EnvName(key)}
		if fromFile(f) {
			names = append(names, EnvName(key)+"_FILE")
		}
		for _, name := range names {
			if other, ok := seen[name]; ok {
				t.Errorf("%s and %s both read %s", other, key, name)
			}
			seen[name] = key
		}
	})
}

// fieldAt returns the value of the key path under the struct v.
func fieldAt(v reflect.Value, key string) reflect.Value {
	for name := range strings.SplitSeq(key, ".") {
		for _, f := range keyFields(v.Type()) {
			if keyName(f) == name {
				v = v.FieldByIndex(f.Index)
				break
			}
		}
	}
	return v
}

// TestASVS_3_3_2_SessionDefaults: sessions end after 30 idle minutes and
// 12 hours at most unless the operator says otherwise (ASVS 3.3.2, L2).
func TestASVS_3_3_2_SessionDefaults(t *testing.T) {
	s := Default().Sessions
	if s.IdleTimeout != 30*time.Minute || s.Lifetime != 12*time.Hour {
		t.Fatalf("session defaults: idle %v, lifetime %v; want 30m and 12h", s.IdleTimeout, s.Lifetime)
	}
}

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/userdb/userdb/config"
)

// envNames returns the USERDB_ variable of every configuration key, as
// `userdb config defaults` lists the keys, and its _FILE twin.
func envNames(t *testing.T) map[string]bool {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(config.Defaults(), &doc); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			name := prefix + "_" + strings.ToUpper(k)
			if sub, ok := v.(map[string]any); ok {
				walk(name, sub)
				continue
			}
			names[name], names[name+"_FILE"] = true, true
		}
	}
	walk("USERDB", doc)
	return names
}

// checkEnv fails the test for a USERDB_ variable that names no key, and
// loads the configuration file (if any) with env: it must be valid.
func checkEnv(t *testing.T, where, configFile string, env map[string]string) {
	t.Helper()
	known := envNames(t)
	for k := range env {
		if strings.HasPrefix(k, "USERDB_") && !known[k] {
			t.Errorf("%s: %s is no configuration key", where, k)
		}
	}
	if _, err := config.Load(configFile, func(k string) string { return env[k] }); err != nil {
		t.Errorf("%s: the configuration does not load: %v", where, err)
	}
}

// validKey replaces a placeholder instance key with a valid one.
func validKey(v string) string {
	if strings.HasPrefix(v, "REPLACE") {
		return instanceKey()
	}
	return v
}

// TestDeployCompose checks deploy/docker-compose.yml: the nodes'
// variables name configuration keys and make a valid configuration, and
// HAProxy accepts deploy/haproxy.cfg.
func TestDeployCompose(t *testing.T) {
	raw, err := os.ReadFile("../deploy/docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Env      map[string]string `yaml:"x-userdb-env"`
		Services map[string]struct {
			Command     []string          `yaml:"command"`
			Environment map[string]string `yaml:"environment"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(raw, &compose); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"userdb", "migrate"} {
		svc, ok := compose.Services[name]
		if !ok || len(svc.Environment) == 0 {
			t.Fatalf("no service %s with the nodes' environment", name)
		}
		env := map[string]string{}
		for k, v := range svc.Environment {
			if strings.HasSuffix(k, "_KEY_FILE") { // the secrets, files that exist only in the containers
				f := filepath.Join(t.TempDir(), "key")
				os.WriteFile(f, []byte(instanceKey()+"\n"), 0o600)
				v = f
			}
			env[k] = v
		}
		checkEnv(t, "docker-compose.yml, service "+name, "", env)
	}
	if compose.Services["userdb"].Command[0] != "serve" || compose.Services["migrate"].Command[0] != "migrate" {
		t.Error("the services run other commands than serve and migrate")
	}
	if bin, err := exec.LookPath("haproxy"); err == nil || fileExists("/usr/sbin/haproxy") {
		if bin == "" {
			bin = "/usr/sbin/haproxy"
		}
		if out, err := exec.Command(bin, "-c", "-f", "../deploy/haproxy.cfg").CombinedOutput(); err != nil {
			t.Errorf("haproxy -c deploy/haproxy.cfg: %v\n%s", err, out)
		}
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// TestDeployKubernetes checks deploy/kubernetes: the ConfigMap's file with
// the Deployment's and the Job's variables (from the Secret) makes a valid
// configuration; the probes ask /readyz and /healthz on the public port;
// a PodDisruptionBudget keeps nodes up; the Secret holds the instance keys.
func TestDeployKubernetes(t *testing.T) {
	docs := map[string]map[string]any{} // kind -> object
	for _, f := range []string{"userdb.yaml", "migrate-job.yaml"} {
		raw, err := os.ReadFile(filepath.Join("../deploy/kubernetes", f))
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(strings.NewReader(string(raw)))
		for {
			var obj map[string]any
			if err := dec.Decode(&obj); err != nil {
				break
			}
			if obj != nil {
				docs[obj["kind"].(string)] = obj
			}
		}
	}
	for _, kind := range []string{"Secret", "ConfigMap", "Deployment", "Service", "PodDisruptionBudget", "Job"} {
		if docs[kind] == nil {
			t.Fatalf("no %s", kind)
		}
	}
	secret := docs["Secret"]["stringData"].(map[string]any)
	for _, k := range []string{"cookie_key", "encryption_key"} {
		if _, ok := secret[k]; !ok {
			t.Errorf("the Secret has no %s", k)
		}
	}
	cfgFile := filepath.Join(t.TempDir(), "userdb.yaml")
	os.WriteFile(cfgFile, []byte(docs["ConfigMap"]["data"].(map[string]any)["userdb.yaml"].(string)), 0o600)

	container := func(kind string) map[string]any {
		spec := docs[kind]["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
		return spec["containers"].([]any)[0].(map[string]any)
	}
	for _, kind := range []string{"Deployment", "Job"} {
		c := container(kind)
		env := map[string]string{}
		for _, e := range c["env"].([]any) {
			e := e.(map[string]any)
			ref := e["valueFrom"].(map[string]any)["secretKeyRef"].(map[string]any)
			env[e["name"].(string)] = validKey(secret[ref["key"].(string)].(string))
		}
		args := c["args"].([]any)
		if args[len(args)-1] != "/etc/userdb/userdb.yaml" {
			t.Errorf("%s: args %v do not name the ConfigMap's file", kind, args)
		}
		checkEnv(t, kind, cfgFile, env)
	}
	c := container("Deployment")
	for probe, path := range map[string]string{"readinessProbe": "/readyz", "livenessProbe": "/healthz"} {
		get := c[probe].(map[string]any)["httpGet"].(map[string]any)
		if get["path"] != path || get["port"] != "http" {
			t.Errorf("%s asks %v on %v, want %s on the public port", probe, get["path"], get["port"], path)
		}
	}
	if docs["PodDisruptionBudget"]["spec"].(map[string]any)["minAvailable"] == nil {
		t.Error("the PodDisruptionBudget keeps no node available")
	}
}

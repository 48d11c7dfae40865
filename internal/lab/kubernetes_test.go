package lab

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestKubernetesRecipe checks what can be checked of the Zero to JupyterHub
// recipe without a container engine or a cluster: the values file and the
// device plugin's configuration parse; the image installs the course with
// the command a lab machine uses (klcourse setup --system) on the Go version
// go.mod names; and the values agree with the lab's own start command,
// default page, limits and idle timeout.
func TestKubernetesRecipe(t *testing.T) {
	dir := filepath.Join("..", "..", "deploy", "kubernetes")
	var values struct {
		Singleuser struct {
			Cmd        []string                `yaml:"cmd"`
			DefaultURL string                  `yaml:"defaultUrl"`
			Memory     struct{ Limit string }  `yaml:"memory"`
			CPU        struct{ Limit float64 } `yaml:"cpu"`
			ExtraEnv   map[string]string       `yaml:"extraEnv"`
			Profiles   []map[string]any        `yaml:"profileList"`
		} `yaml:"singleuser"`
		Cull struct {
			Enabled bool `yaml:"enabled"`
			Timeout int  `yaml:"timeout"`
		} `yaml:"cull"`
	}
	readYAML(t, filepath.Join(dir, "values.yaml"), &values)
	su := values.Singleuser
	if strings.Join(su.Cmd, " ") != "klcourse lab start" {
		t.Errorf("singleuser.cmd is %q, want the lab's start command", su.Cmd)
	}
	if mem, err := ParseBytes(su.Memory.Limit); err != nil || mem != DefaultLimits.Memory {
		t.Errorf("singleuser.memory.limit %q, want the lab's %s", su.Memory.Limit, FormatBytes(DefaultLimits.Memory))
	}
	if su.CPU.Limit != DefaultLimits.CPU {
		t.Errorf("singleuser.cpu.limit %g, want the lab's %g", su.CPU.Limit, DefaultLimits.CPU)
	}
	if su.ExtraEnv["ORT_DISABLE_TELEMETRY"] != "1" {
		t.Error("the pods do not turn ONNX Runtime's telemetry off")
	}
	if !values.Cull.Enabled || values.Cull.Timeout != 3600 {
		t.Errorf("cull %+v, want the lab's idle timeout of an hour", values.Cull)
	}
	if len(su.Profiles) != 2 {
		t.Errorf("want a CPU and a GPU profile, got %d", len(su.Profiles))
	}
	hub, err := DefaultHubConfig("/opt/klcourse").Render()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(hub), `c.Spawner.default_url = "`+su.DefaultURL+`"`) {
		t.Errorf("singleuser.defaultUrl %q is not the lab's default page", su.DefaultURL)
	}

	var slicing struct {
		Data map[string]string `yaml:"data"`
	}
	readYAML(t, filepath.Join(dir, "nvidia-time-slicing.yaml"), &slicing)
	var plugin struct {
		Sharing struct {
			TimeSlicing struct {
				Resources []struct {
					Name     string `yaml:"name"`
					Replicas int    `yaml:"replicas"`
				} `yaml:"resources"`
			} `yaml:"timeSlicing"`
		} `yaml:"sharing"`
	}
	if err := yaml.Unmarshal([]byte(slicing.Data["any"]), &plugin); err != nil {
		t.Fatalf("the device plugin's configuration: %v", err)
	}
	if r := plugin.Sharing.TimeSlicing.Resources; len(r) != 1 || r[0].Name != "nvidia.com/gpu" || r[0].Replicas < 2 {
		t.Errorf("time slicing %+v", r)
	}

	b, err := os.ReadFile(filepath.Join(dir, "Containerfile"))
	if err != nil {
		t.Fatal(err)
	}
	recipe := string(b)
	mod, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindStringSubmatch(string(mod))
	if goVersion == nil || !strings.Contains(recipe, "FROM docker.io/library/golang:"+goVersion[1]+"-") {
		t.Errorf("the image's Go is not go.mod's %v", goVersion)
	}
	for _, want := range []string{"go run ./cmd/klcourse setup --system --prefix /opt/klcourse", `CMD ["klcourse", "lab", "start"]`, "USER 1000", "python3-venv"} {
		if !strings.Contains(recipe, want) {
			t.Errorf("the Containerfile lacks %q", want)
		}
	}
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

package backend

import (
	"github.com/klcourse/klcourse/pkg/course"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fake is a probe with nothing installed, no GPU, and both backends linked.
func fake(env map[string]string) probe {
	return probe{
		getenv:     func(k string) string { return env[k] },
		hasGPU:     func() bool { return false },
		cudaPlugin: func() string { return "" },
		onnxLib:    func() string { return "" },
		onnxLinked: true,
		xlaLinked:  true,
	}
}

func configs(list []Choice) []string {
	var out []string
	for _, c := range list {
		out = append(out, c.Config)
	}
	return out
}

func TestChoices(t *testing.T) {
	const lib = "/opt/ort/libonnxruntime.so.1.30.0"
	const plugin = "/opt/jax/jax_plugins/xla_cuda12/xla_cuda_plugin.so"
	tests := []struct {
		name       string
		setup      func(p *probe)
		env        map[string]string
		want       []string
		noticeHas  string // "" means no notice
		wantReason string
	}{{
		name:      "nothing installed",
		want:      []string{goConfig},
		noticeHas: "klcourse setup",
	}, {
		name:  "ONNX Runtime found",
		setup: func(p *probe) { p.onnxLib = func() string { return lib } },
		want:  []string{"onnx:" + lib, goConfig},
	}, {
		name: "GPU with plugin",
		setup: func(p *probe) {
			p.hasGPU = func() bool { return true }
			p.cudaPlugin = func() string { return plugin }
			p.onnxLib = func() string { return lib }
		},
		want:       []string{"xla:" + plugin + ",preallocate=false", "onnx:" + lib, goConfig},
		wantReason: "NVIDIA GPU",
	}, {
		name: "GPU without plugin",
		setup: func(p *probe) {
			p.hasGPU = func() bool { return true }
			p.onnxLib = func() string { return lib }
		},
		want:      []string{"onnx:" + lib, goConfig},
		noticeHas: "no CUDA PJRT plugin",
	}, {
		name: "GPU, but built without XLA",
		setup: func(p *probe) {
			p.hasGPU = func() bool { return true }
			p.cudaPlugin = func() string { return plugin }
			p.xlaLinked = false
		},
		want:      []string{goConfig},
		noticeHas: "without the XLA backend",
	}, {
		name: "built without cgo",
		setup: func(p *probe) {
			p.onnxLinked, p.xlaLinked = false, false
			p.onnxLib = func() string { return lib }
		},
		want:      []string{goConfig},
		noticeHas: "CGO_ENABLED=1",
	}, {
		name: "GOMLX_BACKEND wins over everything",
		setup: func(p *probe) {
			p.hasGPU = func() bool { return true }
			p.cudaPlugin = func() string { return plugin }
			p.onnxLib = func() string { return lib }
		},
		env:        map[string]string{BackendEnv: " go "},
		want:       []string{goConfig},
		wantReason: BackendEnv,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := fake(tt.env)
			if tt.setup != nil {
				tt.setup(&p)
			}
			list := choices(p)
			if got := configs(list); strings.Join(got, " | ") != strings.Join(tt.want, " | ") {
				t.Fatalf("choices = %q, want %q", got, tt.want)
			}
			notice := list[0].Notice
			switch {
			case tt.noticeHas == "" && notice != "":
				t.Errorf("unexpected notice %q", notice)
			case tt.noticeHas != "" && !strings.Contains(notice, tt.noticeHas):
				t.Errorf("notice %q does not mention %q", notice, tt.noticeHas)
			}
			if strings.Contains(notice, "\n") {
				t.Errorf("notice spans several lines: %q", notice)
			}
			if !strings.Contains(list[0].Reason, tt.wantReason) {
				t.Errorf("reason %q does not mention %q", list[0].Reason, tt.wantReason)
			}
			if last := list[len(list)-1]; !last.Explicit && last.Config != goConfig {
				t.Errorf("the last choice is %q, want the pure-Go backend", last.Config)
			}
		})
	}
}

func touch(t *testing.T, path string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestONNXLibraryLookup(t *testing.T) {
	dir := t.TempDir()
	home := filepath.Join(dir, "course")
	user := filepath.Join(dir, "user")
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }

	if got := onnxLibrary(getenv, home, user); got != "" {
		t.Errorf("nothing installed: found %q", got)
	}
	goml := touch(t, filepath.Join(user, ".local", "lib", "onnxruntime", "libonnxruntime.so"))
	if got := onnxLibrary(getenv, home, user); got != goml {
		t.Errorf("GoMLX's install: found %q, want %q", got, goml)
	}
	course := touch(t, filepath.Join(home, "onnxruntime", "1.30.0", "libonnxruntime.so.1.30.0"))
	if got := onnxLibrary(getenv, home, user); got != course {
		t.Errorf("course install: found %q, want %q (it comes before GoMLX's)", got, course)
	}
	env[ONNXLibraryEnv] = filepath.Join(dir, "missing.so")
	if got := onnxLibrary(getenv, home, user); got != course {
		t.Errorf("%s names a missing file: found %q, want the course's %q", ONNXLibraryEnv, got, course)
	}
	own := touch(t, filepath.Join(dir, "mine", "libonnxruntime.so"))
	env[ONNXLibraryEnv] = own
	if got := onnxLibrary(getenv, home, user); got != own {
		t.Errorf("%s set: found %q, want %q", ONNXLibraryEnv, got, own)
	}
}

func TestCUDAPluginLookup(t *testing.T) {
	dir := t.TempDir()
	user := filepath.Join(dir, "user")
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }

	home := filepath.Join(dir, "course")
	venv := filepath.Join(dir, "venv")
	env["VIRTUAL_ENV"] = venv
	if got := cudaPlugin(getenv, home, user); got != "" && !strings.HasPrefix(got, "/usr") && !strings.HasPrefix(got, "/opt") {
		t.Errorf("nothing installed: found %q", got)
	}
	jax := touch(t, filepath.Join(venv, "lib", "python3.11", "site-packages", "jax_plugins", "xla_cuda12", "xla_cuda_plugin.so"))
	if got := cudaPlugin(getenv, home, user); got != jax {
		t.Errorf("JAX wheel in a virtual environment: found %q, want %q", got, jax)
	}
	goxla := touch(t, filepath.Join(user, ".local", "lib", "go-xla", "nvidia", "pjrt_c_api_cuda_plugin.so"))
	if got := cudaPlugin(getenv, home, user); got != goxla {
		t.Errorf("go-xla install: found %q, want %q (it comes before JAX's)", got, goxla)
	}
	pjrtDir := filepath.Join(dir, "plugins")
	own := touch(t, filepath.Join(pjrtDir, "pjrt_c_api_cuda_plugin.so"))
	env[PJRTPluginPathEnv] = filepath.Join(dir, "nothing-here") + string(filepath.ListSeparator) + pjrtDir
	if got := cudaPlugin(getenv, home, user); got != own {
		t.Errorf("%s: found %q, want %q", PJRTPluginPathEnv, got, own)
	}
	delete(env, PJRTPluginPathEnv)
	pinned := touch(t, filepath.Join(course.PythonEnvDir(home), "lib", "python3.11", "site-packages", "jax_plugins", "xla_cuda13", "xla_cuda_plugin.so"))
	if got := cudaPlugin(getenv, home, user); got != pinned {
		t.Errorf("the course's Python environment: found %q, want %q (setup's pinned plugin comes before go-xla's and other environments')", got, pinned)
	}
}

func TestQuietPipCUDAChecks(t *testing.T) {
	dir := t.TempDir()
	sp := filepath.Join(dir, "lib", "python3.11", "site-packages")
	plugin := touch(t, filepath.Join(sp, "jax_plugins", "xla_cuda13", "xla_cuda_plugin.so"))
	other := touch(t, filepath.Join(dir, "go-xla", "nvidia", "pjrt_c_api_cuda_plugin.so"))
	run := func(plugin string, env map[string]string) map[string]string {
		set := map[string]string{}
		quietPipCUDAChecks(plugin, func(k string) string { return env[k] }, func(k, v string) error { set[k] = v; return nil })
		return set
	}
	if set := run(plugin, nil); len(set) != 0 {
		t.Errorf("pip's plugin without site-packages/nvidia: set %v, want the check kept", set)
	}
	if err := os.MkdirAll(filepath.Join(sp, "nvidia", "cu13", "lib"), 0o755); err != nil {
		t.Fatal(err)
	}
	if set := run(plugin, nil); set["GOPJRT_CUDA_CHECKS"] != "0" {
		t.Errorf("pip's plugin with site-packages/nvidia: set %v, want GOPJRT_CUDA_CHECKS=0", set)
	}
	if set := run(plugin, map[string]string{"GOPJRT_CUDA_CHECKS": "1"}); len(set) != 0 {
		t.Errorf("GOPJRT_CUDA_CHECKS set by the user: set %v, want it left alone", set)
	}
	if set := run(other, nil); len(set) != 0 {
		t.Errorf("go-xla's layout: set %v, want the check kept", set)
	}
}

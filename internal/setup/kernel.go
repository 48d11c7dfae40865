package setup

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/klcourse/klcourse/internal/nbrun"
	"github.com/klcourse/klcourse/internal/safefile"
	"github.com/klcourse/klcourse/pkg/backend/onnxruntime"
)

const (
	gonbPackage      = "github.com/janpfeifer/gonb"
	goimportsPackage = "golang.org/x/tools/cmd/goimports"
	// kernelName is the kernel the course's notebooks ask for.
	kernelName = "gonb"
)

func toolPath(env *setupEnv, name string) string {
	return filepath.Join(env.home, "bin", name)
}

func checkTools(env *setupEnv) (string, error) {
	want, err := requiredVersion(env.root, gonbPackage)
	if err != nil {
		return "", err
	}
	gonb := toolPath(env, "gonb")
	out, err := exec.Command(gonb, "-V").Output()
	if err != nil {
		return "", fmt.Errorf("GoNB is not built at %s", gonb)
	}
	if got := strings.TrimSpace(string(out)); got != want {
		return "", fmt.Errorf("%s is GoNB %s; go.mod pins %s", gonb, got, want)
	}
	goimports := toolPath(env, "goimports")
	if _, err := os.Stat(goimports); err != nil {
		return "", fmt.Errorf("goimports is not built at %s", goimports)
	}
	return fmt.Sprintf("GoNB %s and goimports in %s", want, filepath.Dir(gonb)), nil
}

func installTools(env *setupEnv) error {
	for _, tool := range []struct{ name, pkg string }{{"gonb", gonbPackage}, {"goimports", goimportsPackage}} {
		// Build next to the final path and rename, so that a kernel that is
		// running never sees a half-written binary.
		tmp := toolPath(env, "."+tool.name+".new")
		if err := runLogged(env, "go", "build", "-o", tmp, tool.pkg); err != nil {
			return err
		}
		if err := os.Rename(tmp, toolPath(env, tool.name)); err != nil {
			return err
		}
	}
	return nil
}

// requiredVersion returns the version of module path (or of the module that
// provides the package path) that the go.mod in root requires.
func requiredVersion(root, path string) (string, error) {
	f, err := os.Open(filepath.Join(root, "go.mod"))
	if err != nil {
		return "", err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(strings.TrimPrefix(strings.TrimSpace(s.Text()), "require "))
		if len(fields) >= 2 && (fields[0] == path || strings.HasPrefix(path, fields[0]+"/")) {
			return fields[1], nil
		}
	}
	return "", fmt.Errorf("%s/go.mod does not require %s", root, path)
}

// kernelSpec is Jupyter's kernel.json.
type kernelSpec struct {
	Argv          []string          `json:"argv"`
	DisplayName   string            `json:"display_name"`
	Language      string            `json:"language"`
	InterruptMode string            `json:"interrupt_mode"`
	Env           map[string]string `json:"env"`
}

// wantKernelSpec is the kernel.json that setup writes.
func wantKernelSpec(env *setupEnv) (kernelSpec, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return kernelSpec{}, errors.New("go is not on PATH")
	}
	goBin, _ = filepath.Abs(goBin)
	spec := kernelSpec{
		Argv:        []string{toolPath(env, "gonb"), "--kernel", "{connection_file}"},
		DisplayName: "Go (gonb)",
		Language:    "go",
		// Jupyter sends SIGINT: jupyter_server delivers "message" interrupts
		// on the control channel, where GoNB v0.11.5 does not listen (it
		// handles interrupt_request on the shell channel only), so
		// JupyterLab's Interrupt would do nothing; GoNB handles SIGINT.
		InterruptMode: "signal",
		Env: map[string]string{
			// GoNB runs go and goimports; Jupyter substitutes ${PATH}.
			"PATH": filepath.Join(env.home, "bin") + string(os.PathListSeparator) +
				filepath.Dir(goBin) + string(os.PathListSeparator) + "${PATH}",
			// No telemetry from ONNX Runtime in any cell's program, also
			// one that loads it without the course's pkg/backend.
			onnxruntime.TelemetryEnv: "1",
			// GoNB builds every cell as a new program, and linking it is most
			// of a cell's wait: the external (gcc) link of a binary with DWARF.
			// Go's own linker without the DWARF and symbol tables (panics keep
			// their file:line traces) links the same program in well under
			// half the time. docs/bench.md has the cell times (klcourse bench).
			"GOFLAGS": cellGoFlags,
		},
	}
	for k, v := range env.kernelEnv {
		spec.Env[k] = v
	}
	return spec, nil
}

// kernelDir returns the directory of the course's kernel spec: under the
// Jupyter data directory that the notebook Python reports, which honours
// JUPYTER_DATA_DIR.
func kernelDir(env *setupEnv) (string, error) {
	if env.system {
		return filepath.Join(systemKernelsDir, kernelName), nil
	}
	dataDir, err := jupyterDataDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dataDir, "kernels", kernelName), nil
}

// jupyterDataDir is the user's Jupyter data directory (kernels,
// nbextensions), as jupyter_core reports it.
func jupyterDataDir() (string, error) {
	underHome := filepath.Join(".local", "share", "jupyter")
	if runtime.GOOS == "darwin" {
		underHome = filepath.Join("Library", "Jupyter")
	}
	return jupyterDir("jupyter_data_dir", "JUPYTER_DATA_DIR", underHome)
}

// jupyterDir asks jupyter_core (through the notebook Python) for one of the
// user's Jupyter directories; without a Jupyter Python it falls back to the
// environment variable that jupyter_core honours, or to underHome in the
// home directory.
func jupyterDir(function, envVar, underHome string) (string, error) {
	if d := os.Getenv(envVar); d != "" {
		return d, nil
	}
	if python, err := nbrun.FindPython(); err == nil {
		out, err := exec.Command(python, "-c", "from jupyter_core.paths import "+function+"; print("+function+"())").Output()
		if d := strings.TrimSpace(string(out)); err == nil && d != "" {
			return d, nil
		}
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, underHome), nil
}

func checkKernel(env *setupEnv) (string, error) {
	want, err := wantKernelSpec(env)
	if err != nil {
		return "", err
	}
	dir, err := kernelDir(env)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "kernel.json")
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("no GoNB kernel registered with Jupyter (%s)", path)
	}
	var got kernelSpec
	if err := json.Unmarshal(data, &got); err != nil {
		return "", fmt.Errorf("%s is not valid JSON: %w", path, err)
	}
	if len(got.Argv) == 0 || got.Argv[0] != want.Argv[0] {
		return "", fmt.Errorf("%s runs %v, not the course's GoNB %s", path, got.Argv, want.Argv[0])
	}
	if got.InterruptMode != want.InterruptMode {
		return "", fmt.Errorf("%s interrupts with %q, want %q", path, got.InterruptMode, want.InterruptMode)
	}
	for k, v := range want.Env {
		if got.Env[k] != v {
			return "", fmt.Errorf("%s sets %s=%q, want %q", path, k, got.Env[k], v)
		}
	}
	return fmt.Sprintf("%q in %s", kernelName, dir), nil
}

func installKernel(env *setupEnv) error {
	spec, err := wantKernelSpec(env)
	if err != nil {
		return err
	}
	dir, err := kernelDir(env)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	data, err := json.MarshalIndent(spec, "", " ")
	if err != nil {
		return err
	}
	return safefile.WriteBytes(filepath.Join(dir, "kernel.json"), append(data, '\n'))
}

// fixTools is the command that fixes the tools step by hand.
func fixTools(env *setupEnv) string {
	return fmt.Sprintf("cd %s && go build -o %s %s && go build -o %s %s", env.root,
		toolPath(env, "gonb"), gonbPackage, toolPath(env, "goimports"), goimportsPackage)
}

// fixKernel is the command that fixes the kernel step by hand.
func fixKernel(env *setupEnv) string {
	return "go run ./cmd/klcourse setup"
}

// cellGoFlags are the go command's flags for the cells GoNB builds (GOFLAGS
// in the kernel's environment; quoted, as GOFLAGS allows, because the value
// has spaces): Go's internal linker instead of gcc, and no DWARF (-w) or
// symbol table (-s).
const cellGoFlags = "'-ldflags=-linkmode=internal -s -w'"

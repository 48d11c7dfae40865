package main

import (
	"bytes"
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/klcourse/klcourse/internal/nbrun"
	"github.com/klcourse/klcourse/internal/safefile"
)

// The classic notebook's Shift-Tab tooltip shows only text/plain, and GoNB
// answers inspection requests in Markdown only: setup installs a small
// notebook extension (nbextension/main.js) that shows the Markdown, and
// enables it for the classic notebook.

//go:embed nbextension/main.js
var inspectExtension []byte

const (
	inspectExtensionName = "klcourse-gonb"
	// systemJupyterData and systemJupyterConfig are the machine-wide
	// Jupyter directories that every user's notebook server reads
	// (jupyter --paths), beside systemKernelsDir.
	systemJupyterData   = "/usr/local/share/jupyter"
	systemJupyterConfig = "/usr/local/etc/jupyter"
)

// inspectEnable is the notebook's front-end configuration that loads the
// extension (nbconfig/notebook.d/ is merged under the notebook.json files).
var inspectEnable = []byte(`{
  "load_extensions": {
    "` + inspectExtensionName + `/main": true
  }
}
`)

func init() {
	registerSetupStep(setupStep{
		order:   91,
		name:    "inspection",
		check:   checkInspect,
		install: installInspect,
		fix:     func(env *setupEnv) string { return setupCommand(env) },
	})
}

// setupCommand is the command that repeats this kind of setup.
func setupCommand(env *setupEnv) string {
	if env.system {
		return "go run ./cmd/klcourse setup --system"
	}
	return "go run ./cmd/klcourse setup"
}

// inspectPaths returns where the extension's script and its enabling
// configuration go: the machine-wide Jupyter directories with --system,
// otherwise the user's (as Jupyter reports them, honouring
// JUPYTER_DATA_DIR and JUPYTER_CONFIG_DIR).
func inspectPaths(env *setupEnv) (script, enable string, err error) {
	dataDir, configDir := systemJupyterData, systemJupyterConfig
	if !env.system {
		if dataDir, err = jupyterDir("jupyter_data_dir", "JUPYTER_DATA_DIR", ".local/share/jupyter"); err != nil {
			return "", "", err
		}
		if configDir, err = jupyterDir("jupyter_config_dir", "JUPYTER_CONFIG_DIR", ".jupyter"); err != nil {
			return "", "", err
		}
	}
	return filepath.Join(dataDir, "nbextensions", inspectExtensionName, "main.js"),
		filepath.Join(configDir, "nbconfig", "notebook.d", inspectExtensionName+".json"), nil
}

// jupyterDir asks jupyter_core for one of the user's Jupyter directories;
// without a Jupyter Python it falls back to the environment variable or
// the default under the home directory.
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

func checkInspect(env *setupEnv) (string, error) {
	script, enable, err := inspectPaths(env)
	if err != nil {
		return "", err
	}
	for _, f := range []struct {
		path string
		want []byte
	}{{script, inspectExtension}, {enable, inspectEnable}} {
		got, err := os.ReadFile(f.path)
		if err != nil {
			return "", fmt.Errorf("the notebook extension that shows GoNB's Shift-Tab documentation is missing (%s)", f.path)
		}
		if !bytes.Equal(got, f.want) {
			return "", fmt.Errorf("%s is not the one this version installs", f.path)
		}
	}
	return fmt.Sprintf("Shift-Tab shows GoNB's documentation in the classic notebook (%s, enabled in %s)", filepath.Dir(script), enable), nil
}

func installInspect(env *setupEnv) error {
	script, enable, err := inspectPaths(env)
	if err != nil {
		return err
	}
	for _, f := range []struct {
		path string
		data []byte
	}{{script, inspectExtension}, {enable, inspectEnable}} {
		if err := os.MkdirAll(filepath.Dir(f.path), 0o755); err != nil {
			return err
		}
		if err := safefile.WriteBytes(f.path, f.data); err != nil {
			return err
		}
		// Readable by every user (the notebook server runs as the student).
		if err := os.Chmod(f.path, 0o644); err != nil {
			return err
		}
	}
	return nil
}

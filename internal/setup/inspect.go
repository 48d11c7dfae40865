package setup

import (
	"bytes"
	_ "embed"
	"fmt"
	"os"
	"path/filepath"

	"github.com/klcourse/klcourse/internal/safefile"
)

// The classic notebook's Shift-Tab tooltip shows only text/plain, and GoNB
// answers inspection requests in Markdown only: setup installs a small
// notebook extension (nbextension/main.js) that shows the Markdown, and
// enables it for the classic notebook.

//go:embed nbextension/main.js
var inspectExtension []byte

const inspectExtensionName = "klcourse-gonb"

// inspectEnable is the notebook's front-end configuration that loads the
// extension (nbconfig/notebook.d/ is merged under the notebook.json files).
var inspectEnable = []byte(`{
  "load_extensions": {
    "` + inspectExtensionName + `/main": true
  }
}
`)

// setupCommand is the command that repeats this kind of setup.
func setupCommand(env *setupEnv) string {
	if env.system {
		return "go run ./cmd/klcourse setup --system"
	}
	return "go run ./cmd/klcourse setup"
}

// inspectFile is one file of the extension and what it must hold.
type inspectFile struct {
	path string
	data []byte
}

// inspectFiles returns the extension's script and its enabling
// configuration, with where they go: the machine-wide Jupyter directories
// with --system, otherwise the user's (as Jupyter reports them, honouring
// JUPYTER_DATA_DIR and JUPYTER_CONFIG_DIR).
func inspectFiles(env *setupEnv) (script, enable inspectFile, err error) {
	dataDir, configDir := systemJupyterData, systemJupyterConfig
	if !env.system {
		if dataDir, err = jupyterDataDir(); err != nil {
			return script, enable, err
		}
		if configDir, err = jupyterDir("jupyter_config_dir", "JUPYTER_CONFIG_DIR", ".jupyter"); err != nil {
			return script, enable, err
		}
	}
	return inspectFile{filepath.Join(dataDir, "nbextensions", inspectExtensionName, "main.js"), inspectExtension},
		inspectFile{filepath.Join(configDir, "nbconfig", "notebook.d", inspectExtensionName+".json"), inspectEnable}, nil
}

func checkInspect(env *setupEnv) (string, error) {
	script, enable, err := inspectFiles(env)
	if err != nil {
		return "", err
	}
	for _, f := range []inspectFile{script, enable} {
		got, err := os.ReadFile(f.path)
		if err != nil {
			return "", fmt.Errorf("the notebook extension that shows GoNB's Shift-Tab documentation is missing (%s)", f.path)
		}
		if !bytes.Equal(got, f.data) {
			return "", fmt.Errorf("%s is not the one this version installs", f.path)
		}
	}
	return fmt.Sprintf("Shift-Tab shows GoNB's documentation in the classic notebook (%s, enabled in %s)", filepath.Dir(script.path), enable.path), nil
}

func installInspect(env *setupEnv) error {
	script, enable, err := inspectFiles(env)
	if err != nil {
		return err
	}
	for _, f := range []inspectFile{script, enable} {
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

// fixInspection is the command that fixes the inspection step by hand.
func fixInspection(env *setupEnv) string {
	return setupCommand(env)
}

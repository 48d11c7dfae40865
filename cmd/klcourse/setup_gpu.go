package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gomlx/go-xla/installer"
	"github.com/klcourse/klcourse/pkg/backend"
)

func init() {
	registerSetupStep(setupStep{
		order:   31,
		name:    "cuda-pjrt",
		check:   checkCUDAPlugin,
		install: installCUDAPlugin,
		fix: func(env *setupEnv) string {
			return "pip install jax-cuda12-pjrt  # or: export " + backend.BackendEnv + "=xla:/path/to/xla_cuda_plugin.so"
		},
	})
}

// checkCUDAPlugin needs nothing on machines without an NVIDIA GPU. On GPU
// machines it looks for a CUDA PJRT plugin where the backend package looks.
func checkCUDAPlugin(env *setupEnv) (string, error) {
	if !backend.HasNVIDIAGPU() {
		return "no NVIDIA GPU here: not needed", nil
	}
	if plugin := backend.CUDAPlugin(); plugin != "" {
		if home, err := os.UserHomeDir(); env.system && err == nil && strings.HasPrefix(plugin, home+"/") {
			return "", fmt.Errorf("the CUDA PJRT plugin %s is in %s's home: students cannot use it", plugin, home)
		}
		return plugin, nil
	}
	return "", errors.New("this machine has an NVIDIA GPU but no CUDA PJRT plugin")
}

// installCUDAPlugin installs go-xla's CUDA PJRT plugin and the NVIDIA
// libraries it needs from JAX's wheels on pypi.org (their SHA-256 digests are
// checked against pypi's) into ~/.local/lib/go-xla, where go-xla and the
// backend package find them.
func installCUDAPlugin(env *setupEnv) error {
	if _, set := os.LookupEnv(backend.NoAutoInstallEnv); set {
		return fmt.Errorf("%s is set: downloading is not allowed", backend.NoAutoInstallEnv)
	}
	lib, err := installer.DefaultHomeLibPath()
	if err != nil {
		return err
	}
	if env.system {
		lib = systemPJRTLib // where the backend package looks for every user
	}
	return installer.CudaAutoInstall(filepath.Join(lib, "go-xla"), true, installer.Normal)
}

// systemPJRTLib is where "setup --system" installs the CUDA PJRT plugin:
// the backend package finds it there for every user, and passes
// preallocate=false so that the students' kernels share the GPU.
const systemPJRTLib = "/usr/local/lib"

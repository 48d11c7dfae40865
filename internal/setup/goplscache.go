package setup

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/klcourse/klcourse/internal/safefile"
)

// The gopls-cache step warms a user's own gopls cache with the course's
// packages, as the lab does for each student at the first login: without
// it, the first Tab completion of a notebook waits for gopls to load GoMLX
// (minutes on two cores), and JupyterLab gives up after 30 s. The stamp in
// the cache names the go.sum it was warmed for: new dependencies warm it
// again. With --system the lab's build-cache step seeds the students'
// caches instead.

// userGoplsCache is gopls's cache directory: $GOPLSCACHE, else
// ~/.cache/gopls (os.UserCacheDir).
func userGoplsCache() (string, error) {
	if dir := os.Getenv("GOPLSCACHE"); dir != "" {
		return dir, nil
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(cache, "gopls"), nil
}

// goSumStamp is what the cache was warmed for: go.sum's sha256.
func goSumStamp(env *setupEnv) (string, error) {
	b, err := os.ReadFile(filepath.Join(env.root, "go.sum"))
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return "go.sum " + hex.EncodeToString(sum[:]), nil
}

func checkGoplsCache(env *setupEnv) (string, error) {
	if env.system {
		return "the lab seeds each student's gopls cache (build-cache step)", nil
	}
	dir, err := userGoplsCache()
	if err != nil {
		return "", err
	}
	want, err := goSumStamp(env)
	if err != nil {
		return "", err
	}
	got, err := os.ReadFile(filepath.Join(dir, seedStamp))
	if err != nil || strings.TrimSpace(string(got)) != want {
		return "", fmt.Errorf("gopls's cache in %s does not know the course's packages yet (the first Tab completion of a notebook would wait minutes)", dir)
	}
	return "the course's packages in gopls's cache " + dir, nil
}

func installGoplsCache(env *setupEnv) error {
	dir, err := userGoplsCache()
	if err != nil {
		return err
	}
	want, err := goSumStamp(env)
	if err != nil {
		return err
	}
	cmd := exec.Command("go", "list", "./pkg/...")
	cmd.Dir = env.root
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("listing the course's packages: %w", err)
	}
	fmt.Fprintf(env.out, "           $ gopls check (a program importing the course's %d packages, GOPLSCACHE=%s)\n", len(strings.Fields(string(out))), dir)
	if err := warmGopls(toolPath(env, "gopls"), dir, env.root, strings.Fields(string(out)), os.Environ()); err != nil {
		return err
	}
	return safefile.WriteBytes(filepath.Join(dir, seedStamp), []byte(want+"\n"))
}

func fixGoplsCache(env *setupEnv) string { return "go run ./cmd/klcourse setup" }

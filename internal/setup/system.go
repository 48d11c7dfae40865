package setup

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strings"

	"github.com/klcourse/klcourse/internal/lab"
	"github.com/klcourse/klcourse/internal/safefile"
	"github.com/klcourse/klcourse/pkg/backend"
	"github.com/klcourse/klcourse/pkg/course"
	"github.com/klcourse/klcourse/pkg/datasets"
)

// "klcourse setup --system" installs the course for every user of a lab
// machine. Under the prefix (/opt/klcourse):
//
//	bin/          klcourse, gonb, goimports, gopls
//	onnxruntime/  ONNX Runtime
//	course/       the students' release: go.mod, go.sum, pkg/, internal/, notebooks/, exercises/
//	              (no solutions, no tests)
//	gomod/        a read-only Go module cache with every module the course needs (GOPROXY=off)
//	gocache/      a Go build cache of the course's packages, copied into a student's
//	              own cache (~/.cache/go-build) on the first login, so the first cell
//	              does not compile GoMLX for minutes
//	data/         the data sets, read-only (unless KLCOURSE_DATA names a shared directory)
//
// the kernel in /usr/local/share/jupyter/kernels/gonb, the JupyterHub
// configuration in /etc/klcourse/jupyterhub_config.py and nbgrader's
// exchange in /srv/nbgrader/exchange/klcourse. Each student's Go build
// cache, training runs (~/.cache/klcourse/runs) and work (~/klcourse) stay
// in the student's home.
const (
	defaultSystemPrefix = "/opt/klcourse"
	// systemJupyterData and systemJupyterConfig are the machine-wide
	// Jupyter directories that every user's notebook server reads
	// (jupyter --paths).
	systemJupyterData   = "/usr/local/share/jupyter"
	systemJupyterConfig = "/usr/local/etc/jupyter"
	systemKernelsDir    = systemJupyterData + "/kernels"
	systemHubConfig     = "/etc/klcourse/jupyterhub_config.py"
)

// prepareSystem points the setup at the shared install.
func prepareSystem(env *setupEnv, prefix string) error {
	if !filepath.IsAbs(prefix) {
		return fmt.Errorf("--prefix %s: want an absolute path", prefix)
	}
	if os.Geteuid() != 0 && !env.checkOnly {
		return errors.New("--system installs for every user: run it as root (or add --check to only verify)")
	}
	env.system = true
	env.home = prefix
	if !env.checkOnly {
		if err := os.MkdirAll(filepath.Join(prefix, "bin"), 0o755); err != nil {
			return err
		}
	}
	// The data: a shared directory named by KLCOURSE_DATA, or the prefix's.
	if os.Getenv(datasets.DataEnv) == "" {
		os.Setenv(datasets.DataEnv, filepath.Join(prefix, "data"))
	}
	// Students' kernels find the modules in the shared, read-only cache and
	// never download; their build caches and runs stay in their homes.
	env.kernelEnv["GOMODCACHE"] = systemModCache(env)
	env.kernelEnv["GOPROXY"] = "off"
	env.kernelEnv["GOTOOLCHAIN"] = "local"
	env.kernelEnv[course.HomeEnv] = prefix
	env.kernelEnv[backend.NoAutoInstallEnv] = "1"
	env.kernelEnv["KLCOURSE_OFFLINE"] = "1"
	return nil
}

func systemModCache(env *setupEnv) string { return filepath.Join(env.home, "gomod") }
func systemRelease(env *setupEnv) string  { return filepath.Join(env.home, "course") }
func systemSeed(env *setupEnv) string     { return filepath.Join(env.home, "gocache") }
func systemGoplsSeed(env *setupEnv) string {
	return filepath.Join(env.home, "goplscache")
}

const (
	goplsPackage = "golang.org/x/tools/gopls"
	// goplsVersion is the gopls that GoNB asks for completion and
	// inspection: the newest that builds with the course's Go 1.26.
	goplsVersion = "v0.23.0"
)

func checkGopls(env *setupEnv) (string, error) {
	gopls := toolPath(env, "gopls")
	out, err := exec.Command(gopls, "version").Output()
	if err != nil {
		return "", fmt.Errorf("gopls is not built at %s (without it, Tab completion and Shift-Tab inspection do nothing)", gopls)
	}
	if !strings.Contains(string(out), " "+goplsVersion) {
		return "", fmt.Errorf("%s is not gopls %s: %s", gopls, goplsVersion, firstLineOf(string(out)))
	}
	return fmt.Sprintf("gopls %s in %s", goplsVersion, filepath.Dir(gopls)), nil
}

func installGopls(env *setupEnv) error {
	// go install into a scratch GOBIN, then rename: a kernel that runs gopls
	// never sees half a binary.
	tmp, err := os.MkdirTemp(filepath.Join(env.home, "bin"), ".gopls-")
	if err != nil {
		if err := os.MkdirAll(filepath.Join(env.home, "bin"), 0o755); err != nil {
			return err
		}
		if tmp, err = os.MkdirTemp(filepath.Join(env.home, "bin"), ".gopls-"); err != nil {
			return err
		}
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command("go", "install", goplsPackage+"@"+goplsVersion)
	cmd.Dir = tmp // outside the course module: gopls builds with its own go.mod
	cmd.Env = append(os.Environ(), "GOBIN="+tmp, "GOFLAGS=")
	cmd.Stdout, cmd.Stderr = env.out, env.out
	fmt.Fprintf(env.out, "           $ GOBIN=%s go install %s@%s\n", tmp, goplsPackage, goplsVersion)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building gopls (needs the Go module proxy, or gopls %s in the module cache): %w", goplsVersion, err)
	}
	if err := os.Chmod(filepath.Join(tmp, "gopls"), 0o755); err != nil {
		return err
	}
	return os.Rename(filepath.Join(tmp, "gopls"), toolPath(env, "gopls"))
}

func firstLineOf(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}

// checkCourseTool wants prefix/bin/klcourse built from this checkout: the
// stamp beside it holds the hash of the Go sources it was built from (a
// modification time alone would accept a newer build of another checkout).
func checkCourseTool(env *setupEnv) (string, error) {
	tool := toolPath(env, "klcourse")
	if _, err := os.Stat(tool); err != nil {
		return "", fmt.Errorf("the course tool is not installed at %s (students submit with it; the hub starts their servers with it)", tool)
	}
	want, err := toolSourceHash(env.root)
	if err != nil {
		return "", err
	}
	if got, err := os.ReadFile(tool + ".src"); err != nil || strings.TrimSpace(string(got)) != want {
		return "", fmt.Errorf("%s was not built from this checkout's sources", tool)
	}
	return tool, nil
}

// toolSourceHash hashes the module's Go sources (not tests) and go.mod,
// go.sum: what the course tool is built from.
func toolSourceHash(root string) (string, error) {
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "build" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		rel, _ := filepath.Rel(root, path)
		if d.Type().IsRegular() && ((strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go")) || rel == "go.mod" || rel == "go.sum") {
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	sort.Strings(files)
	return treeHash(root, files)
}

func installCourseTool(env *setupEnv) error {
	hash, err := toolSourceHash(env.root)
	if err != nil {
		return err
	}
	tmp := toolPath(env, ".klcourse.new")
	if err := runLogged(env, "go", "build", "-o", tmp, "./cmd/klcourse"); err != nil {
		return err
	}
	if err := os.Rename(tmp, toolPath(env, "klcourse")); err != nil {
		return err
	}
	return safefile.WriteBytes(toolPath(env, "klcourse")+".src", []byte(hash+"\n"))
}

// checkSharedData wants every student to be able to read the data: every
// file readable by others, every directory (and those above the root)
// searchable.
func checkSharedData(env *setupEnv) (string, error) {
	root, err := datasets.Root()
	if err != nil {
		return "", err
	}
	if err := checkStudentsCanRead(root, nil); err != nil {
		return "", err
	}
	env.kernelEnv[datasets.DataEnv] = root
	return root + ", readable by every user", nil
}

// checkStudentsCanRead wants root and every directory above it searchable
// by others, and everything below root readable by others (directories
// searchable); more, when not nil, checks each entry further.
func checkStudentsCanRead(root string, more func(path string, d fs.DirEntry, perm fs.FileMode) error) error {
	for dir := root; ; dir = filepath.Dir(dir) {
		info, err := os.Stat(dir)
		if err != nil {
			return err
		}
		if info.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("students cannot enter %s (mode %v)", dir, info.Mode().Perm())
		}
		if dir == filepath.Dir(dir) {
			break
		}
	}
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		need := fs.FileMode(0o004)
		if d.IsDir() {
			need = 0o005
		}
		perm := info.Mode().Perm()
		if perm&need != need {
			return fmt.Errorf("students cannot read %s (mode %v)", path, perm)
		}
		if more != nil {
			return more(path, d, perm)
		}
		return nil
	})
}

// releaseFiles lists what students get, relative to the module root: the
// module (so that the notebooks' first cell finds it one level up), the
// packages and the internal ones they import, the lectures and the
// exercises. Not the solutions, not the tool, no tests.
func releaseFiles(root string) ([]string, error) {
	files := []string{"go.mod", "go.sum"}
	for _, dir := range []string{"pkg", "internal", "notebooks", "exercises"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			if d.Type().IsRegular() && !strings.HasPrefix(d.Name(), ".") && !strings.HasSuffix(d.Name(), "_test.go") {
				rel, _ := filepath.Rel(root, path)
				files = append(files, rel)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(files)
	return files, nil
}

// treeHash hashes the listed files under root, names and contents.
func treeHash(root string, files []string) (string, error) {
	h := sha256.New()
	for _, rel := range files {
		f, err := os.Open(filepath.Join(root, rel))
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00", rel)
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// courseHash lists the course's release files and hashes them as they are
// in the checkout: the version that the students' copy and the caches
// seeded from it must match.
func courseHash(env *setupEnv) (files []string, hash string, err error) {
	if files, err = releaseFiles(env.root); err != nil {
		return nil, "", err
	}
	hash, err = treeHash(env.root, files)
	return files, hash, err
}

func checkRelease(env *setupEnv) (string, error) {
	files, want, err := courseHash(env)
	if err != nil {
		return "", err
	}
	dst := systemRelease(env)
	got, err := treeHash(dst, files)
	if err != nil {
		return "", fmt.Errorf("the students' copy of the course in %s is missing or incomplete", dst)
	}
	if got != want {
		return "", fmt.Errorf("%s differs from this checkout", dst)
	}
	return fmt.Sprintf("%s (%d files; students get it in ~/%s)", dst, len(files), lab.CourseDir), nil
}

// installRelease writes the release beside the old one and swaps it in.
func installRelease(env *setupEnv) error {
	files, err := releaseFiles(env.root)
	if err != nil {
		return err
	}
	dst := systemRelease(env)
	if err := os.MkdirAll(env.home, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(env.home, ".course-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	for _, rel := range files {
		data, err := os.ReadFile(filepath.Join(env.root, rel))
		if err != nil {
			return err
		}
		if err := safefile.WriteBytes(filepath.Join(tmp, rel), data); err != nil {
			return err
		}
	}
	if err := filepath.WalkDir(tmp, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			err = os.Chmod(path, 0o755)
		}
		return err
	}); err != nil {
		return err
	}
	old := dst + ".old"
	os.RemoveAll(old)
	if err := os.Rename(dst, old); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		return err
	}
	return os.RemoveAll(old)
}

// goCommand runs go in the release with the students' module settings.
func goCommand(env *setupEnv, extra []string, args ...string) *exec.Cmd {
	cmd := exec.Command("go", args...)
	cmd.Dir = systemRelease(env)
	cmd.Env = append(os.Environ(), "GOMODCACHE="+systemModCache(env), "GOFLAGS=", "GOTOOLCHAIN=local")
	cmd.Env = append(cmd.Env, extra...)
	return cmd
}

func checkModCache(env *setupEnv) (string, error) {
	out, err := goCommand(env, []string{"GOPROXY=off"}, "mod", "download").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("the shared module cache %s lacks modules of the course: %s", systemModCache(env), lastLine(string(out)))
	}
	return systemModCache(env) + " (every module of go.mod, read-only, GOPROXY=off for students)", nil
}

func installModCache(env *setupEnv) error {
	// Take what this machine's own module cache has first: offline labs
	// then need nothing from the network.
	proxy := os.Getenv("GOPROXY")
	if own, err := exec.Command("go", "env", "GOMODCACHE", "GOPROXY").Output(); err == nil {
		lines := strings.Split(strings.TrimSpace(string(own)), "\n")
		if len(lines) == 2 {
			proxy = "file://" + filepath.Join(lines[0], "cache", "download") + "," + lines[1]
		}
	}
	cmd := goCommand(env, []string{"GOPROXY=" + proxy}, "mod", "download")
	cmd.Stdout, cmd.Stderr = env.out, env.out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go mod download into %s: %w", systemModCache(env), err)
	}
	return nil
}

// The build-cache seed: the course's packages (and everything they import)
// compiled once, as they compile in a student's kernel (same module cache,
// same flags), so that "klcourse lab start" can give each new student a
// warm cache.
const seedStamp = "klcourse-seed.txt"

func checkSeed(env *setupEnv) (string, error) {
	_, want, err := courseHash(env)
	if err != nil {
		return "", err
	}
	got, err := os.ReadFile(filepath.Join(systemSeed(env), seedStamp))
	if err != nil || strings.TrimSpace(string(got)) != want {
		return "", fmt.Errorf("no build cache of the current course in %s (each student's first cell would compile GoMLX)", systemSeed(env))
	}
	got, err = os.ReadFile(filepath.Join(systemGoplsSeed(env), seedStamp))
	if err != nil || strings.TrimSpace(string(got)) != want {
		return "", fmt.Errorf("no gopls cache of the current course in %s (each student's first Tab would wait minutes)", systemGoplsSeed(env))
	}
	return systemSeed(env) + " and " + systemGoplsSeed(env) + " (copied into each student's ~/.cache/go-build and ~/.cache/gopls on the first login)", nil
}

func installSeed(env *setupEnv) error {
	_, want, err := courseHash(env)
	if err != nil {
		return err
	}
	seed := systemSeed(env)
	if err := os.MkdirAll(seed, 0o755); err != nil {
		return err
	}
	cmd := goCommand(env, []string{"GOPROXY=off", "GOCACHE=" + seed}, "build", "./pkg/...")
	cmd.Stdout, cmd.Stderr = env.out, env.out
	fmt.Fprintf(env.out, "           $ GOCACHE=%s go build ./pkg/...   (in %s)\n", seed, systemRelease(env))
	if err := cmd.Run(); err != nil {
		return err
	}
	if err := seedGopls(env); err != nil {
		return err
	}
	for _, dir := range []string{seed, systemGoplsSeed(env)} {
		if out, err := exec.Command("chmod", "-R", "a+rX", dir).CombinedOutput(); err != nil {
			return fmt.Errorf("chmod %s: %v: %s", dir, err, out)
		}
		if err := safefile.WriteBytes(filepath.Join(dir, seedStamp), []byte(want+"\n")); err != nil {
			return err
		}
	}
	return nil
}

// seedGopls has gopls type-check, as GoNB's completion does, a program that
// imports every package of the course, with its file cache in the prefix:
// copied into a student's ~/.cache/gopls, it spares the first Tab the
// minutes gopls otherwise spends on GoMLX.
func seedGopls(env *setupEnv) error {
	out, err := goCommand(env, []string{"GOPROXY=off"}, "list", "./pkg/...").Output()
	if err != nil {
		return fmt.Errorf("listing the course's packages: %w", err)
	}
	base := append(os.Environ(), "GOMODCACHE="+systemModCache(env), "GOFLAGS=", "GOTOOLCHAIN=local", "GOPROXY=off")
	if err := warmGopls(toolPath(env, "gopls"), systemGoplsSeed(env), systemRelease(env), strings.Fields(string(out)), base); err != nil {
		return err
	}
	fmt.Fprintf(env.out, "           gopls's cache of the course's packages in %s\n", systemGoplsSeed(env))
	return nil
}

// warmGopls fills gopls's cache (cacheDir) with what the first completion
// in a notebook needs: gopls checks a program that imports every package
// of the course (module, the checkout or the lab's release) and GoMLX's
// graph, in a workspace like the one a notebook's first cell makes. env is
// the go command's environment.
func warmGopls(gopls, cacheDir, module string, packages, env []string) error {
	tmp, err := os.MkdirTemp("", "klcourse-gopls-seed-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	var src strings.Builder
	src.WriteString("package main\n\nimport (\n\t\"github.com/gomlx/gomlx/core/graph\"\n")
	for _, p := range packages {
		fmt.Fprintf(&src, "\t_ %q\n", p)
	}
	src.WriteString(")\n\nvar _ = graph.LogSoftmax\n\nfunc main() {}\n")
	if err := os.WriteFile(filepath.Join(tmp, "main.go"), []byte(src.String()), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, "go.mod"), []byte("module gonb_seed\n\ngo 1.26\n"), 0o644); err != nil {
		return err
	}
	env = append(env, "GOPLSCACHE="+cacheDir)
	for _, args := range [][]string{{"go", "work", "init"}, {"go", "work", "use", ".", module}, {gopls, "check", "main.go"}} {
		path := args[0]
		if !filepath.IsAbs(path) {
			if path, err = exec.LookPath(path); err != nil {
				return err
			}
		}
		cmd := &exec.Cmd{Path: path, Args: args, Dir: tmp, Env: env}
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %v: %s", strings.Join(args, " "), err, lastLine(string(b)))
		}
	}
	return nil
}

// hubProxyDir is where setup installs configurable-http-proxy with npm ci,
// from python/package.json and python/package-lock.json.
func hubProxyDir(env *setupEnv) string { return filepath.Join(env.home, "hubproxy") }

// hubVersions reports JupyterHub's version, the single-user server's and
// the proxy's, each from the install (the course's Python environment and
// the npm one), never from PATH.
func hubVersions(env *setupEnv) (string, error) {
	hub := lab.PythonEnvBin(env.home, "jupyterhub")
	out, err := exec.Command(hub, "--version").Output()
	if err != nil {
		return "", fmt.Errorf("JupyterHub is not installed in the course's Python environment (%s)", hub)
	}
	single := lab.PythonEnvBin(env.home, "jupyterhub-singleuser")
	sout, err := exec.Command(single, "--version").Output()
	if err != nil {
		return "", fmt.Errorf("jupyterhub-singleuser is not installed in the course's Python environment (%s)", single)
	}
	proxy := lab.ProxyBin(env.home)
	pout, err := exec.Command(proxy, "--version").Output()
	if err != nil {
		return "", fmt.Errorf("configurable-http-proxy is not installed at %s (or node cannot run it): %v", proxy, err)
	}
	if want, err := proxyLockVersion(env); err != nil {
		return "", err
	} else if got := strings.TrimSpace(string(pout)); got != want {
		return "", fmt.Errorf("%s is configurable-http-proxy %s; python/package-lock.json pins %s", proxy, got, want)
	}
	return fmt.Sprintf("JupyterHub %s, jupyterhub-singleuser %s, configurable-http-proxy %s",
		strings.TrimSpace(string(out)), lastLine(string(sout)), strings.TrimSpace(string(pout))), nil
}

// proxyLockVersion is the configurable-http-proxy that the checkout's
// package-lock.json pins.
func proxyLockVersion(env *setupEnv) (string, error) {
	data, err := os.ReadFile(filepath.Join(env.root, "python", "package-lock.json"))
	if err != nil {
		return "", err
	}
	var lock struct {
		Packages map[string]struct {
			Version string `json:"version"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(data, &lock); err != nil {
		return "", fmt.Errorf("python/package-lock.json: %w", err)
	}
	v := lock.Packages["node_modules/configurable-http-proxy"].Version
	if v == "" {
		return "", errors.New("python/package-lock.json does not pin configurable-http-proxy")
	}
	return v, nil
}

// checkHub wants JupyterHub, its single-user server and its proxy, the
// configuration that setup writes, the student group and the exchange.
func checkHub(env *setupEnv) (string, error) {
	versions, err := hubVersions(env)
	if err != nil {
		return "", err
	}
	hub := lab.DefaultHubConfig(env.home)
	want, err := hub.Render()
	if err != nil {
		return "", err
	}
	limits := "no per-student limits (" + lab.LimitsEnv + "=off)"
	if l := hub.Limits; l.Any() {
		kind, err := lab.CgroupKind()
		if err != nil {
			return "", fmt.Errorf("per-student limits need cgroups the hub can write: %v (or set %s=off for a lab without limits)", err, lab.LimitsEnv)
		}
		limits = fmt.Sprintf("each student at most %s, %g CPU, %d tasks (cgroup %s)", lab.FormatBytes(l.Memory), l.CPU, l.Tasks, kind)
	}
	if got, err := os.ReadFile(systemHubConfig); err != nil || string(got) != string(want) {
		return "", fmt.Errorf("%s is missing or not the one this version generates", systemHubConfig)
	}
	if _, err := user.LookupGroup(lab.StudentGroup); err != nil {
		return "", fmt.Errorf("no group %s: students are the members of that group", lab.StudentGroup)
	}
	ex := lab.Exchange{Root: lab.DefaultExchangeRoot, Course: lab.DefaultCourseID}
	if err := ex.Check(); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s; %s -f %s; students: group %s, %s; exchange %s",
		versions, lab.PythonEnvBin(env.home, "jupyterhub"), systemHubConfig, lab.StudentGroup, limits, ex.Inbound()), nil
}

// installProxy installs configurable-http-proxy with npm ci (exact
// versions and integrity hashes from package-lock.json) into
// prefix/hubproxy. Without npm it installs Debian's nodejs and npm where
// apt-get may be used.
func installProxy(env *setupEnv) error {
	if _, err := exec.LookPath("npm"); err != nil {
		cmd := aptInstallCommand("nodejs", "npm")
		if cmd == nil {
			return errors.New("npm is not installed (Node.js 18 or newer with npm runs the hub's proxy, configurable-http-proxy)")
		}
		fmt.Fprintf(env.out, "           $ %s\n", strings.Join(cmd, " "))
		if err := runLogged(env, cmd[0], cmd[1:]...); err != nil {
			return err
		}
	}
	dir := hubProxyDir(env)
	tmp := dir + ".new"
	os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	for _, f := range []string{"package.json", "package-lock.json"} {
		data, err := os.ReadFile(filepath.Join(env.root, "python", f))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(tmp, f), data, 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintf(env.out, "           $ npm ci --omit=dev --ignore-scripts --no-audit --no-fund   (in %s)\n", dir)
	cmd := exec.Command("npm", "ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund")
	cmd.Dir = tmp
	cmd.Stdout, cmd.Stderr = env.out, env.out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("npm ci (needs the npm registry, or npm's cache): %w", err)
	}
	if out, err := exec.Command("chmod", "-R", "a+rX", tmp).CombinedOutput(); err != nil {
		return fmt.Errorf("chmod: %v: %s", err, out)
	}
	old := dir + ".old"
	os.RemoveAll(old)
	if err := os.Rename(dir, old); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return err
	}
	return os.RemoveAll(old)
}

func installHub(env *setupEnv) error {
	if _, err := hubVersions(env); err != nil {
		if _, err := os.Stat(lab.PythonEnvBin(env.home, "jupyterhub")); err != nil {
			return fmt.Errorf("JupyterHub is missing from the course's Python environment: the python step installs it from python/hub.lock")
		}
		if err := installProxy(env); err != nil {
			return err
		}
	}
	cfg := lab.DefaultHubConfig(env.home)
	data, err := cfg.Render()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(cfg.State, 0o700); err != nil {
		return err
	}
	if err := safefile.WriteBytes(systemHubConfig, data); err != nil {
		return err
	}
	if _, err := user.LookupGroup(lab.StudentGroup); err != nil {
		if err := runLogged(env, "groupadd", "--force", lab.StudentGroup); err != nil {
			return err
		}
	}
	return lab.Exchange{Root: lab.DefaultExchangeRoot, Course: lab.DefaultCourseID}.Create()
}

// fixGopls is the command that fixes the gopls step by hand.
func fixGopls(env *setupEnv) string {
	return fmt.Sprintf("GOBIN=%s go install %s@%s", filepath.Join(env.home, "bin"), goplsPackage, goplsVersion)
}

// fixKlcourse is the command that fixes the klcourse step by hand.
func fixKlcourse(env *setupEnv) string {
	return fmt.Sprintf("cd %s && go build -o %s ./cmd/klcourse", env.root, toolPath(env, "klcourse"))
}

// fixSharedData is the command that fixes the shared-data step by hand.
func fixSharedData(env *setupEnv) string {
	root, _ := datasets.Root()
	return "chmod -R a+rX " + root + "   (and a+x on the directories above it)"
}

// fixRelease is the command that fixes the release step by hand.
func fixRelease(env *setupEnv) string {
	return "klcourse setup --system"
}

// fixGoModules is the command that fixes the go-modules step by hand.
func fixGoModules(env *setupEnv) string {
	return fmt.Sprintf("cd %s && GOMODCACHE=%s go mod download", env.root, systemModCache(env))
}

// fixBuildCache is the command that fixes the build-cache step by hand.
func fixBuildCache(env *setupEnv) string {
	return "klcourse setup --system"
}

// fixJupyterhub is the command that fixes the jupyterhub step by hand.
func fixJupyterhub(env *setupEnv) string {
	if _, err := exec.LookPath("npm"); err != nil {
		if cmd := aptInstallCommand("nodejs", "npm"); cmd != nil {
			return strings.Join(cmd, " ") + " && go run ./cmd/klcourse setup --system"
		}
		return "install Node.js 18 or newer with npm (the hub's proxy, configurable-http-proxy, is a Node program), then go run ./cmd/klcourse setup --system"
	}
	return "go run ./cmd/klcourse setup --system"
}

package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/klcourse/klcourse/internal/lab"
	"github.com/klcourse/klcourse/internal/safefile"
	"github.com/klcourse/klcourse/internal/setup"
	"github.com/klcourse/klcourse/pkg/course"
)

func init() {
	register(command{
		name:    "lab",
		summary: "the course in a computer lab: JupyterHub, students' copies, submit, collect, feedback",
		run:     runLab,
	})
}

const labUsage = `Usage: klcourse lab [SUBCOMMAND [FLAGS] [ARGS]]

On your own machine:
  (no subcommand)       start JupyterLab, from the course's Python environment, in the checkout
  jupyter ARGS...       the same, with JupyterLab's own flags (jupyter lab --help); "jupyter
                        notebook ARGS..." starts Notebook 7 instead

For students (in a terminal, or in a notebook cell as !klcourse lab submit NAME):
  submit NOTEBOOK       submit an exercise (a path, or a name in ~/klcourse/exercises);
                        every submission is kept, time-stamped; the latest one is graded

For instructors (as root, on the lab machine):
  collect [--course DIR]            copy every student's latest submission into
                                    DIR/submitted/STUDENT/ASSIGNMENT/ (what "klcourse grade" reads)
  release-feedback --from DIR --assignment NAME
                                    copy klcourse grade's DIR/feedback/STUDENT.html into each
                                    student's ~/klcourse/feedback/NAME/NAME.html (without
                                    --assignment: nbgrader's DIR/feedback/STUDENT/ASSIGNMENT/*)
  hub-config [FLAGS]                print (or --out) a jupyterhub_config.py

Run by the hub for each student:
  start ARGS...         update ~/klcourse from the course release, warm the Go build
                        cache, then run the course's jupyterhub-singleuser ARGS... (JupyterLab)
  sync [--from DIR] [--to DIR]      only the update of ~/klcourse
`

func runLab(args []string) error {
	if len(args) == 0 {
		return labJupyter(nil)
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(os.Stderr, labUsage)
		return nil
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "jupyter":
		return labJupyter(rest)
	case "start":
		return labStart(rest)
	case "sync":
		return labSync(rest)
	case "submit":
		return labSubmit(rest)
	case "collect":
		return labCollect(rest)
	case "release-feedback":
		return labReleaseFeedback(rest)
	case "hub-config":
		return labHubConfig(rest)
	}
	return usageError("unknown subcommand %q (see klcourse lab help)", sub)
}

// labJupyter replaces this process with JupyterLab (or, with "notebook"
// first, Notebook 7) from the course's Python environment, serving the
// checkout: a student's laptop, or a lab PC without the hub. Jupyter stops
// its kernels when it stops.
func labJupyter(args []string) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	home, err := course.Home()
	if err != nil {
		return err
	}
	jupyter := filepath.Join(course.PythonEnvDir(home), "bin", "jupyter")
	if _, err := os.Stat(jupyter); err != nil {
		return fmt.Errorf("JupyterLab is not installed in the course's Python environment (%s): run `go run ./cmd/klcourse setup`", jupyter)
	}
	app := "lab"
	if len(args) > 0 && args[0] == "notebook" {
		app, args = "notebook", args[1:]
	}
	if err := os.Chdir(root); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "klcourse: %s %s in %s (Ctrl-C twice stops it and its kernels)\n", jupyter, app, root)
	return syscall.Exec(jupyter, append([]string{jupyter, app}, args...), os.Environ())
}

// labPrefix is the shared install this klcourse belongs to: the directory
// above its bin/.
func labPrefix() string {
	exe, err := os.Executable()
	if err != nil {
		return setup.DefaultPrefix
	}
	if resolved, err := filepath.EvalSymlinks(exe); err == nil {
		exe = resolved
	}
	if filepath.Base(filepath.Dir(exe)) != "bin" {
		return setup.DefaultPrefix // "go run": not an installed tool
	}
	return filepath.Dir(filepath.Dir(exe))
}

func studentCourseDir() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, lab.CourseDir), nil
}

func labSync(args []string) error {
	fs := newFlagSet("lab sync", "")
	to, _ := studentCourseDir()
	from := fs.String("from", filepath.Join(labPrefix(), "course"), "the course release")
	dst := fs.String("to", to, "the student's copy")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	return syncReport(*from, *dst, os.Stdout)
}

func syncReport(from, to string, w io.Writer) error {
	rep, err := lab.Sync(from, to)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "klcourse: %s updated from %s: %d new, %d updated, %d restored, %d kept as you changed them\n",
		to, from, len(rep.Added), len(rep.Updated), len(rep.Restored), len(rep.Kept))
	for _, k := range rep.Kept {
		fmt.Fprintf(w, "  kept your version of %s (the course's is in %s)\n", k, filepath.Join(from, k))
	}
	return nil
}

// labStart is the command the hub runs as each student: it never fails the
// login over the copy or the cache (a student with a full disk still gets
// their server, and the log says why), then runs jupyterhub-singleuser under
// lab.Supervise, so that nothing the session started outlives it.
func labStart(args []string) error {
	prefix := labPrefix()
	// Other students must not read this one's work: the home is the
	// student's alone (and the kernels' connection files with it).
	if home, err := os.UserHomeDir(); err == nil {
		if changed, err := lab.PrivateHome(home); err != nil {
			fmt.Fprintf(os.Stderr, "klcourse lab start: %s could not be made private: %v\n", home, err)
		} else if changed {
			fmt.Fprintf(os.Stderr, "klcourse lab start: %s is now private (mode 0700)\n", home)
		}
	}
	// Every file the student's server and kernels create is theirs alone.
	syscall.Umask(0o077)
	// And their temporary files (GoNB's work folders, with the student's
	// code) stay in their home: in /tmp they outlive the kernel, and the
	// account, whose uid a later account may get.
	if cache, err := os.UserCacheDir(); err == nil {
		tmp := filepath.Join(cache, "klcourse", "tmp")
		if err := os.MkdirAll(tmp, 0o700); err == nil {
			os.Setenv("TMPDIR", tmp)
		}
	}
	to, err := studentCourseDir()
	if err == nil {
		err = syncReport(filepath.Join(prefix, "course"), to, os.Stderr)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "klcourse lab start: the course was not updated: %v\n", err)
	}
	if err := seedCache(filepath.Join(prefix, "gocache"), "GOCACHE", "go-build"); err != nil {
		fmt.Fprintf(os.Stderr, "klcourse lab start: the Go build cache was not warmed: %v\n", err)
	}
	if err := seedCache(filepath.Join(prefix, "goplscache"), "GOPLSCACHE", "gopls"); err != nil {
		fmt.Fprintf(os.Stderr, "klcourse lab start: gopls's cache was not warmed: %v\n", err)
	}
	// The course's own (prefix/venv, from python/hub.lock), never another
	// one on PATH.
	singleuser := lab.PythonEnvBin(prefix, "jupyterhub-singleuser")
	if _, err := os.Stat(singleuser); err != nil {
		return fmt.Errorf("jupyterhub-singleuser is not installed in the course's Python environment (%s): run klcourse setup --system", singleuser)
	}
	// The server runs as this process's child, not in its place: what the
	// kernels start (gopls, its telemetry process) ends with the session.
	code, err := lab.Supervise(singleuser, args, os.Environ(), 3*time.Second, os.Stderr)
	if err != nil {
		return err
	}
	if code != 0 {
		return exitStatus(code)
	}
	return nil
}

// seedCache copies the entries of a shared seed that the student's cache
// lacks (the Go build cache, or gopls's): the cache stays the student's own,
// since Go and gopls need to write it. The cache is $envVar, else
// ~/.cache/name. A stamp file records which seed was copied.
func seedCache(seed, envVar, name string) error {
	stamp, err := os.ReadFile(filepath.Join(seed, setup.SeedStamp))
	if err != nil {
		return fmt.Errorf("no seed at %s: %w", seed, err)
	}
	dst := os.Getenv(envVar)
	if dst == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			return err
		}
		dst = filepath.Join(cache, name)
	}
	if have, err := os.ReadFile(filepath.Join(dst, setup.SeedStamp)); err == nil && string(have) == string(stamp) {
		return nil
	}
	start := time.Now()
	n := 0
	err = filepath.WalkDir(seed, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(seed, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() || d.Name() == setup.SeedStamp || d.Name() == "trim.txt" {
			return nil
		}
		if _, err := os.Lstat(target); err == nil {
			return nil
		}
		n++
		return copyPlain(path, target)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "klcourse: %d files of the course's %s cache copied into %s in %.1fs\n", n, name, dst, time.Since(start).Seconds())
	return safefile.WriteBytes(filepath.Join(dst, setup.SeedStamp), stamp)
}

func copyPlain(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(dst)
		return err
	}
	return out.Close()
}

func labExchange(course string) lab.Exchange {
	root := os.Getenv("KLCOURSE_EXCHANGE")
	if root == "" {
		root = lab.DefaultExchangeRoot
	}
	return lab.Exchange{Root: root, Course: course}
}

func labSubmit(args []string) error {
	fs := newFlagSet("lab submit", "NOTEBOOK")
	courseID := fs.String("course-id", lab.DefaultCourseID, "the course in the exchange")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError("submit takes one notebook: a path, or the name of an exercise in ~/%s/exercises", lab.CourseDir)
	}
	path := pos[0]
	if _, err := os.Stat(path); err != nil && !strings.ContainsRune(path, filepath.Separator) {
		dir, derr := studentCourseDir()
		if derr != nil {
			return derr
		}
		path = filepath.Join(dir, "exercises", strings.TrimSuffix(path, ".ipynb")+".ipynb")
	}
	me, err := user.Current()
	if err != nil {
		return err
	}
	ex := labExchange(*courseID)
	now := time.Now()
	dir, err := ex.Submit(me.Username, path, now)
	if err != nil {
		return err
	}
	fmt.Printf("Submitted %s as %s, assignment %s, at %s.\n(%s; every submission is kept, the latest one is graded; remember to save the notebook before submitting)\n",
		path, me.Username, lab.AssignmentOf(path), now.UTC().Format(lab.TimestampFormat), filepath.Base(dir))
	return nil
}

func labCollect(args []string) error {
	fs := newFlagSet("lab collect", "")
	courseDir := fs.String("course", ".", "the instructor's course directory: submissions go to its submitted/")
	courseID := fs.String("course-id", lab.DefaultCourseID, "the course in the exchange")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	ex := labExchange(*courseID)
	ex.Owner = lab.AccountUID // a submission counts only from its student's account
	got, err := ex.Collect(*courseDir)
	for _, s := range got {
		fmt.Printf("collected  %-16s %-28s %s\n", s.Student, s.Assignment, s.Time.Format(lab.TimestampFormat))
	}
	fmt.Printf("%d new submissions in %s\n", len(got), filepath.Join(*courseDir, "submitted"))
	return err
}

func labReleaseFeedback(args []string) error {
	fs := newFlagSet("lab release-feedback", "")
	courseDir := fs.String("from", ".", "the folder with feedback/: klcourse grade's --out (then name --assignment), or nbgrader's course directory")
	assignment := fs.String("assignment", "", "the assignment of klcourse grade's feedback/STUDENT.html pages")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if os.Geteuid() != 0 {
		return errors.New("releasing feedback writes into the students' homes: run it as root")
	}
	got, err := lab.ReleaseFeedback(*courseDir, *assignment, lab.LookupStudent)
	for _, r := range got {
		fmt.Printf("released  %-16s %-28s %s\n", r.Student, r.Assignment, r.Path)
	}
	return err
}

type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

func labHubConfig(args []string) error {
	def := lab.DefaultHubConfig(labPrefix())
	fs := newFlagSet("lab hub-config", "")
	out := fs.String("out", "", "write the configuration here (default: print it)")
	fs.StringVar(&def.IP, "ip", def.IP, "the address students connect to (empty: every interface)")
	fs.IntVar(&def.Port, "port", def.Port, "the port students connect to")
	fs.IntVar(&def.HubPort, "hub-port", def.HubPort, "the hub's internal port")
	fs.IntVar(&def.ProxyAPIPort, "proxy-api-port", def.ProxyAPIPort, "the proxy's internal API port")
	fs.StringVar(&def.State, "state", def.State, "the hub's state directory")
	fs.StringVar(&def.Klcourse, "klcourse", def.Klcourse, "the installed course tool")
	fs.StringVar(&def.Group, "group", def.Group, "the Unix group of the students")
	fs.StringVar(&def.Python, "python", def.Python, "the course's Python environment's interpreter (JupyterHub's, the idle culler's)")
	fs.StringVar(&def.Proxy, "proxy", def.Proxy, "configurable-http-proxy")
	fs.DurationVar(&def.CullIdle, "cull-idle", def.CullIdle, "stop a student's server after this long without activity (0: never)")
	memLimit := fs.String("mem-limit", lab.FormatBytes(def.Limits.Memory), "each student's memory, all their processes together (3G, 1536M; 0: no limit)")
	fs.Float64Var(&def.Limits.CPU, "cpu-limit", def.Limits.CPU, "each student's CPU, in cores (0: no limit)")
	fs.IntVar(&def.Limits.Tasks, "tasks-limit", def.Limits.Tasks, "each student's processes and threads (0: no limit)")
	fs.StringVar(&def.TLSCert, "tls-cert", def.TLSCert, "the PEM certificate the hub serves HTTPS with")
	fs.StringVar(&def.TLSKey, "tls-key", def.TLSKey, "the PEM key of --tls-cert")
	fs.BoolVar(&def.PlainHTTP, "plain-http", false, "allow plain HTTP on an address other than the loopback (only behind a TLS proxy)")
	var admins, env repeated
	fs.Var(&admins, "admin", "an admin account (repeatable)")
	fs.Var(&env, "env", "KEY=VALUE for every student's server and kernel (repeatable)")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	def.Admins = admins
	mem, err := lab.ParseBytes(*memLimit)
	if err != nil {
		return usageError("--mem-limit: %v", err)
	}
	def.Limits.Memory = mem
	def.Env = map[string]string{}
	for _, kv := range env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return usageError("--env %q: want KEY=VALUE", kv)
		}
		def.Env[k] = v
	}
	data, err := def.Render()
	if err != nil {
		return err
	}
	if *out == "" {
		_, err = os.Stdout.Write(data)
		return err
	}
	return safefile.WriteBytes(*out, data)
}

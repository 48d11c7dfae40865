package setup

import (
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/klcourse/klcourse/internal/nbrun"
)

// aptJupyter are the Debian/Ubuntu packages of Jupyter that the course uses.
var aptJupyter = []string{"jupyter-notebook", "python3-nbconvert", "python3-nbclient", "python3-ipykernel"}

// pipJupyter are the same from PyPI, for machines where apt is not available
// to the user.
var pipJupyter = []string{"notebook", "nbconvert", "nbclient", "ipykernel"}

func checkJupyter(*setupEnv) (string, error) {
	python, err := nbrun.FindPython()
	if err != nil {
		return "", err
	}
	out, err := exec.Command(python, "-c", `import notebook, nbclient, nbconvert; print("notebook %s, nbclient %s, nbconvert %s" % (notebook.__version__, nbclient.__version__, nbconvert.__version__))`).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s runs notebooks but cannot serve them (no Jupyter notebook server): %s", python, lastLine(string(out)))
	}
	return fmt.Sprintf("%s (%s)", python, strings.TrimSpace(string(out))), nil
}

func installJupyter(env *setupEnv) error {
	args := jupyterInstallCommand()
	fmt.Fprintf(env.out, "           $ %s\n", strings.Join(args, " "))
	return runLogged(env, args[0], args[1:]...)
}

// jupyterInstallCommand is the command that installs Jupyter here: apt-get
// where it may be used (aptInstallCommand), else pip into the user's
// site-packages.
func jupyterInstallCommand() []string {
	if cmd := aptInstallCommand(aptJupyter...); cmd != nil {
		return cmd
	}
	return append([]string{"python3", "-m", "pip", "install", "--user"}, pipJupyter...)
}

// aptInstallCommand returns the command that installs Debian packages here,
// as root or through password-less sudo, after apt-get update (a fresh
// machine has no package lists); nil when apt-get is missing or not allowed.
func aptInstallCommand(packages ...string) []string {
	if _, err := exec.LookPath("apt-get"); err != nil {
		return nil
	}
	apt := "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y " + strings.Join(packages, " ")
	if os.Geteuid() == 0 {
		return []string{"sh", "-c", apt}
	}
	if exec.Command("sudo", "-n", "true").Run() == nil {
		return []string{"sudo", "sh", "-c", apt}
	}
	return nil
}

// runLogged runs a command with its output going to the setup report.
func runLogged(env *setupEnv, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir = env.root
	cmd.Stdout, cmd.Stderr = env.out, env.out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// fixJupyter is the command that fixes the jupyter step by hand.
func fixJupyter(env *setupEnv) string {
	return strings.Join(jupyterInstallCommand(), " ")
}

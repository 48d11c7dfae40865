package setup

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/klcourse/klcourse/pkg/course"
	"github.com/klcourse/klcourse/pkg/datasets"
)

func checkData(env *setupEnv) (string, error) {
	if v := os.Getenv(datasets.DataEnv); v != "" {
		// Notebooks must find the data where setup found it.
		if root, err := datasets.Root(); err == nil {
			env.kernelEnv[datasets.DataEnv] = root
		}
	}
	f := &datasets.Fetcher{Quick: course.Quick(), Offline: true}
	var found []string
	var errs []error
	for _, name := range datasets.Names() {
		dir, err := datasets.Dir(name)
		if err != nil {
			return "", err
		}
		rep, err := f.Find(name, dir)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		where := strings.Join(rep.Complete, ", ")
		for _, file := range rep.Files {
			if filepath.Dir(file.Path) != dir {
				where += ", packaged copy in " + filepath.Dir(file.Path)
				break
			}
		}
		found = append(found, fmt.Sprintf("%s (%s)", name, where))
	}
	if err := errors.Join(errs...); err != nil {
		return "", err
	}
	root, _ := datasets.Root()
	return fmt.Sprintf("%s in %s, %s mode", strings.Join(found, ", "), root, course.Mode()), nil
}

func installData(env *setupEnv) error {
	missing := missingData()
	if slices.Contains(missing, datasets.FashionMNIST) {
		// Debian packages Fashion-MNIST: no download needed where apt works.
		if cmd := aptInstallCommand(fashionMNISTPackage); cmd != nil {
			fmt.Fprintf(env.out, "           $ %s\n", strings.Join(cmd, " "))
			if err := runLogged(env, cmd[0], cmd[1:]...); err != nil {
				fmt.Fprintf(env.out, "           (%v; trying the download instead)\n", err)
			}
			missing = missingData()
		}
	}
	f := &datasets.Fetcher{Quick: course.Quick(), Log: env.out}
	var errs []error
	for _, name := range missing {
		dir, err := datasets.Dir(name)
		if err != nil {
			return err
		}
		if _, err := f.Fetch(context.Background(), name, dir); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// fashionMNISTPackage is Debian's package of Fashion-MNIST, which installs
// the data under /usr/share/datasets/fashion-mnist.
const fashionMNISTPackage = "dataset-fashion-mnist"

func fixData(env *setupEnv) string {
	cmd := "klcourse data fetch " + strings.Join(missingData(), " ")
	if course.Quick() {
		cmd += " --quick"
	}
	return cmd + "   (offline: it prints which files to place where)"
}

// missingData lists the data sets that cannot be used as they are.
func missingData() []string {
	f := &datasets.Fetcher{Quick: course.Quick(), Offline: true}
	var missing []string
	for _, name := range datasets.Names() {
		dir, err := datasets.Dir(name)
		if err != nil {
			missing = append(missing, name)
			continue
		}
		if _, err := f.Find(name, dir); err != nil {
			missing = append(missing, name)
		}
	}
	return missing
}

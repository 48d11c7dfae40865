package lab

import (
	"fmt"
	"os"
)

// PrivateHome takes group's and others' access away from a student's home
// directory, which many systems create readable by everyone (useradd
// without HOME_MODE, older adduser): the student's notebooks, feedback,
// kernel connection files (their keys) and caches are then the student's
// alone. "klcourse lab start" calls it, as the student, on every login. It
// reports whether it changed the mode.
func PrivateHome(home string) (bool, error) {
	info, err := os.Stat(home)
	if err != nil {
		return false, err
	}
	if !info.IsDir() {
		return false, fmt.Errorf("%s is not a directory", home)
	}
	if info.Mode().Perm()&0o077 == 0 {
		return false, nil
	}
	return true, os.Chmod(home, info.Mode().Perm()&^0o077)
}

// Command escape tries the classic chroot escape from inside a sandbox: with CAP_SYS_CHROOT, chroot
// into a subdirectory while keeping the working directory outside it, walk up with chdir("..")
// past the root, and chroot(".") there. Under a plain chroot that lands on the host's real root;
// after pivot_root with the old root detached, "/" is as far as ".." goes.
//
// It prints "escape: chroot ok" when the chroot steps succeeded, "root: NAME…" for the entries
// of the final "/", and "found PATH" or "missing PATH" for each argument. Built static
// (CGO_ENABLED=0) by the sandbox tests and copied into the sandbox's root.
package main

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"syscall"
)

func main() {
	if err := escape(); err != nil {
		fmt.Println("escape: " + err.Error())
	} else {
		fmt.Println("escape: chroot ok")
	}
	entries, err := os.ReadDir("/")
	if err != nil {
		fmt.Println("root: error " + err.Error())
	} else {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		sort.Strings(names)
		fmt.Println("root: " + strings.Join(names, " "))
	}
	for _, p := range os.Args[1:] {
		if _, err := os.Lstat(p); err == nil {
			fmt.Println("found " + p)
		} else {
			fmt.Println("missing " + p)
		}
	}
}

func escape() error {
	dir := fmt.Sprintf("escape-%d", os.Getpid())
	if err := os.Mkdir(dir, 0o700); err != nil && !os.IsExist(err) {
		return fmt.Errorf("mkdir %s: %w", dir, err)
	}
	if err := syscall.Chroot(dir); err != nil {
		return fmt.Errorf("chroot %s: %w", dir, err)
	}
	for i := 0; i < 64; i++ {
		if err := syscall.Chdir(".."); err != nil {
			return fmt.Errorf("chdir ..: %w", err)
		}
	}
	if err := syscall.Chroot("."); err != nil {
		return fmt.Errorf("chroot .: %w", err)
	}
	return syscall.Chdir("/")
}

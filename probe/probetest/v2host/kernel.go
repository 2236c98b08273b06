package v2host

import (
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// The guest's kernel: Debian 12's, pinned to one build so that every run boots the same kernel.
// It comes through apt (apt-get download verifies it against the archive's signed index, and
// KernelSHA256 against what was tested here). Debian drops a point release's kernel from the
// archive some months after the next one: when the pinned build can no longer be downloaded,
// the current one of linux-image-amd64 is used instead, with a warning naming both, until the
// pin is moved (change these three lines; the cache key follows).
const (
	KernelPackage = "linux-image-6.1.0-50-amd64"
	KernelVersion = "6.1.176-1"
	KernelSHA256  = "7b5597492a0a65aee61985a492e6bcc3f2cde830072a0e3b3d8c7e1b90279bd3"
)

// cachedModules are the kernel modules kept in the cache (with what they depend on): Debian builds
// these as modules, and the tests that run in the guest may need them (the sandbox's overlay root
// and veth, bridges and other links for the network probe). Options.Modules names a subset.
var cachedModules = []string{"overlay", "veth", "bridge", "dummy", "macvlan", "8021q", "vxlan", "tun"}

// Kernel is an unpacked kernel in the cache: its image and the modules kept.
type Kernel struct {
	Dir     string            // the cache directory
	Package string            // "linux-image-6.1.0-50-amd64_6.1.176-1"
	Image   string            // the vmlinuz
	Release string            // uname -r: "6.1.0-50-amd64"
	Modules map[string]Module // by name
	// Warning says the pinned build could not be had and which one is used instead; "" when
	// it is the pinned one.
	Warning string
}

// Module is a kernel module file with the modules it needs loaded first.
type Module struct {
	File    string   `json:"file"` // relative to Kernel.Dir
	Depends []string `json:"depends"`
}

// CacheDir is where kernels are kept between runs: $XDG_CACHE_HOME/isotop/v2host, else
// ~/.cache/isotop/v2host.
func CacheDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory for the guest's kernel: %w", err)
	}
	return filepath.Join(base, "isotop", "v2host"), nil
}

// LoadKernel returns the pinned kernel, from the cache or else downloaded with apt-get and
// unpacked into it (about 70 MB once; what is kept is the image and cachedModules).
func LoadKernel(log io.Writer) (*Kernel, error) {
	cache, err := CacheDir()
	if err != nil {
		return nil, err
	}
	if k, err := openKernel(filepath.Join(cache, KernelPackage+"_"+KernelVersion)); err == nil {
		return k, nil
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(cache, "download-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	pkg, version, warning, err := download(tmp, log)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(cache, pkg+"_"+version)
	if k, err := openKernel(dir); err == nil {
		k.Warning = warning
		return k, nil
	}
	if err := unpack(tmp, dir, log); err != nil {
		return nil, err
	}
	k, err := openKernel(dir)
	if k != nil {
		k.Warning = warning
	}
	return k, err
}

// download fetches the pinned kernel package into dir, or the current one when the pinned build
// is gone from the archive, and checks the pinned one's SHA-256.
func download(dir string, log io.Writer) (pkg, version, warning string, err error) {
	get := func(spec string) ([]byte, error) {
		cmd := exec.Command("apt-get", "download", spec)
		cmd.Dir = dir
		return cmd.CombinedOutput()
	}
	fmt.Fprintf(log, "v2host: downloading %s=%s (once; kept in the cache)\n", KernelPackage, KernelVersion)
	out, err := get(KernelPackage + "=" + KernelVersion)
	if err != nil && os.Geteuid() == 0 {
		// A fresh machine's package lists may not be there yet.
		exec.Command("apt-get", "update", "-qq").Run()
		out, err = get(KernelPackage + "=" + KernelVersion)
	}
	if err == nil {
		deb := filepath.Join(dir, KernelPackage+"_"+KernelVersion+"_amd64.deb")
		if sum, err := fileSHA256(deb); err != nil || sum != KernelSHA256 {
			return "", "", "", fmt.Errorf("%s: SHA-256 %s, pinned %s: not the kernel that was tested (%v)", deb, sum, KernelSHA256, err)
		}
		return KernelPackage, KernelVersion, "", nil
	}
	// The pinned build is gone: the current one, said loudly.
	dep, derr := exec.Command("apt-cache", "depends", "linux-image-amd64").Output()
	cur := ""
	for _, l := range strings.Split(string(dep), "\n") {
		if f := strings.Fields(l); len(f) == 2 && f[0] == "Depends:" && strings.HasPrefix(f[1], "linux-image-") {
			cur = f[1]
			break
		}
	}
	if derr != nil || cur == "" {
		return "", "", "", fmt.Errorf("apt-get download %s=%s: %v\n%s(and no current linux-image-amd64 to fall back on)", KernelPackage, KernelVersion, err, out)
	}
	if out2, err := get(cur); err != nil {
		return "", "", "", fmt.Errorf("apt-get download %s: %v\n%s", cur, err, out2)
	}
	debs, _ := filepath.Glob(filepath.Join(dir, cur+"_*.deb"))
	if len(debs) != 1 {
		return "", "", "", fmt.Errorf("apt-get download %s left %d packages", cur, len(debs))
	}
	version = strings.TrimSuffix(strings.TrimPrefix(filepath.Base(debs[0]), cur+"_"), "_amd64.deb")
	warning = fmt.Sprintf("the pinned kernel %s=%s cannot be downloaded any more (%s); using %s=%s: move the pin in probe/probetest/v2host/kernel.go",
		KernelPackage, KernelVersion, strings.TrimSpace(lastLine(string(out))), cur, version)
	fmt.Fprintln(log, "v2host: warning: "+warning)
	return cur, version, warning, nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// unpack extracts the downloaded package in tmp (dpkg -x) and keeps, in dir, the kernel image
// and cachedModules with their dependencies, described by modules.json.
func unpack(tmp, dir string, log io.Writer) error {
	debs, _ := filepath.Glob(filepath.Join(tmp, "*.deb"))
	if len(debs) != 1 {
		return fmt.Errorf("v2host: expected one kernel package in %s, found %d", tmp, len(debs))
	}
	root := filepath.Join(tmp, "root")
	if out, err := exec.Command("dpkg", "-x", debs[0], root).CombinedOutput(); err != nil {
		return fmt.Errorf("dpkg -x %s: %v\n%s", debs[0], err, out)
	}
	images, _ := filepath.Glob(filepath.Join(root, "boot", "vmlinuz-*"))
	if len(images) != 1 {
		return fmt.Errorf("v2host: %s holds %d kernel images", debs[0], len(images))
	}
	release := strings.TrimPrefix(filepath.Base(images[0]), "vmlinuz-")
	all, err := scanModules(filepath.Join(root, "lib", "modules", release))
	if err != nil {
		return err
	}
	keep, err := closure(all, cachedModules)
	if err != nil {
		return err
	}
	stage := dir + ".partial"
	os.RemoveAll(stage)
	if err := os.MkdirAll(filepath.Join(stage, "modules"), 0o755); err != nil {
		return err
	}
	if err := copyFile(images[0], filepath.Join(stage, "vmlinuz-"+release)); err != nil {
		return err
	}
	index := map[string]Module{}
	for _, name := range keep {
		m := all[name]
		rel := filepath.Join("modules", name+".ko")
		if err := copyFile(m.File, filepath.Join(stage, rel)); err != nil {
			return err
		}
		index[name] = Module{File: rel, Depends: m.Depends}
	}
	data, _ := json.MarshalIndent(map[string]any{"package": filepath.Base(debs[0]), "release": release, "modules": index}, "", "  ")
	if err := os.WriteFile(filepath.Join(stage, "kernel.json"), data, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(log, "v2host: kernel %s unpacked into %s (%d modules kept)\n", release, dir, len(keep))
	os.RemoveAll(dir)
	return os.Rename(stage, dir)
}

// openKernel reads a cache directory unpack made.
func openKernel(dir string) (*Kernel, error) {
	data, err := os.ReadFile(filepath.Join(dir, "kernel.json"))
	if err != nil {
		return nil, err
	}
	var meta struct {
		Package string            `json:"package"`
		Release string            `json:"release"`
		Modules map[string]Module `json:"modules"`
	}
	if err := json.Unmarshal(data, &meta); err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	k := &Kernel{Dir: dir, Package: strings.TrimSuffix(meta.Package, "_amd64.deb"), Release: meta.Release,
		Image: filepath.Join(dir, "vmlinuz-"+meta.Release), Modules: meta.Modules}
	if _, err := os.Stat(k.Image); err != nil {
		return nil, err
	}
	return k, nil
}

// scanModules reads the name and dependencies of every module under dir (lib/modules/RELEASE)
// from its .modinfo section: the package ships no modules.dep (depmod makes it on install).
func scanModules(dir string) (map[string]Module, error) {
	all := map[string]Module{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".ko") {
			return err
		}
		name, deps, err := modinfo(p)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		all[name] = Module{File: p, Depends: deps}
		return nil
	})
	return all, err
}

// modinfo reads a module's name and its depends= list.
func modinfo(path string) (string, []string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	sec := f.Section(".modinfo")
	if sec == nil {
		return "", nil, errors.New("no .modinfo section")
	}
	data, err := sec.Data()
	if err != nil {
		return "", nil, err
	}
	return parseModinfo(data, strings.TrimSuffix(filepath.Base(path), ".ko"))
}

// parseModinfo reads the NUL-separated key=value strings of a .modinfo section. The name defaults
// to the file's (with - as _), as the kernel names a module.
func parseModinfo(data []byte, file string) (string, []string, error) {
	name := strings.ReplaceAll(file, "-", "_")
	var deps []string
	for _, kv := range strings.Split(string(data), "\x00") {
		k, v, ok := strings.Cut(kv, "=")
		switch {
		case !ok:
		case k == "name" && v != "":
			name = v
		case k == "depends" && v != "":
			deps = strings.Split(v, ",")
		}
	}
	return name, deps, nil
}

// closure is want with every dependency, each after what it depends on: the order to load them.
func closure(all map[string]Module, want []string) ([]string, error) {
	var order []string
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(string, []string) error
	visit = func(name string, path []string) error {
		switch state[name] {
		case 2:
			return nil
		case 1:
			return fmt.Errorf("module dependency cycle: %s", strings.Join(append(path, name), " → "))
		}
		m, ok := all[name]
		if !ok {
			return fmt.Errorf("no module %s in the kernel package (needed by %s)", name, strings.Join(path, " → "))
		}
		state[name] = 1
		for _, d := range m.Depends {
			if err := visit(d, append(slices.Clone(path), name)); err != nil {
				return err
			}
		}
		state[name] = 2
		order = append(order, name)
		return nil
	}
	for _, w := range want {
		if err := visit(w, nil); err != nil {
			return nil, err
		}
	}
	return order, nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

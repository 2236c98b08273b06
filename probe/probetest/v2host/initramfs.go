package v2host

import (
	"bufio"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// tree is the guest's root filesystem as the initramfs will hold it: paths (absolute, clean) to
// entries. It is written as an uncompressed cpio archive: under emulation the guest would spend
// longer inflating a compressed one than qemu spends loading the bytes.
type tree map[string]entry

type entry struct {
	mode fs.FileMode // type and permissions
	src  string      // a host file to copy (regular files)
	data []byte      // the content (regular files without src) or a symlink's target
}

func (t tree) dir(p string) {
	for p = path.Clean(p); p != "/" && p != "."; p = path.Dir(p) {
		if _, ok := t[p]; !ok {
			t[p] = entry{mode: fs.ModeDir | 0o755}
		}
	}
}

// file adds a file with the given content.
func (t tree) file(p string, mode fs.FileMode, data []byte) {
	t.dir(path.Dir(p))
	t[path.Clean(p)] = entry{mode: mode, data: data}
}

func (t tree) symlink(p, target string) {
	t.dir(path.Dir(p))
	t[path.Clean(p)] = entry{mode: fs.ModeSymlink | 0o777, data: []byte(target)}
}

// copy adds the host file src at dst, and when src is a dynamically linked program, the shared
// libraries it loads at the paths it loads them from.
func (t tree) copy(src, dst string) error {
	st, err := os.Stat(src)
	if err != nil {
		return err
	}
	if st.IsDir() {
		return fmt.Errorf("%s is a directory (give files)", src)
	}
	t.dir(path.Dir(dst))
	t[path.Clean(dst)] = entry{mode: st.Mode().Perm(), src: src}
	if st.Mode()&0o111 == 0 {
		return nil
	}
	libs, err := sharedLibs(src)
	if err != nil {
		return err
	}
	for _, lib := range libs {
		if _, ok := t[lib]; ok {
			continue
		}
		real, err := filepath.EvalSymlinks(lib)
		if err != nil {
			return err
		}
		rst, err := os.Stat(real)
		if err != nil {
			return err
		}
		t.dir(path.Dir(lib))
		t[lib] = entry{mode: rst.Mode().Perm(), src: real}
	}
	return nil
}

// sharedLibs lists the libraries a program loads (ldd); none for a static one.
func sharedLibs(prog string) ([]string, error) {
	out, err := exec.Command("ldd", prog).CombinedOutput()
	if err != nil {
		// "not a dynamic executable" (a static program, a script) is not an error here.
		return nil, nil
	}
	var libs []string
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		for _, f := range strings.Fields(sc.Text()) {
			if strings.HasPrefix(f, "/") {
				libs = append(libs, path.Clean(f))
			}
		}
	}
	return libs, nil
}

// writeCpio writes the tree as a "newc" cpio archive, the initramfs format the kernel unpacks:
// directories before what they hold.
func (t tree) writeCpio(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	names := make([]string, 0, len(t))
	for p := range t {
		names = append(names, p)
	}
	slices.Sort(names) // a parent sorts before its children
	ino := 1
	for _, p := range names {
		e := t[p]
		if err := e.write(bw, ino, p); err != nil {
			return fmt.Errorf("initramfs %s: %w", p, err)
		}
		ino++
	}
	if err := cpioEntry(bw, ino, "TRAILER!!!", 0, 0, nil); err != nil {
		return err
	}
	return bw.Flush()
}

func (e entry) write(w io.Writer, ino int, p string) error {
	var size int64
	var body io.Reader
	switch {
	case e.mode.IsDir():
	case e.src != "":
		f, err := os.Open(e.src)
		if err != nil {
			return err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return err
		}
		size, body = st.Size(), f
	default:
		size, body = int64(len(e.data)), strings.NewReader(string(e.data))
	}
	return cpioEntry(w, ino, strings.TrimPrefix(p, "/"), cpioMode(e.mode), size, body)
}

// cpioMode is the mode word of a newc header: the type bits of stat(2) and the permissions.
func cpioMode(m fs.FileMode) uint32 {
	perm := uint32(m.Perm())
	switch {
	case m.IsDir():
		return 0o040000 | perm
	case m&fs.ModeSymlink != 0:
		return 0o120000 | perm
	}
	return 0o100000 | perm
}

// cpioEntry writes one newc header, its name and its body, each padded to 4 bytes.
func cpioEntry(w io.Writer, ino int, name string, mode uint32, size int64, body io.Reader) error {
	nlink := 1
	if mode&0o170000 == 0o040000 {
		nlink = 2
	}
	hdr := fmt.Sprintf("070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		ino, mode, 0, 0, nlink, 0, size, 0, 0, 0, 0, len(name)+1, 0)
	if _, err := io.WriteString(w, hdr+name+"\x00"); err != nil {
		return err
	}
	if err := pad(w, len(hdr)+len(name)+1); err != nil {
		return err
	}
	if body != nil {
		n, err := io.CopyN(w, body, size)
		if err != nil {
			return fmt.Errorf("copied %d of %d bytes: %w", n, size, err)
		}
	}
	return pad(w, int(size))
}

func pad(w io.Writer, n int) error {
	if r := n % 4; r != 0 {
		_, err := w.Write(make([]byte, 4-r))
		return err
	}
	return nil
}

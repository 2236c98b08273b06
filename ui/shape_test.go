package ui

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// allBindings is every binding of the keymaps, by reflection: a binding added to a keymap is in
// this list without anyone remembering to add it.
func allBindings() map[string]binding {
	out := map[string]binding{}
	var walk func(name string, v reflect.Value)
	walk = func(name string, v reflect.Value) {
		switch {
		case v.Type() == reflect.TypeOf(binding{}):
			out[name] = *(*binding)(unsafe.Pointer(v.UnsafeAddr())) // unexported fields: read in place
		case v.Kind() == reflect.Struct:
			for i := range v.NumField() {
				walk(name+"."+v.Type().Field(i).Name, v.Field(i))
			}
		case v.Kind() == reflect.Array:
			for i := range v.Len() {
				walk(name+"["+strconv.Itoa(i)+"]", v.Index(i))
			}
		}
	}
	walk("keys", reflect.ValueOf(&keys).Elem())
	return out
}

// TestHelpHasEveryBinding: the help screen is made from the keymaps, and shows every binding
// with its keys and its words.
func TestHelpHasEveryBinding(t *testing.T) {
	help := strings.Join(helpLines(), "\n")
	for name, b := range allBindings() {
		if b.long == "" || !strings.Contains(help, strings.Join(b.Keys(), " ")+" ") || !strings.Contains(help, b.long) {
			t.Errorf("%s (%v, %q) is not in the help", name, b.Keys(), b.long)
		}
	}
}

// TestShape holds the TUI to its shape: no function of the package longer than 60 lines (the
// root routes, components do the work), no key compared by its name outside the keymaps, and the
// packages' imports: render knows neither Bubble Tea nor actions, actions has no flags, and the
// CLI takes from ui only the TUI itself.
func TestShape(t *testing.T) {
	keyNames := map[string]bool{}
	for _, b := range allBindings() {
		for _, k := range b.Keys() {
			keyNames[k] = true
		}
	}
	fset := token.NewFileSet()
	files, _ := filepath.Glob("*.go")
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		{
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.FuncDecl:
					if lines := fset.Position(n.End()).Line - fset.Position(n.Pos()).Line + 1; lines > 60 {
						t.Errorf("%s: %s is %d lines long", file, n.Name.Name, lines)
					}
				case *ast.BinaryExpr:
					if keyish(n.X) || keyish(n.Y) {
						checkKeyLiteral(t, fset, file, keyNames, n.X, n.Y)
					}
				case *ast.SwitchStmt:
					if n.Tag != nil && keyish(n.Tag) {
						for _, c := range n.Body.List {
							checkKeyLiteral(t, fset, file, keyNames, c.(*ast.CaseClause).List...)
						}
					}
				}
				return true
			})
		}
	}
	for pkg, banned := range map[string][]string{
		"./render":      {"charm.land/bubbletea/v2", "github.com/isotop/isotop/actions"},
		"../actions":    {"flag"},
		"../cmd/isotop": {},
	} {
		out, err := exec.Command("go", "list", "-f", `{{join .Imports "\n"}}`, pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		for _, imp := range strings.Fields(string(out)) {
			for _, b := range banned {
				if imp == b {
					t.Errorf("%s imports %s", pkg, b)
				}
			}
		}
	}
	uses, err := exec.Command("grep", "-l", `"github.com/isotop/isotop/ui"`, "-r", "--include=*.go", "--exclude=*_test.go", "../cmd/isotop").Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(uses)); got != "../cmd/isotop/tui.go" {
		t.Errorf("the CLI takes more than the TUI from package ui: %s", got)
	}
}

func checkKeyLiteral(t *testing.T, fset *token.FileSet, file string, keyNames map[string]bool, exprs ...ast.Expr) {
	if strings.HasSuffix(file, "keys.go") {
		return
	}
	for _, e := range exprs {
		if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			if s, _ := strconv.Unquote(lit.Value); keyNames[s] {
				t.Errorf("%s: the key %s is compared by name outside the keymaps", fset.Position(lit.Pos()), lit.Value)
			}
		}
	}
}

// keyish is an expression that holds a key's name: msg.String(), or a variable k or key.
func keyish(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.CallExpr:
		sel, ok := e.Fun.(*ast.SelectorExpr)
		return ok && sel.Sel.Name == "String"
	case *ast.Ident:
		return e.Name == "k" || e.Name == "key"
	}
	return false
}

package main

import (
	"flag"
	"strings"

	"github.com/isotop/isotop/actions"
)

// repeated is a flag that may be given more than once (--bind).
type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(s string) error { *r = append(*r, s); return nil }

// optionFlags defines a request's options (package actions') as flags on fl, and returns what sets
// the ones given on a request once fl is parsed: an error then names the option and says why,
// without the flag package's wrapping.
func optionFlags[R any](fl *flag.FlagSet, opts []actions.Option[R]) func(r *R) error {
	vals := map[string]func() []string{}
	for _, o := range opts {
		switch {
		case o.Bool:
			b := fl.Bool(o.Name, false, o.Usage)
			vals[o.Name] = func() []string { return []string{map[bool]string{true: "true", false: "false"}[*b]} }
		case o.Repeat:
			var r repeated
			fl.Var(&r, o.Name, o.Usage)
			vals[o.Name] = func() []string { return r }
		default:
			v := fl.String(o.Name, "", o.Usage)
			vals[o.Name] = func() []string { return []string{*v} }
		}
	}
	return func(r *R) error {
		var err error
		fl.Visit(func(given *flag.Flag) {
			o, ok := actions.FindOption(opts, given.Name)
			if !ok || err != nil {
				return
			}
			for _, v := range vals[o.Name]() {
				if err = o.Set(r, v); err != nil {
					return
				}
			}
		})
		return err
	}
}

# isotop: every command the project runs lives here. `make run` and `make test` work on a fresh
# Debian machine (as root they install the Debian packages they need).

GO       ?= go
BIN      := bin/isotop
VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X main.version=$(VERSION)
# Debian packages the tests call: lsns, unshare, nsenter (util-linux), ip (iproute2), ping; qemu and
# busybox-static for the pure cgroup v2 guest (probe/probetest/v2host); podman and runc for the
# container tests and containerd (its daemon is started by the tests that need it, when none runs);
# busybox-static makes their image and the sandboxes' roots; strace for the read-only proof;
# docker.io for the sandbox's side-by-side with docker run (a dockerd of the test's own: no
# service is started by the package); prometheus to scrape isotop serve (run with a config, port and
# data directory of the test's own). kubectl is not a Debian package: where it is installed,
# TestDaemonSetManifest also builds deploy/kubernetes with kubectl kustomize.
DEB_PKGS := util-linux iproute2 iputils-ping qemu-system-x86 busybox-static podman runc containerd tmux strace gcc libseccomp-dev docker.io prometheus
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME ?= 20000x

.PHONY: build run user test test-v2 bench lint fuzz deps clean screenshots

# isotop links a little C (actions/early: what runs before the Go runtime, with libseccomp for
# read-only mode's filters), so it builds with cgo.
build:
	@{ command -v gcc >/dev/null && [ -f /usr/include/seccomp.h ]; } || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc libc6-dev libseccomp-dev; } || \
	  { echo "isotop needs gcc and libseccomp-dev (cgo)"; exit 1; }
	CGO_ENABLED=1 $(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/isotop

# The interactive views of this host (as root for everything; q quits).
run: build user
	./$(BIN)

# Read-only mode runs as the isotop system user, which owns nothing (without it, as nobody).
user:
	@id isotop >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && useradd --system --user-group --no-create-home \
	  --home-dir /nonexistent --shell /usr/sbin/nologin isotop && echo "made the isotop system user: read-only mode's identity"; } || true

# Every test: the pure ones, the live ones (ISOTOP_TEST_LIVE=1: they make namespaces, cgroups, links and
# containers on this host, each named isotop-test-…, and remove them), the pure cgroup v2 guest's, and
# the fuzz targets; with the race detector (the collector, its watcher, the TUI's Cmds and the
# sandbox's supervision run concurrently). -p 1: one package's tests at a time. The actions tests make
# links, cgroups and containers on the host while the probe's compare the host with ip and lsns: run
# together, each would see the other's.
test: deps lint
	ISOTOP_TEST_LIVE=1 $(GO) test -race -count=1 -p 1 ./...
	$(MAKE) --no-print-directory test-v2
	$(MAKE) --no-print-directory fuzz FUZZTIME=$(FUZZTIME)

# The tests that boot a kernel whose only cgroup hierarchy is v2 (qemu, no KVM needed; the pinned
# Debian kernel is downloaded once into ~/.cache/isotop/v2host) and run the live tests in it.
test-v2: deps
	ISOTOP_TEST_V2=1 $(GO) test -count=1 -p 1 -run '^TestV2' ./probe/probetest/v2host ./probe ./actions ./cmd/isotop

# Times `isotop snapshot --json` against `lsns --json` with ~2000 extra processes, the TUI's CPU
# against htop's over 30 s on ~4000 processes, the cgroup reading against containerd/cgroups/v3,
# the large host (10,000 processes, 1,000 cgroups, 300 netns, 200 trees) at 10, 50 and 100 %, and
# `isotop record` against `atop -w` for 10 minutes (ISOTOP_BENCH_SECS), and a remote TUI's cost to
# isotop serve, streaming and polling (root; htop and atop are installed for it). It changes the
# host as the live tests do, and removes what it made.
bench: deps
	@for p in htop atop; do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || \
	  { [ "$$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$p; } || true; done
	ISOTOP_TEST_LIVE=1 $(GO) test -run '^$$' -bench SnapshotVsLsns -benchtime 40x ./cmd/isotop
	ISOTOP_TEST_LIVE=1 $(GO) test -run '^$$' -bench TUIVsHtop -benchtime 1x -timeout 5m ./cmd/isotop
	ISOTOP_TEST_LIVE=1 $(GO) test -run '^$$' -bench CgroupRead -benchtime 50x ./probe
	ISOTOP_TEST_LIVE=1 $(GO) test -run '^$$' -bench ReadProcessesVsProcfs -benchtime 10x -cpu 1,2 ./probe
	ISOTOP_TEST_LIVE=1 $(GO) test -run '^$$' -bench 'LargeHost$$' -benchtime 3x -timeout 30m ./probe
	ISOTOP_TEST_LIVE=1 $(GO) test -run '^$$' -bench LargeHostTUI -benchtime 1x -timeout 30m ./cmd/isotop
	ISOTOP_TEST_LIVE=1 $(GO) test -run '^$$' -bench RecordVsAtop -benchtime 1x -timeout 30m ./cmd/isotop
	ISOTOP_TEST_LIVE=1 $(GO) test -run '^$$' -bench RemoteStream -benchtime 1x -timeout 15m ./cmd/isotop

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change: $$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

# Every fuzz target for FUZZTIME each (a count of inputs: a duration makes the fuzz coordinator
# fail now and then with "context deadline exceeded"): bad input must give an error, never a panic.
# The TUI's rendering of a replayed snapshot is slower to fuzz (every view, three sizes): fewer.
FUZZTIME_UI ?= 3000x
# A recording decodes its samples (zstd, with the previous one as the dictionary): fewer too.
FUZZTIME_REC ?= 5000x
fuzz:
	@for pkg in ./probe ./probe/record ./actions ./ui; do \
	  n=$(FUZZTIME); [ $$pkg = ./ui ] && n=$(FUZZTIME_UI); [ $$pkg = ./probe/record ] && n=$(FUZZTIME_REC); \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$f"; \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $$n $$pkg > /tmp/isotop-fuzz.log 2>&1 || { cat /tmp/isotop-fuzz.log; exit 1; }; \
	  done; \
	done

# The screenshots in screenshots/ (root): a demo host made with the tests' helpers (two Podman
# containers, a netns wired to a bridge, nested cgroups with limits, an isotop sandbox), bin/isotop
# driven in a tmux of its own through every view and panel, each screen (NAME.ansi, with colours)
# rendered by charmbracelet/freeze (NAME.png, the tool pinned in screenshots/tools/go.mod). The demo
# host is removed afterwards, also when a step fails, and checked to be gone.
screenshots: deps build
	$(GO) build -o bin/isotop-screenshots ./screenshots/demo
	./bin/isotop-screenshots -isotop $(BIN) -out screenshots -tools screenshots/tools

deps: user
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "missing Debian packages:$$missing (run as root to install them; their tests will skip)"; fi; \
	fi
	$(GO) mod download

clean:
	rm -rf bin

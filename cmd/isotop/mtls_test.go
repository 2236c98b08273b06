package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/isotop/isotop/probe/probetest"
)

// testCA is a certificate authority made for a test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  string // the CA certificate's file
}

var serial int64

func newTestCA(t *testing.T, dir, name string) *testCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	serial++
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	ca := &testCA{cert: cert, key: key, pem: filepath.Join(dir, name+".pem")}
	writePEM(t, ca.pem, "CERTIFICATE", der)
	return ca
}

// issue signs a certificate for a server (127.0.0.1) or a client, and writes it and its key;
// it returns their files.
func (ca *testCA) issue(t *testing.T, dir, name string, server bool) (certFile, keyFile string) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	serial++
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+"-key.pem")
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "EC PRIVATE KEY", kder)
	return certFile, keyFile
}

func writePEM(t *testing.T, path, kind string, der []byte) {
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// mtlsClient is an HTTPS client that trusts ca and shows the certificate certFile (none when "").
func mtlsClient(t *testing.T, ca *testCA, certFile, keyFile string) *http.Client {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	cfg := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if certFile != "" {
		pair, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 30 * time.Second}
}

// TestMTLS: the real `isotop serve --tls-cert --tls-key --tls-client-ca` on loopback answers a
// client whose certificate its CA signed (/metrics, /api/v1/snapshot, /api/v1/stream) and refuses
// the TLS handshake of one with no certificate or with one another CA signed, and plain HTTP;
// isotop --remote https://… with --tls-cert/--tls-key/--tls-ca reads it (its source here, and
// the real TUI in tmux with ISOTOP_TEST_LIVE=1), and without a certificate says it was refused.
func TestMTLS(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	ca, other := newTestCA(t, dir, "isotop-test-ca"), newTestCA(t, dir, "isotop-test-other-ca")
	srvCert, srvKey := ca.issue(t, dir, "isotop-test-server", true)
	cliCert, cliKey := ca.issue(t, dir, "isotop-test-client", false)
	strangerCert, strangerKey := other.issue(t, dir, "isotop-test-stranger", false)

	port := freePort(t)
	serve := exec.Command(bin, "serve", "--listen", "127.0.0.1:"+port, "--tls-cert", srvCert, "--tls-key", srvKey, "--tls-client-ca", ca.pem)
	var serr lockedBuffer
	serve.Stderr = &serr
	probetest.Start(t, serve)
	probetest.WaitFor(t, "isotop serve listening", func() bool { return strings.Contains(serr.String(), "listening on https://") })
	base := "https://127.0.0.1:" + port

	good := mtlsClient(t, ca, cliCert, cliKey)
	for _, path := range []string{"/metrics", "/api/v1/snapshot"} {
		resp, err := good.Get(base + path)
		if err != nil {
			t.Fatalf("%s with the CA's client certificate: %v", path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s with the CA's client certificate: %s", path, resp.Status)
		}
	}
	// Refused in the handshake: no certificate, another CA's (TLS 1.3 says so at the first read).
	for name, c := range map[string]*http.Client{
		"no client certificate":    mtlsClient(t, ca, "", ""),
		"another CA's certificate": mtlsClient(t, ca, strangerCert, strangerKey),
	} {
		resp, err := c.Get(base + "/metrics")
		if err == nil {
			resp.Body.Close()
			t.Errorf("%s: %s, want the handshake refused", name, resp.Status)
		} else if !strings.Contains(err.Error(), "tls:") {
			t.Errorf("%s: %v, want a TLS alert", name, err)
		}
	}
	if resp, err := http.Get("http://127.0.0.1:" + port + "/metrics"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Errorf("plain HTTP on the TLS port: %s", resp.Status)
		}
	}

	// isotop --remote's source, with the client flags.
	r, err := newRemote(remoteConfig{base: base, cert: cliCert, key: cliKey, ca: ca.pem, interval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := r.Snapshot()
	if err != nil || len(snap.Processes) == 0 {
		t.Fatalf("--remote %s with --tls-cert: %v", base, err)
	}
	r, _ = newRemote(remoteConfig{base: base, ca: ca.pem, interval: time.Second})
	if _, err := r.Snapshot(); err == nil || !strings.Contains(err.Error(), "tls:") {
		t.Errorf("--remote %s without a client certificate: %v", base, err)
	}
	if _, err := newRemote(remoteConfig{base: "http://127.0.0.1:" + port, cert: cliCert, key: cliKey}); err == nil {
		t.Error("--tls-cert with an http:// --remote taken")
	}

	if os.Getenv(probetest.EnvLive) != "1" {
		return // tmux: with the live tests
	}
	tm := startTmux(t, 160, 40, bin, "--remote", base, "--tls-cert", cliCert, "--tls-key", cliKey, "--tls-ca", ca.pem, "--no-mouse")
	tm.waitFor("remote "+base, "busiest cgroups")
	tm.keys("q")
	bad := startTmux(t, 160, 40, bin, "--remote", base, "--tls-ca", ca.pem, "--no-mouse")
	bad.waitFor("certificate required")
	bad.keys("q")
}

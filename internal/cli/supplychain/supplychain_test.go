package supplychain

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gocli/gocli/internal/cli/command"
	"github.com/gocli/gocli/internal/cli/iostreams"
	"github.com/gocli/gocli/supplychain/signing"
)

func testFactory(output string) (*command.Factory, *bytes.Buffer, *bytes.Buffer) {
	ios, _, out, errOut := iostreams.Test()
	return &command.Factory{IO: ios, Globals: &command.Globals{Output: output}}, out, errOut
}

// env returns a LookupEnv over a fixed map.
func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

func testPasswords(vars map[string]string, typed ...string) Passwords {
	return Passwords{
		LookupEnv: env(vars),
		ReadPassword: func() ([]byte, error) {
			if len(typed) == 0 {
				return nil, errors.New("no more input")
			}
			p := typed[0]
			typed = typed[1:]
			return []byte(p), nil
		},
	}
}

func exitCode(err error) int {
	var fe *command.FlagError
	var ee *command.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &fe):
		return command.ExitUsage
	case errors.As(err, &ee):
		return ee.Code
	}
	return -1
}

func TestNewCmdSign(t *testing.T) {
	tests := []struct {
		args    []string
		want    SignOptions
		wantErr string
	}{
		{[]string{"f", "--key", "k"}, SignOptions{File: "f", KeyPath: "k", SignaturePath: "f.sig"}, ""},
		{[]string{"f", "--key", "k", "--bundle", "b"}, SignOptions{File: "f", KeyPath: "k", BundlePath: "b"}, ""},
		{[]string{"f", "--key", "k", "--bundle", "b", "--output-signature", "s"}, SignOptions{File: "f", KeyPath: "k", BundlePath: "b", SignaturePath: "s"}, ""},
		{[]string{"f"}, SignOptions{}, "--key is required"},
		{[]string{"--key", "k"}, SignOptions{}, "accepts 1 arg"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			f, _, _ := testFactory("text")
			var got *SignOptions
			cmd := NewCmdSign(f, func(_ context.Context, o *SignOptions) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			g := *got
			g.Factory, g.Passwords = nil, Passwords{}
			if !reflect.DeepEqual(g, tt.want) {
				t.Fatalf("opts = %+v, want %+v", g, tt.want)
			}
		})
	}
}

func TestNewCmdVerify(t *testing.T) {
	for _, tt := range []struct {
		args    []string
		wantErr string
	}{
		{[]string{"f", "--key", "k", "--signature", "s"}, ""},
		{[]string{"f", "--key", "k", "--bundle", "b"}, ""},
		{[]string{"f", "--key", "k"}, "exactly one of --signature and --bundle"},
		{[]string{"f", "--key", "k", "--signature", "s", "--bundle", "b"}, "exactly one"},
		{[]string{"f", "--signature", "s"}, "--key is required"},
	} {
		f, _, _ := testFactory("text")
		cmd := NewCmdVerify(f, func(context.Context, *VerifyOptions) error { return nil })
		cmd.SetArgs(tt.args)
		cmd.SetOut(&bytes.Buffer{})
		cmd.SetErr(&bytes.Buffer{})
		err := cmd.Execute()
		if (tt.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("%v: err = %v, want %q", tt.args, err, tt.wantErr)
		}
		if err != nil && exitCode(err) != command.ExitUsage {
			t.Errorf("%v: exit %d, want 2", tt.args, exitCode(err))
		}
	}
}

func TestNewCmdAttestAndSbom(t *testing.T) {
	f, _, _ := testFactory("text")
	var got *AttestOptions
	cmd := NewCmdAttest(f, func(_ context.Context, o *AttestOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"bin", "--predicate", "p.json", "--type", "cyclonedx", "--key", "k", "--bundle", "b"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.File != "bin" || got.PredicateType != "cyclonedx" || got.BundlePath != "b" {
		t.Fatalf("opts = %+v", got)
	}
	cmd = NewCmdAttest(f, func(context.Context, *AttestOptions) error { return nil })
	cmd.SetArgs([]string{"bin", "--predicate", "p.json", "--type", "nonsense", "--key", "k", "--bundle", "b"})
	cmd.SetErr(&bytes.Buffer{})
	if err := cmd.Execute(); exitCode(err) != command.ExitUsage || !strings.Contains(err.Error(), "unknown predicate type") {
		t.Fatalf("bad type: err = %v", err)
	}

	var sb *SbomOptions
	scmd := NewCmdSbom(f, func(_ context.Context, o *SbomOptions) error { sb = o; return nil })
	scmd.SetArgs([]string{"--format", "cyclonedx-json", "--output", "x.json", "--reproducible"})
	if err := scmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if sb.Target != "." || sb.Format != "cyclonedx-json" || sb.OutputFile != "x.json" || !sb.Reproducible || sb.AllowNetwork {
		t.Fatalf("opts = %+v", sb)
	}
	// -o json keeps its global meaning; --output-file still works.
	scmd = NewCmdSbom(f, func(_ context.Context, o *SbomOptions) error { sb = o; return nil })
	scmd.SetArgs([]string{"-o", "json"})
	if err := scmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if sb.OutputFile != "" || f.Globals.Output != "json" {
		t.Fatalf("-o json: file %q, global output %q", sb.OutputFile, f.Globals.Output)
	}
	f.Globals.Output = "text"
	var stderr bytes.Buffer
	scmd = NewCmdSbom(f, func(_ context.Context, o *SbomOptions) error { sb = o; return nil })
	scmd.SetArgs([]string{"--output-file", "old.json"})
	scmd.SetErr(&stderr)
	if err := scmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if sb.OutputFile != "old.json" || !strings.Contains(stderr.String(), "deprecated") {
		t.Fatalf("--output-file: file %q, stderr %q", sb.OutputFile, stderr.String())
	}
	scmd = NewCmdSbom(f, func(context.Context, *SbomOptions) error { return nil })
	scmd.SetArgs([]string{"--format", "xml"})
	scmd.SetErr(&bytes.Buffer{})
	if err := scmd.Execute(); exitCode(err) != command.ExitUsage {
		t.Fatalf("bad format: err = %v", err)
	}
}

// TestRunKeySignVerify runs keygen, sign, verify, attest and
// verify-attestation end to end through the run functions.
func TestRunKeySignVerify(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	prefix := filepath.Join(dir, "cosign")
	pw := testPasswords(map[string]string{"COSIGN_PASSWORD": "pw"})

	f, out, _ := testFactory("text")
	if err := runKeygen(ctx, &KeygenOptions{Factory: f, Passwords: pw, Prefix: prefix}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Private key written to "+prefix+".key") {
		t.Fatalf("keygen output = %q", out.String())
	}
	// No overwrite without --force, exit 2, and the key is unchanged.
	before, _ := os.ReadFile(prefix + ".key")
	err := runKeygen(ctx, &KeygenOptions{Factory: f, Passwords: pw, Prefix: prefix})
	if exitCode(err) != command.ExitUsage || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("second keygen: err = %v", err)
	}
	after, _ := os.ReadFile(prefix + ".key")
	if !bytes.Equal(before, after) {
		t.Fatal("key overwritten without --force")
	}

	file := filepath.Join(dir, "app")
	if err := os.WriteFile(file, []byte("app v1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, out, _ = testFactory("json")
	err = runSign(ctx, &SignOptions{Factory: f, Passwords: pw, File: file, KeyPath: prefix + ".key", SignaturePath: file + ".sig", BundlePath: file + ".json"})
	if err != nil {
		t.Fatal(err)
	}
	var signed map[string]any
	if err := json.Unmarshal(out.Bytes(), &signed); err != nil || signed["sha256"] == "" || signed["signaturePath"] != file+".sig" {
		t.Fatalf("sign json = %s (%v)", out.Bytes(), err)
	}

	for _, o := range []VerifyOptions{
		{File: file, KeyPath: prefix + ".pub", SignaturePath: file + ".sig"},
		{File: file, KeyPath: prefix + ".pub", BundlePath: file + ".json"},
	} {
		f, out, _ := testFactory("text")
		o.Factory = f
		if err := runVerify(ctx, &o); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(out.String(), "✓ Verified "+file) {
			t.Fatalf("verify output = %q", out.String())
		}
	}

	// A changed file fails with exit 1 and says what failed.
	if err := os.WriteFile(file, []byte("app v2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, _, _ = testFactory("text")
	err = runVerify(ctx, &VerifyOptions{Factory: f, File: file, KeyPath: prefix + ".pub", SignaturePath: file + ".sig"})
	if exitCode(err) != command.ExitProblems || !strings.Contains(err.Error(), "signature does not match") {
		t.Fatalf("tampered: err = %v", err)
	}
	err = runVerify(ctx, &VerifyOptions{Factory: f, File: file, KeyPath: prefix + ".pub", BundlePath: file + ".json"})
	if exitCode(err) != command.ExitProblems || !strings.Contains(err.Error(), "does not match the bundle's message digest") {
		t.Fatalf("tampered bundle: err = %v", err)
	}
	if err := os.WriteFile(file, []byte("app v1\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	// Attest and verify the attestation.
	pred := filepath.Join(dir, "pred.json")
	if err := os.WriteFile(pred, []byte(`{"bomFormat":"CycloneDX"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	f, _, _ = testFactory("text")
	if err := runAttest(ctx, &AttestOptions{Factory: f, Passwords: pw, File: file, PredicatePath: pred, PredicateType: "cyclonedx", KeyPath: prefix + ".key", BundlePath: file + ".att.json"}); err != nil {
		t.Fatal(err)
	}
	f, out, _ = testFactory("json")
	if err := runVerifyAttestation(ctx, &VerifyAttestationOptions{Factory: f, File: file, KeyPath: prefix + ".pub", BundlePath: file + ".att.json", PredicateType: "cyclonedx"}); err != nil {
		t.Fatal(err)
	}
	var va map[string]any
	if err := json.Unmarshal(out.Bytes(), &va); err != nil || va["predicateType"] != "https://cyclonedx.org/bom" {
		t.Fatalf("verify-attestation json = %s (%v)", out.Bytes(), err)
	}
	f, _, _ = testFactory("text")
	err = runVerifyAttestation(ctx, &VerifyAttestationOptions{Factory: f, File: file, KeyPath: prefix + ".pub", BundlePath: file + ".att.json", PredicateType: "spdxjson"})
	if exitCode(err) != command.ExitProblems || !strings.Contains(err.Error(), "predicate type") {
		t.Fatalf("wrong type: err = %v", err)
	}
}

func TestRunBadInput(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	// A cosign-format key pair made without the CLI: scrypt is slow, so
	// each test makes only the keys it needs.
	prefix := filepath.Join(dir, "cosign")
	kp, err := signing.GenerateKeyPair(func(bool) ([]byte, error) { return []byte("right"), nil })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := signing.WriteKeyPair(kp, prefix, false); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "app")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		run  func(f *command.Factory) error
		want string
	}{
		{"wrong password", func(f *command.Factory) error {
			return runSign(ctx, &SignOptions{Factory: f, Passwords: testPasswords(map[string]string{"COSIGN_PASSWORD": "wrong"}), File: file, KeyPath: prefix + ".key", SignaturePath: file + ".sig"})
		}, "wrong password"},
		{"no password, no terminal", func(f *command.Factory) error {
			return runSign(ctx, &SignOptions{Factory: f, Passwords: testPasswords(nil), File: file, KeyPath: prefix + ".key", SignaturePath: file + ".sig"})
		}, "no password"},
		{"public key to sign", func(f *command.Factory) error {
			return runSign(ctx, &SignOptions{Factory: f, Passwords: testPasswords(nil), File: file, KeyPath: prefix + ".pub", SignaturePath: file + ".sig"})
		}, "this is a public key"},
		{"private key to verify", func(f *command.Factory) error {
			return runVerify(ctx, &VerifyOptions{Factory: f, File: file, KeyPath: prefix + ".key", SignaturePath: file})
		}, "this is a private key"},
		{"missing file", func(f *command.Factory) error {
			return runSign(ctx, &SignOptions{Factory: f, Passwords: testPasswords(nil), File: filepath.Join(dir, "nope"), KeyPath: prefix + ".key", SignaturePath: file + ".sig"})
		}, "no such file"},
		{"missing signature", func(f *command.Factory) error {
			return runVerify(ctx, &VerifyOptions{Factory: f, File: file, KeyPath: prefix + ".pub", SignaturePath: filepath.Join(dir, "nope.sig")})
		}, "read signature"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, _ := testFactory("text")
			err := tt.run(f)
			if exitCode(err) != command.ExitUsage || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v (exit %d), want exit 2 with %q", err, exitCode(err), tt.want)
			}
			if _, err := os.Stat(file + ".sig"); !errors.Is(err, os.ErrNotExist) {
				t.Fatal("a signature was written despite the error")
			}
		})
	}
}

func TestPasswordPrompt(t *testing.T) {
	ios, _, _, errOut := iostreams.Test()
	ios.SetStdinTTY(true)
	src := testPasswords(nil, "a", "a").source(ios)
	pw, err := src(true)
	if err != nil || string(pw) != "a" {
		t.Fatalf("pw = %q, %v", pw, err)
	}
	if strings.Count(errOut.String(), "Enter password") != 2 {
		t.Fatalf("prompts = %q, want two", errOut.String())
	}
	if _, err := testPasswords(nil, "a", "b").source(ios)(true); exitCode(err) != command.ExitUsage || !strings.Contains(err.Error(), "do not match") {
		t.Fatalf("mismatch: err = %v", err)
	}
	// COSIGN_PASSWORD set but empty is an empty password, not a prompt.
	if pw, err := testPasswords(map[string]string{"COSIGN_PASSWORD": ""}).source(ios)(true); err != nil || len(pw) != 0 {
		t.Fatalf("empty env password = %q, %v", pw, err)
	}
}

func TestSourceDateEpoch(t *testing.T) {
	got, err := sourceDateEpoch(env(map[string]string{"SOURCE_DATE_EPOCH": "1700000000"}))
	if err != nil || got.Unix() != 1700000000 {
		t.Fatalf("got %v, %v", got, err)
	}
	if _, err := sourceDateEpoch(env(map[string]string{"SOURCE_DATE_EPOCH": "soon"})); err == nil {
		t.Fatal("bad SOURCE_DATE_EPOCH accepted")
	}
	if got, _ := sourceDateEpoch(env(nil)); got.Unix() != 0 {
		t.Fatalf("unset = %v, want the epoch", got)
	}
}

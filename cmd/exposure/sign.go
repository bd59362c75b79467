package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"aead.dev/minisign"
	"golang.org/x/term"
)

// signPasswordEnv is the environment variable that holds the passphrase of an encrypted secret key.
const signPasswordEnv = "EXPOSURE_SIGN_PASSWORD"

// maxSecretKeyBytes bounds a secret key file: minisign's is under 300 bytes.
const maxSecretKeyBytes = 64 << 10

// passphraseSource says where the passphrase of an encrypted secret key comes from: the
// environment, or a prompt on the terminal.
type passphraseSource struct {
	env    func(string) (string, bool)
	prompt func(what string) (string, error) // nil when there is no terminal to ask on
}

// terminalPassphrase is the passphraseSource of the command line: EXPOSURE_SIGN_PASSWORD, else a
// prompt on stderr, read without echo from the terminal on stdin.
func terminalPassphrase(stderr io.Writer) passphraseSource {
	src := passphraseSource{env: os.LookupEnv}
	if term.IsTerminal(int(os.Stdin.Fd())) {
		src.prompt = func(what string) (string, error) {
			fmt.Fprintf(stderr, "Passphrase of %s: ", what)
			pass, err := term.ReadPassword(int(os.Stdin.Fd()))
			fmt.Fprintln(stderr)
			return string(pass), err
		}
	}
	return src
}

// readSecretKey reads the publisher's minisign secret key, as minisign -G writes it, decrypting it
// with the passphrase when it is encrypted (minisign -W writes it unencrypted).
func readSecretKey(path string, pass passphraseSource) (minisign.PrivateKey, error) {
	var key minisign.PrivateKey
	f, err := os.Open(path)
	if err != nil {
		return key, fmt.Errorf("--sign: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSecretKeyBytes+1))
	if err != nil {
		return key, fmt.Errorf("--sign: reading %s: %w", path, err)
	}
	if len(data) > maxSecretKeyBytes {
		return key, fmt.Errorf("--sign: %s is more than %d bytes: not a minisign secret key", path, maxSecretKeyBytes)
	}
	if !minisign.IsEncrypted(data) {
		if err := key.UnmarshalText(data); err != nil {
			return key, fmt.Errorf("--sign: %s is not a minisign secret key (%v); minisign -G writes one", path, err)
		}
		return key, nil
	}
	passphrase, ok := pass.env(signPasswordEnv)
	if !ok {
		if pass.prompt == nil {
			return key, fmt.Errorf("--sign: %s is encrypted: set %s to its passphrase, or run on a terminal to be asked for it", path, signPasswordEnv)
		}
		if passphrase, err = pass.prompt(path); err != nil {
			return key, fmt.Errorf("--sign: reading the passphrase: %w", err)
		}
	}
	key, err = minisign.DecryptKey(passphrase, data)
	if err != nil {
		return key, fmt.Errorf("--sign: cannot decrypt %s: wrong passphrase, or not a minisign secret key", path)
	}
	return key, nil
}

// readPublicKey reads a minisign public key file, as minisign -G writes it.
func readPublicKey(path string) (minisign.PublicKey, error) {
	key, err := minisign.PublicKeyFromFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return key, fmt.Errorf("--key: %s does not exist", path)
	}
	if err != nil {
		return key, fmt.Errorf("--key: %s is not a minisign public key (%v)", path, err)
	}
	return key, nil
}

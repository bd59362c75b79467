package main

import (
	"aead.dev/minisign"
	"github.com/spf13/cobra"

	"github.com/exposure-research/exposure/pipeline"
)

// previousFlags are the flags that name earlier releases (SPEC 7: build, verify and audit take
// --previous).
type previousFlags struct {
	dirs []string // earlier report folders, oldest first
	key  string   // the publisher's public key: each earlier release must be signed by it
}

func (f *previousFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&f.dirs, "previous", nil,
		"an earlier report folder of the dataset, public knowledge the protection holds against (repeatable, oldest first; adds to dataset.yaml's previous)")
	cmd.Flags().StringVar(&f.key, "previous-key", "", "the publisher's minisign public key: every earlier release must carry its valid signature")
}

// apply puts the flags into a build's configuration, reading the key.
func (f *previousFlags) apply(cfg *pipeline.Config) error {
	cfg.Previous = f.dirs
	key, err := f.publicKey()
	if err != nil {
		return failed(err)
	}
	cfg.PreviousKey = key
	return nil
}

// publicKey reads --previous-key; nil without it.
func (f *previousFlags) publicKey() (*minisign.PublicKey, error) {
	if f.key == "" {
		return nil, nil
	}
	pub, err := readPublicKey(f.key)
	if err != nil {
		return nil, err
	}
	return &pub, nil
}

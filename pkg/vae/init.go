package vae

import (
	"fmt"
	"os"

	"github.com/gomlx/compute"
	"github.com/klcourse/klcourse/pkg/datasets"
	"github.com/klcourse/klcourse/pkg/fit"
)

// SaveInitialWeights creates the weights of the VAE v from cfg.Seed,
// without training, and saves them to dir: the one initialisation that
// several runs share, as the seed's vae_init.h5 (Keras's save_weights
// before the sweep, load_weights before each run). sample gives an image to
// build the graph on. The weights do not depend on v.KL.
func SaveInitialWeights(backend compute.Backend, v VAE, cfg fit.Config, sample *datasets.Images, dir string) error {
	g, err := fit.NewGenerative(backend, Terms(v, false), TermNames, cfg)
	if err != nil {
		return err
	}
	if err := g.Initialise(sample); err != nil {
		return fmt.Errorf("vae.SaveInitialWeights: %w", err)
	}
	return g.Save(dir, nil)
}

// NewRun returns a fit.Generative that trains v (with KL coefficient v.KL,
// on dynamically binarised images with binarise) from the weights saved in
// initDir by SaveInitialWeights.
func NewRun(backend compute.Backend, v VAE, binarise bool, cfg fit.Config, initDir string) (*fit.Generative, error) {
	if _, err := os.Stat(initDir); err != nil {
		return nil, fmt.Errorf("vae.NewRun: the initial weights: %w (SaveInitialWeights writes them)", err)
	}
	g, err := fit.NewGenerative(backend, Terms(v, binarise), TermNames, cfg)
	if err != nil {
		return nil, err
	}
	if err := g.LoadWeights(initDir); err != nil {
		return nil, err
	}
	return g, nil
}

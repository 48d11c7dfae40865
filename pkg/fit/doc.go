// Package fit is the course's one training loop: every lecture's model
// trains through it, except the two deliberate exceptions below.
//
// Models trained on a labelled set by epochs, the way Keras's model.fit does,
// use New (a classifier) or NewGenerative (a model trained without labels,
// such as a variational autoencoder, whose model function returns the terms
// of its loss, the loss first). Both run the same epoch loop on GoMLX's
// trainer: whole epochs over a training set with Keras's validation_split
// (the last fraction held out), a History of the per-epoch loss, val_loss,
// accuracy and val_accuracy (or the loss's terms) and any extra metric, a
// progress bar, and evaluation on a test set.
//
//	c, err := fit.New(backend, cnn, fit.Config{Loss: loss, Epochs: 25, BatchSize: 250, ValidationSplit: 0.4, Seed: 1})
//	history, err := c.Fit(train)
//	result, err := c.Evaluate(test)
//
// Models trained by steps — whose loss is an expectation over noise drawn
// afresh (a flow's reverse KL, a diffusion model's ε-prediction loss), or
// whose batches come with state of their own (an RBM's, with PCD's fantasy
// chains) — minimise an ObjectiveFn with a Minimizer, and Minimizer.Loop is
// their one step loop: steps in eras, a learning-rate Schedule, hooks after
// every step and every era (the flow's ESS, the RBM's AIS estimate of the
// test likelihood), a progress bar and a StepRecord. flow.Train, the RBM's
// Trainer.Epoch and rbm.Run, and diffusion.Train run on it.
//
// What a run records: the epoch loop's History and the step loop's
// StepRecord (loss per era, rate, time) are this package's. What an era hook
// measures belongs to its model, with its meaning: flow.History records,
// per era, the loss with the ESS and the Metropolis acceptance, rbm.History
// the loss with the AIS estimate of each epoch, each in the package that
// defines the measure.
//
// Runs are reproducible: a seed fixes the initial weights, the dropout masks
// and the order of the batches, so two models built with the same function,
// seed and backend start from the same weights — the fair way to compare two
// losses. A loss that becomes NaN or infinite stops training with an error
// that names the step (and the epoch).
//
// The models trained through this package use GoMLX's optimisers: one Adam
// (the Adam function; Keras's ε for a Classifier by default), and plain SGD
// for the RBM. Two models keep a training step and an optimiser of their
// own, on purpose:
//
//   - pkg/gan: a GAN's step updates two players, the critic then the
//     generator on the updated critic, each with its own Adam state and
//     learning rate, in one compiled graph. A Minimizer minimises one loss
//     over one set of weights; the two-player step, with PyTorch's Adam
//     written out for it, stays in gan.
//   - pkg/gaussfit: lecture 3 fits a Gaussian with plain gradient descent and
//     Adam written in Go on a handful of parameters, so that a run can be
//     compared step by step with the PyTorch program it corrects; GoMLX's
//     optimisers need not match PyTorch's rounding step by step.
//
// GoNB runs each notebook cell as a new program, so a cell that trains saves
// the model and later cells load it to plot and evaluate without training
// again. SaveCheckpoint is the one checkpoint format: the store's variables
// (a GoMLX checkpoint) and a JSON card (CardFile) that says what kind of
// model it is, what its weights alone do not say, and how it was trained.
// Classifier.Save, Generative.Save and diffusion.Model.Save write it.
package fit

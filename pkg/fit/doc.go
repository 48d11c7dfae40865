// Package fit trains image classifiers the way Keras's model.fit does, on
// GoMLX's trainer: whole epochs over a training set with Keras's
// validation_split (the last fraction held out), a History of the per-epoch
// loss, val_loss, accuracy and val_accuracy (and any extra metric), a
// progress bar, and evaluation on a test set.
//
//	c, err := fit.New(backend, models.CNN, fit.Config{Loss: loss, Epochs: 25, BatchSize: 250, ValidationSplit: 0.4, Seed: 1})
//	history, err := c.Fit(train)
//	result, err := c.Evaluate(test)
//
// Runs are reproducible: Seed fixes the initial weights, the dropout masks and
// the order of the batches, so two classifiers built with the same model, seed
// and backend start from the same weights — the fair way to compare two
// losses. A loss that becomes NaN or infinite stops training with an error
// that names the epoch, the step and the value.
//
// Models trained without labels, such as a variational autoencoder, use
// NewGenerative: the model function returns the terms of its loss (the loss
// first), and the History records them per epoch instead of an accuracy.
//
// GoNB runs each notebook cell as a new program, so a cell that trains saves
// the classifier (Save: its weights and its History) and later cells Load it
// to plot and evaluate without training again.
package fit

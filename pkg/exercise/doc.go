// Package exercise supports the course's exercises: stubs that stand in for
// the code a student has not written yet, and self-checks that compare the
// student's function with the reference on fixed inputs.
//
// An exercise notebook (exercises/*.ipynb) is generated from its solution
// (solutions/*.ipynb) by `klcourse assign`, which replaces each marked
// solution region with a TODO and a stub. The stub must keep the notebook
// running — CI executes the exercises unfilled — so a graph function's stub
// returns Todo(x): a zero that depends on x, with zero gradients, which trains
// nothing and which the self-checks recognise. Done tells a training cell
// whether the function is written, so that it can skip training a stub.
//
// A self-check cell calls Check with the student's function, the reference,
// known wrong answers with a hint for each (Mistake), and inputs (Case, with
// an optional Hint of its own) — when the reference is a lecture's function
// (klloss's losses). Where the reference exists only for the check, the
// exercise must not ship it: the references and the mistakes live in the
// instructor's solutions/references, `klcourse assign` evaluates them (Expect)
// and writes the values and gradients of every case, and every mistake's with
// its hint, beside the exercise as exercises/NAME.checks.json (ExpectedFile
// documents the format), and the check (CheckExpected, behind each subject's
// checks, which live beside the subject: rbm.CheckFreeEnergy,
// vae.CheckSample, gan.CheckDiscriminatorLoss, diffusion.CheckQSample,
// flow.CheckAction, klloss.CheckForwardKL, gaussfit.CheckReverseKLSampled and their
// kin) compares with that file. Both kinds work alike, and every check
// evaluates functions one way, graphx.EvaluateWRT: the value on a case's
// inputs and the gradients with respect to the inputs it compares. It
// prints PASS, or what differs and a hint: the known mistake the answer
// matches (by value and gradient, or by gradient with values off by a
// constant), else the relation between the answer and the reference (a constant factor such as ⅓, a constant offset such as
// ln 2), else the case's hint.
//
// Under `klcourse grade` and `klcourse validate`, Check also hands the
// student's evaluation of every case to the grader through a pipe whose
// descriptor and secret the grader puts in the environment (read and removed
// when this package is initialised, before any of the notebook's code runs);
// the grader compares it with the solution's own evaluation, so the printed
// verdict never counts (see internal/verdict and internal/grade).
package exercise

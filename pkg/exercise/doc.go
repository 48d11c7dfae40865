// Package exercise supports the course's exercises: stubs that stand in for
// the code a student has not written yet, and self-checks that compare the
// student's function with the reference on fixed inputs.
//
// An exercise notebook (exercises/*.ipynb) is generated from its solution
// (solutions/*.ipynb) by `klcourse assign`, which replaces each marked
// solution region with a TODO and a stub. The stub must keep the notebook
// running — CI executes the exercises unfilled — so a graph function's stub
// returns Todo(x): a zero that depends on x, with zero gradients, which trains
// nothing and which the self-checks recognise.
//
// A self-check cell calls Check with the student's function, the reference,
// known wrong answers with a hint for each (Mistake), and inputs. It prints
// PASS, or what differs and, when the answer matches a known mistake, its
// hint.
package exercise

// Package plots draws the course's figures with gonum/plot and shows them
// inline in GoNB notebooks.
//
// Figures are shown as PNG images (GIF for animations) embedded in the cell's
// output: static outputs that are saved inside the notebook and survive in the
// rendered HTML, unlike JavaScript charts. Outside a notebook Show does nothing, so the same
// code runs in tests and command-line programs; Save writes a figure to a file.
//
// A figure is a gonum *plot.Plot, or several of them laid out in a grid
// (Row, Tiles): the helpers here build the plots the lectures need and return
// them, so that a notebook can still adjust titles, ranges or legends before
// showing them.
package plots

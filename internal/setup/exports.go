package setup

// What the course tool's other commands share with setup.

// DefaultPrefix is where "setup --system" installs unless told otherwise.
const DefaultPrefix = defaultSystemPrefix

// SeedStamp is the file in a shared cache seed (the warmed Go build cache,
// gopls's cache) that says which seed it is: "klcourse lab start" copies a
// seed into a student's cache when the stamps differ.
const SeedStamp = seedStamp

// JupyterDataDir is the user's Jupyter data folder, where the kernel is
// registered.
func JupyterDataDir() (string, error) { return jupyterDataDir() }

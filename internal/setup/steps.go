package setup

// setupSteps is what setup checks and installs, in the order it runs them, top
// to bottom: a user's install first (Jupyter, the tools, the backends, the
// data, the kernel), and with --system the lab's own pieces in between and
// after. Each step lives in the file of what it installs.
var setupSteps = []setupStep{
	// The course's own Python environment, from python/requirements.lock
	// (python/hub.lock with --system): JupyterLab, Notebook 7, nbclient.
	{name: "python", check: checkPythonEnv, install: installPythonEnv, fix: setupCommand},
	// GoNB and goimports, built from go.mod's pins.
	{name: "tools", check: checkTools, install: installTools, fix: fixTools},
	// Gopls, for Tab completion and Shift-Tab documentation.
	{name: "gopls", check: checkGopls, install: installGopls, fix: fixGopls},
	// gopls's cache of the course's packages, so that a notebook's first Tab
	// completion answers in seconds.
	{name: "gopls-cache", check: checkGoplsCache, install: installGoplsCache, fix: fixGoplsCache},
	// The course tool itself, for the hub and the students.
	{name: "klcourse", check: checkCourseTool, install: installCourseTool, fix: fixKlcourse, systemOnly: true},
	// ONNX Runtime, the CPU backend.
	{name: "onnxruntime", check: checkONNXRuntime, install: installONNXRuntime, fix: fixONNXRuntime},
	// The CUDA PJRT plugin, on machines with an NVIDIA GPU.
	{name: "cuda-pjrt", check: checkCUDAPlugin, install: installCUDAPlugin, fix: fixCUDAPlugin},
	// The data sets, checked by sha256.
	{name: "data", check: checkData, install: installData, fix: fixData},
	// The data, readable by every student.
	{name: "shared-data", check: checkSharedData, fix: fixSharedData, systemOnly: true},
	// The students' copy of the course.
	{name: "release", check: checkRelease, install: installRelease, fix: fixRelease, systemOnly: true},
	// Go's module cache, read-only, for offline builds.
	{name: "go-modules", check: checkModCache, install: installModCache, fix: fixGoModules, systemOnly: true},
	// A warmed Go build cache and gopls cache to seed students' own.
	{name: "build-cache", check: checkSeed, install: installSeed, fix: fixBuildCache, systemOnly: true},
	// The lab's shared run store (--runs BUNDLE), read-only for students.
	{name: "runs", check: checkRuns, install: installRuns, fix: fixRuns, systemOnly: true},
	// The GoNB kernel, registered with Jupyter.
	{name: "kernel", check: checkKernel, install: installKernel, fix: fixKernel},
	// JupyterHub and its configuration.
	{name: "jupyterhub", check: checkHub, install: installHub, fix: fixJupyterhub, systemOnly: true},
	// HTTPS for the hub, or the loopback only.
	{name: "hub-tls", check: checkHubTLS, fix: fixHubTLS, systemOnly: true},
	// The hub's cookie secret and database, root's alone.
	{name: "hub-secrets", check: checkHubSecrets, install: installHubSecrets, fix: fixHubSecrets, systemOnly: true},
	// The proxy's API on the loopback only.
	{name: "proxy-api", check: checkProxyAPI, fix: fixProxyAPI, systemOnly: true},
	// The instructor's checkout closed to students.
	{name: "solutions", check: checkSolutionsPrivate, install: installSolutionsPrivate, fix: fixSolutions, systemOnly: true},
}

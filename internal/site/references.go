package site

import (
	"bytes"
	"fmt"
	"path/filepath"

	"github.com/klcourse/klcourse/internal/safefile"
)

// A reference is one of the five documents the course is built from, named
// as the document itself names its authors, venue and date (where it names
// none, the entry says so).
type reference struct {
	ID    string // the anchor lectures can link to: references.html#ID
	Cite  string // HTML
	Takes string // what the course takes from it, HTML
}

// References are the course's sources, in the order the course meets them.
var references = []reference{
	{
		ID: "nutshell",
		Cite: `<em>ML for LFT in a Nutshell</em> — a summer-school notebook on machine learning for lattice field
theory (it follows “Prof. Cheng's lecture” of the school; the notebook names no author).`,
		Takes: `KL of two small arrays with Keras's <code>KLDivergence</code>; a CNN on CIFAR-10 (architecture, batch
250, 25 epochs, validation split 0.4) trained with a KL loss the student writes, then with the reverse KL;
the discussion of forward against reverse KL; the motivation: sampling
\(p(\phi) = e^{-S[\phi]}/Z\) for a lattice \(\phi^4\) theory.`,
	},
	{
		ID: "hjorth-jensen",
		Cite: `Morten Hjorth-Jensen, <em>Advanced machine learning and data analysis for the physical sciences</em>,
lecture notes (week of May 13–17, 2024), Department of Physics and Center for Computing in Science
Education, University of Oslo, and Department of Physics and Astronomy and Facility for Rare Isotope
Beams, Michigan State University; licence CC BY-NC. Cited in the lectures as “the lecture notes on
generative models”.`,
		Takes: `Autoencoders; energy-based models and restricted Boltzmann machines (binary–binary and
Gaussian–binary, contrastive divergence on MNIST); the KL divergence; variational autoencoders and the
ELBO; diffusion models; generative adversarial networks, the optimal discriminator and
\(L(G, D^*) = 2\,\mathrm{JS} - 2\log 2\).`,
	},
	{
		ID: "torch-blog",
		Cite: `A Chinese-language blog post on the KL divergence, “…KL散度 (KL Divergence)” (the start of its title
is lost to a bad character encoding in the copy the course has; it names no author), fitting a
Gaussian with PyTorch's KL loss.`,
		Takes: `A bimodal target \(\mathcal N(-5, 1) + \mathcal N(10, 1)\) on a grid, one Gaussian \(Q\) fitted by Adam
with <code>kl_div</code>, <code>mse_loss</code> and <code>cosine_similarity</code>; curves of the loss
and of \(\mu\); animations of \(Q\) moving.`,
	},
	{
		ID: "jax-blog",
		Cite: `The blog post <em>Forward and Reverse KL divergence with JAX</em> (it names no author; it cites
Colin Raffel's blog post on GANs and divergence minimisation,
<a href="https://colinraffel.com/blog/gans-and-divergence-minimization.html">colinraffel.com</a>, and
<a href="https://arxiv.org/abs/1606.00709">arXiv:1606.00709</a>).`,
		Takes: `A two-dimensional mixture of Gaussians; the maximum-likelihood fit of one Gaussian; forward against
reverse KL explained; a small GAN trained with KL-type losses; densities of real against generated
samples.`,
	},
	{
		ID: "tf-report",
		Cite: `The project report <em>Divergence types, usage in neural networks and minimizing them using gradient
descent</em>, written with TensorFlow (it names no author).`,
		Takes: `The discrete KL and Jensen–Shannon examples \(p = (0.10, 0.40, 0.50)\),
\(q = (0.80, 0.15, 0.05)\); minimising the KL divergence to \(\mathcal N(0, 2^2)\) by gradient descent;
a VAE on MNIST (784–256–2) with KL coefficients 0, 0.02, 1, 2 and 20.`,
	},
}

func writeReferences(out string) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, pageHead, "References · klcourse", "")
	b.WriteString(`<nav class="klcourse-nav"><span class="prev"></span><a class="index" href="index.html">Index</a> <a class="references" href="references.html">References</a><span class="next"></span></nav>` + "\n")
	b.WriteString(`<main><h1>References</h1>
<p>The course is written anew in Go, but what it teaches — the exercises, data, architectures,
hyperparameters and plots — comes from five documents, written by others for Python frameworks. They
contain mistakes (units, normalisation, reductions); where they do, the lectures say so and show the
correct numbers.</p>
<ol class="references">
`)
	for _, r := range references {
		fmt.Fprintf(&b, "<li id=\"%s\"><p>%s</p><p><strong>What the course takes from it:</strong> %s</p></li>\n", r.ID, r.Cite, r.Takes)
	}
	b.WriteString("</ol>\n</main>\n</body>\n</html>\n")
	return safefile.WriteBytes(filepath.Join(out, "references.html"), b.Bytes())
}

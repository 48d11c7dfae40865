# The CNN of the summer-school notebook (lecture 2): CIFAR-10, batch 250,
# Adam(lr 1e-3), softmax cross-entropy. Go: BenchmarkCNN in pkg/convnet.


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = glorot(nn.Conv2d(3, 32, 3))
        self.conv2 = glorot(nn.Conv2d(32, 128, 3))
        self.dense1 = glorot(nn.Linear(6 * 6 * 128, 64))
        self.dense2 = glorot(nn.Linear(64, 10))

    def forward(self, x):
        x = F.dropout(F.max_pool2d(torch.tanh(self.conv1(x)), 2), 0.4, self.training)
        x = F.dropout(F.max_pool2d(F.relu(self.conv2(x)), 2), 0.7, self.training)
        x = torch.exp(self.dense1(torch.flatten(x, 1)))
        return self.dense2(x)


@workload("cnn")
def cnn_workload(mode):
    m = CNN()
    opt = torch.optim.Adam(m.parameters(), lr=1e-3, eps=1e-7)
    batch = 250
    data = lambda: (torch.rand(batch, 3, 32, 32), torch.randint(0, 10, (batch,)))
    loss = lambda x: F.cross_entropy(m(x[0]), x[1])
    return batch, data, trainer_steps(mode, m, opt, loss)


def cnn_jax_init(key):
    k = jax.random.split(key, 4)
    # Convolution kernels HWIO; Keras's fan_in/fan_out for a 3x3 kernel.
    return {"conv1": jax_glorot(k[0], 3 * 9, 32 * 9, (3, 3, 3, 32)), "conv2": jax_glorot(k[1], 32 * 9, 128 * 9, (3, 3, 32, 128)),
            "dense1": jax_glorot(k[2], 6 * 6 * 128, 64), "dense2": jax_glorot(k[3], 64, 10)}


def cnn_jax_logits(p, x, key, train):
    """x: [batch, 32, 32, 3] (NHWC, as GoMLX's layers)."""
    def conv(q, x):
        return jax.lax.conv_general_dilated(x, q["w"], (1, 1), "VALID", dimension_numbers=("NHWC", "HWIO", "NHWC")) + q["b"]

    def pool(x):
        return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")

    def dropout(x, rate, key):
        if not train:
            return x
        keep = jax.random.uniform(key, x.shape, f32) >= rate
        return jnp.where(keep, x / (1 - rate), 0)

    k1, k2 = jax.random.split(key)
    x = dropout(pool(jnp.tanh(conv(p["conv1"], x))), 0.4, k1)
    x = dropout(pool(jax.nn.relu(conv(p["conv2"], x))), 0.7, k2)
    x = jnp.exp(jax_dense(p["dense1"], x.reshape(x.shape[0], -1)))
    return jax_dense(p["dense2"], x)


@workload("cnn", framework="jax")
def cnn_jax_workload(mode):
    batch = 250
    rng = np.random.default_rng(1)
    train = mode == "train"

    def loss(p, data, key):
        images, labels = data
        logits = cnn_jax_logits(p, images, key, train)
        return (jax.nn.logsumexp(logits, 1) - jnp.take_along_axis(logits, labels[:, None], 1)[:, 0]).mean()

    def data():
        return np_rand(batch, 32, 32, 3), jnp.asarray(rng.integers(0, 10, batch, dtype=np.int32))

    return batch, data, jax_trainer(mode, cnn_jax_init(jax.random.PRNGKey(0)), loss, adam(1e-3, eps=1e-7))


def cnn_flops():
    """The FLOPs of the CNN at batch 250 as torch's FlopCounterMode counts them
    (convolutions and matrix products, 2 per multiply-add; a backward
    convolution computes only the gradients it needs, none for the images):
    the forward pass, and one training step's forward and backward."""
    from torch.utils.flop_counter import FlopCounterMode
    m = CNN()
    batch = 250
    x, y = torch.rand(batch, 3, 32, 32), torch.randint(0, 10, (batch,))
    m.eval()
    with torch.no_grad(), FlopCounterMode(display=False) as fwd:
        m(x)
    m.train()
    with FlopCounterMode(display=False) as step:
        F.cross_entropy(m(x), y).backward()
    by_op = {str(k): v for k, v in step.get_flop_counts()["Global"].items()}
    return {"batch": batch, "forward": fwd.get_total_flops(), "train_step": step.get_total_flops(), "train_step_by_op": by_op}


FLOPS["cnn"] = cnn_flops

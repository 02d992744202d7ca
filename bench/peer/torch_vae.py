#!/usr/bin/env python3
"""PyTorch peers of VAE Lab's benchmark models, for bench/run.mjs.

--model mlp (default): same model, data, loss, optimizer and batch size as examples/mnist-vae.vae.json:
  encoder Linear(784, 400) - ReLU - Linear(400, 20) for the mean and Linear(400, 20) for the log-variance,
  decoder Linear(20, 400) - ReLU - Linear(400, 784) logits,
  loss = BCE-with-logits summed over the 784 pixels + closed-form KL(q(z|x) || N(0, I)), mean over the batch,
  Adam (lr 1e-3), batch 128 (the last batch of an epoch is partial, as in the engine), reshuffled every epoch.
Data: the first --train digits (default 7,200) of the engine's MNIST cache (dist/data/mnist-10k.bin), scaled /255.

Each epoch's training loop is timed on its own (no validation, nothing else); the first epoch is the warm-up and is
excluded; examplesPerSecond = train examples / median of the remaining epoch times. Prints one JSON object.

--idx DIR (with --model mlp): the data are the four MNIST-format files in DIR (train-images-idx3-ubyte.gz,
train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz, e.g. Fashion-MNIST): all training
images (or the first --train), /255, and after every epoch the test set is evaluated the way pytorch/examples'
vae/main.py does (its test()): the sum over the test images of BCE (summed over the 784 pixels) + KLD, one sample of z
per image, in batches of 128 under no_grad, divided by the number of test images. Here the BCE is computed from the
logits (binary_cross_entropy_with_logits), which is the example's sigmoid + binary_cross_entropy without its clamp of
log at -100. The per-epoch test losses are in the JSON as testLoss, their times as testSeconds; each epoch's line
"====> Epoch: N Average loss: ... / ====> Test set loss: ..." also goes to stderr.
--reduction sum trains on the loss summed over the batch, as pytorch/examples does (the default, mean, is VAE Lab's
mean over the batch; with Adam the two differ only through its epsilon). trainLoss is per example either way.

--model conv: the same network, objective, optimizer and batch size as examples/shapes-beta-vae.vae.json (NCHW here,
NHWC in TF.js; the same arithmetic):
  encoder Conv2d(1, 32, 4, stride 2, padding 1) - ReLU - Conv2d(32, 32, ...) - ReLU - Conv2d(32, 64, ...) - ReLU
    (32x32 -> 16 -> 8 -> 4; TF.js 'same' padding of a 4x4 kernel with stride 2 pads 1 on each side),
    flatten (1,024) - Linear(1024, 256) - ReLU - Linear(256, 6) mean and Linear(256, 6) log-variance,
  decoder Linear(6, 256) - ReLU - Linear(256, 1024) - ReLU - reshape 64x4x4 - ConvTranspose2d(64, 32, 4, 2, 1) - ReLU
    - ConvTranspose2d(32, 32, ...) - ReLU - ConvTranspose2d(32, 1, ...) logits (4 -> 8 -> 16 -> 32),
  loss = mean over the batch of BCE-with-logits summed over the 1,024 pixels + beta * |mean KL - C|, beta = 50,
    C = 20 * min(1, step / 1000) (the capacity objective), Adam (lr 5e-4), batch 64, reshuffled every epoch.
Data: --train synthetic 32x32x1 images (a filled ellipse or square of random size, aspect, position and rotation on
black, anti-aliased, values in [0, 1]); the engine's procedural shapes look alike, and the compute does not depend on
the pixel values.
"""
import argparse
import gzip
import json
import os
import statistics
import struct
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

PIXELS = 784


def load_cache(path, count):
    with open(path, 'rb') as f:
        buf = f.read()
    if buf[:8] != b'VAEMNIST':
        raise SystemExit(f'{path} is not a VAE Lab MNIST cache')
    n, n_train = struct.unpack_from('<II', buf, 8)
    if len(buf) != 16 + n * (PIXELS + 1):
        raise SystemExit(f'{path} is truncated ({len(buf)} bytes for {n} digits)')
    count = min(count, n_train)
    px = torch.frombuffer(bytearray(buf[16:16 + count * PIXELS]), dtype=torch.uint8)
    return px.reshape(count, PIXELS).to(torch.float32).div_(255.0)


def read_idx_gz(path, ndim):
    """The uint8 payload of a gzip'd IDX file with `ndim` dimensions, as a tensor of its shape."""
    with gzip.open(path, 'rb') as f:
        buf = f.read()
    if len(buf) < 4 + 4 * ndim or buf[:3] != b'\x00\x00\x08' or buf[3] != ndim:
        raise SystemExit(f'{path} is not a uint8 IDX file with {ndim} dimension(s)')
    dims = struct.unpack_from('>' + 'I' * ndim, buf, 4)
    count = 1
    for d in dims:
        count *= d
    start = 4 + 4 * ndim
    if len(buf) != start + count:
        raise SystemExit(f'{path}: {len(buf)} bytes for shape {list(dims)}')
    return torch.frombuffer(bytearray(buf[start:]), dtype=torch.uint8).reshape(*dims)


def load_idx_dir(folder, train_count=None):
    """Training and test images of an MNIST-format folder, flattened to 784 values in [0, 1]."""
    def images(name):
        x = read_idx_gz(os.path.join(folder, name), 3)
        if x.shape[1] * x.shape[2] != PIXELS:
            raise SystemExit(f'{name}: images of {x.shape[1]}x{x.shape[2]}, the MLP needs 28x28')
        return x.reshape(x.shape[0], PIXELS).to(torch.float32).div_(255.0)
    train = images('train-images-idx3-ubyte.gz')
    if train_count:
        train = train[:train_count]
    return train, images('t10k-images-idx3-ubyte.gz')


def test_loss(model, x, batch=128):
    """pytorch/examples vae/main.py's test(): (sum of BCE + KLD over the test set, one z each) / test images."""
    total = 0.0
    with torch.no_grad():
        for i in range(0, x.shape[0], batch):
            xb = x[i:i + batch]
            _, recon, kl = model.loss(xb)
            total += float(recon + kl) * xb.shape[0]  # model.loss gives means over the batch
    return total / x.shape[0]


def synthetic_shapes(count, size=32, seed=0):
    """count x 1 x size x size images in [0, 1]: one ellipse or square each, anti-aliased by 2x2 supersampling."""
    g = torch.Generator().manual_seed(seed)
    ss = 2
    axis = (torch.arange(size * ss, dtype=torch.float32) + 0.5) / ss
    yy, xx = torch.meshgrid(axis, axis, indexing='ij')
    out = torch.empty(count, 1, size, size)
    for start in range(0, count, 512):
        n = min(512, count - start)
        r = lambda lo, hi: (lo + (hi - lo) * torch.rand(n, 1, 1, generator=g))
        radius = r(0.1 * size, 0.2 * size)
        cx, cy = r(0.3 * size, 0.7 * size), r(0.3 * size, 0.7 * size)
        aspect, angle = r(0.6, 1.0), r(0.0, 3.1416)
        square = torch.rand(n, 1, 1, generator=g) < 0.5
        dx, dy = xx - cx, yy - cy
        u = (torch.cos(angle) * dx + torch.sin(angle) * dy) / radius
        v = (-torch.sin(angle) * dx + torch.cos(angle) * dy) / (radius * aspect)
        inside = torch.where(square, torch.maximum(u.abs(), v.abs()) <= 0.8, u * u + v * v <= 1).float()
        out[start:start + n, 0] = inside.reshape(n, size, ss, size, ss).mean((2, 4))
    return out


class VAE(nn.Module):
    def __init__(self, latent=20, hidden=400):
        super().__init__()
        self.enc = nn.Linear(PIXELS, hidden)
        self.mean = nn.Linear(hidden, latent)
        self.logvar = nn.Linear(hidden, latent)
        self.dec1 = nn.Linear(latent, hidden)
        self.dec2 = nn.Linear(hidden, PIXELS)

    def loss(self, x):
        h = F.relu(self.enc(x))
        mu, logvar = self.mean(h), self.logvar(h)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        logits = self.dec2(F.relu(self.dec1(z)))
        recon = F.binary_cross_entropy_with_logits(logits, x, reduction='none').sum(1)
        kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)
        return (recon + kl).mean(), recon.mean(), kl.mean()


class ConvBetaVAE(nn.Module):
    """examples/shapes-beta-vae.vae.json: conv filters [32, 32, 64], kernel 4, stride 2, dense [256], latent 6."""

    def __init__(self, latent=6, filters=(32, 32, 64), hidden=256, beta=50.0, c_max=20.0, c_steps=1000):
        super().__init__()
        c = [1, *filters]
        self.enc = nn.ModuleList(nn.Conv2d(c[i], c[i + 1], 4, stride=2, padding=1) for i in range(len(filters)))
        self.enc_dense = nn.Linear(filters[-1] * 4 * 4, hidden)
        self.mean = nn.Linear(hidden, latent)
        self.logvar = nn.Linear(hidden, latent)
        self.dec_dense = nn.Linear(latent, hidden)
        self.dec_project = nn.Linear(hidden, filters[-1] * 4 * 4)
        f = list(reversed(filters))  # 64, 32, 32
        outs = [*f[1:], 1]
        self.dec = nn.ModuleList(nn.ConvTranspose2d(f[i], outs[i], 4, stride=2, padding=1) for i in range(len(filters)))
        self.top = filters[-1]
        self.beta, self.c_max, self.c_steps = beta, c_max, c_steps
        self.step = 0

    def loss(self, x):
        h = x
        for conv in self.enc:
            h = F.relu(conv(h))
        h = F.relu(self.enc_dense(h.flatten(1)))
        mu, logvar = self.mean(h), self.logvar(h)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        h = F.relu(self.dec_project(F.relu(self.dec_dense(z)))).reshape(-1, self.top, 4, 4)
        for i, deconv in enumerate(self.dec):
            h = deconv(h)
            if i < len(self.dec) - 1:
                h = F.relu(h)
        recon = F.binary_cross_entropy_with_logits(h, x, reduction='none').flatten(1).sum(1)
        kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)
        capacity = self.c_max * min(1.0, self.step / self.c_steps)
        self.step += 1
        return recon.mean() + self.beta * (kl.mean() - capacity).abs(), recon.mean(), kl.mean()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--model', choices=('mlp', 'conv'), default='mlp', help='mlp: mnist-vae; conv: shapes-beta-vae')
    p.add_argument('--cache', help='dist/data/mnist-10k.bin (--model mlp needs it or --idx)')
    p.add_argument('--idx', help='folder of the four MNIST-format .gz files: train on all training images, evaluate '
                                 'the test set after every epoch as pytorch/examples vae/main.py does')
    p.add_argument('--reduction', choices=('mean', 'sum'), default='mean',
                   help='training loss over the batch: mean (VAE Lab) or sum (pytorch/examples)')
    p.add_argument('--train', type=int, default=None,
                   help='training examples: mlp the first of the training pool (default 7200), conv synthetic (default 8640)')
    p.add_argument('--epochs', type=int, default=6, help='epochs, the first is the warm-up (at least 2)')
    p.add_argument('--batch', type=int, default=None, help='default 128 (mlp), 64 (conv)')
    p.add_argument('--lr', type=float, default=None, help='default 1e-3 (mlp), 5e-4 (conv)')
    p.add_argument('--threads', type=int, default=0, help='torch.set_num_threads (0: leave the default)')
    p.add_argument('--seed', type=int, default=42)
    a = p.parse_args()
    if a.epochs < 2:
        raise SystemExit('--epochs must be at least 2 (the first is the warm-up)')
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    conv = a.model == 'conv'
    batch = a.batch or (64 if conv else 128)
    lr = a.lr or (5e-4 if conv else 1e-3)
    if conv:
        x = synthetic_shapes(a.train or 8640, seed=a.seed)
        model = ConvBetaVAE()
    elif a.idx:
        x, x_test = load_idx_dir(a.idx, a.train)
        model = VAE()
    else:
        if not a.cache:
            raise SystemExit('--cache or --idx is required for --model mlp')
        x = load_cache(a.cache, a.train or 7200)
        model = VAE()
    if a.idx and conv:
        raise SystemExit('--idx goes with --model mlp')
    n = x.shape[0]
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    epoch_seconds, losses, test_losses, test_seconds = [], [], [], []
    for epoch in range(a.epochs):
        start = time.perf_counter()
        order = torch.randperm(n)
        total = torch.zeros(())
        for i in range(0, n, batch):
            xb = x[order[i:i + batch]]
            loss, _, _ = model.loss(xb)
            if a.reduction == 'sum':
                loss = loss * xb.shape[0]  # the batch's sum, as pytorch/examples trains
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.detach() * (xb.shape[0] if a.reduction == 'mean' else 1)
        mean_loss = float(total) / n  # read once per epoch, inside the timed loop like the engine's metric reads
        epoch_seconds.append(time.perf_counter() - start)
        losses.append(mean_loss)
        if a.idx:
            t0 = time.perf_counter()
            test_losses.append(test_loss(model, x_test))
            test_seconds.append(time.perf_counter() - t0)
            sys.stderr.write(f'====> Epoch: {epoch + 1} Average loss: {mean_loss:.4f} ({epoch_seconds[-1]:.1f} s)\n'
                             f'====> Test set loss: {test_losses[-1]:.4f}\n')
            sys.stderr.flush()
    measured = epoch_seconds[1:]
    json.dump({
        'framework': 'pytorch',
        'model': a.model,
        'parameters': sum(t.numel() for t in model.parameters()),
        'torch': torch.__version__,
        'python': sys.version.split()[0],
        'threads': torch.get_num_threads(),
        'interopThreads': torch.get_num_interop_threads(),
        'env': {k: os.environ[k] for k in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'OMP_WAIT_POLICY', 'MKL_NUM_THREADS') if k in os.environ},
        'blas': blas_name(),
        'trainExamples': n,
        'batchSize': batch,
        'epochs': a.epochs,
        'epochSeconds': [round(s, 4) for s in epoch_seconds],
        'examplesPerSecond': n / statistics.median(measured),
        'trainLoss': [round(v, 2) for v in losses],
        **({'seed': a.seed, 'reduction': a.reduction, 'testExamples': x_test.shape[0],
            'testLoss': [round(v, 4) for v in test_losses], 'testSeconds': [round(s, 3) for s in test_seconds]}
           if a.idx else {}),
    }, sys.stdout)
    sys.stdout.write('\n')


def blas_name():
    """Which BLAS the process loaded (Debian's libblas.so.3 alternatives: reference BLAS, OpenBLAS pthread/openmp...)."""
    try:
        with open('/proc/self/maps') as f:
            libs = {line.split()[-1] for line in f if '/' in line and 'blas' in line.split()[-1].lower()}
        real = sorted({os.path.realpath(l) for l in libs})
        openblas = [r for r in real if 'libopenblas' in os.path.basename(r)]
        return (openblas or real or ['none loaded'])[0]
    except OSError:
        return 'unknown'


if __name__ == '__main__':
    main()

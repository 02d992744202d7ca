#!/usr/bin/env python3
"""PyTorch peer of VAE Lab's reference VAE, for bench/run.mjs.

Same model, data, loss, optimizer and batch size as examples/mnist-vae.vae.json:
  encoder Linear(784, 400) - ReLU - Linear(400, 20) for the mean and Linear(400, 20) for the log-variance,
  decoder Linear(20, 400) - ReLU - Linear(400, 784) logits,
  loss = BCE-with-logits summed over the 784 pixels + closed-form KL(q(z|x) || N(0, I)), mean over the batch,
  Adam (lr 1e-3), batch 128 (the last batch of an epoch is partial, as in the engine), reshuffled every epoch.
Data: the first --train digits (default 7,200) of the engine's MNIST cache (dist/data/mnist-10k.bin), scaled /255.

Each epoch's training loop is timed on its own (no validation, nothing else); the first epoch is the warm-up and is
excluded; examplesPerSecond = train examples / median of the remaining epoch times. Prints one JSON object.
"""
import argparse
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


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--cache', required=True, help='dist/data/mnist-10k.bin')
    p.add_argument('--train', type=int, default=7200, help='number of training digits (first of the training pool)')
    p.add_argument('--epochs', type=int, default=6, help='epochs, the first is the warm-up (at least 2)')
    p.add_argument('--batch', type=int, default=128)
    p.add_argument('--lr', type=float, default=1e-3)
    p.add_argument('--threads', type=int, default=0, help='torch.set_num_threads (0: leave the default)')
    p.add_argument('--seed', type=int, default=42)
    a = p.parse_args()
    if a.epochs < 2:
        raise SystemExit('--epochs must be at least 2 (the first is the warm-up)')
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    x = load_cache(a.cache, a.train)
    n = x.shape[0]
    model = VAE()
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    epoch_seconds, losses = [], []
    for _ in range(a.epochs):
        start = time.perf_counter()
        order = torch.randperm(n)
        total = torch.zeros(())
        for i in range(0, n, a.batch):
            xb = x[order[i:i + a.batch]]
            loss, _, _ = model.loss(xb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.detach() * xb.shape[0]
        mean_loss = float(total) / n  # read once per epoch, inside the timed loop like the engine's metric reads
        epoch_seconds.append(time.perf_counter() - start)
        losses.append(mean_loss)
    measured = epoch_seconds[1:]
    json.dump({
        'framework': 'pytorch',
        'torch': torch.__version__,
        'python': sys.version.split()[0],
        'threads': torch.get_num_threads(),
        'interopThreads': torch.get_num_interop_threads(),
        'env': {k: os.environ[k] for k in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'OMP_WAIT_POLICY', 'MKL_NUM_THREADS') if k in os.environ},
        'blas': blas_name(),
        'trainExamples': n,
        'batchSize': a.batch,
        'epochs': a.epochs,
        'epochSeconds': [round(s, 4) for s in epoch_seconds],
        'examplesPerSecond': n / statistics.median(measured),
        'trainLoss': [round(v, 2) for v in losses],
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

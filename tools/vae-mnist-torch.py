# vae-mnist-torch.py: the same dense VAE as tools/vae-mnist.ts, written independently in PyTorch, for
# the issue 11 comparison: 784-256-16 (the encoder's last layer outputs mean and log-variance, 2 x 16),
# relu, sigmoid output; loss = mean BCE per pixel + beta * mean KL per image / 784 (the package's
# convention, the ELBO divided by 784); Glorot-uniform weights and zero biases (the package's init);
# Adam 1e-3 (eps 1e-8), batch 64, reshuffled each epoch, 100 epochs on the 2,000 training images
# (pixels / 255). Prints the negative ELBO per image in nats on the 500 test images, over 5 draws:
# sum of BCE (log clamped at -100, as PyTorch's) + KL.
# Usage: /usr/bin/python3 tools/vae-mnist-torch.py [epochs] [seed]   (Debian: apt-get install python3-torch;
# /usr/bin/python3 is the Python that package installs into)
import json, sys, time
import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

EPOCHS = int(sys.argv[1]) if len(sys.argv) > 1 else 100
SEED = int(sys.argv[2]) if len(sys.argv) > 2 else 1
torch.manual_seed(SEED)
torch.set_num_threads(1)
D, H, L = 784, 256, 16
base = __file__.rsplit('/', 2)[0] + '/../shared/datasets/mnist/'
load = lambda f: torch.tensor(np.fromfile(base + f, dtype=np.uint8).reshape(-1, D).astype(np.float32) / 255.0)
x_train, x_test = load('mnist-subset-train-images.u8'), load('mnist-subset-test-images.u8')

def dense(i, o):
    m = nn.Linear(i, o)
    nn.init.xavier_uniform_(m.weight)
    nn.init.zeros_(m.bias)
    return m

enc1, head, dec1, dec2 = dense(D, H), dense(H, 2 * L), dense(L, H), dense(H, D)
params = [p for m in (enc1, head, dec1, dec2) for p in m.parameters()]
opt = torch.optim.Adam(params, lr=1e-3, eps=1e-8)

def posterior(x):
    h = head(F.relu(enc1(x)))
    return h[:, :L], h[:, L:]

def decode(z):
    return torch.sigmoid(dec2(F.relu(dec1(z))))

def kl_rows(mu, lv):
    return -0.5 * (1 + lv - mu * mu - lv.exp()).sum(1)

t0 = time.time()
for epoch in range(EPOCHS):
    perm = torch.randperm(x_train.shape[0])
    for s in range(0, x_train.shape[0], 64):
        x = x_train[perm[s:s + 64]]
        mu, lv = posterior(x)
        z = mu + (lv / 2).exp() * torch.randn_like(mu)
        loss = F.binary_cross_entropy(decode(z), x, reduction='mean') + kl_rows(mu, lv).mean() / D
        opt.zero_grad()
        loss.backward()
        opt.step()
with torch.no_grad():
    mu, lv = posterior(x_test)
    nll = torch.zeros(x_test.shape[0])
    for _ in range(5):
        z = mu + (lv / 2).exp() * torch.randn_like(mu)
        nll += F.binary_cross_entropy(decode(z), x_test, reduction='none').sum(1)
    elbo = nll / 5 + kl_rows(mu, lv)
print(json.dumps({'torch': torch.__version__, 'epochs': EPOCHS, 'seed': SEED, 'trainS': round(time.time() - t0, 1),
                  'testNegElboPerImage': elbo.mean().item(), 'testKlPerImage': kl_rows(mu, lv).mean().item()}))

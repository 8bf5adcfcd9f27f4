# Dev tool, not a dependency: trains one UNet variant in PyTorch CPU with `deno task paper`'s default budget, to
# tell the budget's effect from our engine's (README, The paper's experiment). 10 epochs x 15 steps of batch 16,
# random 64^2 crops, sky augmentation, flips and rotations, Adam lr 0.005, BCE over the kept pixels; BatchNorm:
# batch statistics for 4 epochs, then re-estimated from 16 batches (update_bn) and frozen. Prints the validation
# loss (full 256^2 val chunks, eval mode) and the largest probability after each epoch.
#   /usr/bin/python3 bench/torch_paper_budget.py runs/paper/data/decam deepcr|cosmic-conn
# Needs python3-torch and python3-astropy (Debian).
import os, sys, glob, numpy as np, torch, torch.nn as nn
from astropy.io import fits
# The model definitions of torch_train.py (everything before its command line).
exec(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'torch_train.py')).read().split('p = argparse')[0])
torch.set_num_threads(2); torch.manual_seed(0); rng = np.random.default_rng(0)
d = sys.argv[1].rstrip('/') + '/'
def load(pat):
    I, M, G, S = [], [], [], []
    for f in sorted(glob.glob(d + pat)):
        h = fits.open(f); I.append(h['IMAGE'].data.astype(np.float32)); M.append(h['MASK'].data.astype(np.float32))
        G.append(h['IGNORE'].data.astype(np.float32) if 'IGNORE' in h else np.zeros_like(M[-1])); S.append(h['SKY'].data.astype(np.float32))
    return np.concatenate(I), np.concatenate(M), np.concatenate(G), np.concatenate(S)
TI, TM, TG, TS = load('train-*.fits'); VI, VM, VG, VS = load('val-*.fits')
def batch(n=16, p=64):
    idx = rng.integers(0, len(TI), n); xs, ms, gs = [], [], []
    for i in idx:
        y, x = rng.integers(0, 256 - p + 1, 2); a = rng.uniform(-0.9, 3)
        im = TI[i, y:y+p, x:x+p] + a * TS[i]; m = TM[i, y:y+p, x:x+p]; g = TG[i, y:y+p, x:x+p]
        k = rng.integers(0, 8)
        f = lambda z: np.rot90(z[:, ::-1] if k >= 4 else z, k % 4).copy()
        xs.append(f(im)); ms.append(f(m)); gs.append(f(g))
    t = lambda l: torch.from_numpy(np.stack(l))[:, None]
    return t(xs), t(ms), t(gs)
def bce(p, m, g):
    w = 1 - g; return (nn.functional.binary_cross_entropy(p, m, reduction='none') * w).sum() / w.sum()
def val(model):
    model.eval()
    with torch.no_grad():
        p = model(torch.from_numpy(VI)[:, None]); l = bce(p, torch.from_numpy(VM)[:, None], torch.from_numpy(VG)[:, None])
    return l.item(), p.max().item()
name = sys.argv[2]
k, att = {'deepcr': ('batch', False), 'att-deepcr': ('batch', True), 'cosmic-conn': ('group', False), 'att-cosmic-conn': ('group', True)}[name]
model = UNet(k, att); opt = torch.optim.Adam(model.parameters(), lr=0.005)
bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
for ep in range(1, 11):
    frozen = k == 'batch' and ep > 4
    if frozen and ep == 5:
        for b in bns: b.reset_running_stats(); b.momentum = None
        model.train()
        with torch.no_grad():
            for _ in range(16): model(batch()[0])
        for b in bns: b.momentum = 0.005
    for s in range(15):
        model.train()
        if frozen:
            for b in bns: b.eval()
        x, m, g = batch(); opt.zero_grad(); l = bce(model(x), m, g); l.backward(); opt.step()
    vl, pmax = val(model)
    print(f'{name} epoch {ep}: train {l.item():.4f} val {vl:.5f} max p {pmax:.4f}', flush=True)

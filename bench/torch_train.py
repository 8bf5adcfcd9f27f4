# Dev tool, not a dependency: PyTorch CPU training-step speed of the same four UNet-3-32 variants (batch 16 × 256²,
# BCE on sigmoid outputs, Adam lr 0.005), for bench/train.ts --torch. Prints {"variant": patches/s, ...} as JSON.
#   /usr/bin/python3 bench/torch_train.py [--threads 2] [--reps 2] > torch.json
import argparse, json, sys, time
import torch
import torch.nn as nn

def norm(kind, c):
    return nn.BatchNorm2d(c, momentum=0.005) if kind == "batch" else nn.GroupNorm(min(8, c), c, affine=False)

class Double(nn.Module):
    def __init__(s, ci, co, k):
        super().__init__()
        s.f = nn.Sequential(nn.Conv2d(ci, co, 3, padding=1), norm(k, co), nn.ReLU(), nn.Conv2d(co, co, 3, padding=1), norm(k, co), nn.ReLU())
    def forward(s, x): return s.f(x)

class Gate(nn.Module):
    # Additive attention (Oktay et al.): psi(relu(Wg g + Wx x)) gates the skip.
    def __init__(s, c, k):
        super().__init__()
        s.wg = nn.Sequential(nn.Conv2d(c, c // 2, 1), norm(k, c // 2))
        s.wx = nn.Sequential(nn.Conv2d(c, c // 2, 1), norm(k, c // 2))
        s.psi = nn.Sequential(nn.Conv2d(c // 2, 1, 1), norm(k, 1), nn.Sigmoid())
    def forward(s, g, x): return x * s.psi(torch.relu(s.wg(g) + s.wx(x)))

class UNet(nn.Module):
    def __init__(s, k, att):
        super().__init__()
        s.inc, s.d1, s.d2 = Double(1, 32, k), Double(32, 64, k), Double(64, 128, k)
        s.u2, s.u1 = nn.ConvTranspose2d(128, 64, 2, 2), nn.ConvTranspose2d(64, 32, 2, 2)
        s.c2, s.c1 = Double(128, 64, k), Double(64, 32, k)
        s.g2, s.g1 = (Gate(64, k), Gate(32, k)) if att else (None, None)
        s.out = nn.Conv2d(32, 1, 1)
    def forward(s, x):
        x1 = s.inc(x); x2 = s.d1(nn.functional.max_pool2d(x1, 2)); x3 = s.d2(nn.functional.max_pool2d(x2, 2))
        u = s.u2(x3); k2 = s.g2(u, x2) if s.g2 else x2; y = s.c2(torch.cat([k2, u], 1))
        u = s.u1(y); k1 = s.g1(u, x1) if s.g1 else x1; y = s.c1(torch.cat([k1, u], 1))
        return torch.sigmoid(s.out(y))

p = argparse.ArgumentParser()
p.add_argument("--threads", type=int, default=2); p.add_argument("--reps", type=int, default=2)
p.add_argument("--batch", type=int, default=16); p.add_argument("--patch", type=int, default=256)
a = p.parse_args()
torch.set_num_threads(a.threads); torch.manual_seed(0)
x = 100 + 5 * torch.rand(a.batch, 1, a.patch, a.patch); t = (torch.rand_like(x) < 3e-4).float(); x = x + 300 * t
out = {}
for name, k, att in [("deepcr", "batch", False), ("att-deepcr", "batch", True), ("cosmic-conn", "group", False), ("att-cosmic-conn", "group", True)]:
    m = UNet(k, att); opt = torch.optim.Adam(m.parameters(), lr=0.005); runs = []
    for r in range(a.reps + 1):
        t0 = time.perf_counter(); opt.zero_grad(); l = nn.functional.binary_cross_entropy(m(x), t); l.backward(); opt.step(); l.item()
        runs.append(time.perf_counter() - t0)
    s = sorted(runs[1:])[(a.reps - 1) // 2]
    out[name] = a.batch / s
    print(f"{name}: {s:.2f} s/step, {a.batch / s:.3f} patches/s, runs {['%.2f' % r for r in runs[1:]]}", file=sys.stderr)
print(json.dumps(out))

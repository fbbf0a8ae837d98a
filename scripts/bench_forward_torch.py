"""PyTorch side of the forward benchmark: the same network, batch and thread count as `anchornet forward-bench`."""
import argparse
import time

import torch
import torchvision

parser = argparse.ArgumentParser()
parser.add_argument("--arch", default="densenet201")
parser.add_argument("--batch-size", type=int, default=32)
parser.add_argument("--input", type=int, default=95)
parser.add_argument("--iterations", type=int, default=10)
parser.add_argument("--warmup", type=int, default=3)
parser.add_argument("--threads", type=int, default=2)
args = parser.parse_args()

torch.set_num_threads(args.threads)
net = getattr(torchvision.models, args.arch)().eval()
times = []
with torch.no_grad():
    for i in range(-args.warmup, args.iterations):
        x = torch.randn(args.batch_size, 3, args.input, args.input)
        start = time.perf_counter()
        net(x).numpy()
        if i >= 0:
            times.append((time.perf_counter() - start) * 1000)
times.sort()
print("torch %s %s batch %d×3×%d×%d: median %.1f ms, min %.1f ms, max %.1f ms over %d batches" % (
    torch.__version__, args.arch, args.batch_size, args.input, args.input, times[len(times) // 2], times[0],
    times[-1], args.iterations))

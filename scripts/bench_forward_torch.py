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
parser.add_argument("--train", action="store_true", help="time training steps (forward, backward, Nesterov SGD)")
parser.add_argument("--weights", help="load this state dict (torch.load + load_state_dict) instead of random weights")
args = parser.parse_args()

torch.set_num_threads(args.threads)
if args.arch == "anchornet":
    import importlib.util, os
    spec = importlib.util.spec_from_file_location("anchornet_ref", os.path.join(os.path.dirname(__file__), "anchornet_torch.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    net = module.AnchorNetTorch()
else:
    net = getattr(torchvision.models, args.arch)()
if args.weights:
    state = torch.load(args.weights)
    net.load_state_dict(state.get("state_dict", state))
    del state
times = []
if args.train:
    net.train()
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4, nesterov=True)
    loss_fn = torch.nn.CrossEntropyLoss()
    for i in range(-args.warmup, args.iterations):
        x = torch.randn(args.batch_size, 3, args.input, args.input)
        y = torch.randint(0, 1000, (args.batch_size,))
        start = time.perf_counter()
        out = net(x)
        loss = loss_fn(out[-1] if isinstance(out, tuple) else out, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        loss.item()
        if i >= 0:
            times.append((time.perf_counter() - start) * 1000)
else:
    net.eval()
    with torch.no_grad():
        for i in range(-args.warmup, args.iterations):
            x = torch.randn(args.batch_size, 3, args.input, args.input)
            start = time.perf_counter()
            out = net(x)
            (out[-1] if isinstance(out, tuple) else out).numpy()
            if i >= 0:
                times.append((time.perf_counter() - start) * 1000)
times.sort()
median = times[len(times) // 2]
print("torch %s %s %s batch %d×3×%d×%d: median %.1f ms (%.1f images/s), min %.1f ms, max %.1f ms over %d batches" % (
    torch.__version__, args.arch, "train step" if args.train else "forward", args.batch_size, args.input, args.input,
    median, args.batch_size * 1000 / median, times[0], times[-1], args.iterations))

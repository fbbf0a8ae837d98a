"""Check by hand (not in CI) that a cascade package written by Java loads in PyTorch.

Usage: /usr/bin/python3 scripts/check_torch_load.py CASCADE_DIR [IMAGE.png]

Loads each weight file with torch.load, checks its SHA-256 against cascade.json, loads it with
load_state_dict(strict=True) into torchvision's network / the plain-PyTorch AnchorNet, and, given an image that
needs no resize (eval_resize == input_size), prints AnchorNet's class and windows and the patch network's
prediction on the first window, to compare with `anchornet predict --cascade CASCADE_DIR IMAGE`.
"""
import hashlib
import json
import os
import sys

import torch
import torchvision

sys.path.insert(0, os.path.dirname(__file__))
from anchornet_torch import AnchorNetTorch  # noqa: E402


def load(path):
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch 1.13's weights_only unpickler rejects float opcodes (pytorch#94670)
        print(f"  weights_only load refused by torch {torch.__version__} ({type(e).__name__}); plain load")
        return torch.load(path, map_location="cpu")


def _iou(a, b):
    rows = min(a[2], b[2]) - max(a[0], b[0])
    cols = min(a[3], b[3]) - max(a[1], b[1])
    inter = max(rows, 0) * max(cols, 0)
    area = lambda r: (r[2] - r[0]) * (r[3] - r[1])
    return inter / (area(a) + area(b) - inter)


def main():
    folder = sys.argv[1]
    config = json.load(open(os.path.join(folder, "cascade.json")))
    n = config["num_classes"]
    nets = {
        "anchornet": AnchorNetTorch(n),
        "glance": getattr(torchvision.models, config["arch"])(num_classes=n),
        "patch": getattr(torchvision.models, config["arch"])(num_classes=n),
    }
    for name, net in nets.items():
        path = os.path.join(folder, name + ".pth")
        digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
        expected = config["weights"][name]["sha256"]
        state = load(path)
        net.load_state_dict(state, strict=True)
        net.eval()
        print(f"{name}: {len(state)} tensors loaded strictly; sha256 {'matches' if digest == expected else 'DIFFERS: ' + str(expected)}")
    if len(sys.argv) > 2:
        from PIL import Image
        import numpy as np
        img = np.asarray(Image.open(sys.argv[2]).convert("RGB"), dtype=np.float32) / 255.0
        x = torch.from_numpy(img).permute(2, 0, 1)
        mean = torch.tensor(config["mean"]).view(3, 1, 1)
        std = torch.tensor(config["std"]).view(3, 1, 1)
        x = ((x - mean) / std).unsqueeze(0)
        with torch.no_grad():
            fea, fc_weight, logits = nets["anchornet"](x)
            top = int(logits.argmax())
            cam = (fea[0] * fc_weight[top].view(-1, 1, 1)).mean(0)
            size, stride = config["patch_size"], config["stride"]
            boxes = []
            for flat in torch.argsort(cam.flatten(), descending=True).tolist():
                r0, c0 = (flat // cam.shape[1]) * stride, (flat % cam.shape[1]) * stride
                box = (r0, c0, r0 + size - 1, c0 + size - 1)
                iou_limit = config["iou_thresholds"][len(boxes) - 1] if boxes else 1.0
                if all(_iou(box, b) <= iou_limit for b in boxes):
                    boxes.append(box)
                if len(boxes) == config["topk"]:
                    break
            print("anchornet top class:", config["classes"][top], " windows (r0, c0, r1, c1):", boxes)
            r0, c0, r1, c1 = boxes[0]
            probs = torch.softmax(nets["patch"](x[:, :, r0:r1 + 1, c0:c1 + 1]), 1)[0]
            print(f"patch network on window 1: {config['classes'][int(probs.argmax())]} {float(probs.max()):.5f}")


if __name__ == "__main__":
    main()

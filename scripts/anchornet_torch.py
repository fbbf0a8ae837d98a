"""AnchorNet in plain PyTorch, for the side-by-side speed benchmark only (the Java model is the project's).

Built from the published architecture description: stem 3x3/2 conv (no padding), seven MBConv blocks with unpadded
depthwise convolutions and squeeze-excitation, a 1x1 conv to 512 channels, global pooling and a linear classifier.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


def _swish(x):
    return x * torch.sigmoid(x)


class _SqueezeExcite(nn.Module):
    def __init__(self, channels, reduced):
        super().__init__()
        self.se1 = nn.Conv2d(channels, reduced, 1)
        self.se2 = nn.Conv2d(reduced, channels, 1)

    def forward(self, h):
        return h * torch.sigmoid(self.se2(_swish(self.se1(F.adaptive_avg_pool2d(h, 1)))))


class _Block(nn.Module):
    def __init__(self, cin, ratio, cout, stride):
        super().__init__()
        mid = int(ratio * cin)
        self.expand = ratio != 1
        self.conv1 = nn.Conv2d(cin, mid, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(mid)
        self.conv2 = nn.Conv2d(mid, mid, 3, stride, 0, groups=mid, bias=False)
        self.bn2 = nn.BatchNorm2d(mid)
        self.se = _SqueezeExcite(mid, int(cin * 0.25))
        self.conv3 = nn.Conv2d(mid, cout, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)
        self.skip = stride == 1 and cin == cout

    def forward(self, x):
        h = _swish(self.bn1(self.conv1(x))) if self.expand else x
        h = _swish(self.bn2(self.conv2(h)))
        h = self.se(h)
        h = self.bn3(self.conv3(h))
        if self.skip:
            h = h + x[:, :, :h.size(2), :h.size(3)]
        return h


class AnchorNetTorch(nn.Module):
    def __init__(self, classes=1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, 2, 0, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        specs = [(1, 16, 2), (3, 24, 2), (4, 24, 1), (4, 48, 1), (2, 96, 1), (1.5, 96, 1), (1.5, 96, 1)]
        blocks, cin = [], 16
        for ratio, cout, stride in specs:
            blocks.append(_Block(cin, ratio, cout, stride))
            cin = cout
        self.bneck = nn.Sequential(*blocks)
        self.exp_conv = nn.Conv2d(96, 512, 1)
        self.fc = nn.Linear(512, classes)

    def forward(self, x):
        fea = self.exp_conv(self.bneck(_swish(self.bn1(self.conv1(x)))))
        return fea, self.fc.weight, self.fc(F.adaptive_avg_pool2d(fea, 1).flatten(1))

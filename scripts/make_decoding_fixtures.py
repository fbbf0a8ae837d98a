#!/usr/bin/env python3
"""Writes the images of src/test/resources/decoding/ and, for each, the pixels PIL gives for
Image.open(f).convert('RGB') as raw interleaved RGB bytes (<name>.rgb), plus index.tsv (file, width, height, mode).

Made once by hand with Debian's python3-pil (the version is recorded in index.tsv) and committed; the tests compare
anchornet's decoder with these pixels. Run: /usr/bin/python3 scripts/make_decoding_fixtures.py
"""
import io
import os
import sys

import numpy as np
import PIL
from PIL import Image

OUT = os.path.join(os.path.dirname(__file__), "..", "src", "test", "resources", "decoding")
ICC = "/usr/share/color/icc"
W, H = 23, 13


def gray():
    y, x = np.mgrid[0:H, 0:W]
    g = (x * 11 + y * 3) % 256
    g[0, 0] = 60  # the value the issue saw become 133
    g[1, :] = 60
    return g.astype(np.uint8)


def rgb():
    y, x = np.mgrid[0:H, 0:W]
    return np.stack([(x * 11) % 256, (y * 19) % 256, (x * y * 7 + 60) % 256], axis=-1).astype(np.uint8)


def profile(name):
    with open(os.path.join(ICC, name), "rb") as f:
        return f.read()


def images():
    L = Image.fromarray(gray(), "L")
    RGB = Image.fromarray(rgb(), "RGB")
    alpha = Image.fromarray(((np.arange(W * H).reshape(H, W) * 5) % 256).astype(np.uint8), "L")
    LA = Image.merge("LA", (L, alpha))
    RGBA = Image.merge("RGBA", (*RGB.split(), alpha))
    g16 = (gray().astype(np.int32) * 257 + 3).astype(np.uint16)
    g16[2, :] = 200  # below 256: the values PIL's conversion keeps
    I16 = Image.fromarray(g16, "I;16")
    P = RGB.quantize(colors=37)
    P_trns = P.copy()
    P_trns.info["transparency"] = 5
    one = L.point(lambda v: 255 if v > 100 else 0).convert("1")
    cmyk = RGB.convert("CMYK")
    yield "gray8.png", L, {}
    yield "gray8.bmp", L, {}
    yield "gray8.tif", L, {}
    yield "gray8_profile.tif", L, {"icc_profile": profile("Gray.icc")}
    yield "gray_alpha.png", LA, {}
    yield "gray16.png", I16, {}
    yield "palette.png", P, {}
    yield "palette_transparent.png", P_trns, {"transparency": 5}
    yield "rgba.png", RGBA, {}
    yield "bilevel.png", one, {}
    yield "rgb_profile.tif", RGB, {"icc_profile": profile("compatibleWithAdobeRGB1998.icc")}
    yield "rgb_profile.png", RGB, {"icc_profile": profile("compatibleWithAdobeRGB1998.icc")}
    yield "cmyk.jpg", cmyk, {"quality": 95}
    yield "gray.jpg", L, {"quality": 95}
    yield "rgb.ppm", RGB, {}
    yield "gray.pgm", L, {}
    yield "rgb.webp", RGB, {"lossless": True}
    yield "rgba.webp", RGBA, {"lossless": True}


def main():
    os.makedirs(OUT, exist_ok=True)
    rows = ["# file\twidth\theight\tmode as PIL opens it (PIL %s)" % PIL.__version__]
    for name, image, options in images():
        path = os.path.join(OUT, name)
        image.save(path, **options)
        with Image.open(path) as opened:
            mode = opened.mode
            pixels = np.asarray(opened.convert("RGB"), dtype=np.uint8)
        with open(path[: path.rindex(".")] + "_" + name[name.rindex(".") + 1:] + ".rgb", "wb") as f:
            f.write(pixels.tobytes())
        rows.append("%s\t%d\t%d\t%s" % (name, pixels.shape[1], pixels.shape[0], mode))
        print(name, mode, pixels.shape, file=sys.stderr)
    with open(os.path.join(OUT, "index.tsv"), "w") as f:
        f.write("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()

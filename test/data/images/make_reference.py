#!/usr/bin/python3
"""Image fixtures and the tensors each preprocessing case must give, made with another stack
(PIL + numpy, Debian's python3-pil and python3-numpy) than the tool's (sharp + JavaScript).

    /usr/bin/python3 test/data/images/make_reference.py

Writes the images and ref_<case>.npy next to this script. Values are computed in float64 and
rounded once to float32, as the tool does. Cases without resampling must match exactly; the
resize and JPEG cases differ by the resampling kernel / JPEG decoder (tolerances in the test).
"""
import json
import os

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.RandomState(7)

IMAGENET = (np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225]))
CLIP = (np.array([0.48145466, 0.4578275, 0.40821073]), np.array([0.26862954, 0.26130258, 0.27577711]))


def save(name, arr, mode):
    Image.fromarray(arr, mode).save(os.path.join(HERE, name))


def ref(name, x):
    np.save(os.path.join(HERE, f"ref_{name}.npy"), np.ascontiguousarray(x.astype(np.float32)))


def load(name, mode):
    return np.asarray(Image.open(os.path.join(HERE, name)).convert(mode), dtype=np.float64)


def nchw(hwc):
    return hwc.transpose(2, 0, 1)[None]


rgb8 = rng.randint(0, 256, (8, 8, 3), dtype=np.uint8)
save("rgb_8x8.png", rgb8, "RGB")
rgba8 = rng.randint(0, 256, (8, 8, 4), dtype=np.uint8)
save("rgba_8x8.png", rgba8, "RGBA")
gray8 = rng.randint(0, 256, (8, 8), dtype=np.uint8)
save("gray_8x8.png", gray8, "L")
rgb12x8 = rng.randint(0, 256, (8, 12, 3), dtype=np.uint8)  # height 8, width 12
save("rgb_12x8.png", rgb12x8, "RGB")
rgb8x6 = rng.randint(0, 256, (6, 8, 3), dtype=np.uint8)  # height 6, width 8
save("rgb_8x6.png", rgb8x6, "RGB")
# A smooth picture to downscale: resampling kernels agree best where there is little high-frequency content.
yy, xx = np.mgrid[0:32, 0:32]
smooth = np.stack([xx * 8, yy * 8, (xx + yy) * 4], -1).clip(0, 255).astype(np.uint8)
save("smooth_32x32.png", smooth, "RGB")
Image.fromarray(smooth, "RGB").save(os.path.join(HERE, "smooth_32x32.jpg"), quality=95)

x = load("rgb_8x8.png", "RGB")
ref("imagenet", nchw((x / 255 - IMAGENET[0]) / IMAGENET[1]))
ref("bgr_nhwc_0_255", x[..., ::-1][None])
ref("m1p1", nchw(x / 127.5 - 1))
rgba = load("rgba_8x8.png", "RGBA")
ref("rgba_keep", nchw(rgba / 255))
ref("rgba_drop", nchw(load("rgba_8x8.png", "RGB") / 255))
ref("alpha_const", nchw(np.concatenate([x, np.full((8, 8, 1), 255.0)], -1)))
ref("gray", load("gray_8x8.png", "L")[None, None] / 255)
wide = load("rgb_12x8.png", "RGB")
ref("clip", nchw((wide[:, 2:10] / 255 - CLIP[0]) / CLIP[1]))
ref("center_crop", nchw(wide[:, 2:10]))
short = load("rgb_8x6.png", "RGB")
ref("letterbox", nchw(np.concatenate([np.full((1, 8, 3), 114.0), short, np.full((1, 8, 3), 114.0)], 0)))
ref("resize_linear", nchw(np.asarray(Image.open(os.path.join(HERE, "smooth_32x32.png")).convert("RGB").resize((8, 8), Image.BILINEAR), dtype=np.float64) / 255))
ref("jpeg", nchw(load("smooth_32x32.jpg", "RGB")))
# A Hugging Face image processor folder: shortest edge 8, centre crop 8x8, mean/std 0.5.
os.makedirs(os.path.join(HERE, "hf"), exist_ok=True)
with open(os.path.join(HERE, "hf", "preprocessor_config.json"), "w") as f:
    json.dump({"do_resize": True, "size": {"shortest_edge": 8}, "resample": 2, "do_center_crop": True,
               "crop_size": {"height": 8, "width": 8}, "do_rescale": True, "rescale_factor": 1 / 255,
               "do_normalize": True, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5],
               "image_processor_type": "CLIPImageProcessor"}, f, indent=2)
ref("hf", nchw((wide[:, 2:10] / 255 - 0.5) / 0.5))
print("wrote", sorted(os.listdir(HERE)))

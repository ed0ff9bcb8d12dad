#!/usr/bin/env python3
"""Runs NVlabs's PyTorch network on the weights and inputs that `examples/network_io.rs` wrote,
reports the largest difference from the crate's output, and times NVlabs's forward pass.

    python3 scripts/nvlabs_compare.py NETWORKS_PY CONFIG FILE.safetensors [BATCH] [REPS]

NETWORKS_PY is the path of `training/networks.py` from a checkout of NVlabs/edm (not part of
this repository); its `torch_utils.persistence` import is replaced by a no-op decorator, which
changes nothing in the computation. CONFIG is `ddpmpp`, `ncsnpp` or `adm`, with NVlabs's
`train.py` settings for CIFAR-10 (32x32) and class-conditional ImageNet-64. Arithmetic is strict
float32 (TF32 off for matrix products and convolutions), as in the crate. Timing: one warm-up
pass, then REPS passes at batch BATCH between CUDA synchronisations.
"""

import importlib.util
import sys
import time
import types

import torch
from safetensors.torch import load_file

CONFIGS = {
    "ddpmpp": ("SongUNet", dict(img_resolution=32, in_channels=3, out_channels=3, augment_dim=9,
                                model_channels=128, channel_mult=[2, 2, 2], dropout=0.13,
                                embedding_type="positional", encoder_type="standard",
                                decoder_type="standard", channel_mult_noise=1,
                                resample_filter=[1, 1])),
    "ncsnpp": ("SongUNet", dict(img_resolution=32, in_channels=3, out_channels=3, augment_dim=9,
                                model_channels=128, channel_mult=[2, 2, 2], dropout=0.13,
                                embedding_type="fourier", encoder_type="residual",
                                decoder_type="standard", channel_mult_noise=2,
                                resample_filter=[1, 3, 3, 1])),
    "adm": ("DhariwalUNet", dict(img_resolution=64, in_channels=3, out_channels=3,
                                 label_dim=1000)),
}


def load_networks(path):
    persistence = types.ModuleType("torch_utils.persistence")
    persistence.persistent_class = lambda cls: cls
    torch_utils = types.ModuleType("torch_utils")
    torch_utils.persistence = persistence
    sys.modules["torch_utils"] = torch_utils
    sys.modules["torch_utils.persistence"] = persistence
    spec = importlib.util.spec_from_file_location("nvlabs_networks", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    networks_py, config, file = sys.argv[1:4]
    batch = int(sys.argv[4]) if len(sys.argv) > 4 else 16
    reps = int(sys.argv[5]) if len(sys.argv) > 5 else 10
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    networks = load_networks(networks_py)
    cls, kwargs = CONFIGS[config]
    net = getattr(networks, cls)(**kwargs).eval().to(device)
    tensors = load_file(file)
    io = {k[3:]: v.to(device) for k, v in tensors.items() if k.startswith("io.")}
    weights = {k: v for k, v in tensors.items() if not k.startswith("io.")}
    # NVlabs's state_dict also holds each resampling layer's `resample_filter`, a constant
    # buffer set by the constructor from the configuration, which the crate's files leave out.
    result = net.load_state_dict(weights, strict=False)
    missing = [k for k in result.missing_keys if not k.endswith(".resample_filter")]
    if missing or result.unexpected_keys:
        sys.exit(f"names differ: missing {missing}, unexpected {result.unexpected_keys}")
    print(f"{config}: all {len(weights)} tensors loaded by name; "
          f"{len(result.missing_keys)} resample_filter buffers from NVlabs's constructor")
    count = sum(p.numel() for p in net.parameters())
    with torch.no_grad():
        y = net(io["x"], io["noise_labels"], io.get("class_labels"))
        diff = (y - io["y"]).abs().max().item()
        scale = io["y"].abs().max().item()
        print(f"{config}: {count} parameters; same weights and inputs on {device}: "
              f"max |NVlabs - elucidated| = {diff:.3e}, max |y| = {scale:.3e}, "
              f"relative {diff / scale:.3e}")
        x = io["x"][:1].expand(batch, *io["x"].shape[1:]).contiguous()
        labels = io["noise_labels"][:1].expand(batch).contiguous()
        classes = io.get("class_labels")
        if classes is not None:
            classes = classes[:1].expand(batch, classes.shape[1]).contiguous()
        net(x, labels, classes)
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(reps):
            net(x, labels, classes)
        if device.type == "cuda":
            torch.cuda.synchronize()
        per = (time.perf_counter() - start) / reps
        print(f"{config} NVlabs PyTorch forward on {device}, batch {batch}: {per:.4f} s per batch "
              f"= {batch / per:.1f} images/s ({reps} reps, float32, TF32 off)")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes small network pickles with the structure of NVlabs/edm's `network-snapshot-*.pkl`
files, for the tests of the crate's pickle reader and converter.

    /work/venv/bin/python scripts/make_nvlabs_fixtures.py [OUT_DIR [SEED_DIR]]

(defaults tests/data/nvlabs and fuzz/corpus/pickle, for the seeds of the `pickle` fuzz target).

Nothing of NVlabs's code is used or copied. The structure is reproduced with stand-in classes
written here: torch modules with NVlabs's class names, constructor keyword arguments and state
dict names, whose `__reduce__` stores what `torch_utils.persistence` stores (a dict with `type`,
`version`, `module_src`, `class_name` and the object's `__dict__`) under the global
`torch_utils.persistence._reconstruct_persistent_obj`, registered here as a stand-in module.
The stored `module_src` is a one-line placeholder. Tensors pickle through torch's own reduce
(`torch._utils._rebuild_tensor_v2`, storages through `torch.storage._load_from_bytes`), the
snapshot dict through `pickle.dump` with Python's default protocol, as NVlabs's training loop
does.

For each fixture NAME it writes NAME.pkl and NAME.safetensors, the latter holding the network's
tensors under the crate's names (the state dict of `ema.model`, less the constant
`resample_filter` buffers) as the expected result of a conversion. Weights are N(0, 0.1^2) from
a fixed seed (every layer takes part). Reruns give the same safetensors files and the same
pickles up to the storage keys, which torch derives from memory addresses.
"""

import math
import os
import pickle
import sys
import types
from collections import OrderedDict

import numpy as np
import torch
from safetensors.torch import save_file

# Longer than 255 bytes, so that it pickles with BINUNICODE as a real module's source does.
PLACEHOLDER_SRC = (
    "# Stand-in for the source of the module that defined the pickled classes. The files this\n"
    "# fixture imitates carry that module's full source here; a reader must keep it as data and\n"
    "# never run it, so a placeholder of the same type (a str) exercises the same code paths.\n"
)


def _reconstruct_persistent_obj(meta):
    raise RuntimeError("fixtures are written, never loaded, by this script")


_persistence = types.ModuleType("torch_utils.persistence")
_persistence._reconstruct_persistent_obj = _reconstruct_persistent_obj
_reconstruct_persistent_obj.__module__ = "torch_utils.persistence"
_torch_utils = types.ModuleType("torch_utils")
_torch_utils.persistence = _persistence
sys.modules["torch_utils"] = _torch_utils
sys.modules["torch_utils.persistence"] = _persistence


class Persistent:
    """Mixin: pickles as torch_utils.persistence does, keeping the constructor's kwargs."""

    def _remember(self, **kwargs):
        self._init_args = ()
        self._init_kwargs = dict(kwargs)

    def __reduce__(self):
        meta = dict(type="class", version=6, module_src=PLACEHOLDER_SRC,
                    class_name=type(self).__name__, state=dict(self.__dict__))
        return (_reconstruct_persistent_obj, (meta,), None)


def module(name):
    """A persistent torch module class with NVlabs's class `name`."""
    return type(name, (Persistent, torch.nn.Module), {})


Conv2d, Linear, GroupNorm, UNetBlock = (module(n) for n in
                                        ("Conv2d", "Linear", "GroupNorm", "UNetBlock"))
PositionalEmbedding, FourierEmbedding, SongUNet = (module(n) for n in
                                                   ("PositionalEmbedding", "FourierEmbedding",
                                                    "SongUNet"))


def make(cls, params=(), buffers=(), children=(), attrs=None, **kwargs):
    m = cls()
    torch.nn.Module.__init__(m)
    for n, v in (attrs or {}).items():
        setattr(m, n, v)
    m._remember(**kwargs)
    for n, shape in params:
        m.register_parameter(n, torch.nn.Parameter(torch.zeros(shape)))
    for n, t in buffers:
        m.register_buffer(n, t)
    for n, c in children:
        m.add_module(n, c)
    return m


def resample(taps):
    f = torch.as_tensor(taps, dtype=torch.float32)
    return (torch.outer(f, f) / f.sum().square()).reshape(1, 1, len(taps), len(taps))


def conv(cin, cout, kernel, taps, up=False, down=False, bias=True):
    params = [("weight", (cout, cin, kernel, kernel))] if kernel else []
    params += [("bias", (cout,))] if kernel and bias else []
    buffers = [("resample_filter", resample(taps))] if up or down else []
    return make(Conv2d, params, buffers, in_channels=cin, out_channels=cout, kernel=kernel,
                up=up, down=down, resample_filter=taps)


def linear(cin, cout, bias=True):
    params = [("weight", (cout, cin))] + ([("bias", (cout,))] if bias else [])
    return make(Linear, params, in_features=cin, out_features=cout, bias=bias)


def norm(c):
    return make(GroupNorm, [("weight", (c,)), ("bias", (c,))], num_channels=c)


def block(cin, cout, emb, taps, up=False, down=False, attention=False):
    kids = [("norm0", norm(cin)), ("conv0", conv(cin, cout, 3, taps, up, down)),
            ("affine", linear(emb, cout)), ("norm1", norm(cout)),
            ("conv1", conv(cout, cout, 3, taps))]
    if cin != cout or up or down:
        kids.append(("skip", conv(cin, cout, 1, taps, up, down)))
    if attention:
        kids += [("norm2", norm(cout)), ("qkv", conv(cout, cout * 3, 1, taps)),
                 ("proj", conv(cout, cout, 1, taps))]
    attrs = dict(in_channels=cin, out_channels=cout, emb_channels=emb,
                 num_heads=1 if attention else 0, dropout=0.0,
                 skip_scale=np.sqrt(0.5), adaptive_scale=False)
    return make(UNetBlock, children=kids, attrs=attrs, in_channels=cin, out_channels=cout,
                emb_channels=emb, up=up, down=down, attention=attention,
                skip_scale=np.sqrt(0.5))


def song_unet(**passed):
    """The SongUNet module tree (DDPM++ / NCSN++) with the state dict names of NVlabs's."""
    return make(SongUNet, children=song_unet_children(**passed), **passed)


def song_unet_children(img_resolution, in_channels, out_channels, label_dim=0, augment_dim=0,
                       model_channels=128, channel_mult=(1, 2, 2, 2), channel_mult_emb=4,
                       num_blocks=4, attn_resolutions=(16,), embedding_type="positional",
                       channel_mult_noise=1, encoder_type="standard", decoder_type="standard",
                       resample_filter=(1, 1), dropout=0.1, label_dropout=0.0):
    taps = list(resample_filter)
    emb = model_channels * channel_mult_emb
    noise = model_channels * channel_mult_noise
    kids = []
    if embedding_type == "fourier":
        kids.append(("map_noise", make(FourierEmbedding,
                                       buffers=[("freqs", torch.zeros(noise // 2))],
                                       num_channels=noise)))
    else:
        kids.append(("map_noise", make(PositionalEmbedding, num_channels=noise,
                                       max_positions=10000, endpoint=True)))
    if label_dim:
        kids.append(("map_label", linear(label_dim, noise)))
    if augment_dim:
        kids.append(("map_augment", linear(augment_dim, noise, bias=False)))
    kids += [("map_layer0", linear(noise, emb)), ("map_layer1", linear(emb, emb))]
    enc = torch.nn.ModuleDict()
    cout, caux, skips = in_channels, in_channels, []
    for level, mult in enumerate(channel_mult):
        res = img_resolution >> level
        if level == 0:
            cin, cout = cout, model_channels
            enc[f"{res}x{res}_conv"] = conv(cin, cout, 3, taps)
        else:
            enc[f"{res}x{res}_down"] = block(cout, cout, emb, taps, down=True)
            if encoder_type == "skip":
                enc[f"{res}x{res}_aux_down"] = conv(caux, caux, 0, taps, down=True)
                enc[f"{res}x{res}_aux_skip"] = conv(caux, cout, 1, taps)
            if encoder_type == "residual":
                enc[f"{res}x{res}_aux_residual"] = conv(caux, cout, 3, taps, down=True)
                caux = cout
        skips.append(cout)
        for idx in range(num_blocks):
            cin, cout = cout, model_channels * mult
            enc[f"{res}x{res}_block{idx}"] = block(cin, cout, emb, taps,
                                                   attention=res in attn_resolutions)
            skips.append(cout)
    dec = torch.nn.ModuleDict()
    for level, mult in reversed(list(enumerate(channel_mult))):
        res = img_resolution >> level
        if level == len(channel_mult) - 1:
            dec[f"{res}x{res}_in0"] = block(cout, cout, emb, taps, attention=True)
            dec[f"{res}x{res}_in1"] = block(cout, cout, emb, taps)
        else:
            dec[f"{res}x{res}_up"] = block(cout, cout, emb, taps, up=True)
        for idx in range(num_blocks + 1):
            cin, cout = cout + skips.pop(), model_channels * mult
            dec[f"{res}x{res}_block{idx}"] = block(
                cin, cout, emb, taps, attention=idx == num_blocks and res in attn_resolutions)
        if decoder_type == "skip" or level == 0:
            if decoder_type == "skip" and level < len(channel_mult) - 1:
                dec[f"{res}x{res}_aux_up"] = conv(out_channels, out_channels, 0, taps, up=True)
            dec[f"{res}x{res}_aux_norm"] = norm(cout)
            dec[f"{res}x{res}_aux_conv"] = conv(cout, out_channels, 3, taps)
    return kids + [("enc", enc), ("dec", dec)]


def vp_sigma(beta_d, beta_min, t):
    return math.sqrt(math.expm1(0.5 * beta_d * t * t + beta_min * t))


# The attributes each preconditioner's constructor sets, beside its keyword arguments.
ATTRS = {
    "EDMPrecond": lambda k: dict(sigma_min=k.get("sigma_min", 0),
                                 sigma_max=k.get("sigma_max", float("inf")),
                                 sigma_data=k.get("sigma_data", 0.5)),
    "VPPrecond": lambda k: dict(beta_d=k["beta_d"], beta_min=k["beta_min"], M=k["M"],
                                epsilon_t=k.get("epsilon_t", 1e-5),
                                sigma_min=vp_sigma(k["beta_d"], k["beta_min"],
                                                   k.get("epsilon_t", 1e-5)),
                                sigma_max=vp_sigma(k["beta_d"], k["beta_min"], 1.0)),
    "VEPrecond": lambda k: dict(sigma_min=k["sigma_min"], sigma_max=k["sigma_max"]),
}

PRECONDS = {name: module(name) for name in ("EDMPrecond", "VPPrecond", "VEPrecond")}
LOSSES = {name: type(name, (Persistent,), {}) for name in ("EDMLoss", "VPLoss", "VELoss")}


def precond(class_name, img_resolution, img_channels, label_dim, precond_kwargs, model_kwargs):
    passed = {k: v for k, v in model_kwargs.items() if k != "model_type"}
    model = song_unet(img_resolution=img_resolution, in_channels=img_channels,
                      out_channels=img_channels, label_dim=label_dim, **passed)
    attrs = dict(img_resolution=img_resolution, img_channels=img_channels, label_dim=label_dim,
                 use_fp16=precond_kwargs.get("use_fp16", False), **ATTRS[class_name](precond_kwargs))
    return make(PRECONDS[class_name], children=[("model", model)], attrs=attrs,
                img_resolution=img_resolution, img_channels=img_channels, label_dim=label_dim,
                **precond_kwargs, **model_kwargs)


# Tiny versions of NVlabs's train.py configurations: DDPM++ (positional embedding, standard
# encoder and decoder, filter [1, 1]) unconditional and class-conditional with augmentation
# labels, NCSN++ (Fourier embedding, residual encoder, filter [1, 3, 3, 1]), and the skip
# encoder and decoder with fp16 and a non-default sigma_data.
FIXTURES = {
    "edm_ddpmpp": ("EDMPrecond", 8, 3, 0, dict(sigma_data=0.5, use_fp16=False),
                   dict(model_type="SongUNet", embedding_type="positional",
                        encoder_type="standard", decoder_type="standard", channel_mult_noise=1,
                        resample_filter=[1, 1], model_channels=4, channel_mult=[1, 2],
                        num_blocks=1, attn_resolutions=[4], dropout=0.13)),
    "vp_ddpmpp_cond": ("VPPrecond", 8, 1, 10, dict(beta_d=19.9, beta_min=0.1, M=1000),
                       dict(model_type="SongUNet", embedding_type="positional",
                            encoder_type="standard", decoder_type="standard",
                            channel_mult_noise=1, resample_filter=[1, 1], model_channels=4,
                            channel_mult=[1, 2], num_blocks=1, attn_resolutions=[4],
                            augment_dim=9, label_dropout=0.1)),
    "ve_ncsnpp": ("VEPrecond", 8, 3, 0, dict(sigma_min=0.02, sigma_max=100),
                  dict(model_type="SongUNet", embedding_type="fourier",
                       encoder_type="residual", decoder_type="standard", channel_mult_noise=2,
                       resample_filter=[1, 3, 3, 1], model_channels=4, channel_mult=[1, 2],
                       num_blocks=1, attn_resolutions=[4])),
    "edm_skip_fp16": ("EDMPrecond", 8, 3, 0, dict(sigma_data=0.6, use_fp16=True),
                      dict(model_type="SongUNet", embedding_type="fourier",
                           encoder_type="skip", decoder_type="skip", channel_mult_noise=2,
                           resample_filter=[1, 3, 3, 1], model_channels=4, channel_mult=[1, 1],
                           num_blocks=1, attn_resolutions=[])),
}

LOSS_OF = {"EDMPrecond": "EDMLoss", "VPPrecond": "VPLoss", "VEPrecond": "VELoss"}


def write_seeds(out):
    """Small seeds for the `pickle` fuzz target: one tensor as torch pickles it, and a snapshot
    dict whose `ema` is a preconditioner around one down-sampling convolution."""
    os.makedirs(out, exist_ok=True)
    gen = torch.Generator().manual_seed(7)
    with open(os.path.join(out, "seed-tensor"), "wb") as f:
        pickle.dump(torch.randn((2, 3), generator=gen).t(), f)
    layer = conv(1, 2, 1, [1, 1], down=True)
    with torch.no_grad():
        layer.weight.copy_(torch.randn(layer.weight.shape, generator=gen))
    ema = make(PRECONDS["EDMPrecond"], children=[("model", layer)], img_resolution=2,
               img_channels=1, model_type="Conv2d")
    loss = LOSSES["EDMLoss"]()
    loss._remember()
    with open(os.path.join(out, "seed-snapshot"), "wb") as f:
        pickle.dump(dict(ema=ema, loss_fn=loss, augment_pipe=None,
                         dataset_kwargs=dict(path="x.zip")), f)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/data/nvlabs"
    write_seeds(sys.argv[2] if len(sys.argv) > 2 else "fuzz/corpus/pickle")
    os.makedirs(out, exist_ok=True)
    for seed, (name, spec) in enumerate(FIXTURES.items()):
        cls, res, channels, label_dim, pk, mk = spec
        net = precond(cls, res, channels, label_dim, pk, mk)
        gen = torch.Generator().manual_seed(seed)
        expected = OrderedDict()
        with torch.no_grad():
            for key, t in net.model.state_dict().items():
                if not key.endswith("resample_filter"):
                    t.copy_(0.1 * torch.randn(t.shape, generator=gen))
                    expected[key] = t.clone()
        net.eval().requires_grad_(False)
        loss = LOSSES[LOSS_OF[cls]]()
        loss._remember()
        data = dict(ema=net, loss_fn=loss, augment_pipe=None,
                    dataset_kwargs=dict(class_name="training.dataset.ImageFolderDataset",
                                        path=f"datasets/{name}.zip", use_labels=label_dim > 0,
                                        xflip=False, cache=True, resolution=res, max_size=100))
        with open(os.path.join(out, f"{name}.pkl"), "wb") as f:
            pickle.dump(data, f)
        save_file(dict(expected), os.path.join(out, f"{name}.safetensors"))
        size = os.path.getsize(os.path.join(out, f"{name}.pkl"))
        print(f"{name}: {len(expected)} tensors, "
              f"{sum(t.numel() for t in expected.values())} values, pickle {size} bytes")


if __name__ == "__main__":
    main()

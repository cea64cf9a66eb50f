"""LoRA adapters for the encoder's BertModel: W + (alpha/r)·B·A on every attention and feed-forward
projection. Pure torch; merged into the weights at load time, so inference costs what the base model costs.
"""
from __future__ import annotations

import math

import torch
from torch import nn

# Projections adapted in every layer (names relative to encoder.layer.N).
TARGETS = ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
           "intermediate.dense", "output.dense")


class LoRALinear(nn.Module):
    """y = base(x) + scale · B(A(dropout(x))); base frozen, B starts at zero (the model starts unchanged)."""

    def __init__(self, base: nn.Linear, r: int, alpha: float, dropout: float):
        super().__init__()
        self.base = base
        for p in self.base.parameters():
            p.requires_grad_(False)
        self.A = nn.Parameter(torch.empty(r, base.in_features))
        self.B = nn.Parameter(torch.zeros(base.out_features, r))
        nn.init.kaiming_uniform_(self.A, a=math.sqrt(5))
        self.scale = alpha / r
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        return self.base(x) + (self.drop(x) @ self.A.T @ self.B.T) * self.scale


def _module(root: nn.Module, dotted: str) -> tuple[nn.Module, str]:
    *parents, leaf = dotted.split(".")
    for p in parents:
        root = getattr(root, p)
    return root, leaf


def add_lora(model: nn.Module, r: int, alpha: float, dropout: float, first_layer: int = 0,
             ) -> dict[str, LoRALinear]:
    """Wrap the target projections of every layer from `first_layer` on; returns them by full module name."""
    out = {}
    for i in range(first_layer, model.config.num_hidden_layers):
        for t in TARGETS:
            name = f"encoder.layer.{i}.{t}"
            parent, leaf = _module(model, name)
            lora = LoRALinear(getattr(parent, leaf), r, alpha, dropout)
            setattr(parent, leaf, lora)
            out[name] = lora
    return out


def remove_lora(model: nn.Module, loras: dict[str, LoRALinear]) -> dict[str, torch.Tensor]:
    """Unwrap the projections (merging the update into the base weights); returns the adapter tensors."""
    tensors = {}
    with torch.no_grad():
        for name, lora in loras.items():
            parent, leaf = _module(model, name)
            setattr(parent, leaf, lora.base)
            # Stored in fp16 and merged from the stored values, so this model equals a reloaded one.
            tensors[name + ".lora_A"] = lora.A.detach().to(torch.float16).contiguous()
            tensors[name + ".lora_B"] = (lora.B.detach() * lora.scale).to(torch.float16).contiguous()
    merge_adapter(model.state_dict(), tensors)
    return tensors


def merge_adapter(weights: dict[str, torch.Tensor], tensors: dict[str, torch.Tensor]) -> None:
    """Add a stored adapter (B already carries the scale) into BertModel weights, in place.

    `weights`: a state dict (or `model.state_dict()`, whose tensors share the parameters' storage)."""
    names = sorted({k.rsplit(".lora_", 1)[0] for k in tensors})
    with torch.no_grad():
        for name in names:
            w = weights.get(name + ".weight")
            delta = tensors[name + ".lora_B"].float() @ tensors[name + ".lora_A"].float()
            if w is None or w.shape != delta.shape:
                raise ValueError(f"adapter names {name}, which is not a linear layer of this model")
            w += delta.to(w.dtype)

"""LoRA adapters: a stored adapter reproduces the adapted model; one naming a missing layer is refused."""
from __future__ import annotations

import pytest
import torch

from models import lora


def _tiny_bert(seed: int = 0):
    from transformers import BertConfig, BertModel

    torch.manual_seed(seed)
    cfg = BertConfig(vocab_size=50, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=40)
    return BertModel(cfg, add_pooling_layer=False).eval()


def test_stored_adapter_reproduces_the_adapted_model():
    model, plain = _tiny_bert(), _tiny_bert()
    loras = lora.add_lora(model, r=4, alpha=8, dropout=0.0)
    with torch.no_grad():
        for lo in loras.values():                       # as if trained: B is no longer zero
            lo.B.normal_(0, 0.2)
    x = torch.randint(2, 50, (3, 12))
    with torch.no_grad():
        adapted = model(input_ids=x).last_hidden_state
        base = plain(input_ids=x).last_hidden_state
    tensors = lora.remove_lora(model, loras)
    assert not any(isinstance(m, lora.LoRALinear) for m in model.modules())   # plain BertModel again
    lora.merge_adapter(plain.state_dict(), tensors)     # a fresh base model + the stored fp16 adapter
    with torch.no_grad():
        merged = model(input_ids=x).last_hidden_state
        reloaded = plain(input_ids=x).last_hidden_state
    assert (adapted - base).abs().max() > 0.05          # the adapter changes the model ...
    assert torch.allclose(merged, reloaded, atol=1e-5)  # ... and the stored one is exactly what was merged
    assert torch.allclose(adapted, reloaded, atol=2e-2)  # fp16 storage costs only rounding


def test_adapter_naming_a_missing_layer_is_refused():
    with pytest.raises(ValueError, match="not a linear layer"):
        lora.merge_adapter(_tiny_bert().state_dict(),
                           {"embeddings.lora_A": torch.zeros(2, 2), "embeddings.lora_B": torch.zeros(2, 2)})

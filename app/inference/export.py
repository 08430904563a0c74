"""Export the bundled model and a program's sentence model to ONNX: the one module here that needs torch.

Run once per model (at the first start, or by ``certprep ingest``); the runtime (``runtime.py``) never
imports this module. The graphs are written by hand around the model's own layers rather than through
``BertModel.forward``: its mask helpers are traced as constants, while here the attention mask is an input.

Two graphs:

- the **encoder**: word pieces and attention mask in; the mean-pooled, L2-normalised sentence vector out
  (what sentence-transformers gives for this model), plus the hidden states between layers, so a
  program's sentence model can start from them without a second pass;
- a program's **evidence top**: the hidden states entering its fine-tuned layers, the attention mask
  and the sentences' position features in; the probability per standard out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

OPSET = 17


def _torch():
    import torch

    return torch


def additive_mask(attention_mask: Any, dtype: Any) -> Any:
    torch = _torch()
    return (1.0 - attention_mask[:, None, None, :].to(dtype)) * torch.finfo(dtype).min


def _mean_pool(hidden: Any, attention_mask: Any) -> Any:
    torch = _torch()
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled, p=2.0, dim=-1)


def run_layer(layer: Any, hidden: Any, additive: Any) -> Any:
    out = layer(hidden, additive)
    return out[0] if isinstance(out, tuple) else out


def _eager(model: Any) -> Any:
    """Plain matrix attention: the additive mask input is then used exactly as given."""
    if hasattr(model, "set_attn_implementation"):
        model.set_attn_implementation("eager")
    else:  # pragma: no cover - older transformers
        model.config._attn_implementation = "eager"
    return model


def _encoder_module(bert: Any) -> Any:
    torch = _torch()

    class Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask):
            hidden = self.bert.embeddings(input_ids=input_ids, token_type_ids=torch.zeros_like(input_ids))
            additive = additive_mask(attention_mask, hidden.dtype)
            between = []
            for layer in self.bert.encoder.layer:
                hidden = run_layer(layer, hidden, additive)
                between.append(hidden)
            return (_mean_pool(hidden, attention_mask), *between[:-1])

    return Encoder().eval()


def encoder_output_names(n_layers: int) -> list[str]:
    """``sentence_embedding``, then ``hidden_k``: the hidden states after layer k (1..n_layers-1)."""
    return ["sentence_embedding", *[f"hidden_{k}" for k in range(1, n_layers)]]


def _sample(n_tokens: int = 12) -> tuple[Any, Any]:
    torch = _torch()
    ids = torch.full((2, n_tokens), 1000, dtype=torch.long)
    ids[:, 0], ids[:, -1] = 101, 102
    mask = torch.ones((2, n_tokens), dtype=torch.long)
    mask[1, n_tokens // 2 :] = 0
    return ids, mask


def _export(module: Any, args: tuple, out: Path, inputs: list[str], outputs: list[str], axes: dict) -> None:
    import warnings

    torch = _torch()
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")  # the tracer's notes on Python ints in shapes; the graph is checked after
        torch.onnx.export(
            module,
            args,
            str(out),
            input_names=inputs,
            output_names=outputs,
            dynamic_axes=axes,
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,
        )


def export_encoder(model_path: Path, out: Path) -> int:
    """The bundled model as the encoder graph (fp32). Returns its number of layers."""
    from transformers import AutoModel

    bert = _eager(AutoModel.from_pretrained(str(model_path), local_files_only=True)).eval()
    n_layers = len(bert.encoder.layer)
    names = encoder_output_names(n_layers)
    axes = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"}}
    axes |= {"sentence_embedding": {0: "batch"}} | {n: {0: "batch", 1: "tokens"} for n in names[1:]}
    _export(_encoder_module(bert), _sample(), out, ["input_ids", "attention_mask"], names, axes)
    return n_layers


def export_evidence_top(config: Any, weights: Path, base_path: Path, out: Path) -> None:
    """A program's fine-tuned top layers and head, from the same network the trainer builds."""
    torch = _torch()
    from app.mapping.evidence import POSITION_FEATURES, build_network

    network = build_network(base_path, len(config.standards), config.tuned_layers)
    with np.load(weights) as data:
        state = {k: torch.from_numpy(data[k].astype(np.float32)) for k in data.files}
    network.load_state_dict(state, strict=False)
    encoder = _eager(network.encoder).eval()
    layers = list(encoder.encoder.layer[len(encoder.encoder.layer) - config.tuned_layers :])
    head, scale = network.head.eval(), float(config.scale)

    class Top(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layers = torch.nn.ModuleList(layers)
            self.head = head

        def forward(self, hidden, attention_mask, positions):
            additive = additive_mask(attention_mask, hidden.dtype)
            for layer in self.layers:
                hidden = run_layer(layer, hidden, additive)
            pooled = _mean_pool(hidden, attention_mask)
            return torch.sigmoid(self.head(torch.cat([pooled * scale, positions], dim=1)))

    ids, mask = _sample()
    hidden = torch.randn(ids.shape[0], ids.shape[1], encoder.config.hidden_size)
    positions = torch.zeros(ids.shape[0], POSITION_FEATURES)
    axes = {
        "hidden": {0: "batch", 1: "tokens"},
        "attention_mask": {0: "batch", 1: "tokens"},
        "positions": {0: "batch"},
        "probabilities": {0: "batch"},
    }
    names = ["hidden", "attention_mask", "positions"]
    _export(Top().eval(), (hidden, mask, positions), out, names, ["probabilities"], axes)


def optimize_encoder(source: Path, out: Path, num_heads: int, hidden_size: int) -> None:
    """ONNX Runtime's transformer optimiser: attention, layer norm and GELU fused into single kernels."""
    from onnxruntime.transformers.optimizer import optimize_model

    optimized = optimize_model(
        str(source), model_type="bert", num_heads=num_heads, hidden_size=hidden_size, opt_level=1, use_gpu=False
    )
    optimized.save_model_to_file(str(out))


def quantize(source: Path, out: Path) -> None:
    """Dynamic int8 quantisation of the weights of the matrix products (activations stay float), one scale
    per output channel: with one scale per matrix, sentence vectors fell as far as cosine 0.91 from
    PyTorch's; per channel keeps them above 0.98 (measured on the mapping projects' sentences). The same
    for the encoder and a sentence model's top layers."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(source), str(out), weight_type=QuantType.QInt8, per_channel=True)

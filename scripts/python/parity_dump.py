"""Write a Parity dump (docs/dump-format.md, format version 1) from any Python engine: PyTorch/transformers
hooks, a numpy reference, a pure-Python port. Standard library only; numpy arrays are accepted when numpy is
installed, as are lists, array.array('f') and raw little-endian float32 bytes.

    from parity_dump import DumpWriter
    with DumpWriter("out/mine", "model.gguf", prompt_tokens=[1, 15043], producer="my-engine 0.1") as run:
        with run.step(0, tokens=[1, 15043], positions=[0, 1]) as step:
            step.add("model.layers.0.self_attn.q_proj", "MUL_MAT", q, ne=[n_embd, 2])
        run.complete(generated_tokens=[])

The run is written into RUN.tmp-<pid>-<random> and renamed into place only by complete(); leaving the `with`
block without completing removes it, so a crashed engine leaves no half-written dump.
"""

import array
import hashlib
import json
import os
import shutil
import struct
import sys
import uuid
from datetime import datetime, timezone

FORMAT = "parity-dump"
FORMAT_VERSION = 1

# The default options describe llama.cpp's plain configuration; pass the reference dump's own `options` (from its
# run.json) so the two runs are paired as the same configuration.
DEFAULT_OPTIONS = {"threads": 1, "flashAttention": False, "typeK": "f16", "typeV": "f16", "repack": False,
                   "nCtx": 256, "nBatch": 512, "filter": None, "outputAll": True}

_GGUF_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_GGML_NAMES = {0: "f32", 1: "f16", 2: "q4_0", 3: "q4_1", 6: "q5_0", 7: "q5_1", 8: "q8_0", 10: "q2_K", 11: "q3_K",
               12: "q4_K", 13: "q5_K", 14: "q6_K", 30: "bf16"}


def _model_info(path):
    """The model identity a diff pairs on: size, SHA-256, architecture, file type and weight types from the GGUF."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    kv, types = _read_gguf(path)
    weight_types = {}
    for t in types:
        name = _GGML_NAMES.get(t, "type%d" % t)
        weight_types[name] = weight_types.get(name, 0) + 1
    return {"path": path, "bytes": os.path.getsize(path), "sha256": digest.hexdigest(),
            "architecture": kv.get("general.architecture", "llama"), "hyperparameters": None,
            "fileType": None, "weightTypes": weight_types}


def _read_gguf(path):
    """general.* string keys and each tensor's ggml type; other values are skipped."""
    with open(path, "rb") as f:
        def unpack(fmt):
            return struct.unpack(fmt, f.read(struct.calcsize(fmt)))[0]

        def string():
            return f.read(unpack("<Q")).decode("utf-8")

        def value(kind):
            if kind == 8:
                return string()
            if kind == 9:
                item, count = unpack("<I"), unpack("<Q")
                return [value(item) for _ in range(count)]
            return unpack(_GGUF_SCALARS[kind])

        if f.read(4) != b"GGUF":
            raise ValueError("%s: not a GGUF file" % path)
        unpack("<I")
        tensors, pairs = unpack("<Q"), unpack("<Q")
        kv = {}
        for _ in range(pairs):
            key = string()
            v = value(unpack("<I"))
            if key.startswith("general.") and isinstance(v, str):
                kv[key] = v
        types = []
        for _ in range(tensors):
            string()
            dims = unpack("<I")
            f.read(8 * dims)
            types.append(unpack("<I"))
            unpack("<Q")
        return kv, types


def _float32_bytes(values):
    if isinstance(values, (bytes, bytearray)):
        return bytes(values)
    if hasattr(values, "astype") and hasattr(values, "tobytes"):
        return values.astype("<f4").tobytes()
    data = array.array("f", values)
    if sys.byteorder != "little":
        data.byteswap()
    return data.tobytes()


class StepWriter:
    def __init__(self, run, step, tokens, positions, generated_tokens):
        self._run, self._step = run, step
        self._tokens, self._positions = list(tokens), list(positions)
        self._generated = list(generated_tokens or [])
        self._entries, self._blobs, self._seen, self._offset = [], [], {}, 0

    def __enter__(self):
        return self

    def __exit__(self, kind, error, trace):
        if kind is None:
            self._write()

    def add(self, name, op, values, ne):
        """One tensor in graph order: float32 values in ggml order, `ne` fastest dimension first (up to 4)."""
        ne = list(ne) + [1] * (4 - len(ne))
        data = _float32_bytes(values)
        count = ne[0] * ne[1] * ne[2] * ne[3]
        if len(data) != 4 * count:
            raise ValueError("%s: %d float32 values given, ne %s holds %d" % (name, len(data) // 4, ne, count))
        occurrence = self._seen.get(name, 0)
        self._seen[name] = occurrence + 1
        dims = max([i + 1 for i, n in enumerate(ne) if n != 1] or [1])
        tail = name.rsplit("-", 1)
        layer = int(tail[1]) if len(tail) == 2 and tail[1].isdigit() and tail[1].isascii() else None
        self._entries.append({"key": name if occurrence == 0 else "%s#%d" % (name, occurrence), "name": name, "op": op,
                              "occurrence": occurrence, "layer": layer, "dtype": "F32", "ggmlType": "f32", "ne": ne,
                              "shape": list(reversed(ne[:dims])), "madeContiguous": False,
                              "byteOffset": self._offset, "byteLength": len(data)})
        self._blobs.append(data)
        self._offset += len(data)

    def _write(self):
        directory = os.path.join(self._run._temporary, "step-%04d" % self._step)
        os.makedirs(directory)
        header = {"__metadata__": {"format": FORMAT, "formatVersion": str(FORMAT_VERSION)}}
        for e in self._entries:
            header[e["key"]] = {"dtype": "F32", "shape": e["shape"], "data_offsets": [e["byteOffset"], e["byteOffset"] + e["byteLength"]]}
        text = json.dumps(header, separators=(",", ":")).encode("utf-8")
        text += b" " * ((8 - (8 + len(text)) % 8) % 8)
        with open(os.path.join(directory, "tensors.safetensors"), "wb") as f:
            f.write(struct.pack("<Q", len(text)))
            f.write(text)
            for blob in self._blobs:
                f.write(blob)
        manifest = dict(self._run._common(), step=self._step, positions=self._positions, tokens=self._tokens,
                        generatedTokens=self._generated, createdUtc=_now(), tensorsFile="tensors.safetensors",
                        tensors=self._entries)
        with open(os.path.join(directory, "manifest.json"), "w", encoding="utf-8") as f:
            json.dump(manifest, f, indent=1)
        self._run._steps.append("step-%04d" % self._step)


class DumpWriter:
    def __init__(self, run_directory, model_path, prompt_tokens, producer="python-engine 0", options=None, notes=None, prompt_text=None):
        name, _, version = producer.partition(" ")
        self._directory = os.path.abspath(run_directory)
        self._temporary = "%s.tmp-%d-%s" % (self._directory, os.getpid(), uuid.uuid4().hex[:8])
        self._producer = {"name": name, "version": version or "0", "ggmlVersion": None, "libraryVariant": None, "libraryPath": None}
        self._model = _model_info(model_path)
        self._prompt = {"text": prompt_text, "tokens": list(prompt_tokens)}
        self._options = dict(DEFAULT_OPTIONS, **(options or {}))
        self._notes = notes
        self._steps, self._created, self._done = [], _now(), False
        os.makedirs(self._temporary)

    def __enter__(self):
        return self

    def __exit__(self, kind, error, trace):
        if not self._done:
            shutil.rmtree(self._temporary, ignore_errors=True)

    def step(self, step, tokens, positions, generated_tokens=None):
        """A step's writer; step 0 is the prompt, step k the token generated by step k - 1."""
        return StepWriter(self, step, tokens, positions, generated_tokens)

    def complete(self, generated_tokens):
        """Writes run.json and moves the run into place, replacing any older run whole."""
        run = dict(self._common(), createdUtc=self._created, steps=self._steps,
                   generatedTokens=list(generated_tokens), notes=self._notes)
        with open(os.path.join(self._temporary, "run.json"), "w", encoding="utf-8") as f:
            json.dump(run, f, indent=1)
        old = None
        if os.path.exists(self._directory):
            old = "%s.old-%d-%s" % (self._directory, os.getpid(), uuid.uuid4().hex[:8])
            os.rename(self._directory, old)
        os.rename(self._temporary, self._directory)
        if old:
            shutil.rmtree(old, ignore_errors=True)
        self._done = True

    def _common(self):
        return {"format": FORMAT, "formatVersion": FORMAT_VERSION, "producer": self._producer, "model": self._model,
                "prompt": self._prompt, "options": self._options}


def _now():
    return datetime.now(timezone.utc).isoformat(timespec="seconds")

"""Host binding of the INT8 model runtime (csrc/kwsc_nn.*): the device's inference code.

:class:`Runtime` lays a :class:`~kwsc.export.ModelPlan` out in memory as the same
``kwsc_nn_model`` structures the exported C source defines, and runs them with the same C code
the firmware compiles, so host evaluation sees exactly the device's int8 outputs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kwsc._kwsc_c import ffi, lib
from kwsc.export import _SCALAR_FIELDS, _SOFTMAX_FIELDS, OP_FIELDS, ModelPlan, plan_from_tflite


class NNError(RuntimeError):
    """The C runtime refused a model or an input."""


class Runtime:
    """A model ready to run: its op table, const arrays and arena, owned by this object."""

    def __init__(self, plan: ModelPlan) -> None:
        self.plan = plan
        self._keep: list[object] = []
        ops = ffi.new("kwsc_nn_op[]", len(plan.ops))
        for c_op, op in zip(ops, plan.ops, strict=True):
            c_op.type = op.kind
            for name in OP_FIELDS + _SCALAR_FIELDS + _SOFTMAX_FIELDS:
                setattr(c_op, name, op.fields.get(name, 0))
            for side in ("in", "out"):
                shape = getattr(c_op, side)
                shape.height, shape.width, shape.channels = (
                    op.fields[f"{side}_{d}"] for d in ("height", "width", "channels")
                )
            c_op.input_at = plan.offsets[op.input_tensor]
            c_op.output_at = plan.offsets[op.output_tensor]
            for name, ctype, array in op.arrays():
                buffer = ffi.new(f"{ctype}[]", [int(v) for v in np.asarray(array).reshape(-1)])
                self._keep.append(buffer)
                setattr(c_op, name, buffer)
        self._ops = ops
        self._model = ffi.new("kwsc_nn_model *")
        self._model.num_ops = len(plan.ops)
        self._model.ops = ops
        self._model.arena_bytes = plan.arena_bytes
        self._model.input_at, self._model.input_bytes = plan.input_at, plan.input_bytes
        self._model.output_at, self._model.output_bytes = plan.output_at, plan.output_bytes
        status = lib.kwsc_nn_check(self._model)
        if status != 0:
            raise NNError(f"kwsc_nn_check refused the model (status {status})")
        # uint32 words: the arena must be 4-byte aligned.
        self._arena = np.zeros(-(-plan.arena_bytes // 4), np.uint32)
        self._arena_ptr = ffi.cast("void *", self._arena.ctypes.data)
        self._arena_bytes = self._arena.nbytes
        self._input = np.frombuffer(
            ffi.buffer(lib.kwsc_nn_input(self._model, self._arena_ptr), plan.input_bytes), np.int8
        )
        out_ptr = ffi.cast("int8_t *", lib.kwsc_nn_output(self._model, self._arena_ptr))
        self._output = np.frombuffer(ffi.buffer(out_ptr, plan.output_bytes), np.int8)

    @classmethod
    def from_tflite(cls, tflite: bytes | str | Path) -> Runtime:
        """Plan and load a full-INT8 batch-1 .tflite (bytes or a path)."""
        data = Path(tflite).read_bytes() if isinstance(tflite, (str, Path)) else tflite
        return cls(plan_from_tflite(data))

    @property
    def num_classes(self) -> int:
        return self.plan.output_bytes

    def invoke(self, window: np.ndarray) -> np.ndarray:
        """int8 outputs (classes,) for one int8 input window of the model's input shape."""
        window = np.asarray(window)
        if window.dtype != np.int8 or window.size != self.plan.input_bytes:
            raise ValueError(
                f"input must be int8 with {self.plan.input_bytes} values, got {window.dtype} {window.shape}"
            )
        self._input[:] = window.reshape(-1)
        status = lib.kwsc_nn_invoke(self._model, self._arena_ptr, self._arena_bytes)
        if status != 0:
            raise NNError(f"kwsc_nn_invoke failed (status {status})")
        return self._output.copy()

    def run(self, windows: np.ndarray) -> np.ndarray:
        """int8 outputs (n, classes) for int8 windows (n, frames, coeffs)."""
        windows = np.asarray(windows)
        out = np.zeros((len(windows), self.num_classes), np.int8)
        for i, window in enumerate(windows):
            out[i] = self.invoke(window)
        return out

    @property
    def model_pointer(self) -> object:
        """The ``kwsc_nn_model *`` (for other C components such as the detector)."""
        return self._model

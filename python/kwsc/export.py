"""Export: a full-INT8 ``.tflite`` becomes a kwsc_nn model (csrc/kwsc_nn.h).

The flatbuffer is read once into a :class:`ModelPlan`: the op sequence with its weights, biases
and per-channel requantisation (Q31 multipliers and shifts computed exactly as TFLite Micro
computes them when it prepares a model), the fused activation ranges, and a static memory plan
(each activation's byte offset in one arena, and the arena size). The same plan becomes

* C source for the device (:func:`c_source`, ``kwsc export``): const arrays, a static op table
  and a ``kwsc_nn_model``, compiled unchanged with csrc/ (no interpreter, no allocation), and
* the identical structures in host memory (:class:`kwsc.runtime.Runtime`), run by the same C code.
"""

from __future__ import annotations

import importlib.util
import math
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

#: Op kinds of csrc/kwsc_nn.h (their values are part of the exported format).
RESHAPE, CONV2D, DEPTHWISE_CONV2D, FULLY_CONNECTED, AVERAGE_POOL2D, SOFTMAX = range(6)
OP_NAMES = {
    RESHAPE: "KWSC_NN_RESHAPE",
    CONV2D: "KWSC_NN_CONV2D",
    DEPTHWISE_CONV2D: "KWSC_NN_DEPTHWISE_CONV2D",
    FULLY_CONNECTED: "KWSC_NN_FULLY_CONNECTED",
    AVERAGE_POOL2D: "KWSC_NN_AVERAGE_POOL2D",
    SOFTMAX: "KWSC_NN_SOFTMAX",
}
#: Arena offsets are multiples of this many bytes.
ARENA_ALIGN = 4
#: Integer bits of the softmax's scaled input differences (TFLite's kScaledDiffIntegerBits).
SOFTMAX_DIFF_INTEGER_BITS = 5


class ExportError(ValueError):
    """The flatbuffer uses something the kwsc runtime does not implement, or is malformed."""


@cache
def _schema() -> Any:
    """TFLite's generated flatbuffer schema module, loaded from the installed TensorFlow
    package by path: it needs only ``flatbuffers``, so TensorFlow itself is not imported."""
    spec = importlib.util.find_spec("tensorflow")
    if spec is None or not spec.submodule_search_locations:
        raise ExportError("reading .tflite files needs the tensorflow package (its flatbuffer schema)")
    path = Path(next(iter(spec.submodule_search_locations))) / "lite" / "python" / "schema_py_generated.py"
    module_spec = importlib.util.spec_from_file_location("kwsc_tflite_schema", path)
    if module_spec is None or module_spec.loader is None:
        raise ExportError(f"TFLite schema not found at {path}")
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


@dataclass
class OpPlan:
    """One kwsc_nn_op: its kind, integer fields (named as in the C struct) and const arrays."""

    kind: int
    fields: dict[str, int]
    input_tensor: int
    output_tensor: int
    weights: np.ndarray | None = None  # int8, in the C layout
    bias: np.ndarray | None = None  # int32
    multiplier: np.ndarray | None = None  # int32 Q31
    shift: np.ndarray | None = None  # int8

    @property
    def name(self) -> str:
        return OP_NAMES[self.kind]

    def arrays(self) -> list[tuple[str, str, np.ndarray]]:
        """(kwsc_nn_op field, C element type, values) of the const arrays this op has."""
        named = (("weights", "int8_t", self.weights), ("bias", "int32_t", self.bias),
                 ("multiplier", "int32_t", self.multiplier), ("shift", "int8_t", self.shift))  # fmt: skip
        return [(name, ctype, values) for name, ctype, values in named if values is not None]

    def macs(self) -> int:
        """Multiply-accumulates per inference (0 for ops without weights)."""
        f = self.fields
        out = f["out_height"] * f["out_width"] * f["out_channels"]
        if self.kind == CONV2D:
            return out * f["filter_height"] * f["filter_width"] * f["in_channels"]
        if self.kind == DEPTHWISE_CONV2D:
            return out * f["filter_height"] * f["filter_width"]
        if self.kind == FULLY_CONNECTED:
            return out * f["in_height"] * f["in_width"] * f["in_channels"]
        return 0


@dataclass
class ModelPlan:
    """A model ready for the kwsc_nn runtime: ops in order and the static memory plan."""

    ops: list[OpPlan]
    offsets: dict[int, int]  # activation tensor -> byte offset in the arena
    sizes: dict[int, int]  # activation tensor -> bytes
    arena_bytes: int
    input_tensor: int
    output_tensor: int
    input_shape: tuple[int, ...]  # without the batch dimension
    output_shape: tuple[int, ...]
    input_quantization: tuple[float, int]  # (scale, zero point)
    output_quantization: tuple[float, int]
    tensor_names: dict[int, str] = field(default_factory=dict)

    @property
    def input_at(self) -> int:
        return self.offsets[self.input_tensor]

    @property
    def output_at(self) -> int:
        return self.offsets[self.output_tensor]

    @property
    def input_bytes(self) -> int:
        return self.sizes[self.input_tensor]

    @property
    def output_bytes(self) -> int:
        return self.sizes[self.output_tensor]

    def const_bytes(self) -> int:
        """Bytes of const data (weights, biases, multipliers, shifts) the model adds to flash,
        not counting the op table."""
        return int(sum(values.nbytes for op in self.ops for _, _, values in op.arrays()))

    def macs(self) -> int:
        """Multiply-accumulates per inference."""
        return sum(op.macs() for op in self.ops)


def quantize_multiplier(real: float) -> tuple[int, int]:
    """TFLite's QuantizeMultiplier: ``real = multiplier * 2**(shift - 31)`` with a Q31
    multiplier in [2^30, 2^31) (0 for 0), rounding half away from zero; tiny values become 0."""
    if real == 0.0:
        return 0, 0
    mantissa, shift = math.frexp(real)
    q = mantissa * (1 << 31)
    q_fixed = math.floor(abs(q) + 0.5) * (1 if q >= 0 else -1)
    if q_fixed == 1 << 31:
        q_fixed //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    if shift > 30:
        raise ExportError(f"requantisation multiplier {real} is out of range (shift {shift} > 30)")
    return q_fixed, shift


def _round_half_away(x: float) -> int:
    return math.floor(abs(x) + 0.5) * (1 if x >= 0 else -1)


def activation_range(activation: int, scale: float, zero_point: int) -> tuple[int, int]:
    """int8 output bounds of a fused activation, as TFLite computes them (float32 division)."""
    act = _schema().ActivationFunctionType

    def quantize(value: float) -> int:
        return zero_point + _round_half_away(float(np.float32(value) / np.float32(scale)))

    if activation == act.NONE:
        return -128, 127
    if activation == act.RELU:
        return max(-128, quantize(0.0)), 127
    if activation == act.RELU6:
        return max(-128, quantize(0.0)), min(127, quantize(6.0))
    if activation == act.RELU_N1_TO_1:
        return max(-128, quantize(-1.0)), min(127, quantize(1.0))
    raise ExportError(f"fused activation {activation} is not supported")


def _conv_geometry(padding: int, size: int, kernel: int, stride: int, dilation: int) -> tuple[int, int]:
    """(output size, padding before) along one axis, as TFLite computes them."""
    effective = (kernel - 1) * dilation + 1
    same = padding == _schema().Padding.SAME
    out = (size + stride - 1) // stride if same else (size + stride - effective) // stride
    total = max(0, (out - 1) * stride + effective - size)
    return out, total // 2


class _Graph:
    """Typed access to subgraph 0 of a parsed flatbuffer."""

    def __init__(self, tflite: bytes) -> None:
        schema = _schema()
        try:
            self.model = schema.ModelT.InitFromPackedBuf(bytearray(tflite), 0)
        except Exception as exc:  # the generated reader raises whatever a bad offset causes
            raise ExportError(f"not a TFLite flatbuffer: {exc}") from exc
        if not self.model.subgraphs or len(self.model.subgraphs) != 1:
            raise ExportError("the model must have exactly one subgraph")
        self.graph = self.model.subgraphs[0]

    def tensor(self, index: int) -> Any:
        return self.graph.tensors[index]

    def shape(self, index: int) -> tuple[int, ...]:
        return tuple(int(d) for d in self.tensor(index).shape)

    def const(self, index: int, dtype: Any) -> np.ndarray | None:
        buffer = self.model.buffers[self.tensor(index).buffer]
        if buffer.data is None or len(buffer.data) == 0:
            return None
        return np.frombuffer(bytes(bytearray(buffer.data)), dtype=dtype).reshape(self.shape(index))

    def quant(self, index: int) -> tuple[np.ndarray, np.ndarray, int]:
        """(float32 scales, zero points, quantized dimension)."""
        q = self.tensor(index).quantization
        if q is None or q.scale is None or len(q.scale) == 0:
            raise ExportError(f"tensor {index} ({self.name(index)}) is not quantized")
        return np.asarray(q.scale, np.float32), np.asarray(q.zeroPoint, np.int64), int(q.quantizedDimension)

    def scale_zero(self, index: int) -> tuple[float, int]:
        scales, zeros, _ = self.quant(index)
        return float(scales[0]), int(zeros[0])

    def name(self, index: int) -> str:
        raw = self.tensor(index).name
        return raw.decode() if isinstance(raw, bytes) else str(raw)

    def int8(self, index: int) -> None:
        if self.tensor(index).type != _schema().TensorType.INT8:
            raise ExportError(f"tensor {index} ({self.name(index)}) is not int8: only full-INT8 models run")


def _requant(graph: _Graph, op_input: int, weights: int, output: int, channels: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel (multiplier, shift): double(input scale) * double(weight scale) / double(output
    scale), as TFLite Micro's Prepare computes it; a per-tensor weight scale is broadcast."""
    in_scale, _ = graph.scale_zero(op_input)
    out_scale, _ = graph.scale_zero(output)
    w_scales, w_zeros, _ = graph.quant(weights)
    if np.any(w_zeros != 0):
        raise ExportError(f"weights {graph.name(weights)} have a non-zero zero point")
    if len(w_scales) not in (1, channels):
        raise ExportError(f"weights {graph.name(weights)} have {len(w_scales)} scales for {channels} channels")
    scales = np.broadcast_to(w_scales, (channels,))
    pairs = [quantize_multiplier(float(in_scale) * float(s) / float(out_scale)) for s in scales]
    return np.array([m for m, _ in pairs], np.int32), np.array([s for _, s in pairs], np.int8)


def _shape_fields(prefix: str, shape: tuple[int, ...]) -> dict[str, int]:
    """NHWC (batch 1) or (batch 1, n) as height, width, channels."""
    if shape[0] != 1:
        raise ExportError(f"batch dimension {shape[0]}: export needs a batch-1 model")
    dims = shape[1:]
    if len(dims) == 3:
        h, w, c = dims
    elif len(dims) == 2:
        h, w, c = dims[0], 1, dims[1]
    elif len(dims) == 1:
        h, w, c = 1, 1, dims[0]
    else:
        raise ExportError(f"unsupported activation rank {len(shape)}")
    if max(h, w, c) > 0xFFFF:
        raise ExportError(f"dimension too large for the runtime: {shape}")
    return {f"{prefix}_height": h, f"{prefix}_width": w, f"{prefix}_channels": c}


def _op_plan(graph: _Graph, op: Any) -> OpPlan:
    schema = _schema()
    code = graph.model.operatorCodes[op.opcodeIndex]
    builtin = max(int(code.builtinCode), int(code.deprecatedBuiltinCode))
    ops = schema.BuiltinOperator
    supported = (ops.RESHAPE, ops.SOFTMAX, ops.AVERAGE_POOL_2D, ops.FULLY_CONNECTED, ops.CONV_2D, ops.DEPTHWISE_CONV_2D)
    if builtin not in supported:
        name = next((k for k, v in vars(ops).items() if v == builtin), str(builtin))
        batch = " (a dynamic batch dimension: convert with a fixed batch of 1, as kwsc train does)"
        hint = batch if name == "SHAPE" else ""
        raise ExportError(f"op {name} is not implemented by the kwsc runtime{hint}")
    inputs = [int(i) for i in op.inputs]
    x, y = inputs[0], int(op.outputs[0])
    graph.int8(x)
    graph.int8(y)
    opts = op.builtinOptions
    in_shape, out_shape = graph.shape(x), graph.shape(y)
    f: dict[str, int] = {**_shape_fields("in", in_shape), **_shape_fields("out", out_shape)}
    in_scale, in_zero = graph.scale_zero(x)
    out_scale, out_zero = graph.scale_zero(y)
    f["input_offset"], f["output_offset"] = -in_zero, out_zero
    if builtin == ops.RESHAPE:
        if (in_scale, in_zero) != (out_scale, out_zero):
            raise ExportError("a reshape that requantises is not supported")
        f["act_min"], f["act_max"] = -128, 127
        return OpPlan(RESHAPE, f, x, y)
    if builtin == ops.SOFTMAX:
        if out_zero != -128 or out_scale != np.float32(1.0 / 256):
            raise ExportError("softmax output must be int8 with scale 1/256 and zero point -128")
        beta = float(np.float32(opts.beta)) if opts is not None else 1.0
        real = min(beta * in_scale * (1 << (31 - SOFTMAX_DIFF_INTEGER_BITS)), float((1 << 31) - 1))
        multiplier, shift = quantize_multiplier(real)
        if shift < 0:
            raise ExportError("softmax input scale too small for TFLite's int8 softmax")
        radius = ((1 << SOFTMAX_DIFF_INTEGER_BITS) - 1) * (1 << (31 - SOFTMAX_DIFF_INTEGER_BITS)) / (1 << shift)
        f.update(act_min=-128, act_max=127, softmax_multiplier=multiplier, softmax_shift=shift,
                 softmax_diff_min=-math.floor(radius))  # fmt: skip
        return OpPlan(SOFTMAX, f, x, y)
    f["act_min"], f["act_max"] = activation_range(int(opts.fusedActivationFunction), out_scale, out_zero)
    if builtin == ops.AVERAGE_POOL_2D:
        if (in_scale, in_zero) != (out_scale, out_zero):
            raise ExportError("average pooling must keep its input's quantisation")
        oh, top = _conv_geometry(opts.padding, f["in_height"], opts.filterHeight, opts.strideH, 1)
        ow, left = _conv_geometry(opts.padding, f["in_width"], opts.filterWidth, opts.strideW, 1)
        if (oh, ow) != (f["out_height"], f["out_width"]):
            raise ExportError(f"average pool output {out_shape} does not match its geometry")
        f.update(filter_height=opts.filterHeight, filter_width=opts.filterWidth, stride_height=opts.strideH,
                 stride_width=opts.strideW, pad_top=top, pad_left=left)  # fmt: skip
        return OpPlan(AVERAGE_POOL2D, f, x, y)
    weights_index = inputs[1]
    weights = graph.const(weights_index, np.int8)
    if weights is None:
        raise ExportError(f"op weights {graph.name(weights_index)} are not constant")
    graph.int8(weights_index)
    bias = graph.const(inputs[2], np.int32) if len(inputs) > 2 and inputs[2] >= 0 else None
    channels = f["out_channels"]
    multiplier, shift = _requant(graph, x, weights_index, y, channels)
    if builtin == ops.FULLY_CONNECTED:
        depth = f["in_height"] * f["in_width"] * f["in_channels"]
        if weights.shape != (channels, depth) or opts.keepNumDims:
            raise ExportError(f"fully connected weights {weights.shape} do not map {depth} -> {channels}")
        return OpPlan(FULLY_CONNECTED, f, x, y, np.ascontiguousarray(weights), bias, multiplier, shift)
    kh, kw = int(weights.shape[1]), int(weights.shape[2])
    oh, top = _conv_geometry(opts.padding, f["in_height"], kh, opts.strideH, opts.dilationHFactor)
    ow, left = _conv_geometry(opts.padding, f["in_width"], kw, opts.strideW, opts.dilationWFactor)
    if (oh, ow) != (f["out_height"], f["out_width"]):
        raise ExportError(f"convolution output {out_shape} does not match its geometry")
    f.update(
        filter_height=kh,
        filter_width=kw,
        stride_height=opts.strideH,
        stride_width=opts.strideW,
        dilation_height=opts.dilationHFactor,
        dilation_width=opts.dilationWFactor,
        pad_top=top,
        pad_left=left,
    )
    if builtin == ops.CONV_2D:
        if weights.shape[3] != f["in_channels"]:
            raise ExportError("grouped convolution is not supported")
        return OpPlan(CONV2D, f, x, y, np.ascontiguousarray(weights), bias, multiplier, shift)
    if channels % f["in_channels"]:
        raise ExportError("depthwise output channels must be a multiple of the input channels")
    f["depth_multiplier"] = channels // f["in_channels"]
    return OpPlan(DEPTHWISE_CONV2D, f, x, y, np.ascontiguousarray(weights[0]), bias, multiplier, shift)


def plan_memory(lifetimes: dict[int, tuple[int, int]], sizes: dict[int, int]) -> tuple[dict[int, int], int]:
    """Static arena plan: largest tensor first, each at the lowest aligned offset that overlaps
    no placed tensor alive at the same time (lifetimes are inclusive op-index ranges).
    Returns (offsets, arena bytes)."""
    offsets: dict[int, int] = {}
    for tensor in sorted(sizes, key=lambda t: (-sizes[t], lifetimes[t][0], t)):
        first, last = lifetimes[tensor]
        busy = sorted(
            (offsets[o], offsets[o] + sizes[o]) for o in offsets if lifetimes[o][0] <= last and first <= lifetimes[o][1]
        )
        at = 0
        for start, end in busy:
            if at + sizes[tensor] <= start:
                break
            at = max(at, -(-end // ARENA_ALIGN) * ARENA_ALIGN)
        offsets[tensor] = at
    arena = max((offsets[t] + sizes[t] for t in sizes), default=0)
    return offsets, -(-arena // ARENA_ALIGN) * ARENA_ALIGN


def plan_from_tflite(tflite: bytes) -> ModelPlan:
    """Read a full-INT8, batch-1 ``.tflite`` into a :class:`ModelPlan` (raises ExportError)."""
    graph = _Graph(tflite)
    g = graph.graph
    if len(g.inputs) != 1 or len(g.outputs) != 1:
        raise ExportError("the model must have one input and one output")
    ops = [_op_plan(graph, op) for op in g.operators]
    if not ops:
        raise ExportError("the model has no ops")
    model_in, model_out = int(g.inputs[0]), int(g.outputs[0])
    lifetimes: dict[int, list[int]] = {model_in: [0, 0]}
    for i, op in enumerate(ops):
        if op.input_tensor not in lifetimes:
            raise ExportError(f"op {i} reads tensor {op.input_tensor} before anything writes it")
        lifetimes[op.input_tensor][1] = i
        lifetimes[op.output_tensor] = [i, i]
    if model_out not in lifetimes:
        raise ExportError("no op writes the model output")
    lifetimes[model_out][1] = len(ops)
    sizes = {t: int(np.prod(graph.shape(t))) for t in lifetimes}
    offsets, arena = plan_memory({t: (a, b) for t, (a, b) in lifetimes.items()}, sizes)
    return ModelPlan(
        ops=ops,
        offsets=offsets,
        sizes=sizes,
        arena_bytes=arena,
        input_tensor=model_in,
        output_tensor=model_out,
        input_shape=graph.shape(model_in)[1:],
        output_shape=graph.shape(model_out)[1:],
        input_quantization=graph.scale_zero(model_in),
        output_quantization=graph.scale_zero(model_out),
        tensor_names={t: graph.name(t) for t in lifetimes},
    )


# ---------------------------------------------------------------------------------------------
# C source

#: kwsc_nn_op integer fields in struct order (the arrays follow them).
OP_FIELDS = (
    "stride_height", "stride_width", "dilation_height", "dilation_width", "pad_top", "pad_left",
    "depth_multiplier", "filter_height", "filter_width",
)  # fmt: skip
_SCALAR_FIELDS = ("input_offset", "output_offset", "act_min", "act_max")
_SOFTMAX_FIELDS = ("softmax_multiplier", "softmax_shift", "softmax_diff_min")


def _c_array(ctype: str, name: str, values: np.ndarray, per_line: int = 16) -> str:
    flat = [int(v) for v in np.asarray(values).reshape(-1)]
    rows = [", ".join(str(v) for v in flat[i : i + per_line]) for i in range(0, len(flat), per_line)]
    body = ",\n    ".join(rows)
    return f"static const {ctype} {name}[{len(flat)}] = {{\n    {body}\n}};\n"


def c_source(plan: ModelPlan, symbol: str = "kwsc_model", origin: str = "") -> tuple[str, str]:
    """(header, source) defining ``const kwsc_nn_model <symbol>`` and size macros, compiled with
    csrc/kwsc_nn.c unchanged. ``origin`` is a line of provenance for the file comment."""
    guard = f"{symbol.upper()}_H"
    macro = symbol.upper()
    frames, coeffs = (*plan.input_shape, 1)[:2]
    header = "\n".join([
        f"/* {symbol}.h - generated by `kwsc export`; do not edit. {origin} */",
        f"#ifndef {guard}",
        f"#define {guard}",
        "",
        '#include "kwsc_nn.h"',
        "",
        f"#define {macro}_ARENA_BYTES {plan.arena_bytes}u /* int8 activations, 4-byte aligned */",
        f"#define {macro}_INPUT_FRAMES {frames}u",
        f"#define {macro}_INPUT_COEFFS {coeffs}u",
        f"#define {macro}_NUM_CLASSES {plan.output_bytes}u",
        "",
        f"extern const kwsc_nn_model {symbol};",
        "",
        f"#endif /* {guard} */",
        "",
    ])  # fmt: skip
    parts = [f"/* {symbol}.c - generated by `kwsc export`; do not edit. {origin} */", f'#include "{symbol}.h"', ""]
    entries = []
    for i, op in enumerate(plan.ops):
        refs = {}
        for kind, ctype, array in op.arrays():
            name = f"{symbol}_op{i}_{kind}"
            parts.append(_c_array(ctype, name, array))
            refs[kind] = name
        f = op.fields
        items = [f".type = {op.name}"]
        items += [f".{k} = {f[k]}" for k in OP_FIELDS if f.get(k)]
        items.append(f".in = {{{f['in_height']}, {f['in_width']}, {f['in_channels']}}}")
        items.append(f".out = {{{f['out_height']}, {f['out_width']}, {f['out_channels']}}}")
        items.append(f".input_at = {plan.offsets[op.input_tensor]}u")
        items.append(f".output_at = {plan.offsets[op.output_tensor]}u")
        items += [f".{k} = {f[k]}" for k in _SCALAR_FIELDS + _SOFTMAX_FIELDS if f.get(k)]
        items += [f".{k} = {v}" for k, v in refs.items()]
        entries.append("    {" + ",\n     ".join(items) + "}")
    parts.append(f"static const kwsc_nn_op {symbol}_ops[{len(plan.ops)}] = {{\n" + ",\n".join(entries) + "\n};\n")
    parts.append(
        f"const kwsc_nn_model {symbol} = {{\n"
        f"    .num_ops = {len(plan.ops)},\n    .ops = {symbol}_ops,\n    .arena_bytes = {plan.arena_bytes}u,\n"
        f"    .input_at = {plan.input_at}u,\n    .input_bytes = {plan.input_bytes}u,\n"
        f"    .output_at = {plan.output_at}u,\n    .output_bytes = {plan.output_bytes}u,\n}};\n"
    )
    return header, "\n".join(parts)


def export(tflite_path: str | Path, out_dir: str | Path, symbol: str = "kwsc_model") -> tuple[Path, Path, ModelPlan]:
    """Write ``<out_dir>/<symbol>.h`` and ``.c`` for a .tflite; returns (header, source, plan)."""
    tflite_path = Path(tflite_path)
    if not symbol.isidentifier():
        raise ExportError(f"symbol {symbol!r} is not a C identifier")
    plan = plan_from_tflite(tflite_path.read_bytes())
    header, source = c_source(plan, symbol, origin=f"From {tflite_path.name}.")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    h_path, c_path = out / f"{symbol}.h", out / f"{symbol}.c"
    h_path.write_text(header)
    c_path.write_text(source)
    return h_path, c_path, plan

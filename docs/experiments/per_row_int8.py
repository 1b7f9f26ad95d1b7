"""Experiment (not used by qabot): quantize the int8 export's activations per row instead of per tensor.

``quantize_dynamic`` puts a ``DynamicQuantizeLinear`` before each layer's ``MatMulInteger``:
one scale and zero point for the whole batch, so a text's vector depends on the texts it
is embedded with. This rewrites each of them to quantize every row (token) with its own
min and max (a per-axis ``QuantizeLinear``), and corrects each ``MatMulInteger``'s output
for the per-row zero points (ONNX Runtime takes only a scalar zero point for its first
input). docs/performance.md ("The int8 model's vectors depend on their batch") has what
it measured, and why it was not adopted.

Usage: python docs/experiments/per_row_int8.py <model-int8.onnx> <out.onnx>
"""

from __future__ import annotations

import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def per_row(model: onnx.ModelProto) -> int:
    """Rewrite ``model`` in place; how many ``DynamicQuantizeLinear`` nodes were replaced."""
    graph = model.graph
    weights = {i.name: i for i in graph.initializer}
    consumers: dict[str, list[onnx.NodeProto]] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    constants = {"row_zero_u8": np.array(0, dtype=np.uint8), "row_f0": np.array(0.0, dtype=np.float32),
                 "row_f255": np.array(255.0, dtype=np.float32), "row_tiny": np.array(1e-12, dtype=np.float32),
                 "row_flat": np.array([-1], dtype=np.int64)}
    graph.initializer.extend(numpy_helper.from_array(value, name) for name, value in constants.items())
    after: dict[str, list[onnx.NodeProto]] = {}  # nodes to insert after a Cast, by its name
    nodes: list[onnx.NodeProto] = []
    replaced = 0
    for node in graph.node:
        if node.op_type != "DynamicQuantizeLinear":
            nodes.append(node)
            continue
        replaced += 1
        x, (y, scale, zero) = node.input[0], node.output
        p = f"{node.name}_row"
        step = helper.make_node
        nodes += [
            step("ReduceMin", [x], [p + "_min0"], axes=[-1], keepdims=1),
            step("ReduceMax", [x], [p + "_max0"], axes=[-1], keepdims=1),
            step("Min", [p + "_min0", "row_f0"], [p + "_min"]),
            step("Max", [p + "_max0", "row_f0"], [p + "_max"]),
            step("Sub", [p + "_max", p + "_min"], [p + "_range"]),
            step("Div", [p + "_range", "row_f255"], [p + "_scale0"]),
            step("Max", [p + "_scale0", "row_tiny"], [scale]),
            step("Div", [p + "_min", scale], [p + "_neg"]),
            step("Neg", [p + "_neg"], [p + "_zero0"]),
            step("Round", [p + "_zero0"], [p + "_zero1"]),
            step("Clip", [p + "_zero1", "row_f0", "row_f255"], [p + "_zero"]),
            step("Shape", [x], [p + "_shape"]),
            step("Flatten", [x], [p + "_rows"], axis=2),
            step("Reshape", [scale, "row_flat"], [p + "_scale1"]),
            step("Reshape", [p + "_zero", "row_flat"], [p + "_zero2"]),
            step("Cast", [p + "_zero2"], [p + "_zero_u8"], to=TensorProto.UINT8),
            step("QuantizeLinear", [p + "_rows", p + "_scale1", p + "_zero_u8"], [p + "_q"], axis=0),
            step("Reshape", [p + "_q", p + "_shape"], [y]),
        ]
        for matmul in consumers.get(zero, []):
            w = numpy_helper.to_array(weights[matmul.input[1]]).astype(np.float32)
            w_zero = numpy_helper.to_array(weights[matmul.input[3]]).astype(np.float32)
            column_sums = f"{matmul.output[0]}_column_sums"
            graph.initializer.append(numpy_helper.from_array((w - w_zero).sum(axis=0).astype(np.float32),
                                                             column_sums))
            matmul.input[2] = "row_zero_u8"
            [cast] = [c for c in consumers[matmul.output[0]] if c.op_type == "Cast"]
            out = cast.output[0]
            cast.output[0] = f"{out}_uncorrected"
            after[cast.name] = [step("Mul", [p + "_zero", column_sums], [f"{out}_correction"]),
                                step("Sub", [f"{out}_uncorrected", f"{out}_correction"], [out])]
    ordered = []
    for node in nodes:
        ordered.append(node)
        ordered += after.get(node.name, [])
    del graph.node[:]
    graph.node.extend(ordered)
    return replaced


if __name__ == "__main__":
    model = onnx.load(sys.argv[1])
    print("replaced", per_row(model))
    onnx.checker.check_model(model)
    onnx.save(model, sys.argv[2])

"""Post-training int8 quantization: rewrite a float graph into the quantized IR.

    ranges = calibration.collect_ranges(graph, samples)            # {tensor name: (lo, hi)}
    summary = quantize_graph(graph, ranges, io_dtype="float32")    # rewrites `graph` in place

The scheme and the exact integer arithmetic are in docs/QUANTIZATION.md (the contract
with the integer reference in edgenet/ops and the C kernels). In short:

- weights: int8, symmetric, one scale per output channel, values in [-127, 127];
- activations: int8, asymmetric, one scale and zero point per tensor, from the calibrated
  range widened to include 0 (so zero padding and relu are exact);
- bias: int32 at scale s_in * s_w[c] (implied, not stored: see quantize_bias);
- max_pool2d / reshape / transpose / pad pass their input's parameters through;
  sigmoid / tanh / softmax have fixed output parameters; sigmoid / tanh / hard_swish /
  softmax get their lookup table as a second, constant input.

An op whose int8 decision is float (its OpDef says `quantizable = False`), or whose int8 form is
not possible here (non-constant weights, a requantization multiplier out of range), stays
float, with `dequantize` / `quantize` inserted where its neighbours are int8. Model inputs
and outputs stay float32 unless io_dtype="int8".

The quantizer is split by job:

    params.py   quantization parameters: activation grids, int8 weights, int32 biases, bias correction
    policy.py   which nodes stay float, and the grids activations get (clip_to_consumers)
    tables.py   chains of elementwise ops computed by one int8 lookup table
    rewrite.py  Quantizer / quantize_graph: the float -> int8 graph rewrite
"""
from .params import (MIN_SCALE, activation_quant, bias_correction, constant_quant, grid_ends, per_tensor,
                     quantize_bias, quantize_weights, scalars)
from .policy import (FULL_GRID_READERS, MIXED_RANGE_RATIO, SATURATING_INPUT_RANGE, clip_to_consumers,
                     computing_readers, float_decisions, has_int8_kernel, layer_nodes, output_tail, saturated_tensors,
                     saturation_bounds)
from .rewrite import IO_DTYPES, QuantizationSummary, Quantizer, dynamic_quantize_graph, is_hybrid, quantize_graph
from .tables import chain_function, table_chains

__all__ = ["MIN_SCALE", "activation_quant", "bias_correction", "constant_quant", "grid_ends", "per_tensor",
           "quantize_bias", "quantize_weights", "scalars", "FULL_GRID_READERS", "MIXED_RANGE_RATIO",
           "SATURATING_INPUT_RANGE", "clip_to_consumers", "computing_readers", "float_decisions", "has_int8_kernel",
           "layer_nodes", "output_tail", "saturated_tensors", "saturation_bounds", "IO_DTYPES",
           "QuantizationSummary", "Quantizer", "quantize_graph", "chain_function", "table_chains"]

"""One adapter per runtime: how to build its model files and how to run them.

Each adapter has
    name                          the column label
    module                        the Python module load() imports (the memory probe imports it first)
    version()                     the package version (raises ImportError when not installed)
    build(job, precision, out)    writes the runtime's model file(s) for `precision` ("float32"
                                  or "int8") under directory `out`, returns their paths; raises
                                  Unsupported(reason) when the runtime cannot do it
    load(files, threads)          returns run(x) -> logits: x is the (1, 3, H, W) float32 image,
                                  logits a float32 array; anything the runtime needs around the
                                  call (e.g. quantizing an int8 input) happens inside run(), as it
                                  would in an app

`load` imports only the runtime itself (never torch), so the memory probe, which loads one
model in a fresh process, measures the runtime and not the benchmark's tooling.
"""
import dataclasses
import importlib.metadata
import os
import platform
import subprocess
import sys

import numpy as np

PRECISIONS = ("float32", "int8")


class Unsupported(Exception):
    """This runtime cannot build or run this model/precision; the message says why."""


@dataclasses.dataclass
class BuildJob:
    """What every adapter builds from: one network, its ONNX export and calibration images."""

    model: str                 # name in models.MODELS
    onnx_path: str             # float32 ONNX, input "input" (1, 3, H, W), output "logits"
    torch_module: object       # the eval-mode torch module (for LiteRT's torch converter)
    calibration: np.ndarray    # (N, 3, H, W) float32 images for int8 calibration


def _version(dist):
    return importlib.metadata.version(dist)


def cpu_flags():
    """The CPU feature flags /proc/cpuinfo lists (x86 "flags", Arm "Features"); empty if unknown."""
    try:
        with open("/proc/cpuinfo") as f:
            line = next((l for l in f if l.startswith(("flags", "Features"))), "")
    except OSError:
        line = ""
    return set(line.split(":", 1)[1].split()) if ":" in line else set()


# ----------------------------------------------------------------------------- edgenet

class Edgenet:
    name = "edgenet"
    module = "edgenet"  # what load() imports

    @staticmethod
    def version():
        import edgenet  # noqa: F401  (fails here if the extension is missing or stale)
        return _version("edgenet")

    @staticmethod
    def build(job, precision, out):
        import edgenet

        path = os.path.join(out, f"{job.model}_{precision}.enet")
        kwargs = {}
        if precision == "int8":
            kwargs = dict(quantize="int8", calibration=[{"input": image[None]} for image in job.calibration],
                          verbose=False)
        try:
            model = edgenet.convert(job.onnx_path, **kwargs)
        except Exception as error:  # the importer/quantizer names what it cannot do yet
            raise Unsupported(f"edgenet.convert: {type(error).__name__}: {_first_line(error)}") from error
        model.save(path)
        return [path]

    @staticmethod
    def load(files, threads):
        import edgenet

        interpreter = edgenet.Interpreter(files[0], num_threads=threads)
        input_name, output_name = interpreter.inputs[0].name, interpreter.outputs[0].name
        return lambda x: interpreter.run({input_name: x})[output_name]


# ----------------------------------------------------------------------------- onnxruntime

class OnnxRuntime:
    name = "onnxruntime"
    module = "onnxruntime"  # what load() imports

    @staticmethod
    def version():
        import onnxruntime
        return onnxruntime.__version__

    @staticmethod
    def build(job, precision, out):
        if precision == "float32":
            return [job.onnx_path]
        path = os.path.join(out, f"{job.model}_ort_int8.onnx")
        ort_quantize_static(job.onnx_path, path, [{"input": image[None]} for image in job.calibration],
                            os.path.join(out, f"{job.model}_ort_prep.onnx"))
        return [path]

    @staticmethod
    def load(files, threads):
        session = ort_session(files[0], threads)
        return lambda x: session.run(None, {"input": x})[0]


def ort_reduce_range():
    """ORT's documented setting for x86 without VNNI: 7-bit weights, or its AVX2 u8 x s8 kernels
    saturate 16-bit pair sums (MobileNetV2's int8 features were as much noise as signal)."""
    return platform.machine().lower() in ("x86_64", "amd64") and not cpu_flags() & {"avx512_vnni", "avx_vnni"}


def ort_quantize_static(onnx_path, out_path, feeds, prepared_path):
    """onnxruntime's static int8 (QDQ, per-channel int8 weights, int8 activations, MinMax ranges)
    of `onnx_path` into `out_path`, calibrated on `feeds` (a list of {input name: array} dicts);
    `prepared_path` receives ORT's pre-processed float model. Returns None, or a note on what the
    preparation had to do beyond ORT's recommended quant_pre_process:
      - a model below opset 13 is converted to opset 13 first (onnx.version_converter): per-channel
        QDQ needs DequantizeLinear's axis attribute, which older opsets lack, and quantize_static
        does not upgrade the opset itself (it writes a model ORT then refuses to load);
      - when symbolic shape inference fails (e.g. nudenet's YOLOv8n), quant_pre_process runs with
        skip_symbolic_shape=True, ORT's own option for that (ONNX shape inference still runs)."""
    import onnx
    from onnxruntime import quantization as q

    class Reader(q.CalibrationDataReader):
        def __init__(self):
            self._feeds = iter(feeds)

        def get_next(self):
            return next(self._feeds, None)

    notes = []
    model = onnx.load(onnx_path)
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), None)
    if opset is not None and opset < 13:
        onnx_path = prepared_path + ".opset13.onnx"
        onnx.save(onnx.version_converter.convert_version(model, 13), onnx_path)
        notes.append(f"converted from opset {opset} to 13 for per-channel QDQ")
    del model
    onnx_path, prepared_path = os.path.abspath(onnx_path), os.path.abspath(prepared_path)
    cwd = os.getcwd()
    os.chdir(os.path.dirname(prepared_path))  # where a failing symbolic shape inference dumps its model
    try:
        q.quant_pre_process(onnx_path, prepared_path)  # shape inference + graph cleanup, as ORT recommends
    except Exception as error:
        q.quant_pre_process(onnx_path, prepared_path, skip_symbolic_shape=True)
        notes.append(f"quant_pre_process skipped symbolic shape inference ({type(error).__name__}: {_first_line(error)})")
    finally:
        os.chdir(cwd)
    q.quantize_static(prepared_path, out_path, Reader(), quant_format=q.QuantFormat.QDQ, per_channel=True,
                      reduce_range=ort_reduce_range(), activation_type=q.QuantType.QInt8,
                      weight_type=q.QuantType.QInt8, calibrate_method=q.CalibrationMethod.MinMax)
    return "; ".join(notes) or None


def ort_session(path, threads):
    """A CPU InferenceSession: `threads` intra-op threads, 1 inter-op thread, all graph optimizations."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    return onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])


# ----------------------------------------------------------------------------- LiteRT

class LiteRT:
    """ai-edge-litert's Interpreter (TFLite with its default XNNPACK delegate). Float models come
    from litert-torch (the torch module, not the ONNX file: LiteRT has no ONNX importer); int8 from
    ai-edge-quantizer's static int8 recipe (int8 weights per channel, int8 activations)."""

    name = "litert"
    module = "ai_edge_litert.interpreter"  # what load() imports

    @staticmethod
    def version():
        return _version("ai-edge-litert")

    @staticmethod
    def build(job, precision, out):
        float_path = os.path.join(out, f"{job.model}_float32.tflite")
        if not os.path.exists(float_path):
            import litert_torch
            import torch

            example = torch.from_numpy(job.calibration[:1])
            litert_torch.convert(job.torch_module, (example,)).export(float_path)
        if precision == "float32":
            return [float_path]
        from ai_edge_quantizer import quantizer, recipe

        tool = quantizer.Quantizer(float_path)
        tool.load_quantization_recipe(recipe.static_wi8_ai8())
        signature, input_name = _litert_signature_input(float_path)
        ranges = tool.calibrate({signature: [{input_name: image[None]} for image in job.calibration]})
        path = os.path.join(out, f"{job.model}_int8.tflite")
        tool.quantize(ranges, enable_progress_report=False).export_model(path, overwrite=True)
        return [path]

    @staticmethod
    def load(files, threads):
        from ai_edge_litert.interpreter import Interpreter

        interpreter = Interpreter(model_path=files[0], num_threads=threads)
        interpreter.allocate_tensors()
        (input_detail,), (output_detail,) = interpreter.get_input_details(), interpreter.get_output_details()
        to_input = _quantizer(input_detail)
        from_output = _dequantizer(output_detail)

        def run(x):
            interpreter.set_tensor(input_detail["index"], to_input(x))
            interpreter.invoke()
            return from_output(interpreter.get_tensor(output_detail["index"]))

        return run


def _litert_signature_input(path):
    from ai_edge_litert.interpreter import Interpreter

    signatures = Interpreter(model_path=path).get_signature_list()
    signature = next(iter(signatures))
    return signature, signatures[signature]["inputs"][0]


def _quantizer(detail):
    """float -> the tensor's dtype (int8 inputs of ai-edge-quantizer models carry scale/zero point)."""
    if detail["dtype"] == np.float32:
        return lambda x: x
    scale, zero_point = detail["quantization"]
    info = np.iinfo(detail["dtype"])
    return lambda x: np.clip(np.round(x / scale) + zero_point, info.min, info.max).astype(detail["dtype"])


def _dequantizer(detail):
    if detail["dtype"] == np.float32:
        return lambda y: y
    scale, zero_point = detail["quantization"]
    return lambda y: (y.astype(np.float32) - zero_point) * np.float32(scale)


# ----------------------------------------------------------------------------- ncnn

class Ncnn:
    """ncnn, float only: its model comes from pnnx (PyPI) converting the ONNX file; ncnn's int8
    tools (ncnn2table, ncnn2int8) ship in no wheel."""

    name = "ncnn"
    module = "ncnn"  # what load() imports

    @staticmethod
    def version():
        return _version("ncnn")

    @staticmethod
    def build(job, precision, out):
        if precision == "int8":
            raise Unsupported("ncnn's int8 tools (ncnn2table/ncnn2int8) ship in no PyPI wheel")
        import pnnx  # noqa: F401  (the pnnx wheel ships the converter binary)

        pnnx_binary = os.path.join(os.path.dirname(sys.modules["pnnx"].__file__), "pnnx")
        work = os.path.join(out, f"{job.model}_pnnx")
        os.makedirs(work, exist_ok=True)
        source = os.path.join(work, "model.onnx")  # pnnx writes its outputs beside its input
        if os.path.lexists(source):
            os.remove(source)
        os.symlink(os.path.abspath(job.onnx_path), source)
        shape = ",".join(str(d) for d in job.calibration[:1].shape)
        result = subprocess.run([pnnx_binary, source, f"inputshape=[{shape}]"], cwd=work,
                                capture_output=True, text=True)
        files = [os.path.join(work, "model.ncnn.param"), os.path.join(work, "model.ncnn.bin")]
        if result.returncode != 0 or not all(os.path.exists(f) for f in files):
            raise Unsupported(f"pnnx failed: {result.stderr.strip().splitlines()[-1:]}")
        return files

    @staticmethod
    def load(files, threads):
        import ncnn

        net = ncnn.Net()
        net.opt.use_vulkan_compute = False
        net.opt.num_threads = threads
        # ncnn stores and computes in fp16/bf16 where the CPU allows it; this row is float32.
        net.opt.use_fp16_packed = net.opt.use_fp16_storage = net.opt.use_fp16_arithmetic = False
        net.opt.use_bf16_storage = False
        net.load_param(files[0])
        net.load_model(files[1])
        input_name, output_name = net.input_names()[0], net.output_names()[0]

        def run(x):
            extractor = net.create_extractor()
            extractor.input(input_name, ncnn.Mat(np.ascontiguousarray(x[0])))
            _, result = extractor.extract(output_name)
            return np.array(result).reshape(1, -1)

        return run


# ----------------------------------------------------------------------------- MNN

class Mnn:
    """MNN, float only: its converter is called through the wheel's compiled `_tools` module, not
    the `mnnconvert` Python wrapper (which sends usage logs over the network and may try to
    pip-install a logging package that downgrades protobuf)."""

    name = "mnn"
    module = "MNN.nn"  # what load() imports

    @staticmethod
    def version():
        return _version("MNN")

    @staticmethod
    def build(job, precision, out):
        import _tools

        float_path = os.path.join(out, f"{job.model}_float32.mnn")
        if not os.path.exists(float_path):
            _tools.mnnconvert(["mnnconvert", "-f", "ONNX", "--modelFile", job.onnx_path,
                               "--MNNModel", float_path, "--bizCode", "edgenet-bench"])
        if not os.path.exists(float_path):
            raise Unsupported("MNN's converter wrote no model")
        if precision == "int8":
            # Checked with MNN 3.6.1: _tools.mnnquant aborts the whole process (std::length_error)
            # even on a well-formed image-folder config, so it is not called.
            raise Unsupported("the MNN wheel's int8 quantizer (_tools.mnnquant) aborts the process")
        return [float_path]

    @staticmethod
    def load(files, threads):
        import MNN.expr as F
        import MNN.nn as nn

        runtime = nn.create_runtime_manager(({"backend": "CPU", "numThread": threads},))
        net = nn.load_module_from_file(files[0], ["input"], ["logits"], runtime_manager=runtime)
        return lambda x: np.array(net.forward([F.const(x, list(x.shape), F.NCHW)])[0].read())


def _first_line(error):
    text = str(error).strip()
    return text.splitlines()[0][:200] if text else ""


RUNTIMES = {adapter.name: adapter for adapter in (Edgenet, OnnxRuntime, LiteRT, Ncnn, Mnn)}
PEERS = [name for name in RUNTIMES if name != "edgenet"]

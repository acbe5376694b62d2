"""Real pretrained models shipped by PyPI packages, their pre/post-processing, and input sets
for task-level int8 checks (benchmarks/task_models.py).

- OCR: rapidocr_onnxruntime's PP-OCRv4 recognizer (CRNN/SVTR + CTC). Inputs: text lines
  rendered with PIL in Debian's DejaVu fonts (or PIL's default font); preprocessing and CTC
  decoding follow rapidocr's TextRecognizer / CTCLabelDecode; the character list is the one
  stored in the model's metadata.
- Detector: nudenet's 320n.onnx, a YOLOv8n (output (1, 22, 2100): cx, cy, w, h in pixels,
  then 18 class scores in [0, 1] -- the concat-of-ranges layout). Inputs: scikit-image's
  photos with faces (faces are two of its classes) and the LFW face crops it ships,
  letterboxed like nudenet's own preprocessing.

Calibration, validation (the accuracy search's samples) and held-out sets are disjoint (different
text; different images). The packages are in the `test` and `tasks` extras; tests/test_task_accuracy.py
checks the task on the held-out inputs, benchmarks/task_models.py times int8 against float.
"""
import glob
import os

import numpy as np

OCR_LINES_CALIBRATION = ["Hello world 2024", "quantization error", "edge runtime test", "PaddleOCR v4 model",
                         "int8 keeps the task", "The quick brown fox", "Invoice no. 58213", "Total: 17.45 EUR"]
OCR_LINES_HELD_OUT = ["jumps over the lazy dog", "Receipt 2026-11-28", "neural network", "Page 12 of 40",
                      "Call 555-0199 today", "ONNX to edgenet", "Milk 2.99 Bread 1.49", "Station Road 7"]
# The accuracy search's samples: neither calibration nor held-out.
OCR_LINES_VALIDATION = ["Order #4471 shipped", "temperature 21.5 C", "Open 9am - 5pm", "Warranty void if removed",
                        "Batch size 32", "Exit 14B northbound", "Price per kg 3.20", "Meeting room 4",
                        "Tickets sold out", "Net weight 500 g", "Platform 9 departures", "Best before 03/27",
                        "Free parking", "VAT included 19%", "Gate B22 closes", "Serial ZX-8841",
                        "Fragile handle with care", "Room 101", "Due date 15 June", "Apples 1.99/lb",
                        "Please ring the bell", "Flight LH 2231", "Table 7 reserved", "Coffee & cake 4.50",
                        "Keep left", "Version 3.2.1", "No entry", "Account 0042-7719",
                        "Hours: Mon-Fri", "Fresh bread daily", "Wi-Fi password", "Lot 88 of 120"]
OCR_INPUT_SHAPE = (1, 3, 48, 320)
DETECTOR_INPUT_SHAPE = (1, 3, 320, 320)


def _package_file(package, relative):
    """A data file a package ships, found without importing the package (rapidocr's import pulls in
    OpenCV's GUI build, which needs libGL; the ONNX files are all we use)."""
    import importlib.util

    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"package {package} is not installed (pip install -e .[test])")
    path = os.path.join(list(spec.submodule_search_locations)[0], relative)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{package} does not ship {relative}")
    return path


def ocr_model_path():
    return _package_file("rapidocr_onnxruntime", "models/ch_PP-OCRv4_rec_infer.onnx")


def detector_model_path():
    return _package_file("nudenet", "320n.onnx")


# ---- OCR ------------------------------------------------------------------------------------


def ocr_characters(model_path):
    """CTC classes: blank, the model's character list (stored in its metadata), space."""
    import onnx

    meta = {p.key: p.value for p in onnx.load(model_path, load_external_data=False).metadata_props}
    return ["blank"] + meta["character"].splitlines() + [" "]


def _fonts():
    """Debian's DejaVu fonts (fonts-dejavu-core and fonts-dejavu-extra, which .ci/run installs): each
    line gets one, so the text sets vary in typeface. Without them PIL's default font draws every line."""
    return sorted(glob.glob("/usr/share/fonts/truetype/dejavu/DejaVu*.ttf"))


def render_line(text, font_index):
    """A dark-on-light text line image (H x W x 3 uint8), like a cropped detection."""
    from PIL import Image, ImageDraw, ImageFont

    fonts = _fonts()
    font = ImageFont.truetype(fonts[font_index % len(fonts)], 32) if fonts else ImageFont.load_default()
    left, top, right, bottom = ImageDraw.Draw(Image.new("L", (1, 1))).textbbox((0, 0), text, font=font)
    image = Image.new("RGB", (right - left + 16, bottom - top + 16), (245, 242, 235))
    ImageDraw.Draw(image).text((8 - left, 8 - top), text, fill=(20, 20, 30), font=font)
    return np.asarray(image)


def ocr_input(line_image):
    """rapidocr's TextRecognizer.resize_norm_img for a 48 x 320 batch: keep the aspect ratio,
    scale to [-1, 1], pad on the right with zeros."""
    from PIL import Image

    _, channels, height, width = OCR_INPUT_SHAPE
    h, w = line_image.shape[:2]
    resized_w = min(width, int(np.ceil(height * w / h)))
    resized = np.asarray(Image.fromarray(line_image).resize((resized_w, height), Image.BILINEAR), np.float32)
    out = np.zeros((channels, height, width), np.float32)
    out[:, :, :resized_w] = (resized.transpose(2, 0, 1) / 255.0 - 0.5) / 0.5
    return out[None]


def ctc_decode(probabilities, characters):
    """rapidocr's CTCLabelDecode: argmax per step, merge repeats, drop blanks (index 0)."""
    index = np.asarray(probabilities).reshape(-1, len(characters)).argmax(axis=1)
    keep = np.ones(len(index), bool)
    keep[1:] = index[1:] != index[:-1]
    return "".join(characters[i] for i in index[keep & (index != 0)])


def ocr_feeds(lines, first_font):
    return [{"x": ocr_input(render_line(text, first_font + i))} for i, text in enumerate(lines)]


# ---- detector -------------------------------------------------------------------------------


def letterbox(image):
    """nudenet's _read_image: pad right/bottom to a square, resize to 320, RGB in [0, 1], NCHW."""
    from PIL import Image

    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    image = image[..., :3]
    h, w = image.shape[:2]
    side = max(h, w)
    square = np.zeros((side, side, 3), np.uint8)
    square[:h, :w] = image
    resized = np.asarray(Image.fromarray(square).resize(DETECTOR_INPUT_SHAPE[2:], Image.BILINEAR), np.float32)
    return (resized / 255.0).transpose(2, 0, 1)[None].copy()


def _lfw_face(index, size=160):
    """LFW crop `index` of scikit-image's subset (0-99 are faces, 100-199 are not), size x size."""
    import skimage.data
    from PIL import Image

    faces = np.load(os.path.join(os.path.dirname(skimage.data.__file__), "lfw_subset.npy"))
    face = (faces[index] * 255).astype(np.uint8)
    return np.asarray(Image.fromarray(face).resize((size, size), Image.BILINEAR))


def _face_in_scene(face_index, background, x, y, size):
    """An LFW face pasted into a photo: a face at a known place and scale in a real scene."""
    from PIL import Image

    scene = np.stack([background] * 3, axis=-1) if background.ndim == 2 else background[..., :3].copy()
    face = np.asarray(Image.fromarray(_lfw_face(face_index, size)))
    scene[y:y + size, x:x + size] = face[..., None]
    return scene


def detector_images(which):
    """("name", H x W x 3 uint8) images: "calibration", "validation" (the accuracy search's) or
    "held_out". The three sets share no photo and no face: LFW faces 0-3, 10 and 20 and the
    astronaut, camera, china and flower photos are held out. scikit-image's LFW subset holds 100
    faces (0-99) and 100 non-face crops (100-199); validation has some of both. Calibration and
    validation have faces at the scales a detector meets (a face filling the image; 140-240 px in a
    scene; 56-96 px ones, which YOLO's high-resolution head finds)."""
    import skimage.data as photos

    if which == "validation":
        return [(f"lfw{i}", _lfw_face(i)) for i in list(range(30, 58)) + list(range(80, 116))] + [
            ("chelsea+face", _face_in_scene(40, photos.chelsea(), 60, 40, 160)),
            ("rocket+face", _face_in_scene(41, photos.rocket(), 300, 120, 140)),
            ("hubble+face", _face_in_scene(42, photos.hubble_deep_field(), 100, 150, 240)),
            ("brick+small", _face_in_scene(4, photos.brick(), 300, 200, 64)),
            ("grass+small", _face_in_scene(5, photos.grass(), 100, 350, 80)),
            ("gravel+small", _face_in_scene(6, photos.gravel(), 400, 60, 56)),
            ("moon+small", _face_in_scene(7, photos.moon(), 220, 260, 72)),
            ("coffee+small", _face_in_scene(8, photos.coffee(), 420, 80, 64)),
            ("chelsea+small", _face_in_scene(9, photos.chelsea(), 300, 30, 72)),
            ("rocket+small", _face_in_scene(11, photos.rocket(), 60, 300, 60)),
            ("cells+small", _face_in_scene(12, photos.immunohistochemistry(), 256, 256, 96))]
    if which == "calibration":
        images = [(f"lfw{i}", _lfw_face(i)) for i in range(60, 68)]
        images += [("coffee", photos.coffee()), ("chelsea", photos.chelsea()), ("rocket", photos.rocket()),
                   ("scene-coffee", _face_in_scene(70, photos.coffee(), 200, 100, 180)),
                   ("grass+small", _face_in_scene(13, photos.grass(), 300, 100, 72)),
                   ("brick+small", _face_in_scene(14, photos.brick(), 80, 380, 64)),
                   ("moon+small", _face_in_scene(15, photos.moon(), 350, 350, 88))]
        return images
    from sklearn.datasets import load_sample_images

    china, flower = load_sample_images().images
    images = [("astronaut", photos.astronaut()), ("camera", photos.camera())]
    images += [(f"lfw{i}", _lfw_face(i)) for i in range(4)]
    images += [("china+face", _face_in_scene(10, china, 250, 120, 200)),
               ("flower+face", _face_in_scene(20, flower, 120, 60, 220))]
    return images


def detector_feeds(which):
    return [{"images": letterbox(image)} for _, image in detector_images(which)]


def top_detection(output):
    """(class index, score, box (x1, y1, x2, y2) in pixels) of the highest-scoring anchor of a
    YOLOv8 output (1, 4 + classes, anchors)."""
    rows = np.asarray(output, np.float64)[0].T
    scores = rows[:, 4:]
    best = int(np.argmax(scores.max(axis=1)))
    cx, cy, w, h = rows[best, :4]
    return int(scores[best].argmax()), float(scores[best].max()), np.array([cx - w / 2, cy - h / 2, cx + w / 2,
                                                                              cy + h / 2])


def iou(a, b):
    x1, y1 = np.maximum(a[:2], b[:2])
    x2, y2 = np.minimum(a[2:], b[2:])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


# nudenet's own post-processing (NudeDetector._postprocess) drops boxes scoring below this.
DETECTION_THRESHOLD = 0.2
SCORE_TOLERANCE = 0.1


def same_top_detection(reference, candidate):
    """The issue's detector criterion: same class, box IoU >= 0.5, score within 0.1.

    An image on which the reference detects nothing (top score below nudenet's threshold: nudenet
    reports no detection, and the "top" anchor's class is noise among near-zero scores) keeps the
    task when the candidate detects nothing either, within the same score tolerance (its top score
    stays below threshold + 0.1)."""
    (c1, s1, b1), (c2, s2, b2) = top_detection(reference), top_detection(candidate)
    if s1 < DETECTION_THRESHOLD:
        return s2 < DETECTION_THRESHOLD + SCORE_TOLERANCE
    return c1 == c2 and iou(b1, b2) >= 0.5 and abs(s1 - s2) <= SCORE_TOLERANCE

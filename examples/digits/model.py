"""The bundled example network: a small CNN for 8x8 handwritten digits, defined
with edgenet's graph API. Its trained weights ship in digits.npz (made by
train.py); the test and calibration images ship there too.

Input "image": (1, 8, 8, 1) float32, NHWC, pixel values in [0, 1]
(scikit-learn's 0..16 intensities divided by 16; 0 = background).
Output "probs": (1, 10) softmax probabilities for the digits 0-9.
"""
from pathlib import Path

import numpy as np

import edgenet

DATA = Path(__file__).resolve().parent / "digits.npz"


def load_data():
    """The weights and the held-out data as a dict of numpy arrays."""
    with np.load(DATA) as npz:
        return dict(npz)


def to_input(images_u8):
    """uint8 images (N, 8, 8) with values 0..16 -> float32 NHWC (N, 8, 8, 1) in [0, 1]."""
    return (np.asarray(images_u8, np.float32) / 16.0)[..., None]


def build_graph(w):
    g = edgenet.Graph("digits")
    x = g.input("image", shape=(1, 8, 8, 1))
    y = g.conv2d(x, w["conv1_w"], padding="same")                           # (1, 8, 8, 16)
    y = g.batch_norm(y, mean=w["bn1_mean"], variance=w["bn1_var"],
                     scale=w["bn1_scale"], offset=w["bn1_offset"], epsilon=1e-5)
    y = g.relu(y)
    y = g.depthwise_conv2d(y, w["dw_w"], w["dw_b"], padding="same", activation="relu")
    y = g.conv2d(y, w["pw_w"], w["pw_b"], activation="relu6")              # (1, 8, 8, 32)
    y = g.max_pool2d(y, 2)                                                  # (1, 4, 4, 32)
    y = g.reshape(y, (1, 4 * 4 * 32))
    y = g.fully_connected(y, w["fc1_w"], w["fc1_b"], activation="relu")
    y = g.fully_connected(y, w["fc2_w"], w["fc2_b"])
    g.output(g.softmax(y), "probs")
    return g

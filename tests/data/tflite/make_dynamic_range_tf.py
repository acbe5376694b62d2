"""Writes dynamic_range_tf.tflite beside this file: a small CNN through TF 2.21's converter with
Optimize.DEFAULT and no representative dataset (a dynamic-range model; needs tensorflow, not a test
dependency). tests/test_tflite_dynamic_range.py runs it against LiteRT."""
import pathlib

import numpy as np
import tensorflow as tf

inp = tf.keras.Input((16, 16, 8), batch_size=1)
x = tf.keras.layers.Conv2D(48, 3, padding="same", activation="relu6")(inp)   # 3456 weights: int8
x = tf.keras.layers.Conv2D(128, 1, activation="relu")(x)                      # 6144: int8 (1x1)
x = tf.keras.layers.DepthwiseConv2D(3, strides=2, padding="same", activation="relu6")(x)  # 1152: int8
x = tf.keras.layers.Conv2D(32, 3, strides=2, padding="valid")(x)              # 36864: int8
x = tf.keras.layers.Flatten()(x)
out = tf.keras.layers.Dense(10)(x)                                            # 3*3*32*10 = 2880: int8
m = tf.keras.Model(inp, out)
rng = np.random.default_rng(0)
for w in m.weights:
    fan = np.prod(w.shape[:-1]) if len(w.shape) > 1 else 1
    w.assign(rng.normal(0, 1 / np.sqrt(fan) if len(w.shape) > 1 else 0.1, w.shape).astype(np.float32))
c = tf.lite.TFLiteConverter.from_keras_model(m)
c.optimizations = [tf.lite.Optimize.DEFAULT]
(pathlib.Path(__file__).parent / "dynamic_range_tf.tflite").write_bytes(c.convert())

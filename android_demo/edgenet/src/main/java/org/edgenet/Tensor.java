package org.edgenet;

import java.util.Arrays;

/**
 * Description of one input or output of an {@link Interpreter}: name, dtype, shape and
 * quantization. A snapshot: after {@link Interpreter#resizeInput} ask the interpreter again.
 */
public final class Tensor {
  private final String name;
  private final DataType dataType;
  private final int[] shape;
  private final long numBytes;
  private final float[] scales;
  private final long[] zeroPoints;
  private final int quantizedDimension;

  // Called from the JNI glue (edgenet_jni.c); keep the signature in sync with it.
  Tensor(
      String name,
      int dtypeCode,
      int[] shape,
      long numBytes,
      float[] scales,
      long[] zeroPoints,
      int quantizedDimension) {
    this.name = name;
    this.dataType = DataType.fromCode(dtypeCode);
    this.shape = shape;
    this.numBytes = numBytes;
    this.scales = scales;
    this.zeroPoints = zeroPoints;
    this.quantizedDimension = quantizedDimension;
  }

  public String name() {
    return name;
  }

  public DataType dataType() {
    return dataType;
  }

  /** The current shape; -1 marks a dynamic dimension not yet resolved by resizeInput. */
  public int[] shape() {
    return shape.clone();
  }

  /** Number of elements at the current shape. */
  public int numElements() {
    long n = 1;
    for (int d : shape) {
      n *= d;
    }
    return (int) n;
  }

  /** Size in bytes of the data at the current shape. */
  public long numBytes() {
    return numBytes;
  }

  /** True when the tensor carries int8/uint8 quantization parameters. */
  public boolean isQuantized() {
    return scales.length > 0;
  }

  /** Scale per quantized channel (one entry for per-tensor quantization); empty if not quantized. */
  public float[] scales() {
    return scales.clone();
  }

  /** Zero point per quantized channel; empty if not quantized. */
  public long[] zeroPoints() {
    return zeroPoints.clone();
  }

  /** The axis that per-channel quantization indexes. */
  public int quantizedDimension() {
    return quantizedDimension;
  }

  @Override
  public String toString() {
    String q =
        isQuantized()
            ? ", scale=" + Arrays.toString(scales) + ", zero_point=" + Arrays.toString(zeroPoints)
            : "";
    return name + ": " + dataType + " " + Arrays.toString(shape) + q;
  }
}

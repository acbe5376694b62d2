package org.edgenet;

/** Element type of a tensor. Codes equal {@code enet_dtype} in edgenet.h (and schema/edgenet.fbs). */
public enum DataType {
  FLOAT32(0, 4),
  INT8(1, 1),
  INT32(2, 4),
  UINT8(3, 1),
  INT16(4, 2),
  INT64(5, 8),
  BOOL(6, 1);

  private final int code;
  private final int byteSize;

  DataType(int code, int byteSize) {
    this.code = code;
    this.byteSize = byteSize;
  }

  /** The numeric code used by the C API. */
  public int code() {
    return code;
  }

  /** Bytes per element. */
  public int byteSize() {
    return byteSize;
  }

  static DataType fromCode(int code) {
    for (DataType t : values()) {
      if (t.code == code) {
        return t;
      }
    }
    throw new IllegalArgumentException("Unknown edgenet dtype code " + code);
  }

  /**
   * The Java primitive element type that carries this dtype in arrays: float for FLOAT32, byte for
   * INT8/UINT8, int for INT32, short for INT16, long for INT64, byte or boolean for BOOL.
   */
  boolean acceptsArrayOf(Class<?> component) {
    switch (this) {
      case FLOAT32:
        return component == float.class;
      case INT8:
      case UINT8:
        return component == byte.class;
      case BOOL:
        return component == byte.class || component == boolean.class;
      case INT32:
        return component == int.class;
      case INT16:
        return component == short.class;
      case INT64:
        return component == long.class;
      default:
        return false;
    }
  }

  /** A new flat Java array with {@code n} elements of this dtype's carrier type. */
  Object newArray(int n) {
    switch (this) {
      case FLOAT32:
        return new float[n];
      case INT32:
        return new int[n];
      case INT16:
        return new short[n];
      case INT64:
        return new long[n];
      default:
        return new byte[n];
    }
  }
}

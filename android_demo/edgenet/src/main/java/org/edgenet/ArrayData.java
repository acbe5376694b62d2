package org.edgenet;

import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.List;

/**
 * Helpers for the Java arrays that carry tensor data: flat primitive arrays (float[]) and nested
 * ones (float[1][8][8][1], Kotlin's Array&lt;FloatArray&gt;). Nested arrays are copied to and from a
 * flat array in row-major (C) order, the layout of the native tensor.
 */
final class ArrayData {
  private ArrayData() {}

  /** The primitive element type at the bottom of a (possibly nested) array, or null. */
  static Class<?> elementType(Object array) {
    Class<?> c = array.getClass();
    while (c.isArray()) {
      c = c.getComponentType();
    }
    return c.isPrimitive() ? c : null;
  }

  static boolean isNested(Object array) {
    return array.getClass().getComponentType().isArray();
  }

  /** The shape of a nested array, read along its first elements. */
  static int[] shapeOf(Object array) {
    List<Integer> dims = new ArrayList<>();
    Object a = array;
    while (a != null && a.getClass().isArray()) {
      int n = Array.getLength(a);
      dims.add(n);
      a = n > 0 ? Array.get(a, 0) : null;
    }
    int[] shape = new int[dims.size()];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = dims.get(i);
    }
    return shape;
  }

  /** Copies a nested array into a new flat array of the same element type. */
  static Object flatten(Object nested, int numElements) {
    Object flat = Array.newInstance(elementType(nested), numElements);
    int end = copy(nested, flat, 0, true);
    if (end != numElements) {
      throw new IllegalArgumentException("ragged array: expected " + numElements + " elements");
    }
    return flat;
  }

  /** Copies a flat array into an existing nested array of matching total size. */
  static void unflatten(Object flat, Object nested) {
    copy(nested, flat, 0, false);
  }

  private static int copy(Object nested, Object flat, int offset, boolean toFlat) {
    int n = Array.getLength(nested);
    if (!isNested(nested)) {
      if (offset + n > Array.getLength(flat)) {
        throw new IllegalArgumentException("ragged array: more elements than the tensor holds");
      }
      if (toFlat) {
        System.arraycopy(nested, 0, flat, offset, n);
      } else {
        System.arraycopy(flat, offset, nested, 0, n);
      }
      return offset + n;
    }
    for (int i = 0; i < n; i++) {
      Object child = Array.get(nested, i);
      if (child == null) {
        throw new IllegalArgumentException("array has a null row");
      }
      offset = copy(child, flat, offset, toFlat);
    }
    return offset;
  }
}

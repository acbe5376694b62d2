package org.edgenet;

import java.io.File;
import java.nio.ByteBuffer;
import java.security.PublicKey;

/**
 * A loaded, verified {@code .enet} model. Immutable and thread-safe: share one Model between any
 * number of {@link Interpreter}s on any threads (each thread needs its own Interpreter).
 *
 * <p>Closing a Model that interpreters still use is safe: the native model is freed when the last
 * of them closes.
 */
public final class Model implements AutoCloseable {
  private long handle;
  // A direct buffer the native model reads in place (zero-copy); kept reachable so the GC cannot
  // free the memory under the native model.
  private final ByteBuffer pinnedBuffer;
  private int openInterpreters;
  private boolean closed;

  private Model(long handle, ByteBuffer pinnedBuffer) {
    this.handle = handle;
    this.pinnedBuffer = pinnedBuffer;
  }

  /** Memory-maps and verifies a model file. */
  public static Model fromFile(File file) {
    if (file == null) {
      throw new IllegalArgumentException("model file is null");
    }
    NativeLibrary.load();
    return new Model(nativeLoadFile(file.getPath()), null);
  }

  /**
   * Loads a model from a buffer. A direct buffer (e.g. a {@link java.nio.MappedByteBuffer} of an
   * asset or file) is used in place without a copy and must not change while the model lives; a
   * heap buffer is copied. The model spans the buffer's position to its limit.
   */
  public static Model fromBuffer(ByteBuffer buffer) {
    if (buffer == null) {
      throw new IllegalArgumentException("model buffer is null");
    }
    NativeLibrary.load();
    if (!buffer.isDirect()) {
      byte[] bytes = new byte[buffer.remaining()];
      buffer.duplicate().get(bytes);
      return fromBytes(bytes);
    }
    ByteBuffer view = buffer.slice();
    long h = nativeLoadDirect(view, view.remaining());
    return new Model(h, view);
  }

  /** Loads a model from bytes (the native model keeps its own copy). */
  public static Model fromBytes(byte[] bytes) {
    if (bytes == null) {
      throw new IllegalArgumentException("model bytes are null");
    }
    NativeLibrary.load();
    return new Model(nativeLoadBytes(bytes), null);
  }

  /**
   * Loads a model from bytes after checking their detached Ed25519 signature (see {@link
   * ModelSignature}); throws SecurityException, and loads nothing, when it does not match. For
   * over-the-air updates: ship the public key with the app, download {@code model.enet} and {@code
   * model.enet.sig}.
   */
  public static Model fromBytes(byte[] bytes, PublicKey publicKey, byte[] signature) {
    ModelSignature.verify(bytes, signature, publicKey);
    return fromBytes(bytes);
  }

  public synchronized int getInputCount() {
    return nativeNumInputs(checkedHandle());
  }

  public synchronized int getOutputCount() {
    return nativeNumOutputs(checkedHandle());
  }

  /** A metadata value stored in the model (e.g. "labels"), or null when the key is absent. */
  public synchronized String getMetadata(String key) {
    if (key == null) {
      throw new IllegalArgumentException("metadata key is null");
    }
    return nativeMetadata(checkedHandle(), key);
  }

  /** Frees the native model once no interpreter uses it. Safe to call more than once. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    freeIfUnused();
  }

  /** Registers an interpreter; returns the native handle it may use until {@link #release}. */
  synchronized long acquire() {
    long h = checkedHandle();
    openInterpreters++;
    return h;
  }

  synchronized void release() {
    openInterpreters--;
    freeIfUnused();
  }

  private void freeIfUnused() {
    if (closed && openInterpreters == 0 && handle != 0) {
      nativeFree(handle);
      handle = 0;
    }
  }

  private long checkedHandle() {
    if (closed) {
      throw new IllegalStateException("Model has been closed");
    }
    return handle;
  }

  private static native long nativeLoadFile(String path);

  private static native long nativeLoadDirect(ByteBuffer buffer, long size);

  private static native long nativeLoadBytes(byte[] bytes);

  private static native void nativeFree(long handle);

  private static native int nativeNumInputs(long handle);

  private static native int nativeNumOutputs(long handle);

  private static native String nativeMetadata(long handle, String key);
}

package org.edgenet;

import java.io.File;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs an edgenet model. Modeled on LiteRT's {@code Interpreter}:
 *
 * <pre>{@code
 * try (Interpreter it = new Interpreter(new File("digits.enet"))) {
 *   float[] probs = new float[10];
 *   it.run(pixels, probs);            // pixels: float[64] or float[1][8][8][1]
 * }
 * }</pre>
 *
 * <p>Data is passed as primitive arrays (flat, or nested in the tensor's shape) or as
 * {@link ByteBuffer}s; a direct buffer in native byte order is read/written by the native code
 * with no Java-side copy. Dtypes map to arrays as: FLOAT32 float[], INT8/UINT8 byte[], INT32 int[],
 * INT16 short[], INT64 long[], BOOL byte[] or boolean[].
 *
 * <p><b>Threads:</b> an Interpreter is not thread-safe; a {@link Model} is. Use one Interpreter per
 * thread, all sharing one Model. Calling an Interpreter from a second thread while a call is in
 * progress throws {@link IllegalStateException} instead of corrupting memory. Handing an
 * Interpreter from one thread to another between calls is fine.
 *
 * <p>Errors: bad shapes, dtypes, names or model files raise {@link IllegalArgumentException}; any
 * use after {@link #close()} raises {@link IllegalStateException}. {@code close()} is idempotent.
 */
public final class Interpreter implements AutoCloseable {

  /** Creation options. */
  public static final class Options {
    private int numThreads = 0;

    /** Worker threads for one inference; 0 or less means one per CPU core (the default). */
    public Options setNumThreads(int numThreads) {
      this.numThreads = numThreads;
      return this;
    }

    public int getNumThreads() {
      return numThreads;
    }
  }

  private final Model model;
  private final boolean ownsModel;
  private volatile long handle;
  // The thread inside a call right now, or null: how "not thread-safe" is enforced.
  private final AtomicReference<Thread> activeThread = new AtomicReference<>();
  private long lastInferenceNanos = -1;

  public Interpreter(File modelFile) {
    this(modelFile, new Options());
  }

  public Interpreter(File modelFile, Options options) {
    this(Model.fromFile(modelFile), options, true);
  }

  /** From a model buffer; a direct/mapped buffer is used in place (see {@link Model#fromBuffer}). */
  public Interpreter(ByteBuffer modelBuffer) {
    this(modelBuffer, new Options());
  }

  public Interpreter(ByteBuffer modelBuffer, Options options) {
    this(Model.fromBuffer(modelBuffer), options, true);
  }

  public Interpreter(byte[] modelBytes) {
    this(modelBytes, new Options());
  }

  public Interpreter(byte[] modelBytes, Options options) {
    this(Model.fromBytes(modelBytes), options, true);
  }

  /** Shares {@code model} with other interpreters; closing this interpreter leaves it open. */
  public Interpreter(Model model) {
    this(model, new Options());
  }

  public Interpreter(Model model, Options options) {
    this(model, options, false);
  }

  private Interpreter(Model model, Options options, boolean ownsModel) {
    if (model == null) {
      throw new IllegalArgumentException("model is null");
    }
    this.model = model;
    this.ownsModel = ownsModel;
    int threads = options == null ? 0 : options.getNumThreads();
    long modelHandle;
    try {
      modelHandle = model.acquire();
    } catch (RuntimeException e) {
      if (ownsModel) {
        model.close();
      }
      throw e;
    }
    try {
      handle = nativeCreate(modelHandle, threads);
    } catch (RuntimeException e) {
      model.release();
      if (ownsModel) {
        model.close();
      }
      throw e;
    }
  }

  // ---- tensor info -----------------------------------------------------------------------------

  public int getInputCount() {
    long h = enter();
    try {
      return nativeInputCount(h);
    } finally {
      exit();
    }
  }

  public int getOutputCount() {
    long h = enter();
    try {
      return nativeOutputCount(h);
    } finally {
      exit();
    }
  }

  public Tensor getInputTensor(int index) {
    long h = enter();
    try {
      return nativeTensor(h, true, index);
    } finally {
      exit();
    }
  }

  public Tensor getOutputTensor(int index) {
    long h = enter();
    try {
      return nativeTensor(h, false, index);
    } finally {
      exit();
    }
  }

  /** Index of the input called {@code name}; IllegalArgumentException if there is none. */
  public int getInputIndex(String name) {
    long h = enter();
    try {
      return inputIndex(h, name);
    } finally {
      exit();
    }
  }

  /** Index of the output called {@code name}; IllegalArgumentException if there is none. */
  public int getOutputIndex(String name) {
    long h = enter();
    try {
      return outputIndex(h, name);
    } finally {
      exit();
    }
  }

  /**
   * Sets the shape of input {@code index} and re-plans memory without reloading the model. Only
   * dimensions the model marks dynamic (-1) may change; output shapes follow, and state variables
   * keep their values. IllegalArgumentException (with the core's message) for an index out of
   * range, a wrong rank or a changed fixed dimension.
   */
  public void resizeInput(int index, int[] shape) {
    if (shape == null) {
      throw new IllegalArgumentException("shape is null");
    }
    long h = enter();
    try {
      nativeResizeInput(h, index, shape);
    } finally {
      exit();
    }
  }

  /** {@link #resizeInput(int, int[])} for the input called {@code name}. */
  public void resizeInput(String name, int[] shape) {
    resizeInput(getInputIndex(name), shape);
  }

  /**
   * Sets every state variable of a streaming model back to its initial value, so the next run
   * starts a new stream. Each run of an interpreter starts from the states its previous successful
   * run left; two interpreters keep separate states. Nothing to do for a model without states.
   */
  public void resetState() {
    long h = enter();
    try {
      nativeResetState(h);
    } finally {
      exit();
    }
  }

  /** Bytes of the planned activation arena. */
  public long getArenaSizeBytes() {
    long h = enter();
    try {
      return nativeArenaSize(h);
    } finally {
      exit();
    }
  }

  /** Wall time of the last native invoke, or -1 before the first run. */
  public long getLastNativeInferenceDurationNanoseconds() {
    return lastInferenceNanos;
  }

  // ---- running ---------------------------------------------------------------------------------

  /** Runs a model with one input; {@code output} receives output 0. */
  public void run(Object input, Object output) {
    runForMultipleInputsOutputs(
        new Object[] {input}, Collections.<Integer, Object>singletonMap(0, output));
  }

  /**
   * Runs with every input given in model order; each entry of {@code outputs} (output index to
   * array/buffer) is filled. Outputs not in the map are computed but not copied.
   */
  public void runForMultipleInputsOutputs(Object[] inputs, Map<Integer, ?> outputs) {
    if (inputs == null || outputs == null) {
      throw new IllegalArgumentException("inputs and outputs must not be null");
    }
    long h = enter();
    try {
      int numInputs = nativeInputCount(h);
      if (inputs.length != numInputs) {
        throw new IllegalArgumentException(
            "Model has " + numInputs + " input(s), got " + inputs.length);
      }
      int numOutputs = nativeOutputCount(h);
      for (Integer index : outputs.keySet()) {
        if (index == null || index < 0 || index >= numOutputs) {
          throw new IllegalArgumentException(
              "Output index " + index + " out of range: model has " + numOutputs + " output(s)");
        }
      }
      for (int i = 0; i < inputs.length; i++) {
        setInput(h, i, inputs[i]);
      }
      invoke(h);
      for (Map.Entry<Integer, ?> e : outputs.entrySet()) {
        getOutput(h, e.getKey(), e.getValue());
      }
    } finally {
      exit();
    }
  }

  /**
   * Runs with inputs keyed by name (all inputs required) and returns every output by name, as a
   * new flat array of its dtype (float[] for FLOAT32, ...).
   */
  public Map<String, Object> run(Map<String, ?> inputs) {
    long h = enter();
    try {
      setNamedInputs(h, inputs);
      invoke(h);
      Map<String, Object> results = new LinkedHashMap<>();
      int numOutputs = nativeOutputCount(h);
      for (int i = 0; i < numOutputs; i++) {
        Tensor t = nativeTensor(h, false, i);
        Object data = t.dataType().newArray(t.numElements());
        nativeGetOutputArray(h, i, data, t.dataType().byteSize());
        results.put(t.name(), data);
      }
      return results;
    } finally {
      exit();
    }
  }

  /** Runs with inputs keyed by name and fills the given outputs, keyed by name. */
  public void run(Map<String, ?> inputs, Map<String, ?> outputs) {
    if (outputs == null) {
      throw new IllegalArgumentException("outputs must not be null");
    }
    long h = enter();
    try {
      Map<Integer, Object> byIndex = new LinkedHashMap<>();
      for (Map.Entry<String, ?> e : outputs.entrySet()) {
        byIndex.put(outputIndex(h, e.getKey()), e.getValue());
      }
      setNamedInputs(h, inputs);
      invoke(h);
      for (Map.Entry<Integer, Object> e : byIndex.entrySet()) {
        getOutput(h, e.getKey(), e.getValue());
      }
    } finally {
      exit();
    }
  }

  /** Frees the native interpreter (and the model if this interpreter created it). Idempotent. */
  @Override
  public void close() {
    Thread me = Thread.currentThread();
    if (!activeThread.compareAndSet(null, me)) {
      throw new IllegalStateException(
          "Cannot close: the Interpreter is running on thread '" + activeThread.get().getName()
              + "'");
    }
    try {
      if (handle != 0) {
        nativeFree(handle);
        handle = 0;
        model.release();
        if (ownsModel) {
          model.close();
        }
      }
    } finally {
      activeThread.set(null);
    }
  }

  // ---- internals (called with the thread guard held) -------------------------------------------

  private long enter() {
    Thread me = Thread.currentThread();
    if (!activeThread.compareAndSet(null, me)) {
      Thread other = activeThread.get();
      throw new IllegalStateException(
          "Interpreter is in use by thread '"
              + (other == null ? "?" : other.getName())
              + "'. An Interpreter is not thread-safe: create one per thread (they can share one"
              + " Model).");
    }
    long h = handle;
    if (h == 0) {
      activeThread.set(null);
      throw new IllegalStateException("Interpreter has been closed");
    }
    return h;
  }

  private void exit() {
    activeThread.set(null);
  }

  private void invoke(long h) {
    long start = System.nanoTime();
    nativeInvoke(h);
    lastInferenceNanos = System.nanoTime() - start;
  }

  private static int inputIndex(long h, String name) {
    List<String> names = tensorNames(h, true);
    int index = names.indexOf(name);
    if (index < 0) {
      throw new IllegalArgumentException(
          "Unknown input '" + name + "'; the model's inputs are " + names);
    }
    return index;
  }

  private static int outputIndex(long h, String name) {
    List<String> names = tensorNames(h, false);
    int index = names.indexOf(name);
    if (index < 0) {
      throw new IllegalArgumentException(
          "Unknown output '" + name + "'; the model's outputs are " + names);
    }
    return index;
  }

  /**
   * The names as {@link Tensor#name()} reports them, so a lookup matches what the user saw: bytes
   * of a name that are not valid UTF-8 read as U+FFFD on both sides.
   */
  private static List<String> tensorNames(long h, boolean inputs) {
    int n = inputs ? nativeInputCount(h) : nativeOutputCount(h);
    List<String> names = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      names.add(nativeTensor(h, inputs, i).name());
    }
    return names;
  }

  private static void setNamedInputs(long h, Map<String, ?> inputs) {
    if (inputs == null) {
      throw new IllegalArgumentException("inputs must not be null");
    }
    Object[] ordered = new Object[nativeInputCount(h)];
    for (Map.Entry<String, ?> e : inputs.entrySet()) {
      ordered[inputIndex(h, e.getKey())] = e.getValue();
    }
    for (int i = 0; i < ordered.length; i++) {
      if (ordered[i] == null) {
        throw new IllegalArgumentException(
            "Missing input '" + nativeTensor(h, true, i).name() + "'");
      }
    }
    for (int i = 0; i < ordered.length; i++) {
      setInput(h, i, ordered[i]);
    }
  }

  private static void setInput(long h, int index, Object data) {
    Tensor t = nativeTensor(h, true, index);
    String what = "Input '" + t.name() + "'";
    if (data instanceof ByteBuffer) {
      ByteBuffer b = (ByteBuffer) data;
      checkBuffer(t, b, what);
      if (b.remaining() != t.numBytes()) {
        throw new IllegalArgumentException(
            what + " needs " + t.numBytes() + " bytes, the buffer has " + b.remaining());
      }
      if (b.isDirect()) {
        nativeSetInputBuffer(h, index, b, b.position(), b.remaining());
      } else {
        byte[] copy = new byte[b.remaining()];
        b.duplicate().get(copy);
        nativeSetInputArray(h, index, copy, 1);
      }
      return;
    }
    Object flat = toFlatArray(t, data, what);
    nativeSetInputArray(h, index, flat, t.dataType().byteSize());
  }

  private static void getOutput(long h, int index, Object dest) {
    Tensor t = nativeTensor(h, false, index);
    String what = "Output '" + t.name() + "'";
    if (dest instanceof ByteBuffer) {
      ByteBuffer b = (ByteBuffer) dest;
      checkBuffer(t, b, what);
      if (b.isReadOnly()) {
        throw new IllegalArgumentException(what + ": the buffer is read-only");
      }
      if (b.remaining() < t.numBytes()) {
        throw new IllegalArgumentException(
            what + " needs " + t.numBytes() + " bytes, the buffer has " + b.remaining());
      }
      int n = (int) t.numBytes();
      if (b.isDirect()) {
        nativeGetOutputBuffer(h, index, b, b.position(), n);
      } else {
        byte[] copy = new byte[n];
        nativeGetOutputArray(h, index, copy, 1);
        b.duplicate().put(copy);
      }
      return;
    }
    checkArray(t, dest, what);
    if (ArrayData.isNested(dest)) {
      Object flat = t.dataType().newArray(t.numElements());
      nativeGetOutputArray(h, index, flat, t.dataType().byteSize());
      ArrayData.unflatten(flat, dest);
    } else {
      nativeGetOutputArray(h, index, dest, t.dataType().byteSize());
    }
  }

  /** Validates an array against the tensor's dtype and shape; returns it as a flat array. */
  private static Object toFlatArray(Tensor t, Object data, String what) {
    checkArray(t, data, what);
    return ArrayData.isNested(data) ? ArrayData.flatten(data, t.numElements()) : data;
  }

  private static void checkArray(Tensor t, Object data, String what) {
    if (data == null) {
      throw new IllegalArgumentException(what + ": data is null");
    }
    Class<?> element = data.getClass().isArray() ? ArrayData.elementType(data) : null;
    if (element == null) {
      throw new IllegalArgumentException(
          what + " needs a primitive array or a ByteBuffer, got " + data.getClass().getName());
    }
    if (!t.dataType().acceptsArrayOf(element)) {
      throw new IllegalArgumentException(
          what + " has dtype " + t.dataType() + ", got a " + element.getName() + " array");
    }
    if (ArrayData.isNested(data)) {
      int[] shape = ArrayData.shapeOf(data);
      if (!java.util.Arrays.equals(shape, t.shape())) {
        throw new IllegalArgumentException(
            what + " has shape " + java.util.Arrays.toString(t.shape()) + ", got an array of shape "
                + java.util.Arrays.toString(shape));
      }
    } else if (java.lang.reflect.Array.getLength(data) != t.numElements()) {
      throw new IllegalArgumentException(
          what + " has shape " + java.util.Arrays.toString(t.shape()) + " (" + t.numElements()
              + " elements), got an array of " + java.lang.reflect.Array.getLength(data)
              + " elements");
    }
  }

  private static void checkBuffer(Tensor t, ByteBuffer b, String what) {
    if (t.dataType().byteSize() > 1 && b.order() != ByteOrder.nativeOrder()) {
      throw new IllegalArgumentException(
          what + ": the ByteBuffer must use ByteOrder.nativeOrder() for " + t.dataType());
    }
  }

  // ---- native methods (edgenet/src/main/cpp/edgenet_jni.c) ------------------------------------

  private static native long nativeCreate(long modelHandle, int numThreads);

  private static native void nativeFree(long handle);

  private static native int nativeInputCount(long handle);

  private static native int nativeOutputCount(long handle);

  private static native Tensor nativeTensor(long handle, boolean input, int index);

  private static native void nativeResizeInput(long handle, int index, int[] shape);

  private static native void nativeSetInputArray(
      long handle, int index, Object array, int elementSize);

  private static native void nativeSetInputBuffer(
      long handle, int index, ByteBuffer buffer, int position, int numBytes);

  private static native void nativeInvoke(long handle);

  private static native void nativeResetState(long handle);

  private static native void nativeGetOutputArray(
      long handle, int index, Object array, int elementSize);

  private static native void nativeGetOutputBuffer(
      long handle, int index, ByteBuffer buffer, int position, int numBytes);

  private static native long nativeArenaSize(long handle);
}

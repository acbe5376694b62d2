package org.edgenet;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;

/**
 * Checks the detached Ed25519 signature of a model file (written by {@code edgenet sign
 * model.enet --key private.pem} as {@code model.enet.sig}: the raw 64-byte signature of the whole
 * file) before the app loads it, e.g. after an over-the-air model update. See
 * edgenet/integrity.py for the format.
 *
 * <p>Uses the platform's {@code Signature.getInstance("Ed25519")}: JDK 15 and later; on Android
 * the platform provider has Ed25519 from API level 33 (Android 13). On older devices register a
 * provider that has it (e.g. BouncyCastle) with {@link java.security.Security#addProvider}; without
 * one, verification throws {@link SecurityException} ("Ed25519 is not available"), never skips.
 */
public final class ModelSignature {
  /** Bytes of a raw Ed25519 signature. */
  public static final int SIGNATURE_SIZE = 64;

  private ModelSignature() {}

  /**
   * The public key in a PEM file as {@code edgenet keygen} writes it ("-----BEGIN PUBLIC KEY-----",
   * X.509 SubjectPublicKeyInfo). Throws IllegalArgumentException for text that is not one.
   */
  public static PublicKey publicKeyFromPem(String pem) {
    if (pem == null) {
      throw new IllegalArgumentException("public key PEM is null");
    }
    String begin = "-----BEGIN PUBLIC KEY-----";
    String end = "-----END PUBLIC KEY-----";
    int from = pem.indexOf(begin);
    int to = pem.indexOf(end);
    if (from < 0 || to < from) {
      throw new IllegalArgumentException("not a PEM public key (no " + begin + " block)");
    }
    String base64 = pem.substring(from + begin.length(), to).replaceAll("\\s", "");
    return publicKeyFromDer(decodeBase64(base64));
  }

  /** Standard base64 with padding (java.util.Base64 needs Android API 26; this library supports 21). */
  static byte[] decodeBase64(String text) {
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    int padding = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
    if (text.length() % 4 != 0) {
      throw new IllegalArgumentException("PEM public key is not valid base64 (length " + text.length() + ")");
    }
    byte[] out = new byte[text.length() / 4 * 3 - padding];
    int bits = 0;
    int count = 0;
    int n = 0;
    for (int i = 0; i < text.length() - padding; i++) {
      int value = alphabet.indexOf(text.charAt(i));
      if (value < 0) {
        throw new IllegalArgumentException("PEM public key is not valid base64 (character " + i + ")");
      }
      bits = ((bits << 6) | value) & 0xFFFF; // only the last 14 bits are ever read
      count += 6;
      if (count >= 8) {
        count -= 8;
        out[n++] = (byte) (bits >> count);
      }
    }
    return out;
  }

  /** An Ed25519 public key from its X.509 SubjectPublicKeyInfo DER encoding. */
  public static PublicKey publicKeyFromDer(byte[] der) {
    if (der == null) {
      throw new IllegalArgumentException("public key bytes are null");
    }
    try {
      return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der));
    } catch (NoSuchAlgorithmException e) {
      throw unavailable(e);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("not an Ed25519 public key: " + e.getMessage(), e);
    }
  }

  /**
   * Returns normally when {@code signature} is the Ed25519 signature of {@code model} by the owner
   * of {@code publicKey}; otherwise throws SecurityException (a tampered or substituted file, a
   * wrong key or a damaged signature).
   */
  public static void verify(byte[] model, byte[] signature, PublicKey publicKey) {
    if (model == null || signature == null || publicKey == null) {
      throw new IllegalArgumentException("model, signature and public key must not be null");
    }
    if (signature.length != SIGNATURE_SIZE) {
      throw new SecurityException(
          "model signature has " + signature.length + " bytes; an Ed25519 signature has " + SIGNATURE_SIZE);
    }
    boolean valid;
    try {
      Signature verifier = Signature.getInstance("Ed25519");
      verifier.initVerify(publicKey);
      verifier.update(model);
      valid = verifier.verify(signature);
    } catch (NoSuchAlgorithmException e) {
      throw unavailable(e);
    } catch (GeneralSecurityException e) {
      throw new SecurityException("model signature verification failed: " + e.getMessage(), e);
    }
    if (!valid) {
      throw new SecurityException(
          "model signature verification failed: the model is not the file the key's owner signed");
    }
  }

  private static SecurityException unavailable(NoSuchAlgorithmException e) {
    return new SecurityException(
        "Ed25519 is not available on this platform (JDK 15+ / Android API 33+, or add a provider)", e);
  }
}

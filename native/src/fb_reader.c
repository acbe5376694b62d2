/* fb_reader.c — see fb_reader.h. Every read is preceded by a range check. */
#include "fb_reader.h"

#include <string.h>

#include "internal.h"

/* Is [pos, pos + len) inside the buffer? Written to avoid overflow. */
static int in_range(const fb_buffer* b, size_t pos, size_t len) {
  return pos <= b->size && len <= b->size - pos;
}

static int bad(const fb_buffer* b, const char* what, size_t pos, size_t len) {
  enet_set_error(ENET_ERROR_INVALID_MODEL, "%s at [%zu, %zu) lies outside the %zu-byte model", what,
                 pos, pos + len, b->size);
  return -1;
}

static uint16_t rd_u16(const uint8_t* p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t rd_u32(const uint8_t* p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static uint64_t rd_u64(const uint8_t* p) { return (uint64_t)rd_u32(p) | ((uint64_t)rd_u32(p + 4) << 32); }

/* Opens the table whose inline data starts at `pos`. */
static int open_table(const fb_buffer* b, size_t pos, fb_table* out) {
  if (!in_range(b, pos, 4)) return bad(b, "table", pos, 4);
  int32_t soffset = (int32_t)rd_u32(b->data + pos);
  /* The vtable lives at pos - soffset; compute in int64 to avoid wrap-around. */
  int64_t vt = (int64_t)pos - (int64_t)soffset;
  if (vt < 0 || !in_range(b, (size_t)vt, 4)) return bad(b, "vtable", vt < 0 ? 0 : (size_t)vt, 4);
  uint16_t vt_size = rd_u16(b->data + vt), tbl_size = rd_u16(b->data + vt + 2);
  if (vt_size < 4 || (vt_size & 1)) {
    enet_set_error(ENET_ERROR_INVALID_MODEL, "vtable at %lld has invalid size %u", (long long)vt, vt_size);
    return -1;
  }
  if (!in_range(b, (size_t)vt, vt_size)) return bad(b, "vtable", (size_t)vt, vt_size);
  if (tbl_size < 4 || !in_range(b, pos, tbl_size)) return bad(b, "table", pos, tbl_size);
  out->buf = b;
  out->pos = pos;
  out->vtable = (size_t)vt;
  out->vt_size = vt_size;
  out->tbl_size = tbl_size;
  return 1;
}

/* Finds field `slot` of `width` bytes; sets *pos to its absolute position. */
static int field_pos(const fb_table* t, int slot, size_t width, size_t* pos) {
  size_t entry = 4 + 2 * (size_t)slot;
  if (entry + 2 > t->vt_size) return 0; /* written by an older schema: absent */
  uint16_t off = rd_u16(t->buf->data + t->vtable + entry);
  if (off == 0) return 0;
  if (off < 4 || (size_t)off + width > t->tbl_size) {
    enet_set_error(ENET_ERROR_INVALID_MODEL, "field %d of table at %zu: offset %u + %zu exceeds table size %u",
                   slot, t->pos, off, width, t->tbl_size);
    return -1;
  }
  *pos = t->pos + off;
  return 1;
}

#define DEFINE_SCALAR_GETTER(NAME, TYPE, WIDTH, READ)                   \
  int NAME(const fb_table* t, int slot, TYPE def, TYPE* out) {          \
    size_t pos;                                                         \
    int r = field_pos(t, slot, WIDTH, &pos);                            \
    if (r <= 0) {                                                       \
      *out = def;                                                       \
      return r;                                                         \
    }                                                                   \
    READ;                                                               \
    return 1;                                                           \
  }

DEFINE_SCALAR_GETTER(fb_get_u8, uint8_t, 1, *out = t->buf->data[pos])
DEFINE_SCALAR_GETTER(fb_get_i8, int8_t, 1, *out = (int8_t)t->buf->data[pos])
DEFINE_SCALAR_GETTER(fb_get_u16, uint16_t, 2, *out = rd_u16(t->buf->data + pos))
DEFINE_SCALAR_GETTER(fb_get_i32, int32_t, 4, *out = (int32_t)rd_u32(t->buf->data + pos))
DEFINE_SCALAR_GETTER(fb_get_u32, uint32_t, 4, *out = rd_u32(t->buf->data + pos))
DEFINE_SCALAR_GETTER(fb_get_f32, float, 4, { uint32_t u = rd_u32(t->buf->data + pos); memcpy(out, &u, 4); })

/* Follows the uoffset stored at `pos` (relative to pos itself). */
static int follow(const fb_buffer* b, size_t pos, size_t* target) {
  uint32_t off = rd_u32(b->data + pos);
  if (off == 0 || (size_t)off > b->size - pos) return bad(b, "reference target", pos, (size_t)off);
  *target = pos + off;
  return 1;
}

int fb_root(const fb_buffer* b, const char identifier[4], fb_table* out) {
  if (b->size < 8) {
    enet_set_error(ENET_ERROR_INVALID_MODEL, "file is %zu bytes, too small for a model header", b->size);
    return -1;
  }
  if (memcmp(b->data + 4, identifier, 4) != 0) {
    enet_set_error(ENET_ERROR_INVALID_MODEL, "wrong file identifier (expected \"%.4s\"): not an edgenet model",
                   identifier);
    return -1;
  }
  size_t root;
  if (follow(b, 0, &root) < 0) return -1;
  return open_table(b, root, out);
}

int fb_get_table(const fb_table* t, int slot, fb_table* out) {
  size_t pos, target;
  int r = field_pos(t, slot, 4, &pos);
  if (r <= 0) return r;
  if (follow(t->buf, pos, &target) < 0) return -1;
  return open_table(t->buf, target, out);
}

static int open_vector(const fb_buffer* b, size_t pos, size_t elem_size, fb_vector* out) {
  size_t start;
  if (follow(b, pos, &start) < 0) return -1;
  if (!in_range(b, start, 4)) return bad(b, "vector length", start, 4);
  uint32_t len = rd_u32(b->data + start);
  /* len * elem_size cannot overflow size_t on 64-bit, but can on 32-bit. */
  if (elem_size != 0 && (size_t)len > (SIZE_MAX - 4) / elem_size) return bad(b, "vector", start, SIZE_MAX);
  if (!in_range(b, start + 4, (size_t)len * elem_size)) return bad(b, "vector", start + 4, (size_t)len * elem_size);
  out->buf = b;
  out->pos = start + 4;
  out->len = len;
  out->elem_size = elem_size;
  return 1;
}

int fb_get_vector(const fb_table* t, int slot, size_t elem_size, fb_vector* out) {
  size_t pos;
  int r = field_pos(t, slot, 4, &pos);
  if (r <= 0) {
    out->buf = t->buf;
    out->pos = 0;
    out->len = 0;
    out->elem_size = elem_size;
    return r;
  }
  return open_vector(t->buf, pos, elem_size, out);
}

int fb_get_string(const fb_table* t, int slot, const char** out, uint32_t* out_len) {
  size_t pos;
  fb_vector v;
  *out = "";
  *out_len = 0;
  int r = field_pos(t, slot, 4, &pos);
  if (r <= 0) return r;
  if (open_vector(t->buf, pos, 1, &v) < 0) return -1;
  /* The terminating NUL must be inside the buffer too, and no NUL may hide inside
   * the string (C callers would see a truncated name). */
  if (!in_range(t->buf, v.pos, (size_t)v.len + 1) || t->buf->data[v.pos + v.len] != 0) {
    enet_set_error(ENET_ERROR_INVALID_MODEL, "string at %zu is not NUL-terminated inside the model", v.pos);
    return -1;
  }
  if (memchr(t->buf->data + v.pos, 0, v.len) != NULL) {
    enet_set_error(ENET_ERROR_INVALID_MODEL, "string at %zu contains an embedded NUL byte", v.pos);
    return -1;
  }
  *out = (const char*)t->buf->data + v.pos;
  *out_len = v.len;
  return 1;
}

static int elem_pos(const fb_vector* v, uint32_t i, size_t width, size_t offset, size_t* pos) {
  if (i >= v->len || offset + width > v->elem_size) {
    enet_set_error(ENET_ERROR_INVALID_MODEL, "vector element %u out of range (length %u)", i, v->len);
    return -1;
  }
  *pos = v->pos + (size_t)i * v->elem_size + offset;
  return 1;
}

int fb_vec_i32(const fb_vector* v, uint32_t i, int32_t* out) {
  size_t pos;
  if (elem_pos(v, i, 4, 0, &pos) < 0) return -1;
  *out = (int32_t)rd_u32(v->buf->data + pos);
  return 1;
}

int fb_vec_i64(const fb_vector* v, uint32_t i, int64_t* out) {
  size_t pos;
  if (elem_pos(v, i, 8, 0, &pos) < 0) return -1;
  *out = (int64_t)rd_u64(v->buf->data + pos);
  return 1;
}

int fb_vec_f32(const fb_vector* v, uint32_t i, float* out) {
  size_t pos;
  if (elem_pos(v, i, 4, 0, &pos) < 0) return -1;
  uint32_t u = rd_u32(v->buf->data + pos);
  memcpy(out, &u, 4);
  return 1;
}

int fb_vec_table(const fb_vector* v, uint32_t i, fb_table* out) {
  size_t pos, target;
  if (elem_pos(v, i, 4, 0, &pos) < 0) return -1;
  if (follow(v->buf, pos, &target) < 0) return -1;
  return open_table(v->buf, target, out);
}

int fb_vec_struct_u64(const fb_vector* v, uint32_t i, size_t offset, uint64_t* out) {
  size_t pos;
  if (elem_pos(v, i, 8, offset, &pos) < 0) return -1;
  *out = rd_u64(v->buf->data + pos);
  return 1;
}

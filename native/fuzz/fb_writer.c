/* fb_writer.c — see fb_writer.h. Little-endian host assumed (x86-64, ARM). */
#include "fb_writer.h"

#include <stdlib.h>
#include <string.h>

void fbw_init(fbw* w) { memset(w, 0, sizeof *w); }

void fbw_free(fbw* w) {
  free(w->data);
  memset(w, 0, sizeof *w);
}

static int reserve(fbw* w, size_t extra) {
  if (w->failed) return 0;
  if (w->len + extra <= w->cap) return 1;
  size_t cap = w->cap ? w->cap : 1024;
  while (cap < w->len + extra) cap *= 2;
  uint8_t* p = realloc(w->data, cap);
  if (!p) {
    w->failed = 1;
    return 0;
  }
  memset(p + w->cap, 0, cap - w->cap);
  w->data = p;
  w->cap = cap;
  return 1;
}

size_t fbw_align(fbw* w, size_t alignment) {
  size_t pad = (alignment - w->len % alignment) % alignment;
  if (reserve(w, pad)) {
    memset(w->data + w->len, 0, pad);
    w->len += pad;
  }
  return w->len;
}

size_t fbw_bytes(fbw* w, const void* p, size_t n) {
  size_t pos = w->len;
  if (reserve(w, n)) {
    if (n) memcpy(w->data + pos, p, n);
    w->len += n;
  }
  return pos;
}

void fbw_patch(fbw* w, size_t field_pos, size_t target) {
  if (w->failed || field_pos + 4 > w->len) return;
  uint32_t off = (uint32_t)(target - field_pos);
  memcpy(w->data + field_pos, &off, 4);
}

void fbw_table_begin(fbw_table* t) { memset(t, 0, sizeof *t); }

void fbw_table_scalar(fbw_table* t, int slot, const void* value, size_t size) {
  if (slot < 0 || slot >= FBW_MAX_SLOTS) return;
  /* Inline fields start after the 4-byte soffset; keep each naturally aligned. */
  size_t pos = 4 + t->len;
  pos = (pos + size - 1) / size * size;
  if (pos - 4 + size > FBW_MAX_INLINE) return;
  memcpy(t->inline_data + (pos - 4), value, size);
  t->len = pos - 4 + size;
  t->field_offset[slot] = (uint16_t)pos;
  if (slot + 1 > t->num_slots) t->num_slots = slot + 1;
}

void fbw_table_ref(fbw_table* t, int slot) {
  uint32_t zero = 0;
  fbw_table_scalar(t, slot, &zero, 4);
}

size_t fbw_table_end(fbw* w, const fbw_table* t) {
  uint16_t vt[2 + FBW_MAX_SLOTS];
  size_t table_size = 4 + t->len;
  vt[0] = (uint16_t)(4 + 2 * t->num_slots);
  vt[1] = (uint16_t)table_size;
  for (int i = 0; i < t->num_slots; i++) vt[2 + i] = t->field_offset[i];
  /* The table (and its 8-byte fields) must be 8-aligned after the vtable. */
  size_t vt_bytes = 4 + 2 * (size_t)t->num_slots;
  size_t pad = (8 - (w->len + vt_bytes) % 8) % 8;
  uint8_t zeros[8] = {0};
  fbw_bytes(w, zeros, pad);
  size_t vt_pos = fbw_bytes(w, vt, vt_bytes);
  size_t table_pos = w->len;
  int32_t soffset = (int32_t)(table_pos - vt_pos);
  fbw_bytes(w, &soffset, 4);
  fbw_bytes(w, t->inline_data, t->len);
  return table_pos;
}

size_t fbw_field_pos(const fbw_table* t, size_t table_pos, int slot) { return table_pos + t->field_offset[slot]; }

size_t fbw_vector(fbw* w, const void* elems, uint32_t n, size_t elem_size) {
  /* Elements of 8 bytes are 8-aligned: the 4-byte length sits right before them. */
  size_t align = elem_size >= 8 ? 8 : 4;
  if ((w->len + 4) % align) fbw_bytes(w, "\0\0\0\0", align - (w->len + 4) % align);
  size_t pos = fbw_bytes(w, &n, 4);
  fbw_bytes(w, elems, (size_t)n * elem_size);
  fbw_align(w, 4);
  return pos;
}

size_t fbw_ref_vector(fbw* w, uint32_t n, size_t* first_elem_pos) {
  fbw_align(w, 4);
  size_t pos = fbw_bytes(w, &n, 4);
  *first_elem_pos = w->len;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t zero = 0;
    fbw_bytes(w, &zero, 4);
  }
  return pos;
}

size_t fbw_string(fbw* w, const char* s) {
  uint32_t n = (uint32_t)strlen(s);
  fbw_align(w, 4);
  size_t pos = fbw_bytes(w, &n, 4);
  fbw_bytes(w, s, n + 1);
  fbw_align(w, 4);
  return pos;
}

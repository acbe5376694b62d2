/*
 * fb_reader.h — a small, bounds-checked FlatBuffers reader.
 *
 * The model file is untrusted, so every access here checks that the bytes it
 * touches lie inside the buffer before reading them (with memcpy, so no
 * alignment assumptions either). Functions return 1 when the field is present,
 * 0 when it is absent (the caller uses the schema default) and -1 on a
 * malformed buffer, with the reason left in enet_last_error().
 *
 * Field slots come from schema_generated.h (ENET_<Table>_<field>).
 */
#ifndef EDGENET_FB_READER_H
#define EDGENET_FB_READER_H

#include <stddef.h>
#include <stdint.h>

typedef struct fb_buffer {
  const uint8_t* data;
  size_t size;
} fb_buffer;

/* A verified table: its vtable and inline data lie inside the buffer. */
typedef struct fb_table {
  const fb_buffer* buf;
  size_t pos;        /* start of the table's inline data */
  size_t vtable;     /* start of its vtable */
  uint16_t vt_size;  /* bytes in the vtable */
  uint16_t tbl_size; /* bytes of inline data */
} fb_table;

/* A verified vector: `len` elements of `elem_size` bytes starting at `pos`. */
typedef struct fb_vector {
  const fb_buffer* buf;
  size_t pos;
  uint32_t len;
  size_t elem_size;
} fb_vector;

/* Checks the file identifier and opens the root table. */
int fb_root(const fb_buffer* buf, const char identifier[4], fb_table* out);

/* Scalars: *out is set to `def` when the field is absent. */
int fb_get_u8(const fb_table* t, int slot, uint8_t def, uint8_t* out);
int fb_get_i8(const fb_table* t, int slot, int8_t def, int8_t* out);
int fb_get_u16(const fb_table* t, int slot, uint16_t def, uint16_t* out);
int fb_get_i32(const fb_table* t, int slot, int32_t def, int32_t* out);
int fb_get_u32(const fb_table* t, int slot, uint32_t def, uint32_t* out);
int fb_get_f32(const fb_table* t, int slot, float def, float* out);

/* References. A string is NUL-terminated inside the buffer. */
int fb_get_table(const fb_table* t, int slot, fb_table* out);
int fb_get_vector(const fb_table* t, int slot, size_t elem_size, fb_vector* out);
int fb_get_string(const fb_table* t, int slot, const char** out, uint32_t* out_len);

/* Vector elements (index must be < len; checked again). */
int fb_vec_i32(const fb_vector* v, uint32_t i, int32_t* out);
int fb_vec_i64(const fb_vector* v, uint32_t i, int64_t* out);
int fb_vec_f32(const fb_vector* v, uint32_t i, float* out);
int fb_vec_table(const fb_vector* v, uint32_t i, fb_table* out);
/* A field of an inline struct element: `width` bytes at `offset` inside element i. */
int fb_vec_struct_u64(const fb_vector* v, uint32_t i, size_t offset, uint64_t* out);

#endif /* EDGENET_FB_READER_H */

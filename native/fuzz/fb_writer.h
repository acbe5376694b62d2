/*
 * fb_writer.h — a minimal FlatBuffer writer for the fuzz generator (native/fuzz/model_gen.c).
 *
 * Writes front to back: a parent is written before its children, and every reference
 * (uoffset) is patched once the child's position is known, so references always point
 * forward as FlatBuffers requires. Each table's vtable sits right before the table.
 * Field slots are the ENET_<Table>_<field> indices of src/schema_generated.h, the same
 * ones the loader reads with, so writer and reader cannot disagree on the layout.
 */
#ifndef EDGENET_FUZZ_FB_WRITER_H
#define EDGENET_FUZZ_FB_WRITER_H

#include <stddef.h>
#include <stdint.h>

typedef struct fbw {
  uint8_t* data;
  size_t len, cap;
  int failed; /* out of memory: every later write is a no-op */
} fbw;

/* A table being assembled: its inline bytes (after the 4-byte soffset) and the
 * offset of each slot's field inside it (0 = absent). */
#define FBW_MAX_SLOTS 16
#define FBW_MAX_INLINE 128
typedef struct fbw_table {
  uint8_t inline_data[FBW_MAX_INLINE];
  size_t len;
  int num_slots;
  uint16_t field_offset[FBW_MAX_SLOTS];
} fbw_table;

void fbw_init(fbw* w);
void fbw_free(fbw* w);
/* Pads with zero bytes to a multiple of `alignment`; returns the new length. */
size_t fbw_align(fbw* w, size_t alignment);
/* Appends raw bytes; returns their position. */
size_t fbw_bytes(fbw* w, const void* p, size_t n);
/* Writes the uoffset at `field_pos` so it refers to `target` (target > field_pos). */
void fbw_patch(fbw* w, size_t field_pos, size_t target);

void fbw_table_begin(fbw_table* t);
/* Adds a scalar field of `size` bytes (1, 2, 4 or 8) for `slot`. */
void fbw_table_scalar(fbw_table* t, int slot, const void* value, size_t size);
/* Adds a reference field (patched later with fbw_patch at fbw_field_pos). */
void fbw_table_ref(fbw_table* t, int slot);
/* Writes vtable + table; returns the table's position. */
size_t fbw_table_end(fbw* w, const fbw_table* t);
/* Absolute position of `slot`'s field in the table written at `table_pos`. */
size_t fbw_field_pos(const fbw_table* t, size_t table_pos, int slot);

/* A vector of `n` scalars/structs of `elem_size` bytes; returns the vector's position
 * (its length prefix), which is what a reference points to. */
size_t fbw_vector(fbw* w, const void* elems, uint32_t n, size_t elem_size);
/* A vector of `n` references; *first_elem_pos receives the position of element 0
 * (element i at first_elem_pos + 4 * i, to patch). */
size_t fbw_ref_vector(fbw* w, uint32_t n, size_t* first_elem_pos);
size_t fbw_string(fbw* w, const char* s);

#endif

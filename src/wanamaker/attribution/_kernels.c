/*
 * Compiled kernels for the data-driven attribution models (optional: every function has a numpy
 * twin that gives identical results, used when this extension is not built).
 *
 *   split_paths    one pass over a ChannelAttribution-style paths file: lines, fields, plain
 *                  decimal numbers, steps numbered by their bytes through a hash table (SSE2
 *                  finds the special bytes sixteen at a time where the machine has it);
 *   count_transitions  an order-k chain's transition counts, start and end weights from coded paths;
 *   bicgstab       BiCGSTAB for x = mask * (Q x + rhs) with Q in CSR, the vector updates fused
 *                  into the matrix-vector products.
 *
 * The numeric work runs without the GIL, so callers may solve several systems on threads.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#ifdef __linux__
#include <sys/mman.h>
#endif

/* ---------------------------------------------------------------- growable arrays ---------- */

typedef struct {
    char *data;
    Py_ssize_t len;  /* items */
    Py_ssize_t cap;  /* items */
    Py_ssize_t item; /* bytes per item */
} Vec;

#define HUGE_PAGE ((size_t)2 << 20)

static int vec_init(Vec *v, Py_ssize_t item, Py_ssize_t cap) {
    v->item = item;
    v->len = 0;
    v->cap = cap < 16 ? 16 : cap;
    size_t bytes = (size_t)(v->cap * item);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    /* large arrays on huge pages where the kernel allows it: first touches fault once per 2 MiB
     * instead of once per 4 KiB (much of the cost of filling fresh memory in a virtual machine) */
    if (bytes >= 2 * HUGE_PAGE) {
        bytes = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
        v->data = aligned_alloc(HUGE_PAGE, bytes);
        if (v->data) madvise(v->data, bytes, MADV_HUGEPAGE);
        return v->data != NULL;
    }
#endif
    v->data = malloc(bytes);
    return v->data != NULL;
}

static int vec_reserve(Vec *v, Py_ssize_t extra) {
    if (v->len + extra <= v->cap) return 1;
    Py_ssize_t cap = v->cap;
    while (cap < v->len + extra) cap *= 2;
    char *d = realloc(v->data, (size_t)(cap * v->item));
    if (!d) return 0;
    v->data = d;
    v->cap = cap;
    return 1;
}

/* A read-write buffer that owns malloc'd memory: results leave C without a copy (numpy's
 * frombuffer keeps the owner alive). */
typedef struct {
    PyObject_HEAD
    char *data;
    Py_ssize_t len;
} Owner;

static void owner_dealloc(Owner *self) {
    free(self->data);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int owner_getbuffer(Owner *self, Py_buffer *view, int flags) {
    return PyBuffer_FillInfo(view, (PyObject *)self, self->data ? self->data : "", self->len, 0, flags);
}

static PyBufferProcs owner_as_buffer = {(getbufferproc)owner_getbuffer, NULL};

static PyTypeObject OwnerType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "wanamaker.attribution._kernels.Owner",
    .tp_basicsize = sizeof(Owner),
    .tp_dealloc = (destructor)owner_dealloc,
    .tp_as_buffer = &owner_as_buffer,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "memory filled by a kernel",
};

/* hand the vector's memory to a new Owner (the vector is left empty) */
static PyObject *vec_bytes(Vec *v) {
    Owner *o = PyObject_New(Owner, &OwnerType);
    if (!o) return NULL;
    Py_ssize_t n = v->len * v->item;
    char *d = n > 0 ? realloc(v->data, (size_t)n) : v->data; /* shrink in place: no copy */
    o->data = d ? d : v->data;
    o->len = n;
    v->data = NULL;
    v->len = v->cap = 0;
    return (PyObject *)o;
}

/* ---------------------------------------------------------------- split_paths ------------- */

/* A step is keyed by its bytes. Steps of at most 8 bytes (nearly all: channel names) are one
 * 64-bit word, compared in one instruction; longer ones are compared byte for byte. Slots are 16
 * bytes, so the table of a file's few hundred distinct steps stays in the first-level cache. */
typedef struct {
    uint64_t word; /* the step's first bytes, zero-padded */
    int32_t len;
    int32_t code; /* -1: empty slot */
} Slot;

typedef struct {
    Slot *slots;
    uint64_t *hashes; /* beside the slots, for growing */
    int shift;        /* 64 - log2(slots) */
    Py_ssize_t used;
    Vec names; /* (offset, length) pairs of int64, by code */
} Table;

#define TABLE_BITS 10

static int table_init(Table *t) {
    size_t size = (size_t)1 << TABLE_BITS;
    t->shift = 64 - TABLE_BITS;
    t->used = 0;
    t->names.data = NULL;
    t->slots = malloc(sizeof(Slot) * size);
    t->hashes = malloc(sizeof(uint64_t) * size);
    if (!t->slots || !t->hashes) return 0;
    for (size_t i = 0; i < size; i++) t->slots[i].code = -1;
    return vec_init(&t->names, 2 * sizeof(int64_t), 64);
}

static void table_free(Table *t) {
    free(t->slots);
    free(t->hashes);
    free(t->names.data);
}

static int table_grow(Table *t) {
    size_t old = (size_t)1 << (64 - t->shift), size = old * 2;
    Slot *s = malloc(sizeof(Slot) * size);
    uint64_t *hs = malloc(sizeof(uint64_t) * size);
    if (!s || !hs) {
        free(s);
        free(hs);
        return 0;
    }
    int shift = t->shift - 1;
    for (size_t i = 0; i < size; i++) s[i].code = -1;
    for (size_t i = 0; i < old; i++) {
        if (t->slots[i].code < 0) continue;
        size_t j = (size_t)(t->hashes[i] >> shift);
        while (s[j].code >= 0) j = (j + 1) & (size - 1);
        s[j] = t->slots[i];
        hs[j] = t->hashes[i];
    }
    free(t->slots);
    free(t->hashes);
    t->slots = s;
    t->hashes = hs;
    t->shift = shift;
    return 1;
}

/* the first min(n, 8) bytes of p as a zero-padded little-endian word; p may be read up to 8
 * bytes ahead when `room` (the bytes readable from p) allows */
static inline uint64_t step_word(const unsigned char *p, int64_t n, int64_t room) {
    uint64_t w = 0;
    int64_t k = n < 8 ? n : 8;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (room >= 8) {
        memcpy(&w, p, 8);
        return k == 8 ? w : w & ((1ULL << (8 * k)) - 1);
    }
#endif
    for (int64_t i = 0; i < k; i++) w |= (uint64_t)p[i] << (8 * i);
    return w;
}

#define GOLDEN 0x9e3779b97f4a7c15ULL

/* the code of the step buf[a:a+n]; -1 when out of memory */
static inline int32_t table_code(Table *t, const unsigned char *buf, int64_t buflen, int64_t a, int64_t n) {
    uint64_t w = step_word(buf + a, n, buflen - a);
    uint64_t h = (w ^ (uint64_t)n) * GOLDEN; /* Fibonacci hashing: the top bits index the table */
    for (int64_t i = 8; i < n; i += 8) /* longer steps: fold in the rest, 8 bytes at a time */
        h = ((h ^ (h >> 29)) + step_word(buf + a + i, n - i, buflen - a - i)) * GOLDEN;
    size_t mask = ((size_t)1 << (64 - t->shift)) - 1;
    size_t j = (size_t)(h >> t->shift);
    for (;;) {
        Slot *s = &t->slots[j];
        if (s->code < 0) break;
        if (s->word == w && s->len == n &&
            (n <= 8 || memcmp(buf + ((int64_t *)t->names.data)[2 * s->code], buf + a, (size_t)n) == 0))
            return s->code;
        j = (j + 1) & mask;
    }
    if ((size_t)(t->used + 1) * 2 > mask + 1) {
        if (!table_grow(t)) return -1;
        mask = ((size_t)1 << (64 - t->shift)) - 1;
        j = (size_t)(h >> t->shift);
        while (t->slots[j].code >= 0) j = (j + 1) & mask;
    }
    if (t->used >= INT32_MAX || n > INT32_MAX || !vec_reserve(&t->names, 1)) return -1;
    Slot *s = &t->slots[j];
    s->word = w;
    s->len = (int32_t)n;
    s->code = (int32_t)t->used++;
    t->hashes[j] = h;
    int64_t *pair = (int64_t *)t->names.data + 2 * t->names.len++;
    pair[0] = a;
    pair[1] = n;
    return s->code;
}

/* A plain decimal (digits with at most one '.', at most 15 digits; empty is 0), read exactly as
 * the numpy reader does: the digits as an integer, divided by a power of ten. 0 when the field
 * is not such a number. */
static int parse_number(const unsigned char *p, int64_t n, double *out) {
    if (n > 16) return 0;
    double whole = 0.0, scale = 1.0;
    int dotted = 0, digits = 0;
    for (int64_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        if (c >= '0' && c <= '9') {
            whole = whole * 10.0 + (double)(c - '0');
            if (dotted) scale *= 10.0;
            digits++;
        } else if (c == '.' && !dotted) {
            dotted = 1;
        } else {
            return 0;
        }
    }
    if ((dotted && digits == 0) || digits > 15) return 0;
    *out = whole / scale;
    return 1;
}

enum { SPLIT_OK = 0, SPLIT_DECLINE = 1, SPLIT_NOMEM = 2 };

#define MAX_NUM_COLS 8

/* The tokenizer's state between special bytes (line ends, delimiters, step separators). */
typedef struct {
    const unsigned char *buf;
    int64_t buflen;
    unsigned char delim, sep;
    int ncol, path_j;
    const int *slot; /* the number column of each field, or -1 */
    Table *table;
    Vec *codes, *per_row, *nums;
    int64_t line_start, field_start, a; /* a: where the current step starts */
    int field;
    int64_t steps;
} Split;

static inline int emit_step(Split *s, int64_t b) {
    int32_t code = table_code(s->table, s->buf, s->buflen, s->a, b - s->a);
    if (code < 0 || !vec_reserve(s->codes, 1)) return SPLIT_NOMEM;
    ((int32_t *)s->codes->data)[s->codes->len++] = code;
    s->steps++;
    return SPLIT_OK;
}

/* the special byte c at pos; the bytes since the last one are plain field content */
static inline int special(Split *s, int64_t pos, unsigned char c) {
    if (c == '\n' || c == s->delim) {
        int status;
        if (s->field == s->path_j) {
            if ((status = emit_step(s, pos)) != SPLIT_OK) return status;
        } else if (s->slot[s->field] >= 0) {
            Vec *v = &s->nums[s->slot[s->field]];
            if (!vec_reserve(v, 1)) return SPLIT_NOMEM;
            if (!parse_number(s->buf + s->field_start, pos - s->field_start, (double *)v->data + v->len))
                return SPLIT_DECLINE;
            v->len++;
        }
        s->field++;
        if (c == '\n') {
            if (pos == s->line_start) return SPLIT_DECLINE; /* a blank line */
            if (s->field != s->ncol) return SPLIT_DECLINE;  /* too few fields */
            if (!vec_reserve(s->per_row, 1)) return SPLIT_NOMEM;
            ((int64_t *)s->per_row->data)[s->per_row->len++] = s->steps;
            s->field = 0;
            s->steps = 0;
            s->line_start = pos + 1;
        } else if (s->field >= s->ncol) {
            return SPLIT_DECLINE; /* too many fields */
        }
        s->field_start = s->a = pos + 1;
    } else if (s->field == s->path_j) { /* c == sep; elsewhere it is plain content */
        int status = emit_step(s, pos);
        if (status != SPLIT_OK) return status;
        s->a = pos + 1;
    }
    return SPLIT_OK;
}

static int split_body(const unsigned char *buf, int64_t buflen, int64_t start, int64_t end, unsigned char delim,
                      int ncol, int path_j, int nnum, const int *num_j, unsigned char sep, Table *table, Vec *codes,
                      Vec *per_row, Vec *nums) {
    int slot[64];
    for (int j = 0; j < ncol; j++) slot[j] = -1;
    for (int k = 0; k < nnum; k++) slot[num_j[k]] = k;
    Split s = {buf, buflen, delim, sep, ncol, path_j, slot, table, codes, per_row, nums, start, start, start, 0, 0};
    int64_t pos = start;
    int status;
#ifdef __SSE2__
    /* sixteen bytes at a time: a bit per special byte, then each set bit in order */
    const __m128i nl = _mm_set1_epi8('\n'), dl = _mm_set1_epi8((char)delim), sp = _mm_set1_epi8((char)sep);
    const __m128i qu = _mm_set1_epi8('"'), cr = _mm_set1_epi8('\r');
    for (; pos + 16 <= end; pos += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(buf + pos));
        if (_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(x, qu), _mm_cmpeq_epi8(x, cr))))
            return SPLIT_DECLINE; /* quoting or CRLF: the CSV parser's work */
        unsigned mask = (unsigned)_mm_movemask_epi8(
            _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, nl), _mm_cmpeq_epi8(x, dl)), _mm_cmpeq_epi8(x, sp)));
        while (mask) {
            int i = __builtin_ctz(mask);
            mask &= mask - 1;
            if ((status = special(&s, pos + i, buf[pos + i])) != SPLIT_OK) return status;
        }
    }
#endif
    for (; pos < end; pos++) {
        unsigned char c = buf[pos];
        if (c == '"' || c == '\r') return SPLIT_DECLINE;
        if (c == '\n' || c == delim || c == sep)
            if ((status = special(&s, pos, c)) != SPLIT_OK) return status;
    }
    if (s.line_start < end) /* the last line lacks its newline */
        if ((status = special(&s, end, '\n')) != SPLIT_OK) return status;
    return SPLIT_OK;
}

PyDoc_STRVAR(split_paths_doc,
             "split_paths(buf, start, end, delim, ncol, path_col, number_cols, sep)\n\n"
             "Split the lines of buf[start:end] (one path per line, fields split on the byte delim, no\n"
             "quoting, '\\n' line ends): returns (codes, per_row, numbers, names) where codes are the\n"
             "int32 step codes in file order, per_row the int64 steps per line, numbers one float64\n"
             "bytearray per column of number_cols and names the (offset, length) of each code's first\n"
             "occurrence as int64 pairs; None when the text needs a full CSV parser.");

static PyObject *split_paths(PyObject *self, PyObject *args) {
    Py_buffer view;
    Py_ssize_t start, end;
    int delim, ncol, path_j, sep;
    PyObject *num_cols;
    if (!PyArg_ParseTuple(args, "y*nniiiOi", &view, &start, &end, &delim, &ncol, &path_j, &num_cols, &sep)) return NULL;
    PyObject *result = NULL;
    int num_j[MAX_NUM_COLS];
    Py_ssize_t nnum = PySequence_Check(num_cols) ? PySequence_Size(num_cols) : -1;
    if (nnum < 0 || nnum > MAX_NUM_COLS || ncol < 1 || ncol > 64 || path_j < 0 || path_j >= ncol || start < 0 ||
        start > end || end > view.len) {
        PyErr_SetString(PyExc_ValueError, "split_paths: bad arguments");
        PyBuffer_Release(&view);
        return NULL;
    }
    for (Py_ssize_t k = 0; k < nnum; k++) {
        PyObject *o = PySequence_GetItem(num_cols, k);
        long j = o ? PyLong_AsLong(o) : -1;
        Py_XDECREF(o);
        if (j < 0 || j >= ncol || j == path_j) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "split_paths: bad number column");
            PyBuffer_Release(&view);
            return NULL;
        }
        num_j[k] = (int)j;
    }
    Table table;
    Vec codes, per_row, nums[MAX_NUM_COLS];
    int ok = table_init(&table);
    /* generous capacities: the pages of a large allocation that are never written cost nothing */
    ok = vec_init(&codes, sizeof(int32_t), (end - start) / 2 + 16) && ok;
    ok = vec_init(&per_row, sizeof(int64_t), (end - start) / 8 + 16) && ok;
    for (Py_ssize_t k = 0; k < nnum; k++) ok = vec_init(&nums[k], sizeof(double), (end - start) / 8 + 16) && ok;
    int status = SPLIT_NOMEM;
    if (ok) {
        Py_BEGIN_ALLOW_THREADS
        status = split_body((const unsigned char *)view.buf, view.len, start, end, (unsigned char)delim, ncol, path_j,
                            (int)nnum, num_j, (unsigned char)sep, &table, &codes, &per_row, nums);
        Py_END_ALLOW_THREADS
    }
    if (status == SPLIT_NOMEM) {
        PyErr_NoMemory();
    } else if (status == SPLIT_DECLINE) {
        result = Py_NewRef(Py_None);
    } else {
        PyObject *numbers = PyList_New(nnum);
        PyObject *c = vec_bytes(&codes), *r = vec_bytes(&per_row), *names = vec_bytes(&table.names);
        int good = numbers && c && r && names;
        for (Py_ssize_t k = 0; good && k < nnum; k++) {
            PyObject *col = vec_bytes(&nums[k]);
            if (!col) good = 0;
            else PyList_SET_ITEM(numbers, k, col);
        }
        if (good) result = PyTuple_Pack(4, c, r, numbers, names);
        Py_XDECREF(numbers);
        Py_XDECREF(c);
        Py_XDECREF(r);
        Py_XDECREF(names);
    }
    free(codes.data);
    free(per_row.data);
    for (Py_ssize_t k = 0; k < nnum; k++) free(nums[k].data);
    table_free(&table);
    PyBuffer_Release(&view);
    return result;
}

/* ---------------------------------------------------------------- count_windows ----------- */

static int buffer_of(Py_buffer *b, PyObject *o, int writable, Py_ssize_t item, const char *what) {
    if (PyObject_GetBuffer(o, b, writable ? PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS : PyBUF_C_CONTIGUOUS) < 0)
        return 0;
    if (b->len % item != 0) {
        PyErr_Format(PyExc_ValueError, "%s: expected items of %zd bytes", what, item);
        PyBuffer_Release(b);
        return 0;
    }
    return 1;
}

PyDoc_STRVAR(count_transitions_doc,
             "count_transitions(steps, offsets, conv, value, nulls, order, base, counts, present, starts,\n"
             "                  conv_at, value_at, null_at)\n\n"
             "The transitions of an order-k chain over coded paths (int32 steps, int64 offsets, float64\n"
             "conversions, value and nulls per path). A state is the code of its last `order` channels\n"
             "(digits = step + 1 in base `base`, the latest channel lowest; a path shorter than `order`\n"
             "is one state), a transition the code of its (order + 1)-channel window. Adds each path's\n"
             "journeys (conv + nulls, whole numbers) to `counts[window]` (uint32, base ** (order + 1) slots:\n"
             "half the memory of float64, exact) for\n"
             "every transition and to `starts[first state]`, its conv, value and nulls to\n"
             "`conv_at`, `value_at`, `null_at` at its last state, and marks every state reached in\n"
             "`present` (uint8; these five have base ** order slots).");

/* The window table is large (base ** (order + 1) counters: 27 MB at order 3 with 50 channels) and
 * hit at random, so its additions are queued and made in batches, each a few windows behind a
 * prefetch of its counter: the cache misses overlap instead of coming one after another. The
 * counts are whole numbers, so the order of the additions does not change them. */
#define WINDOW_BATCH 1024
#define PREFETCH_AHEAD 16

static void flush_windows(uint32_t *counts, const int64_t *queue, const uint32_t *weight, int *queued) {
    int n = *queued;
    for (int i = 0; i < n && i < PREFETCH_AHEAD; i++) __builtin_prefetch(&counts[queue[i]], 1);
    for (int i = 0; i < n; i++) {
        if (i + PREFETCH_AHEAD < n) __builtin_prefetch(&counts[queue[i + PREFETCH_AHEAD]], 1);
        counts[queue[i]] += weight[i];
    }
    *queued = 0;
}

static PyObject *count_transitions(PyObject *self, PyObject *args) {
    PyObject *objs[12];
    int order;
    long long base;
    if (!PyArg_ParseTuple(args, "OOOOOiLOOOOOO", &objs[0], &objs[1], &objs[2], &objs[3], &objs[4], &order, &base,
                          &objs[5], &objs[6], &objs[7], &objs[8], &objs[9], &objs[10]))
        return NULL;
    objs[11] = NULL;
    Py_buffer b[11];
    const char *names[11] = {"steps", "offsets", "conv", "value", "nulls", "counts", "present",
                             "starts", "conv_at", "value_at", "null_at"};
    int got = 0;
    for (; got < 11; got++)
        if (!buffer_of(&b[got], objs[got], got >= 5, got == 6 ? 1 : got == 0 || got == 5 ? 4 : 8, names[got])) break;
    PyObject *result = NULL;
    if (got == 11) {
        const int32_t *steps = b[0].buf;
        const int64_t *off = b[1].buf;
        const double *conv = b[2].buf, *value = b[3].buf, *nulls = b[4].buf;
        uint32_t *counts = b[5].buf;
        double *starts = b[7].buf, *conv_at = b[8].buf, *value_at = b[9].buf, *null_at = b[10].buf;
        unsigned char *present = b[6].buf;
        Py_ssize_t n_paths = b[1].len / 8 - 1, n_steps = b[0].len / 4;
        int64_t span = 1; /* base ** order */
        int bad = order < 1 || order > 8 || base < 2 || base > (1 << 20) || n_paths < 0;
        for (int i = 0; !bad && i < order; i++) span *= base;
        Py_ssize_t per_path[3] = {b[2].len / 8, b[3].len / 8, b[4].len / 8};
        bad = bad || per_path[0] != n_paths || per_path[1] != n_paths || per_path[2] != n_paths ||
              b[5].len / 4 != span * base || b[6].len != span || b[7].len / 8 != span || b[8].len / 8 != span ||
              b[9].len / 8 != span || b[10].len / 8 != span;
        if (!bad && (off[0] != 0 || off[n_paths] != n_steps)) bad = 1;
        if (!bad) {
            int64_t queue[WINDOW_BATCH];
            uint32_t weight[WINDOW_BATCH];
            int queued = 0;
            Py_BEGIN_ALLOW_THREADS
            for (Py_ssize_t p = 0; p < n_paths && !bad; p++) {
                int64_t a = off[p], len = off[p + 1] - off[p];
                if (len < 0 || a + len > n_steps) {
                    bad = 1;
                    break;
                }
                double w = conv[p] + nulls[p];
                uint32_t journeys = (uint32_t)w;
                if ((double)journeys != w) { /* the caller sends whole journey counts only */
                    bad = 1;
                    break;
                }
                int64_t width = len < order ? len : order;
                int64_t code = 0;
                for (int64_t t = 0; t < width; t++) {
                    int64_t step = steps[a + t];
                    if (step < 0 || step + 1 >= base) {
                        bad = 1;
                        break;
                    }
                    code = code * base + step + 1;
                }
                if (bad) break;
                present[code] = 1;
                starts[code] += w;
                for (int64_t t = width; t < len; t++) {
                    int64_t step = steps[a + t];
                    if (step < 0 || step + 1 >= base) {
                        bad = 1;
                        break;
                    }
                    int64_t window = code * base + step + 1;
                    if (queued == WINDOW_BATCH) flush_windows(counts, queue, weight, &queued);
                    queue[queued] = window;
                    weight[queued++] = journeys;
                    code = window - (steps[a + t - order] + 1) * span; /* drop the oldest channel */
                    present[code] = 1;
                }
                conv_at[code] += conv[p];
                value_at[code] += value[p];
                null_at[code] += nulls[p];
            }
            if (!bad) flush_windows(counts, queue, weight, &queued);
            Py_END_ALLOW_THREADS
        }
        if (bad) PyErr_SetString(PyExc_ValueError, "count_transitions: arrays do not fit together");
        else result = Py_NewRef(Py_None);
    }
    for (int i = 0; i < got; i++) PyBuffer_Release(&b[i]);
    return result;
}

/* ---------------------------------------------------------------- bicgstab ---------------- */

/* Q in the chain's compact form, a sliced ELLPACK of four rows: the rows, sorted by their
 * number of entries (then by first column), go four to a chunk; chunk c holds its rows' entries
 * interleaved (entry j of lane l at chunk_ptr[c] + 4 j + l, shorter rows padded with zeros), so
 * the four sums run side by side with no branch per row. Lane l of chunk c is row perm[4 c + l]
 * (-1: padding) with entries cnt[k] * scale[lane] at columns col0[lane] + delta[k]: a state's
 * successors share all but the newest channel, so their columns lie within a channel's count of
 * each other (one byte each); cnt holds journey counts (exact in float32), scale the row's
 * 1 / flow out. */
typedef struct {
    Py_ssize_t n;
    Py_ssize_t chunks;
    const int64_t *chunk_ptr;
    const int32_t *perm;
    const int32_t *col0;
    const double *scale;
    const uint8_t *delta;
    const float *cnt;
    const unsigned char *keep;
    const double *kept_scale; /* per lane: scale where the row is kept, 0 where it is removed */
} Op;

/* y = x - keep * (Q x); a removed row's lane has kept_scale 0, so its y is x (no branch, and no
 * read of keep at the row's scattered index) */
static void apply(const Op *op, const double *x, double *y) {
    const float *cnt = op->cnt;
    const uint8_t *d = op->delta;
    for (Py_ssize_t c = 0; c < op->chunks; c++) {
        const int32_t *col0 = op->col0 + 4 * c;
        const double *x0 = x + col0[0], *x1 = x + col0[1], *x2 = x + col0[2], *x3 = x + col0[3];
        double q[4] = {0.0, 0.0, 0.0, 0.0};
        for (int64_t k = op->chunk_ptr[c]; k < op->chunk_ptr[c + 1]; k += 4) {
            q[0] += (double)cnt[k] * x0[d[k]];
            q[1] += (double)cnt[k + 1] * x1[d[k + 1]];
            q[2] += (double)cnt[k + 2] * x2[d[k + 2]];
            q[3] += (double)cnt[k + 3] * x3[d[k + 3]];
        }
        for (int l = 0; l < 4; l++) {
            int32_t i = op->perm[4 * c + l];
            if (i >= 0) y[i] = x[i] - op->kept_scale[4 * c + l] * q[l];
        }
    }
}

static double dot(const double *u, const double *v, Py_ssize_t n) {
    double a0 = 0.0, a1 = 0.0;
    Py_ssize_t i = 0;
    for (; i + 2 <= n; i += 2) {
        a0 += u[i] * v[i];
        a1 += u[i + 1] * v[i + 1];
    }
    if (i < n) a0 += u[i] * v[i];
    return a0 + a1;
}

static double max_abs(const double *v, Py_ssize_t n) {
    double m = 0.0;
    for (Py_ssize_t i = 0; i < n; i++) {
        double a = fabs(v[i]);
        if (a > m) m = a;
    }
    return m;
}

/* Van der Vorst's BiCGSTAB on (I - diag(keep) Q) x = b, stopped when the largest entry of the
 * recurrence's residual is at most atol; returns the iterations (-1 when out of memory) and, in
 * *residual, the largest entry of b - A x computed afresh from x */
static long solve(const Op *op_in, const double *b, double *x, double atol, long maxiter, double *residual) {
    Py_ssize_t n = op_in->n, lanes = 4 * op_in->chunks;
    double *work = malloc(sizeof(double) * (size_t)(6 * n + lanes));
    if (!work) return -1;
    Op lane_op = *op_in;
    double *kept_scale = work + 6 * n;
    for (Py_ssize_t l = 0; l < lanes; l++) {
        int32_t i = op_in->perm[l];
        kept_scale[l] = i >= 0 && op_in->keep[i] ? op_in->scale[l] : 0.0;
    }
    lane_op.kept_scale = kept_scale;
    const Op *op = &lane_op;
    double *r = work, *r_hat = work + n, *p = work + 2 * n, *v = work + 3 * n, *s = work + 4 * n, *t = work + 5 * n;
    apply(op, x, r);
    double rho_new = 0.0;
    for (Py_ssize_t i = 0; i < n; i++) {
        r[i] = b[i] - r[i];
        r_hat[i] = r[i];
        p[i] = 0.0;
        v[i] = 0.0;
        rho_new += r[i] * r[i];
    }
    double rho = 1.0, alpha = 1.0, omega = 1.0, res = max_abs(r, n);
    long it = 0;
    for (; it < maxiter; it++) {
        if (res <= atol) break;
        if (rho_new == 0.0 || omega == 0.0) break;
        double beta = (rho_new / rho) * (alpha / omega);
        rho = rho_new;
        for (Py_ssize_t i = 0; i < n; i++) p[i] = r[i] + beta * (p[i] - omega * v[i]);
        apply(op, p, v);
        double denom = dot(r_hat, v, n);
        if (denom == 0.0) break;
        alpha = rho / denom;
        double s_max = 0.0;
        for (Py_ssize_t i = 0; i < n; i++) {
            s[i] = r[i] - alpha * v[i];
            double a = fabs(s[i]);
            if (a > s_max) s_max = a;
        }
        if (s_max <= atol) {
            for (Py_ssize_t i = 0; i < n; i++) x[i] += alpha * p[i];
            it++;
            break;
        }
        apply(op, s, t);
        double tt = dot(t, t, n);
        omega = tt > 0.0 ? dot(t, s, n) / tt : 0.0;
        res = 0.0;
        rho_new = 0.0;
        for (Py_ssize_t i = 0; i < n; i++) {
            x[i] += alpha * p[i] + omega * s[i];
            r[i] = s[i] - omega * t[i];
            double a = fabs(r[i]);
            if (a > res) res = a;
            rho_new += r_hat[i] * r[i];
        }
    }
    apply(op, x, r); /* the true residual, not the recurrence's */
    double worst = 0.0;
    for (Py_ssize_t i = 0; i < n; i++) {
        double e = fabs(b[i] - r[i]);
        if (e > worst || e != e) worst = e; /* a NaN is the worst */
    }
    *residual = worst;
    free(work);
    return it;
}

PyDoc_STRVAR(bicgstab_doc,
             "bicgstab(chunk_ptr, perm, col0, scale, delta, cnt, keep, b, x, atol, maxiter) -> (iterations, residual)\n\n"
             "Solve (I - diag(keep) Q) x = b in place (x holds the first guess) for Q in the chain's\n"
             "compact form (four-row sliced ELLPACK: int64 chunk_ptr, int32 perm and col0, float64\n"
             "scale per lane; uint8 delta and float32 cnt per entry), keep one byte per row; stopped\n"
             "when the largest entry of the recurrence's residual is at most atol; residual is the largest\n"
             "entry of b - (I - diag(keep) Q) x recomputed from the answer. Runs without the GIL.");

static PyObject *bicgstab(PyObject *self, PyObject *args) {
    PyObject *objs[9];
    double atol;
    long maxiter;
    if (!PyArg_ParseTuple(args, "OOOOOOOOOdl", &objs[0], &objs[1], &objs[2], &objs[3], &objs[4], &objs[5], &objs[6],
                          &objs[7], &objs[8], &atol, &maxiter))
        return NULL;
    Py_buffer b[9];
    const Py_ssize_t items[9] = {8, 4, 4, 8, 1, 4, 1, 8, 8};
    const char *names[9] = {"chunk_ptr", "perm", "col0", "scale", "delta", "cnt", "keep", "b", "x"};
    int got = 0;
    for (; got < 9; got++)
        if (!buffer_of(&b[got], objs[got], got == 8, items[got], names[got])) break;
    PyObject *result = NULL;
    if (got == 9) {
        Py_ssize_t n = b[7].len / 8, lanes = b[1].len / 4, chunks = b[0].len / 8 - 1, nnz = b[4].len;
        const int64_t *ptr = b[0].buf;
        const int32_t *perm = b[1].buf, *col0 = b[2].buf;
        const uint8_t *delta = b[4].buf;
        int bad = chunks < 0 || lanes != 4 * chunks || b[2].len / 4 != lanes || b[3].len / 8 != lanes ||
                  b[5].len / 4 != nnz || b[6].len != n || b[8].len / 8 != n || ptr[0] != 0 || ptr[chunks] != nnz;
        for (Py_ssize_t c = 0; !bad && c < chunks; c++) {
            bad = ptr[c + 1] < ptr[c] || (ptr[c + 1] - ptr[c]) % 4 != 0;
            for (int l = 0; !bad && l < 4; l++) {
                int32_t i = perm[4 * c + l];
                bad = i < -1 || i >= n || col0[4 * c + l] < 0;
                for (int64_t k = ptr[c] + l; !bad && k < ptr[c + 1]; k += 4)
                    bad = (int64_t)col0[4 * c + l] + delta[k] >= n;
            }
        }
        unsigned char *seen = bad ? NULL : calloc((size_t)n + 1, 1); /* every row once */
        if (!bad && !seen) {
            for (int i = 0; i < got; i++) PyBuffer_Release(&b[i]);
            return PyErr_NoMemory();
        }
        for (Py_ssize_t l = 0; !bad && l < lanes; l++)
            if (perm[l] >= 0) bad = seen[perm[l]]++ != 0;
        for (Py_ssize_t i = 0; !bad && i < n; i++) bad = !seen[i];
        free(seen);
        if (bad) {
            PyErr_SetString(PyExc_ValueError, "bicgstab: arrays do not form a square system");
        } else {
            Op op = {n, chunks, ptr, perm, col0, b[3].buf, delta, b[5].buf, b[6].buf, NULL};
            long it;
            double residual = 0.0;
            Py_BEGIN_ALLOW_THREADS
            it = solve(&op, b[7].buf, b[8].buf, atol, maxiter, &residual);
            Py_END_ALLOW_THREADS
            result = it < 0 ? PyErr_NoMemory() : Py_BuildValue("(ld)", it, residual);
        }
    }
    for (int i = 0; i < got; i++) PyBuffer_Release(&b[i]);
    return result;
}

/* ---------------------------------------------------------------- module ------------------ */

static PyMethodDef methods[] = {
    {"split_paths", split_paths, METH_VARARGS, split_paths_doc},
    {"count_transitions", count_transitions, METH_VARARGS, count_transitions_doc},
    {"bicgstab", bicgstab, METH_VARARGS, bicgstab_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_kernels", "Compiled kernels for wanamaker's data-driven attribution.", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__kernels(void) {
    if (PyType_Ready(&OwnerType) < 0) return NULL;
    return PyModule_Create(&module);
}

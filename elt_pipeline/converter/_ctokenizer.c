/* Compiled VALUES tokenizer: the same grammar and output as pytokenizer.py, at C speed.
 *
 * Core(keep) accumulates rows of one INSERT target into per-column Arrow binary layouts
 * (int32 offsets, data bytes, validity bitmap). feed(buf, pos, line, final) returns
 * (pos, line, status, message, column): status 0 = needs more input, 1 = statement ended with ';',
 * 2 = syntax error at pos, 3 = input ends inside the INSERT (truncated) at pos; column = index
 * of the value the error is in, or -1. Messages never quote input bytes.
 * Input that ends before a row can be told complete (a quote or backslash on the last byte, a
 * number or literal running to the end, an open comment, ...) is "needs more", never an error.
 * take() returns ([(data, offsets, validity or None, null_count) or None per column], lines).
 * set_header(text) makes a following INSERT with exactly that text up to VALUES continue the
 * rows (mysqldump --skip-extended-insert writes one per row).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    char *data;
    Py_ssize_t len, cap;
    int32_t *offsets; /* rows + 1 */
    uint8_t *valid;   /* bitmap */
    Py_ssize_t rows_cap;
    Py_ssize_t nulls;
} Column;

typedef struct {
    PyObject_HEAD
    Py_ssize_t ncols;
    char *keep;
    Column *cols;
    Py_ssize_t rows;
    int32_t *lines;
    Py_ssize_t lines_cap;
    char *header; /* an INSERT's text up to VALUES: an identical next INSERT continues the rows */
    Py_ssize_t header_len;
} Core;

enum { NEED_MORE = 0, DONE = 1, SYNTAX = 2, TRUNCATED = 3 };

static int is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
static int is_word(unsigned char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static int hex_value(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Skip blanks, plain comments, '*' '/' and (if markers) executable-comment openers.
 * Returns the new position. Sets *more when it stopped only because the input ended (the
 * next token is unknown until more input comes), e.g. at a lone '/' or an open comment. */
static Py_ssize_t skip(const unsigned char *b, Py_ssize_t p, Py_ssize_t n, int markers, int *more) {
    for (;;) {
        while (p < n && is_space(b[p])) p++;
        if (p >= n) { *more = 1; return p; }
        if (b[p] == '*') {
            if (p + 1 >= n) { *more = 1; return p; }
            if (b[p + 1] != '/') return p;
            p += 2;
            continue;
        }
        if (b[p] != '/') return p;
        if (p + 1 >= n) { *more = 1; return p; }
        if (b[p + 1] != '*') return p;
        if (p + 2 >= n) { *more = 1; return p; }
        if (b[p + 2] == '!' || (b[p + 2] == 'M' && p + 3 < n && b[p + 3] == '!')) {
            if (!markers) return p;
            p += b[p + 2] == '!' ? 3 : 4;
            while (p < n && is_digit(b[p])) p++;
            continue;
        }
        if (b[p + 2] == 'M' && p + 3 >= n) { *more = 1; return p; }
        Py_ssize_t q = p + 2;
        while (q + 1 < n && !(b[q] == '*' && b[q + 1] == '/')) q++;
        if (q + 1 >= n) { *more = 1; return p; } /* unterminated so far */
        p = q + 2;
    }
}

static int grow(Column *c, Py_ssize_t extra) {
    if (c->len + extra <= c->cap) return 0;
    Py_ssize_t cap = c->cap ? c->cap : 4096;
    while (cap < c->len + extra) cap *= 2;
    char *d = PyMem_RawRealloc(c->data, cap);
    if (!d) return -1;
    c->data = d;
    c->cap = cap;
    return 0;
}

static int reserve_rows(Core *self, Py_ssize_t rows) {
    for (Py_ssize_t i = 0; i < self->ncols; i++) {
        Column *c = &self->cols[i];
        if (!self->keep[i] || rows + 1 <= c->rows_cap) continue;
        Py_ssize_t cap = c->rows_cap ? c->rows_cap : 1024;
        while (cap < rows + 1) cap *= 2;
        int32_t *o = PyMem_RawRealloc(c->offsets, cap * sizeof(int32_t));
        if (!o) return -1;
        c->offsets = o;
        uint8_t *v = PyMem_RawRealloc(c->valid, (cap + 7) / 8);
        if (!v) return -1;
        c->valid = v;
        c->rows_cap = cap;
    }
    if (rows + 1 > self->lines_cap) {
        Py_ssize_t cap = self->lines_cap ? self->lines_cap : 1024;
        while (cap < rows + 1) cap *= 2;
        int32_t *l = PyMem_RawRealloc(self->lines, cap * sizeof(int32_t));
        if (!l) return -1;
        self->lines = l;
        self->lines_cap = cap;
    }
    return 0;
}

/* Scan a quoted string starting after its opening quote at p. Returns the position after
 * the closing quote, or -1 if the input ends first (a quote on the last byte may be the first
 * of a doubled quote: undecided too). When out is given, appends the unescaped bytes. */
static Py_ssize_t scan_string(const unsigned char *b, Py_ssize_t p, Py_ssize_t n, unsigned char quote, Column *out) {
    for (;;) {
        Py_ssize_t start = p;
        const unsigned char *found = memchr(b + p, quote, n - p);
        Py_ssize_t stop = found ? found - b : n;
        const unsigned char *escape = memchr(b + p, '\\', stop - p);
        p = escape ? escape - b : stop;
        if (out && p > start) {
            if (grow(out, p - start) < 0) return -2;
            memcpy(out->data + out->len, b + start, p - start);
            out->len += p - start;
        }
        if (p >= n) return -1;
        if (b[p] == '\\') {
            if (p + 1 >= n) return -1;
            unsigned char e = b[p + 1], r[2];
            int k = 1;
            switch (e) {
            case '0': r[0] = 0; break;
            case 'b': r[0] = '\b'; break;
            case 'n': r[0] = '\n'; break;
            case 'r': r[0] = '\r'; break;
            case 't': r[0] = '\t'; break;
            case 'Z': r[0] = 0x1a; break;
            case '%': case '_': r[0] = '\\'; r[1] = e; k = 2; break;
            default: r[0] = e;
            }
            if (out) {
                if (grow(out, 2) < 0) return -2;
                memcpy(out->data + out->len, r, k);
                out->len += k;
            }
            p += 2;
            continue;
        }
        /* a quote: doubled means a literal quote, else the end */
        if (p + 1 >= n) return -1;
        if (b[p + 1] == quote) {
            if (out) {
                if (grow(out, 1) < 0) return -2;
                out->data[out->len++] = quote;
            }
            p += 2;
            continue;
        }
        return p + 1;
    }
}

/* Append hex digits b[from:to] as bytes (an odd count gets a leading 0 nibble). */
static int put_hex(Column *col, const unsigned char *b, Py_ssize_t from, Py_ssize_t to) {
    Py_ssize_t digits = to - from, k = from;
    if (grow(col, (digits + 1) / 2) < 0) return -1;
    if (digits % 2) col->data[col->len++] = (char)hex_value(b[k++]);
    for (; k < to; k += 2) col->data[col->len++] = (char)(hex_value(b[k]) * 16 + hex_value(b[k + 1]));
    return 0;
}

/* Append binary digits b[from:to] as big-endian bytes. */
static int put_bits(Column *col, const unsigned char *b, Py_ssize_t from, Py_ssize_t to) {
    Py_ssize_t digits = to - from, bytes = (digits + 7) / 8;
    if (grow(col, bytes) < 0) return -1;
    memset(col->data + col->len, 0, bytes);
    for (Py_ssize_t k = 0; k < digits; k++) {
        Py_ssize_t bit = digits - 1 - k; /* from the right */
        if (b[from + k] == '1') col->data[col->len + bytes - 1 - bit / 8] |= (char)(1 << (bit % 8));
    }
    col->len += bytes;
    return 0;
}

/* End of a number token at p (sign, digits, fraction, exponent), or -1. *more when the
 * number runs to the end of the input (more digits may follow). */
static Py_ssize_t number(const unsigned char *b, Py_ssize_t p, Py_ssize_t n, int *more) {
    Py_ssize_t d = p;
    if (d < n && (b[d] == '-' || b[d] == '+')) d++;
    Py_ssize_t m = d;
    if (d < n && is_digit(b[d])) {
        while (d < n && is_digit(b[d])) d++;
        if (d < n && b[d] == '.') d++;
        while (d < n && is_digit(b[d])) d++;
    } else if (d < n && b[d] == '.') {
        if (d + 1 >= n) { *more = 1; return -1; }
        if (!is_digit(b[d + 1])) return -1;
        d++;
        while (d < n && is_digit(b[d])) d++;
    }
    if (d >= n) { *more = 1; return -1; }
    if (d == m) return -1;
    if (b[d] == 'e' || b[d] == 'E') {
        Py_ssize_t e = d + 1;
        if (e < n && (b[e] == '-' || b[e] == '+')) e++;
        if (e >= n) { *more = 1; return -1; }
        if (is_digit(b[e])) {
            while (e < n && is_digit(b[e])) e++;
            if (e >= n) { *more = 1; return -1; }
            d = e;
        }
    }
    return is_word(b[d]) || b[d] == '.' ? -1 : d;
}

/* Position after `text` at p (' ' in it = optional blanks), or -1; *more if the input ends first. */
static Py_ssize_t expect(const unsigned char *b, Py_ssize_t p, Py_ssize_t n, const char *text, int *more) {
    for (const char *t = text; *t; t++) {
        if (*t == ' ') {
            while (p < n && is_space(b[p])) p++;
        } else if (p < n && b[p] == (unsigned char)*t) {
            p++;
            continue;
        } else if (p < n) {
            return -1;
        }
        if (p >= n) { *more = 1; return -1; }
    }
    return p;
}

/* Adminer's forms: UNHEX('hex digits') and CONV('binary digits', 2, 10) + 0. Returns the position
 * after the value (appending its bytes if col), or -1. */
static Py_ssize_t function_value(const unsigned char *b, Py_ssize_t p, Py_ssize_t n, Column *col, int *err, int *more) {
    int hex = b[p] == 'U';
    Py_ssize_t d = expect(b, p, n, hex ? "UNHEX( '" : "CONV( '", more);
    if (d < 0) return -1;
    Py_ssize_t from = d;
    while (d < n && (hex ? hex_value(b[d]) >= 0 : (b[d] == '0' || b[d] == '1'))) d++;
    Py_ssize_t q = expect(b, d, n, hex ? "' )" : "' , 2 , 10 ) + 0", more);
    if (q >= 0 && col && (hex ? put_hex(col, b, from, d) : put_bits(col, b, from, d)) < 0) { *err = 1; return -1; }
    return q;
}

/* Parse one value at p (leading skip included); on success stores it (if col) and returns the
 * position of its separator (',' or ')'), else -1, with *more set when the input ended before
 * the value and its separator could be told (more input may make it valid). */
static Py_ssize_t value(const unsigned char *b, Py_ssize_t p, Py_ssize_t n, Column *col, Py_ssize_t row, int *err,
                        int *more) {
    p = skip(b, p, n, 1, more);
    if (p >= n) return -1;
    if (b[p] == '_') { /* charset introducer */
        Py_ssize_t q = p + 1;
        while (q < n && is_word(b[q]) && b[q] != '_') q++;
        if (q >= n) { *more = 1; return -1; }
        if (q > p + 1) {
            p = q;
            while (p < n && is_space(b[p])) p++;
            if (p >= n) { *more = 1; return -1; }
        }
    }
    Py_ssize_t start_len = col ? col->len : 0;
    int is_null = 0;
    Py_ssize_t q = -1;
    unsigned char c = b[p];
    if (c == '\'' || c == '"') {
        q = scan_string(b, p + 1, n, c, col);
        if (q == -2) { *err = 1; return -1; }
        if (q == -1) *more = 1;
    } else if (c == 'N') {
        Py_ssize_t have = n - p < 4 ? n - p : 4;
        if (memcmp(b + p, "NULL", have) == 0) {
            if (p + 4 >= n) *more = 1;
            else if (!is_word(b[p + 4])) { is_null = 1; q = p + 4; }
        }
    } else if (c == '0' && p + 1 < n && (b[p + 1] == 'x' || b[p + 1] == 'b')) {
        int hex = b[p + 1] == 'x';
        Py_ssize_t d = p + 2;
        while (d < n && (hex ? hex_value(b[d]) >= 0 : (b[d] == '0' || b[d] == '1'))) d++;
        if (d >= n) *more = 1;
        else if (!is_word(b[d])) {
            q = d;
            if (col && (hex ? put_hex(col, b, p + 2, d) : put_bits(col, b, p + 2, d)) < 0) { *err = 1; return -1; }
        }
    } else if (c == 'x' || c == 'X' || c == 'b' || c == 'B') {
        int hex = c == 'x' || c == 'X';
        if (p + 1 >= n) *more = 1;
        else if (b[p + 1] == '\'') {
            Py_ssize_t d = p + 2;
            while (d < n && (hex ? hex_value(b[d]) >= 0 : (b[d] == '0' || b[d] == '1'))) d++;
            if (d >= n) *more = 1;
            else if (b[d] == '\'') {
                q = d + 1;
                if (col && (hex ? put_hex(col, b, p + 2, d) : put_bits(col, b, p + 2, d)) < 0) { *err = 1; return -1; }
            }
        }
    } else if (c == 'U' || c == 'C') {
        q = function_value(b, p, n, col, err, more);
        if (*err) return -1;
    }
    if (q < 0 && !*more && (c == '-' || c == '+' || c == '.' || is_digit(c))) {
        q = number(b, p, n, more);
        if (q >= 0 && col) {
            if (grow(col, q - p) < 0) { *err = 1; return -1; }
            memcpy(col->data + col->len, b + p, q - p);
            col->len += q - p;
        }
    }
    if (q < 0) {
        if (col) col->len = start_len;
        return -1;
    }
    q = skip(b, q, n, 0, more);
    if (q >= n || (b[q] != ',' && b[q] != ')')) {
        if (col) col->len = start_len;
        return -1;
    }
    if (col) {
        uint8_t mask = (uint8_t)(1 << (row % 8));
        if (is_null) { col->valid[row / 8] &= (uint8_t)~mask; col->nulls++; }
        else col->valid[row / 8] |= mask;
        col->offsets[row + 1] = (int32_t)col->len;
    }
    return q;
}

static Py_ssize_t skip_blank(const unsigned char *b, Py_ssize_t p, Py_ssize_t n) {
    while (p < n && (b[p] == ' ' || b[p] == '\t' || b[p] == '\r' || b[p] == '\n')) p++;
    return p;
}

static Py_ssize_t count_lines(const unsigned char *b, Py_ssize_t from, Py_ssize_t to) {
    Py_ssize_t count = 0;
    const unsigned char *p = b + from, *end = b + to;
    while (p < end && (p = memchr(p, '\n', end - p)) != NULL) { count++; p++; }
    return count;
}

static void rollback(Core *self, Py_ssize_t row, Py_ssize_t *nulls_before) {
    for (Py_ssize_t i = 0; i < self->ncols; i++) {
        if (!self->keep[i]) continue;
        self->cols[i].len = self->cols[i].offsets[row];
        self->cols[i].nulls = nulls_before[i];
    }
}

typedef struct {
    Py_ssize_t pos, line, column;
    int status; /* NEED_MORE, DONE, SYNTAX, TRUNCATED; -1 = out of memory */
    char message[96];
} Result;

static void set_result(Result *r, Py_ssize_t pos, Py_ssize_t line, int status, const char *message) {
    r->pos = pos;
    r->line = line;
    r->status = status;
    r->column = -1;
    snprintf(r->message, sizeof r->message, "%s", message);
}

/* The failure at `at` (row started at `row_pos`): needs more input or truncated when the input
 * ended before the row could be told (`more`), else a syntax error. */
static void failure(Result *r, const unsigned char *b, Py_ssize_t n, Py_ssize_t at, Py_ssize_t row_pos,
                    Py_ssize_t line, int final, int more, const char *message) {
    if (!more)
        set_result(r, skip_blank(b, at, n), line, SYNTAX, message);
    else if (final)
        set_result(r, at, line, TRUNCATED, "input ends inside an INSERT");
    else
        set_result(r, row_pos, line, NEED_MORE, "");
}

/* Parse rows from b[pos:] (no Python API: runs without the GIL). */
static void parse(Core *self, const unsigned char *b, Py_ssize_t n, Py_ssize_t pos, Py_ssize_t line, int final,
                  Py_ssize_t *nulls_before, Result *r) {
    for (;;) {
        Py_ssize_t row = self->rows;
        if (reserve_rows(self, row + 1) < 0) { r->status = -1; return; }
        for (Py_ssize_t i = 0; i < self->ncols; i++) {
            if (!self->keep[i]) continue;
            nulls_before[i] = self->cols[i].nulls;
            if (row == 0) self->cols[i].offsets[0] = 0;
        }
        int more = 0;
        Py_ssize_t open_at = skip(b, pos, n, 1, &more);
        if (open_at >= n || b[open_at] != '(') {
            failure(r, b, n, pos, pos, line, final, more, "expected '(' starting a row of VALUES");
            return;
        }
        Py_ssize_t at = open_at + 1, count = 0;
        for (;;) {
            int err = 0;
            Column *col = (count < self->ncols && self->keep[count]) ? &self->cols[count] : NULL;
            Py_ssize_t sep = value(b, at, n, col, row, &err, &more);
            if (err) { rollback(self, row, nulls_before); r->status = -1; return; }
            if (sep < 0) {
                rollback(self, row, nulls_before);
                failure(r, b, n, at, pos, line, final, more, "bad value in VALUES");
                r->column = count;
                return;
            }
            count++;
            at = sep + 1;
            if (b[sep] == ')') break;
        }
        Py_ssize_t after = skip(b, at, n, 1, &more);
        if (after >= n || (b[after] != ',' && b[after] != ';')) {
            rollback(self, row, nulls_before);
            failure(r, b, n, at, pos, line, final, more, "expected ',' or ';' after a row of VALUES");
            return;
        }
        if (count != self->ncols) {
            rollback(self, row, nulls_before);
            char message[96];
            snprintf(message, sizeof message, "row has %zd values, expected %zd", count, self->ncols);
            set_result(r, open_at, line, SYNTAX, message);
            return;
        }
        line += count_lines(b, pos, open_at + 1);
        self->lines[row] = (int32_t)line;
        line += count_lines(b, open_at + 1, after + 1);
        self->rows++;
        pos = after + 1;
        if (b[after] == ';') {
            Py_ssize_t next = pos;
            while (next < n && is_space(b[next])) next++;
            if (!self->header_len || next + self->header_len > n || memcmp(b + next, self->header, self->header_len)) {
                set_result(r, pos, line, DONE, "");
                return;
            }
            line += count_lines(b, pos, next); /* the same INSERT again (--skip-extended-insert) */
            pos = next + self->header_len;
            continue;
        }
    }
}

static PyObject *Core_feed(Core *self, PyObject *args) {
    Py_buffer view;
    Py_ssize_t pos, line;
    int final;
    if (!PyArg_ParseTuple(args, "y*nnp", &view, &pos, &line, &final)) return NULL;
    if (pos < 0 || pos > view.len) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "pos outside the buffer");
        return NULL;
    }
    Py_ssize_t *nulls_before = PyMem_RawCalloc(self->ncols ? self->ncols : 1, sizeof(Py_ssize_t));
    Result r = {0};
    if (nulls_before) {
        Py_BEGIN_ALLOW_THREADS
        parse(self, view.buf, view.len, pos, line, final, nulls_before, &r);
        Py_END_ALLOW_THREADS
    } else {
        r.status = -1;
    }
    PyMem_RawFree(nulls_before);
    PyBuffer_Release(&view);
    if (r.status < 0) return PyErr_NoMemory();
    return Py_BuildValue("(nnisn)", r.pos, r.line, r.status, r.message, r.column);
}

static PyObject *Core_take(Core *self, PyObject *unused) {
    PyObject *columns = PyList_New(self->ncols);
    if (!columns) return NULL;
    Py_ssize_t rows = self->rows;
    for (Py_ssize_t i = 0; i < self->ncols; i++) {
        Column *c = &self->cols[i];
        PyObject *item;
        if (!self->keep[i]) {
            item = Py_NewRef(Py_None);
        } else {
            if (rows == 0) {
                if (reserve_rows(self, 0) < 0) { Py_DECREF(columns); return PyErr_NoMemory(); }
                c->offsets[0] = 0;
            }
            PyObject *validity = c->nulls ? PyBytes_FromStringAndSize((char *)c->valid, (rows + 7) / 8) : Py_NewRef(Py_None);
            item = Py_BuildValue("(y#y#Nn)", c->data ? c->data : "", c->len, (char *)c->offsets,
                                 (Py_ssize_t)((rows + 1) * sizeof(int32_t)), validity, c->nulls);
            c->len = 0;
            c->nulls = 0;
        }
        if (!item) { Py_DECREF(columns); return NULL; }
        PyList_SET_ITEM(columns, i, item);
    }
    PyObject *lines = PyBytes_FromStringAndSize((char *)self->lines, rows * (Py_ssize_t)sizeof(int32_t));
    self->rows = 0;
    if (!lines) { Py_DECREF(columns); return NULL; }
    return Py_BuildValue("(NN)", columns, lines);
}

static PyObject *Core_get_rows(Core *self, void *closure) { return PyLong_FromSsize_t(self->rows); }

static PyObject *Core_set_header(Core *self, PyObject *args) {
    Py_buffer view;
    if (!PyArg_ParseTuple(args, "y*", &view)) return NULL;
    char *copy = PyMem_RawMalloc(view.len ? view.len : 1);
    if (!copy) { PyBuffer_Release(&view); return PyErr_NoMemory(); }
    memcpy(copy, view.buf, view.len);
    PyMem_RawFree(self->header);
    self->header = copy;
    self->header_len = view.len;
    PyBuffer_Release(&view);
    Py_RETURN_NONE;
}

static int Core_init(Core *self, PyObject *args, PyObject *kwargs) {
    PyObject *keep;
    if (!PyArg_ParseTuple(args, "O", &keep)) return -1;
    PyObject *seq = PySequence_Fast(keep, "keep must be a sequence of booleans");
    if (!seq) return -1;
    self->ncols = PySequence_Fast_GET_SIZE(seq);
    self->keep = PyMem_RawCalloc(self->ncols ? self->ncols : 1, 1);
    self->cols = PyMem_RawCalloc(self->ncols ? self->ncols : 1, sizeof(Column));
    if (!self->keep || !self->cols) { Py_DECREF(seq); PyErr_NoMemory(); return -1; }
    for (Py_ssize_t i = 0; i < self->ncols; i++) {
        int truth = PyObject_IsTrue(PySequence_Fast_GET_ITEM(seq, i));
        if (truth < 0) { Py_DECREF(seq); return -1; }
        self->keep[i] = (char)truth;
    }
    Py_DECREF(seq);
    return 0;
}

static void Core_dealloc(Core *self) {
    if (self->cols) {
        for (Py_ssize_t i = 0; i < self->ncols; i++) {
            PyMem_RawFree(self->cols[i].data);
            PyMem_RawFree(self->cols[i].offsets);
            PyMem_RawFree(self->cols[i].valid);
        }
    }
    PyMem_RawFree(self->cols);
    PyMem_RawFree(self->keep);
    PyMem_RawFree(self->lines);
    PyMem_RawFree(self->header);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef Core_methods[] = {
    {"feed", (PyCFunction)Core_feed, METH_VARARGS, "feed(buf, pos, line, final) -> (pos, line, status, message, column)"},
    {"take", (PyCFunction)Core_take, METH_NOARGS, "take() -> (columns, lines) and reset"},
    {"set_header", (PyCFunction)Core_set_header, METH_VARARGS, "set_header(bytes): continue through identical INSERTs"},
    {NULL},
};

static PyGetSetDef Core_getset[] = {
    {"rows", (getter)Core_get_rows, NULL, "rows accumulated since the last take()", NULL},
    {NULL},
};

static PyTypeObject CoreType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "elt_pipeline.converter._ctokenizer.Core",
    .tp_basicsize = sizeof(Core),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Compiled VALUES tokenizer core",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Core_init,
    .tp_dealloc = (destructor)Core_dealloc,
    .tp_methods = Core_methods,
    .tp_getset = Core_getset,
};

/* time_micros(validity or None, offsets, data, length) -> (int64 values as bytes, first bad row or -1).
 * Parses '[-]H{1,3}:MM:SS[.f{1,6}]' (an Arrow string array with offset 0) into signed microseconds;
 * the same accepted forms and results as mysql_types._time_micros. Null rows get 0. */
static PyObject *time_micros(PyObject *module, PyObject *args) {
    PyObject *validity_obj;
    Py_buffer offsets_view, data_view;
    Py_ssize_t length;
    if (!PyArg_ParseTuple(args, "Oy*y*n", &validity_obj, &offsets_view, &data_view, &length)) return NULL;
    Py_buffer validity_view = {0};
    int has_validity = validity_obj != Py_None;
    if (has_validity && PyObject_GetBuffer(validity_obj, &validity_view, PyBUF_SIMPLE) < 0) {
        PyBuffer_Release(&offsets_view);
        PyBuffer_Release(&data_view);
        return NULL;
    }
    PyObject *out = PyBytes_FromStringAndSize(NULL, length * 8);
    Py_ssize_t bad = -1;
    if (out) {
        int64_t *values = (int64_t *)PyBytes_AS_STRING(out);
        const int32_t *offsets = offsets_view.buf;
        const unsigned char *data = data_view.buf, *valid = validity_view.buf;
        for (Py_ssize_t row = 0; row < length && bad < 0; row++) {
            values[row] = 0;
            if (has_validity && !(valid[row / 8] & (1 << (row % 8)))) continue;
            const unsigned char *p = data + offsets[row], *end = data + offsets[row + 1];
            int negative = 0;
            while (p < end && *p == '-') { negative = 1; p++; }
            int64_t hours = 0, digits = 0;
            while (p < end && is_digit(*p) && digits < 4) { hours = hours * 10 + (*p - '0'); p++; digits++; }
            if (!digits || digits > 3 || p >= end || *p != ':' || end - p < 6 || !is_digit(p[1]) || !is_digit(p[2]) || p[3] != ':'
                || !is_digit(p[4]) || !is_digit(p[5])) { bad = row; break; }
            int64_t minutes = (p[1] - '0') * 10 + (p[2] - '0'), seconds = (p[4] - '0') * 10 + (p[5] - '0');
            p += 6;
            int64_t fraction = 0;
            if (p < end) {
                Py_ssize_t places = end - p - 1;
                if (*p != '.' || places < 1 || places > 6) { bad = row; break; }
                for (Py_ssize_t k = 1; k <= 6; k++) {
                    int d = k <= places ? p[k] - '0' : 0;
                    if (k <= places && !is_digit(p[k])) { bad = row; break; }
                    fraction = fraction * 10 + d;
                }
                if (bad >= 0) break;
            }
            int64_t micros = ((hours * 60 + minutes) * 60 + seconds) * 1000000 + fraction;
            values[row] = negative ? -micros : micros;
        }
    }
    PyBuffer_Release(&offsets_view);
    PyBuffer_Release(&data_view);
    if (has_validity) PyBuffer_Release(&validity_view);
    if (!out) return NULL;
    return Py_BuildValue("(Nn)", out, bad);
}

static PyMethodDef module_methods[] = {
    {"time_micros", time_micros, METH_VARARGS, "Parse a TIME string array into int64 microseconds"},
    {NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_ctokenizer", "Compiled VALUES tokenizer", -1, module_methods};

PyMODINIT_FUNC PyInit__ctokenizer(void) {
    if (PyType_Ready(&CoreType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    if (PyModule_AddObjectRef(m, "Core", (PyObject *)&CoreType) < 0) { Py_DECREF(m); return NULL; }
    return m;
}

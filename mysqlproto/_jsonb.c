/* mysqlproto/_jsonb.c: MySQL binary JSON decoded natively, part of mysqlproto._rowsc.
 *
 * The format is MySQL's sql-common/json_binary.h (and .cc, parse_binary): a type byte,
 * then the value.  An object or array holds element count and byte size (2 bytes each
 * in the small form, 4 in the large), key entries (offset, 2-byte length) for an
 * object, value entries (type byte, then an offset or, for literals and 16-bit
 * integers -- and 32-bit ones in the large form -- the value itself), then keys and
 * values.  Strings have a variable-length size (7 bits a byte, low bits first).
 *
 * This is the fast decoder of mysqlproto/jsonbinary.py (_decode_json_fast), written
 * again in C, condition for condition: it gives the same values (dict in key-entry
 * order, JsonUInt for unsigned integers, None/True/False for literals, opaque values
 * through the Python hook) and gives up where that one gives up -- an offset into the
 * header, anything past its container, a depth over 100, a duplicate key, text that
 * is not UTF-8, more nodes and bytes than the document's size allows (the expansion
 * budget), a type it does not know.  Giving up is a ValueError; the callers then ask
 * the Python decoders, whose checked one names the error.  tests/test_native_json.py
 * checks that the three agree.
 */

#include "_jsonb.h"

#include <stdint.h>

enum {
    JSONB_SMALL_OBJECT, JSONB_LARGE_OBJECT, JSONB_SMALL_ARRAY, JSONB_LARGE_ARRAY,
    JSONB_LITERAL, JSONB_INT16, JSONB_UINT16, JSONB_INT32, JSONB_UINT32, JSONB_INT64,
    JSONB_UINT64, JSONB_DOUBLE, JSONB_STRING, JSONB_OPAQUE = 15
};

#define JSON_MAX_DEPTH 100  /* json_syntax_check.h: JSON_DOCUMENT_MAX_DEPTH */
#define UINT32_MAXV 0xFFFFFFFFu

typedef struct {
    const unsigned char *data;
    Py_ssize_t budget;     /* nodes and string bytes still allowed */
    const JsonbHooks *hooks;
} State;

static PyObject *
give_up(const char *why, Py_ssize_t pos)
{
    PyErr_Format(PyExc_ValueError, "binary JSON: %s at offset %zd", why, pos);
    return NULL;
}

static inline uint32_t
le16(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static inline uint32_t
le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t
le64(const unsigned char *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* read_variable_length: at most 5 bytes, the value within 32 bits */
static int
variable_length(const unsigned char *data, Py_ssize_t pos, Py_ssize_t end,
                Py_ssize_t *length, Py_ssize_t *after)
{
    uint64_t value = 0;
    Py_ssize_t stop = end < pos + 5 ? end : pos + 5;
    for (int shift = 0; pos < stop; shift += 7) {
        unsigned char byte = data[pos++];
        value |= (uint64_t)(byte & 0x7F) << shift;
        if (byte < 0x80) {
            if (value > UINT32_MAXV)
                break;
            *length = (Py_ssize_t)value;
            *after = pos;
            return 0;
        }
    }
    give_up("a bad variable-length size", pos);
    return -1;
}

static PyObject *
unsigned_value(State *st, uint64_t value)
{
    PyObject *number = PyLong_FromUnsignedLongLong(value);
    if (number == NULL)
        return NULL;
    PyObject *result = PyObject_CallOneArg(st->hooks->uint_type, number);
    Py_DECREF(number);
    return result;
}

static PyObject *
literal(unsigned int code, Py_ssize_t pos)
{
    switch (code) {
    case 0:
        Py_RETURN_NONE;
    case 1:
        Py_RETURN_TRUE;
    case 2:
        Py_RETURN_FALSE;
    default:
        return give_up("an unknown literal", pos);
    }
}

static PyObject *
string_at(State *st, Py_ssize_t pos, Py_ssize_t end)
{
    Py_ssize_t length;
    if (variable_length(st->data, pos, end, &length, &pos) < 0)
        return NULL;
    st->budget -= length;
    if (length > end - pos || st->budget < 0)
        return give_up("a string past its container", pos);
    return PyUnicode_DecodeUTF8((const char *)st->data + pos, length, "strict");
}

/* A value that is not inlined in its entry (its node is paid for by its container). */
static PyObject *
scalar(State *st, int jtype, Py_ssize_t pos, Py_ssize_t end)
{
    const unsigned char *p = st->data + pos;
    static const signed char sizes[16] = {
        [JSONB_INT16] = 2, [JSONB_UINT16] = 2, [JSONB_INT32] = 4, [JSONB_UINT32] = 4,
        [JSONB_INT64] = 8, [JSONB_UINT64] = 8, [JSONB_DOUBLE] = 8,
    };
    if (jtype == JSONB_STRING)
        return string_at(st, pos, end);
    if (jtype >= 0 && jtype < 16 && sizes[jtype]) {
        if (sizes[jtype] > end - pos)
            return give_up("a number past its container", pos);
        switch (jtype) {
        case JSONB_INT16:
            return PyLong_FromLong((int16_t)le16(p));
        case JSONB_UINT16:
            return unsigned_value(st, le16(p));
        case JSONB_INT32:
            return PyLong_FromLong((long)(int32_t)le32(p));
        case JSONB_UINT32:
            return unsigned_value(st, le32(p));
        case JSONB_INT64:
            return PyLong_FromLongLong((long long)le64(p));
        case JSONB_UINT64:
            return unsigned_value(st, le64(p));
        default: {
            double x = PyFloat_Unpack8((const char *)p, 1);
            if (x == -1.0 && PyErr_Occurred())
                return NULL;
            return PyFloat_FromDouble(x);
        }
        }
    }
    if (jtype == JSONB_LITERAL) {
        if (pos >= end)
            return give_up("a literal past its container", pos);
        return literal(p[0], pos);
    }
    if (jtype == JSONB_OPAQUE) {
        if (pos >= end)
            return give_up("an opaque value past its container", pos);
        int field_type = p[0];
        Py_ssize_t length;
        if (variable_length(st->data, pos + 1, end, &length, &pos) < 0)
            return NULL;
        st->budget -= length;
        if (length > end - pos || st->budget < 0)
            return give_up("an opaque value past its container", pos);
        PyObject *payload = PyBytes_FromStringAndSize((const char *)st->data + pos, length);
        if (payload == NULL)
            return NULL;
        PyObject *type_number = PyLong_FromLong(field_type);
        if (type_number == NULL) {
            Py_DECREF(payload);
            return NULL;
        }
        PyObject *args[2] = {type_number, payload};
        PyObject *value = PyObject_Vectorcall(st->hooks->opaque, args, 2, NULL);
        Py_DECREF(type_number);
        Py_DECREF(payload);
        return value;
    }
    return give_up("an unknown value type", pos);
}

static PyObject *container(State *st, Py_ssize_t base, Py_ssize_t end, int jtype, int depth);

/* The value of one value entry of a container at ``base`` (header bytes, size). */
static PyObject *
element(State *st, int jt, uint32_t entry, int large, Py_ssize_t base, Py_ssize_t header,
        Py_ssize_t cend, int depth)
{
    const unsigned char *data = st->data;
    switch (jt) {
    case JSONB_STRING: {
        if (entry < (uint64_t)header)
            return give_up("an offset into the header", base);
        Py_ssize_t pos = base + entry;
        if (pos >= cend)
            return give_up("a string past its container", pos);
        Py_ssize_t length = data[pos];
        if (length >= 0x80) {
            if (pos + 1 >= cend)
                return give_up("a string past its container", pos);
            if (data[pos + 1] >= 0x80)  /* three or more length bytes: 16 KiB or more */
                return string_at(st, pos, cend);
            length = (length & 0x7F) | (Py_ssize_t)data[pos + 1] << 7;
            pos += 2;
        }
        else
            pos += 1;
        st->budget -= length;
        if (length > cend - pos || st->budget < 0)
            return give_up("a string past its container", pos);
        return PyUnicode_DecodeUTF8((const char *)data + pos, length, "strict");
    }
    case JSONB_INT16:
        return PyLong_FromLong((int16_t)(entry & 0xFFFF));
    case JSONB_LITERAL:
        return literal(entry & 0xFF, base);
    case JSONB_SMALL_OBJECT:
    case JSONB_LARGE_OBJECT:
    case JSONB_SMALL_ARRAY:
    case JSONB_LARGE_ARRAY:
        if (entry < (uint64_t)header)
            return give_up("an offset into the header", base);
        return container(st, base + entry, cend, jt, depth + 1);
    case JSONB_UINT16:
        return unsigned_value(st, entry & 0xFFFF);
    case JSONB_INT32:
        if (large)
            return PyLong_FromLong((long)(int32_t)entry);
        break;
    case JSONB_UINT32:
        if (large)
            return unsigned_value(st, entry);
        break;
    default:
        break;
    }
    if (entry < (uint64_t)header)
        return give_up("an offset into the header", base);
    return scalar(st, jt, base + entry, cend);
}

static PyObject *
container(State *st, Py_ssize_t base, Py_ssize_t end, int jtype, int depth)
{
    const unsigned char *data = st->data;
    int large = jtype & 1;
    int is_object = jtype <= JSONB_LARGE_OBJECT;
    Py_ssize_t first_entry = large ? 8 : 4;
    Py_ssize_t key_entry = large ? 6 : 4;
    Py_ssize_t value_entry = large ? 5 : 3;

    if (depth > JSON_MAX_DEPTH)
        return give_up("a document deeper than 100", base);
    if (first_entry > end - base)
        return give_up("a container header past the data", base);
    uint64_t count = large ? le32(data + base) : le16(data + base);
    uint64_t size = large ? le32(data + base + 4) : le16(data + base + 2);
    uint64_t header = first_entry + count * (uint64_t)(value_entry + (is_object ? key_entry : 0));
    if (size > (uint64_t)(end - base) || header > size)
        return give_up("a container larger than its space", base);
    st->budget -= (Py_ssize_t)count;  /* a node per element */
    if (st->budget < 0)
        return give_up("more elements than the document can hold", base);
    Py_ssize_t n = (Py_ssize_t)count;
    Py_ssize_t cend = base + (Py_ssize_t)size;
    const unsigned char *keys = data + base + first_entry;
    const unsigned char *values = keys + (is_object ? n * key_entry : 0);

    if (!is_object) {
        PyObject *list = PyList_New(n);
        if (list == NULL)
            return NULL;
        for (Py_ssize_t i = 0; i < n; i++) {
            const unsigned char *e = values + i * value_entry;
            PyObject *v = element(st, e[0], large ? le32(e + 1) : le16(e + 1), large, base,
                                  (Py_ssize_t)header, cend, depth);
            if (v == NULL) {
                Py_DECREF(list);
                return NULL;
            }
            PyList_SET_ITEM(list, i, v);
        }
        return list;
    }

    /* the keys first, as the Python decoder: all their bytes paid for, then each */
    Py_ssize_t key_bytes = 0;
    for (Py_ssize_t i = 0; i < n; i++)
        key_bytes += le16(keys + i * key_entry + (large ? 4 : 2));
    st->budget -= key_bytes;
    if (st->budget < 0)
        return give_up("more key bytes than the document can hold", base);
    PyObject *names = PyTuple_New(n);
    if (names == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        const unsigned char *e = keys + i * key_entry;
        uint64_t offset = large ? le32(e) : le16(e);
        uint64_t length = le16(e + (large ? 4 : 2));
        if (offset < header || offset + length > size) {
            Py_DECREF(names);
            return give_up("a key outside its object", base);
        }
        PyObject *name = PyUnicode_DecodeUTF8((const char *)data + base + offset,
                                              (Py_ssize_t)length, "strict");
        if (name == NULL) {
            Py_DECREF(names);
            return NULL;
        }
        PyTuple_SET_ITEM(names, i, name);
    }
    PyObject *dict = PyDict_New();
    if (dict == NULL) {
        Py_DECREF(names);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        const unsigned char *e = values + i * value_entry;
        PyObject *v = element(st, e[0], large ? le32(e + 1) : le16(e + 1), large, base,
                              (Py_ssize_t)header, cend, depth);
        if (v == NULL)
            goto error;
        int failed = PyDict_SetItem(dict, PyTuple_GET_ITEM(names, i), v);
        Py_DECREF(v);
        if (failed)
            goto error;
    }
    Py_DECREF(names);
    if (PyDict_GET_SIZE(dict) != n) {
        Py_DECREF(dict);
        return give_up("a duplicate key", base);
    }
    return dict;
error:
    Py_DECREF(names);
    Py_DECREF(dict);
    return NULL;
}

PyObject *
jsonb_decode(const unsigned char *data, Py_ssize_t n, const JsonbHooks *hooks)
{
    if (n < 1)
        return give_up("an empty document", 0);
    /* the Python decoders' budget: the checked one's len + 1, less the top node */
    State st = {data, n, hooks};
    int jtype = data[0];
    if (jtype <= JSONB_LARGE_ARRAY)
        return container(&st, 1, n, jtype, 1);
    return scalar(&st, jtype, 1, n);
}

PyObject *
jsonb_decode_py(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "decode_json(data, JsonUInt, opaque)");
        return NULL;
    }
    Py_buffer view;
    if (PyObject_GetBuffer(args[0], &view, PyBUF_SIMPLE) < 0)
        return NULL;
    JsonbHooks hooks = {args[1], args[2]};
    PyObject *value = jsonb_decode((const unsigned char *)view.buf, view.len, &hooks);
    PyBuffer_Release(&view);
    return value;
}

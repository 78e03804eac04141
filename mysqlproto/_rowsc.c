/* mysqlproto._rowsc: the optional C decoder of row images.
 *
 * Theory of operation
 * -------------------
 * mysqlproto/rows.py generates, for each (table, event kind, columns-present bitmaps),
 * a Python decoder of the ``rows`` bytes of a WRITE/UPDATE/DELETE_ROWS event.  This
 * module runs the same decoding from a "program" that mysqlproto/_crows.py builds
 * from the same column layout: per image, per present column, one op (how the value
 * is laid out and converted) and the dict key.  Every op gives exactly the value the
 * generated Python decoder gives: the numbers, text, DATETIME2 and DECIMAL it inlines,
 * and the values it hands to the column codec's ``decode`` -- a few codecs of
 * spec/binlog/values.py imitated here (_crows checks each against its codec), the
 * others called.
 *
 * A row image (sql/rpl_record.cc, pack_row): one NULL bit per present column
 * (least significant bit first, (count + 7) / 8 bytes), then the values of the
 * present, non-NULL columns in column order.
 *
 * Every read is bounds-checked and a length prefix is checked against the bytes left
 * before anything is allocated: a value running past the end raises ValueError, and
 * the caller (decode_rows) then decodes the event again with its checked decoder,
 * which names the row, image and column.  A row that takes no bytes (an image of no
 * columns) raises too rather than looping forever.
 *
 * Decoder(kind, row_change, first_ops, second_ops, source=None)(buf) -> (rows, end)
 *   kind: KIND_WRITE | KIND_DELETE | KIND_UPDATE;
 *   row_change: the RowChange class (a tuple subclass of two items, no extra fields);
 *   first_ops: the ops of the first image (WRITE's after image, DELETE's and UPDATE's
 *   before image); second_ops: UPDATE's after image (None otherwise);
 *   an op: (code, key, size or prefix, *params), see parse_op().
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <datetime.h>
#include <structmember.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "_jsonb.h"

enum {
    OP_I8, OP_U8, OP_I16, OP_U16, OP_I24, OP_U24, OP_I32, OP_U32, OP_I64, OP_U64,
    OP_F32, OP_F64,
    OP_TEXT,           /* (code, key, prefix, encoding id, encoding name) */
    OP_BYTES,          /* (code, key, prefix): bytes after a length prefix */
    OP_FIXED_BYTES,    /* (code, key, size) */
    OP_CALL_FIXED,     /* (code, key, size, decode) */
    OP_CALL_PREFIXED,  /* (code, key, prefix, decode) */
    OP_DATETIME2,      /* (code, key, size, decode, fsp, MySQLDateTime) */
    OP_DECIMAL,        /* (code, key, size, decode, ((nbytes, digits), ...), Decimal,
                          multiply or None, quantum or None, negative zero) */
    /* the codecs of spec/binlog/values.py, natively (_crows checks each against its
       codec before using it) */
    OP_YEAR,           /* (code, key, 1) */
    OP_DATE,           /* (code, key, 3, MySQLDate) */
    OP_TIME2,          /* (code, key, size, fsp) */
    OP_TIMESTAMP2,     /* (code, key, size, fsp, MySQLDateTime, tzinfo) */
    OP_ENUM,           /* (code, key, size, member strings or None) */
    OP_SET,            /* (code, key, size, member strings or None) */
    OP_BIT,            /* (code, key, size): big-endian unsigned */
    OP_JSON,           /* (code, key, prefix, decode, JsonUInt, opaque, JSON_NULL):
                          binary JSON (_jsonb.c), decode when that gives up */
    OP_COUNT
};

enum { KIND_WRITE, KIND_DELETE, KIND_UPDATE };

/* Codecs decoded without a codec lookup; ENC_OTHER goes through PyUnicode_Decode. */
enum { ENC_OTHER, ENC_UTF8, ENC_ASCII, ENC_LATIN1, ENC_UTF16BE, ENC_UTF16LE,
       ENC_UTF32BE, ENC_UTF32LE, ENC_COUNT };

#define MAX_DECIMAL_SEGMENTS 32   /* DECIMAL(65) has 9; 32 allows any precision < 256 */

typedef struct {
    int op;
    int prefixed;          /* size is the bytes of a length prefix */
    Py_ssize_t size;       /* fixed size, or length-prefix bytes */
    int enc;
    int nfrac, mult;       /* DATETIME2 */
    int nseg, digits;      /* DECIMAL: segment count, total digits */
    unsigned char seg_bytes[MAX_DECIMAL_SEGMENTS];
    unsigned char seg_digits[MAX_DECIMAL_SEGMENTS];
    PyObject *key;
    PyObject *decode;      /* codec.decode */
    PyObject *encoding;    /* OP_TEXT with ENC_OTHER: the codec name (str) */
    const char *encoding_name;  /* its UTF-8, owned by encoding */
    PyObject *fallback;    /* DATETIME2, TIMESTAMP2: MySQLDateTime; DATE: MySQLDate;
                              DECIMAL: Decimal */
    PyObject *members;     /* ENUM, SET: the member strings (a tuple), or NULL */
    PyObject *tzinfo;      /* TIMESTAMP2: datetime.UTC */
    PyObject *multiply;    /* DECIMAL: the exact context's multiply, or NULL (scale 0) */
    PyObject *quantum;     /* DECIMAL: Decimal('1E-scale'), or NULL */
    PyObject *neg_zero;    /* DECIMAL: Decimal('-0E-scale') */
    JsonbHooks json;       /* JSON: JsonUInt and the opaque hook (fallback: JSON_NULL) */
} Column;

typedef struct {
    Py_ssize_t count;
    Column *columns;
} Image;

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    int kind;
    PyTypeObject *row_change;
    Image images[2];
    int nimages;
    PyObject *program;     /* the constructor's arguments, for introspection */
    PyObject *source;      /* a readable listing of the program, or None */
} Decoder;

static const uint32_t POW10[10] = {
    1u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u, 10000000u, 100000000u, 1000000000u
};

/* == reading ======================================================================= */

static PyObject *
truncated(Py_ssize_t pos, Py_ssize_t need, Py_ssize_t end)
{
    PyErr_Format(PyExc_ValueError,
                 "row image truncated: %zd bytes needed at offset %zd, %zd remain",
                 need, pos, end - pos);
    return NULL;
}

static inline uint64_t
le_uint(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static inline uint64_t
be_uint(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

static PyObject *
decode_text(const Column *c, const char *s, Py_ssize_t n)
{
    PyObject *v;
    int byteorder;
    switch (c->enc) {
    case ENC_UTF8:
        v = PyUnicode_DecodeUTF8(s, n, "strict");
        break;
    case ENC_ASCII:
        v = PyUnicode_DecodeASCII(s, n, "strict");
        break;
    case ENC_LATIN1:
        v = PyUnicode_DecodeLatin1(s, n, "strict");
        break;
    case ENC_UTF16BE:
    case ENC_UTF16LE:
        /* bytes.decode('utf-16-be'): a fixed byte order, a BOM is a character */
        byteorder = c->enc == ENC_UTF16BE ? 1 : -1;
        v = PyUnicode_DecodeUTF16(s, n, "strict", &byteorder);
        break;
    case ENC_UTF32BE:
    case ENC_UTF32LE:
        byteorder = c->enc == ENC_UTF32BE ? 1 : -1;
        v = PyUnicode_DecodeUTF32(s, n, "strict", &byteorder);
        break;
    default:
        v = PyUnicode_Decode(s, n, c->encoding_name, "strict");
        break;
    }
    if (v == NULL && PyErr_ExceptionMatches(PyExc_UnicodeDecodeError)) {
        /* as the Python decoder: text that does not decode stays bytes */
        PyErr_Clear();
        v = PyBytes_FromStringAndSize(s, n);
    }
    return v;
}

static PyObject *
call_decode(const Column *c, const unsigned char *p, Py_ssize_t n)
{
    PyObject *raw = PyBytes_FromStringAndSize((const char *)p, n);
    if (raw == NULL)
        return NULL;
    PyObject *v = PyObject_CallOneArg(c->decode, raw);
    Py_DECREF(raw);
    return v;
}

/* callable(*fields): MySQLDate / MySQLDateTime for the values datetime cannot hold */
static PyObject *
call_with_longs(PyObject *callable, const long *fields, int n)
{
    PyObject *args[7] = {NULL};
    PyObject *v = NULL;
    for (int i = 0; i < n; i++) {
        if ((args[i] = PyLong_FromLong(fields[i])) == NULL)
            goto done;
    }
    v = PyObject_Vectorcall(callable, args, (size_t)n, NULL);
done:
    for (int i = 0; i < n; i++)
        Py_XDECREF(args[i]);
    return v;
}

static int
days_in_month(long year, long month)
{
    static const int days[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month == 2 && year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))
        return 29;
    return days[month];
}

/* rows.py _inline_datetime2: my_datetime_packed_from_binary, a negative value to the
 * codec, a date datetime.datetime cannot hold as MySQLDateTime. */
static PyObject *
decode_datetime2(const Column *c, const unsigned char *p)
{
    int64_t ip = (int64_t)be_uint(p, 5) - INT64_C(0x8000000000);
    int64_t us = 0;
    if (c->nfrac) {
        int bits = 8 * c->nfrac;
        int64_t frac = (int64_t)be_uint(p + 5, c->nfrac);
        if (frac >> (bits - 1))
            frac -= INT64_C(1) << bits;
        us = frac * c->mult;
    }
    if (ip < 0 || us < 0)
        return call_decode(c, p, c->size);
    int64_t ymd = ip >> 17, ym = ymd >> 5, hms = ip & 131071;
    long year = (long)(ym / 13), month = (long)(ym % 13), day = (long)(ymd & 31);
    long hour = (long)(hms >> 12), minute = (long)(hms >> 6 & 63), second = (long)(hms & 63);
    long usec = (long)us;
    if (year >= 1 && year <= 9999 && month >= 1 && month <= 12 && day >= 1
            && day <= days_in_month(year, month) && hour < 24 && minute < 60 && second < 60
            && usec < 1000000) {
        PyObject *v = PyDateTimeAPI->DateTime_FromDateAndTime(
            (int)year, (int)month, (int)day, (int)hour, (int)minute, (int)second, (int)usec,
            Py_None, PyDateTimeAPI->DateTimeType);
        if (v != NULL || !PyErr_ExceptionMatches(PyExc_ValueError))
            return v;
        PyErr_Clear();
    }
    long fields[7] = {year, month, day, hour, minute, second, usec};
    return call_with_longs(c->fallback, fields, 7);
}

/* values.py _date_codec: day | month << 5 | year << 9, little-endian; a date
 * datetime.date cannot hold as MySQLDate */
static PyObject *
decode_date(const Column *c, const unsigned char *p)
{
    uint64_t v = le_uint(p, 3);
    long year = (long)(v >> 9), month = (long)(v >> 5 & 15), day = (long)(v & 31);
    if (year >= 1 && year <= 9999 && month >= 1 && month <= 12 && day >= 1
            && day <= days_in_month(year, month)) {
        PyObject *d = PyDateTimeAPI->Date_FromDate((int)year, (int)month, (int)day,
                                                   PyDateTimeAPI->DateType);
        if (d != NULL || !PyErr_ExceptionMatches(PyExc_ValueError))
            return d;
        PyErr_Clear();
    }
    long fields[3] = {year, month, day};
    return call_with_longs(c->fallback, fields, 3);
}

static inline int64_t
floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* values.py _time2: my_time_packed_from_binary; the timedelta of the packed value */
static PyObject *
decode_time2(const Column *c, const unsigned char *p)
{
    int64_t packed;
    if (c->nfrac == 3)
        packed = (int64_t)be_uint(p, 6) - INT64_C(0x800000000000);
    else {
        int64_t intpart = (int64_t)be_uint(p, 3) - 0x800000;
        if (c->nfrac == 0)
            packed = intpart * (INT64_C(1) << 24);
        else {
            int64_t frac = (int64_t)be_uint(p + 3, c->nfrac);
            if (intpart < 0 && frac) {
                intpart += 1;
                frac -= c->nfrac == 1 ? 0x100 : 0x10000;
            }
            packed = intpart * (INT64_C(1) << 24) + frac * (c->nfrac == 1 ? 10000 : 100);
        }
    }
    int negative = packed < 0;
    if (negative)
        packed = -packed;
    int64_t hms = packed >> 24, usec = packed & 0xFFFFFF;
    int64_t total = ((((hms >> 12) & 0x3FF) * 60 + (hms >> 6 & 63)) * 60 + (hms & 63))
                    * 1000000 + usec;
    if (negative)
        total = -total;
    int64_t days = floor_div(total, INT64_C(86400000000));
    int64_t rest = total - days * INT64_C(86400000000);
    return PyDateTimeAPI->Delta_FromDelta((int)days, (int)(rest / 1000000),
                                          (int)(rest % 1000000), 1, PyDateTimeAPI->DeltaType);
}

/* days since 1970-01-01 -> proleptic Gregorian date (H. Hinnant, civil_from_days) */
static void
civil_from_days(int64_t z, long *year, long *month, long *day)
{
    z += 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *day = (long)(doy - (153 * mp + 2) / 5 + 1);
    *month = (long)(mp < 10 ? mp + 3 : mp - 9);
    *year = (long)(yoe + era * 400 + (*month <= 2));
}

/* values.py _timestamp2: seconds since the epoch, big-endian, then the fraction;
 * _EPOCH + timedelta(seconds, microseconds), or MySQLDateTime for second 0 */
static PyObject *
decode_timestamp2(const Column *c, const unsigned char *p)
{
    int64_t sec = (int64_t)be_uint(p, 4);
    int64_t usec = 0;
    if (c->nfrac) {
        int64_t frac = (int64_t)be_uint(p + 4, c->nfrac);
        int bits = 8 * c->nfrac;
        if (c->nfrac > 1 && frac >> (bits - 1))  /* fsp 3-6: signed */
            frac -= INT64_C(1) << bits;
        usec = frac * c->mult;
    }
    if (sec == 0) {
        long fields[7] = {0, 0, 0, 0, 0, 0, (long)usec};
        return call_with_longs(c->fallback, fields, 7);
    }
    int64_t total = sec * 1000000 + usec;
    int64_t days = floor_div(total, INT64_C(86400000000));
    int64_t rest = total - days * INT64_C(86400000000);
    long year, month, day;
    civil_from_days(days, &year, &month, &day);
    int64_t secs = rest / 1000000;
    return PyDateTimeAPI->DateTime_FromDateAndTime(
        (int)year, (int)month, (int)day, (int)(secs / 3600), (int)(secs / 60 % 60),
        (int)(secs % 60), (int)(rest % 1000000), c->tzinfo, PyDateTimeAPI->DateTimeType);
}

/* values.py _enum: the 1-based member index; 0 is '', past the members the index */
static PyObject *
decode_enum(const Column *c, const unsigned char *p)
{
    uint64_t index = le_uint(p, (int)c->size);
    if (c->members == NULL)
        return PyLong_FromUnsignedLongLong(index);
    if (index == 0)
        return PyUnicode_New(0, 0);
    if (index <= (uint64_t)PyTuple_GET_SIZE(c->members))
        return Py_NewRef(PyTuple_GET_ITEM(c->members, (Py_ssize_t)index - 1));
    return PyLong_FromUnsignedLongLong(index);
}

/* values.py _set: the frozenset of the members whose bits are set; a bit past the
 * members gives the mask */
static PyObject *
decode_set(const Column *c, const unsigned char *p)
{
    uint64_t mask = le_uint(p, (int)c->size);
    if (c->members == NULL)
        return PyLong_FromUnsignedLongLong(mask);
    Py_ssize_t count = PyTuple_GET_SIZE(c->members);
    if (count < 64 && mask >> count)
        return PyLong_FromUnsignedLongLong(mask);
    PyObject *members = PyFrozenSet_New(NULL);
    if (members == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < count && i < 64; i++) {
        if (mask >> i & 1 && PySet_Add(members, PyTuple_GET_ITEM(c->members, i)) < 0) {
            Py_DECREF(members);
            return NULL;
        }
    }
    return members;
}

/* rows.py _inline_decimal: bin2decimal for one (precision, scale).  The groups are
 * checked (a bad one goes to the codec, which raises naming it), the number made a
 * Decimal from an int and scaled by the exact context's multiply; negative zero is
 * the constant Decimal('-0E-scale'). */
static PyObject *
decode_decimal(const Column *c, const unsigned char *p)
{
    unsigned char m[4 * MAX_DECIMAL_SEGMENTS];
    Py_ssize_t size = c->size;
    int negative;
    memcpy(m, p, (size_t)size);
    if (m[0] & 0x80) {
        m[0] ^= 0x80;
        negative = 0;
    }
    else {
        m[0] ^= 0x7F;
        for (Py_ssize_t i = 1; i < size; i++)
            m[i] ^= 0xFF;
        negative = 1;
    }
    uint32_t groups[MAX_DECIMAL_SEGMENTS];
    int bad = 0, zero = 1;
    const unsigned char *q = m;
    for (int k = 0; k < c->nseg; k++) {
        groups[k] = (uint32_t)be_uint(q, c->seg_bytes[k]);
        q += c->seg_bytes[k];
        if (groups[k] >= POW10[c->seg_digits[k]])
            bad = 1;
        if (groups[k])
            zero = 0;
    }
    if (bad) {
        PyObject *v = call_decode(c, p, size);  /* raises, naming the bad group */
        if (v == NULL)
            return NULL;
        Py_DECREF(v);
    }
    if (negative && zero)
        return Py_NewRef(c->neg_zero);
    PyObject *number;
    if (c->digits <= 18) {
        uint64_t n = 0;
        for (int k = 0; k < c->nseg; k++)
            n = n * POW10[c->seg_digits[k]] + groups[k];
        number = negative ? PyLong_FromLongLong(-(long long)n)
                          : PyLong_FromUnsignedLongLong(n);
    }
    else {
        char text[9 * MAX_DECIMAL_SEGMENTS + 3];
        char *out = text;
        if (negative)
            *out++ = '-';
        for (int k = 0; k < c->nseg; k++) {
            int digits = c->seg_digits[k];
            uint32_t g = groups[k];
            for (int d = digits - 1; d >= 0; d--) {
                out[d] = (char)('0' + g % 10);
                g /= 10;
            }
            out += digits;
        }
        *out = '\0';  /* more than 18 digits: never only a sign */
        number = PyLong_FromString(text, NULL, 10);
    }
    if (number == NULL)
        return NULL;
    PyObject *dec = PyObject_CallOneArg(c->fallback, number);
    Py_DECREF(number);
    if (dec == NULL || c->multiply == NULL)
        return dec;
    PyObject *args[2] = {dec, c->quantum};
    PyObject *v = PyObject_Vectorcall(c->multiply, args, 2, NULL);
    Py_DECREF(dec);
    return v;
}

static PyObject *
read_value(const Column *c, const unsigned char *buf, Py_ssize_t end, Py_ssize_t *ppos)
{
    Py_ssize_t pos = *ppos;
    Py_ssize_t left = end - pos;
    const unsigned char *p = buf + pos;
    uint64_t u;

    if (c->prefixed) {
        /* a length prefix, then that many bytes */
        Py_ssize_t prefix = c->size;
        if (prefix > left)
            return truncated(pos, prefix, end);
        uint64_t n = le_uint(p, (int)prefix);
        if (n > (uint64_t)(left - prefix))
            return truncated(pos + prefix, n > PY_SSIZE_T_MAX ? PY_SSIZE_T_MAX
                                                              : (Py_ssize_t)n, end);
        p += prefix;
        *ppos = pos + prefix + (Py_ssize_t)n;
        switch (c->op) {
        case OP_TEXT:
            return decode_text(c, (const char *)p, (Py_ssize_t)n);
        case OP_BYTES:
            return PyBytes_FromStringAndSize((const char *)p, (Py_ssize_t)n);
        case OP_JSON: {
            if (n == 0)  /* MySQL reads an empty document as null */
                return Py_NewRef(c->fallback);
            PyObject *v = jsonb_decode(p, (Py_ssize_t)n, &c->json);
            if (v == Py_None) {  /* a document that is null: JSON_NULL, not SQL NULL */
                Py_DECREF(v);
                return Py_NewRef(c->fallback);
            }
            if (v != NULL)
                return v;
            /* the native decoder gives up: the codec's Python decoders decide (as
               decode_json does: an Exception, not a KeyboardInterrupt) */
            if (!PyErr_ExceptionMatches(PyExc_Exception))
                return NULL;
            PyErr_Clear();
            return call_decode(c, p, (Py_ssize_t)n);
        }
        default:
            return call_decode(c, p, (Py_ssize_t)n);
        }
    }
    if (c->size > left)
        return truncated(pos, c->size, end);
    *ppos = pos + c->size;
    switch (c->op) {
    case OP_I8:
        return PyLong_FromLong((signed char)p[0]);
    case OP_U8:
        return PyLong_FromLong(p[0]);
    case OP_I16:
        return PyLong_FromLong((int16_t)le_uint(p, 2));
    case OP_U16:
        return PyLong_FromLong((long)le_uint(p, 2));
    case OP_I24:
        u = le_uint(p, 3);
        return PyLong_FromLong((long)(u & 0x800000 ? (int64_t)u - 0x1000000 : (int64_t)u));
    case OP_U24:
        return PyLong_FromLong((long)le_uint(p, 3));
    case OP_I32:
        return PyLong_FromLong((int32_t)le_uint(p, 4));
    case OP_U32:
        return PyLong_FromUnsignedLong((unsigned long)le_uint(p, 4));
    case OP_I64:
        return PyLong_FromLongLong((long long)le_uint(p, 8));
    case OP_U64:
        return PyLong_FromUnsignedLongLong(le_uint(p, 8));
    case OP_F32: {
        /* what struct's '<f' gives */
        double x = PyFloat_Unpack4((const char *)p, 1);
        if (x == -1.0 && PyErr_Occurred())
            return NULL;
        return PyFloat_FromDouble(x);
    }
    case OP_F64: {
        double x = PyFloat_Unpack8((const char *)p, 1);
        if (x == -1.0 && PyErr_Occurred())
            return NULL;
        return PyFloat_FromDouble(x);
    }
    case OP_FIXED_BYTES:
        return PyBytes_FromStringAndSize((const char *)p, c->size);
    case OP_DATETIME2:
        return decode_datetime2(c, p);
    case OP_DECIMAL:
        return decode_decimal(c, p);
    case OP_YEAR:
        return PyLong_FromLong(p[0] ? p[0] + 1900 : 0);
    case OP_DATE:
        return decode_date(c, p);
    case OP_TIME2:
        return decode_time2(c, p);
    case OP_TIMESTAMP2:
        return decode_timestamp2(c, p);
    case OP_ENUM:
        return decode_enum(c, p);
    case OP_SET:
        return decode_set(c, p);
    case OP_BIT:
        return PyLong_FromUnsignedLongLong(be_uint(p, (int)c->size));
    default:  /* OP_CALL_FIXED */
        return call_decode(c, p, c->size);
    }
}

/* A dict sized for its items, as a dict display makes them (a dict grown item by
 * item resizes at the sixth). */
static inline PyObject *
new_dict(Py_ssize_t count)
{
#if PY_VERSION_HEX < 0x030E0000
    return _PyDict_NewPresized(count);
#else
    (void)count;
    return PyDict_New();
#endif
}

static PyObject *
read_image(const Image *image, const unsigned char *buf, Py_ssize_t end, Py_ssize_t *ppos)
{
    PyObject *dict = new_dict(image->count);
    if (dict == NULL || image->count == 0)
        return dict;
    Py_ssize_t pos = *ppos;
    Py_ssize_t nbytes = (image->count + 7) / 8;
    if (nbytes > end - pos) {
        Py_DECREF(dict);
        return truncated(pos, nbytes, end);
    }
    const unsigned char *nulls = buf + pos;
    pos += nbytes;
    for (Py_ssize_t i = 0; i < image->count; i++) {
        const Column *c = &image->columns[i];
        PyObject *value;
        if (nulls[i >> 3] >> (i & 7) & 1)
            value = Py_NewRef(Py_None);
        else if ((value = read_value(c, buf, end, &pos)) == NULL)
            goto error;
        int failed = PyDict_SetItem(dict, c->key, value);
        Py_DECREF(value);
        if (failed)
            goto error;
    }
    *ppos = pos;
    return dict;
error:
    Py_DECREF(dict);
    return NULL;
}

static PyObject *
decode(Decoder *self, const unsigned char *buf, Py_ssize_t end)
{
    PyObject *rows = PyList_New(0);
    if (rows == NULL)
        return NULL;
    Py_ssize_t pos = 0;
    while (pos < end) {
        Py_ssize_t start = pos;
        PyObject *first = read_image(&self->images[0], buf, end, &pos);
        if (first == NULL)
            goto error;
        PyObject *before, *after;
        if (self->kind == KIND_UPDATE) {
            before = first;
            if ((after = read_image(&self->images[1], buf, end, &pos)) == NULL) {
                Py_DECREF(first);
                goto error;
            }
        }
        else if (self->kind == KIND_DELETE) {
            before = first;
            after = Py_NewRef(Py_None);
        }
        else {
            before = Py_NewRef(Py_None);
            after = first;
        }
        /* tuple.__new__(RowChange, (before, after)) */
        PyObject *change = self->row_change->tp_alloc(self->row_change, 2);
        if (change == NULL) {
            Py_DECREF(before);
            Py_DECREF(after);
            goto error;
        }
        PyTuple_SET_ITEM(change, 0, before);
        PyTuple_SET_ITEM(change, 1, after);
        int failed = PyList_Append(rows, change);
        Py_DECREF(change);
        if (failed)
            goto error;
        if (pos == start) {
            PyErr_SetString(PyExc_ValueError, "a row image of no bytes: the columns-present "
                            "bitmap names no column");
            goto error;
        }
    }
    PyObject *end_pos = PyLong_FromSsize_t(pos);
    if (end_pos == NULL)
        goto error;
    PyObject *result = PyTuple_New(2);
    if (result == NULL) {
        Py_DECREF(end_pos);
        goto error;
    }
    PyTuple_SET_ITEM(result, 0, rows);
    PyTuple_SET_ITEM(result, 1, end_pos);
    return result;
error:
    Py_DECREF(rows);
    return NULL;
}

static PyObject *
Decoder_vectorcall(PyObject *op, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    Decoder *self = (Decoder *)op;
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (nargs != 1 || (kwnames != NULL && PyTuple_GET_SIZE(kwnames))) {
        PyErr_SetString(PyExc_TypeError, "a rows decoder takes one argument: the rows bytes");
        return NULL;
    }
    PyObject *data = args[0];
    if (PyBytes_CheckExact(data))
        return decode(self, (const unsigned char *)PyBytes_AS_STRING(data),
                      PyBytes_GET_SIZE(data));
    Py_buffer view;
    if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    PyObject *result = decode(self, (const unsigned char *)view.buf, view.len);
    PyBuffer_Release(&view);
    return result;
}

/* == building ====================================================================== */

static void
clear_images(Decoder *self)
{
    for (int k = 0; k < 2; k++) {
        Image *image = &self->images[k];
        for (Py_ssize_t i = 0; image->columns != NULL && i < image->count; i++) {
            Column *c = &image->columns[i];
            Py_CLEAR(c->key);
            Py_CLEAR(c->decode);
            Py_CLEAR(c->encoding);
            Py_CLEAR(c->fallback);
            Py_CLEAR(c->multiply);
            Py_CLEAR(c->quantum);
            Py_CLEAR(c->neg_zero);
            Py_CLEAR(c->members);
            Py_CLEAR(c->tzinfo);
            Py_CLEAR(c->json.uint_type);
            Py_CLEAR(c->json.opaque);
        }
        PyMem_Free(image->columns);
        image->columns = NULL;
        image->count = 0;
    }
}

static int
bad_op(Py_ssize_t index, const char *message)
{
    PyErr_Format(PyExc_ValueError, "op %zd: %s", index, message);
    return -1;
}

static PyObject *
item(PyObject *op, Py_ssize_t i)
{
    return i < PyTuple_GET_SIZE(op) ? PyTuple_GET_ITEM(op, i) : Py_None;
}

static int
need_callable(PyObject *value, Py_ssize_t index, const char *what)
{
    if (!PyCallable_Check(value)) {
        PyErr_Format(PyExc_TypeError, "op %zd: %s must be callable", index, what);
        return -1;
    }
    return 0;
}

static int
as_int(PyObject *value, int *out)
{
    long v = PyLong_AsLong(value);
    if (v == -1 && PyErr_Occurred())
        return -1;
    if (v < INT_MIN || v > INT_MAX) {
        PyErr_SetString(PyExc_OverflowError, "an op parameter does not fit a C int");
        return -1;
    }
    *out = (int)v;
    return 0;
}

static int
parse_decimal(Column *c, PyObject *op, Py_ssize_t index)
{
    PyObject *segments = item(op, 4);
    if (!PyTuple_Check(segments) || PyTuple_GET_SIZE(segments) == 0
            || PyTuple_GET_SIZE(segments) > MAX_DECIMAL_SEGMENTS)
        return bad_op(index, "DECIMAL segments must be a tuple of 1-32 (bytes, digits) pairs");
    Py_ssize_t total = 0;
    c->nseg = (int)PyTuple_GET_SIZE(segments);
    c->digits = 0;
    for (int k = 0; k < c->nseg; k++) {
        int nbytes, digits;
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(segments, k), "ii", &nbytes, &digits))
            return -1;
        if (nbytes < 1 || nbytes > 4 || digits < 0 || digits > 9)
            return bad_op(index, "a DECIMAL segment has 1-4 bytes and 0-9 digits");
        c->seg_bytes[k] = (unsigned char)nbytes;
        c->seg_digits[k] = (unsigned char)digits;
        total += nbytes;
        c->digits += digits;
    }
    if (total != c->size)
        return bad_op(index, "DECIMAL segments do not add up to the value's size");
    PyObject *decimal = item(op, 5), *multiply = item(op, 6), *quantum = item(op, 7);
    if (need_callable(decimal, index, "Decimal") < 0)
        return -1;
    c->fallback = Py_NewRef(decimal);
    if (multiply != Py_None) {
        if (need_callable(multiply, index, "multiply") < 0)
            return -1;
        c->multiply = Py_NewRef(multiply);
        c->quantum = Py_NewRef(quantum);
    }
    c->neg_zero = Py_NewRef(item(op, 8));
    return 0;
}

static int
parse_temporal(Column *c, PyObject *op, Py_ssize_t index)
{
    int fsp;
    if (as_int(item(op, 3), &fsp) < 0)
        return -1;
    if (fsp < 0 || fsp > 6)
        return bad_op(index, "fractional-second precision out of range");
    c->nfrac = (fsp + 1) / 2;
    c->mult = (int[]){0, 10000, 100, 1}[c->nfrac];
    if (c->size != (c->op == OP_TIME2 ? 3 : 4) + c->nfrac)
        return bad_op(index, "size does not match the precision");
    if (c->op == OP_TIMESTAMP2) {
        if (need_callable(item(op, 4), index, "MySQLDateTime") < 0)
            return -1;
        if (!PyTZInfo_Check(item(op, 5)))
            return bad_op(index, "TIMESTAMP2 needs a tzinfo");
        c->fallback = Py_NewRef(item(op, 4));
        c->tzinfo = Py_NewRef(item(op, 5));
    }
    return 0;
}

static int
parse_op(Column *c, PyObject *op, Py_ssize_t index)
{
    static const int int_sizes[] = {1, 1, 2, 2, 3, 3, 4, 4, 8, 8, 4, 8};
    if (!PyTuple_Check(op) || PyTuple_GET_SIZE(op) < 3)
        return bad_op(index, "an op is a tuple (code, key, size or prefix, ...)");
    if (as_int(PyTuple_GET_ITEM(op, 0), &c->op) < 0)
        return -1;
    c->size = PyLong_AsSsize_t(PyTuple_GET_ITEM(op, 2));
    if (c->size == -1 && PyErr_Occurred())
        return -1;
    c->key = Py_NewRef(PyTuple_GET_ITEM(op, 1));
    if (c->op < 0 || c->op >= OP_COUNT)
        return bad_op(index, "unknown op code");
    if (c->op <= OP_F64) {
        if (c->size != int_sizes[c->op])
            return bad_op(index, "size does not match the number type");
        return 0;
    }
    switch (c->op) {
    case OP_TEXT:
    case OP_BYTES:
    case OP_CALL_PREFIXED:
    case OP_JSON:
        c->prefixed = 1;
        if (c->size < 1 || c->size > 4)
            return bad_op(index, "a length prefix has 1-4 bytes");
        break;
    default:
        if (c->size < 0)
            return bad_op(index, "a negative size");
    }
    switch (c->op) {
    case OP_TEXT:
        if (as_int(item(op, 3), &c->enc) < 0)
            return -1;
        if (c->enc < 0 || c->enc >= ENC_COUNT)
            return bad_op(index, "unknown encoding id");
        if (c->enc == ENC_OTHER) {
            if (!PyUnicode_Check(item(op, 4)))
                return bad_op(index, "the encoding name must be a str");
            c->encoding = Py_NewRef(item(op, 4));
            if ((c->encoding_name = PyUnicode_AsUTF8(c->encoding)) == NULL)
                return -1;
        }
        return 0;
    case OP_BYTES:
    case OP_FIXED_BYTES:
        return 0;
    case OP_YEAR:
        return c->size == 1 ? 0 : bad_op(index, "YEAR takes 1 byte");
    case OP_DATE:
        if (c->size != 3)
            return bad_op(index, "DATE takes 3 bytes");
        if (need_callable(item(op, 3), index, "MySQLDate") < 0)
            return -1;
        c->fallback = Py_NewRef(item(op, 3));
        return 0;
    case OP_TIME2:
    case OP_TIMESTAMP2:
        return parse_temporal(c, op, index);
    case OP_BIT:
        return c->size >= 1 && c->size <= 8 ? 0 : bad_op(index, "BIT takes 1-8 bytes");
    case OP_ENUM:
    case OP_SET:
        if (c->size < 1 || c->size > 8)
            return bad_op(index, "ENUM and SET take 1-8 bytes");
        if (item(op, 3) != Py_None) {
            if (!PyTuple_Check(item(op, 3)))
                return bad_op(index, "ENUM and SET members must be a tuple or None");
            c->members = Py_NewRef(item(op, 3));
        }
        return 0;
    default:
        break;
    }
    /* the rest call the codec's decode, always or for the values they do not inline */
    if (need_callable(item(op, 3), index, "decode") < 0)
        return -1;
    c->decode = Py_NewRef(item(op, 3));
    if (c->op == OP_DATETIME2) {
        int fsp;
        if (as_int(item(op, 4), &fsp) < 0)
            return -1;
        if (fsp < 0 || fsp > 6)
            return bad_op(index, "DATETIME2 precision out of range");
        c->nfrac = (fsp + 1) / 2;
        c->mult = (int[]){0, 10000, 100, 1}[c->nfrac];
        if (c->size != 5 + c->nfrac)
            return bad_op(index, "DATETIME2 size does not match its precision");
        if (need_callable(item(op, 5), index, "MySQLDateTime") < 0)
            return -1;
        c->fallback = Py_NewRef(item(op, 5));
    }
    else if (c->op == OP_DECIMAL)
        return parse_decimal(c, op, index);
    else if (c->op == OP_JSON) {
        if (!PyType_Check(item(op, 4)))
            return bad_op(index, "JSON takes (decode, JsonUInt type, opaque, JSON_NULL)");
        if (need_callable(item(op, 5), index, "opaque") < 0)
            return -1;
        c->json.uint_type = Py_NewRef(item(op, 4));
        c->json.opaque = Py_NewRef(item(op, 5));
        c->fallback = Py_NewRef(item(op, 6));
    }
    return 0;
}

static int
parse_image(Image *image, PyObject *ops)
{
    if (!PyTuple_Check(ops)) {
        PyErr_SetString(PyExc_TypeError, "an image's ops must be a tuple");
        return -1;
    }
    Py_ssize_t count = PyTuple_GET_SIZE(ops);
    image->columns = PyMem_Calloc(count ? (size_t)count : 1, sizeof(Column));
    if (image->columns == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    image->count = count;
    for (Py_ssize_t i = 0; i < count; i++)
        if (parse_op(&image->columns[i], PyTuple_GET_ITEM(ops, i), i) < 0)
            return -1;
    return 0;
}

static PyObject *
Decoder_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"kind", "row_change", "first_ops", "second_ops", "source", NULL};
    int kind;
    PyObject *row_change, *first, *second, *source = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "iO!OO|O:Decoder", kwlist, &kind,
                                     &PyType_Type, &row_change, &first, &second, &source))
        return NULL;
    PyTypeObject *rc = (PyTypeObject *)row_change;
    if (kind < KIND_WRITE || kind > KIND_UPDATE) {
        PyErr_SetString(PyExc_ValueError, "kind must be KIND_WRITE, KIND_DELETE or KIND_UPDATE");
        return NULL;
    }
    /* the row class is filled as tuple.__new__ fills a tuple subclass */
    if (!PyType_IsSubtype(rc, &PyTuple_Type) || rc->tp_basicsize != PyTuple_Type.tp_basicsize
            || rc->tp_itemsize != PyTuple_Type.tp_itemsize) {
        PyErr_SetString(PyExc_TypeError, "row_change must be a tuple subclass without fields "
                        "of its own (a NamedTuple)");
        return NULL;
    }
    if ((kind == KIND_UPDATE) != (second != Py_None)) {
        PyErr_SetString(PyExc_ValueError, "second_ops is given for KIND_UPDATE only");
        return NULL;
    }
    Decoder *self = (Decoder *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->vectorcall = Decoder_vectorcall;
    self->kind = kind;
    self->row_change = (PyTypeObject *)Py_NewRef(row_change);
    self->program = Py_BuildValue("(iOOO)", kind, row_change, first, second);
    if (self->program == NULL) {
        Py_DECREF(self);
        return NULL;
    }
    self->source = Py_NewRef(source);
    self->nimages = kind == KIND_UPDATE ? 2 : 1;
    for (int k = 0; k < self->nimages; k++) {
        if (parse_image(&self->images[k], k ? second : first) < 0) {
            Py_DECREF(self);
            return NULL;
        }
    }
    return (PyObject *)self;
}

static int
Decoder_traverse(Decoder *self, visitproc visit, void *arg)
{
    Py_VISIT(self->row_change);
    Py_VISIT(self->program);
    Py_VISIT(self->source);
    for (int k = 0; k < 2; k++) {
        Image *image = &self->images[k];
        for (Py_ssize_t i = 0; image->columns != NULL && i < image->count; i++) {
            Column *c = &image->columns[i];
            Py_VISIT(c->key);
            Py_VISIT(c->decode);
            Py_VISIT(c->encoding);
            Py_VISIT(c->fallback);
            Py_VISIT(c->multiply);
            Py_VISIT(c->quantum);
            Py_VISIT(c->neg_zero);
            Py_VISIT(c->members);
            Py_VISIT(c->tzinfo);
            Py_VISIT(c->json.uint_type);
            Py_VISIT(c->json.opaque);
        }
    }
    return 0;
}

static int
Decoder_clear(Decoder *self)
{
    clear_images(self);
    Py_CLEAR(self->row_change);
    Py_CLEAR(self->program);
    Py_CLEAR(self->source);
    return 0;
}

static void
Decoder_dealloc(Decoder *self)
{
    PyObject_GC_UnTrack(self);
    Decoder_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
Decoder_repr(Decoder *self)
{
    static const char *kinds[] = {"write", "delete", "update"};
    return PyUnicode_FromFormat("<mysqlproto._rowsc.Decoder %s, %zd+%zd columns>",
                                kinds[self->kind], self->images[0].count,
                                self->nimages > 1 ? self->images[1].count : (Py_ssize_t)0);
}

static PyMemberDef Decoder_members[] = {
    {"program", T_OBJECT, offsetof(Decoder, program), READONLY,
     "(kind, row_change, first_ops, second_ops): what the decoder was built from"},
    {"source", T_OBJECT, offsetof(Decoder, source), READONLY,
     "a readable listing of the program (what the Python decoders show as their source)"},
    {NULL}
};

static PyTypeObject DecoderType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "mysqlproto._rowsc.Decoder",
    .tp_doc = PyDoc_STR(
        "Decoder(kind, row_change, first_ops, second_ops, source=None)\n--\n\n"
        "A row-image decoder: decoder(rows_bytes) -> (list of row_change, end offset).\n"
        "Built by mysqlproto._crows.compile_decoder."),
    .tp_basicsize = sizeof(Decoder),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_new = Decoder_new,
    .tp_dealloc = (destructor)Decoder_dealloc,
    .tp_traverse = (traverseproc)Decoder_traverse,
    .tp_clear = (inquiry)Decoder_clear,
    .tp_call = PyVectorcall_Call,
    .tp_vectorcall_offset = offsetof(Decoder, vectorcall),
    .tp_repr = (reprfunc)Decoder_repr,
    .tp_members = Decoder_members,
};

static PyMethodDef rowsc_methods[] = {
    {"decode_json", (PyCFunction)(void (*)(void))jsonb_decode_py, METH_FASTCALL,
     PyDoc_STR("decode_json(data, JsonUInt, opaque)\n--\n\n"
               "One binary JSON document (not empty), as mysqlproto.jsonbinary's fast "
               "decoder gives it;\nValueError where that one gives up.")},
    {NULL, NULL, 0, NULL}
};

static struct PyModuleDef rowsc_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "mysqlproto._rowsc",
    .m_doc = "The optional C decoder of row images (see mysqlproto/_crows.py) and of "
             "binary JSON (mysqlproto/_jsonb.c).",
    .m_size = -1,
    .m_methods = rowsc_methods,
};

PyMODINIT_FUNC
PyInit__rowsc(void)
{
    static const struct { const char *name; int value; } constants[] = {
        {"OP_I8", OP_I8}, {"OP_U8", OP_U8}, {"OP_I16", OP_I16}, {"OP_U16", OP_U16},
        {"OP_I24", OP_I24}, {"OP_U24", OP_U24}, {"OP_I32", OP_I32}, {"OP_U32", OP_U32},
        {"OP_I64", OP_I64}, {"OP_U64", OP_U64}, {"OP_F32", OP_F32}, {"OP_F64", OP_F64},
        {"OP_TEXT", OP_TEXT}, {"OP_BYTES", OP_BYTES}, {"OP_FIXED_BYTES", OP_FIXED_BYTES},
        {"OP_CALL_FIXED", OP_CALL_FIXED}, {"OP_CALL_PREFIXED", OP_CALL_PREFIXED},
        {"OP_DATETIME2", OP_DATETIME2}, {"OP_DECIMAL", OP_DECIMAL},
        {"OP_YEAR", OP_YEAR}, {"OP_DATE", OP_DATE}, {"OP_TIME2", OP_TIME2},
        {"OP_TIMESTAMP2", OP_TIMESTAMP2}, {"OP_ENUM", OP_ENUM}, {"OP_SET", OP_SET},
        {"OP_BIT", OP_BIT}, {"OP_JSON", OP_JSON},
        {"KIND_WRITE", KIND_WRITE}, {"KIND_DELETE", KIND_DELETE}, {"KIND_UPDATE", KIND_UPDATE},
        {"ENC_OTHER", ENC_OTHER}, {"ENC_UTF8", ENC_UTF8}, {"ENC_ASCII", ENC_ASCII},
        {"ENC_LATIN1", ENC_LATIN1}, {"ENC_UTF16BE", ENC_UTF16BE}, {"ENC_UTF16LE", ENC_UTF16LE},
        {"ENC_UTF32BE", ENC_UTF32BE}, {"ENC_UTF32LE", ENC_UTF32LE},
        {"MAX_DECIMAL_SEGMENTS", MAX_DECIMAL_SEGMENTS},
    };
    PyDateTime_IMPORT;
    if (PyDateTimeAPI == NULL)
        return NULL;
    if (PyType_Ready(&DecoderType) < 0)
        return NULL;
    PyObject *module = PyModule_Create(&rowsc_module);
    if (module == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof(constants) / sizeof(constants[0]); i++) {
        if (PyModule_AddIntConstant(module, constants[i].name, constants[i].value) < 0)
            goto error;
    }
    Py_INCREF(&DecoderType);
    if (PyModule_AddObject(module, "Decoder", (PyObject *)&DecoderType) < 0) {
        Py_DECREF(&DecoderType);
        goto error;
    }
    return module;
error:
    Py_DECREF(module);
    return NULL;
}

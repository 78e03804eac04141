/* mysqlproto/_jsonb.c: MySQL binary JSON, decoded natively (see that file). */

#ifndef MYSQLPROTO_JSONB_H
#define MYSQLPROTO_JSONB_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* The Python objects the decoder makes values with. */
typedef struct {
    PyObject *uint_type;  /* mysqlproto.jsonbinary.JsonUInt */
    PyObject *opaque;     /* (field_type, payload bytes) -> value; raises if unsure */
} JsonbHooks;

/* The value of one document (data[0] is its type), or NULL with an exception set when
 * the decoder does not vouch for the bytes: the caller then asks the Python decoders,
 * which decide (and name the error).  n == 0 is not a document: the caller handles it. */
PyObject *jsonb_decode(const unsigned char *data, Py_ssize_t n, const JsonbHooks *hooks);

/* _rowsc.decode_json(data, JsonUInt, opaque) */
PyObject *jsonb_decode_py(PyObject *module, PyObject *const *args, Py_ssize_t nargs);

#endif

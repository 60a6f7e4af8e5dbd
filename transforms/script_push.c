/*
 * script_push.c — the Script transform's way from a Connect record to the
 * plain Lua table its function sees (script.c calls ks_script_push_record
 * inside its protected call; the way back is script_value.c). Runs on the
 * task's thread, inside lua_pcall, so a Lua error (out of memory included)
 * unwinds through here.
 */
#include "script_int.h"

#include "../lib/decimal.h"

/* ---------------- decimals (Connect: unscaled big-endian two's complement) ---------------- */

/* Text of a Decimal value ("-12.34", lib/decimal.c), pushed on the Lua
 * stack; "NaN" past 64 bytes. Built on the C stack, so a Lua error in the
 * push leaks nothing. */
static void push_decimal(lua_State *L, const unsigned char *b, size_t n, int scale)
{
	ks_buf_t buf = KS_BUF_INIT;
	char out[256], err[64];
	size_t len = 0;

	if (n <= 64 && !ks_decimal_text(&buf, b, n, scale, NULL, err, sizeof(err)) &&
	    !ks_buf_failed(&buf) && buf.len < sizeof(out)) {
		len = buf.len;
		memcpy(out, buf.data, len);
	}
	ks_buf_free(&buf);
	if (len)
		lua_pushlstring(L, out, len);
	else
		lua_pushliteral(L, "NaN");
}

/* ---------------- record -> Lua ---------------- */

/*
 * Pushes a Connect value: integers (and Date/Time/Timestamp as their
 * numbers) -> integer, floats -> float, boolean, string and bytes -> string,
 * Decimal -> its decimal text, struct -> table by field name (null fields
 * absent), array -> sequence, map -> table; a null element of an array or a
 * null map value -> the `null` sentinel; a null value itself -> nil.
 */
static void push_value(lua_State *L, const ks_schema_t *s, const ks_value_t *v)
{
	if (!v || v->is_null) {
		lua_pushnil(L);
		return;
	}
	luaL_checkstack(L, 4, "value too deeply nested");
	if (s && s->logical == KS_LOGICAL_DECIMAL && v->type == KS_TYPE_BYTES) {
		push_decimal(L, (const unsigned char *)v->u.s.ptr, v->u.s.len, s->scale);
		return;
	}
	switch (v->type) {
	case KS_TYPE_INT8:
	case KS_TYPE_INT16:
	case KS_TYPE_INT32:
	case KS_TYPE_INT64:
		lua_pushinteger(L, v->u.i);
		break;
	case KS_TYPE_FLOAT32:
	case KS_TYPE_FLOAT64:
		lua_pushnumber(L, v->u.d);
		break;
	case KS_TYPE_BOOLEAN:
		lua_pushboolean(L, v->u.i != 0);
		break;
	case KS_TYPE_STRING:
	case KS_TYPE_BYTES:
		lua_pushlstring(L, v->u.s.ptr ? v->u.s.ptr : "", v->u.s.len);
		break;
	case KS_TYPE_ARRAY:
		lua_createtable(L, (int)v->u.arr.n, 0);
		for (size_t i = 0; i < v->u.arr.n; i++) {
			const ks_value_t *e = &v->u.arr.items[i];
			if (e->is_null)
				lua_pushlightuserdata(L, (void *)&ks_script_null);
			else
				push_value(L, s ? s->value_schema : NULL, e);
			lua_rawseti(L, -2, (lua_Integer)i + 1);
		}
		break;
	case KS_TYPE_MAP:
		lua_createtable(L, 0, (int)v->u.map.n);
		for (size_t i = 0; i < v->u.map.n; i++) {
			if (v->u.map.keys[i].is_null)
				continue;
			push_value(L, s ? s->key_schema : NULL, &v->u.map.keys[i]);
			if (v->u.map.vals[i].is_null)
				lua_pushlightuserdata(L, (void *)&ks_script_null);
			else
				push_value(L, s ? s->value_schema : NULL, &v->u.map.vals[i]);
			lua_rawset(L, -3);
		}
		break;
	case KS_TYPE_STRUCT:
		lua_createtable(L, 0, (int)v->u.st.n);
		for (size_t i = 0; i < v->u.st.n; i++) {
			const char *name = v->u.st.names         ? v->u.st.names[i]
			                   : s && i < s->nfields ? s->fields[i].name
			                                         : NULL;
			const ks_schema_t *fs =
			        s && !v->u.st.names && i < s->nfields ? s->fields[i].schema : NULL;
			if (!name || v->u.st.fields[i].is_null)
				continue;
			push_value(L, fs, &v->u.st.fields[i]);
			lua_setfield(L, -2, name);
		}
		break;
	default:
		lua_pushnil(L);
	}
}

void ks_script_push_record(lua_State *L, const ks_record_t *rec)
{
	lua_createtable(L, 0, 7);
	lua_pushstring(L, rec->topic);
	lua_setfield(L, -2, "topic");
	lua_pushinteger(L, rec->partition);
	lua_setfield(L, -2, "partition");
	lua_pushinteger(L, rec->offset);
	lua_setfield(L, -2, "offset");
	if (rec->timestamp >= 0) {
		lua_pushinteger(L, rec->timestamp);
		lua_setfield(L, -2, "timestamp");
	}
	push_value(L, rec->key_schema, rec->key);
	lua_setfield(L, -2, "key");
	push_value(L, rec->value_schema, rec->value);
	lua_setfield(L, -2, "value");
	lua_createtable(L, 0, (int)rec->nheaders);
	for (size_t i = 0; i < rec->nheaders; i++) {
		if (!rec->headers[i].key)
			continue;
		if (rec->headers[i].value)
			lua_pushlstring(L, rec->headers[i].value, rec->headers[i].len);
		else
			lua_pushlightuserdata(L, (void *)&ks_script_null);
		lua_setfield(L, -2, rec->headers[i].key);
	}
	lua_setfield(L, -2, "headers");
}

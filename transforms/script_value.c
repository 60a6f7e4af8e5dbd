/*
 * script_value.c — the Script transform's way back from the plain Lua table
 * its function returned to a Connect record (script.c calls it inside its
 * protected call; the way there is script_push.c): table -> record with a
 * consistent schema for a changed top-level struct (top_struct, cached per
 * distinct result), headers. Runs on the task's thread, inside lua_pcall,
 * so a Lua error (out of memory included) unwinds through here.
 */
#include "script_int.h"

/* ---------------- Lua -> record ---------------- */

static int is_null(lua_State *L, int idx)
{
	return lua_isnil(L, idx) ||
	       (lua_islightuserdata(L, idx) && lua_touserdata(L, idx) == &ks_script_null);
}

static int lua_name_of(lua_State *L, int idx, char *buf, size_t len)
{
	if (lua_islightuserdata(L, idx) && lua_touserdata(L, idx) == &ks_script_null)
		return snprintf(buf, len, "null");
	if (lua_isinteger(L, idx))
		return snprintf(buf, len, "an integer");
	return snprintf(buf, len, "a %s", luaL_typename(L, idx));
}

static int bad_type(call_t *c, lua_State *L, int idx, const char *path, const char *want)
{
	char got[32];
	lua_name_of(L, idx, got, sizeof(got));
	c->err = ks_seterr(c->errstr, c->errlen, KS_ERR_RECORD,
	                   "field '%s' is %s in the schema but the script returned %s", path, want,
	                   got);
	return -1;
}

static char *sub_path(call_t *c, const char *path, const char *name)
{
	size_t pl = strlen(path), nl = strlen(name);
	char *p = ks_arena_alloc(c->a, pl + nl + 2);
	if (!p)
		return NULL;
	memcpy(p, path, pl);
	p[pl] = pl ? '.' : '\0';
	memcpy(p + pl + (pl ? 1 : 0), name, nl + 1);
	return p;
}

int ks_script_oom(call_t *c)
{
	c->err = OOM(c->errstr, c->errlen);
	return -1;
}

static int to_schemaless(call_t *c, lua_State *L, int idx, const char *path, const ks_value_t *orig,
                         ks_value_t *out);

/* Reads the Lua value at idx into *out following schema fs. 0 ok, -1 with
 * c->err. path names the field for messages ("" for the whole value). */
static int to_value(call_t *c, lua_State *L, int idx, const ks_schema_t *fs, const char *path,
                    ks_value_t *out)
{
	const char *p = *path ? path : "value";

	idx = lua_absindex(L, idx);
	memset(out, 0, sizeof(*out));
	if (!fs)
		return to_schemaless(c, L, idx, path, NULL, out);
	out->type = fs->type;
	if (is_null(L, idx)) {
		if (!fs->optional) {
			c->err = ks_seterr(c->errstr, c->errlen, KS_ERR_RECORD,
			                   "field '%s' is required (not optional) but the script "
			                   "set it to nil/null",
			                   p);
			return -1;
		}
		out->is_null = 1;
		return 0;
	}
	luaL_checkstack(L, 4, "value too deeply nested");
	if (fs->logical == KS_LOGICAL_DECIMAL) {
		char num[128];
		const char *t;
		int rc;
		if (lua_type(L, idx) == LUA_TSTRING)
			t = lua_tostring(L, idx);
		else if (lua_isinteger(L, idx))
			snprintf(num, sizeof(num), "%lld", (long long)lua_tointeger(L, idx)),
			        t = num;
		else if (lua_type(L, idx) == LUA_TNUMBER)
			snprintf(num, sizeof(num), "%.*f", fs->scale > 0 ? fs->scale : 0,
			         lua_tonumber(L, idx)),
			        t = num;
		else
			return bad_type(c, L, idx, p, "a decimal (string or number)");
		if ((rc = ks_tf_decimal(c->a, t, fs->scale, 1, out)) == -2)
			return ks_script_oom(c);
		if (rc) {
			c->err = ks_seterr(c->errstr, c->errlen, KS_ERR_RECORD,
			                   "field '%s': '%s' is not a decimal of scale %d", p, t,
			                   fs->scale);
			return -1;
		}
		return 0;
	}
	switch (fs->type) {
	case KS_TYPE_INT8:
	case KS_TYPE_INT16:
	case KS_TYPE_INT32:
	case KS_TYPE_INT64: {
		static const int64_t lim[] = {INT8_MAX, INT16_MAX, INT32_MAX, INT64_MAX};
		int64_t max = lim[fs->type - KS_TYPE_INT8];
		int ok = 0;
		lua_Integer i = lua_type(L, idx) == LUA_TNUMBER ? lua_tointegerx(L, idx, &ok) : 0;
		if (!ok)
			return bad_type(c, L, idx, p, ks_type_name(fs->type));
		if (i > max || i < -max - 1) {
			c->err = ks_seterr(c->errstr, c->errlen, KS_ERR_RECORD,
			                   "field '%s': %lld is out of range for %s", p,
			                   (long long)i, ks_type_name(fs->type));
			return -1;
		}
		out->u.i = i;
		return 0;
	}
	case KS_TYPE_FLOAT32:
	case KS_TYPE_FLOAT64:
		if (lua_type(L, idx) != LUA_TNUMBER)
			return bad_type(c, L, idx, p, ks_type_name(fs->type));
		out->u.d = lua_tonumber(L, idx);
		return 0;
	case KS_TYPE_BOOLEAN:
		if (!lua_isboolean(L, idx))
			return bad_type(c, L, idx, p, "boolean");
		out->u.i = lua_toboolean(L, idx);
		return 0;
	case KS_TYPE_STRING:
	case KS_TYPE_BYTES: {
		size_t len;
		const char *str;
		if (lua_type(L, idx) != LUA_TSTRING)
			return bad_type(c, L, idx, p, ks_type_name(fs->type));
		str = lua_tolstring(L, idx, &len);
		if (!(out->u.s.ptr = ks_arena_memdup(c->a, str, len)))
			return ks_script_oom(c);
		out->u.s.len = len;
		return 0;
	}
	case KS_TYPE_ARRAY: {
		size_t n;
		if (!lua_istable(L, idx))
			return bad_type(c, L, idx, p, "array");
		n = lua_rawlen(L, idx);
		out->u.arr.n = n;
		if (!(out->u.arr.items = ks_arena_calloc(c->a, n ? n : 1, sizeof(ks_value_t))))
			return ks_script_oom(c);
		for (size_t i = 0; i < n; i++) {
			int rc;
			lua_rawgeti(L, idx, (lua_Integer)i + 1);
			rc = to_value(c, L, -1, fs->value_schema, p, &out->u.arr.items[i]);
			lua_pop(L, 1);
			if (rc)
				return -1;
		}
		return 0;
	}
	case KS_TYPE_MAP: {
		size_t n = 0, k = 0;
		if (!lua_istable(L, idx))
			return bad_type(c, L, idx, p, "map");
		lua_pushnil(L);
		while (lua_next(L, idx)) {
			n++;
			lua_pop(L, 1);
		}
		out->u.map.keys = ks_arena_calloc(c->a, n ? n : 1, sizeof(ks_value_t));
		out->u.map.vals = ks_arena_calloc(c->a, n ? n : 1, sizeof(ks_value_t));
		if (!out->u.map.keys || !out->u.map.vals)
			return ks_script_oom(c);
		lua_pushnil(L);
		while (lua_next(L, idx)) {
			if (k >= n || to_value(c, L, -2, fs->key_schema, p, &out->u.map.keys[k]) ||
			    to_value(c, L, -1, fs->value_schema, p, &out->u.map.vals[k])) {
				lua_pop(L, 2);
				return k >= n ? bad_type(c, L, idx, p, "map") : -1;
			}
			k++;
			lua_pop(L, 1);
		}
		out->u.map.n = k;
		return 0;
	}
	case KS_TYPE_STRUCT: {
		/* a nested struct keeps its schema: missing fields are null */
		size_t seen = 0, n = 0;
		if (!lua_istable(L, idx))
			return bad_type(c, L, idx, p, "struct");
		out->u.st.n = fs->nfields;
		if (!(out->u.st.fields = ks_arena_calloc(c->a, fs->nfields ? fs->nfields : 1,
		                                         sizeof(ks_value_t))))
			return ks_script_oom(c);
		for (size_t i = 0; i < fs->nfields; i++) {
			char *fp = sub_path(c, path, fs->fields[i].name);
			int rc;
			if (!fp)
				return ks_script_oom(c);
			lua_getfield(L, idx, fs->fields[i].name);
			seen += !lua_isnil(L, -1);
			rc = to_value(c, L, -1, fs->fields[i].schema, fp, &out->u.st.fields[i]);
			lua_pop(L, 1);
			if (rc)
				return -1;
		}
		lua_pushnil(L);
		while (lua_next(L, idx)) {
			n++;
			lua_pop(L, 1);
		}
		if (n != seen) {
			c->err = ks_seterr(c->errstr, c->errlen, KS_ERR_RECORD,
			                   "field '%s' is a struct whose schema the script cannot "
			                   "change: only top-level fields may be added",
			                   p);
			return -1;
		}
		return 0;
	}
	default:
		return bad_type(c, L, idx, p, "a supported type");
	}
}

/* 1 when the table at idx is a sequence 1..n (n >= 1). */
static int is_sequence(lua_State *L, int idx)
{
	size_t n = lua_rawlen(L, idx), cnt = 0;

	if (!n)
		return 0;
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		cnt++;
		lua_pop(L, 1);
	}
	return cnt == n;
}

/* Orders an object's keys deterministically (lua_next has no order): the
 * keys orig (the object as it came in, may be NULL) had, in its order, then
 * new keys by name. Insertion sort: objects are small. */
static void sort_keys(ks_value_t *out, const ks_value_t *orig)
{
	size_t n = out->u.st.n;

	for (size_t i = 1; i < n; i++) {
		for (size_t j = i; j > 0; j--) {
			const char *a = out->u.st.names[j - 1], *b = out->u.st.names[j];
			size_t pa = (size_t)-1, pb = (size_t)-1;
			for (size_t k = 0; ks_tf_is_map(orig) && k < orig->u.st.n; k++) {
				if (!strcmp(orig->u.st.names[k], a))
					pa = k;
				if (!strcmp(orig->u.st.names[k], b))
					pb = k;
			}
			if (pa < pb || (pa == pb && strcmp(a, b) <= 0))
				break;
			out->u.st.names[j - 1] = b;
			out->u.st.names[j] = a;
			{
				ks_value_t tmp = out->u.st.fields[j - 1];
				out->u.st.fields[j - 1] = out->u.st.fields[j];
				out->u.st.fields[j] = tmp;
			}
		}
	}
}

/* A value without a schema (schemaless JSON): its type follows the Lua
 * value; a table is an array when it is a sequence, else an object (orig:
 * the object it was, for the key order; may be NULL). */
static int to_schemaless(call_t *c, lua_State *L, int idx, const char *path, const ks_value_t *orig,
                         ks_value_t *out)
{
	const char *p = *path ? path : "value";

	idx = lua_absindex(L, idx);
	memset(out, 0, sizeof(*out));
	luaL_checkstack(L, 4, "value too deeply nested");
	switch (lua_type(L, idx)) {
	case LUA_TNIL:
		out->type = KS_TYPE_STRING;
		out->is_null = 1;
		return 0;
	case LUA_TBOOLEAN:
		out->type = KS_TYPE_BOOLEAN;
		out->u.i = lua_toboolean(L, idx);
		return 0;
	case LUA_TNUMBER:
		if (lua_isinteger(L, idx)) {
			out->type = KS_TYPE_INT64;
			out->u.i = lua_tointeger(L, idx);
		} else {
			out->type = KS_TYPE_FLOAT64;
			out->u.d = lua_tonumber(L, idx);
		}
		return 0;
	case LUA_TSTRING: {
		size_t len;
		const char *str = lua_tolstring(L, idx, &len);
		out->type = KS_TYPE_STRING;
		if (!(out->u.s.ptr = ks_arena_memdup(c->a, str, len)))
			return ks_script_oom(c);
		out->u.s.len = len;
		return 0;
	}
	case LUA_TLIGHTUSERDATA:
		if (lua_touserdata(L, idx) == &ks_script_null) {
			out->type = KS_TYPE_STRING;
			out->is_null = 1;
			return 0;
		}
		break;
	case LUA_TTABLE:
		if (is_sequence(L, idx)) {
			size_t n = lua_rawlen(L, idx);
			out->type = KS_TYPE_ARRAY;
			out->u.arr.n = n;
			if (!(out->u.arr.items = ks_arena_calloc(c->a, n, sizeof(ks_value_t))))
				return ks_script_oom(c);
			for (size_t i = 0; i < n; i++) {
				int rc;
				lua_rawgeti(L, idx, (lua_Integer)i + 1);
				rc = to_schemaless(c, L, -1, p, NULL, &out->u.arr.items[i]);
				lua_pop(L, 1);
				if (rc)
					return -1;
			}
			return 0;
		} else {
			size_t n = 0, k = 0;
			lua_pushnil(L);
			while (lua_next(L, idx)) {
				n++;
				lua_pop(L, 1);
			}
			{
				ks_value_t *st = ks_tf_struct_new(c->a, n, 1);
				if (!st)
					return ks_script_oom(c);
				*out = *st;
			}
			lua_pushnil(L);
			while (lua_next(L, idx)) {
				char *fp;
				if (lua_type(L, -2) != LUA_TSTRING || k >= n) {
					lua_pop(L, 2);
					c->err = ks_seterr(
					        c->errstr, c->errlen, KS_ERR_RECORD,
					        "'%s' is a table with a key that is not a "
					        "string",
					        p);
					return -1;
				}
				if (!(out->u.st.names[k] =
				              ks_arena_strdup(c->a, lua_tostring(L, -2))) ||
				    !(fp = sub_path(c, path, out->u.st.names[k]))) {
					lua_pop(L, 2);
					return ks_script_oom(c);
				}
				if (to_schemaless(c, L, -1, fp, NULL, &out->u.st.fields[k])) {
					lua_pop(L, 2);
					return -1;
				}
				k++;
				lua_pop(L, 1);
			}
			out->u.st.n = k;
			sort_keys(out, orig);
			return 0;
		}
	default:
		break;
	}
	{
		char got[32];
		lua_name_of(L, idx, got, sizeof(got));
		c->err = ks_seterr(c->errstr, c->errlen, KS_ERR_RECORD,
		                   "field '%s': the script returned %s, which has no Connect type",
		                   p, got);
	}
	return -1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The inferred schema type of a new top-level field, or -1 (c->err). */
static int infer_type(call_t *c, lua_State *L, int idx, const char *name)
{
	char got[32];

	switch (lua_type(L, idx)) {
	case LUA_TNUMBER:
		return lua_isinteger(L, idx) ? KS_TYPE_INT64 : KS_TYPE_FLOAT64;
	case LUA_TSTRING:
		return KS_TYPE_STRING;
	case LUA_TBOOLEAN:
		return KS_TYPE_BOOLEAN;
	default:
		lua_name_of(L, idx, got, sizeof(got));
		c->err = ks_seterr(c->errstr, c->errlen, KS_ERR_RECORD,
		                   "cannot infer a schema type for new field '%s' from %s (new "
		                   "fields take an integer, a float, a string or a boolean)",
		                   name, got);
		return -1;
	}
}

/*
 * A top-level struct with a schema: the schema's fields the table still has
 * (or that were null and stay nil) keep their schemas; fields the table no
 * longer has are removed; string keys the schema does not know are new
 * optional fields of the inferred type, appended in name order. The output
 * schema is cached per (input schema, field list).
 */
static int top_struct(call_t *c, lua_State *L, int idx, const ks_schema_t *s, const ks_value_t *in,
                      const ks_schema_t **os_out, ks_value_t **ov_out)
{
	script_t *st = c->s;
	size_t nf = s->nfields, nkeep = 0, nnew = 0, ntotal = 0;
	char *keep = ks_arena_calloc(c->a, nf ? nf : 1, 1);
	const char **newnames;
	int *newtypes;
	const ks_schema_t *os = NULL;
	ks_value_t *ov;
	size_t k;

	idx = lua_absindex(L, idx);
	if (!keep)
		return ks_script_oom(c);
	for (size_t i = 0; i < nf; i++) {
		int was_null = !in || in->is_null || i >= in->u.st.n || in->u.st.fields[i].is_null;
		lua_getfield(L, idx, s->fields[i].name);
		keep[i] = !lua_isnil(L, -1) || was_null;
		lua_pop(L, 1);
		nkeep += keep[i];
	}
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		ntotal++;
		lua_pop(L, 1);
	}
	newnames = ks_arena_calloc(c->a, ntotal ? ntotal : 1, sizeof(*newnames));
	newtypes = ks_arena_calloc(c->a, ntotal ? ntotal : 1, sizeof(*newtypes));
	if (!newnames || !newtypes)
		return ks_script_oom(c);
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		const char *name;
		if (lua_type(L, -2) != LUA_TSTRING) {
			lua_pop(L, 2);
			c->err = ks_seterr(c->errstr, c->errlen, KS_ERR_RECORD,
			                   "the value table has a key that is not a string");
			return -1;
		}
		name = lua_tostring(L, -2);
		if (!ks_schema_field(s, name) && nnew < ntotal) {
			if (!(newnames[nnew++] = ks_arena_strdup(c->a, name))) {
				lua_pop(L, 2);
				return ks_script_oom(c);
			}
		}
		lua_pop(L, 1);
	}
	qsort(newnames, nnew, sizeof(*newnames), cmp_str);
	for (size_t j = 0; j < nnew; j++) {
		lua_getfield(L, idx, newnames[j]);
		newtypes[j] = infer_type(c, L, -1, newnames[j]);
		lua_pop(L, 1);
		if (newtypes[j] < 0)
			return -1;
	}
	if (nkeep == nf && !nnew) {
		os = s;
	} else {
		for (size_t e = 0; e < st->nshapes && !os; e++) {
			const ks_schema_t *o = st->shapes[e].out;
			size_t f = 0, ok = st->shapes[e].in == s && o->nfields == nkeep + nnew;
			for (size_t i = 0; ok && i < nf; i++)
				if (keep[i])
					ok = !strcmp(o->fields[f].name, s->fields[i].name) &&
					     o->fields[f].schema == s->fields[i].schema,
					f++;
			for (size_t j = 0; ok && j < nnew; j++, f++)
				ok = !strcmp(o->fields[f].name, newnames[j]) &&
				     (int)o->fields[f].schema->type == newtypes[j];
			if (ok)
				os = o;
		}
	}
	if (!os) {
		ks_schema_t *b;
		if (st->nshapes >= KS_SCRIPT_MAX_SHAPES) {
			c->err = ks_seterr(c->errstr, c->errlen, KS_ERR_RECORD,
			                   "the script produced more than %d distinct value "
			                   "schemas",
			                   KS_SCRIPT_MAX_SHAPES);
			return -1;
		}
		if (st->nshapes == st->capshapes) {
			size_t cap = st->capshapes ? st->capshapes * 2 : 8;
			shape_t *n = realloc(st->shapes, cap * sizeof(*n));
			if (!n)
				return ks_script_oom(c);
			st->shapes = n;
			st->capshapes = cap;
		}
		if (!(b = c->tmp = ks_tf_schema_basics(s, KS_TYPE_STRUCT)))
			return ks_script_oom(c);
		for (size_t i = 0; i < nf; i++)
			if (keep[i] &&
			    ks_tf_add_field_ref(b, s->fields[i].name, s->fields[i].schema))
				return ks_script_oom(c);
		for (size_t j = 0; j < nnew; j++) {
			ks_schema_t *fs = ks_tf_schema_prim(newtypes[j], KS_LOGICAL_NONE, 1);
			if (!fs || ks_schema_add_field(b, newnames[j], fs))
				return ks_script_oom(c);
		}
		st->shapes[st->nshapes].in = ks_schema_ref((ks_schema_t *)s);
		st->shapes[st->nshapes++].out = b;
		c->tmp = NULL;
		os = b;
	}
	if (!(ov = ks_tf_struct_new(c->a, os->nfields, 0)))
		return ks_script_oom(c);
	k = 0;
	for (size_t i = 0; i < nf; i++) {
		if (!keep[i])
			continue;
		lua_getfield(L, idx, s->fields[i].name);
		if (to_value(c, L, -1, s->fields[i].schema, s->fields[i].name,
		             &ov->u.st.fields[k++])) {
			lua_pop(L, 1);
			return -1;
		}
		lua_pop(L, 1);
	}
	for (size_t j = 0; j < nnew; j++) {
		lua_getfield(L, idx, newnames[j]);
		if (to_value(c, L, -1, os->fields[k].schema, newnames[j], &ov->u.st.fields[k])) {
			lua_pop(L, 1);
			return -1;
		}
		k++;
		lua_pop(L, 1);
	}
	*os_out = os;
	*ov_out = ov;
	return 0;
}

/* Reads rec.key / rec.value back into *schema / *value. */
int ks_script_read_part(call_t *c, lua_State *L, int idx, const char *field,
                        const ks_schema_t **schema, ks_value_t **value)
{
	ks_value_t *v;

	lua_getfield(L, idx, field);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		*value = NULL;
		return 0;
	}
	if (*schema && (*schema)->type == KS_TYPE_STRUCT && lua_istable(L, -1)) {
		int rc = top_struct(c, L, -1, *schema, *value, schema, value);
		lua_pop(L, 1);
		return rc;
	}
	if (!(v = ks_arena_alloc(c->a, sizeof(*v)))) {
		lua_pop(L, 1);
		return ks_script_oom(c);
	}
	if (*schema ? to_value(c, L, -1, *schema, "", v) : to_schemaless(c, L, -1, "", *value, v)) {
		lua_pop(L, 1);
		return -1;
	}
	lua_pop(L, 1);
	*value = v;
	return 0;
}

/* Headers: kept as they were when the table still says the same (repeated
 * keys survive), else rebuilt from the table (one header per key). */
int ks_script_read_headers(call_t *c, lua_State *L, int idx, ks_record_t *out)
{
	size_t n = 0, same = 1, distinct = 0, k = 0;
	ks_header_t *h;

	lua_getfield(L, idx, "headers");
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		out->headers = NULL;
		out->nheaders = 0;
		return 0;
	}
	if (!lua_istable(L, -1)) {
		lua_pop(L, 1);
		c->err = ks_seterr(c->errstr, c->errlen, KS_ERR_RECORD,
		                   "headers must be a table of name = string");
		return -1;
	}
	lua_pushnil(L);
	while (lua_next(L, -2)) {
		n++;
		lua_pop(L, 1);
	}
	for (size_t i = 0; same && i < out->nheaders; i++) {
		const ks_header_t *hi = &out->headers[i];
		int last = 1;
		if (!hi->key)
			continue;
		for (size_t j = i + 1; j < out->nheaders; j++)
			last &= !out->headers[j].key || strcmp(out->headers[j].key, hi->key) != 0;
		if (!last)
			continue;
		distinct++;
		lua_getfield(L, -1, hi->key);
		if (hi->value)
			same = lua_type(L, -1) == LUA_TSTRING && lua_rawlen(L, -1) == hi->len &&
			       !memcmp(lua_tostring(L, -1), hi->value, hi->len);
		else
			same = is_null(L, -1) && !lua_isnil(L, -1);
		lua_pop(L, 1);
	}
	if (same && distinct == n) {
		lua_pop(L, 1);
		return 0;
	}
	if (!(h = ks_arena_calloc(c->a, n ? n : 1, sizeof(*h)))) {
		lua_pop(L, 1);
		return ks_script_oom(c);
	}
	lua_pushnil(L);
	while (lua_next(L, -2)) {
		size_t len;
		const char *v;
		if (lua_type(L, -2) != LUA_TSTRING || k >= n ||
		    (lua_type(L, -1) != LUA_TSTRING && !is_null(L, -1))) {
			lua_pop(L, 3);
			c->err = ks_seterr(c->errstr, c->errlen, KS_ERR_RECORD,
			                   "headers must be a table of name = string (or null)");
			return -1;
		}
		if (!(h[k].key = ks_arena_strdup(c->a, lua_tostring(L, -2)))) {
			lua_pop(L, 3);
			return ks_script_oom(c);
		}
		if (lua_type(L, -1) == LUA_TSTRING) {
			v = lua_tolstring(L, -1, &len);
			if (!(h[k].value = ks_arena_memdup(c->a, v, len))) {
				lua_pop(L, 3);
				return ks_script_oom(c);
			}
			h[k].len = len;
		}
		k++;
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	out->headers = h;
	out->nheaders = k;
	return 0;
}

/* The whole call, protected: builds the table, calls the function, reads the
 * result into c->out. Lua errors propagate to the lua_pcall in apply; the
 * conversion's own errors are in c->err. */

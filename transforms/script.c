/*
 * script.c — io.ksink.transforms.Script: a user's own Lua function applied to
 * every record, as one more Single Message Transform of the chain
 * (schemas/transform.c runs it like any other class, predicates included).
 *
 *   transforms=js
 *   transforms.js.type=io.ksink.transforms.Script
 *   transforms.js.script=function transform(r) ... return r end
 *   transforms.js.function=transform            (default)
 *   transforms.js.timeout.ms=100                per-call bound (default)
 *   transforms.js.memory.max.bytes=16777216     per-state bound (default)
 *
 * Engine: Lua 5.4. Each transform instance owns one lua_State (the worker
 * builds one chain per task, so a state is only ever used by its task's
 * thread: no locking). The state is a sandbox: only the base (without
 * dofile, loadfile, load, collectgarbage, print, xpcall), string (without
 * dump), table, math and utf8 libraries are opened, so a script has no file,
 * network, process or debug access. Two bounds make a runaway script a
 * record error instead of a hung or bloated task:
 *   time    a count hook (every KS_SCRIPT_HOOK_EVERY VM instructions)
 *           checks a monotonic deadline and raises an error past it; pcall
 *           is replaced by a version that re-raises that error, so a script
 *           cannot swallow it;
 *   memory  a lua_Alloc with a byte budget refuses to grow the state past
 *           memory.max.bytes (Lua then raises its memory error, which pcall
 *           cannot swallow either).
 * After either, the state may be inconsistent (a half-updated global): it is
 * closed and built again from the script before the next record.
 *
 * Flow per record (apply): the record becomes a plain table (topic,
 * partition, offset, timestamp, key, value, headers; see push_value for the
 * value mapping), the function is called with it, and the table it returns
 * is read back into a Connect record: a changed top-level struct keeps a
 * consistent schema (fields added with a value become optional fields of
 * the inferred type, fields set to nil disappear), cached per distinct
 * result so records of a batch share schemas. nil drops the record. Every
 * Lua call runs under lua_pcall, so an allocation failure inside the state
 * never reaches Lua's panic handler.
 *
 * Ownership: the state and the output schemas (cache) belong to the
 * transform instance and are freed by script_destroy; values built for a
 * record live in the batch arena, as for every transform.
 */
#include "transform_impl.h"

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KS_SCRIPT_CLASS      "io.ksink.transforms.Script"
#define KS_SCRIPT_HOOK_EVERY 1000    /* VM instructions between deadline checks */
#define KS_SCRIPT_MAX_FILE   1048576 /* script.file size limit */
#define KS_SCRIPT_MAX_SHAPES 1024    /* distinct output schemas per instance */

#define OOM(errstr, errlen) ks_seterr(errstr, errlen, KS_ERR_FATAL, "out of memory")

/* The address of this byte is the `null` sentinel scripts see. */
static const char script_null = 0;

typedef struct shape {
	ks_schema_t *in;  /* a reference, so its address is never reused */
	ks_schema_t *out; /* owned reference */
} shape_t;

typedef struct script {
	char *code;
	size_t code_len;
	char *chunkname; /* "=script" or "=<file name>" */
	char *fn;
	int64_t timeout_ms;
	size_t mem_max, mem_used;
	lua_State *L;
	int fn_ref;
	/* per call */
	struct timespec deadline;
	int armed;     /* the hook checks the deadline */
	int timed_out; /* the hook raised: keep raising until the call returns */
	int mem_hit;   /* a memory error reached a pcall */
	shape_t *shapes;
	size_t nshapes, capshapes;
	/* state (re)creation, for the error message */
	int syntax_error;
} script_t;

/* ---------------- the bounds ---------------- */

static script_t *state_owner(lua_State *L)
{
	script_t *s;
	memcpy(&s, lua_getextraspace(L), sizeof(s));
	return s;
}

/* lua_Alloc with a byte budget. Shrinking never fails (Lua relies on it). */
static void *script_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	script_t *s = ud;
	size_t old = ptr ? osize : 0;
	void *n;

	if (nsize == 0) {
		s->mem_used -= old;
		free(ptr);
		return NULL;
	}
	if (nsize > old && s->mem_used - old + nsize > s->mem_max)
		return NULL;
	if (!(n = realloc(ptr, nsize)))
		return nsize <= old ? ptr : NULL;
	s->mem_used = s->mem_used - old + nsize;
	return n;
}

static void arm(script_t *s)
{
	clock_gettime(CLOCK_MONOTONIC, &s->deadline);
	s->deadline.tv_sec += s->timeout_ms / 1000;
	s->deadline.tv_nsec += (s->timeout_ms % 1000) * 1000000L;
	if (s->deadline.tv_nsec >= 1000000000L) {
		s->deadline.tv_sec++;
		s->deadline.tv_nsec -= 1000000000L;
	}
	s->armed = 1;
	s->timed_out = 0;
	s->mem_hit = 0;
}

static void script_hook(lua_State *L, lua_Debug *ar)
{
	script_t *s = state_owner(L);
	struct timespec now;

	if (!s->armed)
		return;
	if (!s->timed_out) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec < s->deadline.tv_sec ||
		    (now.tv_sec == s->deadline.tv_sec && now.tv_nsec < s->deadline.tv_nsec))
			return;
		s->timed_out = 1;
	}
	lua_getinfo(L, "Sl", ar);
	lua_pushfstring(L, "%s:%d: timed out after %d ms (timeout.ms)", ar->short_src,
	                ar->currentline, (int)s->timeout_ms);
	lua_error(L);
}

/* pcall for scripts: a timeout or memory error is not theirs to catch. */
static int script_pcall(lua_State *L)
{
	script_t *s = state_owner(L);
	int status;

	luaL_checkany(L, 1);
	status = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
	if (status == LUA_ERRMEM)
		s->mem_hit = 1;
	if (status != LUA_OK) {
		if (s->timed_out || s->mem_hit)
			return lua_error(L);
		lua_pushboolean(L, 0);
		lua_insert(L, -2);
		return 2;
	}
	lua_pushboolean(L, 1);
	lua_insert(L, 1);
	return lua_gettop(L);
}

/* ---------------- the state ---------------- */

/* Opens the sandbox and runs the script's top level (protected). */
static int open_protected(lua_State *L)
{
	static const luaL_Reg libs[] = {
	        {LUA_GNAME, luaopen_base},       {LUA_STRLIBNAME, luaopen_string},
	        {LUA_TABLIBNAME, luaopen_table}, {LUA_MATHLIBNAME, luaopen_math},
	        {LUA_UTF8LIBNAME, luaopen_utf8},
	};
	static const char *const removed[] = {"dofile", "loadfile", "load",   "collectgarbage",
	                                      "print",  "xpcall",   "require"};
	script_t *s = lua_touserdata(L, 1);

	for (size_t i = 0; i < KS_ARRAY_SIZE(libs); i++) {
		luaL_requiref(L, libs[i].name, libs[i].func, 1);
		lua_pop(L, 1);
	}
	for (size_t i = 0; i < KS_ARRAY_SIZE(removed); i++) {
		lua_pushnil(L);
		lua_setglobal(L, removed[i]);
	}
	lua_getglobal(L, LUA_STRLIBNAME);
	lua_pushnil(L);
	lua_setfield(L, -2, "dump");
	lua_pop(L, 1);
	lua_pushcfunction(L, script_pcall);
	lua_setglobal(L, "pcall");
	lua_pushlightuserdata(L, (void *)&script_null);
	lua_setglobal(L, "null");
	/* text only: a binary chunk could break the VM */
	if (luaL_loadbufferx(L, s->code, s->code_len, s->chunkname, "t") != LUA_OK) {
		s->syntax_error = 1;
		return lua_error(L);
	}
	lua_call(L, 0, 0);
	if (lua_getglobal(L, s->fn) != LUA_TFUNCTION)
		return luaL_error(L, "the script does not define a function '%s'", s->fn);
	s->fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	return 0;
}

static void state_close(script_t *s)
{
	if (!s->L)
		return;
	arm(s); /* __gc finalizers run at close: bound them too */
	lua_close(s->L);
	s->L = NULL;
	s->armed = 0;
	s->mem_used = 0;
}

/* Builds the state. 0 ok; -1 with the Lua message (syntax errors carry
 * the line) in errstr. */
static int state_open(script_t *s, char *errstr, size_t errlen)
{
	int status;

	state_close(s);
	s->mem_used = 0;
	s->syntax_error = 0;
	if (!(s->L = lua_newstate(script_alloc, s)))
		return ks_seterr(errstr, errlen, -1,
		                 "cannot create the Lua state within memory.max.bytes");
	memcpy(lua_getextraspace(s->L), &s, sizeof(s));
	lua_sethook(s->L, script_hook, LUA_MASKCOUNT, KS_SCRIPT_HOOK_EVERY);
	arm(s);
	lua_pushcfunction(s->L, open_protected);
	lua_pushlightuserdata(s->L, s);
	status = lua_pcall(s->L, 1, 0, 0);
	s->armed = 0;
	if (status != LUA_OK) {
		const char *m = lua_type(s->L, -1) == LUA_TSTRING ? lua_tostring(s->L, -1) : NULL;
		if (status == LUA_ERRMEM || s->mem_hit)
			ks_seterr(errstr, errlen, -1,
			          "the script's top level exceeded memory.max.bytes (%zu)",
			          s->mem_max);
		else
			ks_seterr(errstr, errlen, -1, "%s%s",
			          s->syntax_error ? "Lua syntax error: " : "", m ? m : "error");
		state_close(s);
		return -1;
	}
	return 0;
}

/* ---------------- config ---------------- */

static const ks_cfg_def_t script_defs[] = {
        {.name = "script",
         .type = KS_CFG_STRING,
         .importance = KS_IMP_HIGH,
         .doc = "The Lua 5.4 source defining the function (set this or script.file)."},
        {.name = "script.file",
         .type = KS_CFG_STRING,
         .importance = KS_IMP_HIGH,
         .doc = "A file with the Lua 5.4 source, read when the connector starts (set this or "
                "script)."},
        {.name = "function",
         .type = KS_CFG_STRING,
         .default_value = "transform",
         .non_empty = 1,
         .importance = KS_IMP_HIGH,
         .doc = "The global function called with each record; it returns the record (changed "
                "or not) or nil to drop it."},
        {.name = "timeout.ms",
         .type = KS_CFG_LONG,
         .default_value = "100",
         .has_min = 1,
         .min = 1,
         .has_max = 1,
         .max = 600000,
         .importance = KS_IMP_MEDIUM,
         .doc = "Per-record time bound; past it the call is stopped and the record is an "
                "error (errors.tolerance / dead letter queue)."},
        {.name = "memory.max.bytes",
         .type = KS_CFG_LONG,
         .default_value = "16777216",
         .has_min = 1,
         .min = 262144,
         .has_max = 1,
         .max = 17179869184.0,
         .importance = KS_IMP_MEDIUM,
         .doc = "Memory bound of the script's state; an allocation past it fails the record."},
        KS_CFG_END,
};

static int read_file(const char *path, char **out, size_t *len, char *errstr, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;

	if (!f)
		return ks_seterr(errstr, errlen, -1, "cannot open %s: %s", path, strerror(errno));
	if (!(buf = malloc(KS_SCRIPT_MAX_FILE + 1))) {
		fclose(f);
		return ks_seterr(errstr, errlen, -1, "out of memory");
	}
	n = fread(buf, 1, KS_SCRIPT_MAX_FILE + 1, f);
	if (ferror(f) || n > KS_SCRIPT_MAX_FILE) {
		fclose(f);
		free(buf);
		return ks_seterr(errstr, errlen, -1, "cannot read %s: %s", path,
		                 n > KS_SCRIPT_MAX_FILE ? "larger than 1 MiB" : strerror(errno));
	}
	fclose(f);
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

static int script_init(ks_tf_t *tf, const ks_config_t *cfg, const char **bad, char *errstr,
                       size_t errlen)
{
	script_t *s = calloc(1, sizeof(*s));
	const char *code = ks_config_string(cfg, "script");
	const char *file = ks_config_string(cfg, "script.file");
	const char *base;

	if (!s)
		return ks_seterr(errstr, errlen, -1, "out of memory");
	tf->state = s;
	s->fn_ref = LUA_NOREF;
	s->timeout_ms = ks_config_long(cfg, "timeout.ms");
	s->mem_max = (size_t)ks_config_long(cfg, "memory.max.bytes");
	if (!(s->fn = ks_strdup(ks_config_string(cfg, "function"))))
		return ks_seterr(errstr, errlen, -1, "out of memory");
	if (code && !*code)
		code = NULL;
	if (file && !*file)
		file = NULL;
	if (!code == !file) {
		*bad = "script";
		return ks_seterr(errstr, errlen, -1, "set exactly one of script or script.file");
	}
	if (file) {
		*bad = "script.file";
		if (read_file(file, &s->code, &s->code_len, errstr, errlen))
			return -1;
		base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
		if (asprintf(&s->chunkname, "=%s", base) < 0)
			s->chunkname = NULL;
	} else {
		*bad = "script";
		s->code_len = strlen(code);
		s->code = ks_strdup(code);
		s->chunkname = ks_strdup("=script");
	}
	if (!s->code || !s->chunkname)
		return ks_seterr(errstr, errlen, -1, "out of memory");
	if (state_open(s, errstr, errlen))
		return -1;
	*bad = NULL;
	return 0;
}

static void script_destroy(ks_tf_t *tf)
{
	script_t *s = tf->state;

	state_close(s);
	for (size_t i = 0; i < s->nshapes; i++) {
		ks_schema_unref(s->shapes[i].in);
		ks_schema_unref(s->shapes[i].out);
	}
	free(s->shapes);
	free(s->code);
	free(s->chunkname);
	free(s->fn);
	free(s);
}

/* ---------------- decimals (Connect: unscaled big-endian two's complement) ---------------- */

/* Text of a Decimal value ("-12.34"), pushed on the Lua stack. */
static void push_decimal(lua_State *L, const unsigned char *b, size_t n, int scale)
{
	unsigned char mag[64];
	char digits[200], out[220];
	size_t nd = 0, o = 0;
	int neg = n && (b[0] & 0x80);

	if (n > sizeof(mag)) {
		lua_pushliteral(L, "NaN");
		return;
	}
	memcpy(mag, b, n);
	if (neg) { /* two's complement negation */
		int carry = 1;
		for (size_t i = n; i-- > 0;) {
			int v = (unsigned char)~mag[i] + carry;
			mag[i] = (unsigned char)v;
			carry = v >> 8;
		}
	}
	for (;;) { /* repeated division by 10 */
		int rem = 0, nz = 0;
		for (size_t i = 0; i < n; i++) {
			int cur = rem * 256 + mag[i];
			mag[i] = (unsigned char)(cur / 10);
			rem = cur % 10;
			nz |= mag[i];
		}
		digits[nd++] = (char)('0' + rem);
		if (!nz || nd >= sizeof(digits) - 1)
			break;
	}
	while (scale > 0 && (int)nd <= scale)
		digits[nd++] = '0';
	if (neg)
		out[o++] = '-';
	for (size_t i = nd; i-- > 0;) {
		out[o++] = digits[i];
		if (scale > 0 && (int)i == scale)
			out[o++] = '.';
	}
	for (int i = scale; i < 0 && o < sizeof(out) - 1; i++)
		out[o++] = '0';
	lua_pushlstring(L, out, o);
}

/* Parses decimal text at scale into unscaled bytes (arena). 0 ok, -1 when
 * it is not a number or has more fraction digits than the scale. */
static int decimal_parse(const char *t, int scale, ks_arena_t *a, ks_value_t *out)
{
	unsigned char mag[64] = {0};
	int neg = 0, frac = -1, any = 0;
	size_t n = sizeof(mag);
	unsigned char *dst;

	while (*t == ' ')
		t++;
	if (*t == '-' || *t == '+')
		neg = *t++ == '-';
	for (; *t; t++) {
		int carry;
		if (*t == '.' && frac < 0) {
			frac = 0;
			continue;
		}
		if (*t < '0' || *t > '9')
			break;
		if (frac >= 0 && frac >= scale) {
			if (*t != '0')
				return -1;
			continue;
		}
		if (frac >= 0)
			frac++;
		any = 1;
		carry = *t - '0';
		for (size_t i = sizeof(mag); i-- > 0;) {
			int v = mag[i] * 10 + carry;
			mag[i] = (unsigned char)v;
			carry = v >> 8;
		}
		if (carry)
			return -1;
	}
	while (*t == ' ')
		t++;
	if (*t || !any)
		return -1;
	for (int k = frac < 0 ? 0 : frac; k < scale; k++) { /* pad to the scale */
		int carry = 0;
		for (size_t i = sizeof(mag); i-- > 0;) {
			int v = mag[i] * 10 + carry;
			mag[i] = (unsigned char)v;
			carry = v >> 8;
		}
		if (carry)
			return -1;
	}
	if (neg) {
		int carry = 1;
		for (size_t i = sizeof(mag); i-- > 0;) {
			int v = (unsigned char)~mag[i] + carry;
			mag[i] = (unsigned char)v;
			carry = v >> 8;
		}
	}
	/* minimal two's complement: drop sign-extension bytes */
	while (n > 1 && ((mag[sizeof(mag) - n] == 0x00 && !(mag[sizeof(mag) - n + 1] & 0x80)) ||
	                 (mag[sizeof(mag) - n] == 0xff && (mag[sizeof(mag) - n + 1] & 0x80))))
		n--;
	if (!(dst = ks_arena_alloc(a, n)))
		return -2;
	memcpy(dst, mag + sizeof(mag) - n, n);
	out->type = KS_TYPE_BYTES;
	out->is_null = 0;
	out->u.s.ptr = (const char *)dst;
	out->u.s.len = n;
	return 0;
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
				lua_pushlightuserdata(L, (void *)&script_null);
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
				lua_pushlightuserdata(L, (void *)&script_null);
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

static void push_record(lua_State *L, const ks_record_t *rec)
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
			lua_pushlightuserdata(L, (void *)&script_null);
		lua_setfield(L, -2, rec->headers[i].key);
	}
	lua_setfield(L, -2, "headers");
}

/* ---------------- Lua -> record ---------------- */

typedef struct call {
	script_t *s;
	ks_tf_t *tf;
	ks_record_t *rec;
	ks_record_t out;
	ks_arena_t *a;
	int drop;
	ks_err_t err; /* KS_OK, KS_ERR_RECORD or KS_ERR_FATAL (errstr) */
	char *errstr;
	size_t errlen;
	ks_schema_t *tmp; /* a schema being built (freed when a Lua error cuts in) */
} call_t;

static int is_null(lua_State *L, int idx)
{
	return lua_isnil(L, idx) ||
	       (lua_islightuserdata(L, idx) && lua_touserdata(L, idx) == &script_null);
}

static int lua_name_of(lua_State *L, int idx, char *buf, size_t len)
{
	if (lua_islightuserdata(L, idx) && lua_touserdata(L, idx) == &script_null)
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

static int arena_oom(call_t *c)
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
		if ((rc = decimal_parse(t, fs->scale, c->a, out)) == -2)
			return arena_oom(c);
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
			return arena_oom(c);
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
			return arena_oom(c);
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
			return arena_oom(c);
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
			return arena_oom(c);
		for (size_t i = 0; i < fs->nfields; i++) {
			char *fp = sub_path(c, path, fs->fields[i].name);
			int rc;
			if (!fp)
				return arena_oom(c);
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
			return arena_oom(c);
		out->u.s.len = len;
		return 0;
	}
	case LUA_TLIGHTUSERDATA:
		if (lua_touserdata(L, idx) == &script_null) {
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
				return arena_oom(c);
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
					return arena_oom(c);
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
					return arena_oom(c);
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
		return arena_oom(c);
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
		return arena_oom(c);
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
				return arena_oom(c);
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
				return arena_oom(c);
			st->shapes = n;
			st->capshapes = cap;
		}
		if (!(b = c->tmp = ks_tf_schema_basics(s, KS_TYPE_STRUCT)))
			return arena_oom(c);
		for (size_t i = 0; i < nf; i++)
			if (keep[i] &&
			    ks_tf_add_field_ref(b, s->fields[i].name, s->fields[i].schema))
				return arena_oom(c);
		for (size_t j = 0; j < nnew; j++) {
			ks_schema_t *fs = ks_tf_schema_prim(newtypes[j], KS_LOGICAL_NONE, 1);
			if (!fs || ks_schema_add_field(b, newnames[j], fs))
				return arena_oom(c);
		}
		st->shapes[st->nshapes].in = ks_schema_ref((ks_schema_t *)s);
		st->shapes[st->nshapes++].out = b;
		c->tmp = NULL;
		os = b;
	}
	if (!(ov = ks_tf_struct_new(c->a, os->nfields, 0)))
		return arena_oom(c);
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
static int read_part(call_t *c, lua_State *L, int idx, const char *field,
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
		return arena_oom(c);
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
static int read_headers(call_t *c, lua_State *L, int idx, ks_record_t *out)
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
		return arena_oom(c);
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
			return arena_oom(c);
		}
		if (lua_type(L, -1) == LUA_TSTRING) {
			v = lua_tolstring(L, -1, &len);
			if (!(h[k].value = ks_arena_memdup(c->a, v, len))) {
				lua_pop(L, 3);
				return arena_oom(c);
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
static int call_protected(lua_State *L)
{
	call_t *c = lua_touserdata(L, 1);
	ks_record_t *o = &c->out;
	int t;

	lua_rawgeti(L, LUA_REGISTRYINDEX, c->s->fn_ref);
	push_record(L, c->rec);
	lua_call(L, 1, 1);
	if (lua_isnil(L, -1)) {
		c->drop = 1;
		return 0;
	}
	if (!lua_istable(L, -1)) {
		c->err = ks_seterr(c->errstr, c->errlen, KS_ERR_RECORD,
		                   "the function returned a %s: it must return the record "
		                   "table or nil",
		                   luaL_typename(L, -1));
		return 0;
	}
	t = lua_gettop(L);
	*o = *c->rec;
	lua_getfield(L, t, "topic");
	if (lua_type(L, -1) != LUA_TSTRING || !lua_rawlen(L, -1)) {
		c->err = ks_seterr(c->errstr, c->errlen, KS_ERR_RECORD,
		                   "topic must be a non-empty string");
		return 0;
	}
	if (strcmp(lua_tostring(L, -1), o->topic) &&
	    !(o->topic = ks_arena_strdup(c->a, lua_tostring(L, -1)))) {
		arena_oom(c);
		return 0;
	}
	lua_pop(L, 1);
	lua_getfield(L, t, "timestamp");
	if (lua_isnil(L, -1)) {
		o->timestamp = -1;
	} else if (lua_isinteger(L, -1)) {
		o->timestamp = lua_tointeger(L, -1);
	} else {
		c->err = ks_seterr(c->errstr, c->errlen, KS_ERR_RECORD,
		                   "timestamp must be an integer (ms since the epoch) or nil");
		return 0;
	}
	lua_pop(L, 1);
	if (read_part(c, L, t, "key", &o->key_schema, &o->key) ||
	    read_part(c, L, t, "value", &o->value_schema, &o->value) || read_headers(c, L, t, o))
		return 0;
	return 0;
}

static ks_err_t script_apply(ks_tf_t *tf, ks_record_t *rec, ks_arena_t *a, int *drop, char *errstr,
                             size_t errlen)
{
	script_t *s = tf->state;
	call_t c = {.s = s, .tf = tf, .rec = rec, .a = a, .errstr = errstr, .errlen = errlen};
	char why[KS_ERRSTR_SIZE];
	int status;

	if (!s->L && state_open(s, why, sizeof(why)))
		return ks_seterr(errstr, errlen, KS_ERR_RECORD,
		                 "script failed on %s[%d]@%lld: cannot restart the script: %s",
		                 rec->topic, (int)rec->partition, (long long)rec->offset, why);
	arm(s);
	lua_settop(s->L, 0);
	lua_pushcfunction(s->L, call_protected);
	lua_pushlightuserdata(s->L, &c);
	status = lua_pcall(s->L, 1, 0, 0);
	s->armed = 0;
	ks_schema_unref(c.tmp);
	if (status != LUA_OK) {
		const char *m = lua_type(s->L, -1) == LUA_TSTRING ? lua_tostring(s->L, -1) : NULL;
		if (status == LUA_ERRMEM || s->mem_hit)
			ks_seterr(errstr, errlen, KS_ERR_RECORD,
			          "script failed on %s[%d]@%lld: memory.max.bytes (%zu) exceeded",
			          rec->topic, (int)rec->partition, (long long)rec->offset,
			          s->mem_max);
		else
			ks_seterr(errstr, errlen, KS_ERR_RECORD, "script failed on %s[%d]@%lld: %s",
			          rec->topic, (int)rec->partition, (long long)rec->offset,
			          m ? m : "(error object is not a string)");
		if (s->timed_out || s->mem_hit || status == LUA_ERRMEM)
			state_close(s); /* maybe inconsistent: rebuilt for the next record */
		else
			lua_settop(s->L, 0);
		return KS_ERR_RECORD;
	}
	lua_settop(s->L, 0);
	if (c.err != KS_OK) {
		if (c.err == KS_ERR_RECORD) {
			char msg[KS_ERRSTR_SIZE];
			snprintf(msg, sizeof(msg), "%s", errstr);
			ks_seterr(errstr, errlen, KS_ERR_RECORD,
			          "script returned a bad record for %s[%d]@%lld: %s", rec->topic,
			          (int)rec->partition, (long long)rec->offset, msg);
		}
		return c.err;
	}
	if (c.drop) {
		*drop = 1;
		return KS_OK;
	}
	*rec = c.out;
	return KS_OK;
}

const ks_tf_class_t ks_tf_script = {
        .name = KS_SCRIPT_CLASS,
        .defs = script_defs,
        .init = script_init,
        .apply = script_apply,
        .destroy = script_destroy,
};

/* The short alias (transforms.x.type=Script). */
const ks_tf_class_t ks_tf_script_alias = {
        .name = "Script",
        .defs = script_defs,
        .init = script_init,
        .apply = script_apply,
        .destroy = script_destroy,
};

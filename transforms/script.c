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
 * partition, offset, timestamp, key, value, headers; see script_push.c and
 * script_value.c for the value mapping), the function is called with it, and
 * the table it returns is read back into a Connect record: a changed
 * top-level struct keeps a consistent schema (fields added with a value become
 * optional fields of the inferred type, fields set to nil disappear), cached
 * per distinct result so records of a batch share schemas. nil drops the
 * record. Every Lua call runs under lua_pcall, so an allocation failure
 * inside the state never reaches Lua's panic handler.
 *
 * Ownership: the state and the output schemas (cache) belong to the
 * transform instance and are freed by script_destroy; values built for a
 * record live in the batch arena, as for every transform.
 */
#include "script_int.h"

#include "../lib/buf.h"
#include "../lib/file.h"

/* The address of this byte is the `null` sentinel scripts see. */
const char ks_script_null = 0;

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
	lua_pushlightuserdata(L, (void *)&ks_script_null);
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

/* script.file: the whole file (lib/file.c), at most KS_SCRIPT_MAX_FILE bytes. */
static int read_file(const char *path, char **out, size_t *len, char *errstr, size_t errlen)
{
	ks_buf_t b = KS_BUF_INIT;

	if (ks_file_read(path, &b, errstr, errlen)) {
		ks_buf_free(&b);
		return -1;
	}
	if (ks_buf_failed(&b)) {
		ks_buf_free(&b);
		return ks_seterr(errstr, errlen, -1, "out of memory");
	}
	if (b.len > KS_SCRIPT_MAX_FILE) {
		ks_buf_free(&b);
		return ks_seterr(errstr, errlen, -1, "cannot read %s: larger than 1 MiB", path);
	}
	*len = b.len;
	*out = b.data ? ks_buf_steal(&b) : ks_strdup("");
	return *out ? 0 : ks_seterr(errstr, errlen, -1, "out of memory");
}

static int script_init(ks_tf_t *tf, const ks_config_t *cfg, const char **bad, char *errstr,
                       size_t errlen)
{
	script_t *s = ks_tf_state_new(tf, sizeof(*s), errstr, errlen);
	const char *code = ks_config_string(cfg, "script");
	const char *file = ks_config_string(cfg, "script.file");
	const char *base;

	if (!s)
		return -1;
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

static int call_protected(lua_State *L)
{
	call_t *c = lua_touserdata(L, 1);
	ks_record_t *o = &c->out;
	int t;

	lua_rawgeti(L, LUA_REGISTRYINDEX, c->s->fn_ref);
	ks_script_push_record(L, c->rec);
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
		ks_script_oom(c);
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
	if (ks_script_read_part(c, L, t, "key", &o->key_schema, &o->key) ||
	    ks_script_read_part(c, L, t, "value", &o->value_schema, &o->value) ||
	    ks_script_read_headers(c, L, t, o))
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

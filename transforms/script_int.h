/*
 * script_int.h — private to the Script transform: the instance (script_t),
 * one call's state (call_t), and the record <-> Lua table conversion that
 * script_push.c (record -> table) and script_value.c (table -> record)
 * implement for script.c. See script.c for the design.
 */
#ifndef KS_SCRIPT_INT_H
#define KS_SCRIPT_INT_H

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

/* The address of this byte is the `null` sentinel scripts see (script.c). */
extern const char ks_script_null;

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

/* Pushes rec as the plain table the script function receives. */
void ks_script_push_record(lua_State *L, const ks_record_t *rec);
/* Reads part "key" or "value" of the returned table at idx into a Connect
 * schema and value (a changed top-level struct gets a consistent schema,
 * cached in c->s). 0, or -1 with c->err set. */
int ks_script_read_part(call_t *c, lua_State *L, int idx, const char *field,
                        const ks_schema_t **schema, ks_value_t **value);
/* Reads the returned table's headers into out. 0, or -1 with c->err set. */
int ks_script_read_headers(call_t *c, lua_State *L, int idx, ks_record_t *out);
/* c->err = out of memory; -1. */
int ks_script_oom(call_t *c);

#endif

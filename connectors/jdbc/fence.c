/*
 * fence.c — fencing of zombie sink tasks, the half of the offsets store
 * (offsets.c) that knows owner epochs: the claim at open(), the fenced
 * offsets write that ends every data transaction (write.c), and the task's
 * record of what it holds.
 *
 * Fencing. Every (connector, topic, partition) row carries an owner epoch
 * (owner_epoch, from the sequence <table>_epoch_seq, and owner, who took
 * it). open() claims its partitions: one short transaction (lock_timeout)
 * gives each row a new epoch (a row with next_offset -1 when the store has
 * no offset yet) and returns where to resume. The data transaction writes
 * the offsets last before COMMIT with an UPDATE that matches only rows
 * still at this task's epochs; when one is missing, another task claimed
 * the partition since (a task abandoned by a restart during an outage
 * keeps retrying: a zombie), so the whole transaction is rolled back and
 * the partition reported FENCED. Under READ COMMITTED that UPDATE waits
 * for a concurrent claim and re-checks the row it committed, and a claim
 * waits for an in-flight commit and resumes from its offsets: exactly one
 * of them wins. KIP-875 changes give the rows new epochs (or delete them),
 * so they fence too. Tables from before fencing are migrated in place
 * (ADD COLUMN IF NOT EXISTS: the rows stay).
 */
#include "../../lib/grow.h"
#include "sink.h"

#include <stdlib.h>
#include <string.h>

/* How long a claim waits for an in-flight commit's row locks before open()
 * answers RETRIABLE (the worker retries it). */
#define CLAIM_LOCK_TIMEOUT "5s"

static jclaim_t *claim_find(ks_sink_task_t *t, const char *topic, int32_t partition)
{
	for (size_t i = 0; i < t->off.nclaims; i++)
		if (t->off.claims[i].partition == partition &&
		    !strcmp(t->off.claims[i].topic, topic))
			return &t->off.claims[i];
	return NULL;
}

/* Records epoch for topic[partition]: 0 or KS_ERR_FATAL (out of memory). */
static int claim_set(ks_sink_task_t *t, const char *topic, int32_t partition, int64_t epoch)
{
	jclaim_t *c = claim_find(t, topic, partition);

	if (c) {
		c->epoch = epoch;
		return 0;
	}
	if (!(c = ks_grow(t->off.claims, &t->off.capclaims, t->off.nclaims, sizeof(*c), 16)))
		goto oom;
	t->off.claims = c;
	c = &t->off.claims[t->off.nclaims];
	if (!(c->topic = strdup(topic)))
		goto oom;
	c->partition = partition;
	c->epoch = epoch;
	c->in_tx = 0;
	t->off.nclaims++;
	return 0;
oom:
	ks_seterr(t->errstr, sizeof(t->errstr), 0, "out of memory");
	return KS_ERR_FATAL;
}

/* Claims parts (in the open transaction): a new epoch per row, created with
 * next_offset -1 when missing. out (when not NULL, n entries, topics
 * borrowed from parts) gets where to resume. 0 or the error class. */
static ks_err_t claim(ks_sink_task_t *t, const ks_tp_offset_t *parts, size_t n, ks_tp_offset_t *out)
{
	ks_buf_t a[2] = {KS_BUF_INIT, KS_BUF_INIT};
	const char *params[5];
	PGresult *res = NULL;
	int rc;

	ks_jdbc_offsets_array(&a[0], parts, n, 0);
	ks_jdbc_offsets_array(&a[1], parts, n, 1);
	ks_buf_reset(&t->sql);
	ks_buf_printf(&t->sql,
	              "INSERT INTO %s AS o (connector, topic, \"partition\", next_offset, "
	              "updated_at, owner_epoch, owner) SELECT $1, u.t, u.p, -1, now(), "
	              "nextval($4::regclass), $5 FROM unnest($2::text[], $3::int4[]) AS u(t, p) "
	              "ORDER BY u.t, u.p ON CONFLICT (connector, topic, \"partition\") DO UPDATE "
	              "SET owner_epoch = EXCLUDED.owner_epoch, owner = EXCLUDED.owner "
	              "RETURNING o.topic, o.\"partition\", o.next_offset, o.owner_epoch",
	              t->off.qname);
	if (ks_buf_failed(&t->sql) || ks_buf_failed(&a[0]) || ks_buf_failed(&a[1])) {
		ks_seterr(t->errstr, sizeof(t->errstr), 0, "out of memory");
		rc = KS_ERR_FATAL;
		goto out;
	}
	params[0] = t->connector;
	params[1] = a[0].data;
	params[2] = a[1].data;
	params[3] = t->off.seqname;
	params[4] = t->off.owner;
	if ((rc = ks_jdbc_exec_params(t, t->sql.data, 5, params, "claim partitions", &res)))
		goto out;
	for (int i = 0; i < PQntuples(res) && !rc; i++) {
		const char *topic = PQgetvalue(res, i, 0);
		int32_t p = (int32_t)strtol(PQgetvalue(res, i, 1), NULL, 10);
		int64_t next = strtoll(PQgetvalue(res, i, 2), NULL, 10);
		int64_t epoch = strtoll(PQgetvalue(res, i, 3), NULL, 10);
		rc = claim_set(t, topic, p, epoch);
		for (size_t k = 0; out && k < n; k++)
			if (parts[k].partition == p && !strcmp(parts[k].topic, topic))
				out[k].offset = next < 0 ? -1 : next;
		KS_DEBUG(t->ctx, "claimed %s[%d] with epoch %lld (resume at %lld)", topic, (int)p,
		         (long long)epoch, (long long)next);
	}
out:
	PQclear(res);
	ks_buf_free(&a[0]);
	ks_buf_free(&a[1]);
	return rc == KS_ERR_RECORD ? KS_ERR_FATAL : rc;
}

/* open(): claims parts (one short transaction; a claim that waits longer
 * than CLAIM_LOCK_TIMEOUT for an in-flight commit is RETRIABLE) and *out
 * gets one entry per partition, offset -1 when the store has none
 * (connected already when n > 0). */
ks_err_t ks_jdbc_offsets_open(ks_sink_task_t *t, const ks_tp_offset_t *parts, size_t n,
                              ks_tp_offset_t **out, char *errstr, size_t errlen)
{
	ks_tp_offset_t *res;
	ks_err_t rc = 0;

	if (!(res = calloc(n ? n : 1, sizeof(*res))))
		return (ks_err_t)ks_seterr(errstr, errlen, KS_ERR_FATAL, "out of memory");
	for (size_t i = 0; i < n; i++) {
		res[i].topic = parts[i].topic; /* borrowed until the copy below */
		res[i].partition = parts[i].partition;
		res[i].offset = -1;
	}
	if (n) {
		const char *p1[1] = {CLAIM_LOCK_TIMEOUT};
		if (!(rc = ks_jdbc_exec(t, "BEGIN", "BEGIN")) &&
		    !(rc = ks_jdbc_exec_params(t, "SELECT set_config('lock_timeout', $1, true)", 1,
		                               p1, "lock_timeout", NULL)) &&
		    !(rc = claim(t, parts, n, res)))
			rc = ks_jdbc_exec(t, "COMMIT", "COMMIT");
		if (rc) {
			ks_jdbc_rollback(t);
			/* not knowing our epochs, nothing may be written */
			ks_jdbc_offsets_release(t, parts, n);
		}
	}
	for (size_t i = 0; i < n && !rc; i++)
		if (!(res[i].topic = strdup(parts[i].topic))) {
			ks_tp_offsets_free(res, i);
			return (ks_err_t)ks_seterr(errstr, errlen, KS_ERR_FATAL, "out of memory");
		}
	if (rc) {
		free(res);
		/* no record is involved here: a data error is the table's */
		return (ks_err_t)ks_seterr(errstr, errlen, rc == KS_ERR_RECORD ? KS_ERR_FATAL : rc,
		                           "%s", t->errstr);
	}
	*out = res;
	return KS_OK;
}

static int fenced_add(ks_sink_task_t *t, const char *topic, int32_t partition)
{
	ks_tp_offset_t *v = realloc(t->off.fenced, (t->off.nfenced + 1) * sizeof(*v));

	if (!v || !(v[t->off.nfenced].topic = strdup(topic))) {
		if (v)
			t->off.fenced = v;
		ks_seterr(t->errstr, sizeof(t->errstr), 0, "out of memory");
		return KS_ERR_FATAL;
	}
	t->off.fenced = v;
	v[t->off.nfenced].partition = partition;
	v[t->off.nfenced].offset = -1;
	t->off.nfenced++;
	return 0;
}

static void fenced_clear(ks_sink_task_t *t)
{
	ks_tp_offsets_free(t->off.fenced, t->off.nfenced);
	t->off.fenced = NULL;
	t->off.nfenced = 0;
}

ks_err_t ks_jdbc_offsets_commit(ks_sink_task_t *t, const ks_tp_offset_t *offs, size_t n)
{
	ks_buf_t a[4] = {KS_BUF_INIT, KS_BUF_INIT, KS_BUF_INIT, KS_BUF_INIT};
	ks_tp_offset_t *chk = NULL, *lazy = NULL;
	int64_t *ep = NULL;
	size_t nchk = 0, nlazy = 0;
	PGresult *res = NULL;
	int rc = 0;

	fenced_clear(t);
	if (!n)
		return 0;
	chk = calloc(n, sizeof(*chk));
	lazy = calloc(n, sizeof(*lazy));
	ep = calloc(n, sizeof(*ep));
	if (!chk || !lazy || !ep) {
		ks_seterr(t->errstr, sizeof(t->errstr), 0, "out of memory");
		rc = KS_ERR_FATAL;
		goto out;
	}
	/* a partition this task never opened (a caller that commits without
	 * open(), as the unit tests) is claimed here, in the transaction; one
	 * it closed or lost stays fenced */
	for (size_t i = 0; i < n; i++)
		if (!claim_find(t, offs[i].topic, offs[i].partition))
			lazy[nlazy++] = offs[i];
	if (nlazy && (rc = claim(t, lazy, nlazy, NULL)))
		goto out;
	for (size_t i = 0; i < nlazy; i++) {
		jclaim_t *c = claim_find(t, lazy[i].topic, lazy[i].partition);
		if (c)
			c->in_tx = 1; /* forgotten unless the transaction commits */
	}
	for (size_t i = 0; i < n && !rc; i++) {
		jclaim_t *c = claim_find(t, offs[i].topic, offs[i].partition);
		if (!c || c->epoch <= 0)
			rc = fenced_add(t, offs[i].topic, offs[i].partition);
		else {
			ep[nchk] = c->epoch;
			chk[nchk++] = offs[i];
		}
	}
	if (rc || !nchk)
		goto out;
	for (int k = 0; k < 3; k++)
		ks_jdbc_offsets_array(&a[k], chk, nchk, k);
	ks_buf_putc(&a[3], '{');
	for (size_t i = 0; i < nchk; i++)
		ks_buf_printf(&a[3], "%s%lld", i ? "," : "", (long long)ep[i]);
	ks_buf_putc(&a[3], '}');
	ks_buf_reset(&t->sql);
	ks_buf_printf(&t->sql,
	              "UPDATE %s AS o SET next_offset = u.o, updated_at = now() FROM "
	              "unnest($2::text[], $3::int4[], $4::int8[], $5::int8[]) AS u(t, p, o, e) "
	              "WHERE o.connector = $1 AND o.topic = u.t AND o.\"partition\" = u.p AND "
	              "o.owner_epoch = u.e RETURNING o.topic, o.\"partition\"",
	              t->off.qname);
	for (int k = 0; k < 4; k++)
		if (ks_buf_failed(&a[k]))
			rc = KS_ERR_FATAL;
	if (rc || ks_buf_failed(&t->sql)) {
		ks_seterr(t->errstr, sizeof(t->errstr), 0, "out of memory");
		rc = KS_ERR_FATAL;
		goto out;
	}
	{
		const char *params[5] = {t->connector, a[0].data, a[1].data, a[2].data, a[3].data};
		if ((rc = ks_jdbc_exec_params(t, t->sql.data, 5, params, "offsets write", &res)))
			goto out;
	}
	if ((size_t)PQntuples(res) != nchk)
		for (size_t i = 0; i < nchk && !rc; i++) {
			int found = 0;
			for (int r = 0; r < PQntuples(res) && !found; r++)
				found = (int32_t)strtol(PQgetvalue(res, r, 1), NULL, 10) ==
				                chk[i].partition &&
				        !strcmp(PQgetvalue(res, r, 0), chk[i].topic);
			if (!found)
				rc = fenced_add(t, chk[i].topic, chk[i].partition);
		}
out:
	if (!rc && t->off.nfenced) {
		ks_buf_t m = KS_BUF_INIT;
		for (size_t i = 0; i < t->off.nfenced; i++) {
			jclaim_t *c =
			        claim_find(t, t->off.fenced[i].topic, t->off.fenced[i].partition);
			if (c)
				c->epoch = 0; /* never written again until claimed anew */
			ks_buf_printf(&m, "%s%s[%d]", i ? ", " : "", t->off.fenced[i].topic,
			              (int)t->off.fenced[i].partition);
		}
		ks_seterr(t->errstr, sizeof(t->errstr), 0,
		          "fenced: another task claimed %s since this one opened %s; the "
		          "transaction is rolled back",
		          ks_buf_failed(&m) ? "partitions" : m.data,
		          t->off.nfenced > 1 ? "them" : "it");
		ks_buf_free(&m);
		rc = KS_ERR_FENCED;
	}
	PQclear(res);
	for (int k = 0; k < 4; k++)
		ks_buf_free(&a[k]);
	free(chk);
	free(lazy);
	free(ep);
	return rc == KS_ERR_RECORD ? KS_ERR_FATAL : rc;
}

void ks_jdbc_offsets_tx_end(ks_sink_task_t *t, int committed)
{
	size_t k = 0;

	for (size_t i = 0; i < t->off.nclaims; i++) {
		jclaim_t *c = &t->off.claims[i];
		if (c->in_tx && !committed) {
			free(c->topic);
			continue;
		}
		c->in_tx = 0;
		t->off.claims[k++] = *c;
	}
	t->off.nclaims = k;
}

void ks_jdbc_offsets_release(ks_sink_task_t *t, const ks_tp_offset_t *parts, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		jclaim_t *c = claim_find(t, parts[i].topic, parts[i].partition);
		if (c)
			c->epoch = 0;
	}
}

void ks_jdbc_offsets_clear(ks_sink_task_t *t)
{
	for (size_t i = 0; i < t->off.nclaims; i++)
		free(t->off.claims[i].topic);
	free(t->off.claims);
	t->off.claims = NULL;
	t->off.nclaims = t->off.capclaims = 0;
	fenced_clear(t);
	free(t->off.seqname);
	t->off.seqname = NULL;
}

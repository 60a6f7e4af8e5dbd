/*
 * mock-kafka.c — build/ksink-mock-kafka: librdkafka's in-process mock
 * cluster (rdkafka_mock.h) as a standalone daemon, so tests and the demo get
 * a real Kafka-protocol server on loopback without a JVM.
 *
 *   ksink-mock-kafka [--brokers N] [--bootstrap-file FILE] [--topic NAME:PARTITIONS]...
 *                    [--control PATH]
 *   ksink-mock-kafka --ctl PATH COMMAND [ARG]...
 *
 * Prints "BROKERS=host:port,..." on stdout, writes the bootstrap list to FILE
 * (atomically, via rename), runs until SIGTERM/SIGINT, or until stdin closes
 * when stdin is a pipe or a terminal. Limits of the mock: see README.
 *
 * --control PATH listens on a unix socket for fault injection: one command
 * per line (broker-down 2, request-errors Fetch NOT_LEADER_FOR_PARTITION 3,
 * ...), each answered with one line "ok[ VALUE]" or "error: WHY". The mock
 * API is thread-safe (it posts to the mock cluster's thread), so commands are
 * served from the main loop. --ctl is the matching client for shell tests:
 * it sends one command and prints the answer (exit 0 on ok, 1 on error).
 * The command list is in tools/README.md.
 */
#include "../lib/ks.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(void)
{
	fprintf(stderr, "usage: ksink-mock-kafka [--brokers N] [--bootstrap-file FILE] "
	                "[--topic NAME:PARTITIONS]... [--control PATH]\n"
	                "       ksink-mock-kafka --ctl PATH COMMAND [ARG]...\n");
}

static int write_file(const char *path, const char *text)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (!(f = fopen(tmp, "w")))
		return -1;
	fprintf(f, "%s\n", text);
	if (fclose(f) != 0)
		return -1;
	return rename(tmp, path);
}

/* ---------------- control channel ---------------- */

/* Kafka protocol request types by name (the ones tests care about). */
static const struct {
	const char *name;
	int16_t key;
} api_keys[] = {
        {"Produce", 0},          {"Fetch", 1},
        {"ListOffsets", 2},      {"Metadata", 3},
        {"OffsetCommit", 8},     {"OffsetFetch", 9},
        {"FindCoordinator", 10}, {"JoinGroup", 11},
        {"Heartbeat", 12},       {"LeaveGroup", 13},
        {"SyncGroup", 14},       {"DescribeGroups", 15},
        {"ListGroups", 16},      {"ApiVersions", 18},
        {"InitProducerId", 22},  {"OffsetForLeaderEpoch", 23},
};

/* An ApiKey: a number or a name from api_keys (case-insensitive). */
static int parse_api(const char *s, int16_t *key)
{
	long long v;
	if (!ks_parse_ll(s, 0, 1000, &v)) {
		*key = (int16_t)v;
		return 0;
	}
	for (size_t i = 0; s && i < sizeof(api_keys) / sizeof(api_keys[0]); i++)
		if (!strcasecmp(s, api_keys[i].name)) {
			*key = api_keys[i].key;
			return 0;
		}
	return -1;
}

/* An error code: a number (-195) or librdkafka's name with or without the
 * ERR_ prefix (NOT_COORDINATOR, _TRANSPORT, ERR__TRANSPORT). */
static int parse_err(const char *s, rd_kafka_resp_err_t *err)
{
	const struct rd_kafka_err_desc *descs;
	size_t cnt;
	long long v;

	if (!ks_parse_ll(s, -1000, 1000, &v)) {
		*err = (rd_kafka_resp_err_t)v;
		return 0;
	}
	if (!s)
		return -1;
	if (!strncasecmp(s, "ERR_", 4))
		s += 4;
	rd_kafka_get_err_descs(&descs, &cnt);
	for (size_t i = 0; i < cnt; i++)
		if (descs[i].name && !strcasecmp(s, descs[i].name)) {
			*err = descs[i].code;
			return 0;
		}
	return -1;
}

static void reply(char *out, size_t outlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out, outlen, fmt, ap);
	va_end(ap);
}

static void reply_err(char *out, size_t outlen, rd_kafka_resp_err_t err)
{
	if (err)
		reply(out, outlen, "error: %s", rd_kafka_err2name(err));
	else
		reply(out, outlen, "ok");
}

/* Runs one command line against the cluster; the answer goes to out. */
static void control_command(rd_kafka_mock_cluster_t *mc, char *line, char *out, size_t outlen)
{
	char *argv[8];
	int argc = 0;
	long long id, n, n2, n3;
	int16_t api;
	rd_kafka_resp_err_t err;
	char *save = NULL;

	for (char *tok = strtok_r(line, " \t\r", &save); tok && argc < 8;
	     tok = strtok_r(NULL, " \t\r", &save))
		argv[argc++] = tok;
	for (int i = argc; i < 8; i++)
		argv[i] = NULL;
	if (!argc) {
		reply(out, outlen, "error: empty command");
		return;
	}
#define CMD(name, lo, hi) (!strcmp(argv[0], name) && argc - 1 >= (lo) && argc - 1 <= (hi))
	if (CMD("ping", 0, 0)) {
		reply(out, outlen, "ok");
	} else if (CMD("brokers", 0, 0)) {
		reply(out, outlen, "ok %s", rd_kafka_mock_cluster_bootstraps(mc));
	} else if (CMD("broker-down", 1, 1) || CMD("broker-up", 1, 1)) {
		if (ks_parse_ll(argv[1], -1, 1000, &id))
			reply(out, outlen, "error: bad broker id %s", argv[1]);
		else
			reply_err(out, outlen,
			          argv[0][7] == 'd' ? rd_kafka_mock_broker_set_down(mc, (int32_t)id)
			                            : rd_kafka_mock_broker_set_up(mc, (int32_t)id));
	} else if (CMD("rtt", 2, 2)) {
		if (ks_parse_ll(argv[1], -1, 1000, &id) || ks_parse_ll(argv[2], 0, 600000, &n))
			reply(out, outlen, "error: usage: rtt BROKER MS");
		else
			reply_err(out, outlen,
			          rd_kafka_mock_broker_set_rtt(mc, (int32_t)id, (int)n));
	} else if (CMD("request-errors", 2, 3)) {
		rd_kafka_resp_err_t errs[1000];
		n = 1;
		if (parse_api(argv[1], &api) || parse_err(argv[2], &err) ||
		    (argv[3] && ks_parse_ll(argv[3], 1, 1000, &n))) {
			reply(out, outlen, "error: usage: request-errors API ERR [COUNT]");
			return;
		}
		for (long i = 0; i < n; i++)
			errs[i] = err;
		rd_kafka_mock_push_request_errors_array(mc, api, (size_t)n, errs);
		reply(out, outlen, "ok");
	} else if (CMD("broker-errors", 3, 5)) {
		n = 1;
		n2 = 0;
		if (ks_parse_ll(argv[1], 0, 1000, &id) || parse_api(argv[2], &api) ||
		    parse_err(argv[3], &err) || (argv[4] && ks_parse_ll(argv[4], 1, 1000, &n)) ||
		    (argv[5] && ks_parse_ll(argv[5], 0, 600000, &n2))) {
			reply(out, outlen,
			      "error: usage: broker-errors BROKER API ERR [COUNT [RTT_MS]]");
			return;
		}
		rd_kafka_resp_err_t perr = RD_KAFKA_RESP_ERR_NO_ERROR;
		for (long i = 0; i < n && !perr; i++)
			perr = rd_kafka_mock_broker_push_request_error_rtts(mc, (int32_t)id, api, 1,
			                                                    err, (int)n2);
		reply_err(out, outlen, perr);
	} else if (CMD("error-count", 2, 2)) {
		size_t cnt = 0;
		if (ks_parse_ll(argv[1], 0, 1000, &id) || parse_api(argv[2], &api)) {
			reply(out, outlen, "error: usage: error-count BROKER API");
			return;
		}
		err = rd_kafka_mock_broker_error_stack_cnt(mc, (int32_t)id, api, &cnt);
		if (err)
			reply_err(out, outlen, err);
		else
			reply(out, outlen, "ok %zu", cnt);
	} else if (CMD("clear-errors", 1, 1)) {
		if (parse_api(argv[1], &api)) {
			reply(out, outlen, "error: bad api %s", argv[1]);
			return;
		}
		rd_kafka_mock_clear_request_errors(mc, api);
		reply(out, outlen, "ok");
	} else if (CMD("leader", 3, 3)) {
		if (ks_parse_ll(argv[2], 0, 100000, &n) || ks_parse_ll(argv[3], -1, 1000, &id))
			reply(out, outlen, "error: usage: leader TOPIC PARTITION BROKER");
		else
			reply_err(out, outlen,
			          rd_kafka_mock_partition_set_leader(mc, argv[1], (int32_t)n,
			                                             (int32_t)id));
	} else if (CMD("coordinator", 3, 3)) {
		if ((strcmp(argv[1], "group") && strcmp(argv[1], "transaction")) ||
		    ks_parse_ll(argv[3], -1, 1000, &id))
			reply(out, outlen,
			      "error: usage: coordinator group|transaction KEY BROKER");
		else
			reply_err(out, outlen,
			          rd_kafka_mock_coordinator_set(mc, argv[1], argv[2], (int32_t)id));
	} else if (CMD("topic-create", 2, 3)) {
		n2 = 1;
		if (ks_parse_ll(argv[2], 1, 100000, &n) ||
		    (argv[3] && ks_parse_ll(argv[3], 1, 16, &n2)))
			reply(out, outlen, "error: usage: topic-create NAME PARTITIONS [RF]");
		else
			reply_err(out, outlen,
			          rd_kafka_mock_topic_create(mc, argv[1], (int)n, (int)n2));
	} else if (CMD("topic-error", 2, 2)) {
		if (parse_err(argv[2], &err)) {
			reply(out, outlen, "error: usage: topic-error TOPIC ERR");
			return;
		}
		rd_kafka_mock_topic_set_error(mc, argv[1], err);
		reply(out, outlen, "ok");
	} else if (CMD("apiversion", 3, 3)) {
		if (parse_api(argv[1], &api) || ks_parse_ll(argv[2], -1, 100, &n2) ||
		    ks_parse_ll(argv[3], -1, 100, &n3))
			reply(out, outlen, "error: usage: apiversion API MIN MAX");
		else
			reply_err(out, outlen,
			          rd_kafka_mock_set_apiversion(mc, api, (int16_t)n2, (int16_t)n3));
	} else {
		reply(out, outlen, "error: unknown command or wrong arguments: %s", argv[0]);
	}
#undef CMD
}

static int control_listen(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 16)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w <= 0)
			return;
		p += w;
		len -= (size_t)w;
	}
}

/* Serves one control connection: reads lines until EOF (2 s idle limit),
 * answers each. */
static void control_serve(rd_kafka_mock_cluster_t *mc, int lfd)
{
	char buf[4096], out[600];
	size_t used = 0;
	struct timeval tv = {2, 0};
	int fd = accept(lfd, NULL, NULL);

	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	for (;;) {
		char *nl;
		ssize_t r = read(fd, buf + used, sizeof(buf) - 1 - used);
		if (r <= 0) {
			if (used) { /* a last line without newline */
				buf[used] = '\0';
				control_command(mc, buf, out, sizeof(out));
				fprintf(stderr, "ksink-mock-kafka: control: %s\n", out);
				strcat(out, "\n");
				write_all(fd, out, strlen(out));
			}
			break;
		}
		used += (size_t)r;
		buf[used] = '\0';
		while ((nl = memchr(buf, '\n', used))) {
			size_t linelen = (size_t)(nl - buf) + 1;
			*nl = '\0';
			fprintf(stderr, "ksink-mock-kafka: control: %s", buf);
			control_command(mc, buf, out, sizeof(out));
			fprintf(stderr, " -> %s\n", out);
			strcat(out, "\n");
			write_all(fd, out, strlen(out));
			memmove(buf, buf + linelen, used - linelen);
			used -= linelen;
		}
		if (used == sizeof(buf) - 1) {
			write_all(fd, "error: line too long\n", 21);
			break;
		}
	}
	close(fd);
}

/* --ctl PATH COMMAND [ARG]...: sends one command, prints the answer. */
static int control_client(int argc, char **argv)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char line[4096] = "", ans[1024];
	size_t len = 0;
	ssize_t r;
	int fd;

	if (argc < 4 || strlen(argv[2]) >= sizeof(sa.sun_path)) {
		usage();
		return 2;
	}
	strcpy(sa.sun_path, argv[2]);
	for (int i = 3; i < argc; i++) {
		int n = snprintf(line + len, sizeof(line) - len, "%s%s", i > 3 ? " " : "", argv[i]);
		if (n < 0 || (size_t)n >= sizeof(line) - len - 1) {
			fprintf(stderr, "ksink-mock-kafka: command too long\n");
			return 2;
		}
		len += (size_t)n;
	}
	line[len++] = '\n';
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "ksink-mock-kafka: cannot connect to %s: %s\n", argv[2],
		        strerror(errno));
		if (fd >= 0)
			close(fd);
		return 2;
	}
	write_all(fd, line, len);
	shutdown(fd, SHUT_WR);
	len = 0;
	while (len < sizeof(ans) - 1 && (r = read(fd, ans + len, sizeof(ans) - 1 - len)) > 0)
		len += (size_t)r;
	close(fd);
	ans[len] = '\0';
	fputs(ans, stdout);
	if (!len) {
		fprintf(stderr, "ksink-mock-kafka: no answer from %s\n", argv[2]);
		return 2;
	}
	return strncmp(ans, "ok", 2) ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *bootstrap_file = NULL, *control = NULL;
	const char *topics[64];
	int ntopics = 0, brokers = 1, watch_stdin, cfd = -1, rc = 1;
	char errstr[512];
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	rd_kafka_mock_cluster_t *mc;
	struct stat st;

	if (argc > 1 && !strcmp(argv[1], "--ctl"))
		return control_client(argc, argv);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--control") && i + 1 < argc) {
			control = argv[++i];
		} else if (!strcmp(argv[i], "--brokers") && i + 1 < argc) {
			brokers = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--bootstrap-file") && i + 1 < argc) {
			bootstrap_file = argv[++i];
		} else if (!strcmp(argv[i], "--topic") && i + 1 < argc && ntopics < 64) {
			topics[ntopics++] = argv[++i];
		} else {
			usage();
			return 2;
		}
	}
	if (brokers < 1 || brokers > 16) {
		fprintf(stderr, "ksink-mock-kafka: --brokers must be 1..16\n");
		return 2;
	}

	conf = rd_kafka_conf_new();
	if (rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
		fprintf(stderr, "ksink-mock-kafka: %s\n", errstr);
		return 1;
	}
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (!rk) {
		fprintf(stderr, "ksink-mock-kafka: rd_kafka_new: %s\n", errstr);
		return 1;
	}
	mc = rd_kafka_mock_cluster_new(rk, brokers);
	if (!mc) {
		fprintf(stderr, "ksink-mock-kafka: could not create the mock cluster\n");
		rd_kafka_destroy(rk);
		return 1;
	}
	for (int i = 0; i < ntopics; i++) {
		char name[256];
		const char *colon = strrchr(topics[i], ':');
		int parts = colon ? atoi(colon + 1) : 1;
		size_t len = colon ? (size_t)(colon - topics[i]) : strlen(topics[i]);
		rd_kafka_resp_err_t err;

		if (parts < 1 || len == 0 || len >= sizeof(name)) {
			fprintf(stderr, "ksink-mock-kafka: bad --topic %s (want NAME:PARTITIONS)\n",
			        topics[i]);
			goto fail;
		}
		memcpy(name, topics[i], len);
		name[len] = '\0';
		err = rd_kafka_mock_topic_create(mc, name, parts, brokers < 3 ? brokers : 3);
		if (err) {
			fprintf(stderr, "ksink-mock-kafka: topic %s: %s\n", name,
			        rd_kafka_err2str(err));
			goto fail;
		}
	}

	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (control && (cfd = control_listen(control)) < 0) {
		fprintf(stderr, "ksink-mock-kafka: cannot listen on %s: %s\n", control,
		        strerror(errno));
		goto fail;
	}
	printf("BROKERS=%s\n", rd_kafka_mock_cluster_bootstraps(mc));
	fflush(stdout);
	if (bootstrap_file && write_file(bootstrap_file, rd_kafka_mock_cluster_bootstraps(mc))) {
		fprintf(stderr, "ksink-mock-kafka: cannot write %s: %s\n", bootstrap_file,
		        strerror(errno));
		goto fail;
	}

	/* stdin is watched only when it is a pipe or a terminal: a daemon started
	 * with </dev/null must not exit at once */
	watch_stdin =
	        fstat(STDIN_FILENO, &st) == 0 && (S_ISFIFO(st.st_mode) || isatty(STDIN_FILENO));
	while (!stop) {
		struct pollfd pfd[2] = {{.fd = watch_stdin ? STDIN_FILENO : -1, .events = POLLIN},
		                        {.fd = cfd, .events = POLLIN}};
		if (poll(pfd, 2, 200) <= 0)
			continue;
		if (pfd[0].revents) {
			char buf[256];
			ssize_t r = read(STDIN_FILENO, buf, sizeof(buf));
			if (r <= 0)
				break;
		}
		if (pfd[1].revents & POLLIN)
			control_serve(mc, cfd);
	}
	rc = 0;
fail:
	if (cfd >= 0) {
		close(cfd);
		unlink(control);
	}
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
	return rc;
}

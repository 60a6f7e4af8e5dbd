/*
 * mock-kafka.c — build/ksink-mock-kafka: librdkafka's in-process mock
 * cluster (rdkafka_mock.h) as a standalone daemon, so tests and the demo get
 * a real Kafka-protocol server on loopback without a JVM.
 *
 *   ksink-mock-kafka [--brokers N] [--bootstrap-file FILE] [--topic NAME:PARTITIONS]...
 *
 * Prints "BROKERS=host:port,..." on stdout, writes the bootstrap list to FILE
 * (atomically, via rename), runs until SIGTERM/SIGINT, or until stdin closes
 * when stdin is a pipe or a terminal. Limits of the mock: see README.
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
	                "[--topic NAME:PARTITIONS]...\n");
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

int main(int argc, char **argv)
{
	const char *bootstrap_file = NULL;
	const char *topics[64];
	int ntopics = 0, brokers = 1, watch_stdin;
	char errstr[512];
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	rd_kafka_mock_cluster_t *mc;
	struct stat st;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--brokers") && i + 1 < argc) {
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
		struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
		if (!watch_stdin) {
			usleep(200 * 1000);
			continue;
		}
		if (poll(&pfd, 1, 200) > 0) {
			char buf[256];
			ssize_t r = read(STDIN_FILENO, buf, sizeof(buf));
			if (r <= 0)
				break;
		}
	}
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
	return 0;
fail:
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
	return 1;
}

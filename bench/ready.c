/*
 * ready.c — build/ksink-bench-ready: how long ksink takes from exec to a
 * REST answer. Starts `ksink standalone WORKER.properties`, polls
 * GET / on HOST:PORT every millisecond, prints "ready_ms=N", then stops the
 * worker with SIGTERM and waits for it.
 *
 *   ksink-bench-ready KSINK_BINARY WORKER.properties PORT
 */
#include "../lib/ks.h"

#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int answers(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	const char req[] = "GET / HTTP/1.0\r\n\r\n";
	char buf[64];
	int fd = socket(AF_INET, SOCK_STREAM, 0), ok = 0;

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    write(fd, req, sizeof(req) - 1) == (ssize_t)(sizeof(req) - 1))
		ok = read(fd, buf, sizeof(buf)) > 12 && !strncmp(buf, "HTTP/1.", 7) &&
		     !strncmp(buf + 9, "200", 3);
	if (fd >= 0)
		close(fd);
	return ok;
}

int main(int argc, char **argv)
{
	int64_t t0;
	pid_t pid;
	int status, port;

	if (argc != 4) {
		fprintf(stderr, "usage: ksink-bench-ready KSINK WORKER.properties PORT\n");
		return 2;
	}
	port = atoi(argv[3]);
	t0 = ks_now_us();
	pid = fork();
	if (pid == 0) {
		execl(argv[1], argv[1], "standalone", argv[2], (char *)NULL);
		_exit(127);
	}
	for (;;) {
		struct timespec ms = {0, 1000000};
		if (answers(port))
			break;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			fprintf(stderr, "ksink-bench-ready: ksink exited before answering\n");
			return 1;
		}
		if (ks_now_us() - t0 > 10000000) {
			fprintf(stderr, "ksink-bench-ready: no answer in 10 s\n");
			kill(pid, SIGKILL);
			return 1;
		}
		nanosleep(&ms, NULL);
	}
	printf("ready_ms=%.1f\n", (double)(ks_now_us() - t0) / 1000.0);
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	return 0;
}

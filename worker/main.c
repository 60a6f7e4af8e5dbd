/*
 * main.c — the ksink command line. Placeholder until the worker lands:
 * prints the version.
 */
#include <stdio.h>
#include <string.h>

#define KSINK_VERSION "0.1.0"

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--version")) {
		printf("ksink %s\n", KSINK_VERSION);
		return 0;
	}
	fprintf(stderr, "usage: ksink standalone WORKER.properties [CONNECTOR.json ...]\n");
	return 2;
}

/*
 * stop_signal.c — blocking and awaiting SIGTERM/SIGINT; see stop_signal.h.
 */
#include "stop_signal.h"

#include <pthread.h>

void ks_stop_signal_block(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	pthread_sigmask(SIG_BLOCK, set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int ks_stop_signal_wait(const sigset_t *set)
{
	int sig = 0;

	while (sigwait(set, &sig) != 0)
		;
	return sig;
}

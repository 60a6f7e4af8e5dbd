/*
 * stop_signal.h — how a ksink program (the worker, the registry stand-in)
 * waits to be told to stop: SIGTERM and SIGINT are blocked in every thread
 * and taken by the main thread with sigwait, so no handler runs on a thread
 * holding a lock; SIGPIPE is ignored (a peer that hangs up is an error on
 * the socket, not a death).
 */
#ifndef KS_STOP_SIGNAL_H
#define KS_STOP_SIGNAL_H

#include <signal.h>

/* Blocks SIGTERM and SIGINT, ignores SIGPIPE. Call from main() before any
 * thread starts (threads inherit the mask); set is for ks_stop_signal_wait. */
void ks_stop_signal_block(sigset_t *set);

/* Waits on the main thread for a signal in set; returns its number. */
int ks_stop_signal_wait(const sigset_t *set);

#endif

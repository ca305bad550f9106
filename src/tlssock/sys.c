/* SPDX-License-Identifier: Apache-2.0 */
/* The real system calls.  In library mode they are libc's functions.  The
 * preload build (TLSSOCK_PRELOAD) defines those names itself, so it looks up
 * the next definition with dlsym(RTLD_NEXT) once, on first use. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "tlssock/internal.h"

#ifndef TLSSOCK_PRELOAD

static const struct ts_sys libc_sys = {
    .socket = socket,
    .connect = connect,
    .accept4 = accept4,
    .read = read,
    .write = write,
    .recv = recv,
    .send = send,
    .recvfrom = recvfrom,
    .sendto = sendto,
    .setsockopt = setsockopt,
    .getsockopt = getsockopt,
    .shutdown = shutdown,
    .close = close,
    .poll = poll,
};

const struct ts_sys *ts__sys(void)
{
	return &libc_sys;
}

#else

static struct ts_sys next_sys;
static pthread_once_t once = PTHREAD_ONCE_INIT;

#define NEXT(name)                                                  \
	do {                                                        \
		*(void **)&next_sys.name = dlsym(RTLD_NEXT, #name); \
		if (!next_sys.name)                                 \
			abort();                                    \
	} while (0)

static void resolve(void)
{
	NEXT(socket);
	NEXT(connect);
	NEXT(accept4);
	NEXT(read);
	NEXT(write);
	NEXT(recv);
	NEXT(send);
	NEXT(recvfrom);
	NEXT(sendto);
	NEXT(setsockopt);
	NEXT(getsockopt);
	NEXT(shutdown);
	NEXT(close);
	NEXT(poll);
}

const struct ts_sys *ts__sys(void)
{
	pthread_once(&once, resolve);
	return &next_sys;
}

#endif

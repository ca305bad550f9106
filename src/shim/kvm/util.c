/* SPDX-License-Identifier: Apache-2.0 */
/* The few libc pieces the shim needs: memory primitives (the compiler may
 * call them) and a bounded formatter for log lines. */
#include "shim.h"

/* Word-sized string moves: 8x fewer iterations, which matters where the
 * hypervisor emulates the shim (PVM, docs/kvm-keep.md). */
void *memcpy(void *d, const void *s, size_t n)
{
	void *r = d;
	size_t q = n / 8, b = n % 8;
	__asm__ volatile("rep movsq" : "+D"(d), "+S"(s), "+c"(q) : : "memory");
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(b) : : "memory");
	return r;
}

void *memset(void *d, int c, size_t n)
{
	void *r = d;
	uint64_t v = 0x0101010101010101ULL * (uint8_t)c;
	size_t q = n / 8, b = n % 8;
	__asm__ volatile("rep stosq" : "+D"(d), "+c"(q) : "a"(v) : "memory");
	__asm__ volatile("rep stosb" : "+D"(d), "+c"(b) : "a"(v) : "memory");
	return r;
}

void *memmove(void *d, const void *s, size_t n)
{
	uint8_t *dd = d;
	const uint8_t *ss = s;
	if (dd <= ss || dd >= ss + n)
		return memcpy(d, s, n);
	while (n--)
		dd[n] = ss[n];
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;
	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return x[i] - y[i];
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

size_t strnlen(const char *s, size_t max)
{
	size_t n = 0;
	while (n < max && s[n])
		n++;
	return n;
}

struct out {
	char *buf;
	size_t n, at;
};

static void put(struct out *o, char c)
{
	if (o->at + 1 < o->n)
		o->buf[o->at] = c;
	o->at++;
}

static void put_num(struct out *o, uint64_t v, unsigned base, int width, char pad, bool neg)
{
	char tmp[24];
	int i = 0;
	do {
		tmp[i++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		tmp[i++] = '-';
	while (width-- > i)
		put(o, pad);
	while (i)
		put(o, tmp[--i]);
}

int vfmt(char *buf, size_t n, const char *f, va_list ap)
{
	struct out o = {buf, n, 0};
	for (; *f; f++) {
		if (*f != '%') {
			put(&o, *f);
			continue;
		}
		f++;
		char pad = ' ';
		int width = 0, lng = 0;
		if (*f == '0')
			pad = '0', f++;
		while (*f >= '0' && *f <= '9')
			width = width * 10 + (*f++ - '0');
		while (*f == 'l' || *f == 'z')
			lng = 1, f++;
		switch (*f) {
		case 'd': {
			int64_t v = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
			put_num(&o, v < 0 ? -(uint64_t)v : (uint64_t)v, 10, width, pad, v < 0);
			break;
		}
		case 'u':
			put_num(&o, lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 10, width,
			        pad, false);
			break;
		case 'x':
			put_num(&o, lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 16, width,
			        pad, false);
			break;
		case 'p':
			put(&o, '0'), put(&o, 'x');
			put_num(&o, (uint64_t)va_arg(ap, void *), 16, width, pad, false);
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			for (s = s ? s : "(null)"; *s; s++)
				put(&o, *s);
			break;
		}
		case 'c': put(&o, (char)va_arg(ap, int)); break;
		case '%': put(&o, '%'); break;
		default: return -1;
		}
	}
	if (n)
		buf[o.at < n ? o.at : n - 1] = 0;
	return (int)o.at;
}

int fmt(char *buf, size_t n, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	int r = vfmt(buf, n, f, ap);
	va_end(ap);
	return r;
}

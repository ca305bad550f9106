/* SPDX-License-Identifier: Apache-2.0 */
/* A hash map with malloc: separate chaining, one malloc'd node per entry,
 * rehashing as it grows; inserts, lookups and deletes 200,000 keys. */
#include <stdlib.h>

#include "bench.h"

struct node {
	struct node *next;
	uint32_t key, val;
};

struct map {
	struct node **b;
	size_t nb, n;
};

static size_t slot(const struct map *m, uint32_t k)
{
	return (k * 2654435761u >> 7) & (m->nb - 1);
}

static void grow(struct map *m)
{
	size_t onb = m->nb;
	struct node **ob = m->b;

	m->nb = onb ? onb * 2 : 16;
	m->b = calloc(m->nb, sizeof(*m->b));
	for (size_t i = 0; i < onb; i++) {
		for (struct node *p = ob[i], *nx; p; p = nx) {
			nx = p->next;
			size_t s = slot(m, p->key);
			p->next = m->b[s];
			m->b[s] = p;
		}
	}
	free(ob);
}

static void put(struct map *m, uint32_t k, uint32_t v)
{
	if (m->n >= m->nb)
		grow(m);
	for (struct node *p = m->b[slot(m, k)]; p; p = p->next)
		if (p->key == k) {
			p->val = v;
			return;
		}
	struct node *p = malloc(sizeof(*p));
	size_t s = slot(m, k);
	p->key = k;
	p->val = v;
	p->next = m->b[s];
	m->b[s] = p;
	m->n++;
}

static struct node *get(const struct map *m, uint32_t k)
{
	for (struct node *p = m->b[slot(m, k)]; p; p = p->next)
		if (p->key == k)
			return p;
	return NULL;
}

static void del(struct map *m, uint32_t k)
{
	for (struct node **pp = &m->b[slot(m, k)]; *pp; pp = &(*pp)->next)
		if ((*pp)->key == k) {
			struct node *d = *pp;
			*pp = d->next;
			free(d);
			m->n--;
			return;
		}
}

uint32_t run(uint32_t arg)
{
	struct map m = {0};
	uint32_t h = 0, x = arg;

	for (uint32_t i = 0; i < 200000; i++) {
		x = x * 1103515245u + 12345u;
		put(&m, x % 150000, i);
	}
	for (uint32_t k = 0; k < 150000; k++) {
		struct node *p = get(&m, k);
		h = h * 31 + (p ? p->val : 7);
	}
	for (uint32_t k = 0; k < 150000; k += 2)
		del(&m, k);
	h ^= (uint32_t)m.n;
	for (size_t i = 0; i < m.nb; i++)
		for (struct node *p = m.b[i], *nx; p; p = nx) {
			nx = p->next;
			h += p->key;
			free(p);
		}
	free(m.b);
	return h;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* Loads the executor (a static x86-64 ELF, ET_EXEC or static-PIE ET_DYN)
 * from the image the host placed in guest memory into the user address
 * space. The image is part of the measurement, but it is parsed as if
 * hostile all the same: every offset and size is checked. */
#include "shim.h"

#define PT_LOAD 1
#define PT_PHDR 6
#define PF_X 1
#define PF_W 2
#define PF_R 4
#define PIE_BASE 0x0000555555554000ULL

struct ehdr {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

static int seg_prot(uint32_t f)
{
	return ((f & PF_R) ? PROT_READ : 0) | ((f & PF_W) ? PROT_WRITE : 0) |
	       ((f & PF_X) ? PROT_EXEC : 0);
}

static int check_header(const uint8_t *img, uint64_t len, struct ehdr *eh)
{
	if (len < sizeof(*eh))
		return -1;
	memcpy(eh, img, sizeof(*eh));
	if (memcmp(eh->ident, "\177ELF", 4) || eh->ident[4] != 2 || eh->ident[5] != 1)
		return -2;
	if ((eh->type != 2 && eh->type != 3) || eh->machine != 62)
		return -3;
	if (eh->phentsize != sizeof(struct phdr) || eh->phnum == 0 || eh->phnum > 64)
		return -4;
	if (eh->phoff > len || (uint64_t)eh->phnum * sizeof(struct phdr) > len - eh->phoff)
		return -5;
	return 0;
}

static int check_segment(const struct phdr *ph, uint64_t len, uint64_t base)
{
	if (ph->offset > len || ph->filesz > len - ph->offset || ph->filesz > ph->memsz)
		return -6;
	if (ph->vaddr > USER_TOP - base || ph->memsz > USER_TOP - base - ph->vaddr)
		return -7;
	if ((ph->vaddr & (PAGE - 1)) != (ph->offset & (PAGE - 1)))
		return -8;
	return 0;
}

/* Places the file part of one segment; the rest stays to be zero-filled on
 * first touch. */
static int load_segment(const struct phdr *ph, uint64_t img_gpa, const uint8_t *img, uint64_t base)
{
	uint64_t start = ph->vaddr + base, fend = start + ph->filesz;
	bool share = !(ph->flags & PF_W);
	uint64_t va = PAGE_ALIGN_DOWN(start);
	while (va < fend) {
		uint64_t off = ph->offset + (va - start);
		if (share && va >= start && va + PAGE <= fend && !mm_present(va)) {
			/* The run of whole file pages: mapped in one pass. */
			uint64_t n = (PAGE_ALIGN_DOWN(fend) - va) / PAGE;
			if (mm_map_pages(va, img_gpa + off, n))
				return -10;
			va += n * PAGE;
			continue;
		}
		uint64_t s = va > start ? va : start, e = va + PAGE < fend ? va + PAGE : fend;
		if (mm_populate(va, PAGE))
			return -10;
		memcpy((void *)s, img + ph->offset + (s - start), e - s);
		va += PAGE;
	}
	return 0;
}

int elf_load(const uint8_t *img, uint64_t img_gpa, uint64_t len, struct exec_info *out)
{
	struct ehdr eh;
	struct phdr ph[64];
	int rc = check_header(img, len, &eh);
	if (rc)
		return rc;
	memcpy(ph, img + eh.phoff, eh.phnum * sizeof(struct phdr));
	uint64_t base = eh.type == 3 ? PIE_BASE : 0;
	uint64_t lo = UINT64_MAX, hi = 0, phdr = 0;
	for (int i = 0; i < eh.phnum; i++) {
		if (ph[i].type == PT_PHDR)
			phdr = ph[i].vaddr + base;
		if (ph[i].type != PT_LOAD)
			continue;
		if ((rc = check_segment(&ph[i], len, base)))
			return rc;
		uint64_t s = PAGE_ALIGN_DOWN(ph[i].vaddr + base);
		uint64_t e = PAGE_ALIGN_UP(ph[i].vaddr + base + ph[i].memsz);
		lo = s < lo ? s : lo;
		hi = e > hi ? e : hi;
		if (!phdr && eh.phoff >= ph[i].offset && eh.phoff - ph[i].offset < ph[i].filesz)
			phdr = ph[i].vaddr + base + (eh.phoff - ph[i].offset);
	}
	if (hi <= lo || lo < 0x10000)
		return -9;
	/* Read-only segments map the image's own pages (no copy: the image is
	 * private to this Keep); writable ones and partial pages are copied.
	 * Then each segment gets its own protection (a page two segments
	 * share gets both). */
	if (mm_map(lo, hi - lo, PROT_READ | PROT_WRITE))
		return -10;
	for (int i = 0; i < eh.phnum; i++)
		if (ph[i].type == PT_LOAD && (rc = load_segment(&ph[i], img_gpa, img, base)))
			return rc;
	mm_protect(lo, hi - lo, 0);
	uint64_t prev_end = 0;
	int prev_prot = 0;
	for (int i = 0; i < eh.phnum; i++) {
		if (ph[i].type != PT_LOAD)
			continue;
		uint64_t s = PAGE_ALIGN_DOWN(ph[i].vaddr + base);
		uint64_t e = PAGE_ALIGN_UP(ph[i].vaddr + base + ph[i].memsz);
		int prot = seg_prot(ph[i].flags);
		if (s < prev_end) {
			mm_protect(s, PAGE, prot | prev_prot);
			s += PAGE;
		}
		if (e > s)
			mm_protect(s, e - s, prot);
		prev_end = e;
		prev_prot = prot;
	}
	out->entry = eh.entry + base;
	out->phdr = phdr;
	out->phnum = eh.phnum;
	out->phent = eh.phentsize;
	out->base = base;
	out->brk = hi;
	return 0;
}

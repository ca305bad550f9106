/* SPDX-License-Identifier: Apache-2.0 */
/* Memory: a physical page allocator over the RAM the host gave us, the
 * shim's own page tables (kernel window + direct map of all RAM), and the
 * user address space as a sorted list of areas populated on first touch.
 * Large PROT_NONE reservations (the wasm engine's 4 GiB + guard regions)
 * cost one list entry and no pages. */
#include "shim.h"

#define PTE_P (1UL << 0)
#define PTE_W (1UL << 1)
#define PTE_U (1UL << 2)
#define PTE_PS (1UL << 7)
#define PTE_G (1UL << 8)
#define PTE_PARKED (1UL << 9) /* software: page kept while the area is PROT_NONE */
#define PTE_NX (1UL << 63)
#define PTE_ADDR 0x000FFFFFFFFFF000UL

#define MAX_VMAS 4096
#define MMAP_TOP (SHIM_USER_TOP - (1ULL << 40))
#define MMAP_MIN 0x0000000010000000ULL

struct vma {
	uint64_t start, end;
	int prot;
};

static struct vma vmas[MAX_VMAS];
static int nvma;

static uint64_t ram_end, bump, free_list, nfree_pages;
static bool direct_ready;
static uint64_t *pml4;
static uint64_t pml4_pa;

void *phys_to_virt(uint64_t pa)
{
	if (direct_ready)
		return (void *)(SHIM_DIRECT_MAP + pa);
	return (void *)(SHIM_KERNEL_BASE + pa);
}

/* Pages never handed out before are the host's fresh zero pages (a KVM
 * host controls all Keep memory anyway); recycled pages are wiped. */
uint64_t mm_alloc_page(void)
{
	uint64_t pa = 0;
	if (free_list) {
		pa = free_list;
		free_list = *(uint64_t *)phys_to_virt(pa);
		memset(phys_to_virt(pa), 0, PAGE);
	} else if (bump + PAGE <= ram_end) {
		pa = bump;
		bump += PAGE;
	}
	if (pa)
		nfree_pages--;
	return pa;
}

void mm_free_page(uint64_t pa)
{
	*(uint64_t *)phys_to_virt(pa) = free_list;
	free_list = pa;
	nfree_pages++;
}

uint64_t mm_free_pages(void)
{
	return nfree_pages;
}

static uint64_t *table_at(uint64_t entry)
{
	return phys_to_virt(entry & PTE_ADDR);
}

/* Entry for va at the given level (3 = PML4 .. 0 = PT); allocates tables
 * on the way when alloc. NULL when absent or out of memory. */
static uint64_t *walk(uint64_t va, int level, bool alloc, uint64_t flags)
{
	uint64_t *t = pml4;
	for (int l = 3; l > level; l--) {
		uint64_t *e = &t[(va >> (12 + 9 * l)) & 511];
		if (!(*e & PTE_P)) {
			if (!alloc)
				return NULL;
			uint64_t pa = mm_alloc_page();
			if (!pa)
				return NULL;
			*e = pa | PTE_P | PTE_W | flags;
		}
		t = table_at(*e);
	}
	return &t[(va >> (12 + 9 * level)) & 511];
}

static void flush_tlb(void)
{
	uint64_t cr3;
	__asm__ volatile("mov %%cr3, %0; mov %0, %%cr3" : "=r"(cr3) : : "memory");
}

/* Maps [pa, pa + len) at va with large pages (level 1 = 2 MiB, level 2 =
 * 1 GiB), filling each table in one pass: where the shim is emulated (PVM)
 * every instruction counts, and a walk per entry costs 512 times more. */
static void map_large(uint64_t va, uint64_t pa, uint64_t len, int level, uint64_t flags)
{
	uint64_t step = 1UL << (12 + 9 * level);
	for (uint64_t done = 0; done < len;) {
		uint64_t *e = walk(va + done, level, true, 0);
		if (!e)
			shim_panic("out of memory building page tables");
		unsigned first = (unsigned)(((va + done) >> (12 + 9 * level)) & 511);
		for (unsigned i = first; i < 512 && done < len; i++, done += step)
			e[i - first] = (pa + done) | PTE_P | PTE_W | PTE_PS | flags;
	}
}

static bool have_1g_pages(void)
{
	uint32_t r[4];
	cpuid(0x80000000, 0, r);
	if (r[0] < 0x80000001)
		return false;
	cpuid(0x80000001, 0, r);
	return r[3] & (1U << 26);
}

void mm_init(const struct shim_boot_info *bi)
{
	ram_end = bi->mem_size;
	bump = bi->free_gpa;
	nfree_pages = (ram_end - bump) / PAGE;
	pml4_pa = mm_alloc_page();
	if (!pml4_pa)
		shim_panic("no memory for page tables");
	pml4 = phys_to_virt(pml4_pa);
	/* Kernel window: the first GiB (or all RAM if less), where the shim
	 * is linked; then the direct map of all RAM, never executable. */
	uint64_t window = ram_end < (1UL << 30) ? ram_end : (1UL << 30);
	int level = have_1g_pages() ? 2 : 1;
	map_large(SHIM_KERNEL_BASE, 0, window, level, PTE_G);
	map_large(SHIM_DIRECT_MAP, 0, ram_end, level, PTE_G | PTE_NX);
	__asm__ volatile("mov %0, %%cr3" : : "r"(pml4_pa) : "memory");
	direct_ready = true;
}

/* ---- areas ---------------------------------------------------------------- */

static int vma_index(uint64_t addr) /* first area with end > addr */
{
	int lo = 0, hi = nvma;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (vmas[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int vma_split(uint64_t addr)
{
	int i = vma_index(addr);
	if (i >= nvma || vmas[i].start >= addr)
		return 0;
	if (nvma == MAX_VMAS)
		return -12; /* ENOMEM */
	memmove(&vmas[i + 1], &vmas[i], (size_t)(nvma - i) * sizeof(vmas[0]));
	nvma++;
	vmas[i].end = addr;
	vmas[i + 1].start = addr;
	return 0;
}

static void vma_merge_around(int i)
{
	for (int j = i > 0 ? i - 1 : 0; j + 1 < nvma && j <= i + 1;) {
		if (vmas[j].end == vmas[j + 1].start && vmas[j].prot == vmas[j + 1].prot) {
			vmas[j].end = vmas[j + 1].end;
			memmove(&vmas[j + 1], &vmas[j + 2],
			        (size_t)(nvma - j - 2) * sizeof(vmas[0]));
			nvma--;
		} else {
			j++;
		}
	}
}

static bool range_user(uint64_t start, uint64_t len)
{
	return len && !(start & (PAGE - 1)) && start < USER_TOP && len <= USER_TOP - start;
}

/* Calls fn on every present or parked PTE in [start, end), descending only
 * into tables that exist: the cost follows what is mapped, not the size of
 * the range (a 4 GiB reservation with a few pages touched is a few steps). */
static void pt_range_level(uint64_t *t, int level, uint64_t base, uint64_t start, uint64_t end,
                           void (*fn)(uint64_t *pte, void *ctx), void *ctx)
{
	uint64_t span = 1UL << (12 + 9 * level);
	unsigned first = start > base ? (unsigned)((start - base) / span) : 0;
	for (unsigned i = first; i < 512; i++) {
		uint64_t lo = base + i * span;
		if (lo >= end)
			break;
		uint64_t *e = &t[i];
		if (level == 0) {
			if (*e & (PTE_P | PTE_PARKED))
				fn(e, ctx);
		} else if ((*e & PTE_P) && !(*e & PTE_PS)) {
			pt_range_level(table_at(*e), level - 1, lo, start, end, fn, ctx);
		}
	}
}

static void pt_range(uint64_t start, uint64_t end, void (*fn)(uint64_t *pte, void *ctx), void *ctx)
{
	pt_range_level(pml4, 3, 0, start, end, fn, ctx);
}

static void pte_free(uint64_t *pte, void *ctx)
{
	mm_free_page(*pte & PTE_ADDR);
	*pte = 0;
}

static uint64_t prot_flags(int prot)
{
	uint64_t f = PTE_P | PTE_U;
	if (prot & PROT_WRITE)
		f |= PTE_W;
	if (!(prot & PROT_EXEC))
		f |= PTE_NX;
	return f;
}

static void pte_reprotect(uint64_t *pte, void *ctx)
{
	int prot = *(int *)ctx;
	uint64_t pa = *pte & PTE_ADDR;
	*pte = prot ? pa | prot_flags(prot) : pa | PTE_PARKED;
}

int mm_unmap(uint64_t start, uint64_t len)
{
	len = PAGE_ALIGN_UP(len);
	if (!range_user(start, len))
		return -22;
	uint64_t end = start + len;
	if (vma_split(start) || vma_split(end))
		return -12;
	int i = vma_index(start), j = i;
	while (j < nvma && vmas[j].start < end)
		j++;
	memmove(&vmas[i], &vmas[j], (size_t)(nvma - j) * sizeof(vmas[0]));
	nvma -= j - i;
	pt_range(start, end, pte_free, NULL);
	flush_tlb();
	return 0;
}

int mm_map(uint64_t start, uint64_t len, int prot)
{
	len = PAGE_ALIGN_UP(len);
	if (!range_user(start, len))
		return -22;
	int e = mm_unmap(start, len);
	if (e)
		return e;
	if (nvma == MAX_VMAS)
		return -12;
	int i = vma_index(start);
	memmove(&vmas[i + 1], &vmas[i], (size_t)(nvma - i) * sizeof(vmas[0]));
	vmas[i] = (struct vma){start, start + len, prot};
	nvma++;
	vma_merge_around(i);
	return 0;
}

static bool covered(uint64_t start, uint64_t end)
{
	int i = vma_index(start);
	uint64_t at = start;
	for (; i < nvma && at < end; i++) {
		if (vmas[i].start > at)
			return false;
		at = vmas[i].end;
	}
	return at >= end;
}

int mm_protect(uint64_t start, uint64_t len, int prot)
{
	len = PAGE_ALIGN_UP(len);
	if (!range_user(start, len))
		return -22;
	uint64_t end = start + len;
	if (!covered(start, end))
		return -12;
	if (vma_split(start) || vma_split(end))
		return -12;
	int i = vma_index(start);
	for (int j = i; j < nvma && vmas[j].start < end; j++)
		vmas[j].prot = prot;
	pt_range(start, end, pte_reprotect, &prot);
	flush_tlb();
	vma_merge_around(vma_index(end) < nvma ? vma_index(end) : nvma - 1);
	vma_merge_around(vma_index(start));
	return 0;
}

int mm_discard(uint64_t start, uint64_t len)
{
	len = PAGE_ALIGN_UP(len);
	if (!range_user(start, len))
		return -22;
	pt_range(start, start + len, pte_free, NULL);
	flush_tlb();
	return 0;
}

uint64_t mm_find_gap(uint64_t len, uint64_t hint)
{
	len = PAGE_ALIGN_UP(len);
	if (!len || len > MMAP_TOP - MMAP_MIN)
		return 0;
	if (hint && range_user(hint, len)) {
		int i = vma_index(hint);
		if (i >= nvma || vmas[i].start >= hint + len)
			return hint;
	}
	uint64_t top = MMAP_TOP;
	for (int i = nvma - 1; i >= 0; i--) {
		if (vmas[i].start >= top)
			continue;
		if (vmas[i].end <= top && top - vmas[i].end >= len)
			return top - len;
		top = vmas[i].start;
	}
	return top - MMAP_MIN >= len && top > MMAP_MIN ? top - len : 0;
}

bool mm_user_ok(uint64_t addr, uint64_t len, bool write)
{
	if (addr >= USER_TOP || len > USER_TOP - addr)
		return false;
	if (!len)
		return true;
	uint64_t at = addr, end = addr + len;
	for (int i = vma_index(addr); i < nvma && at < end; i++) {
		if (vmas[i].start > at)
			return false;
		if (!(vmas[i].prot & (write ? PROT_WRITE : (PROT_READ | PROT_WRITE))))
			return false;
		at = vmas[i].end;
	}
	return at >= end;
}

bool mm_fault(uint64_t addr, uint64_t error)
{
	if (addr >= USER_TOP)
		return false;
	int i = vma_index(addr);
	if (i >= nvma || vmas[i].start > addr)
		return false;
	int prot = vmas[i].prot;
	if (!prot || ((error & 2) && !(prot & PROT_WRITE)) || ((error & 16) && !(prot & PROT_EXEC)))
		return false;
	uint64_t va = PAGE_ALIGN_DOWN(addr);
	uint64_t *pte = walk(va, 0, true, PTE_U);
	if (!pte)
		shim_panic("out of memory (page tables) at %lx", addr);
	uint64_t pa = *pte & PTE_ADDR;
	if (!(*pte & (PTE_P | PTE_PARKED))) {
		pa = mm_alloc_page();
		if (!pa)
			shim_panic("out of memory: Keep RAM exhausted at %lx", addr);
	}
	*pte = pa | prot_flags(prot);
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
	return true;
}

int mm_map_pages(uint64_t va, uint64_t pa, uint64_t n)
{
	int i = vma_index(va);
	if (i >= nvma || vmas[i].start > va || (va & (PAGE - 1)) || n > (vmas[i].end - va) / PAGE)
		return -22;
	uint64_t flags = prot_flags(vmas[i].prot);
	for (uint64_t done = 0; done < n;) {
		uint64_t *pte = walk(va + done * PAGE, 0, true, PTE_U);
		if (!pte)
			return -12;
		unsigned first = (unsigned)(((va + done * PAGE) >> 12) & 511);
		/* Fresh, never-present entries: no TLB entry to flush. */
		for (unsigned k = first; k < 512 && done < n; k++, done++) {
			uint64_t *e = pte + (k - first);
			if (*e & (PTE_P | PTE_PARKED))
				mm_free_page(*e & PTE_ADDR);
			*e = (pa + done * PAGE) | flags;
		}
	}
	flush_tlb();
	return 0;
}

int mm_map_page(uint64_t va, uint64_t pa)
{
	int i = vma_index(va);
	if (i >= nvma || vmas[i].start > va || (va & (PAGE - 1)))
		return -22;
	uint64_t *pte = walk(va, 0, true, PTE_U);
	if (!pte)
		return -12;
	if (*pte & (PTE_P | PTE_PARKED))
		mm_free_page(*pte & PTE_ADDR);
	*pte = pa | prot_flags(vmas[i].prot);
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
	return 0;
}

bool mm_present(uint64_t va)
{
	uint64_t *pte = walk(va, 0, false, 0);
	return pte && (*pte & PTE_P);
}

int mm_populate(uint64_t start, uint64_t len)
{
	for (uint64_t va = PAGE_ALIGN_DOWN(start); va < start + len; va += PAGE)
		if (!mm_fault(va, 0))
			return -14;
	return 0;
}

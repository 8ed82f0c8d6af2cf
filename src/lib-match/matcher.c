/*
 * matcher - one Aho-Corasick automaton over the bytes of normalised text for
 * every pattern of a policy rule set, so the cost per byte does not grow with
 * the number of patterns. Bytes are first mapped to classes (only bytes that
 * occur in some pattern get their own class). The shallowest states, where a
 * scan spends nearly all its time, get full transition rows (a DFA); deeper
 * states keep sorted edge lists and fall back along fail links. Matches are
 * reported only when neither edge cuts through a word.
 *
 * Must never: change after hd_matcher_build() (the automaton is shared
 * read-only between threads), keep scan state in the matcher, or accept a
 * pattern beyond the named limits.
 */
#include <config.h>
#include "matcher.h"
#include "norm.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A pattern as added: normalised text (freed by build), length and id. */
struct pattern {
	char *text;
	uint32_t len;
	int id;
};

struct hd_matcher {
	/* Patterns; text is valid until build. */
	struct pattern *pats;
	size_t npats, cappats;
	size_t total_bytes;
	size_t dense_bytes;	/* budget for dense rows */
	bool built;

	/* Automaton, states numbered in breadth-first order, root = 0. */
	uint8_t cls[256];	/* byte -> class; 0 = in no pattern */
	uint32_t width;		/* classes per dense row */
	uint32_t nstates;
	uint32_t ndense;	/* states [0, ndense) have a dense row */
	uint32_t *delta;	/* ndense * width full transitions */
	uint32_t *fail;		/* fail link per state */
	uint32_t *dict;		/* nearest fail-chain state with output, 0 = none */
	uint32_t *out_start;	/* per state: range in out_pats (nstates + 1) */
	uint32_t *out_pats;	/* pattern indexes grouped by end state */
	uint32_t *sp_start;	/* per sparse state: range in sp_cls/sp_to (+1) */
	uint8_t *sp_cls;
	uint32_t *sp_to;
};

/* Transitions (delta, sp_to) carry this bit when the target state or its
   dictionary chain ends a pattern, so the scan loop needs no second lookup.
   State numbers stay below it: states <= HD_MATCHER_MAX_TOTAL_BYTES + 1. */
#define OUT_BIT 0x80000000u
#define STATE_MASK 0x7FFFFFFFu

/* Create an empty matcher to which patterns are added. */
struct hd_matcher *hd_matcher_new(void)
{
	struct hd_matcher *m = xcalloc(1, sizeof(*m));

	m->dense_bytes = HD_MATCHER_DENSE_MAX_BYTES;
	return m;
}

/* Set the dense-row budget (before build), capped by the named limit. */
void hd_matcher_set_dense_bytes(struct hd_matcher *m, size_t bytes)
{
	m->dense_bytes = bytes < HD_MATCHER_DENSE_MAX_BYTES ? bytes : HD_MATCHER_DENSE_MAX_BYTES;
}

/* Add a pattern under a caller's id; false when empty, too long or built. */
bool hd_matcher_add(struct hd_matcher *m, const char *pattern, int id)
{
	size_t rawlen = strlen(pattern);
	char *norm;
	size_t len;

	if (m->built || rawlen > HD_MATCHER_MAX_PATTERN_BYTES)
		return false;
	norm = hd_norm_string(pattern);
	len = strlen(norm);
	if (len == 0 || len > HD_MATCHER_MAX_PATTERN_BYTES ||
	    m->total_bytes + len > HD_MATCHER_MAX_TOTAL_BYTES) {
		free(norm);
		return false;
	}
	if (m->npats == m->cappats) {
		m->cappats = m->cappats ? m->cappats * 2 : 16;
		m->pats = xrealloc(m->pats, m->cappats * sizeof(*m->pats));
	}
	m->pats[m->npats].text = norm;
	m->pats[m->npats].len = (uint32_t)len;
	m->pats[m->npats].id = id;
	m->npats++;
	m->total_bytes += len;
	return true;
}

/* Number of patterns added. */
size_t hd_matcher_count(const struct hd_matcher *m)
{
	return m->npats;
}

/* A pattern's text and index, for sorting without global state. */
struct sort_key {
	const char *text;
	uint32_t index;
};

/* qsort comparator: by pattern bytes, then by index. */
static int cmp_sort_key(const void *a, const void *b)
{
	const struct sort_key *x = a, *y = b;
	int c = strcmp(x->text, y->text);

	if (c != 0)
		return c;
	return x->index < y->index ? -1 : x->index > y->index;
}

/*
 * Transitions do not hold state numbers but "codes" that the scan loop can
 * use without a multiplication: a dense state s is coded as its row offset
 * s * width, a sparse state t as dense_limit + (t - ndense), where
 * dense_limit = ndense * width.
 */
static inline uint32_t state_code(const struct hd_matcher *m, uint32_t s)
{
	return s < m->ndense ? s * m->width : m->ndense * m->width + (s - m->ndense);
}

/* The state number of a transition code (OUT_BIT already cleared). */
static inline uint32_t code_state(const struct hd_matcher *m, uint32_t code)
{
	uint32_t limit = m->ndense * m->width;

	return code < limit ? code / m->width : code - limit + m->ndense;
}

/* Index of the sparse edge of state s (>= ndense) on class c, or -1. */
static inline long sparse_edge(const struct hd_matcher *m, uint32_t s, uint32_t c)
{
	uint32_t k = s - m->ndense;

	for (uint32_t e = m->sp_start[k]; e < m->sp_start[k + 1]; e++) {
		if (m->sp_cls[e] == c)
			return (long)e;
		if (m->sp_cls[e] > c)
			break;
	}
	return -1;
}

/* The complete transition from state s on class c during build, as a state
   number; every state it looks at is final and sp_to holds plain states. */
static uint32_t build_goto(const struct hd_matcher *m, uint32_t s, uint32_t c)
{
	for (;;) {
		long e;

		if (s < m->ndense)
			return code_state(m, m->delta[(size_t)s * m->width + c] & STATE_MASK);
		e = sparse_edge(m, s, c);
		if (e >= 0)
			return m->sp_to[e];
		s = m->fail[s];
	}
}

/* The complete transition from sparse state code on class c > 0 during a
   scan: a transition code, with OUT_BIT when the target has output. */
static __attribute__((noinline)) uint32_t scan_sparse_goto(const struct hd_matcher *m, uint32_t code, uint32_t c)
{
	uint32_t s = code_state(m, code);

	for (;;) {
		long e;

		if (s < m->ndense)
			return m->delta[(size_t)s * m->width + c];
		e = sparse_edge(m, s, c);
		if (e >= 0)
			return m->sp_to[e];
		s = m->fail[s];
	}
}

/* Build the automaton; afterwards the matcher is immutable. */
void hd_matcher_build(struct hd_matcher *m)
{
	uint32_t *order, *path, *e_parent, *e_child, *child_start, *child_list;
	uint8_t *e_byte;
	uint32_t *term_node, *bfs, *newid;
	uint8_t *has_out;
	uint32_t nnodes = 1, nedges = 0, ncls = 0;
	bool present[256] = { false };
	size_t maxlen = 0;

	if (m->built)
		return;
	m->built = true;

	/* Byte classes: one per byte that occurs in a pattern. */
	for (size_t i = 0; i < m->npats; i++) {
		for (uint32_t k = 0; k < m->pats[i].len; k++)
			present[(unsigned char)m->pats[i].text[k]] = true;
		if (m->pats[i].len > maxlen)
			maxlen = m->pats[i].len;
	}
	for (int b = 0; b < 256; b++)
		m->cls[b] = present[b] ? (uint8_t)++ncls : 0;
	m->width = ncls + 1;

	/* Trie from the patterns in sorted order: each pattern shares its
	   longest common prefix with the previous one, so children of a node
	   are created in increasing byte order and no lookup is needed. */
	{
		struct sort_key *keys = xmalloc((m->npats + 1) * sizeof(*keys));

		for (size_t i = 0; i < m->npats; i++) {
			keys[i].text = m->pats[i].text;
			keys[i].index = (uint32_t)i;
		}
		qsort(keys, m->npats, sizeof(*keys), cmp_sort_key);
		order = xmalloc((m->npats + 1) * sizeof(*order));
		for (size_t i = 0; i < m->npats; i++)
			order[i] = keys[i].index;
		free(keys);
	}

	e_parent = xmalloc((m->total_bytes + 1) * sizeof(*e_parent));
	e_child = xmalloc((m->total_bytes + 1) * sizeof(*e_child));
	e_byte = xmalloc(m->total_bytes + 1);
	term_node = xmalloc((m->npats + 1) * sizeof(*term_node));
	path = xmalloc((maxlen + 1) * sizeof(*path));
	path[0] = 0;
	for (size_t i = 0; i < m->npats; i++) {
		const struct pattern *p = &m->pats[order[i]];
		uint32_t lcp = 0;

		if (i > 0) {
			const struct pattern *q = &m->pats[order[i - 1]];
			while (lcp < p->len && lcp < q->len && p->text[lcp] == q->text[lcp])
				lcp++;
		}
		for (uint32_t d = lcp; d < p->len; d++) {
			e_parent[nedges] = path[d];
			e_byte[nedges] = (uint8_t)p->text[d];
			e_child[nedges] = nnodes;
			nedges++;
			path[d + 1] = nnodes++;
		}
		term_node[order[i]] = path[p->len];
	}
	free(path);

	/* Children of each node, contiguous and in byte order (counting sort). */
	child_start = xcalloc((size_t)nnodes + 1, sizeof(*child_start));
	child_list = xmalloc((nedges + 1) * sizeof(*child_list));
	for (uint32_t e = 0; e < nedges; e++)
		child_start[e_parent[e] + 1]++;
	for (uint32_t n = 0; n < nnodes; n++)
		child_start[n + 1] += child_start[n];
	{
		uint32_t *fill = xmalloc(((size_t)nnodes + 1) * sizeof(*fill));
		memcpy(fill, child_start, ((size_t)nnodes + 1) * sizeof(*fill));
		for (uint32_t e = 0; e < nedges; e++)
			child_list[fill[e_parent[e]]++] = e;
		free(fill);
	}

	/* Breadth-first numbering. */
	bfs = xmalloc((size_t)nnodes * sizeof(*bfs));
	newid = xmalloc((size_t)nnodes * sizeof(*newid));
	{
		uint32_t head = 0, tail = 0;
		bfs[tail++] = 0;
		while (head < tail) {
			uint32_t u = bfs[head++];
			for (uint32_t k = child_start[u]; k < child_start[u + 1]; k++)
				bfs[tail++] = e_child[child_list[k]];
		}
	}
	for (uint32_t i = 0; i < nnodes; i++)
		newid[bfs[i]] = i;

	m->nstates = nnodes;
	{
		size_t row_bytes = (size_t)m->width * sizeof(uint32_t);
		size_t nd = m->dense_bytes / row_bytes;
		if (nd < 1)
			nd = 1;
		m->ndense = nd < nnodes ? (uint32_t)nd : nnodes;
	}
	m->delta = xcalloc((size_t)m->ndense * m->width, sizeof(*m->delta));
	m->fail = xcalloc(nnodes, sizeof(*m->fail));
	m->dict = xcalloc(nnodes, sizeof(*m->dict));
	has_out = xcalloc(nnodes, 1);

	/* Output lists grouped by (new) end state. */
	m->out_start = xcalloc((size_t)nnodes + 1, sizeof(*m->out_start));
	m->out_pats = xmalloc((m->npats + 1) * sizeof(*m->out_pats));
	for (size_t i = 0; i < m->npats; i++)
		m->out_start[newid[term_node[i]] + 1]++;
	for (uint32_t n = 0; n < nnodes; n++)
		m->out_start[n + 1] += m->out_start[n];
	{
		uint32_t *fill = xmalloc(((size_t)nnodes + 1) * sizeof(*fill));
		memcpy(fill, m->out_start, ((size_t)nnodes + 1) * sizeof(*fill));
		/* Longer-first is irrelevant within one state (same length). */
		for (size_t i = 0; i < m->npats; i++)
			m->out_pats[fill[newid[term_node[i]]]++] = (uint32_t)i;
		free(fill);
	}

	/* Sparse edges of the deep states, in class order (= byte order). */
	{
		uint32_t nsparse = nnodes - m->ndense, ne = 0;
		m->sp_start = xmalloc(((size_t)nsparse + 1) * sizeof(*m->sp_start));
		m->sp_cls = xmalloc(nedges + 1);
		m->sp_to = xmalloc((nedges + 1) * sizeof(*m->sp_to));
		for (uint32_t s = m->ndense; s < nnodes; s++) {
			uint32_t u = bfs[s];
			m->sp_start[s - m->ndense] = ne;
			for (uint32_t k = child_start[u]; k < child_start[u + 1]; k++) {
				uint32_t e = child_list[k];
				m->sp_cls[ne] = m->cls[e_byte[e]];
				m->sp_to[ne] = newid[e_child[e]];
				ne++;
			}
		}
		m->sp_start[nsparse] = ne;
	}

	/* Fail links, dictionary links and dense rows, breadth first: every
	   state a computation looks at has a smaller number and is final. */
	for (uint32_t s = 0; s < nnodes; s++) {
		uint32_t u = bfs[s];

		for (uint32_t k = child_start[u]; k < child_start[u + 1]; k++) {
			uint32_t e = child_list[k];
			uint32_t v = newid[e_child[e]];
			uint32_t f = s == 0 ? 0 : build_goto(m, m->fail[s], m->cls[e_byte[e]]);

			m->fail[v] = f;
			m->dict[v] = m->out_start[f + 1] > m->out_start[f] ? f : m->dict[f];
			has_out[v] = m->out_start[v + 1] > m->out_start[v] || m->dict[v] != 0;
		}
		if (s < m->ndense) {
			uint32_t *row = m->delta + (size_t)s * m->width;
			if (s != 0)
				memcpy(row, m->delta + (size_t)m->fail[s] * m->width,
				       m->width * sizeof(*row));
			/* fail[s] < s, so its row is final; children override. */
			for (uint32_t k = child_start[u]; k < child_start[u + 1]; k++) {
				uint32_t e = child_list[k];
				uint32_t v = newid[e_child[e]];
				row[m->cls[e_byte[e]]] = state_code(m, v) | (has_out[v] ? OUT_BIT : 0);
			}
			row[0] = 0;
		}
	}
	/* Sparse edges get their output bits now that all are known. */
	for (uint32_t e = 0; e < m->sp_start[nnodes - m->ndense]; e++)
		m->sp_to[e] = state_code(m, m->sp_to[e]) | (has_out[m->sp_to[e]] ? OUT_BIT : 0);
	free(has_out);

	free(order);
	free(e_parent);
	free(e_child);
	free(e_byte);
	free(term_node);
	free(child_start);
	free(child_list);
	free(bfs);
	free(newid);
	for (size_t i = 0; i < m->npats; i++)
		xfree(&m->pats[i].text);
}

/* Report the word-bounded patterns ending in state s at end; false to stop.
   Kept out of line (as scan_sparse_goto) so the scan loop keeps its
   pointers in registers: it runs once per byte, these rarely. */
static __attribute__((noinline)) bool matcher_report(const struct hd_matcher *m, const struct hd_normtext *nt,
			   uint32_t s, size_t end, hd_match_fn *fn, void *ctx)
{
	for (uint32_t t = s; t != 0; t = m->dict[t]) {
		for (uint32_t k = m->out_start[t]; k < m->out_start[t + 1]; k++) {
			const struct pattern *p = &m->pats[m->out_pats[k]];
			struct hd_match hit;

			hit.id = p->id;
			hit.start = end - p->len;
			hit.end = end;
			if (hd_norm_inside_word(nt->text, nt->len, hit.start) ||
			    hd_norm_inside_word(nt->text, nt->len, hit.end))
				continue;
			if (!fn(&hit, ctx))
				return false;
		}
	}
	return true;
}

/* The hot loop of a scan: from dense state code *code_io, follow dense
   transitions over text[i..n) until one has output (*out_r), leads to a
   sparse state, or the text ends; returns the offset after the last byte
   taken. A leaf function, so everything it uses stays in registers. */
static __attribute__((noinline)) size_t scan_dense(const uint8_t *cls, const uint32_t *delta,
						  uint32_t limit, const unsigned char *text,
						  size_t i, size_t n, uint32_t *code_io, bool *out_r)
{
	uint32_t code = *code_io;

	*out_r = false;
	while (i < n) {
		/* Column 0 (a byte in no pattern) of every dense row is the root. */
		uint32_t v = delta[code + cls[text[i++]]];

		/* One test for both ways out: a code with OUT_BIT is above every
		   dense code, and so is a sparse one. The mask stays off the
		   byte-to-byte dependency chain. */
		if (v >= limit) {
			code = v & STATE_MASK;
			*out_r = (v & OUT_BIT) != 0;
			break;
		}
		code = v;
	}
	*code_io = code;
	return i;
}

/* Report every word-bounded match, in order of end offset. */
void hd_matcher_scan(const struct hd_matcher *m, const struct hd_normtext *nt,
		     hd_match_fn *fn, void *ctx)
{
	const unsigned char *text = (const unsigned char *)nt->text;
	uint32_t limit = m->ndense * m->width;
	uint32_t code = 0;	/* root */
	size_t i = 0, n = nt->len;

	if (!m->built || m->npats == 0)
		return;
	while (i < n) {
		bool out;

		if (code < limit) {
			i = scan_dense(m->cls, m->delta, limit, text, i, n, &code, &out);
		} else {
			/* A byte in no pattern (class 0) leads back to the root. */
			uint32_t c = m->cls[text[i++]];
			uint32_t v = c != 0 ? scan_sparse_goto(m, code, c) : 0;

			code = v & STATE_MASK;
			out = (v & OUT_BIT) != 0;
		}
		if (out && !matcher_report(m, nt, code_state(m, code), i, fn, ctx))
			return;
	}
}

/* Callback of hd_matcher_matches: note the first match and stop. */
static bool first_match(const struct hd_match *hit, void *ctx)
{
	*(bool *)ctx = true;
	return false;
}

/* True when any pattern matches in s (normalised here). */
bool hd_matcher_matches(const struct hd_matcher *m, const char *s, size_t len)
{
	struct hd_normtext *nt;
	bool found = false;

	if (!m->built || m->npats == 0)
		return false;
	nt = hd_norm_text(s, len);
	hd_matcher_scan(m, nt, first_match, &found);
	hd_normtext_deinit(&nt);
	return found;
}

/* Free a matcher and clear the caller's pointer. */
void hd_matcher_deinit(struct hd_matcher **mp)
{
	struct hd_matcher *m = *mp;

	if (m == NULL)
		return;
	for (size_t i = 0; i < m->npats; i++)
		free(m->pats[i].text);
	free(m->pats);
	free(m->delta);
	free(m->fail);
	free(m->dict);
	free(m->out_start);
	free(m->out_pats);
	free(m->sp_start);
	free(m->sp_cls);
	free(m->sp_to);
	free(m);
	*mp = NULL;
}

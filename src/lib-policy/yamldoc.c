/*
 * yamldoc - reads a YAML configuration file with libyaml's event parser into a
 * small node tree that remembers the line and column of every node, so that
 * loaders can report "file:line:column: message" long after parsing.
 *
 * Must never: follow anchors or aliases (billion-laughs), accept more than
 * HD_YAML_MAX_DEPTH nesting, HD_YAML_MAX_NODES nodes or HD_YAML_MAX_FILE_BYTES
 * bytes, or be used on message data (it is for administrator files only).
 */
#include <config.h>
#include "yamldoc.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

/* Longest word hd_did_you_mean compares (longer ones never get a suggestion). */
#define HD_YAML_DYM_MAX_LEN 128

/* The tree's memory: nodes, scalars and child arrays are carved from
   chunks that are freed together, so a policy of 10,000 phrases costs a
   few dozen mallocs and frees instead of a few hundred thousand. */
#define YARENA_CHUNK_MIN (64u * 1024)
#define YARENA_CHUNK_MAX (1024u * 1024)

struct yarena_chunk {
	struct yarena_chunk *next;
	size_t used, size;
	void *data[];		/* pointer-aligned: nodes hold nothing wider */
};

struct hd_yarena {
	struct yarena_chunk *head;
	size_t next_size;
};

/* n bytes (aligned) from the arena; never fails (xmalloc). */
static void *yarena_alloc(struct hd_yarena *a, size_t n)
{
	struct yarena_chunk *c = a->head;
	void *p;

	n = (n + sizeof(void *) - 1) & ~(sizeof(void *) - 1);
	if (c == NULL || c->size - c->used < n) {
		size_t size = a->next_size;

		if (size < n)
			size = n;
		c = xmalloc(sizeof(*c) + size);
		c->used = 0;
		c->size = size;
		c->next = a->head;
		a->head = c;
		if (a->next_size < YARENA_CHUNK_MAX)
			a->next_size *= 2;
	}
	p = (char *)c->data + c->used;
	c->used += n;
	return p;
}

/* Free every chunk of an arena and the arena. */
static void yarena_free(struct hd_yarena *a)
{
	if (a == NULL)
		return;
	while (a->head != NULL) {
		struct yarena_chunk *c = a->head;

		a->head = c->next;
		free(c);
	}
	free(a);
}

/* One open container while the tree is built. */
struct yframe {
	struct hd_ynode *node;
	size_t cap;
	bool expect_value;	/* map: a key was read, its value comes next */
};

/* Parser state: the stack of open containers and the finished root. */
struct ybuild {
	const char *name;
	struct hd_diag *diag;
	struct hd_yarena *arena;
	struct yframe stack[HD_YAML_MAX_DEPTH + 1];
	size_t depth;
	struct hd_ynode *root;
	size_t nnodes;
	size_t ndocs;
};

/* Result of handling one parser event. */
enum yev_result { YEV_CONTINUE, YEV_DONE, YEV_ERROR };

/* Allocate a node at the event's start mark. */
static struct hd_ynode *ynode_new(struct ybuild *b, enum hd_ynode_type type, const yaml_event_t *ev)
{
	struct hd_ynode *n = yarena_alloc(b->arena, sizeof(*n));

	memset(n, 0, sizeof(*n));
	n->type = type;
	n->line = (int)ev->start_mark.line + 1;
	n->column = (int)ev->start_mark.column + 1;
	return n;
}

/* Free a tree (its root holds the arena every node lives in); sets *np to
   NULL. A node that is not a root owns nothing of its own. */
void hd_ynode_deinit(struct hd_ynode **np)
{
	struct hd_ynode *n = *np;

	*np = NULL;
	if (n != NULL)
		yarena_free(n->arena);
}

/* Attach a new node to the innermost open container (or make it the root).
   Takes ownership of child; false (child freed) on a complex key. */
static bool ybuild_attach(struct ybuild *b, struct hd_ynode *child)
{
	struct yframe *f;
	struct hd_ynode *p;

	if (b->depth == 0) {
		b->root = child;
		return true;
	}
	f = &b->stack[b->depth - 1];
	p = f->node;
	if (p->type == HD_Y_MAP && f->expect_value) {
		p->items[p->n - 1] = child;
		f->expect_value = false;
		return true;
	}
	if (p->type == HD_Y_MAP && child->type != HD_Y_SCALAR) {
		hd_diag_add(b->diag, b->name, child->line, child->column,
			    "a mapping key must be a plain string, not %s",
			    hd_ynode_type_name(child));
		return false;	/* the child stays in the arena, freed with it */
	}
	if (p->n == f->cap) {
		/* Grow in the arena: the old array is left behind, at most as
		   much again as the final one. */
		size_t cap = f->cap ? f->cap * 2 : 4;
		struct hd_ynode **items = yarena_alloc(b->arena, cap * sizeof(*items));

		if (p->n > 0)
			memcpy(items, p->items, p->n * sizeof(*items));
		p->items = items;
		if (p->type == HD_Y_MAP) {
			struct hd_ynode **keys = yarena_alloc(b->arena, cap * sizeof(*keys));

			if (p->n > 0)
				memcpy(keys, p->keys, p->n * sizeof(*keys));
			p->keys = keys;
		}
		f->cap = cap;
	}
	if (p->type == HD_Y_MAP) {
		p->keys[p->n] = child;
		p->items[p->n] = NULL;
		f->expect_value = true;
	} else {
		p->items[p->n] = child;
	}
	p->n++;
	return true;
}

/* Count a node against the limit; false + diagnostic when over it. */
static bool ybuild_count(struct ybuild *b, const yaml_event_t *ev)
{
	if (++b->nnodes <= HD_YAML_MAX_NODES)
		return true;
	hd_diag_add(b->diag, b->name, (int)ev->start_mark.line + 1,
		    (int)ev->start_mark.column + 1,
		    "too many YAML nodes (limit %u)", (unsigned)HD_YAML_MAX_NODES);
	return false;
}

/* Refuse an anchor on a node; true when there is none. */
static bool ybuild_no_anchor(struct ybuild *b, const yaml_event_t *ev,
			     const yaml_char_t *anchor)
{
	if (anchor == NULL)
		return true;
	hd_diag_add(b->diag, b->name, (int)ev->start_mark.line + 1,
		    (int)ev->start_mark.column + 1,
		    "anchors and aliases are not supported (anchor '&%s')",
		    (const char *)anchor);
	return false;
}

/* Open a sequence or mapping. */
static enum yev_result ybuild_open(struct ybuild *b, const yaml_event_t *ev,
				   enum hd_ynode_type type)
{
	struct hd_ynode *n;

	if (b->depth >= HD_YAML_MAX_DEPTH) {
		hd_diag_add(b->diag, b->name, (int)ev->start_mark.line + 1,
			    (int)ev->start_mark.column + 1,
			    "nesting deeper than %d levels is not supported",
			    HD_YAML_MAX_DEPTH);
		return YEV_ERROR;
	}
	n = ynode_new(b, type, ev);
	if (!ybuild_attach(b, n))
		return YEV_ERROR;
	b->stack[b->depth].node = n;
	b->stack[b->depth].cap = 0;
	b->stack[b->depth].expect_value = false;
	b->depth++;
	return YEV_CONTINUE;
}

/* Handle one parser event: the state machine that builds the tree. */
static enum yev_result ybuild_event(struct ybuild *b, const yaml_event_t *ev)
{
	struct hd_ynode *n;

	switch (ev->type) {
	case YAML_STREAM_START_EVENT:
		return YEV_CONTINUE;
	case YAML_STREAM_END_EVENT:
		return YEV_DONE;
	case YAML_DOCUMENT_START_EVENT:
		if (++b->ndocs > 1) {
			hd_diag_add(b->diag, b->name, (int)ev->start_mark.line + 1,
				    (int)ev->start_mark.column + 1,
				    "only one YAML document per file is supported");
			return YEV_ERROR;
		}
		return YEV_CONTINUE;
	case YAML_DOCUMENT_END_EVENT:
		return YEV_CONTINUE;
	case YAML_ALIAS_EVENT:
		hd_diag_add(b->diag, b->name, (int)ev->start_mark.line + 1,
			    (int)ev->start_mark.column + 1,
			    "anchors and aliases are not supported (alias '*%s')",
			    (const char *)ev->data.alias.anchor);
		return YEV_ERROR;
	case YAML_SCALAR_EVENT:
		if (!ybuild_no_anchor(b, ev, ev->data.scalar.anchor) ||
		    !ybuild_count(b, ev))
			return YEV_ERROR;
		n = ynode_new(b, HD_Y_SCALAR, ev);
		n->scalar = yarena_alloc(b->arena, ev->data.scalar.length + 1);
		memcpy(n->scalar, ev->data.scalar.value, ev->data.scalar.length);
		n->scalar[ev->data.scalar.length] = '\0';
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		return ybuild_attach(b, n) ? YEV_CONTINUE : YEV_ERROR;
	case YAML_SEQUENCE_START_EVENT:
		if (!ybuild_no_anchor(b, ev, ev->data.sequence_start.anchor) ||
		    !ybuild_count(b, ev))
			return YEV_ERROR;
		return ybuild_open(b, ev, HD_Y_SEQ);
	case YAML_MAPPING_START_EVENT:
		if (!ybuild_no_anchor(b, ev, ev->data.mapping_start.anchor) ||
		    !ybuild_count(b, ev))
			return YEV_ERROR;
		return ybuild_open(b, ev, HD_Y_MAP);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (b->depth > 0)
			b->depth--;
		return YEV_CONTINUE;
	case YAML_NO_EVENT:
	default:
		return YEV_CONTINUE;
	}
}

/* Report libyaml's own error as file:line:column: problem (context). */
static void yparser_error(const yaml_parser_t *p, const char *name, struct hd_diag *diag)
{
	const char *problem = p->problem ? p->problem : "YAML syntax error";
	int line = (int)p->problem_mark.line + 1;
	int column = (int)p->problem_mark.column + 1;

	if (p->error == YAML_MEMORY_ERROR)
		problem = "out of memory while parsing";
	if (p->context != NULL)
		hd_diag_add(diag, name, line, column, "%s (%s)", problem, p->context);
	else
		hd_diag_add(diag, name, line, column, "%s", problem);
}

/* Parse a buffer into a node tree; NULL + diagnostics on any error. */
struct hd_ynode *hd_yaml_load_buffer(const char *name, const char *data, size_t len,
				     struct hd_diag *diag)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	struct ybuild b;
	enum yev_result r = YEV_CONTINUE;

	if (len > HD_YAML_MAX_FILE_BYTES) {
		hd_diag_add(diag, name, 1, 1, "file is larger than %u bytes",
			    (unsigned)HD_YAML_MAX_FILE_BYTES);
		return NULL;
	}
	memset(&b, 0, sizeof(b));
	b.name = name;
	b.diag = diag;
	b.arena = xcalloc(1, sizeof(*b.arena));
	b.arena->next_size = YARENA_CHUNK_MIN;
	if (!yaml_parser_initialize(&parser)) {
		hd_diag_add(diag, name, 1, 1, "cannot initialise the YAML parser");
		yarena_free(b.arena);
		return NULL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	while (r == YEV_CONTINUE) {
		if (!yaml_parser_parse(&parser, &ev)) {
			yparser_error(&parser, name, diag);
			r = YEV_ERROR;
			break;
		}
		r = ybuild_event(&b, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	if (r == YEV_ERROR) {
		yarena_free(b.arena);
		return NULL;
	}
	/* An empty file or an empty document is an empty mapping. */
	if (b.root == NULL ||
	    (b.root->type == HD_Y_SCALAR && b.root->plain &&
	     (b.root->scalar[0] == '\0' || strcmp(b.root->scalar, "~") == 0 ||
	      strcmp(b.root->scalar, "null") == 0))) {
		int line = b.root ? b.root->line : 1, column = b.root ? b.root->column : 1;

		b.root = yarena_alloc(b.arena, sizeof(*b.root));
		memset(b.root, 0, sizeof(*b.root));
		b.root->type = HD_Y_MAP;
		b.root->line = line;
		b.root->column = column;
	}
	b.root->arena = b.arena;
	return b.root;
}

/* Read a whole file (bounded by HD_YAML_MAX_FILE_BYTES) and parse it. */
struct hd_ynode *hd_yaml_load_file(const char *path, struct hd_diag *diag)
{
	struct strbuf sb;
	struct hd_ynode *root;
	char buf[65536];
	ssize_t got;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		hd_diag_add(diag, path, 1, 1, "cannot open: %s", strerror(errno));
		return NULL;
	}
	sb_init(&sb);
	for (;;) {
		got = read(fd, buf, sizeof(buf));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			hd_diag_add(diag, path, 1, 1, "cannot read: %s", strerror(errno));
			close(fd);
			sb_free(&sb);
			return NULL;
		}
		if (got == 0)
			break;
		sb_append(&sb, buf, (size_t)got);
		if (sb.len > HD_YAML_MAX_FILE_BYTES)
			break;	/* hd_yaml_load_buffer reports it */
	}
	close(fd);
	root = hd_yaml_load_buffer(path, sb.s ? sb.s : "", sb.len, diag);
	sb_free(&sb);
	return root;
}

/* Value of key in a map (the first occurrence), or NULL. */
const struct hd_ynode *hd_ymap_get(const struct hd_ynode *map, const char *key)
{
	size_t i;

	if (map == NULL || map->type != HD_Y_MAP)
		return NULL;
	for (i = 0; i < map->n; i++)
		if (strcmp(map->keys[i]->scalar, key) == 0)
			return map->items[i];
	return NULL;
}

/* Levenshtein distance, case-insensitive, of two short strings. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t row[HD_YAML_DYM_MAX_LEN + 1];

	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t cost = tolower((unsigned char)a[i - 1]) ==
				      tolower((unsigned char)b[j - 1]) ? 0 : 1;
			size_t best = diag + cost;

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* Closest candidate by edit distance (<= 2, or <= a third of the length), or NULL. */
const char *hd_did_you_mean(const char *word, const char *const *candidates)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1, lw, i;

	if (word == NULL || candidates == NULL)
		return NULL;
	lw = strlen(word);
	if (lw == 0 || lw > HD_YAML_DYM_MAX_LEN)
		return NULL;
	for (i = 0; candidates[i] != NULL; i++) {
		size_t lc = strlen(candidates[i]), d;

		if (lc > HD_YAML_DYM_MAX_LEN)
			continue;
		d = edit_distance(word, candidates[i]);
		/* never suggest a word that shares nothing with the typo */
		if (d >= lw || d >= lc)
			continue;
		if (d > 2 && d > lw / 3)
			continue;
		if (d < best_d) {
			best_d = d;
			best = candidates[i];
		}
	}
	return best;
}

/* Report unknown and duplicate keys of a map; returns the number of problems. */
size_t hd_ymap_check_keys(const struct hd_ynode *map, const char *const *allowed,
			  const char *section, const char *file, struct hd_diag *diag)
{
	size_t problems = 0, i, j, k;

	if (map == NULL || map->type != HD_Y_MAP)
		return 0;
	for (i = 0; i < map->n; i++) {
		const struct hd_ynode *key = map->keys[i];
		bool known = allowed == NULL;

		for (j = 0; j < i; j++) {
			if (strcmp(map->keys[j]->scalar, key->scalar) == 0)
				break;
		}
		if (j < i) {
			hd_diag_add(diag, file, key->line, key->column,
				    "duplicate key '%s' in %s (first given at line %d)",
				    key->scalar, section, map->keys[j]->line);
			problems++;
			continue;
		}
		for (k = 0; !known && allowed[k] != NULL; k++)
			known = strcmp(allowed[k], key->scalar) == 0;
		if (!known) {
			struct strbuf sb;
			const char *dym = hd_did_you_mean(key->scalar, allowed);

			sb_init(&sb);
			for (k = 0; allowed[k] != NULL; k++)
				sb_printf(&sb, "%s%s", k ? ", " : "", allowed[k]);
			if (dym != NULL)
				hd_diag_add(diag, file, key->line, key->column,
					    "unknown key '%s' in %s (did you mean '%s'?; expected one of: %s)",
					    key->scalar, section, dym, sb.s ? sb.s : "");
			else
				hd_diag_add(diag, file, key->line, key->column,
					    "unknown key '%s' in %s (expected one of: %s)",
					    key->scalar, section, sb.s ? sb.s : "");
			sb_free(&sb);
			problems++;
		}
	}
	return problems;
}

/* Describe a node type for messages. */
const char *hd_ynode_type_name(const struct hd_ynode *n)
{
	if (n == NULL)
		return "nothing";
	switch (n->type) {
	case HD_Y_MAP:
		return "a mapping";
	case HD_Y_SEQ:
		return "a list";
	case HD_Y_SCALAR:
	default:
		return hd_ynode_is_null(n) ? "an empty value" : "a string";
	}
}

/* True for an absent value or a plain empty / ~ / null scalar. */
bool hd_ynode_is_null(const struct hd_ynode *n)
{
	if (n == NULL)
		return true;
	return n->type == HD_Y_SCALAR && n->plain &&
	       (n->scalar[0] == '\0' || strcmp(n->scalar, "~") == 0 ||
		strcmp(n->scalar, "null") == 0 || strcmp(n->scalar, "Null") == 0 ||
		strcmp(n->scalar, "NULL") == 0);
}

/* YAML 1.1/1.2 booleans of a scalar: true/false, yes/no, on/off (any case). */
bool hd_yscalar_bool(const struct hd_ynode *n, bool *b_r)
{
	static const char *const yes[] = { "true", "yes", "on", NULL };
	static const char *const no[] = { "false", "no", "off", NULL };
	size_t i;

	if (n == NULL || n->type != HD_Y_SCALAR)
		return false;
	for (i = 0; yes[i] != NULL; i++) {
		if (str_ieq(n->scalar, yes[i])) {
			*b_r = true;
			return true;
		}
		if (str_ieq(n->scalar, no[i])) {
			*b_r = false;
			return true;
		}
	}
	return false;
}

/* Decimal integer scalar within [min, max]; false when malformed or out of range. */
bool hd_yscalar_long(const struct hd_ynode *n, long min, long max, long *v_r)
{
	char *end;
	long v;

	if (n == NULL || n->type != HD_Y_SCALAR || n->scalar[0] == '\0')
		return false;
	errno = 0;
	v = strtol(n->scalar, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max ||
	    !(n->scalar[0] == '-' || (n->scalar[0] >= '0' && n->scalar[0] <= '9')))
		return false;
	*v_r = v;
	return true;
}
